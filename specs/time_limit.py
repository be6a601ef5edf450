"""Time and memory limits on CPython running a spec's own code, in whichever thread runs it.

A spec can run for hours on some givens (``all(p != i for i in range(n))``,
``n = 10**12``) or grow by gigabytes a second (a comprehension over a huge
range).  ``check`` gives each proposal a budget (:func:`evaluation_budget`);
the evaluator's entry points (decoding, :meth:`Spec.holds`,
:meth:`Spec.violated_clauses`, the explanation, the objective) run the spec's
code through :func:`limited`, which raises :class:`EvaluationTimeout` or
:class:`EvaluationOutOfMemory` past the limits, or when the code raises
MemoryError or RecursionError (the interpreter's limits, never a false
clause).  Solver queries are never inside :func:`limited`.

How: one watchdog thread makes the watched thread raise an exception at its
deadline (``PyThreadState_SetAsyncExc``, raised at the next bytecode
boundary), in the main thread or any other (``signal.alarm`` is main-thread
only), for a lock and two clock readings per call (``sys.settrace`` would tax
every line).  Once a call has run :data:`POLL_SECONDS`, the watchdog reads the
process's resident size (``/proc/self/statm``: Linux only) every
:data:`POLL_SECONDS` and stops it once it has grown past the limit.  The
exceptions are BaseExceptions: the evaluator's ``except Exception`` cannot
take them for a clause that raised.

What it cannot stop: one long C call that never returns to the interpreter
(``sum(range(10**12))``, ``max(range(10**12))``: a builtin over a range or
list directly, not a generator expression) holds the GIL, so the watchdog
cannot run until it returns.  Only a separate process could bound it, at a
round trip per proposal on the value path.
"""

from __future__ import annotations

import contextvars
import ctypes
import os
import threading
import time
from collections.abc import Callable
from typing import Final, TypeVar

__all__ = ["POLL_SECONDS", "EvaluationLimit", "EvaluationOutOfMemory", "EvaluationTimeout", "evaluation_budget",
           "limited"]

_T = TypeVar("_T")

#: How often the watchdog reads the process's size while a call with a memory limit runs.
POLL_SECONDS: Final = 0.05


class EvaluationLimit(BaseException):
    """The spec's code hit a limit, running ``what``: no verdict (UNKNOWN, ``word: message``)."""

    word = "limit"

    def __init__(self, message: str, what: str) -> None:
        super().__init__(f"{message}, {what}")
        self.what = what


class EvaluationTimeout(EvaluationLimit):
    """The spec's code ran past the evaluation time limit of ``seconds``."""

    word = "timeout"

    def __init__(self, seconds: float, what: str) -> None:
        super().__init__(f"the spec's code ran past the evaluation time limit of {seconds:g} s "
                         "(eval_timeout, --eval-timeout)", what)
        self.seconds = seconds


class EvaluationOutOfMemory(EvaluationLimit):
    """Past the evaluation memory limit, or CPython ran out of memory or stack (MemoryError, RecursionError)."""

    word = "memout"


class _Budget:
    __slots__ = ("left", "limit", "memory", "running", "struck")

    def __init__(self, seconds: float, memory_mb: float | None) -> None:
        self.limit = self.left = seconds
        self.memory = None if memory_mb is None else int(memory_mb * 2**20)  # bytes a call may grow by
        self.running = False  # inside limited() now: a nested call runs under the same watch
        self.struck: str | None = None  # what the innermost limited() call was doing when the limit struck


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("assay_evaluation_budget", default=None)


class evaluation_budget:
    """In this block and thread, spec code run through :func:`limited` gets ``seconds`` in all, and each
    call may grow the process by ``memory_mb`` MB (``None``: not watched); ``seconds=None``: no limit.

    A class: entered once per proposal, it is three times cheaper than a generator-based context manager.
    """

    __slots__ = ("_budget", "_token")

    def __init__(self, seconds: float | None, memory_mb: float | None = None) -> None:
        if seconds is not None and not seconds > 0:
            raise ValueError(f"an evaluation time limit is a positive number of seconds, got {seconds}")
        if memory_mb is not None and not memory_mb > 0:
            raise ValueError(f"an evaluation memory limit is a positive number of megabytes, got {memory_mb}")
        self._budget = None if seconds is None else _Budget(seconds, memory_mb)

    def __enter__(self) -> None:
        self._token = _BUDGET.set(self._budget)

    def __exit__(self, *exc: object) -> None:
        _BUDGET.reset(self._token)


