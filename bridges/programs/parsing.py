"""``ast.parse`` of untrusted text, without the warnings the parser prints about it.

CPython warns while parsing (an invalid escape sequence such as ``"\\."`` in a
model's program, ``is`` with a literal); a recorded set of programs would
fill stderr with them, and they say nothing about the program's meaning.
"""

from __future__ import annotations

import ast
import warnings

__all__ = ["parse"]


def parse(text: str) -> ast.Module:
    """``ast.parse(text)`` with the parser's warnings silenced; raises what ast.parse raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)
