"""The policy table: a strategy from declared capabilities, its reason in words, history as a tie-breaker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from assay.kernel.allocator import POLICY, Capabilities, Rule, capabilities, choose, solvable
from assay.kernel.backends import Completion, Prompt
from assay.kernel.ledger import Ledger
from assay.kernel.loop import run_task
from assay.kernel.steps import ParsedAnswer
from assay.kernel.strategies import PRESETS
from assay.kernel.tasks import Budget, Task
from assay.specs import load

from .paths import OK

WORD = "assay.specs.library.word_problem:chickens_and_rabbits"


def task(budget: Budget | None = None) -> Task:
    return Task(load(f"{OK}:fixed_list"), {"target": 3}, budget or Budget(), "t")


@pytest.mark.parametrize(("caps", "strategy"), [
    (Capabilities(has_model=False, solvable=True, has_claims=False), "solver"),
    (Capabilities(has_model=False, solvable=False, has_claims=True), "solver"),
    (Capabilities(has_model=True, solvable=True, has_claims=True, cores=4), "race"),
    (Capabilities(has_model=True, solvable=True, has_claims=True, cores=2), "escalate"),
    (Capabilities(has_model=True, solvable=True, has_claims=False), "escalate"),
    (Capabilities(has_model=True, solvable=False, has_claims=False), "reoffload"),
])
def test_the_table_picks_by_capabilities(caps: Capabilities, strategy: str) -> None:
    choice = choose(task(), caps)
    assert choice.strategy == strategy
    assert choice.reason, "every choice says why"
    rule = next(r for r in POLICY if r.matches(caps))
    assert choice.reason.startswith(rule.why)


def test_no_model_budget_means_no_model() -> None:
    caps = Capabilities(has_model=True, solvable=True, has_claims=False)
    choice = choose(task(Budget(model_calls=0)), caps)
    assert choice.strategy == "solver" and "the budget allows no model call" in choice.reason


def test_too_little_solver_time_means_the_model_alone() -> None:
    caps = Capabilities(has_model=True, solvable=True, has_claims=False)
    choice = choose(task(Budget(solver_seconds=0.2)), caps)
    assert choice.strategy == "reoffload"
    assert choice.reason.endswith("(the budget's 0.2s of solver time is too little to solve or repair)")


def test_a_policy_is_data_and_the_first_matching_rule_wins() -> None:
    policy = (Rule(True, None, None, "model", "always the model"), *POLICY)
    choice = choose(task(), Capabilities(True, True, False), policy=policy)
    assert (choice.strategy, choice.reason) == ("model", "always the model")
    assert choose(task(), Capabilities(True, True, False), policy=()).strategy == "solver"


def test_capabilities_are_found_from_the_spec() -> None:
    caps = capabilities(task(), has_model=True, cores=2)
    assert caps == Capabilities(True, True, False, 2)
    word = Task(load(WORD), {"heads": 35, "legs": 94})
    assert capabilities(word, has_model=False).has_claims
    assert not solvable(load(WORD), {"heads": "many"}), "givens that do not decode cannot be solved"


class Wrong:
    name = "always wrong"

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        return Completion(json.dumps([0, 0, 0]), 10, 5, 0.0)


def test_history_of_a_poor_model_on_a_spec_turns_the_choice_to_the_solver(tmp_path: Path) -> None:
    caps = Capabilities(has_model=True, solvable=True, has_claims=False)
    with Ledger(tmp_path) as ledger:
        assert choose(task(), caps, ledger).strategy == "escalate"
        for n in range(5):
            run_task(Task(task().spec, {"target": 3}, Budget(), f"t{n}"), PRESETS["model"], model=Wrong(),
                     parser=lambda s, text: ParsedAnswer(json.loads(text)), ledger=ledger, run_id="h")
        choice = choose(task(), caps, ledger)
    assert choice.strategy == "solver"
    assert choice.reason.startswith("history: model strategies decided 0% of 5 tasks of this spec")
