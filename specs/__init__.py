"""assay.specs: the spec language, its IR, the concrete evaluator and the solver encodings.

This package owns meaning.  It is the bottom layer: it imports none of
``assay.kernel``, ``assay.bridges`` or ``assay.proofs``.
"""

from .domains import Between, DecodeError, Given, Length, MaxLen, Proposal
from .language import InvalidSpec, Param, Spec, SpecLoadError, distinct, implies, load, spec

__all__ = [
    "Between",
    "DecodeError",
    "Given",
    "InvalidSpec",
    "Length",
    "MaxLen",
    "Param",
    "Proposal",
    "Spec",
    "SpecLoadError",
    "distinct",
    "implies",
    "load",
    "spec",
]
