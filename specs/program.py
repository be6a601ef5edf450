"""The program subset: a model's Python function, parsed with :mod:`ast` and compiled to the IR.

The text is never executed here (nor imported, nor evaluated): it is parsed,
checked against the subset, and compiled to an :class:`~.ir.Function`, whose
meaning the symbolic encoder gives (:mod:`.execute`).  Running the real
function is the sandbox's work, in a process of its own.

Three outcomes of :func:`parse_program`:

* a :class:`Program`: the entry function and the helpers it calls, compiled;
* :class:`ProgramMalformed`: no code, a syntax error, no entry function, or
  Python meant to escape (``__import__``, ``open``, ``eval``, dunder
  attributes, ``import os``...).  Such a text is never run anywhere;
* :class:`OutsideSubset`: a construct the kernel cannot give an exact meaning
  to (a float, ``try``, a ``dict``, recursion, aliasing of a list that is
  mutated...).  No proof is attempted; the sandbox may still refute.

The subset: the entry function and helper functions defined at the top level,
and functions defined at the top of a function's body that read none of its
names (no closures); assignments, augmented assignments, tuple unpacking;
``if``/``elif``/``else``; ``for`` over ``range``, lists, tuples, strings,
``enumerate``, ``zip``, ``reversed``, ``map`` and ``filter`` (of a lambda, a
builtin or a program function, wherever an iterable is iterated);
``while`` (unrolled up to a bound by the encoder); ``break``, ``continue``,
``return``, ``raise Kind(...)``, ``assert``; list ``append``, ``insert``,
``pop``, ``extend``, ``remove`` and item assignment on lists no other name
refers to; f-strings of ints, bools and strs without format specs; and every
expression of the spec language.  Conditions (``if``, ``while``, ``not``, a
comprehension's ``if``) take Python's truth of ints, strings and lists as well
as bools.  A helper (not the entry) that may return None (a bare ``return``,
or a path that falls off its end) is outside the subset: no IR value is None.
"""

from __future__ import annotations

import ast
import re
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from . import ir
from .errors import AssayError, InvalidSpec
from .frontend import UNKNOWN, _elem_type, _Frontend, _Scope, _Source

__all__ = ["OutsideSubset", "Program", "ProgramMalformed", "compile_module_function", "extract_code",
           "parse_program", "screened"]


class ProgramMalformed(AssayError, ValueError):
    """The text holds no program to check, or one meant to escape: it is never run.

    ``line`` and ``column`` (1-based; 0 when there is no position) point into the text.
    """

    def __init__(self, why: str, line: int = 0, column: int = 0) -> None:
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"{where}{why}")
        self.why = why
        self.line = line
        self.column = column


class OutsideSubset(AssayError, NotImplementedError):
    """The program uses a construct the kernel gives no exact meaning: no proof is attempted."""

    def __init__(self, why: str, *, line: int, column: int, construct: str, hint: str = "") -> None:
        super().__init__(f"line {line}, column {column}: {why}" + (f" (hint: {hint})" if hint else ""))
        self.why = why
        self.line = line
        self.column = column
        self.construct = construct
        self.hint = hint


@dataclass(frozen=True)
class Program:
    """A parsed, compiled program: its code as it will run, the entry's name and its IR."""

    code: str
    entry: str
    function: ir.Function


# Names and modules whose only use in a program is to reach outside it.
_ESCAPE_NAMES: typing.Final = frozenset({
    "__import__", "open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "breakpoint", "input", "help", "exit", "quit", "memoryview", "__builtins__", "__loader__",
    "__spec__", "__build_class__"})
_ESCAPE_MODULES: typing.Final = frozenset({
    "os", "sys", "subprocess", "socket", "shutil", "ctypes", "importlib", "pathlib", "io", "builtins",
    "multiprocessing", "threading", "signal", "pickle", "marshal", "tempfile", "glob", "http", "urllib",
    "asyncio", "select", "resource", "pty", "fcntl", "mmap", "gc", "inspect", "code", "codeop", "runpy", "site",
    "shelve", "dbm", "sqlite3", "ssl", "ftplib", "smtplib", "telnetlib", "webbrowser", "posix", "nt", "_thread",
    "faulthandler", "tracemalloc", "platform", "sysconfig", "zipimport", "pkgutil", "requests"})
