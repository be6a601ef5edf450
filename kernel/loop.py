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

A program task (its spec a program spec, ``@spec(program=...)``) goes the
same way with a program for its proposal: the model's text is judged by
:func:`.programs.check_program` (the program front end reads it; the text
is never run here, only in the sandbox), a REFUTED program goes back with
the counterexample call, what the function returned or raised there and the
violated clause (:mod:`.prompts`), and every attempt is charged and
recorded as a value task's is.  The solvers do not write programs: a choice
with ``repair`` or a ``solver`` step is refused for a program spec
(``ValueError``), and without a model the task stops saying why.  A
program check's solver queries get a time limit such that the main query
and the counterexample's shortening (:data:`.programs.SHORTENING_ROUNDS`
queries of at most :data:`.programs.SHORTENING_SECONDS` in each of two
phases) fit in what is left, and its sandbox runs end when what is left is
spent; a check is not started (nor the model asked) with less than
:data:`MIN_PROGRAM_SECONDS` left.

The kernel never imports ``assay.bridges``: the model is a
:class:`.backends.ModelBackend` and the text parser a callable, both passed in
(:mod:`.steps`).  What a task is lives in :mod:`.tasks`, the strategies in
:mod:`.strategies`, the record of a run in :mod:`.trace`, and what the model
is told in :mod:`.prompts`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.specs import Spec
from assay.specs.domains import DecodeError

from .backends import BackendError, Completion, Message, ModelBackend, Prompt
from .check import unknown
from .prompts import estimate_tokens, feedback, first_prompt
from .steps import KernelSteps, ParseFailure, Parser, kernel_steps
from .strategies import Choice
from .tasks import DECIDED, Task
from .trace import AttemptRecord, TaskResult, Trace
from .verdicts import Location, Outcome, Verdict, make, with_fields

if TYPE_CHECKING:
    from .ledger import Ledger

__all__ = ["MIN_COMPLETION_TOKENS", "MIN_PROGRAM_SECONDS", "MIN_SOLVER_SECONDS", "program_timeout", "run_task",
           "solver_seconds"]

# Seconds below which a solver step is not started: it could not finish anything.
MIN_SOLVER_SECONDS = 0.05
# A model call is not started unless this many completion tokens still fit.
MIN_COMPLETION_TOKENS = 16
# A program task's model call (and its check) is not started with fewer solver seconds than this left.
MIN_PROGRAM_SECONDS = 1.0
# Best-verdict order when nothing was accepted: the most useful honest evidence first.
_RANK = {Outcome.VACUOUS: 0, Outcome.REFUTED: 1, Outcome.UNKNOWN: 2, Outcome.MALFORMED: 3}


def solver_seconds(verdict: Verdict, wall: float) -> float:
    """A step's solver seconds: the solvers' own times, or the step's wall time when larger.

    Some queries (the vacuity query of a refutation) are not listed in the
    verdict; the step's wall time bounds them from above, so the charge errs
    on the high side.
    """
    listed = sum(float(a.get("seconds", 0.0)) for a in verdict.solvers if isinstance(a, Mapping))
    return max(listed, wall) if verdict.solvers or wall > 0 else listed


def program_timeout(left: float) -> float:
    """The per-query time limit of a program check with ``left`` seconds: the main query (or the vacuity
    query after it) and every shortening query (each at most SHORTENING_SECONDS) fit in ``left``."""
    from .programs import SHORTENING_ROUNDS, SHORTENING_SECONDS

    shortening = 2 * SHORTENING_ROUNDS  # two phases: fewer items, then smaller ints
    if left <= (shortening + 1) * SHORTENING_SECONDS:
        return max(left, 0.0) / (shortening + 1)
    return left - shortening * SHORTENING_SECONDS


# --- the loop ---------------------------------------------------------------------


