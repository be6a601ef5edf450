"""Get a model's answer out of its text.  Untrusted input: parsed, never evaluated.

Models answer in prose.  The answer is found, in this order of preference:

1. the whole text is one JSON value (``[1, 2, 3]``, ``42``);
2. the last fenced block tagged ``json`` (```` ```json ... ``` ````); when it
   does not parse, that is the failure: an earlier draft is never taken in its
   place, because the model's final word is the last block;
3. the last JSON object or array in the text (the outermost one, so the
   ``[1, 2]`` inside ``{"a": [1, 2]}`` is not taken for the answer).

A text with none of these is an :class:`AnswerError` that points at the
problem by 1-based line and column of the text: the parse error inside the
last ``json`` fence, or the end of the text.

JSON is read strictly: duplicate keys, ``NaN`` and ``Infinity`` are refused
(a verifier must not guess which of two values a model meant), and numbers
longer than Python's 4300-digit limit and nesting deeper than :data:`MAX_DEPTH`
are refused with a message, not an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from assay.specs.domains import DecodeError, Domain, StrDomain

__all__ = [
    "JSON_SPACE",
    "Answer",
    "AnswerError",
    "BadJSON",
    "extract_answer",
    "parse_json",
    "position",
    "proposal_value",
]

How = Literal["value", "string", "whole", "fence", "last"]


@dataclass(frozen=True)
class Answer:
    """An answer found in a proposal, and where.

    ``how`` says how it was found: ``value`` (the proposal was a JSON value,
    not text), ``string`` (the proposal is a string the spec takes as it is),
    ``whole`` (the whole text is JSON), ``fence`` (the last ```json block) or
    ``last`` (the last JSON object or array in the text).  ``line`` and
    ``column`` (1-based) are where the answer starts in the text; 0 when the
    proposal was not text.
    """

    value: Any
    how: How
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class AnswerError:
    """A text that holds no parsable answer: why, and where in the text (1-based)."""

    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class BadJSON(ValueError):
    """Text that is not strict JSON.

    ``pos`` is the offset of the problem, or None where the parser does not say;
    ``refused`` is True when the text is JSON in form but is refused for what it
    holds (a duplicate key, NaN, a number too long, nesting too deep).
    """

    def __init__(self, message: str, pos: int | None, *, refused: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.refused = refused


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r} in an object")
        obj[key] = value
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)

# Deeper values are refused as "nested too deeply" even when the parser could read them:
# no spec's proposal is nested this deep, and everything downstream (decoding, repr in
# messages, the certificate's JSON) recurses on the value.
MAX_DEPTH: Final = 100

# Python refuses to convert integers longer than this many digits (CVE-2020-10735).
_INT_DIGITS_MESSAGE: Final = "Exceeds the limit"


def _raw_decode(text: str, start: int) -> tuple[Any, int]:
    """One strict JSON value at ``start``; every way it can fail becomes BadJSON."""
    try:
        value, end = _DECODER.raw_decode(text, start)
        _check_depth(value)
    except json.JSONDecodeError as exc:
        raise BadJSON(exc.msg, exc.pos) from None
    except RecursionError:
        raise BadJSON(f"the JSON is nested too deeply (more than {MAX_DEPTH} levels)", None,
                      refused=True) from None
    except ValueError as exc:
        # The hooks above and the int-digits limit raise a bare ValueError, with no position.
        message = str(exc)
        if message.startswith(_INT_DIGITS_MESSAGE):
            message = ("a number has more digits than the 4300 that Python reads from JSON "
                       f"({message.split(': ', 1)[-1].split(';', 1)[0]})")
        raise BadJSON(message, None, refused=True) from None
    return value, end


#: JSON's whitespace; str.strip() would also drop U+00A0, U+2028 and others JSON refuses.
JSON_SPACE: Final = " \t\r\n"


def _check_depth(value: Any) -> None:
    """Refuse values nested deeper than MAX_DEPTH (iteratively: no recursion to exhaust)."""
    if not isinstance(value, list | dict):
        return
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise RecursionError
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, list | dict))


def parse_json(text: str) -> Any:
    """``text`` as one strict JSON value (JSON whitespace around it allowed), or raise BadJSON."""
    start = len(text) - len(text.lstrip(JSON_SPACE))
    value, end = _raw_decode(text, start)
    _check_depth(value)
    rest = len(text.rstrip(JSON_SPACE))
    if end < rest:
        extra = len(text) - len(text[end:].lstrip(JSON_SPACE))
        raise BadJSON("extra data after the JSON value", extra)
    return value


def position(text: str, pos: int) -> tuple[int, int]:
    """The 1-based (line, column) of offset ``pos`` in ``text``; columns count characters."""
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, column


# An opening fence tagged json on its own line (or directly followed by the value),
# then everything up to the closing fence, or to the end of a text cut short.
_FENCE: Final = re.compile(r"```[ \t]*json\b[ \t]*\r?\n?(.*?)(?:```|\Z)", re.IGNORECASE | re.DOTALL)
_OPENER: Final = re.compile(r"[\[{]")
# A text with more broken candidates than this is refused rather than scanned
# quadratically (each failed candidate can cost a parse to the end of the text).
MAX_CANDIDATES: Final = 2_000


def extract_answer(text: str) -> Answer | AnswerError:
    """The answer inside a model's ``text``, or where and why there is none."""
    if not text.strip():
        return AnswerError("the text is empty", *position(text, len(text)))
    try:
        value = parse_json(text)
    except BadJSON:
        pass  # prose around the answer: look for it below
    else:
        start = len(text) - len(text.lstrip(JSON_SPACE))
        return Answer(value, "whole", *position(text, start))

    fences = list(_FENCE.finditer(text))
    if fences:
        return _from_fence(text, fences[-1])
    return _last_json(text)


def _from_fence(text: str, fence: re.Match[str]) -> Answer | AnswerError:
    fence_line, _ = position(text, fence.start())
    body, body_start = fence.group(1), fence.start(1)
    where = f"the last ```json block (line {fence_line})"
    if not body.strip():
        return AnswerError(f"{where} is empty", *position(text, fence.start()))
    try:
        value = parse_json(body)
    except BadJSON as exc:
        at = body_start + exc.pos if exc.pos is not None else fence.start()
        return AnswerError(f"{where} does not parse: {exc.message}", *position(text, at))
    start = body_start + len(body) - len(body.lstrip(JSON_SPACE))
    return Answer(value, "fence", *position(text, start))


def _last_json(text: str) -> Answer | AnswerError:
    """The last outermost JSON object or array in ``text``, in time linear in its length.

    Each ``{`` or ``[`` is a candidate, left to right; a value that parses is
    skipped whole (the values nested in it are not candidates).  A candidate
    that fails to parse tells about the ones nested in it: up to where it
    failed, the text is a valid start of a JSON value, so an opener there
    (outside its strings) starts a value the parser was reading; if that value
    is still open where the parse failed, it fails there too and is not parsed
    again.  Parsing each of them again made a text like ``"[0, " * 900 + "0, "
    * 4_000_000`` (11 MB) take minutes.
    """
    found: tuple[Any, int] | None = None
    # A candidate refused for what it holds (a duplicate key, a huge number, deep
    # nesting) rather than for its syntax: the model meant JSON, so say what is wrong.
    refused: tuple[str, int] | None = None
    known_to_fail: set[int] = set()
    failed = 0
    i = 0
    while (m := _OPENER.search(text, i)) is not None:
        start = m.start()
        try:
            if start in known_to_fail:
                raise BadJSON("", None)
            value, end = _raw_decode(text, start)
        except BadJSON as exc:
            if exc.refused:
                refused = (exc.message, start)
                # Skip all of it: a part of a refused value is not the model's answer.
                i = _balanced_end(text, start)
                continue
            failed += 1
            if failed >= MAX_CANDIDATES:
                if refused is not None:
                    return _refused(text, *refused)
                return AnswerError(
                    f"gave up looking for a JSON answer after {MAX_CANDIDATES} '{{' or '[' that "
                    "start no JSON value", *position(text, start))
            if exc.pos is not None:
                known_to_fail.update(_still_open(text, start, exc.pos))
            i = start + 1
        else:
            # Skip what was parsed: the values nested in it are not candidates.
            found, i = (value, start), end
    if found is not None:
        return Answer(found[0], "last", *position(text, found[1]))
    stripped = text.lstrip(JSON_SPACE)
    if stripped[:1] in ("{", "["):
        # The whole text is meant as JSON: its own parse error is the useful one.
        start = len(text) - len(stripped)
        try:
            parse_json(text)
        except BadJSON as exc:
            at = exc.pos if exc.pos is not None else start
            return AnswerError(f"the text is not valid JSON: {exc.message}", *position(text, at))
    if refused is not None:
        return _refused(text, *refused)
    return AnswerError("no JSON answer in the text: no ```json block, and no JSON "
                       "object or array", *position(text, len(text)))


def _refused(text: str, message: str, start: int) -> AnswerError:
    line, column = position(text, start)
    return AnswerError(f"the JSON at line {line} is refused: {message}", line, column)


# What matters to bracket matching: quotes, backslashes, brackets.  Searched for, so that
# the text between them (most of it) is skipped at the regular expression engine's speed.
_STRUCTURE: Final = re.compile(r'["\\\[\]{}]')


def _structure(text: str, start: int, stop: int) -> Iterator[tuple[int, str]]:
    """Each bracket of ``text[start:stop]`` outside JSON strings, with its offset, for text that starts
    outside a string."""
    in_string = False
    escaped_at = -1  # the offset a backslash escapes
    for m in _STRUCTURE.finditer(text, start, stop):
        at, c = m.start(), m.group()
        if at == escaped_at:
            continue
        if in_string:
            if c == "\\":
                escaped_at = at + 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c != "\\":
            yield at, c


def _still_open(text: str, start: int, stop: int) -> list[int]:
    """The openers after ``start`` in ``text[start:stop]`` (outside strings) not closed before ``stop``."""
    open_at: list[int] = []
    for at, c in _structure(text, start, stop):
        if c in "[{":
            open_at.append(at)
        elif open_at:
            open_at.pop()
    return [at for at in open_at if at != start]


def _balanced_end(text: str, start: int) -> int:
    """The offset just past the bracket that closes the one at ``start`` (strings skipped),
    or the end of the text."""
    depth = 0
    for at, c in _structure(text, start, len(text)):
        depth += 1 if c in "[{" else -1
        if depth == 0:
            return at + 1
    return len(text)


def proposal_value(domain: Domain, proposal: Any) -> Answer | AnswerError:
    """The answer a proposal holds, for a spec whose proposal has ``domain``.

    A proposal that is not a string is the answer itself.  A string is the
    answer itself when the domain takes it as it is (a ``str`` proposal, an
    enum member's name): digging in it would change what the model said.
    Only otherwise is it the model's raw text, searched by :func:`extract_answer`.
    """
    if not isinstance(proposal, str):
        return Answer(proposal, "value")
    if isinstance(domain, StrDomain):
        return Answer(proposal, "string")
    try:
        domain.decode(proposal, "proposal")
    except DecodeError:
        return extract_answer(proposal)
    return Answer(proposal, "string")
