"""The solver chokepoint: every query the kernel sends to z3 or cvc5, and how each answer is read.

A query goes to the solvers as one text, :meth:`assay.specs.queries.Query.smtlib`,
the same text a certificate records and ``assay recheck`` replays; a worker
solves that text and returns the solver's raw word, and :func:`read_answer`
reads it with :func:`assay.specs.solver_word.read_word`, the one place where
"sat", "unsat" and everything else are told apart.  Anything that is not a clean sat or unsat, a timeout, "unknown",
an exception, an unsupported term, is ``unknown`` with its reason: nothing
here maps it to sat or unsat.  Every answer carries the sha256 of the text
its solver was given (``smtlib_sha256``), so that whoever records the text
can check it is the one that was solved.

Queries run in warm, isolated worker processes (:mod:`.pool`): one
process-wide pool, started at the first query, with a worker per core.  A
worker that crashes, runs out of memory or outlives its wall-clock limit
costs its query (``unknown``, reason ``crash``, ``memout`` or ``timeout``),
never the run.  :func:`prove_unsat` asks z3 and cvc5 at the same time and
stops the other as soon as one finds a model.

Environment:

* ``ASSAY_SOLVER_POOL=0`` runs the worker's code in this process instead
  (:class:`.pool.InProcessPool`, for debugging with a Python debugger or a
  profiler): the same texts, but no memory limit and no wall-clock kill,
  only the solvers' own time limits.
* ``ASSAY_SOLVER_MEMORY_MB`` sets each worker's address-space cap
  (default :data:`.pool.DEFAULT_MEMORY_MB`).
* ``ASSAY_SOLVER_WORKERS`` sets the number of workers (default: the cores).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assay.specs.solver_word import read_word

if TYPE_CHECKING:
    from assay.specs.queries import Query

    from .pool import Job, Pool, SolverPool, WorkerReply

__all__ = ["SolverAnswer", "UnsatProof", "ask_scripts", "check_text_sent", "pool_enabled", "prove_unsat",
           "read_answer", "run", "shared_pool", "unsat_core", "use_pool"]

SOLVERS = ("z3", "cvc5")


@dataclass(frozen=True)
class SolverAnswer:
    """One solver's answer to one query."""

    solver: str
    version: str
    status: str  # "sat" | "unsat" | "unknown", as read_answer reads the solver's word
    reason: str = ""
    model: Mapping[str, Any] | None = field(default=None, repr=False)
    seconds: float = 0.0
    options: Mapping[str, Any] | None = None  # as the solver was set up, when known
    smtlib_sha256: str = ""  # of the SMT-LIB2 text the solver was given

    def to_json(self) -> dict[str, Any]:
        out = {"solver": self.solver, "version": self.version, "result": self.status,
               "reason": self.reason, "seconds": round(self.seconds, 6)}
        if self.options is not None:
            out["options"] = dict(self.options)
        if self.smtlib_sha256:
            out["smtlib_sha256"] = self.smtlib_sha256
        return out


@dataclass(frozen=True)
class UnsatProof:
    """The outcome of asking both solvers whether a query is UNSAT."""

    status: str  # "unsat" (both agree), "sat" (a model to confirm), "unknown"
    answers: tuple[SolverAnswer, ...]
    reason: str = ""
    model: Mapping[str, Any] | None = None

    @property
    def smtlib_sha256(self) -> str:
        """The sha256 of the text both solvers were given ("" when no answer says)."""
        return next((a.smtlib_sha256 for a in self.answers if a.smtlib_sha256), "")


def read_answer(solver: str, version: str, raw: str, *, reason: str = "", seconds: float = 0.0,
                model: Mapping[str, Any] | None = None) -> SolverAnswer:
    """A solver's raw word as an answer, read by :func:`assay.specs.solver_word.read_word`.

    Only exactly "sat" and "unsat" are answers; the model is kept for "sat" only.
    """
    status, why = read_word(raw, reason)
    return SolverAnswer(solver, version, status, why, model if status == "sat" else None, seconds)