_FENCE: typing.Final = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)```", re.S)



def extract_code(text: str) -> str:
    """The program in a model's answer: its last ```python block (or last block), else the whole text."""
    blocks: list[tuple[str, str]] = [(str(lang).lower(), str(body)) for lang, body in _FENCE.findall(text)]
    python = [body for lang, body in blocks if lang in ("python", "py", "python3")]
    if python:
        return python[-1]
    if blocks:
        return blocks[-1][1]
    return text


def parse_program(text: str, entry: str, params: Sequence[ir.Type], returns: ir.Type) -> Program:
    """Parse and compile ``text``'s function ``entry`` taking ``params`` and returning ``returns``.

    Raises :class:`ProgramMalformed` or :class:`OutsideSubset`.
    """
    code, module = _screened(text, entry)
    functions: dict[str, ast.FunctionDef] = {}
    constants: dict[str, ast.expr] = {}
    for stmt in module.body:
        _top_level(stmt, functions, constants)
    compiler = _Compiler(code, functions, constants)
    return Program(code, entry, compiler.function(entry, tuple(params), returns, entry=True))


def screened(text: str, entry: str) -> str:
    """The code of ``text`` that may run in the sandbox: it parses, defines ``entry`` at its top level and
    reaches for nothing outside it.  Raises :class:`ProgramMalformed`; never :class:`OutsideSubset`
    (a program outside the subset may still be run, to search for a counterexample)."""
    return _screened(text, entry)[0]


def _screened(text: str, entry: str) -> tuple[str, ast.Module]:
    code = extract_code(text)
    if not code.strip():
        raise ProgramMalformed("no program in the text")
    try:
        module = ast.parse(code)
    except SyntaxError as exc:
        raise ProgramMalformed(f"the program does not parse: {exc.msg}", exc.lineno or 0, exc.offset or 0) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, nesting too deep
        raise ProgramMalformed(f"the program does not parse: {exc}") from None
    _refuse_escapes(module)
    defined = sorted({s.name for s in module.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef)})
    if entry not in defined:
        raise ProgramMalformed(f"the program defines no function {entry!r} (it defines "
                               f"{', '.join(defined) or 'no function'})")
    return code, module


def compile_module_function(fn: typing.Any, params: Sequence[ir.Type]) -> ir.Function:
    """A spec module's helper written with statements, compiled as a program function (trusted code: the
    spec's own, read from its file; the spec's CPython evaluator runs it, the encoder reads this IR).

    Raises :class:`OutsideSubset` for a construct outside the program subset.
    """
    import inspect

    file = inspect.getsourcefile(fn) or "<unknown>"
    try:
        text = inspect.getsource(inspect.getmodule(fn))  # type: ignore[arg-type]
    except (OSError, TypeError) as exc:
        raise OutsideSubset(f"cannot read the source of {fn.__qualname__}: {exc}", line=0, column=0,
                            construct=fn.__name__) from None
    module = ast.parse(text)
    functions = {s.name: s for s in module.body if isinstance(s, ast.FunctionDef)}
    constants = {s.targets[0].id: s.value for s in module.body if isinstance(s, ast.Assign)
                 and len(s.targets) == 1 and isinstance(s.targets[0], ast.Name) and _is_literal(s.value)}
    return _Compiler(text, functions, constants, file=file).function(fn.__name__, tuple(params), None)


# --- what a program may not do -----------------------------------------------------------


def _refuse_escapes(module: ast.Module) -> None:
    for node in ast.walk(module):
        where = (getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1)
        if isinstance(node, ast.Name) and node.id in _ESCAPE_NAMES:
            raise ProgramMalformed(f"the program names {node.id!r}, which reaches outside it", *where)
        if isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr.endswith("__"):
            raise ProgramMalformed(f"the program reaches for the attribute {node.attr!r}", *where)
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.split(".")[0] in _ESCAPE_MODULES:
                    raise ProgramMalformed(f"the program imports {name!r}, which reaches outside it", *where)


def _top_level(stmt: ast.stmt, functions: dict[str, ast.FunctionDef], constants: dict[str, ast.expr]) -> None:
    """Collect a top-level statement, or refuse it: only definitions run when a program loads here."""
    if isinstance(stmt, ast.FunctionDef):
        functions[stmt.name] = stmt
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        pass  # a docstring
    elif isinstance(stmt, ast.ImportFrom) and stmt.module == "typing":
        pass  # annotations only
    elif isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
        pass  # runs only as a script, never when the program is loaded to be called
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
            and _is_literal(stmt.value):
        constants[stmt.targets[0].id] = stmt.value
    else:
        raise OutsideSubset(f"`{_clip(ast.unparse(stmt))}` runs when the program loads; only function "
                            "definitions, typing imports and constants may stand at the top level",
                            line=stmt.lineno, column=stmt.col_offset + 1, construct=type(stmt).__name__)


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__" and isinstance(test.ops[0], ast.Eq))


def _is_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | str | bool) and not isinstance(node.value, float)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _is_literal(node.operand)
    if isinstance(node, ast.Tuple):
        return all(_is_literal(e) for e in node.elts)
    return False


def _clip(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


# --- the compiler --------------------------------------------------------------------------


_MUTATORS: typing.Final = frozenset({"append", "insert", "pop", "extend", "sort", "remove"})
_AUG: typing.Final = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Mod: "%"}


class _Compiler(_Frontend):
    """Compiles a program's functions, reusing the spec front end for every expression.

    Each function is compiled twice: a first pass infers the type of every
    local (an empty list's item type from what is later put in it), the
    second builds the IR with those types.
    """

    def __init__(self, code: str, functions: dict[str, ast.FunctionDef], constants: dict[str, ast.expr], *,
                 file: str = "program") -> None:
        self.owner = None  # type: ignore[assignment]  # a program has no spec object: _refuse below needs none
        self.fresh_counter = 0
        self.used_names: set[str] = set()
        self.inline_stack: list[str] = []
        self.pending: dict[str, int] = {}
        self.pending_fn = ""
        self.code = code
        self.file = file
        self.lines = code.splitlines(keepends=True)
        self.functions = functions
        self.constants = constants
        self.compiled: dict[tuple[str, tuple[ir.Type, ...]], ir.Function] = {}
        self.stack: list[str] = []
        self.inferring = False
        self.local_types: dict[str, ir.Type] = {}
        self.expected: ir.Type | None = None  # the type an empty list literal here must have
        self.returns: ir.Type = ir.NONE
        self.mutated: set[str] = set()
        self.programs = True
        self.iterated: ast.expr | None = None
        self.nested: dict[str, str] = {}  # the function being compiled: its nested defs' names -> their keys

    # -- errors: a construct outside the subset is OutsideSubset, not an invalid spec ------------

    def _refuse(self, node: ast.AST, construct: str, why: str, hint: str = "") -> typing.NoReturn:
        raise OutsideSubset(why, line=getattr(node, "lineno", 0), column=getattr(node, "col_offset", -1) + 1,
                            construct=construct, hint=hint)

    def _unsupported(self, node: ast.AST) -> typing.NoReturn:
        kind = type(node).__name__
        text = ast.unparse(node) if isinstance(node, ast.expr | ast.stmt) else kind
        self._refuse(node, kind, f"`{_clip(text)}` ({kind}) is outside the program subset")

    # -- functions ----------------------------------------------------------------------------

    def function(self, name: str, params: tuple[ir.Type, ...], returns: ir.Type | None, *,
                 entry: bool = False) -> ir.Function:
        """The IR of the program's function ``name`` called with arguments of types ``params``."""
        key = (name, params)
        if key in self.compiled:
            return self.compiled[key]
        fdef = self.functions[name]
        if name in self.stack:
            self._refuse(fdef, name, f"{name}() calls itself; recursion is outside the program subset",
                         "write it with a loop")
        shape = fdef.args
        if shape.vararg or shape.kwarg or shape.kwonlyargs or shape.posonlyargs:
            self._refuse(fdef, name, f"{name} takes *args, **kwargs or keyword-only parameters")
        if len(shape.args) != len(params):
            self._refuse(fdef, name, f"{name} takes {len(shape.args)} arguments, called with {len(params)}")
        # A helper is compiled when its first call is: maybe in the inference pass of its caller, whose state
        # (``inferring`` too) it must leave as it found it.
        saved = (getattr(self, "current", None), self.local_types, self.returns, self.mutated, self.expected,
                 self.inferring, self.nested)
        self.current = _Source(self.file, fdef, self.code, {}, self.lines, 1)
        self.stack.append(name)
        try:
            self.nested = self._nested_defs(fdef, name)
            local_types = self._infer(fdef, params, returns)
            self.inferring = False
            param_types = {a.arg: t for a, t in zip(shape.args, params, strict=True)}
            self.mutated = _mutated_names(fdef, {**local_types, **param_types})
            _refuse_aliasing(fdef, self.mutated, {a.arg for a in shape.args} if not entry else set(), self)
            self.local_types = local_types
            scope = _Scope()
            ir_params = []
            for a, t in zip(shape.args, params, strict=True):
                ir_name = self._fresh(a.arg)
                scope.names[a.arg] = (ir_name, t)
                ir_params.append((ir_name, t))
            for local, t in local_types.items():
                if local not in scope.names:
                    scope.names[local] = (self._fresh(local), t)
            self.returns = returns if returns is not None else local_types.get("#return", ir.NONE)
            if not entry and self.returns != ir.NONE and _may_return_none(fdef):
                # Its caller would go on with None (CPython's meaning), which no value of the IR is.
                self._refuse(fdef, name, f"{name}() returns a {self.returns} on some paths and None on others (a "
                             "bare `return`, or falling off its end): None from a helper is outside the subset",
                             "return a value on every path")
            body = self._block(fdef.body, scope)
            compiled = ir.Function(name, tuple(ir_params), body, self.returns, loc=self._loc(fdef))
        finally:
            self.stack.pop()
            current, self.local_types, self.returns, self.mutated, self.expected, self.inferring, self.nested = saved
            if current is not None:
                self.current = current
        self.compiled[key] = compiled
        return compiled

    def _nested_defs(self, fdef: ast.FunctionDef, key: str) -> dict[str, str]:
        """The functions ``fdef`` defines in its body, registered as helpers: their names and keys.

        A nested def is a helper when CPython gives it a helper's meaning: it
        stands at the top level of the body (so it is defined when any later
        statement runs), nothing uses its name before it, the enclosing
        function gives the name no other value, and it reads none of the
        enclosing function's names (a closure).
        """
        out: dict[str, str] = {}
        enclosing = {a.arg for a in fdef.args.args} | _local_names(fdef) | {
            s.name for s in fdef.body if isinstance(s, ast.FunctionDef)}
        for stmt in fdef.body:
            if not isinstance(stmt, ast.FunctionDef):
                continue
            name = stmt.name
            if stmt.decorator_list:
                self._refuse(stmt, name, f"the decorated function {name}() is outside the subset")
            if name in out or name in _local_names(fdef) or name in {a.arg for a in fdef.args.args}:
                self._refuse(stmt, name, f"{fdef.name} gives {name!r} another value too", "rename one of them")
            early = [n for n in ast.walk(fdef) if isinstance(n, ast.Name) and n.id == name
                     and n.lineno < stmt.lineno]
            if early:
                self._refuse(early[0], name, f"{name!r} is used before its def (line {stmt.lineno}) runs")
            free = sorted(_free_names(stmt) & enclosing)
            if free:
                self._refuse(stmt, name, f"the nested function {name}() reads {free[0]!r} of {fdef.name}, a closure; "
                             "closures are outside the subset",
                             f"pass {free[0]} as an argument, or define {name}() at the top level")
            out[name] = f"{key}.{name}"
            self.functions[out[name]] = stmt
        return out

    def _infer(self, fdef: ast.FunctionDef, params: tuple[ir.Type, ...], returns: ir.Type | None
               ) -> dict[str, ir.Type]:
        """The type of every local of ``fdef`` (and ``#return``), by compiling its body until they settle."""
        types: dict[str, ir.Type] = {}
        if returns is not None:
            types["#return"] = returns
        self.inferring = True
        try:
            for _ in range(4):
                before = dict(types)
                self.local_types = types
                scope = _Scope()
                for a, t in zip(fdef.args.args, params, strict=True):
                    scope.names[a.arg] = (a.arg, t)
                for local, t in types.items():
                    scope.names.setdefault(local, (local, t))
                self.returns = types.get("#return", UNKNOWN)
                self._block(fdef.body, scope)
                if types == before:
                    break
        finally:
            self.inferring = False
        for local, t in types.items():
            if _has_unknown(t):
                types[local] = _settle(t)
        return types

    def _note(self, node: ast.AST, name: str, t: ir.Type, scope: _Scope) -> None:
        """In the inference pass, the local ``name`` takes a value of type ``t`` here (and has it from now)."""
        if not self.inferring:
            known = scope.names.get(name)
            if known is not None and not _fits(known[1], t):  # what the inference pass could not see
                self._refuse(node, name, f"{name!r} holds a {known[1]} and a {t}: a local of one type only is in "
                             "the subset", "give each value its own name")
            return
        old = self.local_types.get(name)
        merged = t if old is None else _unify(old, t)
        if merged is None:
            self._refuse(node, name, f"{name!r} holds a {old} and a {t}: a local of one type only is in the subset",
                         "give each value its own name")
        self.local_types[name] = merged
        if not name.startswith("#"):
            scope.names[name] = (self._local(name, scope), merged)

    # -- blocks and statements --------------------------------------------------------------------

    def _block(self, stmts: Sequence[ast.stmt], scope: _Scope) -> tuple[ir.Stmt, ...]:
        out: list[ir.Stmt] = []
        for stmt in stmts:
            out += self._stmt(stmt, scope)
        return tuple(out)

    def _stmt(self, node: ast.stmt, scope: _Scope) -> Iterator[ir.Stmt]:
        loc = self._loc(node)
        match node:
            case ast.Expr(value=ast.Constant(value=str())):
                return  # a docstring or a bare string
            case ast.Pass():
                return
            case ast.FunctionDef(name=name) if self.functions.get(self.nested.get(name, "")) is node:
                return  # a nested helper, compiled where it is called
            case ast.Assign(targets=[target], value=value):
                yield from self._assign(node, target, value, scope)
            case ast.Assign():
                self._refuse(node, "Assign", "chained assignment `a = b = ...` is outside the program subset",
                             "assign each name on its own line")
            case ast.AnnAssign(target=target, value=value) if value is not None:
                yield from self._assign(node, target, value, scope)
            case ast.AugAssign(target=target, op=op, value=value):
                yield from self._augassign(node, target, op, value, scope)
            case ast.If(test=test, body=body, orelse=orelse):
                yield ir.If(self._condition(test, scope), self._block(body, scope), self._block(orelse, scope), loc=loc)
            case ast.For(target=target, iter=it, body=body, orelse=orelse):
                if orelse:
                    self._refuse(node, "for-else", "`for ... else` is outside the program subset")
                iterable = self._loop_iterable(it, scope)
                names = self._targets(target, _elem_type(iterable.type), scope, node)
                yield ir.For(names, iterable, self._block(body, scope), loc=loc)
            case ast.While(test=test, body=body, orelse=orelse):
                if orelse:
                    self._refuse(node, "while-else", "`while ... else` is outside the program subset")
                yield ir.While(self._condition(test, scope), self._block(body, scope), loc=loc)
            case ast.Break():
                yield ir.Break(loc=loc)
            case ast.Continue():
                yield ir.Continue(loc=loc)
            case ast.Return(value=value):
                yield ir.Return(None if value is None else self._returned(value, scope), loc=loc)
            case ast.Raise(exc=exc, cause=None) if exc is not None:
                yield ir.Raise(self._raised_kind(exc), loc=loc)
            case ast.Assert(test=test):
                yield ir.If(ir.UnOp("not", self._condition(test, scope), type=ir.BOOL, loc=loc),
                            (ir.Raise("AssertionError", loc=loc),), (), loc=loc)
            case ast.Expr(value=ast.Call() as call):
                yield from self._call_statement(call, scope)
            case _:
                self._unsupported(node)

    def _assign(self, node: ast.stmt, target: ast.expr, value: ast.expr, scope: _Scope) -> Iterator[ir.Stmt]:
        loc = self._loc(node)
        if isinstance(target, ast.Name):
            popped = self._popped(value, scope)
            if popped is not None:
                lst, args, elem = popped
                self._note(node, target.id, elem, scope)
                yield ir.Mutate(lst, "pop", args, self._local(target.id, scope), loc=loc)
                return
            known = scope.names.get(target.id)
            self.expected = known[1] if known is not None else None
            e = self.expr(value, scope)
            self.expected = None
            self._note(node, target.id, e.type, scope)
            yield ir.Assign((self._local(target.id, scope),), e, loc=loc)
        elif isinstance(target, ast.Tuple) and all(isinstance(t, ast.Name) for t in target.elts):
            e = self.expr(value, scope)
            if not isinstance(e.type, ir.TupleT) or len(e.type.items) != len(target.elts):
                self._refuse(node, "unpack", f"unpacking {e.type} into {len(target.elts)} names is outside the "
                             "subset (a tuple of as many items is in it)")
            for t, item in zip(target.elts, e.type.items, strict=True):
                self._note(node, typing.cast(ast.Name, t).id, item, scope)
            yield ir.Assign(tuple(self._local(typing.cast(ast.Name, t).id, scope) for t in target.elts), e, loc=loc)
        elif isinstance(target, ast.Tuple) and all(_is_item(t) or isinstance(t, ast.Name) for t in target.elts):
            # `a[i], a[j] = a[j], a[i]`: the right side first, whole, then each target from left to right.
            e = self.expr(value, scope)
            if not isinstance(e.type, ir.TupleT) or len(e.type.items) != len(target.elts):
                self._refuse(node, "unpack", f"unpacking {e.type} into {len(target.elts)} targets is outside the "
                             "subset (a tuple of as many items is in it)")
            tmp = self._fresh("#unpacked")
            yield ir.Assign((tmp,), e, loc=loc)
            for k, (t, part_type) in enumerate(zip(target.elts, e.type.items, strict=True)):
                part = ir.Index(ir.Var(tmp, type=e.type, loc=loc), ir.Const(k, type=ir.INT, loc=loc),
                                type=part_type, loc=loc)
                yield from self._store(node, t, part, scope)
        elif _is_item(target):
            yield from self._store(node, target, None, scope, value)
        else:
            self._refuse(node, "Assign", f"assigning to `{_clip(ast.unparse(target))}` is outside the program subset",
                         "assign to a name, a tuple of names, or one item of a list variable")

    def _store(self, node: ast.stmt, target: ast.expr, item: ir.Expr | None, scope: _Scope,
               value: ast.expr | None = None) -> Iterator[ir.Stmt]:
        """Assign ``item`` (or the expression ``value``) to a name or to one item of a list variable."""
        loc = self._loc(node)
        if isinstance(target, ast.Name):
            assert item is not None
            self._note(node, target.id, item.type, scope)
            yield ir.Assign((self._local(target.id, scope),), item, loc=loc)
            return
        assert isinstance(target, ast.Subscript)
        assert isinstance(target.value, ast.Name)
        lst = self._list_name(target.value, scope, node)
        index = self.expr(target.slice, scope)
        self._need(index, ir.INT, target.slice, "an index")
        if item is None:
            assert value is not None
            self.expected = _elem_type(scope.names[target.value.id][1])
            item = self.expr(value, scope)
            self.expected = None
        self._note(node, target.value.id, ir.ListT(item.type), scope)
        yield ir.SetItem(lst, index, item, loc=loc)

    def _augassign(self, node: ast.AugAssign, target: ast.expr, op: ast.operator, value: ast.expr, scope: _Scope
                   ) -> Iterator[ir.Stmt]:
        loc = self._loc(node)
        name = _AUG.get(type(op))
        if name is None:
            self._refuse(node, type(op).__name__, f"the operator in `{_clip(ast.unparse(node))}` is outside the subset")
        if isinstance(target, ast.Name):
            current = self._name(target, target.id, scope)
            if isinstance(current.type, ir.ListT) and name == "+":
                self.expected = current.type
                other = self.expr(value, scope)
                self.expected = None
                self._note(node, target.id, other.type, scope)
                yield ir.Mutate(self._local(target.id, scope), "extend", (other,), loc=loc)
                return
            combined = ast.copy_location(ast.BinOp(left=target, op=op, right=value), node)
            e = self.expr(combined, scope)
            self._note(node, target.id, e.type, scope)
            yield ir.Assign((self._local(target.id, scope),), e, loc=loc)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) \
                and not isinstance(target.slice, ast.Slice):
            lst = self._list_name(target.value, scope, node)
            index = self.expr(target.slice, scope)
            read = ast.copy_location(ast.Subscript(value=target.value, slice=target.slice, ctx=ast.Load()), node)
            e = self.expr(ast.copy_location(ast.BinOp(left=read, op=op, right=value), node), scope)
            yield ir.SetItem(lst, index, e, loc=loc)
        else:
            self._refuse(node, "AugAssign", f"`{_clip(ast.unparse(node))}` is outside the program subset")

    def _call_statement(self, call: ast.Call, scope: _Scope) -> Iterator[ir.Stmt]:
        """A call whose value is dropped: a list mutation, ``print``, or a call kept for its exceptions."""
        loc = self._loc(call)
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "sort" and isinstance(func.value, ast.Name):
            lst = self._list_name(func.value, scope, call)
            elem = _elem_type(scope.names[func.value.id][1])
            reverse = [kw for kw in call.keywords if kw.arg == "reverse"]
            if call.args or len(reverse) != len(call.keywords) or (reverse and not (
                    isinstance(reverse[0].value, ast.Constant) and isinstance(reverse[0].value.value, bool))):
                self._refuse(call, "sort", "sort() takes only reverse=True or reverse=False here (no key=)")
            if elem not in (ir.INT, ir.STR, UNKNOWN):
                self._refuse(call, "sort", f"sorting {elem} items is outside the subset (ints and strs are in it)")
            descending = bool(reverse and typing.cast(ast.Constant, reverse[0].value).value)
            yield ir.Mutate(lst, "sort", (ir.Const(True, type=ir.BOOL, loc=loc),) if descending else (), loc=loc)
            return
        if isinstance(func, ast.Attribute) and func.attr in _MUTATORS and isinstance(func.value, ast.Name):
            if call.keywords:
                self._refuse(call, func.attr, f"{func.attr}() with keyword arguments is outside the subset")
            lst = self._list_name(func.value, scope, call)
            lst_type = scope.names[func.value.id][1]
            elem = _elem_type(lst_type)
            args: list[ir.Expr] = []
            for i, a in enumerate(call.args):
                is_value = func.attr in ("append", "remove") or (func.attr == "insert" and i == 1)
                self.expected = lst_type if func.attr == "extend" else (elem if is_value else None)
                e = self.expr(a, scope)
                self.expected = None
                if is_value:
                    self._note(call, func.value.id, ir.ListT(e.type), scope)
                elif func.attr == "extend":
                    self._note(call, func.value.id, e.type, scope)
                else:
                    self._need(e, ir.INT, a, f"the index of {func.attr}")
                args.append(e)
            arity = {"append": (1,), "insert": (2,), "pop": (0, 1), "extend": (1,), "remove": (1,)}[func.attr]
            if len(args) not in arity:
                self._refuse(call, func.attr, f"{func.attr} takes {' or '.join(map(str, arity))} arguments")
            yield ir.Mutate(lst, func.attr, tuple(args), loc=loc)
            return
        if isinstance(func, ast.Name) and func.id == "print" and func.id not in scope.names:
            for a in call.args:
                yield ir.Evaluate(self.expr(a, scope), loc=loc)
            return
        yield ir.Evaluate(self.expr(call, scope), loc=loc)

    def _popped(self, value: ast.expr, scope: _Scope) -> tuple[str, tuple[ir.Expr, ...], ir.Type] | None:
        """``(list, args, item type)`` when ``value`` is ``name.pop(...)``; else None."""
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "pop"
                and isinstance(value.func.value, ast.Name) and not value.keywords):
            return None
        lst = self._list_name(value.func.value, scope, value)
        args = tuple(self.expr(a, scope) for a in value.args)
        if len(args) > 1:
            self._refuse(value, "pop", "pop takes 0 or 1 arguments")
        return lst, args, _elem_type(scope.names[value.func.value.id][1])

    def _list_name(self, node: ast.Name, scope: _Scope, where: ast.AST) -> str:
        """The IR name of the list variable ``node`` names, which the program mutates."""
        known = scope.names.get(node.id)
        if known is None:
            self._refuse(where, node.id, f"{node.id!r} is not a local list of the function")
        if not isinstance(known[1], ir.ListT):
            self._refuse(where, node.id, f"{node.id!r} is a {known[1]}, not a list that can be changed")
        if isinstance(_elem_type(known[1]), ir.ListT):
            self._refuse(where, node.id, f"changing {node.id!r}, a list of lists, is outside the program subset")
        return known[0]

    def _local(self, name: str, scope: _Scope) -> str:
        return scope.names[name][0] if name in scope.names else name

    def _targets(self, target: ast.expr, elem: ir.Type, scope: _Scope, node: ast.AST) -> tuple[str, ...]:
        if isinstance(target, ast.Name):
            self._note(node, target.id, elem, scope)
            return (self._local(target.id, scope),)
        if isinstance(target, ast.Tuple) and all(isinstance(t, ast.Name) for t in target.elts):
            if not isinstance(elem, ir.TupleT) or len(elem.items) != len(target.elts):
                self._refuse(target, "unpack", f"cannot unpack {elem} into {len(target.elts)} names")
            names = []
            for t, item in zip(target.elts, elem.items, strict=True):
                self._note(node, typing.cast(ast.Name, t).id, item, scope)
                names.append(self._local(typing.cast(ast.Name, t).id, scope))
            return tuple(names)
        self._refuse(target, "target", "a loop target must be a name or a tuple of names")

    def _loop_iterable(self, node: ast.expr, scope: _Scope) -> ir.Expr:
        """A for loop's iterable.  The IR's for loop takes every item before its body runs; CPython's takes
        a generator's (map's, filter's) items one at a time, so a loop that stops early never computes the
        rest.  The two agree when computing an item cannot raise, and only such lazy iterables are in the
        subset (a list comprehension, built in full first in CPython too, is in it whatever it computes)."""
        iterable = self._iterable(node, scope)
        partial = _lazily_partial(iterable)
        if partial is not None:
            where = f"line {partial.loc.line}, column {partial.loc.col + 1}"
            self._refuse(node, "lazy iterable",
                         f"the loop over `{_clip(ast.unparse(node))}` computes its items one at a time, and "
                         f"computing one may raise ({where}): a loop that stops early never computes the rest",
                         "loop over a list comprehension [...], built in full before the loop")
        return iterable

    def _iterable(self, node: ast.expr, scope: _Scope) -> ir.Expr:
        lowered = self._lazy_builtin(node, scope)
        return super()._iterable(node if lowered is None else lowered, scope)

    def _lazy_builtin(self, node: ast.expr, scope: _Scope) -> ast.GeneratorExp | None:
        """``map(f, xs)`` and ``filter(f, xs)`` as the generator they are: ``(f(x) for x in xs)``,
        ``(x for x in xs if f(x))``.  CPython's map and filter, like a generator, take ``iter(xs)`` when they are
        made and call ``f`` item by item as they are iterated; a lambda's parameter is bound as a comprehension's
        variable is, in a scope of its own."""
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("map", "filter")
                and node.func.id not in scope.names and node.func.id not in self.functions
                and node.func.id not in self.nested):
            return None
        kind = node.func.id
        if node.keywords or len(node.args) != 2 or any(isinstance(a, ast.Starred) for a in node.args):
            self._refuse(node, kind, f"{kind}() takes a function and one iterable here")
        fn, items = node.args
        item = f"_assay_{kind}_item{self.fresh_counter}"
        self.fresh_counter += 1
        test: ast.expr | None
        if isinstance(fn, ast.Lambda):
            shape = fn.args
            if len(shape.args) != 1 or shape.vararg or shape.kwarg or shape.kwonlyargs or shape.posonlyargs \
                    or shape.defaults:
                self._refuse(fn, "lambda", f"the function given to {kind}() must take one argument")
            item = shape.args[0].arg
            applied = fn.body
        elif kind == "filter" and isinstance(fn, ast.Constant) and fn.value is None:
            applied = ast.Name(id=item, ctx=ast.Load())
        elif isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) and fn.value.id == "str" \
                and "str" not in scope.names:
            # str.lower and the like, called on a str item: the item's own method.
            applied = ast.Call(func=ast.Attribute(value=ast.Name(id=item, ctx=ast.Load()), attr=fn.attr,
                                                  ctx=ast.Load()), args=[], keywords=[])
        elif isinstance(fn, ast.Name):
            applied = ast.Call(func=fn, args=[ast.Name(id=item, ctx=ast.Load())], keywords=[])
        else:
            self._refuse(fn, kind, f"{kind}() of `{_clip(ast.unparse(fn))}` is outside the subset",
                         "give it a lambda, a builtin or a function of the program by name")
        if kind == "map":
            elt, test = applied, None
        else:
            elt, test = ast.Name(id=item, ctx=ast.Load()), applied
        target = ast.Name(id=item, ctx=ast.Store())
        gen = ast.GeneratorExp(elt=elt, generators=[ast.comprehension(
            target=target, iter=items, ifs=[] if test is None else [test], is_async=0)])
        for n in ast.walk(gen):
            if not hasattr(n, "lineno") and isinstance(n, ast.expr):
                ast.copy_location(n, node)
        return ast.copy_location(gen, node)

    def _program_iterable(self, node: ast.expr, scope: _Scope) -> ir.Expr | None:
        chars = super()._program_iterable(node, scope)
        # The spec front end translates a non-string iterable a second time; ``reversed(...)`` is accepted only
        # as the iterable being translated, which the first translation's own iterables changed.
        self.iterated = node
        return chars

    def _generator(self, g: ast.comprehension, scope: _Scope) -> ir.Generator:
        """A comprehension's ``for``, its ``if`` conditions with Python's truth (ints, strings, lists too)."""
        bare = ast.comprehension(target=g.target, iter=g.iter, ifs=[], is_async=g.is_async)
        generator = super()._generator(bare, scope)  # binds the targets in ``scope``
        conds = tuple(self._condition(c, scope) for c in g.ifs)
        return ir.Generator(generator.targets, generator.iter, conds)

    def _returned(self, value: ast.expr, scope: _Scope) -> ir.Expr:
        self.expected = self.returns if self.returns not in (UNKNOWN, ir.NONE) else None
        e = self.expr(value, scope)
        self.expected = None
        if self.inferring:
            self._note(value, "#return", e.type, scope)
        elif not _fits(self.returns, e.type):
            self._refuse(value, "return", f"the function returns a {e.type} here, and a {self.returns} elsewhere")
        return e

    def _raised_kind(self, exc: ast.expr) -> str:
        node = exc.func if isinstance(exc, ast.Call) else exc
        if isinstance(node, ast.Name) and node.id.endswith(("Error", "Exception")):
            return node.id
        self._refuse(exc, "raise", f"`raise {_clip(ast.unparse(exc))}` is outside the subset",
                     "raise a builtin exception class, like raise ValueError('...')")

    def _condition(self, node: ast.expr, scope: _Scope) -> ir.Expr:
        """A condition with Python's truth: ints, strings and lists as well as bools."""
        return _truth(self.expr(node, scope))

    # -- expressions: the spec front end's, with a program's names, calls and truth -----------------

    def expr(self, node: ast.expr, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        if isinstance(node, ast.List) and not node.elts:
            t = self.expected
            if t is None or not isinstance(t, ir.ListT):
                if self.inferring:
                    return ir.ListLit((), type=ir.ListT(UNKNOWN), loc=loc)
                self._refuse(node, "List", "an empty list whose item type nothing here says",
                             "assign it to a name first, or compare with len(xs) == 0")
            return ir.ListLit((), type=t, loc=loc)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ir.UnOp("not", _truth(self.expr(node.operand, scope)), type=ir.BOOL, loc=loc)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, scope)
        if isinstance(node, ast.BoolOp):
            values = [self.expr(v, scope) for v in node.values]
            if any(v.type != ir.BOOL for v in values):
                self._refuse(node, "BoolOp", "`and`/`or` between values that are not bools (their value is one "
                             "of the operands) is outside the subset", "compare explicitly, e.g. `x != 0`")
            return ir.BoolOp("and" if isinstance(node.op, ast.And) else "or", tuple(values), type=ir.BOOL, loc=loc)
        if isinstance(node, ast.IfExp):
            cond = _truth(self.expr(node.test, scope))
            a, b = self.expr(node.body, scope), self.expr(node.orelse, scope)
            merged = _unify(a.type, b.type) if self.inferring else (a.type if a.type == b.type else None)
            if merged is None:
                self._refuse(node, "IfExp", f"the branches have different types ({a.type} and {b.type})")
            return ir.IfExp(cond, a, b, type=merged, loc=loc)
        return super().expr(node, scope)

    def _fstring(self, node: ast.JoinedStr, scope: _Scope) -> ir.Expr:
        """``f"...{x}..."``: its pieces joined left to right, each value as ``format(x, "")`` makes it (an int's
        or a bool's ``str``, a str itself); a format spec, or ``!r``/``!a`` of a str, is outside the subset."""
        loc = self._loc(node)
        out: ir.Expr = ir.Const("", type=ir.STR, loc=loc)
        for piece in node.values:
            if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                part: ir.Expr = ir.Const(piece.value, type=ir.STR, loc=loc)
            elif isinstance(piece, ast.FormattedValue):
                if piece.format_spec is not None:
                    self._refuse(piece, "f-string", "a format spec in an f-string is outside the subset",
                                 "build the text with str() and +")
                value = self.expr(piece.value, scope)
                conversion = chr(piece.conversion) if piece.conversion >= 0 else ""
                if value.type == ir.STR and conversion in ("", "s"):
                    part = value
                elif value.type in (ir.INT, ir.BOOL) and conversion in ("", "s", "r", "a"):
                    part = ir.Call("str", (value,), type=ir.STR, loc=loc)  # repr, ascii and str agree on these
                elif self.inferring and value.type == UNKNOWN:
                    part = ir.Const("", type=ir.STR, loc=loc)
                else:
                    self._refuse(piece, "f-string", f"formatting a {value.type} in an f-string"
                                 + (f" with !{conversion}" if conversion else "") + " is outside the subset")
            else:
                self._unsupported(piece)
            out = part if isinstance(out, ir.Const) and out.value == "" else ir.BinOp(
                "+", out, part, type=ir.STR, loc=loc)
        return out

    def _need(self, e: ir.Expr, t: ir.Type, node: ast.AST, what: str) -> None:
        if self.inferring and _fits(e.type, t):
            return
        super()._need(e, t, node, what)

    def _check_compare(self, node: ast.AST, op: str, a: ir.Expr, b: ir.Expr) -> None:
        if self.inferring and (_has_unknown(a.type) or _has_unknown(b.type)):
            return
        super()._check_compare(node, op, a, b)

    def _name(self, node: ast.AST, name: str, scope: _Scope) -> ir.Expr:
        loc = self._loc(node)
        if name in scope.names:
            ir_name, t = scope.names[name]
            return ir.Var(ir_name, type=t, loc=loc)
        if name in self.constants:
            return self.expr(self.constants[name], scope)
        if self.inferring and name in self._assigned_here():
            # Assigned further down: its type is not known yet in this pass.
            return ir.Var(name, type=self.local_types.get(name, UNKNOWN), loc=loc)
        if name in ("True", "False", "None"):
            self._unsupported(node)
        self._refuse(node, name, f"the name {name!r} is not defined in the program")

    def _assigned_here(self) -> set[str]:
        return _local_names(self.current.tree)

    def _call(self, node: ast.Call, scope: _Scope) -> ir.Expr:
        func = node.func
        if isinstance(func, ast.Name) and func.id not in scope.names and (func.id in self.functions
                                                                           or func.id in self.nested):
            if node.keywords:
                self._refuse(node, func.id, "keyword arguments are outside the subset")
            args = tuple(self.expr(a, scope) for a in node.args)
            if self.inferring and any(_has_unknown(a.type) for a in args):
                # An argument's type is not settled yet in this pass: compile the helper once it is.
                return ir.Var("#unsettled", type=UNKNOWN, loc=self._loc(node))
            callee = self.function(self.nested.get(func.id, func.id), tuple(a.type for a in args), None)
            return ir.Invoke(callee, args, type=callee.returns, loc=self._loc(node))
        if isinstance(func, ast.Name) and func.id in ("implies", "distinct"):
            self._refuse(node, func.id, f"{func.id} is assay's, not Python's: a program cannot call it")
        if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
            self._refuse(node, func.attr, f"{func.attr}() inside an expression is outside the subset",
                         "call it on its own line (or `x = xs.pop()`)")
        return self._builtin_call(node, scope)

    def _builtin_call(self, node: ast.Call, scope: _Scope) -> ir.Expr:
        # A program's globals are empty (its functions are compiled above), so the spec front end resolves
        # every other name to Python's builtins, and refuses those outside the subset.
        try:
            return super()._call(node, scope)
        except InvalidSpec as exc:  # raised by helpers that do not go through _refuse
            raise OutsideSubset(exc.why, line=getattr(node, "lineno", 0), column=getattr(node, "col_offset", 0) + 1,
                                construct=exc.construct, hint=exc.hint) from None

    def _attr(self, node: ast.Attribute, value: ast.expr, attr: str, scope: _Scope) -> ir.Expr:
        self._refuse(node, attr, f"the attribute `.{attr}` is outside the program subset")


