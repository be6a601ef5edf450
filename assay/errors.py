"""The root of every exception that assay raises on purpose.

Each package derives its own errors from :class:`AssayError` and, where one
fits, from the matching builtin, so ``except TypeError`` still catches a spec
that is badly typed.  This module imports nothing, so every layer may use it.
"""

from __future__ import annotations

__all__ = ["AssayError", "UsageError"]


class AssayError(Exception):
    """Base class of the errors assay raises deliberately."""


class UsageError(AssayError, ValueError):
    """The caller asked for something that cannot be done as asked (CLI exit code 2)."""
