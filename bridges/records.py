"""Read proposal records from JSON Lines, one at a time.  Untrusted input.

Each non-blank line is one record::

    {"id": "task-7", "givens": {"x": 3}, "proposal": 5}

* ``proposal`` is required: a JSON value, or the model's raw text as a JSON
  string (see :mod:`assay.bridges.answers`);
* ``givens`` is an object; it may be left out only when the spec takes no
  givens (the caller decides, since only it knows the spec);
* ``id`` is a string or an integer; when it is left out (or ``null``) the
  record is named ``line N`` after its 1-based line number;
* other keys (``prompt``, ``model``, ...) are ignored.

Lines that hold only JSON whitespace (space, tab, CR) are skipped.  The file
is read as bytes and each line is decoded on its own, so one line of
invalid UTF-8, bad JSON, a 10**10000 literal or a list nested 100 000 deep
makes that line a :class:`BadLine` and the others are still read.  Memory does
not grow with the number of lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .answers import JSON_SPACE, BadJSON, parse_json, position

__all__ = ["MISSING", "BadLine", "Record", "read_records"]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""The value of ``Record.givens`` when the line has no ``givens`` field."""


@dataclass(frozen=True)
class Record:
    """One well-formed line: its 1-based number, id, givens (or MISSING) and proposal."""

    line: int
    id: str | int
    givens: Any
    proposal: Any


@dataclass(frozen=True)
class BadLine:
    """A line that is not a record: its number, the 1-based column of the problem, and why."""

    line: int
    column: int
    id: str | int
    why: str


def default_id(line: int) -> str:
    """The id of a record that names none (and of a line too broken to say)."""
    return f"line {line}"


def read_records(lines: Iterable[bytes], *,
                 progress: Callable[[int], None] | None = None) -> Iterator[Record | BadLine]:
    """Each non-blank line of ``lines`` (bytes, as a binary file yields them) as a record.

    ``progress``, when given, is called with the number of bytes of each line read.
    """
    for number, raw in enumerate(lines, 1):
        if progress is not None:
            progress(len(raw))
        item = parse_line(raw, number)
        if item is not None:
            yield item


def parse_line(raw: bytes, number: int) -> Record | BadLine | None:
    """One line as a record, a BadLine, or None when it is blank."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = len(raw[:exc.start].decode("utf-8", "replace")) + 1
        return BadLine(number, column, default_id(number),
                       f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at column {column}")
    if number == 1:
        text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    # Blank means JSON's own whitespace only: a line of U+00A0 is bad JSON, not blank.
    if not text.strip(JSON_SPACE):
        return None
    try:
        obj = parse_json(text)
    except BadJSON as exc:
        if exc.pos is None:  # refused for what it holds; the parser does not say where
            return BadLine(number, 1, default_id(number), f"not valid JSON: {exc.message}")
        column = position(text, exc.pos)[1]
        return BadLine(number, column, default_id(number),
                       f"not valid JSON at column {column}: {exc.message}")
    if not isinstance(obj, dict):
        return BadLine(number, 1, default_id(number),
                       "expected a JSON object with id, givens and proposal, got "
                       f"{_json_type(obj)}")
    rid = obj.get("id")
    if rid is None:
        rid = default_id(number)
    elif isinstance(rid, bool) or not isinstance(rid, str | int):
        return BadLine(number, 1, default_id(number),
                       f"field 'id' must be a string or an integer, got {_json_type(rid)}")
    if "proposal" not in obj:
        return BadLine(number, 1, rid, "missing field 'proposal'")
    givens = obj.get("givens", MISSING)
    if givens is not MISSING and not isinstance(givens, dict):
        return BadLine(number, 1, rid, f"field 'givens' must be an object, got {_json_type(givens)}")
    return Record(number, rid, givens, obj["proposal"])


def _json_type(value: Any) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "an array"
        case _:
            return "an object"
