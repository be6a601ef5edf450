"""The errors of the public API and the CLI, beside the root of them all.

:class:`AssayError`, the root of every exception assay raises on purpose,
lives in the bottom layer (:mod:`assay.specs.errors`) so that specs/ and
proofs/ never import from this package; it is re-exported here, where users
and the CLI have always found it.
"""

from __future__ import annotations

from assay.specs.errors import AssayError

__all__ = ["AssayError", "UsageError"]


class UsageError(AssayError, ValueError):
    """The caller asked for something that cannot be done as asked (CLI exit code 2)."""
