"""A recorded completion and its task's prompt, made into the program text EvalPlus runs.

A completion is one of two things, and the text says which:

* a whole program that defines the entry point itself (the model rewrote the
  prompt, docstring and all: 2,951 of the 2,952 recorded gpt-3.5 programs).
  It goes after the prompt, ``prompt + "\\n" + completion``, so the prompt's
  imports and helpers are there and the program's definition, coming last,
  replaces the prompt's stub;
* a function body, appended to the prompt as HumanEval does:
  ``prompt + completion``.

"Defines the entry point" is read from the completion alone: when it parses,
a top-level ``def`` of that name; when it does not, a line starting
``def <entry_point>(`` (so a whole program with a syntax error is reported
at its own line and column, not at where it would land after the prompt).
This is the rule the dataset's labels were computed with
(../shared/datasets/programs/README.md).  The text is parsed with
:mod:`ast`; nothing is run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .parsing import parse

__all__ = ["Assembled", "Unparsable", "assemble"]


@dataclass(frozen=True)
class Assembled:
    """The program text, and whether the completion was a whole program (else a body)."""

    text: str
    whole: bool


@dataclass(frozen=True)
class Unparsable:
    """A completion that makes no program: why, at a 1-based line and column of the completion."""

    why: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.why}" if self.line else self.why


def assemble(prompt: str, completion: str, entry_point: str) -> Assembled | Unparsable:
    """The program text of ``completion`` for a task with this ``prompt``, or where it fails to parse."""
    own = _parse(completion)
    if isinstance(own, ast.Module):
        whole = any(isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == entry_point
                    for s in own.body)
    else:
        whole = re.search(rf"^(?:async[ \t]+)?def[ \t]+{re.escape(entry_point)}[ \t]*\(", completion,
                          re.MULTILINE) is not None
        if whole:
            return own
    text = prompt + "\n" + completion if whole else prompt + completion
    assembled = _parse(text)
    if isinstance(assembled, ast.Module):
        return Assembled(text, whole)
    return _in_completion(assembled, prompt + "\n" if whole else prompt)


def _parse(text: str) -> ast.Module | Unparsable:
    try:
        return parse(text)
    except SyntaxError as exc:
        return Unparsable(exc.msg, exc.lineno or 0, exc.offset or 0)
    except (ValueError, RecursionError, MemoryError) as exc:  # a NUL byte; nesting past the parser's limits
        return Unparsable(f"the text cannot be parsed: {exc}", 0, 0)


def _in_completion(error: Unparsable, before: str) -> Unparsable:
    """An error in ``before + completion`` placed in the completion's own lines."""
    lines_before = before.count("\n")
    if error.line == 0:
        return error
    if error.line <= lines_before:
        return Unparsable(f"{error.why} (in the prompt, line {error.line}, once the completion follows it)", 0, 0)
    line = error.line - lines_before
    column = error.column
    if line == 1:  # the completion's first line shares its line with the end of the text before it
        column -= len(before) - (before.rfind("\n") + 1)
    return Unparsable(error.why, line, max(column, 1))
