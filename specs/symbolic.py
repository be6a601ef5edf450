"""Symbolic execution of the spec IR into solver-neutral terms (:mod:`.terms`).

:func:`encode` is what the kernel calls: the givens are concrete Python values
(lifted to constant terms, so most of a spec folds away), the proposal is
symbolic over its declared domain, and each clause becomes a Bool term that is
true exactly when the clause evaluates to ``True`` *without raising*.

Values during encoding:

* ``int``, ``bool``, ``str`` and enum members are :class:`~.terms.Term`\\ s
  (an enum member is an Int term: its index in ``list(EnumClass)``);
* a tuple is a Python tuple of values, a record a :class:`RecordVal`;
* a list is a :class:`SymList`: slots ``(guard, value)``, the list being the
  values whose guard holds, in order.  A proposal list of at most ``N`` items
  has ``N`` slots guarded ``i < L``; a filtered comprehension has slots guarded
  by its filter.

The error rule: every expression encodes to ``(value, err)`` where ``err`` is
a Bool term meaning "CPython raises here".  Short-circuiting is exact:
``and``/``or``, if-expressions, chained comparisons, and ``all``/``any`` over a
generator evaluate (and so can raise in) only what CPython evaluates.
Iteration is modelled as a :class:`Stream` of steps, each with its own error,
so that a lazy consumer can stop before a later step's error happens.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from . import ir
from . import terms as T
from .domains import (
    BoolDomain,
    DecodeError,
    Domain,
    EnumDomain,
    IntDomain,
    ListDomain,
    RecordDomain,
    StrDomain,
    TupleDomain,
)
from .equality import compared_fields
from .show import show_int
from .spec import Spec
from .terms import Sort, Term, Unsupported

if TYPE_CHECKING:
    from .strings import StringOps

__all__ = [
    "MAX_UNROLL",
    "MAX_UNROLL_TOTAL",
    "Encoding",
    "RecordVal",
    "Stream",
    "SymList",
    "Unsupported",
    "Value",
    "encode",
    "encode_expr",
    "equals",
    "identical",
    "lift",
    "list_len",
    "symbolic_list",
]

# The most steps one range or comprehension may unroll to; beyond it the
# encoding would be too large to be useful, and the kernel says UNKNOWN.
MAX_UNROLL = 20_000
# The most comprehension steps one encoding unrolls in all (comprehensions nested in the element of
# another, `all(all(... for j in range(1000)) for i in range(300))`, unroll one inner per outer step:
# each under MAX_UNROLL, together 300,000: half a minute to build; 50,000 take about four seconds).
MAX_UNROLL_TOTAL = 50_000


@dataclass(frozen=True)
class RecordVal:
    """A dataclass instance: its class and the values of its fields."""

    cls: type
    fields: tuple[tuple[str, Value], ...]

    def get(self, name: str) -> Value:
        """The value of the field ``name``."""
        for n, v in self.fields:
            if n == name:
                return v
        raise KeyError(name)


@dataclass(frozen=True)
class SymList:
    """A list as guarded slots.  ``dense``: the present slots are a prefix.

    ``length``, when known, is a term for the number of present slots (a
    proposal's length variable); otherwise it is the count of true guards.
    """

    slots: tuple[tuple[Term, Value], ...]
    dense: bool = True
    length: Term | None = None


Value = Union[Term, tuple["Value", ...], RecordVal, SymList]  # noqa: UP007 - a recursive alias


@dataclass(frozen=True)
class StreamItem:
    """One item of an iteration (a Stream): it raises (``err``), or yields ``value`` when ``present``."""

    present: Term
    value: Value
    err: Term


@dataclass(frozen=True)
class Stream:
    """An iteration: ``init_err`` raises when it is created, then the steps run in order."""

    init_err: Term
    steps: tuple[StreamItem, ...]


# --- the encoding of a whole spec ---------------------------------------------


@dataclass(frozen=True)
class Encoding:
    """A spec over concrete givens, with the proposal symbolic.

    ``clauses[i]`` holds iff ``spec.ir.clauses[i]`` evaluates to ``True``
    without raising; ``clause_errors[i]`` iff it raises.  ``spec_term`` is
    ``domain`` and every clause.  ``objective`` is the spec's objective (None
    when it has none), meaningful where ``objective_defined`` holds.
    """

    variables: Mapping[str, Sort]
    domain: Term
    clauses: tuple[Term, ...]
    clause_errors: tuple[Term, ...]
    spec_term: Term
    objective: Term | None
    objective_defined: Term
    proposal: Value
    proposal_name: str
    proposal_domain: Domain
    proposal_type: ir.Type

    def decode(self, model: Mapping[str, Any]) -> Any:
        """The proposal's Python value under ``model``, decoded as every proposal is (``Domain.decode``).

        ``model`` maps variable names to ints, bools and strs; a variable it
        lacks (a solver may leave irrelevant ones out) takes the smallest
        value of its domain.  A model that is no value of the domain (a
        record's ``__post_init__`` refuses it, an enum index out of range)
        raises :class:`~.domains.DecodeError`, as a bad proposal would.
        """
        return self.proposal_domain.decode(_model_json(self.proposal, self.proposal_domain, model), "witness")

    def is_value(self, value: Any) -> Term:
        """A Bool term: the symbolic proposal is exactly the decoded ``value``, field for field.

        This is what "another proposal" means to a claim: one that differs
        anywhere, whatever the spec's ``==`` says (a record field with
        ``compare=False`` still makes two proposals different).
        """
        return identical(self.proposal, lift(value, self.proposal_type))


def encode(spec: Spec, givens: Mapping[str, Any]) -> Encoding:
    """Encode ``spec`` with its givens fixed to ``givens`` and its proposal symbolic.

    Raises :class:`Unsupported` when the proposal's domain has no length
    bound, or the spec needs something the encoding cannot represent exactly.
    """
    types = dict(spec.ir.params)
    env: dict[str, Value] = {}
    # Each value of the givens becomes a constant, and a clause over a given list a term per item
    # (`p in xs` over 200,000 items took 7 s to build): the givens count against the same total.
    held = sum(_values_in(givens[p.name]) for p in spec.givens if p.name in givens)
    if held > MAX_UNROLL_TOTAL:
        raise Unsupported(f"the givens hold {held} values, more than the {MAX_UNROLL_TOTAL} the encoding "
                          "builds in all")
    for p in spec.givens:
        if p.name not in givens:
            raise KeyError(f"no value for the given {p.name!r}")
        env[p.name] = lift(givens[p.name], types[p.name])
    prop = spec.proposal
    builder = _ProposalBuilder()
    pvalue = builder.build(prop.name, prop.domain)
    env[prop.name] = pvalue
    enc = _Encoder(builder.bounds)
    clauses: list[Term] = []
    errors: list[Term] = []
    for clause in spec.ir.clauses:
        v, err = enc.expr(clause.expr, env)
        assert isinstance(v, Term)
        clauses.append(T.and_(T.not_(err), v))
        errors.append(err)
    objective: Term | None = None
    defined = T.TRUE
    if spec.ir.objective is not None:
        ov, oerr = enc.expr(spec.ir.objective, env)
        assert isinstance(ov, Term)
        objective, defined = ov, T.not_(oerr)
    domain = T.and_(*builder.constraints)
    return Encoding(
        variables=dict(builder.variables), domain=domain, clauses=tuple(clauses),
        clause_errors=tuple(errors), spec_term=T.and_(domain, *clauses), objective=objective,
        objective_defined=defined, proposal=pvalue, proposal_name=prop.name,
        proposal_domain=prop.domain, proposal_type=types[prop.name])


def encode_expr(e: ir.Expr, env: Mapping[str, Value],
                bounds: Mapping[str, tuple[int | None, int | None]] | None = None
                ) -> tuple[Value, Term]:
    """Encode one expression: its value and its error term (true iff CPython raises).

    ``env`` maps IR names to values (terms, tuples, :class:`RecordVal`,
    :class:`SymList`) or to concrete Python values, lifted by :func:`lift`.
    ``bounds`` gives known bounds of Int variables, for unrolling ``range``.
    """
    return _Encoder(dict(bounds or {})).expr(e, env)


# --- concrete values ----------------------------------------------------------


def lift(value: Any, t: ir.Type) -> Value:
    """The value of a concrete Python ``value`` of IR type ``t`` (constant terms).

    Parts that already are symbolic values (terms, :class:`SymList`,
    :class:`RecordVal`) are kept, so a list of terms is a list of those terms.
    """
    if isinstance(value, Term | SymList | RecordVal):
        return value
    match t:
        case ir.Scalar(name="bool"):
            if not isinstance(value, bool):
                raise TypeError(f"expected a bool, got {value!r}")
            return T.bool_const(value)
        case ir.Scalar(name="int"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"expected an int, got {value!r}")
            return T.int_const(value)
        case ir.Scalar(name="str"):
            return T.str_const(value)
        case ir.EnumT(cls=cls):
            return T.int_const(list(cls).index(value))
        case ir.ListT(elem=elem):
            return SymList(tuple((T.TRUE, lift(v, elem)) for v in value), True,
                           T.int_const(len(value)))
        case ir.TupleT(items=items):
            if len(value) != len(items):
                raise TypeError(f"expected a tuple of {len(items)} items, got {value!r}")
            return tuple(lift(v, it) for v, it in zip(value, items, strict=True))
        case ir.RecordT(cls=cls, fields=fields):
            return RecordVal(cls, tuple((n, lift(getattr(value, n), ft)) for n, ft in fields))
    raise TypeError(f"cannot lift a value of type {t}")


def _values_in(value: Any) -> int:
    """How many scalars a decoded value holds (lists, tuples and records counted through)."""
    count, stack = 0, [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list | tuple):
            stack.extend(v)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            stack.extend(getattr(v, f.name) for f in dataclasses.fields(v))
        else:
            count += 1
    return count


def symbolic_list(items: Sequence[Value], length: Term | None = None) -> SymList:
    """A list whose first ``length`` of ``items`` are present (all of them when None)."""
    if length is None:
        return SymList(tuple((T.TRUE, v) for v in items), True, T.int_const(len(items)))
    return SymList(tuple((T.lt(T.int_const(i), length), v) for i, v in enumerate(items)),
                   True, length)


def list_len(xs: SymList) -> Term:
    """The number of present slots."""
    if xs.length is not None:
        return xs.length
    return T.add(*(T.ite(g, T.int_const(1), T.int_const(0)) for g, _ in xs.slots))


def equals(a: Value, b: Value) -> Term:
    """Python ``a == b`` on two values of one type.

    A record compares as its dataclass's generated ``__eq__`` does: the
    fields declared with ``compare=True``, in order (the front end refuses
    ``==`` on records whose equality is anything else).
    """
    return _equal(a, b, structural=False)


def identical(a: Value, b: Value) -> Term:
    """``a`` and ``b`` are the same value in every field (compared or not): the same proposal."""
    return _equal(a, b, structural=True)


def _equal(a: Value, b: Value, *, structural: bool) -> Term:
    if isinstance(a, Term) and isinstance(b, Term):
        return T.eq(a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return T.FALSE
        return T.and_(*(_equal(x, y, structural=structural) for x, y in zip(a, b, strict=True)))
    if isinstance(a, RecordVal) and isinstance(b, RecordVal):
        if a.cls is not b.cls:
            return T.FALSE
        names = [n for n, _ in a.fields] if structural else compared_fields(a.cls)
        return T.and_(*(_equal(a.get(n), b.get(n), structural=structural) for n in names))
    if isinstance(a, SymList) and isinstance(b, SymList):
        a, b = _compact(a), _compact(b)
        parts = [T.eq(list_len(a), list_len(b))]
        for (ga, va), (gb, vb) in zip(a.slots, b.slots, strict=False):
            parts.append(T.implies(T.and_(ga, gb), _equal(va, vb, structural=structural)))
        return T.and_(*parts)
    raise TypeError(f"cannot compare {type(a).__name__} with {type(b).__name__}")


# --- the proposal ---------------------------------------------------------------


class _ProposalBuilder:
    """Declares the proposal's variables and its domain constraints."""

    def __init__(self) -> None:
        self.variables: dict[str, Sort] = {}
        self.constraints: list[Term] = []
        self.bounds: dict[str, tuple[int | None, int | None]] = {}

    def _var(self, name: str, sort: Sort) -> Term:
        if name in self.variables:
            raise AssertionError(f"variable {name!r} declared twice")
        self.variables[name] = sort
        return T.var(name, sort)

    def build(self, name: str, d: Domain) -> Value:
        match d:
            case BoolDomain():
                return self._var(name, Sort.BOOL)
            case IntDomain(lo=lo, hi=hi):
                x = self._var(name, Sort.INT)
                if lo is not None:
                    self.constraints.append(T.le(T.int_const(lo), x))
                if hi is not None:
                    self.constraints.append(T.le(x, T.int_const(hi)))
                self.bounds[name] = (lo, hi)
                return x
            case StrDomain(max_len=m, alphabet=alphabet):
                s = self._var(name, Sort.STRING)
                if m is not None:
                    self.constraints.append(T.le(T.str_len(s), T.int_const(m)))
                if alphabet is not None:
                    if m is None:
                        raise Unsupported(f"the proposal part {name!r} has an alphabet but no MaxLen: the "
                                          "solvers can only constrain each of a bounded number of characters")
                    self.constraints += [T.implies(T.lt(T.int_const(i), T.str_len(s)), _in_alphabet(T.str_at(
                        s, T.int_const(i)), alphabet)) for i in range(m)]
                self.bounds[name] = (0, m)
                return s
            case EnumDomain(cls=cls):
                x = self._var(name, Sort.INT)
                self.constraints.append(T.le(T.int_const(0), x))
                self.constraints.append(T.le(x, T.int_const(len(cls) - 1)))
                self.bounds[name] = (0, len(cls) - 1)
                return x
            case TupleDomain(items=items):
                return tuple(self.build(f"{name}[{i}]", it) for i, it in enumerate(items))
            case RecordDomain(cls=cls, fields=fields):
                return RecordVal(cls, tuple((f, self.build(f"{name}.{f}", fd)) for f, fd in fields))
            case ListDomain(elem=elem, min_len=lo, max_len=hi):
                if hi is None:
                    raise Unsupported(
                        f"the proposal part {name!r} is a list with no length bound, which a "
                        "solver cannot enumerate; annotate it with Length(n) or MaxLen(n)")
                elems = [self.build(f"{name}[{i}]", elem) for i in range(hi)]
                if lo == hi:
                    return symbolic_list(elems)
                length = self._var(f"{name}#len", Sort.INT)
                self.constraints.append(T.le(T.int_const(lo), length))
                self.constraints.append(T.le(length, T.int_const(hi)))
                self.bounds[f"{name}#len"] = (lo, hi)
                slots = tuple((T.TRUE if i < lo else T.lt(T.int_const(i), length), v)
                              for i, v in enumerate(elems))
                return SymList(slots, True, length)
        raise Unsupported(f"the proposal part {name!r} has a domain the encoding does not "
                          f"support: {d.describe()}")


