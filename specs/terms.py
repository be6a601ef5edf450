"""Solver-neutral terms: the language the symbolic encoder writes and the backends read.

Three sorts (``Int``, ``Bool``, ``String``); a term is a constant, a variable,
or an application of an SMT-LIB operator.  Terms are hash-consed: two
structurally equal terms are the same object, so identity is equality and
shared subterms are shared in memory and in every translation.

The smart constructors fold constants with **SMT-LIB** semantics (``div`` and
``mod`` are Euclidean, ``str.at`` out of range is ``""``), never Python's: a
folded term must mean exactly what the solver would compute from the unfolded
one.  ``div``/``mod`` by a constant zero are left unfolded, because SMT-LIB
leaves them unspecified (the encoder guards every division with an error
term, so their value never matters).  Cheap rewrites (``and`` with ``False``,
``ite`` with a constant condition, ``x = x``) keep the encoding of a spec over
concrete givens small.
"""

from __future__ import annotations

import enum
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar, Final

from .domains import MAX_SMT_CODE_POINT
from .errors import AssayError

__all__ = [
    "FALSE",
    "TRUE",
    "Sort",
    "Term",
    "Unsupported",
    "abs_",
    "add",
    "and_",
    "bool_const",
    "check_alphabet",
    "const_value",
    "distinct",
    "div",
    "eq",
    "ge",
    "gt",
    "implies",
    "int_bounds",
    "int_const",
    "is_const",
    "ite",
    "le",
    "lt",
    "mod",
    "mul",
    "neg",
    "not_",
    "or_",
    "str_at",
    "str_concat",
    "str_const",
    "str_contains",
    "str_le",
    "str_len",
    "str_lt",
    "str_prefixof",
    "str_suffixof",
    "sub",
    "subterms",
    "var",
    "variables",
]


class Unsupported(AssayError, NotImplementedError):
    """A construct or value the solver encoding cannot represent exactly.

    The kernel turns it into ``UNKNOWN(unsupported)``; nothing is guessed.
    """


class Sort(enum.Enum):
    """The sort of a term, named as in SMT-LIB."""

    INT = "Int"
    BOOL = "Bool"
    STRING = "String"


# Operators and their result sorts; "const" and "var" are the leaves.
_RESULT: Final[dict[str, Sort]] = {
    "and": Sort.BOOL, "or": Sort.BOOL, "not": Sort.BOOL, "=>": Sort.BOOL, "=": Sort.BOOL,
    "distinct": Sort.BOOL, "<": Sort.BOOL, "<=": Sort.BOOL, ">": Sort.BOOL, ">=": Sort.BOOL,
    "+": Sort.INT, "-": Sort.INT, "*": Sort.INT, "div": Sort.INT, "mod": Sort.INT, "abs": Sort.INT,
    "str.++": Sort.STRING, "str.len": Sort.INT, "str.at": Sort.STRING, "str.prefixof": Sort.BOOL,
    "str.suffixof": Sort.BOOL, "str.contains": Sort.BOOL, "str.<": Sort.BOOL, "str.<=": Sort.BOOL,
}

Payload = int | bool | str | None


class Term:
    """An immutable, hash-consed term.  Build terms with the constructors below.

    ``op`` is ``"const"``, ``"var"`` or an SMT-LIB operator (``"ite"`` included);
    ``payload`` is the constant's Python value or the variable's name.
    """

    __slots__ = ("__weakref__", "args", "op", "payload", "sort")

    op: str
    sort: Sort
    args: tuple[Term, ...]
    payload: Payload

    _table: ClassVar[weakref.WeakValueDictionary[tuple[object, ...], Term]] = (
        weakref.WeakValueDictionary())

    def __new__(cls, op: str, sort: Sort, args: tuple[Term, ...] = (), payload: Payload = None
                ) -> Term:
        # type(payload) is in the key so that True and 1 stay distinct constants.
        key = (op, sort, tuple(id(a) for a in args), type(payload), payload)
        found = cls._table.get(key)
        if found is not None:
            return found
        self = super().__new__(cls)
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "sort", sort)
        object.__setattr__(self, "args", args)
        object.__setattr__(self, "payload", payload)
        cls._table[key] = self
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("terms are immutable")

    def __reduce__(self) -> tuple[object, ...]:
        return (Term, (self.op, self.sort, self.args, self.payload))

    def __repr__(self) -> str:
        if self.op == "const":
            if self.sort is Sort.BOOL:
                return "true" if self.payload else "false"
            return repr(self.payload)
        if self.op == "var":
            return str(self.payload)
        return "(" + " ".join([self.op, *map(repr, self.args)]) + ")"

    # Identity is equality (hash-consing); keep Python's default __eq__/__hash__.


