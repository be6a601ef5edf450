"""``check``: judge one proposal against a spec, for one set of givens.

The order of work, cheapest first:

1. decode the givens and the proposal into Python values of their declared
   domains; a value of the wrong shape is MALFORMED, with its path;
2. run the trusted evaluator on the original spec (CPython on the spec's own
   code, with the decoded values).  ``True`` is the only road to ACCEPTED;
3. if the spec asks for claims (``unique``, ``optimal``), prove each by UNSAT
   of its negation, confirmed by both solvers; a counterexample is confirmed
   by the evaluator before it refutes anything;
4. if the proposal is refuted, name every violated clause with the values
   that break it, then ask the solvers whether any proposal could meet the
   spec for these givens: if none can, the verdict is VACUOUS.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.specs import Spec, reasons
from assay.specs.domains import DecodeError
from assay.specs.explain import explain_clause
from assay.specs.time_limit import EvaluationLimit, evaluation_budget, limited

from . import claims as _claims
from .certify import write_certificate
from .verdicts import Location, Outcome, Verdict, Violation, make, with_fields

__all__ = ["DEFAULT_EVAL_MEMORY_MB", "DEFAULT_EVAL_TIMEOUT", "check", "explain_violations", "malformed", "unknown"]

#: Seconds of CPython running the spec's own code per proposal, in all, unless check() is told otherwise.
DEFAULT_EVAL_TIMEOUT = 10.0
#: Megabytes the process may grow by while the spec's code runs on one proposal.
DEFAULT_EVAL_MEMORY_MB = 2048.0


def malformed(why: str, where: Location | None = None, *, seconds: float = 0.0) -> Verdict:
    """The verdict for a proposal that is not a value at all (unparsable text, wrong shape)."""
    return make(Outcome.MALFORMED, why, where=where or Location(), seconds=seconds)


def unknown(reason: str, *, seconds: float = 0.0) -> Verdict:
    """The verdict when the kernel could not decide; ``reason`` names the limit hit."""
    return make(Outcome.UNKNOWN, reason, seconds=seconds)


def check(spec: Spec, givens: Mapping[str, Any], proposal: Any, *,
          store: str | Path | None = None, timeout: float = 10.0, vacuity: bool = True,
          vacuity_timeout: float = 2.0, explain: bool = True, where: Location | None = None,
          started: float | None = None, eval_timeout: float | None = DEFAULT_EVAL_TIMEOUT,
          eval_memory_mb: float | None = DEFAULT_EVAL_MEMORY_MB, spec_root: str | Path | None = None) -> Verdict:
    """Judge ``proposal`` (a JSON value) against ``spec`` for ``givens`` (a JSON object).

    ``store``, when given, is the folder certificates are written to
    (``.assay/`` by convention), naming the spec relative to ``spec_root``
    (default: the current folder), the folder ``assay recheck --spec-root``
    loads it from; ``timeout`` bounds each solver query in
    seconds; ``vacuity=False`` skips the "is the task possible at all" query
    on refutation, and ``vacuity_timeout`` bounds it (a timeout there leaves
    the verdict REFUTED, which the evaluator already decided).
    ``explain=False`` names each violated clause without the values that
    break it (the explanation is most of the cost of a refutation).  ``where`` is
    the proposal's position in its input, copied
    into MALFORMED verdicts.  ``started``, a ``time.perf_counter()`` reading,
    is when work on this proposal began (reading it, finding the answer in its
    text), so that the verdict's ``seconds`` counts that too.

    ``eval_timeout`` bounds the seconds CPython runs the spec's own code on
    this proposal, in all (decoding, the spec, its clauses and their
    explanation, objectives; not solver time), and ``eval_memory_mb`` how much
    the process may grow meanwhile: past either the verdict is UNKNOWN, saying
    which limit and what was running (``None``: no limit; see
    :mod:`assay.specs.time_limit` for what they cannot interrupt).
    """
    start = time.perf_counter() if started is None else started

    def done(v: Verdict) -> Verdict:
        v = with_fields(v, seconds=time.perf_counter() - start)
        if store is not None and v.outcome in (Outcome.ACCEPTED, Outcome.REFUTED, Outcome.VACUOUS):
            v = with_fields(v, certificate=str(write_certificate(store, spec, givens, proposal, v,
                                                                 solvers=v.solvers, vacuity=vacuity,
                                                                 explain=explain, spec_root=spec_root)))
        return v

    try:
        with evaluation_budget(eval_timeout, eval_memory_mb):
            verdict = _judge(spec, givens, proposal, timeout=timeout, vacuity=vacuity,
                             vacuity_timeout=vacuity_timeout, explain=explain, where=where, store=store)
    except EvaluationLimit as exc:  # never a verdict on the proposal: which limit, and what was running
        verdict = unknown(f"{exc.word}: {exc}")
    return done(verdict)


def _judge(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float, vacuity: bool,
           vacuity_timeout: float, explain: bool, where: Location | None, store: str | Path | None) -> Verdict:
    """check()'s work, cheapest first: the verdict, before its seconds and its certificate."""
    # Decoding, bounds and the spec, under one watch of the time limit (the calls inside take it as theirs).
    decided = limited("deciding the proposal", lambda: _decide(spec, givens, proposal, where))
    if isinstance(decided, Verdict):
        return decided
    given_values, value, violations, holds = decided
    env = {**given_values, spec.proposal.name: value}
    if holds:
        if spec.unique or spec.sense is not None:
            return _claims.settle(spec, given_values, value, timeout=timeout, store=store)
        return make(Outcome.ACCEPTED, reasons.accepted())

    if not violations:
        violations = explain_violations(spec, env) if explain else [
            Violation(c.text, c.loc.line, "violated") for c in spec.violated_clauses(env)]
    if not violations:
        # CPython said no but no clause is false under the IR evaluator: a bug in
        # assay's translation.  Never guess: say so.
        return unknown("internal: the evaluator and the spec's IR disagree on this proposal")
    lines = [(v.line, v.detail) for v in violations]
    refuted = make(Outcome.REFUTED, reasons.refuted(lines), violations=tuple(violations))
    if vacuity:
        impossible, note, answers = _claims.no_solution(spec, given_values,
                                                        timeout=min(timeout, vacuity_timeout), store=store)
        if impossible:
            return with_fields(refuted, outcome=Outcome.VACUOUS, solvers=answers,
                               reason=reasons.vacuous(note, lines))
    return refuted


