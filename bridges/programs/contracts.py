"""EvalPlus contracts as preconditions over a task's arguments, and the narrower domains they imply.

A HumanEval+ ``contract`` is a fragment of a function body: ``assert`` lines
(``assert type(n) == int and n >= 0, "invalid inputs"  # $_CONTRACT_$``),
sometimes with statements between them (a counter over the characters, a
helper ``def``).  EvalPlus keeps an input when the fragment runs through
without raising.  It is dataset text: parsed here with :mod:`ast`, never run.

What :func:`read_contract` makes of it:

* *Type tests* (``type(x) == int``, ``isinstance(x, (int, float))``,
  ``type(a) == type(b) == str``, ``all(isinstance(v, int) for v in xs)``) are
  decided from the argument domains, where the types already hold: each
  becomes the constant it evaluates to on every value of the domain.  An
  ``assert`` that becomes false for every value means that the contract and
  the task's ``types`` disagree: refused (:class:`ContractRefused`).
* *Value asserts* become the :class:`Precondition`: for a contract of asserts
  only, the conjunction of their tests in order (``a > 0 and b > 0``); for a
  contract with other statements, a helper function ``_contract(args...)``
  whose body is the fragment with each ``assert C`` turned into
  ``if not C: return False`` and ``return True`` at its end (helper ``def``\\ s
  of the fragment are lifted beside it as ``_contract_<name>``).
* A few forms are rewritten into the program subset's, each exactly:
  ``all(map(lambda v: E, X))`` into ``all(E for v in X)``;
  ``set(X).issubset({...})`` into ``all(v in (...) for v in X)``;
  ``len(set(X)) == len(X)`` into "no two items equal" by indices.
* *Narrowing*: simple bounds that every accepted input meets (a top-level
  ``assert 0 <= n <= 100``, ``len(xs) > 0``, ``all(x >= 0 for x in xs)``,
  ``all(c in "<>" for c in s)``, and the same asserts in a top-level ``for``
  over an argument) narrow that argument's domain (see
  :func:`~.signature.narrowed`).  The precondition keeps them, so the set of
  inputs is the same; the bound a verdict states is smaller.

Meaning kept: on every value of the (narrowed) domains, the precondition is
true exactly where EvalPlus's contract runs through, and it raises only where
the contract raises (an input outside the contract either way).  So a kernel
must read a precondition that raises as "outside the contract", as EvalPlus
does.  Refused, with the line and text of the statement: anything else the
fragment holds (``return``, ``raise``, ``try``, ``import``, a name that is not an
argument, a float, ``/``, a dunder attribute, ``eval``-like calls, a type test
on a value whose type is not known, rebinding a builtin).
"""

from __future__ import annotations

import ast
import itertools
import operator
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from assay.specs.domains import BoolDomain, Domain, IntDomain, ListDomain, StrDomain, TupleDomain

from .parsing import parse
from .signature import ITEM, narrowed

__all__ = ["Contract", "ContractRefused", "Precondition", "read_contract"]

HELPER: Final = "_contract"

# The classes a type test may name, by the name it uses.
_CLASSES: Final[dict[str, type]] = {
    "int": int, "bool": bool, "str": str, "float": float, "complex": complex, "list": list, "tuple": tuple,
    "dict": dict, "set": set, "frozenset": frozenset, "bytes": bytes, "object": object,
}
# Builtins a precondition may call or name (what it can do is the front end's to judge).
_BUILTINS: Final = frozenset({
    "abs", "all", "any", "bool", "chr", "enumerate", "filter", "int", "len", "list", "map", "max", "min", "ord",
    "range", "reversed", "set", "sorted", "str", "sum", "tuple", "zip", "True", "False", "None",
})
_ESCAPING: Final = frozenset({
    "__import__", "eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "input", "breakpoint", "help", "memoryview", "exit", "quit",
})
_CHAR_METHODS: Final = frozenset({
    "isalpha", "isdigit", "isdecimal", "isnumeric", "isalnum", "islower", "isupper", "isspace", "isascii",
    "isprintable", "isidentifier", "istitle",
})
_COMPARE: Final[dict[type, Callable[[Any, Any], bool]]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_TYPE_OPS: Final = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn)
_STR_TO_STR: Final = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "replace", "swapcase", "capitalize", "title", "join",
})


@dataclass(frozen=True)
class Precondition:
    """Which inputs the contract accepts: ``expr`` over the argument names, which may call ``helpers``.

    ``expr`` is true exactly where EvalPlus's contract runs through; where it
    raises, the input is outside the contract (see the module's docstring).
    """

    expr: ast.expr
    helpers: tuple[ast.FunctionDef, ...] = ()

    def source(self) -> str:
        """The helpers and the expression as Python text, to read."""
        return "\n\n".join([*(ast.unparse(h) for h in self.helpers), ast.unparse(self.expr)])


@dataclass(frozen=True)
class Contract:
    """A contract read: its precondition (None: every input) and each argument's narrowed domain."""

    precondition: Precondition | None
    domains: dict[str, Domain]
    # One line per narrowing, to read: "n: 0.. (assert n >= 0)".
    narrowings: tuple[str, ...] = field(default=())


class ContractRefused(Exception):
    """A contract with no single precondition: why, and the line and text of the statement."""

    def __init__(self, why: str, line: int = 0, text: str = "") -> None:
        where = f"line {line} `{text}`: " if line else ""
        super().__init__(f"{where}{why}")
        self.why = why
        self.line = line
        self.text = text


