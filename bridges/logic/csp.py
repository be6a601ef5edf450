"""Logic-LM's LogicalDeduction CSP programs, read into a :class:`Formalisation` over Int.

Dataset: ``LogicalDeduction_dev_{model}.json`` of Logic-LM (Pan et al., 2023).
``raw_logic_programs[0]`` is the program, ``options`` holds the lettered
choices and ``answer`` the gold letter.  A program looks like::

    Domain:
    1: leftmost
    5: rightmost
    Variables:
    green_book [IN] [1, 2, 3, 4, 5]
    Constraints:
    blue_book > yellow_book ::: The blue book is to the right of the yellow book.
    AllDifferentConstraint([green_book, blue_book]) ::: All books have different values.
    Query:
    A) green_book == 2 ::: The green book is the second from the left.

Everything after ``:::`` on a line is a comment.  ``Domain:`` is prose for
the reader (Logic-LM ignores it too).  Each variable ranges over its listed
integers.  A constraint is ``AllDifferentConstraint([...])`` or an
expression in the subset of Python that the recorded programs use:
integer literals, variables, ``+ - *``, unary minus, ``abs(...)``,
comparisons ``== != < <= > >=`` (chained as in Python: ``a < b < c`` means
``a < b and b < c``), ``and``, ``or``, ``not``, ``True``, ``False`` and
parentheses.  Numbers and truth values are kept apart (Python would let
``True + 1`` through; a constraint that mixes them is rejected rather than
guessed at).  Anything else is :class:`Malformed` with its line and column.
The text is tokenised and parsed here; nothing in it is ever run.

An option is the answer when its query expression holds in every solution
(``entailed``), the rule Logic-LM's own solver applies (``CSP_Program.answer_mapping``:
the option's variable has that one value in every solution).  That solver
reads only the first ``name == number`` in an option's text: an option
that says more (``a == 1 and b == 2``, ``not a == 1``) is refused, having
two readings.  Where several options hold it takes the first; here the
kernel then abstains.  Constraints with ``abs``, ``and``, ``or``, ``not``,
``True``/``False`` or names with digits, and options that are not
``name == number`` (``a < b``), made Logic-LM's executor fail; they are read
here by Python's meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from assay.kernel.entail import Check, Formalisation, Option

from .common import Cursor, Malformed, Token, symbol

__all__ = ["SECTIONS", "formalise", "option_letters"]

SECTIONS: Final = ("Domain:", "Variables:", "Constraints:", "Query:")

_TOKEN: Final = re.compile(r"""
    (?P<ws>\s+)
  | (?P<int>\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|\(|\)|\[|\]|,)
""", re.VERBOSE)

# Python words a model might write that the subset does not have: named, so the error says what was refused.
_REFUSED_WORDS: Final = frozenset({
    "lambda", "import", "from", "for", "in", "is", "if", "else", "while", "def", "class", "return", "yield",
    "await", "async", "with", "as", "del", "global", "nonlocal", "assert", "pass", "raise", "try", "except",
    "finally", "break", "continue", "None",
})
_COMPARISONS: Final = {"==": "=", "!=": "distinct", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_OPTION: Final = re.compile(r"\s*([A-Za-z])\s*\)")


@dataclass(frozen=True)
class _Line:
    number: int
    code: str  # the line before any ":::" comment


@dataclass(frozen=True)
class _Term:
    """A translated expression: its SMT-LIB text and whether it is a number or a truth value."""

    smt: str
    sort: str  # "Int" | "Bool"


def formalise(program: str, record: Mapping[str, Any]) -> Formalisation:
    """The formalisation of one LogicalDeduction program; options labelled by the record's option letters.

    Raises :class:`Malformed` (with the line and column in ``program``) for
    anything outside the format described in the module docstring.
    """
    sections = _sections(program)
    variables = _variables(sections["Variables:"])
    names = {name: symbol(name, "v") for name in variables}
    premises = [_domain(names[n], values) for n, values in variables.items()]
    premise_names = [f"the domain of {n}" for n in variables]
    premises += [_constraint(line, names) for line in sections["Constraints:"]]
    premise_names += [f"line {line.number} ({' '.join(line.code.split())[:80]})" for line in sections["Constraints:"]]
    queries = _queries(sections["Query:"], names)
    letters = option_letters(record)
    options = _options(queries, letters, sections["Query:"])
    declarations = "\n".join(f"(declare-const {names[n]} Int)" for n in variables)
    return Formalisation(declarations, tuple(premises), options, source=str(record.get("id", "")),
                         premise_names=tuple(premise_names))


def option_letters(record: Mapping[str, Any]) -> list[str]:
    """The letters of the record's options (``"A) The green book ..."`` gives ``A``), in order."""
    options = record.get("options")
    if not isinstance(options, list) or not options:
        raise Malformed("the record has no list of options")
    letters = []
    for text in options:
        m = _OPTION.match(str(text))
        if m is None:
            raise Malformed(f"the record's option {text!r} does not start with a letter and ')'")
        letters.append(m.group(1).upper())
    return letters


