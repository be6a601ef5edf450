"""Issuing real certificates in a spec root, and editing them as a forger would (hashes and id recomputed)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import check
from assay.kernel.certify import write_certificate
from assay.proofs import RecheckResult, recheck_path, sha256_of
from assay.specs import load

from .paths import OK

SPEC_FILE = "spec_copy.py"
KNAP = {"weights": [3, 4, 5, 6], "values": [4, 5, 6, 8], "capacity": 10}


def spec_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path`` as the current folder (the spec root certificates are written against), holding ok.py's copy."""
    monkeypatch.chdir(tmp_path)
    if not (tmp_path / SPEC_FILE).exists():
        shutil.copy(OK, tmp_path / SPEC_FILE)
    return tmp_path


def issue(root: Path, name: str, givens: dict[str, Any], proposal: Any, **kw: Any) -> Path:
    """Check a proposal against ``SPEC_FILE:name`` with the store ``root/.assay``; the certificate's path.

    ``kw`` goes to write_certificate, when given (the check then has no store of its own).
    """
    spec = load(f"{SPEC_FILE}:{name}")
    if not kw:
        v = check(spec, givens, proposal, store=root / ".assay")
        assert v.certificate is not None, v
        return Path(v.certificate)
    v = check(spec, givens, proposal)
    return write_certificate(root / ".assay", spec, givens, proposal, v, solvers=v.solvers, **kw)


def read(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def rehash(cert: dict[str, Any]) -> dict[str, Any]:
    """What a forger does after an edit: the givens', proposal's and content's sha256 made to match again."""
    cert["givens_sha256"] = sha256_of(cert["givens"])
    cert["proposal_sha256"] = sha256_of(cert["proposal"])
    cert["id"] = sha256_of({k: v for k, v in cert.items() if k not in ("id", "created")})
    return cert


def forge(path: Path, change: Callable[[dict[str, Any]], Any]) -> None:
    """Apply ``change`` to the certificate at ``path``, then recompute every hash it holds."""
    cert = read(path)
    change(cert)
    path.write_text(json.dumps(rehash(cert)))


def only(path: Path, root: Path | None = None, **kw: Any) -> RecheckResult:
    (r,) = recheck_path(path, spec_root=root or Path.cwd(), **kw)
    return r