class _Refuse(Exception):
    def __init__(self, why: str, node: ast.AST | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.node = node


def read_contract(text: str, domains: Mapping[str, Domain]) -> Contract:
    """Read a contract over arguments with these ``domains`` (in parameter order); ContractRefused if it has no
    single meaning as a precondition."""
    source = textwrap.dedent(text or "")
    try:
        tree = parse(source)
    except SyntaxError as exc:
        raise ContractRefused(f"the contract does not parse: {exc.msg}", exc.lineno or 0,
                              _line(source, exc.lineno or 0)) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # a NUL byte; nesting past the parser's limits
        raise ContractRefused(f"the contract cannot be parsed: {exc}") from None
    try:
        return _Reader(tree, domains).read()
    except _Refuse as exc:
        line = _top_line(tree, exc.node)
        raise ContractRefused(exc.why, line, _line(source, line)) from None
    except RecursionError:
        raise ContractRefused("the contract is nested too deeply to read") from None


def _line(source: str, line: int) -> str:
    lines = source.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    return lines[line - 1].split("# $_CONTRACT_$")[0].strip()


def _top_line(tree: ast.Module, node: ast.AST | None) -> int:
    """The line of the statement holding ``node`` (its first line), for messages."""
    line = getattr(node, "lineno", 0)
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.stmt) and stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno) \
                and not isinstance(stmt, ast.FunctionDef | ast.For | ast.While | ast.If):
            return stmt.lineno
    return int(line)


# --- the reader -------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, tree: ast.Module, domains: Mapping[str, Domain]) -> None:
        self.tree = tree
        self.args = list(domains)
        self.domains = dict(domains)
        self.stored = _stored_names(tree)
        self.fresh = (f"_c{i}" for i in itertools.count() if f"_c{i}" not in self.stored | set(self.args))
        self.narrowings: list[str] = []

    def read(self) -> Contract:
        if bad := self.stored & (set(_CLASSES) | _BUILTINS):
            raise _Refuse(f"the contract rebinds {sorted(bad)[0]!r}, which its tests rely on")
        taken = self.stored | set(self.args)
        if HELPER in taken or any(n.startswith(HELPER + "_") for n in taken):
            raise _Refuse(f"the contract uses the name {HELPER!r}, which its helper would take")
        hashable = {a for a, d in self.domains.items() if a not in self.stored and _hashable_items(d)}
        body = [_Normalise(self.fresh, hashable).visit(s) for s in self.tree.body if not _is_docstring(s)]
        if all(isinstance(s, ast.Assert | ast.Pass) for s in body):
            pre = self._asserts_only([s for s in body if isinstance(s, ast.Assert)])
        else:
            pre = _HelperWriter(self, body).write()
        self._narrow(body)
        return Contract(pre, self.domains, tuple(self.narrowings))

    # -- a contract of asserts only: the conjunction of their tests

    def _asserts_only(self, asserts: list[ast.Assert]) -> Precondition | None:
        conjuncts: list[ast.expr] = []
        scope = set(self.args)
        for a in asserts:
            test = _Types(self.domains, a).boolean(a.test)
            if _is_const(test, False):
                raise _Refuse("the contract's types disagree with the task's types: this assert fails on "
                              "every input of the domain", a)
            if _is_const(test, True):
                continue
            _check_expr(test, scope, a)
            conjuncts.extend(test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And)
                             else [test])
        if not conjuncts:
            return None
        expr = conjuncts[0] if len(conjuncts) == 1 else ast.BoolOp(ast.And(), conjuncts)
        return Precondition(ast.fix_missing_locations(expr))

    # -- narrowing

    def _narrow(self, body: list[ast.stmt]) -> None:
        targets = {a: (a, ()) for a in self.args if a not in self.stored}
        for stmt in body:
            if isinstance(stmt, ast.Assert):
                self._facts(stmt.test, targets, stmt)
            elif (isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and not stmt.orelse
                  and isinstance(stmt.iter, ast.Name) and stmt.iter.id in targets
                  and not _leaves_early(stmt.body) and stmt.target.id not in _stored_names(stmt.body)):
                var = stmt.target.id
                for inner in stmt.body:
                    if isinstance(inner, ast.Assert):
                        gen = ast.GeneratorExp(inner.test, [ast.comprehension(ast.Name(var, ast.Store()),
                                                                              stmt.iter, [], 0)])
                        self._facts(ast.Call(ast.Name("all", ast.Load()), [gen], []), targets, inner)

    def _facts(self, test: ast.expr, targets: Mapping[str, tuple[str, tuple[str, ...]]], stmt: ast.stmt) -> None:
        try:
            test = _Types(self.domains, stmt).boolean(test)
        except _Refuse:
            return  # a type test on a local of the contract: its helper decides it; no bound comes from it
        for conj in _conjuncts(test):
            for arg, path, kw in _bounds(conj, targets, self._domain_at):
                try:
                    new = narrowed(self.domains[arg], path, **kw)
                except ValueError as exc:
                    raise _Refuse(str(exc), stmt) from None
                if new != self.domains[arg]:
                    self.domains[arg] = new
                    where = arg + "".join(path)
                    self.narrowings.append(f"{where}: {_kw_text(kw)} ({ast.unparse(stmt).splitlines()[0]})")

    def _domain_at(self, arg: str, path: tuple[str, ...]) -> Domain | None:
        d: Domain | None = self.domains.get(arg)
        for step in path:
            d = d.elem if isinstance(d, ListDomain) and step == ITEM else None
        return d


