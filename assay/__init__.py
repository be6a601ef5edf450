"""assay: a verification-first kernel for foundation-model outputs.

The public names are loaded lazily, so ``import assay.kernel`` does not pull
in the bridges (or any model library) through this package.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "spec": "assay.specs",
    "Given": "assay.specs",
    "Proposal": "assay.specs",
    "Between": "assay.specs",
    "Length": "assay.specs",
    "MaxLen": "assay.specs",
    "implies": "assay.specs",
    "load": "assay.specs",
    "Spec": "assay.specs",
    "InvalidSpec": "assay.specs",
    "check": "assay.kernel",
    "Verdict": "assay.kernel",
    "Outcome": "assay.kernel",
    "AssayError": "assay.errors",
}

__all__ = [
    "AssayError", "Between", "Given", "InvalidSpec", "Length", "MaxLen", "Outcome", "Proposal", "Spec",
    "Verdict", "check", "implies", "load", "spec",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assay' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
