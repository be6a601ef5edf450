"""The sandbox: the only place assay runs a model's program, in a worker process closed in on itself.

:func:`run_calls` defines a program in a fresh worker (:mod:`.sandbox_worker`, run as a script with
``python -s -P -S -B``, an environment of only ``PYTHONHASHSEED=0`` that the worker clears before the
program runs, a fresh temporary folder as its cwd that is removed after,
stdin and every other file descriptor closed to the program) and calls its entry function on each
argument tuple, returning one :class:`CallResult` per call.  Counterexample replay and bounded search
call it; a counterexample is REFUTED only when the function's real outcome here reproduces it, so this
module and its worker are on the claims path of the trusted core.  Nothing here ever accepts.
Linux only (``prctl``, ``/proc``; Landlock and seccomp where the kernel has them).

What holds the program in (the worker's docstring has the layers; :func:`isolation` reports which ran
on this machine): a network namespace with no interface up, Landlock (reads only in the Python library
and the folder, writes only in the folder), seccomp (no processes, sockets, rlimit changes, signals to
others), every capability dropped, rlimits (address space ``memory_mb``, CPU, file size, open files,
processes, core dumps), and an audit hook that refuses the same things at the Python level.  The
worker dies with its parent (``PR_SET_PDEATHSIG``).

Time.  Each call may spend ``seconds_per_call`` CPU seconds: the parent reads the worker's CPU time
from ``/proc`` once a call has run that long on the wall clock, and kills the worker when it is
past; a call that sleeps or blocks is killed at ``2 * seconds_per_call + 1`` wall seconds.  The
module's top level gets the same limit.  ``total_seconds`` bounds the whole run on the wall clock
(worker start-ups included); ``RLIMIT_CPU`` is a backstop at the time left.  A killed worker costs
its call; a fresh worker runs the module again and continues with the calls after it.

Values cross the boundary in the tagged JSON of :mod:`.sandbox_worker` (:func:`.sandbox_worker.encode`):
tuples stay tuples, ints and strs exact at any size; each reply line is bounded in size and decoded
strictly, and one that does not decode costs its call (``crash``) and its worker, never the parent.
"""

from __future__ import annotations

import collections
import contextlib
import json
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, Final, Literal

from .sandbox_worker import MAX_MESSAGE, MAX_VALUE_BYTES, Unrepresentable, decode, encode

__all__ = ["MAX_SOURCE_BYTES", "MIN_MEMORY_MB", "STATUSES", "CallResult", "isolation", "run_calls"]

Status = Literal["returned", "raised", "timeout", "memout", "crash", "refused", "unrepresentable"]
STATUSES: Final[tuple[Status, ...]] = ("returned", "raised", "timeout", "memout", "crash", "refused",
                                       "unrepresentable")
# A program text larger than this is refused, all its calls with it.
MAX_SOURCE_BYTES: Final = 1024 * 1024
# Below this the interpreter cannot start under its address-space cap.
MIN_MEMORY_MB: Final = 64
# A reply line longer than this is malformed: a value is at most MAX_VALUE_BYTES, the rest is small.
_MAX_REPLY_BYTES: Final = MAX_VALUE_BYTES + 64 * 1024
# How long a fresh worker may take to close itself in and say it is ready (wall seconds).
_START_SECONDS: Final = 20.0
# Calls per batch sent to the worker, and their encoded size.
_BATCH_CALLS: Final = 256
_BATCH_BYTES: Final = 1024 * 1024
# Once a call has run past its CPU limit on the wall clock, its CPU time is read this often.
_POLL_SECONDS: Final = 0.05
_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_WORKER_SCRIPT: Final = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox_worker.py")
_WORKER_STATUSES: Final[dict[str, Status]] = {s: s for s in ("returned", "raised", "memout", "refused",
                                                               "unrepresentable")}
# The outcome of the call in flight when the run's total time ran out; the calls after it are not run.
_TOTAL_SPENT: Final = "ran past the run's total time (total_seconds)"
_MEMORY_WORDS: Final = ("memoryerror", "cannot allocate memory", "out of memory")


