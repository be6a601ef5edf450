"""Specs that use constructs outside the subset; each must be refused where marked."""

from dataclasses import dataclass
from typing import Annotated

from assay.specs import Between, Given, Proposal, spec

Small = Annotated[int, Between(0, 9)]


@spec
def uses_for_loop(xs: Given[list[int]], y: Proposal[Small]) -> bool:
    for x in xs:  # refuse: for
        pass
    return True


@spec
def uses_lambda(xs: Given[list[int]], y: Proposal[Small]) -> bool:
    f = lambda v: v + 1  # noqa: E731  # refuse: lambda
    return y > 0


@spec
def uses_slice(xs: Given[list[int]], y: Proposal[Small]) -> bool:
    return sum(xs[1:]) == y  # refuse: slice


@spec
def uses_float(x: Given[int], y: Proposal[Small]) -> bool:
    return y * 1.5 > x  # refuse: float


@spec
def uses_true_division(x: Given[int], y: Proposal[Small]) -> bool:
    return x / 2 == y  # refuse: div


@spec
def uses_int_as_bool(x: Given[int], y: Proposal[Small]) -> bool:
    return y and x  # refuse: truthy


@spec
def uses_unknown_call(x: Given[int], y: Proposal[Small]) -> bool:
    return sorted([x, y]) == [x, y]  # refuse: sorted


@spec
def uses_generator_twice(xs: Given[list[int]], y: Proposal[Small]) -> bool:
    g = (x > y for x in xs)  # refuse: genexp
    return all(g)


@spec
def uses_len_of_zip(xs: Given[list[int]], y: Proposal[Small]) -> bool:
    return len(zip(xs, xs)) == y  # refuse: zip


@spec
def uses_mixed_compare(x: Given[int], y: Proposal[bool]) -> bool:
    return y == x  # refuse: mixed


@spec
def uses_symbolic_power(x: Given[int], y: Proposal[Small]) -> bool:
    return x ** y > 3  # refuse: pow


@spec
def uses_float_param(x: Given[float], y: Proposal[Small]) -> bool:  # refuse: floatparam
    return y > 0


@spec
def has_no_proposal(x: Given[int], y: Given[int]) -> bool:  # refuse: noproposal
    return x > y


def recursive(n):
    return n == 0 or recursive(n - 1)  # refuse: recursion


@spec
def uses_recursion(x: Given[int], y: Proposal[Small]) -> bool:
    return recursive(y)


@dataclass
class Point:
    x: int
    y: int


@spec
def uses_missing_field(p: Given[Point], y: Proposal[Small]) -> bool:
    return p.z == y  # refuse: field


@spec
def uses_is(x: Given[int], y: Proposal[Small]) -> bool:
    return y is x  # refuse: is


@spec
def uses_undefined(x: Given[int], y: Proposal[Small]) -> bool:
    return y == undefined_name  # noqa: F821  # refuse: undefined
