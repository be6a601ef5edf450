"""What the offload loop needs from a model: the protocol every model backend meets.

The kernel never imports a backend (they live in ``assay.bridges.models``);
``assay`` passes one in.  A backend turns a :class:`Prompt` into a
:class:`Completion`, and counts what it cost: every token of every attempt,
the prompt included, because a re-offloaded task sends its feedback history
again each time.

A backend that fails (a timeout, an HTTP error, a garbage or empty response,
an exception mid-generation) raises :class:`BackendError` with what the
attempt cost so far; the loop charges that cost and goes on within its budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from assay.specs.spec import Spec

__all__ = ["BackendError", "Completion", "Message", "ModelBackend", "Prompt"]


@dataclass(frozen=True)
class Message:
    """One chat message: ``role`` is ``system``, ``user`` or ``assistant``."""

    role: str
    content: str


@dataclass(frozen=True)
class Prompt:
    """One request to a model.

    ``messages`` is the whole conversation sent this time (feedback from
    earlier attempts included).  ``spec`` and ``givens`` say what the answer
    must be: a backend that can constrain its decoding (transformers) uses the
    spec's proposal type so that every output parses.  ``task`` identifies the
    task for backends that serve recorded outputs (replay); ``attempt`` counts
    from 1.
    """

    messages: tuple[Message, ...]
    max_tokens: int = 512
    spec: Spec | None = None
    givens: Mapping[str, Any] = field(default_factory=dict)
    task: str = ""
    attempt: int = 1
    temperature: float = 0.0


@dataclass(frozen=True)
class Completion:
    """What a model returned, and what it cost.

    ``estimated`` is true when the token counts were estimated (no tokenizer,
    or a server that did not report usage), never when they were counted.
    """

    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    estimated: bool = False
    model: str = ""
    cost: float | None = None  # in US dollars, from a backend that knows its price (a cascade's member)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class BackendError(Exception):
    """A model attempt that produced no usable text: ``kind`` says why, the counts say what it cost.

    ``kind`` is one of ``timeout``, ``http``, ``garbage``, ``empty``,
    ``crash``, ``exhausted`` (a replay backend with no more recorded outputs).
    """

    def __init__(self, kind: str, detail: str, *, prompt_tokens: int = 0, completion_tokens: int = 0,
                 seconds: float = 0.0, model: str = "", cost: float | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.seconds = seconds
        self.model = model  # which model failed, where a backend (a cascade) says
        self.cost = cost


@runtime_checkable
class ModelBackend(Protocol):
    """A model: ``complete`` answers one prompt, within ``timeout`` seconds, or raises BackendError."""

    name: str

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion: ...
