"""`assay.Cascade`: model backends used as one, cheapest first, every answer checked; the ledger says who answered."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from assay.bridges.models.cascade import Cascade, Price, Step
from assay.kernel.backends import BackendError, Completion, Prompt
from assay.kernel.ledger import Ledger
from assay.kernel.loop import run_task
from assay.kernel.strategies import PRESETS
from assay.kernel.tasks import Budget, Task
from assay.kernel.verdicts import Outcome
from assay.specs import load

import assay
from assay.cli import main

from .test_loop import WORD, json_parser

RIGHT, WRONG = {"chickens": 23, "rabbits": 12}, {"chickens": 22, "rabbits": 13}


class Scripted:
    """A backend that answers from a script, one item per call, and keeps the prompts it was sent."""

    def __init__(self, name: str, script: list[object]) -> None:
        self.name, self.script, self.prompts = name, list(script), []  # type: list[Prompt]

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.prompts.append(prompt)
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, Completion):
            return item
        return Completion(json.dumps(item), 100, 20, 0.01)


def farm(calls: int = 4) -> Task:
    return Task(load(WORD), {"heads": 35, "legs": 94}, Budget(solver_seconds=30, model_calls=calls), "farm")


def run(cascade: Cascade, tmp_path: Path, calls: int = 4) -> tuple[assay.Verdict, list[dict[str, object]], object]:
    with Ledger(tmp_path) as ledger:
        result = run_task(farm(calls), PRESETS["reoffload"], model=cascade, parser=json_parser, ledger=ledger,
                          run_id="r1")
        rows = list(ledger.rows())
    return result.verdict, rows, result


def test_a_wrong_cheap_answer_goes_to_the_strong_model_with_the_evidence(tmp_path: Path) -> None:
    cheap, strong = Scripted("cheap", [WRONG]), Scripted("strong", [RIGHT])
    verdict, rows, result = run(Cascade([(cheap, Price(1.0, 2.0)), (strong, Price(10.0, 30.0))]), tmp_path)
    assert verdict.outcome is Outcome.ACCEPTED and result.answer == RIGHT  # type: ignore[attr-defined]
    assert [(r["attempt"], r["model"], r["verdict"]) for r in rows] == [(1, "cheap", "refuted"),
                                                                        (2, "strong", "accepted")]
    assert [r["cost"] for r in rows] == [pytest.approx((100 * 1.0 + 20 * 2.0) / 1000),
                                         pytest.approx((100 * 10.0 + 20 * 30.0) / 1000)]
    # The strong model's prompt carries the cheap answer and the kernel's verdict on it.
    [prompt] = strong.prompts
    sent = "\n".join(m.content for m in prompt.messages)
    assert json.dumps(WRONG) in sent and "rabbits" in sent
    assert len(prompt.messages) > len(cheap.prompts[0].messages)


def test_a_right_cheap_answer_never_reaches_the_strong_model(tmp_path: Path) -> None:
    cheap, strong = Scripted("cheap", [RIGHT]), Scripted("strong", [RIGHT])
    verdict, rows, _ = run(Cascade([cheap, strong]), tmp_path)
    assert verdict.outcome is Outcome.ACCEPTED
    assert strong.prompts == [] and [r["model"] for r in rows] == ["cheap"]
    assert rows[0]["cost"] is None  # no price given: not counted


def test_a_member_that_fails_costs_its_attempt_and_the_cascade_goes_on(tmp_path: Path) -> None:
    broken = Scripted("broken", [BackendError("timeout", "no answer in 30s", prompt_tokens=40)])
    crashing = Scripted("crashing", [RuntimeError("CUDA error mid-generation")])
    garbage = Scripted("garbage", ["not a completion object"])
    garbage.complete = lambda prompt, *, timeout: "text"  # type: ignore[method-assign,assignment,return-value]
    strong = Scripted("strong", [RIGHT])
    verdict, rows, _ = run(Cascade([(broken, Price(1.0, 1.0)), crashing, garbage, strong]), tmp_path, calls=5)
    assert verdict.outcome is Outcome.ACCEPTED
    assert [(r["model"], r["error_kind"]) for r in rows] == [
        ("broken", "timeout"), ("crashing", "crash"), ("garbage", "garbage"), ("strong", "")]
    assert rows[0]["cost"] == pytest.approx(40 / 1000)


def test_no_member_right_is_never_accepted(tmp_path: Path) -> None:
    cheap, strong = Scripted("cheap", [WRONG]), Scripted("strong", [WRONG, WRONG])
    verdict, rows, _ = run(Cascade([cheap, strong]), tmp_path, calls=3)
    assert verdict.outcome is not Outcome.ACCEPTED
    assert [r["model"] for r in rows] == ["cheap", "strong", "strong"]  # the last member takes the rest


def test_a_member_may_take_several_attempts() -> None:
    c = Cascade([Step(Scripted("a", []), attempts=2), Scripted("b", [])])
    assert [c.step_for(k).name for k in (1, 2, 3, 4)] == ["a", "a", "b", "b"]
    assert c.attempts == 3 and c.name == "cascade(a, b)"


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Cascade([]), "at least one model backend"),
    (lambda: Cascade([object()]), "must be a model backend"),
    (lambda: Step(Scripted("a", []), attempts=0), "at least one attempt"),
    (lambda: Price(-1.0, 1.0), "not negative"),
    (lambda: Price(float("inf"), 1.0), "finite"),
])
def test_bad_cascades_and_prices_are_refused(make: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()  # type: ignore[operator]


def test_solve_takes_a_cascade_and_the_report_shows_each_model(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    class Text(Scripted):
        def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
            self.prompts.append(prompt)
            return Completion("```json\n" + json.dumps(self.script.pop(0)) + "\n```", 50, 10, 0.01)

    cascade = assay.Cascade([(Text("cheap", [WRONG]), assay.Price(1.0, 1.0)),
                             (Text("strong", [RIGHT]), assay.Price(5.0, 5.0))])
    result = assay.solve(WORD, {"heads": 35, "legs": 94}, model=cascade, strategy="reoffload", store=tmp_path)
    assert result.json == RIGHT
    assert main(["report", "--store", str(tmp_path), "--format", "json"]) == 0
    by_model = {r["model"]: r for r in json.loads(capsys.readouterr().out)["by_model"]}
    assert {m: (r["model_calls"], r["accepted"], r["tokens"]) for m, r in by_model.items()} == {
        "cheap": (1, 0, 60), "strong": (1, 1, 60)}
    assert by_model["cheap"]["cost"] == pytest.approx(0.06) and by_model["strong"]["cost"] == pytest.approx(0.3)
    assert main(["report", "--store", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "model" in text and "strong" in text and "0.30" in text


OLD_ATTEMPTS = """CREATE TABLE attempts (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, task_id TEXT NOT NULL,
spec_ref TEXT NOT NULL, spec_hash TEXT NOT NULL, strategy TEXT NOT NULL, attempt INTEGER NOT NULL,
action TEXT NOT NULL, proposal_hash TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,
solver_seconds REAL NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
history_tokens INTEGER NOT NULL, calls INTEGER NOT NULL, wall_seconds REAL NOT NULL, error_kind TEXT NOT NULL,
timestamp REAL NOT NULL, UNIQUE (run_id, task_id, attempt, action));
INSERT INTO attempts VALUES (1, 'old', 't', 'x:y', 'h', 'model', 1, 'model', '', 'accepted', '', 0.0, 7, 3, 0, 1,
0.1, '', 0.0);"""


def test_a_ledger_of_the_last_version_is_read_and_upgraded(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    db.executescript(OLD_ATTEMPTS)
    db.close()
    cheap, strong = Scripted("cheap", [WRONG]), Scripted("strong", [RIGHT])
    verdict, rows, _ = run(Cascade([cheap, strong]), tmp_path)
    assert verdict.outcome is Outcome.ACCEPTED
    assert [(r["run_id"], r["model"], r["cost"]) for r in rows] == [("old", "", None), ("r1", "cheap", None),
                                                                    ("r1", "strong", None)]
    with Ledger(tmp_path) as ledger:
        assert [(m["model"], m["model_calls"]) for m in ledger.by_model()] == [("(unnamed)", 1), ("cheap", 1),
                                                                               ("strong", 1)]


def test_a_file_that_is_not_a_ledger_is_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = sqlite3.connect(tmp_path / "ledger.sqlite")
    db.execute("CREATE TABLE attempts (x TEXT)")
    db.close()
    with pytest.raises(ValueError, match="not an assay ledger"):
        Ledger(tmp_path)
    assert main(["report", "--store", str(tmp_path)]) == 2
    assert f"the ledger at {tmp_path / 'ledger.sqlite'} cannot be read" in capsys.readouterr().err