def _fresh_list(node: ast.expr) -> bool:
    """Whether ``node`` builds a new list that no other name holds."""
    if isinstance(node, ast.List | ast.ListComp | ast.BinOp):
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "sorted")


def _is_item(node: ast.expr) -> bool:
    """``name[index]``: one item of a list variable (not a slice)."""
    return (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and not isinstance(node.slice, ast.Slice))


def _has_unknown(t: ir.Type) -> bool:
    if t == UNKNOWN:
        return True
    if isinstance(t, ir.ListT):
        return _has_unknown(t.elem)
    if isinstance(t, ir.TupleT):
        return any(_has_unknown(i) for i in t.items)
    return False


def _fits(a: ir.Type, b: ir.Type) -> bool:
    return _unify(a, b) is not None


def _unify(a: ir.Type, b: ir.Type) -> ir.Type | None:
    """The type both ``a`` and ``b`` are, with UNKNOWN filled in from the other; None if they differ."""
    if a == UNKNOWN:
        return b
    if b == UNKNOWN:
        return a
    if isinstance(a, ir.ListT) and isinstance(b, ir.ListT):
        elem = _unify(a.elem, b.elem)
        return None if elem is None else ir.ListT(elem)
    if isinstance(a, ir.TupleT) and isinstance(b, ir.TupleT) and len(a.items) == len(b.items):
        items = [_unify(x, y) for x, y in zip(a.items, b.items, strict=True)]
        return None if any(i is None for i in items) else ir.TupleT(tuple(typing.cast(list[ir.Type], items)))
    return a if a == b else None


