"""How to work a task: a :class:`Choice` of strategy, and the named :data:`PRESETS`.

The allocator (:mod:`.allocator`) picks one for each task, or the caller
does; the offload loop (:mod:`.loop`) carries it out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PRESETS", "Choice"]


@dataclass(frozen=True)
class Choice:
    """How to work a task (a strategy), and why it was chosen.

    ``attempts`` model calls at most (the first plus re-offloads with feedback);
    ``repair`` sends a REFUTED proposal to the repairer; ``solver`` is
    ``never``, ``first``, ``fallback`` or ``race``.
    """

    strategy: str
    attempts: int = 1
    repair: bool = False
    solver: str = "never"
    reason: str = ""

    def __post_init__(self) -> None:
        if self.solver not in ("never", "first", "fallback", "race"):
            raise ValueError(f"Choice.solver must be never, first, fallback or race, got solver={self.solver!r}")
        if self.attempts < 0:
            raise ValueError(f"Choice.attempts must be >= 0, got attempts={self.attempts!r}")

    @property
    def params(self) -> dict[str, Any]:
        return {"attempts": self.attempts, "repair": self.repair, "solver": self.solver}

    def because(self, reason: str) -> Choice:
        return Choice(self.strategy, self.attempts, self.repair, self.solver, reason)


PRESETS: Mapping[str, Choice] = {
    "solver": Choice("solver", 0, False, "first"),
    "model": Choice("model", 1, False, "never"),
    "model+repair": Choice("model+repair", 1, True, "never"),
    "reoffload": Choice("reoffload", 3, False, "never"),
    "race": Choice("race", 1, True, "race"),
    "escalate": Choice("escalate", 3, True, "fallback"),
}
