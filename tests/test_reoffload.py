"""Asking the model again for a formalisation: lazily, in order, with the kernel's evidence sent back."""

from __future__ import annotations

from typing import Any

import pytest
from assay.bridges.logic import linc, linc_policy
from assay.bridges.logic.reoffload import Resample
from assay.bridges.models import ReplayBackend
from assay.kernel.backends import Completion, Message, Prompt
from assay.kernel.verdicts import Outcome

TASK = "problem 1"
QUESTION = (Message("user", "Premises ... Is Rex an animal? Answer in FOL."),)


def sample(*formulas: str) -> str:
    """A LINC sample: TEXT/FOL pairs, the last FOL line the conclusion."""
    return "".join(f"TEXT:\tsentence {i}\nFOL:\t{f}\n" for i, f in enumerate(formulas))


TRUE = sample("all x. (Dog(x) -> Animal(x))", "Dog(Rex)", "Animal(Rex)")
FALSE = sample("all x. (Dog(x) -> -Animal(x))", "Dog(Rex)", "Animal(Rex)")
BROKEN = "TEXT:\tAll dogs are animals.\nFOL:\tall x. (Dog(x) -> Animal(x)\nTEXT:\tRex\nFOL:\tAnimal(Rex)\n"
CONTRADICTS = sample("Dog(Rex)", "-Dog(Rex)", "Animal(Rex)")


class Recording:
    """A replay backend that keeps every prompt it was sent."""

    def __init__(self, samples: list[str]) -> None:
        self.inner = ReplayBackend({TASK: samples})
        self.name = "recording"
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.prompts.append(prompt)
        return self.inner.complete(prompt, timeout=timeout)


def resample(samples: list[str], **kw: Any) -> tuple[Resample, Recording]:
    backend = Recording(samples)
    return Resample(backend, QUESTION, linc.formalise_sample, task=TASK, **kw), backend


def test_the_policy_asks_only_as_far_as_it_needs() -> None:
    answers, backend = resample([BROKEN, TRUE, TRUE, FALSE, TRUE])
    decision = linc_policy.sequential(answers, k=2, budget=5)
    assert (decision.answer, decision.samples_used) == ("True", 3), decision
    assert [a.outcome for a in answers.attempts] == ["malformed", "True", "True"]
    assert backend.inner.remaining(TASK) == 2  # the last two were never asked for
    assert [p.attempt for p in backend.prompts] == [1, 2, 3]


def test_each_attempt_carries_the_evidence_against_the_last() -> None:
    answers, backend = resample([BROKEN, CONTRADICTS, TRUE])
    assert answers[2] == "True"  # asks 1, 2 and 3, in order
    first, second, third = (p.messages for p in backend.prompts)
    assert first == QUESTION
    # Attempt 2 sees attempt 1's text and where it could not be read.
    assert second[:2] == (*QUESTION, Message("assistant", BROKEN))
    assert second[2].role == "user" and "could not be read at line 2, column" in second[2].content, second[2]
    # Attempt 3 also sees which premises of attempt 2 contradict each other.
    assert third[:3] == second and third[3] == Message("assistant", CONTRADICTS)
    assert "contradicts itself" in third[4].content and "line 2; line 4" in third[4].content, third[4]
    verdicts = [a.verdict.outcome for a in answers.attempts if a.verdict is not None]
    assert verdicts == [Outcome.MALFORMED, Outcome.VACUOUS, Outcome.ACCEPTED]


def test_a_failed_attempt_has_no_answer_and_still_costs() -> None:
    answers, backend = resample(["   ", TRUE], budget=3)
    assert list(answers) == [None, "True", None]
    blank, good, past = answers.attempts
    assert blank.failure.startswith("empty:") and blank.prompt_tokens > 0 and blank.outcome == "failed"
    assert "could not be used (empty:" in backend.prompts[1].messages[-1].content
    assert past.failure.startswith("exhausted:")  # the recorded samples ran out before the budget
    assert answers.tokens == sum(a.prompt_tokens + a.completion_tokens for a in (blank, good, past)) > 0


def test_the_budget_bounds_the_sequence() -> None:
    answers, backend = resample([TRUE, FALSE])
    assert len(answers) == 10
    with pytest.raises(IndexError, match="beyond the budget"):
        Resample(backend, QUESTION, linc.formalise_sample, task=TASK, budget=1)[1]
    with pytest.raises(ValueError, match="budget"):
        Resample(backend, QUESTION, linc.formalise_sample, budget=0)
    assert answers[-9] == "False"  # negative indices count from the budget's end: -9 is the second


def test_a_live_model_over_http_takes_the_same_path() -> None:
    """The README's example: OpenAIBackend against a scripted server; the second request carries the evidence."""
    from assay.bridges.models import OpenAIBackend

    from .test_backend_http import ChatServer, reply

    server = ChatServer().then(reply(BROKEN), reply(TRUE), reply(TRUE))
    try:
        model = OpenAIBackend(server.url, "my-model")
        answers = Resample(model, list(QUESTION), linc.formalise_sample, budget=10)
        decision = linc_policy.bayes_sequential(answers)
    finally:
        server.close()
    assert decision.answer == "True" and decision.samples_used == len(server.requests) <= 3, decision
    second = server.requests[1]["body"]["messages"]
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert second[1]["content"] == BROKEN and "could not be read at line 2" in second[2]["content"]
    assert all(a.estimated for a in answers.attempts)  # the scripted server reports no usage