def _settle(t: ir.Type) -> ir.Type:
    """A type with what nothing said filled in: an empty list that never holds anything holds ints."""
    if t == UNKNOWN:
        return ir.INT
    if isinstance(t, ir.ListT):
        return ir.ListT(_settle(t.elem))
    if isinstance(t, ir.TupleT):
        return ir.TupleT(tuple(_settle(i) for i in t.items))
    return t


def _truth(e: ir.Expr) -> ir.Expr:
    """``e`` as Python's ``bool(e)``: a bool as it is, an int ``!= 0``, a str or list non-empty."""
    loc = e.loc
    if e.type == ir.BOOL:
        return e
    if e.type == ir.INT:
        return ir.Compare(("!=",), (e, ir.Const(0, type=ir.INT, loc=loc)), type=ir.BOOL, loc=loc)
    if e.type == ir.STR or isinstance(e.type, ir.ListT | ir.TupleT):
        length = ir.Call("len", (e,), type=ir.INT, loc=loc)
        return ir.Compare(("!=",), (length, ir.Const(0, type=ir.INT, loc=loc)), type=ir.BOOL, loc=loc)
    if e.type == UNKNOWN:
        return ir.Const(True, type=ir.BOOL, loc=loc)
    raise OutsideSubset(f"the truth of a {e.type} is outside the subset", line=loc.line, column=loc.col + 1,
                        construct="truth")


