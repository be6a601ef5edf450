"""Reading Logic-LM's AR-LSAT DSL: a tokenizer and a parser of our own, nothing in the text is ever run.

The DSL (Logic-LM, Pan et al. 2023) is a z3-flavoured Python subset a model
writes in three sections::

    # Declarations
    people = EnumSort([Vladimir, Wendy])
    eats = Function([people, meals] -> [foods])
    # Constraints
    ForAll([m:meals], eats(Vladimir, m) != eats(Wendy, m)) ::: a comment
    # Options
    Question ::: ...
    is_valid(Exists([m:meals], eats(Vladimir, m) == fish)) ::: (A)

``[x:sort]`` binders and ``[a] -> [b]`` signatures are not Python, so the
published pipeline rewrote the text with regular expressions and ran it; we
tokenise and parse it into a small tree instead.  The grammar is a whitelist:
names, integers, calls of a *name*, list literals, binders, Python's
arithmetic, comparison and boolean operators.  Attribute access, subscripts,
lambdas, strings used as values and every other Python form are
:class:`~assay.bridges.logic.common.Malformed` with line and column, whatever
they would have done had they been run.

Python-isms whose meaning is clear (``a == b == c``, ``a and b``, ``x in
[...]``, infix ``Or``) are parsed into the tree as they are written; turning
them into the DSL is the job of the named repair rules in
:mod:`assay.bridges.logic.arlsat_repair`, which record every change.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Final

from .common import Malformed

__all__ = [
    "BinOp",
    "Binder",
    "BoolOp",
    "Call",
    "Compare",
    "Expr",
    "InList",
    "ListLit",
    "Name",
    "Num",
    "Program",
    "Statement",
    "Unary",
    "parse_expression",
    "parse_program",
]


# ---------------------------------------------------------------- the tree

@dataclass(frozen=True)
class Expr:
    """A node of the tree, with the 1-based line and column where it starts in the program text."""

    line: int = field(compare=False)
    column: int = field(compare=False)


@dataclass(frozen=True)
class Name(Expr):
    id: str = ""


@dataclass(frozen=True)
class Num(Expr):
    value: int = 0


@dataclass(frozen=True)
class Call(Expr):
    func: str = ""
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class ListLit(Expr):
    items: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Binder(Expr):
    """``x:sort`` inside the first argument of ForAll / Exists / Count / Distinct; ``sort`` may be an expression."""

    var: str = ""
    sort: Expr | None = None


@dataclass(frozen=True)
class BinOp(Expr):
    op: str = ""
    left: Expr | None = None
    right: Expr | None = None


@dataclass(frozen=True)
class Unary(Expr):
    op: str = ""  # "-" or "not"
    operand: Expr | None = None


@dataclass(frozen=True)
class Compare(Expr):
    """``a op b op c ...`` as written: one operator is a comparison, more are a Python chain."""

    ops: tuple[str, ...] = ()
    operands: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class BoolOp(Expr):
    """``and`` / ``or`` (also ``&&`` / ``||`` and infix ``And`` / ``Or``) or an infix ``=>``, as ``spelling`` says."""

    op: str = ""  # "and" | "or" | "implies"
    values: tuple[Expr, ...] = ()
    spelling: str = ""


@dataclass(frozen=True)
class InList(Expr):
    """``x in [a, b]`` / ``x not in [a, b]``."""

    element: Expr | None = None
    options: tuple[Expr, ...] = ()
    negated: bool = False
    sort: Name | None = None  # ``x in some_sort``: membership in a (sub-list) sort instead of a list


@dataclass(frozen=True)
class Statement:
    """One logical line of a section: the parsed expression (or assignment) and its trailing ``:::`` comment."""

    target: str | None  # ``name = ...`` in Declarations; None for a bare expression
    expr: Expr
    comment: str
    line: int
    column: int
    extra_closing: int = 0  # unmatched ')' after the complete statement, dropped (repair extra_closing_paren)
    missing_closing: int = 0  # ')' added at the end of a line a ':::' comment ends (repair missing_closing_paren)


@dataclass(frozen=True)
class Program:
    declarations: tuple[Statement, ...]
    constraints: tuple[Statement, ...]
    options: tuple[Statement, ...]
    question: str


# ---------------------------------------------------------------- tokens

@dataclass(frozen=True)
class _Token:
    kind: str  # NAME NUM OP STR END
    text: str
    line: int
    column: int


_TOKEN: Final = re.compile(r"""
    (?P<space>[ \t\r\f]+)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*|[0-9]+[A-Za-z_][A-Za-z0-9_]*)
  | (?P<NUM>[0-9]+)
  | (?P<STR>'[^'\n]*'|"[^"\n]*")
  | (?P<OP>==>|=>|->|==|!=|<=|>=|//|\*\*|&&|\|\||[()\[\]{},:<>+\-*/%=.;@&|^~!])
""", re.VERBOSE)

_KEYWORDS: Final = frozenset({"and", "or", "not", "in", "is", "if", "else", "for", "lambda", "import", "from",
                              "def", "class", "return", "yield", "await", "async", "with", "global", "del"})


def _tokens(text: str, line: int, column: int) -> list[_Token]:
    """Tokens of one logical statement (``text`` starts at ``line``/``column``; it may span lines)."""
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "\n":
            line, column, pos = line + 1, 1, pos + 1
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise Malformed(f"unexpected character {text[pos]!r}", line=line, column=column)
        kind = m.lastgroup or ""
        if kind != "space":
            out.append(_Token(kind, m.group(), line, column))
        column += m.end() - pos
        pos = m.end()
    out.append(_Token("END", "", line, column))
    return out


# ---------------------------------------------------------------- expressions

_COMPARE: Final = frozenset({"==", "!=", "<", "<=", ">", ">="})


class _Parser:
    """Recursive descent over one statement's tokens, with Python's precedence for the operators it admits."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.toks = tokens
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> _Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> _Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def error(self, why: str, tok: _Token | None = None) -> Malformed:
        t = tok or self.tok
        return Malformed(why, line=t.line, column=t.column)

    def expect(self, text: str) -> _Token:
        if self.tok.text != text or self.tok.kind not in ("OP", "NAME"):
            shown = repr(self.tok.text) if self.tok.kind != "END" else "the end of the statement"
            raise self.error(f"expected {text!r}, found {shown}")
        return self.take()

    def at(self, *texts: str) -> bool:
        return self.tok.kind in ("OP", "NAME") and self.tok.text in texts

    # implication: or_test (('=>' | '==>' | '->') implication)?   (right-associative, below 'or')
    def expression(self) -> Expr:
        start = self.tok
        left = self.disjunction()
        if self.at("=>", "==>", "->"):
            arrow = self.take().text
            right = self.expression()
            return BoolOp(start.line, start.column, op="implies", values=(left, right), spelling=arrow)
        return left

    # or_test: and_test (('or' | '||' | infix 'Or') and_test)*
    def disjunction(self) -> Expr:
        return self.junction(("or", "||"), "Or", self.conjunction)

    def conjunction(self) -> Expr:
        return self.junction(("and", "&&"), "And", self.negation)

    def junction(self, words: tuple[str, str], infix: str, operand: object) -> Expr:
        assert callable(operand)
        start = self.tok
        first: Expr = operand()
        values = [first]
        spelling = ""
        word = words[0]
        # An ``Or`` / ``And`` name right after a complete operand can only be infix (a call would need an operator).
        while self.at(*words, infix):
            spelling = spelling or self.tok.text
            self.take()
            values.append(operand())
        if len(values) == 1:
            return first
        return BoolOp(start.line, start.column, op=word, values=tuple(values), spelling=spelling)

    def negation(self) -> Expr:
        if self.at("not"):
            t = self.take()
            return Unary(t.line, t.column, op="not", operand=self.negation())
        return self.comparison()

    def comparison(self) -> Expr:
        start = self.tok
        first = self.arith()
        ops: list[str] = []
        operands = [first]
        while True:
            if self.tok.kind == "OP" and self.tok.text in _COMPARE:
                ops.append(self.take().text)
                operands.append(self.arith())
            elif self.at("in") or (self.at("not") and self.peek().text == "in"):
                negated = self.take().text == "not"
                if negated:
                    self.take()
                if ops:
                    raise self.error("'in' inside a comparison chain is not supported")
                container = self.arith()
                if isinstance(container, Name):
                    return InList(start.line, start.column, element=first, negated=negated, sort=container)
                if not isinstance(container, ListLit):
                    raise Malformed("'in' needs a list literal or a sort name on its right", line=container.line,
                                    column=container.column)
                return InList(start.line, start.column, element=first, options=container.items, negated=negated)
            elif self.at("is"):
                raise self.error("'is' is not part of the DSL (use ==)")
            else:
                break
        if not ops:
            return first
        return Compare(start.line, start.column, ops=tuple(ops), operands=tuple(operands))

    def arith(self) -> Expr:
        left = self.term()
        while self.at("+", "-"):
            t = self.take()
            left = BinOp(left.line, left.column, op=t.text, left=left, right=self.term())
        return left

    def term(self) -> Expr:
        left = self.unary()
        # A ``mod`` name right after a complete operand can only be the infix operator (as ``Or`` / ``And`` are).
        while self.at("*", "/", "//", "%", "mod"):
            t = self.take()
            left = BinOp(left.line, left.column, op=t.text, left=left, right=self.unary())
        return left

    def unary(self) -> Expr:
        if self.at("-"):
            t = self.take()
            return Unary(t.line, t.column, op="-", operand=self.unary())
        if self.at("+"):
            self.take()
            return self.unary()
        return self.primary()

    def primary(self) -> Expr:
        t = self.tok
        if t.kind == "NUM":
            self.take()
            node: Expr = Num(t.line, t.column, value=int(t.text))
        elif t.kind == "NAME":
            if t.text in _KEYWORDS:
                raise self.error(f"Python keyword {t.text!r} is not part of the DSL")
            self.take()
            if self.at("("):
                node = Call(t.line, t.column, func=t.text, args=self.arguments("(", ")"))
            else:
                node = Name(t.line, t.column, id=t.text)
        elif self.at("("):
            self.take()
            if self.at(")"):
                raise self.error("an empty tuple '()' is not part of the DSL", t)
            node = self.expression()
            if self.at(","):
                raise self.error("tuples are not part of the DSL", t)
            self.expect(")")
        elif self.at("["):
            node = ListLit(t.line, t.column, items=self.arguments("[", "]"))
        elif t.kind == "STR":
            raise self.error("string literals are not part of the DSL")
        elif t.kind == "END":
            raise self.error("the statement ends where an expression was expected")
        else:
            raise self.error(f"unexpected {t.text!r}")
        if self.at(".", "["):
            raise self.error("attribute access and subscripts are not part of the DSL")
        if self.at("("):
            raise self.error("only a name can be called")
        return node

    def arguments(self, open_: str, close: str) -> tuple[Expr, ...]:
        self.expect(open_)
        items: list[Expr] = []
        while not self.at(close):
            items.append(self.item())
            if self.at("for"):
                raise self.error("comprehensions ('for') are not part of the DSL")
            if not self.at(close):
                self.expect(",")
        self.expect(close)
        return tuple(items)

    def item(self) -> Expr:
        if self.tok.kind == "NAME" and self.peek().text == ":" and self.peek().kind == "OP":
            t = self.take()
            self.take()
            return Binder(t.line, t.column, var=t.text, sort=self.sort_expr())
        if self.tok.kind == "NAME" and self.peek().text == "=" and self.peek().kind == "OP":
            raise self.error("keyword arguments are not part of the DSL")
        return self.expression()

    def sort_expr(self) -> Expr:
        return self.primary()

    def signature(self) -> Expr:
        """``[a, b] -> [c]`` (Function's argument), kept as a Call of ``->``; other forms parse as arguments."""
        start = self.tok
        # Below implication: here '->' separates the argument sorts from the result sort.
        left = self.disjunction()
        if self.at("->"):
            self.take()
            right = self.item()
            return Call(start.line, start.column, func="->", args=(left, right))
        return left


def parse_expression(text: str, line: int = 1, column: int = 1) -> Expr:
    """Parse one DSL expression; the whole text must be consumed."""
    p = _Parser(_tokens(text, line, column))
    e = p.expression()
    if p.tok.kind != "END":
        raise p.error(f"unexpected {p.tok.text!r} after a complete expression")
    return e


def _parse_statement(text: str, line: int, column: int, comment: str, *, declarations: bool) -> Statement:
    p = _Parser(_tokens(text, line, column))
    target = None
    if p.tok.kind == "NAME" and p.peek().text == "=" and p.peek().kind == "OP":
        if not declarations:
            raise p.error("an assignment outside # Declarations")
        target = p.take().text
        p.take()
    if target is not None and p.at("Function") and p.peek().text == "(":
        t = p.take()
        p.expect("(")
        args = [p.signature()]
        while p.at(","):
            p.take()
            args.append(p.signature())
        p.expect(")")
        expr: Expr = Call(t.line, t.column, func="Function", args=tuple(args))
    else:
        expr = p.expression()
    extra = 0
    while p.at(")") and all(t.text == ")" or t.kind == "END" for t in p.toks[p.i:]):
        p.take()
        extra += 1
    if p.tok.kind != "END":
        raise p.error(f"unexpected {p.tok.text!r} after a complete statement")
    return Statement(target, expr, comment, line, column, extra)


# ---------------------------------------------------------------- the program

_SECTIONS: Final = {"# declarations": "declarations", "# constraints": "constraints", "# options": "options"}


def _strip_comment(raw: str) -> tuple[str, str]:
    """Split ``code ::: comment`` / ``code # comment`` (outside brackets) into code and comment."""
    depth = 0
    for i, ch in enumerate(raw):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif raw.startswith(":::", i) or (ch == "#" and depth <= 0):
            return raw[:i], raw[i:].lstrip(":#").strip()
    return raw, ""


def _depth(code: str) -> int:
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def parse_program(program: str) -> Program:
    """Split the text into its three sections and parse each statement; Malformed with line/column otherwise."""
    sections: dict[str, list[Statement]] = {"declarations": [], "constraints": [], "options": []}
    current: str | None = None
    question = ""
    lines = program.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i]
        lineno = i + 1
        i += 1
        stripped = raw.strip()
        if not stripped:
            continue
        header = _SECTIONS.get(" ".join(stripped.lower().split()))
        if header is not None:
            current = header
            continue
        if current is None:
            if stripped.startswith("#"):
                continue
            raise Malformed("a statement before the '# Declarations' section", line=lineno, column=1)
        code, comment = _strip_comment(raw)
        if current == "options" and code.strip().startswith("Question"):
            question = comment
            continue
        # A statement whose brackets are still open goes on over the next lines, unless a ':::' comment ended it.
        missing = 0
        if _depth(code) > 0 and ":::" in raw[len(code):len(code) + 3] and _depth(code.strip()[-1]) < 0:
            missing = _depth(code)
            code += ")" * missing
        while _depth(code) > 0 and i < len(lines):
            more, more_comment = _strip_comment(lines[i])
            code, comment, i = code + "\n" + more, more_comment or comment, i + 1
        if not code.strip():
            continue
        column = len(code) - len(code.lstrip()) + 1
        st = _parse_statement(code.strip(), lineno, column, comment, declarations=current == "declarations")
        sections[current].append(dataclasses.replace(st, missing_closing=missing) if missing else st)
    if not sections["options"]:
        raise Malformed("the program has no '# Options' section (or it is empty)")
    return Program(tuple(sections["declarations"]), tuple(sections["constraints"]), tuple(sections["options"]),
                   question)
