"""Issuing certificates for decided verdicts and writing them to the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from assay.proofs import certificate as _cert
from assay.specs import Spec

from .verdicts import Claim, Outcome, Verdict

__all__ = ["write_certificate"]

_ISSUER: Final = object()
_cert.register_issuer(_ISSUER)


def write_certificate(store: str | Path, spec: Spec, givens: Any, proposal: Any,
                      verdict: Verdict, *, solvers: tuple[dict[str, Any], ...] = ()) -> Path:
    """Issue the certificate of ``verdict`` and write it under ``store``; return its path."""
    # A claim can refute a proposal the evaluator accepted (not unique, not optimal).
    holds = verdict.outcome is Outcome.ACCEPTED or any(c.status == "refuted" for c in verdict.claims)
    cert = _cert.Certificate(
        spec_ref=spec.ref,
        spec_name=spec.name,
        spec_sha256=spec.source_hash,
        givens=givens,
        proposal=proposal,
        outcome=verdict.outcome.value,
        reason=verdict.reason,
        evaluator={"result": holds,
                   "violated_lines": [] if holds else sorted({v.line for v in verdict.violations})},
        claims=tuple(_claim_json(spec, c, verdict, solvers) for c in verdict.claims),
        solvers=solvers,
        _issuer_token=_ISSUER,
    )
    return _cert.write(cert, store)


def _claim_json(spec: Spec, claim: Claim, verdict: Verdict, solvers: tuple[dict[str, Any], ...]
                ) -> dict[str, Any]:
    out = claim.to_json() | {"solvers": [a for a in solvers if a.get("claim") == claim.name]}
    if claim.status == "refuted" and verdict.witness is not None:
        out["witness"] = spec.proposal.domain.encode(verdict.witness)
    return out
