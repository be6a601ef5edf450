"""``assay demo``: the bundled answers get the verdicts they were written to get.

The demo runs once per module (it takes seconds: a few solver proofs), into a
temporary store.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from assay.kernel import Outcome
from assay.kernel.ledger import Ledger
from assay.specs import load
from assay.specs.library import SPECS

from assay.demo import demo_cases, loop_cases, run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    store = tmp_path_factory.mktemp("store")
    out = io.StringIO()
    # Run where a user would: outside the repository, so that no spec is found as a file under the spec root
    # by accident (a demo spec outside assay's library then names a module recheck refuses).
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    try:
        code = run(store, out)
    finally:
        os.chdir(here)
    return code, out.getvalue(), store


def test_demo_data_covers_every_kind_of_verdict() -> None:
    cases = demo_cases()
    assert len({c.id for c in cases}) == len(cases), "ids are unique"
    kinds = Counter(c.expect for c in cases)
    for outcome in (Outcome.ACCEPTED, Outcome.REFUTED, Outcome.MALFORMED, Outcome.VACUOUS):
        assert kinds[outcome] >= 3, (outcome, kinds)
    raw_text = [c for c in cases if isinstance(c.proposal, str)]
    assert len(raw_text) >= 5, "some answers are a model's raw text, as models write them"
    assert {f"assay.specs.library.{c.spec}" for c in cases} <= set(SPECS)
    for ref in {c.spec for c in cases}:
        load(f"assay.specs.library.{ref}")


def test_demo_data_is_installed_beside_the_package() -> None:
    text = resources.files("assay").joinpath("demo_data", "answers.jsonl").read_text()
    assert all(json.loads(line)["id"] for line in text.splitlines())


def test_every_verdict_is_as_designed(demo: tuple[int, str, Path]) -> None:
    _, out, _ = demo
    assert "NOT AS DESIGNED" not in out, out
    assert "every verdict is the one the demo expects" in out
    for case in demo_cases():
        line = next(ln for ln in out.splitlines() if ln.startswith(case.id + " "))
        assert line.split()[2] == str(case.expect), line


def test_demo_prints_reasons_and_a_summary(demo: tuple[int, str, Path]) -> None:
    _, out, _ = demo
    kinds = Counter(c.expect for c in demo_cases())
    summary = next(ln for ln in out.splitlines() if ln.startswith(f"{len(demo_cases())} answers: "))
    assert summary.startswith(
        f"{len(demo_cases())} answers: {kinds[Outcome.ACCEPTED]} accepted, "
        f"{kinds[Outcome.REFUTED]} refuted, {kinds[Outcome.MALFORMED]} malformed, "
        f"{kinds[Outcome.VACUOUS]} vacuous, 0 unknown in "), summary
    # The subtle errors are explained, not just flagged.
    assert "no item satisfies `password[i] in DIGITS`" in out
    assert ("`starts[order.first] + meetings[order.first].duration` is 15, "
            "`starts[order.then]` is 14") in out
    assert "no answer in the model's text: no JSON answer in the text" in out


def test_demo_writes_certificates_that_recheck(demo: tuple[int, str, Path]) -> None:
    code, out, store = demo
    written = sorted((store / "certificates").rglob("*.json"))
    decided = sum(1 for c in demo_cases() if c.expect is not Outcome.MALFORMED)
    # One per decided answer of the first part, and at least one per task of the loop.
    assert len(written) >= decided + len(loop_cases())
    assert f"{len(written)} certificates: {len(written)} hold, 0 failed" in out, out
    assert code == 0, out


def test_the_loop_part_repairs_re_offloads_and_solves_with_costs(demo: tuple[int, str, Path]) -> None:
    _, out, store = demo
    cases = loop_cases()
    assert {c.expect for c in cases} == {Outcome.REPAIRED, Outcome.ACCEPTED}
    assert {c.strategy for c in cases} >= {"model+repair", "reoffload", "solver"}
    for case in cases:
        line = next(ln for ln in out.splitlines() if ln.startswith(case.id + " "))
        assert line.split()[2] == str(case.expect), line
    assert "every loop outcome is the one the demo expects" in out
    assert "changed: proposal[1]: 13 -> 12" in out
    assert "1. model  malformed no answer in the model's text" in out
    assert re.search(r"spent: 2 calls, \d+ tokens \(\d+ prompt, \d+ completion, [1-9]\d* of them resent history\)",
                     out), out
    assert re.search(r"spent: 0 calls, 0 tokens .*, solver \d+\.\d+s, wall", out)
    with Ledger(store) as ledger:
        decided = {d["task_id"]: d["verdict"] for d in ledger.rows("decisions")}
        by_strategy = {r["strategy"]: r for r in ledger.summary("strategy")}
    assert decided == {c.id: c.expect.value for c in cases}
    assert by_strategy["reoffload"]["model_calls"] == 2 and by_strategy["solver"]["model_calls"] == 0
