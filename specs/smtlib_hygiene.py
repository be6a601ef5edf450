"""SMT-LIB hygiene: refuse SMT-LIB2 text that is not a plain obligation, before any solver sees it.

An obligation is one satisfiability question over Int, Bool and String:
declarations (of constants, functions and uninterpreted sorts of arity 0),
definitions, assertions, one ``check-sat`` and, after it, model
queries.  Anything else in the text is refused with the command and its line
and column, because a solver would act on it: ``(exit)`` ends the run before
the answer, ``(set-option ...)`` changes what the answer means (or how long it
may take), ``(push)``/``(pop)``/``(reset)`` turn one question into several,
``(echo "unsat")`` prints text that can be mistaken for an answer, and sorts,
literals and operators of theories assay does not encode (reals, bit-vectors,
floating point, arrays, datatypes) are outside what assay can vouch for.

The text is read with a small tokenizer of our own (string literals with
``""`` escapes, ``|quoted symbols|``, ``;`` comments), never by a solver, and
never evaluated.  Inputs over a size cap (16 MB by default) are refused before
they are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from .errors import AssayError

__all__ = [
    "ALLOWED_COMMANDS",
    "DEFAULT_MAX_BYTES",
    "SUPPORTED_SORTS",
    "CheckedScript",
    "SmtlibRefused",
    "check_smtlib",
]

DEFAULT_MAX_BYTES: Final = 16 * 1024 * 1024
SUPPORTED_SORTS: Final = frozenset({"Int", "Bool", "String"})
ALLOWED_COMMANDS: Final = ("set-logic", "set-info", "declare-sort", "declare-fun", "declare-const", "define-fun",
                            "assert", "check-sat", "get-model", "get-value")

# Why each command a solver would otherwise obey is refused.
_FORBIDDEN_WHY: Final = {
    "exit": "it would end the solver before it answers",
    "set-option": "solver options are set by the runner, never by the obligation (they change what "
                  "the answer means or how long it may take)",
    "push": "an obligation is one question: no push, pop or reset",
    "pop": "an obligation is one question: no push, pop or reset",
    "reset": "an obligation is one question: no push, pop or reset",
    "reset-assertions": "an obligation is one question: no push, pop or reset",
    "echo": "it prints text that could be taken for the solver's answer",
    "check-sat-assuming": "an obligation is one question, asked by a plain (check-sat)",
}

# The logics whose theories are within Int, Bool (with uninterpreted functions) and String.
_LOGICS: Final = frozenset({
    "ALL", "QF_UF", "UF", "QF_LIA", "LIA", "QF_NIA", "NIA", "QF_IDL", "IDL", "QF_UFLIA", "UFLIA",
    "QF_UFNIA", "UFNIA", "QF_UFIDL", "QF_S", "QF_SLIA", "QF_SNIA",
})

_SET_INFO: Final = frozenset({":smt-lib-version", ":source", ":license", ":category", ":status", ":notes"})

# Operators of the core (Bool), Int and String theories, as SMT-LIB 2.6 names them.
_OPERATORS: Final = frozenset({
    "not", "and", "or", "xor", "=>", "=", "distinct", "ite",
    "+", "-", "*", "div", "mod", "abs", "<", "<=", ">", ">=",
    "str.++", "str.len", "str.at", "str.substr", "str.prefixof", "str.suffixof", "str.contains",
    "str.indexof", "str.replace", "str.replace_all", "str.replace_re", "str.replace_re_all",
    "str.is_digit", "str.to_code", "str.from_code", "str.to_int", "str.from_int", "str.<", "str.<=",
    "str.in_re", "str.to_re", "re.*", "re.+", "re.opt", "re.comp", "re.range", "re.++", "re.union",
    "re.inter", "re.diff",
})
_INDEXED: Final = frozenset({"char", "re.loop", "re.^"})
_BINDERS: Final = frozenset({"let", "forall", "exists", "!"})

_TOKEN: Final = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<comment>;[^\n\r]*)
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<string>"(?:[^"]++|"")*+")  # possessive: `""` inside is always an escaped quote
  | (?P<qsym>\|[^|]*\|)
  | (?P<atom>[!#-'*-:<-{}~]+)  # printable ASCII but for whitespace ( ) " ; |
""", re.VERBOSE)
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DECIMAL: Final = re.compile(r"[0-9]+\.[0-9]+")


