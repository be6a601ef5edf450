"""Certificates: the JSON record of a decided verdict, enough to re-verify it alone.

A certificate names the spec (how to load it, and the sha256 of the source
that gave it meaning), holds the givens and the proposal with their hashes,
the verdict, what the trusted evaluator said, every solver answer that a
claim rests on (solver names, versions, options), and the SMT-LIB2 text of
each query whose UNSAT it rests on, inline or, when large, in a sidecar
``.smt2`` file next to it named by its sha256 (with cvc5's proof of the
UNSAT when one was produced).  Certificates are
content-addressed: the file name is the sha256 of the canonical JSON of
everything but the time it was written, so checking the same proposal twice
writes one file.

Only the kernel issues certificates: :class:`Certificate` wants an issuer
token, and the kernel registers the only one when it is imported.  A stored
certificate read back from disk is plain JSON (:func:`read`), and earns trust
only by :mod:`.recheck`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any, Final, final

from assay.specs.errors import AssayError
from assay.specs.version import __version__

__all__ = [
    "FORMAT",
    "Certificate",
    "CertificateError",
    "canonical_json",
    "read",
    "register_issuer",
    "sha256_of",
    "write",
]

FORMAT: Final = "assay-certificate/1"


class CertificateError(AssayError, ValueError):
    """A file is not a certificate assay can read."""


def canonical_json(value: Any) -> bytes:
    """The one byte string a JSON value hashes as: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(value: Any) -> str:
    """sha256 of a JSON value's canonical form."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


_issuer: object | None = None


def register_issuer(token: object) -> None:
    """Register the kernel's token; only the first registration counts."""
    global _issuer  # noqa: PLW0603 - one process-wide issuer, set once
    if _issuer is None:
        _issuer = token
    elif token is not _issuer:
        raise PermissionError("the certificate issuer is already registered")


@final
@dataclass(frozen=True)
class Certificate:
    """A decided verdict with its evidence.  Issued by the kernel only."""

    spec_ref: str
    spec_name: str
    spec_sha256: str
    givens: Any
    proposal: Any
    outcome: str
    reason: str
    evaluator: dict[str, Any]
    claims: tuple[dict[str, Any], ...] = ()
    solvers: tuple[dict[str, Any], ...] = ()
    queries: tuple[dict[str, Any], ...] = ()  # the SMT-LIB2 query of each UNSAT the verdict rests on
    _issuer_token: InitVar[object] = field(default=None, kw_only=True)

    def __post_init__(self, _issuer_token: object) -> None:
        if _issuer is None or _issuer_token is not _issuer:
            raise TypeError("Certificate objects are issued by assay.kernel only")

    def body(self) -> dict[str, Any]:
        """The certificate's JSON content (what its id hashes)."""
        return {
            "format": FORMAT,
            "assay_version": __version__,
            "spec": {"ref": self.spec_ref, "name": self.spec_name, "source_sha256": self.spec_sha256},
            "givens": self.givens,
            "givens_sha256": sha256_of(self.givens),
            "proposal": self.proposal,
            "proposal_sha256": sha256_of(self.proposal),
            "verdict": self.outcome,
            "reason": self.reason,
            "evaluator": self.evaluator,
            "claims": list(self.claims),
            "solvers": list(self.solvers),
            "queries": list(self.queries),
        }

    @property
    def id(self) -> str:
        return sha256_of(self.body())


def write(cert: Certificate, store: str | Path, *, sidecars: Mapping[str, str] | None = None) -> Path:
    """Write ``cert`` under ``store/certificates/`` (atomically); return its path.

    ``sidecars`` (file name -> text) are written next to it first: texts too
    large to hold inline, which the certificate names with their sha256.
    """
    body = cert.body()
    digest = sha256_of(body)
    folder = Path(store) / "certificates" / digest[:2]
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (sidecars or {}).items():
        if Path(name).name != name or name.startswith(".") or name.endswith(".json"):
            raise ValueError(f"a sidecar is a plain file name that is not .json: {name!r}")
        if not (folder / name).exists():
            _write_atomically(folder, folder / name, text)
    path = folder / f"{digest}.json"
    if path.exists():
        return path
    body["id"] = digest
    body["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write_atomically(folder, path, json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    return path


def _write_atomically(folder: Path, path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=path.suffix)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.replace(tmp, path)


_REQUIRED = ("format", "spec", "givens", "givens_sha256", "proposal", "proposal_sha256", "verdict",
             "evaluator")


def read(path: str | Path) -> dict[str, Any]:
    """A stored certificate as JSON, after checking it has the fields of the format."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CertificateError(f"{path}: not a readable JSON certificate: {exc}") from None
    if not isinstance(data, dict):
        raise CertificateError(f"{path}: a certificate is a JSON object, got {type(data).__name__}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise CertificateError(f"{path}: not a certificate: missing field {missing[0]!r}")
    if data["format"] != FORMAT:
        raise CertificateError(f"{path}: unknown certificate format {data['format']!r} (expected {FORMAT})")
    spec = data["spec"]
    if not isinstance(spec, dict) or not isinstance(spec.get("ref"), str):
        raise CertificateError(f"{path}: the certificate's spec has no ref")
    return data