# ---- sections ---------------------------------------------------------------------------------------------

def _sections(program: str) -> dict[str, list[_Line]]:
    """The non-blank lines of each section, comments cut off; Variables, Constraints and Query are required."""
    found: dict[str, list[_Line]] = {}
    current: str | None = None
    for number, raw in enumerate(program.splitlines(), start=1):
        code = raw.split(":::", 1)[0].rstrip()
        if code.strip() in SECTIONS:
            current = code.strip()
            if current in found:
                raise Malformed(f"the section {current} appears twice", line=number, column=1)
            found[current] = []
        elif code.strip():
            if current is None:
                raise Malformed(f"text before the first section header ({', '.join(SECTIONS)})", line=number,
                                column=_indent(code))
            found[current].append(_Line(number, code))
    for header in SECTIONS[1:]:
        if header not in found:
            raise Malformed(f"the program has no {header} section")
    return found


def _variables(lines: Sequence[_Line]) -> dict[str, list[int]]:
    """``name [IN] [v1, v2, ...]`` per line: each variable and its integer values."""
    out: dict[str, list[int]] = {}
    for line in lines:
        p = _Parser(line)
        name = p.expect("name", "a variable name")
        if name.text in out:
            raise Malformed(f"the variable {name.text} is declared twice", line=name.line, column=name.column)
        if name.text in _REFUSED_WORDS or name.text in {"and", "or", "not", "abs", "True", "False"}:
            raise Malformed(f"{name.text!r} cannot name a variable", line=name.line, column=name.column)
        p.expect_op("[")
        tag = p.expect("name", "IN")
        if tag.text != "IN":
            raise Malformed(f"expected [IN], found [{tag.text}]", line=tag.line, column=tag.column)
        p.expect_op("]")
        values = p.int_list()
        if not values:
            raise Malformed(f"the variable {name.text} has no values", line=name.line, column=name.column)
        p.expect_end()
        out[name.text] = values
    if not out:
        raise Malformed("the Variables: section declares no variable")
    return out


def _domain(var: str, values: Sequence[int]) -> str:
    """The variable takes one of its values (an interval when the values are consecutive)."""
    lo, hi = min(values), max(values)
    if sorted(set(values)) == list(range(lo, hi + 1)):
        return f"(and (<= {_int(lo)} {var}) (<= {var} {_int(hi)}))"
    return _or([f"(= {var} {_int(v)})" for v in dict.fromkeys(values)])


def _constraint(line: _Line, names: Mapping[str, str]) -> str:
    p = _Parser(line)
    head = p.peek()
    if head.kind == "name" and head.text == "AllDifferentConstraint":
        return _all_different(p, names)
    term = p.expression(names)
    p.expect_end()
    return _truth(term, head)


def _all_different(p: _Parser, names: Mapping[str, str]) -> str:
    p.advance()
    p.expect_op("(")
    p.expect_op("[")
    listed: list[str] = []
    while True:
        tok = p.expect("name", "a variable name")
        if tok.text not in names:
            raise Malformed(f"AllDifferentConstraint names {tok.text}, which is not a declared variable",
                            line=tok.line, column=tok.column)
        if tok.text in listed:
            raise Malformed(f"AllDifferentConstraint lists {tok.text} twice", line=tok.line, column=tok.column)
        listed.append(tok.text)
        if p.peek().text != ",":
            break
        p.advance()
    p.expect_op("]")
    p.expect_op(")")
    p.expect_end()
    if len(listed) < 2:
        return "true"
    return f"(distinct {' '.join(names[n] for n in listed)})"


