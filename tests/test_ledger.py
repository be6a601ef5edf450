"""The ledger: one committed row per attempt, survives a killed run, resumes without duplicates."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from assay.kernel.backends import Completion, Prompt
from assay.kernel.ledger import LEDGER_FILE, Ledger, ledger_path
from assay.kernel.loop import run_task
from assay.kernel.steps import ParsedAnswer, ParseFailure
from assay.kernel.strategies import PRESETS
from assay.kernel.tasks import Budget, Task
from assay.kernel.verdicts import Location
from assay.specs import Spec, load

from .paths import OK

RIGHT = {3: [1, 1, 1], 7: [1, 1, 5], 12: [2, 5, 5]}


def parser(spec: Spec, text: str) -> ParsedAnswer | ParseFailure:
    try:
        return ParsedAnswer(json.loads(text))
    except json.JSONDecodeError as exc:
        return ParseFailure(exc.msg, Location(exc.lineno, exc.colno))


class Model:
    """Wrong first (a refuted sum), right second; counts the calls per task."""

    name = "two-step"

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.calls[prompt.task] = self.calls.get(prompt.task, 0) + 1
        target = int(prompt.task.split("-")[1])
        answer = RIGHT[target] if prompt.attempt > 1 else [0, 0, 0]
        return Completion(json.dumps(answer), 100, 7, 0.0)


def tasks() -> list[Task]:
    spec = load(f"{OK}:fixed_list")
    return [Task(spec, {"target": t}, Budget(model_calls=3), f"sum-{t}") for t in RIGHT]


def test_every_attempt_is_a_row_and_every_task_a_decision(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        for task in tasks():
            result = run_task(task, PRESETS["reoffload"], model=Model(), parser=parser, ledger=ledger, run_id="r")
            assert result.ok
        attempts, decisions = list(ledger.rows("attempts")), list(ledger.rows("decisions"))
    assert (tmp_path / LEDGER_FILE).exists()
    assert [(r["task_id"], r["attempt"], r["verdict"]) for r in attempts] == [
        (f"sum-{t}", n, v) for t in RIGHT for n, v in ((1, "refuted"), (2, "accepted"))]
    first = attempts[0]
    assert first["strategy"] == "reoffload" and first["action"] == "model" and first["spec_ref"].endswith(
        ":fixed_list")
    assert (first["prompt_tokens"], first["completion_tokens"], first["calls"]) == (100, 7, 1)
    assert first["proposal_hash"] and first["spec_hash"] == load(f"{OK}:fixed_list").source_hash
    assert [(d["task_id"], d["verdict"], json.loads(d["answer"])) for d in decisions] == [
        (f"sum-{t}", "accepted", RIGHT[t]) for t in RIGHT]
    assert json.loads(decisions[0]["trace"])["spent"]["model_calls"] == 2


def test_the_ledger_is_in_wal_mode(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        mode = ledger._db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_resume_skips_decided_tasks_and_rechecks_their_answers(tmp_path: Path) -> None:
    first, second = Model(), Model()
    with Ledger(tmp_path) as ledger:
        for task in tasks()[:2]:
            run_task(task, PRESETS["reoffload"], model=first, parser=parser, ledger=ledger, run_id="run-1")
        results = [run_task(task, PRESETS["reoffload"], model=second, parser=parser, ledger=ledger, run_id="run-1")
                   for task in tasks()]
        rows = list(ledger.rows())
    assert second.calls == {"sum-12": 2}, "decided tasks are not asked again"
    assert [r.trace.resumed for r in results] == [True, True, False]
    assert all(r.ok for r in results) and results[0].answer == RIGHT[3]
    keys = [(r["run_id"], r["task_id"], r["attempt"], r["action"]) for r in rows]
    assert len(keys) == len(set(keys)) == 6


def test_a_different_run_id_works_the_task_again(tmp_path: Path) -> None:
    model = Model()
    with Ledger(tmp_path) as ledger:
        for run in ("a", "b"):
            run_task(tasks()[0], PRESETS["reoffload"], model=model, parser=parser, ledger=ledger, run_id=run)
    assert model.calls == {"sum-3": 4}


_CRASHING_RUN = """
import json, sys, time
from pathlib import Path
from assay.kernel.backends import Completion
from assay.kernel.ledger import Ledger
from assay.kernel.loop import run_task
from assay.kernel.steps import ParsedAnswer
from assay.kernel.strategies import PRESETS
from assay.kernel.tasks import Budget, Task
from assay.specs import load