def _mk(op: str, *args: Term) -> Term:
    sort = args[1].sort if op == "ite" else _RESULT[op]
    return Term(op, sort, tuple(args))


# --- leaves -------------------------------------------------------------------

TRUE: Final = Term("const", Sort.BOOL, (), True)
FALSE: Final = Term("const", Sort.BOOL, (), False)


def int_const(n: int) -> Term:
    """The Int constant ``n`` (any size)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"int_const needs an int, got {n!r} ({type(n).__name__})")
    return Term("const", Sort.INT, (), int(n))


def bool_const(b: bool) -> Term:
    """``TRUE`` or ``FALSE``."""
    return TRUE if b else FALSE


def str_const(s: str) -> Term:
    """The String constant ``s``; refuses code points outside SMT-LIB's alphabet."""
    if not isinstance(s, str):
        raise TypeError(f"str_const needs a str, got {s!r} ({type(s).__name__})")
    check_alphabet(s)
    return Term("const", Sort.STRING, (), s)


def check_alphabet(s: str) -> None:
    """Raise :class:`Unsupported` if ``s`` has a code point above U+2FFFF.

    SMT-LIB strings range over code points ``0 .. 0x2FFFF``; z3 silently
    mangles larger ones and cvc5 refuses them, so assay refuses them first.
    """
    for i, ch in enumerate(s):
        if ord(ch) > MAX_SMT_CODE_POINT:
            raise Unsupported(
                f"the string {_clip(s)} has the character U+{ord(ch):X} at index {i}, "
                f"above U+{MAX_SMT_CODE_POINT:X}, the largest code point SMT-LIB strings hold")


def _clip(s: str) -> str:
    text = repr(s)
    return text if len(text) <= 40 else text[:37] + "..."


def var(name: str, sort: Sort) -> Term:
    """The variable ``name`` of ``sort``."""
    return Term("var", sort, (), name)


def is_const(t: Term) -> bool:
    """Whether ``t`` is a constant."""
    return t.op == "const"


def const_value(t: Term) -> int | bool | str:
    """The Python value of a constant term."""
    if t.op != "const":
        raise ValueError(f"{t!r} is not a constant")
    assert t.payload is not None
    return t.payload


def _ints(args: Iterable[Term]) -> list[int] | None:
    out = []
    for a in args:
        if a.op != "const":
            return None
        out.append(int(a.payload))  # type: ignore[arg-type]
    return out


# --- Booleans -----------------------------------------------------------------


def not_(a: Term) -> Term:
    """Negation."""
    if a is TRUE:
        return FALSE
    if a is FALSE:
        return TRUE
    if a.op == "not":
        return a.args[0]
    return _mk("not", a)


def and_(*args: Term) -> Term:
    """Conjunction, flattened, with constants and duplicates removed."""
    return _junction("and", TRUE, FALSE, args)


def or_(*args: Term) -> Term:
    """Disjunction, flattened, with constants and duplicates removed."""
    return _junction("or", FALSE, TRUE, args)


