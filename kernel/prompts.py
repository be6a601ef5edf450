"""What the offload loop says to a model: the first prompt of a task, and the feedback after a failed attempt.

A value spec asks for a JSON value; a program spec (``@spec(program=...)``)
asks for a Python function: the entry point's signature with each
argument's bound, the precondition's source and the postcondition's (with
the helpers they call), and after a wrong program the counterexample call,
what the function returned or raised there, and the violated clause.

Also :func:`estimate_tokens`, the bound on a prompt's tokens that the loop's
budget checks rely on.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from assay.specs import Spec
from assay.specs.show import show_value

from .backends import Message
from .verdicts import Outcome, Verdict

__all__ = ["TEMPLATE_TOKENS_PER_MESSAGE", "estimate_tokens", "feedback", "first_prompt", "program_feedback",
           "program_prompt"]

# Tokens a chat template may add per message, beyond the message's own bytes.
TEMPLATE_TOKENS_PER_MESSAGE: Final = 8


_SYSTEM = ("You solve tasks exactly. Each task is given as a Python specification: a function that returns "
           "True for a correct answer. Reply with the answer as one JSON value in a ```json fenced block.")


def first_prompt(spec: Spec, givens: Mapping[str, Any]) -> tuple[Message, ...]:
    """The first request for a task: the spec's source, the givens as JSON, the answer's shape.

    For a program spec: the function to write (:func:`program_prompt`).
    """
    if spec.program is not None:
        return program_prompt(spec)
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
    if spec.program is not None:
        return program_feedback(verdict, spec)
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


# --- programs -------------------------------------------------------------------------

_PROGRAM_SYSTEM = ("You write Python functions that meet a specification exactly, for every input it allows. "
                   "Use plain Python: functions, assignments, if, for and while loops, lists, tuples, strings "
                   "and their common methods; no imports, no classes, no try, no floats, no dicts, no recursion. "
                   "Reply with the whole program in one ```python fenced block.")
# Violations shown in a program's feedback; one counterexample seldom breaks more.
_SHOWN: Final = 4


def program_prompt(spec: Spec) -> tuple[Message, ...]:
    """The first request for a program spec: the signature, the bound of each argument, the precondition's
    and the postcondition's source (with the helpers they call), and one ```python block asked for."""
    from assay.specs.frontend import _type_of_domain

    inputs = [p for p in spec.params if p.role == "input"]
    output = next(p for p in spec.params if p.role == "output")
    signature = (f"def {spec.program}({', '.join(f'{p.name}: {_type_of_domain(p.domain)}' for p in inputs)})"
                 f" -> {_type_of_domain(output.domain)}")
    bound = "\n".join(f"- `{p.name}`: a {p.domain.describe()}" for p in inputs) or "- (no arguments)"
    pre = spec.requires_fn
    lines = [f"Write the Python function `{spec.program}`:", f"```python\n{signature}:\n    ...\n```",
             "It must be right for every input in these bounds" + (" that meets the precondition" if pre else "")
             + ":", bound]
    if pre is not None:
        lines += [f"Precondition: the inputs meet `{pre.__name__}` (you may assume it; no need to check it):",
                  _block(pre)]
    lines += [f"Postcondition: `{spec.name}` is True, where `{output.name}` is what `{spec.program}` returns "
              "and the other parameters are its arguments:", _block(spec.fn)]
    helpers = [h for h in dict.fromkeys([*_helpers(spec.fn), *(_helpers(pre) if pre is not None else ())])
               if h is not pre]
    if helpers:
        lines += ["The postcondition calls these helpers (from the same module; your program may not import "
                  "them: define what you need):", "\n".join(_block(h) for h in helpers)]
    lines.append(f"Reply with the whole program (the function `{spec.program}` and any helpers it calls) in one "
                 "```python block.")
    return Message("system", _PROGRAM_SYSTEM), Message("user", "\n".join(lines))


def program_feedback(verdict: Verdict, spec: Spec) -> str:
    """The evidence against a program: the counterexample call, what it returned or raised, the violated
    clause (REFUTED); the parse error and where (MALFORMED); why it could not be judged (UNKNOWN)."""
    ask = f"Reply with the whole corrected program defining `{spec.program}` in one ```python block."
    if verdict.outcome is Outcome.REFUTED:
        return _refuted(verdict, spec) + "\n" + ask
    if verdict.outcome is Outcome.MALFORMED:
        where = verdict.where
        at = f" (at line {where.line}, column {where.column} of your program)" \
            if where is not None and where.line and f"line {where.line}, column" not in verdict.reason else ""
        return f"Your program could not be read: {verdict.reason}{at}.\n" + ask
    if verdict.outcome is Outcome.UNKNOWN and "outside the program subset" in verdict.reason:
        return (f"Your program could not be proved: {verdict.reason}. The checker proves programs only within "
                "its subset of Python: rewrite the function without that construct (plain loops, lists, "
                "tuples, strings and ints).\n" + ask)
    if verdict.outcome is Outcome.UNKNOWN:
        return (f"Your program could not be judged: {verdict.reason}. A simpler program (fewer nested loops, "
                "no unbounded while loops) is easier to prove.\n" + ask)
    return f"The program was not accepted: {verdict.reason}.\n" + ask


def _refuted(verdict: Verdict, spec: Spec) -> str:
    witness = verdict.witness if isinstance(verdict.witness, Mapping) else {}
    inputs = witness.get("inputs")
    if not isinstance(inputs, Mapping):
        return f"Your program is wrong: {verdict.reason}."
    call = f"{spec.program}({', '.join(f'{n}={show_value(v)}' for n, v in inputs.items())})"
    if witness.get("raised") is not None:
        output = next(p for p in spec.params if p.role == "output")
        return (f"Your program is wrong. On the input `{call}` it raises {witness['raised']}; it must return "
                f"a value on every input the specification allows (`{output.name}`: {output.domain.describe()}).")
    head = f"Your program is wrong. On the input `{call}` it returns {show_value(witness.get('output'))}."
    shown = [f"- {v.detail}" if v.detail.startswith(f"`{v.clause}`") else f"- `{v.clause}`: {v.detail}"
             for v in verdict.violations[:_SHOWN]]
    more = [f"- ... and {len(verdict.violations) - _SHOWN} more"] if len(verdict.violations) > _SHOWN else []
    if not shown:
        return head
    return "\n".join([head, "The postcondition is false there:", *shown, *more])


def _block(fn: Callable[..., Any]) -> str:
    return f"```python\n{_source(fn).rstrip()}\n```"


def _source(fn: Callable[..., Any]) -> str:
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return f"def {getattr(fn, '__name__', 'helper')}(...): {getattr(fn, '__doc__', None) or ''}"


def _helpers(fn: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """The plain functions of ``fn``'s module that ``fn`` calls, and the ones they call, each once, in order."""
    seen: set[int] = {id(fn)}
    todo = [fn]
    while todo:
        current = todo.pop(0)
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(current)))
        except (OSError, TypeError, SyntaxError):
            continue
        scope = getattr(current, "__globals__", {})
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            found = scope.get(node.func.id)
            if isinstance(found, types.FunctionType) and found.__module__ == current.__module__ \
                    and id(found) not in seen:
                seen.add(id(found))
                todo.append(found)
                yield found
