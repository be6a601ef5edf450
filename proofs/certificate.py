"""Certificates: the JSON record of a decided verdict, enough to re-derive it alone.

A certificate (format ``assay-certificate/2``) records:

* ``spec``: its ref (relative to the spec root, :mod:`.spec_refs`), its name,
  and the sha256 of the source that gives it meaning;
* ``givens`` and ``proposal`` with their sha256;
* ``options``: how the check was asked, where that changes the verdict or its
  words: ``vacuity`` (on a refutation, whether the solvers were asked if any
  proposal could meet the spec: only then can the verdict be VACUOUS) and
  ``explain`` (whether violated clauses are explained with their values);
* ``verdict`` and ``reason``, exactly as the kernel wrote them;
* ``evaluator``: what CPython running the spec said (``result``, and the
  lines of the violated clauses);
* ``claims``: each claim the spec makes that was settled, with its status and
  detail, and for a claim refuted by a counterexample its ``witness`` (the
  other or better proposal, which recheck confirms with the evaluator);
* ``queries``: the SMT-LIB2 text of each query whose UNSAT the verdict rests
  on, inline or, when large, in a sidecar ``.smt2`` file next to it named by
  its sha256 (with cvc5's proof of the UNSAT when one was produced);
* ``solvers``: the kernel's solver answers (names, versions, options,
  times): provenance for a reader, not evidence recheck relies on;
* ``id``: the sha256 of the canonical JSON of all of the above, also the file
  name, so checking the same proposal twice writes one file.  It is an
  unkeyed hash: anyone can recompute it, and recheck trusts nothing for it.

Only the kernel issues :class:`Certificate` objects: the constructor wants an
issuer token, the kernel registers the only one when it is imported, and the
objects refuse to be copied or pickled.  Python cannot stop a determined
forger (``object.__new__`` and ``object.__setattr__`` still work), and a
certificate read back from disk is plain JSON (:func:`read`) anyway: what a
certificate is worth is what :mod:`.recheck` re-derives from the spec, the
givens and the proposal, never the object or the file it came in.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn, SupportsIndex, final

from assay.specs.errors import AssayError
from assay.specs.version import __version__

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "Certificate",
    "CertificateError",
    "NotARegularFile",
    "canonical_json",
    "file_kind",
    "read",
    "register_issuer",
    "sha256_of",
    "write",
]

FORMAT: Final = "assay-certificate/2"
MAX_BYTES: Final = 64 * 1024 * 1024  # the largest certificate file recheck reads


class CertificateError(AssayError, ValueError):
    """A file is not a certificate assay can read."""


class NotARegularFile(CertificateError):
    """A path in a store is a FIFO, a device, a socket or a folder: never opened as a certificate.

    ``why`` says what it is, without the path.
    """

    def __init__(self, path: str | Path, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.why = why


def canonical_json(value: Any) -> bytes:
    """The one byte string a JSON value hashes as: sorted keys, no spaces, non-ASCII escaped.

    Escaped, so that every string a JSON text can hold (a lone surrogate
    such as ``"\\ud800"`` too) has a canonical form.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


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


_NOT_COPIED: Final = ("Certificate objects are not copied or pickled: only assay.kernel issues them, and a "
                      "stored one is plain JSON that earns trust by assay recheck")


@final
@dataclass(frozen=True)
class Certificate:
    """A decided verdict with its evidence.  Issued by the kernel only; never copied or pickled."""

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
    options: dict[str, bool] = field(default_factory=dict)  # {"vacuity": ..., "explain": ...}
    _issuer_token: InitVar[object] = field(default=None, kw_only=True)

    def __post_init__(self, _issuer_token: object) -> None:
        if _issuer is None or _issuer_token is not _issuer:
            raise TypeError("Certificate objects are issued by assay.kernel only")

    def __copy__(self) -> NoReturn:
        raise TypeError(_NOT_COPIED)

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError(_NOT_COPIED)

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError(_NOT_COPIED)

    def __reduce__(self) -> NoReturn:
        raise TypeError(_NOT_COPIED)

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
            "options": dict(self.options),
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
    _write_atomically(folder, path, json.dumps(body, indent=2, ensure_ascii=True, sort_keys=True) + "\n")
    return path


def _write_atomically(folder: Path, path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=path.suffix)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.replace(tmp, path)


