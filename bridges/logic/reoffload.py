"""Asking the model again for a formalisation: each answer decided by the kernel, the evidence sent back.

A re-offload policy (:mod:`assay.bridges.logic.linc_policy`) reads a
problem's answers one at a time and stops when it can.  :class:`Resample` is
the sequence it reads: item ``i`` asks the model backend for attempt ``i + 1``
only when the policy gets that far.  Each attempt's prompt is the problem
followed by the conversation so far: every earlier formalisation and what the
kernel found in it (MALFORMED with the line and column, VACUOUS with the
premises that cannot all hold, which options hold when no single one does, or
the answer it checked), so that a live model can mend what was wrong.  A
replayed model (:class:`~assay.bridges.models.ReplayBackend` over recorded
samples) returns its next recorded sample, which is how ``assay replay`` reads
LINC's ten samples per problem: through the same path a live model takes.

Every attempt is kept (:class:`Attempt`): its verdict, answer, tokens and
seconds; a backend failure (timeout, HTTP error, no more recorded samples) is
an attempt with no answer, and its cost counts too.  Nothing a model writes is
run: each text goes through a bridge's parser (``read``) and the kernel.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import overload

from assay.kernel.backends import BackendError, Message, ModelBackend, Prompt
from assay.kernel.check import malformed
from assay.kernel.entail import Formalisation, decide
from assay.kernel.verdicts import Location, Outcome, Verdict

from .common import Malformed
from .linc_policy import sample_answer

__all__ = ["Attempt", "Resample", "feedback", "judge"]


def judge(read: Callable[[], Formalisation], source: str, *, timeout: float,
          what: str = "program") -> tuple[Formalisation | None, Verdict]:
    """``read()`` is a bridge's parse: (None, MALFORMED with line and column) where it fails, else the kernel
    decides."""
    try:
        formalisation = read()
    except Malformed as exc:
        return None, malformed(exc.why, Location(exc.line, exc.column, source))
    except RecursionError:
        return None, malformed(f"the {what} nests too deeply to read", Location(path=source))
    if not formalisation.source:
        formalisation = dataclasses.replace(formalisation, source=source)
    return formalisation, decide(formalisation, timeout=timeout)


@dataclass(frozen=True)
class Attempt:
    """One ask: the kernel's verdict on what came back (None when the backend failed) and what it cost."""

    number: int
    verdict: Verdict | None
    answer: str | None
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    estimated: bool = False
    failure: str = ""  # "kind: detail" of a BackendError

    @property
    def outcome(self) -> str:
        """The answer, else the verdict's outcome (``malformed``, ``vacuous``, ...), else ``failed``."""
        if self.answer is not None:
            return self.answer
        return self.verdict.outcome.value if self.verdict is not None else "failed"


def feedback(attempt: Attempt) -> str:
    """What the model is told about its previous formalisation before it writes the next one."""
    v = attempt.verdict
    if v is None:
        return f"Your previous answer could not be used ({attempt.failure}). Write the formalisation again."
    if v.outcome is Outcome.MALFORMED:
        where = f" at line {v.where.line}, column {v.where.column}" if v.where is not None and v.where.line else ""
        return (f"Your previous formalisation could not be read{where}: {v.reason}. Write the whole "
                "formalisation again, in the same format, with that fixed.")
    if v.outcome is Outcome.VACUOUS:
        return (f"Your previous formalisation contradicts itself: {v.reason}. The text is consistent: check "
                "those premises against it and write the whole formalisation again.")
    if v.outcome is Outcome.UNKNOWN:
        return (f"No single answer follows from your previous formalisation ({v.reason}). Check that every "
                "statement of the text is formalised, with one name for each thing, and write it again.")
    return (f"Your previous formalisation was checked: {v.reason}. Write another formalisation of the same "
            "problem, independently, in the same format.")


class Resample(Sequence[str | None]):
    """The answers a model gives when asked again, each asked for and decided only when first read.

    ``messages`` is the problem as the model is first asked it; ``read``
    turns one model text into a formalisation (a bridge's parser, raising
    :class:`Malformed`); ``budget`` is how many attempts the sequence holds.
    Items are asked in order: reading item 3 asks for 1, 2 and 3 first.
    """

    def __init__(self, backend: ModelBackend, messages: Sequence[Message], read: Callable[[str], Formalisation], *,
                 task: str = "", budget: int = 10, timeout: float = 10.0, model_timeout: float = 120.0,
                 max_tokens: int = 1024, source: str = "") -> None:
        if budget < 1:
            raise ValueError(f"budget must be at least 1, got {budget}")
        self.backend, self.read, self.task, self.budget = backend, read, task, budget
        self.timeout, self.model_timeout, self.max_tokens = timeout, model_timeout, max_tokens
        self.source = source or task
        self.messages = tuple(messages)
        self.attempts: list[Attempt] = []
        self._history: list[Message] = []

    def __len__(self) -> int:
        return self.budget

    @overload
    def __getitem__(self, i: int) -> str | None: ...

    @overload
    def __getitem__(self, i: slice) -> list[str | None]: ...

    def __getitem__(self, i: int | slice) -> str | list[str | None] | None:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += self.budget
        if not 0 <= i < self.budget:
            raise IndexError(f"attempt {i + 1} is beyond the budget of {self.budget}")
        while len(self.attempts) <= i:
            self._ask()
        return self.attempts[i].answer

    @property
    def tokens(self) -> int:
        """Every token of every attempt so far, prompts included."""
        return sum(a.prompt_tokens + a.completion_tokens for a in self.attempts)

    def _ask(self) -> None:
        number = len(self.attempts) + 1
        prompt = Prompt(messages=(*self.messages, *self._history), max_tokens=self.max_tokens, task=self.task,
                        attempt=number)
        started = time.monotonic()
        try:
            completion = self.backend.complete(prompt, timeout=self.model_timeout)
        except BackendError as exc:
            attempt = Attempt(number, None, None, exc.prompt_tokens, exc.completion_tokens,
                              exc.seconds or time.monotonic() - started, failure=f"{exc.kind}: {exc.detail}")
            self.attempts.append(attempt)
            self._history.append(Message("user", feedback(attempt)))
            return
        where = f"{self.source} attempt {number}"
        _, verdict = judge(lambda: self.read(completion.text), where, timeout=self.timeout, what="formalisation")
        attempt = Attempt(number, verdict, sample_answer(verdict), completion.prompt_tokens,
                          completion.completion_tokens, completion.seconds, completion.estimated)
        self.attempts.append(attempt)
        self._history += [Message("assistant", completion.text), Message("user", feedback(attempt))]
