"""Bounded search: the inputs a program is run on when the solvers cannot judge it.

When a program is outside the subset, or the solvers time out, the kernel may
still refute it by running it in the sandbox on many inputs of its bound.
This module only chooses the inputs: every input of the bound when there are
few enough, otherwise the smallest ones (so that what fails first reads at a
glance) followed by inputs Hypothesis draws from strategies made of the same
domains.  It never decides an outcome: a failing input becomes REFUTED only
after :mod:`.programs` replays it on the real function and checks it is inside
the bound and meets the precondition, and no number of passing inputs is ever
a proof (the verdict stays UNKNOWN and says how many were searched).

Values are the sandbox's: ints, bools, strs, lists and tuples.  A domain of
another kind (an enum, a record) cannot cross into the worker, so a program
over one is not searched (:func:`searchable`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any, Final

from assay.specs.domains import BoolDomain, Domain, IntDomain, ListDomain, StrDomain, TupleDomain

__all__ = ["DEFAULT_INPUTS", "SEARCH_CALL_SECONDS", "SEARCH_SECONDS", "arguments", "batches", "count",
           "searchable", "strategy"]

#: How many inputs a search runs at most (every input of the bound when it has no more than this).
DEFAULT_INPUTS: Final = 2000
#: The share of a non-exhaustive search given to the smallest inputs; Hypothesis draws the rest.
SMALLEST_SHARE: Final = 0.3
#: CPU seconds one call of the program may take during a search, and the whole search's wall-clock seconds.
SEARCH_CALL_SECONDS: Final = 0.5
SEARCH_SECONDS: Final = 20.0
# A string domain that declares no alphabet is searched over these (its bound is every character; a
# search over fewer only finds fewer failures, it never claims more).
_PLAIN: Final = "ab0 1A-.,zZ9_!\t\nxyc"
# The characters a palette favours (see arguments).
_SEPARATORS: Final = " ,.;:-_\t\n"
# More than this many inputs in a domain is "many" (counts stop growing here: only the comparison matters).
_CAP: Final = 10**12


def searchable(domains: Sequence[Domain]) -> bool:
    """Whether every domain's values can cross into the sandbox (ints, bools, strs, lists, tuples of them)."""
    return all(_searchable(d) for d in domains)


def _searchable(d: Domain) -> bool:
    match d:
        case IntDomain() | BoolDomain() | StrDomain():
            return True
        case ListDomain(elem=e):
            return _searchable(e)
        case TupleDomain(items=items):
            return all(_searchable(i) for i in items)
    return False


def count(d: Domain) -> int:
    """How many values the domain holds, capped at a trillion (an unbounded domain is "many")."""
    match d:
        case BoolDomain():
            return 2
        case IntDomain(lo=lo, hi=hi):
            return _CAP if lo is None or hi is None else max(0, min(_CAP, hi - lo + 1))
        case StrDomain(max_len=n):
            return _CAP if n is None else _sequences(len(_alphabet(d)), 0, n)
        case ListDomain(elem=e, min_len=lo, max_len=hi):
            return _CAP if hi is None else _sequences(count(e), lo, hi)
        case TupleDomain(items=items):
            total = 1
            for i in items:
                total = min(_CAP, total * count(i))
            return total
    return _CAP


def _sequences(k: int, lo: int, hi: int) -> int:
    total = 0
    for n in range(lo, hi + 1):
        total = min(_CAP, total + min(_CAP, k**n) if k > 1 or n == 0 else total + k)
        if total >= _CAP:
            break
    return total


def _alphabet(d: StrDomain) -> str:
    """The domain's characters, ASCII first, in the order the domain declares them."""
    chars = d.alphabet if d.alphabet is not None else _PLAIN
    return "".join(sorted(dict.fromkeys(chars), key=lambda c: (ord(c) > 127, chars.index(c))))


def smallest(d: Domain) -> Iterator[Any]:
    """The domain's values, smallest first: shorter lists and strings, then ints nearer 0, ASCII first."""
    match d:
        case BoolDomain():
            yield from (False, True)
        case IntDomain(lo=lo, hi=hi):
            yield from _ints(lo, hi)
        case StrDomain(max_len=n):
            chars = _alphabet(d)
            for length in itertools.count() if n is None else range(n + 1):
                yield from ("".join(p) for p in itertools.product(chars, repeat=length))
        case ListDomain(elem=e, min_len=lo, max_len=hi):
            yield from _lists(e, lo, hi)
        case TupleDomain(items=items):
            yield from (tuple(p) for p in _products(list(items)))


def _ints(lo: int | None, hi: int | None) -> Iterator[int]:
    """lo..hi from the value nearest 0 outwards, the positive one of each pair first."""
    start = 0 if (lo is None or lo <= 0) and (hi is None or hi >= 0) else (lo if lo is not None and lo > 0 else hi)
    assert start is not None
    for step in itertools.count():
        up, down = start + step, start - step
        inside = False
        for v in (up, down) if step else (up,):
            if (lo is None or v >= lo) and (hi is None or v <= hi):
                inside = True
                yield v
        if not inside and lo is not None and hi is not None and (up > hi and down < lo):
            return


def _lists(elem: Domain, lo: int, hi: int | None) -> Iterator[list[Any]]:
    """Lists of ``lo`` to ``hi`` items by size: the length plus the items' ranks in :func:`smallest`, so that
    ``[1, 0, 0]`` comes long before ``[20, -20]``."""
    top = count(elem) - 1
    if top < 0:
        if lo == 0:
            yield []
        return
    cache: list[Any] = []
    source = smallest(elem)

    def value(rank: int) -> Any:
        while len(cache) <= rank:
            cache.append(next(source))
        return cache[rank]

    longest = hi if hi is not None else None
    for size in itertools.count(lo):
        if longest is not None and size > longest * (top + 1):
            return
        for length in range(lo, min(size, longest if longest is not None else size) + 1):
            for ranks in _compositions(size - length, [top] * length) if length else ([()] if size == 0 else []):
                yield [value(r) for r in ranks]