def _may_return_none(fdef: ast.FunctionDef) -> bool:
    """Whether a call of ``fdef`` may return None: a bare ``return``, or a path that falls off its end."""
    bare = any(isinstance(n, ast.Return) and n.value is None for n in ast.walk(fdef))
    return bare or not _never_completes(fdef.body)


def _never_completes(stmts: Sequence[ast.stmt]) -> bool:
    """Whether running ``stmts`` never reaches their end (a conservative answer: False when unsure)."""
    for s in stmts:
        if isinstance(s, ast.Return | ast.Raise):
            return True
        if isinstance(s, ast.If) and _never_completes(s.body) and _never_completes(s.orelse):
            return True
        if isinstance(s, ast.While) and isinstance(s.test, ast.Constant) and s.test.value is True \
                and not s.orelse and not _breaks(s.body):
            return True
    return False


def _breaks(stmts: Sequence[ast.stmt]) -> bool:
    """Whether a ``break`` in ``stmts`` leaves the loop they are the body of (not one nested in them)."""
    for s in stmts:
        if isinstance(s, ast.Break):
            return True
        if isinstance(s, ast.If | ast.With | ast.Try) and any(
                _breaks(getattr(s, block, [])) for block in ("body", "orelse", "finalbody")):
            return True
    return False


