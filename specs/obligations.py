"""The query behind each claim, by the claim's name: one table for the CLI export, certificates and recheck.

``any-solution`` (alias ``no-solution``, the claim of a VACUOUS verdict) asks
whether any proposal meets the spec; ``unique`` whether another one does;
``optimal`` whether a better one does.  Each claim holds when its query is
UNSAT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from . import queries
from .spec import Spec

__all__ = ["CLAIMS", "claim_query"]

# claim name -> whether its query is about a particular proposal
CLAIMS: Final = {"any-solution": False, "no-solution": False, "unique": True, "optimal": True}


def claim_query(claim: str, spec: Spec, givens: Mapping[str, Any], value: Any = None) -> queries.Query:
    """The query whose UNSAT proves ``claim`` (decoded ``givens``; ``value`` the decoded proposal).

    Raises ``ValueError`` for an unknown claim or ``optimal`` on a spec without
    an objective, :class:`~.terms.Unsupported` when the spec cannot be encoded,
    and :class:`~.evaluate.Undefined` when the proposal's objective raises.
    """
    if claim in ("any-solution", "no-solution"):
        return queries.any_solution(spec, givens)
    if claim == "unique":
        return queries.another_solution(spec, givens, value)
    if claim == "optimal":
        return queries.better_solution(spec, givens, value)
    raise ValueError(f"unknown claim {claim!r} (expected one of {', '.join(CLAIMS)})")
