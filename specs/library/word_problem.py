"""A linear system from a word problem, with a unique answer.

"A farmyard holds chickens and rabbits.  Counting, the farmer finds ``heads``
heads and ``legs`` legs.  How many chickens and how many rabbits are there?"

Chickens have 2 legs and rabbits 4, so the answer solves
``chickens + rabbits = heads`` and ``2 chickens + 4 rabbits = legs``; the spec
claims the answer is unique, which the solver proves.  With an odd number of
legs, or more legs than four per head, the task has no answer at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from assay.specs import Between, Given, Proposal, spec

__all__ = ["Farmyard", "chickens_and_rabbits"]

Count = Annotated[int, Between(0, 1000)]


@dataclass(frozen=True)
class Farmyard:
    """The answer: how many of each animal."""

    chickens: Count
    rabbits: Count


@spec(unique=True)
def chickens_and_rabbits(heads: Given[Count], legs: Given[Annotated[int, Between(0, 4000)]],
                         answer: Proposal[Farmyard]) -> bool:
    """Find how many chickens (2 legs) and rabbits (4 legs) give these heads and legs."""
    return (
        answer.chickens + answer.rabbits == heads
        and 2 * answer.chickens + 4 * answer.rabbits == legs
    )