# --- reading one back: its shape, before recheck derives anything ---------------------

_FIELDS: Final[dict[str, type]] = {  # field -> the JSON type it must have
    "format": str, "assay_version": str, "spec": dict, "givens": object, "givens_sha256": str,
    "proposal": object, "proposal_sha256": str, "options": dict, "verdict": str, "reason": str,
    "evaluator": dict, "claims": list, "solvers": list, "queries": list, "id": str,
}
_OPTIONAL: Final = {"created": str}  # the time it was written, outside the id
_SPEC_FIELDS: Final = ("name", "ref", "source_sha256")
_OPTIONS: Final = ("explain", "vacuity")
_OLD_FORMATS: Final = {
    "assay-certificate/1": "it records neither the options the check ran with (so a REFUTED verdict cannot be "
                           "told from a VACUOUS one) nor its spec relative to a spec root",
}


def read(path: str | Path) -> dict[str, Any]:
    """A stored certificate as JSON, after checking it is a regular file with the fields of the format.

    Raises :class:`NotARegularFile` for a FIFO, device, socket or folder
    (never read: it could block or have side effects) and
    :class:`CertificateError` for anything else that is not a certificate.
    """
    data = _parse(Path(path), _read_regular(Path(path)))
    if not isinstance(data, dict):
        raise CertificateError(f"{path}: a certificate is a JSON object, got {type(data).__name__}")
    fmt = data.get("format")
    if fmt in _OLD_FORMATS:
        raise CertificateError(f"{path}: an {fmt} certificate, which recheck no longer accepts: "
                               f"{_OLD_FORMATS[fmt]}; check the proposal again to issue an {FORMAT} one")
    if fmt != FORMAT:
        raise CertificateError(f"{path}: unknown certificate format {fmt!r} (expected {FORMAT})")
    for key, kind in _FIELDS.items():
        if key not in data:
            raise CertificateError(f"{path}: not a certificate: missing field {key!r}")
        if kind is not object and not isinstance(data[key], kind):
            raise CertificateError(f"{path}: the field {key!r} is not a JSON {_json_type(kind)}")
    extra = sorted(set(data) - set(_FIELDS) - set(_OPTIONAL))
    if extra:
        raise CertificateError(f"{path}: the field {extra[0]!r} is not one of the format {FORMAT}")
    spec = data["spec"]
    if sorted(spec) != list(_SPEC_FIELDS) or not all(isinstance(spec[k], str) for k in _SPEC_FIELDS):
        raise CertificateError(f"{path}: the certificate's spec is not {{name, ref, source_sha256}} as strings")
    options = data["options"]
    if sorted(options) != list(_OPTIONS) or not all(isinstance(options[k], bool) for k in _OPTIONS):
        raise CertificateError(f"{path}: the certificate's options are not {{explain, vacuity}} as booleans")
    for key in ("claims", "solvers", "queries"):
        if not all(isinstance(item, dict) for item in data[key]):
            raise CertificateError(f"{path}: an item of {key!r} is not a JSON object")
    return data


def _read_regular(path: Path) -> bytes:
    """The bytes of ``path``, refusing anything but a regular file of at most MAX_BYTES."""
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(path, f"not a regular file ({file_kind(mode)}): skipped, never opened")
        # Non-blocking, so that a file swapped for a FIFO after the stat cannot hang the recheck.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise NotARegularFile(path, f"not a regular file ({file_kind(mode)}): skipped")
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CertificateError(f"{path}: not a readable JSON certificate: {exc}") from None
    if len(data) > MAX_BYTES:
        raise CertificateError(f"{path}: over the {MAX_BYTES}-byte limit of a certificate")
    return data


def _parse(path: Path, data: bytes) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"the key {key!r} appears twice in one object")
            out[key] = value
        return out

    def no_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CertificateError(f"{path}: not a readable JSON certificate: {exc}") from None


def file_kind(mode: int) -> str:
    """What a file of ``mode`` (from ``stat``) is, in words, for a reason that names it."""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISLNK, "a link"))
    return next((what for test, what in kinds if test(mode)), "not a plain file")


def _json_type(kind: type) -> str:
    names: dict[type, str] = {str: "string", dict: "object", list: "array"}
    return names.get(kind, kind.__name__)
