"""The spec front end: a spec function's Python source, checked and lowered to the IR.

It reads the source with :mod:`ast`, refuses every construct outside the
subset with its file, line, column and a hint, type-checks what remains, and
lowers it to :mod:`assay.specs.ir`.  Helper functions defined in the spec's
module are inlined at their call sites.  It also compiles each clause into a
CPython function of its own, so that a violated clause is decided by CPython
(:meth:`~assay.specs.spec.Spec.violated_clauses`).
"""

from __future__ import annotations

import ast
import builtins
import copy
import enum
import hashlib
import inspect
import textwrap
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import ir
from .domains import (
    INPUT,
    OUTPUT,
    PROPOSAL,
    BoolDomain,
    Domain,
    DomainError,
    EnumDomain,
    IntDomain,
    ListDomain,
    RecordDomain,
    StrDomain,
    TupleDomain,
    domain_of,
    split_role,
)
from .equality import compared_fields, equality_refusal
from .errors import InvalidSpec, SpecLoadError
from .show import show_int
from .spec import Param, Spec, distinct, implies

__all__ = ["Built", "build"]


def build(owner: Spec) -> Built:
    """The parameters, IR, source hash and clause functions of ``owner``, or InvalidSpec."""
    return _Frontend(owner).build()


_HINTS: dict[type, str] = {
    ast.For: "write all(... for x in ...) or any(...) instead of a for loop",
    ast.While: "write all(... for i in range(n)) instead of a while loop",
    ast.If: "write an if-expression, `a if cond else b`, or fold the condition into the clause",
    ast.Assert: "make the condition a clause of the returned `and` expression",
    ast.Lambda: "define a helper function in the same module",
    ast.Dict: "use a dataclass or a list of tuples",
    ast.DictComp: "use a list comprehension",
    ast.Set: "use a list and `in`, or count with sum(...)",
    ast.SetComp: "use a list comprehension",
    ast.Slice: "index single items, for example all(xs[i] ... for i in range(a, b))",
    ast.JoinedStr: "compare with string literals and `+` instead of f-strings",
    ast.Await: "specs are plain functions",
    ast.Yield: "specs are plain functions",
    ast.NamedExpr: "use a local assignment before the return",
    ast.Starred: "pass arguments explicitly",
    ast.Try: "an error in a clause already makes it false; no try is needed",
    ast.With: "specs are pure expressions",
}

_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%",
          ast.Pow: "**"}
_CMP = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.In: "in", ast.NotIn: "not in"}
_BUILTIN_CALLS = {"abs", "min", "max", "sum", "len", "all", "any", "divmod"}
_MAX_INLINE_DEPTH = 32


def _type_of_domain(d: Domain) -> ir.Type:
    match d:
        case IntDomain():
            return ir.INT
        case BoolDomain():
            return ir.BOOL
        case StrDomain():
            return ir.STR
        case EnumDomain(cls=cls):
            return ir.EnumT(cls)
        case ListDomain(elem=e):
            return ir.ListT(_type_of_domain(e))
        case TupleDomain(items=items):
            return ir.TupleT(tuple(_type_of_domain(i) for i in items))
        case RecordDomain(cls=cls, fields=fields):
            return ir.RecordT(cls, tuple((n, _type_of_domain(fd)) for n, fd in fields))
    raise AssertionError(f"unhandled domain {d!r}")


def _type_of_value(v: Any) -> ir.Type | None:
    """The IR type of a module-level constant, or None if it is not a supported constant."""
    if isinstance(v, bool):
        return ir.BOOL
    if isinstance(v, int):
        return ir.INT
    if isinstance(v, str):
        return ir.STR
    if isinstance(v, enum.Enum):
        return ir.EnumT(type(v))
    if isinstance(v, tuple):
        items = [_type_of_value(x) for x in v]
        if any(t is None for t in items):
            return None
        return ir.TupleT(tuple(t for t in items if t is not None))
    return None


class _Scope:
    """Names visible at a point: IR name and type for each Python name."""

    def __init__(self, names: dict[str, tuple[str, ir.Type]] | None = None) -> None:
        self.names = dict(names or {})

    def child(self) -> _Scope:
        return _Scope(self.names)


@dataclass
class _Source:
    file: str
    tree: ast.FunctionDef
    text: str
    globals: dict[str, Any]
    lines: list[str]  # the original (not dedented) lines
    start: int  # the file line of lines[0]


@dataclass(frozen=True)
class Built:
    """What the front end makes of a spec."""

    params: tuple[Param, ...]
    ir: ir.SpecIR
    source_hash: str
    clause_fns: tuple[Callable[..., Any], ...]


def _clause_functions(src: _Source, lets: list[tuple[str, ir.Expr, ast.AST]], parts: list[ast.expr]
                      ) -> tuple[Callable[..., Any], ...]:
    """One CPython function per clause, compiled from the spec's own (already checked) source.

    Each is the spec's parameters, its assignments, and ``return <clause>``,
    compiled with the spec's file name and line numbers and bound to the
    spec's globals, so it computes exactly what that part of the spec
    computes.  The code object is made into a function directly; no text is
    evaluated.
    """
    args = copy.deepcopy(src.tree.args)
    for a in args.args + args.kwonlyargs:
        a.annotation = None
    defs: list[ast.stmt] = []
    for i, part in enumerate(parts):
        body: list[ast.stmt] = [copy.deepcopy(typing.cast(ast.stmt, stmt)) for _, _, stmt in lets]
        body.append(ast.Return(value=copy.deepcopy(part)))
        fdef = ast.FunctionDef(name=f"_clause_{i}", args=args, body=body, decorator_list=[], returns=None)
        if "type_params" in ast.FunctionDef._fields:  # Python 3.12 and later
            setattr(fdef, "type_params", [])  # noqa: B010 - the field does not exist on 3.11
        defs.append(ast.copy_location(fdef, part))
    module = ast.fix_missing_locations(ast.Module(body=defs, type_ignores=[]))
    code = compile(module, src.file, "exec", dont_inherit=True)
    codes = {c.co_name: c for c in code.co_consts if isinstance(c, types.CodeType)}
    return tuple(types.FunctionType(codes[f"_clause_{i}"], src.globals) for i in range(len(parts)))


UNKNOWN: typing.Final = ir.Scalar("?")  # the item type of an empty list literal, until its use says

# str methods of the program subset: name -> (argument types, result type); specs/strings.py encodes them.
_STR_METHODS: typing.Final[dict[str, tuple[tuple[ir.Type, ...], ir.Type]]] = {
    **dict.fromkeys(("isdigit", "isalpha", "isalnum", "isspace", "isdecimal", "isnumeric", "isupper", "islower"),
                    ((), ir.BOOL)),
    **dict.fromkeys(("lower", "upper", "swapcase"), ((), ir.STR)),
    "strip": ((ir.STR,), ir.STR), "lstrip": ((ir.STR,), ir.STR), "rstrip": ((ir.STR,), ir.STR),
    "replace": ((ir.STR, ir.STR), ir.STR), "count": ((ir.STR,), ir.INT), "find": ((ir.STR,), ir.INT),
    "index": ((ir.STR,), ir.INT), "split": ((ir.STR,), ir.ListT(ir.STR)), "join": ((ir.ListT(ir.STR),), ir.STR),
    "startswith": ((ir.STR,), ir.BOOL), "endswith": ((ir.STR,), ir.BOOL),
}