def _in_alphabet(char: Term, alphabet: str) -> Term:
    """The one-character string ``char`` is one of ``alphabet``'s characters (as ranges of code points)."""
    runs: list[list[int]] = []
    for c in sorted(map(ord, alphabet)):
        if runs and c == runs[-1][1] + 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return T.or_(*(T.eq(char, T.str_const(chr(lo))) if lo == hi else
                   T.and_(T.str_le(T.str_const(chr(lo)), char), T.str_le(char, T.str_const(chr(hi))))
                   for lo, hi in runs))


def _model_json(v: Value, d: Domain, model: Mapping[str, Any]) -> Any:
    """The JSON value (as a proposal would be written) that ``model`` gives the symbolic ``v``."""
    match d:
        case BoolDomain():
            return _read(v, model, False)
        case IntDomain(lo=lo, hi=hi):
            default = 0 if (lo is None or lo <= 0) and (hi is None or hi >= 0) else (
                lo if lo is not None else hi)
            return _read(v, model, default)
        case StrDomain():
            return _read(v, model, "")
        case EnumDomain(cls=cls):
            index = _read(v, model, 0)
            members = list(cls)
            if not isinstance(index, int) or not 0 <= index < len(members):
                raise DecodeError("witness", f"the model gives {cls.__name__} the index {index!r}, not a member's")
            return members[index].name
        case TupleDomain(items=items):
            assert isinstance(v, tuple)
            return [_model_json(x, it, model) for x, it in zip(v, items, strict=True)]
        case RecordDomain(fields=fields):
            assert isinstance(v, RecordVal)
            return {f: _model_json(v.get(f), fd, model) for f, fd in fields}
        case ListDomain(elem=elem, min_len=lo):
            assert isinstance(v, SymList)
            n = _read(list_len(v), model, lo)
            return [_model_json(x, elem, model) for _, x in v.slots[:n]]
    raise AssertionError(f"unhandled domain {d!r}")


