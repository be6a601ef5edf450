"""What a task run did: an :class:`AttemptRecord` per step, the :class:`Trace` of them, the :class:`TaskResult`.

Every attempt (a model call, a repair, a solver step, a check) is one
:class:`AttemptRecord` with what it cost; the ledger stores them as they are
made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .strategies import Choice
from .tasks import DECIDED, Budget, Spent
from .verdicts import Verdict

__all__ = ["AttemptRecord", "TaskResult", "Trace"]


@dataclass(frozen=True)
class AttemptRecord:
    """One attempt: what was done, what it decided, and what it cost.

    ``history_tokens`` are the prompt tokens of a re-offload beyond the first
    prompt's: the cost of sending the feedback history again.
    """

    attempt: int
    action: str  # model | repair | solver | check
    outcome: str  # a verdict outcome's value, or "unused" (a raced model answer nobody needed)
    reason: str
    proposal_hash: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    history_tokens: int = 0
    calls: int = 0
    solver_seconds: float = 0.0
    wall_seconds: float = 0.0
    error: str = ""
    model: str = ""  # the model that answered (a model attempt), where the backend names it
    cost: float | None = None  # US dollars, where the backend knows its price

    def to_json(self) -> dict[str, Any]:
        return {"attempt": self.attempt, "action": self.action, "outcome": self.outcome, "reason": self.reason,
                "proposal_hash": self.proposal_hash, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "history_tokens": self.history_tokens,
                "calls": self.calls, "solver_seconds": round(self.solver_seconds, 6),
                "wall_seconds": round(self.wall_seconds, 6), "error": self.error, "model": self.model,
                "cost": None if self.cost is None else round(self.cost, 6)}


@dataclass
class Trace:
    """Everything a task run did: the choice and its reason, each step, the totals, why it stopped."""

    task_id: str
    spec_ref: str
    choice: Choice
    budget: Budget
    steps: list[AttemptRecord] = field(default_factory=list)
    spent: Spent = field(default_factory=Spent)
    stopped: str = ""
    resumed: bool = False

    @property
    def history_tokens(self) -> int:
        return sum(s.history_tokens for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {"task": self.task_id, "spec": self.spec_ref, "strategy": self.choice.strategy,
                "params": self.choice.params, "why": self.choice.reason, "budget": self.budget.to_json(),
                "steps": [s.to_json() for s in self.steps], "spent": self.spent.to_json(),
                "history_tokens": self.history_tokens, "stopped": self.stopped, "resumed": self.resumed}

    def text(self) -> str:
        """The trace for a person: one line per step, then the totals."""
        lines = [f"task {self.task_id} ({self.spec_ref}): strategy {self.choice.strategy} "
                 f"{self.choice.params}: {self.choice.reason}"]
        for s in self.steps:
            cost = f"{s.calls} call, {s.prompt_tokens}+{s.completion_tokens} tokens" if s.action == "model" else ""
            if s.history_tokens:
                cost += f" ({s.history_tokens} resent history)"
            cost = ", ".join(c for c in (cost, f"solver {s.solver_seconds:.3f}s", f"wall {s.wall_seconds:.3f}s") if c)
            error = f" [{s.error}]" if s.error else ""
            lines.append(f"  {s.attempt}. {s.action:<6} {s.outcome:<9}{error} {s.reason[:100]}  ({cost})")
        sp = self.spent
        lines.append(f"  spent: {sp.model_calls} calls, {sp.tokens} tokens ({sp.prompt_tokens} prompt, "
                     f"{sp.completion_tokens} completion, {self.history_tokens} of them resent history), "
                     f"solver {sp.solver_seconds:.3f}s, wall {sp.wall_seconds:.3f}s"
                     + (f"; stopped: {self.stopped}" if self.stopped else ""))
        return "\n".join(lines)


@dataclass(frozen=True)
class TaskResult:
    """A task's verdict, the answer it rests on (JSON; ACCEPTED or REPAIRED only), and the trace."""

    verdict: Verdict
    answer: Any
    trace: Trace

    @property
    def ok(self) -> bool:
        return self.verdict.outcome in DECIDED
