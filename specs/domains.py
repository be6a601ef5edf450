"""Domains: the sets of values a spec's parameters range over.

A spec's annotations name them (``Annotated[int, Between(1, 9)]``,
``Annotated[list[Row], Length(9)]``, an ``Enum`` subclass, a dataclass); this
module resolves annotations into :class:`Domain` objects and turns JSON values
into the Python values a spec runs on, refusing anything outside the domain
with the path of the offending part (``solution[3][1]``).

The distinction that matters downstream: a value of the wrong *shape* (a string
where an int belongs, a list of the wrong length) cannot be a proposal at all
and is refused with :class:`DecodeError`; an int outside its declared bounds is
a well-formed proposal that breaks the spec (see :func:`Domain.out_of_bounds`).
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import itertools
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from .errors import AssayError

__all__ = [
    "Alphabet",
    "Between",
    "BoolDomain",
    "DecodeError",
    "Domain",
    "EnumDomain",
    "Given",
    "Input",
    "IntDomain",
    "Length",
    "ListDomain",
    "MaxLen",
    "Output",
    "Proposal",
    "RecordDomain",
    "StrDomain",
    "TupleDomain",
    "domain_of",
]

# Code points above this are outside SMT-LIB's string alphabet.
MAX_SMT_CODE_POINT = 0x2FFFF


class DecodeError(AssayError, ValueError):
    """A JSON value does not have the shape its domain requires."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path
        self.why = why


# --- annotation markers -------------------------------------------------------


@dataclass(frozen=True)
class Between:
    """``Annotated[int, Between(lo, hi)]``: an int with ``lo <= x <= hi``."""

    lo: int
    hi: int


@dataclass(frozen=True)
class Length:
    """``Annotated[list[T], Length(n)]``: a list of exactly ``n`` items."""

    n: int


@dataclass(frozen=True)
class MaxLen:
    """``Annotated[list[T] | str, MaxLen(n)]``: at most ``n`` items or characters."""

    n: int


@dataclass(frozen=True)
class Alphabet:
    """``Annotated[str, MaxLen(n), Alphabet("abc")]``: a string of characters from ``chars`` only."""

    chars: str


class _Role:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


GIVEN = _Role("GIVEN")
PROPOSAL = _Role("PROPOSAL")
INPUT = _Role("INPUT")
OUTPUT = _Role("OUTPUT")

_T = TypeVar("_T")
# ``Given[int]`` is ``Annotated[int, GIVEN]``: a plain type to a type checker.
Given = Annotated[_T, GIVEN]
Proposal = Annotated[_T, PROPOSAL]
# A program spec's parameters: the function's arguments (universally quantified) and what it returns.
Input = Annotated[_T, INPUT]
Output = Annotated[_T, OUTPUT]


# --- domains ------------------------------------------------------------------


class Domain:
    """A set of values; subclasses say which."""

    def decode(self, value: Any, path: str) -> Any:
        """Turn a JSON value into the Python value a spec sees, or raise DecodeError."""
        raise NotImplementedError

    def encode(self, value: Any) -> Any:
        """Turn a Python value back into JSON."""
        raise NotImplementedError

    def out_of_bounds(self, value: Any, path: str) -> Iterator[str]:
        """Yield a sentence for each part of a decoded value outside its bounds."""
        return iter(())

    def describe(self) -> str:
        """A short human description, for messages."""
        raise NotImplementedError


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


