"""A program spec: a spec whose proposals are programs (``@spec(program="name", requires=helper)``).

Its ``Input[...]`` parameters are the arguments of the function ``name`` a
program defines, universally quantified over their declared domains; its one
``Output[...]`` parameter is what the function returns; its body is the
postcondition relating them, in the spec language (a reference
implementation may be a helper written with statements).  ``requires`` names
a helper over (some of) the inputs, by name: the precondition an input must
meet.  :func:`assay.kernel.programs.check_program` judges a program against it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from .spec import Param, Spec

__all__ = ["ProgramSpec", "program_spec"]


def program_spec(fn: Callable[..., bool], program: str | None, requires: Callable[..., bool] | None, *,
                 claims: bool) -> ProgramSpec:
    """The ``@spec(program=..., requires=...)`` of ``fn``; ``claims``: it also asked for unique/maximize/minimize."""
    if program is None:
        raise TypeError("requires= is the precondition of a program spec: give program= too")
    if claims:
        raise TypeError("a program spec takes requires=, not unique=, maximize= or minimize=")
    return ProgramSpec(fn, program=program, requires=requires)


class ProgramSpec(Spec):
    """A spec whose proposals are programs defining ``program``."""

    def __init__(self, fn: Callable[..., bool], *, program: str, requires: Callable[..., bool] | None = None) -> None:
        super().__init__(fn)
        self.program = program
        self.requires_fn = requires

    @functools.cached_property
    def inputs(self) -> tuple[Param, ...]:
        """The arguments of the function, in order."""
        return tuple(p for p in self.params if p.role == "input")

    @functools.cached_property
    def output(self) -> Param:
        """What the function returns."""
        return next(p for p in self.params if p.role == "output")
