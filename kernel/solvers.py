"""The solver chokepoint: every query the kernel sends to z3 or cvc5, and how each answer is read.

One function per solver turns a query into the solver's terms, runs it under
a time limit and reads the answer; :func:`read_answer` is where "sat",
"unsat" and everything else are told apart.  Anything that is not a clean sat
or unsat, a timeout, "unknown", an exception, an unsupported term, is
``unknown`` with its reason: nothing here maps it to sat or unsat.

Queries run in warm, isolated worker processes (:mod:`.pool`): one
process-wide pool, started at the first query, with a worker per core.  A
worker that crashes, runs out of memory or outlives its wall-clock limit
costs its query (``unknown``, reason ``crash``, ``memout`` or ``timeout``),
never the run.  :func:`prove_unsat` asks z3 and cvc5 at the same time and
stops the other as soon as one finds a model.

Environment:

* ``ASSAY_SOLVER_POOL=0`` runs the solvers in this process instead (for
  debugging with a Python debugger or a profiler): no memory limit and no
  wall-clock kill, only the solvers' own time limits.
* ``ASSAY_SOLVER_MEMORY_MB`` sets each worker's address-space cap
  (default :data:`.pool.DEFAULT_MEMORY_MB`).
* ``ASSAY_SOLVER_WORKERS`` sets the number of workers (default: the cores).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.specs.queries import Query

    from .pool import Job, SolverPool

__all__ = ["SolverAnswer", "UnsatProof", "ask_scripts", "pool_enabled", "prove_unsat", "read_answer", "run",
           "shared_pool"]

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
    options: Mapping[str, Any] | None = None  # as the solver was set up, when known

    def to_json(self) -> dict[str, Any]:
        out = {"solver": self.solver, "version": self.version, "result": self.status,
               "reason": self.reason, "seconds": round(self.seconds, 6)}
        if self.options is not None:
            out["options"] = dict(self.options)
        return out


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
        return _failed(solver, exc, start)
    raise ValueError(f"unknown solver {solver!r} (expected one of {', '.join(SOLVERS)})")


_RUN = run


def _run_z3(query: Query, timeout: float, start: float) -> SolverAnswer:
    if not pool_enabled():
        return _inprocess_z3(query, timeout, start)
    from .pool import CONFIGS

    job = _job(query, CONFIGS["z3"], timeout)
    return _answer(shared_pool().solve(job), job)


def _run_cvc5(query: Query, timeout: float, start: float) -> SolverAnswer:
    if not pool_enabled():
        return _inprocess_cvc5(query, timeout, start)
    from .pool import CONFIGS

    job = _job(query, CONFIGS["cvc5"], timeout)
    return _answer(shared_pool().solve(job), job)


def prove_unsat(query: Query, *, timeout: float, want_model: bool = True) -> UnsatProof:
    """UNSAT only if z3 says so and cvc5 confirms it; SAT comes with the model to be confirmed.

    Both solvers are asked at once (one worker each); the first model ends
    the race.  With ``want_model=False`` (the caller has no use for a
    counterexample), an answer other than unsat from either ends it too: the
    other could not make it a proof.
    """
    first, second = _ask_both(query, timeout, want_model)
    if first.status == "sat":
        return UnsatProof("sat", (first,), "", first.model)
    if first.status != "unsat" and not want_model:
        return UnsatProof("unknown", (first,), f"{first.reason or 'unknown'} ({first.solver}: {first.reason})")
    assert second is not None
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


def _ask_both(query: Query, timeout: float, want_model: bool) -> tuple[SolverAnswer, SolverAnswer | None]:
    """z3's answer and cvc5's (None when it was not needed)."""
    if run is not _RUN or not pool_enabled():
        # In-process, or `run` replaced (tests inject answers that way): one solver after the other.
        first = run(query, "z3", timeout=timeout)
        if first.status == "sat" or (first.status != "unsat" and not want_model):
            return first, None
        return first, run(query, "cvc5", timeout=timeout)
    from .pool import CONFIGS

    start = time.perf_counter()
    try:
        jobs = [_job(query, CONFIGS[name], timeout) for name in SOLVERS]
    except Exception as exc:  # the query cannot be written as SMT-LIB: unknown, from both
        return _failed("z3", exc, start), _failed("cvc5", exc, start)

    def decisive(o: Any) -> bool:
        return bool(o.raw == "sat" or (o.raw != "unsat" and not want_model))

    z3_out, cvc5_out = (None if o is None or o.reason.startswith("cancelled") else o
                        for o in shared_pool().run_many(jobs, stop=decisive))
    if z3_out is not None:
        return _answer(z3_out, jobs[0]), None if cvc5_out is None else _answer(cvc5_out, jobs[1])
    assert cvc5_out is not None  # z3 was stopped only because cvc5 decided
    return _answer(cvc5_out, jobs[1]), None


def ask_scripts(scripts: Sequence[tuple[str, str]], *, timeout: float) -> list[SolverAnswer]:
    """Ask each (SMT-LIB2 text, configuration name) pair its sat question; the answers in the same order.

    For obligations written as text (formalisations, not spec encodings):
    the texts must already have passed :func:`assay.specs.smtlib_hygiene.check_smtlib`.
    No model is read.  All run at once on the pool's workers; a failure is
    ``unknown`` with its reason, as everywhere.
    """
    from .pool import CONFIGS, Job

    jobs = [Job(text, {}, CONFIGS[name], timeout=timeout) for text, name in scripts]
    if not pool_enabled():
        return [_inprocess_script(job) for job in jobs]
    outcomes = shared_pool().run_many(jobs)
    return [_answer(o, job) for o, job in zip(outcomes, jobs, strict=True)]


def unsat_core(script: str, *, timeout: float) -> tuple[int, ...] | None:
    """Which top-level assertions of ``script`` z3 needed to find it unsat (0-based, in order); None otherwise.

    Evidence for a person, never a verdict: a caller that states the core
    as inconsistent confirms it with both solvers first.  ``script`` must
    already have passed the hygiene check, as for :func:`ask_scripts`.
    """
    from .pool import CONFIGS, Job

    job = Job(script, {}, CONFIGS["z3-core"], timeout=timeout)
    if not pool_enabled():
        try:
            raw, _, found = _inprocess_solve(job)
        except Exception:
            return None
    else:
        out = shared_pool().run_many([job])[0]
        if out is None:
            return None
        raw, found = out.raw, dict(out.model) if out.model is not None else None
    if raw != "unsat" or not isinstance(found, dict) or not isinstance(found.get("core"), list):
        return None
    return tuple(int(i) for i in found["core"])


def _inprocess_solve(job: Job) -> tuple[str, str, Any]:
    """A text job solved in this process, as a worker would: (raw word, reason, what the worker returns)."""
    from . import pool, solver_worker

    out = solver_worker.solve(pool.job_message(job), pool.DEFAULT_MEMORY_MB)
    return out["raw"], out["reason"], out["model"]


def _inprocess_script(job: Job) -> SolverAnswer:
    from . import pool

    start = time.perf_counter()
    try:
        raw, reason, _ = _inprocess_solve(job)
    except Exception as exc:
        return _failed(job.config.solver, exc, start)
    answer = read_answer(job.config.solver, _version(job.config.solver), raw, reason=reason,
                         seconds=time.perf_counter() - start)
    return dataclasses.replace(answer, options=pool.solver_options(job))


def pool_enabled() -> bool:
    """Whether queries go to the worker pool (``ASSAY_SOLVER_POOL`` is not ``0``)."""
    return os.environ.get("ASSAY_SOLVER_POOL", "1").strip().lower() not in ("0", "false", "no", "off")


_POOL: list[SolverPool] = []  # the one shared pool, once started
_POOL_LOCK = threading.Lock()


def shared_pool() -> SolverPool:
    """The process-wide worker pool, started at first use (its workers start lazily too)."""
    with _POOL_LOCK:
        if not _POOL:
            from .pool import DEFAULT_MEMORY_MB, SolverPool

            workers = os.environ.get("ASSAY_SOLVER_WORKERS")
            memory = os.environ.get("ASSAY_SOLVER_MEMORY_MB")
            _POOL.append(SolverPool(int(workers) if workers else None,
                                    memory_mb=int(memory) if memory else DEFAULT_MEMORY_MB))
        return _POOL[0]


def _job(query: Query, config: Any, timeout: float) -> Job:
    from assay.specs.smt import to_smtlib

    from .pool import Job

    variables = query.encoding.variables
    text = to_smtlib(query.assertions, declare=variables)
    return Job(text, {n: s.value for n, s in variables.items()}, config, timeout=timeout)


def _answer(out: Any, job: Job) -> SolverAnswer:
    """A pool outcome, read by :func:`read_answer` like every other answer, with the options used."""
    from .pool import solver_options

    answer = read_answer(out.solver, out.version or _version(out.solver), out.raw, reason=out.reason,
                         seconds=out.seconds, model=out.model)
    return dataclasses.replace(answer, options=solver_options(job))


def _failed(solver: str, exc: Exception, start: float) -> SolverAnswer:
    return SolverAnswer(solver, _version(solver), "unknown", f"error: {type(exc).__name__}: {exc}", None,
                        time.perf_counter() - start)


def _version(solver: str) -> str:
    try:
        if solver == "z3":
            import z3

            return str(z3.get_version_string())
        import cvc5

        return str(getattr(cvc5, "__version__", "unknown"))
    except Exception:
        return "unavailable"


def _inprocess_z3(query: Query, timeout: float, start: float) -> SolverAnswer:
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


def _inprocess_cvc5(query: Query, timeout: float, start: float) -> SolverAnswer:
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
