"""The parent's side of the solver pool: warm, isolated z3 and cvc5 workers, with hard limits.

A :class:`SolverPool` keeps up to ``size`` worker processes (default: the
number of cores), each with z3 and cvc5 already imported, and reuses them
across queries, so a query pays for a pipe round trip, not a process start.
A query crosses the boundary as SMT-LIB2 text (:func:`assay.specs.smt.to_smtlib`)
plus the variables to read a model for; the answer comes back as the solver's
raw word (``sat`` / ``unsat`` / ``unknown ...``), a reason, the model values,
the solver's version and the sha256 of the text it solved, as a
:class:`WorkerReply`.  The pool never interprets the word:
:func:`assay.specs.solver_word.read_word` does (:attr:`WorkerReply.status`).

The worker is :mod:`.solver_worker` run as a script (``python -P
solver_worker.py``), speaking one JSON object per line over its stdin and
stdout.  Plain pipes and one process per worker keep killing and reaping
simple: no shared queues, locks or semaphores a killed process could leave
behind.  Fault injection for tests (workers that lie, crash or hang) is
:mod:`.faults`, a subclass of this pool.

Limits, from the gentlest to the hardest:

1. **The solver's own budget.** ``timeout`` becomes z3's ``timeout`` and cvc5's
   ``tlimit-per`` (milliseconds); ``rlimit`` becomes z3's ``rlimit`` and cvc5's
   ``rlimit-per``.  An exhausted budget is ``unknown`` with reason
   ``timeout`` or ``resource-limit``.
2. **Memory.** The worker sets ``RLIMIT_AS`` (address space) before either
   solver is loaded; each query may lower the soft limit further.  z3 also gets
   ``memory_max_size`` a little under it, so that it usually stops cleanly.
   When they do not (a cap makes z3 segfault and cvc5 abort inside GMP
   instead of raising), the worker dies; the pool reads the dead worker's
   stderr and peak memory and reports ``memout`` rather than ``crash``.
3. **The wall clock.** ``timeout * 1.25 + 1`` seconds after a query is sent
   (or ``wall`` seconds when the caller sets it), the worker is killed with
   SIGKILL: z3 has been seen to ignore its soft timeout, and cvc5's Python API
   has no interrupt, so a kill is the only sure stop.  Reason ``timeout``.

A worker that dies or is killed is reaped (``wait4``, so no zombie stays) and
replaced by a fresh one at the next query that needs it; only its query is
lost, as ``unknown`` with reason ``crash``, ``memout`` or ``timeout``.  The
pool closes its workers at :meth:`SolverPool.close` and at interpreter exit;
a worker whose parent dies gets SIGKILL (Linux ``PR_SET_PDEATHSIG``) or, at
the latest, end-of-file on its stdin.

Deterministic budgets.  ``rlimit`` counts solver work, not time, so a run
replays identically on another machine.  Units differ by solver and by
problem by more than an order of magnitude.  Measured on this repository's
development machine (x86_64, z3 5.4.0, cvc5 1.4.2;
``python bench/bench_pool.py --rlimit``, problems of ``bench/smt_gen.py``
seed 0): z3 spent about 1.3 to 1.7 million rlimit units per second on QF_LIA,
about 6 million on QF_NIA and 14 to 29 million on bounded puzzles; cvc5 spent
about 0.08 to 0.19 million ``rlimit-per`` units per second on QF_LIA, about
0.8 million on QF_NIA and 0.03 to 0.17 million on bounded puzzles.  Measure
on your own problems before choosing a budget.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final, Protocol

from assay.specs.solver_word import Status, read_word

from . import solver_worker
from .solver_worker import MEMORY_WORDS, text_sha256

__all__ = [
    "CONFIGS",
    "DEFAULT_MEMORY_MB",
    "MAX_QUERY_BYTES",
    "Config",
    "InProcessPool",
    "Job",
    "Pool",
    "SolverPool",
    "WorkerReply",
    "job_message",
    "refusal",
]

DEFAULT_MEMORY_MB: Final = 4096
# A query text larger than this is refused before it reaches a worker.
MAX_QUERY_BYTES: Final = 32 * 1024 * 1024
# How long a fresh worker may take to import both solvers and say it is ready.
_START_SECONDS: Final = 60.0
# With only a deterministic budget, a query still gets a wall-clock safety net.
_DEFAULT_WALL: Final = 600.0
# Top-level SMT-LIB commands a query may use; anything else (set-option, exit,
# push, reset, get-*) could change how the solver behaves and is refused.
_COMMANDS: Final = frozenset({"set-logic", "set-info", "declare-sort", "declare-fun", "declare-const", "define-fun",
                              "assert", "check-sat"})


@dataclass(frozen=True)
class Config:
    """A solver configuration: which solver, with which options (set before the query is read)."""

    name: str
    solver: str  # "z3" | "cvc5"
    options: tuple[tuple[str, str], ...] = ()
    # Some configurations can only find models: their "unsat" would not be one.
    finds_models_only: bool = False


CONFIGS: Final[Mapping[str, Config]] = {
    "z3": Config("z3", "z3"),
    "cvc5": Config("cvc5", "cvc5"),
    # Integers as 32-bit vectors: a bit-blasting search that wins on bounded
    # integer problems.  cvc5 answers "unknown (INCOMPLETE)" where the integer
    # problem is UNSAT and refuses unbounded constants; the worker also
    # re-checks every model it finds against the integer query.
    "cvc5-int-as-bv": Config("cvc5-int-as-bv", "cvc5",
                             (("incremental", "false"), ("solve-int-as-bv", "32")), finds_models_only=True),
    # Finite model finding, for quantified formulas over uninterpreted sorts,
    # where plain cvc5 often answers "unknown" to a satisfiable question.  Its
    # "sat" comes with a finite model; callers use it only to confirm a "sat".
    "cvc5-fmf": Config("cvc5-fmf", "cvc5", (("finite-model-find", "true"),)),
    # Exhaustive instantiation of quantifiers, for unsatisfiable quantified
    # questions where plain cvc5 gives up ("unknown (INCOMPLETE)") for want
    # of ground terms.  Callers use it only to confirm an "unsat".
    "cvc5-saturate": Config("cvc5-saturate", "cvc5", (("full-saturate-quant", "true"),)),
    # z3 tracking each top-level assertion: an "unsat" comes with the indices of assertions it needed (the
    # core, minimised by z3 as far as it goes), as evidence of which premises conflict.
    "z3-core": Config("z3-core", "z3", (("unsat_core", "true"), ("core.minimize", "true"))),
}


@dataclass(frozen=True)
class Job:
    """One query for one configuration, with its limits."""

    smtlib: str
    variables: Mapping[str, str]  # name -> SMT-LIB sort ("Int", "Bool", "String")
    config: Config
    timeout: float | None = 10.0  # the solver's own time limit, seconds
    rlimit: int | None = None  # the solver's own deterministic budget
    memory_mb: int | None = None  # lowers the worker's cap for this query
    wall: float | None = None  # when the worker is killed; default timeout * 1.25 + 1

    @functools.cached_property
    def smtlib_sha256(self) -> str:
        """The sha256 of the text, as the worker hashes what it receives."""
        return text_sha256(self.smtlib)


@dataclass(frozen=True)
class WorkerReply:
    """What came back for one job: the solver's raw word, never interpreted here."""

    config: str
    solver: str
    version: str
    raw: str  # the solver's word: "sat", "unsat", "unknown", "unknown (INCOMPLETE)", ...
    reason: str = ""
    model: Mapping[str, Any] | None = field(default=None, repr=False)
    seconds: float = 0.0  # wall time from sending the query to its answer
    cpu_seconds: float = 0.0  # CPU the worker spent on it (all threads)
    smtlib_sha256: str = ""  # of the text this reply is about: the text the solver was given

    @property
    def status(self) -> Status:
        """What the word means, as :func:`assay.specs.solver_word.read_word` reads it."""
        return read_word(self.raw, self.reason)[0]


