"""The JSON shape of a spec's proposal type, as a byte-level automaton for constrained decoding.

A model that decodes under this automaton can only write text that
``spec.decode_proposal`` accepts and whose every part lies in its declared
bounds: ints inside their ``Between`` range, bools, enum members (by name, as
a JSON string), lists of the declared lengths, tuples, bounded strings and
records (dataclasses) as JSON objects with their fields in declaration order.

It works on bytes, not characters, because a byte-level tokenizer's tokens
are byte strings that may split a UTF-8 character; the automaton accepts only
well-formed UTF-8 (code points up to U+2FFFF, the largest SMT-LIB strings
hold) and counts a string's length in characters, as Python does.

The language is deliberately narrow, so that every state can still reach a
complete value: no insignificant whitespace except one optional space after
``,`` and ``:``; strings take the escapes ``\\" \\\\ \\/ \\b \\f \\n \\r \\t``
but not ``\\uXXXX``; ints are written without leading zeros or ``-0``.

A state is an immutable tuple of frames ``(node, local)``, one per open value,
so it can key a cache.  :meth:`Grammar.min_remaining` is the exact number of
bytes the shortest completion needs: the transformers backend uses it to keep
every output completable within its token budget.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from assay.specs.domains import (
    BoolDomain,
    Domain,
    EnumDomain,
    IntDomain,
    ListDomain,
    RecordDomain,
    StrDomain,
    TupleDomain,
)

__all__ = ["Grammar", "GrammarError", "State", "string_chars"]

# What a node's ``feed`` answers: the byte is consumed and the node moves on;
# the node moves on and a child starts, which must consume the byte; or the
# node is complete and the byte belongs to its parent.  ``None`` rejects.
_OK, _PUSH, _POP = 0, 1, 2

Frame = tuple["_Node", Any]
State = tuple[Frame, ...]

_QUOTE, _BACKSLASH, _COMMA, _COLON, _SPACE = 0x22, 0x5C, 0x2C, 0x3A, 0x20
_OPEN_LIST, _CLOSE_LIST, _OPEN_OBJ, _CLOSE_OBJ, _MINUS = 0x5B, 0x5D, 0x7B, 0x7D, 0x2D
_ESCAPES = frozenset(b'"\\/bfnrt')


class GrammarError(ValueError):
    """A domain that has no JSON shape the automaton can write."""


class _Node:
    """One kind of JSON value; ``local`` is the node's own position inside it."""

    def start(self) -> Any:
        raise NotImplementedError

    def feed(self, local: Any, b: int) -> tuple[Any, ...] | None:
        raise NotImplementedError

    def accepting(self, local: Any) -> bool:
        raise NotImplementedError

    def min_remaining(self, local: Any) -> int:
        """Bytes this node still needs at the least (children that are open count on their own)."""
        raise NotImplementedError

    @property
    def min_len(self) -> int:
        return self.min_remaining(self.start())


# --- leaves ---------------------------------------------------------------------------------------


def _overlaps(a: int | None, b: int | None, lo: int | None, hi: int | None) -> bool:
    """Whether intervals [a, b] and [lo, hi] meet; None is unbounded on its side."""
    left = a if lo is None else (lo if a is None else max(a, lo))
    right = b if hi is None else (hi if b is None else min(b, hi))
    return left is None or right is None or left <= right