def _queries(lines: Sequence[_Line], names: Mapping[str, str]) -> list[tuple[str, str, _Line]]:
    """``A) expression`` per line: (letter, SMT-LIB Bool term, line)."""
    out = []
    seen: set[str] = set()
    for line in lines:
        m = _OPTION.match(line.code)
        if m is None:
            raise Malformed("expected an option letter and ')' (as in 'A) x == 2')", line=line.number,
                            column=_indent(line.code))
        letter = m.group(1).upper()
        if letter in seen:
            raise Malformed(f"option {letter} has two queries", line=line.number, column=m.start(1) + 1)
        seen.add(letter)
        _check_executor_reading(line, m.end())
        p = _Parser(line, start=m.end())
        first = p.peek()
        term = p.expression(names)
        p.expect_end()
        out.append((letter, _truth(term, first), line))
    return out


# What Logic-LM's executor reads of an option (CSP_Program.answer_mapping): the first "name == number" in it.
_EXECUTOR_QUERY: Final = re.compile(r"\w+ == \d+")


def _check_executor_reading(line: _Line, start: int) -> None:
    """Refuse an option of which Logic-LM's executor read only a part: two readings, its and the text's."""
    found = _EXECUTOR_QUERY.search(line.code.strip())
    written = line.code[start:].strip()
    if found is not None and found.group() != written:
        raise Malformed(f"Logic-LM's executor reads only the first 'name == number' of an option, here "
                        f"{found.group()!r}, where the option says {written!r}: two readings", line=line.number,
                        column=start + 1 + len(line.code[start:]) - len(line.code[start:].lstrip()))


def _options(queries: Sequence[tuple[str, str, _Line]], letters: Sequence[str],
             lines: Sequence[_Line]) -> tuple[Option, ...]:
    """One option per record letter; a query for a letter the record lacks, or a letter with no query, is refused."""
    by_letter = {letter: (smt, line) for letter, smt, line in queries}
    for letter, (_, line) in by_letter.items():
        if letter not in letters:
            raise Malformed(f"the query for option {letter} matches none of the record's options "
                            f"({', '.join(letters)})", line=line.number, column=_indent(line.code))
    missing = [x for x in letters if x not in by_letter]
    if missing:
        where = lines[-1].number if lines else 0
        raise Malformed(f"the Query: section has no line for option(s) {', '.join(missing)}", line=where,
                        column=1 if where else 0)
    return tuple(Option(x, (Check("entailed", by_letter[x][0]),)) for x in letters)


# ---- expressions ------------------------------------------------------------------------------------------

