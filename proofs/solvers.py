"""The recheck's own solver runs: fresh z3 and cvc5 instances, nothing shared with the kernel.

Deliberately a second, small implementation: a certificate is only as good as
the path that rechecks it, and that path must not be the kernel's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.specs.queries import Query

__all__ = ["both_unsat"]


def both_unsat(query: Query, *, timeout: float) -> tuple[bool, str]:
    """Whether z3 and cvc5 each, in a fresh instance, answer exactly ``unsat``."""
    answers = {"z3": _z3(query, timeout), "cvc5": _cvc5(query, timeout)}
    if all(a == "unsat" for a in answers.values()):
        return True, "unsat on z3 and cvc5"
    return False, ", ".join(f"{name} says {a}" for name, a in answers.items())


def _z3(query: Query, timeout: float) -> str:
    import z3
    from assay.specs import smt

    try:
        ctx = z3.Context()
        s = z3.Solver(ctx=ctx)
        s.set("timeout", max(1, int(timeout * 1000)))
        for t in query.assertions:
            s.add(smt.to_z3(t, ctx))
        return str(s.check())
    except Exception as exc:
        return f"error ({type(exc).__name__}: {exc})"


def _cvc5(query: Query, timeout: float) -> str:
    import cvc5
    from assay.specs import smt

    try:
        tm = cvc5.TermManager()
        s = cvc5.Solver(tm)
        s.setOption("tlimit-per", str(max(1, int(timeout * 1000))))
        s.setLogic("ALL")
        symbols: dict[str, Any] = {}
        for t in query.assertions:
            s.assertFormula(smt.to_cvc5(tm, t, symbols))
        r = s.checkSat()
        return "unsat" if r.isUnsat() else ("sat" if r.isSat() else "unknown")
    except Exception as exc:
        return f"error ({type(exc).__name__}: {exc})"