def _kw_text(kw: Mapping[str, Any]) -> str:
    if "chars" in kw:
        return f"characters {kw['chars']!r}"
    if "min_len" in kw or "max_len" in kw:
        return f"length {kw.get('min_len', '')}..{kw.get('max_len', '')}"
    return f"{kw.get('lo', '')}..{kw.get('hi', '')}"


def _conjuncts(test: ast.expr) -> Iterator[ast.expr]:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        for v in test.values:
            yield from _conjuncts(v)
    else:
        yield test


def _int_constant(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _int_constant(node.operand)
        if inner is not None:
            return -inner if isinstance(node.op, ast.USub) else inner
    return None


_FLIP: Final[dict[type, type]] = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Eq: ast.Eq}


def _bounds(conj: ast.expr, targets: Mapping[str, tuple[str, tuple[str, ...]]],
            domain_at: Callable[[str, tuple[str, ...]], Domain | None]
            ) -> Iterator[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """The (argument, path, narrowing) facts one conjunct implies about the targets it names."""
    if isinstance(conj, ast.Compare):
        operands = [conj.left, *conj.comparators]
        for left, op, right in zip(operands, conj.ops, operands[1:], strict=False):
            c = _int_constant(right)
            subject, kind = left, type(op)
            if c is None:
                c, subject = _int_constant(left), right
                kind = _FLIP.get(kind, ast.NotEq)
            if c is None or kind not in _FLIP:
                continue
            yield from _compare_fact(subject, kind, c, targets, domain_at)
        return
    yield from _string_facts(conj, targets, domain_at)
    gen = _all_over(conj)
    if gen is None:
        return
    var, iterable, elt = gen
    if not isinstance(iterable, ast.Name) or iterable.id not in targets:
        return
    arg, path = targets[iterable.id]
    d = domain_at(arg, path)
    if isinstance(d, ListDomain):
        inner = {var: (arg, (*path, ITEM))}
        for part in _conjuncts(elt):
            yield from _bounds(part, inner, domain_at)
    elif isinstance(d, StrDomain) and d.alphabet is not None:
        for part in _conjuncts(elt):
            chars = _chars_meeting(part, var, d.alphabet)
            if chars is not None:
                yield arg, path, {"chars": chars}


# Methods true of a string exactly when it is true of each of its characters (the empty string aside).
_EACH_CHAR: Final = frozenset({"isalpha", "isdigit", "isdecimal", "isnumeric", "isalnum", "isspace", "isascii",
                               "isprintable"})


def _string_facts(conj: ast.expr, targets: Mapping[str, tuple[str, tuple[str, ...]]],
                  domain_at: Callable[[str, tuple[str, ...]], Domain | None]
                  ) -> Iterator[tuple[str, tuple[str, ...], dict[str, Any]]]:
    """The alphabet a test of a whole string implies: ``s.isdigit()``, ``s.islower()``, ``all(w in [...] for w in
    s.split(" "))``, each also as ``s == "" or ...`` (an empty string has no characters to narrow)."""
    if isinstance(conj, ast.BoolOp) and isinstance(conj.op, ast.Or) and len(conj.values) == 2 \
            and _is_empty_test(conj.values[0]):
        subject, conj = _is_empty_test(conj.values[0]), conj.values[1]
    else:
        subject = None

    def target(node: ast.expr) -> tuple[str, tuple[str, ...], str] | None:
        if not isinstance(node, ast.Name) or node.id not in targets or (subject and node.id != subject):
            return None
        arg, path = targets[node.id]
        d = domain_at(arg, path)
        return (arg, path, d.alphabet) if isinstance(d, StrDomain) and d.alphabet is not None else None

    match conj:
        case ast.Call(ast.Attribute(value, method), [], []) if (t := target(value)) is not None:
            arg, path, alphabet = t
            if method in _EACH_CHAR:
                yield arg, path, {"chars": "".join(c for c in alphabet if getattr(c, method)())}
            elif method in ("islower", "isupper"):
                # A character may stand in such a string iff it does beside a cased letter of the right case.
                cased = "a" if method == "islower" else "A"
                yield arg, path, {"chars": "".join(c for c in alphabet if getattr(c + cased, method)())}
        case ast.Call(ast.Name("all"), [ast.GeneratorExp(ast.Compare(ast.Name(x), [ast.In()], [
                ast.List(words) | ast.Tuple(words)]), [ast.comprehension(ast.Name(y), ast.Call(ast.Attribute(
                    value, "split"), [ast.Constant(str() as sep)], []), [], 0)])], []) \
                if x == y and (t := target(value)) is not None and sep and all(
                    isinstance(w, ast.Constant) and isinstance(w.value, str) for w in words):
            # Every character is in a piece, and every piece is one of the words: or it is the separator.
            arg, path, alphabet = t
            allowed = sep + "".join(str(w.value) for w in words if isinstance(w, ast.Constant))
            yield arg, path, {"chars": "".join(c for c in alphabet if c in allowed)}


def _is_empty_test(node: ast.expr) -> str | None:
    """The name ``node`` tests for being empty (``s == ""``, ``"" == s``, ``not s``, ``len(s) == 0``); or None."""
    match node:
        case ast.Compare(ast.Name(name), [ast.Eq()], [ast.Constant("")]) | ast.Compare(
                ast.Constant(""), [ast.Eq()], [ast.Name(name)]) | ast.UnaryOp(ast.Not(), ast.Name(name)) \
                | ast.Compare(ast.Call(ast.Name("len"), [ast.Name(name)], []), [ast.Eq()], [ast.Constant(0)]):
            return name
    return None


def _compare_fact(subject: ast.expr, kind: type, c: int, targets: Mapping[str, tuple[str, tuple[str, ...]]],
                  domain_at: Callable[[str, tuple[str, ...]], Domain | None]
                  ) -> Iterator[tuple[str, tuple[str, ...], dict[str, Any]]]:
    lo = c if kind in (ast.GtE, ast.Eq) else c + 1 if kind is ast.Gt else None
    hi = c if kind in (ast.LtE, ast.Eq) else c - 1 if kind is ast.Lt else None
    if isinstance(subject, ast.Name) and subject.id in targets:
        arg, path = targets[subject.id]
        if isinstance(domain_at(arg, path), IntDomain):
            yield arg, path, {k: v for k, v in (("lo", lo), ("hi", hi)) if v is not None}
    elif (isinstance(subject, ast.Call) and isinstance(subject.func, ast.Name) and subject.func.id == "len"
          and len(subject.args) == 1 and not subject.keywords and isinstance(subject.args[0], ast.Name)
          and subject.args[0].id in targets):
        arg, path = targets[subject.args[0].id]
        if isinstance(domain_at(arg, path), ListDomain):
            kw = {k: v for k, v in (("min_len", lo), ("max_len", hi)) if v is not None}
            if kw.get("min_len", 0) >= 0:
                yield arg, path, kw


def _all_over(node: ast.expr) -> tuple[str, ast.expr, ast.expr] | None:
    """``all(E for v in X)`` (or over a list comprehension) as (v, X, E); None for anything else."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "all"
            and len(node.args) == 1 and not node.keywords):
        return None
    comp = node.args[0]
    if not isinstance(comp, ast.GeneratorExp | ast.ListComp) or len(comp.generators) != 1:
        return None
    gen = comp.generators[0]
    if gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name):
        return None
    return gen.target.id, gen.iter, comp.elt


class _Undecided(Exception):
    pass


def _chars_meeting(test: ast.expr, var: str, alphabet: str) -> str | None:
    """The characters of ``alphabet`` on which ``test`` (over the one-character string ``var``) is true;
    None when the test is not one this module decides by itself."""
    try:
        return "".join(c for c in alphabet if _char_test(test, var, c))
    except _Undecided:
        return None


def _char_test(node: ast.expr, var: str, c: str) -> bool:
    """``node`` evaluated with ``var`` = ``c``, for the few forms a character test takes (never by eval)."""
    match node:
        case ast.Constant(value=bool() as b):
            return b
        case ast.BoolOp(ast.And(), values):
            return all(_char_test(v, var, c) for v in values)
        case ast.BoolOp(ast.Or(), values):
            return any(_char_test(v, var, c) for v in values)
        case ast.UnaryOp(ast.Not(), operand):
            return not _char_test(operand, var, c)
        case ast.Call(ast.Attribute(ast.Name(name), method), [], []) if name == var and method in _CHAR_METHODS:
            return bool(getattr(c, method)())
        case ast.Compare(left, ops, comparators):
            if any(isinstance(op, ast.Is | ast.IsNot) for op in ops):
                raise _Undecided
            operands = [_char_value(o, var, c) for o in [left, *comparators]]
            return all(_COMPARE[type(op)](a, b) for a, op, b in zip(operands, ops, operands[1:], strict=False))
    raise _Undecided


def _char_value(node: ast.expr, var: str, c: str) -> str | tuple[str, ...]:
    match node:
        case ast.Name(name) if name == var:
            return c
        case ast.Constant(value=str() as s):
            return s
        case ast.List(items) | ast.Tuple(items) | ast.Set(items) if all(
                isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
            return tuple(str(i.value) for i in items if isinstance(i, ast.Constant))
    raise _Undecided


# --- type tests, decided from the domains ------------------------------------------------------------------


_KIND: Final[dict[type, type]] = {IntDomain: int, BoolDomain: bool, StrDomain: str, ListDomain: list,
                                  TupleDomain: tuple}


def _elem(d: Domain | None) -> Domain | None:
    if isinstance(d, ListDomain):
        return d.elem
    if isinstance(d, StrDomain):
        return StrDomain(1, d.alphabet)
    return None


class _Types:
    """Replaces each type test by the constant it is on every value of the domains; simplifies around it.

    ``env`` maps a name to its domain (None: a name whose type is not known);
    names bound inside comprehensions get their iterable's item domain.
    """

    def __init__(self, env: Mapping[str, Domain | None], where: ast.AST) -> None:
        self.env = dict(env)
        self.where = where

    def static(self, node: ast.expr) -> Domain | None:
        """The domain a value of ``node`` lies in, where it is plain to see; None otherwise."""
        match node:
            case ast.Name(name):
                return self.env.get(name)
            case ast.Constant(value=bool()):
                return BoolDomain()
            case ast.Constant(value=int()):
                return IntDomain()
            case ast.Constant(value=str()):
                return StrDomain()
            case ast.Subscript(value, ast.Slice()):
                d = self.static(value)
                return d if isinstance(d, ListDomain | StrDomain) else None
            case ast.Subscript(value, index):
                d = self.static(value)
                if isinstance(d, TupleDomain):
                    i = _int_constant(index)
                    return d.items[i] if i is not None and -len(d.items) <= i < len(d.items) else None
                return _elem(d)
            case ast.Call(ast.Name("len"), [_], []):
                return IntDomain()
            case ast.Call(ast.Attribute(value, "split"), _, _) if isinstance(self.static(value), StrDomain):
                return ListDomain(StrDomain())
            case ast.Call(ast.Attribute(value, method), _, _) if method in _STR_TO_STR and isinstance(
                    self.static(value), StrDomain):
                return StrDomain()
        return None

    def boolean(self, node: ast.expr) -> ast.expr:
        """``node`` where only its truth counts (an assert's or an if's test)."""
        return self._visit(node, boolean=True)

    def value(self, node: ast.expr) -> ast.expr:
        """``node`` where its value counts."""
        return self._visit(node, boolean=False)

    def _class_of(self, node: ast.expr) -> type:
        d = self.static(node)
        if d is None or type(d) not in _KIND:
            raise _Refuse(f"the contract tests the type of `{ast.unparse(node)}`, whose type is not known here",
                          self.where)
        return _KIND[type(d)]

    def _classes(self, node: ast.expr) -> tuple[type, ...]:
        if isinstance(node, ast.Name) and node.id in _CLASSES:
            return (_CLASSES[node.id],)
        if isinstance(node, ast.Tuple) and node.elts:
            return tuple(c for e in node.elts for c in self._classes(e))
        raise _Refuse(f"the contract's type test names `{ast.unparse(node)}`, not a builtin type", self.where)

    def _type_value(self, node: ast.expr) -> Any:
        match node:
            case ast.Call(ast.Name("type"), [x], []):
                return self._class_of(x)
            case ast.Name(name) if name in _CLASSES:
                return _CLASSES[name]
            case ast.List(items) | ast.Tuple(items) | ast.Set(items):
                return tuple(self._type_value(i) for i in items)
        raise _Refuse(f"the contract compares a type with `{ast.unparse(node)}`", self.where)

    def _type_test(self, node: ast.expr) -> bool | None:
        """The value of a type test on every value of the domains; None if ``node`` is not one."""
        match node:
            case ast.Call(ast.Name("isinstance"), [x, classes], []):
                return issubclass(self._class_of(x), self._classes(classes))
            case ast.Compare(left, ops, comparators) if any(
                    (isinstance(o, ast.Call) and isinstance(o.func, ast.Name) and o.func.id == "type")
                    or (isinstance(o, ast.Name) and o.id in _CLASSES) for o in [left, *comparators]):
                if not all(isinstance(op, _TYPE_OPS) for op in ops):
                    raise _Refuse("the contract orders types", self.where)
                values = [self._type_value(o) for o in [left, *comparators]]
                return all(_COMPARE[type(op)](a, b) for a, op, b in zip(values, ops, values[1:], strict=False))
        return None

    def _visit(self, node: ast.expr, *, boolean: bool) -> ast.expr:
        decided = self._type_test(node)
        if decided is not None:
            return ast.copy_location(ast.Constant(decided), node)
        match node:
            case ast.BoolOp(op, values):
                kept = [self._visit(v, boolean=boolean) for v in values]
                return _simplify_boolop(node, op, kept) if boolean else ast.BoolOp(op, kept)
            case ast.UnaryOp(ast.Not(), operand):
                inner = self._visit(operand, boolean=True)
                if isinstance(inner, ast.Constant) and isinstance(inner.value, bool):
                    return ast.copy_location(ast.Constant(not inner.value), node)
                return ast.copy_location(ast.UnaryOp(ast.Not(), inner), node)
            case ast.Call(ast.Name("all" | "any") as fn, [ast.GeneratorExp() | ast.ListComp() as comp], []):
                new_comp = self._comprehension(comp, elt_boolean=True)
                return _simplify_all_any(node, fn.id, new_comp, self.env)
            case ast.Call(ast.Name("type"), _, _):
                raise _Refuse("the contract uses type() other than in a comparison of types", self.where)
            case ast.GeneratorExp() | ast.ListComp() | ast.SetComp() | ast.DictComp():
                return self._comprehension(node, elt_boolean=False)
            case ast.Lambda(args, body):
                in_lambda = _Types({**self.env, **{a.arg: None for a in args.args}}, self.where)
                return ast.copy_location(ast.Lambda(args, in_lambda.value(body)), node)
            case ast.IfExp(test, body, orelse):
                return ast.copy_location(ast.IfExp(self._visit(test, boolean=True),
                                                   self._visit(body, boolean=boolean),
                                                   self._visit(orelse, boolean=boolean)), node)
        return self._generic(node)

    def _generic(self, node: ast.expr) -> ast.expr:
        out: ast.expr = _shallow_copy(node)
        for name, value in ast.iter_fields(out):
            if isinstance(value, ast.expr):
                setattr(out, name, self.value(value))
            elif isinstance(value, list):
                setattr(out, name, [self.value(v) if isinstance(v, ast.expr) else v for v in value])
        return out

    def _comprehension(self, comp: ast.expr, *, elt_boolean: bool) -> ast.expr:
        inner = _Types(self.env, self.where)
        generators = []
        for gen in getattr(comp, "generators", []):
            it = inner.value(gen.iter)
            d = _elem(inner.static(it))
            for name in _target_names(gen.target):
                inner.env[name] = d if isinstance(gen.target, ast.Name) else None
            generators.append(ast.comprehension(gen.target, it, [inner.boolean(i) for i in gen.ifs], gen.is_async))
        out = _shallow_copy(comp)
        out.generators = generators
        if isinstance(out, ast.DictComp):
            out.key, out.value = inner.value(out.key), inner.value(out.value)
        else:
            out.elt = inner._visit(out.elt, boolean=elt_boolean)
        return out  # type: ignore[no-any-return]


def _shallow_copy(node: ast.expr) -> Any:
    out = type(node)(**dict(ast.iter_fields(node)))
    return ast.copy_location(out, node)


def _is_const(node: ast.expr, value: bool) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def _simplify_boolop(node: ast.expr, op: ast.boolop, values: list[ast.expr]) -> ast.expr:
    """``a and b and ...`` (or ``or``) in a boolean context with constant operands folded, raising kept.

    Dropping the neutral constant (True for ``and``) anywhere keeps both the
    truth and where it raises; the absorbing one (False for ``and``) decides
    the result only as the first operand, and cuts off the operands after it.
    """
    neutral = isinstance(op, ast.And)
    kept: list[ast.expr] = []
    for v in values:
        if _is_const(v, neutral):
            continue
        kept.append(v)
        if _is_const(v, not neutral):
            break
    if not kept:
        return ast.copy_location(ast.Constant(neutral), node)
    if len(kept) == 1:
        return kept[0]
    return ast.copy_location(ast.BoolOp(op, kept), node)


def _simplify_all_any(node: ast.expr, fn: str, comp: Any, env: Mapping[str, Domain | None]) -> ast.expr:
    """``all(True for v in xs)`` is True (and ``any(False ...)`` False) where iterating ``xs`` cannot raise."""
    call = ast.copy_location(ast.Call(ast.Name(fn, ast.Load()), [comp], []), node)
    unit = fn == "all"
    if not _is_const(comp.elt, unit) or len(comp.generators) != 1:
        return call
    gen = comp.generators[0]
    safe = (isinstance(gen.iter, ast.Name) and isinstance(env.get(gen.iter.id), ListDomain | StrDomain)
            and isinstance(gen.target, ast.Name) and not gen.ifs)
    return ast.copy_location(ast.Constant(unit), node) if safe else call


def _target_names(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _stored_names(tree: ast.AST | Sequence[ast.AST]) -> set[str]:
    """Every name the code binds: assignment and loop targets, defs, their parameters, comprehension variables."""
    roots = tree if isinstance(tree, Sequence) else [tree]
    out: set[str] = set()
    for root in roots:
        for n in ast.walk(root):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del):
                out.add(n.id)
            elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                out.add(n.name)
            elif isinstance(n, ast.arg):
                out.add(n.arg)
    return out


def _leaves_early(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Break | ast.Continue | ast.Return | ast.Raise | ast.Try | ast.FunctionDef)
               for s in body for n in ast.walk(s))


def _hashable_items(d: Domain) -> bool:
    """Whether a value of ``d`` is a str, or a list of ints, bools or strs: items that hash as they compare."""
    return isinstance(d, StrDomain) or (isinstance(d, ListDomain) and isinstance(d.elem, IntDomain | BoolDomain
                                                                                  | StrDomain))


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


# --- what a precondition may hold ----------------------------------------------------------------------------


def _check_expr(node: ast.AST, scope: set[str], where: ast.AST) -> None:
    """Refuse what a precondition cannot mean: unknown names, floats, ``/``, dunders, escaping calls."""
    bound = {n.arg for n in ast.walk(node) if isinstance(n, ast.arg)} | {
        name for n in ast.walk(node) if isinstance(n, ast.comprehension) for name in _target_names(n.target)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            if n.id in _ESCAPING:
                raise _Refuse(f"the contract calls {n.id}", where)
            if n.id not in scope and n.id not in bound and n.id not in _BUILTINS:
                raise _Refuse(f"the contract names `{n.id}`, which is not an argument", where)
        elif isinstance(n, ast.Constant) and isinstance(n.value, float | complex):
            raise _Refuse(f"the contract holds the float {n.value!r}", where)
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div):
            raise _Refuse("the contract divides with /, which makes a float", where)
        elif isinstance(n, ast.Attribute) and n.attr.startswith("_"):
            raise _Refuse(f"the contract reads the attribute {n.attr}", where)
        elif isinstance(n, ast.NamedExpr | ast.Await | ast.Yield | ast.YieldFrom):
            raise _Refuse(f"the contract holds {type(n).__name__}", where)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("isinstance", "type"):
            raise _Refuse(f"the contract's {n.func.id}() is not a type test this bridge decides", where)


# --- exact rewrites into the program subset's forms ----------------------------------------------------------


class _Normalise(ast.NodeTransformer):
    """The few contract forms rewritten into the program subset's, each with the same meaning."""

    def __init__(self, fresh: Iterator[str], hashable: set[str]) -> None:
        self.fresh = fresh
        self.hashable = hashable  # arguments whose items hash as they compare (ints, bools, strs)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        node = self.generic_visit(node)  # type: ignore[assignment]
        match node:
            # all(map(lambda v: E, X)) -> all(E for v in X): both lazy, both stop at the first false item.
            case ast.Call(ast.Name("all" | "any") as fn, [ast.Call(ast.Name("map"), [ast.Lambda(
                    ast.arguments([], [ast.arg(var)], None, [], [], None, []), body), xs], [])], []):
                gen = ast.GeneratorExp(body, [ast.comprehension(ast.Name(var, ast.Store()), xs, [], 0)])
                return ast.copy_location(ast.Call(ast.Name(fn.id, ast.Load()), [gen], []), node)
            # set(X).issubset(S) -> all(v in S' for v in X), S' the same constants as a tuple: for str
            # and int items, membership in a set and in a tuple of the same items agree.
            case ast.Call(ast.Attribute(ast.Call(ast.Name("set"), [ast.Name(x) as xs], []), "issubset"),
                          [ast.Set(items)], []) if x in self.hashable and all(
                    isinstance(i, ast.Constant) and type(i.value) in (str, int) for i in items):
                var = next(self.fresh)
                test = ast.Compare(ast.Name(var, ast.Load()), [ast.In()], [ast.Tuple(items, ast.Load())])
                gen = ast.GeneratorExp(test, [ast.comprehension(ast.Name(var, ast.Store()), xs, [], 0)])
                return ast.copy_location(ast.Call(ast.Name("all", ast.Load()), [gen], []), node)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        node = self.generic_visit(node)  # type: ignore[assignment]
        # len(set(X)) == len(X) -> no two items of X equal, for an argument X whose items hash as they compare.
        match node:
            case ast.Compare(ast.Call(ast.Name("len"), [ast.Call(ast.Name("set"), [ast.Name(a)], [])], []),
                             [ast.Eq()], [ast.Call(ast.Name("len"), [ast.Name(b)], [])]) \
                    if a == b and a in self.hashable:
                i, j = next(self.fresh), next(self.fresh)
                xs = ast.Name(a, ast.Load())

                def length() -> ast.expr:
                    return ast.Call(ast.Name("len", ast.Load()), [ast.Name(a, ast.Load())], [])

                test = ast.Compare(ast.Subscript(xs, ast.Name(i, ast.Load()), ast.Load()), [ast.NotEq()],
                                   [ast.Subscript(ast.Name(a, ast.Load()), ast.Name(j, ast.Load()), ast.Load())])
                gens = [
                    ast.comprehension(ast.Name(i, ast.Store()),
                                      ast.Call(ast.Name("range", ast.Load()), [length()], []), [], 0),
                    ast.comprehension(ast.Name(j, ast.Store()), ast.Call(ast.Name("range", ast.Load()), [
                        ast.BinOp(ast.Name(i, ast.Load()), ast.Add(), ast.Constant(1)), length()], []), [], 0),
                ]
                return ast.copy_location(ast.Call(ast.Name("all", ast.Load()), [ast.GeneratorExp(test, gens)], []),
                                         node)
        return node


# --- a contract with statements: a helper function ------------------------------------------------------------


class _HelperWriter:
    """``_contract(args...)``: the fragment with ``assert C`` as ``if not C: return False``, ``return True`` last."""

    def __init__(self, reader: _Reader, body: list[ast.stmt]) -> None:
        self.reader = reader
        self.body = body
        self.defs = {s.name: s for s in body if isinstance(s, ast.FunctionDef)}
        self.checks = {n for n, d in self.defs.items() if any(isinstance(x, ast.Assert) for x in ast.walk(d))}
        self.scope = set(reader.args) | _stored_names(body) | {f"{HELPER}_{n}" for n in self.defs}
        self.env = self._env()

    def write(self) -> Precondition:
        renamed = [_Rename({n: f"{HELPER}_{n}" for n in self.defs}).visit(s) for s in self.body]
        helpers = []
        for stmt in renamed:
            if isinstance(stmt, ast.FunctionDef):
                helpers.append(self._lift(stmt))
        main_body = [t for s in renamed if not isinstance(s, ast.FunctionDef) for t in self._stmt(s, self.env,
                                                                                                    top=True)]
        main = _function(HELPER, self.reader.args, [*main_body, ast.Return(ast.Constant(True))])
        call = ast.Call(ast.Name(HELPER, ast.Load()), [ast.Name(a, ast.Load()) for a in self.reader.args], [])
        return Precondition(ast.fix_missing_locations(call),
                            tuple(ast.fix_missing_locations(h) for h in [main, *helpers]))

    def _env(self) -> dict[str, Domain | None]:
        """Each name's domain where every binding of it agrees (flow-insensitive); None where they do not."""
        env: dict[str, Domain | None] = dict(self.reader.domains)
        seen: dict[str, set[str]] = {a: {_shape(d)} for a, d in self.reader.domains.items()}

        def static(node: ast.expr) -> Domain | None:
            return _Types(env, node).static(node)

        def bind(name: str, d: Domain | None) -> None:
            seen.setdefault(name, set()).add(_shape(d))
            env[name] = d if len(seen[name]) == 1 else None

        for stmt in self.body:
            for n in ast.walk(stmt):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    bind(n.targets[0].id, static(n.value))
                elif isinstance(n, ast.For) and isinstance(n.target, ast.Name):
                    bind(n.target.id, _elem(static(n.iter)))
                elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                    bind(n.target.id, env.get(n.target.id))
                elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in env:
                    bind(n.id, None)  # bound some other way (a tuple target, a comprehension): type not known
        # A helper def's parameters: the domain of what every call passes, where all calls agree.
        for name, d in self.defs.items():
            calls = [c for s in self.body for c in ast.walk(s) if isinstance(c, ast.Call)
                     and isinstance(c.func, ast.Name) and c.func.id == name]
            for i, param in enumerate(d.args.args):
                passed = {_shape(static(c.args[i])) if i < len(c.args) else "?" for c in calls}
                domain = static(calls[0].args[i]) if calls and len(passed) == 1 and i < len(calls[0].args) \
                    else None
                env[f"{name}.{param.arg}"] = domain
        return env

    def _lift(self, d: ast.FunctionDef) -> ast.FunctionDef:
        original = d.name.removeprefix(HELPER + "_")
        a = d.args
        if d.decorator_list or a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs:
            raise _Refuse(f"the contract's def {original} takes more than plain parameters", d)
        params = [p.arg for p in a.args]
        local_env: dict[str, Domain | None] = {**self.env, **{p: self.env.get(f"{original}.{p}") for p in params}}
        inner_scope = set(params) | _stored_names(d.body) | {f"{HELPER}_{n}" for n in self.defs}
        free = {n.id for n in ast.walk(d) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} \
            - inner_scope - _BUILTINS - _ESCAPING - set(_CLASSES) - {"isinstance", "type"} - {
                name for n in ast.walk(d) if isinstance(n, ast.comprehension) for name in _target_names(n.target)} \
            - {x.arg for n in ast.walk(d) if isinstance(n, ast.Lambda) for x in n.args.args}
        if free:
            raise _Refuse(f"the contract's def {original} uses {sorted(free)[0]!r} from outside it", d)
        is_check = original in self.checks
        body = [t for s in d.body if not _is_docstring(s)
                for t in self._stmt(s, local_env, top=False, in_value_def=not is_check, scope=inner_scope)]
        if is_check:
            if any(isinstance(n, ast.Return) for s in d.body for n in ast.walk(s)):
                raise _Refuse(f"the contract's def {original} both asserts and returns", d)
            body.append(ast.Return(ast.Constant(True)))
        return ast.copy_location(_function(d.name, params, body), d)

    def _stmt(self, s: ast.stmt, env: dict[str, Domain | None], *, top: bool, in_value_def: bool = False,
              scope: set[str] | None = None) -> list[ast.stmt]:
        scope = self.scope if scope is None else scope
        types = _Types(env, s)

        def checked(e: ast.expr, *, boolean: bool) -> ast.expr:
            out = types.boolean(e) if boolean else types.value(e)
            _check_expr(out, scope, s)
            return out

        def block(stmts: list[ast.stmt]) -> list[ast.stmt]:
            out = [t for x in stmts for t in self._stmt(x, env, top=False, in_value_def=in_value_def, scope=scope)]
            return out or [ast.Pass()]

        match s:
            case ast.Assert(test):
                t = types.boolean(test)
                if _is_const(t, True):
                    return []
                if _is_const(t, False) and top:
                    raise _Refuse("the contract's types disagree with the task's types: this assert fails on every "
                                  "input of the domain", s)
                _check_expr(t, scope, s)
                return [ast.copy_location(ast.If(ast.UnaryOp(ast.Not(), t), [ast.Return(ast.Constant(False))], []),
                                          s)]
            case ast.Assign(targets, value) if all(isinstance(t, ast.Name | ast.Tuple) for t in targets):
                return [ast.copy_location(ast.Assign(targets, checked(value, boolean=False)), s)]
            case ast.AugAssign(ast.Name() as target, op, value):
                return [ast.copy_location(ast.AugAssign(target, op, checked(value, boolean=False)), s)]
            case ast.Expr(ast.Call(ast.Name(fn), _, []) as call) if fn.startswith(HELPER + "_") and \
                    fn.removeprefix(HELPER + "_") in self.checks:
                return [ast.copy_location(ast.If(ast.UnaryOp(ast.Not(), checked(call, boolean=False)),
                                                 [ast.Return(ast.Constant(False))], []), s)]
            case ast.Expr(ast.Constant(str())) | ast.Pass():
                return []
            case ast.If(test, body, orelse):
                return [ast.copy_location(ast.If(checked(test, boolean=True), block(body),
                                                 block(orelse) if orelse else []), s)]
            case ast.For(target, it, body, orelse) if not s.type_comment:
                return [ast.copy_location(ast.For(target, checked(it, boolean=False), block(body),
                                                  block(orelse) if orelse else []), s)]
            case ast.While(test, body, orelse):
                return [ast.copy_location(ast.While(checked(test, boolean=True), block(body),
                                                    block(orelse) if orelse else []), s)]
            case ast.Break() | ast.Continue():
                return [s]
            case ast.Return(value) if in_value_def and value is not None:
                return [ast.copy_location(ast.Return(checked(value, boolean=False)), s)]
        raise _Refuse(f"the contract holds a statement ({type(s).__name__}) with no meaning as a precondition", s)


def _shape(d: Domain | None) -> str:
    return "?" if d is None else type(d).__name__ + (f"[{_shape(d.elem)}]" if isinstance(d, ListDomain) else "")


def _function(name: str, params: list[str], body: list[ast.stmt]) -> ast.FunctionDef:
    args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])
    return ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None, type_comment=None)


class _Rename(ast.NodeTransformer):
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if node.id in self.names:
            return ast.copy_location(ast.Name(self.names[node.id], node.ctx), node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        node.name = self.names.get(node.name, node.name)
        return node
