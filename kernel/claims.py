"""Claims settled by solvers: uniqueness, optimality, and whether any solution exists.

Every claim is an UNSAT question (:mod:`assay.specs.queries`).  The rules:

* UNSAT counts only when z3 says it and cvc5 confirms it (rule 1);
* SAT counts only when the trusted evaluator confirms the model's proposal
  (a solver's model is a hint, never evidence);
* everything else (timeouts, unknown, errors, disagreement) is UNKNOWN.

When the solvers disagree (one says unsat, the other sat), the query is
written as an ``.smt2`` reproducer under the store's ``reproducers/`` (a new
temporary folder when there is no store), and the verdict's reason names it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.proofs.certificate import sha256_of
from assay.specs import Spec, reasons
from assay.specs.domains import DecodeError
from assay.specs.evaluate import Undefined
from assay.specs.explain import show_value
from assay.specs.show import show_int

from . import solvers
from .verdicts import Claim, Outcome, Verdict, Violation, make

if TYPE_CHECKING:
    from assay.specs.queries import Query

__all__ = ["no_solution", "settle", "write_reproducer"]


def settle(spec: Spec, givens: dict[str, Any], value: Any, *, timeout: float,
           store: str | Path | None = None) -> Verdict:
    """Prove the spec's claims about a proposal the evaluator accepted.

    ``store`` is where a reproducer of a solver disagreement is written.
    """
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
            detail = reasons.objective_raises(exc.kind, exc.message)
            return make(Outcome.REFUTED, reasons.not_optimal(detail),
                        violations=(Violation(name, spec.ir.claims_line, detail),),
                        claims=(*claims, Claim(name, "refuted", detail)))
        except Unsupported as exc:
            return make(Outcome.UNKNOWN, f"unsupported: the {name} claim cannot be encoded: {exc}",
                        claims=(*claims, Claim(name, "unknown", str(exc))))
        result = solvers.prove_unsat(query, timeout=timeout)
        answers += [a.to_json() | {"query": query.name, "claim": name} for a in result.answers]
        if result.status == "unsat":
            claims.append(Claim(name, "proved", reasons.unsat_on([a.solver for a in result.answers])))
            continue
        if result.status == "sat":
            try:
                witness = query.witness(result.model or {})
            except DecodeError as exc:
                return make(Outcome.UNKNOWN, f"solver-model-rejected: {result.answers[-1].solver}'s counterexample "
                            f"to {name} is no proposal: {exc}",
                            claims=(*claims, Claim(name, "unknown", str(exc))), solvers=tuple(answers))
            confirmed, detail = _confirm(spec, givens, value, witness, name)
            if confirmed:
                return make(Outcome.REFUTED, reasons.claim_fails(name, detail),
                            violations=(Violation(name, spec.ir.claims_line, detail),),
                            claims=(*claims, Claim(name, "refuted", detail)), witness=witness,
                            solvers=tuple(answers))
            return make(Outcome.UNKNOWN, f"solver-model-rejected: {result.answers[-1].solver} found a "
                        f"counterexample to {name} that the evaluator does not confirm ({detail})",
                        claims=(*claims, Claim(name, "unknown", detail)), solvers=tuple(answers))
        reason = _with_reproducer(result.reason, query, spec, name, store)
        return make(Outcome.UNKNOWN, f"{reason}: could not prove the {name} claim",
                    claims=(*claims, Claim(name, "unknown", reason)), solvers=tuple(answers))
    return make(Outcome.ACCEPTED, reasons.accepted([c.name for c in claims]),
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
        return True, reasons.another_solution(shown)
    try:
        mine, theirs = q.objective_value(spec, givens, value), q.objective_value(spec, givens, witness)
    except Undefined as exc:
        return False, f"the objective raises on the counterexample: {exc.message}"
    better = theirs > mine if spec.sense == "max" else theirs < mine
    if not better:
        return False, f"its objective {show_int(theirs)} is not better than {show_int(mine)}"
    return True, reasons.better_solution(shown, theirs, mine)


def no_solution(spec: Spec, givens: dict[str, Any], *, timeout: float, store: str | Path | None = None
                ) -> tuple[bool, str, tuple[dict[str, Any], ...]]:
    """Whether both solvers prove that no proposal meets the spec for ``givens``.

    Cached per spec source and givens, so a batch of proposals for one task
    asks the solvers once.  ``store`` is where a reproducer of a solver
    disagreement is written.
    """
    key = (spec.ref, spec.source_hash, timeout,
           sha256_of({p.name: p.domain.encode(givens[p.name]) for p in spec.givens}),
           None if store is None else str(store))
    if key not in _VACUITY:
        if len(_VACUITY) >= _VACUITY_SIZE:
            _VACUITY.pop(next(iter(_VACUITY)))
        _VACUITY[key] = _no_solution(spec, givens, timeout, store)
    return _VACUITY[key]


_VACUITY: dict[tuple[str, str, float, str, str | None], tuple[bool, str, tuple[dict[str, Any], ...]]] = {}
_VACUITY_SIZE = 1024


def _no_solution(spec: Spec, givens: dict[str, Any], timeout: float, store: str | Path | None
                 ) -> tuple[bool, str, tuple[dict[str, Any], ...]]:
    from assay.specs import queries as q
    from assay.specs.terms import Unsupported

    try:
        query = q.any_solution(spec, givens)
    except Unsupported as exc:
        return False, f"unsupported: {exc}", ()
    result = solvers.prove_unsat(query, timeout=timeout, want_model=False)
    answers = tuple(a.to_json() | {"query": query.name, "claim": "no-solution"} for a in result.answers)
    if result.status == "unsat":
        return True, reasons.unsat_on([a.solver for a in result.answers]), answers
    return False, _with_reproducer(result.reason or result.status, query, spec, "no-solution", store), answers


def _with_reproducer(reason: str, query: Query, spec: Spec, claim: str, store: str | Path | None) -> str:
    if not reason.startswith("solver-disagreement"):
        return reason
    path = write_reproducer(query, store, note=f"{reason}; spec {spec.ref}, the {claim} claim")
    return f"{reason} (reproducer: {path})"


def write_reproducer(query: Query, store: str | Path | None, *, note: str) -> Path:
    """Write ``query`` as an ``.smt2`` file under ``store/reproducers/`` (or a new temporary folder).

    The file is named by the sha256 of the query, so one disagreement is
    written once; ``note`` becomes its leading comment.
    """
    text = query.smtlib()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if store is None:
        folder = Path(tempfile.mkdtemp(prefix="assay-disagreement-"))
    else:
        folder = Path(store) / "reproducers"
        folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.smt2"
    if not path.exists():
        comment = "".join(ch if ch.isprintable() else "?" for ch in note)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".smt2")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(f"; assay: {comment}\n; the {query.name} query; both solvers should answer alike\n{text}")
        os.replace(tmp, path)
    return path
