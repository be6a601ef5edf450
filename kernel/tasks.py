"""What a task is and what it may spend: :class:`Task`, its :class:`Budget`, and what it has :class:`Spent`.

A task is a spec, its givens (JSON) and a budget; the offload loop
(:mod:`.loop`) works it to a verdict.  :data:`DECIDED` are the outcomes that
end a task with an answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from assay.specs import Spec

from .verdicts import Outcome

__all__ = ["DECIDED", "Budget", "Spent", "Task"]

DECIDED: Final = (Outcome.ACCEPTED, Outcome.REPAIRED)


@dataclass(frozen=True)
class Budget:
    """What one task may spend: solver seconds, model calls, model tokens (prompt + completion), wall time."""

    solver_seconds: float = 30.0
    model_calls: int = 3
    model_tokens: int = 30_000
    wall_seconds: float = 120.0
    max_tokens_per_call: int = 1024

    def __post_init__(self) -> None:
        for name in ("solver_seconds", "model_calls", "model_tokens", "wall_seconds", "max_tokens_per_call"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"Budget.{name} must be a number >= 0, got {name}={value!r} "
                                 f"({type(value).__name__})")

    def to_json(self) -> dict[str, Any]:
        return {"solver_seconds": self.solver_seconds, "model_calls": self.model_calls,
                "model_tokens": self.model_tokens, "wall_seconds": self.wall_seconds,
                "max_tokens_per_call": self.max_tokens_per_call}


@dataclass
class Spent:
    """What a task has spent so far (every attempt, failed ones included)."""

    solver_seconds: float = 0.0
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    wall_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_json(self) -> dict[str, Any]:
        return {"solver_seconds": round(self.solver_seconds, 6), "model_calls": self.model_calls,
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "tokens": self.tokens, "wall_seconds": round(self.wall_seconds, 6)}


@dataclass(frozen=True)
class Task:
    """One task: a spec, its givens (JSON), a budget, and an id (default: a hash of spec and givens)."""

    spec: Spec
    givens: Mapping[str, Any]
    budget: Budget = field(default_factory=Budget)
    id: str = ""

    @property
    def task_id(self) -> str:
        if self.id:
            return self.id
        text = json.dumps({"spec": self.spec.ref, "givens": self.givens}, sort_keys=True, default=str)
        return "task-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
