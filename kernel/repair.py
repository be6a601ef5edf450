"""Repair a refuted value proposal, or solve the task outright: the two re-offloads to the solver.

* :func:`repair` finds the proposal nearest to a refuted one that meets the
  spec: it keeps as many leaf fields (the scalar solver variables of the
  encoding) as it can, and then, among those, moves its ints by the least
  total amount.  It is a MaxSMT by bounded search through the one solver
  chokepoint, never an optimizer object in this process: "is there a solution
  with at most ``k`` changed fields?" for ``k = 1, 2, 4``, then for any ``k``,
  until one is found, then a binary search between the last UNSAT and the
  changes of the best solution found; the same for the total change of the
  ints.  Minimality is proved when the bound below the answer is UNSAT on
  both solvers (or is 0: the proposal itself is refuted); a timeout there
  leaves the repair "not proved minimal".
* :func:`solve_outright` asks the solvers for any solution, and, for a spec
  that maximizes or minimizes, improves it until no better one exists.

Neither decides anything itself: the value the solvers found goes through
:func:`.check.check` like any proposal, and only its ACCEPTED verdict (with
its certificate) becomes REPAIRED or ACCEPTED.  A solver's model that the
evaluator rejects stops the search (UNKNOWN, never a guess), and a minimality
the solvers did not prove by UNSAT on both is reported as found, not proved.

Cost: every solver answer either function used is in the verdict's
``solvers`` (with its ``seconds``), so a ledger can sum them, and
``seconds`` is the wall time.  ``budget`` caps the solver seconds of the
whole call: the search gets what is left after keeping, for the final
check(), two solvers' ``timeout`` per claim of the spec (``unique``,
``optimal``), which is how the offload loop counts a repair.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from assay.specs import Spec
from assay.specs import queries as q
from assay.specs.domains import DecodeError
from assay.specs.evaluate import Undefined
from assay.specs.symbolic import encode
from assay.specs.terms import Unsupported
from assay.specs.time_limit import EvaluationLimit, evaluation_budget

from . import solvers
from .check import DEFAULT_EVAL_MEMORY_MB, DEFAULT_EVAL_TIMEOUT, check, malformed, unknown
from .verdicts import Location, Outcome, Verdict, make, with_fields

if TYPE_CHECKING:
    from assay.specs.queries import Query

__all__ = ["BUDGET_FACTOR", "repair", "solve_outright"]

# The default budget, in solver seconds, is this many times the per-query timeout:
# the offload loop counts a repair as about two queries, each on both solvers.
BUDGET_FACTOR: Final = 4.0
# A query given less time than this is not worth starting.
MIN_QUERY_SECONDS: Final = 0.01
# The largest bound on the changed fields tried before asking for any solution at all.
GALLOP: Final = 4
# How many changes a reason lists before it says "and N more".
SHOWN_CHANGES: Final = 5


# (eval_timeout, eval_memory_mb): the limits on CPython running the spec's code, passed to every check().
Limits = tuple[float | None, float | None]


def repair(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float = 10.0,
           store: str | Path | None = None, budget: float | None = None, where: Location | None = None,
           eval_timeout: float | None = DEFAULT_EVAL_TIMEOUT,
           eval_memory_mb: float | None = DEFAULT_EVAL_MEMORY_MB) -> Verdict:
    """The nearest proposal that meets the spec, as a REPAIRED verdict; or why there is none.

    ``proposal`` and ``givens`` are JSON, as for :func:`.check.check`.  A
    proposal check() does not REFUTE comes back with check's verdict
    (ACCEPTED, MALFORMED, UNKNOWN, VACUOUS).  A refuted one is repaired when
    the solvers find a value that keeps most of its leaf fields and check()
    ACCEPTS that value (its claims included); otherwise the REFUTED verdict
    comes back with a note saying why it was not repaired.  ``timeout``
    bounds each solver query; ``budget`` bounds the solver seconds of the
    whole call (default: ``BUDGET_FACTOR * timeout`` for the search, plus two
    solvers' ``timeout`` per claim for the final check).
    For a ``unique`` spec the first solution found is the repair (there is
    no other); for one that maximizes or minimizes, the optimum is found
    first and the repair must reach it.  ``eval_timeout`` and
    ``eval_memory_mb`` bound CPython running the spec's code over the whole
    search, as :func:`.check.check` bounds it per proposal (past them:
    UNKNOWN).
    """
    start = time.perf_counter()
    try:
        with evaluation_budget(eval_timeout, eval_memory_mb):
            return _repair(spec, givens, proposal, timeout=timeout, store=store, budget=budget, where=where,
                           start=start, limits=(eval_timeout, eval_memory_mb))
    except EvaluationLimit as exc:
        return unknown(f"{exc.word}: {exc}, searching for a repair", seconds=time.perf_counter() - start)


def _repair(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float, store: str | Path | None,
            budget: float | None, where: Location | None, start: float, limits: Limits
            ) -> Verdict:
    first = check(spec, givens, proposal, store=store, timeout=timeout, vacuity=False, where=where,
                  eval_timeout=limits[0], eval_memory_mb=limits[1])
    if first.outcome is not Outcome.REFUTED:
        return first
    asker = _Asker(spec, spec.decode_givens(givens), timeout, budget)
    asker.charge(first.solvers)

    def refused(note: str) -> Verdict:
        return with_fields(first, reason=f"{first.reason}; not repaired: {note}", solvers=tuple(asker.answers),
                           seconds=time.perf_counter() - start)

    value = spec.decode_proposal(proposal)
    if spec.unique and not spec.out_of_bounds(value) and spec.holds({**asker.givens, spec.proposal.name: value}):
        return refused("the proposal meets the spec but is not its only solution, so no repair can be unique")
    try:
        found = _nearest(asker, value)
    except (Unsupported, Undefined) as exc:
        return refused(f"unsupported: {exc}")
    if found.impossible:
        # Both solvers proved that no proposal meets the spec: check() says so with its certificate.
        vacuous = check(spec, givens, proposal, store=store, timeout=timeout, vacuity=True,
                        eval_timeout=limits[0], eval_memory_mb=limits[1],
                        vacuity_timeout=timeout, where=where)
        return with_fields(vacuous, solvers=(*asker.answers, *vacuous.solvers), seconds=time.perf_counter() - start)
    if found.value is None:
        return refused(found.note)
    repaired = spec.proposal.domain.encode(found.value)
    limit = asker.claims_timeout()
    if limit < MIN_QUERY_SECONDS:
        return refused(f"budget: {asker.spent:.3f} of {asker.budget:g} solver seconds spent before the final check")
    accepted = check(spec, givens, repaired, store=store, timeout=limit, eval_timeout=limits[0],
                     eval_memory_mb=limits[1])
    if accepted.outcome is not Outcome.ACCEPTED:
        return refused(f"check() did not accept the nearest solution {repaired!r}: {accepted.reason}")
    changes = q.field_changes(spec.proposal.domain, value, found.value)
    return with_fields(accepted, outcome=Outcome.REPAIRED, reason=f"{_summary(changes, found)}; {accepted.reason}",
                       answer=repaired, changes=tuple(c.line() for c in changes),
                       solvers=(*asker.answers, *accepted.solvers), seconds=time.perf_counter() - start)


def solve_outright(spec: Spec, givens: Mapping[str, Any], *, timeout: float = 10.0,
                   store: str | Path | None = None, budget: float | None = None,
                   eval_timeout: float | None = DEFAULT_EVAL_TIMEOUT,
                   eval_memory_mb: float | None = DEFAULT_EVAL_MEMORY_MB) -> Verdict:
    """A solution computed by the solvers from the spec alone, accepted by check(); or why there is none.

    ACCEPTED with ``answer`` (JSON) when check() accepts the value the
    solvers found (for a spec that maximizes or minimizes, improved until
    both solvers prove nothing better exists); VACUOUS when both prove no
    proposal meets the spec; UNKNOWN, with the reason, on a timeout, a spent
    ``budget`` (solver seconds, as for :func:`repair`) or an
    unsupported spec.  A value check() refutes (a ``unique`` spec with two
    solutions) comes back with check's verdict.  ``eval_timeout`` and
    ``eval_memory_mb`` bound CPython running the spec's code, as for
    :func:`repair`.
    """
    start = time.perf_counter()
    try:
        with evaluation_budget(eval_timeout, eval_memory_mb):
            return _solve_outright(spec, givens, timeout=timeout, store=store, budget=budget, start=start,
                                   limits=(eval_timeout, eval_memory_mb))
    except EvaluationLimit as exc:
        return unknown(f"{exc.word}: {exc}, solving outright", seconds=time.perf_counter() - start)


def _solve_outright(spec: Spec, givens: Mapping[str, Any], *, timeout: float, store: str | Path | None,
                    budget: float | None, start: float, limits: Limits) -> Verdict:
    try:
        decoded = spec.decode_givens(givens)
    except DecodeError as exc:
        return malformed(f"the givens are not valid: {exc.path}: {exc.why}", Location(path=exc.path))
    asker = _Asker(spec, decoded, timeout, budget)

    def done(v: Verdict) -> Verdict:
        return with_fields(v, solvers=(*asker.answers, *v.solvers), seconds=time.perf_counter() - start)

    try:
        status, value, note = _best(asker)
    except (Unsupported, Undefined) as exc:
        return done(unknown(f"unsupported: {exc}"))
    if status == "unsat":
        return done(make(Outcome.VACUOUS, f"no proposal can meet the spec for these givens "
                                          f"(the solvers proved it: {note})"))
    if value is None or status != "sat":
        return done(unknown(f"{note}: the solvers found no solution"
                            if value is None else f"{note}: the solvers found a solution but not the optimum"))
    answer = spec.proposal.domain.encode(value)
    verdict = check(spec, givens, answer, store=store, timeout=max(asker.claims_timeout(), MIN_QUERY_SECONDS),
                    eval_timeout=limits[0], eval_memory_mb=limits[1])
    if verdict.outcome is Outcome.ACCEPTED:
        return done(with_fields(verdict, reason=f"the solvers found it ({asker.queries} queries); {verdict.reason}",
                                answer=answer))
    return done(with_fields(verdict, reason=f"the solvers' answer {answer!r}: {verdict.reason}"))


# --- asking the solvers within a budget --------------------------------------------


class _Asker:
    """Asks z3 and cvc5 through the chokepoint, within a budget of solver seconds, keeping every answer."""

    def __init__(self, spec: Spec, givens: dict[str, Any], timeout: float, budget: float | None) -> None:
        self.spec, self.givens, self.timeout = spec, givens, timeout
        self.claims = int(spec.unique) + int(spec.sense is not None)
        # Kept back for the final check(), which proves each claim on both solvers.
        self.reserve = 2 * self.claims * timeout
        self.budget = BUDGET_FACTOR * timeout + self.reserve if budget is None else budget
        self.answers: list[dict[str, Any]] = []
        self.spent = 0.0
        self.queries = 0

    def charge(self, answers: tuple[dict[str, Any], ...]) -> None:
        self.answers += answers
        self.spent += sum(float(a.get("seconds", 0.0)) for a in answers)

    def query_timeout(self) -> float:
        """Each solver's time for the next search query: both run at once, so half of what is left."""
        return min(self.timeout, (self.budget - self.reserve - self.spent) / 2)

    def claims_timeout(self) -> float:
        """Each solver's time for each claim of the final check(), from what is left."""
        return min(self.timeout, (self.budget - self.spent) / max(1, 2 * self.claims))

    def solution(self, query: Query, claim: str) -> tuple[str, Any, str]:
        """``("sat", value, "")`` with a value the evaluator accepts, ``("unsat", None, how)`` or
        ``("unknown", None, why)``."""
        limit = self.query_timeout()
        if limit < MIN_QUERY_SECONDS:
            return "unknown", None, f"budget: {self.spent:.3f} of {self.budget:g} solver seconds spent"
        self.queries += 1
        result = solvers.prove_unsat(query, timeout=limit)
        self.charge(tuple(a.to_json() | {"query": query.name, "claim": claim}
                          for a in result.answers))
        if result.status == "unsat":
            return "unsat", None, "UNSAT on " + " and ".join(a.solver for a in result.answers)
        if result.status != "sat":
            return "unknown", None, result.reason or "unknown"
        try:
            value = query.witness(result.model or {})
        except (IndexError, KeyError, TypeError, ValueError) as exc:
            return "unknown", None, f"solver-model-rejected: its model does not decode ({exc})"
        env = {**self.givens, self.spec.proposal.name: value}
        if self.spec.out_of_bounds(value) or not self.spec.holds(env):
            return "unknown", None, (f"solver-model-rejected: {result.answers[-1].solver}'s model is not a "
                                     "solution by the evaluator")
        return "sat", value, ""


def _best(asker: _Asker) -> tuple[str, Any, str]:
    """Any solution, then (for a spec with an objective) better ones until UNSAT says it is optimal.

    ``("sat", value, how)`` when done; ``("unsat", None, how)`` when there is
    no solution; ``("unknown", best so far or None, why)`` when the solvers
    or the budget gave out.
    """
    spec, givens = asker.spec, asker.givens
    if spec.sense is None:
        return asker.solution(q.any_solution(spec, givens), "solve")
    # The optimum is among the solutions whose objective does not raise: ask for one of those first.
    status, value, note = asker.solution(q.defined_solution(spec, givens), "solve")
    if status == "unsat":
        # No solution has a defined objective; whether any solution exists decides VACUOUS.
        status, value, note = asker.solution(q.any_solution(spec, givens), "solve")
        return status, value, (f"{note}; no solution has an objective that does not raise"
                               if status == "sat" else note)
    if status != "sat":
        return status, value, note
    while True:
        status, better, note = asker.solution(q.better_solution(spec, givens, value), "solve")
        if status == "unsat":
            return "sat", value, f"optimal: {note}"
        if status != "sat":
            return "unknown", value, note
        if not _improves(spec, givens, better, value):
            return "unknown", value, "solver-model-rejected: a 'better' solution is not better"
        value = better


def _improves(spec: Spec, givens: dict[str, Any], new: Any, old: Any) -> bool:
    a, b = q.objective_value(spec, givens, new), q.objective_value(spec, givens, old)
    return a > b if spec.sense == "max" else a < b


# --- the nearest solution ------------------------------------------------------------


@dataclass
class _Found:
    """The search's outcome: the best value (None: none found) and what was proved about it."""

    value: Any = None
    changed: int = 0
    minimal: str = ""  # how minimality was proved, or why it was not ("not proved minimal: ...")
    distance: int = 0
    least: str = ""  # the same for the total change of the ints ("" when it has none)
    note: str = ""  # why nothing was found
    impossible: bool = False  # both solvers proved that nothing meets the spec


def _nearest(asker: _Asker, value: Any) -> _Found:
    """The solution with the fewest changed leaf fields, then the least total int change."""
    spec, givens = asker.spec, asker.givens
    objective: int | None = None
    if spec.sense is not None:
        status, best, note = _best(asker)
        if status != "sat":
            return _Found(note=f"{note}: the optimum, which a repair must reach, was not found",
                          impossible=status == "unsat")
        objective = q.objective_value(spec, givens, best)

    enc = encode(spec, givens)

    def ask(changed: int | None, distance: int | None) -> tuple[str, Any, str]:
        query = q.nearest_solution(spec, givens, value, max_changed=changed, max_distance=distance,
                                   objective=objective, encoding=enc)
        return asker.solution(query, "repair")

    if spec.unique:
        # A unique spec has one solution: the first found is the nearest, and check() proves it the only one.
        status, got, note = ask(None, None)
        if status != "sat":
            return _Found(note=f"{note}, asking for any solution", impossible=status == "unsat")
        return _Found(got, _changed(spec.proposal.domain, value, got),
                      minimal="minimal: it is the only solution (the unique claim below)")
    found = _fewest_changes(asker, value, ask, len(enc.variables))
    if found.value is not None:
        _least_distance(value, found, ask, spec)
    return found


# Ask for a solution within (max_changed, max_distance): (status, value, note) as _Asker.solution says.
Ask = Callable[[int | None, int | None], tuple[str, Any, str]]


def _fewest_changes(asker: _Asker, value: Any, ask: Ask, variables: int) -> _Found:
    """Ask for k = 1, 2, 4 changed fields, then any number, to the first solution; binary search down from it.

    Model answers are mostly near misses, found at small k; past :data:`GALLOP` one
    unbounded query finds a solution to search down from, or proves there is none.
    """
    domain = asker.spec.proposal.domain
    total = variables + q.leaf_count(domain, value)  # no repair changes more than every field
    lo, k = 1, 1  # the proposal itself is refuted: at least one field must change
    lo_how = "the proposal itself is refuted"
    gave_out = ""  # a query that timed out on the way up: minimality cannot be proved below it
    while True:
        status, got, note = _within(ask, domain, value, k, None)
        if status == "sat":
            found = _Found(got, _changed(domain, value, got))
            break
        if status == "unsat":
            if k >= total:
                return _Found(note=f"no proposal meets the spec, whatever changes ({note})", impossible=True)
            lo, lo_how = k + 1, f"none with at most {k} changed: {note}"
        else:
            gave_out = f"{note}, asking for a solution with at most {k} changed"
            # Only a timeout is worth a larger k (an easier query); a rejected model or a spent budget is not.
            if k >= total or not note.startswith("timeout"):
                return _Found(note=gave_out)
        k = 2 * k if 2 * k <= GALLOP else total
    if gave_out:
        found.minimal = f"not proved minimal: {gave_out}"
        return found
    while lo < found.changed:
        mid = (lo + found.changed - 1) // 2
        status, got, note = _within(ask, domain, value, mid, None)
        if status == "unsat":
            lo, lo_how = mid + 1, f"none with at most {mid} changed: {note}"
        elif status == "sat":
            found.value, found.changed = got, _changed(domain, value, got)
        else:
            found.minimal = f"not proved minimal: {note}, asking for at most {mid} changed"
            return found
    found.minimal = f"minimal: {lo_how}"
    return found


def _least_distance(value: Any, found: _Found, ask: Ask, spec: Spec) -> None:
    """Among solutions with ``found.changed`` changes, binary search the least total int change."""
    domain = spec.proposal.domain
    found.distance = _distance(domain, value, found.value)
    lo = 0
    while lo < found.distance:
        mid = (lo + found.distance - 1) // 2
        status, got, note = _within(ask, domain, value, found.changed, mid)
        if status == "unsat":
            lo = mid + 1
        elif status == "sat":
            found.value, found.distance = got, _distance(domain, value, got)
            found.changed = _changed(domain, value, got)
        else:
            found.least = f"not proved least: {note}, asking for a total change of at most {mid}"
            return
    found.least = "the least (UNSAT below it on z3 and cvc5)" if found.distance else ""


def _within(ask: Ask, domain: Any, value: Any, changed: int, distance: int | None) -> tuple[str, Any, str]:
    """``ask``, with the solution's changes counted again here: a solver's word on them is a hint."""
    status, got, note = ask(changed, distance)
    if status != "sat":
        return status, got, note
    count, moved = _changed(domain, value, got), _distance(domain, value, got)
    if count > changed or (distance is not None and moved > distance):
        return "unknown", None, (f"solver-model-rejected: asked for at most {changed} changed fields"
                                 f"{'' if distance is None else f' and a change of at most {distance}'}, "
                                 f"its solution has {count} and {moved}")
    return status, got, note


def _changed(domain: Any, old: Any, new: Any) -> int:
    return len(q.field_changes(domain, old, new))


def _distance(domain: Any, old: Any, new: Any) -> int:
    return sum(c.distance for c in q.field_changes(domain, old, new))


def _summary(changes: list[q.FieldChange], found: _Found) -> str:
    shown = ", ".join(c.line() for c in changes[:SHOWN_CHANGES])
    more = f" and {len(changes) - SHOWN_CHANGES} more" if len(changes) > SHOWN_CHANGES else ""
    plural = "field" if len(changes) == 1 else "fields"
    out = f"repaired: {len(changes)} {plural} changed ({shown}{more}); {found.minimal}"
    if found.distance:
        out += f"; total change of the numbers {found.distance}" + (f", {found.least}" if found.least else "")
    return out
