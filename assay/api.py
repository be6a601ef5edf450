"""The public API for programs: ``assay.solve`` and ``@assay.guaranteed``.

Both hand back only what the kernel accepted (or repaired and accepted):

* :func:`solve` works one task with the offload loop and returns a
  :class:`Verified` (the value, the verdict, the certificate, the trace) or
  raises :class:`NotVerified` with the trace and the best honest verdict.
  For a program spec (``@spec(program=...)``, no givens) the value is the
  source of the function the kernel proved for every input of the bound;
  each wrong program goes back to the model with its counterexample.
* :func:`guaranteed` wraps a function that asks a model; its caller gets a
  checked value, or :class:`NotVerified`.  On a wrong answer the function is
  called again, with the evidence as the keyword argument ``feedback`` (a
  string) when it declares one, so it can pass it on to its model.

This module wires the untrusted parts (the answer extractor in
``assay.bridges``) into the kernel's loop, which never imports them.
"""

from __future__ import annotations

import functools
import inspect
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from assay.errors import AssayError
from assay.kernel.backends import Completion, ModelBackend, Prompt
from assay.kernel.loop import run_task
from assay.kernel.steps import ParsedAnswer, ParseFailure
from assay.kernel.strategies import PRESETS, Choice
from assay.kernel.tasks import Budget, Task
from assay.kernel.trace import TaskResult, Trace
from assay.kernel.verdicts import Location, Verdict
from assay.specs import Spec

__all__ = ["Budget", "NotVerified", "Verified", "guaranteed", "parse_answer", "solve"]

F = TypeVar("F", bound=Callable[..., Any])


class Verified:
    """A value the kernel accepted: ``value`` (the spec's Python type), ``json``, ``verdict``, ``certificate``,
    ``trace``.

    Made only from an ACCEPTED or REPAIRED result of the offload loop.  For a
    program spec, ``value`` (and ``json``) is the program's source (a str: the
    code the kernel proved, the model's last ```python block), ``verdict``
    says for which bound it was proved, and ``certificate`` is the path of
    its certificate when ``solve`` was given a ``store`` (``assay recheck``
    proves it again).
    """

    def __init__(self, spec: Spec, result: TaskResult) -> None:
        self.json = result.answer
        self.value = result.answer if spec.program is not None else spec.decode_proposal(result.answer)
        self.verdict: Verdict = result.verdict
        self.certificate: str | None = result.verdict.certificate
        self.trace: Trace = result.trace

    def __repr__(self) -> str:
        return f"Verified({self.value!r}, {self.verdict.outcome})"


class NotVerified(AssayError, RuntimeError):
    """No answer met the spec within the budget.  ``verdict`` is the best honest one; ``trace`` says what was tried."""

    def __init__(self, verdict: Verdict, trace: Trace) -> None:
        stop = f"; stopped: {trace.stopped}" if trace.stopped else ""
        super().__init__(f"{trace.spec_ref}: not verified: {verdict.outcome}: {verdict.reason}{stop}")
        self.verdict = verdict
        self.trace = trace


def parse_answer(spec: Spec, text: str) -> ParsedAnswer | ParseFailure:
    """The default parser: the answer in a model's text (as ``assay check`` finds it), never evaluated."""
    from assay.bridges.answers import AnswerError, proposal_value

    found = proposal_value(spec.proposal.domain, text)
    if isinstance(found, AnswerError):
        return ParseFailure(found.message, Location(found.line, found.column, "proposal"))
    return ParsedAnswer(found.value, Location(found.line, found.column) if found.line else None)


def solve(spec: Spec | str, givens: Mapping[str, Any] | None = None, model: ModelBackend | None = None, *,
          budget: Budget | None = None, strategy: str | Choice | None = None, store: str | Path | None = None,
          task_id: str = "", run_id: str = "") -> Verified:
    """An answer to ``spec`` for ``givens`` that the kernel accepted, or :class:`NotVerified`.

    ``spec`` is a Spec or a reference (``"module:name"``, ``"file.py:name"``).
    ``model`` is any :class:`assay.kernel.backends.ModelBackend`; without one
    the solvers work the task alone.  ``strategy`` is a name from
    :data:`assay.kernel.strategies.PRESETS` (``solver``, ``model``,
    ``model+repair``, ``reoffload``, ``race``, ``escalate``), a Choice, or None
    for the allocator's policy table.  ``store`` (a folder) keeps
    certificates and the ledger (``ledger.sqlite``); None keeps nothing.

    A program spec takes no givens (``solve(spec, model=...)``): its inputs
    are quantified over their bounds.  The model writes the program, each
    wrong one goes back to it with the counterexample, and the result's
    ``value`` is the source of the proved function.  Only a model writes
    programs: ``solver``, ``model+repair``, ``race`` and ``escalate`` are
    refused for a program spec (ValueError), and without a model the task
    stops saying so (:class:`NotVerified`).  A value spec with givens needs
    them (TypeError without).
    """
    the_spec = _spec(spec)
    result = _run(the_spec, _givens_of(the_spec, givens), model, budget=budget or Budget(), strategy=strategy,
                  store=store, task_id=task_id, run_id=run_id, parser=parse_answer)
    if not result.ok:
        raise NotVerified(result.verdict, result.trace)
    return Verified(the_spec, result)


