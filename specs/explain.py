"""Explanations: why a clause is false, in words a person can act on.

Given a violated clause and the values it ran on, find the smallest part that
fails and say so with the values that make it fail:

* ``all(... for r in range(9) for d in range(1, 10))`` names the first
  bindings where the body is false (``for r=3, d=5``) and explains the body;
* a comparison shows its operands' values (``solution[3].count(5) == 1`` is
  false: ``solution[3].count(5)`` is 2);
* ``a and b`` explains the first false operand; ``implies(a, b)`` explains
  ``b`` (``a`` held); ``any(...)`` says no item satisfied it;
* an error names CPython's exception and where it struck.

This runs only on refuted proposals, so it may be slow; it never decides a
verdict.
"""

from __future__ import annotations

import ast
import linecache
from collections.abc import Mapping
from typing import Any

from . import ir
from .evaluate import Undefined, bindings, evaluate, iterate
from .show import show_value
from .time_limit import limited

__all__ = ["explain_clause", "show_value"]


def explain_clause(clause: ir.Clause, env: Mapping[str, Any]) -> str:
    """A sentence saying why ``clause`` does not hold on ``env`` (which it must not).

    Under the evaluation time limit (:mod:`.time_limit`): the explanation
    evaluates the clause's parts again, as long as the spec ran.
    """
    return limited(f"explaining the clause at line {clause.loc.line}", lambda: _why(clause.expr, dict(env)))


def _display(name: str) -> str:
    return name.split("#", 1)[0]


def _src(e: ir.Expr) -> str:
    """The expression as the spec's author wrote it (from its location), else rendered from the IR."""
    loc = e.loc
    lines = [linecache.getline(loc.file, n) for n in range(loc.line, loc.end_line + 1)]
    if lines and all(lines) and loc.line:
        raw = [ln.encode() for ln in lines]
        if len(raw) == 1:
            text = raw[0][loc.col:loc.end_col]
        else:
            text = raw[0][loc.col:] + b"".join(raw[1:-1]) + raw[-1][:loc.end_col]
        rendered = " ".join(text.decode(errors="replace").split())
        if rendered:
            return rendered
    return _render(e)


def _why(e: ir.Expr, env: dict[str, Any]) -> str:
    """Why ``e``, known to be false or to raise under ``env``, is so.

    Each node is evaluated once on the way down: the explanation descends
    into the part that fails instead of re-evaluating the whole from the top.
    """
    match e:
        case ir.Let(name=name, value=v, body=body):
            try:
                value = evaluate(v, env)
            except Undefined as exc:
                return _raised(exc)
            return _why(body, {**env, name: value})
        case ir.Call(fn="all", args=(ir.Comprehension() as it,)):
            return _why_all(it, env)
        case ir.Call(fn="any", args=(it,)):
            shown = _src(it.elt) if isinstance(it, ir.Comprehension) else _src(it)
            return _or_raised(e, env, f"no item satisfies `{shown}`")
        case ir.BoolOp(op="and", args=args):
            for a in args:
                try:
                    if evaluate(a, env) is not True:
                        return _why(a, env)
                except Undefined:
                    return _why(a, env)
        case ir.BoolOp(op="or", args=args):
            return "none holds: " + "; ".join(_why(a, env) for a in args)
        case ir.Call(fn="implies", args=(a, b)):
            try:  # a function: both sides are evaluated, whatever the first gives
                evaluate(a, env)
                evaluate(b, env)
            except Undefined as exc:
                return _raised(exc)
            return f"`{_src(a)}` holds but {_why(b, env)}"
        case ir.Call(fn="distinct", args=(it,)):
            return _why_distinct(it, env)
        case ir.UnOp(op="not", arg=a):
            return _or_raised(a, env, f"`{_src(a)}` holds, and it must not")
        case ir.Compare(ops=ops, operands=operands):
            return _why_compare(e, ops, operands, env)
    return _or_raised(e, env, f"`{_src(e)}` is false")


def _why_all(it: ir.Comprehension, env: dict[str, Any]) -> str:
    inner: dict[str, Any] = env
    try:
        for inner in bindings(it.generators, env):
            try:
                ok = evaluate(it.elt, inner) is True
            except Undefined:
                ok = False
            if not ok:
                return f"fails for {_bindings_text(it.generators, inner)}: {_why(it.elt, inner)}"
    except Undefined as exc:  # raised by an iterable or a filter
        return f"fails after {_bindings_text(it.generators, inner)}: {_raised(exc)}"
    return f"`{_src(it)}` has no failing item (inconsistent evaluation)"