def _local_names(fdef: ast.FunctionDef) -> set[str]:
    """The names a function binds in its own scope (assignments and loop targets, not comprehensions)."""
    out: set[str] = set()

    def visit(stmts: Sequence[ast.stmt]) -> None:
        for s in stmts:
            targets: list[ast.expr] = []
            if isinstance(s, ast.Assign):
                targets = list(s.targets)
            elif isinstance(s, ast.AugAssign | ast.AnnAssign | ast.For):
                targets = [s.target]
            for t in targets:
                out.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
            if isinstance(s, ast.FunctionDef):
                continue  # its own scope
            for block in ("body", "orelse"):
                visit(getattr(s, block, []))

    visit(fdef.body)
    return out


def _free_names(fdef: ast.FunctionDef) -> set[str]:
    """The names ``fdef`` reads without binding them in its own scope (comprehension variables and lambda
    parameters count as read: a name both bound there and read elsewhere may be a closure's)."""
    bound = {a.arg for a in (*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs)}
    bound |= _local_names(fdef) | {s.name for s in fdef.body if isinstance(s, ast.FunctionDef)}
    read = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return read - bound


def _mutated_names(fdef: ast.FunctionDef, types: dict[str, ir.Type]) -> set[str]:
    """The list variables the function changes in place: mutating methods, item assignment, ``+=`` on a list."""
    out: set[str] = set()
    for n in ast.walk(fdef):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _MUTATORS \
                and isinstance(n.func.value, ast.Name):
            out.add(n.func.value.id)
        elif isinstance(n, ast.Assign | ast.AugAssign):
            for t in n.targets if isinstance(n, ast.Assign) else [n.target]:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    out.add(t.value.id)
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name) and isinstance(n.op, ast.Add) \
                and isinstance(types.get(n.target.id), ir.ListT):
            out.add(n.target.id)  # a list's += extends it in place (an int's or a str's makes a new value)
    return out


