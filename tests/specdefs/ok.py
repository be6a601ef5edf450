"""Specs inside the subset, for tests of the front end and the evaluator."""

from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from assay.specs import Between, Given, Length, MaxLen, Proposal, implies, spec

Small = Annotated[int, Between(-5, 5)]


class Colour(Enum):
    RED = 1
    GREEN = 2
    BLUE = 3


@dataclass(frozen=True)
class Slot:
    start: Annotated[int, Between(0, 23)]
    colour: Colour


LIMIT = 10


def double(v):
    return 2 * v


@spec
def guarded_division(xs: Given[list[int]], k: Proposal[Small]) -> bool:
    """Errors make a clause false; `or` guards like Python."""
    total = sum(xs)
    return (
        k != 0
        and sum(x // k for x in xs) > 0
        and implies(k > 0, xs[k] > 1)
        and (k == 0 or total % k == 0)
    )


@spec
def records_and_enums(slots: Given[list[Slot]], pick: Proposal[Slot]) -> bool:
    return pick in slots and pick.colour != Colour.RED and double(pick.start) < LIMIT + 20


@spec
def strings(prefix: Given[str], word: Proposal[Annotated[str, MaxLen(8)]]) -> bool:
    return word.startswith(prefix) and len(word) >= 3 and "x" not in word and word[-1] != "a"


@spec
def fixed_list(target: Given[int], xs: Proposal[Annotated[list[Small], Length(3)]]) -> bool:
    return sum(xs) == target and all(a <= b for a, b in zip(xs, [xs[1], xs[2], 5])) and min(xs) >= -5


@spec(unique=True)
def chained(lo: Given[int], hi: Given[int], x: Proposal[Small]) -> bool:
    return lo < x < hi and divmod(x, 2)[1] == 1 and max(x, lo) ** 2 >= 0


def value_of(weights, values, capacity, take):
    return sum(values[i] for i in range(len(take)) if take[i])


@spec(maximize=value_of)
def knapsack(weights: Given[list[int]], values: Given[list[int]], capacity: Given[int],
             take: Proposal[Annotated[list[bool], Length(4)]]) -> bool:
    return sum(weights[i] for i in range(4) if take[i]) <= capacity