def _unanswered(job: Job, reason: str, version: str = "", seconds: float = 0.0, cpu_seconds: float = 0.0
                ) -> WorkerReply:
    """The reply for a job no solver answered: ``unknown``, with why."""
    return WorkerReply(job.config.name, job.config.solver, version, "unknown", reason, None, seconds, cpu_seconds,
                       job.smtlib_sha256)


def solver_options(job: Job) -> dict[str, Any]:
    """The options the worker sets on its solver for ``job``, as certificates record them.

    The worker (:mod:`.solver_worker`) applies the same rules: z3 takes
    ``timeout`` (ms) and ``rlimit``; cvc5 always produces models and takes
    ``tlimit-per`` (ms) and ``rlimit-per``; then the configuration's own
    options.
    """
    ms = None if job.timeout is None else max(1, int(job.timeout * 1000))
    if job.config.solver == "z3":
        out: dict[str, Any] = {} if ms is None else {"timeout": ms}
        if job.rlimit:
            out["rlimit"] = int(job.rlimit)
    else:
        out = {"produce-models": "true"}
        if ms is not None:
            out["tlimit-per"] = str(ms)
        if job.rlimit:
            out["rlimit-per"] = str(int(job.rlimit))
    out.update(dict(job.config.options))
    return out


def job_message(job: Job) -> dict[str, Any]:
    """The message a worker solves ``job`` from (:func:`.solver_worker.solve` reads it)."""
    return {"solver": job.config.solver, "options": dict(job.config.options),
            "models_only": job.config.finds_models_only, "smtlib": job.smtlib, "variables": dict(job.variables),
            "timeout_ms": None if job.timeout is None else max(1, int(job.timeout * 1000)),
            "rlimit": job.rlimit, "memory_mb": job.memory_mb}