def _read(v: Value, model: Mapping[str, Any], default: Any) -> Any:
    assert isinstance(v, Term)
    if v.op == "const":
        return v.payload
    assert v.op == "var", v
    return model.get(str(v.payload), default)


# --- Python semantics in SMT ------------------------------------------------------


def _floordiv(a: Term, b: Term) -> Term:
    """Python ``a // b`` for ``b != 0``: SMT ``div`` is Euclidean, which floors only for ``b > 0``."""
    return T.ite(T.ge(b, T.int_const(0)), T.div(a, b), T.div(T.neg(a), T.neg(b)))


def _pymod(a: Term, b: Term) -> Term:
    """Python ``a % b`` for ``b != 0``: the sign follows ``b`` (``a % b == -((-a) % (-b))``)."""
    return T.ite(T.ge(b, T.int_const(0)), T.mod(a, b), T.neg(T.mod(T.neg(a), T.neg(b))))


def _lt(a: Term, b: Term) -> Term:
    return T.str_lt(a, b) if a.sort is Sort.STRING else T.lt(a, b)


def _le(a: Term, b: Term) -> Term:
    return T.str_le(a, b) if a.sort is Sort.STRING else T.le(a, b)


def _compare(op: str, a: Value, b: Value) -> Term:
    if op == "==":
        return equals(a, b)
    if op == "!=":
        return T.not_(equals(a, b))
    assert isinstance(a, Term)
    assert isinstance(b, Term)
    if op == "<":
        return _lt(a, b)
    if op == "<=":
        return _le(a, b)
    if op == ">":
        return _lt(b, a)
    if op == ">=":
        return _le(b, a)
    raise AssertionError(op)


