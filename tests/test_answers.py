"""Getting the answer out of a model's text, and reading JSONL records: assay.bridges."""

from __future__ import annotations

import enum

import pytest
from assay.bridges.answers import (
    MAX_CANDIDATES,
    MAX_DEPTH,
    Answer,
    AnswerError,
    BadJSON,
    extract_answer,
    parse_json,
    position,
    proposal_value,
)
from assay.bridges.records import MISSING, BadLine, Record, parse_line, read_records
from assay.specs.domains import EnumDomain, IntDomain, ListDomain, StrDomain

FENCE = "```"


# --- extract_answer: where the answer is found --------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("[1, 2, 3]", Answer([1, 2, 3], "whole", 1, 1)),
    ("  \n 42 \n", Answer(42, "whole", 2, 2)),
    ('"just a string"', Answer("just a string", "whole", 1, 1)),
    (f"Here it is:\n{FENCE}json\n[4, 5]\n{FENCE}\nDone.", Answer([4, 5], "fence", 3, 1)),
    (f"{FENCE}JSON\n  {{\"a\": 1}}\n{FENCE}", Answer({"a": 1}, "fence", 2, 3)),
    (f"inline {FENCE}json {{\"a\": 2}}{FENCE}", Answer({"a": 2}, "fence", 1, 16)),
    # The last fence is the model's final word, even after an earlier good one.
    (f"draft:\n{FENCE}json\n[1]\n{FENCE}\nfinal:\n{FENCE}json\n[2]\n{FENCE}", Answer([2], "fence", 7, 1)),
    # A fence cut short by the end of the text (the model ran out of tokens after the value).
    (f"{FENCE}json\n[7, 8]\n", Answer([7, 8], "fence", 2, 1)),
    # A fence in another language is prose; the JSON scan still finds the object.
    (f"{FENCE}python\nx = 1\n{FENCE}\nanswer {{\"x\": 1}}", Answer({"x": 1}, "last", 4, 8)),
    ('The answer is {"a": [1, 2]}. Done', Answer({"a": [1, 2]}, "last", 1, 15)),
    ("first [1] then [2, [3]] and an unclosed {", Answer([2, [3]], "last", 1, 16)),
    # A later value that parses is the answer, even after one that is refused.
    ('draft {"a": 1, "a": 2} final [3]', Answer([3], "last", 1, 30)),
    ("I think\nthe grid is [[1, 2],\n [3, 4]]\nthanks", Answer([[1, 2], [3, 4]], "last", 2, 13)),
    ("see [1] {not json} there", Answer([1], "last", 1, 5)),
])
def test_answer_is_found(text: str, expected: Answer) -> None:
    assert extract_answer(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("", AnswerError("the text is empty", 1, 1)),
    ("   \n  ", AnswerError("the text is empty", 2, 3)),
    ("no idea, sorry", AnswerError(
        "no JSON answer in the text: no ```json block, and no JSON object or array", 1, 15)),
    ("two\nlines", AnswerError(
        "no JSON answer in the text: no ```json block, and no JSON object or array", 2, 6)),
    (f"ok:\n{FENCE}json\n{{\"a\": 1,,}}\n{FENCE}", AnswerError(
        "the last ```json block (line 2) does not parse: Expecting property name enclosed "
        "in double quotes", 3, 9)),
    # A broken last fence is the failure even when an earlier fence parses.
    (f"{FENCE}json\n[1]\n{FENCE}\n{FENCE}json\n[2,\n{FENCE}", AnswerError(
        "the last ```json block (line 4) does not parse: Expecting value", 6, 1)),
    (f"x\n{FENCE}json\n\n{FENCE}", AnswerError("the last ```json block (line 2) is empty", 2, 1)),
    ("[1, 2", AnswerError("the text is not valid JSON: Expecting ',' delimiter", 1, 6)),
    ('{"a": 1, "a": 2}', AnswerError(
        "the text is not valid JSON: duplicate key 'a' in an object", 1, 1)),
    ('answer: [1, {"b": 2, "b": 3}]', AnswerError(
        "the JSON at line 1 is refused: duplicate key 'b' in an object", 1, 9)),
    # No part of a refused value is taken for the answer.
    ('answer: {"a": [1], "a": [2]} ok', AnswerError(
        "the JSON at line 1 is refused: duplicate key 'a' in an object", 1, 9)),
    ('answer: {"a": "]", "n": NaN, "b": [2]}', AnswerError(
        "the JSON at line 1 is refused: NaN is not a JSON number", 1, 9)),
    ("answer: [NaN]", AnswerError(
        "the JSON at line 1 is refused: NaN is not a JSON number", 1, 9)),
    ("answer: [" + "9" * 5000 + "]", AnswerError(
        "the JSON at line 1 is refused: a number has more digits than the 4300 that Python "
        "reads from JSON (value has 5000 digits)", 1, 9)),
])
def test_no_answer_says_where_and_why(text: str, expected: AnswerError) -> None:
    assert extract_answer(text) == expected


