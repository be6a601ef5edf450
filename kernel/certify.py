"""Writing certificates for decided verdicts (placeholder until proofs/ lands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.specs import Spec

from .verdicts import Verdict


def write_certificate(store: str | Path, spec: Spec, givens: Any, proposal: Any,
                      verdict: Verdict) -> Path | None:
    return None
