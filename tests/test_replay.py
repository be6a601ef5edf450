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


def real(name: str) -> Path:
    p = DATA / ("linc" if name.startswith("gpt-") else "logic-lm") / name
    if not p.exists():
        pytest.skip(f"{p} is not here (../shared/datasets)")
    return p


GOOD_CSP = """Domain:
1: leftmost
3: rightmost
Variables:
red [IN] [1, 2, 3]
blue [IN] [1, 2, 3]
green [IN] [1, 2, 3]
Constraints:
red == 1 ::: The red book is the leftmost.
blue > green ::: The blue book is right of the green book.
AllDifferentConstraint([red, blue, green]) ::: All books are in different places.
Query:
A) green == 2 ::: The green book is second.
B) blue == 2 ::: The blue book is second.
"""


def test_hostile_records_are_malformed_nothing_runs_and_the_rest_is_replayed(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    hostile = GOOD_CSP.replace("red == 1", f"__import__('os').system('touch {marker}') == 0")
    records = [
        {"id": "good", "options": ["A) green second", "B) blue second"], "answer": "A",
         "raw_logic_programs": [GOOD_CSP]},
        {"id": "hostile", "options": ["A) x", "B) y"], "answer": "A", "raw_logic_programs": [hostile]},
        {"id": "lambda", "options": ["A) x", "B) y"], "answer": "A",
         "raw_logic_programs": [GOOD_CSP.replace("red == 1", "(lambda: red)() == 1")]},
        {"id": "no-program", "options": ["A) x"], "answer": "A"},
    ]
    p = write(tmp_path, "LogicalDeduction_dev_mine.json", records)
    details = tmp_path / "details.jsonl"
    from assay.cli import main

    assert main(["replay", str(p), "--format", "json", "--details", str(details)]) == 0
    rows = {r["id"]: r for r in map(json.loads, details.read_text().splitlines())}
    assert rows["good"]["verdict"] == "accepted" and rows["good"]["answer"] == "A"
    assert rows["hostile"]["verdict"] == "malformed" and rows["lambda"]["verdict"] == "malformed"
    assert "no-program" not in rows  # counted, with an error naming it, but there was nothing to decide
    assert not marker.exists()
    t = replay_file(p)
    assert (t.total, t.correct, t.malformed) == (4, 1, 3)
    assert t.errors == [f"{p} record no-program: missing field(s) raw_logic_programs"]


@pytest.mark.parametrize("name", ["LogicalDeduction_dev_gpt-4.json", "ProntoQA_dev_gpt-4.json",
                                  "ProofWriter_dev_gpt-4.json", "FOLIO_dev_gpt-4.json", "AR-LSAT_dev_gpt-4.json"])
def test_real_files_replay_and_answers_are_mostly_right(name: str) -> None:
    """The first records of each real file: the figures add up, and the kernel is right far more than wrong."""
    t = replay_file(real(name), limit=12)
    assert t.total == 12 == t.accepted + t.abstained + t.malformed
    assert t.correct + t.wrong == t.accepted
    assert t.correct >= 3 * t.wrong


def test_linc_samples_are_read_until_the_policy_stops(tmp_path: Path) -> None:
    from assay.bridges.logic.linc_policy import bayes_sequential, majority_vote

    p = real("gpt-3.5-turbo-16k-0613_folio-neurosymbolic-8shot_generations_raw.json")
    details = tmp_path / "details.jsonl"
    with details.open("w") as out:
        t = replay_file(p, limit=6, details=out)
    assert t.total == 6 and t.samples_available == 60
    assert t.samples_used is not None and 6 <= t.samples_used < 60  # at least one per problem, never all
    assert t.majority is not None and t.majority["total"] == 6
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    used = 0
    for row in rows:
        # Each problem's answer and sample count are the policy's, over the samples' own verdicts.
        answers = [a if a in ("True", "False", "Uncertain") else None for a in row["samples"]]
        decision = bayes_sequential(answers, budget=len(answers))
        assert (row["answer"], row["samples_used"]) == (decision.answer, decision.samples_used)
        assert row["majority"] == majority_vote(answers).answer
        used += row["samples_used"]
    assert used == t.samples_used
