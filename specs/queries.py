"""The solver queries behind a spec's claims, each stated as "this is UNSAT".

* :func:`any_solution`: some proposal meets the spec for these givens.  UNSAT
  means the task is impossible (the verdict VACUOUS).
* :func:`another_solution`: a proposal other than this one meets the spec.
  UNSAT proves the proposal is the only solution (``unique``).
* :func:`better_solution`: a proposal meets the spec with a strictly better
  objective.  UNSAT proves the proposal optimal (``optimal``).

A SAT answer comes with a model that :meth:`Query.witness` decodes into a
proposal; the kernel confirms it with the trusted evaluator before it refutes
anything, so a wrong model can cost a verdict (UNKNOWN) but never flip one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from . import terms
from .domains import (
    MAX_SMT_CODE_POINT,
    BoolDomain,
    Domain,
    EnumDomain,
    IntDomain,
    ListDomain,
    RecordDomain,
    StrDomain,
    TupleDomain,
)
from .evaluate import Undefined
from .show import show_value
from .spec import Spec
from .symbolic import Encoding, RecordVal, SymList, Value, encode
from .time_limit import limited

__all__ = ["ABSENT", "FieldChange", "Query", "another_solution", "any_solution", "better_solution",
           "defined_solution", "field_changes", "leaf_count", "nearest_solution", "objective_value"]


class Witnessing(Protocol):
    """What a query's model is read back through: the variables it declares, and how a model decodes."""

    @property
    def variables(self) -> Mapping[str, terms.Sort]: ...

    def decode(self, model: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Query:
    """A named satisfiability question over a spec's encoding (a proposal's, or a program's inputs')."""

    name: str
    assertions: tuple[terms.Term, ...]
    encoding: Witnessing

    def witness(self, model: Mapping[str, Any]) -> Any:
        """The proposal a model of the query describes."""
        return self.encoding.decode(model)

    def smtlib(self) -> str:
        """The query as SMT-LIB2 text, for certificates and other solvers."""
        from .smt import to_smtlib

        return to_smtlib(self.assertions)


def _query(name: str, assertions: tuple[terms.Term, ...], enc: Witnessing, domain: Domain | None = None) -> Query:
    """The query, once it is known to mean over the solvers' strings what it means over Python's.

    A proposal string ranges over all of Unicode; SMT-LIB strings stop at
    U+2FFFF.  Every string operation of the spec language depends only on how
    characters compare, so a Python string can stand in for one of the
    solvers' when its characters keep their order among themselves and
    against the characters the query names.  That holds for every proposal
    exactly when, above the largest character the query names, the solvers'
    alphabet has room for as many characters as a proposal can hold.
    Otherwise an UNSAT would be a proof over a smaller domain than the one
    ``check`` accepts values from, so the query is refused (the claim is
    UNKNOWN, with this reason).
    """
    if domain is None:
        assert isinstance(enc, Encoding)
        domain = enc.proposal_domain
    room = _string_room(domain)
    if room != 0:
        top = max((ord(c) for t in terms.subterms(*assertions)
                   if t.op == "const" and t.sort is terms.Sort.STRING for c in str(t.payload)), default=-1)
        if room is None:
            raise terms.Unsupported(
                "a proposal string has no MaxLen: its characters could outnumber what SMT-LIB's strings hold "
                f"(code points up to U+{MAX_SMT_CODE_POINT:X}); bound it with MaxLen(n) to prove claims about it")
        if MAX_SMT_CODE_POINT - top < room:
            raise terms.Unsupported(
                f"the proposal's strings range over all of Unicode, but SMT-LIB strings stop at "
                f"U+{MAX_SMT_CODE_POINT:X}; this query names the character U+{top:X}, which leaves fewer "
                f"characters above it than the {room} a proposal can hold, so a claim proved there would not "
                "cover every proposal")
    return Query(name, assertions, enc)


def _string_room(d: Domain) -> int | None:
    """How many characters a value of ``d`` can hold in all its strings (None: no bound)."""
    if isinstance(d, StrDomain):
        # A declared alphabet lies inside SMT-LIB's (domains refuse one that does not): nothing to make room for.
        return 0 if d.alphabet is not None else d.max_len
    if isinstance(d, ListDomain):
        each = _string_room(d.elem)
        if each == 0:
            return 0
        return None if each is None or d.max_len is None else each * d.max_len
    parts = d.items if isinstance(d, TupleDomain) else (
        tuple(fd for _, fd in d.fields) if isinstance(d, RecordDomain) else ())
    total = 0
    for part in parts:
        n = _string_room(part)
        if n is None:
            return None
        total += n
    return total


def any_solution(spec: Spec, givens: Mapping[str, Any]) -> Query:
    """Is there any proposal that meets the spec for ``givens``?"""
    enc = encode(spec, givens)
    return _query("any-solution", (enc.spec_term,), enc)


def defined_solution(spec: Spec, givens: Mapping[str, Any]) -> Query:
    """Is there a proposal that meets the spec and on which the objective does not raise?"""
    enc = encode(spec, givens)
    if enc.objective is None:
        raise ValueError(f"{spec.name} has no objective")
    return _query("defined-solution", (enc.spec_term, enc.objective_defined), enc)


def another_solution(spec: Spec, givens: Mapping[str, Any], value: Any) -> Query:
    """Is there a proposal other than ``value`` that meets the spec?"""
    enc = encode(spec, givens)
    return _query("another-solution", (enc.spec_term, terms.not_(enc.is_value(value))), enc)


def objective_value(spec: Spec, givens: Mapping[str, Any], value: Any) -> int:
    """The objective of a proposal: CPython runs the spec's own objective helper on the decoded values.

    Raises :class:`~.evaluate.Undefined` when it raises (or returns anything
    but an int), naming the exception.
    """
    fn = spec.objective_fn
    if fn is None or spec.ir.objective is None:
        raise ValueError(f"{spec.name} has no objective")
    env = {**givens, spec.proposal.name: value}
    code = getattr(fn, "__code__", None)
    names = code.co_varnames[: code.co_argcount] if code is not None else ()
    loc = spec.ir.objective.loc
    try:
        result = limited(f"running the objective {fn.__name__}", lambda: fn(*(env[n] for n in names)))
    except (MemoryError, RecursionError):
        raise  # the interpreter's limits, not the objective's meaning (UNKNOWN, not "the objective raises")
    except Exception as exc:
        raise Undefined(type(exc).__name__, f"the objective {fn.__name__} raises: {exc}", loc) from None
    if type(result) is not int:
        raise Undefined("TypeError", f"the objective {fn.__name__} returned {show_value(result)}, not an int", loc)
    return result


def better_solution(spec: Spec, givens: Mapping[str, Any], value: Any) -> Query:
    """Is there a proposal meeting the spec with a strictly better objective than ``value``'s?"""
    enc = encode(spec, givens)
    if enc.objective is None or enc.objective_defined is None:
        raise ValueError(f"{spec.name} has no objective")
    current = terms.int_const(objective_value(spec, givens, value))
    better = terms.gt(enc.objective, current) if spec.sense == "max" else terms.lt(enc.objective, current)
    return _query("better-solution", (enc.spec_term, enc.objective_defined, better), enc)



# --- repair: how far a proposal is from another one -------------------------------
#
# A repair keeps as many of a proposal's leaf fields (the scalar solver
# variables of its encoding: ints, bools, strings, enum members, and the length
# of each list whose length may vary) as it can.  The symbolic measure
# (:func:`nearest_solution`) and the concrete one (:func:`field_changes`) are
# defined side by side, leaf by leaf, so that the count a solver bounds is the
# count the kernel reports:
#
# * a leaf present in both values counts 1 when its value differs;
# * a leaf present in one value only (an item added to or removed from a list)
#   counts 1;
# * the distance of a repair is the total absolute change of the int leaves
#   present in both values (bools, strings, enum members and lengths have none).

ABSENT = "(absent)"


@dataclass(frozen=True)
class FieldChange:
    """One leaf field that differs between two proposals: its path and both values as JSON text."""

    path: str
    old: str
    new: str
    distance: int = 0

    def line(self) -> str:
        """The change as one line, like ``proposal[3]: 7 -> 5``."""
        return f"{self.path}: {self.old} -> {self.new}"


def nearest_solution(spec: Spec, givens: Mapping[str, Any], value: Any, *, max_changed: int | None = None,
                     max_distance: int | None = None, objective: int | None = None,
                     encoding: Encoding | None = None) -> Query:
    """Is there a proposal meeting the spec within ``max_changed`` leaf changes of ``value``?

    ``value`` is a decoded proposal (it may break the spec and its domain's
    bounds).  ``max_distance`` also bounds the total absolute change of its
    int leaves; ``objective``, for a spec with an objective, asks for one at
    least this good (``>=`` when maximizing, ``<=`` when minimizing).  A model
    decodes (:meth:`Query.witness`) into the repaired proposal.  ``encoding``
    is ``encode(spec, givens)`` when the caller has it already (a search asks
    many bounds of one task).
    """
    enc = encode(spec, givens) if encoding is None else encoding
    changed, distance = _departure(enc, value)
    parts = [enc.spec_term]
    if objective is not None:
        if enc.objective is None:
            raise ValueError(f"{spec.name} has no objective")
        bound = terms.int_const(objective)
        parts += [enc.objective_defined,
                  terms.ge(enc.objective, bound) if spec.sense == "max" else terms.le(enc.objective, bound)]
    if max_changed is not None:
        parts.append(terms.le(changed, terms.int_const(max_changed)))
    if max_distance is not None:
        parts.append(terms.le(distance, terms.int_const(max_distance)))
    return _query("nearest-solution", tuple(parts), enc)


def field_changes(domain: Domain, old: Any, new: Any, path: str = "proposal") -> list[FieldChange]:
    """Every leaf field in which the decoded proposals ``old`` and ``new`` differ, in order."""
    out: list[FieldChange] = []
    _diff(domain, old, new, path, out)
    return out


def leaf_count(domain: Domain, value: Any) -> int:
    """How many leaf fields ``value`` has (what adding or removing it costs)."""
    return len(_leaves(domain, value, ""))


def _departure(enc: Encoding, value: Any) -> tuple[terms.Term, terms.Term]:
    """(leaf fields changed, total int change) of the symbolic proposal from ``value``, as Int terms."""
    walk = _Departure()
    walk.value(enc.proposal, enc.proposal_domain, value, True, terms.TRUE)
    zero = terms.int_const(0)
    return (terms.add(*walk.costs) if walk.costs else zero), (terms.add(*walk.moves) if walk.moves else zero)


def _leaf_const(domain: Domain, value: Any) -> terms.Term:
    if isinstance(domain, BoolDomain):
        return terms.bool_const(bool(value))
    if isinstance(domain, StrDomain):
        return terms.str_const(value)
    if isinstance(domain, EnumDomain):
        return terms.int_const(domain.members.index(value))
    return terms.int_const(int(value))


class _Departure:
    """Collects, leaf by leaf, the Int terms that count changes (``costs``) and int moves (``moves``)."""

    def __init__(self) -> None:
        self.costs: list[terms.Term] = []
        self.moves: list[terms.Term] = []

    def leaf(self, v: terms.Term, orig: terms.Term | None, present: terms.Term, *, numeric: bool) -> None:
        """A scalar variable ``v`` (present when ``present`` holds) against ``orig`` (None: absent there)."""
        one, zero = terms.int_const(1), terms.int_const(0)
        if orig is None:
            self.costs.append(terms.ite(present, one, zero))
            return
        self.costs.append(terms.ite(terms.and_(present, terms.eq(v, orig)), zero, one))
        if numeric:
            self.moves.append(terms.ite(present, terms.abs_(terms.sub(v, orig)), zero))

    def value(self, v: Value, d: Domain, orig: Any, has_orig: bool, present: terms.Term) -> None:
        """The symbolic ``v`` of domain ``d`` against the decoded ``orig`` (when ``has_orig``)."""
        if isinstance(v, terms.Term):
            self.leaf(v, _leaf_const(d, orig) if has_orig else None, present, numeric=isinstance(d, IntDomain))
        elif isinstance(v, tuple):
            assert isinstance(d, TupleDomain)
            for i, (x, item) in enumerate(zip(v, d.items, strict=True)):
                self.value(x, item, orig[i] if has_orig else None, has_orig, present)
        elif isinstance(v, RecordVal):
            assert isinstance(d, RecordDomain)
            for name, fd in d.fields:
                self.value(v.get(name), fd, getattr(orig, name) if has_orig else None, has_orig, present)
        else:
            assert isinstance(v, SymList)
            assert isinstance(d, ListDomain)
            self.items(v, d, orig if has_orig else None, present)

    def items(self, v: SymList, d: ListDomain, orig: list[Any] | None, present: terms.Term) -> None:
        if not d.fixed:
            # A length is a leaf, with no distance: its items' changes say how far it moved.
            assert v.length is not None
            self.leaf(v.length, None if orig is None else terms.int_const(len(orig)), present, numeric=False)
        n = 0 if orig is None else len(orig)
        for i, (guard, x) in enumerate(v.slots):
            self.value(x, d.elem, orig[i] if orig is not None and i < n else None, i < n,
                       terms.and_(present, guard))
        # Items beyond the last slot (a list longer than its bound) cannot be kept.
        extra = sum(leaf_count(d.elem, item) for item in (orig or [])[len(v.slots):])
        if extra:
            self.costs.append(terms.int_const(extra))


def _show(domain: Domain, value: Any) -> str:
    return json.dumps(domain.encode(value), ensure_ascii=False)


def _leaves(d: Domain, value: Any, path: str) -> list[tuple[str, str]]:
    """(path, JSON text) of each leaf field of ``value``."""
    if isinstance(d, TupleDomain):
        return [leaf for i, item in enumerate(d.items) for leaf in _leaves(item, value[i], f"{path}[{i}]")]
    if isinstance(d, RecordDomain):
        return [leaf for n, fd in d.fields for leaf in _leaves(fd, getattr(value, n), f"{path}.{n}")]
    if isinstance(d, ListDomain):
        length = [] if d.fixed else [(f"len({path})", str(len(value)))]
        return length + [leaf for i, x in enumerate(value) for leaf in _leaves(d.elem, x, f"{path}[{i}]")]
    return [(path, _show(d, value))]


def _diff(d: Domain, old: Any, new: Any, path: str, out: list[FieldChange]) -> None:
    if isinstance(d, TupleDomain):
        for i, item in enumerate(d.items):
            _diff(item, old[i], new[i], f"{path}[{i}]", out)
    elif isinstance(d, RecordDomain):
        for n, fd in d.fields:
            _diff(fd, getattr(old, n), getattr(new, n), f"{path}.{n}", out)
    elif isinstance(d, ListDomain):
        if len(old) != len(new):
            out.append(FieldChange(f"len({path})", str(len(old)), str(len(new))))
        for i in range(max(len(old), len(new))):
            where = f"{path}[{i}]"
            if i < len(old) and i < len(new):
                _diff(d.elem, old[i], new[i], where, out)
            elif i < len(old):
                out.extend(FieldChange(p, text, ABSENT) for p, text in _leaves(d.elem, old[i], where))
            else:
                out.extend(FieldChange(p, ABSENT, text) for p, text in _leaves(d.elem, new[i], where))
    elif _differs(d, old, new):
        move = abs(new - old) if isinstance(d, IntDomain) else 0
        out.append(FieldChange(path, _show(d, old), _show(d, new), move))


def _differs(d: Domain, old: Any, new: Any) -> bool:
    if isinstance(d, EnumDomain):
        return old is not new
    return bool(type(old) is not type(new) or old != new)
