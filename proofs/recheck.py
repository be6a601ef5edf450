"""Recheck: re-verify stored certificates, independently of the run that made them.

For each certificate: the givens and proposal must still hash to what the
certificate says (an edited proposal fails here); the spec must still load and
have the same source hash (a changed spec fails here); the trusted evaluator
runs the spec again on the stored values and must reach the recorded result;
and every solver-proved claim (uniqueness, optimality, "no solution exists")
is proved again by UNSAT on both solvers, with fresh solver instances of this
package's own, never the kernel's.  This module does not import
``assay.kernel``: a bug in the kernel's path cannot vouch for itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.specs import DecodeError, Spec, SpecLoadError, load
from assay.specs.language import InvalidSpec

from .certificate import CertificateError, read, sha256_of

__all__ = ["RecheckResult", "recheck_file", "recheck_path"]


@dataclass(frozen=True)
class RecheckResult:
    """Whether one certificate still holds, and if not, why."""

    path: Path
    ok: bool
    reason: str
    verdict: str = ""


def recheck_path(path: str | Path, *, timeout: float = 30.0) -> Iterator[RecheckResult]:
    """Recheck the certificate at ``path``, or every ``*.json`` certificate under it."""
    root = Path(path)
    if root.is_file():
        yield recheck_file(root, timeout=timeout)
        return
    if not root.exists():
        yield RecheckResult(root, False, f"{root} does not exist")
        return
    for file in sorted(root.rglob("*.json")):
        if not file.name.startswith("."):
            yield recheck_file(file, timeout=timeout)


def recheck_file(path: str | Path, *, timeout: float = 30.0) -> RecheckResult:
    """Re-verify one certificate file."""
    path = Path(path)
    try:
        cert = read(path)
    except CertificateError as exc:
        return RecheckResult(path, False, str(exc))
    verdict = str(cert["verdict"])

    def fail(why: str) -> RecheckResult:
        return RecheckResult(path, False, why, verdict)

    if sha256_of(cert["proposal"]) != cert["proposal_sha256"]:
        return fail("the proposal was edited after the certificate was issued (its sha256 differs)")
    if sha256_of(cert["givens"]) != cert["givens_sha256"]:
        return fail("the givens were edited after the certificate was issued (their sha256 differs)")
    body = {k: v for k, v in cert.items() if k not in ("id", "created")}
    if "id" in cert and sha256_of(body) != cert["id"]:
        return fail("the certificate's content was edited (its id no longer matches)")
    ref = cert["spec"]["ref"]
    try:
        spec = load(ref, fresh=True)
    except (SpecLoadError, InvalidSpec) as exc:
        return fail(f"the spec {ref} no longer loads: {exc}")
    if spec.source_hash != cert["spec"].get("source_sha256"):
        return fail(f"the spec {ref} changed since the certificate was issued (source sha256 differs)")
    try:
        givens = spec.decode_givens(cert["givens"])
        value = spec.decode_proposal(cert["proposal"])
    except DecodeError as exc:
        return fail(f"the stored values no longer fit the spec: {exc}")
    holds = not spec.out_of_bounds(value) and spec.holds({**givens, spec.proposal.name: value})
    recorded = cert["evaluator"].get("result")
    if holds is not recorded:
        return fail(f"the evaluator now says {holds}, the certificate says {recorded}")
    if verdict == "accepted" and not holds:
        return fail("accepted, but the spec does not hold on the proposal")
    refuted_by_claim = any(isinstance(c, dict) and c.get("status") == "refuted"
                           for c in cert.get("claims", []))
    if (verdict == "vacuous" and holds) or (verdict == "refuted" and holds and not refuted_by_claim):
        return fail(f"{verdict}, but the spec holds on the proposal")
    for claim in _claims_to_reprove(cert):
        ok, why = _reprove(claim["name"], spec, givens, value, timeout=timeout)
        if not ok:
            return fail(f"the {claim['name']} claim no longer holds: {why}")
    for claim in cert.get("claims", []):
        if isinstance(claim, dict) and claim.get("status") == "refuted":
            ok, why = _confirm_counterexample(claim, spec, givens, value)
            if not ok:
                return fail(f"the counterexample to the {claim.get('name')} claim does not hold: {why}")
    return RecheckResult(path, True, "holds", verdict)


def _confirm_counterexample(claim: dict[str, Any], spec: Spec, givens: dict[str, Any], value: Any
                            ) -> tuple[bool, str]:
    """A refuted claim's witness must meet the spec, differ (unique) or do better (optimal)."""
    from assay.specs import queries
    from assay.specs.evaluate import Undefined

    if "witness" not in claim:
        return False, "the certificate records no counterexample"
    try:
        witness = spec.decode_proposal(claim["witness"])
    except DecodeError as exc:
        return False, str(exc)
    if spec.out_of_bounds(witness) or not spec.holds({**givens, spec.proposal.name: witness}):
        return False, "the counterexample does not meet the spec"
    if claim.get("name") == "unique":
        same = spec.proposal.domain.encode(witness) == spec.proposal.domain.encode(value)
        return (not same, "the counterexample is the proposal itself" if same else "")
    if claim.get("name") == "optimal":
        try:
            mine = queries.objective_value(spec, givens, value)
            theirs = queries.objective_value(spec, givens, witness)
        except Undefined as exc:
            return False, f"the objective raises: {exc.message}"
        better = theirs > mine if spec.sense == "max" else theirs < mine
        return (better, "" if better else f"its objective {theirs} is not better than {mine}")
    return False, f"unknown claim {claim.get('name')!r}"


def _claims_to_reprove(cert: dict[str, Any]) -> list[dict[str, Any]]:
    claims = [c for c in cert.get("claims", []) if isinstance(c, dict) and c.get("status") == "proved"]
    if cert["verdict"] == "vacuous":
        claims.append({"name": "no-solution"})
    return claims


def _reprove(name: str, spec: Spec, givens: dict[str, Any], value: Any, *, timeout: float
             ) -> tuple[bool, str]:
    from assay.specs import queries

    from .solvers import both_unsat

    if name == "unique":
        query = queries.another_solution(spec, givens, value)
    elif name == "optimal":
        query = queries.better_solution(spec, givens, value)
    elif name == "no-solution":
        query = queries.any_solution(spec, givens)
    else:
        return False, f"unknown claim {name!r}"
    return both_unsat(query, timeout=timeout)
