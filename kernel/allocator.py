"""The first allocator: a policy table that picks a strategy from declared capabilities.

``choose(task, capabilities, ledger)`` returns a :class:`.strategies.Choice` (the
strategy, its parameters and the reason in words), which goes into the trace.
The table is data (:data:`POLICY`): each row names the capabilities it needs
and the strategy it picks, first match wins.  Capabilities are what the
caller declares or :func:`capabilities` finds: is there a model, can the spec
be solved outright (its proposal domain is finite and the spec encodes for
the solvers), does it carry claims (``unique``, ``optimal``), how many cores,
is it a program spec.  A program spec's proposals are programs, which the
solvers do not write: only rows for programs match it, and they pick the
model re-offloaded with each counterexample, never repair or the solvers.

The ledger is the hook for the adaptive allocator of a later issue: this one
reads :meth:`.ledger.Ledger.history` for the spec and, when history shows the
model seldom right on it (and the solvers able to do the job), prefers the
solver; the same history is where a learning allocator will get expected
costs and accuracies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.specs import Spec
from assay.specs.domains import DecodeError

from .strategies import PRESETS, Choice
from .tasks import Task

if TYPE_CHECKING:
    from .ledger import Ledger

__all__ = ["POLICY", "Capabilities", "Choice", "Rule", "capabilities", "choose", "solvable"]

# History needs this many decided-or-not tasks of one strategy on one spec before it overrides the table.
MIN_HISTORY = 5
# Below this many solver seconds a repair or an outright solve is not worth starting.
MIN_SOLVER_BUDGET = 0.5
# A model right on fewer than this share of a spec's tasks is not worth its tokens when the solver can do it.
POOR_ACCURACY = 0.2


@dataclass(frozen=True)
class Capabilities:
    """What a task's run can use: a model, the solvers outright, and what the spec asks."""

    has_model: bool
    solvable: bool  # the solvers can compute an answer from the spec (it encodes for these givens)
    has_claims: bool  # the spec claims uniqueness or optimality: the answer must be the one
    cores: int = 1
    program: bool = False  # a program spec: the proposal is a program (no repair, no solving outright)


@dataclass(frozen=True)
class Rule:
    """One row of the policy table: when it applies (None: either way) and what it picks, and why."""

    has_model: bool | None
    solvable: bool | None
    has_claims: bool | None
    strategy: str
    why: str
    attempts: int | None = None
    min_cores: int = 1
    program: bool = False  # the row is for program specs (and only they match it)

    def matches(self, caps: Capabilities) -> bool:
        return all(want is None or want == have for want, have in (
            (self.has_model, caps.has_model), (self.solvable, caps.solvable),
            (self.has_claims, caps.has_claims))) and caps.cores >= self.min_cores and self.program == caps.program


POLICY: tuple[Rule, ...] = (
    Rule(True, None, None, "reoffload", "a program spec: the model writes the program, re-offloaded with each "
                                        "counterexample (the solvers prove or refute programs, they do not write "
                                        "them)", attempts=3, program=True),
    Rule(False, None, None, "model", "a program spec and no model: only a model writes programs, so nothing "
                                     "can be tried", program=True),
    Rule(False, True, None, "solver", "no model: the solvers compute the answer from the spec"),
    Rule(False, False, None, "solver", "no model and the spec does not encode: only the solvers could "
                                       "try, and they will say why they cannot"),
    # Racing pays only with idle cores: on two shared cores (bench/README.md, the loop benchmark) it spent
    # more solver and wall time than escalating.
    Rule(True, True, True, "race", "a unique or optimal answer is hard to guess and the solvers can find it: "
                                   "race the model against them on idle cores", min_cores=4),
    Rule(True, True, True, "escalate", "a unique or optimal answer is hard to guess: the model first, its wrong "
                                       "answer repaired, re-offloaded once, then the solvers", attempts=2),
    Rule(True, True, False, "escalate", "the model first (cheap when right), a wrong answer repaired, "
                                        "re-offloaded with feedback, the solvers last", attempts=2),
    Rule(True, False, None, "reoffload", "the spec does not encode for the solvers: the model, "
                                         "re-offloaded with the evidence", attempts=3),
)


def solvable(spec: Spec, givens: Mapping[str, Any]) -> bool:
    """Whether the solvers can compute an answer from the spec outright: its encoding for these givens builds."""
    from assay.specs.symbolic import encode
    from assay.specs.terms import Unsupported

    try:
        encode(spec, spec.decode_givens(dict(givens)))
    except (Unsupported, DecodeError, ValueError, TypeError):
        return False
    return True


def capabilities(task: Task, *, has_model: bool, cores: int | None = None) -> Capabilities:
    """The capabilities of a task, found from its spec and givens."""
    program = task.spec.program is not None
    return Capabilities(has_model=has_model, solvable=not program and solvable(task.spec, task.givens),
                        has_claims=bool(task.spec.unique or task.spec.sense is not None),
                        cores=cores if cores is not None else (os.cpu_count() or 1), program=program)


def choose(task: Task, caps: Capabilities, ledger: Ledger | None = None,
           policy: tuple[Rule, ...] = POLICY) -> Choice:
    """The strategy for ``task``: the first rule of ``policy`` that matches ``caps``, adjusted by history.

    A model budget of no calls (or too few tokens) counts as no model.
    """
    budget = task.budget
    note = ""
    if caps.has_model and (budget.model_calls < 1 or budget.model_tokens < 64):
        caps = Capabilities(False, caps.solvable, caps.has_claims, caps.cores, caps.program)
        note = " (the budget allows no model call)"
    elif caps.has_model and caps.solvable and budget.solver_seconds < MIN_SOLVER_BUDGET:
        # The solvers' expected cost does not fit: a repair or an outright solve needs seconds, not less.
        caps = Capabilities(True, False, caps.has_claims, caps.cores, caps.program)
        note = f" (the budget's {budget.solver_seconds}s of solver time is too little to solve or repair)"
    rule = next((r for r in policy if r.matches(caps)), None)
    if rule is None and caps.program:
        return PRESETS["reoffload"].because(f"no rule of the policy matches {caps}; a program spec is the "
                                            "model's, re-offloaded with each counterexample, by default")
    if rule is None:
        return PRESETS["solver"].because(f"no rule of the policy matches {caps}; the solvers by default")
    preset = PRESETS[rule.strategy]
    choice = Choice(preset.strategy, rule.attempts if rule.attempts is not None else preset.attempts,
                    preset.repair, preset.solver, rule.why + note)
    if ledger is not None and caps.solvable and choice.strategy != "solver":
        choice = _from_history(task.spec, choice, ledger)
    return choice


def _from_history(spec: Spec, choice: Choice, ledger: Ledger) -> Choice:
    """The table's choice, unless the ledger shows the model seldom right on this spec and the solver reliable."""
    history = ledger.history(spec)
    model = [s for name, s in history.items() if name != "solver" and s.calls > 0]
    tasks = sum(s.tasks for s in model)
    if tasks < MIN_HISTORY:
        return choice
    accuracy = sum(s.decided for s in model) / tasks
    solver = history.get("solver")
    if accuracy < POOR_ACCURACY and (solver is None or solver.accuracy >= 0.5):
        return PRESETS["solver"].because(
            f"history: model strategies decided {accuracy:.0%} of {tasks} tasks of this spec; the solvers "
            + (f"decided {solver.accuracy:.0%} of {solver.tasks}" if solver else "have no record yet, so try them"))
    return choice.because(choice.reason + f" (history: model strategies decided {accuracy:.0%} of {tasks} tasks)")
