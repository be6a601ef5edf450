"""`assay replay`: recognising formats, and every bad input as a clear error naming the file and record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.errors import UsageError
from assay.replay import Tally, detect, replay_file

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def write(tmp_path: Path, name: str, content: object) -> Path:
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return p


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("LogicalDeduction_dev_x.json", [{"raw_logic_programs": ["Domain:\n"]}], "LogicalDeduction"),
    ("ProofWriter_dev_x.json", [{"raw_logic_programs": ["Predicates:\n"]}], "ProofWriter"),
    ("mine.json", [{"raw_logic_programs": ["Premises:\nP(a)\nConclusion:\nP(a)\n"]}], "FOLIO"),
    ("mine.json", [{"raw_logic_programs": ["people = EnumSort([a, b])\n"]}], "AR-LSAT"),
    ("mine.json", [{"raw_logic_programs": ["Domain:\n1: x\nVariables:\n"]}], "LogicalDeduction"),
    ("gens.json", [["FOL: all x. P(x)"], ["FOL: P(a)"]], "linc"),
])
def test_formats_are_recognised(tmp_path: Path, name: str, data: object, expected: str) -> None:
    assert detect(tmp_path / name, data) == expected


@pytest.mark.parametrize(("name", "data", "message"), [
    ("x_prc.json", [["True", "Error"], ["False"]], "x_prc.json: this is a file of Prover9 labels"),
    ("x.json", {"a": 1}, "x.json: unknown format: expected a Logic-LM record list"),
    ("x.json", [{"raw_logic_programs": ["hello"]}], "x.json: unknown format: the first record's program"),
    ("x.json", [{"raw_logic_programs": ["Facts:\nRules:\n"]}], "does not say which (closed or open world)"),
])
def test_unknown_formats_are_named(tmp_path: Path, name: str, data: object, message: str) -> None:
    with pytest.raises(UsageError) as info:
        detect(tmp_path / name, data)
    assert message in str(info.value)


def test_a_truncated_file_is_an_error_naming_file_line_and_column(tmp_path: Path) -> None:
    p = write(tmp_path, "ProntoQA_dev_cut.json", '[{"id": "a", "answer": "A",\n "raw_logic_programs": ["Pre')
    with pytest.raises(UsageError) as info:
        replay_file(p)
    assert str(info.value).startswith(f"{p}: not valid JSON (truncated?): line 2, column 25")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        replay_file(tmp_path / "nope.json")


def test_linc_generations_need_their_gold(tmp_path: Path) -> None:
    p = write(tmp_path, "gens.json", [["FOL: P(a)\nFOL: P(a)"]])
    with pytest.raises(UsageError, match=r"need their gold labels: pass --gold"):
        replay_file(p)
    gold = write(tmp_path, "refs.json", ["True", "False"])
    with pytest.raises(UsageError, match=r"refs.json: expected a list of 1 gold labels"):
        replay_file(p, gold=gold)


def test_tally_figures() -> None:
    t = Tally("f")
    for answer, gold, outcome in [("A", "A", "accepted"), ("B", "A", "accepted"), ("C", "C", "repaired"),
                                  (None, "A", "unknown"), (None, "B", "malformed")]:
        t.count(answer, gold, outcome)
    j = t.to_json()
    assert {k: j[k] for k in ("total", "accepted", "correct", "wrong", "abstained", "malformed", "repaired",
                              "accuracy", "selective_accuracy")} == {
        "total": 5, "accepted": 3, "correct": 2, "wrong": 1, "abstained": 1, "malformed": 1, "repaired": 1,
        "accuracy": 0.4, "selective_accuracy": round(2 / 3, 4)}