def _decide(spec: Spec, givens: Mapping[str, Any], proposal: Any, where: Location | None
            ) -> Verdict | tuple[dict[str, Any], Any, list[Violation], bool]:
    """MALFORMED; or the decoded givens and proposal, the bounds it breaks, and whether the spec holds on it."""
    try:
        given_values = spec.decode_givens(givens)
    except DecodeError as exc:
        return malformed(f"the givens are not valid: {exc.path}: {exc.why}", Location(path=exc.path))
    try:
        value = spec.decode_proposal(proposal)
    except DecodeError as exc:
        loc = where or Location()
        return malformed(f"the proposal is not a {spec.proposal.domain.describe()}: {exc.path}: {exc.why}",
                         Location(loc.line, loc.column, exc.path))
    violations = [Violation(f"{spec.proposal.name}: {spec.proposal.domain.describe()}",
                            spec.proposal.loc.line, text)
                  for text in spec.out_of_bounds(value)]
    holds = not violations and spec.holds({**given_values, spec.proposal.name: value})
    return given_values, value, violations, holds


def explain_violations(spec: Spec, env: Mapping[str, Any]) -> list[Violation]:
    """Each violated clause (decided by CPython) with what breaks it (found in the IR)."""
    return [Violation(clause.text, clause.loc.line, explain_clause(clause, env))
            for clause in spec.violated_clauses(dict(env))]