def _constant_int(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _constant_int(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    return None


def _elem_type(t: ir.Type) -> ir.Type:
    if isinstance(t, ir.ListT):
        return t.elem
    if isinstance(t, ir.TupleT) and t.items:
        return t.items[0]
    return UNKNOWN


class _Frontend:
    def __init__(self, owner: Spec) -> None:
        self.owner = owner
        self.fresh_counter = 0
        self.used_names: set[str] = set()
        self.inline_stack: list[str] = []
        self.hash = hashlib.sha256()
        self.current: _Source
        # Names the function being translated assigns further down (line of the assignment), and its name:
        # CPython makes them local to the whole function, so a use before the assignment raises.
        self.pending: dict[str, int] = {}
        self.pending_fn = ""
        # A program spec's own expressions may use the program subset's builtins and methods too.
        self.programs = getattr(owner, "program", None) is not None
        self.inferring = False  # the program compiler's first pass (types still being found)
        self.iterated: ast.expr | None = None  # the iterable being translated (reversed(...) only as one)

    # -- entry ------------------------------------------------------------------

    def build(self) -> Built:
        fn = self.owner.fn
        src = self._source_of(fn)
        self.current = src
        hints = self._hints(fn, src)
        sig = inspect.signature(fn)
        params: list[Param] = []
        scope = _Scope()
        for p in sig.parameters.values():
            node = next(a for a in src.tree.args.args + src.tree.args.kwonlyargs if a.arg == p.name)
            loc = self._loc(node)
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                self._refuse(node, f"*{p.name}", "variadic parameters are not supported",
                             "declare each parameter with its type")
            if p.name not in hints:
                self._refuse(node, p.name, f"parameter {p.name!r} has no type annotation",
                             f"annotate it, for example {p.name}: Given[int]")
            role, inner = split_role(hints[p.name])
            try:
                dom = domain_of(inner, f"parameter {p.name!r}")
            except DomainError as exc:
                raise InvalidSpec(str(exc), location=str(loc), construct=p.name,
                                  spec=self.owner.ref) from None
            for bound in _domain_ints(dom):
                self._refuse_long_int(node, p.name, f"a bound of parameter {p.name!r}", bound)
            kind = "proposal" if role is PROPOSAL else "input" if role is INPUT else "output" if role is OUTPUT \
                else "given"
            params.append(Param(p.name, kind, dom, loc))
            scope.names[p.name] = (p.name, _type_of_domain(dom))
            self.used_names.add(p.name)
            self.hash.update(f"{p.name}:{role}:{_domain_key(dom)}\n".encode())
        self._check_roles(src.tree, params)
        parameters = _Scope(scope.names)
        lets, ret = self._body(src.tree, scope, is_spec=True)
        clauses, parts = self._clauses(ret, lets, scope)
        objective = None
        if self.owner.objective_fn is not None:
            reassigned = {name: stmt for ir_name, _, stmt in lets
                          for name in [_target_of(stmt)] if name in parameters.names}
            spec_locals = {_target_of(stmt) for _, _, stmt in lets}
            objective = self._objective(self.owner.objective_fn, parameters, reassigned, spec_locals)
        requires = None
        if self.owner.requires_fn is not None:
            reassigned = {name: stmt for ir_name, _, stmt in lets
                          for name in [_target_of(stmt)] if name in parameters.names}
            spec_locals = {_target_of(stmt) for _, _, stmt in lets}
            inputs = _Scope({p.name: parameters.names[p.name] for p in params if p.role == "input"})
            requires = self._objective(self.owner.requires_fn, inputs, reassigned, spec_locals,
                                       kind="precondition", want=ir.BOOL)
        decorators = src.tree.decorator_list
        claims_line = decorators[0].lineno if decorators else src.tree.lineno
        spec_ir = ir.SpecIR(self.owner.name, tuple(scope.names[p.name] for p in params),
                            tuple(clauses), objective, self.owner.sense, claims_line, requires)
        self.current = src
        return Built(tuple(params), spec_ir, self.hash.hexdigest(), _clause_functions(src, lets, parts))

    def _check_roles(self, tree: ast.FunctionDef, params: list[Param]) -> None:
        """A value spec has one Proposal; a program spec Inputs and one Output, and no Proposal."""
        count = {role: sum(1 for p in params if p.role == role) for role in ("proposal", "input", "output")}
        if self.owner.program is None:
            if count["input"] or count["output"]:
                self._refuse(tree, self.owner.name, "Input[...] and Output[...] parameters make a program spec",
                             f"name the program's function: @spec(program=\"{self.owner.name}\")")
            if count["proposal"] != 1:
                self._refuse(tree, self.owner.name,
                             f"a spec needs exactly one Proposal[...] parameter, found {count['proposal']}",
                             "mark what the model must produce as Proposal[T], the task's inputs as Given[T]")
            return
        if count["proposal"] or count["output"] != 1:
            self._refuse(tree, self.owner.name,
                         f"a program spec needs exactly one Output[...] parameter and no Proposal[...], found "
                         f"{count['output']} and {count['proposal']}",
                         "mark the function's arguments Input[T] and what it returns Output[T]")

    def _hints(self, fn: Callable[..., Any], src: _Source) -> dict[str, Any]:
        try:
            return typing.get_type_hints(fn, include_extras=True)
        except Exception as exc:
            raise InvalidSpec(f"the annotations of {fn.__name__} cannot be resolved: {exc}",
                              location=f"{src.file}:{src.tree.lineno}:{src.tree.col_offset + 1}",
                              construct="annotation", spec=self.owner.ref) from None

    def _source_of(self, fn: Callable[..., Any]) -> _Source:
        try:
            lines, start = inspect.getsourcelines(fn)
            file = inspect.getsourcefile(fn) or "<unknown>"
        except (OSError, TypeError) as exc:
            raise SpecLoadError(f"cannot read the source of {fn.__qualname__}: {exc}") from None
        text = textwrap.dedent("".join(lines))
        indent = len(lines[0]) - len(lines[0].lstrip())
        module = ast.parse(text)
        ast.increment_lineno(module, start - 1)
        fdef = module.body[0]
        if not isinstance(fdef, ast.FunctionDef):
            raise SpecLoadError(f"{fn.__qualname__} is not a plain function")
        if indent:
            for node in ast.walk(module):
                if hasattr(node, "col_offset"):
                    node.col_offset += indent
                    end = getattr(node, "end_col_offset", None)
                    if end is not None:
                        setattr(node, "end_col_offset", end + indent)  # noqa: B010 - not every AST node declares it
        self.hash.update(text.encode())
        return _Source(file, fdef, text, fn.__globals__, lines, start)

    # -- errors and locations -----------------------------------------------------

    def _loc(self, node: ast.AST) -> ir.Loc:
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0)
        return ir.Loc(self.current.file, line, col, getattr(node, "end_lineno", line) or line,
                      getattr(node, "end_col_offset", col) or col)

    def _refuse(self, node: ast.AST, construct: str, why: str, hint: str = "") -> typing.NoReturn:
        raise InvalidSpec(why, location=str(self._loc(node)), construct=construct, hint=hint,
                          spec=self.owner.ref)

    def _refuse_long_int(self, node: ast.AST, construct: str, what: str, v: Any) -> None:
        """Refuse ``v`` if it is, or holds, an int too long for text, which every use of a constant needs."""
        for n in v if isinstance(v, tuple) else (v,):
            if isinstance(n, int) and not -_TOO_MANY_DIGITS < n < _TOO_MANY_DIGITS:
                self._refuse(node, construct, f"{what} is {show_int(n)}: more than the {MAX_INT_DIGITS} digits "
                             "Python converts to text, and a spec's constants are written as text (its hash, the "
                             "SMT-LIB of its queries, certificates, messages)",
                             f"use a smaller constant: proposals and givens, read from JSON, have at most "
                             f"{MAX_INT_DIGITS} digits")

    def _unsupported(self, node: ast.AST) -> typing.NoReturn:
        kind = type(node).__name__
        text = ast.unparse(node) if isinstance(node, ast.expr | ast.stmt) else kind
        hint = next((h for t, h in _HINTS.items() if isinstance(node, t)), "")
        self._refuse(node, kind, f"`{_clip(text)}` ({kind}) is not in the spec language", hint)

    def _fresh(self, name: str) -> str:
        if name not in self.used_names:
            self.used_names.add(name)
            return name
        while True:
            self.fresh_counter += 1
            candidate = f"{name}#{self.fresh_counter}"
            if candidate not in self.used_names:
                self.used_names.add(candidate)
                return candidate

    # -- bodies -------------------------------------------------------------------

    def _body(self, fdef: ast.FunctionDef, scope: _Scope, *, is_spec: bool
              ) -> tuple[list[tuple[str, ir.Expr, ast.AST]], ast.expr]:
        """Translate assignments (into ``scope``) and return them with the return expression."""
        if fdef.decorator_list and not is_spec:
            self._refuse(fdef, fdef.name, f"helper {fdef.name} has decorators",
                         "helpers are plain functions")
        body = list(fdef.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]
        lets: list[tuple[str, ir.Expr, ast.AST]] = []
        self.pending = {name: line for name, line in _assigned_names(body).items() if name not in scope.names}
        self.pending_fn = fdef.name
        for i, stmt in enumerate(body):
            last = i == len(body) - 1
            if isinstance(stmt, ast.Return) and last:
                if stmt.value is None:
                    self._refuse(stmt, "return", "the return has no value", "return a bool expression")
                return lets, stmt.value
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name):
                target, value_node = stmt.targets[0].id, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                    and stmt.value is not None:
                target, value_node = stmt.target.id, stmt.value
            elif isinstance(stmt, ast.Pass):
                continue
            elif isinstance(stmt, ast.Return):
                self._refuse(stmt, "return", "only the last statement may be a return",
                             "compute values in assignments, then return one expression")
            elif isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
                self._refuse(stmt, type(stmt).__name__,
                             f"`{_clip(ast.unparse(stmt))}`: only `name = expression` assignments are supported",
                             "assign each name once, with a single target")
            else:
                self._unsupported(stmt)
            if target in scope.names and scope.names[target][0] in [n for n, _, _ in lets]:
                self._refuse(stmt, target, f"{target!r} is assigned twice",
                             "give each intermediate value its own name")
            value = self.expr(value_node, scope)
            self.pending.pop(target, None)
            ir_name = self._fresh(target)
            scope.names[target] = (ir_name, value.type)
            lets.append((ir_name, value, stmt))
        self._refuse(fdef, fdef.name, f"{fdef.name} does not end with a return",
                     "end the function with `return <bool expression>`")

    @staticmethod
    def _wrap(lets: list[tuple[str, ir.Expr, ast.AST]], body: ir.Expr, loc: ir.Loc | None = None) -> ir.Expr:
        """``body`` under the bindings; ``loc`` (an inlined call's site) names the whole."""
        for name, value, _ in reversed(lets):
            body = ir.Let(name, value, body, type=body.type, loc=loc or body.loc)
        return body

    def _clauses(self, ret: ast.expr, lets: list[tuple[str, ir.Expr, ast.AST]], scope: _Scope
                 ) -> tuple[list[ir.Clause], list[ast.expr]]:
        parts: list[ast.expr] = []

        def flatten(node: ast.expr) -> None:
            if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
                for v in node.values:
                    flatten(v)
            else:
                parts.append(node)
        flatten(ret)
        clauses = []
        for i, node in enumerate(parts):
            e = self.expr(node, scope)
            self._need(e, ir.BOOL, node, "a spec clause")
            text = _segment(node, self.current) or ast.unparse(node)
            clauses.append(ir.Clause(i, self._wrap(lets, e), " ".join(text.split()), self._loc(node)))
        return clauses, parts

    def _objective(self, fn: Callable[..., Any], parameters: _Scope, reassigned: dict[str, ast.AST],
                   spec_locals: set[str], *, kind: str = "objective", want: ir.Type = ir.INT) -> ir.Expr:
        """The IR of a helper over the spec's parameters by name (an objective, a program spec's precondition),
        as the spec receives them (CPython calls it so)."""
        saved = self.current
        src = self._source_of(fn)
        self.current = src
        shape = src.tree.args
        if shape.vararg or shape.kwarg or shape.kwonlyargs or shape.defaults or shape.posonlyargs:
            self._refuse(src.tree, fn.__name__, f"{kind} {fn.__name__} must take plain positional parameters",
                         "name the spec's parameters it needs, without defaults")
        args = [a.arg for a in shape.args]
        for a, node in zip(args, shape.args, strict=True):
            if a not in parameters.names:
                local = f" (it is a local of the spec, which the {kind} cannot see)" if a in spec_locals else ""
                what = "an input" if kind == "precondition" else "a parameter"
                self._refuse(node, fn.__name__,
                             f"{kind} {fn.__name__} takes {a!r}, which is not {what} of the spec{local}",
                             f"give the {kind} the same parameter names as the spec")
            if a in reassigned:
                line = getattr(reassigned[a], "lineno", 0)
                self._refuse(node, fn.__name__,
                             f"{kind} {fn.__name__} takes {a!r}, but the spec reassigns the parameter {a!r} "
                             f"(line {line}): the {kind} is called with the value the spec was given",
                             "give the spec's new value a name of its own")
        inner = _Scope({a: parameters.names[a] for a in args})
        if _has_statements(src.tree):
            function = self._statement_function(src.tree, fn, [inner.names[a][1] for a in args])
            e: ir.Expr = ir.Invoke(function, tuple(ir.Var(inner.names[a][0], type=inner.names[a][1],
                                                          loc=self._loc(src.tree)) for a in args),
                                   type=function.returns, loc=self._loc(src.tree))
            self._need(e, want, src.tree, f"the {kind}")
            self.current = saved
            return e
        outer = self.pending, self.pending_fn
        lets, ret = self._body(src.tree, inner, is_spec=False)
        e = self.expr(ret, inner)
        self.pending, self.pending_fn = outer
        self._need(e, want, ret, f"an {kind}" if kind[0] in "aeiou" else f"a {kind}")
        self.current = saved
        return self._wrap(lets, e)

    def _statement_function(self, node: ast.AST, fn: Callable[..., Any], arg_types: list[ir.Type]) -> ir.Function:
        """A spec helper written with statements, compiled by the program front end (it is the spec's own code)."""
        from .program import OutsideSubset, compile_module_function

        try:
            return compile_module_function(fn, arg_types)
        except OutsideSubset as exc:
            raise InvalidSpec(exc.why, location=f"{self.current.file}:{exc.line}:{exc.column}",
                              construct=exc.construct, hint=exc.hint, spec=self.owner.ref) from None

    # -- expressions ---------------------------------------------------------------

    def _need(self, e: ir.Expr, t: ir.Type, node: ast.AST, what: str) -> None:
        if e.type != t:
            hint = "compare explicitly, for example `x != 0`" if t == ir.BOOL else ""
            self._refuse(node, type(node).__name__,
                         f"{what} must be {t}, but `{_clip(ast.unparse(node))}` is {e.type}", hint)

    def expr(self, node: ast.expr, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        match node:
            case ast.Constant(value=v):
                t = _type_of_value(v)
                if t is None or isinstance(v, tuple):
                    hint = "scale to an int" if isinstance(v, float) else ""
                    self._refuse(node, "Constant", f"the constant {v!r} ({type(v).__name__}) is not supported", hint)
                self._refuse_long_int(node, "Constant", "the constant", v)
                return ir.Const(v, type=t, loc=loc)
            case ast.Name(id=name):
                return self._name(node, name, scope)
            case ast.UnaryOp(op=op, operand=operand):
                arg = self.expr(operand, scope)
                if isinstance(op, ast.Not):
                    self._need(arg, ir.BOOL, operand, "the operand of `not`")
                    return ir.UnOp("not", arg, type=ir.BOOL, loc=loc)
                if isinstance(op, ast.USub | ast.UAdd):
                    self._need(arg, ir.INT, operand, "the operand of unary minus")
                    return ir.UnOp("-" if isinstance(op, ast.USub) else "+", arg, type=ir.INT, loc=loc)
                self._unsupported(node)
            case ast.BinOp(op=op, left=l, right=r):
                return self._binop(node, op, l, r, scope)
            case ast.BoolOp(op=op, values=values):
                args = tuple(self.expr(v, scope) for v in values)
                for a, vnode in zip(args, values, strict=True):
                    self._need(a, ir.BOOL, vnode, f"an operand of `{'and' if isinstance(op, ast.And) else 'or'}`")
                return ir.BoolOp("and" if isinstance(op, ast.And) else "or", args, type=ir.BOOL, loc=loc)
            case ast.Compare(left=left, ops=ops, comparators=comps):
                operands = [self.expr(left, scope)] + [
                    self._iterable(c, scope)
                    if _is_call_of(c, "range") and isinstance(cop, ast.In | ast.NotIn)
                    else self.expr(c, scope)
                    for c, cop in zip(comps, ops, strict=True)]
                names: list[str] = []
                for i, cop in enumerate(ops):
                    cname = _CMP.get(type(cop))
                    if cname is None:
                        self._refuse(node, type(cop).__name__,
                                     f"`{type(cop).__name__}` comparisons (is / is not) are not supported",
                                     "compare values with == or !=")
                    self._check_compare(node, cname, operands[i], operands[i + 1])
                    names.append(cname)
                return ir.Compare(tuple(names), tuple(operands), type=ir.BOOL, loc=loc)
            case ast.IfExp(test=test, body=body, orelse=orelse):
                c = self.expr(test, scope)
                self._need(c, ir.BOOL, test, "the condition of an if-expression")
                a, b = self.expr(body, scope), self.expr(orelse, scope)
                if a.type != b.type:
                    self._refuse(node, "IfExp", f"the branches have different types ({a.type} and {b.type})",
                                 "make both branches the same type")
                return ir.IfExp(c, a, b, type=a.type, loc=loc)
            case ast.Call():
                return self._call(node, scope)
            case ast.Subscript(value=value, slice=index):
                return self._index(node, value, index, scope)
            case ast.Attribute(value=value, attr=attr):
                return self._attr(node, value, attr, scope)
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                items = tuple(self.expr(e, scope) for e in elts)
                if isinstance(node, ast.Tuple):
                    return ir.TupleLit(items, type=ir.TupleT(tuple(i.type for i in items)), loc=loc)
                if not items:
                    self._refuse(node, "List", "an empty list literal has no item type",
                                 "compare len(xs) == 0 instead")
                if any(i.type != items[0].type for i in items):
                    self._refuse(node, "List", "the items of a list literal must all have one type")
                return ir.ListLit(items, type=ir.ListT(items[0].type), loc=loc)
            case ast.ListComp():
                return self._comprehension(node, "list", scope)
            case ast.GeneratorExp():
                self._refuse(node, "GeneratorExp",
                             "a generator can only be consumed where it is iterated once "
                             "(all, any, sum, min, max, or another comprehension)",
                             "use a list comprehension [...] here")
        self._unsupported(node)

    def _comprehension(self, node: ast.ListComp | ast.GeneratorExp, kind: str, scope: _Scope
                       ) -> ir.Expr:
        inner = scope.child()
        generators = tuple(self._generator(g, inner) for g in node.generators)
        e = self.expr(node.elt, inner)
        return ir.Comprehension(kind, e, generators, type=ir.ListT(e.type), loc=self._loc(node))

    def _name(self, node: ast.AST, name: str, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        if name in scope.names:
            ir_name, t = scope.names[name]
            return ir.Var(ir_name, type=t, loc=loc)
        self._bound_here(node, name)
        g = self.current.globals
        if name in g:
            v = g[name]
            ct = _type_of_value(v)
            # A constant's value is part of the spec's meaning: hash it.
            self._refuse_long_int(node, name, f"the constant {name!r}", v)
            self.hash.update(f"const {name}={v!r}\n".encode())
            if ct is not None and not isinstance(v, tuple):
                return ir.Const(v, type=ct, loc=loc)
            if isinstance(v, tuple) and isinstance(ct, ir.TupleT):
                items = tuple(ir.Const(x, type=it, loc=loc) for x, it in zip(v, ct.items, strict=True))
                return ir.TupleLit(items, type=ct, loc=loc)
            self._refuse(node, name, f"the global {name!r} ({type(v).__name__}) cannot be used as a value here",
                         "use int, bool or str constants, enum members, or call helper functions")
        if name in ("True", "False", "None"):
            self._unsupported(node)
        self._refuse(node, name, f"the name {name!r} is not defined in the spec",
                     "use the spec's parameters, local names, or module-level constants")

    def _bound_here(self, node: ast.AST, name: str) -> None:
        """Refuse a use of ``name`` that CPython would find unbound: the function assigns it further down."""
        if name in self.pending:
            self._refuse(node, name,
                         f"{name!r} is assigned later in {self.pending_fn} (line {self.pending[name]}), so CPython "
                         f"makes it a local of all of {self.pending_fn} and this use raises UnboundLocalError",
                         f"give the local another name, or assign {name!r} before this use")

    def _equality_ok(self, node: ast.AST, what: str, t: ir.Type) -> None:
        """Refuse ``what`` (an ``==``, ``in`` or ``count``) on a type holding a record with an ``==`` of its own."""
        match t:
            case ir.RecordT(cls=cls, fields=fields):
                why = equality_refusal(cls)
                if why:
                    self._refuse(node, cls.__name__, f"{what} on {cls.__name__} needs its equality: {why}, "
                                 "which assay does not encode",
                                 "compare the fields you mean, for example a.key == b.key")
                compared = set(compared_fields(cls))
                for name, ft in fields:
                    if name in compared:
                        self._equality_ok(node, what, ft)
            case ir.EnumT(cls=cls):
                why = equality_refusal(cls)
                if why:
                    self._refuse(node, cls.__name__, f"{what} on {cls.__name__} needs its equality: {why}",
                                 "compare the members' names or values")
            case ir.ListT(elem=elem):
                self._equality_ok(node, what, elem)
            case ir.TupleT(items=items):
                for item in items:
                    self._equality_ok(node, what, item)

    def _check_compare(self, node: ast.AST, op: str, a: ir.Expr, b: ir.Expr) -> None:
        if op in ("==", "!=", "in", "not in"):
            self._equality_ok(node, f"`{op}`", a.type)
        if op in ("in", "not in"):
            if isinstance(b.type, ir.ListT) and b.type.elem == a.type:
                return
            if b.type == ir.STR and a.type == ir.STR:
                return
            if isinstance(b.type, ir.TupleT) and all(t == a.type for t in b.type.items):
                return
            self._refuse(node, "in", f"`in` needs a {a.type} inside a list[{a.type}] or a str in a str, "
                         f"got {a.type} in {b.type}")
        if a.type != b.type:
            self._refuse(node, op, f"`{op}` compares {a.type} with {b.type}",
                         "compare values of one type (bool and int do not mix)")
        if op in ("<", "<=", ">", ">=") and a.type not in (ir.INT, ir.STR):
            self._refuse(node, op, f"`{op}` is supported on int and str, not {a.type}",
                         "compare the items one by one")

    def _binop(self, node: ast.BinOp, op: ast.operator, l_node: ast.expr, r_node: ast.expr,
               scope: _Scope) -> ir.Expr:
        if self.programs:
            handled = self._program_binop(node, op, l_node, r_node, scope)
            if handled is not None:
                return handled
        loc = self._loc(node)
        name = _ARITH.get(type(op))
        if name is None:
            self._refuse(node, type(op).__name__,
                         f"the operator in `{_clip(ast.unparse(node))}` is not supported",
                         "use + - * // % and ** by a constant; `/` would give a float: use //")
        left, right = self.expr(l_node, scope), self.expr(r_node, scope)
        if name == "+" and left.type == right.type and left.type in (ir.STR,) :
            return ir.BinOp("+", left, right, type=ir.STR, loc=loc)
        if name == "+" and isinstance(left.type, ir.ListT) and left.type == right.type:
            return ir.BinOp("+", left, right, type=left.type, loc=loc)
        if name == "+" and isinstance(left.type, ir.TupleT) and isinstance(right.type, ir.TupleT):
            return ir.BinOp("+", left, right, type=ir.TupleT(left.type.items + right.type.items), loc=loc)
        if name == "**":
            if not (isinstance(right, ir.Const) and right.type == ir.INT and right.value >= 0):
                self._refuse(node, "**", "`**` needs a constant exponent >= 0",
                             "write the power with a literal, like x ** 2")
            if right.value > 64:
                self._refuse(node, "**", f"the exponent {right.value} is too large (at most 64)")
        for side, n in ((left, l_node), (right, r_node)):
            if side.type != ir.INT:
                hint = "convert with `1 if b else 0`" if side.type == ir.BOOL else ""
                self._refuse(n, name, f"`{name}` needs int operands, but `{_clip(ast.unparse(n))}` is {side.type}",
                             hint)
        return ir.BinOp(name, left, right, type=ir.INT, loc=loc)

    def _iterable(self, node: ast.expr, scope: _Scope) -> ir.Expr:
        """An iterable: range(...), enumerate(xs), zip(xs, ys), or any list/tuple expression."""
        self.iterated = node
        if self.programs:
            chars = self._program_iterable(node, scope)
            if chars is not None:
                return chars
        loc = self._loc(node)
        if isinstance(node, ast.GeneratorExp):
            return self._comprehension(node, "gen", scope)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords \
                and node.func.id not in scope.names and node.func.id not in self.current.globals:
            fname = node.func.id
            if fname == "range":
                args = [self.expr(a, scope) for a in node.args]
                for a, n in zip(args, node.args, strict=True):
                    self._need(a, ir.INT, n, "an argument of range")
                if not 1 <= len(args) <= 3:
                    self._refuse(node, "range", "range takes 1 to 3 arguments")
                step = 1
                if len(args) == 3:
                    folded = _const_int(args[2])
                    if folded is None:
                        self._refuse(node.args[2], "range", "the step of range must be a constant")
                    step = folded
                    if step == 0:
                        self._refuse(node.args[2], "range", "range() step must not be zero")
                start, stop = (ir.Const(0, type=ir.INT, loc=loc), args[0]) if len(args) == 1 else (args[0], args[1])
                return ir.RangeIter(start, stop, step, type=ir.ListT(ir.INT), loc=loc)
            if fname in ("enumerate", "zip"):
                args = [self._iterable(a, scope) for a in node.args]
                if fname == "enumerate" and len(args) != 1:
                    self._refuse(node, "enumerate", "enumerate takes one list (no start=)")
                if fname == "zip" and len(args) < 2:
                    self._refuse(node, "zip", "zip takes two or more lists")
                elems = [typing.cast(ir.ListT, a.type).elem for a in args]
                items = (ir.INT, *elems) if fname == "enumerate" else tuple(elems)
                return ir.Call(fname, tuple(args), type=ir.ListT(ir.TupleT(tuple(items))), loc=loc)
        e = self.expr(node, scope)
        if isinstance(e.type, ir.ListT):
            return e
        if isinstance(e.type, ir.TupleT) and e.type.items and all(t == e.type.items[0] for t in e.type.items):
            return e
        hint = "iterate over range(len(s)) and index the string" if e.type == ir.STR else ""
        self._refuse(node, "iter", f"cannot iterate over {e.type}", hint)

    def _generator(self, g: ast.comprehension, scope: _Scope) -> ir.Generator:
        if g.is_async:
            self._unsupported(g.iter)
        it = self._iterable(g.iter, scope)
        elem = it.type.elem if isinstance(it.type, ir.ListT) else typing.cast(ir.TupleT, it.type).items[0]
        targets: list[str] = []
        if isinstance(g.target, ast.Name):
            name = self._fresh(g.target.id)
            scope.names[g.target.id] = (name, elem)
            targets.append(name)
        elif isinstance(g.target, ast.Tuple) and all(isinstance(t, ast.Name) for t in g.target.elts):
            if not isinstance(elem, ir.TupleT) or len(elem.items) != len(g.target.elts):
                self._refuse(g.target, "unpack", f"cannot unpack {elem} into {len(g.target.elts)} names")
            for t, tt in zip(g.target.elts, elem.items, strict=True):
                name = self._fresh(typing.cast(ast.Name, t).id)
                scope.names[typing.cast(ast.Name, t).id] = (name, tt)
                targets.append(name)
        else:
            self._refuse(g.target, "target", "a comprehension target must be a name or a tuple of names")
        conds = []
        for c in g.ifs:
            ce = self.expr(c, scope)
            self._need(ce, ir.BOOL, c, "a comprehension condition")
            conds.append(ce)
        return ir.Generator(tuple(targets), it, tuple(conds))

    def _call(self, node: ast.Call, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        if self.programs and isinstance(node.func, ast.Name) and node.func.id not in scope.names:
            if node.func.id in ("sorted", "reversed", "list"):
                return self._sequence_builtin(node, node.func.id, scope)
            if node.func.id in ("str", "bin", "ord", "chr", "int"):
                converted = self._conversion(node, node.func.id, scope)
                if converted is not None:
                    return converted
        if node.keywords:
            kw = node.keywords[0]
            self._refuse(node, "keyword", f"keyword argument `{kw.arg}=` is not supported",
                         "pass arguments by position")
        if isinstance(node.func, ast.Attribute):
            return self._method(node, scope)
        if not isinstance(node.func, ast.Name):
            self._unsupported(node)
        fname = node.func.id
        if fname in scope.names:
            self._refuse(node, fname, f"{fname!r} is a value, not a function")
        self._bound_here(node.func, fname)
        target = self.current.globals.get(fname, getattr(builtins, fname, None)
                                          if fname not in self.current.globals else None)
        if target is implies:
            args = tuple(self.expr(a, scope) for a in node.args)
            if len(args) != 2:
                self._refuse(node, "implies", "implies takes two arguments")
            for a, n in zip(args, node.args, strict=True):
                self._need(a, ir.BOOL, n, "an argument of implies")
            return ir.Call("implies", args, type=ir.BOOL, loc=loc)
        if target is distinct:
            if len(node.args) != 1:
                self._refuse(node, "distinct", "distinct takes one iterable")
            it = self._iterable(node.args[0], scope)
            elem = _elem(it)
            if not (elem in (ir.INT, ir.STR, ir.BOOL) or isinstance(elem, ir.EnumT)):
                self._refuse(node.args[0], "distinct",
                             f"distinct compares ints, bools, strs or enum members, got {elem}")
            self._equality_ok(node, "distinct()", elem)
            return ir.Call("distinct", (it,), type=ir.BOOL, loc=loc)
        if fname in _BUILTIN_CALLS and target is getattr(builtins, fname):
            return self._builtin(node, fname, scope)
        if fname in ("range", "enumerate", "zip") and target is getattr(builtins, fname):
            self._refuse(node, fname, f"{fname}(...) is only supported where it is iterated "
                         "(a comprehension's `for`, all/any/sum/min/max)"
                         + (", in len(range(...)) and in `x in range(...)`" if fname == "range" else ""),
                         "write a list comprehension, for example [i for i in range(n)]")
        if fname == "int" and target is int and len(node.args) == 1:
            b = self.expr(node.args[0], scope)
            if b.type == ir.BOOL:  # int(b) on a bool is exactly 1 if b else 0
                return ir.IfExp(b, ir.Const(1, type=ir.INT, loc=loc), ir.Const(0, type=ir.INT, loc=loc),
                                type=ir.INT, loc=loc)
            if b.type == ir.INT:
                return b
        if isinstance(target, types.FunctionType) and not isinstance(target, Spec):
            return self._inline(node, target, scope)
        if isinstance(target, Spec):
            return self._inline(node, target.fn, scope)  # type: ignore[arg-type]
        if target is None:
            hint = f"import it: from assay.specs import {fname}" if fname in ("implies", "distinct") else \
                "define it as a helper function in the spec's module"
            self._refuse(node, fname, f"the function {fname!r} is not defined", hint)
        what = "builtin" if target is getattr(builtins, fname, None) else type(target).__name__
        self._refuse(node, fname, f"calling {fname}() ({what}) is not supported",
                     "use abs min max sum len all any divmod implies range enumerate zip, "
                     "or a helper function defined in the spec's module")

    def _builtin(self, node: ast.Call, fname: str, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        n = len(node.args)

        def is_iterable_call() -> bool:
            return n == 1

        if fname in ("all", "any"):
            if n != 1:
                self._refuse(node, fname, f"{fname} takes one iterable")
            it = self._iterable(node.args[0], scope)
            if _elem(it) != ir.BOOL:
                self._refuse(node.args[0], fname, f"{fname} needs bools, got {_elem(it)}",
                             "compare explicitly, for example all(x != 0 for x in xs)")
            return ir.Call(fname, (it,), type=ir.BOOL, loc=loc)
        if fname == "sum":
            if n not in (1, 2):
                self._refuse(node, "sum", "sum takes an iterable and an optional start")
            it = self._iterable(node.args[0], scope)
            if _elem(it) == ir.BOOL:
                it = _bools_to_ints(it)
            if _elem(it) != ir.INT:
                self._refuse(node.args[0], "sum", f"sum needs ints, got {_elem(it)}")
            args: tuple[ir.Expr, ...] = (it,)
            if n == 2:
                start = self.expr(node.args[1], scope)
                self._need(start, ir.INT, node.args[1], "the start of sum")
                args += (start,)
            return ir.Call("sum", args, type=ir.INT, loc=loc)
        if fname == "len":
            if n != 1:
                self._refuse(node, "len", "len takes one argument")
            arg = node.args[0]
            a = self._iterable(arg, scope) if _is_call_of(arg, "range") else self.expr(arg, scope)
            if not isinstance(a.type, ir.ListT | ir.TupleT) and a.type != ir.STR:
                self._refuse(arg, "len", f"len needs a list, tuple or str, got {a.type}")
            return ir.Call("len", (a,), type=ir.INT, loc=loc)
        if fname == "abs":
            if n != 1:
                self._refuse(node, "abs", "abs takes one argument")
            a = self.expr(node.args[0], scope)
            self._need(a, ir.INT, node.args[0], "the argument of abs")
            return ir.Call("abs", (a,), type=ir.INT, loc=loc)
        if fname in ("min", "max"):
            if n == 0:
                self._refuse(node, fname, f"{fname} needs arguments")
            if is_iterable_call():
                it = self._iterable(node.args[0], scope)
                t = _elem(it)
                if t not in (ir.INT, ir.STR):
                    self._refuse(node, fname, f"{fname} is supported over int or str, got {t}")
                return ir.Call(fname, (it,), type=t, loc=loc)
            args = tuple(self.expr(a, scope) for a in node.args)
            if any(a.type != args[0].type for a in args) or args[0].type not in (ir.INT, ir.STR):
                self._refuse(node, fname, f"{fname} needs arguments of one type, int or str")
            return ir.Call(fname, args, type=args[0].type, loc=loc)
        if fname == "divmod":
            args = tuple(self.expr(a, scope) for a in node.args)
            if n != 2:
                self._refuse(node, "divmod", "divmod takes two arguments")
            for a, an in zip(args, node.args, strict=True):
                self._need(a, ir.INT, an, "an argument of divmod")
            return ir.Call("divmod", args, type=ir.TupleT((ir.INT, ir.INT)), loc=loc)
        raise AssertionError(fname)

    def _method(self, node: ast.Call, scope: _Scope) -> ir.Expr:
        if self.programs:
            handled = self._program_method(node, scope)
            if handled is not None:
                return handled
        loc = self._loc(node)
        func = typing.cast(ast.Attribute, node.func)
        obj = self.expr(func.value, scope)
        args = tuple(self.expr(a, scope) for a in node.args)
        if obj.type == ir.STR and func.attr in ("startswith", "endswith"):
            if len(args) != 1 or args[0].type != ir.STR:
                self._refuse(node, func.attr, f"{func.attr} takes one str argument here")
            return ir.Method(func.attr, obj, args, type=ir.BOOL, loc=loc)
        if isinstance(obj.type, ir.ListT) and func.attr == "count":
            if len(args) != 1 or args[0].type != obj.type.elem:
                self._refuse(node, "count", f"count takes one {obj.type.elem}")
            self._equality_ok(node, "count()", obj.type.elem)
            return ir.Method("count", obj, args, type=ir.INT, loc=loc)
        self._refuse(node, func.attr, f"the method {func.attr}() on {obj.type} is not supported",
                     "str supports startswith and endswith; lists support count")

    # -- the program subset's builtins and methods (programs, and program specs' own expressions) --------

    def _conversion(self, node: ast.Call, fname: str, scope: _Scope) -> ir.Expr | None:
        """``str(n)``, ``bin(n)``, ``int(s)``, ``ord(c)``, ``chr(i)``; None to leave ``int(...)`` of a bool or int to
        the spec front end."""
        loc = self._loc(node)
        if node.keywords or len(node.args) != 1:
            self._refuse(node, fname, f"{fname}() takes one argument here")
        arg = self.expr(node.args[0], scope)
        want = {"str": (ir.INT, ir.BOOL, ir.STR), "bin": (ir.INT,), "ord": (ir.STR,), "chr": (ir.INT,),
                "int": (ir.STR,)}[fname]
        if fname == "int" and arg.type != ir.STR:
            return None
        if arg.type not in want and not (self.inferring and arg.type == UNKNOWN):
            self._refuse(node, fname, f"{fname}() of a {arg.type} is outside the subset")
        result = {"str": ir.STR, "bin": ir.STR, "ord": ir.INT, "chr": ir.STR, "int": ir.INT}[fname]
        return ir.Call("int_of_str" if fname == "int" else fname, (arg,), type=result, loc=loc)

    def _sequence_builtin(self, node: ast.Call, fname: str, scope: _Scope) -> ir.Expr:
        """``sorted(xs)`` (``reverse=True`` too), ``reversed(xs)``, ``list(xs)``: a new list."""
        loc = self._loc(node)
        descending = False
        for kw in node.keywords:
            if fname == "sorted" and kw.arg == "reverse" and isinstance(kw.value, ast.Constant) \
                    and isinstance(kw.value.value, bool):
                descending = kw.value.value
            else:
                self._refuse(node, fname, f"{fname}() with `{kw.arg}=` is outside the subset")
        if len(node.args) != 1:
            self._refuse(node, fname, f"{fname} takes one iterable here")
        if fname == "reversed" and node is not getattr(self, "iterated", None):
            self._refuse(node, fname, "reversed(...) is an iterator, not a list: in the subset it is only iterated",
                         "write list(reversed(xs)) or xs[::-1] for a list")
        it = self._iterable(node.args[0], scope)
        elem = _elem_type(it.type)
        if fname == "sorted" and elem not in (ir.INT, ir.STR, UNKNOWN):
            self._refuse(node, fname, f"sorted() of {elem} items is outside the subset (ints and strs are in it)")
        args: tuple[ir.Expr, ...] = (it, ir.Const(True, type=ir.BOOL, loc=loc)) if descending else (it,)
        return ir.Call(fname, args, type=ir.ListT(elem), loc=loc)

    def _program_method(self, node: ast.Call, scope: _Scope) -> ir.Expr | None:
        """A str method or list.index of the program subset; None when it is not one."""
        func = typing.cast(ast.Attribute, node.func)
        obj = self.expr(func.value, scope)
        if obj.type == ir.STR and func.attr in _STR_METHODS:
            loc = self._loc(node)
            params, result = _STR_METHODS[func.attr]
            if node.keywords:
                self._refuse(node, func.attr, f"str.{func.attr}() with keyword arguments is outside the subset")
            optional = func.attr in ("strip", "lstrip", "rstrip", "split")
            if len(node.args) != len(params) and not (optional and not node.args):
                self._refuse(node, func.attr, f"str.{func.attr}() takes {len(params)} arguments here")
            if func.attr == "join":  # any iterable of strs: a list, a generator, a str's characters
                joined = self._iterable(node.args[0], scope)
                items = joined if isinstance(joined.type, ir.ListT) else ir.Call(
                    "list", (joined,), type=ir.ListT(_elem_type(joined.type)), loc=loc)
                if _elem_type(items.type) not in (ir.STR, UNKNOWN):
                    self._refuse(node.args[0], "join", f"str.join() of {_elem_type(items.type)} items")
                return ir.Method("join", obj, (items,), type=ir.STR, loc=loc)
            args = tuple(self.expr(a, scope) for a in node.args)
            for a, want, n in zip(args, params, node.args, strict=False):
                self._need(a, want, n, f"an argument of str.{func.attr}()")
            return ir.Method(func.attr, obj, args, type=result, loc=loc)
        if isinstance(obj.type, ir.ListT) and func.attr == "index":
            args = tuple(self.expr(a, scope) for a in node.args)
            if len(args) != 1:
                self._refuse(node, "index", "list.index takes one argument here")
            self._equality_ok(node, "index()", obj.type.elem)
            return ir.Method("index", obj, args, type=ir.INT, loc=self._loc(node))
        return None

    def _program_binop(self, node: ast.BinOp, op: ast.operator, l_node: ast.expr, r_node: ast.expr,
                       scope: _Scope) -> ir.Expr | None:
        """``b ** e`` with a computed exponent (the program subset); None when the spec language's rules apply."""
        if isinstance(op, ast.Pow) and _constant_int(r_node) is None:
            # b ** e with an exponent the program computes: encoded over the exponent's bounds.
            left, right = self.expr(l_node, scope), self.expr(r_node, scope)
            self._need(left, ir.INT, l_node, "the base of **")
            self._need(right, ir.INT, r_node, "the exponent of **")
            return ir.Call("pow", (left, right), type=ir.INT, loc=self._loc(node))
        if isinstance(op, ast.Mult):
            left = self.expr(l_node, scope)
            if isinstance(left.type, ir.ListT) or left.type == ir.STR:
                self._refuse(node, "*", f"`{_clip(ast.unparse(node))}`: repeating a {left.type} is outside the "
                             "subset", "build it with a comprehension")
        return None

    def _program_slice(self, node: ast.Subscript, value: ast.expr, index: ast.Slice, scope: _Scope) -> ir.Expr:
        """``obj[start:stop:step]`` of a list or a str (the program subset)."""
        loc = self._loc(node)
        obj = self.expr(value, scope)
        if not (isinstance(obj.type, ir.ListT) or obj.type == ir.STR):
            self._refuse(node, "slice", f"slicing a {obj.type} is outside the subset (lists and strs are in it)")
        step = 1
        if index.step is not None:
            folded = _constant_int(index.step)
            if folded is None or folded == 0:
                self._refuse(index.step, "slice", "a slice's step must be a non-zero constant")
            step = folded
        bounds: list[ir.Expr | None] = []
        for b in (index.lower, index.upper):
            if b is None:
                bounds.append(None)
                continue
            e = self.expr(b, scope)
            self._need(e, ir.INT, b, "a slice bound")
            bounds.append(e)
        return ir.SliceOf(obj, bounds[0], bounds[1], step, type=obj.type, loc=loc)

    def _program_iterable(self, node: ast.expr, scope: _Scope) -> ir.Expr | None:
        """A string as an iterable (its characters, one by one), in the program subset; None otherwise."""
        if not isinstance(node, ast.GeneratorExp) and not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("range", "enumerate", "zip") and node.func.id not in scope.names):
            e = self.expr(node, scope)
            if e.type == ir.STR:
                return ir.Call("chars", (e,), type=ir.ListT(ir.STR), loc=self._loc(node))
        return None


    def _index(self, node: ast.Subscript, value: ast.expr, index: ast.expr, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        if isinstance(index, ast.Slice):
            if self.programs:
                return self._program_slice(node, value, index, scope)
            self._unsupported(index)
        obj = self.expr(value, scope)
        idx = self.expr(index, scope)
        self._need(idx, ir.INT, index, "an index")
        if isinstance(obj.type, ir.ListT):
            return ir.Index(obj, idx, type=obj.type.elem, loc=loc)
        if obj.type == ir.STR:
            return ir.Index(obj, idx, type=ir.STR, loc=loc)
        if isinstance(obj.type, ir.TupleT):
            items = obj.type.items
            const = _const_int(idx)
            if const is not None:
                if not -len(items) <= const < len(items):
                    self._refuse(index, "index", f"tuple index {const} is out of range for {obj.type}")
                return ir.Index(obj, idx, type=items[const], loc=loc)
            if items and all(t == items[0] for t in items):
                return ir.Index(obj, idx, type=items[0], loc=loc)
            self._refuse(index, "index", "a tuple with items of different types needs a constant index")
        self._refuse(node, "index", f"{obj.type} cannot be indexed")

    def _attr(self, node: ast.Attribute, value: ast.expr, attr: str, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        if isinstance(value, ast.Name) and value.id not in scope.names:
            self._bound_here(value, value.id)
            g = self.current.globals.get(value.id)
            if isinstance(g, type) and issubclass(g, enum.Enum):
                for m in g:
                    self._refuse_long_int(node, attr, f"the value of {value.id}.{m.name}", m.value)
                self.hash.update(f"enum {g.__qualname__}={[(m.name, m.value) for m in g]!r}\n".encode())
                if attr not in g.__members__:
                    self._refuse(node, attr, f"{value.id} has no member {attr!r}")
                return ir.Const(g[attr], type=ir.EnumT(g), loc=loc)
        obj = self.expr(value, scope)
        if isinstance(obj.type, ir.RecordT):
            t = obj.type.field_type(attr)
            if t is None:
                self._refuse(node, attr, f"{obj.type} has no field {attr!r}",
                             f"fields: {', '.join(n for n, _ in obj.type.fields)}")
            return ir.Attr(obj, attr, type=t, loc=loc)
        self._refuse(node, attr, f"attribute access `.{attr}` on {obj.type} is not supported",
                     "attributes are supported on dataclass records and enum classes")

    def _inline(self, node: ast.Call, fn: types.FunctionType, scope: _Scope) -> ir.Expr:
        if fn.__module__ != self.owner.fn.__module__ and fn.__globals__ is not self.owner.fn.__globals__:
            self._refuse(node, fn.__name__, f"{fn.__name__} is defined in another module ({fn.__module__})",
                         "define helpers in the spec's own module")
        if fn.__qualname__ in self.inline_stack:
            self._refuse(node, fn.__name__, f"{fn.__name__}() calls itself; recursion is not supported",
                         "write the recursion as a comprehension over range(...)")
        if len(self.inline_stack) >= _MAX_INLINE_DEPTH:
            self._refuse(node, fn.__name__, "helpers nest too deeply")
        args = [self.expr(a, scope) for a in node.args]
        saved = self.current
        src = self._source_of(fn)
        params = src.tree.args
        if params.vararg or params.kwarg or params.kwonlyargs or params.defaults:
            self._refuse(node, fn.__name__, f"helper {fn.__name__} must take plain positional parameters")
        if len(params.args) != len(args):
            self._refuse(node, fn.__name__, f"{fn.__name__} takes {len(params.args)} arguments, "
                         f"{len(args)} given")
        if _has_statements(src.tree):
            # A helper written with statements (a reference implementation): the program subset compiles it.
            function = self._statement_function(node, fn, [a.type for a in args])
            self.current = saved
            return ir.Invoke(function, tuple(args), type=function.returns, loc=self._loc(node))
        self.current = src
        self.inline_stack.append(fn.__qualname__)
        inner = _Scope()
        bound: list[tuple[str, ir.Expr, ast.AST]] = []
        for p, a in zip(params.args, args, strict=True):
            ir_name = self._fresh(p.arg)
            inner.names[p.arg] = (ir_name, a.type)
            bound.append((ir_name, a, p))
        outer = self.pending, self.pending_fn
        lets, ret = self._body(src.tree, inner, is_spec=False)
        body = self.expr(ret, inner)
        self.pending, self.pending_fn = outer
        self.inline_stack.pop()
        self.current = saved
        return self._wrap(bound + lets, body, self._loc(node))


# Python converts ints of at most this many digits to text and back (its default limit, fixed here so that
# whether a spec loads does not depend on sys.set_int_max_str_digits).
MAX_INT_DIGITS = 4300
_TOO_MANY_DIGITS = 10**MAX_INT_DIGITS


def _domain_ints(d: Domain) -> list[Any]:
    """Every int a domain's meaning holds (bounds, lengths, enum values), for the length check."""
    match d:
        case IntDomain(lo=lo, hi=hi):
            return [x for x in (lo, hi) if x is not None]
        case StrDomain(max_len=n):
            return [] if n is None else [n]
        case EnumDomain(cls=cls):
            return [m.value for m in cls]
        case ListDomain(elem=e, min_len=lo, max_len=hi):
            return [lo, *([] if hi is None else [hi]), *_domain_ints(e)]
        case TupleDomain(items=items):
            return [x for i in items for x in _domain_ints(i)]
        case RecordDomain(fields=fields):
            return [x for _, f in fields for x in _domain_ints(f)]
    return []


def _domain_key(d: Domain) -> str:
    """A domain's meaning as text, independent of the module its classes were loaded under."""
    match d:
        case EnumDomain(cls=cls):
            return f"enum {cls.__qualname__}{[(m.name, m.value) for m in cls]!r}"
        case ListDomain(elem=e, min_len=lo, max_len=hi):
            return f"list[{_domain_key(e)}]{{{lo},{hi}}}"
        case TupleDomain(items=items):
            return "tuple[" + ",".join(_domain_key(i) for i in items) + "]"
        case RecordDomain(cls=cls, fields=fields):
            return f"record {cls.__qualname__}(" + ",".join(f"{n}:{_domain_key(f)}" for n, f in fields) + ")"
    return repr(d)


def _elem(it: ir.Expr) -> ir.Type:
    t = it.type
    if isinstance(t, ir.ListT):
        return t.elem
    if isinstance(t, ir.TupleT) and t.items:
        return t.items[0]
    return t


def _bools_to_ints(it: ir.Expr) -> ir.Expr:
    """Rewrite an iterable of bools into ints (sum over bools counts the trues, as in CPython)."""
    loc = it.loc
    if isinstance(it, ir.Comprehension):
        e = it.elt
        conv = ir.IfExp(e, ir.Const(1, type=ir.INT, loc=loc), ir.Const(0, type=ir.INT, loc=loc),
                        type=ir.INT, loc=e.loc)
        return ir.Comprehension(it.kind, conv, it.generators, type=ir.ListT(ir.INT), loc=loc)
    name = "_b#sum"
    var = ir.Var(name, type=ir.BOOL, loc=loc)
    conv = ir.IfExp(var, ir.Const(1, type=ir.INT, loc=loc), ir.Const(0, type=ir.INT, loc=loc),
                    type=ir.INT, loc=loc)
    return ir.Comprehension("gen", conv, (ir.Generator((name,), it, ()),), type=ir.ListT(ir.INT), loc=loc)


def _is_call_of(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _const_int(e: ir.Expr) -> int | None:
    """The value of an int constant, signs included (``-2``, ``+2``, ``-(-2)``); None if ``e`` is not one."""
    if isinstance(e, ir.Const) and e.type == ir.INT:
        return int(e.value)
    if isinstance(e, ir.UnOp) and e.op in ("-", "+"):
        inner = _const_int(e.arg)
        if inner is None:
            return None
        return -inner if e.op == "-" else inner
    return None


def _has_statements(fdef: ast.FunctionDef) -> bool:
    """Whether a helper's body goes beyond assignments and one final return (so the program subset reads it)."""
    body = list(fdef.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    for i, stmt in enumerate(body):
        last = i == len(body) - 1
        plain = (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)) \
            or (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None) \
            or isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Return) and last)
        if not plain:
            return True
    return False


def _target_of(stmt: ast.AST) -> str:
    """The name a translated assignment binds (`name = ...` or `name: T = ...`)."""
    if isinstance(stmt, ast.Assign):
        return typing.cast(ast.Name, stmt.targets[0]).id
    return typing.cast(ast.Name, typing.cast(ast.AnnAssign, stmt).target).id


def _assigned_names(body: list[ast.stmt]) -> dict[str, int]:
    """Every name a function body binds, with the line of its first binding.

    These are CPython's local names: bound anywhere in the body, local
    everywhere in it.  Comprehension variables belong to their own scope and
    are not among them.
    """
    out: dict[str, int] = {}

    def bind(target: ast.AST, line: int) -> None:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                out.setdefault(n.id, line)

    for stmt in body:
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                bind(t, stmt.lineno)
        elif isinstance(stmt, ast.AugAssign | ast.AnnAssign):
            bind(stmt.target, stmt.lineno)
    return out


def _clip(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def _segment(node: ast.AST, src: _Source) -> str | None:
    """The source text of ``node`` (ast columns are UTF-8 byte offsets)."""
    first, last = node.lineno - src.start, (node.end_lineno or node.lineno) - src.start  # type: ignore[attr-defined]
    if first < 0 or last >= len(src.lines):
        return None
    raw = [ln.encode() for ln in src.lines[first:last + 1]]
    end_col = node.end_col_offset  # type: ignore[attr-defined]
    if len(raw) == 1:
        return raw[0][node.col_offset:end_col].decode(errors="replace")  # type: ignore[attr-defined]
    raw[0] = raw[0][node.col_offset:]  # type: ignore[attr-defined]
    raw[-1] = raw[-1][:end_col]
    return b"".join(raw).decode(errors="replace")
