"""The solver chokepoint: every query the kernel sends to z3 or cvc5, and how each answer is read.

One function per solver turns a query into the solver's terms, runs it under
a time limit and reads the answer; :func:`read_answer` is where "sat",
"unsat" and everything else are told apart.  Anything that is not a clean sat
or unsat, a timeout, "unknown", an exception, an unsupported term, is
``unknown`` with its reason: nothing here maps it to sat or unsat.

These run in-process for now; the warm, isolated worker pool of the solver
service replaces :func:`_run_z3` and :func:`_run_cvc5` without changing
what the rest of the kernel sees.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.specs.queries import Query

__all__ = ["SolverAnswer", "UnsatProof", "prove_unsat", "read_answer", "run"]

SOLVERS = ("z3", "cvc5")


@dataclass(frozen=True)
class SolverAnswer:
    """One solver's answer to one query."""

    solver: str
    version: str
    status: str  # "sat" | "unsat" | "unknown"
    reason: str = ""
    model: Mapping[str, Any] | None = field(default=None, repr=False)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"solver": self.solver, "version": self.version, "result": self.status,
                "reason": self.reason, "seconds": round(self.seconds, 6)}


@dataclass(frozen=True)
class UnsatProof:
    """The outcome of asking both solvers whether a query is UNSAT."""

    status: str  # "unsat" (both agree), "sat" (a model to confirm), "unknown"
    answers: tuple[SolverAnswer, ...]
    reason: str = ""
    model: Mapping[str, Any] | None = None


def read_answer(solver: str, version: str, raw: str, *, reason: str = "", seconds: float = 0.0,
                model: Mapping[str, Any] | None = None) -> SolverAnswer:
    """Interpret a solver's raw result word.  Only exactly "sat" and "unsat" are answers."""
    word = raw.strip().lower()
    if word == "sat":
        return SolverAnswer(solver, version, "sat", "", model, seconds)
    if word == "unsat":
        return SolverAnswer(solver, version, "unsat", "", None, seconds)
    return SolverAnswer(solver, version, "unknown", reason or f"solver said {raw!r}", None, seconds)


def run(query: Query, solver: str, *, timeout: float) -> SolverAnswer:
    """Ask one solver about one query.  Never raises for a solver's failure: that is unknown."""
    start = time.perf_counter()
    try:
        if solver == "z3":
            return _run_z3(query, timeout, start)
        if solver == "cvc5":
            return _run_cvc5(query, timeout, start)
    except Exception as exc:  # a solver's crash costs this query, not the run
        return SolverAnswer(solver, _version(solver), "unknown",
                            f"error: {type(exc).__name__}: {exc}", None, time.perf_counter() - start)
    raise ValueError(f"unknown solver {solver!r} (expected one of {', '.join(SOLVERS)})")


def prove_unsat(query: Query, *, timeout: float, want_model: bool = True) -> UnsatProof:
    """UNSAT only if z3 says so and cvc5 confirms it; SAT comes with the model to be confirmed.

    With ``want_model=False`` (the caller has no use for a counterexample),
    cvc5 is not asked when z3 did not say unsat: it could not make it a proof.
    """
    first = run(query, "z3", timeout=timeout)
    if first.status == "sat":
        return UnsatProof("sat", (first,), "", first.model)
    if first.status != "unsat" and not want_model:
        return UnsatProof("unknown", (first,), f"{first.reason or 'unknown'} (z3: {first.reason})")
    second = run(query, "cvc5", timeout=timeout)
    answers = (first, second)
    if first.status == "unsat" and second.status == "unsat":
        return UnsatProof("unsat", answers)
    if second.status == "sat":
        if first.status == "unsat":
            return UnsatProof("unknown", answers, "solver-disagreement: z3 says unsat, cvc5 says sat")
        return UnsatProof("sat", answers, "", second.model)
    reasons = "; ".join(f"{a.solver}: {a.reason or a.status}" for a in answers if a.status != "unsat")
    kind = "timeout" if "timeout" in reasons or "resource" in reasons else "unknown"
    return UnsatProof("unknown", answers, f"{kind} ({reasons})")


def _version(solver: str) -> str:
    try:
        if solver == "z3":
            import z3

            return str(z3.get_version_string())
        import cvc5

        return str(getattr(cvc5, "__version__", "unknown"))
    except Exception:
        return "unavailable"


def _run_z3(query: Query, timeout: float, start: float) -> SolverAnswer:
    import z3
    from assay.specs import smt

    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    s.set("timeout", max(1, int(timeout * 1000)))
    for t in query.assertions:
        s.add(smt.to_z3(t, ctx))
    raw = str(s.check())
    model = smt.z3_model_values(s.model(), query.encoding.variables) if raw == "sat" else None
    return read_answer("z3", _version("z3"), raw, reason=_z3_reason(s, raw),
                       seconds=time.perf_counter() - start, model=model)


def _z3_reason(s: Any, raw: str) -> str:
    if raw != "unknown":
        return ""
    why = str(s.reason_unknown())
    return "timeout" if "timeout" in why or "canceled" in why else f"unknown: {why}"


def _run_cvc5(query: Query, timeout: float, start: float) -> SolverAnswer:
    import cvc5
    from assay.specs import smt

    tm = cvc5.TermManager()
    s = cvc5.Solver(tm)
    s.setOption("produce-models", "true")
    s.setOption("tlimit-per", str(max(1, int(timeout * 1000))))
    s.setLogic("ALL")
    symbols: dict[str, Any] = {}
    for t in query.assertions:
        s.assertFormula(smt.to_cvc5(tm, t, symbols))
    r = s.checkSat()
    if r.isSat():
        raw = "sat"
    elif r.isUnsat():
        raw = "unsat"
    else:
        raw = "unknown"
    model = smt.cvc5_model_values(s, tm, query.encoding.variables, symbols) if raw == "sat" else None
    reason = ""
    if raw == "unknown":
        why = str(r.getUnknownExplanation())
        reason = "timeout" if "TIMEOUT" in why or "RESOURCE" in why else f"unknown: {why}"
    return read_answer("cvc5", _version("cvc5"), raw, reason=reason,
                       seconds=time.perf_counter() - start, model=model)
