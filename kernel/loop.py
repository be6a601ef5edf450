"""The offload loop: work one task (spec + givens + budget) to a verdict, within its budget.

A task's proposal may come from a model, from repairing a model's wrong
answer, or from the solvers outright; whichever it comes from, it is accepted
only by :func:`.check.check` (or a repair whose result ``check`` accepted).
The loop decides nothing about truth: it decides what to try next and when to
stop.  What it tries is a :class:`Choice` (the allocator's, or the caller's):

* ``attempts``: how many model calls, each after the first with the evidence
  of what was wrong (violated clauses and their values, the parse error and
  its position, the unknown reason) as feedback;
* ``repair``: whether a REFUTED proposal goes to the repairer;
* ``solver``: ``never``, ``first`` (solve outright before any model call),
  ``fallback`` (after the model attempts fail) or ``race`` (a model call in a
  thread while the solvers work in their own processes; both are charged).

The budget is never exceeded: before each step the loop checks that the
step fits with a pessimistic estimate (prompt tokens are bounded by the
prompt's UTF-8 bytes, which no byte-level tokenizer exceeds), then passes
what is left as the model's ``max_tokens`` and timeout and as the solvers'
time limits, divided among the solver queries a step may make.  When the
budget runs out the loop returns the best honest verdict it has (VACUOUS,
REFUTED with its evidence, UNKNOWN, MALFORMED, in that order), never a
guess.  A backend that fails costs that attempt, and the loop goes on.

The kernel never imports ``assay.bridges``: the model is a
:class:`.backends.ModelBackend` and the text parser a callable, both passed in.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assay.specs import Spec
from assay.specs.domains import DecodeError

from .backends import BackendError, Completion, Message, ModelBackend, Prompt
from .check import check, unknown
from .verdicts import Location, Outcome, Verdict, make, with_fields

if TYPE_CHECKING:
    from .ledger import Ledger

__all__ = [
    "DECIDED",
    "PRESETS",
    "Budget",
    "Choice",
    "KernelSteps",
    "ParseFailure",
    "ParsedAnswer",
    "Parser",
    "Result",
    "Spent",
    "Step",
    "Task",
    "Trace",
    "estimate_tokens",
    "feedback",
    "first_prompt",
    "kernel_steps",
    "run_task",
    "solver_seconds",
]

DECIDED = (Outcome.ACCEPTED, Outcome.REPAIRED)
# Seconds below which a solver step is not started: it could not finish anything.
MIN_SOLVER_SECONDS = 0.05
# A model call is not started unless this many completion tokens still fit.
MIN_COMPLETION_TOKENS = 16
# Tokens a chat template may add per message, beyond the message's own bytes.
TEMPLATE_TOKENS_PER_MESSAGE = 8
# Best-verdict order when nothing was accepted: the most useful honest evidence first.
_RANK = {Outcome.VACUOUS: 0, Outcome.REFUTED: 1, Outcome.UNKNOWN: 2, Outcome.MALFORMED: 3}


# --- what a task is, what it may spend ---------------------------------------------


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


# --- the parser and the kernel steps the loop is given ----------------------------------


@dataclass(frozen=True)
class ParsedAnswer:
    """A proposal (a JSON value) found in a model's text, and where it starts."""

    value: Any
    where: Location | None = None


@dataclass(frozen=True)
class ParseFailure:
    """A model's text that holds no answer: why, and where (1-based line and column)."""

    message: str
    where: Location


Parser = Callable[[Spec, str], "ParsedAnswer | ParseFailure"]


class CheckStep(Protocol):
    def __call__(self, spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                 store: str | Path | None, vacuity: bool, where: Location | None) -> Verdict: ...


class RepairStep(Protocol):
    def __call__(self, spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                 store: str | Path | None, budget: float) -> Verdict: ...


class OutrightStep(Protocol):
    def __call__(self, spec: Spec, givens: Mapping[str, Any], *, timeout: float,
                 store: str | Path | None, budget: float) -> Verdict: ...


@dataclass(frozen=True)
class KernelSteps:
    """The kernel functions the loop calls; tests swap them to inject costs and faults.

    ``repair`` and ``solve_outright`` take ``timeout`` (seconds per solver
    query) and ``budget`` (solver seconds for the whole step).
    """

    check: CheckStep
    repair: RepairStep
    solve_outright: OutrightStep


