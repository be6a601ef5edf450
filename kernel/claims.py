"""Claims settled by solvers: uniqueness, optimality, and whether any solution exists."""

from __future__ import annotations

from typing import Any

from assay.specs import Spec

from .verdicts import Outcome, Verdict, make

__all__ = ["no_solution", "settle"]


def settle(spec: Spec, givens: dict[str, Any], value: Any, *, timeout: float) -> Verdict:
    """Prove the spec's claims about an accepted proposal (placeholder: solver path pending)."""
    return make(Outcome.UNKNOWN, "claims are not checked yet")


def no_solution(spec: Spec, givens: dict[str, Any], *, timeout: float) -> tuple[bool, str]:
    """Whether the solvers prove that no proposal meets the spec (placeholder)."""
    return False, "not checked"