def run(query: Query, solver: str, *, timeout: float) -> SolverAnswer:
    """Ask one solver about one query.  Never raises for a solver's failure: that is unknown."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r} (expected one of {', '.join(SOLVERS)})")
    from .pool import CONFIGS

    start = time.perf_counter()
    try:
        job = _job(query, CONFIGS[solver], timeout)
        return _answer(shared_pool().solve(job), job)
    except Exception as exc:  # a solver's or a pool's failure costs this query, not the run
        return _failed(solver, exc, start)


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
    from .pool import CONFIGS

    start = time.perf_counter()
    try:
        jobs = [_job(query, CONFIGS[name], timeout) for name in SOLVERS]
    except Exception as exc:  # the query cannot be written as SMT-LIB: unknown, from both
        return _failed("z3", exc, start), _failed("cvc5", exc, start)

    def decisive(o: WorkerReply) -> bool:
        status, _ = read_word(o.raw)
        return status == "sat" or (status != "unsat" and not want_model)

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
    answers = []
    for reply, job in zip(shared_pool().run_many(jobs), jobs, strict=True):
        assert reply is not None  # without `stop`, every job has a reply
        answers.append(_answer(reply, job))
    return answers


def unsat_core(script: str, *, timeout: float) -> tuple[int, ...] | None:
    """Which top-level assertions of ``script`` z3 needed to find it unsat (0-based, in order); None otherwise.

    Evidence for a person, never a verdict: a caller that states the core
    as inconsistent confirms it with both solvers first.  ``script`` must
    already have passed the hygiene check, as for :func:`ask_scripts`.
    """
    from .pool import CONFIGS, Job

    job = Job(script, {}, CONFIGS["z3-core"], timeout=timeout)
    out = shared_pool().run_many([job])[0]
    if out is None:
        return None
    found = dict(out.model) if out.model is not None else None
    if read_word(out.raw)[0] != "unsat" or not isinstance(found, dict) or not isinstance(found.get("core"), list):
        return None
    return tuple(int(i) for i in found["core"])


def check_text_sent(text: str, answers: Iterable[Mapping[str, Any]]) -> None:
    """Raise ``RuntimeError`` unless each answer (as :meth:`SolverAnswer.to_json` gives it) was given ``text``.

    For whoever records a query's text beside the answers it rests on (the
    certificate writer): the text recorded must be byte for byte the text
    the solvers were sent, and each answer carries the sha256 of its text.
    An answer that carries none fails too.
    """
    from .solver_worker import text_sha256

    digest = text_sha256(text)
    for a in answers:
        if a.get("smtlib_sha256") != digest:
            raise RuntimeError(f"internal: {a.get('solver')} answered a text with sha256 {a.get('smtlib_sha256')!r}, "
                               f"not the text recorded (sha256 {digest})")


def pool_enabled() -> bool:
    """Whether queries go to the worker pool (``ASSAY_SOLVER_POOL`` is not ``0``)."""
    return os.environ.get("ASSAY_SOLVER_POOL", "1").strip().lower() not in ("0", "false", "no", "off")


_POOL: list[SolverPool] = []  # the one shared pool, once started
_POOL_LOCK = threading.Lock()
_INSTALLED: list[Pool] = []  # pools put in its place by use_pool, the innermost last


def shared_pool() -> Pool:
    """The process-wide worker pool, started at first use (its workers start lazily too).

    Inside :func:`use_pool`, the pool installed there; with
    ``ASSAY_SOLVER_POOL=0``, the in-process pool.
    """
    with _POOL_LOCK:
        if _INSTALLED:
            return _INSTALLED[-1]
    if not pool_enabled():
        from .pool import InProcessPool

        return InProcessPool()
    with _POOL_LOCK:
        if not _POOL:
            from .pool import DEFAULT_MEMORY_MB, SolverPool

            workers = os.environ.get("ASSAY_SOLVER_WORKERS")
            memory = os.environ.get("ASSAY_SOLVER_MEMORY_MB")
            _POOL.append(SolverPool(int(workers) if workers else None,
                                    memory_mb=int(memory) if memory else DEFAULT_MEMORY_MB))
        return _POOL[0]


@contextlib.contextmanager
def use_pool(pool: Pool) -> Iterator[Pool]:
    """Send every query of this process to ``pool`` inside the block.

    How tests put a :class:`.faults.FaultyPool` (workers that lie, crash or
    hang) or a fake in front of the kernel: the kernel's own path, from the
    query to the verdict, stays the one production takes.
    """
    with _POOL_LOCK:
        _INSTALLED.append(pool)
    try:
        yield pool
    finally:
        with _POOL_LOCK:
            _INSTALLED.remove(pool)


def _job(query: Query, config: Any, timeout: float) -> Job:
    """The job that asks ``query``: its text is :meth:`Query.smtlib`, the one a certificate records."""
    from .pool import Job

    variables = query.encoding.variables
    return Job(query.smtlib(), {n: s.value for n, s in variables.items()}, config, timeout=timeout)


def _answer(out: WorkerReply, job: Job) -> SolverAnswer:
    """A worker's reply, read by :func:`read_answer` like every other answer, with the options used."""
    from .pool import solver_options

    answer = read_answer(out.solver, out.version or _version(out.solver), out.raw, reason=out.reason,
                         seconds=out.seconds, model=out.model)
    return dataclasses.replace(answer, options=solver_options(job), smtlib_sha256=out.smtlib_sha256)


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