store, ok, flag = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
RIGHT = {3: [1, 1, 1], 7: [1, 1, 5], 12: [2, 5, 5]}

class Hangs:
    name = "hangs on the last task"
    def complete(self, prompt, *, timeout):
        target = int(prompt.task.split("-")[1])
        if target == 12:
            flag.write_text("hanging")
            time.sleep(600)
        return Completion(json.dumps(RIGHT[target]), 50, 5, 0.0)

spec = load(ok + ":fixed_list")
with Ledger(store) as ledger:
    for t in RIGHT:
        run_task(Task(spec, {"target": t}, Budget(), f"sum-{t}"), PRESETS["model"], model=Hangs(),
                 parser=lambda s, text: ParsedAnswer(json.loads(text)), ledger=ledger, run_id="crash")
"""


def test_rows_survive_a_killed_run_and_the_run_resumes(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(_CRASHING_RUN))
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "store"), str(OK), str(flag)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            if proc.poll() is not None:
                pytest.fail(f"the run ended early: {proc.stderr.read().decode() if proc.stderr else ''}")
            assert time.monotonic() < deadline, "the run never reached the last task"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    model = Model()
    with Ledger(tmp_path / "store") as ledger:
        decided = [(d["task_id"], d["verdict"]) for d in ledger.rows("decisions")]
        assert decided == [("sum-3", "accepted"), ("sum-7", "accepted")]
        assert ledger.summary("strategy")[0]["tasks"] == 2
        for task in tasks():
            run_task(task, PRESETS["reoffload"], model=model, parser=parser, ledger=ledger, run_id="crash")
        decided = [d["task_id"] for d in ledger.rows("decisions")]
    assert model.calls == {"sum-12": 2}
    assert decided == ["sum-3", "sum-7", "sum-12"]


def test_summary_counts_verdicts_and_costs_per_strategy_and_spec(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        for task in tasks():
            run_task(task, PRESETS["reoffload"], model=Model(), parser=parser, ledger=ledger, run_id="s")
        run_task(tasks()[0], PRESETS["model"], model=Model(), parser=parser, ledger=ledger, run_id="s2")
        by_strategy = {r["strategy"]: r for r in ledger.summary("strategy")}
        by_spec = ledger.summary("spec")
        history = ledger.history(tasks()[0].spec)
    assert by_strategy["reoffload"]["tasks"] == 3 and by_strategy["reoffload"]["accepted"] == 3
    assert by_strategy["reoffload"]["model_calls"] == 6 and by_strategy["reoffload"]["tokens"] == 6 * 107
    assert by_strategy["model"]["refuted"] == 1 and by_strategy["model"]["accepted"] == 0
    assert len(by_spec) == 1 and by_spec[0]["tasks"] == 4 and by_spec[0]["model_calls"] == 7
    assert history["reoffload"].accuracy == 1.0 and history["model"].accuracy == 0.0
    assert history["reoffload"].mean("tokens") == 2 * 107


def test_summary_and_rows_refuse_unknown_names(tmp_path: Path) -> None:
    with Ledger(tmp_path) as ledger:
        with pytest.raises(ValueError, match=r"summary by strategy or spec, got by='model'"):
            ledger.summary("model")
        with pytest.raises(ValueError, match=r"no ledger table 'verdicts'"):
            list(ledger.rows("verdicts"))


def test_ledger_path_of_a_store_or_a_file(tmp_path: Path, monkeypatch: Any) -> None:
    assert ledger_path(tmp_path) == tmp_path / LEDGER_FILE
    assert ledger_path(tmp_path / "x.sqlite") == tmp_path / "x.sqlite"
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path / "home"))
    assert ledger_path() == tmp_path / "home" / LEDGER_FILE