def refusal(smtlib: str) -> str:
    """Why this SMT-LIB text may not be sent to a worker, or "" if it may."""
    size = len(smtlib.encode("utf-8", "surrogatepass"))
    if size > MAX_QUERY_BYTES:
        return f"refused: the query is {size} bytes, over the limit of {MAX_QUERY_BYTES}"
    for name in _top_level_commands(smtlib):
        if name not in _COMMANDS:
            return f"refused: the SMT-LIB command ({name} ...) is not allowed in a query"
    return ""


def _top_level_commands(text: str) -> list[str]:
    """The names of the top-level commands, skipping strings, quoted symbols and comments."""
    names: list[str] = []
    depth, i, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':  # "" inside a string is an escaped quote: the scan just re-enters
            i = text.find('"', i + 1)
            i = n if i < 0 else i + 1
        elif c == "|":
            i = text.find("|", i + 1)
            i = n if i < 0 else i + 1
        elif c == ";":
            i = text.find("\n", i)
            i = n if i < 0 else i + 1
        elif c == "(":
            if depth == 0:
                j = i + 1
                while j < n and text[j] in " \t\r\n":
                    j += 1
                k = j
                while k < n and text[k] not in " \t\r\n()\";|":
                    k += 1
                names.append(text[j:k])
            depth += 1
            i += 1
        elif c == ")":
            depth -= 1
            i += 1
            if depth < 0:
                names.append(")")
                depth = 0
        else:
            if depth == 0 and not c.isspace():
                names.append(c)  # a stray atom at the top level is no command
            i += 1
    return names


# --- the workers, seen from the parent -------------------------------------------

_WORKER_SCRIPT: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "solver_worker.py")


class _Worker:
    """One worker process, seen from the pool."""

    def __init__(self, memory_mb: int) -> None:
        env = dict(os.environ)
        # glibc's per-thread malloc arenas reserve address space that RLIMIT_AS counts.
        env.setdefault("MALLOC_ARENA_MAX", "2")
        self.stderr_fd = _scratch_fd()
        self.memory_mb = memory_mb
        # Linux carries a process's peak RSS across exec, so the worker's ru_maxrss starts at ours (a test
        # session grown past a gigabyte made every worker that died look like a memout): its own peak is
        # known only when it passes this.
        self.inherited_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.proc = subprocess.Popen(
            [sys.executable, "-P", _WORKER_SCRIPT, "--worker", str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr_fd, env=env,
            close_fds=True, start_new_session=True)
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.stdin: IO[bytes] = self.proc.stdin
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.buffer = b""
        self.versions: dict[str, str] = {}
        self.cpu = 0.0  # the worker's CPU seconds at its last message
        self.ready = False
        self.last_stderr = ""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, message: Mapping[str, Any]) -> None:
        self.stdin.write(json.dumps(message).encode("utf-8", "surrogatepass") + b"\n")
        self.stdin.flush()

    def read_lines(self) -> list[bytes] | None:
        """The complete lines now readable, or None at end of file."""
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return lines

    def stderr_tail(self) -> str:
        try:
            size = os.fstat(self.stderr_fd).st_size
            return os.pread(self.stderr_fd, 4096, max(0, size - 4096)).decode("utf-8", "replace")
        except OSError:
            return ""

    def clear_stderr(self) -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(self.stderr_fd, 0)

    def kill_and_reap(self) -> tuple[int, float, int]:
        """SIGKILL (if still running) and reap; (exit code, total CPU seconds, peak RSS in KiB).

        The peak is the worker's own, or 0 where it is no more than the RSS it inherited from us at spawn
        (then it says nothing about the worker).
        """
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            try:
                _, status, usage = os.wait4(self.pid, 0)
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                cpu, rss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
                if rss <= self.inherited_rss_kib:
                    rss = 0
            except ChildProcessError:  # reaped elsewhere already
                self.proc.returncode = -signal.SIGKILL
                cpu, rss = self.cpu, 0
        else:
            cpu, rss = self.cpu, 0
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                if f is not None:
                    f.close()
        if self.stderr_fd >= 0:
            self.last_stderr = self.stderr_tail()  # kept for the report on why it died
            with contextlib.suppress(OSError):
                os.close(self.stderr_fd)
            self.stderr_fd = -1
        return self.proc.returncode, cpu, rss