@dataclass(frozen=True)
class CallResult:
    """The outcome of one call of the program's entry function in the sandbox.

    ``status`` is one of :data:`STATUSES`: ``returned`` (``value`` is what it returned, decoded),
    ``raised`` (``error`` is ``TypeName: message``, clipped; a type the program defined is named with
    its module), ``timeout``, ``memout``, ``crash`` (the worker died, or wrote a reply that does not
    decode), ``refused`` (the program did something the sandbox forbids, such as writing a file
    outside its folder, reading stdin or starting a thread, even if it caught the refusal: what it
    then did is not what it would do unconfined; or an ``OSError`` or ``ImportError`` came out of the
    call, since I/O fails here for the sandbox's reasons, not the arguments', and the sandbox has the
    standard library only) and ``unrepresentable`` (it returned
    a value of another type; ``error`` names it).  Only ``returned`` and ``raised`` are evidence of
    what the function does on its arguments.
    When the program's top level does not get through, every call has its outcome, with ``error``
    saying so.  ``stdout_bytes`` counts what the call printed to ``sys.stdout`` and ``sys.stderr``
    (discarded); ``seconds`` is its CPU time.
    """

    status: Status
    value: Any = None
    error: str = ""
    stdout_bytes: int = 0
    seconds: float = 0.0


_NOT_RUN: Final = CallResult("timeout", error="not run: total time spent")


def run_calls(source: str, entry: str, calls: Sequence[Sequence[Any]], *, seconds_per_call: float = 2.0,
              memory_mb: int = 512, total_seconds: float = 30.0) -> list[CallResult]:
    """Define the program in a fresh sandboxed process and call ``entry(*args)`` for each args in ``calls``.

    Returns one :class:`CallResult` per call, in order.  Every outcome of the program is a result,
    never an exception here; an argument the encoding cannot carry (a float, a set) is a caller's
    error: TypeError, before anything runs.  ``memory_mb`` caps the worker's address space (the
    interpreter's own 20-odd MB included).
    """
    if not (seconds_per_call > 0 and total_seconds > 0):
        raise ValueError(f"seconds_per_call={seconds_per_call!r} and total_seconds={total_seconds!r} "
                         "must be positive")
    if memory_mb < MIN_MEMORY_MB:
        raise ValueError(f"memory_mb={memory_mb!r} (int) is under the least the worker starts in, {MIN_MEMORY_MB}")
    encoded = [_encoded_arguments(i, args) for i, args in enumerate(calls)]
    if not encoded:
        return []
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        return [CallResult("refused", error=f"the program is {size} bytes, over the limit of {MAX_SOURCE_BYTES}")
                ] * len(encoded)
    run = _Run(source, entry, encoded, seconds_per_call=seconds_per_call, memory_mb=memory_mb,
               deadline=time.monotonic() + total_seconds)
    return run.results()


def isolation() -> dict[str, str]:
    """What closes a worker in on this machine, by layer, in words (a layer that could not run says why)."""
    worker = _Worker(MIN_MEMORY_MB, 10)
    try:
        ready = worker.await_line(_START_SECONDS, _START_SECONDS, time.monotonic() + _START_SECONDS)
        if isinstance(ready, CallResult):
            raise RuntimeError(f"the sandbox worker did not start: {ready.error}")
        layers = ready.get("ready")
        if not isinstance(layers, dict) or not all(isinstance(v, str) for v in layers.values()):
            raise RuntimeError("the sandbox worker's first line is not its report")
        return {str(k): str(v) for k, v in layers.items()}
    finally:
        worker.close()


def _encoded_arguments(index: int, args: Sequence[Any]) -> str:
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise TypeError(f"calls[{index}]={args!r} ({type(args).__name__}) is not a sequence of arguments")
    try:
        return json.dumps(encode(list(args)), ensure_ascii=True)
    except Unrepresentable as why:
        raise TypeError(f"calls[{index}] has an argument the sandbox cannot pass: {why}") from None


