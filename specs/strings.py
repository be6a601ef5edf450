"""String methods and conversions of the program subset, encoded character by character, exactly.

Every string a program handles is made of characters from a finite
*universe*: the declared alphabets of its string inputs, the characters of
the string constants in the program and its spec, and what the operations
below can produce from those (digits and ``-`` for ``str(n)``, the results of
``lower``/``upper``, the range of a ``chr``).  Each per-character question
(is it a digit, what is its ``lower()``) is therefore answered by CPython
itself, here, for each character of the universe, and the encoding is an
``ite`` over them: exact by construction.  Strings are bounded (their length
bound comes from the inputs' ``MaxLen`` and the constants), so a string is a
fixed number of guarded character positions.

Where CPython's rule for a whole string needs more than one character at a
time (``isupper``: no lowercase character and at least one uppercase one;
``split``; ``int``), it is written out here and the conformance suite checks
it against CPython.  Case operations (``lower``, ``upper``, ``isupper``,
``islower``) are encoded for ASCII universes only: Unicode case mapping has
special cases (``'ß'.upper()`` is ``'SS'``, title case) that this module does
not take on; elsewhere they are Unsupported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from . import terms as T
from .terms import Term, Unsupported

__all__ = ["StringOps"]

_MAX_CHR_RANGE: Final = 2048  # the most code points one chr() may stand for
_EMPTY: Final = T.str_const("")


class StringOps:
    """The encodings, over one universe of characters (which ``chr`` can grow)."""

    def __init__(self, universe: str | None, bound: Callable[[Term], int | None]) -> None:
        self.universe = None if universe is None else set(universe)
        self.bound = bound

    # -- characters ---------------------------------------------------------------------------

    def _chars(self, s: Term, what: str) -> list[tuple[Term, Term]]:
        """(present, the one-character string at i) for each position i the string can have."""
        if self.universe is None:
            raise Unsupported(f"{what} needs every string's characters to come from declared alphabets "
                              "(an input string has no Alphabet(...))")
        limit = self.bound(s)
        if limit is None:
            raise Unsupported(f"{what} of a string with no known length bound")
        n = T.str_len(s)
        return [(T.lt(T.int_const(i), n), T.str_at(s, T.int_const(i))) for i in range(limit)]

    def _letters(self) -> list[str]:
        assert self.universe is not None
        return sorted(self.universe)

    def _is(self, ch: Term, test: Callable[[str], bool]) -> Term:
        """The one-character string ``ch`` is a character of the universe for which ``test`` holds."""
        return T.or_(*(T.eq(ch, T.str_const(c)) for c in self._letters() if test(c)))

    def _map(self, ch: Term, f: Callable[[str], str]) -> Term:
        """``f`` applied to the one-character string ``ch`` (a character of the universe)."""
        out = ch
        for c in self._letters():
            image = f(c)
            if image != c:
                out = T.ite(T.eq(ch, T.str_const(c)), T.str_const(image), out)
        return out

    def _ascii(self, what: str) -> None:
        assert self.universe is not None
        if any(ord(c) > 127 for c in self.universe):
            raise Unsupported(f"{what} is encoded over ASCII characters only (Unicode case rules are not modelled)")

    # -- predicates --------------------------------------------------------------------------------

    def every(self, s: Term, name: str) -> Term:
        """``s.isdigit()`` and its kind: at least one character, each one passing the test."""
        test = {"isdigit": str.isdigit, "isalpha": str.isalpha, "isalnum": str.isalnum, "isspace": str.isspace,
                "isdecimal": str.isdecimal, "isnumeric": str.isnumeric}[name]
        chars = self._chars(s, f"str.{name}()")
        return T.and_(T.lt(T.int_const(0), T.str_len(s)), *(T.implies(g, self._is(c, test)) for g, c in chars))

    def cased(self, s: Term, name: str) -> Term:
        """``s.isupper()`` / ``s.islower()``: no character of the other case, and at least one of this one."""
        chars = self._chars(s, f"str.{name}()")
        self._ascii(f"str.{name}()")
        mine, other = (str.isupper, str.islower) if name == "isupper" else (str.islower, str.isupper)
        return T.and_(*(T.implies(g, T.not_(self._is(c, other))) for g, c in chars),
                      T.or_(*(T.and_(g, self._is(c, mine)) for g, c in chars)))

    # -- strings from strings ------------------------------------------------------------------------

    def mapped(self, s: Term, name: str) -> Term:
        """``s.lower()``, ``s.upper()``, ``s.swapcase()``: each character mapped on its own."""
        chars = self._chars(s, f"str.{name}()")
        self._ascii(f"str.{name}()")
        f = {"lower": str.lower, "upper": str.upper, "swapcase": str.swapcase}[name]
        assert self.universe is not None
        self.universe |= {d for c in self.universe for d in f(c)}
        return T.str_concat(*(T.ite(g, self._map(c, f), _EMPTY) for g, c in chars)) if chars else _EMPTY

    def replace_char(self, s: Term, old: str, new: str) -> Term:
        """``s.replace(old, new)`` for a one-character ``old``: each occurrence replaced."""
        chars = self._chars(s, "str.replace()")
        return T.str_concat(*(T.ite(g, T.ite(T.eq(c, T.str_const(old)), T.str_const(new), c), _EMPTY)
                              for g, c in chars)) if chars else _EMPTY

    def strip(self, s: Term, which: str, chars_arg: str | None) -> Term:
        """``s.strip()`` (``lstrip``, ``rstrip``): whitespace, or the characters of ``chars_arg``, off the ends."""
        chars = self._chars(s, f"str.{which}()")
        strip_it: Callable[[str], bool] = str.isspace if chars_arg is None else (lambda c: c in chars_arg)
        n = T.str_len(s)
        kept = [T.and_(g, T.not_(self._is(c, strip_it))) for g, c in chars]
        # first: the first kept position (n if none); last: one past the last kept one (0 if none)
        first, last = n, T.int_const(0)
        for i in reversed(range(len(chars))):
            first = T.ite(kept[i], T.int_const(i), first)
        for i in range(len(chars)):
            last = T.ite(kept[i], T.int_const(i + 1), last)
        lo = first if which in ("strip", "lstrip") else T.int_const(0)
        hi = last if which in ("strip", "rstrip") else n
        return T.str_concat(*(T.ite(T.and_(g, T.le(lo, T.int_const(i)), T.lt(T.int_const(i), hi)), c, _EMPTY)
                              for i, (g, c) in enumerate(chars))) if chars else _EMPTY

    # -- counting and finding ----------------------------------------------------------------------------

    def count_char(self, s: Term, sub: str) -> Term:
        """``s.count(sub)``: for a one-character ``sub`` each occurrence; for ``""`` one more than the length."""
        if sub == "":
            return T.add(T.str_len(s), T.int_const(1))
        if len(sub) != 1:
            raise Unsupported("str.count() of a substring of several characters is not encoded")
        chars = self._chars(s, "str.count()")
        one, zero = T.int_const(1), T.int_const(0)
        return T.add(*(T.ite(T.and_(g, T.eq(c, T.str_const(sub))), one, zero) for g, c in chars)) if chars else zero

    def find(self, s: Term, sub: str) -> Term:
        """``s.find(sub)``: the first position where the constant ``sub`` starts, or -1."""
        if sub == "":
            return T.int_const(0)
        chars = self._chars(s, "str.find()")
        n = T.str_len(s)
        out = T.int_const(-1)
        for i in reversed(range(len(chars))):
            if i + len(sub) > len(chars):
                continue
            here = T.and_(T.le(T.int_const(i + len(sub)), n),
                          *(T.eq(chars[i + k][1], T.str_const(sub[k])) for k in range(len(sub))))
            out = T.ite(here, T.int_const(i), out)
        return out

    # -- splitting and joining --------------------------------------------------------------------------------

    def split(self, s: Term, sep: str | None) -> tuple[list[tuple[Term, Term]], Term]:
        """``s.split(sep)`` as (present, piece) slots and their number; ``sep`` None splits at whitespace runs."""
        chars = self._chars(s, "str.split()")
        one, zero = T.int_const(1), T.int_const(0)
        if sep is not None:
            if len(sep) != 1:
                raise Unsupported("str.split() by a separator of several characters is not encoded")
            is_sep = [T.and_(g, T.eq(c, T.str_const(sep))) for g, c in chars]
            before = _running_counts(is_sep)  # separators before each position
            pieces = []
            for k in range(len(chars) + 1):
                piece = T.str_concat(*(T.ite(T.and_(g, T.not_(is_sep[i]), T.eq(before[i], T.int_const(k))), c, _EMPTY)
                                       for i, (g, c) in enumerate(chars))) if chars else _EMPTY
                pieces.append(piece)
            count = T.add(one, *(T.ite(x, one, zero) for x in is_sep))
            return [(T.lt(T.int_const(k), count), p) for k, p in enumerate(pieces)], count
        space = [T.and_(g, self._is(c, str.isspace)) for g, c in chars]
        word = [T.and_(g, T.not_(space[i])) for i, (g, _) in enumerate(chars)]
        starts = [T.and_(word[i], T.TRUE if i == 0 else T.not_(word[i - 1])) for i in range(len(chars))]
        upto = _running_counts(starts, inclusive=True)  # word starts at or before each position
        pieces = []
        for k in range((len(chars) + 1) // 2):
            pieces.append(T.str_concat(*(T.ite(T.and_(word[i], T.eq(upto[i], T.int_const(k + 1))), c, _EMPTY)
                                         for i, (_, c) in enumerate(chars))) if chars else _EMPTY)
        count = T.add(zero, *(T.ite(x, one, zero) for x in starts))
        return [(T.lt(T.int_const(k), count), p) for k, p in enumerate(pieces)], count

    def join(self, sep: Term, items: Sequence[tuple[Term, Term]]) -> Term:
        """``sep.join(items)`` of a compacted list (present items first)."""
        if not items:
            return _EMPTY
        parts = [T.ite(g, x if i == 0 else T.str_concat(sep, x), _EMPTY) for i, (g, x) in enumerate(items)]
        return T.str_concat(*parts)

    # -- conversions ------------------------------------------------------------------------------------------

    def str_of_int(self, n: Term, lo: int | None, hi: int | None, base: int = 10) -> Term:
        """``str(n)`` (``base`` 10) or ``bin(n)`` (``base`` 2) of an int whose bounds are known."""
        if lo is None or hi is None:
            raise Unsupported(("str" if base == 10 else "bin") + "() of an int with no known bounds")
        top = max(abs(lo), abs(hi))
        digits = 1
        while base ** digits <= top:
            digits += 1
        magnitude = T.abs_(n)
        count = T.int_const(digits)
        for k in reversed(range(1, digits)):
            count = T.ite(T.lt(magnitude, T.int_const(base ** k)), T.int_const(k), count)
        parts = []
        for k in reversed(range(digits)):
            digit = T.mod(T.div(magnitude, T.int_const(base ** k)), T.int_const(base))
            char = T.str_const("0")
            for d in range(1, base):
                char = T.ite(T.eq(digit, T.int_const(d)), T.str_const(str(d)), char)
            parts.append(T.ite(T.lt(T.int_const(k), count), char, _EMPTY))
        prefix = "" if base == 10 else "0b"
        sign = T.ite(T.lt(n, T.int_const(0)), T.str_const("-" + prefix), T.str_const(prefix))
        return T.str_concat(sign, *parts)

    def int_of_str(self, s: Term) -> tuple[Term, Term]:
        """``int(s)``: its value, and when CPython raises ValueError (a sign, then one decimal digit or more)."""
        chars = self._chars(s, "int()")
        assert self.universe is not None
        if any(c.isspace() or c == "_" for c in self.universe):
            raise Unsupported("int() of a string that may hold whitespace or '_' is not encoded")
        n = T.str_len(s)
        signed = T.and_(T.lt(T.int_const(0), n), self._is(chars[0][1], lambda c: c in "+-")) if chars else T.FALSE
        negative = T.and_(signed, T.eq(chars[0][1], T.str_const("-"))) if chars else T.FALSE
        start = T.ite(signed, T.int_const(1), T.int_const(0))
        digit_ok = []
        value = T.int_const(0)
        for i, (g, c) in enumerate(chars):
            in_number = T.and_(g, T.le(start, T.int_const(i)))
            digit_ok.append(T.implies(in_number, self._is(c, str.isdecimal)))
            d = T.int_const(0)
            for ch in self._letters():
                if ch.isdecimal():
                    d = T.ite(T.eq(c, T.str_const(ch)), T.int_const(int(ch)), d)
            value = T.ite(in_number, T.add(T.mul(value, T.int_const(10)), d), value)
        valid = T.and_(T.lt(start, n), *digit_ok)
        return T.ite(negative, T.neg(value), value), T.not_(valid)

    def ord_of(self, s: Term) -> tuple[Term, Term]:
        """``ord(s)``: the code point of a one-character string; TypeError for any other length."""
        if self.universe is None:
            raise Unsupported("ord() needs every string's characters to come from declared alphabets")
        out = T.int_const(0)
        for c in self._letters():
            out = T.ite(T.eq(s, T.str_const(c)), T.int_const(ord(c)), out)
        return out, T.not_(T.eq(T.str_len(s), T.int_const(1)))

    def chr_of(self, i: Term, lo: int | None, hi: int | None) -> tuple[Term, Term]:
        """``chr(i)`` of an int whose bounds are known; ValueError outside 0..0x10FFFF."""
        if lo is None or hi is None or hi - lo > _MAX_CHR_RANGE:
            raise Unsupported(f"chr() of an int that may range over more than {_MAX_CHR_RANGE} code points")
        first, last = max(lo, 0), min(hi, 0x10FFFF)
        if last > 0x2FFFF:
            raise Unsupported("chr() may give a character past U+2FFFF, which the solvers' strings do not hold")
        out = T.str_const("")
        for k in range(first, last + 1):
            out = T.ite(T.eq(i, T.int_const(k)), T.str_const(chr(k)), out)
        if self.universe is not None:
            self.universe |= {chr(k) for k in range(first, last + 1)}
        return out, T.or_(T.lt(i, T.int_const(0)), T.lt(T.int_const(0x10FFFF), i))


def _running_counts(flags: Sequence[Term], *, inclusive: bool = False) -> list[Term]:
    """For each position, how many of ``flags`` hold before it (or up to and including it)."""
    out: list[Term] = []
    acc = T.int_const(0)
    for f in flags:
        if not inclusive:
            out.append(acc)
        acc = T.add(acc, T.ite(f, T.int_const(1), T.int_const(0)))
        if inclusive:
            out.append(acc)
    return out