class _Int(_Node):
    """A JSON integer within [lo, hi]; ``local`` is the text so far ("", "-", "-12", "0")."""

    def __init__(self, lo: int | None, hi: int | None) -> None:
        self.lo, self.hi = lo, hi
        self._min: dict[str, int] = {}

    def start(self) -> str:
        return ""

    def _reachable(self, text: str) -> bool:
        """Whether appending digits (none included) to ``text`` can still give a value in range."""
        negative = text.startswith("-")
        digits = text.lstrip("-")
        if not digits:
            return _overlaps(None, -1, self.lo, self.hi) if negative else True
        if digits == "0":
            return not negative and _overlaps(0, 0, self.lo, self.hi)
        v = int(digits)
        bound = self.lo if negative else self.hi  # the side the magnitude grows towards
        for k in range(len(str(abs(bound))) + 1 if bound is not None else 1):
            low, high = v * 10**k, (v + 1) * 10**k - 1
            span = (-high, -low) if negative else (low, high)
            if _overlaps(span[0], span[1], self.lo, self.hi):
                return True
        if bound is None:  # the magnitude can grow without end towards the open side
            return _overlaps(None, -v, self.lo, self.hi) if negative else _overlaps(v, None, self.lo, self.hi)
        return False

    def feed(self, local: str, b: int) -> tuple[Any, ...] | None:
        if 0x30 <= b <= 0x39:
            if local in ("0", "-0") or (local == "-" and b == 0x30):
                return None  # JSON has no leading zeros, and -0 is not a distinct int
            text = local + chr(b)
            return (_OK, text) if self._reachable(text) else None
        if b == _MINUS and local == "":
            return (_OK, "-") if self._reachable("-") else None
        return (_POP,) if self.accepting(local) else None

    def accepting(self, local: str) -> bool:
        if local in ("", "-"):
            return False
        v = int(local)
        return (self.lo is None or v >= self.lo) and (self.hi is None or v <= self.hi)

    def min_remaining(self, local: str) -> int:
        if local not in self._min:
            self._min[local] = self._shortest(local)
        return self._min[local]

    def _shortest(self, local: str) -> int:
        if self.accepting(local):
            return 0
        best: int | None = None
        for b in b"-0123456789":
            step = self.feed(local, b)
            if step is not None and step[0] == _OK:
                n = 1 + self.min_remaining(step[1])
                best = n if best is None else min(best, n)
                if local.lstrip("-") and n == 1:
                    break
        if best is None:
            raise GrammarError(f"no integer in {self.lo}..{self.hi} continues {local!r}")
        return best


class _Literal(_Node):
    """One of a few fixed byte strings (true/false, an enum member's name); ``local`` is the prefix matched."""

    def __init__(self, options: tuple[bytes, ...]) -> None:
        if not options:
            raise GrammarError("a choice of literals needs at least one")
        self.options = options

    def start(self) -> bytes:
        return b""

    def feed(self, local: bytes, b: int) -> tuple[Any, ...] | None:
        text = local + bytes((b,))
        if any(o.startswith(text) for o in self.options):
            return (_OK, text)
        return (_POP,) if local in self.options else None

    def accepting(self, local: bytes) -> bool:
        return local in self.options

    def min_remaining(self, local: bytes) -> int:
        return min(len(o) - len(local) for o in self.options if o.startswith(local))


# A string's local: (phase, characters so far, continuation bytes still due, lowest and highest next byte).
_BEFORE, _INSIDE, _ESCAPE, _CLOSED = 0, 1, 2, 3


def _utf8_lead(b: int) -> tuple[int, int, int] | None:
    """For a UTF-8 lead byte: continuation bytes due, and the allowed range of the first (U+2FFFF at most)."""
    if 0xC2 <= b <= 0xDF:
        return 1, 0x80, 0xBF
    if b == 0xE0:
        return 2, 0xA0, 0xBF  # no overlong forms
    if b == 0xED:
        return 2, 0x80, 0x9F  # no surrogates
    if 0xE1 <= b <= 0xEF:
        return 2, 0x80, 0xBF
    if b == 0xF0:
        return 3, 0x90, 0xAF  # U+10000..U+2FFFF
    return None