class _Run:
    """One :func:`run_calls`: as many workers, one after another, as its calls need."""

    def __init__(self, source: str, entry: str, calls: list[str], *, seconds_per_call: float, memory_mb: int,
                 deadline: float) -> None:
        self.program = json.dumps({"source": source, "entry": entry}, ensure_ascii=True).encode("ascii")
        self.calls = calls
        self.cpu_limit, self.memory_mb, self.deadline = seconds_per_call, memory_mb, deadline
        self.wall_limit = 2 * seconds_per_call + 1.0
        self.out: list[CallResult | None] = [None] * len(calls)

    def results(self) -> list[CallResult]:
        index = 0
        while index < len(self.calls):
            left = self.deadline - time.monotonic()
            if left <= 0:
                break
            worker = _Worker(self.memory_mb, math.ceil(left) + 1)
            try:
                index = self._with(worker, index)
            finally:
                worker.close()
        return [r if r is not None else _NOT_RUN for r in self.out]

    def _with(self, worker: _Worker, index: int) -> int:
        """Run calls from ``index`` on in ``worker``; the index of the first call left for a fresh one."""
        ready = worker.await_line(_START_SECONDS, _START_SECONDS, self.deadline)
        if isinstance(ready, CallResult) or "ready" not in ready:
            failed = ready if isinstance(ready, CallResult) else _malformed("no report of readiness")
            return self._rest(index, failed, "starting the sandbox's worker")
        if not worker.send(self.program, self.wall_limit):
            return self._rest(index, worker.ended("timeout", "the worker did not take the program"), "")
        loaded = worker.await_line(self.cpu_limit, self.wall_limit, self.deadline)
        module = loaded if isinstance(loaded, CallResult) else _module_result(loaded)
        if module.status != "returned":
            return self._rest(index, module, "at the program's top level")
        while index < len(self.calls):
            batch = self._batch(index)
            body = b",".join(b"[%d, %s]" % (i, self.calls[i].encode("ascii")) for i in batch)
            if not worker.send(b'{"calls": [' + body + b"]}", self.wall_limit):
                self.out[index] = worker.ended("timeout", "the worker did not take its calls")
                return index + 1
            for i in batch:
                reply = worker.await_line(self.cpu_limit, self.wall_limit, self.deadline)
                result = reply if isinstance(reply, CallResult) else _call_result(reply, i)
                self.out[i] = result
                if worker.dead or result.status == "crash":
                    return i + 1
            index = batch[-1] + 1
        return index

    def _batch(self, index: int) -> list[int]:
        batch: list[int] = []
        size = 0
        for i in range(index, len(self.calls)):
            if batch and (len(batch) >= _BATCH_CALLS or size + len(self.calls[i]) > _BATCH_BYTES):
                break
            batch.append(i)
            size += len(self.calls[i])
        return batch

    def _rest(self, index: int, outcome: CallResult, doing: str) -> int:
        """Every call from ``index`` on gets the outcome that stopped the program before its calls."""
        if outcome.error != _TOTAL_SPENT:  # otherwise none of them ran: "not run"
            why = f"{outcome.error} ({doing})" if outcome.error and doing else outcome.error or doing
            for i in range(index, len(self.calls)):
                self.out[i] = CallResult(outcome.status, None, why[:MAX_MESSAGE * 2], outcome.stdout_bytes,
                                         outcome.seconds)
        return len(self.calls)


def _module_result(reply: dict[str, Any]) -> CallResult:
    module = reply.get("module")
    if not isinstance(module, dict):
        return _malformed("no outcome for the program's top level")
    return _result_from(module, set(), valued=False) or _malformed("the outcome of the program's top level")


def _call_result(reply: dict[str, Any], index: int) -> CallResult:
    number = reply.get("n")
    if type(number) is not int or number != index:
        return _malformed(f"a reply for call {str(number)[:20]}, not {index}")
    return _result_from(reply, {"n"}) or _malformed(f"the reply to call {index}")