def limited(what: str, run: Callable[[], _T]) -> _T:
    """``run()`` within what is left of this thread's budget (taking its time from it); no budget: ``run()``.

    Raises :class:`EvaluationTimeout` (naming ``what``: "running the spec on
    the proposal") when the budget runs out or is spent, and
    :class:`EvaluationOutOfMemory` past the memory limit or on MemoryError or
    RecursionError.
    """
    budget = _BUDGET.get()
    if budget is None:
        return run()
    if budget.running:  # inside another limited() call: its watch covers this; say what struck, if it does
        try:
            return run()
        except (_Expired, MemoryError, RecursionError):
            budget.struck = budget.struck or what
            raise
    if budget.left <= 0:
        raise EvaluationTimeout(budget.limit, what)
    budget.running = True
    start = time.monotonic()
    watch = _Watch(threading.get_ident(), start, start + budget.left, budget.memory)
    try:
        try:
            try:
                _WATCHDOG.arm(watch)
                result = run()
            finally:
                _WATCHDOG.disarm(watch)
        except _Expired:  # raised in run(), or in disarm() before it cleared it: watch.fired says why
            pass
        except (MemoryError, RecursionError) as exc:
            raise EvaluationOutOfMemory(f"the spec's code raised {type(exc).__name__} (CPython ran out of "
                                        f"{'memory' if isinstance(exc, MemoryError) else 'stack'})",
                                        budget.struck or what) from None
    finally:
        budget.running = False
        budget.left -= time.monotonic() - start
    if watch.fired == "time":
        budget.left = 0.0
        raise EvaluationTimeout(budget.limit, budget.struck or what)
    if watch.fired == "memory":
        assert budget.memory is not None
        raise EvaluationOutOfMemory(f"the spec's code grew the process by more than the evaluation memory "
                                    f"limit of {budget.memory / 2**20:g} MB (eval_memory_mb, --eval-memory)",
                                    budget.struck or what)
    return result


class _Expired(BaseException):
    """Raised by the watchdog inside the thread whose budget ran out; :func:`limited` turns it into
    :class:`EvaluationTimeout` (the watchdog can only send a class, not an instance with the details)."""


_set_async_exc: Final = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = [ctypes.c_ulong, ctypes.py_object]
_set_async_exc.restype = ctypes.c_int
_NO_EXCEPTION: Final = ctypes.py_object()  # NULL: clears a thread's pending asynchronous exception


class _Watch:
    __slots__ = ("cap", "deadline", "fired", "growth", "started", "thread")

    def __init__(self, thread: int, started: float, deadline: float, growth: int | None) -> None:
        self.thread, self.started, self.deadline, self.growth = thread, started, deadline, growth
        self.cap: int | None = None  # the resident size that stops it, from the watchdog's first reading
        self.fired: str | None = None  # "time" or "memory", set (under the lock) before _Expired is sent


class _Watchdog:
    """One daemon thread that makes each watched thread raise _Expired at its deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[int, _Watch] = {}  # thread id -> its watch (one at a time per thread)
        self._wake = threading.Event()
        self._wakes_at = float("inf")  # when the watchdog thread next looks, if nothing wakes it sooner
        self._polling = False  # a call with a memory limit was made: look every POLL_SECONDS from now on
        self._thread: threading.Thread | None = None

    def arm(self, watch: _Watch) -> None:
        """Watch the calling thread until :meth:`disarm`; at ``watch.deadline`` it raises _Expired."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="assay-evaluation-watchdog",
                                                daemon=True)
                self._thread.start()
            self._watches[watch.thread] = watch
            if watch.growth is not None and not self._polling:
                self._polling = True
                self._wake.set()
            if watch.deadline < self._wakes_at:
                self._wakes_at = watch.deadline
                self._wake.set()

    def disarm(self, watch: _Watch) -> None:
        """Stop watching.  After this, no _Expired is pending for the thread."""
        with self._lock:
            if self._watches.get(watch.thread) is watch:
                del self._watches[watch.thread]
            fired = watch.fired
        if fired:
            # Sent but perhaps not raised yet: clear it, so that it cannot strike after limited() returns.
            _set_async_exc(watch.thread, _NO_EXCEPTION)

    def _serve(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                rss: int | None = None  # read once per look, and only if a call needs it
                for watch in self._watches.values():
                    if watch.fired:
                        continue
                    if watch.deadline <= now:
                        watch.fired = "time"
                    elif watch.growth is not None and now - watch.started >= POLL_SECONDS:
                        rss = _resident_bytes() if rss is None else rss
                        if watch.cap is None and rss:
                            watch.cap = rss + watch.growth
                        elif watch.cap is not None and rss > watch.cap:
                            watch.fired = "memory"
                    if watch.fired:
                        _set_async_exc(watch.thread, _Expired)
                # Once calls with a memory limit are made, look every POLL_SECONDS: a new long call is
                # then read within two polls, without arm() waking this thread (a switch per call).
                wake = [w.deadline for w in self._watches.values() if not w.fired]
                if self._polling:
                    wake.append(now + POLL_SECONDS)
                self._wakes_at = min(wake, default=float("inf"))
                self._wake.clear()
            wait = self._wakes_at - time.monotonic()
            self._wake.wait(None if wait == float("inf") else max(wait, 0.0))

    def _after_fork(self) -> None:
        # A forked child has no watchdog thread and none of the parent's threads: start afresh.
        self.__init__()  # type: ignore[misc]


def _resident_bytes() -> int:
    """The process's resident size in bytes (Linux); 0 where it cannot be read (memory is then not watched)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


_PAGE: Final = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_WATCHDOG: Final = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG._after_fork)
