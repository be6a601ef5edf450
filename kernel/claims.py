"""Claims settled by solvers: uniqueness, optimality, and whether any solution exists.

Every claim is an UNSAT question (:mod:`assay.specs.queries`).  The rules:

* UNSAT counts only when z3 says it and cvc5 confirms it (rule 1);
* SAT counts only when the trusted evaluator confirms the model's proposal
  (a solver's model is a hint, never evidence);
* everything else (timeouts, unknown, errors, disagreement) is UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from assay.proofs.certificate import sha256_of
from assay.specs import Spec
from assay.specs.evaluate import Undefined
from assay.specs.explain import show_value

from . import solvers
from .verdicts import Claim, Outcome, Verdict, Violation, make

__all__ = ["no_solution", "settle"]


def settle(spec: Spec, givens: dict[str, Any], value: Any, *, timeout: float) -> Verdict:
    """Prove the spec's claims about a proposal the evaluator accepted."""
    from assay.specs import queries as q
    from assay.specs.terms import Unsupported

    claims: list[Claim] = []
    answers: list[dict[str, Any]] = []
    names = (["unique"] if spec.unique else []) + (["optimal"] if spec.sense else [])
    for name in names:
        try:
            query = q.another_solution(spec, givens, value) if name == "unique" \
                else q.better_solution(spec, givens, value)
        except Undefined as exc:
            detail = f"the objective raises {exc.kind} on the proposal: {exc.message}"
            return make(Outcome.REFUTED, f"not optimal: {detail}",
                        violations=(Violation(name, spec.ir.claims_line, detail),),
                        claims=(*claims, Claim(name, "refuted", detail)))
        except Unsupported as exc:
            return make(Outcome.UNKNOWN, f"unsupported: the {name} claim cannot be encoded: {exc}",
                        claims=(*claims, Claim(name, "unknown", str(exc))))
        result = solvers.prove_unsat(query, timeout=timeout)
        answers += [a.to_json() | {"query": query.name, "claim": name} for a in result.answers]
        if result.status == "unsat":
            claims.append(Claim(name, "proved", f"UNSAT on {' and '.join(a.solver for a in result.answers)}"))
            continue
        if result.status == "sat":
            witness = query.witness(result.model or {})
            confirmed, detail = _confirm(spec, givens, value, witness, name)
            if confirmed:
                return make(Outcome.REFUTED, f"the {name} claim fails: {detail}",
                            violations=(Violation(name, spec.ir.claims_line, detail),),
                            claims=(*claims, Claim(name, "refuted", detail)), witness=witness,
                            solvers=tuple(answers))
            return make(Outcome.UNKNOWN, f"solver-model-rejected: {result.answers[-1].solver} found a "
                        f"counterexample to {name} that the evaluator does not confirm ({detail})",
                        claims=(*claims, Claim(name, "unknown", detail)), solvers=tuple(answers))
        return make(Outcome.UNKNOWN, f"{result.reason}: could not prove the {name} claim",
                    claims=(*claims, Claim(name, "unknown", result.reason)), solvers=tuple(answers))
    proved = ", ".join(c.name for c in claims)
    return make(Outcome.ACCEPTED, f"the spec holds on the proposal; proved: {proved}",
                claims=tuple(claims), solvers=tuple(answers))


def _confirm(spec: Spec, givens: dict[str, Any], value: Any, witness: Any, name: str) -> tuple[bool, str]:
    """Check a solver's counterexample with the trusted evaluator."""
    from assay.specs import queries as q

    env = {**givens, spec.proposal.name: witness}
    if spec.out_of_bounds(witness) or not spec.holds(env):
        return False, f"its proposal {show_value(witness)} does not meet the spec"
    shown = show_value(spec.proposal.domain.encode(witness))
    if name == "unique":
        if spec.proposal.domain.encode(witness) == spec.proposal.domain.encode(value):
            return False, "its proposal equals this one"
        return True, f"another proposal also meets the spec: {shown}"
    try:
        mine, theirs = q.objective_value(spec, givens, value), q.objective_value(spec, givens, witness)
    except Undefined as exc:
        return False, f"the objective raises on the counterexample: {exc.message}"
    better = theirs > mine if spec.sense == "max" else theirs < mine
    if not better:
        return False, f"its objective {theirs} is not better than {mine}"
    return True, f"{shown} also meets the spec with objective {theirs} (this proposal: {mine})"


def no_solution(spec: Spec, givens: dict[str, Any], *, timeout: float
                ) -> tuple[bool, str, tuple[dict[str, Any], ...]]:
    """Whether both solvers prove that no proposal meets the spec for ``givens``.

    Cached per spec source and givens, so a batch of proposals for one task
    asks the solvers once.
    """
    key = (spec.ref, spec.source_hash, timeout,
           sha256_of({p.name: p.domain.encode(givens[p.name]) for p in spec.givens}))
    if key not in _VACUITY:
        if len(_VACUITY) >= _VACUITY_SIZE:
            _VACUITY.pop(next(iter(_VACUITY)))
        _VACUITY[key] = _no_solution(spec, givens, timeout)
    return _VACUITY[key]


_VACUITY: dict[tuple[str, str, float, str], tuple[bool, str, tuple[dict[str, Any], ...]]] = {}
_VACUITY_SIZE = 1024


def _no_solution(spec: Spec, givens: dict[str, Any], timeout: float
                 ) -> tuple[bool, str, tuple[dict[str, Any], ...]]:
    from assay.specs import queries as q
    from assay.specs.terms import Unsupported

    try:
        query = q.any_solution(spec, givens)
    except Unsupported as exc:
        return False, f"unsupported: {exc}", ()
    result = solvers.prove_unsat(query, timeout=timeout, want_model=False)
    answers = tuple(a.to_json() | {"query": query.name} for a in result.answers)
    if result.status == "unsat":
        return True, "UNSAT on " + " and ".join(a.solver for a in result.answers), answers
    return False, result.reason or result.status, answers
