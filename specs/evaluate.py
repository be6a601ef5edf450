"""The concrete evaluator: runs the spec IR on Python values, with CPython's semantics.

Every operator is computed by CPython's own operator on the same values, so
the evaluator cannot drift from Python on arithmetic; what it adds is the
order of evaluation, short-circuiting, and the rule for errors.  An operation
that raises in CPython (``ZeroDivisionError``, ``IndexError``, ``ValueError``
from ``min([])``) raises :class:`Undefined` here, carrying where and why; a
clause that raises is violated (see :func:`clause_holds`).

Nothing here executes spec or proposal text: the IR is data, interpreted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import ir

__all__ = ["ClauseResult", "Undefined", "clause_holds", "evaluate", "iterate"]


class Undefined(Exception):
    """Evaluation hit an operation that raises in CPython.

    ``kind`` is the CPython exception's name, ``loc`` the construct that raised.
    """

    def __init__(self, kind: str, message: str, loc: ir.Loc) -> None:
        super().__init__(f"line {loc.line}: {kind}: {message}")
        self.kind = kind
        self.message = message
        self.loc = loc


@dataclass(frozen=True)
class ClauseResult:
    holds: bool
    error: Undefined | None = None


Env = Mapping[str, Any]

_BIN: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
    "%": operator.mod, "**": operator.pow,
}
_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
}


def clause_holds(clause: ir.Clause, env: Env) -> ClauseResult:
    """Evaluate one clause: it holds when it evaluates to ``True`` without raising."""
    try:
        return ClauseResult(evaluate(clause.expr, env) is True)
    except Undefined as exc:
        return ClauseResult(False, exc)


def evaluate(e: ir.Expr, env: Env) -> Any:
    """The value of ``e`` under ``env`` (a mapping from IR names to Python values)."""
    match e:
        case ir.Const(value=v):
            return v
        case ir.Var(name=name):
            return env[name]
        case ir.UnOp(op=op, arg=arg):
            v = evaluate(arg, env)
            return (not v) if op == "not" else (-v if op == "-" else +v)
        case ir.BinOp(op=op, left=left, right=right):
            a = evaluate(left, env)
            b = evaluate(right, env)
            try:
                return _BIN[op](a, b)
            except ZeroDivisionError:
                raise Undefined("ZeroDivisionError",
                                f"{'integer division' if op == '//' else 'modulo'} by zero", e.loc) from None
        case ir.BoolOp(op=op, args=args):
            if op == "and":
                return all(evaluate(a, env) for a in args)
            return any(evaluate(a, env) for a in args)
        case ir.Compare(ops=ops, operands=operands):
            left = evaluate(operands[0], env)
            for op, right_e in zip(ops, operands[1:], strict=True):
                right = evaluate(right_e, env)
                if not _CMP[op](left, right):
                    return False
                left = right
            return True
        case ir.IfExp(cond=c, then=t, orelse=o):
            return evaluate(t, env) if evaluate(c, env) else evaluate(o, env)
        case ir.Call(fn=fn, args=args):
            return _call(e, fn, args, env)
        case ir.Method(name=name, obj=obj, args=args):
            o = evaluate(obj, env)
            vals = [evaluate(a, env) for a in args]
            return getattr(o, name)(*vals)
        case ir.Index(obj=obj, index=index):
            o = evaluate(obj, env)
            i = evaluate(index, env)
            try:
                return o[i]
            except IndexError:
                raise Undefined("IndexError", f"index {i} is out of range for length {len(o)}",
                                e.loc) from None
        case ir.Attr(obj=obj, name=name):
            return getattr(evaluate(obj, env), name)
        case ir.ListLit(items=items):
            return [evaluate(i, env) for i in items]
        case ir.TupleLit(items=items):
            return tuple(evaluate(i, env) for i in items)
        case ir.RangeIter():
            return iterate(e, env)
        case ir.Comprehension(kind=kind):
            gen = _comprehension(e, env)
            return gen if kind == "gen" else list(gen)
        case ir.Let(name=name, value=value, body=body):
            return evaluate(body, {**env, name: evaluate(value, env)})
    raise AssertionError(f"unknown IR node {type(e).__name__}")


def iterate(e: ir.Expr, env: Env) -> Iterable[Any]:
    """The items an iterable expression yields, lazily where CPython is lazy."""
    match e:
        case ir.RangeIter(start=start, stop=stop, step=step):
            return range(evaluate(start, env), evaluate(stop, env), step)
        case ir.Call(fn="enumerate", args=(xs,)):
            return enumerate(iterate(xs, env))
        case ir.Call(fn="zip", args=args):
            return zip(*(iterate(a, env) for a in args), strict=False)
        case ir.Comprehension(kind=kind):
            # A list comprehension is built in full (every element evaluated) before
            # anything iterates it; only a generator is lazy.
            gen = _comprehension(e, env)
            return gen if kind == "gen" else list(gen)
    return evaluate(e, env)  # type: ignore[no-any-return]


def bindings(gens: tuple[ir.Generator, ...], env: Env) -> Iterator[dict[str, Any]]:
    """Each environment a comprehension's ``for``/``if`` clauses produce, in CPython's order."""
    if not gens:
        yield dict(env)
        return
    g, rest = gens[0], gens[1:]
    for item in iterate(g.iter, env):
        if len(g.targets) == 1:
            inner = {**env, g.targets[0]: item}
        else:
            inner = {**env, **dict(zip(g.targets, item, strict=True))}
        if all(evaluate(c, inner) for c in g.conds):
            yield from bindings(rest, inner)


def _comprehension(e: ir.Comprehension, env: Env) -> Iterator[Any]:
    for inner in bindings(e.generators, env):
        yield evaluate(e.elt, inner)


def _call(e: ir.Expr, fn: str, args: tuple[ir.Expr, ...], env: Env) -> Any:
    if fn == "all":
        return all(iterate(args[0], env))
    if fn == "any":
        return any(iterate(args[0], env))
    if fn == "sum":
        items = iterate(args[0], env)
        return sum(items, evaluate(args[1], env)) if len(args) == 2 else sum(items)
    if fn == "len":
        return len(iterate(args[0], env))  # type: ignore[arg-type]
    if fn == "abs":
        return abs(evaluate(args[0], env))
    if fn in ("min", "max"):
        f = min if fn == "min" else max
        if len(args) == 1:
            items = list(iterate(args[0], env))
            if not items:
                raise Undefined("ValueError", f"{fn}() of an empty sequence", e.loc)
            return f(items)
        return f(*(evaluate(a, env) for a in args))
    if fn == "divmod":
        a, b = evaluate(args[0], env), evaluate(args[1], env)
        if b == 0:
            raise Undefined("ZeroDivisionError", "divmod by zero", e.loc)
        return divmod(a, b)
    if fn == "distinct":
        items = list(iterate(args[0], env))
        return len(set(items)) == len(items)
    if fn == "implies":
        a, b = evaluate(args[0], env), evaluate(args[1], env)
        return (not a) or b
    if fn in ("enumerate", "zip"):
        return list(iterate(e, env))
    raise AssertionError(f"unknown builtin {fn}")