def run_task(task: Task, choice: Choice, *, model: ModelBackend | None = None, parser: Parser | None = None,
             steps: KernelSteps | None = None, ledger: Ledger | None = None, run_id: str = "",
             store: str | Path | None = None, clock: Callable[[], float] = time.monotonic,
             charge: Callable[[str, Verdict, float], float] | None = None, temperature: float = 0.0) -> TaskResult:
    """Work ``task`` as ``choice`` says, within ``task.budget``; every attempt goes to ``ledger``.

    ``parser`` turns a model's text into a proposal (required with a model);
    ``steps`` defaults to the real kernel steps; ``charge(action, verdict,
    wall)`` gives a step's solver seconds (default :func:`solver_seconds`);
    ``clock`` gives wall time.  With a ``ledger`` and ``run_id``, a task that
    run already decided is not worked again: its recorded answer is checked
    again (acceptance is never taken from a file) and returned.

    For a program spec the proposal is the model's program text (``parser``
    is not used) and ``choice`` may not repair or call the solvers outright:
    the solvers do not write programs (``ValueError``).
    """
    if task.spec.program is not None:
        if choice.repair or choice.solver != "never":
            raise ValueError(
                f"run_task: strategy {choice.strategy!r} (repair={choice.repair}, solver={choice.solver!r}) needs "
                f"the solvers to write the answer, and {task.spec.name} is a program spec: its proposals are "
                "programs, which only a model writes; use 'model' or 'reoffload' (repair=False, solver='never')")
    elif model is not None and parser is None:
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
        self.best_proposal: Any = None  # the proposal the best verdict judged (JSON), for the ledger
        self.attempt = 0
        self.messages: tuple[Message, ...] = first_prompt(self.spec, task.givens)
        self.n_claims = int(self.spec.unique) + int(self.spec.sense is not None)
        self.program = self.spec.program is not None

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

    def go(self) -> TaskResult:
        done = self.resume()
        if done is not None:
            return done
        choice, attempts = self.choice, self.choice.attempts
        # A cascade (assay.Cascade) asks for an attempt per member: each one gets its turn, within the budget.
        wanted = getattr(self.model, "attempts", None)
        if isinstance(wanted, int) and not isinstance(wanted, bool) and wanted > attempts:
            attempts = wanted
        found: TaskResult | None = None
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

    def model_attempts(self, attempts: int) -> TaskResult | None:
        for _ in range(attempts):
            if self.model is None:
                self.stop(self.no_model())
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
            self.stop(self.no_model())
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
        if self.program and min(self.solver_left(), timeout) < MIN_PROGRAM_SECONDS:
            self.stop(f"budget: solver seconds ({spent.solver_seconds:.3f} of {budget.solver_seconds} used; wall "
                      f"{timeout:.3f}s left): too little to check a program (at least {MIN_PROGRAM_SECONDS}s)")
            return None
        self.attempt += 1
        # No spec for a program: a backend that constrains its decoding to the spec's proposal (a JSON
        # value) has no grammar for a program.
        prompt = Prompt(self.messages, max_tokens=max_tokens, spec=None if self.program else self.spec,
                        givens=dict(self.task.givens), task=self.task.task_id, attempt=self.attempt,
                        temperature=self.temperature)
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
        self.record(AttemptRecord(prompt.attempt, "model", verdict.outcome.value, verdict.reason,
                         prompt_tokens=error.prompt_tokens, completion_tokens=error.completion_tokens,
                         history_tokens=_history(prompt, error.prompt_tokens), calls=1,
                         wall_seconds=self.clock() - began, error=error.kind, model=error.model,
                         cost=error.cost))

    def judge_completion(self, prompt: Prompt, completion: Completion, began: float) -> TaskResult | None:
        """Parse and check a model's answer; repair it if the choice says so; feedback for the next try."""
        if self.program:
            return self.judge_program(prompt, completion, began)
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
        self.consider(verdict, proposal)
        self.record(AttemptRecord(prompt.attempt, "model", verdict.outcome.value, verdict.reason, _hash(proposal),
                         completion.prompt_tokens, completion.completion_tokens,
                         _history(prompt, completion.prompt_tokens), 1, solver_s, self.clock() - began,
                         model=completion.model, cost=completion.cost))
        if verdict.outcome is Outcome.ACCEPTED:
            return self.finish(verdict, proposal)
        if verdict.outcome is Outcome.REFUTED and self.choice.repair:
            found = self.repair_step(prompt.attempt, proposal)
            if found is not None:
                return found
        self.messages = (*self.messages, Message("assistant", completion.text),
                         Message("user", feedback(verdict, self.spec)))
        return None

    def judge_program(self, prompt: Prompt, completion: Completion, began: float) -> TaskResult | None:
        """Check a model's program; the counterexample (or the parse error, or why not) for the next try.

        The proposal recorded (and a verified task's answer) is the code the
        check judged: the text's last ```python block, or the whole text.
        """
        from assay.specs.program import extract_code

        code = extract_code(completion.text)
        verdict, solver_s = self.checked_program(completion.text)
        self.consider(verdict, code)
        self.record(AttemptRecord(prompt.attempt, "model", verdict.outcome.value, verdict.reason, _hash(code),
                         completion.prompt_tokens, completion.completion_tokens,
                         _history(prompt, completion.prompt_tokens), 1, solver_s, self.clock() - began,
                         model=completion.model, cost=completion.cost))
        if verdict.outcome is Outcome.ACCEPTED:
            return self.finish(verdict, code)
        self.messages = (*self.messages, Message("assistant", completion.text),
                         Message("user", feedback(verdict, self.spec)))
        return None

    def checked_program(self, text: str) -> tuple[Verdict, float]:
        left = max(min(self.solver_left(), self.wall_left()), 0.0)
        began = self.clock()
        verdict = self.steps.check_program(self.spec, text, timeout=max(program_timeout(left), 0.001), budget=left,
                                           store=self.store)
        return verdict, self.charge("check", verdict, self.clock() - began)

    def no_model(self) -> str:
        if self.program:
            return ("no model to ask: a program spec's proposals are programs, which the solvers do not write "
                    "(pass a model)")
        return "no model to ask"

    def checked(self, proposal: Any, where: Location | None) -> tuple[Verdict, float]:
        share = self.solver_share(self.queries("check"))
        began = self.clock()
        verdict = self.steps.check(self.spec, self.task.givens, proposal, timeout=max(share, 0.001),
                                   store=self.store, vacuity=share >= MIN_SOLVER_SECONDS, where=where)
        return verdict, self.charge("check", verdict, self.clock() - began)

    def repair_step(self, attempt: int, proposal: Any) -> TaskResult | None:
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
        self.record(AttemptRecord(attempt, "repair", verdict.outcome.value, verdict.reason, _hash(answer),
                         solver_seconds=self.charge("repair", verdict, wall), wall_seconds=wall))
        return self.finish(verdict, answer) if verdict.outcome in DECIDED else None

    def solver_step(self) -> TaskResult | None:
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
        self.record(AttemptRecord(self.attempt, "solver", verdict.outcome.value, verdict.reason, _hash(answer),
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

    def race(self) -> TaskResult | None:
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
            self.record(AttemptRecord(ready[0].attempt, "model", "unused", "the solver answered first", "",
                             completion.prompt_tokens, completion.completion_tokens,
                             _history(ready[0], completion.prompt_tokens), 1, 0.0, completion.seconds,
                             model=completion.model, cost=completion.cost))
            return found
        return self.judge_completion(ready[0], completion, ready[2])

    # -- bookkeeping --

    def consider(self, verdict: Verdict, proposal: Any = None) -> None:
        if verdict.outcome in DECIDED:
            return
        if self.best is None or _RANK[verdict.outcome] < _RANK[self.best.outcome]:
            self.best, self.best_proposal = verdict, proposal

    def stop(self, why: str) -> None:
        if not self.trace.stopped:
            self.trace.stopped = why

    def record(self, step: AttemptRecord) -> None:
        spent = self.trace.spent
        spent.model_calls += step.calls
        spent.prompt_tokens += step.prompt_tokens
        spent.completion_tokens += step.completion_tokens
        spent.solver_seconds += step.solver_seconds
        spent.wall_seconds = self.clock() - self.start
        self.trace.steps.append(step)
        if self.ledger is not None:
            self.ledger.record(self.run_id, self.task.task_id, self.spec, self.choice.strategy, step)

    def finish(self, verdict: Verdict | None, answer: Any) -> TaskResult:
        if verdict is None:
            verdict = self.best or unknown(f"nothing decided the task: {self.trace.stopped or 'no step ran'}")
            # The ledger keeps the proposal an undecided verdict judged, so that a resumed run can judge it again.
            answer = self.best_proposal if self.best is not None else None
        if verdict.outcome in DECIDED:
            verdict = with_fields(verdict, answer=answer)
        self.trace.spent.wall_seconds = self.clock() - self.start
        if self.ledger is not None:
            self.ledger.decide(self.run_id, self.task.task_id, self.spec, self.choice.strategy, verdict=verdict,
                               answer=answer, trace=self.trace)
        return TaskResult(verdict, answer if verdict.outcome in DECIDED else None, self.trace)

    def resume(self) -> TaskResult | None:
        """The recorded decision of this task in this run, if any, re-derived by the kernel: the ledger is not trusted.

        ACCEPTED and REPAIRED: the recorded answer must check ACCEPTED again (the reason is the new check's).
        REFUTED, VACUOUS and MALFORMED: the recorded proposal is judged again and must get the recorded
        outcome (the verdict is the new one, with its own evidence); a VACUOUS with no proposal (the solvers'
        own) is asked again.  Anything that cannot be derived again, or comes out otherwise, is UNKNOWN.
        """
        if self.ledger is None or not self.run_id:
            return None
        row = self.ledger.decision(self.run_id, self.task.task_id)
        if row is None:
            return None
        self.trace.resumed = True
        self.trace.stopped = "decided earlier in this run (resumed from the ledger)"
        self.attempt = self.ledger.attempts(self.run_id, self.task.task_id)
        try:
            outcome = Outcome(row["verdict"])
            answer = json.loads(row["answer"]) if row["answer"] is not None else None
        except (ValueError, TypeError) as exc:
            return TaskResult(unknown(f"the ledger's decision cannot be read: {exc}"), None, self.trace)
        share = max(self.solver_share(self.queries("check")), 0.001)
        if self.program and isinstance(answer, str) and outcome in (*DECIDED, Outcome.REFUTED, Outcome.VACUOUS,
                                                                    Outcome.MALFORMED):
            verdict, _ = self.checked_program(answer)
        elif outcome is Outcome.VACUOUS and answer is None and not self.program:
            verdict = self.steps.solve_outright(self.spec, self.task.givens, timeout=share, store=self.store,
                                                budget=min(self.solver_left(), self.wall_left()))
        elif outcome in (*DECIDED, Outcome.REFUTED, Outcome.VACUOUS, Outcome.MALFORMED) and answer is not None \
                and not self.program:
            verdict = self.steps.check(self.spec, self.task.givens, answer, timeout=share, store=self.store,
                                       vacuity=outcome is Outcome.VACUOUS, where=None)
        else:
            return TaskResult(unknown(f"recorded earlier in this run as {outcome.value} ({row['reason']}); not "
                                      "derived again: the ledger holds no proposal to judge"), None, self.trace)
        if outcome is Outcome.ACCEPTED and verdict.outcome is Outcome.ACCEPTED:
            return TaskResult(with_fields(verdict, answer=answer), answer, self.trace)
        if outcome is Outcome.REPAIRED and verdict.outcome is Outcome.ACCEPTED:
            # How it was repaired is the ledger's story; that the answer holds is derived now.
            return TaskResult(with_fields(verdict, outcome=outcome, answer=answer,
                                          reason=f"repaired earlier in this run; the answer checks again: "
                                                 f"{verdict.reason}"), answer, self.trace)
        if outcome in DECIDED:
            return TaskResult(unknown(f"the recorded answer no longer checks: {verdict.reason}"), None, self.trace)
        if verdict.outcome is outcome:
            return TaskResult(verdict, None, self.trace)
        return TaskResult(unknown(f"the ledger says {outcome.value}, but the kernel now derives "
                                  f"{verdict.outcome.value}: {verdict.reason}"), None, self.trace)


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
