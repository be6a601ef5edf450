"""A running maximum: the program spec of ``assay demo``'s program task (and the README's example).

A program spec quantifies over the function's inputs in their declared
bounds: here every list of 1 to 5 readings in -50..50.  The postcondition
calls a reference written with statements; the precondition is a helper
over the inputs.
"""

from __future__ import annotations

from typing import Annotated

from assay.specs import Between, Input, MaxLen, Output, spec

__all__ = ["nonempty", "peaks", "running_maxima"]

Reading = Annotated[int, Between(-50, 50)]


def nonempty(xs: list[int]) -> bool:
    return len(xs) >= 1


def peaks(xs: list[int]) -> list[int]:
    """The reference: the largest reading so far, after each reading."""
    out = []
    best = xs[0]
    for x in xs:
        best = max(best, x)
        out.append(best)
    return out


@spec(program="running_max", requires=nonempty)
def running_maxima(xs: Input[Annotated[list[Reading], MaxLen(5)]], out: Output[list[int]]) -> bool:
    """A function whose output is the largest reading so far, after each reading."""
    return out == peaks(xs)
