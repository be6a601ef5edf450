"""What the offload loop says to a model: the first prompt of a task, and the feedback after a failed attempt.

Also :func:`estimate_tokens`, the bound on a prompt's tokens that the loop's
budget checks rely on.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any, Final

from assay.specs import Spec

from .backends import Message
from .verdicts import Outcome, Verdict

__all__ = ["TEMPLATE_TOKENS_PER_MESSAGE", "estimate_tokens", "feedback", "first_prompt"]

# Tokens a chat template may add per message, beyond the message's own bytes.
TEMPLATE_TOKENS_PER_MESSAGE: Final = 8


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
