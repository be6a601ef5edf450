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
from assay.bridges.models.recorded import RecordedOutput, ReplayBackend
from assay.kernel.backends import BackendError, Completion, Message, ModelBackend, Prompt
from assay.specs.library.word_problem import chickens_and_rabbits

from .test_backend_http import ChatServer, raw, reply

ANSWER = '{"chickens": 23, "rabbits": 12}'


def ask(**kw: Any) -> Prompt:
    return Prompt(messages=(Message("system", "Answer with JSON only."),
                            Message("user", "35 heads and 94 legs: how many chickens and rabbits?")),
                  **{"spec": chickens_and_rabbits, "task": "farm", "max_tokens": 64, "temperature": 0.7, **kw})


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


# --- what only replay does ----------------------------------------------------------------------


def test_replay_serves_each_task_its_own_outputs_in_order() -> None:
    backend = ReplayBackend({"a": ["1", "2"], "b": [RecordedOutput("x", 5, 7)]}, name="rec")
    assert [backend.complete(ask(task=t), timeout=1).text for t in ("a", "b", "a")] == ["1", "x", "2"]
    assert backend.remaining("a") == 0
    with pytest.raises(BackendError) as info:
        backend.complete(ask(task="a"), timeout=1)
    assert info.value.detail == "no more recorded outputs for task 'a' (2 served)"
    with pytest.raises(BackendError, match="exhausted: no more recorded outputs for task 'zzz' \\(0 served\\)"):
        backend.complete(ask(task="zzz"), timeout=1)


def test_replay_uses_recorded_counts_and_estimates_the_missing_ones() -> None:
    backend = ReplayBackend({"farm": [RecordedOutput("abcdefghi", 40, 3), RecordedOutput("abcdefghi", 40),
                                      "abcdefghi"]})
    counted, half, none = (backend.complete(ask(), timeout=1) for _ in range(3))
    assert (counted.prompt_tokens, counted.completion_tokens, counted.estimated) == (40, 3, False)
    # The estimate is UTF-8 bytes / 4 rounded up: 9 bytes -> 3; the prompt's two messages are 75 bytes -> 19.
    assert (half.prompt_tokens, half.completion_tokens, half.estimated) == (40, 3, True)
    assert (none.prompt_tokens, none.completion_tokens, none.estimated) == (19, 3, True)
    assert none.model == "replay"


def test_replay_of_a_blank_output_is_empty_with_its_cost() -> None:
    with pytest.raises(BackendError) as info:
        ReplayBackend({"farm": [RecordedOutput(" \n", 12, 1)]}).complete(ask(), timeout=1)
    assert (info.value.kind, info.value.prompt_tokens, info.value.completion_tokens) == ("empty", 12, 1)


def test_replay_reads_jsonl(tmp_path: Any) -> None:
    path = tmp_path / "outputs.jsonl"
    path.write_text('{"task": "farm", "text": "one", "prompt_tokens": 10, "completion_tokens": 2}\n\n'
                    '{"task": "farm", "text": "two"}\n', encoding="utf-8")
    backend = ReplayBackend.from_jsonl(path)
    first, second = backend.complete(ask(), timeout=1), backend.complete(ask(), timeout=1)
    assert (first.text, first.prompt_tokens, first.estimated, second.text, second.estimated) == \
        ("one", 10, False, "two", True)


@pytest.mark.parametrize(("line", "why"), [
    ("{nope", "not JSON (Expecting property name enclosed in double quotes at column 2)"),
    ("[1]", "expected an object with task and text, got list"),
    ('{"task": "t"}', "text must be a string, got None"),
    ('{"task": 3, "text": "x"}', "task must be a string, got 3"),
    ('{"task": "t", "text": "x", "prompt_tokens": -1}', "prompt_tokens must be a non-negative integer, got -1"),
    ('{"task": "t", "text": "x", "completion_tokens": true}',
     "completion_tokens must be a non-negative integer, got True"),
    ('{"task": "t", "text": "x", "score": 1}', "unexpected field 'score'"),
])
def test_a_bad_jsonl_line_is_named_by_file_and_line(tmp_path: Any, line: str, why: str) -> None:
    from assay.bridges.models.recorded import ReplayFileError

    path = tmp_path / "outputs.jsonl"
    path.write_text('{"task": "t", "text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ReplayFileError) as info:
        ReplayBackend.from_jsonl(path)
    assert str(info.value) == f"{path}:2: {why}"


def test_replay_refuses_a_string_where_a_list_of_outputs_belongs() -> None:
    with pytest.raises(TypeError, match="outputs\\['farm'\\] must be a sequence of outputs, not a single string"):
        ReplayBackend({"farm": "oops"})


def test_only_the_transformers_backend_loads_model_libraries() -> None:
    """Replay, HTTP and the grammar work where torch is absent; the package names every backend lazily."""
    import subprocess
    import sys

    code = ("import sys; from assay.bridges.models import ReplayBackend, OpenAIBackend, RecordedOutput; "
            "import assay.bridges.models.grammar; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'transformers', 'accelerate'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
