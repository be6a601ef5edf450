"""Logic-LM's ProntoQA and ProofWriter logic programs, read into a :class:`Formalisation`.

Datasets: ``ProntoQA_dev_{model}.json`` (options ``A) True``, ``B) False``)
and ``ProofWriter_dev_{model}.json`` (``A) True``, ``B) False``,
``C) Unknown``) of Logic-LM (Pan et al., 2023).  ``raw_logic_programs[0]``
is the program, ``answer`` the gold letter.  A program looks like::

    Predicates:
    Cold($x, bool) ::: Is x cold?
    Facts:
    Cold(Bob, True) ::: Bob is cold.
    Rules:
    Quiet($x, True) && Cold($x, True) >>> Smart($x, True) ::: If something is quiet and cold then it is smart.
    Query:
    Kind(Charlie, False) ::: Charlie is not kind.

An atom is ``Name(arg, ..., True|False)``: its arguments are constants
(``Bob``) or variables (``$x``), and the last one is the atom's polarity.
A fact is a conjunction (``&&``) of atoms without variables; a rule is
``body >>> head`` with conjunctions on both sides, its variables read as
"for all"; every variable of the head must occur in the body (Pyke cannot
assert a fact with an unbound variable: Logic-LM's executor fails on such a
rule, so it is refused).  ``Predicates:`` only declares names and arities: a
predicate used with another arity than declared is refused.  Everything
after ``:::`` is a comment.

Which statements count is decided as Logic-LM's executor decides it
(``Pyke_Program`` in its ``pyke_solver.py``; see :func:`_statement_sections`).
With both ``Facts:`` and ``Rules:`` non-empty, every line of ``Facts:`` is a
fact to it and one with ``$x`` in it is never written (``create_fact_file``):
such a fact (``Rompus($x, True)``) is left out here too, named in
``changes`` (REPAIRED); a *rule* with ``$x`` in ``Facts:`` is refused, since
the executor drops it where the notation makes it a rule.  With one of the
two empty or missing, the statements of the other are sorted by ``>>>``, and
the facts among them with ``$x`` are left out the same way.

The extensions read, each recorded in ``changes`` (REPAIRED, never
ACCEPTED): a negation sign before an atom (``!Red($x, True)``, also ``~``,
``¬``, ``not``, ``Not(...)``), which flips its polarity; predicates declared
without the truth value; multi-word constants; the model's ``Answer:`` after
its query, left out.  Anything else is :class:`Malformed` with its line and
column.  The text is tokenised and parsed here; nothing in it is ever run.

Read by their form, though Logic-LM's executor fails on them (Pyke's fact
file takes one atom a line): a conjunction as a fact, a ground rule in
``Facts:``, a fact in ``Rules:``.  And one place where the executor does not
read its own format: its query pattern takes the first argument and then
everything up to ``)`` as the truth value, so ``Likes(Lion, Cat, False)``
becomes "does Lion like anything, with label 'Cat, False'", which never
matches and answers Unknown (ProofWriter) or False (ProntoQA) whatever the
facts.  Here such a query is read as the atom it spells, a named repair
(REPAIRED, with the change saying so), since that is not the executor's meaning.

How the polarity relates to the predicate, and what an answer means.  In
both worlds, as in Logic-LM's Pyke engine and in the ProofWriter data,
``P(a, True)`` and ``P(a, False)`` are two separate facts that rules derive
forward: there is no reasoning by contraposition (from "not red things are
kind" and "Bob is not kind" nothing follows about Bob being red).  The two
cannot both hold: a theory deriving both is contradictory (VACUOUS), where
Pyke would still pick an answer.

* Open world (ProofWriter; any record with an ``Unknown`` option): the
  statement is True when its atom is entailed, False when the opposite atom
  is, Unknown when neither is.
* Closed world (ProntoQA, answered True/False): True when the atom is
  entailed, False when it is not (``not atom`` is consistent), the rule
  Logic-LM applies.

Measured on the GPT-4 ProofWriter programs (600), the classical reading
(``P(a, False)`` is ``not P(a)``, contraposition allowed;
``separate_polarities=False``) answers 584 right, 13 wrong and abstains
on 3; the separate reading answers 598 right and 2 wrong: the gold answers
follow the separate one, which is therefore the default.

The query should say what the question's statement says.  Models often
write the query with the polarity of the answer they expect ("Max is sour"
queried as ``Sour(Max, False)``: 76 of the 500 GPT-4 ProntoQA programs).
With ``match_statement`` (the default) the statement is read from the
record's question (the text after its last ``?``): when it has no ``not``
and the query is negative, or one ``not`` and the query is positive, the
query is read with the statement's polarity and that repair is recorded in
``changes`` (REPAIRED).  A statement with two or more ``not`` is left alone.

``formalise`` chooses the world from the record's options; the choices can
be forced with its keywords (the tests use that to show the semantics
answer differently).  The constants are pairwise distinct (unique names, as
in a logic program); rules quantify over all individuals, which for these
universal theories entails the same ground facts as quantifying over the
named constants only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from assay.kernel.entail import Check, Formalisation, Option

from .common import Cursor, Malformed, Token, symbol

__all__ = ["ANSWERS", "SECTIONS", "Program", "formalise", "option_labels", "parse", "statement_polarity"]

SECTIONS: Final = ("Predicates:", "Facts:", "Rules:", "Query:")
ANSWERS: Final = ("True", "False", "Unknown")
SORT: Final = "s_individual"

_TOKEN: Final = re.compile(r"""
    (?P<ws>\s+)
  | (?P<var>\$[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>>>>|&&|\(|\)|,|!|~|¬)
""", re.VERBOSE)
_VARIABLE_X: Final = "$x"
_RULE: Final = ">>>"
_OPTION: Final = re.compile(r"\s*([A-Za-z])\s*\)\s*(\S.*?)\s*$")
_NOT: Final = re.compile(r"\bnot\b|n't\b", re.IGNORECASE)
_WORDS: Final = {"true": "True", "false": "False", "unknown": "Unknown", "uncertain": "Unknown"}


@dataclass(frozen=True)
class Atom:
    """``predicate(args..., polarity)``: ``args`` are constants, or variables written with their ``$``."""

    predicate: str
    args: tuple[str, ...]
    polarity: bool
    line: int
    column: int

    def show(self) -> str:
        return f"{self.predicate}({', '.join([*self.args, str(self.polarity)])})"


@dataclass(frozen=True)
class Rule:
    body: tuple[Atom, ...]
    head: tuple[Atom, ...]


@dataclass
class Program:
    """A parsed program: declared arities, facts, rules, the query, and the negation signs read as polarities."""

    arities: dict[str, int] = field(default_factory=dict)
    # Predicates declared without the truth-value argument (``Eats($x, $y)``): their atoms may omit it.
    plain: set[str] = field(default_factory=set)
    facts: list[Atom] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    query: Atom | None = None
    changes: list[str] = field(default_factory=list)


def formalise(program: str, record: Mapping[str, Any], *, closed_world: bool | None = None,
              separate_polarities: bool = True, match_statement: bool = True) -> Formalisation:
    """The formalisation of one ProntoQA / ProofWriter program; options labelled by the record's letters.

    ``closed_world`` defaults to "the record has no Unknown option";
    ``separate_polarities=False`` reads ``P(a, False)`` as the classical
    negation of ``P(a, True)``; ``match_statement`` repairs a query whose
    polarity contradicts the question's statement (see the module docstring).
    Raises :class:`Malformed` with the line and column in ``program``.
    """
    labels = option_labels(record)
    if closed_world is None:
        closed_world = "Unknown" not in labels.values()
    if closed_world and "Unknown" in labels.values():
        raise Malformed("a closed-world reading has no Unknown answer, but the record offers one")
    parsed = parse(program)
    if parsed.query is None:
        raise Malformed("the Query: section holds no query")
    target = parsed.query
    if len(target.args) > 1:
        # Logic-LM's query pattern reads the first argument and then everything up to ')' as the truth
        # value, so its executor never answers such a query from the facts: reading the atom is a repair.
        parsed.changes.append(
            f"line {target.line}: the query {target.show()} is about a relation; Logic-LM's executor reads only "
            f"its first argument (and answers {'False' if closed_world else 'Unknown'} whatever the facts), "
            "here it is read as the atom it spells")
    if match_statement:
        target = _match_statement(parsed.query, record, parsed.changes)
    enc = _Encoder(separate_polarities)
    premises = [enc.atom(a) for a in parsed.facts]
    names = [f"line {a.line} (fact {a.show()})" for a in parsed.facts]
    premises += [enc.rule(r) for r in parsed.rules]
    names += [f"line {r.body[0].line} (rule {' && '.join(a.show() for a in r.body)} >>> "
              f"{' && '.join(a.show() for a in r.head)})" for r in parsed.rules]
    query, opposite = enc.atom(target), enc.atom(_flip(target))
    distinct = enc.distinct()
    premises += distinct
    names += ["unique names: two constants are two individuals"] * len(distinct)
    separate = enc.disjoint() if separate_polarities else []
    premises += separate
    names += ["no individual has a predicate both True and False"] * len(separate)
    checks = _checks(query, opposite, closed_world, separate_polarities)
    # The open world's Unknown and the closed world's False hold because something is not derived.
    absence = "False" if closed_world else "Unknown"
    options = tuple(Option(letter, checks[answer], open_question=answer == absence)
                    for letter, answer in labels.items())
    return Formalisation(enc.declarations(), tuple(premises), options, changes=tuple(parsed.changes),
                         premise_names=tuple(names),
                         source=str(record.get("id", "")))


def statement_polarity(record: Mapping[str, Any]) -> tuple[str, bool] | None:
    """The question's statement (the text after its last ``?``) and whether it is positive; None if unclear."""
    question = str(record.get("question", ""))
    if "?" not in question:
        return None
    statement = question.rsplit("?", 1)[1].strip()
    if not statement:
        return None
    negations = len(_NOT.findall(statement))
    if negations > 1:
        return None
    return statement, negations == 0


def _match_statement(query: Atom, record: Mapping[str, Any], changes: list[str]) -> Atom:
    found = statement_polarity(record)
    if found is None or found[1] == query.polarity:
        return query
    flipped = _flip(query)
    changes.append(f"line {query.line}: the query {query.show()} says the opposite of the question's statement "
                   f"{found[0]!r}: read as {flipped.show()}")
    return flipped


def option_labels(record: Mapping[str, Any]) -> dict[str, str]:
    """Each option letter of the record and the answer it stands for (True / False / Unknown)."""
    options = record.get("options")
    if not isinstance(options, list) or not options:
        raise Malformed("the record has no list of options")
    out: dict[str, str] = {}
    for text in options:
        m = _OPTION.match(str(text))
        word = _WORDS.get(m.group(2).rstrip(".").lower()) if m else None
        if m is None or word is None:
            raise Malformed(f"the record's option {text!r} is not a letter, ')' and True, False or Unknown")
        if word in out.values():
            raise Malformed(f"the record offers {word} twice")
        out[m.group(1).upper()] = word
    if not {"True", "False"} <= set(out.values()):
        raise Malformed("the record's options do not include both True and False")
    return out


def parse(program: str) -> Program:
    """The program's facts, rules and query; :class:`Malformed` at the first thing outside the format.

    Facts and rules are taken from their sections as Logic-LM's executor
    takes them (see :func:`_statement_sections`): what it leaves out is left
    out here too, each such line named in ``changes``.
    """
    out = Program()
    facts_from, rules_too = _statement_sections(program)
    current: str | None = None
    for number, raw in enumerate(program.splitlines(), start=1):
        code = raw.split(":::", 1)[0].rstrip()
        if code.strip() in SECTIONS:
            current = code.strip()
            continue
        if current == facts_from and _VARIABLE_X in code and (rules_too or _RULE not in code):
            # The executor's create_fact_file writes a fact only when it has no "$x": such a line never reaches
            # Pyke.  A fact has no other reading (a fact with a variable is not in the format); a rule has one.
            if _RULE in code:
                raise Malformed(f"the rule {code.strip()!r} stands in the Facts: section while Rules: holds rules "
                                "too: Logic-LM's executor then reads every line of Facts: as a fact and leaves this "
                                f"one out (it has {_VARIABLE_X}), where the notation makes it a rule; two readings, "
                                "so it is refused (move it to Rules:)", line=number,
                                column=len(code) - len(code.lstrip()) + 1)
            out.changes.append(f"line {number}: the fact {code.strip()!r} is left out, as Logic-LM's executor "
                               f"leaves out every fact with {_VARIABLE_X} in it")
            continue
        if current == "Query:" and out.query is not None and re.match(r"\s*Answer\s*:", code):
            # The model's own guess after its query: not part of the program, and never read as an answer.
            out.changes.append(f"line {number}: the model's 'Answer:' after the query and all that follows "
                               "are left out")
            break
        if not code.strip():
            continue
        if current is None:
            raise Malformed(f"text before the first section header ({', '.join(SECTIONS)})", line=number,
                            column=len(code) - len(code.lstrip()) + 1)
        p = _Parser(code, number, out)
        if current == "Predicates:":
            p.declaration()
        elif current == "Query:":
            if out.query is not None:
                raise Malformed("a second query: the Query: section holds one statement", line=number,
                                column=p.peek().column)
            out.query = p.query()
        else:
            p.statement()
    return out


def _statement_sections(program: str) -> tuple[str | None, bool]:
    """Which section Logic-LM's executor writes its facts from, and whether it writes that section's rules too.

    The executor (``Pyke_Program`` in Logic-LM's ``pyke_solver.py``) takes
    facts from ``Facts:`` and rules from ``Rules:`` when both sections hold
    something; every line of ``Facts:`` is then a fact for it, rules
    included, and a line with ``$x`` is left out.  When one of the two is
    empty or missing it takes every statement from ``Facts:`` (or, without
    that header, from ``Rules:``) and sorts them by ``>>>``: only the facts
    are then filtered.  A ``Facts:`` section that is there but empty while
    ``Rules:`` holds statements makes it read none of them: refused here, as
    the program's statements would then mean nothing to it.
    """
    code: dict[str, bool] = {}
    current: str | None = None
    for raw in program.splitlines():
        text = raw.split(":::", 1)[0].strip()
        if text in SECTIONS:
            current = text
            code.setdefault(current, False)
        elif text and current is not None and not re.match(r"Answer\s*:", text):
            code[current] = True
    if code.get("Facts:") and code.get("Rules:"):
        return "Facts:", True
    if "Facts:" in code:
        if not code["Facts:"] and code.get("Rules:"):
            raise Malformed("the Facts: section is empty while Rules: holds statements: Logic-LM's executor then "
                            "takes its statements from the empty Facts: section and reads none of them")
        return "Facts:", False
    return "Rules:", False


# ---- parsing ----------------------------------------------------------------------------------------------

class _Parser(Cursor):
    """One line's tokens (kinds var, name, op, end), parsed into the program (arities checked as atoms are read)."""

    def __init__(self, code: str, line: int, program: Program) -> None:
        super().__init__(list(_tokens(code, line)))
        self.program = program

    def expect(self, kind: str, text: str | None, what: str) -> Token:
        tok = self.peek()
        if tok.kind != kind or (text is not None and tok.text != text):
            found = "the end of the line" if tok.kind == "end" else repr(tok.text)
            raise Malformed(f"expected {what}, found {found}", line=tok.line, column=tok.column)
        return self.advance()

    def declaration(self) -> None:
        """``Name($x, ..., bool)``; or ``Name($x, ...)``, a predicate whose atoms leave their truth value out."""
        name = self.expect("name", None, "a predicate name")
        self.expect("op", "(", "'('")
        arity = 0
        plain = False
        while self.peek().kind == "var":
            self.advance()
            arity += 1
            if self.peek().text == ")":
                plain = True
                break
            self.expect("op", ",", "',' and then more arguments or bool")
        if not plain:
            self.expect("name", "bool", "bool (the declaration's last argument)")
        self.expect("op", ")", "')'")
        self.expect("end", None, "the end of the line")
        self._arity(name, arity)
        if plain:
            self.program.plain.add(name.text)
            self.program.changes.append(f"line {name.line}: {name.text} is declared without a truth value: an atom "
                                        f"{name.text}(...) that leaves it out says it holds (True)")

    def query(self) -> Atom:
        atom = self.atom()
        if any(a.startswith("$") for a in atom.args):
            raise Malformed(f"the query {atom.show()} has a variable: it must be about named individuals",
                            line=atom.line, column=atom.column)
        self.expect("end", None, "the end of the query (one atom)")
        return atom

    def statement(self) -> None:
        """A fact (a conjunction of ground atoms) or a rule ``body >>> head``."""
        body = self.conjunction()
        if self.peek().text != ">>>":
            self.expect("end", None, "'&&', '>>>' or the end of the line")
            for atom in body:
                if any(a.startswith("$") for a in atom.args):
                    raise Malformed(f"the fact {atom.show()} has a variable: a statement about every individual "
                                    "is a rule (body >>> head); Logic-LM's executor leaves out only the facts of "
                                    "its Facts: section with $x, and Pyke reads no variable in a fact",
                                    line=atom.line, column=atom.column)
            self.program.facts.extend(body)
            return
        self.advance()
        head = self.conjunction()
        self.expect("end", None, "'&&' or the end of the line")
        bound = {a for atom in body for a in atom.args if a.startswith("$")}
        for atom in head:
            free = [a for a in atom.args if a.startswith("$") and a not in bound]
            if free:
                raise Malformed(f"the rule's conclusion {atom.show()} has {free[0]}, which its premises do not "
                                "bind: Pyke cannot assert a fact with an unbound variable (Logic-LM's executor "
                                "fails on it)", line=atom.line, column=atom.column)
        self.program.rules.append(Rule(tuple(body), tuple(head)))

    def conjunction(self) -> list[Atom]:
        atoms = [self.atom()]
        while self.peek().text == "&&":
            self.advance()
            atoms.append(self.atom())
        return atoms

    def atom(self) -> Atom:
        """``[!] Name(arg, ..., True|False)``; also ``not Name(...)`` and ``Not(Name(...))``."""
        start = self.peek()
        negated = start.kind == "op" and start.text in ("!", "~", "¬")
        wrapped = False
        if not negated and start.kind == "name" and start.text in ("not", "Not") and \
                start.text not in self.program.arities:
            after = self.peek(1)
            negated = after.kind == "name" or after.text == "("
            wrapped = after.text == "("
        if negated:
            self.advance()
        if wrapped:
            self.advance()
        name = self.expect("name", None, "a predicate name")
        self.expect("op", "(", f"'(' after {name.text}")
        args: list[Token] = [self._arg()]
        while self.peek().text == ",":
            self.advance()
            args.append(self._arg())
        self.expect("op", ")", "')' closing the atom")
        if wrapped:
            self.expect("op", ")", f"')' closing {start.text}(...)")
        if name.text in self.program.plain and args[-1].text not in ("True", "False"):
            args.append(Token("name", "True", name.line, name.column))  # declared so: the atom says it holds
        last = args[-1]
        if last.text not in ("True", "False"):
            raise Malformed(f"the last argument of {name.text}(...) must be True or False, found {last.text!r}",
                            line=last.line, column=last.column)
        for tok in args[:-1]:
            if tok.text in ("True", "False", "bool"):
                raise Malformed(f"{tok.text} can only be the last argument of {name.text}(...)", line=tok.line,
                                column=tok.column)
        self._arity(name, len(args) - 1)
        atom = Atom(name.text, tuple(t.text for t in args[:-1]), last.text == "True", name.line, name.column)
        if negated:
            flipped = _flip(atom)
            self.program.changes.append(f"line {start.line}: read {start.text}{atom.show()} as {flipped.show()}")
            return flipped
        return atom

    def _arg(self) -> Token:
        tok = self.peek()
        if tok.kind not in ("name", "var"):
            found = "the end of the line" if tok.kind == "end" else repr(tok.text)
            raise Malformed(f"expected a constant, a $variable, True or False, found {found}", line=tok.line,
                            column=tok.column)
        self.advance()
        words = [tok]
        while tok.kind == "name" and self.peek().kind == "name":  # "bald eagle": one constant in two words
            words.append(self.advance())
        if len(words) == 1:
            return tok
        joined = "_".join(w.text for w in words)
        for w in words[1:]:
            if w.text in ("True", "False", "bool"):
                raise Malformed(f"expected ',' before {w.text}", line=w.line, column=w.column)
        change = f"line {tok.line}: the words {' '.join(w.text for w in words)!r} read as one constant {joined}"
        if change not in self.program.changes:
            self.program.changes.append(change)
        return Token("name", joined, tok.line, tok.column)

    def _arity(self, name: Token, arity: int) -> None:
        known = self.program.arities.setdefault(name.text, arity)
        if known != arity:
            raise Malformed(f"{name.text} takes {known} argument(s) before its truth value elsewhere, {arity} here",
                            line=name.line, column=name.column)


def _tokens(code: str, line: int) -> Iterator[Token]:
    pos = 0
    while pos < len(code):
        m = _TOKEN.match(code, pos)
        if m is None:
            raise Malformed(f"unexpected character {code[pos]!r}", line=line, column=pos + 1)
        kind = m.lastgroup or ""
        if kind != "ws":
            yield Token(kind, m.group(), line, pos + 1)
        pos = m.end()
    yield Token("end", "", line, len(code) + 1)


def _flip(atom: Atom) -> Atom:
    return Atom(atom.predicate, atom.args, not atom.polarity, atom.line, atom.column)


# ---- SMT-LIB ----------------------------------------------------------------------------------------------

class _Encoder:
    """SMT-LIB terms for atoms and rules, collecting the symbols they use."""

    def __init__(self, separate: bool) -> None:
        self.separate = separate
        self.constants: dict[str, str] = {}
        self.predicates: dict[str, tuple[int, tuple[str, ...]]] = {}  # name -> (arity, its SMT-LIB symbols)

    def atom(self, atom: Atom, bound: Mapping[str, str] | None = None) -> str:
        args = [self._arg(a, bound or {}) for a in atom.args]
        positive, negative = self._symbols(atom.predicate, len(args))
        if self.separate:
            head = positive if atom.polarity else negative
            return f"({head} {' '.join(args)})" if args else head
        term = f"({positive} {' '.join(args)})" if args else positive
        return term if atom.polarity else f"(not {term})"

    def rule(self, rule: Rule) -> str:
        names = dict.fromkeys(a for atom in (*rule.body, *rule.head) for a in atom.args if a.startswith("$"))
        bound = {v: symbol(v[1:], "x") for v in names}
        body = _and([self.atom(a, bound) for a in rule.body])
        head = _and([self.atom(a, bound) for a in rule.head])
        implication = f"(=> {body} {head})"
        if not bound:
            return implication
        return f"(forall ({' '.join(f'({s} {SORT})' for s in bound.values())}) {implication})"

    def disjoint(self) -> list[str]:
        """Separate polarities: no individual has a predicate both True and False."""
        out = []
        for arity, (positive, negative) in self.predicates.values():
            xs = [f"x_{i}" for i in range(arity)]
            if not xs:
                out.append(f"(not (and {positive} {negative}))")
                continue
            args = " ".join(xs)
            bind = " ".join(f"({x} {SORT})" for x in xs)
            out.append(f"(forall ({bind}) (not (and ({positive} {args}) ({negative} {args}))))")
        return out

    def distinct(self) -> list[str]:
        """Unique names: two constants are two individuals."""
        if len(self.constants) < 2:
            return []
        return [f"(distinct {' '.join(self.constants.values())})"]

    def declarations(self) -> str:
        lines = [f"(declare-sort {SORT} 0)"]
        lines += [f"(declare-const {c} {SORT})" for c in self.constants.values()]
        for arity, symbols in self.predicates.values():
            for s in symbols:
                lines.append(f"(declare-fun {s} ({' '.join([SORT] * arity)}) Bool)")
        return "\n".join(lines)

    def _arg(self, arg: str, bound: Mapping[str, str]) -> str:
        if arg.startswith("$"):
            return bound[arg]
        return self.constants.setdefault(arg, symbol(arg, "c"))

    def _symbols(self, predicate: str, arity: int) -> tuple[str, str]:
        """The symbols of the True and the False atoms (one and the same when the polarities are linked)."""
        if predicate not in self.predicates:
            symbols: tuple[str, ...] = (symbol(predicate, "p"),)
            if self.separate:
                symbols = (symbol(predicate, "pt"), symbol(predicate, "pf"))
            self.predicates[predicate] = (arity, symbols)
        known = self.predicates[predicate][1]
        return (known[0], known[-1])


def _checks(query: str, opposite: str, closed_world: bool, separate: bool) -> dict[str, tuple[Check, ...]]:
    """The checks that make each answer the answer."""
    if closed_world:
        return {"True": (Check("entailed", query),), "False": (Check("consistent", f"(not {query})"),)}
    if separate:
        unknown = (Check("consistent", f"(not {query})"), Check("consistent", f"(not {opposite})"))
    else:
        unknown = (Check("consistent", query), Check("consistent", opposite))
    return {"True": (Check("entailed", query),), "False": (Check("entailed", opposite),), "Unknown": unknown}


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"(and {' '.join(parts)})"