def _junction(op: str, unit: Term, zero: Term, args: tuple[Term, ...]) -> Term:
    """``and`` (unit True, zero False) or ``or`` (unit False, zero True) of ``args``."""
    out: list[Term] = []
    seen: set[int] = set()
    for a in args:
        for p in a.args if a.op == op else (a,):
            if p is zero:
                return zero
            if p is unit or id(p) in seen:
                continue
            seen.add(id(p))
            out.append(p)
    if {id(p.args[0]) for p in out if p.op == "not"} & seen:
        return zero  # x and not x; x or not x
    if not out:
        return unit
    return out[0] if len(out) == 1 else _mk(op, *out)


def implies(a: Term, b: Term) -> Term:
    """``a => b``."""
    if a is FALSE or b is TRUE:
        return TRUE
    if a is TRUE:
        return b
    if b is FALSE:
        return not_(a)
    return _mk("=>", a, b)


def ite(c: Term, a: Term, b: Term) -> Term:
    """``if c then a else b``; ``a`` and ``b`` have one sort."""
    if a.sort is not b.sort:
        raise TypeError(f"ite branches differ in sort: {a.sort.value} and {b.sort.value}")
    if c is TRUE or a is b:
        return a
    if c is FALSE:
        return b
    if c.op == "not":
        return ite(c.args[0], b, a)
    if a.sort is Sort.BOOL:
        if a is TRUE and b is FALSE:
            return c
        if a is FALSE and b is TRUE:
            return not_(c)
        if b is FALSE:
            return and_(c, a)
        if a is TRUE:
            return or_(c, b)
    return _mk("ite", c, a, b)


def eq(a: Term, b: Term) -> Term:
    """``a = b``."""
    if a.sort is not b.sort:
        raise TypeError(f"= compares {a.sort.value} with {b.sort.value}")
    if a is b:
        return TRUE
    if a.op == "const" and b.op == "const":
        return bool_const(a.payload == b.payload)
    if a.sort is Sort.BOOL:
        if a.op == "const":
            return b if a is TRUE else not_(b)
        if b.op == "const":
            return a if b is TRUE else not_(a)
    return _mk("=", a, b)


def distinct(*args: Term) -> Term:
    """Pairwise distinct: SMT-LIB's ``distinct``, which solvers propagate better than the pairs."""
    if len(args) < 2:
        return TRUE
    if len(args) == 2:
        return not_(eq(args[0], args[1]))
    if all(is_const(a) for a in args):
        values = [const_value(a) for a in args]
        return bool_const(len(set(values)) == len(values))
    return _mk("distinct", *args)


# --- integers -----------------------------------------------------------------


def add(*args: Term) -> Term:
    """Sum, with the constants folded into one."""
    total = 0
    rest: list[Term] = []
    for a in args:
        for p in (a.args if a.op == "+" else (a,)):
            if p.op == "const":
                total += int(p.payload)  # type: ignore[arg-type]
            else:
                rest.append(p)
    if total:
        rest.append(int_const(total))
    if not rest:
        return int_const(0)
    return rest[0] if len(rest) == 1 else _mk("+", *rest)


def neg(a: Term) -> Term:
    """``-a``."""
    if a.op == "const":
        return int_const(-int(a.payload))  # type: ignore[arg-type]
    if a.op == "-" and len(a.args) == 1:
        return a.args[0]
    return _mk("-", a)


def sub(a: Term, b: Term) -> Term:
    """``a - b``."""
    if b.op == "const":
        return add(a, int_const(-int(b.payload)))  # type: ignore[arg-type]
    if a is b:
        return int_const(0)
    if a.op == "const" and a.payload == 0:
        return neg(b)
    return _mk("-", a, b)


def mul(*args: Term) -> Term:
    """Product, with the constants folded into one."""
    k = 1
    rest: list[Term] = []
    for a in args:
        if a.op == "const":
            k *= int(a.payload)  # type: ignore[arg-type]
        else:
            rest.append(a)
    if k == 0 or not rest:
        return int_const(k)
    if k != 1:
        rest.insert(0, int_const(k))
    return rest[0] if len(rest) == 1 else _mk("*", *rest)


