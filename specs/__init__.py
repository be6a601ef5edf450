"""assay.specs: the spec language, its IR, the concrete evaluator and the solver encodings.

This package owns meaning.  It is the bottom layer: it imports none of
``assay.kernel``, ``assay.bridges`` or ``assay.proofs``.
"""

from .domains import Alphabet, Between, DecodeError, Given, Input, Length, MaxLen, Output, Proposal
from .errors import InvalidSpec, SpecLoadError
from .loader import load
from .spec import Param, Spec, distinct, implies, spec

__all__ = [
    "Alphabet",
    "Between",
    "DecodeError",
    "Given",
    "Input",
    "InvalidSpec",
    "Length",
    "MaxLen",
    "Output",
    "Param",
    "Proposal",
    "Spec",
    "SpecLoadError",
    "distinct",
    "implies",
    "load",
    "spec",
]