def _refuse_aliasing(fdef: ast.FunctionDef, mutated: set[str], params: set[str], compiler: _Compiler) -> None:
    """Refuse a list that the function changes and another name could also see.

    A changed list may be read (indexed, iterated, measured, compared, passed
    to a builtin, returned at the end) but not given a second name: not
    assigned to or from another name, not put inside another list or tuple,
    not passed to a program function.  A helper may not change its own list
    parameters (the caller's list would change).
    """
    for name in sorted(mutated & params):
        compiler._refuse(fdef, name, f"{fdef.name} changes its parameter {name!r}, which is its caller's list too",
                         "build a new list in the helper instead")
    for n in ast.walk(fdef):
        if isinstance(n, ast.Assign | ast.AnnAssign) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in mutated and not _fresh_list(n.value):
                    compiler._refuse(n, t.id, f"the list {t.id!r} is changed in place, and here it is given a value "
                                     "another name may hold too (aliasing is outside the subset)",
                                     f"make it a new list: {t.id} = list(...)")
        if isinstance(n, ast.For):
            hit = [x.id for x in ast.walk(n.target) if isinstance(x, ast.Name) and x.id in mutated]
            if hit:
                compiler._refuse(n, hit[0], f"the loop variable {hit[0]!r} is changed in place: it is an item of "
                                 "another list (aliasing is outside the subset)")
    parents: dict[int, ast.AST] = {}
    for n in ast.walk(fdef):
        for child in ast.iter_child_nodes(n):
            parents[id(child)] = n
    for n in ast.walk(fdef):
        if not (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in mutated):
            continue
        parent = parents.get(id(n))
        if (isinstance(parent, ast.Assign | ast.AnnAssign) and parent.value is n) \
                or isinstance(parent, ast.List | ast.Tuple | ast.Set) \
                or (isinstance(parent, ast.Call) and n in parent.args and isinstance(parent.func, ast.Name)
                    and parent.func.id in compiler.functions) \
                or (isinstance(parent, ast.Call) and n in parent.args and isinstance(parent.func, ast.Attribute)
                    and parent.func.attr in ("append", "insert")):
            compiler._refuse(n, n.id, f"the list {n.id!r} is changed in place and also given another name here, "
                             "so a change through one name would show through the other (aliasing is outside the "
                             "subset)", "build a new list instead")


