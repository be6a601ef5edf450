"""Program tasks through the offload loop (CEGIS): a refuted program goes back to the model with its counterexample.

The model is the replay backend (recorded outputs, in order, per task),
wrapped to keep every prompt it was sent; the kernel steps are the real
ones (the program front end, both solvers, the sandbox), except where a test
swaps the sandbox for a spy to see that an escaping program is never run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from assay.bridges.models.recorded import ReplayBackend
from assay.kernel.allocator import capabilities, choose
from assay.kernel.backends import Completion, Prompt
from assay.kernel.ledger import Ledger
from assay.kernel.loop import program_timeout, run_task
from assay.kernel.programs import SHORTENING_ROUNDS, SHORTENING_SECONDS
from assay.kernel.sandbox import run_calls
from assay.kernel.steps import kernel_steps
from assay.kernel.strategies import PRESETS, Choice
from assay.kernel.tasks import Budget, Task
from assay.kernel.verdicts import Outcome

import assay
from assay import NotVerified, Verified

from .specdefs.programs import largest, sums

TASK = "sum-task"

# Adds only the positive items: sum_list(xs=[-1]) returns 0, the spec wants -1.
WRONG = ("Here is the function:\n```python\ndef sum_list(xs):\n    t = 0\n    for x in xs:\n        if x > 0:\n"
         "            t += x\n    return t\n```\n")
# Adds everything but the last item.
ALSO_WRONG = "```python\ndef sum_list(xs):\n    t = 0\n    for x in xs[:-1]:\n        t += x\n    return t\n```"
RIGHT = ("Fixed: negative items count too.\n```python\ndef sum_list(xs):\n    t = 0\n    for x in xs:\n"
         "        t += x\n    return t\n```\n")
RIGHT_CODE = "def sum_list(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"
BROKEN = "```python\ndef sum_list(xs) return 0\n```"  # a syntax error at line 1, column 18
ESCAPING = ("```python\nimport os\n\ndef sum_list(xs):\n    os.system('touch {marker}')\n    return sum(xs)\n```")
OUTSIDE = ("```python\ndef sum_list(xs):\n    try:\n        return sum(xs)\n    except ValueError:\n"
           "        return 0\n```")


class Recording:
    """The replay backend, keeping every prompt it was sent."""

    def __init__(self, samples: list[str], task: str = TASK) -> None:
        self.inner = ReplayBackend({task: samples})
        self.name = "recording"
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.prompts.append(prompt)
        return self.inner.complete(prompt, timeout=timeout)


class Spy:
    """A sandbox runner that records what it was asked to run, then runs it in the real sandbox."""

    def __init__(self) -> None:
        self.sources: list[str] = []
        self.limits: list[dict[str, Any]] = []

    def __call__(self, source: str, entry: str, calls: Any, **limits: Any) -> Any:
        self.sources.append(source)
        self.limits.append(limits)
        return run_calls(source, entry, calls, **limits)


def last_user(prompt: Prompt) -> str:
    assert prompt.messages[-1].role == "user"
    return prompt.messages[-1].content


# --- (a) wrong, then right ---------------------------------------------------------------


def test_a_refuted_program_goes_back_with_its_counterexample_and_the_second_is_verified() -> None:
    model = Recording([WRONG, RIGHT])
    got = assay.solve(sums, model=model, task_id=TASK)
    assert isinstance(got, Verified)
    assert got.value == RIGHT_CODE and got.json == RIGHT_CODE  # the proved function's source, not the prose
    assert got.verdict.outcome is Outcome.ACCEPTED
    assert got.verdict.reason.startswith("proved for every input of the bound: xs a list of at most 5 -20..20")
    assert got.certificate is None  # no store: no certificate
    assert [s.outcome for s in got.trace.steps] == ["refuted", "accepted"]
    assert got.trace.spent.model_calls == 2
    first, second = model.prompts
    assert (first.attempt, second.attempt) == (1, 2)
    assert second.messages[:3] == (*first.messages, second.messages[2])
    assert second.messages[2].role == "assistant" and second.messages[2].content == WRONG
    evidence = last_user(second)
    assert evidence.startswith("Your program is wrong. On the input `sum_list(xs=[-1])` it returns 0.\n")
    assert "- `out == total(xs)` is false: `out` is 0, `total(xs)` is -1" in evidence
    assert "one ```python block" in evidence


def test_the_first_prompt_shows_the_signature_the_bound_and_the_spec_s_source() -> None:
    model = Recording([RIGHT])
    assay.solve(sums, model=model, task_id=TASK)
    (prompt,) = model.prompts
    system, user = prompt.messages
    assert "one ```python fenced block" in system.content
    text = user.content
    assert "def sum_list(xs: list[int]) -> int:" in text
    assert "- `xs`: a list of at most 5 -20..20" in text
    assert "def sums(xs: Input[Ints], out: Output[int]) -> bool:\n    return out == total(xs)" in text
    assert "def total(xs: list[int]) -> int:" in text  # the reference the postcondition calls
    assert "Precondition" not in text
    assert prompt.spec is None  # no JSON grammar for a program: a constraining backend must not use one


def test_the_first_prompt_shows_the_precondition_s_source() -> None:
    model = Recording(["```python\ndef largest(xs):\n    return max(xs)\n```"], task="largest")
    got = assay.solve(largest, model=model, task_id="largest")
    assert got.verdict.outcome is Outcome.ACCEPTED
    text = model.prompts[0].messages[1].content
    assert "def largest(xs: list[int]) -> int:" in text
    assert "that meets the precondition" in text
    assert "def nonempty(xs: list[int]) -> bool:\n    return len(xs) >= 1" in text


# --- (b) always wrong ---------------------------------------------------------------------


def test_a_model_always_wrong_is_not_verified_refuted_with_the_counterexample_within_the_budget() -> None:
    model = Recording([WRONG, ALSO_WRONG, WRONG, ALSO_WRONG, WRONG])
    with pytest.raises(NotVerified) as caught:
        assay.solve(sums, model=model, task_id=TASK, budget=Budget(model_calls=2))
    verdict, trace = caught.value.verdict, caught.value.trace
    assert verdict.outcome is Outcome.REFUTED
    assert verdict.witness["inputs"] in ({"xs": [-1]}, {"xs": [1]})
    assert verdict.violations and verdict.violations[0].clause == "out == total(xs)"
    assert len(model.prompts) == 2 and model.inner.remaining(TASK) == 3  # the budget, not the strategy's 3
    assert [s.outcome for s in trace.steps] == ["refuted", "refuted"]
    assert trace.stopped == "budget: model calls (2 of 2 used)"
    # The second attempt was told about the first program's counterexample.
    assert "sum_list(xs=[-1])" in last_user(model.prompts[1])


def test_attempts_are_the_strategy_s_when_the_budget_allows_more() -> None:
    model = Recording([WRONG] * 5)
    with pytest.raises(NotVerified) as caught:
        assay.solve(sums, model=model, task_id=TASK, strategy="model")
    assert caught.value.verdict.outcome is Outcome.REFUTED
    assert len(model.prompts) == 1


# --- (c) malformed, (d) escaping ----------------------------------------------------------


def test_a_malformed_program_s_feedback_names_the_parse_error_and_where() -> None:
    model = Recording([BROKEN, RIGHT])
    got = assay.solve(sums, model=model, task_id=TASK)
    assert [s.outcome for s in got.trace.steps] == ["malformed", "accepted"]
    evidence = last_user(model.prompts[1])
    assert evidence.startswith("Your program could not be read: the program is malformed: line 1, column 18: "
                               "the program does not parse: expected ':'")


def test_an_escaping_program_is_malformed_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    spy = Spy()
    model = Recording([ESCAPING.format(marker=marker)])
    task = Task(sums, {}, Budget(), TASK)
    result = run_task(task, PRESETS["model"], model=model, steps=kernel_steps(runner=spy))
    assert result.verdict.outcome is Outcome.MALFORMED
    assert "imports 'os', which reaches outside it" in result.verdict.reason
    assert spy.sources == [] and not marker.exists()
    # The spy does see the programs that are run: a wrong one is replayed on its counterexample.
    model = Recording([WRONG])
    result = run_task(task, PRESETS["model"], model=model, steps=kernel_steps(runner=spy))
    assert result.verdict.outcome is Outcome.REFUTED and spy.sources


def test_a_program_outside_the_subset_is_asked_to_stay_within_it_naming_the_construct() -> None:
    model = Recording([OUTSIDE, RIGHT])
    got = assay.solve(sums, model=model, task_id=TASK)
    assert [s.outcome for s in got.trace.steps] == ["unknown", "accepted"]
    evidence = last_user(model.prompts[1])
    assert "`try:" in evidence and "(Try) is outside the program subset" in evidence
    assert "rewrite the function without that construct" in evidence


# --- (e) the ledger and the budget ---------------------------------------------------------


def test_the_ledger_records_every_attempt_with_its_costs(tmp_path: Path) -> None:
    model = Recording([BROKEN, WRONG, RIGHT])
    got = assay.solve(sums, model=model, task_id=TASK, store=tmp_path, run_id="run-1")
    with Ledger(tmp_path) as ledger:
        attempts = list(ledger.rows("attempts"))
        decisions = list(ledger.rows("decisions"))
    assert [(a["attempt"], a["action"], a["verdict"]) for a in attempts] == [
        (1, "model", "malformed"), (2, "model", "refuted"), (3, "model", "accepted")]
    assert all(a["calls"] == 1 and a["prompt_tokens"] > 0 and a["completion_tokens"] > 0 for a in attempts)
    assert attempts[1]["history_tokens"] > 0 and attempts[2]["history_tokens"] > attempts[1]["history_tokens"]
    # The checks' solver time is charged: the refutation and the proof ran both solvers.
    assert attempts[1]["solver_seconds"] > 0 and attempts[2]["solver_seconds"] > 0
    assert got.trace.spent.solver_seconds == pytest.approx(sum(a["solver_seconds"] for a in attempts))
    assert got.trace.spent.prompt_tokens == sum(a["prompt_tokens"] for a in attempts)
    assert len({a["proposal_hash"] for a in attempts}) == 3
    (decision,) = decisions
    assert decision["verdict"] == "accepted" and decision["strategy"] == "reoffload"
    assert decision["answer"] is not None and RIGHT_CODE.splitlines()[0] in decision["answer"]


def test_a_proved_program_s_certificate_is_written_to_the_store_and_rechecks(tmp_path: Path) -> None:
    from assay.proofs import recheck_path

    got = assay.solve(sums, model=Recording([WRONG, RIGHT]), task_id=TASK, store=tmp_path)
    assert got.certificate is not None and got.certificate == got.verdict.certificate
    path = Path(got.certificate)
    assert path.is_file() and tmp_path in path.parents
    assert len(list((tmp_path / "certificates").rglob("*.json"))) == 1  # the refuted program got none
    (result,) = recheck_path(path)
    assert result.ok, result.reason


def test_a_resumed_run_checks_the_recorded_program_again(tmp_path: Path) -> None:
    assay.solve(sums, model=Recording([WRONG, RIGHT]), task_id=TASK, store=tmp_path, run_id="run-1")
    again = Recording([WRONG])
    got = assay.solve(sums, model=again, task_id=TASK, store=tmp_path, run_id="run-1")
    assert got.trace.resumed and got.value == RIGHT_CODE and got.verdict.outcome is Outcome.ACCEPTED
    assert again.prompts == []  # decided earlier in this run: no model call


def test_too_little_solver_time_to_check_a_program_stops_before_the_model_is_asked() -> None:
    model = Recording([RIGHT])
    with pytest.raises(NotVerified) as caught:
        assay.solve(sums, model=model, task_id=TASK, budget=Budget(solver_seconds=0.5))
    assert model.prompts == []
    assert "too little to check a program" in caught.value.trace.stopped


def test_a_program_check_s_sandbox_runs_are_held_to_the_solver_seconds_left() -> None:
    spy = Spy()
    task = Task(sums, {}, Budget(solver_seconds=1.5), TASK)
    result = run_task(task, PRESETS["model"], model=Recording([OUTSIDE]), steps=kernel_steps(runner=spy))
    assert result.verdict.outcome is Outcome.UNKNOWN and "searched" in result.verdict.reason
    assert spy.limits, "the bounded search ran the program"
    assert all(0 < lim["total_seconds"] <= 1.5 and 0 < lim["seconds_per_call"] <= 1.5 for lim in spy.limits)


def test_a_program_check_s_queries_fit_in_what_is_left() -> None:
    rounds = 2 * SHORTENING_ROUNDS
    for left in (0.5, 1.0, 10.0, 30.0, 34.0, 100.0):
        t = program_timeout(left)
        assert t > 0 and t + rounds * min(t, SHORTENING_SECONDS) <= left + 1e-9, (left, t)
    assert program_timeout(100.0) == 100.0 - rounds * SHORTENING_SECONDS


# --- what a program task may not ask for ----------------------------------------------------


@pytest.mark.parametrize("strategy", ["solver", "model+repair", "race", "escalate"])
def test_strategies_that_need_the_solvers_to_write_the_answer_are_refused(strategy: str) -> None:
    with pytest.raises(ValueError, match=r"is a program spec: its proposals are programs, which only a model "
                                         r"writes; use 'model' or 'reoffload'"):
        assay.solve(sums, model=Recording([RIGHT]), strategy=strategy)


def test_a_choice_that_repairs_is_refused_by_the_loop_itself() -> None:
    with pytest.raises(ValueError, match="program spec"):
        run_task(Task(sums, {}), Choice("mine", 2, True, "never"), model=Recording([RIGHT]))


def test_without_a_model_the_task_stops_saying_only_a_model_writes_programs() -> None:
    with pytest.raises(NotVerified) as caught:
        assay.solve(sums)
    assert caught.value.verdict.outcome is Outcome.UNKNOWN
    assert "which the solvers do not write" in caught.value.verdict.reason
    assert caught.value.trace.steps == []


def test_a_program_spec_takes_no_givens() -> None:
    with pytest.raises(TypeError, match=r"is a program spec: it takes no givens \(its inputs, xs, are quantified"):
        assay.solve(sums, {"xs": [1]}, model=Recording([RIGHT]))


def test_a_value_spec_still_needs_its_givens() -> None:
    with pytest.raises(TypeError, match="takes givens heads, legs"):
        assay.solve("assay.specs.library.word_problem:chickens_and_rabbits")


def test_the_allocator_offers_only_the_model_for_a_program_spec() -> None:
    task = Task(sums, {})
    caps = capabilities(task, has_model=True, cores=8)
    assert caps.program and not caps.solvable
    choice = choose(task, caps)
    assert (choice.strategy, choice.repair, choice.solver, choice.attempts) == ("reoffload", False, "never", 3)
    assert "counterexample" in choice.reason
    alone = choose(task, capabilities(task, has_model=False))
    assert (alone.repair, alone.solver) == (False, "never")


# --- the demo's program task --------------------------------------------------------------


def test_the_demo_s_program_task_is_re_offloaded_with_its_counterexample_and_proved(tmp_path: Path) -> None:
    import io

    from assay.demo import program_cases, run_programs

    out = io.StringIO()
    assert run_programs(tmp_path, out), out.getvalue()
    text = out.getvalue()
    (case,) = program_cases()
    assert f"{case.id:<30} {case.spec:<36} ACCEPTED" in text
    assert "1. model  refuted   counterexample: running_max(xs=[-1]) returns [0]" in text
    assert "> Your program is wrong. On the input `running_max(xs=[-1])` it returns [0]." in text
    assert "> - `out == peaks(xs)` is false: `out` is [0], `peaks(xs)` is [-1]" in text
    assert "the proved function:\n      def running_max(xs):\n          best = xs[0]" in text
    assert "every program outcome is the one the demo expects" in text
    assert "certificate:" not in text  # none asked for
    with Ledger(tmp_path) as ledger:
        assert [r["verdict"] for r in ledger.rows("attempts")] == ["refuted", "accepted"]
        assert [r["verdict"] for r in ledger.rows("decisions")] == ["accepted"]
    out = io.StringIO()
    assert run_programs(tmp_path / "again", out, certificates=tmp_path / "certs")
    assert f"    certificate: {tmp_path / 'certs' / 'certificates'}" in out.getvalue()


def test_guaranteed_wraps_a_function_that_writes_programs() -> None:
    told: list[str | None] = []

    @assay.guaranteed(sums, strategy="reoffload")
    def write(feedback: str | None = None) -> str:
        told.append(feedback)
        return WRONG if feedback is None else RIGHT

    assert write() == RIGHT_CODE
    assert told[0] is None and told[1] is not None and "sum_list(xs=[-1])" in told[1]
