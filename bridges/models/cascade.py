"""A verified cascade: several model backends used as one, cheapest first.

``Cascade([cheap, strong])`` can be passed anywhere a model can
(``assay.solve(spec, givens, model=Cascade([...]), strategy="reoffload")``).
The offload loop checks every answer; an answer it does not accept goes back
as the evidence of what was wrong, and the next attempt is the next member's:
attempt 1 goes to the first member, attempt 2 to the second, and so on (a
member may take several attempts, ``attempts=``), the last member taking every
attempt past the end.  So the first ACCEPTED (or REPAIRED) answer ends the task,
and a later, dearer model sees the earlier answers and the kernel's verdicts on
them in its prompt.  A member that times out or returns garbage costs its
attempt and the cascade goes on with the next one.

Each completion names the member that answered (``Completion.model``) and
what it cost at the member's price (``Completion.cost``, US dollars); the
loop writes both into the trace and the ledger, so ``assay report`` shows
calls, accepted answers, tokens and cost per model.  The loop takes at least
as many attempts as the cascade has (:attr:`Cascade.attempts`), whatever the
strategy's own count; the budget still holds: give it at least as many model
calls.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from assay.kernel.backends import BackendError, Completion, ModelBackend, Prompt

__all__ = ["Cascade", "Price", "Step"]


@dataclass(frozen=True)
class Price:
    """A model's list price in US dollars per 1,000 prompt and per 1,000 completion tokens."""

    prompt: float
    completion: float

    def __post_init__(self) -> None:
        for name in ("prompt", "completion"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
                    or value < 0:
                raise ValueError(f"Price.{name} is {value!r}: a price is a finite number of dollars, not negative")

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1000


@dataclass(frozen=True)
class Step:
    """One member of a cascade: a backend, its price (None: not counted) and how many attempts it takes."""

    backend: ModelBackend
    price: Price | None = None
    attempts: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.backend, ModelBackend):
            raise TypeError(f"a cascade member must be a model backend (name and complete()), not "
                            f"{type(self.backend).__name__}")
        if not isinstance(self.attempts, int) or isinstance(self.attempts, bool) or self.attempts < 1:
            raise ValueError(f"a cascade member takes at least one attempt, not {self.attempts!r}")

    @property
    def name(self) -> str:
        return str(getattr(self.backend, "name", "") or type(self.backend).__name__)


class Cascade:
    """Model backends tried in order, cheapest first: see the module docstring."""

    def __init__(self, members: Sequence[ModelBackend | Step | tuple[ModelBackend, Price]]) -> None:
        steps = []
        for m in members:
            if isinstance(m, Step):
                steps.append(m)
            elif isinstance(m, tuple):
                steps.append(Step(*m))
            else:
                steps.append(Step(m))
        if not steps:
            raise ValueError("a cascade needs at least one model backend")
        self.steps: tuple[Step, ...] = tuple(steps)
        self.name = "cascade(" + ", ".join(s.name for s in self.steps) + ")"

    @property
    def attempts(self) -> int:
        """The attempts the whole cascade takes before its last member repeats."""
        return sum(s.attempts for s in self.steps)

    def step_for(self, attempt: int) -> Step:
        """The member whose turn attempt ``attempt`` (from 1) is."""
        left = attempt
        for step in self.steps:
            if left <= step.attempts:
                return step
            left -= step.attempts
        return self.steps[-1]

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        step = self.step_for(prompt.attempt)
        try:
            got = step.backend.complete(prompt, timeout=timeout)
        except BackendError as exc:
            exc.model = exc.model or step.name
            if exc.cost is None and step.price is not None:
                exc.cost = step.price.cost(exc.prompt_tokens, exc.completion_tokens)
            raise
        except Exception as exc:  # a member's bug costs its attempt, and names the member
            raise BackendError("crash", f"{step.name}: {type(exc).__name__}: {exc}", model=step.name) from exc
        if not isinstance(got, Completion):
            raise BackendError("garbage", f"{step.name} returned {type(got).__name__}, not a Completion",
                               model=step.name)
        cost = None if step.price is None else step.price.cost(got.prompt_tokens, got.completion_tokens)
        return dataclasses.replace(got, model=step.name, cost=cost)
