"""Issuing certificates for decided verdicts and writing them to the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from assay.proofs import certificate as _cert
from assay.specs import Spec

from .verdicts import Outcome, Verdict

__all__ = ["write_certificate"]

_ISSUER: Final = object()
_cert.register_issuer(_ISSUER)


def write_certificate(store: str | Path, spec: Spec, givens: Any, proposal: Any,
                      verdict: Verdict, solvers: tuple[dict[str, Any], ...] = ()) -> Path:
    """Issue the certificate of ``verdict`` and write it under ``store``; return its path."""
    cert = _cert.Certificate(
        spec_ref=spec.ref,
        spec_name=spec.name,
        spec_sha256=spec.source_hash,
        givens=givens,
        proposal=proposal,
        outcome=verdict.outcome.value,
        reason=verdict.reason,
        evaluator={"result": verdict.outcome is Outcome.ACCEPTED,
                   "violated_lines": sorted({v.line for v in verdict.violations})},
        claims=tuple(c.to_json() | ({"solvers": list(solvers)} if solvers else {})
                     for c in verdict.claims),
        solvers=solvers,
        _issuer_token=_ISSUER,
    )
    return _cert.write(cert, store)
