"""What every neurosymbolic bridge shares: the parse error, and SMT-LIB names for user symbols.

A bridge reads a recorded formalisation (text a model wrote) and builds an
:class:`assay.kernel.entail.Formalisation` from it: SMT-LIB declarations,
premises and one statement per answer option.  The text is tokenised and
parsed by the bridge; nothing in it is ever run.  Whatever the bridge cannot
read, it reports as :class:`Malformed` with the line and column in the
program text, and the caller turns that into a MALFORMED verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Cursor", "Malformed", "Token", "symbol"]


class Malformed(Exception):
    """A formalisation that cannot be read: what is wrong, and where (1-based line and column; 0 if unknown)."""

    def __init__(self, why: str, *, line: int = 0, column: int = 0) -> None:
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"{where}{why}")
        self.why = why
        self.line = line
        self.column = column


_PLAIN: Final = re.compile(r"[A-Za-z0-9_]")


def symbol(name: str, kind: str = "u") -> str:
    """The SMT-LIB symbol for a user's name: ``kind`` + "_" + the name, other characters as ``.xHEX.``.

    The prefix keeps user names apart from SMT-LIB's own (``and``, ``distinct``,
    ``Int``) and from each other's kinds (a sort ``s_x`` and a constant ``c_x``);
    the escape is injective, so two different names never share a symbol.
    """
    out = [kind, "_"]
    for ch in name:
        out.append(ch if _PLAIN.match(ch) else f".x{ord(ch):x}.")
    return "".join(out)


@dataclass(frozen=True)
class Token:
    """One token of a line of program text; a line's tokens end with one of kind ``end``."""

    kind: str
    text: str
    line: int
    column: int


class Cursor:
    """A position in one line's tokens, for the bridges' recursive-descent parsers."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self, ahead: int = 0) -> Token:
        """The current token, or the one ``ahead`` places after it (the ``end`` token past the last)."""
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        """The current token; the cursor moves past it, but never past the ``end`` token."""
        tok = self.tokens[self.at]
        if tok.kind != "end":
            self.at += 1
        return tok