# --- which items a for loop may leave uncomputed -------------------------------------------------------

_TOTAL_BINOPS = frozenset({"+", "-", "*", "**"})  # on operands of the types they are checked for; ** by a constant
_TOTAL_CALLS = frozenset({"all", "any", "sum", "len", "abs", "enumerate", "zip", "chars", "sorted", "reversed",
                          "list", "distinct", "implies", "str", "bin"})
_TOTAL_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "isdigit", "isalpha", "isalnum",
                            "isupper", "islower", "isspace", "startswith", "endswith", "count", "find", "replace",
                            "swapcase", "capitalize", "title", "join"})


def _lazily_partial(e: ir.Expr) -> ir.Expr | None:
    """The first expression CPython computes item by item, as ``e`` is iterated, that may raise; None if none.

    A generator's first iterable is evaluated when the generator is made (in full, unless it is lazy
    itself); its element, its conditions and its other iterables are computed as items are taken.
    """
    match e:
        case ir.Comprehension(kind="gen", elt=elt, generators=gens):
            first = _lazily_partial(gens[0].iter)
            if first is not None:
                return first
            later = (elt, *(c for g in gens for c in g.conds), *(g.iter for g in gens[1:]))
            return next((p for p in map(_partial, later) if p is not None), None)
        case ir.Call(fn="enumerate" | "zip", args=args):
            return next((p for p in map(_lazily_partial, args) if p is not None), None)
    return None


def _partial(e: ir.Expr) -> ir.Expr | None:
    """The first sub-expression of ``e`` that may raise (or call a function of the program); None if none."""
    children: tuple[ir.Expr | None, ...]
    match e:
        case ir.Const() | ir.Var():
            children = ()
        case ir.UnOp(arg=arg):
            children = (arg,)
        case ir.BinOp(op=op, left=left, right=right):
            nonzero = isinstance(right, ir.Const) and type(right.value) is int and right.value != 0
            if op not in _TOTAL_BINOPS and not (op in ("//", "%") and nonzero):
                return e
            children = (left, right)
        case ir.BoolOp(args=args) | ir.ListLit(items=args) | ir.TupleLit(items=args):
            children = args
        case ir.Compare(operands=operands):
            children = operands
        case ir.IfExp(cond=c, then=t, orelse=o):
            children = (c, t, o)
        case ir.RangeIter(start=start, stop=stop):
            children = (start, stop)
        case ir.SliceOf(obj=obj, start=start, stop=stop):
            children = (obj, start, stop)
        case ir.Call(fn=fn, args=args) if fn in _TOTAL_CALLS or (fn in ("min", "max") and len(args) >= 2):
            children = args
        case ir.Method(name=name, obj=obj, args=args) if name in _TOTAL_METHODS:
            children = (obj, *args)
        case ir.Comprehension(elt=elt, generators=gens):
            children = (elt, *(c for g in gens for c in g.conds), *(g.iter for g in gens))
        case ir.Let(value=value, body=body):
            children = (value, body)
        case _:
            return e  # an index, a conversion, min of what may be empty, a program's function: may raise
    return next((p for p in map(_partial, (c for c in children if c is not None)) if p is not None), None)
