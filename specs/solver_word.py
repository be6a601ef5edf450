"""The one reader of a solver's answer: only exactly ``sat`` and ``unsat`` are answers.

z3 (``str(Solver.check())``) and cvc5 (``str(Solver.checkSat())``) give
their answer to a ``check-sat`` as a word: ``sat``, ``unsat``, or
``unknown`` (cvc5 adds its explanation: ``unknown (INCOMPLETE)``), as SMT-LIB
2.6 defines the response.  Every path that asks a solver (the kernel's worker
pool and its in-process fallback, the recheck's fresh processes and fresh
instances) hands the raw word to :func:`read_word` and lets it alone say
what the word means.  Anything but exactly ``sat`` or ``unsat``, another
case, a space, a second line, an error text, no word at all, is ``unknown``
with its reason: no unknown ever becomes an answer here.

It lives in the bottom layer so that ``assay.kernel`` and ``assay.proofs``,
which may not import each other, read answers with the same function.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Status", "read_word"]

Status = Literal["sat", "unsat", "unknown"]


def read_word(raw: object, reason: str = "") -> tuple[Status, str]:
    """What a solver's raw answer means: ``(status, reason)``.

    ``reason`` is what the solver or its worker said about an answer that is
    not one (``timeout``, ``memout: ...``); it is dropped for ``sat`` and
    ``unsat``, and made up from the word itself when there is none.
    """
    if type(raw) is str and raw == "sat":
        return "sat", ""
    if type(raw) is str and raw == "unsat":
        return "unsat", ""
    return "unknown", reason or f"solver said {raw!r}"