def test_answer_error_reads_with_its_position() -> None:
    assert str(AnswerError("the text is empty", 1, 1)) == "line 1, column 1: the text is empty"


def test_deep_nesting_is_an_answer_error_not_a_crash() -> None:
    too_deep = "the JSON at line 1 is refused: the JSON is nested too deeply (more than 100 levels)"
    assert extract_answer("answer: " + "[" * 50_000 + "]" * 50_000) == AnswerError(too_deep, 1, 9)
    assert extract_answer("[" * 50_000 + "]" * 50_000) == AnswerError(
        "the text is not valid JSON: the JSON is nested too deeply (more than 100 levels)", 1, 1)
    # Deeper than MAX_DEPTH but within what the parser could read: refused all the same.
    assert extract_answer("x " + "[" * 150 + "]" * 150) == AnswerError(too_deep, 1, 3)


def test_many_broken_brackets_are_refused_not_scanned_forever() -> None:
    text = "{ " * (MAX_CANDIDATES + 10)
    result = extract_answer(text)
    assert result == AnswerError(
        f"gave up looking for a JSON answer after {MAX_CANDIDATES} '{{' or '[' that start "
        "no JSON value", 1, 2 * MAX_CANDIDATES - 1)


def test_text_is_parsed_never_evaluated() -> None:
    # Python syntax that eval would accept is not JSON, so it is no answer.
    assert extract_answer("__import__('os').system('true')") == AnswerError(
        "no JSON answer in the text: no ```json block, and no JSON object or array", 1, 32)
    assert extract_answer("(1, 2)") == AnswerError(
        "no JSON answer in the text: no ```json block, and no JSON object or array", 1, 7)


# --- parse_json and position ------------------------------------------------------


def test_parse_json_is_strict() -> None:
    assert parse_json(' {"a": [1, true, null]} ') == {"a": [1, True, None]}
    with pytest.raises(BadJSON, match=r"^extra data after the JSON value$") as info:
        parse_json("[1] [2]")
    assert info.value.pos == 4
    assert not info.value.refused
    with pytest.raises(BadJSON, match=r"^Infinity is not a JSON number$"):
        parse_json("Infinity")


def test_nesting_is_limited_to_max_depth() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert parse_json('{"a": ' * (MAX_DEPTH - 1) + "[]" + "}" * (MAX_DEPTH - 1)) is not None
    for text in ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
                 '{"a": ' * MAX_DEPTH + "[]" + "}" * MAX_DEPTH):
        with pytest.raises(BadJSON, match=r"^the JSON is nested too deeply \(more than 100 levels\)$") \
                as info:
            parse_json(text)
        assert info.value.refused


@pytest.mark.parametrize(("pos", "expected"), [(0, (1, 1)), (2, (1, 3)), (3, (2, 1)), (5, (2, 3)),
                                               (99, (2, 3))])
def test_position_is_one_based(pos: int, expected: tuple[int, int]) -> None:
    assert position("ab\ncd", pos) == expected


# --- proposal_value: when a string is the answer and when it is text ------------------


class Colour(enum.Enum):
    RED = 1
    GREEN = 2


def test_a_json_value_is_the_answer_itself() -> None:
    assert proposal_value(IntDomain(), 5) == Answer(5, "value")
    assert proposal_value(ListDomain(IntDomain()), [1, 2]) == Answer([1, 2], "value")


def test_a_string_for_a_str_proposal_is_the_answer_not_text_to_dig_in() -> None:
    text = f"{FENCE}json\n[1]\n{FENCE}"
    assert proposal_value(StrDomain(), text) == Answer(text, "string")
    assert proposal_value(StrDomain(max_len=3), "") == Answer("", "string")