def _scratch_fd() -> int:
    """An unlinked file for a worker's stderr: it never blocks the worker and is read only after a death."""
    import tempfile

    fd, path = tempfile.mkstemp(prefix="assay-worker-", suffix=".err")
    os.unlink(path)
    # O_APPEND so that the worker keeps writing at the end after the pool truncates it.
    import fcntl

    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    return fd


@dataclass
class _Running:
    index: int
    job: Job
    worker: _Worker
    sent: float
    deadline: float
    cpu_before: float


class SolverPool:
    """Warm solver workers; :meth:`solve` runs one job, :meth:`run_many` several at once.

    Thread-safe: each call takes idle workers for its jobs and gives them back.
    """

    def __init__(self, size: int | None = None, *, memory_mb: int = DEFAULT_MEMORY_MB) -> None:
        self.size = max(1, size if size is not None else (os.cpu_count() or 1))
        self.memory_mb = memory_mb
        self._idle: list[_Worker] = []
        self._busy = 0
        self._lock = threading.Condition()
        self._closed = False
        self._next_id = 0
        atexit.register(self.close)

    # -- public ---------------------------------------------------------------

    def solve(self, job: Job) -> WorkerReply:
        """Run one job; every failure is an ``unknown`` outcome with its reason."""
        out = self.run_many([job])[0]
        assert out is not None  # without `stop`, every job has an outcome
        return out

    def run_many(self, jobs: Sequence[Job], *, stop: Callable[[WorkerReply], bool] | None = None,
                 parallel: int | None = None) -> list[WorkerReply | None]:
        """Run ``jobs`` on at most ``parallel`` (default: all) workers at once, in order.

        When ``stop`` returns True for an outcome, the jobs still running are
        killed (their workers reaped and replaced; their outcomes are
        ``unknown`` with a reason that starts with ``cancelled``) and those not
        started are skipped (None).  The result is in the order of ``jobs``.
        """
        results: list[WorkerReply | None] = [None] * len(jobs)
        pending = list(range(len(jobs)))
        width = min(self.size, len(jobs), parallel if parallel is not None else len(jobs))
        if width <= 0:
            return results
        for i in list(pending):  # refused texts never reach a worker
            why = refusal(jobs[i].smtlib)
            if why:
                results[i] = _unanswered(jobs[i], why)
                pending.remove(i)
        workers = self._take(min(width, len(pending))) if pending else []
        running: dict[int, _Running] = {}
        sel = selectors.DefaultSelector()
        stopped = False
        try:
            while pending or running:
                while pending and workers and not stopped:
                    i = pending.pop(0)
                    worker = workers.pop()
                    started = self._start(i, jobs[i], worker, results)
                    if started is None:
                        workers.append(self._fresh())
                    else:
                        running[worker.fd] = started
                        sel.register(worker.fd, selectors.EVENT_READ)
                if stopped:
                    pending.clear()
                if not running:
                    break
                now = time.monotonic()
                wait = max(0.0, min(r.deadline for r in running.values()) - now)
                for key, _ in sel.select(timeout=wait):
                    r = running[int(key.fd)]
                    out = self._collect(r)
                    if out is None:
                        continue
                    sel.unregister(r.worker.fd)
                    del running[r.worker.fd]
                    results[r.index] = out
                    workers.append(r.worker if r.worker.proc.returncode is None else self._fresh())
                    if stop is not None and stop(out):
                        stopped = True
                now = time.monotonic()
                for fd, r in list(running.items()):
                    if stopped or now >= r.deadline:
                        sel.unregister(fd)
                        del running[fd]
                        results[r.index] = self._killed(r, "cancelled" if stopped else "timeout")
                        workers.append(self._fresh())
        finally:
            for fd, r in running.items():  # an exception (KeyboardInterrupt) mid-run: nothing half-done stays
                with contextlib.suppress(Exception):
                    sel.unregister(fd)
                r.worker.kill_and_reap()
            sel.close()
            self._give_back(workers, lost=len(running))
        return results

    def pids(self) -> list[int]:
        """The process ids of the idle workers (for tests and diagnostics)."""
        with self._lock:
            return [w.pid for w in self._idle if w.proc.returncode is None]

    def close(self) -> None:
        """Stop every idle worker and reap it; later calls start none."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for w in idle:
            with contextlib.suppress(Exception):
                w.stdin.close()  # end of file: the worker exits by itself
            with contextlib.suppress(subprocess.TimeoutExpired):
                w.proc.wait(timeout=1.0)
            w.kill_and_reap()

    # -- workers ----------------------------------------------------------------

    def _fresh(self) -> _Worker:
        return _Worker(self.memory_mb)

    def _take(self, n: int) -> list[_Worker]:
        """Between 1 and ``n`` workers, as many as are free (waits for one when none is)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the solver pool is closed")
            while self._busy >= self.size:
                self._lock.wait()
            n = min(n, self.size - self._busy)
            taken = [self._idle.pop() for _ in range(min(n, len(self._idle)))]
            self._busy += n
        alive = []
        for w in taken:
            if w.proc.poll() is None:
                alive.append(w)
            else:  # died while idle (killed from outside): reap it, start another
                w.kill_and_reap()
        alive += [self._fresh() for _ in range(n - len(alive))]
        return alive

    def _give_back(self, workers: list[_Worker], lost: int = 0) -> None:
        """Return workers to the pool; ``lost`` more slots were held by workers now gone."""
        with self._lock:
            self._busy -= len(workers) + lost
            if self._closed:
                doomed = workers
            else:
                self._idle.extend(workers)
                doomed = []
            self._lock.notify_all()
        for w in doomed:
            w.kill_and_reap()

    def _await_ready(self, w: _Worker) -> str:
        """Wait for a fresh worker's hello; "" when ready, else why not."""
        deadline = time.monotonic() + _START_SECONDS
        sel = selectors.DefaultSelector()
        sel.register(w.fd, selectors.EVENT_READ)
        try:
            while time.monotonic() < deadline:
                if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    break
                lines = w.read_lines()
                if lines is None:
                    code, _, _ = w.kill_and_reap()
                    return f"crash: the worker exited ({_describe(code)}) before it was ready: " \
                           f"{w.last_stderr.strip()[-300:]}"
                for line in lines:
                    hello = json.loads(line)
                    w.versions = dict(hello.get("versions", {}))
                    w.cpu = float(hello.get("cpu", 0.0))
                    w.ready = True
                    return ""
        finally:
            sel.close()
        w.kill_and_reap()
        return "crash: the worker did not start in time"

    def _message(self, job: Job) -> dict[str, Any]:
        """The message that asks a worker ``job``'s question (a test's pool may add a fault to it)."""
        return job_message(job)

    def _start(self, index: int, job: Job, worker: _Worker, results: list[WorkerReply | None]) -> _Running | None:
        """Send a job; None (and an outcome in ``results``) when no worker could take it."""
        for _attempt in range(2):
            if not worker.ready:
                why = self._await_ready(worker)
                if why:
                    results[index] = _unanswered(job, why)
                    return None
            self._next_id += 1
            msg = self._message(job)
            msg["id"] = self._next_id
            worker.clear_stderr()
            sent = time.monotonic()
            try:
                worker.send(msg)
            except (BrokenPipeError, OSError):  # it died between queries: replace it, try once more
                worker.kill_and_reap()
                worker = self._fresh()
                continue
            if job.wall is not None:
                wall = job.wall
            elif job.timeout is not None:
                wall = job.timeout * 1.25 + 1.0
            else:
                wall = _DEFAULT_WALL
            return _Running(index, job, worker, sent, sent + wall, worker.cpu)
        results[index] = _unanswered(job, "crash: no worker could take the query")
        return None

    def _collect(self, r: _Running) -> WorkerReply | None:
        """Read what the worker wrote; an outcome once its answer (or its death) is in."""
        lines = r.worker.read_lines()
        if lines is None:
            return self._died(r)
        for line in lines:
            msg = json.loads(line)
            r.worker.cpu = float(msg.get("cpu", r.worker.cpu))
            reason = str(msg.get("reason", ""))
            if reason.startswith("memout"):  # a solver that ran out of memory may be left in a bad state
                self._retire(r.worker)
            took, cpu = time.monotonic() - r.sent, max(0.0, r.worker.cpu - r.cpu_before)
            if msg.get("sha256") != r.job.smtlib_sha256:  # what the solver read is not what was sent
                return _unanswered(r.job, f"error: the worker solved a text with sha256 {msg.get('sha256')!r}, "
                                          f"not the one sent", str(msg.get("version", "")), took, cpu)
            return WorkerReply(r.job.config.name, r.job.config.solver, str(msg.get("version", "")),
                               str(msg.get("raw", "unknown")), reason, msg.get("model"), took, cpu,
                               r.job.smtlib_sha256)
        return None

    def _retire(self, w: _Worker) -> None:
        w.kill_and_reap()

    def _died(self, r: _Running) -> WorkerReply:
        code, cpu, rss_kib = r.worker.kill_and_reap()
        tail = r.worker.last_stderr
        cap = r.job.memory_mb or r.worker.memory_mb
        if any(word in tail.lower() for word in MEMORY_WORDS) or rss_kib >= cap * 1024 * 0.75:
            kind = "memout"
        else:
            kind = "crash"
        last = tail.strip().splitlines()[-1][:200] if tail.strip() else ""
        detail = f"{kind}: the worker died ({_describe(code)})" + (f": {last}" if last else "")
        return _unanswered(r.job, detail, r.worker.versions.get(r.job.config.solver, ""), time.monotonic() - r.sent,
                           max(0.0, cpu - r.cpu_before))

    def _killed(self, r: _Running, kind: str) -> WorkerReply:
        _, cpu, _ = r.worker.kill_and_reap()
        took = time.monotonic() - r.sent
        return _unanswered(r.job, f"{kind}: the worker was killed after {took:.1f} s wall-clock",
                           r.worker.versions.get(r.job.config.solver, ""), took, max(0.0, cpu - r.cpu_before))