class _Str(_Node):
    """A JSON string of at most ``max_len`` characters."""

    def __init__(self, max_len: int | None) -> None:
        self.max_len = max_len

    def start(self) -> tuple[int, int, int, int, int]:
        return (_BEFORE, 0, 0, 0, 0)

    def _room(self, count: int) -> bool:
        return self.max_len is None or count < self.max_len

    def feed(self, local: tuple[int, int, int, int, int], b: int) -> tuple[Any, ...] | None:
        phase, count, due, low, high = local
        if phase == _BEFORE:
            return (_OK, (_INSIDE, 0, 0, 0, 0)) if b == _QUOTE else None
        if phase == _CLOSED:
            return (_POP,)
        if phase == _ESCAPE:
            return (_OK, (_INSIDE, count + 1, 0, 0, 0)) if b in _ESCAPES else None
        if due:
            if not low <= b <= high:
                return None
            return (_OK, (_INSIDE, count, due - 1, 0x80, 0xBF))
        if b == _QUOTE:
            return (_OK, (_CLOSED, count, 0, 0, 0))
        if not self._room(count) or b < 0x20:
            return None  # JSON forbids raw control characters in strings
        if b == _BACKSLASH:
            return (_OK, (_ESCAPE, count, 0, 0, 0))
        if b < 0x80:
            return (_OK, (_INSIDE, count + 1, 0, 0, 0))
        lead = _utf8_lead(b)
        if lead is None:
            return None
        return (_OK, (_INSIDE, count + 1, *lead))

    def accepting(self, local: tuple[int, int, int, int, int]) -> bool:
        return local[0] == _CLOSED

    def min_remaining(self, local: tuple[int, int, int, int, int]) -> int:
        phase, _, due, _, _ = local
        return {_BEFORE: 2, _INSIDE: due + 1, _ESCAPE: 2, _CLOSED: 0}[phase]


# --- containers -----------------------------------------------------------------------------------

# A list's local: (phase, items so far).
_L_BEFORE, _L_OPEN, _L_AFTER_ITEM, _L_AFTER_COMMA, _L_AFTER_SPACE, _L_CLOSED = range(6)


class _List(_Node):
    """``[item, item, ...]`` with between ``lo`` and ``hi`` items."""

    def __init__(self, item: _Node, lo: int, hi: int | None) -> None:
        if hi is not None and hi < lo:
            raise GrammarError(f"a list of at least {lo} and at most {hi} items cannot exist")
        self.item, self.lo, self.hi = item, lo, hi
        self._item_min = item.min_len

    def start(self) -> tuple[int, int]:
        return (_L_BEFORE, 0)

    def feed(self, local: tuple[int, int], b: int) -> tuple[Any, ...] | None:
        phase, n = local
        if phase == _L_BEFORE:
            return (_OK, (_L_OPEN, 0)) if b == _OPEN_LIST else None
        if phase == _L_OPEN:
            if b == _CLOSE_LIST:
                return (_OK, (_L_CLOSED, 0)) if self.lo == 0 else None
            return (_PUSH, (_L_AFTER_ITEM, 1), self.item) if self.hi != 0 else None
        if phase == _L_AFTER_ITEM:
            if b == _COMMA and (self.hi is None or n < self.hi):
                return (_OK, (_L_AFTER_COMMA, n))
            if b == _CLOSE_LIST and n >= self.lo:
                return (_OK, (_L_CLOSED, n))
            return None
        if phase == _L_AFTER_COMMA and b == _SPACE:
            return (_OK, (_L_AFTER_SPACE, n))
        if phase in (_L_AFTER_COMMA, _L_AFTER_SPACE):
            return (_PUSH, (_L_AFTER_ITEM, n + 1), self.item)
        return (_POP,)

    def accepting(self, local: tuple[int, int]) -> bool:
        return local[0] == _L_CLOSED

    def min_remaining(self, local: tuple[int, int]) -> int:
        phase, n = local
        e = self._item_min
        if phase == _L_BEFORE:
            return 1 + (self.lo * e + max(0, self.lo - 1)) + 1
        if phase == _L_OPEN:
            return 1 if self.lo == 0 else self.lo * e + (self.lo - 1) + 1
        if phase == _L_AFTER_ITEM:
            return max(0, self.lo - n) * (1 + e) + 1
        if phase in (_L_AFTER_COMMA, _L_AFTER_SPACE):
            return e + max(0, self.lo - n - 1) * (1 + e) + 1
        return 0


