"""Short renderings of values for messages, bounded whatever the value's size.

A refuted proposal is shown to a person inside a sentence, so its rendering
must stay short, and must never fail: ``repr`` of an int over Python's
4,300-digit limit raises ValueError (a 2,500-digit proposal squared is one),
and ``repr`` of a long list costs time in proportion to all of it, only to be
clipped.  :func:`show_value` builds at most about :data:`MAX_SHOWN`
characters from the outside in and writes a large int as its leading and
trailing digits and its length.

Nothing here decides anything; it only words values.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Final

__all__ = ["MAX_SHOWN", "show_int", "show_value"]

MAX_SHOWN: Final = 80
_EDGE_DIGITS: Final = 10  # leading and trailing digits shown of an int too long to show whole
# An int under this many bits has at most 79 decimal digits (2**263 < 10**80): shown whole without counting.
_SHORT_INT_BITS: Final = 263


def show_value(v: Any) -> str:
    """``v`` for a message: its ``repr``, clipped to :data:`MAX_SHOWN` characters, large ints abbreviated."""
    text = _shown(v, MAX_SHOWN + 1)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def show_int(n: int) -> str:
    """``n`` in decimal if it has at most :data:`MAX_SHOWN` digits, else ``1234567890...0987654321 (5000 digits)``.

    Exact at any size (``str(n)`` refuses more than 4,300 digits), and it
    never converts more than a few digits to text.
    """
    if n.bit_length() < _SHORT_INT_BITS:
        return str(n)
    sign, n = ("-", -n) if n < 0 else ("", n)
    digits, power = _digits(n)
    if digits <= MAX_SHOWN:
        return sign + str(n)
    head = n // (power // 10 ** (_EDGE_DIGITS - 1))
    tail = n % 10**_EDGE_DIGITS
    return f"{sign}{head}...{tail:0{_EDGE_DIGITS}d} ({digits} digits)"


def _digits(n: int) -> tuple[int, int]:
    """The number ``d`` of decimal digits of ``n`` > 0, and ``10**(d - 1)``, without converting ``n`` to text."""
    # 2**(b-1) <= n < 2**b, so d is floor((b - 1) * log10(2)) + 1 or one more (30103 / 10**5 > log10(2)
    # by 4.4e-9: the estimate is at most one too high below 2**28 bits, and corrected either way).
    digits = max(1, ((n.bit_length() - 1) * 30103) // 100000 + 1)
    power = 10 ** (digits - 1)
    while n >= power * 10:
        digits, power = digits + 1, power * 10
    while digits > 1 and n < power:
        digits, power = digits - 1, power // 10
    return digits, power


def _shown(v: Any, budget: int) -> str:
    """``repr(v)`` when that is under ``budget`` characters, else a text at least ``budget`` long that starts
    as it does (the caller clips it): only as much of ``v`` is rendered as fits."""
    if isinstance(v, enum.Enum):
        return f"{type(v).__name__}.{v.name}"
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, int):
        return show_int(v)
    if isinstance(v, str):
        return repr(v) if len(v) < budget else repr(v[:budget])
    if type(v) in (list, tuple, set, frozenset):
        return _items(v, budget)
    if type(v) is dict:
        return _pairs(v, budget)
    try:
        return repr(v)
    except ValueError:  # a repr (a record's) that holds an int too long for str()
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            fields = [(f"{f.name}=", getattr(v, f.name)) for f in dataclasses.fields(v) if f.repr]
            return _join(f"{type(v).__qualname__}(", ")", fields, budget)
        return f"<{type(v).__name__}>"


def _items(v: list[Any] | tuple[Any, ...] | set[Any] | frozenset[Any], budget: int) -> str:
    if isinstance(v, list):
        return _join("[", "]", (("", x) for x in v), budget)
    if isinstance(v, tuple):
        return _join("(", ",)" if len(v) == 1 else ")", (("", x) for x in v), budget)
    if not v:
        return f"{type(v).__name__}()"
    opening = "{" if type(v) is set else "frozenset({"
    return _join(opening, "}" if type(v) is set else "})", (("", x) for x in v), budget)


def _pairs(v: dict[Any, Any], budget: int) -> str:
    out = "{"
    for i, (key, value) in enumerate(v.items()):
        if len(out) >= budget:
            return out
        out += (", " if i else "") + _shown(key, budget - len(out)) + ": "
        out += _shown(value, max(budget - len(out), 1))
    return out + "}"


def _join(opening: str, closing: str, parts: Any, budget: int) -> str:
    out = opening
    for i, (prefix, x) in enumerate(parts):
        if len(out) >= budget:
            return out
        out += (", " if i else "") + prefix + _shown(x, max(budget - len(out), 1))
    return out + closing