@dataclass(frozen=True)
class IntDomain(Domain):
    lo: int | None = None
    hi: int | None = None

    def decode(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise DecodeError(path, f"expected an integer, got {_short(value)}")
        return value

    def encode(self, value: Any) -> Any:
        return value

    def out_of_bounds(self, value: Any, path: str) -> Iterator[str]:
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            yield f"{path} = {value} is outside {self.describe()}"

    def describe(self) -> str:
        if self.lo is None and self.hi is None:
            return "int"
        lo = "-inf" if self.lo is None else str(self.lo)
        hi = "+inf" if self.hi is None else str(self.hi)
        return f"{lo}..{hi}"


@dataclass(frozen=True)
class BoolDomain(Domain):
    def decode(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise DecodeError(path, f"expected true or false, got {_short(value)}")
        return value

    def encode(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        return "bool"


@dataclass(frozen=True)
class StrDomain(Domain):
    max_len: int | None = None
    alphabet: str | None = None  # the characters a value may hold, sorted, each once; None: any

    def decode(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise DecodeError(path, f"expected a string, got {_short(value)}")
        return value

    def encode(self, value: Any) -> Any:
        return value

    def out_of_bounds(self, value: Any, path: str) -> Iterator[str]:
        if self.max_len is not None and len(value) > self.max_len:
            yield f"{path} has {len(value)} characters, more than the {self.max_len} allowed"
        if self.alphabet is not None:
            outside = next(((i, c) for i, c in enumerate(value) if c not in self.alphabet), None)
            if outside is not None:
                i, c = outside
                yield f"{path} has {c!r} (U+{ord(c):04X}) at index {i}, outside its alphabet {self.alphabet!r}"

    def describe(self) -> str:
        text = "str" if self.max_len is None else f"str of at most {self.max_len} characters"
        return text if self.alphabet is None else f"{text} over {self.alphabet!r}"


@dataclass(frozen=True)
class EnumDomain(Domain):
    cls: type[enum.Enum]

    @property
    def members(self) -> list[enum.Enum]:
        return list(self.cls)

    def decode(self, value: Any, path: str) -> enum.Enum:
        if isinstance(value, str) and value in self.cls.__members__:
            return self.cls[value]
        for member in self.cls:
            if not isinstance(value, bool) and type(member.value) is type(value) and member.value == value:
                return member
        names = ", ".join(self.cls.__members__)
        raise DecodeError(path, f"expected one of {names}, got {_short(value)}")

    def encode(self, value: Any) -> Any:
        return value.name

    def describe(self) -> str:
        return self.cls.__name__


@dataclass(frozen=True)
class TupleDomain(Domain):
    items: tuple[Domain, ...]

    def decode(self, value: Any, path: str) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple) or len(value) != len(self.items):
            raise DecodeError(
                path, f"expected a list of {len(self.items)} items, got {_short(value)}"
            )
        return tuple(d.decode(v, f"{path}[{i}]") for i, (d, v) in enumerate(zip(self.items, value, strict=True)))

    def encode(self, value: Any) -> Any:
        return [d.encode(v) for d, v in zip(self.items, value, strict=True)]

    def out_of_bounds(self, value: Any, path: str) -> Iterator[str]:
        for i, (d, v) in enumerate(zip(self.items, value, strict=True)):
            yield from d.out_of_bounds(v, f"{path}[{i}]")

    def describe(self) -> str:
        return "tuple[" + ", ".join(d.describe() for d in self.items) + "]"



_INT_ONLY = frozenset({int})
_LIST_ONLY = frozenset({list})


@dataclass(frozen=True)
class ListDomain(Domain):
    elem: Domain
    min_len: int = 0
    max_len: int | None = None

    @property
    def fixed(self) -> bool:
        return self.max_len is not None and self.min_len == self.max_len

    def decode(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise DecodeError(path, f"expected a list, got {_short(value)}")
        if self.fixed and len(value) != self.max_len:
            raise DecodeError(path, f"expected a list of {self.max_len} items, got {len(value)}")
        if type(self.elem) is IntDomain and set(map(type, value)) <= _INT_ONLY:
            return list(value)  # the common case, without a Python call per item
        if self._is_int_grid(value):
            return list(map(list, value))
        decode = self.elem.decode
        try:
            return [decode(v, path) for v in value]
        except DecodeError:
            # Decode again, item by item, only to name the item that is wrong.
            for i, v in enumerate(value):
                decode(v, f"{path}[{i}]")
            raise

    def encode(self, value: Any) -> Any:
        return [self.elem.encode(v) for v in value]

    def _is_int_grid(self, value: list[Any]) -> bool:
        """Whether ``value`` is a list of int lists of this domain's shape, checked without a call per item."""
        e = self.elem
        if type(e) is not ListDomain or type(e.elem) is not IntDomain or not value:
            return False
        if not set(map(type, value)) <= _LIST_ONLY:
            return False
        lengths = set(map(len, value))
        if e.max_len is not None and (min(lengths) < e.min_len or (e.fixed and max(lengths) > e.max_len)):
            return False
        return set(map(type, itertools.chain.from_iterable(value))) <= _INT_ONLY

    def out_of_bounds(self, value: Any, path: str) -> Iterator[str]:
        if not self.fixed and self.max_len is not None and len(value) > self.max_len:
            yield f"{path} has {len(value)} items, more than the {self.max_len} allowed"
        e = self.elem
        if type(e) is IntDomain and value and (e.lo is None or min(value) >= e.lo) \
                and (e.hi is None or max(value) <= e.hi):
            return  # every item in bounds: no need to look at each
        if type(e) is ListDomain and type(e.elem) is IntDomain and value and all(value) \
                and (e.max_len is None or max(map(len, value)) <= e.max_len):
            ie = e.elem
            if (ie.lo is None or min(map(min, value)) >= ie.lo) and (ie.hi is None or max(map(max, value)) <= ie.hi):
                return  # a grid of ints, all in bounds
        for i, v in enumerate(value):
            yield from self.elem.out_of_bounds(v, f"{path}[{i}]")

    def describe(self) -> str:
        if self.fixed:
            return f"list of {self.max_len} {self.elem.describe()}"
        if self.max_len is not None:
            return f"list of at most {self.max_len} {self.elem.describe()}"
        return f"list of {self.elem.describe()}"



@dataclass(frozen=True)
class RecordDomain(Domain):
    cls: type
    fields: tuple[tuple[str, Domain], ...]

    def decode(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise DecodeError(path, f"expected an object with fields {self._names()}, got {_short(value)}")
        missing = [n for n, _ in self.fields if n not in value]
        extra = [k for k in value if k not in dict(self.fields)]
        if missing:
            raise DecodeError(path, f"missing field {missing[0]!r} (expected {self._names()})")
        if extra:
            raise DecodeError(path, f"unexpected field {extra[0]!r} (expected {self._names()})")
        kwargs = {n: d.decode(value[n], f"{path}.{n}") for n, d in self.fields}
        checks = getattr(self.cls, "__post_init__", None) is not None
        before = {n: d.encode(kwargs[n]) for n, d in self.fields} if checks else {}
        try:
            record = self.cls(**kwargs)
        except (MemoryError, RecursionError):
            raise  # the interpreter's limits, not a refusal: the evaluation time limit makes them UNKNOWN
        except Exception as exc:  # the record's own __post_init__ refuses the value: it is no value of the domain
            raise DecodeError(path, f"{self.cls.__name__}(...) raises {type(exc).__name__}: {exc}") from None
        for n, d in self.fields if checks else ():
            # A __post_init__ that changes a field would make the spec see another value than the proposal's.
            if d.encode(getattr(record, n)) != before[n]:
                raise DecodeError(f"{path}.{n}", f"{self.cls.__name__}.__post_init__ changed the field {n!r}; "
                                  "a record's fields must be the values the proposal gives")
        return record

    def encode(self, value: Any) -> Any:
        return {n: d.encode(getattr(value, n)) for n, d in self.fields}

    def out_of_bounds(self, value: Any, path: str) -> Iterator[str]:
        for n, d in self.fields:
            yield from d.out_of_bounds(getattr(value, n), f"{path}.{n}")

    def describe(self) -> str:
        return self.cls.__name__


    def _names(self) -> str:
        return ", ".join(n for n, _ in self.fields)


def _alphabet(a: Alphabet, where: str) -> str:
    """The characters of an ``Alphabet``, sorted and each once; refused if empty or past SMT-LIB's alphabet."""
    if not isinstance(a.chars, str) or not a.chars:
        raise DomainError(f"{where}: Alphabet needs a non-empty str of characters, got {a.chars!r}")
    beyond = [c for c in a.chars if ord(c) > MAX_SMT_CODE_POINT]
    if beyond:
        raise DomainError(f"{where}: Alphabet holds U+{ord(beyond[0]):X}, past U+{MAX_SMT_CODE_POINT:X}, the last "
                          "code point the solvers' strings hold")
    return "".join(sorted(set(a.chars)))


def _check_constructor(cls: type, where: str) -> None:
    """Refuse a dataclass whose constructor does not take exactly its fields (decoding calls it so)."""
    fields = [f.name for f in dataclasses.fields(cls)]
    no_init = [f.name for f in dataclasses.fields(cls) if not f.init]
    if no_init:
        raise DomainError(f"{where}: the field {cls.__name__}.{no_init[0]} has init=False, so a proposal cannot "
                          "give it")
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params]
    if names != fields or any(p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params):
        raise DomainError(f"{where}: {cls.__name__}(...) takes ({', '.join(names)}), not its fields "
                          f"({', '.join(fields)}); a record domain needs the constructor @dataclass generates")


def _short(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({_type_name(value)})"


# --- resolving annotations ----------------------------------------------------


class DomainError(AssayError, TypeError):
    """An annotation does not name a domain assay supports."""


def split_role(annotation: Any) -> tuple[_Role | None, Any]:
    """Peel ``Given[...]`` / ``Proposal[...]`` off an annotation."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        roles = [m for m in meta if isinstance(m, _Role)]
        rest = [m for m in meta if not isinstance(m, _Role)]
        if roles:
            inner = Annotated[(base, *rest)] if rest else base
            return roles[-1], inner
    return None, annotation


def domain_of(annotation: Any, where: str = "annotation") -> Domain:
    """Resolve a type annotation to a domain, or raise DomainError naming it."""
    meta: list[Any] = []
    if get_origin(annotation) is Annotated:
        annotation, *meta = get_args(annotation)
        # Nested Annotated aliases flatten in typing; nothing more to peel.
    bounds = [m for m in meta if isinstance(m, Between)]
    lengths = [m for m in meta if isinstance(m, Length)]
    maxlens = [m for m in meta if isinstance(m, MaxLen)]
    alphabets = [m for m in meta if isinstance(m, Alphabet)]
    origin = get_origin(annotation)
    if alphabets and annotation is not str:
        raise DomainError(f"{where}: Alphabet(...) applies to str, not {annotation!r}")

    if annotation is bool:
        return BoolDomain()
    if annotation is int:
        if lengths or maxlens:
            raise DomainError(f"{where}: Length/MaxLen apply to lists and strings, not int")
        if bounds:
            b = bounds[-1]
            if b.lo > b.hi:
                raise DomainError(f"{where}: Between({b.lo}, {b.hi}) is empty")
            return IntDomain(b.lo, b.hi)
        return IntDomain()
    if annotation is float:
        raise DomainError(
            f"{where}: float is not supported (assay refuses floats rather than treat them as "
            "real numbers); scale to an int, for example cents instead of dollars"
        )
    if annotation is str:
        if bounds or lengths:
            raise DomainError(f"{where}: a str takes MaxLen(n), not Between or Length")
        return StrDomain(maxlens[-1].n if maxlens else None, _alphabet(alphabets[-1], where) if alphabets else None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if len(annotation) == 0:
            raise DomainError(f"{where}: enum {annotation.__name__} has no members")
        return EnumDomain(annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        _check_constructor(annotation, where)
        hints = typing.get_type_hints(annotation, include_extras=True)
        fields = tuple(
            (f.name, domain_of(hints[f.name], f"{where}: field {annotation.__name__}.{f.name}"))
            for f in dataclasses.fields(annotation)
        )
        return RecordDomain(annotation, fields)
    if origin is list:
        (elem_ann,) = get_args(annotation) or (None,)
        if elem_ann is None:
            raise DomainError(f"{where}: write list[T] with the item type, not a bare list")
        elem = domain_of(elem_ann, f"{where} (list item)")
        if lengths:
            return ListDomain(elem, lengths[-1].n, lengths[-1].n)
        if maxlens:
            return ListDomain(elem, 0, maxlens[-1].n)
        return ListDomain(elem)
    if origin is tuple:
        args = get_args(annotation)
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            raise DomainError(
                f"{where}: a tuple needs one type per item, like tuple[int, bool]; "
                "for a sequence of any length use list[T]"
            )
        return TupleDomain(tuple(domain_of(a, f"{where} (tuple item {i})") for i, a in enumerate(args)))
    if origin in (Union, types.UnionType):
        raise DomainError(f"{where}: unions such as {annotation} are not supported; use one type")
    raise DomainError(f"{where}: {annotation!r} is not a supported domain "
                      "(use int, bool, str, an Enum, a dataclass, tuple[...] or list[...])")
