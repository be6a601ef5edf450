"""The offload loop: no wrong answer is ever accepted, budgets are never exceeded, faults cost one attempt.

The model is simulated (seeded): it answers right, wrong (a perturbed right
answer), malformed, empty, or fails like a real backend (timeout, HTTP 500,
an exception mid-generation).  The kernel steps are the real ones (the
evaluator and the solvers), except where a test injects costs or a lying
step to see the loop refuse it.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from assay.kernel.backends import BackendError, Completion, Prompt
from assay.kernel.check import check, unknown
from assay.kernel.ledger import Ledger
from assay.kernel.loop import run_task
from assay.kernel.prompts import estimate_tokens, feedback
from assay.kernel.steps import KernelSteps, ParsedAnswer, ParseFailure, kernel_steps
from assay.kernel.strategies import PRESETS, Choice
from assay.kernel.tasks import Budget, Task
from assay.kernel.verdicts import Location, Outcome, Verdict, make
from assay.specs import Spec, load

from .paths import OK

WORD = "assay.specs.library.word_problem:chickens_and_rabbits"


def json_parser(spec: Spec, text: str) -> ParsedAnswer | ParseFailure:
    """A strict parser for the tests: the whole text is the JSON answer."""
    try:
        return ParsedAnswer(json.loads(text))
    except json.JSONDecodeError as exc:
        return ParseFailure(exc.msg, Location(exc.lineno, exc.colno))


def tokens(text: str) -> int:
    return math.ceil(len(text.encode("utf-8")) / 4)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SimModel:
    """A seeded model: right with probability 1 - error_rate, else wrong, malformed, empty or a fault."""

    name = "sim"

    def __init__(self, right: Mapping[str, Any], wrong: Mapping[str, Any], *, error_rate: float, seed: int,
                 clock: Clock | None = None, latency: float = 0.5) -> None:
        self.right, self.wrong, self.error_rate = right, wrong, error_rate
        self.rng = random.Random(seed)
        self.clock, self.latency = clock, latency
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.prompts.append(prompt)
        if self.clock is not None:
            self.clock.now += min(self.latency, timeout)
        used = tokens("".join(m.content for m in prompt.messages))
        if self.rng.random() >= self.error_rate:
            text = json.dumps(self.right[prompt.task])
        else:
            kind = self.rng.choice(["wrong", "wrong", "malformed", "empty", "timeout", "http", "crash"])
            if kind == "timeout":
                raise BackendError("timeout", f"no answer in {timeout:.1f}s", prompt_tokens=used)
            if kind == "http":
                raise BackendError("http", "HTTP 500 Internal Server Error")
            if kind == "crash":
                raise RuntimeError("CUDA error: device-side assert triggered mid-generation")
            text = {"wrong": json.dumps(self.wrong[prompt.task]), "malformed": '{"chickens": 23, "rab',
                    "empty": ""}[kind]
        return Completion(text, used, min(tokens(text), prompt.max_tokens), self.latency)


# --- the tasks ------------------------------------------------------------------


def fixed_list_tasks() -> tuple[list[Task], dict[str, Any], dict[str, Any]]:
    spec = load(f"{OK}:fixed_list")
    tasks, right, wrong = [], {}, {}
    # fixed_list: three numbers, non-decreasing, none above 5 or below -5, summing to the target.
    for target, good, bad in ((3, [1, 1, 1], [0, 1, 1]), (7, [1, 1, 5], [1, 2, 5]), (12, [2, 5, 5], [5, 2, 5])):
        task = Task(spec, {"target": target}, Budget(solver_seconds=20, model_calls=4), f"sum-{target}")
        tasks.append(task)
        right[task.id], wrong[task.id] = good, bad
        assert holds(task, good) and not holds(task, bad)
    return tasks, right, wrong


def word_task() -> tuple[Task, dict[str, Any], dict[str, Any]]:
    task = Task(load(WORD), {"heads": 35, "legs": 94}, Budget(solver_seconds=30, model_calls=4), "farm")
    return task, {"farm": {"chickens": 23, "rabbits": 12}}, {"farm": {"chickens": 22, "rabbits": 13}}


def holds(task: Task, answer: Any) -> bool:
    spec = task.spec
    env = {**spec.decode_givens(dict(task.givens)), spec.proposal.name: spec.decode_proposal(answer)}
    return not spec.out_of_bounds(env[spec.proposal.name]) and spec.holds(env)


# --- soundness -------------------------------------------------------------------


@pytest.mark.parametrize(("strategy", "seeds"), [
    ("model", 12), ("reoffload", 12), ("model+repair", 3), ("escalate", 3),
    pytest.param("model+repair", 20, marks=pytest.mark.slow), pytest.param("escalate", 20, marks=pytest.mark.slow),
])
def test_no_accepted_answer_is_ever_wrong_with_a_mostly_wrong_model(strategy: str, seeds: int) -> None:
    tasks, right, wrong = fixed_list_tasks()
    outcomes = []
    for seed in range(seeds):
        model = SimModel(right, wrong, error_rate=0.8, seed=seed)
        for task in tasks:
            result = run_task(task, PRESETS[strategy], model=model, parser=json_parser)
            outcomes.append(result.verdict.outcome)
            if result.ok:
                assert holds(task, result.answer), (strategy, seed, task.id, result.answer)
            else:
                assert result.answer is None
                assert result.verdict.outcome in (Outcome.REFUTED, Outcome.UNKNOWN, Outcome.MALFORMED)
    # The simulation exercises both sides: some tasks decided, some not.
    assert any(o in (Outcome.ACCEPTED, Outcome.REPAIRED) for o in outcomes), outcomes
    if strategy == "model":
        assert any(o not in (Outcome.ACCEPTED, Outcome.REPAIRED) for o in outcomes), outcomes
    if strategy in ("model+repair", "escalate"):
        assert Outcome.REPAIRED in outcomes, outcomes


def test_a_unique_claim_is_proved_before_a_model_answer_is_accepted() -> None:
    task, right, wrong = word_task()
    for seed in range(3):
        result = run_task(task, PRESETS["reoffload"], parser=json_parser,
                          model=SimModel(right, wrong, error_rate=0.7, seed=seed))
        if result.ok:
            assert result.answer == right["farm"]
            assert [c.status for c in result.verdict.claims] == ["proved"]


@pytest.mark.parametrize("strategy", ["solver", "race", "escalate"])
def test_the_solver_strategies_answer_and_the_answer_holds(strategy: str) -> None:
    task, right, wrong = word_task()
    model = SimModel(right, wrong, error_rate=1.0, seed=1)
    result = run_task(task, PRESETS[strategy], model=model, parser=json_parser)
    assert result.verdict.outcome in (Outcome.ACCEPTED, Outcome.REPAIRED), result.trace.text()
    assert holds(task, result.answer)
    assert result.answer == right["farm"]


def test_a_lying_repairer_or_solver_is_not_believed() -> None:
    """A step that says REPAIRED or ACCEPTED with an answer that fails the spec becomes UNKNOWN."""
    tasks, right, wrong = fixed_list_tasks()
    task = tasks[0]

    def lying_repair(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                     store: Any, budget: float) -> Verdict:
        return make(Outcome.REPAIRED, "trust me", answer=[0, 0, 0])

    def lying_solver(spec: Spec, givens: Mapping[str, Any], *, timeout: float, store: Any,
                     budget: float) -> Verdict:
        return make(Outcome.ACCEPTED, "trust me", answer=[2, 2, 2])

    real = kernel_steps()
    steps = KernelSteps(real.check, lying_repair, lying_solver)
    model = SimModel(right, wrong, error_rate=1.1, seed=0)  # always errs
    model.rng = random.Random(0)
    result = run_task(task, Choice("lies", attempts=1, repair=True, solver="fallback"), model=model,
                      parser=json_parser, steps=steps)
    assert not result.ok and result.answer is None
    reasons = [s.reason for s in result.trace.steps if s.action in ("repair", "solver")]
    assert reasons and all("internal:" in r and "does not meet the spec" in r for r in reasons), reasons


def test_a_vacuous_task_stops_the_loop_and_is_never_accepted() -> None:
    spec = load(WORD)
    task = Task(spec, {"heads": 3, "legs": 7}, Budget(model_calls=5), "odd-legs")
    model = SimModel({"odd-legs": {"chickens": 1, "rabbits": 1}}, {}, error_rate=0.0, seed=0)
    result = run_task(task, PRESETS["escalate"], model=model, parser=json_parser)
    assert result.verdict.outcome is Outcome.VACUOUS
    assert len(model.prompts) == 1, "no re-offload once the task is proved impossible"


# --- budgets ----------------------------------------------------------------------


def test_model_calls_and_tokens_never_exceed_the_budget() -> None:
    tasks, right, wrong = fixed_list_tasks()
    rng = random.Random(7)
    stops = set()
    for seed in range(40):
        budget = Budget(solver_seconds=5, model_calls=rng.randint(0, 5), model_tokens=rng.randint(0, 1500),
                        max_tokens_per_call=rng.randint(1, 300))
        task = Task(tasks[seed % 3].spec, tasks[seed % 3].givens, budget, tasks[seed % 3].id)
        model = SimModel(right, wrong, error_rate=0.9, seed=seed)
        result = run_task(task, PRESETS["reoffload"].because("test") if seed % 2 else
                          Choice("many", attempts=10, repair=False), model=model, parser=json_parser)
        spent = result.trace.spent
        assert spent.model_calls <= budget.model_calls
        assert spent.tokens <= budget.model_tokens, result.trace.text()
        assert spent.model_calls == len(model.prompts)
        assert all(p.max_tokens <= budget.max_tokens_per_call for p in model.prompts)
        assert sum(s.calls for s in result.trace.steps) == spent.model_calls
        if result.trace.stopped:
            stops.add(result.trace.stopped.split(" (")[0])
    assert {"budget: model calls", "budget: model tokens"} <= stops, stops


def test_every_token_of_every_attempt_counts_and_the_history_is_visible() -> None:
    tasks, right, wrong = fixed_list_tasks()
    task = Task(tasks[0].spec, tasks[0].givens, Budget(model_calls=3), tasks[0].id)
    model = SimModel(right, wrong, error_rate=1.0, seed=3)
    model.rng = random.Random(3)
    result = run_task(task, Choice("k3", attempts=3), model=model, parser=json_parser)
    steps = [s for s in result.trace.steps if s.action == "model"]
    assert result.trace.spent.prompt_tokens == sum(s.prompt_tokens for s in steps)
    assert result.trace.spent.completion_tokens == sum(s.completion_tokens for s in steps)
    # Feedback grows the prompt: a later attempt resends the history, and the trace says how much.
    fed = [s for s in steps[1:] if s.history_tokens > 0]
    if any(len(p.messages) > 2 for p in model.prompts):
        assert fed and result.trace.history_tokens == sum(s.history_tokens for s in steps)
        assert "resent history" in result.trace.text()


def test_solver_seconds_never_exceed_the_budget_with_injected_costs() -> None:
    """Each solver step is charged all the solver time it was allowed: the loop must still stop within the budget."""
    tasks, right, wrong = fixed_list_tasks()
    real = kernel_steps()
    limits: list[float] = []

    def slow_repair(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                    store: Any, budget: float) -> Verdict:
        limits.append(budget)
        return unknown("timeout (injected)")

    def slow_solver(spec: Spec, givens: Mapping[str, Any], *, timeout: float, store: Any,
                    budget: float) -> Verdict:
        limits.append(budget)
        return unknown("timeout (injected)")

    def charge(action: str, verdict: Verdict, wall: float) -> float:
        return limits[-1] if action in ("repair", "solver") and limits else 0.0

    steps = KernelSteps(real.check, slow_repair, slow_solver)
    for seconds in (0.0, 0.04, 0.3, 1.0, 7.5):
        limits.clear()
        budget = Budget(solver_seconds=seconds, model_calls=6)
        task = Task(tasks[1].spec, tasks[1].givens, budget, tasks[1].id)
        model = SimModel(right, wrong, error_rate=1.1, seed=0)
        model.rng = random.Random(0)
        result = run_task(task, Choice("all", attempts=6, repair=True, solver="fallback"), model=model,
                          parser=json_parser, steps=steps, charge=charge)
        assert result.trace.spent.solver_seconds <= seconds + 1e-9, (seconds, result.trace.text())
        assert result.verdict.outcome is not Outcome.ACCEPTED


def test_wall_time_bounds_the_model_timeout_and_stops_the_loop() -> None:
    tasks, right, wrong = fixed_list_tasks()
    clock = Clock()
    task = Task(tasks[0].spec, tasks[0].givens, Budget(model_calls=10, wall_seconds=2.0), tasks[0].id)
    model = SimModel(right, wrong, error_rate=1.0, seed=5, clock=clock, latency=0.7)
    model.rng = random.Random(5)
    result = run_task(task, Choice("k10", attempts=10), model=model, parser=json_parser, clock=clock)
    assert len(model.prompts) <= 3
    assert clock.now <= 2.0 + 1e-9
    assert not result.ok or holds(task, result.answer)


def test_an_empty_budget_is_unknown_not_a_guess() -> None:
    tasks, right, wrong = fixed_list_tasks()
    task = Task(tasks[0].spec, tasks[0].givens, Budget(solver_seconds=0, model_calls=0), tasks[0].id)
    result = run_task(task, PRESETS["escalate"], model=SimModel(right, wrong, error_rate=0, seed=0),
                      parser=json_parser)
    assert result.verdict.outcome is Outcome.UNKNOWN
    assert "budget: model calls (0 of 0 used)" in result.verdict.reason
    assert result.answer is None and result.trace.spent.model_calls == 0


def test_budget_refuses_negative_and_non_numbers() -> None:
    with pytest.raises(ValueError, match=r"Budget.model_calls must be a number >= 0, got model_calls=-1 \(int\)"):
        Budget(model_calls=-1)
    with pytest.raises(ValueError, match=r"Budget.wall_seconds must be a number >= 0, got wall_seconds='9' \(str\)"):
        Budget(wall_seconds="9")  # type: ignore[arg-type]


def test_the_token_estimate_is_an_upper_bound_on_bytes() -> None:
    from assay.kernel.backends import Message

    messages = (Message("system", "é" * 10), Message("user", "abc"))
    assert estimate_tokens(messages) >= 20 + 3


# --- faults ------------------------------------------------------------------------


class Scripted:
    """Replays a fixed script of outcomes for one task: texts, or exceptions to raise."""

    name = "scripted"

    def __init__(self, script: list[Any]) -> None:
        self.script = list(script)
        self.calls = 0

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.calls += 1
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        return Completion(item, 10, 5, 0.01)


@pytest.mark.parametrize(("fault", "kind"), [
    (BackendError("timeout", "no answer in 30s", prompt_tokens=40), "timeout"),
    (BackendError("http", "HTTP 500"), "http"),
    (BackendError("garbage", "the server sent HTML"), "garbage"),
    (RuntimeError("exception mid-generation"), "crash"),
])
def test_a_backend_fault_costs_one_attempt_and_is_recorded(tmp_path: Path, fault: BaseException,
                                                           kind: str) -> None:
    tasks, right, _ = fixed_list_tasks()
    model = Scripted([fault, json.dumps(right[tasks[0].id])])
    with Ledger(tmp_path) as ledger:
        result = run_task(tasks[0], PRESETS["reoffload"], model=model, parser=json_parser, ledger=ledger,
                          run_id="r1")
        rows = list(ledger.rows())
    assert result.verdict.outcome is Outcome.ACCEPTED
    assert model.calls == 2 and result.trace.spent.model_calls == 2
    assert [(r["attempt"], r["action"], r["verdict"], r["error_kind"]) for r in rows] == [
        (1, "model", "unknown", kind), (2, "model", "accepted", "")]
    assert rows[0]["calls"] == 1
    assert rows[0]["prompt_tokens"] == (40 if kind == "timeout" else 0)


@pytest.mark.parametrize(("text", "why"), [
    ("", "Expecting value"), ("Sorry, I cannot help with that.", "Expecting value"),
    ('{"a": [1, 2', "Expecting"),
])
def test_empty_and_non_json_answers_are_malformed_and_fed_back(text: str, why: str) -> None:
    tasks, right, _ = fixed_list_tasks()
    model = Scripted([text, json.dumps(right[tasks[0].id])])
    recorder: list[Prompt] = []
    original = model.complete

    def spy(prompt: Prompt, *, timeout: float) -> Completion:
        recorder.append(prompt)
        return original(prompt, timeout=timeout)

    model.complete = spy  # type: ignore[method-assign]
    result = run_task(tasks[0], PRESETS["reoffload"], model=model, parser=json_parser)
    assert result.verdict.outcome is Outcome.ACCEPTED
    assert result.trace.steps[0].outcome == "malformed" and why in result.trace.steps[0].reason
    second = recorder[1].messages
    assert second[-2].role == "assistant" and second[-2].content == text
    assert second[-1].content.startswith("Your answer could not be read: no answer in the model's text")
    assert "line 1, column" in second[-1].content


def test_feedback_names_the_violated_clauses_and_their_values() -> None:
    spec = load(WORD)
    verdict = check(spec, {"heads": 35, "legs": 94}, {"chickens": 22, "rabbits": 12}, vacuity=False)
    text = feedback(verdict, spec)
    assert "line 37: `answer.chickens + answer.rabbits == heads` is false: " \
           "`answer.chickens + answer.rabbits` is 34, `heads` is 35" in text
    assert text.startswith("Your answer is wrong.")


def test_a_model_needs_a_parser() -> None:
    tasks, right, wrong = fixed_list_tasks()
    with pytest.raises(ValueError, match="a model needs a parser"):
        run_task(tasks[0], PRESETS["model"], model=SimModel(right, wrong, error_rate=0, seed=0))