# A tuple's and a record's local: (phase, index of the item or field, bytes of its key matched).
_T_BEFORE, _T_EXPECT, _T_AFTER_SPACE, _T_AFTER_ITEM, _T_CLOSED, _T_KEY, _T_AFTER_COLON = range(7)


class _Sequence(_Node):
    """A tuple ``[a, b, c]`` (``keys`` None) or a record ``{"a": .., "b": ..}`` with its fields in order.

    A record's key and colon (``"name":``) are matched byte by byte in the
    ``_T_KEY`` phase; a tuple goes straight to the item.
    """

    def __init__(self, items: tuple[_Node, ...], keys: tuple[bytes, ...] | None) -> None:
        if keys is None and not items:
            raise GrammarError("a tuple needs at least one item")
        self.items, self.keys = items, keys
        self.open, self.close = (_OPEN_OBJ, _CLOSE_OBJ) if keys is not None else (_OPEN_LIST, _CLOSE_LIST)
        mins = [i.min_len + (len(keys[j]) if keys is not None else 0) for j, i in enumerate(items)]
        # after[i]: bytes due once item i is complete: the later items, their commas and the closing bracket.
        self._after = [sum(mins[i + 1:]) + (len(items) - 1 - i) + 1 for i in range(len(items))]
        self._mins = mins

    def start(self) -> tuple[int, int, int]:
        return (_T_BEFORE, 0, 0)

    def _begin_item(self, i: int, b: int) -> tuple[Any, ...] | None:
        if self.keys is None:
            return (_PUSH, (_T_AFTER_ITEM, i, 0), self.items[i])
        return self._key(i, 0, b)

    def _key(self, i: int, k: int, b: int) -> tuple[Any, ...] | None:
        assert self.keys is not None
        key = self.keys[i]
        if b != key[k]:
            return None
        return (_OK, (_T_AFTER_COLON, i, 0) if k + 1 == len(key) else (_T_KEY, i, k + 1))

    def feed(self, local: tuple[int, int, int], b: int) -> tuple[Any, ...] | None:
        phase, i, k = local
        last = len(self.items) - 1
        if phase == _T_BEFORE:
            if b != self.open:
                return None
            return (_OK, (_T_EXPECT, 0, 0) if self.items else (_T_AFTER_ITEM, -1, 0))
        if phase == _T_EXPECT:
            if b == _SPACE and i > 0:
                return (_OK, (_T_AFTER_SPACE, i, 0))
            return self._begin_item(i, b)
        if phase == _T_AFTER_SPACE:
            return self._begin_item(i, b)
        if phase == _T_KEY:
            return self._key(i, k, b)
        if phase == _T_AFTER_COLON:
            if b == _SPACE and k == 0:
                return (_OK, (_T_AFTER_COLON, i, 1))
            return (_PUSH, (_T_AFTER_ITEM, i, 0), self.items[i])
        if phase == _T_AFTER_ITEM:
            if i == last:
                return (_OK, (_T_CLOSED, i, 0)) if b == self.close else None
            return (_OK, (_T_EXPECT, i + 1, 0)) if b == _COMMA else None
        return (_POP,)

    def accepting(self, local: tuple[int, int, int]) -> bool:
        return local[0] == _T_CLOSED

    def min_remaining(self, local: tuple[int, int, int]) -> int:
        phase, i, k = local
        if phase == _T_BEFORE:
            return 1 + (self._mins[0] + self._after[0] if self.items else 1)
        if phase in (_T_EXPECT, _T_AFTER_SPACE):
            return self._mins[i] + self._after[i]
        if phase == _T_KEY:
            return self._mins[i] - k + self._after[i]
        if phase == _T_AFTER_COLON:
            return self.items[i].min_len + self._after[i]
        if phase == _T_AFTER_ITEM:
            return 1 if i < 0 else self._after[i]
        return 0


# --- compiling a domain ---------------------------------------------------------------------------