def _why_compare(e: ir.Expr, ops: tuple[str, ...], operands: tuple[ir.Expr, ...], env: dict[str, Any]) -> str:
    try:
        left = evaluate(operands[0], env)
        for i, op in enumerate(ops):
            right = evaluate(operands[i + 1], env)
            one = ir.Compare((op,), (ir.Const(left, type=operands[i].type, loc=e.loc),
                                     ir.Const(right, type=operands[i + 1].type, loc=e.loc)),
                             type=ir.BOOL, loc=e.loc)
            if not evaluate(one, env):
                shown = [f"`{_src(x)}` is {show_value(v)}"
                         for x, v in ((operands[i], left), (operands[i + 1], right))
                         if not isinstance(x, ir.Const)]
                part = f"`{_operand(operands[i])} {op} {_operand(operands[i + 1])}` is false"
                return part + (": " + ", ".join(shown) if shown else "")
            left = right
    except Undefined as exc:
        return _raised(exc)
    return f"`{_src(e)}` is false"


def _operand(x: ir.Expr) -> str:
    """An operand's text inside a comparison written out again: in parentheses where it binds more loosely."""
    text = _src(x)
    loose = isinstance(x, ir.IfExp | ir.BoolOp | ir.Compare) or (isinstance(x, ir.UnOp) and x.op == "not")
    return f"({text})" if loose and not (text.startswith("(") and text.endswith(")")) else text


def _why_distinct(it: ir.Expr, env: dict[str, Any]) -> str:
    try:
        items = list(iterate(it, env))
    except Undefined as exc:
        return _raised(exc)
    seen: dict[Any, int] = {}
    for i, v in enumerate(items):
        if v in seen:
            return f"`{_src(it)}` holds {show_value(v)} twice (items {seen[v]} and {i})"
        seen[v] = i
    return f"`{_src(it)}` is all different"


def _or_raised(e: ir.Expr, env: dict[str, Any], otherwise: str) -> str:
    try:
        evaluate(e, env)
    except Undefined as exc:
        return _raised(exc)
    return otherwise


def _raised(exc: Undefined) -> str:
    return (f"raises {exc.kind} at line {exc.loc.line}, column {exc.loc.col + 1}: {exc.message} "
            "(a clause that raises in Python is false)")


def _bindings_text(gens: tuple[ir.Generator, ...], env: Mapping[str, Any]) -> str:
    parts = [f"{_display(t)}={show_value(env[t])}" for g in gens for t in g.targets if t in env]
    return ", ".join(parts) or "an item"


# --- rendering IR back to Python-like text ------------------------------------

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 6, "-": 6, "*": 7, "//": 7, "%": 7,
         "neg": 8, "**": 9}


def _render(e: ir.Expr) -> str:
    return _r(e)


def _r(e: ir.Expr, parent: int = 0) -> str:
    def wrap(text: str, prec: int) -> str:
        return f"({text})" if prec < parent else text

    match e:
        case ir.Const(value=v):
            return show_value(v)
        case ir.Var(name=n):
            return _display(n)
        case ir.UnOp(op="not", arg=a):
            return wrap(f"not {_r(a, 3)}", 3)
        case ir.UnOp(op=op, arg=a):
            return wrap(f"{op}{_r(a, 8)}", 8)
        case ir.BinOp(op=op, left=l, right=r):
            p = _PREC[op]
            return wrap(f"{_r(l, p)} {op} {_r(r, p + 1)}", p)
        case ir.BoolOp(op=op, args=args):
            p = _PREC[op]
            return wrap(f" {op} ".join(_r(a, p + 1) for a in args), p)
        case ir.Compare(ops=ops, operands=operands):
            text = _r(operands[0], 5)
            for op, o in zip(ops, operands[1:], strict=True):
                text += f" {op} {_r(o, 5)}"
            return wrap(text, 4)
        case ir.IfExp(cond=c, then=t, orelse=o):
            return wrap(f"{_r(t, 1)} if {_r(c, 1)} else {_r(o, 0)}", 0)
        case ir.Call(fn=fn, args=args):
            return f"{fn}({', '.join(_r(a) for a in args)})"
        case ir.Method(name=name, obj=o, args=args):
            return f"{_r(o, 10)}.{name}({', '.join(_r(a) for a in args)})"
        case ir.Index(obj=o, index=i):
            return f"{_r(o, 10)}[{_r(i)}]"
        case ir.Attr(obj=o, name=name):
            return f"{_r(o, 10)}.{name}"
        case ir.ListLit(items=items):
            return "[" + ", ".join(_r(i) for i in items) + "]"
        case ir.TupleLit(items=items):
            return "(" + ", ".join(_r(i) for i in items) + ("," if len(items) == 1 else "") + ")"
        case ir.RangeIter(start=s, stop=t, step=step):
            parts = [_r(s), _r(t)] + ([str(step)] if step != 1 else [])
            return f"range({', '.join(parts)})"
        case ir.Comprehension(kind=kind, elt=elt, generators=gens):
            fors = " ".join(
                f"for {', '.join(_display(t) for t in g.targets)} in {_r(g.iter)}"
                + "".join(f" if {_r(c)}" for c in g.conds) for g in gens)
            inner = f"{_r(elt)} {fors}"
            return f"[{inner}]" if kind == "list" else f"({inner})"
        case ir.Let(name=n, value=v, body=b):
            return f"{_r(b, parent)}"
    return ast.unparse(ast.Constant(value=type(e).__name__))
