"""A resumed run derives every verdict it takes from the ledger again: the file is not trusted, whatever it says."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from assay.kernel import Outcome
from assay.kernel.backends import Completion, Prompt
from assay.kernel.ledger import Ledger, ledger_path
from assay.kernel.loop import run_task
from assay.kernel.steps import ParsedAnswer, ParseFailure
from assay.kernel.strategies import PRESETS
from assay.kernel.tasks import Budget, Task
from assay.kernel.trace import TaskResult
from assay.kernel.verdicts import Location
from assay.specs import Spec, load

from .paths import OK

WRONG, RIGHT = [0, 0, 0], [1, 1, 1]  # fixed_list with target 3


def parser(spec: Spec, text: str) -> ParsedAnswer | ParseFailure:
    try:
        return ParsedAnswer(json.loads(text))
    except json.JSONDecodeError as exc:
        return ParseFailure(exc.msg, Location(exc.lineno, exc.colno))


class Says:
    """A model that always gives the same text, and counts its calls."""

    name = "says"

    def __init__(self, text: str) -> None:
        self.text, self.calls = text, 0

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.calls += 1
        return Completion(self.text, 10, 5, 0.0)


def _task(givens: dict[str, Any] | None = None, spec: str = "fixed_list") -> Task:
    return Task(load(f"{OK}:{spec}"), givens or {"target": 3}, Budget(model_calls=1), "t")


def _run(store: Path, model: Says | None, *, task: Task | None = None, preset: str = "model") -> TaskResult:
    with Ledger(store) as ledger:
        return run_task(task or _task(), PRESETS[preset], model=model, parser=parser, ledger=ledger, run_id="run")


def _edit(store: Path, **fields: Any) -> None:
    """Rewrite the decision row, as anyone with the file can."""
    with sqlite3.connect(ledger_path(store)) as db:
        for key, value in fields.items():
            db.execute(f"UPDATE decisions SET {key} = ?", (value,))  # the test's own column names


def _resume(store: Path) -> TaskResult:
    again = Says("never asked")
    result = _run(store, again)
    assert result.trace.resumed and again.calls == 0
    return result


def test_an_undecided_task_records_the_proposal_its_verdict_judged(tmp_path: Path) -> None:
    result = _run(tmp_path, Says(json.dumps(WRONG)))
    assert result.verdict.outcome is Outcome.REFUTED and result.answer is None
    with Ledger(tmp_path) as ledger:
        (row,) = ledger.rows("decisions")
    assert (row["verdict"], json.loads(row["answer"])) == ("refuted", WRONG)


def test_an_honest_refutation_is_derived_again_with_its_own_evidence(tmp_path: Path) -> None:
    first = _run(tmp_path, Says(json.dumps(WRONG)))
    _edit(tmp_path, reason="whatever the file says")
    again = _resume(tmp_path)
    assert again.verdict.outcome is Outcome.REFUTED
    assert again.verdict.reason == first.verdict.reason != "whatever the file says"
    assert again.verdict.violations == first.verdict.violations


def test_a_refutation_relabelled_accepted_is_not_taken(tmp_path: Path) -> None:
    _run(tmp_path, Says(json.dumps(WRONG)))
    _edit(tmp_path, verdict="accepted", reason="the spec holds on the proposal")
    again = _resume(tmp_path)
    assert (again.verdict.outcome, again.answer) == (Outcome.UNKNOWN, None)
    assert again.verdict.reason.startswith("the recorded answer no longer checks: 1 violated: line 55: ")


def test_a_refutation_relabelled_vacuous_is_not_taken(tmp_path: Path) -> None:
    _run(tmp_path, Says(json.dumps(WRONG)))
    _edit(tmp_path, verdict="vacuous")
    again = _resume(tmp_path)
    assert again.verdict.outcome is Outcome.UNKNOWN
    assert again.verdict.reason.startswith("the ledger says vacuous, but the kernel now derives refuted: 1 violated: ")


def test_a_refutation_whose_proposal_was_swapped_for_a_right_one_is_not_taken(tmp_path: Path) -> None:
    _run(tmp_path, Says(json.dumps(WRONG)))
    _edit(tmp_path, answer=json.dumps(RIGHT))
    again = _resume(tmp_path)
    assert (again.verdict.outcome, again.verdict.reason) == (
        Outcome.UNKNOWN, "the ledger says refuted, but the kernel now derives accepted: the spec holds on the proposal")


def test_an_acceptance_is_checked_again_and_worded_by_the_new_check(tmp_path: Path) -> None:
    _run(tmp_path, Says(json.dumps(RIGHT)))
    _edit(tmp_path, reason="accepted, and proved optimal by the Oracle")
    again = _resume(tmp_path)
    assert (again.verdict.outcome, again.answer, again.verdict.reason) == (
        Outcome.ACCEPTED, RIGHT, "the spec holds on the proposal")


def test_an_edited_accepted_answer_is_not_taken(tmp_path: Path) -> None:
    _run(tmp_path, Says(json.dumps(RIGHT)))
    _edit(tmp_path, answer=json.dumps(WRONG))
    again = _resume(tmp_path)
    assert (again.verdict.outcome, again.answer) == (Outcome.UNKNOWN, None)
    assert again.verdict.reason.startswith("the recorded answer no longer checks: ")


def test_a_vacuous_task_is_asked_again(tmp_path: Path) -> None:
    # chained with lo=0, hi=1: no odd x lies strictly between them; the solvers alone decide it.
    impossible = _task({"lo": 0, "hi": 1}, "chained")
    first = _run(tmp_path, None, task=impossible, preset="solver")
    assert first.verdict.outcome is Outcome.VACUOUS
    with Ledger(tmp_path) as ledger:
        again = run_task(impossible, PRESETS["solver"], model=None, parser=parser, ledger=ledger, run_id="run")
    assert again.trace.resumed and again.verdict.outcome is Outcome.VACUOUS


def test_a_vacuous_label_on_a_possible_task_is_not_taken(tmp_path: Path) -> None:
    possible = _task({"lo": 0, "hi": 3}, "chained")
    first = _run(tmp_path, None, task=possible, preset="solver")
    assert first.verdict.outcome is Outcome.ACCEPTED
    _edit(tmp_path, verdict="vacuous", answer=None, reason="no proposal can meet the spec")
    with Ledger(tmp_path) as ledger:
        again = run_task(possible, PRESETS["solver"], model=None, parser=parser, ledger=ledger, run_id="run")
    assert again.trace.resumed
    assert again.verdict.outcome is Outcome.UNKNOWN
    assert again.verdict.reason.startswith("the ledger says vacuous, but the kernel now derives accepted: ")


def test_what_cannot_be_derived_again_is_unknown(tmp_path: Path) -> None:
    _run(tmp_path, Says("no json here"))  # MALFORMED, and no proposal to judge again
    again = _resume(tmp_path)
    assert again.verdict.outcome is Outcome.UNKNOWN
    assert again.verdict.reason.startswith("recorded earlier in this run as malformed (no answer in the model's "
                                           "text: ")
    assert again.verdict.reason.endswith("); not derived again: the ledger holds no proposal to judge")
    _edit(tmp_path, verdict="no such verdict")
    assert _resume(tmp_path).verdict.reason == ("the ledger's decision cannot be read: 'no such verdict' is not a "
                                                "valid Outcome")
