"""A HumanEval task's ``types`` as assay domains: which values each argument ranges over.

The dataset writes each argument's type and the result's as a string
(``int``, ``list[int]``, ``tuple[int, int]``, ``str | None``, ``Any``); the
string is parsed with :mod:`ast` (never evaluated) and mapped:

* ``int``, ``bool``, ``str`` to :class:`IntDomain`, :class:`BoolDomain`,
  :class:`StrDomain` (an argument within the :class:`~.bounds.Bounds`; the
  result unbounded: it is what the program returns, not a quantified input);
* ``list[T]`` to :class:`ListDomain` (at most ``bounds.list_len`` items at each
  level) and ``tuple[T1, ..., Tn]`` to :class:`TupleDomain`.

Everything else makes the task not solver-fit, with the reason
(:class:`UnfitType`): floats (not proved over, never treated as reals),
``None``, ``dict``, ``set``, ``Any``, unions ``A | B`` (the dataset's types
come from the values its judge passes, and a union means that some calls pass
another type: no one domain is the task's), ``tuple[T, ...]`` of varying
length.

:func:`narrowed` makes a domain narrower where a contract says so (see
:mod:`.contracts`).
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Final

from assay.specs.domains import BoolDomain, Domain, IntDomain, ListDomain, StrDomain, TupleDomain

from .bounds import Bounds

__all__ = ["ITEM", "UnfitType", "argument_domain", "describe", "narrowed", "result_domain"]

#: A step of a domain path into a list's (or a string's) items.
ITEM: Final = "[item]"
#: Longer type strings are refused unread (the dataset's longest is 57 characters).
MAX_TYPE_LENGTH: Final = 1000

_WHY_NOT: Final = {
    "float": "floats are outside what assay proves over (never treated as reals)",
    "None": "None is outside the program subset's values",
    "Any": "Any names no domain",
    "dict": "dicts are outside the program subset's values",
    "set": "sets are outside the program subset's values",
}


class UnfitType(Exception):
    """A type string that names no domain assay proves over: the task is not solver-fit."""


def argument_domain(text: str, bounds: Bounds) -> Domain:
    """The domain of an argument of type ``text``, within ``bounds``; UnfitType if it has none."""
    return _mapped(text, bounds)


def result_domain(text: str) -> Domain:
    """The domain of a result of type ``text`` (the shape only, no bounds); UnfitType if it has none."""
    return _mapped(text, None)


def _mapped(text: str, bounds: Bounds | None) -> Domain:
    if not isinstance(text, str):
        raise UnfitType(f"a type must be a string, got {type(text).__name__}")
    if len(text) > MAX_TYPE_LENGTH:
        raise UnfitType(f"type {text[:40]!r}... is {len(text)} characters long; at most {MAX_TYPE_LENGTH} are read")
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise UnfitType(f"type {text!r} does not parse: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise UnfitType(f"type {text!r} cannot be parsed: {exc}") from None
    try:
        return _domain(node, text, bounds)
    except RecursionError:
        raise UnfitType(f"type {text[:40]!r}... is nested too deeply") from None


def _domain(node: ast.expr, text: str, bounds: Bounds | None) -> Domain:
    match node:
        case ast.Name("int"):
            return IntDomain() if bounds is None else IntDomain(bounds.int_lo, bounds.int_hi)
        case ast.Name("bool"):
            return BoolDomain()
        case ast.Name("str"):
            return StrDomain() if bounds is None else StrDomain(bounds.str_len, bounds.alphabet)
        case ast.Subscript(ast.Name("list"), item) if not isinstance(item, ast.Tuple):
            return ListDomain(_domain(item, text, bounds), 0, None if bounds is None else bounds.list_len)
        case ast.Subscript(ast.Name("tuple"), ast.Tuple(items)) if items and not any(
                isinstance(i, ast.Constant) and i.value is Ellipsis for i in items):
            return TupleDomain(tuple(_domain(i, text, bounds) for i in items))
        case ast.Subscript(ast.Name("tuple"), ast.Tuple([_, ast.Constant(value=v)])) if v is Ellipsis:
            raise UnfitType(f"type {text!r}: a tuple of varying length has no fixed shape")
        case ast.BinOp(_, ast.BitOr(), _):
            raise UnfitType(f"type {text!r} is a union: some calls pass another type, so no one domain is the "
                            "task's")
        case ast.Name(name) | ast.Subscript(ast.Name(name), _) if name in _WHY_NOT:
            raise UnfitType(f"type {text!r}: {_WHY_NOT[name]}")
        case ast.Constant(None):
            raise UnfitType(f"type {text!r}: {_WHY_NOT['None']}")
    raise UnfitType(f"type {text!r}: {ast.unparse(node)!r} is not a type assay maps to a domain")


def narrowed(domain: Domain, path: tuple[str, ...], *, lo: int | None = None, hi: int | None = None,
             min_len: int | None = None, max_len: int | None = None, chars: str | None = None) -> Domain:
    """``domain`` with the part at ``path`` narrowed to what a contract allows.

    ``path`` descends into list items by :data:`ITEM`; ``lo``/``hi`` narrow an
    int, ``min_len``/``max_len`` a list's length, ``chars`` a string's
    alphabet.  The result is never larger than ``domain``: where the two do
    not meet (a contract's ``n >= 50`` and the bound's ``-20..20``), it keeps
    the bound's size and moves into the contract's range (``50..90``; lists
    of exactly the contract's least length; the contract's own characters).
    A narrowing of another kind than the domain (a length on an int) raises
    ValueError: the caller read the contract wrong.
    """
    if path:
        if path[0] != ITEM or not isinstance(domain, ListDomain):
            raise ValueError(f"no part {path[0]} in {domain.describe()}")
        return replace(domain, elem=narrowed(domain.elem, path[1:], lo=lo, hi=hi, min_len=min_len,
                                             max_len=max_len, chars=chars))
    if isinstance(domain, IntDomain) and min_len is None and max_len is None and chars is None:
        return replace(domain, **_meet(domain.lo, domain.hi, lo, hi))
    if isinstance(domain, ListDomain) and lo is None and hi is None and chars is None:
        new_min = domain.min_len if min_len is None else max(min_len, domain.min_len)
        new_max = domain.max_len if max_len is None else max_len if domain.max_len is None \
            else min(max_len, domain.max_len)
        if new_max is not None and new_max < new_min:
            new_max = new_min
        return replace(domain, min_len=new_min, max_len=new_max)
    if isinstance(domain, StrDomain) and lo is None and hi is None and min_len is None and max_len is None:
        if chars is None:
            return domain
        kept = "" if domain.alphabet is None else "".join(c for c in domain.alphabet if c in chars)
        return replace(domain, alphabet="".join(sorted(set(kept or chars))))
    raise ValueError(f"cannot narrow {domain.describe()} that way")


def _meet(lo: int | None, hi: int | None, c_lo: int | None, c_hi: int | None) -> dict[str, int | None]:
    """The int range of a bound ``lo..hi`` narrowed by a contract's ``c_lo..c_hi`` (None: no limit)."""
    if c_lo is not None and c_hi is not None and c_lo > c_hi:
        raise ValueError(f"the contract admits no int: it asks for {c_lo}..{c_hi}")
    new_lo = lo if c_lo is None else c_lo if lo is None else max(lo, c_lo)
    new_hi = hi if c_hi is None else c_hi if hi is None else min(hi, c_hi)
    if new_lo is None or new_hi is None or new_lo <= new_hi or lo is None or hi is None:
        return {"lo": new_lo, "hi": new_hi}
    width = hi - lo
    if c_lo is not None and c_lo > hi:  # the contract's range lies above the bound's
        return {"lo": c_lo, "hi": c_lo + width if c_hi is None else min(c_hi, c_lo + width)}
    assert c_hi is not None  # below it
    return {"lo": c_hi - width if c_lo is None else max(c_lo, c_hi - width), "hi": c_hi}


def describe(domain: Domain) -> str:
    """A domain in words, as a verdict states its bound: ``list of at most 5 ints in -20..20``."""
    match domain:
        case IntDomain(lo=lo, hi=hi) if lo is not None and hi is not None:
            return f"int in {lo}..{hi}"
        case StrDomain(max_len=n, alphabet=chars) if n is not None:
            over = "" if chars is None else f" over {chars!r}"
            return f"str of at most {n} characters{over}"
        case ListDomain(elem=elem, min_len=lo, max_len=hi):
            size = (f"exactly {hi}" if lo == hi else f"{lo} to {hi}" if lo else f"at most {hi}") \
                if hi is not None else f"at least {lo}" if lo else "any number of"
            return f"list of {size} items, each {describe(elem)}"
        case TupleDomain(items=items):
            return "tuple of (" + ", ".join(describe(i) for i in items) + ")"
    return domain.describe()