def test_a_string_an_enum_takes_as_it_is_is_the_answer() -> None:
    assert proposal_value(EnumDomain(Colour), "RED") == Answer("RED", "string")
    # Not a member name: the model's text, dug into.
    assert proposal_value(EnumDomain(Colour), 'I pick:\n"GREEN"') == AnswerError(
        "no JSON answer in the text: no ```json block, and no JSON object or array", 2, 8)
    assert proposal_value(EnumDomain(Colour), '```json\n"GREEN"\n```') == Answer("GREEN", "fence", 2, 1)


def test_a_string_for_another_domain_is_the_models_text() -> None:
    assert proposal_value(IntDomain(), "The answer is\n```json\n42\n```") == Answer(42, "fence", 3, 1)
    assert proposal_value(IntDomain(), "42") == Answer(42, "whole", 1, 1)
    assert proposal_value(ListDomain(IntDomain()), "no") == AnswerError(
        "no JSON answer in the text: no ```json block, and no JSON object or array", 1, 3)


# --- records --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    (b'{"id": "a", "givens": {"x": 1}, "proposal": 2}\n', Record(3, "a", {"x": 1}, 2)),
    (b'{"id": 7, "proposal": null, "model": "m"}\r\n', Record(3, 7, MISSING, None)),
    (b'{"givens": {}, "proposal": "text"}', Record(3, "line 3", {}, "text")),
    (b'{"id": null, "givens": {}, "proposal": 1}', Record(3, "line 3", {}, 1)),
    (b"   \n", None),
    (b" \t\r\n", None),
    ("\u00a0".encode(), BadLine(3, 1, "line 3", "not valid JSON at column 1: Expecting value")),
    (b"", None),
    (b"nope\n", BadLine(3, 1, "line 3", "not valid JSON at column 1: Expecting value")),
    (b'{"id": 1,}', BadLine(
        3, 10, "line 3", "not valid JSON at column 10: Expecting property name enclosed in double quotes")),
    (b'{"id": "\xc3\xa9", "x": \xff}', BadLine(3, 18, "line 3", "not valid UTF-8: byte 0xff at column 18")),
    (b"[1, 2]", BadLine(3, 1, "line 3",
                        "expected a JSON object with id, givens and proposal, got an array")),
    (b'"s"', BadLine(3, 1, "line 3", "expected a JSON object with id, givens and proposal, got a string")),
    (b'{"id": [1], "proposal": 1}', BadLine(3, 1, "line 3",
                                            "field 'id' must be a string or an integer, got an array")),
    (b'{"id": true, "proposal": 1}', BadLine(3, 1, "line 3",
                                             "field 'id' must be a string or an integer, got a boolean")),
    (b'{"id": 1.5, "proposal": 1}', BadLine(3, 1, "line 3",
                                            "field 'id' must be a string or an integer, got a number")),
    (b'{"id": "a", "givens": {}}', BadLine(3, 1, "a", "missing field 'proposal'")),
    (b'{"id": "a", "givens": [], "proposal": 1}', BadLine(3, 1, "a",
                                                          "field 'givens' must be an object, got an array")),
    (b'{"id": "a", "proposal": 1, "proposal": 2}', BadLine(
        3, 1, "line 3", "not valid JSON: duplicate key 'proposal' in an object")),
    (b'{"proposal": ' + b"1" * 4301 + b"}", BadLine(
        3, 1, "line 3", "not valid JSON: a number has more digits than the 4300 that "
        "Python reads from JSON (value has 4301 digits)")),
    (b'{"proposal": ' + b"[" * 100_000 + b"}", BadLine(
        3, 1, "line 3", "not valid JSON: the JSON is nested too deeply (more than 100 levels)")),
])
def test_parse_line(raw: bytes, expected: Record | BadLine | None) -> None:
    assert parse_line(raw, 3) == expected


def test_read_records_skips_blank_lines_and_keeps_line_numbers() -> None:
    seen: list[int] = []
    lines = [b"\xef\xbb\xbf" + b'{"proposal": 1}\n', b"\n", b'{"proposal": 2}\n', b"bad\n"]
    items = list(read_records(lines, progress=seen.append))
    assert items == [Record(1, "line 1", MISSING, 1), Record(3, "line 3", MISSING, 2),
                     BadLine(4, 1, "line 4", "not valid JSON at column 1: Expecting value")]
    assert seen == [len(x) for x in lines]
