"""A time limit on CPython running a spec's own code, in whichever thread runs it.

The evaluator runs the spec's code on each proposal (:meth:`Spec.holds`,
:meth:`Spec.violated_clauses`, the explanation of a refutation, the
objective helper, a record's ``__post_init__`` while decoding), and a spec
can run for hours on some givens: ``all(p != i for i in range(n))`` with
``n = 10**12``.  ``check`` gives each proposal a budget of evaluation
seconds (:func:`evaluation_budget`), and each of those entry points runs the
spec's code through :func:`limited`, which raises :class:`EvaluationTimeout`
once the budget is spent.  Solver queries are never inside :func:`limited`:
their own limits bound them, and interrupting the kernel while it talks to a
solver process would break the protocol.

How: one watchdog thread knows, for each thread inside :func:`limited`, when
its budget ends, and at that moment makes that thread raise an exception
(``PyThreadState_SetAsyncExc``, which the interpreter raises at the next
bytecode boundary).  That works in the main thread and in any other, unlike
``signal.alarm``, and costs the fast path a lock and two clock readings per
call, nothing per line of spec code, unlike ``sys.settrace``.  The exception
is a :class:`BaseException`, so an ``except Exception`` in the evaluator (a
clause that raises is false) cannot turn a timeout into a verdict.

What it cannot stop: a single C call that runs long without returning to the
interpreter, such as ``sum(range(10**12))``, ``max(range(10**12))`` or
``sorted`` of a huge list (a builtin consuming a range or list directly, not
through a generator expression).  It holds the GIL throughout, so the
watchdog cannot even run; the timeout is raised when the call returns, which
may be hours later.  Only a separate process could bound such code; assay
does not evaluate in one, because the value path would pay a process round
trip per proposal.  (The front end already refuses ``**`` with a large
exponent, the commonest way to make one C call run for ever.)
"""

from __future__ import annotations

import contextvars
import ctypes
import os
import threading
import time
from collections.abc import Callable
from typing import Final, TypeVar

__all__ = ["EvaluationTimeout", "evaluation_budget", "limited"]

_T = TypeVar("_T")


class EvaluationTimeout(BaseException):
    """The spec's own code ran past its evaluation time limit: no verdict on the proposal (UNKNOWN).

    A BaseException, so that ``except Exception`` in the evaluator cannot take it for a clause that raised.
    ``seconds`` is the limit, ``what`` the work that ran past it.
    """

    def __init__(self, seconds: float, what: str) -> None:
        super().__init__(f"the spec's code ran past the evaluation time limit of {seconds:g} s "
                         f"(eval_timeout, --eval-timeout), {what}")
        self.seconds = seconds
        self.what = what


class _Budget:
    __slots__ = ("left", "limit", "running", "struck")

    def __init__(self, seconds: float) -> None:
        self.limit = self.left = seconds
        self.running = False  # inside limited() now: a nested call runs under the same watch
        self.struck: str | None = None  # what the innermost limited() call was doing when the limit struck


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("assay_evaluation_budget", default=None)


class evaluation_budget:
    """Within this block, in this thread, spec code run through :func:`limited` gets ``seconds`` in all.

    ``None`` sets no limit (and clears one set outside the block).  A class, not a generator-based
    context manager: it is entered once per proposal on the value path, and that is three times cheaper.
    """

    __slots__ = ("_budget", "_token")

    def __init__(self, seconds: float | None) -> None:
        if seconds is not None and not seconds > 0:
            raise ValueError(f"an evaluation time limit is a positive number of seconds, got {seconds}")
        self._budget = None if seconds is None else _Budget(seconds)

    def __enter__(self) -> None:
        self._token = _BUDGET.set(self._budget)

    def __exit__(self, *exc: object) -> None:
        _BUDGET.reset(self._token)


def limited(what: str, run: Callable[[], _T]) -> _T:
    """``run()`` within what is left of this thread's evaluation budget; without a budget, just ``run()``.

    Raises :class:`EvaluationTimeout` (naming ``what``, such as "running the
    spec on the proposal") when the budget runs out before ``run`` returns, or
    is already spent.  The time ``run`` took is taken from the budget.
    """
    budget = _BUDGET.get()
    if budget is None:
        return run()
    if budget.running:  # inside another limited() call: its watch covers this; say what struck, if it does
        try:
            return run()
        except _Expired:
            budget.struck = budget.struck or what
            raise
    if budget.left <= 0:
        raise EvaluationTimeout(budget.limit, what)
    budget.running = True
    start = time.monotonic()
    watch = _Watch(threading.get_ident(), start + budget.left)
    fired = False
    try:
        try:
            try:
                _WATCHDOG.arm(watch)
                result = run()
            finally:
                fired = _WATCHDOG.disarm(watch)
        except _Expired:  # raised in run(), or in disarm() before it cleared it: the watch is spent
            fired = True
    finally:
        budget.running = False
        budget.left -= time.monotonic() - start
    if fired:
        budget.left = 0.0
        raise EvaluationTimeout(budget.limit, budget.struck or what) from None
    return result


class _Expired(BaseException):
    """Raised by the watchdog inside the thread whose budget ran out; :func:`limited` turns it into
    :class:`EvaluationTimeout` (the watchdog can only send a class, not an instance with the details)."""


_set_async_exc: Final = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = [ctypes.c_ulong, ctypes.py_object]
_set_async_exc.restype = ctypes.c_int
_NO_EXCEPTION: Final = ctypes.py_object()  # NULL: clears a thread's pending asynchronous exception


class _Watch:
    __slots__ = ("deadline", "fired", "thread")

    def __init__(self, thread: int, deadline: float) -> None:
        self.thread, self.deadline, self.fired = thread, deadline, False


class _Watchdog:
    """One daemon thread that makes each watched thread raise _Expired at its deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[int, _Watch] = {}  # thread id -> its watch (one at a time per thread)
        self._wake = threading.Event()
        self._wakes_at = float("inf")  # when the watchdog thread next looks, if nothing wakes it sooner
        self._thread: threading.Thread | None = None

    def arm(self, watch: _Watch) -> None:
        """Watch the calling thread until :meth:`disarm`; at ``watch.deadline`` it raises _Expired."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="assay-evaluation-watchdog",
                                                daemon=True)
                self._thread.start()
            self._watches[watch.thread] = watch
            if watch.deadline < self._wakes_at:
                self._wakes_at = watch.deadline
                self._wake.set()

    def disarm(self, watch: _Watch) -> bool:
        """Stop watching; whether the watch fired.  After this, no _Expired is pending for the thread."""
        with self._lock:
            if self._watches.get(watch.thread) is watch:
                del self._watches[watch.thread]
            fired = watch.fired
        if fired:
            # Sent but perhaps not raised yet: clear it, so that it cannot strike after limited() returns.
            _set_async_exc(watch.thread, _NO_EXCEPTION)
        return fired

    def _serve(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                for watch in self._watches.values():
                    if not watch.fired and watch.deadline <= now:
                        watch.fired = True
                        _set_async_exc(watch.thread, _Expired)
                pending = [w.deadline for w in self._watches.values() if not w.fired]
                self._wakes_at = min(pending, default=float("inf"))
                self._wake.clear()
            wait = self._wakes_at - time.monotonic()
            self._wake.wait(None if wait == float("inf") else max(wait, 0.0))

    def _after_fork(self) -> None:
        # A forked child has no watchdog thread and none of the parent's threads: start afresh.
        self.__init__()  # type: ignore[misc]


_WATCHDOG: Final = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG._after_fork)