def _euclid_div(a: int, b: int) -> int:
    # SMT-LIB: a = b*q + r with 0 <= r < |b|.
    return a // b if b > 0 else -(a // -b)


def div(a: Term, b: Term) -> Term:
    """SMT-LIB ``div`` (Euclidean: the remainder is never negative); unfolded when ``b`` is 0."""
    v = _ints((a, b))
    if v is not None and v[1] != 0:
        return int_const(_euclid_div(v[0], v[1]))
    if b.op == "const" and b.payload == 1:
        return a
    return _mk("div", a, b)


def mod(a: Term, b: Term) -> Term:
    """SMT-LIB ``mod`` (in ``0 .. |b|-1``); unfolded when ``b`` is 0."""
    v = _ints((a, b))
    if v is not None and v[1] != 0:
        return int_const(v[0] - v[1] * _euclid_div(v[0], v[1]))
    return _mk("mod", a, b)


def abs_(a: Term) -> Term:
    """``|a|``."""
    if a.op == "const":
        return int_const(abs(int(a.payload)))  # type: ignore[arg-type]
    return _mk("abs", a)


def _cmp(op: str, a: Term, b: Term) -> Term:
    v = _ints((a, b))
    if v is not None:
        x, y = v
        return bool_const({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op])
    if a is b:
        return bool_const(op in ("<=", ">="))
    return _mk(op, a, b)


def lt(a: Term, b: Term) -> Term:
    """``a < b`` on Int."""
    return _cmp("<", a, b)


def le(a: Term, b: Term) -> Term:
    """``a <= b`` on Int."""
    return _cmp("<=", a, b)


def gt(a: Term, b: Term) -> Term:
    """``a > b`` on Int."""
    return _cmp(">", a, b)


def ge(a: Term, b: Term) -> Term:
    """``a >= b`` on Int."""
    return _cmp(">=", a, b)


# --- strings ------------------------------------------------------------------


def str_concat(*args: Term) -> Term:
    """``str.++``, with adjacent constants joined."""
    out: list[Term] = []
    for a in args:
        for p in (a.args if a.op == "str.++" else (a,)):
            if p.op == "const":
                if p.payload == "":
                    continue
                if out and out[-1].op == "const":
                    out[-1] = str_const(str(out[-1].payload) + str(p.payload))
                    continue
            out.append(p)
    if not out:
        return str_const("")
    return out[0] if len(out) == 1 else _mk("str.++", *out)


def str_len(s: Term) -> Term:
    """``str.len`` (in code points)."""
    if s.op == "const":
        return int_const(len(str(s.payload)))
    return _mk("str.len", s)


def str_at(s: Term, i: Term) -> Term:
    """``str.at``: the one-character string at ``i``, or ``""`` when ``i`` is out of range."""
    if s.op == "const" and i.op == "const":
        text, k = str(s.payload), int(i.payload)  # type: ignore[arg-type]
        return str_const(text[k] if 0 <= k < len(text) else "")
    return _mk("str.at", s, i)


def str_prefixof(p: Term, s: Term) -> Term:
    """``str.prefixof p s``: ``p`` is a prefix of ``s``."""
    if p.op == "const" and s.op == "const":
        return bool_const(str(s.payload).startswith(str(p.payload)))
    if p.op == "const" and p.payload == "":
        return TRUE
    return _mk("str.prefixof", p, s)


def str_suffixof(p: Term, s: Term) -> Term:
    """``str.suffixof p s``: ``p`` is a suffix of ``s``."""
    if p.op == "const" and s.op == "const":
        return bool_const(str(s.payload).endswith(str(p.payload)))
    if p.op == "const" and p.payload == "":
        return TRUE
    return _mk("str.suffixof", p, s)


def str_contains(s: Term, p: Term) -> Term:
    """``str.contains s p``: ``p`` occurs in ``s``."""
    if p.op == "const" and s.op == "const":
        return bool_const(str(p.payload) in str(s.payload))
    if p.op == "const" and p.payload == "":
        return TRUE
    return _mk("str.contains", s, p)


