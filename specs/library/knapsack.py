"""0/1 knapsack: choose items that fit the capacity, with the greatest total value.

The proposal says, item by item, whether it is packed.  The spec asks that
the choice fits, and claims (``maximize=total_value``) that no other choice
that fits is worth more, which the solver proves.  Up to 16 items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from assay.specs import Between, Given, MaxLen, Proposal, spec

__all__ = ["MAX_ITEMS", "Item", "knapsack", "total_value", "total_weight"]

MAX_ITEMS = 16


@dataclass(frozen=True)
class Item:
    """An item that may be packed: its weight and its value, in whole units."""

    name: str
    weight: Annotated[int, Between(1, 1000)]
    value: Annotated[int, Between(0, 1000)]


# The spec language takes no keyword arguments, so zip(..., strict=True) is not
# available (hence the noqa: B905); the spec's length clause does that check.
def total_weight(items: list[Item], packed: list[bool]) -> int:
    """The weight of the packed items."""
    return sum(item.weight if take else 0 for item, take in zip(items, packed))


def total_value(items: list[Item], packed: list[bool]) -> int:
    """The value of the packed items: the objective."""
    return sum(item.value if take else 0 for item, take in zip(items, packed))


@spec(maximize=total_value)
def knapsack(items: Given[list[Item]], capacity: Given[Annotated[int, Between(0, 16000)]],
             packed: Proposal[Annotated[list[bool], MaxLen(MAX_ITEMS)]]) -> bool:
    """Choose which items to pack (packed[i]) so they fit the capacity with the most value."""
    return (
        len(packed) == len(items)
        and total_weight(items, packed) <= capacity
    )
