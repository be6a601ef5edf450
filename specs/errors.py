"""The errors of the spec layer, and the root of every exception assay raises on purpose.

:class:`AssayError` lives here, in the bottom layer, so that every layer
(specs, proofs, kernel, bridges and the public API) derives its errors from
the one root without importing upward.  Each error also inherits the matching
builtin where one fits, so ``except TypeError`` still catches a spec that is
badly typed.  This module imports nothing.
"""

from __future__ import annotations

__all__ = ["AssayError", "InvalidSpec", "SpecLoadError"]


class AssayError(Exception):
    """Base class of the errors assay raises deliberately."""


class InvalidSpec(AssayError, TypeError):
    """A spec uses a construct outside the subset, or is badly typed.

    ``location`` is ``file:line:col``; ``construct`` names what was refused and
    ``hint`` what to write instead.
    """

    def __init__(self, why: str, *, location: str, construct: str = "", hint: str = "",
                 spec: str = "") -> None:
        message = f"{location}: {why}"
        if hint:
            message += f" (hint: {hint})"
        super().__init__(message)
        self.location = location
        self.construct = construct
        self.why = why
        self.hint = hint
        self.spec = spec


class SpecLoadError(AssayError, ImportError):
    """A spec reference (``module:name`` or ``path.py[:name]``) cannot be loaded."""