def str_lt(a: Term, b: Term) -> Term:
    """``str.<``: lexicographic by code point (as Python's ``<`` on str)."""
    if a.op == "const" and b.op == "const":
        return bool_const(str(a.payload) < str(b.payload))
    if a is b:
        return FALSE
    return _mk("str.<", a, b)


def str_le(a: Term, b: Term) -> Term:
    """``str.<=``."""
    if a.op == "const" and b.op == "const":
        return bool_const(str(a.payload) <= str(b.payload))
    if a is b:
        return TRUE
    return _mk("str.<=", a, b)


# --- traversal and analysis ----------------------------------------------------


def subterms(*roots: Term) -> Iterator[Term]:
    """Every distinct subterm of ``roots``, children before parents."""
    seen: set[int] = set()
    stack: list[tuple[Term, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        t, done = stack.pop()
        if done:
            yield t
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        stack.extend((a, False) for a in reversed(t.args) if id(a) not in seen)


def variables(*roots: Term) -> dict[str, Sort]:
    """The variables occurring in ``roots``, by name (in first-occurrence order)."""
    out: dict[str, Sort] = {}
    for t in subterms(*roots):
        if t.op == "var":
            name = str(t.payload)
            if out.setdefault(name, t.sort) is not t.sort:
                raise TypeError(f"variable {name!r} is used with two sorts")
    return out


Bounds = tuple[int | None, int | None]


def int_bounds(t: Term, known: Mapping[str, Bounds], _memo: dict[int, Bounds] | None = None
               ) -> Bounds:
    """Sound interval bounds of an Int term (None: unbounded on that side).

    ``known`` gives bounds of Int variables by name, and of ``str.len`` of a
    String variable under the same name.  Used to unroll ``range`` over
    symbolic bounds to a finite number of guarded steps.
    """
    memo = {} if _memo is None else _memo
    if id(t) in memo:
        return memo[id(t)]
    r: Bounds = (None, None)
    if t.op == "const":
        r = (int(t.payload), int(t.payload))  # type: ignore[arg-type]
    elif t.op == "var":
        r = known.get(str(t.payload), (None, None))
    elif t.op == "str.len":
        r = (0, None)
        if t.args[0].op == "var":
            lo, hi = known.get(str(t.args[0].payload), (0, None))
            r = (max(0, lo or 0), hi)
    elif t.op in ("+", "-", "ite", "abs", "*"):
        bs = [int_bounds(a, known, memo) for a in t.args]
        if t.op == "+":
            r = (_sum([b[0] for b in bs]), _sum([b[1] for b in bs]))
        elif t.op == "-" and len(bs) == 1:
            r = (_negate(bs[0][1]), _negate(bs[0][0]))
        elif t.op == "-":
            r = (_sum([bs[0][0], _negate(bs[1][1])]), _sum([bs[0][1], _negate(bs[1][0])]))
        elif t.op == "ite":
            r = (_min2(bs[1][0], bs[2][0]), _max2(bs[1][1], bs[2][1]))
        elif t.op == "abs":
            lo, hi = bs[0]
            top = None if lo is None or hi is None else max(abs(lo), abs(hi))
            bottom = lo if lo is not None and lo >= 0 else (-hi if hi is not None and hi <= 0 else 0)
            r = (bottom, top)
        elif t.op == "*" and len(bs) == 2 and t.args[0].op == "const":
            k = int(t.args[0].payload)  # type: ignore[arg-type]
            lo, hi = bs[1]
            lo2 = None if lo is None else k * lo
            hi2 = None if hi is None else k * hi
            r = (lo2, hi2) if k >= 0 else (hi2, lo2)
    memo[id(t)] = r
    return r


def _sum(xs: list[int | None]) -> int | None:
    return None if any(x is None for x in xs) else sum(x for x in xs if x is not None)


def _negate(x: int | None) -> int | None:
    return None if x is None else -x


def _min2(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else min(a, b)


def _max2(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else max(a, b)
