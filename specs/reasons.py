"""The sentences of a decided verdict: its reason, and the detail of each claim.

The kernel writes these into verdicts, and so into certificates; ``assay
recheck`` derives them again from the spec, the givens and the proposal and
compares them with the certificate's, character for character.  Both build
them here, so that the text is one function's and not two copies that drift.
Nothing here decides anything: each function only words facts its caller
established.

``violations`` are ``(line, detail)`` pairs, in the order the clauses were
found violated; a reason names the first three.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .show import show_int

__all__ = ["HOLDS", "accepted", "another_solution", "better_solution", "claim_fails", "not_optimal",
           "objective_raises", "refuted", "unsat_on", "vacuous"]

HOLDS: Final = "the spec holds on the proposal"
_SHOWN: Final = 3  # violated clauses a reason names


def accepted(proved: Sequence[str] = ()) -> str:
    """ACCEPTED: the spec holds, and each claim in ``proved`` (in order) was proved."""
    return f"{HOLDS}; proved: {', '.join(proved)}" if proved else HOLDS


def refuted(violations: Sequence[tuple[int, str]]) -> str:
    """REFUTED by the evaluator: how many clauses are violated, and the first few."""
    return f"{len(violations)} violated: {_summary(violations)}"


def vacuous(proof: str, violations: Sequence[tuple[int, str]]) -> str:
    """VACUOUS: no proposal can meet the spec (``proof`` says how that was proved), and this one fails."""
    return (f"no proposal can meet the spec for these givens (the solvers proved it: {proof}); "
            f"this one fails too: {_summary(violations)}")


def unsat_on(solvers: Sequence[str]) -> str:
    """The detail of a claim proved by UNSAT on each of ``solvers`` (in the order they answered)."""
    return "UNSAT on " + " and ".join(solvers)


def claim_fails(name: str, detail: str) -> str:
    """REFUTED by a confirmed counterexample to the claim ``name``."""
    return f"the {name} claim fails: {detail}"


def another_solution(shown: str) -> str:
    """The detail of a refuted ``unique`` claim: ``shown`` is the other solution, as JSON text."""
    return f"another proposal also meets the spec: {shown}"


def better_solution(shown: str, theirs: int, mine: int) -> str:
    """The detail of a refuted ``optimal`` claim: ``shown`` does better (objective ``theirs``)."""
    return f"{shown} also meets the spec with objective {show_int(theirs)} (this proposal: {show_int(mine)})"


def objective_raises(kind: str, message: str) -> str:
    """The detail of an ``optimal`` claim refuted because the proposal's objective raises."""
    return f"the objective raises {kind} on the proposal: {message}"


def not_optimal(detail: str) -> str:
    """REFUTED because the proposal's objective raises (``detail`` from :func:`objective_raises`)."""
    return f"not optimal: {detail}"


def _summary(violations: Sequence[tuple[int, str]]) -> str:
    return "; ".join(f"line {line}: {detail}" for line, detail in violations[:_SHOWN])
