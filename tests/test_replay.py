"""`assay replay`: recognising formats, and every bad input as a clear error naming the file and record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assay.errors import UsageError
from assay.replay import ReplayTally, detect, replay_file

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
    t = ReplayTally("f")
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


# --corroborate: an open-world "Uncertain" answer stands only when a second formalisation gives it too.
UNCERTAIN = "Premises:\nDog(rex)\nConclusion:\nCat(rex)\n"  # settles neither way: option C
TRUE = "Premises:\nDog(rex)\nConclusion:\nDog(rex)\n"  # option A, with a proof
FALSE = "Premises:\n¬Dog(rex)\nConclusion:\nDog(rex)\n"  # option B, with a proof
BROKEN = "Premises:\nDog(rex\nConclusion:\nCat(rex)\n"  # malformed


def folio(tmp_path: Path, name: str, records: dict[str, tuple[str, str]]) -> Path:
    """A FOLIO-format file: record id -> (program, gold letter)."""
    return write(tmp_path, name, [{"id": rid, "options": ["A) True", "B) False", "C) Uncertain"], "answer": gold,
                                   "raw_logic_programs": [program]} for rid, (program, gold) in records.items()])


def replay_rows(path: Path, out: Path, **kwargs: object) -> tuple[ReplayTally, dict[str, dict[str, object]]]:
    """The tally and the --details rows (by id) of one replay; the rows are written to ``out``."""
    with out.open("w") as details:
        t = replay_file(path, details=details, **kwargs)  # type: ignore[arg-type]
    return t, {str(r["id"]): r for r in map(json.loads, out.read_text().splitlines())}


def test_uncertain_is_kept_only_when_other_agrees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = folio(tmp_path, "FOLIO_dev_first.json", {"agree": (UNCERTAIN, "C"), "says-true": (UNCERTAIN, "A"),
                                                      "broken": (UNCERTAIN, "C"), "proved": (TRUE, "A")})
    other = folio(tmp_path, "FOLIO_dev_other.json", {"agree": (UNCERTAIN, "C"), "says-true": (TRUE, "A"),
                                                      "broken": (BROKEN, "C"), "proved": (FALSE, "A")})
    alone, rows = replay_rows(first, tmp_path / "alone.jsonl")
    assert [rows[r]["answer"] for r in ("agree", "says-true", "broken", "proved")] == ["C", "C", "C", "A"]
    assert (alone.accepted, alone.correct, alone.wrong) == (4, 3, 1)

    import assay.replay

    asked: list[str] = []
    judge = assay.replay._judge

    def spy(bridge: object, program: str, record: object, source: str, fmt: str, *, timeout: float) -> object:
        asked.append(source)
        return judge(bridge, program, record, source, fmt, timeout=timeout)

    monkeypatch.setattr(assay.replay, "_judge", spy)
    t, rows = replay_rows(first, tmp_path / "rows.jsonl", corroborate=other)
    # OTHER is asked only about the three Uncertain answers; the True answer's proof stands alone.
    assert sorted(s for s in asked if s.startswith(other.name)) == [
        f"{other.name} record {r}" for r in ("agree", "broken", "says-true")]
    assert (rows["agree"]["answer"], rows["agree"]["verdict"]) == ("C", "accepted")
    assert rows["agree"]["corroboration"] == {"answer": "C", "verdict": "accepted",
                                              "reason": "option C is entailed; every other option is ruled out"}
    assert (rows["says-true"]["answer"], rows["says-true"]["verdict"], rows["says-true"]["first_answer"]) == (
        None, "unknown", "C")
    assert rows["says-true"]["reason"] == f"not corroborated: {other.name} answers A (True)"
    assert (rows["broken"]["answer"], rows["broken"]["verdict"]) == (None, "unknown")
    assert rows["broken"]["reason"] == f"not corroborated: {other.name} abstains (malformed)"
    assert rows["broken"]["corroboration"]["verdict"] == "malformed"  # type: ignore[index]
    assert (rows["proved"]["answer"], rows["proved"]["verdict"]) == ("A", "accepted")
    assert "first_answer" not in rows["proved"]
    assert (t.total, t.accepted, t.correct, t.wrong, t.abstained, t.malformed) == (4, 2, 2, 0, 2, 0)
    assert (t.samples_used, t.samples_available) == (4 + 3, 8)
    j = t.to_json()
    assert j["corroborated_by"] == str(other) and j["corroboration"] == {"checked": 3, "kept": 1}


def test_true_and_false_answers_stand_even_when_other_disagrees(tmp_path: Path) -> None:
    first = folio(tmp_path, "FOLIO_dev_first.json", {"t": (TRUE, "A"), "f": (FALSE, "B")})
    other = folio(tmp_path, "FOLIO_dev_other.json", {"t": (UNCERTAIN, "A"), "f": (BROKEN, "B")})
    t, rows = replay_rows(first, tmp_path / "rows.jsonl", corroborate=other)
    assert [(rows[r]["answer"], rows[r]["verdict"]) for r in ("t", "f")] == [("A", "accepted"), ("B", "accepted")]
    assert (t.accepted, t.correct, t.abstained, t.samples_used, t.samples_available) == (2, 2, 0, 2, 4)


def test_an_id_missing_from_other_is_not_corroborated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = folio(tmp_path, "FOLIO_dev_first.json", {"here": (UNCERTAIN, "C"), "gone": (UNCERTAIN, "C")})
    other = folio(tmp_path, "FOLIO_dev_other.json", {"here": (UNCERTAIN, "C")})
    t, rows = replay_rows(first, tmp_path / "rows.jsonl", corroborate=other)
    assert rows["here"]["answer"] == "C"
    assert (rows["gone"]["answer"], rows["gone"]["verdict"]) == (None, "unknown")
    assert rows["gone"]["reason"] == f"not corroborated: record gone is missing from {other.name}"
    assert (t.accepted, t.abstained, t.samples_used, t.samples_available) == (1, 1, 3, 4)
    from assay.cli import main

    assert main(["replay", str(first), "--corroborate", str(other)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert [line.strip() for line in table[2:]] == [
        "samples used 3 of 4", f"answers resting on no proof, corroborated by {other.name}: 1 of 2 kept"]


def test_other_of_another_dataset_is_a_usage_error_naming_both(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    first = folio(tmp_path, "FOLIO_dev_first.json", {"u": (UNCERTAIN, "C")})
    other = write(tmp_path, "LogicalDeduction_dev_other.json",
                  [{"id": "u", "options": ["A) x", "B) y"], "answer": "A", "raw_logic_programs": [GOOD_CSP]}])
    with pytest.raises(UsageError) as info:
        replay_file(first, corroborate=other)
    assert str(info.value) == (f"{first} is a Logic-LM FOLIO file but {other} (--corroborate) is a Logic-LM "
                               "LogicalDeduction file: a file is corroborated only by a Logic-LM file of the "
                               "same dataset")
    from assay.cli import main

    # With several files, the one of another dataset is skipped with that error; the others are replayed.
    second = folio(tmp_path, "FOLIO_dev_second.json", {"u": (UNCERTAIN, "C")})
    assert main(["replay", str(first), str(other), "--format", "json", "--corroborate", str(second)]) == 1
    captured = capsys.readouterr()
    assert [json.loads(line)["file"] for line in captured.out.splitlines()] == [str(first)]
    assert f"{other} is a Logic-LM LogicalDeduction file but {second} (--corroborate)" in captured.err
    linc = write(tmp_path, "gens.json", [["FOL: P(a)"]])
    assert main(["replay", str(first), "--corroborate", str(linc)]) == 1
    assert f"{first} is a Logic-LM FOLIO file but {linc} (--corroborate) is LINC generations" in capsys.readouterr().err


def test_real_folio_gpt4_corroborated_by_gpt35_adds_up(tmp_path: Path) -> None:
    """The corroborated counts are the ones recomputed from the two files' separate verdicts."""
    first, other = real("FOLIO_dev_gpt-4.json"), real("FOLIO_dev_gpt-3.5-turbo.json")
    limit = 40
    _, alone = replay_rows(first, tmp_path / "first.jsonl", limit=limit)
    _, second = replay_rows(other, tmp_path / "other.jsonl", limit=limit)
    t, rows = replay_rows(first, tmp_path / "rows.jsonl", limit=limit, corroborate=other)
    uncertain = {r["id"]: next(o[0] for o in r["options"] if o.endswith("Uncertain"))
                 for r in json.loads(first.read_text())[:limit]}
    expected = ReplayTally("expected")
    consulted = 0
    for rid, row in alone.items():
        answer = row["answer"]
        if answer is not None and answer == uncertain[rid]:
            consulted += 1
            if second[rid]["answer"] != answer:
                answer = None
        expected.count(answer, str(row["gold"]), str(row["verdict"]) if answer is not None or
                       row["verdict"] == "malformed" else "unknown")
        assert rows[rid]["answer"] == answer
    assert consulted > 0 and expected.accepted < sum(r["answer"] is not None for r in alone.values())
    assert (t.total, t.accepted, t.correct, t.wrong, t.abstained, t.malformed) == (
        expected.total, expected.accepted, expected.correct, expected.wrong, expected.abstained, expected.malformed)
    assert (t.samples_used, t.samples_available) == (limit + consulted, 2 * limit)