def _result_from(reply: dict[str, Any], extra: set[str], valued: bool = True) -> CallResult | None:
    """The call result a worker's reply says, or None when it is not one the worker writes.

    A call that returned has a value; the module's top level (not ``valued``) has none.
    """
    status, out, cpu = _WORKER_STATUSES.get(str(reply.get("status"))), reply.get("out"), reply.get("cpu")
    required = {"status", "out", "cpu", "clock"} | ({"value"} if status == "returned" else {"error"})
    if status == "returned" and not valued:
        required.discard("value")
    if status is None or set(reply) != required | extra or type(out) is not int or out < 0 \
            or type(cpu) is not int or cpu < 0:
        return None
    if status == "returned" and valued:
        try:
            value = decode(reply["value"])
        except (ValueError, RecursionError):
            return None
        return CallResult("returned", value, "", out, cpu / 1e6)
    error = reply.get("error", "")
    if type(error) is not str:
        return None
    return CallResult(status, None, error[:MAX_MESSAGE * 2], out, cpu / 1e6)


def _malformed(what: str) -> CallResult:
    return CallResult("crash", error=f"the sandbox's worker wrote a reply that does not decode: {what}")


def _refuse_json(text: str) -> Any:
    raise ValueError(f"{text[:20]} is no value of the encoding")