def _givens_of(spec: Spec, givens: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The task's givens: a program spec takes none; a value spec with givens must be given them."""
    if spec.program is not None:
        if givens:
            raise TypeError(f"{spec.ref} is a program spec: it takes no givens (its inputs, "
                            f"{', '.join(p.name for p in spec.params if p.role == 'input') or 'none'}, are "
                            f"quantified over their bounds), got givens={dict(givens)!r}")
        return {}
    if givens is None:
        if spec.givens:
            raise TypeError(f"solve: the spec {spec.ref} takes givens {', '.join(p.name for p in spec.givens)}; "
                            "pass givens={...}")
        return {}
    return givens


def _spec(spec: Spec | str) -> Spec:
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, str):
        from assay.specs import load

        return load(spec)
    raise TypeError(f"spec must be a Spec or a 'module:name' reference, got spec={spec!r} ({type(spec).__name__})")


def _run(spec: Spec, givens: Mapping[str, Any], model: ModelBackend | None, *, budget: Budget,
         strategy: str | Choice | None, store: str | Path | None, task_id: str, run_id: str,
         parser: Callable[[Spec, str], ParsedAnswer | ParseFailure]) -> TaskResult:
    from assay.kernel.allocator import capabilities, choose

    task = Task(spec, dict(givens), budget, task_id)
    ledger = None
    if store is not None:
        from assay.kernel.ledger import Ledger

        ledger = Ledger(store)
    try:
        if strategy is None:
            choice = choose(task, capabilities(task, has_model=model is not None), ledger)
        elif isinstance(strategy, Choice):
            choice = strategy
        elif strategy in PRESETS:
            choice = PRESETS[strategy].because("asked for by the caller")
        else:
            raise ValueError(f"unknown strategy {strategy!r} (one of {', '.join(PRESETS)}, or a Choice)")
        # run_task refuses, for a program spec, a choice that repairs or solves outright (ValueError).
        return run_task(task, choice, model=model, parser=parser, ledger=ledger, run_id=run_id, store=store)
    finally:
        if ledger is not None:
            ledger.close()


# --- @guaranteed --------------------------------------------------------------------


class _Wrapped:
    """A model backend around a user's function: each call is one model attempt."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 takes_feedback: bool) -> None:
        self.name = getattr(fn, "__qualname__", "function")
        self.fn, self.args, self.kwargs, self.takes_feedback = fn, args, kwargs, takes_feedback

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        """Call the function; after a failed attempt, pass the evidence as ``feedback=`` when it takes it."""
        kwargs = dict(self.kwargs)
        if self.takes_feedback and prompt.attempt > 1 and prompt.messages[-1].role == "user" \
                and len(prompt.messages) > 2:
            kwargs["feedback"] = prompt.messages[-1].content
        began = time.perf_counter()
        out = self.fn(*self.args, **kwargs)
        if isinstance(out, Completion):
            return out
        text = out if isinstance(out, str) else json.dumps(_jsonable(out))
        return Completion(text, 0, 0, time.perf_counter() - began, estimated=True, model=self.name)


def _jsonable(value: Any) -> Any:
    """A returned Python value as JSON (dataclasses as objects, tuples as lists)."""
    import dataclasses
    import enum

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.name
    return value


def guaranteed(spec: Spec | str, *, givens_from: Callable[..., Mapping[str, Any]] | str | None = None,
               budget: Budget | None = None, strategy: str | Choice | None = "escalate",
               store: str | Path | None = None) -> Callable[[F], F]:
    """Wrap a function that asks a model, so its caller sees only a value the kernel accepted.

    The function returns the model's text (the answer is found in it) or a
    value (checked as it is).  If it declares a ``feedback`` keyword, each
    call after a failed attempt passes the evidence (violated clauses and
    their values, the parse error and where) in it.  ``givens_from`` is a
    function of the same arguments returning the givens, or the name of the
    argument that holds them; by default the arguments named like the spec's
    givens are the givens.  The wrapped function returns the accepted value
    (the spec's Python type) or raises :class:`NotVerified`.  ``budget.model_calls``
    bounds the calls; the default strategy repairs a wrong answer,
    re-offloads with feedback, and lets the solvers try last.  For a program
    spec the function returns the program's text, the wrapped one the proved
    source; pass ``strategy="reoffload"`` (the default needs the solvers to
    write the answer, which they do not for programs: ValueError).
    """
    the_spec = _spec(spec)

    def wrap(fn: F) -> F:
        signature = inspect.signature(fn)
        takes_feedback = "feedback" in signature.parameters

        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            givens = _givens(the_spec, signature, givens_from, args, kwargs)
            backend = _Wrapped(fn, args, kwargs, takes_feedback)
            result = _run(the_spec, givens, backend, budget=budget or Budget(), strategy=strategy, store=store,
                          task_id="", run_id="", parser=parse_answer)
            if not result.ok:
                raise NotVerified(result.verdict, result.trace)
            return Verified(the_spec, result).value

        checked.verified = True  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return wrap


def _givens(spec: Spec, signature: inspect.Signature, givens_from: Callable[..., Mapping[str, Any]] | str | None,
            args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    if callable(givens_from):
        return _jsonable(dict(givens_from(*args, **kwargs)))  # type: ignore[no-any-return]
    bound = signature.bind_partial(*args, **kwargs)
    bound.apply_defaults()
    if isinstance(givens_from, str):
        if givens_from not in bound.arguments:
            raise TypeError(f"givens_from={givens_from!r} is not an argument of the call "
                            f"(it has {', '.join(bound.arguments) or 'none'})")
        return dict(_jsonable(bound.arguments[givens_from]))
    names = [p.name for p in spec.givens]
    missing = [n for n in names if n not in bound.arguments]
    if missing:
        raise TypeError(f"the spec {spec.ref} takes givens {', '.join(names)}; the call has no argument "
                        f"{', '.join(missing)} (pass givens_from= to say where they come from)")
    return {n: _jsonable(bound.arguments[n]) for n in names}