def _check_step(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
                store: str | Path | None, vacuity: bool, where: Location | None) -> Verdict:
    return check(spec, givens, proposal, store=store, timeout=timeout, vacuity=vacuity,
                 vacuity_timeout=timeout, where=where)


def kernel_steps() -> KernelSteps:
    """The real steps: :func:`.check.check`, and :mod:`.repair`'s ``repair`` and ``solve_outright``."""
    # Imported by name at call time: the repairer is its own module, and a kernel without it still works
    # (no repair; the solvers' answer found by the any-solution query and checked).
    try:
        repairer = importlib.import_module(f"{__package__}.repair")
    except ImportError:
        return KernelSteps(_check_step, _no_repair, _outright_by_query)
    return KernelSteps(_check_step, repairer.repair, repairer.solve_outright)


def _no_repair(spec: Spec, givens: Mapping[str, Any], proposal: Any, *, timeout: float,
               store: str | Path | None, budget: float) -> Verdict:
    return unknown("no repairer in this kernel (assay.kernel.repair is missing)")


def _outright_by_query(spec: Spec, givens: Mapping[str, Any], *, timeout: float,
                       store: str | Path | None, budget: float) -> Verdict:
    """An answer from the solvers (a model of the any-solution query), accepted only by ``check``."""
    from assay.specs.queries import any_solution
    from assay.specs.terms import Unsupported

    from .solvers import prove_unsat

    try:
        query = any_solution(spec, spec.decode_givens(dict(givens)))
    except (Unsupported, DecodeError) as exc:
        return unknown(f"unsupported: the spec cannot be solved outright: {exc}")
    proof = prove_unsat(query, timeout=timeout)
    answers = tuple(a.to_json() for a in proof.answers)
    if proof.status == "unsat":
        return make(Outcome.VACUOUS, "no proposal can meet the spec for these givens (UNSAT on both solvers)",
                    solvers=answers)
    if proof.status != "sat":
        return unknown(f"the solvers found no answer: {proof.reason}")
    value = spec.proposal.domain.encode(query.witness(proof.model or {}))
    verdict = check(spec, givens, value, store=store, timeout=timeout, vacuity=False)
    return with_fields(verdict, answer=value, solvers=answers + verdict.solvers)


# --- the trace -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
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

    def to_json(self) -> dict[str, Any]:
        return {"attempt": self.attempt, "action": self.action, "outcome": self.outcome, "reason": self.reason,
                "proposal_hash": self.proposal_hash, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "history_tokens": self.history_tokens,
                "calls": self.calls, "solver_seconds": round(self.solver_seconds, 6),
                "wall_seconds": round(self.wall_seconds, 6), "error": self.error}


@dataclass
class Trace:
    """Everything a task run did: the choice and its reason, each step, the totals, why it stopped."""

    task_id: str
    spec_ref: str
    choice: Choice
    budget: Budget
    steps: list[Step] = field(default_factory=list)
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
class Result:
    """A task's verdict, the answer it rests on (JSON; ACCEPTED or REPAIRED only), and the trace."""

    verdict: Verdict
    answer: Any
    trace: Trace

    @property
    def ok(self) -> bool:
        return self.verdict.outcome in DECIDED


# --- prompts and feedback -------------------------------------------------------------


_SYSTEM = ("You solve tasks exactly. Each task is given as a Python specification: a function that returns "
           "True for a correct answer. Reply with the answer as one JSON value in a ```json fenced block.")


def first_prompt(spec: Spec, givens: Mapping[str, Any]) -> tuple[Message, ...]:
    """The first request for a task: the spec's source, the givens as JSON, the answer's shape."""
    try:
        source = inspect.getsource(spec.fn)
    except (OSError, TypeError):
        source = f"def {spec.name}(...): {spec.fn.__doc__ or ''}"
    shape = spec.proposal.domain.describe()
    user = (f"Specification ({spec.ref}):\n```python\n{source.rstrip()}\n```\n"
            f"Givens (JSON): {json.dumps(dict(givens), sort_keys=True)}\n"
            f"Find `{spec.proposal.name}`: {shape}. Give it as JSON.")
    return Message("system", _SYSTEM), Message("user", user)


