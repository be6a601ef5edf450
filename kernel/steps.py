"""What the offload loop is given: a parser for the model's text, and the kernel steps it calls.

The loop (:mod:`.loop`) never imports ``assay.bridges``: the text parser is
a :data:`Parser` passed in, and the kernel's own functions come as a
:class:`KernelSteps`, which tests swap to inject costs and faults.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assay.specs import Spec
from assay.specs.domains import DecodeError

from .check import check, unknown
from .verdicts import Location, Outcome, Verdict, make, with_fields

__all__ = ["CheckStep", "KernelSteps", "OutrightStep", "ParseFailure", "ParsedAnswer", "Parser", "RepairStep",
           "kernel_steps"]


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


@dataclass(frozen=True)
class KernelSteps:
    """The kernel functions the loop calls; tests swap them to inject costs and faults.

    ``repair`` and ``solve_outright`` take ``timeout`` (seconds per solver
    query) and ``budget`` (solver seconds for the whole step).
    """

    check: CheckStep
    repair: RepairStep
    solve_outright: OutrightStep


def _check_step(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                store: str | Path | None, vacuity: bool, where: Location | None) -> Verdict:
    return check(spec, givens, proposal, store=store, timeout=timeout, vacuity=vacuity,
                 vacuity_timeout=timeout, where=where)


def kernel_steps() -> KernelSteps:
    """The real steps: :func:`.check.check`, and :mod:`.repair`'s ``repair`` and ``solve_outright``."""
    # Imported by name at call time: the repairer is its own module, and a kernel without it still works
    # (no repair; the solvers' answer found by the any-solution query and checked).
    try:
        repairer = importlib.import_module(f"{__package__}.repair")
    except ImportError:
        return KernelSteps(_check_step, _no_repair, _outright_by_query)
    return KernelSteps(_check_step, repairer.repair, repairer.solve_outright)


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
