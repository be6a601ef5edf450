"""The default bounds of a HumanEval task's domain, and the ``--bound KEY=VALUE`` overrides.

A program is proved "for every input of the bound": the bound is what the
claim is about, so it is chosen once for all tasks, here, and stated in every
verdict.  The defaults:

* ``int=-20..20``: every int argument (and every int inside a list or tuple).
  Small enough that a loop over ``range(n)`` unrolls at most 20 times and that
  an exhaustive search of one int is 41 calls; wide enough for the negative
  numbers, zero and the two-digit numbers most tasks distinguish.
* ``list=5``: lists of at most 5 items (of every nesting level).
* ``str=6``: strings of at most 6 characters.
* ``alphabet``: the characters a string may hold: ASCII letters, digits, space
  and the 20 punctuation marks that HumanEval's base inputs hold across all
  its tasks (``!#$()*+,-./<>?@[]^_|``).  One alphabet for every task, not one
  fitted to a task's tests or answers; ``\\n`` (one task's inputs have it) and
  other whitespace are left out.

A task's contract narrows these where it is narrower (``assert 0 <= n <= 100``
makes ``n`` range over 0..20; ``all(c in "<>" for c in s)`` makes the
alphabet of ``s`` ``<>``); it never widens them (see :mod:`.contracts`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, replace
from typing import Final

from assay.specs.domains import MAX_SMT_CODE_POINT

__all__ = ["DEFAULT_ALPHABET", "Bounds", "with_override"]

PUNCTUATION_SEEN: Final = "!#$()*+,-./<>?@[]^_|"
DEFAULT_ALPHABET: Final = "".join(sorted(set(
    string.ascii_lowercase + string.ascii_uppercase + string.digits + " " + PUNCTUATION_SEEN)))

# Past these a bound is a typo more likely than an intent, and the encodings' sizes grow with them.
MAX_INT_MAGNITUDE: Final = 10**6
MAX_LENGTH: Final = 64


@dataclass(frozen=True)
class Bounds:
    """The domain every task's arguments are drawn from before its contract narrows it."""

    int_lo: int = -20
    int_hi: int = 20
    list_len: int = 5
    str_len: int = 6
    alphabet: str = DEFAULT_ALPHABET

    def describe(self) -> str:
        """The bounds as ``--bound`` would set them."""
        return (f"int={self.int_lo}..{self.int_hi} list={self.list_len} str={self.str_len} "
                f"alphabet={self.alphabet!r}")


_INT_RANGE: Final = re.compile(r"\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*")


def with_override(bounds: Bounds, text: str) -> Bounds:
    """``bounds`` with one ``KEY=VALUE`` override applied, or ValueError saying what is wrong.

    Keys: ``int=LO..HI``, ``list=N``, ``str=N``, ``alphabet=CHARS`` (the
    characters themselves; each counts once).
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep:
        raise ValueError(f"--bound {text!r}: expected KEY=VALUE, with KEY one of int, list, str, alphabet")
    if key == "int":
        m = _INT_RANGE.fullmatch(value)
        if m is None:
            raise ValueError(f"--bound {text!r}: expected int=LO..HI, like int=-20..20")
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi or max(abs(lo), abs(hi)) > MAX_INT_MAGNITUDE:
            raise ValueError(f"--bound {text!r}: LO must be at most HI, both within +-{MAX_INT_MAGNITUDE}")
        return replace(bounds, int_lo=lo, int_hi=hi)
    if key in ("list", "str"):
        if not value.strip().isdecimal() or not 0 <= int(value) <= MAX_LENGTH:
            raise ValueError(f"--bound {text!r}: expected {key}=N, a length from 0 to {MAX_LENGTH}")
        return replace(bounds, list_len=int(value)) if key == "list" else replace(bounds, str_len=int(value))
    if key == "alphabet":
        if not value:
            raise ValueError(f"--bound {text!r}: the alphabet needs at least one character")
        if max(map(ord, value)) > MAX_SMT_CODE_POINT:
            raise ValueError(f"--bound {text!r}: the solvers' strings hold code points up to "
                             f"U+{MAX_SMT_CODE_POINT:X} only")
        return replace(bounds, alphabet="".join(sorted(set(value))))
    raise ValueError(f"--bound {text!r}: unknown key {key!r}; expected int, list, str or alphabet")