def _products(domains: list[Domain]) -> Iterator[list[Any]]:
    """Every combination of the domains' values, by the sum of their ranks in :func:`smallest` (small first)."""
    if not domains:
        yield []
        return
    tops = [count(d) - 1 for d in domains]  # the highest rank of each domain's values
    cache: list[list[Any]] = [[] for _ in domains]
    sources = [smallest(d) for d in domains]

    def value(i: int, rank: int) -> Any:
        while len(cache[i]) <= rank:
            cache[i].append(next(sources[i]))
        return cache[i][rank]

    for total in range(sum(tops) + 1):
        for ranks in _compositions(total, tops):
            yield [value(i, r) for i, r in enumerate(ranks)]


def _compositions(total: int, tops: list[int]) -> Iterator[tuple[int, ...]]:
    """Every tuple of ranks adding to ``total`` with rank i at most ``tops[i]``."""
    if len(tops) == 1:
        if total <= tops[0]:
            yield (total,)
        return
    room = sum(tops[1:])
    for first in range(max(0, total - room), min(total, tops[0]) + 1):
        for rest in _compositions(total - first, tops[1:]):
            yield (first, *rest)


def strategy(d: Domain, palette: str | None = None) -> Any:
    """A Hypothesis strategy for the domain's values (the same bounds and alphabet).

    With a ``palette``, strings use only its characters that the domain's
    alphabet holds (all of the alphabet when it holds none of them).
    """
    from hypothesis import strategies as st

    match d:
        case BoolDomain():
            return st.booleans()
        case IntDomain(lo=lo, hi=hi):
            return st.integers(lo, hi)
        case StrDomain(max_len=n):
            chars = _alphabet(d)
            if palette is not None:
                chars = "".join(c for c in palette if c in chars) or chars
            return st.text(alphabet=st.sampled_from(chars), max_size=n)
        case ListDomain(elem=e, min_len=lo, max_len=hi):
            return st.lists(strategy(e, palette), min_size=lo, max_size=hi)
        case TupleDomain(items=items):
            return st.tuples(*(strategy(i, palette) for i in items))
    raise TypeError(f"{d.describe()} cannot be searched (its values cannot cross into the sandbox)")


def _strings(d: Domain) -> list[StrDomain]:
    match d:
        case StrDomain():
            return [d]
        case ListDomain(elem=e):
            return _strings(e)
        case TupleDomain(items=items):
            return [s for i in items for s in _strings(i)]
    return []


def arguments(domains: Sequence[Domain]) -> Any:
    """A strategy for whole argument lists: half the time every string of an input is drawn from one small
    palette of 1 to 3 of its characters, so that strings share characters and repeat them (runs of spaces,
    a character in both of two strings): the inputs on which string programs most often go wrong."""
    from hypothesis import strategies as st

    plain = st.tuples(*(strategy(d) for d in domains))
    alphabet = "".join(dict.fromkeys(c for d in domains for s in _strings(d) for c in _alphabet(s)))
    if not alphabet:
        return plain

    # Separators are where string programs most often go wrong (split, strip, runs of spaces): half of a
    # palette's characters are drawn from those the alphabet holds.
    separators = [c for c in _SEPARATORS if c in alphabet]
    char = st.one_of(st.sampled_from(separators), st.sampled_from(alphabet)) if separators else \
        st.sampled_from(alphabet)

    @st.composite
    def with_palette(draw: Any) -> tuple[Any, ...]:
        palette = "".join(draw(st.lists(char, min_size=1, max_size=3, unique=True)))
        return tuple(draw(strategy(d, palette)) for d in domains)

    return st.one_of(plain, with_palette())


def drawn(domains: Sequence[Domain], n: int) -> list[list[Any]]:
    """Up to ``n`` argument lists Hypothesis draws for the domains, the same ones on every run (derandomised)."""
    from hypothesis import HealthCheck, Phase, given, settings

    out: list[list[Any]] = []
    if n <= 0:
        return out

    @settings(max_examples=n, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(arguments(domains))
    def collect(args: tuple[Any, ...]) -> None:
        out.append(list(args))

    collect()
    return out


def batches(domains: Sequence[Domain], n: int = DEFAULT_INPUTS) -> Iterator[tuple[list[list[Any]], bool]]:
    """Up to ``n`` distinct argument lists for the domains, in batches, each with whether the batches so far
    are every input of the bound.

    Every input (one batch) when the bound has at most ``n``; else first the
    smallest (:data:`SMALLEST_SHARE` of ``n``, by the sum of each argument's
    rank among its domain's smallest values), then the ones Hypothesis draws,
    none repeated: a search that fails on a small input stops before the
    drawing is paid for.
    """
    if not searchable(domains):
        raise TypeError("some domain's values cannot cross into the sandbox")
    total = 1
    for d in domains:
        total = min(_CAP, total * count(d))
    if total <= n:
        yield list(itertools.islice(_products(list(domains)), total)), True
        return
    first = list(itertools.islice(_products(list(domains)), int(n * SMALLEST_SHARE)))
    yield first, False
    seen = {repr(a) for a in first}
    more = []
    for args in drawn(domains, n - len(first)):
        key = repr(args)
        if key not in seen:
            seen.add(key)
            more.append(args)
    yield more, False
