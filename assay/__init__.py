"""assay: a verification-first kernel for foundation-model outputs.

The public names are loaded lazily, so ``import assay.kernel`` does not pull
in the bridges (or any model library) through this package.
"""

from __future__ import annotations

import importlib
from typing import Any

# The version lives in the bottom layer, where certificates (proofs/) read it too.
from assay.specs.version import __version__ as __version__

_LAZY = {
    "Cascade": "assay.bridges.models.cascade",
    "Price": "assay.bridges.models.cascade",
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
    "solve": "assay.api",
    "guaranteed": "assay.api",
    "Verified": "assay.api",
    "NotVerified": "assay.api",
    "Budget": "assay.kernel.tasks",
}

__all__ = [
    "AssayError", "Between", "Budget", "Cascade", "Given", "InvalidSpec", "Length", "MaxLen", "NotVerified",
    "Outcome", "Price", "Proposal", "Spec", "Verdict", "Verified", "check", "guaranteed", "implies", "load", "solve",
    "spec",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'assay' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