class _Parser(Cursor):
    """Recursive descent over one line's tokens (kinds int, name, op, end), translating to SMT-LIB as it goes."""

    def __init__(self, line: _Line, start: int = 0) -> None:
        super().__init__(list(_tokens(line, start)))

    def expect(self, kind: str, what: str) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            raise _unexpected(tok, what)
        return self.advance()

    def expect_op(self, op: str) -> None:
        tok = self.peek()
        if tok.kind != "op" or tok.text != op:
            raise _unexpected(tok, repr(op))
        self.advance()

    def expect_end(self) -> None:
        tok = self.peek()
        if tok.kind != "end":
            raise _unexpected(tok, "the end of the line")

    def int_list(self) -> list[int]:
        self.expect_op("[")
        values: list[int] = []
        while self.peek().text != "]":
            if values:
                self.expect_op(",")
            sign = -1 if self.peek().text == "-" else 1
            if sign < 0:
                self.advance()
            values.append(sign * int(self.expect("int", "an integer value").text))
        self.expect_op("]")
        return values

    def expression(self, names: Mapping[str, str]) -> _Term:
        return self._or(names)

    def _or(self, names: Mapping[str, str]) -> _Term:
        return self._junction("or", self._and, names)

    def _and(self, names: Mapping[str, str]) -> _Term:
        return self._junction("and", self._not, names)

    def _junction(self, word: str, operand: Callable[[Mapping[str, str]], _Term], names: Mapping[str, str]) -> _Term:
        first = self.peek()
        parts = [operand(names)]
        while self.peek().kind == "name" and self.peek().text == word:
            tok = self.advance()
            nxt = self.peek()
            parts.append(operand(names))
            _need_bool(parts[-1], nxt, f"an operand of '{word}'")
            _need_bool(parts[0], first, f"an operand of '{tok.text}'")
        if len(parts) == 1:
            return parts[0]
        return _Term(f"({word} {' '.join(t.smt for t in parts)})", "Bool")

    def _not(self, names: Mapping[str, str]) -> _Term:
        tok = self.peek()
        if tok.kind == "name" and tok.text == "not":
            self.advance()
            nxt = self.peek()
            inner = self._not(names)
            _need_bool(inner, nxt, "the operand of 'not'")
            return _Term(f"(not {inner.smt})", "Bool")
        return self._comparison(names)

    def _comparison(self, names: Mapping[str, str]) -> _Term:
        starts = [self.peek()]
        operands = [self._sum(names)]
        ops: list[Token] = []
        while self.peek().kind == "op" and self.peek().text in _COMPARISONS:
            ops.append(self.advance())
            starts.append(self.peek())
            operands.append(self._sum(names))
        if not ops:
            return operands[0]
        links = []
        for i, op in enumerate(ops):
            left, right = operands[i], operands[i + 1]
            if op.text in ("==", "!=") and left.sort != right.sort:
                raise Malformed(f"'{op.text}' compares a number with a truth value", line=op.line, column=op.column)
            if op.text not in ("==", "!="):
                _need_int(left, starts[i], f"the left side of '{op.text}'")
                _need_int(right, starts[i + 1], f"the right side of '{op.text}'")
            links.append(f"({_COMPARISONS[op.text]} {left.smt} {right.smt})")
        return _Term(links[0] if len(links) == 1 else f"(and {' '.join(links)})", "Bool")

    def _sum(self, names: Mapping[str, str]) -> _Term:
        return self._left_assoc(("+", "-"), self._product, names)

    def _product(self, names: Mapping[str, str]) -> _Term:
        return self._left_assoc(("*",), self._unary, names)

    def _left_assoc(self, ops: tuple[str, ...], operand: Callable[[Mapping[str, str]], _Term],
                    names: Mapping[str, str]) -> _Term:
        """``operand (op operand)*`` over integers, grouped to the left as Python does."""
        first = self.peek()
        acc = operand(names)
        while self.peek().kind == "op" and self.peek().text in ops:
            op = self.advance()
            nxt = self.peek()
            right = operand(names)
            _need_int(acc, first, f"the left side of '{op.text}'")
            _need_int(right, nxt, f"the right side of '{op.text}'")
            acc = _Term(f"({op.text} {acc.smt} {right.smt})", "Int")
        return acc

    def _unary(self, names: Mapping[str, str]) -> _Term:
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("-", "+"):
            self.advance()
            nxt = self.peek()
            inner = self._unary(names)
            _need_int(inner, nxt, f"the operand of unary '{tok.text}'")
            return inner if tok.text == "+" else _Term(f"(- {inner.smt})", "Int")
        return self._atom(names)

    def _atom(self, names: Mapping[str, str]) -> _Term:
        tok = self.advance()
        if tok.kind == "int":
            if len(tok.text) > 1 and tok.text.startswith("0"):
                raise Malformed(f"the number {tok.text} has a leading zero (Python refuses it)", line=tok.line,
                                column=tok.column)
            return _Term(tok.text, "Int")
        if tok.kind == "op" and tok.text == "(":
            inner = self.expression(names)
            self.expect_op(")")
            return inner
        if tok.kind == "name":
            return self._name(tok, names)
        raise _unexpected(tok, "a number, a variable or '('")

    def _name(self, tok: Token, names: Mapping[str, str]) -> _Term:
        if tok.text in ("True", "False"):
            return _Term(tok.text.lower(), "Bool")
        if tok.text == "abs":
            self.expect_op("(")
            nxt = self.peek()
            inner = self.expression(names)
            self.expect_op(")")
            _need_int(inner, nxt, "the argument of abs()")
            return _Term(f"(abs {inner.smt})", "Int")
        if tok.text in names:
            if self.peek().text == "(":
                raise Malformed(f"{tok.text} is a variable, not a function: it cannot be called", line=tok.line,
                                column=tok.column)
            return _Term(names[tok.text], "Int")
        if tok.text in _REFUSED_WORDS or tok.text in ("and", "or", "not"):
            raise Malformed(f"the Python keyword {tok.text!r} is not part of the constraint language",
                            line=tok.line, column=tok.column)
        if tok.text.startswith("__"):
            raise Malformed(f"the name {tok.text!r} is not part of the constraint language (no Python internals)",
                            line=tok.line, column=tok.column)
        if self.peek().text == "(":
            raise Malformed(f"unknown function {tok.text}() (only abs() and AllDifferentConstraint([...]) exist)",
                            line=tok.line, column=tok.column)
        raise Malformed(f"{tok.text} is not a declared variable", line=tok.line, column=tok.column)