class SmtlibRefused(AssayError, ValueError):
    """SMT-LIB text that is not a plain obligation assay will hand to a solver.

    ``line`` and ``column`` (1-based; 0 when the whole input is at fault) point
    at the command or token; ``command`` names the command (empty if none).
    """

    def __init__(self, why: str, *, line: int = 0, column: int = 0, command: str = "") -> None:
        self.why, self.line, self.column, self.command = why, line, column, command
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"refused SMT-LIB: {where}{why}")


@dataclass(frozen=True)
class CheckedScript:
    """What a script that passed the checks holds (for callers that want to know)."""

    logic: str | None
    commands: tuple[str, ...]
    declared: dict[str, str] = field(default_factory=dict)  # name -> sort, as written


def check_smtlib(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckedScript:
    """Check that ``text`` is a plain obligation over Int, Bool and String; raise :class:`SmtlibRefused` if not.

    ``max_bytes`` caps the UTF-8 size of the input; larger inputs are refused
    before they are read.
    """
    size = len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise SmtlibRefused(f"the input is {size} bytes, over the limit of {max_bytes} bytes")
    return _Checker(text).run(_parse(text))


# --- reading --------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    """An atom (``items`` None) or a list (``items`` set), with where it starts and ends in the text."""

    kind: str  # "list", "atom", "string" or "qsym"
    text: str
    line: int
    column: int
    start: int
    end: int
    items: list[_Node] | None = None

    @property
    def symbol(self) -> str:
        """The symbol an atom names (``|x|`` and ``x`` are one symbol in SMT-LIB)."""
        return self.text[1:-1] if self.kind == "qsym" else self.text


def _parse(text: str) -> list[_Node]:
    """The top-level s-expressions of ``text`` (iteratively: nesting depth costs no Python stack)."""
    top: list[_Node] = []
    stack: list[_Node] = []
    line, line_start, pos, n = 1, 0, 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        column = pos - line_start + 1
        if m is None:
            ch = text[pos]
            if ch == '"':
                raise SmtlibRefused("a string literal is never closed", line=line, column=column)
            if ch == "|":
                raise SmtlibRefused("a quoted symbol is never closed", line=line, column=column)
            raise SmtlibRefused(f"unexpected character {ch!r} (U+{ord(ch):04X})", line=line, column=column)
        kind, tok, end = m.lastgroup or "", m.group(), m.end()
        if kind in ("string", "qsym"):
            bad = _CONTROL.search(tok)
            if bad is not None:
                before = text[pos:pos + bad.start()]
                bl = line + before.count("\n")
                bc = (len(before) - before.rfind("\n")) if "\n" in before else column + len(before)
                raise SmtlibRefused(f"unexpected control character U+{ord(bad.group()):04X}", line=bl, column=bc)
            if kind == "qsym" and "\\" in tok:
                raise SmtlibRefused("a quoted symbol may not contain '\\'", line=line, column=column)
        if kind == "lpar":
            stack.append(_Node("list", "(", line, column, pos, -1, []))
        elif kind == "rpar":
            if not stack:
                raise SmtlibRefused("unexpected ')' with no '(' open", line=line, column=column)
            node = stack.pop()
            node.end = end
            (stack[-1].items if stack else top).append(node)  # type: ignore[union-attr]
        elif kind in ("string", "qsym", "atom"):
            node = _Node(kind, tok, line, column, pos, end)
            (stack[-1].items if stack else top).append(node)  # type: ignore[union-attr]
        newlines = tok.count("\n")
        if newlines:
            line += newlines
            line_start = pos + tok.rfind("\n") + 1
        pos = end
    if stack:
        first = stack[0]
        raise SmtlibRefused("'(' is never closed (the input ends first)", line=first.line, column=first.column)
    return top


# --- checking -------------------------------------------------------------------


class _Checker:
    def __init__(self, text: str) -> None:
        self.text = text
        self.functions: set[str] = set()
        self.declared: dict[str, str] = {}
        self.sorts: set[str] = set()  # uninterpreted sorts the script declares (arity 0 only)

    def show(self, node: _Node, limit: int = 60) -> str:
        shown = " ".join(self.text[node.start:node.end].split())
        return shown if len(shown) <= limit else shown[:limit - 5] + " ...)"

    def refuse(self, node: _Node, why: str, command: str = "") -> SmtlibRefused:
        return SmtlibRefused(why, line=node.line, column=node.column, command=command)

    def run(self, top: list[_Node]) -> CheckedScript:
        logic: str | None = None
        names: list[str] = []
        asked = False
        for cmd in top:
            if cmd.items is None:
                raise self.refuse(cmd, f"{self.show(cmd)} is not a command (a command is a parenthesised list)")
            if not cmd.items or cmd.items[0].kind != "atom":
                raise self.refuse(cmd, f"{self.show(cmd)} is not a command (it names none)")
            name = cmd.items[0].text
            label = f"({name}{' ...' if len(cmd.items) > 1 else ''})"
            if name in _FORBIDDEN_WHY:
                raise self.refuse(cmd, f"{label} is not allowed: {_FORBIDDEN_WHY[name]}", name)
            if name not in ALLOWED_COMMANDS:
                raise self.refuse(cmd, f"{label} is not allowed: an obligation may only use "
                                       f"{', '.join(ALLOWED_COMMANDS)}", name)
            if asked and name not in ("get-model", "get-value", "set-info"):
                raise self.refuse(cmd, f"{label} comes after (check-sat): an obligation asks one question, "
                                       "last", name)
            args = cmd.items[1:]
            if name == "set-logic":
                if logic is not None or names:
                    raise self.refuse(cmd, f"{label} must come once, first", name)
                if len(args) != 1 or args[0].kind != "atom":
                    raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected (set-logic LOGIC)", name)
                if args[0].text not in _LOGICS:
                    raise self.refuse(cmd, f"{self.show(cmd)} names a logic outside Int, Bool and String "
                                           f"(allowed: {', '.join(sorted(_LOGICS))})", name)
                logic = args[0].text
            elif name == "set-info":
                if not args or args[0].text not in _SET_INFO:
                    raise self.refuse(cmd, f"{self.show(cmd)} is not allowed: only "
                                           f"{', '.join(sorted(_SET_INFO))} may be set", name)
            elif name == "declare-sort":
                self.declare_sort(cmd, args)
            elif name in ("declare-fun", "declare-const", "define-fun"):
                self.definition(cmd, name, args)
            elif name == "assert":
                if len(args) != 1:
                    raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected (assert TERM)", name)
                self.term(args[0], cmd, name, set())
            elif name == "check-sat":
                if args:
                    raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected (check-sat)", name)
                asked = True
            elif name == "get-value":
                if len(args) != 1 or args[0].items is None:
                    raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected (get-value (TERM+))", name)
                for t in args[0].items:
                    self.term(t, cmd, name, set())
            elif args:  # get-model
                raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected (get-model)", name)
            names.append(name)
        return CheckedScript(logic, tuple(names), dict(self.declared))

    def definition(self, cmd: _Node, name: str, args: list[_Node]) -> None:
        shapes = {"declare-fun": "(declare-fun NAME (SORT*) SORT)", "declare-const": "(declare-const NAME SORT)",
                  "define-fun": "(define-fun NAME ((NAME SORT)*) SORT TERM)"}
        want = {"declare-fun": 3, "declare-const": 2, "define-fun": 4}[name]
        ok = len(args) == want and args[0].kind in ("atom", "qsym")
        if ok and name != "declare-const":
            ok = args[1].items is not None
        if not ok:
            raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected {shapes[name]}", name)
        symbol = args[0].symbol
        result = args[1] if name == "declare-const" else args[2]
        sorts = [result]
        bound: set[str] = set()
        if name == "declare-fun":
            sorts += args[1].items or []
        elif name == "define-fun":
            for param in args[1].items or []:
                if param.items is None or len(param.items) != 2:
                    raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected {shapes[name]}", name)
                bound.add(param.items[0].symbol)
                sorts.append(param.items[1])
        for sort in sorts:
            self.sort(sort, cmd, name)
        if name == "define-fun":
            self.term(args[3], cmd, name, bound)
        self.functions.add(symbol)
        self.declared[symbol] = self.text[result.start:result.end]

    def declare_sort(self, cmd: _Node, args: list[_Node]) -> None:
        """``(declare-sort NAME 0)``: an uninterpreted sort of individuals (first-order logic)."""
        if len(args) != 2 or args[0].kind not in ("atom", "qsym") or args[1].text != "0":
            raise self.refuse(cmd, f"{self.show(cmd)} is malformed: expected (declare-sort NAME 0) "
                                   "(sorts with parameters are not supported)", "declare-sort")
        if args[0].symbol in SUPPORTED_SORTS or args[0].symbol in self.sorts:
            raise self.refuse(cmd, f"{self.show(cmd)} declares the sort {args[0].symbol} again", "declare-sort")
        self.sorts.add(args[0].symbol)

    def sort(self, sort: _Node, cmd: _Node, name: str) -> None:
        if sort.kind == "atom" and sort.text in SUPPORTED_SORTS:
            return
        if sort.kind in ("atom", "qsym") and sort.symbol in self.sorts:
            return
        raise self.refuse(cmd, f"{self.show(cmd)} uses the sort {self.show(sort)}: assay's obligations are over "
                               f"{', '.join(sorted(SUPPORTED_SORTS))} only (unsupported theory)", name)

    def term(self, root: _Node, cmd: _Node, name: str, bound: set[str]) -> None:
        """Every operator and literal under ``root`` belongs to the Int, Bool or String theories."""
        todo = [root]
        while todo:
            node = todo.pop()
            if node.items is None:
                self.literal(node, cmd, name)
                continue
            if not node.items:
                raise self.refuse(node, f"() is not a term (in {self.show(cmd, 40)})", name)
            head, rest = node.items[0], node.items[1:]
            if head.kind == "atom" and head.text == "_":
                self.indexed(node, cmd, name)
                continue
            if head.kind == "atom" and head.text in _BINDERS:
                todo.extend(reversed(self.binder(head.text, node, rest, cmd, name)))
                continue
            if head.items is not None:
                self.indexed(head, cmd, name)
            elif head.kind not in ("atom", "qsym") or (head.text not in _OPERATORS and head.symbol not in
                                                       self.functions and head.symbol not in bound):
                raise self.refuse(head, f"{head.text} is not an operator of the Int, Bool or String theories "
                                        f"nor a declared function (in {self.show(cmd, 40)}): unsupported theory",
                                  name)
            todo.extend(reversed(rest))

    def binder(self, kind: str, node: _Node, rest: list[_Node], cmd: _Node, name: str) -> list[_Node]:
        if kind == "!":
            if not rest:
                raise self.refuse(node, f"{self.show(node)} is malformed: expected (! TERM :ATTRIBUTE ...)", name)
            return rest[:1]
        if len(rest) != 2 or rest[0].items is None:
            raise self.refuse(node, f"{self.show(node)} is malformed: expected ({kind} (BINDINGS) TERM)", name)
        out = [rest[1]]
        for b in rest[0].items:
            if b.items is None or len(b.items) != 2:
                what = "TERM" if kind == "let" else "SORT"
                raise self.refuse(b, f"{self.show(b)} is malformed: a binding is (NAME {what})", name)
            if kind == "let":
                out.append(b.items[1])
            else:
                self.sort(b.items[1], cmd, name)
        return out

    def indexed(self, head: _Node, cmd: _Node, name: str) -> None:
        items = head.items or []
        if len(items) >= 2 and items[0].text == "_" and items[1].text in _INDEXED:
            return
        raise self.refuse(head, f"the indexed operator {self.show(head)} is not of the Int, Bool or String "
                                f"theories (in {self.show(cmd, 40)}): unsupported theory", name)

    def literal(self, node: _Node, cmd: _Node, name: str) -> None:
        if node.kind != "atom":
            return
        t = node.text
        if _DECIMAL.fullmatch(t):
            raise self.refuse(node, f"the decimal {t} is a Real (in {self.show(cmd, 40)}): unsupported theory",
                              name)
        if t.startswith(("#x", "#b")):
            raise self.refuse(node, f"the bit-vector literal {t} (in {self.show(cmd, 40)}): unsupported theory",
                              name)
        if t in ("_", "as"):
            raise self.refuse(node, f"{t} outside an indexed operator (in {self.show(cmd, 40)}): "
                                    "unsupported construct", name)
