"""The spec IR: a small typed expression language, the meaning of a spec.

The front end (:mod:`assay.specs.frontend`) turns a spec's Python source into
these nodes after checking that every construct is in the supported subset;
the concrete evaluator (:mod:`assay.specs.evaluate`) and the symbolic encoder
(:mod:`assay.specs.symbolic`) each give them meaning, and the conformance
suite checks that both agree with CPython.

Semantics are CPython's, exactly:

* ints are unbounded; ``//`` and ``%`` floor; ``**`` takes a constant
  exponent ``>= 0``;
* ``and``/``or``/``not``, ``all``/``any`` over a *generator* short-circuit;
  every other call evaluates all of its arguments first (``implies(a, b)``
  included: it is a function, so ``b`` is evaluated even when ``a`` is false);
* an operation that raises in CPython (division by zero, an index out of
  range, ``min`` of nothing) makes the expression *undefined*.  A clause that
  is undefined is violated, and the verdict says which error hit it: the spec
  as a whole would have raised instead of returning ``True``.

Nodes are frozen dataclasses; every node carries the source location of the
construct it came from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BOOL",
    "INT",
    "NONE",
    "STR",
    "Assign",
    "Attr",
    "BinOp",
    "BoolOp",
    "Break",
    "Call",
    "Clause",
    "Compare",
    "Comprehension",
    "Const",
    "Continue",
    "EnumT",
    "Evaluate",
    "Expr",
    "For",
    "Function",
    "Generator",
    "If",
    "IfExp",
    "Index",
    "Invoke",
    "Let",
    "ListLit",
    "ListT",
    "Loc",
    "Method",
    "Mutate",
    "Raise",
    "RangeIter",
    "RecordT",
    "Return",
    "Scalar",
    "SetItem",
    "SliceOf",
    "SpecIR",
    "Stmt",
    "TupleLit",
    "TupleT",
    "Type",
    "UnOp",
    "Var",
    "While",
]


# --- types --------------------------------------------------------------------


class Type:
    """The static type of an expression."""


@dataclass(frozen=True)
class Scalar(Type):
    name: str  # "int", "bool" or "str"

    def __str__(self) -> str:
        return self.name


INT = Scalar("int")
BOOL = Scalar("bool")
STR = Scalar("str")


@dataclass(frozen=True)
class ListT(Type):
    elem: Type

    def __str__(self) -> str:
        return f"list[{self.elem}]"


@dataclass(frozen=True)
class TupleT(Type):
    items: tuple[Type, ...]

    def __str__(self) -> str:
        return "tuple[" + ", ".join(map(str, self.items)) + "]"


@dataclass(frozen=True)
class EnumT(Type):
    cls: type[enum.Enum]

    def __str__(self) -> str:
        return self.cls.__name__


@dataclass(frozen=True)
class RecordT(Type):
    cls: type
    fields: tuple[tuple[str, Type], ...]

    def field_type(self, name: str) -> Type | None:
        return dict(self.fields).get(name)

    def __str__(self) -> str:
        return self.cls.__name__


# --- locations ----------------------------------------------------------------


@dataclass(frozen=True)
class Loc:
    """Where a construct stands in the spec's file (1-based line, 0-based column)."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col + 1}"


