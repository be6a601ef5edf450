"""Sorting: return the given numbers in non-decreasing order.

The answer must be ordered and a permutation of the input: every value occurs
in it as often as in the input.  Up to 32 numbers.
"""

from __future__ import annotations

from typing import Annotated

from assay.specs import Between, Given, MaxLen, Proposal, spec

__all__ = ["MAX_NUMBERS", "sorting"]

MAX_NUMBERS = 32

Number = Annotated[int, Between(-10**9, 10**9)]


@spec
def sorting(numbers: Given[Annotated[list[Number], MaxLen(MAX_NUMBERS)]],
            result: Proposal[Annotated[list[Number], MaxLen(MAX_NUMBERS)]]) -> bool:
    """Sort the numbers: the result is in non-decreasing order and holds exactly the same values."""
    return (
        len(result) == len(numbers)
        and all(result[i] <= result[i + 1] for i in range(len(result) - 1))
        and all(result.count(value) == numbers.count(value) for value in numbers + result)
    )