def _tokens(line: _Line, start: int) -> Iterator[Token]:
    pos = start
    code = line.code
    while pos < len(code):
        m = _TOKEN.match(code, pos)
        if m is None:
            raise Malformed(f"unexpected character {code[pos]!r}", line=line.number, column=pos + 1)
        kind = m.lastgroup or ""
        if kind != "ws":
            yield Token(kind, m.group(), line.number, pos + 1)
        pos = m.end()
    yield Token("end", "", line.number, len(code) + 1)


def _unexpected(tok: Token, wanted: str) -> Malformed:
    if tok.kind == "name" and tok.text in _REFUSED_WORDS:
        return Malformed(f"the Python keyword {tok.text!r} is not part of the constraint language", line=tok.line,
                         column=tok.column)
    found = "the end of the line" if tok.kind == "end" else repr(tok.text)
    return Malformed(f"expected {wanted}, found {found}", line=tok.line, column=tok.column)


def _need_bool(term: _Term, at: Token, role: str) -> None:
    if term.sort != "Bool":
        raise Malformed(f"{role} must be a truth value, not a number", line=at.line, column=at.column)


def _need_int(term: _Term, at: Token, role: str) -> None:
    if term.sort != "Int":
        raise Malformed(f"{role} must be a number, not a truth value", line=at.line, column=at.column)


def _truth(term: _Term, at: Token) -> str:
    _need_bool(term, at, "a constraint or query")
    return term.smt


def _int(value: int) -> str:
    return str(value) if value >= 0 else f"(- {-value})"


def _or(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"(or {' '.join(parts)})"


def _indent(code: str) -> int:
    return len(code) - len(code.lstrip()) + 1


_DECLARED: Final = re.compile(r"\(declare-const (v_[A-Za-z0-9_]+) Int\)")


def second_solution(f: Formalisation, *, timeout: float = 10.0) -> bool | None:
    """Whether the program's constraints admit two different arrangements (True), one (False), or unknown (None).

    A LogicalDeduction paragraph fixes the order of its objects, so a
    formalisation with two solutions has left a statement out, even when
    the answer holds in both: a reason to ask another formalisation, never
    a verdict.  One query, to z3: the constraints over the variables and
    over a renamed copy of them, and the two copies different somewhere.
    """
    from assay.kernel.solvers import ask_scripts
    from assay.specs.smtlib_hygiene import SmtlibRefused, check_smtlib

    names = _DECLARED.findall(f.declarations)
    if not names or "__other" in f.declarations:
        return None
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + r")\b")

    def other(text: str) -> str:
        return pattern.sub(lambda m: m.group(1) + "__other", text)

    lines = [f.declarations.strip(), other(f.declarations.strip())]
    lines += [f"(assert {p})" for p in f.premises] + [f"(assert {other(p)})" for p in f.premises]
    differ = [f"(distinct {n} {n}__other)" for n in names]
    lines += [f"(assert {differ[0] if len(differ) == 1 else '(or ' + ' '.join(differ) + ')'})", "(check-sat)"]
    text = "\n".join(lines) + "\n"
    try:
        check_smtlib(text)
    except SmtlibRefused:
        return None
    status = ask_scripts([(text, "z3")], timeout=timeout)[0].status
    return {"sat": True, "unsat": False}.get(status)
