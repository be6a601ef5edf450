"""The model-backend conformance suite: one set of tests, run against every backend assay ships.

Each backend is built by a :class:`Case` that knows how to make it answer,
fail, and (where it can be) be slow: replay from recorded outputs, the
OpenAI-compatible client against the scripted server of test_backend_http.py,
and transformers with a tiny random GPT-2 (skipped where torch is missing).
A new backend joins by adding a case; the tests stay as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from assay.bridges.models.openai import OpenAIBackend
from assay.bridges.models.replay import RecordedOutput, ReplayBackend
from assay.kernel.backends import BackendError, Completion, Message, ModelBackend, Prompt
from assay.specs.library.word_problem import chickens_and_rabbits

from .test_backend_http import ChatServer, raw, reply

ANSWER = '{"chickens": 23, "rabbits": 12}'


def ask(**kw: Any) -> Prompt:
    return Prompt(messages=(Message("system", "Answer with JSON only."),
                            Message("user", "35 heads and 94 legs: how many chickens and rabbits?")),
                  spec=chickens_and_rabbits, task="farm", max_tokens=64, temperature=0.7, **kw)


@dataclass
class Case:
    """How to get one backend to answer, to fail (with the kind and counts expected), and to be slow."""

    answering: Callable[[], ModelBackend]
    failing: Callable[[], ModelBackend]
    failure: tuple[str, int | None, int | None]  # kind, prompt and completion tokens (None: any, > 0)
    slow: Callable[[], ModelBackend] | None = None


def replay_case() -> Case:
    return Case(
        answering=lambda: ReplayBackend({"farm": [ANSWER, RecordedOutput(ANSWER, 30, 9)]}),
        failing=lambda: ReplayBackend({"farm": []}),
        failure=("exhausted", 0, 0),
    )


def openai_case(server: ChatServer) -> Case:
    def answering() -> ModelBackend:
        server.then(reply(ANSWER, usage={"prompt_tokens": 31, "completion_tokens": 11}))
        return OpenAIBackend(server.url, "fake-model")

    def failing() -> ModelBackend:
        server.then(raw(b'{"error": "overloaded", "usage": {"prompt_tokens": 31, "completion_tokens": 4}}',
                        status=503))
        return OpenAIBackend(server.url, "fake-model")

    def slow() -> ModelBackend:
        server.then(reply(ANSWER, delay=2.0))
        return OpenAIBackend(server.url, "fake-model")

    return Case(answering, failing, ("http", 31, 4), slow)


def hf_case() -> Case:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from assay.bridges.models.hf import HFBackend

    from .test_backend_hf import tiny_model, tiny_tokenizer

    tokenizer = tiny_tokenizer()

    def failing() -> ModelBackend:
        model = tiny_model(tokenizer)

        def broken(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("device lost")

        model.forward = broken
        return HFBackend(model, tokenizer=tokenizer, device="cpu")

    def slow() -> ModelBackend:
        class Slow(HFBackend):
            """The tiny model, asked for a long value: a sudoku grid cannot be written in a millisecond."""

            def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
                from assay.specs.library.sudoku import sudoku_grid

                return super().complete(Prompt(prompt.messages, max_tokens=400, spec=sudoku_grid),
                                         timeout=timeout)

        return Slow(tiny_model(tokenizer), tokenizer=tokenizer, device="cpu")

    return Case(lambda: HFBackend(tiny_model(tokenizer), tokenizer=tokenizer, device="cpu", seed=0),
                failing, ("crash", None, 0), slow)


@pytest.fixture(scope="module")
def server() -> Iterator[ChatServer]:
    s = ChatServer()
    yield s
    s.close()


@pytest.fixture(params=["replay", "openai", "hf"])
def case(request: pytest.FixtureRequest, server: ChatServer) -> Iterator[Case]:
    if request.param == "replay":
        yield replay_case()
    elif request.param == "openai":
        yield openai_case(server)
    else:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # two shared cores: threads only contend
        yield hf_case()
        torch.set_num_threads(threads)


def test_it_meets_the_protocol(case: Case) -> None:
    backend = case.answering()
    assert isinstance(backend, ModelBackend)
    assert isinstance(backend.name, str) and backend.name


def test_it_answers_with_text_and_what_it_cost(case: Case) -> None:
    backend = case.answering()
    for _ in range(2):  # a second call (a re-offload) answers too
        c = backend.complete(ask(), timeout=120)
        assert isinstance(c, Completion)
        assert c.text.strip() and c.prompt_tokens >= 1 and c.completion_tokens >= 1 and c.seconds >= 0
        assert c.tokens == c.prompt_tokens + c.completion_tokens
        assert isinstance(c.estimated, bool) and isinstance(c.model, str)
        # Replayed and served answers are scripted to be values; the model's is constrained to be one.
        value = chickens_and_rabbits.decode_proposal(json.loads(c.text))
        assert chickens_and_rabbits.out_of_bounds(value) == []


def test_no_time_left_is_a_timeout_that_cost_nothing(case: Case) -> None:
    with pytest.raises(BackendError) as info:
        case.answering().complete(ask(), timeout=0)
    e = info.value
    assert (e.kind, e.prompt_tokens, e.completion_tokens) == ("timeout", 0, 0)


def test_a_slow_answer_is_a_timeout(case: Case) -> None:
    if case.slow is None:
        pytest.skip("this backend takes no time: there is nothing to be slow")
    with pytest.raises(BackendError) as info:
        case.slow().complete(ask(), timeout=0.2)
    e = info.value
    assert e.kind == "timeout" and e.prompt_tokens >= 0 and e.completion_tokens >= 0


def test_a_failure_is_a_backend_error_with_its_kind_and_cost(case: Case) -> None:
    kind, prompt_tokens, completion_tokens = case.failure
    with pytest.raises(BackendError) as info:
        case.failing().complete(ask(), timeout=60)
    e = info.value
    assert e.kind == kind
    assert e.prompt_tokens == prompt_tokens if prompt_tokens is not None else e.prompt_tokens > 0
    assert e.completion_tokens == completion_tokens if completion_tokens is not None else e.completion_tokens > 0
    assert e.seconds >= 0 and str(e).startswith(f"{kind}: ")