def feedback(verdict: Verdict, spec: Spec) -> str:
    """The evidence of a failed attempt, in words, for the model's next try."""
    shape = spec.proposal.domain.describe()
    if verdict.outcome is Outcome.MALFORMED:
        where = f" (at {verdict.where})" if verdict.where is not None else ""
        return (f"Your answer could not be read: {verdict.reason}{where}. "
                f"Reply with `{spec.proposal.name}` as one JSON value: {shape}.")
    if verdict.outcome is Outcome.REFUTED:
        lines = [f"- line {v.line}: {v.detail}" if v.detail.startswith(f"`{v.clause}`")
                 else f"- line {v.line}: `{v.clause}`: {v.detail}" for v in verdict.violations[:8]]
        more = f"\n- ... and {len(verdict.violations) - 8} more" if len(verdict.violations) > 8 else ""
        return ("Your answer is wrong. These parts of the specification are false on it:\n"
                + "\n".join(lines or [f"- {verdict.reason}"]) + more
                + "\nFix them and reply with the whole corrected answer as JSON.")
    if verdict.outcome is Outcome.UNKNOWN:
        return (f"Your answer could not be checked: {verdict.reason}. "
                "Reply again with a complete answer as JSON.")
    return f"The answer was not accepted: {verdict.reason}. Reply again with a correct answer as JSON."


def estimate_tokens(messages: tuple[Message, ...]) -> int:
    """An upper bound on a prompt's tokens: its UTF-8 bytes plus the chat template's per-message tokens.

    Every byte-level tokenizer emits at most one token per byte, so a budget
    check against this bound cannot be overrun by the prompt.
    """
    return sum(len(m.content.encode("utf-8")) + TEMPLATE_TOKENS_PER_MESSAGE for m in messages) + 8


def solver_seconds(verdict: Verdict, wall: float) -> float:
    """A step's solver seconds: the solvers' own times, or the step's wall time when larger.

    Some queries (the vacuity query of a refutation) are not listed in the
    verdict; the step's wall time bounds them from above, so the charge errs
    on the high side.
    """
    listed = sum(float(a.get("seconds", 0.0)) for a in verdict.solvers if isinstance(a, Mapping))
    return max(listed, wall) if verdict.solvers or wall > 0 else listed


# --- the loop ---------------------------------------------------------------------


def run_task(task: Task, choice: Choice, *, model: ModelBackend | None = None, parser: Parser | None = None,
             steps: KernelSteps | None = None, ledger: Ledger | None = None, run_id: str = "",
             store: str | Path | None = None, clock: Callable[[], float] = time.monotonic,
             charge: Callable[[str, Verdict, float], float] | None = None, temperature: float = 0.0) -> Result:
    """Work ``task`` as ``choice`` says, within ``task.budget``; every attempt goes to ``ledger``.

    ``parser`` turns a model's text into a proposal (required with a model);
    ``steps`` defaults to the real kernel steps; ``charge(action, verdict,
    wall)`` gives a step's solver seconds (default :func:`solver_seconds`);
    ``clock`` gives wall time.  With a ``ledger`` and ``run_id``, a task that
    run already decided is not worked again: its recorded answer is checked
    again (acceptance is never taken from a file) and returned.
    """
    if model is not None and parser is None:
        raise ValueError("run_task: a model needs a parser (text -> proposal); got parser=None")
    run = _Run(task, choice, model=model, parser=parser, steps=steps or kernel_steps(), ledger=ledger,
               run_id=run_id, store=store, clock=clock, charge=charge or (lambda _a, v, w: solver_seconds(v, w)),
               temperature=temperature)
    return run.go()


