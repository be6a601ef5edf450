"""First-order logic as the published pipelines write it: one AST, one parser, one signature check, SMT-LIB out.

Logic-LM (Unicode: ``∀x (P(x) → Q(x))``) and LINC (NLTK / Prover9:
``all x. (P(x) -> Q(x))``) both have a model write premises and a conclusion
in first-order logic over one domain of individuals.  The two notations
differ in their tokens, in how far a quantifier reaches and in which free
names are variables, so both are read by the one precedence parser here,
configured by a :class:`Syntax`
(``folio.UNICODE``, ``linc.NLTK``).  The text is tokenised and parsed; it is
never run.

What a formula means, whichever notation it came in:

* names bound by a quantifier are variables; a free name with no arguments
  is a variable when the notation's pipeline hands it to Prover9 as one
  (:attr:`Syntax.free_variable`: Prover9 reads a free name that starts with
  ``u`` to ``z`` as a variable, every other one as a constant), and the
  formula is universally closed over it; every other name is a constant (an
  individual);
* a name applied to arguments in formula position is a predicate, in term
  position a function (Prover9's variables never take arguments); a bare
  name in formula position is a proposition (a predicate with no arguments);
* the signature must be consistent across the whole problem: a name used
  with two arities, or in two roles (predicate, function, constant), is
  :class:`Malformed` with both places.  It is never renamed apart: renaming
  would turn a model's mistake into a different, silently weaker theory.

The individuals are one declared sort ``s_U`` (non-empty, as in classical
FOL); predicates become ``declare-fun ... Bool``, functions ``declare-fun ...
s_U``, constants ``declare-const``.  No unique-names assumption: two
constants may denote the same individual, as in Prover9.

:func:`open_world` builds the three-valued question both datasets ask:
True when the conclusion is entailed, False when its negation is, Uncertain
when both are consistent with the premises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final

from assay.bridges.logic.common import Malformed, symbol
from assay.kernel.entail import Check, Formalisation, Option

__all__ = [
    "OPEN_WORLD_LABELS",
    "SORT",
    "Apply",
    "Atom",
    "Binary",
    "Const",
    "Equal",
    "Formula",
    "Not",
    "Quant",
    "Signature",
    "Syntax",
    "Term",
    "Var",
    "close",
    "free_variables",
    "open_world",
    "parse_formula",
    "rename",
    "same_reading",
    "show",
    "signature",
    "to_smtlib",
    "uses",
]

SORT: Final = symbol("U", "s")
# The answer each option stands for, in the vocabulary of LINC's references (and Logic-LM's "A) True" etc.).
OPEN_WORLD_LABELS: Final = ("True", "False", "Uncertain")


# ---------------------------------------------------------------------------- the AST


@dataclass(frozen=True)
class Var:
    """A variable: bound by a quantifier, or free (closed universally by :func:`close`)."""

    name: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Const:
    """A constant: one individual of the domain."""

    name: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Apply:
    """A function applied to terms (``Mother(x)`` in an argument position)."""

    name: str
    args: tuple[Term, ...]
    line: int = 0
    column: int = 0


Term = Var | Const | Apply


@dataclass(frozen=True)
class Atom:
    """A predicate applied to terms; with no arguments, a proposition."""

    pred: str
    args: tuple[Term, ...]
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Equal:
    """Two terms denote the same individual."""

    left: Term
    right: Term
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Not:
    body: Formula
    line: int = 0
    column: int = 0


# Binary connectives, by name: and, or, xor, implies, iff.
BINARY: Final = {"and": "and", "or": "or", "xor": "xor", "implies": "=>", "iff": "="}


@dataclass(frozen=True)
class Binary:
    op: str
    left: Formula
    right: Formula
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Quant:
    """``forall`` or ``exists`` one variable."""

    kind: str
    var: str
    body: Formula
    line: int = 0
    column: int = 0


Formula = Atom | Equal | Not | Binary | Quant


# ---------------------------------------------------------------------------- notations


@dataclass(frozen=True)
class Syntax:
    """How one notation spells first-order logic.

    ``symbols`` maps operator spellings to token kinds (``not``, ``and``,
    ``or``, ``xor``, ``implies``, ``iff``, ``forall``, ``exists``, ``eq``,
    ``neq``, ``in``, ``(``, ``)``, ``,``, ``.``); ``words`` the same for keywords
    spelled as words; ``refused`` spellings that are recognised only to be
    refused with a reason (lambda, arithmetic).  ``levels`` gives each binary
    kind its binding level (smaller binds tighter); ``right_assoc`` those
    that group to the right.  A quantifier's body is parsed at
    ``quantifier_level``: a huge level lets it reach to the end of the
    formula (Logic-LM), a small one stops it before the first binary
    connective (NLTK, where ``all x.P(x) & Q(x)`` is ``(all x.P(x)) & Q(x)``).

    ``free_variable`` matches the free names with no arguments that are
    variables; ``quantifiable``, when given, the names a quantifier may bind
    (others are refused); with ``several_variables`` every name after a
    quantifier, up to a ``.`` or an operator, is one more variable it binds
    (NLTK's ``all x y.``).  ``executor_grouping``, when given, is the
    (levels, right_assoc) with which the publishing system's own executor
    grouped binary connectives, where it differs from the notation's usual
    precedence (see :func:`open_world` for what a formula the two group
    differently then means).
    """

    name: str
    symbols: Mapping[str, str]
    words: Mapping[str, str]
    refused: Mapping[str, str]
    levels: Mapping[str, int]
    right_assoc: frozenset[str]
    quantifier_level: int
    several_variables: bool
    free_variable: re.Pattern[str]
    quantifiable: re.Pattern[str] | None = None
    variable_rule: str = ""  # how the notation tells variables from constants, for messages
    executor_grouping: tuple[Mapping[str, int], frozenset[str]] | None = None
    executor: str = ""  # who groups that way, for messages


TOP: Final = 1000
_NOT_LEVEL: Final = 1
_IDENT: Final = re.compile(r"\w+")
_SPACE: Final = re.compile(r"\s+")


@dataclass(frozen=True)
class _Token:
    kind: str  # "name" or an operator kind
    text: str
    line: int
    column: int


def _tokenise(text: str, syntax: Syntax, line: int, column: int) -> list[_Token]:
    """Tokens with 1-based positions; ``line``/``column`` are where ``text`` starts in the program."""
    spellings = sorted((*syntax.symbols, *syntax.refused), key=len, reverse=True)
    out: list[_Token] = []
    i = 0
    while i < len(text):
        col = column + i
        space = _SPACE.match(text, i)
        if space:
            i = space.end()
            continue
        ident = _IDENT.match(text, i)
        if ident:
            word = ident.group()
            if word.startswith("_"):
                raise Malformed(f"{word!r} starts with '_': Prover9 reads it as one more constant, where it is "
                                "written for 'anything'; two readings", line=line, column=col)
            if word in syntax.refused:
                raise Malformed(f"{word!r}: {syntax.refused[word]}", line=line, column=col)
            out.append(_Token(syntax.words.get(word, "name"), word, line, col))
            i = ident.end()
            continue
        spelled = next((s for s in spellings if text.startswith(s, i)), None)
        if spelled is None:
            raise Malformed(f"unexpected character {text[i]!r} in {syntax.name} formula", line=line, column=col)
        if spelled in syntax.refused:
            raise Malformed(f"{spelled!r}: {syntax.refused[spelled]}", line=line, column=col)
        out.append(_Token(syntax.symbols[spelled], spelled, line, col))
        i += len(spelled)
    return out


# ---------------------------------------------------------------------------- the parser


class _Parser:
    """Precedence climbing over one formula's tokens; tracks which names are bound where."""

    def __init__(self, tokens: list[_Token], syntax: Syntax, line: int, column: int) -> None:
        self.tokens = tokens
        self.syntax = syntax
        self.at = 0
        self.bound: list[str] = []
        self.end = (line, column)

    def peek(self, ahead: int = 0) -> _Token | None:
        k = self.at + ahead
        return self.tokens[k] if k < len(self.tokens) else None

    def take(self, what: str) -> _Token:
        tok = self.peek()
        if tok is None:
            raise Malformed(f"the formula ends where {what} was expected", line=self.end[0], column=self.end[1])
        self.at += 1
        return tok

    def expect(self, kind: str, what: str) -> _Token:
        tok = self.take(what)
        if tok.kind != kind:
            raise Malformed(f"expected {what}, found {tok.text!r}", line=tok.line, column=tok.column)
        return tok

    def formula(self, context: int) -> Formula:
        left = self.prefix()
        while (tok := self.peek()) is not None and tok.kind in self.syntax.levels:
            level = self.syntax.levels[tok.kind]
            if not (level < context or (level == context and tok.kind in self.syntax.right_assoc)):
                break
            self.at += 1
            right = self.formula(level)
            left = Binary(tok.kind, left, right, tok.line, tok.column)
        return left

    def prefix(self) -> Formula:
        tok = self.take("a formula")
        if tok.kind == "not":
            return Not(self.formula(_NOT_LEVEL), tok.line, tok.column)
        if tok.kind in ("forall", "exists"):
            return self.quantified(tok)
        if tok.kind == "(":
            inner = self.formula(TOP)
            self.expect(")", "')'")
            return inner
        if tok.kind == "name":
            return self.atomic(tok)
        raise Malformed(f"expected a formula, found {tok.text!r}", line=tok.line, column=tok.column)

    def quantified(self, tok: _Token) -> Formula:
        names = [self.variable_name(self.take("a variable after the quantifier"))]
        # NLTK takes every name after the quantifier as one more variable, up to a '.' or an operator.
        while self.syntax.several_variables and (nxt := self.peek()) is not None and nxt.kind == "name":
            names.append(self.variable_name(self.take("a variable")))
        if (dot := self.peek()) is not None and dot.kind == ".":
            self.at += 1
        self.bound.extend(names)
        body = self.formula(self.syntax.quantifier_level)
        del self.bound[len(self.bound) - len(names):]
        for name in reversed(names):
            body = Quant(tok.kind, name, body, tok.line, tok.column)
        return body

    def variable_name(self, tok: _Token) -> str:
        if tok.kind != "name":
            raise Malformed(f"expected a variable after the quantifier, found {tok.text!r}",
                            line=tok.line, column=tok.column)
        rule = self.syntax.quantifiable
        if rule is not None and rule.fullmatch(tok.text) is None:
            raise Malformed(f"{tok.text!r} cannot be a quantified variable in {self.syntax.name} (a quantified "
                            "variable is one letter, optionally followed by digits; every name after the "
                            "quantifier up to '.' is one)", line=tok.line, column=tok.column)
        return tok.text

    def atomic(self, tok: _Token) -> Formula:
        args = self.arguments(tok)
        nxt = self.peek()
        if nxt is not None and nxt.kind == "in":
            # y ∈ x between individuals: a binary relation like any other (as in first-order set theory).
            self.at += 1
            right_tok = self.expect("name", "a term after '∈'")
            member = (self.term(tok, args), self.term(right_tok, self.arguments(right_tok)))
            return Atom("∈", member, nxt.line, nxt.column)
        if nxt is not None and nxt.kind in ("eq", "neq"):
            self.at += 1
            left = self.term(tok, args)
            right_tok = self.expect("name", "a term after the equality sign")
            right = self.term(right_tok, self.arguments(right_tok))
            eq = Equal(left, right, nxt.line, nxt.column)
            return Not(eq, nxt.line, nxt.column) if nxt.kind == "neq" else eq
        if tok.text in self.bound:
            what = "applied to arguments" if args is not None else "used as a formula"
            raise Malformed(f"{tok.text!r} is a variable bound by a quantifier, {what}", line=tok.line,
                            column=tok.column)
        if args is None and self.is_variable(tok.text):
            raise Malformed(f"{tok.text!r} is a variable ({self.syntax.variable_rule}), used as a formula",
                            line=tok.line, column=tok.column)
        return Atom(tok.text, args or (), tok.line, tok.column)

    def arguments(self, head: _Token) -> tuple[Term, ...] | None:
        """The parenthesised arguments after ``head``, or None when no '(' follows it."""
        nxt = self.peek()
        if nxt is None or nxt.kind != "(":
            return None
        self.at += 1
        args = []
        while True:
            tok = self.expect("name", f"a term (an argument of {head.text})")
            args.append(self.term(tok, self.arguments(tok)))
            sep = self.take(f"',' or ')' in the arguments of {head.text}")
            if sep.kind == ")":
                return tuple(args)
            if sep.kind != ",":
                raise Malformed(f"expected ',' or ')' in the arguments of {head.text}, found {sep.text!r}",
                                line=sep.line, column=sep.column)

    def is_variable(self, name: str) -> bool:
        """A name with no arguments: bound here, or free and read as a variable by the notation's rule."""
        return name in self.bound or self.syntax.free_variable.fullmatch(name) is not None

    def term(self, tok: _Token, args: tuple[Term, ...] | None) -> Term:
        if args is not None:
            if tok.text in self.bound:
                raise Malformed(f"{tok.text!r} is a variable bound by a quantifier, applied to arguments",
                                line=tok.line, column=tok.column)
            return Apply(tok.text, args, tok.line, tok.column)
        if self.is_variable(tok.text):
            return Var(tok.text, tok.line, tok.column)
        return Const(tok.text, tok.line, tok.column)


def parse_formula(text: str, syntax: Syntax, *, line: int = 1, column: int = 1, executor: bool = False) -> Formula:
    """One formula in ``syntax``; ``line``/``column`` say where ``text`` starts in the program (for errors).

    ``executor=True`` groups binary connectives as ``syntax.executor_grouping``
    says the publishing system's executor did (the usual precedence when it
    has none): compare the two with :func:`same_reading`.
    """
    if executor and syntax.executor_grouping is not None:
        levels, right_assoc = syntax.executor_grouping
        syntax = replace(syntax, levels=levels, right_assoc=right_assoc, executor_grouping=None)
    return _parse(text, syntax, line, column)


def same_reading(a: Formula, b: Formula) -> bool:
    """Whether two parses are one formula, up to positions and how a chain of one associative connective groups."""
    return _shape(a) == _shape(b)


def _parse(text: str, syntax: Syntax, line: int, column: int) -> Formula:
    tokens = _tokenise(text, syntax, line, column)
    if not tokens:
        raise Malformed("empty formula", line=line, column=column)
    parser = _Parser(tokens, syntax, line, column + len(text))
    result = parser.formula(TOP)
    extra = parser.peek()
    if extra is not None:
        raise Malformed(f"unexpected {extra.text!r} after a complete formula", line=extra.line, column=extra.column)
    return result


# Connectives whose grouping does not change what a chain of them means.
_ASSOCIATIVE: Final = frozenset({"and", "or", "xor", "iff"})


def _shape(f: Formula | Term) -> object:
    """``f`` without positions, each chain of one associative connective flattened: equal shapes, equal meaning."""
    if isinstance(f, Binary):
        if f.op not in _ASSOCIATIVE:
            return (f.op, _shape(f.left), _shape(f.right))
        parts: list[object] = []
        for side in (f.left, f.right):
            inner = _shape(side)
            if isinstance(inner, tuple) and inner and inner[0] == f.op and isinstance(side, Binary):
                parts.extend(inner[1:])
            else:
                parts.append(inner)
        return (f.op, *parts)
    if isinstance(f, Not | Quant):
        return (type(f).__name__, getattr(f, "var", ""), getattr(f, "kind", ""), _shape(f.body))
    if isinstance(f, Atom):
        return ("atom", f.pred, *map(_shape, f.args))
    if isinstance(f, Apply):
        return ("apply", f.name, *map(_shape, f.args))
    if isinstance(f, Equal):
        return ("=", _shape(f.left), _shape(f.right))
    return (type(f).__name__, f.name)


_SHOW: Final = {"and": "∧", "or": "∨", "xor": "⊕", "implies": "→", "iff": "↔"}


def show(f: Formula | Term) -> str:
    """``f`` in Unicode notation with every binary connective parenthesised (for messages)."""
    if isinstance(f, Var | Const):
        return f.name
    if isinstance(f, Apply | Atom):
        head = f.name if isinstance(f, Apply) else f.pred
        return f"{head}({', '.join(show(a) for a in f.args)})" if f.args else head
    if isinstance(f, Equal):
        return f"{show(f.left)} = {show(f.right)}"
    if isinstance(f, Not):
        return f"¬{show(f.body)}"
    if isinstance(f, Quant):
        return f"{'∀' if f.kind == 'forall' else '∃'}{f.var} {show(f.body)}"
    return f"({show(f.left)} {_SHOW[f.op]} {show(f.right)})"


# ---------------------------------------------------------------------------- signature and closure


@dataclass(frozen=True)
class Signature:
    """The non-logical symbols of a problem: predicates and functions with their arities, and constants."""

    predicates: Mapping[str, int]
    functions: Mapping[str, int]
    constants: frozenset[str]


def uses(f: Formula | Term) -> Iterator[tuple[str, str, int, int, int]]:
    """(name, role, arity, line, column) for every use of a non-logical symbol, in reading order."""
    if isinstance(f, Atom):
        yield f.pred, "predicate", len(f.args), f.line, f.column
        for a in f.args:
            yield from uses(a)
    elif isinstance(f, Apply):
        yield f.name, "function", len(f.args), f.line, f.column
        for a in f.args:
            yield from uses(a)
    elif isinstance(f, Const):
        yield f.name, "constant", 0, f.line, f.column
    elif isinstance(f, Equal):
        yield from uses(f.left)
        yield from uses(f.right)
    elif isinstance(f, Not | Quant):
        yield from uses(f.body)
    elif isinstance(f, Binary):
        yield from uses(f.left)
        yield from uses(f.right)


def _arity(n: int) -> str:
    return f"{n} argument{'' if n == 1 else 's'}"


def signature(formulas: Sequence[Formula]) -> Signature:
    """The problem's signature; :class:`Malformed` at the second use when a name has two arities or two roles."""
    first: dict[str, tuple[str, int, int, int]] = {}
    for f in formulas:
        for name, role, arity, line, column in uses(f):
            seen = first.setdefault(name, (role, arity, line, column))
            if seen[:2] == (role, arity):
                continue
            where = f"line {seen[2]}, column {seen[3]}"
            if seen[0] == role:
                raise Malformed(f"{role} {name!r} is used with {_arity(arity)} here and with {_arity(seen[1])} "
                                f"at {where} (one symbol, one arity)", line=line, column=column)
            raise Malformed(f"{name!r} is used as a {role} here and as a {seen[0]} at {where} (one symbol, "
                            "one role)", line=line, column=column)
    return Signature(
        predicates={n: a for n, (r, a, _, _) in first.items() if r == "predicate"},
        functions={n: a for n, (r, a, _, _) in first.items() if r == "function"},
        constants=frozenset(n for n, (r, _, _, _) in first.items() if r == "constant"),
    )


def free_variables(f: Formula | Term, bound: frozenset[str] = frozenset()) -> list[str]:
    """The free variables of ``f`` in order of first appearance."""
    out: list[str] = []
    for v in _free(f, bound):
        if v not in out:
            out.append(v)
    return out


def _free(f: Formula | Term, bound: frozenset[str]) -> Iterator[str]:
    if isinstance(f, Var):
        if f.name not in bound:
            yield f.name
    elif isinstance(f, Atom | Apply):
        for a in f.args:
            yield from _free(a, bound)
    elif isinstance(f, Equal):
        yield from _free(f.left, bound)
        yield from _free(f.right, bound)
    elif isinstance(f, Not):
        yield from _free(f.body, bound)
    elif isinstance(f, Quant):
        yield from _free(f.body, bound | {f.var})
    elif isinstance(f, Binary):
        yield from _free(f.left, bound)
        yield from _free(f.right, bound)


def rename(f: Formula, names: Mapping[tuple[str, str, int], str]) -> Formula:
    """``f`` with each symbol ``(name, role, arity)`` in ``names`` renamed (roles as :func:`signature` names them)."""
    if isinstance(f, Atom):
        args = tuple(_rename_term(a, names) for a in f.args)
        return Atom(names.get((f.pred, "predicate", len(args)), f.pred), args, f.line, f.column)
    if isinstance(f, Equal):
        return Equal(_rename_term(f.left, names), _rename_term(f.right, names), f.line, f.column)
    if isinstance(f, Not):
        return Not(rename(f.body, names), f.line, f.column)
    if isinstance(f, Quant):
        return Quant(f.kind, f.var, rename(f.body, names), f.line, f.column)
    return Binary(f.op, rename(f.left, names), rename(f.right, names), f.line, f.column)


def _rename_term(t: Term, names: Mapping[tuple[str, str, int], str]) -> Term:
    if isinstance(t, Const):
        return Const(names.get((t.name, "constant", 0), t.name), t.line, t.column)
    if isinstance(t, Apply):
        args = tuple(_rename_term(a, names) for a in t.args)
        return Apply(names.get((t.name, "function", len(args)), t.name), args, t.line, t.column)
    return t


def close(f: Formula) -> Formula:
    """``f`` universally closed over its free variables (Prover9 reads a free variable as 'for all')."""
    for name in reversed(free_variables(f)):
        f = Quant("forall", name, f, f.line, f.column)
    return f


# ---------------------------------------------------------------------------- SMT-LIB


def _term(t: Term) -> str:
    if isinstance(t, Var):
        return symbol(t.name, "v")
    if isinstance(t, Const):
        return symbol(t.name, "c")
    return f"({symbol(t.name, 'f')} {' '.join(_term(a) for a in t.args)})"


def to_smtlib(f: Formula) -> str:
    """``f`` as an SMT-LIB Bool term over the declarations of :func:`declarations`."""
    if isinstance(f, Atom):
        head = symbol(f.pred, "p")
        return f"({head} {' '.join(_term(a) for a in f.args)})" if f.args else head
    if isinstance(f, Equal):
        return f"(= {_term(f.left)} {_term(f.right)})"
    if isinstance(f, Not):
        return f"(not {to_smtlib(f.body)})"
    if isinstance(f, Binary):
        return f"({BINARY[f.op]} {to_smtlib(f.left)} {to_smtlib(f.right)})"
    binder = "forall" if f.kind == "forall" else "exists"
    return f"({binder} (({symbol(f.var, 'v')} {SORT})) {to_smtlib(f.body)})"


def declarations(sig: Signature) -> str:
    """SMT-LIB declarations for a signature: one sort of individuals, then its symbols in a fixed order."""
    lines = [f"(declare-sort {SORT} 0)"]
    lines += [f"(declare-const {symbol(c, 'c')} {SORT})" for c in sorted(sig.constants)]
    for kind, table, result in (("f", sig.functions, SORT), ("p", sig.predicates, "Bool")):
        lines += [f"(declare-fun {symbol(n, kind)} ({' '.join([SORT] * a)}) {result})"
                  for n, a in sorted(table.items())]
    return "\n".join(lines)


def open_world(premises: Sequence[Formula], conclusion: Formula, *, labels: Mapping[str, str] | None = None,
               changes: Sequence[str] = (), source: str = "",
               executor_reading: tuple[Sequence[Formula], Formula] | None = None, executor: str = "") -> Formalisation:
    """The three-valued open-world question: is the conclusion True, False or Uncertain given the premises?

    True: the premises entail the conclusion; False: they entail its
    negation; Uncertain: both are consistent with them.  A free variable in
    the conclusion is closed universally on each side on its own, the way
    Prover9 (behind both published pipelines) closes a goal and its negated
    goal: True means ``∀x C`` is entailed, False that ``∀x ¬C`` is, and
    Uncertain that both are consistent.  A model that leaves ``x`` free may
    mean "every x" or "some x"; those three are exactly the answers that are
    the same under both meanings.  When the meanings part (premise "Rex is a
    dog", conclusion ``Dog(x)``: Uncertain for "every x", True for "some x")
    no option holds and the kernel abstains.  For a closed conclusion this is the plain
    three-valued question.  ``labels`` maps "True"/"False"/"Uncertain" to the
    option labels of the dataset (default: themselves).  Raises
    :class:`Malformed` on a signature clash.

    ``executor_reading`` is the same problem as the publishing system's
    executor grouped it (``executor`` names it), formula for formula.  Where
    a formula reads two ways, an option holds only when it holds under both
    readings: the premises that read one way stay premises, the others become
    one premise "ours or theirs", and each check asks under each reading on
    its own (entailed under both, consistent under both).  Where the readings
    give different answers, no option holds and the kernel abstains.
    """
    names = dict(labels) if labels is not None else {v: v for v in OPEN_WORLD_LABELS}
    missing = [v for v in OPEN_WORLD_LABELS if v not in names]
    if missing:
        raise ValueError(f"labels must name an option for each of {', '.join(OPEN_WORLD_LABELS)}; "
                         f"missing {', '.join(missing)}")
    theirs_premises, theirs_conclusion = executor_reading or (premises, conclusion)
    if len(theirs_premises) != len(premises):
        raise ValueError(f"the executor's reading has {len(theirs_premises)} premises, ours {len(premises)}")
    sig = signature([*premises, conclusion, *theirs_premises, theirs_conclusion])
    two = [i for i, (a, b) in enumerate(zip(premises, theirs_premises, strict=True)) if not same_reading(a, b)]
    kept = [i for i in range(len(premises)) if i not in two]
    smt = [to_smtlib(close(premises[i])) for i in kept]
    premise_names = [f"line {premises[i].line}" for i in kept]
    ours = _conjunction([to_smtlib(close(premises[i])) for i in two])
    theirs = _conjunction([to_smtlib(close(theirs_premises[i])) for i in two])
    if two:
        smt.append(f"(or {ours} {theirs})")
        premise_names.append("; ".join(f"line {premises[i].line} (read two ways: {show(theirs_premises[i])} by "
                                       f"{executor or 'the executor'}, {show(premises[i])} as usual)" for i in two))
    readings = [(ours, conclusion), (theirs, theirs_conclusion)]
    if not two and same_reading(conclusion, theirs_conclusion):
        readings = readings[:1]
    true_checks, false_checks, open_checks = [], [], []
    for assumed, goal_formula in readings:
        goal = to_smtlib(close(goal_formula))
        negated = to_smtlib(close(Not(goal_formula, goal_formula.line, goal_formula.column)))
        true_checks.append(Check("entailed", _assuming(assumed, goal, "=>")))
        false_checks.append(Check("entailed", _assuming(assumed, negated, "=>")))
        open_checks += [Check("consistent", _assuming(assumed, goal, "and")),
                        Check("consistent", _assuming(assumed, negated, "and"))]
    options = (
        Option(names["True"], tuple(true_checks)),
        Option(names["False"], tuple(false_checks)),
        Option(names["Uncertain"], tuple(open_checks), open_question=True),
    )
    return Formalisation(declarations(sig), tuple(smt), options, tuple(changes), source,
                         premise_names=tuple(premise_names))


def _conjunction(parts: Sequence[str]) -> str:
    return "true" if not parts else parts[0] if len(parts) == 1 else f"(and {' '.join(parts)})"


def _assuming(assumed: str, formula: str, connective: str) -> str:
    """``formula`` under one reading's premises (``=>`` for an entailment check, ``and`` for a consistency check)."""
    return formula if assumed == "true" else f"({connective} {assumed} {formula})"
