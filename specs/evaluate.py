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
            try:
                return getattr(o, name)(*vals)
            except (ValueError, TypeError) as exc:  # list.index or str.index of what is not there
                raise Undefined(type(exc).__name__, str(exc), e.loc) from None
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
        case ir.Invoke(function=function, args=args):
            return run_function(function, [evaluate(a, env) for a in args])
        case ir.SliceOf(obj=obj, start=start, stop=stop, step=step):
            o = evaluate(obj, env)
            return o[slice(None if start is None else evaluate(start, env),
                           None if stop is None else evaluate(stop, env), step)]
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
        case ir.Call(fn="chars", args=(text,)):
            return list(evaluate(text, env))
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
    if fn in ("enumerate", "zip", "chars"):
        return list(iterate(e, env))
    if fn == "sorted":
        return sorted(iterate(args[0], env), reverse=_reverse(e))
    if fn in ("str", "bin", "int_of_str", "ord", "chr", "pow"):
        vals = [evaluate(a, env) for a in args]
        conversions: dict[str, Callable[..., Any]] = {"str": str, "bin": bin, "int_of_str": int, "ord": ord,
                                                      "chr": chr, "pow": operator.pow}
        conversion = conversions[fn]
        try:
            return conversion(*vals)
        except (ValueError, TypeError, OverflowError) as exc:
            raise Undefined(type(exc).__name__, str(exc), e.loc) from None
    if fn == "reversed":
        return list(iterate(args[0], env))[::-1]
    if fn == "list":
        return list(iterate(args[0], env))
    raise AssertionError(f"unknown builtin {fn}")


def _reverse(e: ir.Expr) -> bool:
    return isinstance(e, ir.Call) and len(e.args) == 2 and isinstance(e.args[1], ir.Const) and e.args[1].value is True


# --- functions with statements (the program subset) -------------------------------------


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Returned(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class _Unbound:
    """The value of a local not assigned yet: reading it raises UnboundLocalError."""


def run_function(fn: ir.Function, args: list[Any]) -> Any:
    """Run ``fn`` on Python values as CPython runs the code it was compiled from.

    Lists a function changes are copied in at the call (the front end
    refuses aliasing, so no caller sees a change either way).
    """
    env: dict[str, Any] = {name: _fresh(a) for (name, _), a in zip(fn.params, args, strict=True)}
    try:
        _block(fn.body, env)
    except _Returned as r:
        return r.value
    return None


def _fresh(v: Any) -> Any:
    return list(v) if isinstance(v, list) else v


def _block(stmts: tuple[ir.Stmt, ...], env: dict[str, Any]) -> None:
    for s in stmts:
        _stmt(s, env)


def _read(env: dict[str, Any], name: str, loc: ir.Loc) -> Any:
    v = env.get(name, _Unbound)
    if v is _Unbound:
        raise Undefined("UnboundLocalError", f"local variable {name.partition('#')[0]!r} is read before it is assigned",
                        loc)
    return v


def _stmt(s: ir.Stmt, env: dict[str, Any]) -> None:
    match s:
        case ir.Assign(targets=targets, value=value):
            v = evaluate(value, _Reading(env, s.loc))
            if len(targets) == 1:
                env[targets[0]] = v
            else:
                for name, item in zip(targets, v, strict=True):
                    env[name] = item
        case ir.SetItem(name=name, index=index, value=value):
            xs = _read(env, name, s.loc)
            i, v = evaluate(index, _Reading(env, s.loc)), evaluate(value, _Reading(env, s.loc))
            if not -len(xs) <= i < len(xs):
                raise Undefined("IndexError", f"list assignment index {i} out of range for length {len(xs)}", s.loc)
            xs[i] = v
        case ir.Mutate(name=name, method=method, args=margs, target=target):
            xs = _read(env, name, s.loc)
            vals = [evaluate(a, _Reading(env, s.loc)) for a in margs]
            if method == "append":
                xs.append(vals[0])
            elif method == "sort":
                xs.sort(reverse=bool(vals))
            elif method == "extend":
                xs.extend(vals[0])
            elif method == "insert":
                xs.insert(vals[0], vals[1])
            elif method == "remove":
                if vals[0] not in xs:
                    raise Undefined("ValueError", "list.remove(x): x not in list", s.loc)
                xs.remove(vals[0])
            else:
                if not xs or (vals and not -len(xs) <= vals[0] < len(xs)):
                    raise Undefined("IndexError", "pop from empty list" if not xs else "pop index out of range", s.loc)
                popped = xs.pop(*vals)
                if target is not None:
                    env[target] = popped
        case ir.If(cond=cond, body=body, orelse=orelse):
            _block(body if evaluate(cond, _Reading(env, s.loc)) else orelse, env)
        case ir.For(targets=targets, iter=it, body=body):
            for item in list(iterate(it, _Reading(env, s.loc))):
                if len(targets) == 1:
                    env[targets[0]] = item
                else:
                    for name, x in zip(targets, item, strict=True):
                        env[name] = x
                try:
                    _block(body, env)
                except _Continue:
                    continue
                except _Break:
                    break
        case ir.While(cond=cond, body=body):
            while evaluate(cond, _Reading(env, s.loc)):
                try:
                    _block(body, env)
                except _Continue:
                    continue
                except _Break:
                    break
        case ir.Break():
            raise _Break
        case ir.Continue():
            raise _Continue
        case ir.Return(value=value):
            raise _Returned(None if value is None else evaluate(value, _Reading(env, s.loc)))
        case ir.Raise(kind=kind):
            raise Undefined(kind, "raised by the program", s.loc)
        case ir.Evaluate(value=value):
            evaluate(value, _Reading(env, s.loc))
        case _:
            raise AssertionError(f"unknown statement {type(s).__name__}")


class _Reading(Mapping[str, Any]):
    """A function's locals as an expression reads them: an unassigned one raises UnboundLocalError."""

    def __init__(self, env: dict[str, Any], loc: ir.Loc) -> None:
        self.env, self.loc = env, loc

    def __getitem__(self, name: str) -> Any:
        return _read(self.env, name, self.loc)

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)