class InProcessPool:
    """The worker's code run in this process, one job after another (``ASSAY_SOLVER_POOL=0``, for debugging).

    The same interface as :class:`SolverPool` and the same solving code
    (:func:`.solver_worker.solve`), so a job's text is solved and its reply
    read exactly as in a worker; but with no memory cap, no wall-clock kill
    and no isolation: only the solvers' own limits hold, and a solver that
    crashes takes this process with it.
    """

    size = 1

    def solve(self, job: Job) -> WorkerReply:
        """Run one job; every failure is an ``unknown`` reply with its reason."""
        out = self.run_many([job])[0]
        assert out is not None  # without `stop`, every job has a reply
        return out

    def run_many(self, jobs: Sequence[Job], *, stop: Callable[[WorkerReply], bool] | None = None,
                 parallel: int | None = None) -> list[WorkerReply | None]:
        """Run ``jobs`` in order; after a reply ``stop`` accepts, the rest are skipped (None)."""
        results: list[WorkerReply | None] = [None] * len(jobs)
        for i, job in enumerate(jobs):
            results[i] = reply = self._solve(job)
            if stop is not None and stop(reply):
                break
        return results

    def close(self) -> None:
        """Nothing to stop: there are no workers."""

    def _solve(self, job: Job) -> WorkerReply:
        why = refusal(job.smtlib)
        if why:
            return _unanswered(job, why)
        started, cpu = time.monotonic(), time.process_time()
        try:
            out = solver_worker.solve(job_message(job), DEFAULT_MEMORY_MB)
        except MemoryError:
            out = {"raw": "unknown", "reason": "memout: MemoryError", "model": None, "sha256": job.smtlib_sha256}
        except Exception as exc:  # a solver's exception costs this query, as in a worker
            out = {"raw": "unknown", "reason": solver_worker.error_reason(exc), "model": None,
                   "sha256": job.smtlib_sha256}
        took, cpu = time.monotonic() - started, time.process_time() - cpu
        version = solver_worker.versions().get(job.config.solver, "")
        return WorkerReply(job.config.name, job.config.solver, version, str(out["raw"]), str(out["reason"]),
                           out["model"], took, cpu, job.smtlib_sha256)


class Pool(Protocol):
    """What the kernel asks of a solver pool: :class:`SolverPool`, :class:`InProcessPool`, a test's fake."""

    size: int

    def solve(self, job: Job) -> WorkerReply: ...

    def run_many(self, jobs: Sequence[Job], *, stop: Callable[[WorkerReply], bool] | None = None,
                 parallel: int | None = None) -> list[WorkerReply | None]: ...


def _describe(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"