def _json_bytes(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode("utf-8")


def _compile(domain: Domain, path: str) -> _Node:
    """The automaton node for one domain, in the shape its ``decode`` accepts."""
    if isinstance(domain, BoolDomain):
        return _Literal((b"true", b"false"))
    if isinstance(domain, IntDomain):
        return _Int(domain.lo, domain.hi)
    if isinstance(domain, StrDomain):
        return _Str(domain.max_len)
    if isinstance(domain, EnumDomain):
        return _Literal(tuple(_json_bytes(name) for name in domain.cls.__members__))
    if isinstance(domain, ListDomain):
        return _List(_compile(domain.elem, f"{path}[]"), domain.min_len, domain.max_len)
    if isinstance(domain, TupleDomain):
        return _Sequence(tuple(_compile(d, f"{path}[{i}]") for i, d in enumerate(domain.items)), None)
    if isinstance(domain, RecordDomain):
        items = tuple(_compile(d, f"{path}.{name}") for name, d in domain.fields)
        return _Sequence(items, tuple(_json_bytes(name) + b":" for name, _ in domain.fields))
    raise GrammarError(f"{path}: no JSON grammar for domain {domain!r}")


class Grammar:
    """The automaton for one domain: ``start``, ``feed`` bytes, ask ``accepting`` and ``min_remaining``."""

    def __init__(self, domain: Domain, path: str = "proposal") -> None:
        self.domain = domain
        self.root = _compile(domain, path)

    @classmethod
    def for_spec(cls, spec: Any) -> Grammar:
        """The grammar of ``spec``'s proposal type."""
        return cls(spec.proposal.domain, spec.proposal.name)

    def start(self) -> State:
        return ((self.root, self.root.start()),)

    def feed(self, state: State, b: int) -> State | None:
        """The state after byte ``b``, or None when ``b`` would leave the language."""
        while state:
            node, local = state[-1]
            step = node.feed(local, b)
            if step is None:
                return None
            if step[0] == _OK:
                return (*state[:-1], (node, step[1]))
            if step[0] == _PUSH:
                child: _Node = step[2]
                state = (*state[:-1], (node, step[1]), (child, child.start()))
            else:
                state = state[:-1]
        return None  # the value is complete: nothing may follow it

    def feed_bytes(self, state: State | None, data: bytes) -> State | None:
        for b in data:
            if state is None:
                return None
            state = self.feed(state, b)
        return state

    def accepting(self, state: State) -> bool:
        """Whether the bytes so far are a complete value of the domain."""
        return all(node.accepting(local) for node, local in state)

    def min_remaining(self, state: State) -> int:
        """The length in bytes of the shortest completion of ``state`` (0 when it is accepting)."""
        return sum(node.min_remaining(local) for node, local in state)

    def string_room(self, state: State) -> int | None:
        """Inside a string, between characters: how many more characters fit (``sys.maxsize`` when
        unbounded); None in any other state.  With :func:`string_chars` it decides a whole vocabulary
        at once, where stepping byte by byte through tens of thousands of tokens would be slow."""
        node, local = state[-1]
        if not isinstance(node, _Str) or local[0] != _INSIDE or local[2]:
            return None
        return sys.maxsize if node.max_len is None else node.max_len - local[1]

    def matches(self, data: bytes) -> bool:
        """Whether ``data`` is a whole value of this grammar's language."""
        state = self.feed_bytes(self.start(), data)
        return state is not None and self.accepting(state)


_ANY_STRING = _Str(None)


def string_chars(piece: bytes) -> int | None:
    """How many characters ``piece`` adds inside a string when it stays inside and ends between characters
    (no unescaped quote, no dangling backslash or partial UTF-8 character); None otherwise.

    From any state where :meth:`Grammar.string_room` is ``r``, such a piece
    is allowed exactly when its count is at most ``r``, and leaves the shortest
    completion as it was (the closing quote and what follows the string).
    """
    local: Any = (_INSIDE, 0, 0, 0, 0)
    for b in piece:
        step = _ANY_STRING.feed(local, b)
        if step is None or step[0] != _OK or step[1][0] != _INSIDE:
            return None
        local = step[1]
    return None if local[2] else int(local[1])
