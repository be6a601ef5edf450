"""Symbolic execution of the program subset's statements (:class:`~.ir.Function`), with CPython's meaning.

A function's body runs over symbolic values with *guarded updates*: every
statement changes the state only where its path is still running, so the
two branches of an ``if`` run one after the other under their conditions and
need no merging.  A path stops running when it returns, raises, leaves its
loop (``break``) or its iteration (``continue``); the state holds each of
these as a Bool term:

* ``ret``: the path has returned (its value is in ``value``);
* ``err``: the path has raised (an exception CPython raises there: an index
  out of range, a division by zero, ``pop`` from an empty list, a name read
  before it is assigned, ``raise``, a failed ``assert``...);
* ``exceeded``: a ``while`` loop was still running after :data:`WHILE_BOUND`
  iterations: what happens next is not encoded, and a claim that rests on
  such a path is not proved (the kernel says UNKNOWN, never a silent cut);
* ``brk`` / ``cont``: the innermost loop was left, or its iteration.

``for`` unrolls the iterable's steps (a list or string of bounded length, a
``range`` over bounded ints); each step runs under the condition that it is
present.  Expressions are encoded by :class:`~.symbolic._Encoder`, with their
own error terms.  A function that ends without ``return`` returns None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from . import ir
from . import terms as T
from .terms import Term, Unsupported

if TYPE_CHECKING:
    from .symbolic import SymList, Value, _Encoder

__all__ = ["WHILE_BOUND", "Outcome", "call"]

#: How many iterations of a ``while`` loop are encoded; a path still looping after them is ``exceeded``.
WHILE_BOUND: Final = 32


@dataclass(frozen=True)
class Outcome:
    """What a call does: its value (where it returns one), and when it raises, returns None or runs past a bound."""

    value: Value
    raised: Term
    returned_none: Term
    exceeded: Term


@dataclass
class _State:
    env: dict[str, Value]
    defined: dict[str, Term]
    ret: Term = T.FALSE
    value: Value | None = None
    none: Term = T.FALSE  # returned by a bare ``return``
    err: Term = T.FALSE
    exceeded: Term = T.FALSE
    brk: Term = T.FALSE
    cont: Term = T.FALSE
    locals: dict[str, ir.Type] = field(default_factory=dict)


def call(fn: ir.Function, args: Sequence[Value], encoder: _Encoder) -> Outcome:
    """Run ``fn`` on ``args`` symbolically."""
    from .symbolic import _default

    state = _State({}, {})
    for (name, t), a in zip(fn.params, args, strict=True):
        state.env[name] = a
        state.defined[name] = T.TRUE
        state.locals[name] = t
    _collect_locals(fn.body, state.locals)
    for name, t in state.locals.items():
        if name not in state.env:
            state.env[name] = _default(t)
            state.defined[name] = T.FALSE
    _Runner(encoder, state).block(fn.body, T.TRUE)
    fell_off = T.not_(T.or_(state.ret, state.err, state.exceeded))
    value = state.value if state.value is not None and fn.returns != ir.NONE else _default(
        ir.BOOL if fn.returns == ir.NONE else fn.returns)
    return Outcome(value, state.err, T.or_(state.none, fell_off), state.exceeded)


def _collect_locals(stmts: Sequence[ir.Stmt], out: dict[str, ir.Type]) -> None:
    """Add the type of every local a body assigns to ``out`` (which holds the parameters' already)."""
    for s in stmts:
        match s:
            case ir.Assign(targets=targets, value=value):
                if len(targets) == 1:
                    out.setdefault(targets[0], value.type)
                elif isinstance(value.type, ir.TupleT):
                    for name, t in zip(targets, value.type.items, strict=True):
                        out.setdefault(name, t)
            case ir.Mutate(target=target, name=name) if target is not None:
                lst = out.get(name)
                out.setdefault(target, lst.elem if isinstance(lst, ir.ListT) else ir.INT)
            case ir.For(targets=targets, iter=it, body=body):
                elem = it.type.elem if isinstance(it.type, ir.ListT) else ir.INT
                if len(targets) == 1:
                    out.setdefault(targets[0], elem)
                elif isinstance(elem, ir.TupleT):
                    for name, t in zip(targets, elem.items, strict=True):
                        out.setdefault(name, t)
                _collect_locals(body, out)
            case ir.If(body=body, orelse=orelse):
                _collect_locals(body, out)
                _collect_locals(orelse, out)
            case ir.While(body=body):
                _collect_locals(body, out)


class _Runner:
    def __init__(self, encoder: _Encoder, state: _State) -> None:
        self.enc = encoder
        self.s = state

    # -- the state's flags -----------------------------------------------------------------

    def active(self, pc: Term) -> Term:
        s = self.s
        return T.and_(pc, T.not_(T.or_(s.ret, s.err, s.brk, s.cont, s.exceeded)))

    def raise_(self, active: Term, cond: Term) -> Term:
        """Record that the path raises where ``active`` and ``cond`` hold; the path still running after."""
        if cond is not T.FALSE:
            self.s.err = T.or_(self.s.err, T.and_(active, cond))
        return T.and_(active, T.not_(cond))

    def expr(self, e: ir.Expr) -> tuple[Value, Term]:
        """``e``'s value and error, with a read of a local not yet assigned raising (UnboundLocalError)."""
        v, err = self.enc.expr(e, self.s.env)
        unbound = [T.not_(self.s.defined[n]) for n in _reads(e) if n in self.s.defined
                   and self.s.defined[n] is not T.TRUE]
        return v, T.or_(err, *unbound)

    def assign(self, name: str, v: Value, active: Term) -> None:
        from .symbolic import _ite

        old = self.s.env[name]
        self.s.env[name] = _ite(active, v, old)
        self.s.defined[name] = T.or_(self.s.defined[name], active)

    # -- statements ------------------------------------------------------------------------------

    def block(self, stmts: Sequence[ir.Stmt], pc: Term) -> None:
        for stmt in stmts:
            self.stmt(stmt, pc)

    def stmt(self, s: ir.Stmt, pc: Term) -> None:
        match s:
            case ir.Assign(targets=targets, value=value):
                act = self.active(pc)
                v, err = self.expr(value)
                act = self.raise_(act, err)
                if len(targets) == 1:
                    self.assign(targets[0], v, act)
                else:
                    assert isinstance(v, tuple)
                    for name, item in zip(targets, v, strict=True):
                        self.assign(name, item, act)
            case ir.SetItem(name=name, index=index, value=value):
                self._set_item(name, index, value, pc)
            case ir.Mutate():
                self._mutate(s, pc)
            case ir.If(cond=cond, body=body, orelse=orelse):
                c, err = self.expr(cond)
                self.raise_(self.active(pc), err)
                ct = _term(c)
                self.block(body, T.and_(pc, ct))
                self.block(orelse, T.and_(pc, T.not_(ct)))
            case ir.For(targets=targets, iter=it, body=body):
                self._for(targets, it, body, pc)
            case ir.While(cond=cond, body=body):
                self._while(cond, body, pc)
            case ir.Break():
                self.s.brk = T.or_(self.s.brk, self.active(pc))
            case ir.Continue():
                self.s.cont = T.or_(self.s.cont, self.active(pc))
            case ir.Return(value=value):
                self._return(value, pc)
            case ir.Raise():
                self.s.err = T.or_(self.s.err, self.active(pc))
            case ir.Evaluate(value=value):
                _, err = self.expr(value)
                self.raise_(self.active(pc), err)
            case _:
                raise Unsupported(f"line {s.loc.line}: no encoding for the statement {type(s).__name__}")

    def _return(self, value: ir.Expr | None, pc: Term) -> None:
        from .symbolic import _ite

        act = self.active(pc)
        if value is not None:
            v, err = self.expr(value)
            act = self.raise_(act, err)
            self.s.value = v if self.s.value is None else _ite(act, v, self.s.value)
        else:
            self.s.none = T.or_(self.s.none, act)
        self.s.ret = T.or_(self.s.ret, act)

    def _for(self, targets: tuple[str, ...], it: ir.Expr, body: tuple[ir.Stmt, ...], pc: Term) -> None:
        act = self.active(pc)
        stream = self.enc.stream(it, self.s.env)
        unbound = [T.not_(self.s.defined[n]) for n in _reads(it) if n in self.s.defined
                   and self.s.defined[n] is not T.TRUE]
        self.raise_(act, T.or_(stream.init_err, *unbound))
        outer_brk = self.s.brk
        self.s.brk = T.FALSE
        for step in stream.steps:
            self.raise_(self.active(pc), step.err)
            here = T.and_(pc, step.present)
            act = self.active(here)
            if len(targets) == 1:
                self.assign(targets[0], step.value, act)
            else:
                assert isinstance(step.value, tuple)
                for name, item in zip(targets, step.value, strict=True):
                    self.assign(name, item, act)
            self.s.cont = T.FALSE
            self.block(body, here)
            self.s.cont = T.FALSE
        self.s.brk = outer_brk

    def _while(self, cond: ir.Expr, body: tuple[ir.Stmt, ...], pc: Term) -> None:
        outer_brk = self.s.brk
        self.s.brk = T.FALSE
        here = pc
        for _ in range(WHILE_BOUND):
            c, err = self.expr(cond)
            self.raise_(self.active(here), err)
            here = T.and_(here, _term(c))
            self.s.cont = T.FALSE
            self.block(body, here)
            self.s.cont = T.FALSE
        c, err = self.expr(cond)
        act = self.raise_(self.active(here), err)
        self.s.exceeded = T.or_(self.s.exceeded, T.and_(act, _term(c)))
        self.s.brk = outer_brk

    # -- lists changed in place -----------------------------------------------------------------

    def _list(self, name: str, pc: Term) -> tuple[SymList, Term]:
        """The list variable ``name``, compacted, and the path still running once reading it (it may be unbound)."""
        from .symbolic import SymList as _SymList
        from .symbolic import _compact

        act = self.active(pc)
        act = self.raise_(act, T.not_(self.s.defined[name]))
        xs = self.s.env[name]
        assert isinstance(xs, _SymList)
        return _compact(xs), act

    def _set_item(self, name: str, index: ir.Expr, value: ir.Expr, pc: Term) -> None:
        from .symbolic import SymList, _ite, _normalize_index, list_len

        xs, act = self._list(name, pc)
        i, ierr = self.expr(index)
        v, verr = self.expr(value)
        pos, out = _normalize_index(_term(i), list_len(xs))
        act = self.raise_(act, T.or_(ierr, verr, out))
        slots = tuple((g, _ite(T.and_(act, T.eq(pos, T.int_const(k))), v, x)) for k, (g, x) in enumerate(xs.slots))
        self.s.env[name] = SymList(slots, True, xs.length)

    def _mutate(self, m: ir.Mutate, pc: Term) -> None:
        from .symbolic import SymList, _const_int, _ite, _normalize_index, _select, list_len

        xs, act = self._list(m.name, pc)
        args = [self.expr(a) for a in m.args]
        act = self.raise_(act, T.or_(*(err for _, err in args)))
        n = list_len(xs)
        one = T.int_const(1)
        if m.method == "append":
            # The item goes to position len(xs), which is the slot past the last only when every slot is
            # present: after a conditional append the slots outnumber the items.
            v, grown = args[0][0], T.add(n, one)
            if _const_int(n) == len(xs.slots):
                new = SymList((*xs.slots, (T.TRUE, v)), True, grown)
            else:
                new = SymList((*((T.lt(T.int_const(k), grown), _ite(T.eq(n, T.int_const(k)), v, x))
                                 for k, (_, x) in enumerate(xs.slots)),
                               (T.lt(T.int_const(len(xs.slots)), grown), v)), True, grown)
        elif m.method == "extend":
            other = args[0][0]
            assert isinstance(other, SymList)
            joined = (*xs.slots, *other.slots)
            length = None if other.length is None else T.add(n, other.length)
            from .symbolic import _compact

            new = _compact(SymList(joined, False, length))
        elif m.method == "insert":
            i, v = _term(args[0][0]), args[1][0]
            # insert clamps its position into 0..len, and never raises.
            neg = T.add(i, n)
            pos = T.ite(T.lt(i, T.int_const(0)), T.ite(T.lt(neg, T.int_const(0)), T.int_const(0), neg),
                        T.ite(T.lt(n, i), n, i))
            slots = []
            items = [x for _, x in xs.slots]
            for k in range(len(items) + 1):
                before = items[k] if k < len(items) else v
                after = items[k - 1] if k > 0 else v
                kk = T.int_const(k)
                slots.append((T.lt(T.int_const(k), T.add(n, one)),
                              _ite(T.lt(kk, pos), before, _ite(T.eq(kk, pos), v, after))))
            new = SymList(tuple(slots), True, T.add(n, one))
        elif m.method == "remove":
            from .symbolic import equals

            # The first item equal to the argument goes; ValueError when there is none.
            x = args[0][0]
            items = [v for _, v in xs.slots]
            pos = T.int_const(-1)
            for k in reversed(range(len(items))):
                pos = T.ite(T.and_(xs.slots[k][0], equals(items[k], x)), T.int_const(k), pos)
            act = self.raise_(act, T.eq(pos, T.int_const(-1)))
            slots = [(T.lt(T.int_const(k), T.sub(n, one)),
                      _ite(T.lt(T.int_const(k), pos), items[k], items[k + 1] if k + 1 < len(items) else items[k]))
                     for k in range(len(items) - 1)]
            new = SymList(tuple(slots), True, T.sub(n, one)) if items else xs
        elif m.method == "sort":
            from .symbolic import _sorted

            new = _sorted(xs, descending=bool(m.args))
        elif m.method == "pop":
            items = [x for _, x in xs.slots]
            if m.args:
                pos, out = _normalize_index(_term(args[0][0]), n)
            else:
                pos, out = T.sub(n, one), T.eq(n, T.int_const(0))
            act = self.raise_(act, out)
            if not items:
                new, popped = xs, None
            else:
                popped = _select(items, pos)
                slots = [(T.lt(T.int_const(k), T.sub(n, one)),
                          _ite(T.lt(T.int_const(k), pos), items[k], items[k + 1] if k + 1 < len(items) else items[k]))
                         for k in range(len(items) - 1)]
                new = SymList(tuple(slots), True, T.sub(n, one))
            if m.target is not None and popped is not None:
                self.assign(m.target, popped, act)
        else:
            raise Unsupported(f"line {m.loc.line}: no encoding for list.{m.method}")
        self.s.env[m.name] = _ite(act, new, xs)


def _term(v: object) -> Term:
    assert isinstance(v, Term), v
    return v


def _reads(e: ir.Expr) -> set[str]:
    """The names of variables ``e`` reads (comprehension variables included; callers keep only locals)."""
    out: set[str] = set()
    stack: list[object] = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, ir.Var):
            out.add(n.name)
        elif isinstance(n, ir.Invoke):
            stack.extend(n.args)
        elif isinstance(n, ir.Expr | ir.Generator):
            for f in getattr(n, "__dataclass_fields__", {}):
                if f in ("type", "loc"):
                    continue
                v = getattr(n, f)
                if isinstance(v, ir.Expr | ir.Generator):
                    stack.append(v)
                elif isinstance(v, tuple):
                    stack.extend(x for x in v if isinstance(x, ir.Expr | ir.Generator))
    return out
