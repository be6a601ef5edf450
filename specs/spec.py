"""The spec object: a typed Python function in a documented subset, and CPython as its evaluator.

A spec is written as::

    from typing import Annotated
    from assay.specs import spec, Given, Proposal, Between, Length

    Digit = Annotated[int, Between(1, 9)]

    @spec(unique=True)
    def pick(options: Given[list[int]], choice: Proposal[Digit]) -> bool:
        return choice in options and choice % 2 == 1

Parameters marked ``Proposal[...]`` are what the model must produce (exactly
one); the others are the givens of the task.  The body is an optional
docstring, local assignments, and one ``return`` of a ``bool`` expression whose
top-level ``and`` operands are the spec's *clauses*: each is reported on its
own when it fails.

:class:`Spec` holds the function, decodes givens and proposals through the
domains, and decides a value with :meth:`Spec.holds`: CPython running the
spec's own code.  Its IR is built by :mod:`assay.specs.frontend` on first use.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from . import ir
from .domains import DecodeError, Domain
from .ir import Clause
from .time_limit import limited

if TYPE_CHECKING:
    from .frontend import Built

__all__ = ["Param", "Spec", "distinct", "implies", "spec"]


def implies(a: bool, b: bool) -> bool:
    """``a`` implies ``b``.  A plain function: both arguments are evaluated."""
    return (not a) or b


def distinct(items: Iterable[Any]) -> bool:
    """No two items are equal (the all-different constraint); items are ints, bools, strs or enum members."""
    seen = items if isinstance(items, list) else list(items)
    return len(set(seen)) == len(seen)


@dataclass(frozen=True)
class Param:
    """One parameter of a spec: its name, its role (a given or the proposal), its domain and where it is declared."""

    name: str
    role: str  # "given" | "proposal", or for a program spec "input" | "output"
    domain: Domain
    loc: ir.Loc


F = TypeVar("F", bound=Callable[..., bool])


class Spec:
    """A loaded spec: the Python function, its parameters' domains and its IR.

    The IR is built on first use (so helpers may be defined below the spec);
    :func:`load` builds it at once so that a bad spec fails when it is loaded.
    """

    program: str | None = None  # a program spec's (assay.specs.program_spec.ProgramSpec) entry function
    requires_fn: Callable[..., bool] | None = None  # and its precondition

    def __init__(self, fn: Callable[..., bool], *, unique: bool = False,
                 maximize: Callable[..., int] | None = None,
                 minimize: Callable[..., int] | None = None) -> None:
        if maximize is not None and minimize is not None:
            raise TypeError("a spec takes maximize= or minimize=, not both")
        self.fn = fn
        self.name = fn.__name__
        self.unique = unique
        self.objective_fn = maximize or minimize
        self.sense = "max" if maximize is not None else ("min" if minimize is not None else None)
        self.ref = f"{fn.__module__}:{fn.__qualname__}"
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<spec {self.ref}>"

    @functools.cached_property
    def _built(self) -> Built:
        # Imported here because the front end imports this module (it needs Spec, implies and
        # distinct to recognise calls to them); by first use both modules are fully loaded.
        from .frontend import build
        return build(self)

    @property
    def params(self) -> tuple[Param, ...]:
        return self._built.params

    @property
    def ir(self) -> ir.SpecIR:
        return self._built.ir

    @property
    def source_hash(self) -> str:
        """sha256 of everything that gives the spec its meaning: its source, its helpers', its domains."""
        return self._built.source_hash

    @functools.cached_property
    def proposal(self) -> Param:
        found = next((p for p in self.params if p.role == "proposal"), None)
        if found is None:
            raise TypeError(f"{self.name} is a program spec: its proposals are programs, checked by check_program")
        return found

    @functools.cached_property
    def givens(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.role == "given")

    @property
    def file(self) -> str:
        return inspect.getsourcefile(self.fn) or "<unknown>"

    # -- the trusted evaluator ---------------------------------------------------

    def decode_givens(self, givens: Any) -> dict[str, Any]:
        """The givens (a JSON object) as the spec's Python values, or DecodeError naming the bad part.

        A record's ``__post_init__`` runs here: under the evaluation time limit
        (:mod:`.time_limit`), as all the spec's own code does.
        """
        return limited("decoding the givens", lambda: self._decode_givens(givens))

    def _decode_givens(self, givens: Any) -> dict[str, Any]:
        names = ", ".join(p.name for p in self.givens) or "no givens"
        if not isinstance(givens, dict):
            raise DecodeError("givens", f"expected an object with {names}, got {type(givens).__name__}")
        values: dict[str, Any] = {}
        for p in self.givens:
            if p.name not in givens:
                raise DecodeError(f"givens.{p.name}", f"missing (the spec takes {names})")
            values[p.name] = p.domain.decode(givens[p.name], f"givens.{p.name}")
            bad = next(p.domain.out_of_bounds(values[p.name], f"givens.{p.name}"), None)
            if bad is not None:
                raise DecodeError(f"givens.{p.name}", bad)
        extra = [k for k in givens if k not in values]
        if extra:
            raise DecodeError(f"givens.{extra[0]}", f"not a given of this spec (it takes {names})")
        return values

    def decode_proposal(self, proposal: Any) -> Any:
        """The proposal (a JSON value) as a Python value of its domain, or DecodeError."""
        return limited("decoding the proposal", lambda: self.proposal.domain.decode(proposal, "proposal"))

    def out_of_bounds(self, value: Any) -> list[str]:
        """Sentences naming each part of a decoded proposal outside its declared bounds."""
        return list(self.proposal.domain.out_of_bounds(value, self.proposal.name))

    def holds(self, values: dict[str, Any]) -> bool:
        """The trusted evaluator: CPython runs the spec's own code on decoded values.

        The source was checked to lie in the pure subset when the spec was
        built, and the values come from the domains' decoders, never from
        evaluating proposal text.  Anything the spec raises makes it false;
        only the bool ``True`` is acceptance.  Bounds are checked separately
        (:meth:`out_of_bounds`).  Under an evaluation time limit
        (:func:`.time_limit.evaluation_budget`) code that runs past it raises
        :class:`~.time_limit.EvaluationTimeout`: neither true nor false.
        """
        _ = self.ir  # the subset check must have passed before the code runs

        def run() -> bool:
            try:
                return self.fn(**values) is True
            except (MemoryError, RecursionError):
                raise  # the interpreter's limits, not the spec's meaning: limited() makes them UNKNOWN
            except Exception:
                return False
        return limited("running the spec on the proposal", run)

    def violated_clauses(self, values: dict[str, Any]) -> list[Clause]:
        """The clauses that do not hold on ``values``, each decided by CPython on its own.

        Each clause runs as a function compiled from the spec's own source:
        its assignments, then ``return <clause>``.  A clause that raises is
        violated, as it would make the spec raise.  Under the evaluation time
        limit, as :meth:`holds`.
        """
        pairs = list(zip(self.ir.clauses, self._built.clause_fns, strict=True))

        def run() -> list[Clause]:
            out = []
            for clause, fn in pairs:
                try:
                    holds = fn(**values) is True
                except (MemoryError, RecursionError):
                    raise
                except Exception:
                    holds = False
                if not holds:
                    out.append(clause)
            return out
        return limited("running the spec's clauses one by one", run)


@overload
def spec(fn: F, /) -> Spec: ...
@overload
def spec(*, unique: bool = ..., maximize: Callable[..., int] | None = ...,
         minimize: Callable[..., int] | None = ..., program: str | None = ...,
         requires: Callable[..., bool] | None = ...) -> Callable[[F], Spec]: ...


def spec(fn: Any = None, /, *, unique: bool = False, maximize: Any = None,
         minimize: Any = None, program: str | None = None, requires: Any = None) -> Any:
    """Mark a function as a spec.

    ``unique=True`` asks the kernel to prove the proposal is the only solution;
    ``maximize=f`` / ``minimize=f`` name a helper over the same parameters
    (an int objective) and ask it to prove the proposal optimal.

    ``program="name"`` (and ``requires=h``) makes it a program spec
    (:mod:`.program_spec`).
    """
    def wrap(f: Callable[..., bool]) -> Spec:
        if program is not None or requires is not None:
            from .program_spec import program_spec  # its module imports this one

            return program_spec(f, program, requires, claims=unique or maximize is not None or minimize is not None)
        return Spec(f, unique=unique, maximize=maximize, minimize=minimize)
    return wrap(fn) if fn is not None else wrap
