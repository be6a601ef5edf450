"""Fault injection for tests: solver workers that lie, crash, hang or run out of memory, on the production path.

A :class:`FaultyPool` is a :class:`.pool.SolverPool` with the real worker
processes; its *plan* names, for each job, a :class:`Fault` or none, and the
pool sends the fault along with that job.  The worker, seeing it, misbehaves
(:func:`misbehave`) instead of solving, or before it solves.  Everything
after that is the path production takes: the pipe, the wall-clock kill, the
reaping, the reply, :func:`assay.specs.solver_word.read_word`, and what the
kernel makes of the answer.  Install one as the kernel's pool with
:func:`assay.kernel.solvers.use_pool`.

A fault exists only where a test builds a FaultyPool: :class:`.pool.Job`
has no field for one, a plain :class:`.pool.SolverPool` never sends one, and
nothing a query's text or a certificate holds can name one.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from .pool import DEFAULT_MEMORY_MB, Job, SolverPool

__all__ = ["KINDS", "Fault", "FaultyPool", "Plan", "lie", "misbehave", "no_faults", "on_configs", "on_solvers"]

# answer: reply with a scripted raw word (a lie, or garbage) instead of solving, after `seconds`;
# sleep: wait, then solve (the pool's wall clock kills a long sleeper);
# segfault, exit: the worker dies mid-query; allocate: it allocates until its memory cap stops it.
KINDS: Final = ("answer", "sleep", "segfault", "exit", "allocate")


@dataclass(frozen=True)
class Fault:
    """What a worker does with a job instead of answering it honestly."""

    kind: str
    word: str = ""  # "answer": the raw word reported, as if the solver had said it
    reason: str = ""  # "answer": the reason reported with it
    model: Mapping[str, Any] | None = None  # "answer": the model reported with a "sat"
    seconds: float = 0.0  # "sleep": how long; "answer": how long before the reply

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Fault.kind must be one of {', '.join(KINDS)}, got kind={self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "word": self.word, "reason": self.reason,
                "model": None if self.model is None else dict(self.model), "seconds": self.seconds}


def lie(word: str, model: Mapping[str, Any] | None = None, reason: str = "", *, after: float = 0.0) -> Fault:
    """A worker that reports ``word`` (and ``model``, ``reason``) ``after`` seconds, without asking its solver."""
    return Fault("answer", word, reason, model, after)


Plan = Callable[[Job], "Fault | None"]


def no_faults(_job: Job) -> Fault | None:
    """The plan of an honest pool."""
    return None


def on_configs(faults: Mapping[str, Fault]) -> Plan:
    """A plan by configuration name (``z3``, ``cvc5-fmf``, ...); other configurations answer honestly."""
    table = dict(faults)
    return lambda job: table.get(job.config.name)


def on_solvers(faults: Mapping[str, Fault]) -> Plan:
    """A plan by solver (``z3``, ``cvc5``): every configuration of that solver gets the fault."""
    table = dict(faults)
    return lambda job: table.get(job.config.solver)


class FaultyPool(SolverPool):
    """A solver pool whose workers misbehave as ``plan`` says; for tests only.

    ``injected`` lists each (job, fault) sent, so that a test can check that
    its fault was reached.
    """

    def __init__(self, size: int | None = None, *, memory_mb: int = DEFAULT_MEMORY_MB,
                 plan: Plan = no_faults) -> None:
        super().__init__(size, memory_mb=memory_mb)
        self.plan = plan
        self.injected: list[tuple[Job, Fault]] = []

    @contextlib.contextmanager
    def injecting(self, plan: Plan) -> Iterator[FaultyPool]:
        """Use ``plan`` inside the block, the previous plan after it."""
        before, self.plan = self.plan, plan
        try:
            yield self
        finally:
            self.plan = before

    def _message(self, job: Job) -> dict[str, Any]:
        msg = super()._message(job)
        fault = self.plan(job)
        if fault is not None:
            self.injected.append((job, fault))
            msg["fault"] = fault.to_json()
        return msg


def misbehave(fault: Mapping[str, Any]) -> dict[str, Any] | None:  # pragma: no cover - runs in the worker
    """In the worker: do what ``fault`` says.  A scripted answer, or None to go on and solve (after a sleep).

    ``segfault``, ``exit`` and ``allocate`` do not return: the worker dies
    (``allocate`` raises MemoryError out of the worker's loop).
    """
    kind = str(fault["kind"])
    if kind == "answer":
        time.sleep(float(fault.get("seconds", 0.0)))
        return {"raw": str(fault["word"]), "reason": str(fault.get("reason", "")), "model": fault.get("model")}
    if kind == "sleep":
        time.sleep(float(fault.get("seconds", 0.0)))
        return None
    if kind == "segfault":
        import ctypes

        ctypes.string_at(0)
    elif kind == "allocate":
        hog = []
        while True:
            hog.append(bytearray(16 * 1024 * 1024))
    elif kind == "exit":
        os._exit(3)
    raise ValueError(f"unknown fault kind {kind!r}")