def _ite(c: Term, a: Value, b: Value) -> Value:
    """``a if c else b`` on values of one type."""
    if c is T.TRUE or a is b:
        return a
    if c is T.FALSE:
        return b
    if isinstance(a, Term) and isinstance(b, Term):
        return T.ite(c, a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return tuple(_ite(c, x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, RecordVal) and isinstance(b, RecordVal):
        return RecordVal(a.cls, tuple((n, _ite(c, x, y))
                                      for (n, x), (_, y) in zip(a.fields, b.fields, strict=True)))
    if isinstance(a, SymList) and isinstance(b, SymList):
        slots: list[tuple[Term, Value]] = []
        for k in range(max(len(a.slots), len(b.slots))):
            sa = a.slots[k] if k < len(a.slots) else None
            sb = b.slots[k] if k < len(b.slots) else None
            if sa is not None and sb is not None:
                slots.append((T.ite(c, sa[0], sb[0]), _ite(c, sa[1], sb[1])))
            elif sa is not None:
                slots.append((T.and_(c, sa[0]), sa[1]))
            elif sb is not None:
                slots.append((T.and_(T.not_(c), sb[0]), sb[1]))
        length = None
        if a.length is not None and b.length is not None:
            length = T.ite(c, a.length, b.length)
        return SymList(tuple(slots), a.dense and b.dense, length)
    raise TypeError(f"if-expression branches differ: {type(a).__name__}, {type(b).__name__}")


def _count_before(guards: Sequence[Term]) -> list[Term]:
    """For each position, the number of true guards before it."""
    out: list[Term] = []
    acc = T.int_const(0)
    for g in guards:
        out.append(acc)
        acc = T.add(acc, T.ite(g, T.int_const(1), T.int_const(0)))
    return out


def _compact(xs: SymList) -> SymList:
    """The same list with its present items moved to the front (slot ``k`` = item ``k``)."""
    if xs.dense:
        return xs
    guards = [g for g, _ in xs.slots]
    before = _count_before(guards)
    length = list_len(xs)
    slots: list[tuple[Term, Value]] = []
    n = len(xs.slots)
    for k in range(n):
        # Item k is the slot i >= k whose guard holds with k true guards before it.
        val = xs.slots[n - 1][1]
        for i in range(n - 1, k - 1, -1):
            val = _ite(T.and_(guards[i], T.eq(before[i], T.int_const(k))), xs.slots[i][1], val)
        slots.append((T.lt(T.int_const(k), length), val))
    return SymList(tuple(slots), True, length)


def _select(items: Sequence[Value], k: Term) -> Value:
    """``items[k]`` for ``0 <= k < len(items)`` (an ite chain over the positions)."""
    val = items[-1]
    for i in range(len(items) - 2, -1, -1):
        val = _ite(T.eq(k, T.int_const(i)), items[i], val)
    return val


def _normalize_index(i: Term, n: Term) -> tuple[Term, Term]:
    """Python's index ``i`` into ``n`` items: the position it names, and whether it is out of range."""
    in_range = T.and_(T.le(T.neg(n), i), T.lt(i, n))
    pos = T.ite(T.lt(i, T.int_const(0)), T.add(i, n), i)
    return pos, T.not_(in_range)


def _default(t: ir.Type) -> Value:
    """Some value of type ``t``: stands in where the value never matters (an error happened)."""
    match t:
        case ir.Scalar(name="bool"):
            return T.FALSE
        case ir.Scalar(name="str"):
            return T.str_const("")
        case ir.Scalar(name="int") | ir.EnumT():
            return T.int_const(0)
        case ir.TupleT(items=items):
            return tuple(_default(i) for i in items)
        case ir.RecordT(cls=cls, fields=fields):
            return RecordVal(cls, tuple((n, _default(ft)) for n, ft in fields))
        case ir.ListT():
            return SymList((), True, T.int_const(0))
    raise AssertionError(f"no default for {t}")


def _term(v: Value) -> Term:
    assert isinstance(v, Term), v
    return v


def _const_int(t: Term) -> int | None:
    return int(t.payload) if t.op == "const" and t.sort is Sort.INT else None  # type: ignore[arg-type]


# --- the encoder ----------------------------------------------------------------

Env = Mapping[str, Value]


class _Encoder:
    def __init__(self, bounds: Mapping[str, tuple[int | None, int | None]], universe: str | None = None,
                 *, programs: bool = False) -> None:
        self.bounds = bounds
        # The string methods and conversions of the program subset (None: outside a program's encoding).
        self.strings: StringOps | None = None
        if programs:
            from .strings import StringOps

            self.strings = StringOps(universe, lambda t: _str_bound(t, self.bounds))
        self.unrolled = 0  # comprehension steps built so far, against MAX_UNROLL_TOTAL

    # -- expressions ---------------------------------------------------------------

    def expr(self, e: ir.Expr, env: Env) -> tuple[Value, Term]:
        match e:
            case ir.Const(value=v):
                return lift(v, e.type), T.FALSE
            case ir.Var(name=name):
                return lift(env[name], e.type), T.FALSE
            case ir.UnOp(op=op, arg=arg):
                v, err = self.expr(arg, env)
                t = _term(v)
                return (T.not_(t) if op == "not" else (T.neg(t) if op == "-" else t)), err
            case ir.BinOp():
                return self._binop(e, env)
            case ir.BoolOp(op=op, args=args):
                return self._boolop(op, args, env)
            case ir.Compare(ops=ops, operands=operands):
                return self._chain(ops, operands, env)
            case ir.IfExp(cond=c, then=a, orelse=b):
                cv, ce = self.expr(c, env)
                av, ae = self.expr(a, env)
                bv, be = self.expr(b, env)
                ct = _term(cv)
                return _ite(ct, av, bv), T.or_(ce, T.ite(ct, ae, be))
            case ir.Call(fn=fn, args=args):
                return self._call(e, fn, args, env)
            case ir.Method(name=name, obj=obj, args=args):
                ov, oe = self.expr(obj, env)
                avs = [self.expr(a, env) for a in args]
                err = T.or_(oe, *(ae for _, ae in avs))
                x = avs[0][0] if avs else T.FALSE
                if name == "startswith":
                    return T.str_prefixof(_term(x), _term(ov)), err
                if name == "endswith":
                    return T.str_suffixof(_term(x), _term(ov)), err
                if name == "count" and isinstance(ov, SymList):
                    return T.add(*(T.ite(T.and_(g, equals(v, x)), T.int_const(1), T.int_const(0))
                                   for g, v in ov.slots)), err
                if name == "index" and isinstance(ov, SymList):
                    xs = _compact(ov)
                    where = T.int_const(-1)
                    for k in reversed(range(len(xs.slots))):
                        g, v = xs.slots[k]
                        where = T.ite(T.and_(g, equals(v, x)), T.int_const(k), where)
                    return where, T.or_(err, T.eq(where, T.int_const(-1)))
                if isinstance(ov, Term) and self.strings is not None:
                    return self._string_method(e, name, ov, [a for a, _ in avs], args=args, err=err)
                raise Unsupported(f"line {e.loc.line}: the method {name}() has no encoding")
            case ir.Index(obj=obj, index=index):
                return self._index(e, obj, index, env)
            case ir.Attr(obj=obj, name=name):
                ov, oe = self.expr(obj, env)
                assert isinstance(ov, RecordVal)
                return ov.get(name), oe
            case ir.ListLit(items=items):
                vs = [self.expr(i, env) for i in items]
                return symbolic_list([v for v, _ in vs]), T.or_(*(x for _, x in vs))
            case ir.TupleLit(items=items):
                vs = [self.expr(i, env) for i in items]
                return tuple(v for v, _ in vs), T.or_(*(x for _, x in vs))
            case ir.Comprehension() | ir.RangeIter():
                return self._materialize(self.stream(e, env))
            case ir.Let(name=name, value=value, body=body):
                vv, ve = self.expr(value, env)
                bv, be = self.expr(body, {**env, name: vv})
                return bv, T.or_(ve, be)
            case ir.Invoke(function=function, args=args):
                return self._invoke(function, args, env)
            case ir.SliceOf():
                return self._slice(e, env)
        raise Unsupported(f"line {e.loc.line}: no encoding for {type(e).__name__}")

    def _slice(self, e: ir.SliceOf, env: Env) -> tuple[Value, Term]:
        """``obj[start:stop:step]``, bounds clamped as CPython clamps them (a slice never raises)."""
        ov, err = self.expr(e.obj, env)
        bounds: list[Term | None] = []
        for b in (e.start, e.stop):
            if b is None:
                bounds.append(None)
                continue
            bv, be = self.expr(b, env)
            bounds.append(_term(bv))
            err = T.or_(err, be)
        if isinstance(ov, Term):  # a string: its characters, sliced, then joined again
            limit = _str_bound(ov, self.bounds)
            if limit is None:
                raise Unsupported(f"line {e.loc.line}: slicing a string with no known length bound")
            n = T.str_len(ov)
            items: list[Value] = [T.str_at(ov, T.int_const(i)) for i in range(limit)]
        else:
            assert isinstance(ov, SymList)
            xs = _compact(ov)
            n = list_len(xs)
            items = [v for _, v in xs.slots]
        k = e.step
        zero, one = T.int_const(0), T.int_const(1)

        def clamp(x: Term, lo: Term, hi: Term) -> Term:
            shifted = T.add(x, n)
            return T.ite(T.lt(x, zero), T.ite(T.lt(shifted, lo), lo, shifted), T.ite(T.lt(hi, x), hi, x))

        if k > 0:
            first = zero if bounds[0] is None else clamp(bounds[0], zero, n)
            end = n if bounds[1] is None else clamp(bounds[1], zero, n)
        else:
            before = T.int_const(-1)
            first = T.sub(n, one) if bounds[0] is None else clamp(bounds[0], before, T.sub(n, one))
            end = before if bounds[1] is None else clamp(bounds[1], before, T.sub(n, one))
        slots: list[tuple[Term, Value]] = []
        for j in range(len(items)):
            at = T.add(first, T.int_const(j * k))
            present = T.lt(at, end) if k > 0 else T.lt(end, at)
            slots.append((present, _select(items, at)))
        if isinstance(ov, Term):
            empty = T.str_const("")
            return T.str_concat(*(T.ite(g, _term(v), empty) for g, v in slots)) if slots else empty, err
        length = T.add(*(T.ite(g, one, zero) for g, _ in slots)) if slots else zero
        return SymList(tuple(slots), True, length), err

    def _string_method(self, e: ir.Expr, name: str, s: Term, vals: list[Value], *, args: Sequence[ir.Expr],
                       err: Term) -> tuple[Value, Term]:
        """A string method of the program subset (:mod:`.strings`); constant arguments where one is needed."""
        ops = self.strings
        assert ops is not None
        consts = [a.value if isinstance(a, ir.Const) and isinstance(a.value, str) else None for a in args]
        if name in ("isdigit", "isalpha", "isalnum", "isspace", "isdecimal", "isnumeric"):
            return ops.every(s, name), err
        if name in ("isupper", "islower"):
            return ops.cased(s, name), err
        if name in ("lower", "upper", "swapcase"):
            return ops.mapped(s, name), err
        if name in ("strip", "lstrip", "rstrip") and (not args or consts[0] is not None):
            return ops.strip(s, name, consts[0] if args else None), err
        if name == "replace" and len(args) == 2 and consts[0] is not None and len(consts[0]) == 1 \
                and consts[1] is not None:
            return ops.replace_char(s, consts[0], consts[1]), err
        if name == "count" and consts and consts[0] is not None:
            return ops.count_char(s, consts[0]), err
        if name in ("find", "index") and consts and consts[0] is not None:
            where = ops.find(s, consts[0])
            return where, (T.or_(err, T.eq(where, T.int_const(-1))) if name == "index" else err)
        if name == "split" and (not args or consts[0] is not None):
            slots, count = ops.split(s, consts[0] if args else None)
            return SymList(tuple(slots), True, count), err
        if name == "join":
            xs = _compact(_as_list(vals[0]))
            return ops.join(s, [(g, _term(v)) for g, v in xs.slots]), err
        raise Unsupported(f"line {e.loc.line}: the str method {name}() with these arguments has no encoding "
                          "(a constant argument is needed where one is encoded)")

    def _conversion(self, e: ir.Expr, fn: str, args: Sequence[ir.Expr], env: Env) -> tuple[Value, Term]:
        """``str(n)``, ``bin(n)``, ``int(s)``, ``ord(c)``, ``chr(i)`` and ``b ** e`` of a program."""
        ops = self.strings
        assert ops is not None
        vals = [self.expr(a, env) for a in args]
        err = T.or_(*(x for _, x in vals))
        x = _term(vals[0][0])
        if fn == "str":
            if x.sort is Sort.STRING:
                return x, err
            if x.sort is Sort.BOOL:
                return T.ite(x, T.str_const("True"), T.str_const("False")), err
            lo, hi = T.int_bounds(x, self.bounds)
            return ops.str_of_int(x, lo, hi), err
        if fn == "bin":
            lo, hi = T.int_bounds(x, self.bounds)
            return ops.str_of_int(x, lo, hi, base=2), err
        if fn == "int_of_str":
            v, verr = ops.int_of_str(x)
            return v, T.or_(err, verr)
        if fn == "ord":
            v, verr = ops.ord_of(x)
            return v, T.or_(err, verr)
        if fn == "chr":
            lo, hi = T.int_bounds(x, self.bounds)
            v, verr = ops.chr_of(x, lo, hi)
            return v, T.or_(err, verr)
        base, exponent = x, _term(vals[1][0])
        lo, hi = T.int_bounds(exponent, self.bounds)
        if lo is None or hi is None or lo < 0 or hi > 64:
            raise Unsupported(f"line {e.loc.line}: `**` with an exponent that may be negative or over 64 "
                              "(a float, or too large) is not encoded")
        out = T.int_const(1)
        for k in range(hi, lo - 1, -1):
            out = T.ite(T.eq(exponent, T.int_const(k)), T.mul(*([base] * k)) if k else T.int_const(1), out)
        return out, err

    def _invoke(self, function: ir.Function, args: Sequence[ir.Expr], env: Env) -> tuple[Value, Term]:
        """A call of a function with statements: its value, raising where it raises.

        Returning None where a value is expected, or running past a loop's
        bound, count as raising here: either way the caller's value is not the
        one its code computes, and nothing built on it is proved.
        """
        from .execute import call

        vals = [self.expr(a, env) for a in args]
        out = call(function, [v for v, _ in vals], self)
        none = out.returned_none if function.returns != ir.NONE else T.FALSE
        return out.value, T.or_(*(err for _, err in vals), out.raised, out.exceeded, none)

    def _binop(self, e: ir.BinOp, env: Env) -> tuple[Value, Term]:
        a, ae = self.expr(e.left, env)
        b, be = self.expr(e.right, env)
        err = T.or_(ae, be)
        op = e.op
        if isinstance(a, SymList) and isinstance(b, SymList):
            assert op == "+"
            full = all(g is T.TRUE for g, _ in a.slots)
            dense = (full and b.dense) or (not b.slots and a.dense)
            length = None
            if a.length is not None and b.length is not None:
                length = T.add(a.length, b.length)
            return SymList(a.slots + b.slots, dense, length), err
        if isinstance(a, tuple) and isinstance(b, tuple):
            return a + b, err
        x, y = _term(a), _term(b)
        if op == "+":
            return (T.str_concat(x, y) if x.sort is Sort.STRING else T.add(x, y)), err
        if op == "-":
            return T.sub(x, y), err
        if op == "*":
            return T.mul(x, y), err
        if op in ("//", "%"):
            zero = T.eq(y, T.int_const(0))
            return (_floordiv(x, y) if op == "//" else _pymod(x, y)), T.or_(err, zero)
        if op == "**":
            n = _const_int(y)
            if n is None or n < 0:
                raise Unsupported(f"line {e.loc.line}: `**` needs a constant exponent >= 0")
            return T.mul(*([x] * n)), err
        raise AssertionError(op)

    def _boolop(self, op: str, args: Sequence[ir.Expr], env: Env) -> tuple[Value, Term]:
        # `a and b`: b is evaluated (and may raise) only when a is true; `or` dually.
        vals: list[Term] = []
        errs: list[Term] = []
        for a in args:
            v, err = self.expr(a, env)
            reached = T.and_(*vals) if op == "and" else T.not_(T.or_(*vals))
            errs.append(T.and_(reached, err))
            vals.append(_term(v))
        return (T.and_(*vals) if op == "and" else T.or_(*vals)), T.or_(*errs)

    def _chain(self, ops: Sequence[str], operands: Sequence[ir.Expr], env: Env
               ) -> tuple[Value, Term]:
        # `a < b < c` evaluates c only when a < b holds.
        left, err = self.expr(operands[0], env)
        results: list[Term] = []
        errs = [err]
        for n, (op, right_e) in enumerate(zip(ops, operands[1:], strict=True)):
            reached = T.and_(*results)
            right: Value | None
            if op in ("in", "not in"):
                r, rerr, right = self._contains(left, right_e, env)
                if op == "not in":
                    r = T.not_(r)
            else:
                right, rerr = self.expr(right_e, env)
                r = _compare(op, left, right)
            errs.append(T.and_(reached, rerr))
            results.append(r)
            if right is None:
                if n != len(ops) - 1:
                    raise Unsupported(f"line {right_e.loc.line}: a chained comparison that "
                                      "continues after `in range(...)` is not encoded")
                break
            left = right
        return T.and_(*results), T.or_(*errs)

    def _contains(self, x: Value, coll: ir.Expr, env: Env) -> tuple[Term, Term, Value | None]:
        """``x in coll`` (``x`` already evaluated), the error of evaluating ``coll``, its value."""
        if isinstance(coll, ir.RangeIter):
            start, se = self.expr(coll.start, env)
            stop, te = self.expr(coll.stop, env)
            s, t, xv, step = _term(start), _term(stop), _term(x), coll.step
            if step > 0:
                inside = T.and_(T.le(s, xv), T.lt(xv, t),
                                T.eq(T.mod(T.sub(xv, s), T.int_const(step)), T.int_const(0)))
            else:
                inside = T.and_(T.lt(t, xv), T.le(xv, s),
                                T.eq(T.mod(T.sub(s, xv), T.int_const(-step)), T.int_const(0)))
            return inside, T.or_(se, te), None
        cv, ce = self.expr(coll, env)
        if isinstance(cv, Term):
            return T.str_contains(cv, _term(x)), ce, cv
        if isinstance(cv, tuple):
            return T.or_(*(equals(x, v) for v in cv)), ce, cv
        assert isinstance(cv, SymList)
        return T.or_(*(T.and_(g, equals(x, v)) for g, v in cv.slots)), ce, cv

    def _index(self, e: ir.Expr, obj: ir.Expr, index: ir.Expr, env: Env) -> tuple[Value, Term]:
        ov, oe = self.expr(obj, env)
        iv, ie = self.expr(index, env)
        i = _term(iv)
        err = T.or_(oe, ie)
        if isinstance(ov, Term):  # a string: one character
            pos, out = _normalize_index(i, T.str_len(ov))
            return T.str_at(ov, pos), T.or_(err, out)
        if isinstance(ov, tuple):
            k = _const_int(i)
            n = len(ov)
            if k is not None:
                if -n <= k < n:
                    return ov[k], err
                return _default(e.type), T.TRUE
            if n == 0:
                return _default(e.type), T.TRUE
            pos, out = _normalize_index(i, T.int_const(n))
            return _select(ov, pos), T.or_(err, out)
        assert isinstance(ov, SymList)
        xs = _compact(ov)
        if not xs.slots:
            return _default(e.type), T.TRUE
        pos, out = _normalize_index(i, list_len(xs))
        return _select([v for _, v in xs.slots], pos), T.or_(err, out)

    def _call(self, e: ir.Expr, fn: str, args: Sequence[ir.Expr], env: Env) -> tuple[Value, Term]:
        if fn in ("all", "any"):
            it = args[0]
            s = self.stream(it, env)
            if not (isinstance(it, ir.Comprehension) and it.kind == "gen"):
                s = _strict(s)  # a list is built in full before all/any looks at it
            return _all_any(s, fn == "all")
        if fn == "sum":
            xs, err = self._materialize(self.stream(args[0], env))
            total = T.add(*(T.ite(g, _term(v), T.int_const(0)) for g, v in xs.slots))
            if len(args) == 2:
                start, se = self.expr(args[1], env)
                return T.add(_term(start), total), T.or_(err, se)
            return total, err
        if fn == "len":
            a = args[0]
            if isinstance(a, ir.RangeIter):
                return self._range_len(a, env)
            v, err = self.expr(a, env)
            if isinstance(v, Term):
                return T.str_len(v), err
            if isinstance(v, tuple):
                return T.int_const(len(v)), err
            assert isinstance(v, SymList)
            return list_len(v), err
        if fn == "abs":
            v, err = self.expr(args[0], env)
            return T.abs_(_term(v)), err
        if fn in ("min", "max"):
            pick = _lt if fn == "min" else (lambda a, b: _lt(b, a))
            if len(args) == 1:
                xs, err = self._materialize(self.stream(args[0], env))
                if not xs.slots:
                    return _default(e.type), T.TRUE
                best = _term(xs.slots[0][1])
                seen = xs.slots[0][0]
                for g, v in xs.slots[1:]:
                    # Python keeps the first of equal extremes: replace only on strictly better.
                    tv = _term(v)
                    best = T.ite(T.and_(g, T.or_(T.not_(seen), pick(tv, best))), tv, best)
                    seen = T.or_(seen, g)
                return best, T.or_(err, T.not_(seen))
            vals = [self.expr(a, env) for a in args]
            best = _term(vals[0][0])
            for v, _ in vals[1:]:
                tv = _term(v)
                best = T.ite(pick(tv, best), tv, best)
            return best, T.or_(*(x for _, x in vals))
        if fn == "divmod":
            av, ae = self.expr(args[0], env)
            bv, be = self.expr(args[1], env)
            x, y = _term(av), _term(bv)
            return ((_floordiv(x, y), _pymod(x, y)),
                    T.or_(ae, be, T.eq(y, T.int_const(0))))
        if fn == "distinct":
            xs, err = self._materialize(self.stream(args[0], env))
            slots = xs.slots
            if all(g is T.TRUE for g, _ in slots) and all(isinstance(v, Term) for _, v in slots):
                return T.distinct(*(_term(v) for _, v in slots)), err
            return T.and_(*(T.not_(T.and_(gi, gj, equals(vi, vj)))
                            for i, (gi, vi) in enumerate(slots) for gj, vj in slots[i + 1:])), err
        if fn == "implies":
            # A plain function: both arguments are evaluated.
            av, ae = self.expr(args[0], env)
            bv, be = self.expr(args[1], env)
            return T.implies(_term(av), _term(bv)), T.or_(ae, be)
        if fn in ("enumerate", "zip", "chars", "list"):
            return self._materialize(self.stream(e, env))
        if fn in ("str", "bin", "int_of_str", "ord", "chr", "pow") and self.strings is not None:
            return self._conversion(e, fn, args, env)
        if fn in ("sorted", "reversed"):
            xs, err = self._materialize(self.stream(args[0], env))
            ys = _compact(xs)
            n = list_len(ys)
            items = [v for _, v in ys.slots]
            if fn == "reversed":
                slots = tuple((g, _select(items, T.sub(T.sub(n, T.int_const(1)), T.int_const(j))))
                              for j, (g, _) in enumerate(ys.slots))
                return SymList(slots, True, n), err
            return _sorted(ys, descending=len(args) == 2), err
        raise Unsupported(f"line {e.loc.line}: the builtin {fn}() has no encoding")

    def _range_len(self, r: ir.RangeIter, env: Env) -> tuple[Value, Term]:
        start, se = self.expr(r.start, env)
        stop, te = self.expr(r.stop, env)
        s, t, k = _term(start), _term(stop), r.step
        # len(range(s, t, k)) = max(0, ceil((t - s) / k)); for k > 0 `div` floors.
        span = T.sub(t, s) if k > 0 else T.sub(s, t)
        step = abs(k)
        n = T.div(T.add(span, T.int_const(step - 1)), T.int_const(step))
        return T.ite(T.lt(n, T.int_const(0)), T.int_const(0), n), T.or_(se, te)

    # -- iteration -------------------------------------------------------------------

    def stream(self, e: ir.Expr, env: Env) -> Stream:
        """The steps of iterating over ``e``, lazily where CPython is lazy."""
        match e:
            case ir.RangeIter():
                return self._range(e, env)
            case ir.Comprehension(elt=elt, generators=gens):
                stream = self._comprehension(gens, elt, env)
                self.unrolled += len(stream.steps)
                if self.unrolled > MAX_UNROLL_TOTAL:
                    raise Unsupported(f"line {elt.loc.line}: the comprehensions unroll to more than the "
                                      f"{MAX_UNROLL_TOTAL} steps the encoding builds in all")
                return stream
            case ir.Call(fn="enumerate", args=(xs,)):
                s = self.stream(xs, env)
                before = _count_before([st.present for st in s.steps])
                return Stream(s.init_err, tuple(
                    StreamItem(st.present, (n, st.value), st.err) for st, n in zip(s.steps, before,
                                                                           strict=True)))
            case ir.Call(fn="zip", args=args):
                return self._zip(args, env)
            case ir.Call(fn="list", args=(xs,)):
                return self.stream(xs, env)
            case ir.Call(fn="chars", args=(text,)):
                sv, serr = self.expr(text, env)
                chars = _term(sv)
                bound = _str_bound(chars, self.bounds)
                if bound is None:
                    raise Unsupported(f"line {e.loc.line}: iterating over a string with no known length bound")
                return Stream(serr, tuple(StreamItem(T.lt(T.int_const(i), T.str_len(chars)),
                                                     T.str_at(chars, T.int_const(i)), T.FALSE)
                                          for i in range(bound)))
        v, err = self.expr(e, env)
        if isinstance(v, tuple):
            return Stream(err, tuple(StreamItem(T.TRUE, x, T.FALSE) for x in v))
        if not isinstance(v, SymList):
            raise Unsupported(f"line {e.loc.line}: cannot iterate over {e.type}")
        return Stream(err, tuple(StreamItem(g, x, T.FALSE) for g, x in v.slots))

    def _range(self, r: ir.RangeIter, env: Env) -> Stream:
        start, se = self.expr(r.start, env)
        stop, te = self.expr(r.stop, env)
        s, t, k = _term(start), _term(stop), r.step
        cs, ct = _const_int(s), _const_int(t)
        if cs is not None and ct is not None:
            n = _range_length(cs, ct, k)  # not len(range(...)): that raises OverflowError past 2**63
            if n > MAX_UNROLL:
                raise Unsupported(f"line {r.loc.line}: range of {show_int(n)} items is more than "
                                  f"the {MAX_UNROLL} the encoding unrolls")
            return Stream(T.or_(se, te), tuple(StreamItem(T.TRUE, T.int_const(i), T.FALSE)
                                               for i in range(cs, ct, k)))
        s_lo, s_hi = T.int_bounds(s, self.bounds)
        t_lo, t_hi = T.int_bounds(t, self.bounds)
        if k > 0:
            span = None if t_hi is None or s_lo is None else t_hi - s_lo
        else:
            span = None if s_hi is None or t_lo is None else s_hi - t_lo
        if span is None:
            raise Unsupported(f"line {r.loc.line}: range over a symbolic bound with no known "
                              "limit cannot be unrolled; bound the proposal with Between/MaxLen")
        n = max(0, -(-span // abs(k)))
        if n > MAX_UNROLL:
            raise Unsupported(f"line {r.loc.line}: range of up to {n} items is more than "
                              f"the {MAX_UNROLL} the encoding unrolls")
        steps = []
        for i in range(n):
            x = T.add(s, T.int_const(i * k))
            steps.append(StreamItem(T.lt(x, t) if k > 0 else T.gt(x, t), x, T.FALSE))
        return Stream(T.or_(se, te), tuple(steps))

    def _zip(self, args: Sequence[ir.Expr], env: Env) -> Stream:
        streams = [self.stream(a, env) for a in args]
        if any(st.err is not T.FALSE for s in streams for st in s.steps):
            # zip pulls from its arguments in turn and stops at the first exhausted one;
            # with generators that can raise, which errors happen depends on that order.
            raise Unsupported("zip over a generator whose items can raise is not encoded")
        lists = [_compact(SymList(tuple((st.present, st.value) for st in s.steps), False))
                 for s in streams]
        n = min(len(xs.slots) for xs in lists)
        steps = tuple(StreamItem(T.and_(*(xs.slots[k][0] for xs in lists)),
                           tuple(xs.slots[k][1] for xs in lists), T.FALSE) for k in range(n))
        return Stream(T.or_(*(s.init_err for s in streams)), steps)

    def _comprehension(self, gens: Sequence[ir.Generator], elt: ir.Expr, env: Env) -> Stream:
        g, rest = gens[0], gens[1:]
        src = self.stream(g.iter, env)
        # Refuse before building: each item of the outer iterable gets a whole copy of the inner ones, so
        # `for i in range(3000) for j in range(3000)` is 9,000,000 steps, and building them to count them
        # took minutes and a gigabyte.  The product counts the inner ranges whose size is known here.
        at_least = len(src.steps) * math.prod(_known_length(h.iter) for h in rest)
        if at_least > MAX_UNROLL:
            raise _too_many_steps(elt, at_least)
        steps: list[StreamItem] = []
        for st in src.steps:
            if st.present is T.FALSE and st.err is T.FALSE:
                continue
            if len(g.targets) == 1:
                inner: dict[str, Value] = {**env, g.targets[0]: st.value}
            else:
                assert isinstance(st.value, tuple)
                inner = {**env, **dict(zip(g.targets, st.value, strict=True))}
            # The `if` conditions short-circuit like `and`.
            fvals: list[Term] = []
            ferrs: list[Term] = []
            for c in g.conds:
                cv, ce = self.expr(c, inner)
                ferrs.append(T.and_(*fvals, ce))
                fvals.append(_term(cv))
            keep = T.and_(*fvals)
            ferr = T.or_(*ferrs)
            live = T.and_(st.present, T.not_(st.err))
            if rest:
                sub = self._comprehension(rest, elt, inner)
                taken = T.and_(live, keep)
                # A header step: this item's own error, its filters', and creating the inner iterable.
                steps.append(StreamItem(T.FALSE, _dummy(sub, elt), T.or_(
                    st.err, T.and_(st.present, T.or_(ferr, T.and_(keep, sub.init_err))))))
                steps.extend(StreamItem(T.and_(taken, s2.present), s2.value, T.and_(taken, s2.err))
                             for s2 in sub.steps)
                if len(steps) > MAX_UNROLL:  # inner sizes not known above: stop as soon as the limit is passed
                    raise _too_many_steps(elt, len(steps))
            else:
                v, ve = self.expr(elt, inner)
                steps.append(StreamItem(T.and_(st.present, keep), v, T.or_(
                    st.err, T.and_(st.present, T.or_(ferr, T.and_(keep, ve))))))
        if len(steps) > MAX_UNROLL:
            raise _too_many_steps(elt, len(steps))
        return Stream(src.init_err, tuple(steps))

    def _materialize(self, s: Stream) -> tuple[SymList, Term]:
        """Consume every step (a list is built, or sum/min/max/len): the list and its error."""
        slots = tuple((st.present, st.value) for st in s.steps if st.present is not T.FALSE)
        dense = all(g is T.TRUE for g, _ in slots)
        return (SymList(slots, dense, T.int_const(len(slots)) if dense else None),
                T.or_(s.init_err, *(st.err for st in s.steps)))


def _too_many_steps(elt: ir.Expr, steps: int) -> Unsupported:
    return Unsupported(f"line {elt.loc.line}: a comprehension of up to {show_int(steps)} steps "
                       f"is more than the {MAX_UNROLL} the encoding unrolls")


def _range_length(start: int, stop: int, step: int) -> int:
    """``len(range(start, stop, step))`` for ints of any size."""
    span = stop - start if step > 0 else start - stop
    return max(0, -(-span // abs(step)))


def _known_length(e: ir.Expr) -> int:
    """The number of items of an iterable known before encoding it: a range with constant bounds; else 1."""
    if isinstance(e, ir.RangeIter) and isinstance(e.start, ir.Const) and isinstance(e.stop, ir.Const):
        return _range_length(int(e.start.value), int(e.stop.value), e.step)
    return 1


def _as_list(v: Value) -> SymList:
    assert isinstance(v, SymList)
    return v


def _sorted(xs: SymList, *, descending: bool) -> SymList:
    """``sorted(xs)`` of a compacted list of ints or strs: a sorting network over its slots.

    The present slots are a prefix, so an exchange happens only between two
    present items that are out of order; absent ones stay at the end.
    """
    slots = list(xs.slots)
    if not all(isinstance(v, Term) for _, v in slots):
        raise Unsupported("sorted() of items that are not ints or strs has no encoding")
    for i in range(len(slots)):
        for j in range(len(slots) - 1 - i):
            (ga, va), (gb, vb) = slots[j], slots[j + 1]
            a, b = _term(va), _term(vb)
            out_of_order = T.and_(ga, gb, _lt(a, b) if descending else _lt(b, a))
            slots[j], slots[j + 1] = (ga, T.ite(out_of_order, b, a)), (gb, T.ite(out_of_order, a, b))
    return SymList(tuple(slots), True, list_len(xs))


def _str_bound(s: Term, bounds: Mapping[str, tuple[int | None, int | None]]) -> int | None:
    """An upper bound on the length of the String term ``s`` (None: not known)."""
    if s.op == "const":
        return len(str(s.payload))
    if s.op == "var":
        return bounds.get(str(s.payload), (None, None))[1]
    if s.op == "str.at":
        return 1
    if s.op == "str.++":
        parts = [_str_bound(a, bounds) for a in s.args]
        return None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
    if s.op == "ite":
        parts = [_str_bound(a, bounds) for a in s.args[1:]]
        return None if any(p is None for p in parts) else max(p for p in parts if p is not None)
    return None


def _dummy(sub: Stream, elt: ir.Expr) -> Value:
    return sub.steps[0].value if sub.steps else _default(elt.type)


def _strict(s: Stream) -> Stream:
    """The stream after building it into a list first: every step's error happens up front."""
    return Stream(T.or_(s.init_err, *(st.err for st in s.steps)),
                  tuple(StreamItem(st.present, st.value, T.FALSE) for st in s.steps))


def _all_any(s: Stream, is_all: bool) -> tuple[Term, Term]:
    """``all``/``any`` consuming ``s`` lazily: it stops at the first false (true) item."""
    # The conjuncts of "the iteration reaches this item" (flattened, each once, in order), conjoined
    # only for an item that can raise: the same terms as conjoining at every item, without copying a
    # growing conjunction each time (quadratic: 20,000 items took minutes).
    reached: list[Term] = []
    seen: set[int] = set()
    errs = [s.init_err]
    vals: list[Term] = []
    for st in s.steps:
        v = _term(st.value)
        if st.err is not T.FALSE:
            errs.append(T.and_(*reached, st.err))
        decisive = T.and_(st.present, T.not_(v) if is_all else v)
        vals.append(T.or_(T.not_(st.present), v) if is_all else T.and_(st.present, v))
        for c in (T.not_(st.err), T.not_(decisive)):
            for part in c.args if c.op == "and" else (c,):
                if part is not T.TRUE and id(part) not in seen:
                    seen.add(id(part))
                    reached.append(part)
    value = T.and_(*vals) if is_all else T.or_(*vals)
    return value, T.or_(*errs)

