"""Model backends: transformers, OpenAI-compatible HTTP, replay of recorded outputs.

Each meets :class:`assay.kernel.backends.ModelBackend`.  The backends are
imported on first use (``from assay.bridges.models import ReplayBackend``
loads only ``recorded``), so that importing this package loads no model library;
only :mod:`assay.bridges.models.hf` imports transformers and torch, when a
backend is built.

Token counts that a backend cannot count (a replayed output without recorded
counts, a server that reports no usage) are estimated with
:func:`estimate_tokens`, and the completion says so (``estimated=True``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.kernel.backends import Prompt

    from .cascade import Cascade, Price, Step
    from .hf import HFBackend
    from .openai import OpenAIBackend
    from .recorded import RecordedOutput, ReplayBackend

__all__ = [
    "Cascade",
    "HFBackend",
    "OpenAIBackend",
    "Price",
    "RecordedOutput",
    "ReplayBackend",
    "Step",
    "estimate_prompt_tokens",
    "estimate_tokens",
]

_LAZY = {"Cascade": "cascade", "Price": "cascade", "Step": "cascade", "HFBackend": "hf", "OpenAIBackend": "openai",
         "RecordedOutput": "recorded", "ReplayBackend": "recorded"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def estimate_tokens(text: str) -> int:
    """An estimate of how many tokens ``text`` is: its UTF-8 bytes / 4, rounded up (0 only for "").

    Four bytes a token is the usual rule of thumb for English text and BPE
    vocabularies; it overestimates for code-heavy text less than a per-word
    count does, and it needs no tokenizer.
    """
    return -(-len(text.encode("utf-8")) // 4)


def estimate_prompt_tokens(prompt: Prompt) -> int:
    """The estimate for a whole prompt: all messages' contents together (roles and chat markup not counted)."""
    return estimate_tokens("".join(m.content for m in prompt.messages))
