"""Recorded outputs: a model backend that replays them, for tests, demos and reruns without a model.

Each task (``Prompt.task``) has its own queue of recorded outputs; each call
for that task takes the next one, so a re-offloaded task gets its second
sample on its second attempt.  Counts are the recorded ones, or estimated
(:func:`assay.bridges.models.estimate_tokens`: UTF-8 bytes / 4, rounded up;
the prompt estimate covers all its messages) with ``estimated=True``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.kernel.backends import BackendError, Completion, Prompt

from . import estimate_prompt_tokens, estimate_tokens

__all__ = ["RecordedOutput", "ReplayBackend", "ReplayFileError"]


@dataclass(frozen=True)
class RecordedOutput:
    """One recorded model output, with the token counts the model reported when they are known."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class ReplayFileError(ValueError):
    """A replay file that cannot be read: the message names the file and line."""


def _count(value: Any, field: str, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReplayFileError(f"{where}: {field} must be a non-negative integer, got {value!r}")
    return value


class ReplayBackend:
    """Serves recorded outputs in order, one per call, per task; then ``BackendError("exhausted")``."""

    def __init__(self, outputs: Mapping[str, Sequence[str | RecordedOutput]], *, name: str = "replay") -> None:
        self.name = name
        self._queues: dict[str, list[RecordedOutput]] = {}
        for task, samples in outputs.items():
            if isinstance(samples, str):
                raise TypeError(f"outputs[{task!r}] must be a sequence of outputs, not a single string")
            self._queues[task] = [s if isinstance(s, RecordedOutput) else RecordedOutput(s) for s in samples]
            for i, s in enumerate(self._queues[task]):
                if not isinstance(s.text, str):
                    raise TypeError(f"outputs[{task!r}][{i}] must be a str or RecordedOutput, got {s!r}")
        self._served: dict[str, int] = dict.fromkeys(self._queues, 0)

    @classmethod
    def from_jsonl(cls, path: str | Path, *, name: str = "replay") -> ReplayBackend:
        """Read ``{"task", "text", "prompt_tokens"?, "completion_tokens"?}`` lines; a bad line names file:line."""
        outputs: dict[str, list[RecordedOutput]] = {}
        with Path(path).open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ReplayFileError(f"{where}: not JSON ({e.msg} at column {e.colno})") from None
                if not isinstance(row, dict):
                    raise ReplayFileError(f"{where}: expected an object with task and text, got {type(row).__name__}")
                for key in ("task", "text"):
                    if not isinstance(row.get(key), str):
                        raise ReplayFileError(f"{where}: {key} must be a string, got {row.get(key)!r}")
                extra = sorted(set(row) - {"task", "text", "prompt_tokens", "completion_tokens"})
                if extra:
                    raise ReplayFileError(f"{where}: unexpected field {extra[0]!r}")
                outputs.setdefault(row["task"], []).append(RecordedOutput(
                    row["text"], _count(row.get("prompt_tokens"), "prompt_tokens", where),
                    _count(row.get("completion_tokens"), "completion_tokens", where)))
        return cls(outputs, name=name)

    def remaining(self, task: str) -> int:
        """How many recorded outputs for ``task`` have not been served yet."""
        return len(self._queues.get(task, ())) - self._served.get(task, 0)

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        """The next recorded output for ``prompt.task``."""
        started = time.monotonic()
        if timeout <= 0:
            raise BackendError("timeout", f"no time left (timeout={timeout})")
        if self.remaining(prompt.task) <= 0:
            served = self._served.get(prompt.task, 0)
            raise BackendError("exhausted", f"no more recorded outputs for task {prompt.task!r} "
                                            f"({served} served)")
        sample = self._queues[prompt.task][self._served[prompt.task]]
        self._served[prompt.task] += 1
        estimated = sample.prompt_tokens is None or sample.completion_tokens is None
        prompt_tokens = estimate_prompt_tokens(prompt) if sample.prompt_tokens is None else sample.prompt_tokens
        completion_tokens = (estimate_tokens(sample.text) if sample.completion_tokens is None
                             else sample.completion_tokens)
        if not sample.text.strip():
            # The same failure a live model's blank answer is, so the loop treats both alike.
            raise BackendError("empty", f"recorded output {self._served[prompt.task]} for task {prompt.task!r} "
                                        "is blank", prompt_tokens=prompt_tokens,
                               completion_tokens=completion_tokens, seconds=time.monotonic() - started)
        return Completion(
            text=sample.text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds=time.monotonic() - started,
            estimated=estimated,
            model=self.name,
        )
