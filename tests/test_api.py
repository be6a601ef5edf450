"""The public API: ``assay.solve`` and ``@assay.guaranteed``, and the README's example of both."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome
from assay.kernel.backends import BackendError, Completion, Prompt
from assay.kernel.ledger import Ledger

import assay

from .paths import OK

WORD = "assay.specs.library.word_problem:chickens_and_rabbits"
FARM = {"heads": 35, "legs": 94}
README = Path(__file__).resolve().parents[1] / "README.md"


class Texts:
    """Serves the given texts (or raises the given errors) in order, whatever the task."""

    name = "texts"

    def __init__(self, *items: Any) -> None:
        self.items = list(items)
        self.prompts: list[Prompt] = []

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.prompts.append(prompt)
        item = self.items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return Completion(item, 30, 10, 0.0)


def test_solve_with_a_model_re_offloads_and_returns_a_verified_value(tmp_path: Path) -> None:
    model = Texts("20 chickens and 15 rabbits: {\"chickens\": 20, \"rabbits\": 15}",
                  "```json\n{\"chickens\": 23, \"rabbits\": 12}\n```")
    result = assay.solve(WORD, FARM, model, strategy="reoffload", store=tmp_path)
    assert result.value.chickens == 23 and result.value.rabbits == 12
    assert result.json == {"chickens": 23, "rabbits": 12}
    assert result.verdict.outcome is Outcome.ACCEPTED
    assert result.certificate is not None and Path(result.certificate).exists()
    assert [s.outcome for s in result.trace.steps] == ["refuted", "accepted"]
    assert "`2 * answer.chickens + 4 * answer.rabbits` is 100, `legs` is 94" in model.prompts[1].messages[-1].content
    with Ledger(tmp_path) as ledger:
        assert [r["verdict"] for r in ledger.rows()] == ["refuted", "accepted"]


def test_solve_without_a_model_asks_the_solvers() -> None:
    result = assay.solve(assay.load(WORD), FARM)
    assert result.json == {"chickens": 23, "rabbits": 12}
    assert result.trace.choice.strategy == "solver"
    assert result.trace.choice.reason.startswith("no model")


def test_not_verified_carries_the_best_verdict_and_the_trace() -> None:
    model = Texts('{"chickens": 20, "rabbits": 15}', BackendError("http", "HTTP 500"))
    with pytest.raises(assay.NotVerified) as info:
        assay.solve(WORD, FARM, model, strategy="reoffload", budget=assay.Budget(model_calls=2))
    err = info.value
    assert err.verdict.outcome is Outcome.REFUTED, "the refutation is better evidence than the HTTP error"
    assert [s.error for s in err.trace.steps] == ["", "http"]
    assert err.trace.stopped == "budget: model calls (2 of 2 used)"
    assert str(err).startswith(f"{WORD}: not verified: REFUTED: 1 violated: line 38: ")
    assert str(err).endswith("; stopped: budget: model calls (2 of 2 used)")


def test_an_impossible_task_is_not_verified_as_vacuous() -> None:
    with pytest.raises(assay.NotVerified, match="VACUOUS: no proposal can meet the spec"):
        assay.solve(WORD, {"heads": 3, "legs": 7})


def test_solve_refuses_a_bad_strategy_and_a_bad_spec() -> None:
    with pytest.raises(ValueError, match=r"unknown strategy 'fast' \(one of solver, model, "):
        assay.solve(WORD, FARM, strategy="fast")
    with pytest.raises(TypeError, match=r"spec must be a Spec or a 'module:name' reference, got spec=42 \(int\)"):
        assay.solve(42, FARM)  # type: ignore[arg-type]


def test_guaranteed_passes_feedback_and_returns_only_a_checked_value() -> None:
    seen: list[str | None] = []

    @assay.guaranteed(WORD, strategy="reoffload", budget=assay.Budget(model_calls=3))
    def ask(heads: int, legs: int, feedback: str | None = None) -> str:
        seen.append(feedback)
        return '{"chickens": 23, "rabbits": 12}' if feedback else "I think 1 and 1: {\"chickens\": 1, \"rabbits\": 1}"

    answer = ask(35, 94)
    assert (answer.chickens, answer.rabbits) == (23, 12)
    assert seen[0] is None and seen[1] is not None and "`heads` is 35" in seen[1]


def test_guaranteed_takes_values_and_givens_from_an_argument() -> None:
    @assay.guaranteed(f"{OK}:fixed_list", givens_from="task", strategy="model")
    def pick(task: dict[str, int]) -> list[int]:
        return [1, 1, task["target"] - 2]

    assert pick({"target": 5}) == [1, 1, 3]
    with pytest.raises(assay.NotVerified, match="REFUTED"):
        pick({"target": 12})  # [1, 1, 10] is out of bounds


def test_guaranteed_repairs_by_default_and_never_returns_a_wrong_value() -> None:
    @assay.guaranteed(WORD, givens_from=lambda q: {"heads": q[0], "legs": q[1]})
    def ask(q: tuple[int, int]) -> str:
        return '{"chickens": 22, "rabbits": 12}'

    assert ask((35, 94)) == assay.load(WORD).decode_proposal({"chickens": 23, "rabbits": 12})


def test_guaranteed_says_which_givens_are_missing() -> None:
    @assay.guaranteed(WORD)
    def ask(heads: int) -> str:
        return "{}"

    with pytest.raises(TypeError, match=r"takes givens heads, legs; the call has no argument legs"):
        ask(35)


def _readme_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(r"^```python\n(# example: .*?)^```$", text, re.S | re.M)]


def test_the_readme_examples_run(tmp_path: Path) -> None:
    examples = _readme_examples()
    assert len(examples) >= 1, "the README shows assay.solve and @assay.guaranteed in '# example:' blocks"
    joined = "\n".join(examples)
    assert "assay.solve(" in joined and "@assay.guaranteed(" in joined
    for n, code in enumerate(examples):
        path = tmp_path / f"example_{n}.py"
        path.write_text(code, encoding="utf-8")
        out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path,
                             timeout=300, check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        for expected in re.findall(r"# prints: (.*)", code):
            assert expected.strip() in out.stdout, (expected, out.stdout)