class _Worker:
    """One worker process, seen from the parent: its pipes, its folder, its CPU clock."""

    def __init__(self, memory_mb: int, cpu_seconds: int) -> None:
        self.folder = tempfile.mkdtemp(prefix="assay-sandbox-")
        self.stderr = tempfile.TemporaryFile(prefix="assay-sandbox-", suffix=".err")  # noqa: SIM115 - close()
        config = json.dumps({"parent": os.getpid(), "memory_mb": memory_mb, "cpu_seconds": cpu_seconds})
        self.memory_mb = memory_mb
        # -s -P -S -B: no user site, not the script's folder on the path, no site, no bytecode written; -I
        # without -E, so that the one variable of an environment made here fixes str hashing: a program
        # that returns list(set(words)) replays the same way in every worker.
        self.proc = subprocess.Popen(
            [sys.executable, "-s", "-P", "-S", "-B", _WORKER_SCRIPT, config], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self.stderr, env={"PYTHONHASHSEED": "0"}, cwd=self.folder,
            close_fds=True, start_new_session=True)
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.stdin: IO[bytes] = self.proc.stdin
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        os.set_blocking(self.stdin.fileno(), False)
        self.lines: collections.deque[bytes] = collections.deque()
        self.partial: list[bytes] = []  # the pieces of a line still coming
        self.partial_size = 0
        self.clock = 0.0  # the worker's CPU seconds when its last line was written
        self.cpu_life = 0.0
        self.dead = False
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)

    def send(self, data: bytes, wall: float) -> bool:
        """Write one line; False (the worker killed) if it is not taken within ``wall`` seconds."""
        view = memoryview(data + b"\n")
        deadline = time.monotonic() + wall
        with selectors.DefaultSelector() as out:
            out.register(self.stdin.fileno(), selectors.EVENT_WRITE)
            while view:
                if not out.select(max(0.0, deadline - time.monotonic())):
                    self.kill()
                    return False
                try:
                    view = view[os.write(self.stdin.fileno(), view):]
                except BlockingIOError:
                    continue
                except OSError:  # it died: the next read sees how
                    return True
        return True

    def await_line(self, cpu_limit: float, wall_limit: float, deadline: float) -> dict[str, Any] | CallResult:
        """The worker's next line, decoded; or the outcome that ended the worker while it was awaited.

        The clocks start now: a call is timed from when the line before it came.
        """
        started = time.monotonic()
        cpu_before = self.clock
        while True:
            if self.lines:
                return self._decoded(self.lines.popleft())
            if self.dead:
                return self.ended("crash")
            now = time.monotonic()
            if now >= deadline:
                self.kill()
                return CallResult("timeout", error=_TOTAL_SPENT)
            if now - started >= wall_limit:
                return self.ended("timeout", f"ran past {wall_limit:g} s of wall-clock time")
            if now - started >= cpu_limit:
                if self._cpu_seconds() - cpu_before >= cpu_limit:
                    return self.ended("timeout", f"ran past its limit of {cpu_limit:g} CPU seconds")
                wait = _POLL_SECONDS
            else:
                wait = cpu_limit - (now - started)
            self._read(min(wait, wall_limit - (now - started), deadline - now))

    def _read(self, wait: float) -> None:
        if not self.selector.select(max(0.0, wait)):
            return
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            self.dead = True
            return
        *complete, rest = chunk.split(b"\n")
        if complete:
            complete[0] = b"".join([*self.partial, complete[0]])
            self.partial, self.partial_size = [], 0
            self.lines.extend(complete)
        if rest:
            self.partial.append(rest)
            self.partial_size += len(rest)
            if self.partial_size > _MAX_REPLY_BYTES:
                self.partial, self.partial_size = [], 0
                self.lines.append(b"a line over the size limit")  # not JSON: _decoded says malformed

    def _decoded(self, line: bytes) -> dict[str, Any] | CallResult:
        try:
            if len(line) > _MAX_REPLY_BYTES:
                raise ValueError(f"a line of {len(line)} bytes")
            reply = json.loads(line, parse_float=_refuse_json, parse_constant=_refuse_json)
        except (ValueError, RecursionError) as why:
            self.kill()
            return _malformed(str(why)[:200])
        if not isinstance(reply, dict):
            self.kill()
            return _malformed("a line that is not an object")
        clock = reply.get("clock")
        if type(clock) is int and clock >= 0:
            self.clock = clock / 1e6
        return reply

    def _cpu_seconds(self) -> float:
        """The worker's CPU seconds (user and system) from /proc; infinite when unreadable while it runs."""
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            return math.inf if self.proc.poll() is None else 0.0

    def ended(self, kind: Status, why: str = "") -> CallResult:
        """The outcome of what the worker was doing when it died or was killed: ``kind``, unless its death says more."""
        code, cpu = self.kill()
        tail = self._stderr_tail()
        if kind == "crash" and code == -signal.SIGXCPU:
            kind, why = "timeout", "the worker ran past its CPU limit for the run (RLIMIT_CPU)"
        elif kind == "crash" and any(word in tail.lower() for word in _MEMORY_WORDS):
            kind, why = "memout", f"the worker ran out of its {self.memory_mb} MB of address space"
        elif kind == "crash":
            last = tail.strip().splitlines()[-1][:200] if tail.strip() else ""
            why = f"the worker died ({_describe(code)})" + (f": {last}" if last else "")
        return CallResult(kind, error=why, seconds=cpu)

    def kill(self) -> tuple[int | None, float]:
        """SIGKILL and reap (once); the exit code and the CPU seconds since the worker's last line."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            try:
                _, status, usage = os.wait4(self.proc.pid, 0)
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self.cpu_life = usage.ru_utime + usage.ru_stime
            except ChildProcessError:
                self.proc.returncode = -signal.SIGKILL
        self.dead = True
        return self.proc.returncode, max(0.0, self.cpu_life - self.clock)

    def _stderr_tail(self) -> str:
        try:
            size = os.fstat(self.stderr.fileno()).st_size
            return os.pread(self.stderr.fileno(), 4096, max(0, size - 4096)).decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def close(self) -> None:
        """Kill and reap the worker, close its pipes and remove its folder."""
        self.kill()
        self.selector.close()
        for f in (self.proc.stdin, self.proc.stdout, self.stderr):
            with contextlib.suppress(OSError):
                if f is not None:
                    f.close()
        _remove(self.folder)


def _remove(folder: str) -> None:
    """Remove a worker's folder, whatever the program left in it (folders it made unreadable too)."""

    def writable_again(_function: Any, path: str, _error: Any) -> None:
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
        with contextlib.suppress(OSError):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)

    shutil.rmtree(folder, onerror=writable_again)
    shutil.rmtree(folder, ignore_errors=True)


def _describe(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"