# --- expressions --------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    """Base of all expression nodes.  ``type`` is set by the front end."""

    type: Type = field(kw_only=True)
    loc: Loc = field(kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Const(Expr):
    """An int, bool, str or enum member written in the spec."""

    value: Any


@dataclass(frozen=True)
class Var(Expr):
    """A parameter, a local name, or a comprehension variable."""

    name: str


@dataclass(frozen=True)
class UnOp(Expr):
    op: str  # "-", "+", "not"
    arg: Expr


@dataclass(frozen=True)
class BinOp(Expr):
    """``+ - * // % **``; ``+`` also concatenates strings, lists and tuples."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class BoolOp(Expr):
    op: str  # "and" | "or"
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare(Expr):
    """A (possibly chained) comparison: ``a < b <= c`` is ``ops=("<", "<=")``.

    Operators: ``== != < <= > >= in not-in``.  Each operand is evaluated once
    and the chain short-circuits, as in CPython.
    """

    ops: tuple[str, ...]
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class IfExp(Expr):
    cond: Expr
    then: Expr
    orelse: Expr


@dataclass(frozen=True)
class Call(Expr):
    """A builtin: ``abs min max sum len all any divmod``, or assay's ``implies`` and ``distinct``.

    ``min``/``max`` with one argument take an iterable, with more they compare
    the arguments; ``sum`` takes an iterable and an optional start.
    """

    fn: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Method(Expr):
    """A string method: ``s.startswith(p)``, ``s.endswith(p)``; ``xs.count(v)``."""

    name: str
    obj: Expr
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Index(Expr):
    """``obj[index]`` on a list, tuple (constant index) or string; negative indices count from the end."""

    obj: Expr
    index: Expr


@dataclass(frozen=True)
class Attr(Expr):
    """A record field, ``meeting.start``."""

    obj: Expr
    name: str


@dataclass(frozen=True)
class ListLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class TupleLit(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class RangeIter(Expr):
    """``range(start, stop, step)`` as an iterable; ``step`` is a non-zero constant."""

    start: Expr
    stop: Expr
    step: int


@dataclass(frozen=True)
class Generator:
    """One ``for targets in iter if conds`` clause of a comprehension.

    ``targets`` has one name, or several when the items are tuples being
    unpacked (``for i, x in enumerate(xs)`` is lowered to a tuple iterable by
    the front end, so it never reaches here as a call).
    """

    targets: tuple[str, ...]
    iter: Expr
    conds: tuple[Expr, ...]


@dataclass(frozen=True)
class Comprehension(Expr):
    """``[elt for ...]`` (``kind="list"``) or ``(elt for ...)`` (``kind="gen"``).

    A list comprehension evaluates every element before anything consumes it;
    a generator is consumed lazily, so ``all``/``any`` over it stop early and
    errors in elements after the stopping point do not happen.
    """

    kind: str
    elt: Expr
    generators: tuple[Generator, ...]


@dataclass(frozen=True)
class Let(Expr):
    """``name = value`` followed by ``body``: a local assignment, or an inlined helper's parameter."""

    name: str
    value: Expr
    body: Expr


# --- statements: the program subset ----------------------------------------------
#
# A model's program, and a spec's helper written with statements, is a
# :class:`Function` whose body is a tuple of statements.  Its semantics are
# CPython's: straight-line assignments, branches, loops over a bounded
# iterable (``for``) or up to a bound (``while``: past the bound the encoding
# says so, never a silent cut), ``break``/``continue``/``return``, and the
# list mutations a program makes on lists no other name refers to (the front
# end refuses aliasing, so a mutation is an update of one variable).  A call
# of such a function is the expression :class:`Invoke`.


@dataclass(frozen=True)
class Stmt:
    """Base of all statement nodes."""

    loc: Loc = field(kw_only=True, compare=False, repr=False)


@dataclass(frozen=True)
class Assign(Stmt):
    """``name = value``, or ``a, b = value`` (a tuple of as many items) when ``targets`` has several names."""

    targets: tuple[str, ...]
    value: Expr


@dataclass(frozen=True)
class SetItem(Stmt):
    """``name[index] = value`` on a list (negative indices count from the end; out of range: IndexError)."""

    name: str
    index: Expr
    value: Expr


@dataclass(frozen=True)
class Mutate(Stmt):
    """A list method that changes the list ``name``: ``append(v)``, ``insert(i, v)``, ``pop()``, ``pop(i)``,
    ``extend(other)``; ``target`` (when not None) gets what ``pop`` returns."""

    name: str
    method: str
    args: tuple[Expr, ...]
    target: str | None = None


@dataclass(frozen=True)
class If(Stmt):
    cond: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]


@dataclass(frozen=True)
class For(Stmt):
    """``for targets in iter: body``; ``iter`` is evaluated once, before the first iteration."""

    targets: tuple[str, ...]
    iter: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class While(Stmt):
    cond: Expr
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class Break(Stmt):
    pass


@dataclass(frozen=True)
class Continue(Stmt):
    pass


@dataclass(frozen=True)
class Return(Stmt):
    """``return value``; ``value`` None is ``return`` (the function returns None)."""

    value: Expr | None


@dataclass(frozen=True)
class Raise(Stmt):
    """``raise Kind(...)``: the program raises ``kind`` here (its message is not modelled)."""

    kind: str


@dataclass(frozen=True)
class Evaluate(Stmt):
    """An expression evaluated only for whether it raises (``print(x)``: what it prints is not modelled)."""

    value: Expr


@dataclass(frozen=True)
class Function:
    """A function with statements: its parameters (IR name, type), body and return type."""

    name: str
    params: tuple[tuple[str, Type], ...]
    body: tuple[Stmt, ...]
    returns: Type
    loc: Loc = field(compare=False, repr=False)


@dataclass(frozen=True)
class Invoke(Expr):
    """A call of a :class:`Function`: its value, or the exception it raises."""

    function: Function
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class SliceOf(Expr):
    """``obj[start:stop:step]`` on a list or a string (``start``/``stop`` None where left out; ``step`` a non-zero
    constant), with CPython's clamping of the bounds: a slice never raises."""

    obj: Expr
    start: Expr | None
    stop: Expr | None
    step: int


NONE = Scalar("None")  # the type of a function that returns nothing


# --- a whole spec -------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One top-level conjunct of the spec's ``return`` expression.

    ``expr`` is wrapped in the :class:`Let` bindings of the local assignments
    that precede the ``return``, so each clause can be evaluated on its own.
    """

    index: int
    expr: Expr
    text: str  # the clause's source text, as written
    loc: Loc


@dataclass(frozen=True)
class SpecIR:
    """The IR of a spec: its parameters and its clauses (their conjunction is the spec)."""

    name: str
    params: tuple[tuple[str, Type], ...]
    clauses: tuple[Clause, ...]
    objective: Expr | None = None  # for ``optimal``: an int expression over the parameters
    objective_sense: str | None = None  # "max" | "min"
    claims_line: int = 0  # the line of the decorator that asks for the claims
    requires: Expr | None = None  # a program spec's precondition: a bool expression over its inputs
