"""What the offload loop is given: a parser for the model's text, and the kernel steps it calls.

The loop (:mod:`.loop`) never imports ``assay.bridges``: the text parser is
a :data:`Parser` passed in, and the kernel's own functions come as a
:class:`KernelSteps`, which tests swap to inject costs and faults.  A program
spec's proposals are program texts: no parser (the program front end reads
them inside :func:`.programs.check_program`), and its own check step.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from assay.specs import Spec
from assay.specs.domains import DecodeError

from .check import check, unknown
from .verdicts import Location, Outcome, Verdict, make, with_fields

__all__ = ["CheckStep", "KernelSteps", "OutrightStep", "ParseFailure", "ParsedAnswer", "Parser", "ProgramCheckStep",
           "RepairStep", "kernel_steps"]


@dataclass(frozen=True)
class ParsedAnswer:
    """A proposal (a JSON value) found in a model's text, and where it starts."""

    value: Any
    where: Location | None = None


@dataclass(frozen=True)
class ParseFailure:
    """A model's text that holds no answer: why, and where (1-based line and column)."""

    message: str
    where: Location


Parser = Callable[[Spec, str], "ParsedAnswer | ParseFailure"]


class CheckStep(Protocol):
    def __call__(self, spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                 store: str | Path | None, vacuity: bool, where: Location | None) -> Verdict: ...


class RepairStep(Protocol):
    def __call__(self, spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                 store: str | Path | None, budget: float) -> Verdict: ...


class OutrightStep(Protocol):
    def __call__(self, spec: Spec, givens: Mapping[str, Any], *, timeout: float,
                 store: str | Path | None, budget: float) -> Verdict: ...


class ProgramCheckStep(Protocol):
    def __call__(self, spec: Spec, text: str, *, timeout: float, budget: float,
                 store: str | Path | None) -> Verdict: ...


@dataclass(frozen=True)
class KernelSteps:
    """The kernel functions the loop calls; tests swap them to inject costs and faults.

    ``repair`` and ``solve_outright`` take ``timeout`` (seconds per solver
    query) and ``budget`` (solver seconds for the whole step).
    ``check_program`` judges a program text against a program spec
    (:func:`.programs.check_program`): ``timeout`` per solver query,
    ``budget`` the seconds the sandbox may spend on it in all (replays and a
    bounded search), ``store`` where an ACCEPTED program's certificate goes.
    """

    check: CheckStep
    repair: RepairStep
    solve_outright: OutrightStep
    check_program: ProgramCheckStep = field(default_factory=lambda: _program_step(None))


def _check_step(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                store: str | Path | None, vacuity: bool, where: Location | None) -> Verdict:
    return check(spec, givens, proposal, store=store, timeout=timeout, vacuity=vacuity,
                 vacuity_timeout=timeout, where=where)


def kernel_steps(*, runner: Callable[..., Sequence[Any]] | None = None) -> KernelSteps:
    """The real steps: :func:`.check.check`, :mod:`.repair`'s ``repair`` and ``solve_outright``, and
    :func:`.programs.check_program`, whose programs run in ``runner`` (default: the sandbox,
    :func:`.sandbox.run_calls`; tests pass a spy)."""
    # Imported by name at call time: the repairer is its own module, and a kernel without it still works
    # (no repair; the solvers' answer found by the any-solution query and checked).
    program = _program_step(runner)
    try:
        repairer = importlib.import_module(f"{__package__}.repair")
    except ImportError:
        return KernelSteps(_check_step, _no_repair, _outright_by_query, program)
    return KernelSteps(_check_step, repairer.repair, repairer.solve_outright, program)


def _program_step(runner: Callable[..., Sequence[Any]] | None) -> ProgramCheckStep:
    """:func:`.programs.check_program` with its sandbox runs held to the step's ``budget`` of seconds."""

    def step(spec: Spec, text: str, *, timeout: float, budget: float, store: str | Path | None) -> Verdict:
        from .programs import check_program
        from .sandbox import run_calls

        return check_program(spec, text, timeout=timeout, store=store,
                             runner=_within(runner or run_calls, time.monotonic() + budget))
    return step


def _within(runner: Callable[..., Sequence[Any]], deadline: float) -> Callable[..., Sequence[Any]]:
    """``runner`` whose runs end by ``deadline`` (monotonic): each run's total and per-call seconds are cut to
    what is left, and a run with nothing left is not started (every call a timeout, which is no evidence)."""

    def run(source: str, entry: str, calls: Sequence[Sequence[Any]], **limits: Any) -> Sequence[Any]:
        from .sandbox import CallResult

        left = deadline - time.monotonic()
        if left <= 0:
            return [CallResult("timeout", error="not run: the task's solver budget is spent")] * len(calls)
        limits["total_seconds"] = min(float(limits.get("total_seconds", 30.0)), left)
        limits["seconds_per_call"] = min(float(limits.get("seconds_per_call", 2.0)), left)
        return runner(source, entry, calls, **limits)
    return run


def _no_repair(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
               store: str | Path | None, budget: float) -> Verdict:
    return unknown("no repairer in this kernel (assay.kernel.repair is missing)")


def _outright_by_query(spec: Spec, givens: Mapping[str, Any], *, timeout: float,
                       store: str | Path | None, budget: float) -> Verdict:
    """An answer from the solvers (a model of the any-solution query), accepted only by ``check``."""
    from assay.specs.queries import any_solution
    from assay.specs.terms import Unsupported

    from .solvers import prove_unsat

    try:
        query = any_solution(spec, spec.decode_givens(dict(givens)))
    except (Unsupported, DecodeError) as exc:
        return unknown(f"unsupported: the spec cannot be solved outright: {exc}")
    proof = prove_unsat(query, timeout=timeout)
    answers = tuple(a.to_json() for a in proof.answers)
    if proof.status == "unsat":
        return make(Outcome.VACUOUS, "no proposal can meet the spec for these givens (UNSAT on both solvers)",
                    solvers=answers)
    if proof.status != "sat":
        return unknown(f"the solvers found no answer: {proof.reason}")
    try:
        value = spec.proposal.domain.encode(query.witness(proof.model or {}))
    except DecodeError as exc:
        return unknown(f"solver-model-rejected: the solvers' solution is no proposal: {exc}")
    verdict = check(spec, givens, value, store=store, timeout=timeout, vacuity=False)
    return with_fields(verdict, answer=value, solvers=answers + verdict.solvers)