class _Run:
    """The state of one task's run: spending, the best verdict so far, the conversation."""

    def __init__(self, task: Task, choice: Choice, *, model: ModelBackend | None, parser: Parser | None,
                 steps: KernelSteps, ledger: Ledger | None, run_id: str, store: str | Path | None,
                 clock: Callable[[], float], charge: Callable[[str, Verdict, float], float],
                 temperature: float) -> None:
        self.task, self.choice, self.model, self.parser, self.steps = task, choice, model, parser, steps
        self.ledger, self.run_id, self.store, self.clock, self.charge = ledger, run_id, store, clock, charge
        self.temperature = temperature
        self.budget = task.budget
        self.spec = task.spec
        self.trace = Trace(task.task_id, self.spec.ref, choice, self.budget)
        self.start = clock()
        self.best: Verdict | None = None
        self.attempt = 0
        self.messages: tuple[Message, ...] = first_prompt(self.spec, task.givens)
        self.n_claims = int(self.spec.unique) + int(self.spec.sense is not None)

    # -- budget arithmetic --

    def wall_left(self) -> float:
        return self.budget.wall_seconds - (self.clock() - self.start)

    def solver_left(self) -> float:
        return self.budget.solver_seconds - self.trace.spent.solver_seconds

    def solver_share(self, queries: int) -> float:
        """The time limit for each of a step's solver queries: what is left, split so all of them fit."""
        return min(self.solver_left() / max(1, queries), self.wall_left())

    def queries(self, action: str) -> int:
        """Solver runs a step may make (each query runs on both solvers: two runs)."""
        extra = {"check": 1, "repair": 2, "solver": 1}[action]
        return 2 * (self.n_claims + extra)

    # -- the plan --

    def go(self) -> Result:
        done = self.resume()
        if done is not None:
            return done
        choice, attempts = self.choice, self.choice.attempts
        found: Result | None = None
        if choice.solver == "first" or (choice.solver == "race" and (self.model is None or attempts == 0)):
            found = self.solver_step()
        elif choice.solver == "race":
            found = self.race()
            attempts -= 1
        if found is None:
            found = self.model_attempts(attempts)
        if found is None and choice.solver == "fallback" and not self.vacuous():
            found = self.solver_step()
        return found if found is not None else self.finish(None, None)

    def vacuous(self) -> bool:
        return self.best is not None and self.best.outcome is Outcome.VACUOUS

    def model_attempts(self, attempts: int) -> Result | None:
        for _ in range(attempts):
            if self.model is None:
                self.stop("no model to ask")
                return None
            if self.vacuous():
                return None
            ready = self.prepare_call()
            if ready is None:
                return None
            completion = self.settle_call(*ready, self.invoke(*ready))
            if completion is None:
                continue
            found = self.judge_completion(ready[0], completion, ready[2])
            if found is not None:
                return found
        return None

    # -- steps --

    def prepare_call(self) -> tuple[Prompt, float, float] | None:
        """The next prompt, its time limit and start time, or None (and why) when no call fits the budget."""
        spent, budget = self.trace.spent, self.budget
        if self.model is None:
            self.stop("no model to ask")
            return None
        if spent.model_calls >= budget.model_calls:
            self.stop(f"budget: model calls ({spent.model_calls} of {budget.model_calls} used)")
            return None
        estimate = estimate_tokens(self.messages)
        max_tokens = min(budget.max_tokens_per_call, budget.model_tokens - spent.tokens - estimate)
        if max_tokens < MIN_COMPLETION_TOKENS:
            self.stop(f"budget: model tokens ({spent.tokens} of {budget.model_tokens} used; the next prompt "
                      f"may take {estimate})")
            return None
        timeout = self.wall_left()
        if timeout <= 0:
            self.stop(f"budget: wall time ({self.budget.wall_seconds}s)")
            return None
        self.attempt += 1
        prompt = Prompt(self.messages, max_tokens=max_tokens, spec=self.spec, givens=dict(self.task.givens),
                        task=self.task.task_id, attempt=self.attempt, temperature=self.temperature)
        return prompt, timeout, self.clock()

    def invoke(self, prompt: Prompt, timeout: float, _began: float) -> Completion | BackendError:
        """The backend call alone (safe in a thread: it touches no loop state)."""
        assert self.model is not None
        try:
            completion = self.model.complete(prompt, timeout=timeout)
        except BackendError as exc:
            return exc
        except Exception as exc:  # a backend's bug or crash costs this attempt, not the run
            return BackendError("crash", f"{type(exc).__name__}: {exc}")
        if not isinstance(completion, Completion):
            return BackendError("garbage", f"the backend returned {type(completion).__name__}, not a Completion")
        return completion

    def settle_call(self, prompt: Prompt, _timeout: float, began: float,
                    got: Completion | BackendError) -> Completion | None:
        if isinstance(got, BackendError):
            self.model_failed(prompt, got, began)
            return None
        return got

    def model_failed(self, prompt: Prompt, error: BackendError, began: float) -> None:
        verdict = unknown(f"model {error.kind}: {error.detail}")
        self.consider(verdict)
        self.record(Step(prompt.attempt, "model", verdict.outcome.value, verdict.reason,
                         prompt_tokens=error.prompt_tokens, completion_tokens=error.completion_tokens,
                         history_tokens=_history(prompt, error.prompt_tokens), calls=1,
                         wall_seconds=self.clock() - began, error=error.kind))

    def judge_completion(self, prompt: Prompt, completion: Completion, began: float) -> Result | None:
        """Parse and check a model's answer; repair it if the choice says so; feedback for the next try."""
        assert self.parser is not None
        parsed = self.parser(self.spec, completion.text)
        proposal: Any = None
        if isinstance(parsed, ParseFailure):
            verdict = make(Outcome.MALFORMED, f"no answer in the model's text: {parsed.message}",
                           where=parsed.where)
            solver_s = 0.0
        else:
            proposal = parsed.value
            verdict, solver_s = self.checked(proposal, parsed.where)
        self.consider(verdict)
        self.record(Step(prompt.attempt, "model", verdict.outcome.value, verdict.reason, _hash(proposal),
                         completion.prompt_tokens, completion.completion_tokens,
                         _history(prompt, completion.prompt_tokens), 1, solver_s, self.clock() - began))
        if verdict.outcome is Outcome.ACCEPTED:
            return self.finish(verdict, proposal)
        if verdict.outcome is Outcome.REFUTED and self.choice.repair:
            found = self.repair_step(prompt.attempt, proposal)
            if found is not None:
                return found
        self.messages = (*self.messages, Message("assistant", completion.text),
                         Message("user", feedback(verdict, self.spec)))
        return None

    def checked(self, proposal: Any, where: Location | None) -> tuple[Verdict, float]:
        share = self.solver_share(self.queries("check"))
        began = self.clock()
        verdict = self.steps.check(self.spec, self.task.givens, proposal, timeout=max(share, 0.001),
                                   store=self.store, vacuity=share >= MIN_SOLVER_SECONDS, where=where)
        return verdict, self.charge("check", verdict, self.clock() - began)

    def repair_step(self, attempt: int, proposal: Any) -> Result | None:
        left = min(self.solver_left(), self.wall_left())
        share = self.solver_share(self.queries("repair"))
        if share < MIN_SOLVER_SECONDS:
            self.stop(f"budget: solver seconds ({self.trace.spent.solver_seconds:.3f} of "
                      f"{self.budget.solver_seconds} used) before repair")
            return None
        began = self.clock()
        verdict = self.steps.repair(self.spec, self.task.givens, proposal, timeout=share, store=self.store,
                                    budget=left)
        wall = self.clock() - began
        verdict, answer = self.confirm(verdict)
        self.consider(verdict)
        self.record(Step(attempt, "repair", verdict.outcome.value, verdict.reason, _hash(answer),
                         solver_seconds=self.charge("repair", verdict, wall), wall_seconds=wall))
        return self.finish(verdict, answer) if verdict.outcome in DECIDED else None

    def solver_step(self) -> Result | None:
        left = min(self.solver_left(), self.wall_left())
        share = self.solver_share(self.queries("solver"))
        if share < MIN_SOLVER_SECONDS:
            self.stop(f"budget: solver seconds ({self.trace.spent.solver_seconds:.3f} of "
                      f"{self.budget.solver_seconds} used; wall {self.wall_left():.3f}s left)")
            return None
        self.attempt += 1
        began = self.clock()
        verdict = self.steps.solve_outright(self.spec, self.task.givens, timeout=share, store=self.store,
                                            budget=left)
        wall = self.clock() - began
        verdict, answer = self.confirm(verdict)
        self.consider(verdict)
        self.record(Step(self.attempt, "solver", verdict.outcome.value, verdict.reason, _hash(answer),
                         solver_seconds=self.charge("solver", verdict, wall), wall_seconds=wall))
        return self.finish(verdict, answer) if verdict.outcome in DECIDED else None

    def confirm(self, verdict: Verdict) -> tuple[Verdict, Any]:
        """A REPAIRED or ACCEPTED verdict from repair or the solver, with its answer as JSON.

        The answer must decode and the trusted evaluator must hold on it, here
        again: a step that says yes with an answer that is not a solution is
        a bug, and the loop says UNKNOWN rather than pass it on.
        """
        if verdict.outcome not in DECIDED:
            return verdict, None
        try:
            value = self.spec.decode_proposal(_as_json(self.spec, verdict.answer))
            givens = self.spec.decode_givens(dict(self.task.givens))
        except (DecodeError, TypeError, ValueError) as exc:
            return unknown(f"internal: a {verdict.outcome.value} answer does not decode: {exc}"), None
        if self.spec.out_of_bounds(value) or not self.spec.holds({**givens, self.spec.proposal.name: value}):
            return unknown(f"internal: a {verdict.outcome.value} answer does not meet the spec"), None
        return verdict, self.spec.proposal.domain.encode(value)

    def race(self) -> Result | None:
        """A model call in a thread while the solvers work; the first accepted answer wins, both are charged.

        Only the backend call runs in the thread; every record is made here, in order.
        """
        ready = self.prepare_call()
        if ready is None:
            return self.solver_step()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="assay-model") as pool:
            future: Future[Completion | BackendError] = pool.submit(self.invoke, *ready)
            found = self.solver_step()
            got = future.result()
        completion = self.settle_call(*ready, got)
        if completion is None:
            return found
        if found is not None:
            self.record(Step(ready[0].attempt, "model", "unused", "the solver answered first", "",
                             completion.prompt_tokens, completion.completion_tokens,
                             _history(ready[0], completion.prompt_tokens), 1, 0.0, completion.seconds))
            return found
        return self.judge_completion(ready[0], completion, ready[2])

    # -- bookkeeping --

    def consider(self, verdict: Verdict) -> None:
        if verdict.outcome in DECIDED:
            return
        if self.best is None or _RANK[verdict.outcome] < _RANK[self.best.outcome]:
            self.best = verdict

    def stop(self, why: str) -> None:
        if not self.trace.stopped:
            self.trace.stopped = why

    def record(self, step: Step) -> None:
        spent = self.trace.spent
        spent.model_calls += step.calls
        spent.prompt_tokens += step.prompt_tokens
        spent.completion_tokens += step.completion_tokens
        spent.solver_seconds += step.solver_seconds
        spent.wall_seconds = self.clock() - self.start
        self.trace.steps.append(step)
        if self.ledger is not None:
            self.ledger.record(self.run_id, self.task.task_id, self.spec, self.choice.strategy, step)

    def finish(self, verdict: Verdict | None, answer: Any) -> Result:
        if verdict is None:
            verdict = self.best or unknown(f"nothing decided the task: {self.trace.stopped or 'no step ran'}")
        if verdict.outcome in DECIDED:
            verdict = with_fields(verdict, answer=answer)
        self.trace.spent.wall_seconds = self.clock() - self.start
        if self.ledger is not None:
            self.ledger.decide(self.run_id, self.task.task_id, self.spec, self.choice.strategy, verdict=verdict,
                               answer=answer, trace=self.trace)
        return Result(verdict, answer if verdict.outcome in DECIDED else None, self.trace)

    def resume(self) -> Result | None:
        """The recorded decision of this task in this run, if any: its answer is checked again."""
        if self.ledger is None or not self.run_id:
            return None
        row = self.ledger.decision(self.run_id, self.task.task_id)
        if row is None:
            return None
        self.trace.resumed = True
        self.trace.stopped = "decided earlier in this run (resumed from the ledger)"
        self.attempt = self.ledger.attempts(self.run_id, self.task.task_id)
        outcome = Outcome(row["verdict"])
        if outcome not in DECIDED:
            return Result(make(outcome, str(row["reason"])), None, self.trace)
        answer = json.loads(row["answer"]) if row["answer"] is not None else None
        share = self.solver_share(self.queries("check"))
        verdict = self.steps.check(self.spec, self.task.givens, answer, timeout=max(share, 0.001),
                                   store=self.store, vacuity=False, where=None)
        if verdict.outcome is Outcome.ACCEPTED:
            return Result(with_fields(verdict, outcome=outcome, reason=str(row["reason"]), answer=answer),
                          answer, self.trace)
        return Result(unknown(f"the recorded answer no longer checks: {verdict.reason}"), None, self.trace)


def _history(prompt: Prompt, prompt_tokens: int) -> int:
    """The prompt tokens spent resending earlier attempts and their feedback (all but the first two messages)."""
    sizes = [len(m.content.encode("utf-8")) for m in prompt.messages]
    total = sum(sizes)
    return round(prompt_tokens * sum(sizes[2:]) / total) if total else 0


def _as_json(spec: Spec, answer: Any) -> Any:
    """A step's answer as JSON: steps may hand back the decoded Python value or its JSON form."""
    try:
        return spec.proposal.domain.encode(answer)
    except (AttributeError, TypeError, ValueError, KeyError):
        return answer


def _hash(proposal: Any) -> str:
    if proposal is None:
        return ""
    text = json.dumps(proposal, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
