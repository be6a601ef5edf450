"""The AR-LSAT bridge: Logic-LM's z3-like DSL programs to a kernel :class:`Formalisation`, never run.

Dataset: Logic-LM's ``AR-LSAT_dev_{model}.json`` records (``{id, context,
question, options, answer, raw_logic_programs}``); the program is
``raw_logic_programs[0]``, the gold is ``answer`` (an option letter), the
labels are the letters that open each entry of ``options`` (``"A) ..."``).

How the DSL maps to SMT-LIB (everything is finite but ``int``):

* ``EnumSort([a, b, c])`` is a finite sort, encoded as the integers 0..n-1 in
  declaration order; ``EnumSort([1, 2, 3])`` is the set of those integers (the
  published pipeline made it ``IntSort``, so arithmetic like ``l + 1`` works).
* ``Function([s, t] -> [r])`` is an uninterpreted function over Int/Bool;
  when ``r`` is finite an axiom keeps every value it can take inside ``r``.
* ``ForAll`` / ``Exists`` / ``Count`` / ``Distinct`` over finite sorts are
  expanded over the members (ground, quantifier-free: both solvers decide it);
  over ``int`` they stay SMT quantifiers.
* Options: ``is_valid(p)`` -> entailed, ``is_sat(p)`` -> consistent,
  ``is_unsat(p)`` -> inconsistent, ``is_exception(check)`` -> the option is
  the answer when its check fails, ``is_accurate_list([p1, ...])`` -> see
  :func:`accurate_list_checks` (its reading depends on the question's words,
  a recorded repair: Logic-LM's executor defined it otherwise);
  ``is_max(q, k)`` / ``is_min(q == k)``: q can be k and never passes it;
  ``is_equivalent(c, d)``: the premises other than the constraint c entail
  ``c == d``; ``is_determined(p)``: with p, exactly one solution (a primed
  copy of every function that differs somewhere is inconsistent).

Everything the published pipeline could not run but whose meaning is clear is
repaired by a named rule (:data:`assay.bridges.logic.arlsat_repair.RULES`)
and recorded in ``changes``; anything else is
:class:`~assay.bridges.logic.common.Malformed` with line and column.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from assay.kernel.entail import Check, Formalisation, Option

from . import arlsat_repair as repair
from .arlsat_parse import (
    Binder,
    BinOp,
    BoolOp,
    Call,
    Compare,
    Expr,
    InList,
    ListLit,
    Name,
    Num,
    Statement,
    Unary,
    parse_program,
)
from .common import Malformed, symbol

__all__ = ["accurate_list_checks", "formalise", "labels_of", "question_intent", "rule_of"]

# A formalisation over this many characters of SMT-LIB is refused (quantifier expansion is a product).
MAX_SMT_CHARS: Final = 4_000_000


@dataclass(frozen=True)
class Sort:
    """A DSL sort: ``bool``, ``int``, or a finite enumeration (named members, or integer values)."""

    name: str
    kind: str  # "bool" | "int" | "enum" | "place" (a named enumeration's place plus or minus a number)
    members: tuple[str, ...] = ()  # a named enumeration's members, in declaration order
    values: tuple[int, ...] = ()  # a numeric enumeration's values
    base: str = ""  # a sub-list's parent sort name ("" for a sort of its own)

    @property
    def numeric(self) -> bool:
        return self.kind == "int" or (self.kind == "enum" and not self.members)

    @property
    def family(self) -> str:
        """Which values this sort's terms are comparable with: "bool", "int", or the root enumeration's name."""
        if self.kind == "bool":
            return "bool"
        if self.numeric:
            return "int"
        return self.base or self.name


BOOL: Final = Sort("bool", "bool")
INT: Final = Sort("int", "int")


@dataclass(frozen=True)
class Term:
    smt: str
    sort: Sort


@dataclass(frozen=True)
class _Function:
    name: str
    args: tuple[Sort, ...]
    result: Sort
    smt: str


def formalise(program: str, record: Mapping[str, Any]) -> Formalisation:
    """Parse and type-check ``program`` (a Logic-LM AR-LSAT DSL program) into a Formalisation; Malformed otherwise.

    ``record`` supplies the option letters (``record["options"]``), the
    question (for ``is_accurate_list``) and the record id (for messages).
    """
    parsed = parse_program(program)
    labels = labels_of(record)
    elab = _Elaborator()
    premises: list[str] = []
    for st in (*parsed.declarations, *parsed.constraints, *parsed.options):
        if st.extra_closing:
            elab.repair("extra_closing_paren", Name(st.line, st.column), f"{st.extra_closing} unmatched ')' "
                        "dropped")
        if st.missing_closing:
            elab.repair("missing_closing_paren", Name(st.line, st.column), f"{st.missing_closing} missing ')' "
                        "added where the ':::' comment ends the line")
    names: list[str] = []
    for st in parsed.declarations:
        if st.target is not None:
            elab.declare(st)
        else:
            premises.append(elab.formula(st.expr))
            names.append(_statement_name(st))
    premises += [elab.formula(st.expr) for st in parsed.constraints]
    names += [_statement_name(st) for st in parsed.constraints]
    axioms = elab.range_axioms()
    premises = [smt for smt, _ in axioms] + premises
    names = [name for _, name in axioms] + names
    question = str(record.get("question") or parsed.question)
    options = _options(elab, parsed.options, labels, question, premises, names)
    declarations = elab.declarations()
    size = len(declarations) + sum(map(len, premises)) + sum(len(c.formula) for o in options for c in o.checks)
    if size > MAX_SMT_CHARS:
        raise Malformed(f"the program expands to {size} characters of SMT-LIB (the limit is {MAX_SMT_CHARS}): "
                        "its quantifiers range over too many members")
    return Formalisation(declarations, tuple(premises), tuple(options), tuple(elab.changes),
                         source=f"AR-LSAT record {record.get('id', '?')}", premise_names=tuple(names))


def _statement_name(st: Statement) -> str:
    """How a premise is named in evidence: its line and the model's own words for it."""
    words = " ".join(st.comment.split())
    return f"line {st.line} ({words[:80]})" if words else f"line {st.line}"


def labels_of(record: Mapping[str, Any]) -> list[str]:
    """The option letters of a record, in order: ``"A) Fred, Juan"`` -> ``"A"``."""
    out = []
    for i, text in enumerate(record.get("options") or []):
        m = re.match(r"\s*\(?([A-Za-z])\)", str(text))
        if m is None:
            raise Malformed(f"record option {i + 1} does not start with a letter and ')': {str(text)[:40]!r}")
        out.append(m.group(1).upper())
    if not out:
        raise Malformed("the record has no options")
    return out


def rule_of(change: str) -> str:
    """The rule name a ``changes`` line was recorded by (its first word)."""
    return change.split(" ", 1)[0]


# ---------------------------------------------------------------- options

_CHECKS: Final = {"is_valid": "entailed", "is_sat": "consistent", "is_unsat": "inconsistent"}


def _options(elab: _Elaborator, statements: Sequence[Statement], labels: list[str], question: str,  # noqa: PLR0917
             premises: list[str], names: list[str]) -> list[Option]:
    """Each option line's checks; ``premises`` (all of them, SMT-LIB; ``names`` beside) may gain the question's
    condition."""
    if len(statements) != len(labels):
        where = statements[len(labels)] if len(statements) > len(labels) else statements[-1]
        raise Malformed(f"the program has {len(statements)} option line(s) but the record has {len(labels)} "
                        "option(s)", line=where.line, column=where.column)
    exprs = _question_condition(elab, [st.expr for st in statements], question, premises, names)
    candidates = _list_candidates(elab, exprs)
    out = []
    for st, written, label in zip(statements, exprs, labels, strict=True):
        m = re.fullmatch(r"\(?([A-Za-z])\)?", st.comment.strip())
        if m and m.group(1).upper() != label:
            raise Malformed(f"option line {label} is marked ({m.group(1)}): which option it stands for is "
                            "ambiguous", line=st.line, column=st.column)
        e = _question_check(elab, _check_synonym(elab, written, question), question)
        exception, checks = _option_checks(elab, e, question, candidates, premises)
        out.append(Option(label, checks, exception=exception))
    return out


def _unwrap(e: Expr) -> tuple[Call | None, Call | None]:
    """``(is_exception call or None, check call)`` of an option ``[is_exception(]check(...)[)]``."""
    outer = None
    if isinstance(e, Call) and e.func == "is_exception" and len(e.args) == 1:
        outer, e = e, e.args[0]
    return outer, e if isinstance(e, Call) else None


def _question_condition(elab: _Elaborator, exprs: list[Expr], question: str, premises: list[str],
                        names: list[str]) -> list[Expr]:
    """Rule ``question_condition``: the conjuncts every option's formula starts with, in a question that opens with
    "If ...", are the question's condition: they join the premises and leave the options.

    ``is_valid(And(c, p))`` asks for c itself to follow, which a condition the question only supposes never
    does; the question asks whether p follows once c is supposed.  For ``is_sat`` and ``is_unsat`` moving c
    changes nothing (c and p are asserted together either way).
    """
    if not re.match(r"\s*if\b", question, re.IGNORECASE) or len(exprs) < 2:
        return exprs
    parts: list[tuple[Call | None, Call, tuple[Expr, ...]]] = []  # (is_exception, check, conjuncts) per option
    for e in exprs:
        outer, check = _unwrap(e)
        if check is None or check.func not in _CHECKS or len(check.args) != 1:
            return exprs
        body = check.args[0]
        if not (isinstance(body, Call) and body.func == "And" and len(body.args) >= 2):
            return exprs
        parts.append((outer, check, body.args))
    probe = _Elaborator.fork(elab)
    texts = [[probe.formula(c) for c in conjuncts] for _, _, conjuncts in parts]
    shared = 0
    while all(shared < len(t) - 1 and t[shared] == texts[0][shared] for t in texts):
        shared += 1
    asks_valid = question_intent(question) in ("must", "must-EXCEPT") or \
        any(check.func == "is_valid" for _, check, _ in parts)
    if shared == 0 or not asks_valid:  # for is_sat / is_unsat alone the move would change nothing
        return exprs
    first = parts[0][2]
    elab.repair("question_condition", first[0], f"{shared} conjunct(s) shared by every option are the question's "
                "condition: they join the premises")
    for c in first[:shared]:
        premises.append(elab.formula(c))
        names.append(f"the question's condition (line {c.line}, in every option)")
    out: list[Expr] = []
    for outer, check, conjuncts in parts:
        rest = conjuncts[shared:]
        inner: Expr = rest[0] if len(rest) == 1 else Call(rest[0].line, rest[0].column, func="And", args=rest)
        new: Expr = Call(check.line, check.column, func=check.func, args=(inner,))
        if outer is not None:
            new = Call(outer.line, outer.column, func="is_exception", args=(new,))
        out.append(new)
    return out


# Option checks the DSL lacks whose name says which check they mean.
_SYNONYMS: Final = {"is_must": "is_valid", "is_required": "is_valid", "is_necessary": "is_valid",
                    "is_possible": "is_sat", "is_valid_schedule": "is_sat", "is_acceptable": "is_sat"}


def _check_synonym(elab: _Elaborator, e: Expr, question: str) -> Expr:
    """Rules ``check_synonym`` and ``bare_option``: a check spelt by its meaning, or a bare formula in a question
    with a single modal, is the DSL's check; a list given to one of the spelt checks is the And of its items."""
    outer, check = _unwrap(e)
    if check is not None and check.func in _SYNONYMS and len(check.args) == 1:
        arg = check.args[0]
        if isinstance(arg, ListLit) and arg.items:
            arg = Call(arg.line, arg.column, func="And", args=arg.items)
        elab.repair("check_synonym", check, f"{check.func}(...) -> {_SYNONYMS[check.func]}(...)")
        new: Expr = Call(check.line, check.column, func=_SYNONYMS[check.func], args=(arg,))
        return Call(outer.line, outer.column, func="is_exception", args=(new,)) if outer is not None else new
    intent = question_intent(question)
    if outer is None and intent is not None and not intent.endswith("EXCEPT") and _is_formula_call(e):
        want = _INTENTS[intent][1]
        elab.repair("bare_option", e, f"a formula with no check, in a '{intent}' question -> {want}(...)")
        return Call(e.line, e.column, func=want, args=(e,))
    return e


def _is_formula_call(e: Expr) -> bool:
    """A bare formula where an option check belongs (``Or(...)``, ``a == b``), not a misspelt check."""
    if isinstance(e, Call):
        return e.func in ("And", "Or", "Not", "Implies", "Exists", "ForAll")
    return isinstance(e, Compare)


# What makes an option the answer, as (negated, check): is_valid -> (False, "entailed"), is_exception(is_sat) ->
# (True, "consistent"); "not consistent" is "inconsistent" and the other way round, so those normalise.
_INTENTS: Final = {
    "must": (False, "is_valid"), "could": (False, "is_sat"), "cannot": (False, "is_unsat"),
    "must-EXCEPT": (True, "is_valid"), "could-EXCEPT": (False, "is_unsat"), "cannot-EXCEPT": (False, "is_sat"),
}


def question_intent(question: str) -> str | None:
    """The check the question's words ask of each option: ``must``, ``could``, ``cannot`` (``-EXCEPT``), or None.

    None when the question names no modal, or more than one ("If X must ..., which could ..."): then the
    model's own checks stand.
    """
    q = " ".join(question.lower().split())
    found = set()
    rest = q
    if re.search(r"\b(cannot|can't|could not|couldn't|must be false|must not|is not allowed|not be true)\b", q):
        found.add("cannot")
        rest = re.sub(r"\b(cannot|can't|could not|couldn't|must be false|must not|is not allowed|not be true)\b",
                      " ", q)
    if re.search(r"\bmust\b", rest):
        found.add("must")
    if re.search(r"\b(could|can|may|might|acceptable|allowable|permissible|possible)\b", rest):
        found.add("could")
    if len(found) != 1:
        return None
    return found.pop() + ("-EXCEPT" if re.search(r"\bexcept\b", q) else "")


def _normal(negated: bool, check: str) -> tuple[bool, str]:
    if check == "is_sat" and negated:
        return False, "is_unsat"
    if check == "is_unsat" and negated:
        return False, "is_sat"
    return negated, check


def _question_check(elab: _Elaborator, e: Expr, question: str) -> Expr:
    """Rule ``question_check``: an option whose check contradicts the question's words is read as the question asks.

    "Which one could be true?" written ``is_valid(p)`` asks whether p is true in every situation, which no
    option of a "could" question is meant to be; the question's reading is ``is_sat(p)``.  Only a check of one
    formula p that is not itself a ``Not`` or an ``Implies`` is re-read (those may carry the question's
    negation or its condition inside p, where the words and the check no longer line up one to one); lists
    and questions without a single modal keep the model's checks.
    """
    intent = question_intent(question)
    if intent is None:
        return e
    outer, inner = _unwrap(e)
    negated = outer is not None
    if not (inner is not None and inner.func in _CHECKS and len(inner.args) == 1):
        return e
    body = inner.args[0]
    if (isinstance(body, Call) and body.func in ("Not", "Implies")) or \
            (isinstance(body, Unary) and body.op == "not") or (isinstance(body, BoolOp) and body.op == "implies"):
        return e
    want = _normal(*_INTENTS[intent])
    if _normal(negated, inner.func) == want:
        return e
    check = Call(inner.line, inner.column, func=want[1], args=inner.args)
    wrote = f"is_exception({inner.func}(...))" if negated else f"{inner.func}(...)"
    meant = f"is_exception({want[1]}(...))" if want[0] else f"{want[1]}(...)"
    elab.repair("question_check", e, f"a '{intent}' question: {wrote} -> {meant}")
    return Call(e.line, e.column, func="is_exception", args=(check,)) if want[0] else check


def _option_checks(elab: _Elaborator, e: Expr, question: str, candidates: list[str],
                   premises: list[str]) -> tuple[bool, tuple[Check, ...]]:
    if not isinstance(e, Call):
        raise Malformed("an option must be is_valid(...), is_sat(...), is_unsat(...), is_accurate_list([...]) or "
                        "is_exception(...)", line=e.line, column=e.column)
    if e.func == "is_exception":
        inner = _only_argument(e)
        if isinstance(inner, Call) and inner.func == "is_exception":
            raise Malformed("is_exception inside is_exception", line=inner.line, column=inner.column)
        _, checks = _option_checks(elab, inner, question, candidates, premises)
        return True, checks
    if e.func in ("is_max", "is_min"):
        return False, _extreme_checks(elab, e)
    if e.func == "is_equivalent":
        return False, _equivalent_checks(elab, e, premises)
    if e.func == "is_determined":
        return False, _determined_checks(elab, e, premises)
    if e.func in _CHECKS:
        return False, (Check(_CHECKS[e.func], elab.formula(_only_argument(e))),)
    if e.func == "is_accurate_list":
        arg = _only_argument(e)
        if not isinstance(arg, ListLit) or not arg.items:
            raise Malformed("is_accurate_list takes one non-empty list of formulas", line=e.line, column=e.column)
        items = [elab.formula(x) for x in arg.items]
        checks = accurate_list_checks(items, candidates, question, e)
        elab.repair("accurate_list_reading", e, f"is_accurate_list read as {_list_reading(question)}")
        return False, checks
    raise Malformed(f"unknown option check {e.func!r} (expected is_valid, is_sat, is_unsat, is_accurate_list, "
                    "is_exception, is_max, is_min, is_equivalent or is_determined)", line=e.line, column=e.column)


def _extreme_checks(elab: _Elaborator, e: Call) -> tuple[Check, ...]:
    """``is_max(q, k)`` / ``is_max(q == k)``: q can be k, and is never more (``is_min``: never less)."""
    if len(e.args) == 2:
        quantity, value = e.args
    elif len(e.args) == 1 and isinstance(e.args[0], Compare) and e.args[0].ops == ("==",):
        quantity, value = e.args[0].operands
    else:
        raise Malformed(f"{e.func} takes a quantity and its value: {e.func}(q, k) or {e.func}(q == k)",
                        line=e.line, column=e.column)
    q, k = elab.number(quantity), elab.number(value)
    bound = "<=" if e.func == "is_max" else ">="
    return Check("consistent", f"(= {q.smt} {k.smt})"), Check("entailed", f"({bound} {q.smt} {k.smt})")


def _equivalent_checks(elab: _Elaborator, e: Call, premises: list[str]) -> tuple[Check, ...]:
    """``is_equivalent(c, d)``: d put in place of the program's constraint c has the same effect.

    That is: the other premises entail ``c == d``; c itself is left out of them (kept in, every consequence
    of c would be "equivalent").  c must be one of the program's constraints, written the same way.
    """
    if len(e.args) != 2:
        raise Malformed("is_equivalent takes the constraint replaced and its replacement (2 arguments, "
                        f"{len(e.args)} given)", line=e.line, column=e.column)
    old, new = (elab.formula(a) for a in e.args)
    if old not in premises:
        raise Malformed("is_equivalent: its first argument, the constraint replaced, is not one of the program's "
                        "constraints", line=e.args[0].line, column=e.args[0].column)
    without = tuple(i for i, p in enumerate(premises) if p == old)
    return (Check("entailed", f"(= {old} {new})", without=without),)


def _determined_checks(elab: _Elaborator, e: Call, premises: list[str]) -> tuple[Check, ...]:
    """``is_determined(p)``: with p, the premises have exactly one solution (every function's every value).

    Two copies of the problem, the second over primed functions, both with p, that differ somewhere: none
    exist (and p is consistent with the premises).
    """
    p = elab.formula(_only_argument(e))
    differ = []
    for f in elab.functions.values():
        calls = elab.applications(f)
        if calls is None:
            raise Malformed(f"is_determined: function {f.name} takes an int, so its values cannot all be "
                            "compared", line=e.line, column=e.column)
        differ += [f"(not (= {call} {_primed(call)}))" for call in calls]
    elab.primed = True
    twin = _and([_primed(x) for x in (*premises, p)] + [_or(differ)])
    return Check("consistent", p), Check("inconsistent", _and([p, twin]))


def _primed(smt: str) -> str:
    """The same SMT-LIB over the primed copies of the functions (``f_x`` -> ``f2_x``)."""
    return re.sub(r"(?<![^\s(])f_", "f2_", smt)


def _only_argument(e: Call) -> Expr:
    if len(e.args) != 1:
        raise Malformed(f"{e.func} takes exactly 1 argument ({len(e.args)} given)", line=e.line, column=e.column)
    return e.args[0]


def _list_candidates(elab: _Elaborator, exprs: Sequence[Expr]) -> list[str]:
    """Every item of every is_accurate_list option (as SMT-LIB, first-seen order): the universe a list ranges over."""
    seen: dict[str, None] = {}
    for option in exprs:
        e = option
        while isinstance(e, Call) and e.func == "is_exception" and len(e.args) == 1:
            e = e.args[0]
        if isinstance(e, Call) and e.func == "is_accurate_list" and len(e.args) == 1 and \
                isinstance(e.args[0], ListLit):
            probe = _Elaborator.fork(elab)
            for item in e.args[0].items:
                seen.setdefault(probe.formula(item), None)
    return list(seen)


def accurate_list_checks(items: Sequence[str], candidates: Sequence[str], question: str,
                         where: Expr | None = None) -> tuple[Check, ...]:
    """The checks for ``is_accurate_list(items)``, read from the question's words.

    The list's universe is every item any option lists (``candidates``):

    * "could be a complete and accurate list" (one possible situation): listed
      items together with the negations of the unlisted ones are consistent;
    * "must" / "cannot" lists (what holds in every situation): every listed item
      is entailed, and no unlisted one is (complete);
    * "could" lists (what is possible): every listed item is consistent, and no
      unlisted one is (complete).

    A question with none of these words is Malformed: the list has no single reading.  None of these is
    Logic-LM's executor's own definition (``is_valid(Or(items))`` and every item ``is_sat``), so the bridge
    records each use as the ``accurate_list_reading`` repair.
    """
    others = [c for c in candidates if c not in items]
    line, column = (where.line, where.column) if where is not None else (0, 0)
    reading = _list_reading(question)
    if reading == _ONE_SITUATION:
        return (Check("consistent", _and([*items, *[f"(not {c})" for c in others]])),)
    if reading == _MUST_LIST:
        return (*(Check("entailed", i) for i in items), *(Check("consistent", f"(not {c})") for c in others))
    if reading == _COULD_LIST:
        return (*(Check("consistent", i) for i in items), *(Check("inconsistent", c) for c in others))
    raise Malformed("is_accurate_list: the question says neither 'must' nor 'could', so the list has no single "
                    f"reading (question: {question[:80]!r})", line=line, column=column)


_ONE_SITUATION: Final = "one situation: the listed items hold together and the others do not"
_MUST_LIST: Final = "what must hold: every listed item is entailed and no other one is"
_COULD_LIST: Final = "what could hold: every listed item is possible and no other one is"


def _list_reading(question: str) -> str:
    """Which of :func:`accurate_list_checks`'s readings the question's words ask for ("" for none)."""
    q = " ".join(question.lower().split())
    if re.search(r"\bcould be (a|an|the) (complete|accurate)", q):
        return _ONE_SITUATION
    if re.search(r"\b(must|cannot|can't|could not|couldn't)\b", q):
        return _MUST_LIST
    if re.search(r"\b(could|can|may|might)\b", q):
        return _COULD_LIST
    return ""


def _and(parts: Sequence[str]) -> str:
    if not parts:
        return "true"
    return parts[0] if len(parts) == 1 else f"(and {' '.join(parts)})"


def _or(parts: Sequence[str]) -> str:
    if not parts:
        return "false"
    return parts[0] if len(parts) == 1 else f"(or {' '.join(parts)})"


def _num(v: int) -> str:
    return str(v) if v >= 0 else f"(- {-v})"


# ---------------------------------------------------------------- elaboration

_SORT_WORDS: Final = {"bool": BOOL, "int": INT}
_SORT_SPELLINGS: Final = {"Bool": BOOL, "Int": INT, "BoolSort": BOOL, "IntSort": INT, "boolean": BOOL,
                          "integer": INT}
_LOGIC: Final = frozenset({"And", "Or", "Not", "Implies", "Xor", "If", "Distinct", "Count", "ForAll", "Exists",
                           "Sum", "Abs"})


class _Elaborator:
    """Type-checks the tree and writes SMT-LIB; holds the declared sorts and functions and the repairs made."""

    def __init__(self) -> None:
        self.sorts: dict[str, Sort] = {}
        self.members: dict[str, list[tuple[Sort, int]]] = {}
        self.functions: dict[str, _Function] = {}
        self.scope: list[dict[str, Term]] = []
        self.changes: list[str] = []
        self.fresh = itertools.count()
        self.size = 0
        self.primed = False  # is_determined compares two copies: declare the primed functions too

    @staticmethod
    def fork(other: _Elaborator) -> _Elaborator:
        """A copy sharing the declarations but not the changes (for reading option lists a second time)."""
        e = _Elaborator()
        e.sorts, e.members, e.functions = other.sorts, other.members, other.functions
        return e

    def repair(self, rule: str, node: Expr, what: str) -> None:
        assert rule in repair.RULES, rule
        line = f"{rule} at line {node.line}, column {node.column}: {what}"
        # A quantifier's body is read once per member: one place in the text is one repair.
        if line not in self.changes:
            self.changes.append(line)

    # ---- declarations

    def declare(self, st: Statement) -> None:
        name, e = st.target, st.expr
        assert name is not None
        if name in self.sorts or name in self.functions or name in self.members:
            raise Malformed(f"{name!r} is declared twice", line=st.line, column=st.column)
        if isinstance(e, Call) and e.func == "EnumSort":
            self.sorts[name] = self.enum_sort(name, e, inline=False)
        elif isinstance(e, Call) and e.func == "Function":
            self.functions[name] = self.function(name, e)
        else:
            raise Malformed(f"a declaration must be EnumSort([...]) or Function([...] -> [...]); {name!r} is "
                            "assigned something else", line=e.line, column=e.column)

    def enum_sort(self, name: str, e: Call, *, inline: bool) -> Sort:
        if len(e.args) != 1 or not isinstance(e.args[0], ListLit) or not e.args[0].items:
            raise Malformed("EnumSort takes one non-empty list of members", line=e.line, column=e.column)
        items = e.args[0].items
        if all(isinstance(i, Num) or (isinstance(i, Unary) and isinstance(i.operand, Num)) for i in items):
            values = tuple(_int_value(i) for i in items)
            if len(set(values)) != len(values):
                raise Malformed("EnumSort lists a value twice", line=e.line, column=e.column)
            return Sort(name, "enum", values=values)
        names: list[str] = []
        for i in items:
            if not isinstance(i, Name):
                raise Malformed("EnumSort members must be all names or all integers", line=i.line, column=i.column)
            if i.id in names:
                raise Malformed(f"EnumSort lists {i.id!r} twice", line=i.line, column=i.column)
            if i.id in self.sorts or i.id in self.functions or i.id in _SORT_WORDS or i.id in _LOGIC:
                raise Malformed(f"member {i.id!r} is already the name of a sort or function", line=i.line,
                                column=i.column)
            names.append(i.id)
        numerals = [n for n in names if n[0].isdigit()]
        if numerals:
            self.repair("numeral_name", e, f"member(s) {', '.join(numerals)} read as names")
        known = [n for n in names if n in self.members]
        if known and len(known) == len(names):
            parents = {s.family for n in names for s, _ in self.members[n]}
            if len(parents) == 1:
                parent = self.sorts[parents.pop()]
                return Sort(name, "enum", members=tuple(names), base=parent.name)
            raise Malformed(f"EnumSort {name!r}: its members belong to several sorts ({', '.join(sorted(parents))})",
                            line=e.line, column=e.column)
        if known:
            raise Malformed(f"EnumSort {name!r}: members {', '.join(known)} already belong to another sort, the "
                            "others do not", line=e.line, column=e.column)
        sort = Sort(name, "enum", members=tuple(names))
        for k, n in enumerate(names):
            self.members[n] = [(sort, k)]
        if inline:
            self.sorts[name] = sort
        return sort

    def function(self, name: str, e: Call) -> _Function:
        args, result = self.signature(e)
        for s in (*args, result):
            if s.kind == "enum" and s.members and s.base:
                self.repair("sublist_sort", e, f"function {name} over sub-list {s.name} of {s.base}")
        return _Function(name, args, result, symbol(name, "f"))

    def signature(self, e: Call) -> tuple[tuple[Sort, ...], Sort]:
        if len(e.args) == 1 and isinstance(e.args[0], Call) and e.args[0].func == "->":
            left, right = e.args[0].args
            arg_nodes = left.items if isinstance(left, ListLit) else (left,)
            if isinstance(right, ListLit):
                if len(right.items) != 1:
                    raise Malformed("a function has exactly one result sort", line=right.line, column=right.column)
                right = right.items[0]
            return tuple(self.sort_ref(a) for a in arg_nodes), self.sort_ref(right)
        if len(e.args) >= 2 and not any(isinstance(a, Call) and a.func == "->" for a in e.args):
            # The legacy form Function(s1, ..., result), which the published pipeline also read.
            sorts = [self.sort_ref(a) for a in e.args]
            return tuple(sorts[:-1]), sorts[-1]
        raise Malformed("Function takes a signature [arg sorts] -> [result sort]", line=e.line, column=e.column)

    def sort_ref(self, e: Expr) -> Sort:
        if isinstance(e, Name):
            if e.id in _SORT_WORDS:
                return _SORT_WORDS[e.id]
            if e.id in self.sorts:
                return self.sorts[e.id]
            if e.id in _SORT_SPELLINGS:
                self.repair("sort_spelling", e, f"{e.id} -> {_SORT_SPELLINGS[e.id].name}")
                return _SORT_SPELLINGS[e.id]
            raise Malformed(f"undeclared sort {e.id!r}", line=e.line, column=e.column)
        if isinstance(e, Call) and e.func in _SORT_SPELLINGS and not e.args:
            self.repair("sort_spelling", e, f"{e.func}() -> {_SORT_SPELLINGS[e.func].name}")
            return _SORT_SPELLINGS[e.func]
        if isinstance(e, Call) and e.func == "EnumSort":
            name = f"_inline{next(self.fresh)}"
            sort = self.enum_sort(name, e, inline=True)
            self.repair("inline_enum", e, f"EnumSort written in a signature declared as sort {name}")
            return sort
        raise Malformed("expected a sort name", line=e.line, column=e.column)

    def declarations(self) -> str:
        lines = []
        for sort in self.sorts.values():
            if sort.members and not sort.base:
                lines.append(f"; {sort.name}: " + ", ".join(f"{m}={k}" for k, m in enumerate(sort.members)))
        for f in self.functions.values():
            args = " ".join("Bool" if s.kind == "bool" else "Int" for s in f.args)
            for smt in (f.smt, _primed(f.smt)) if self.primed else (f.smt,):
                lines.append(f"(declare-fun {smt} ({args}) {'Bool' if f.result.kind == 'bool' else 'Int'})")
        return "\n".join(lines)

    def range_axioms(self) -> list[tuple[str, str]]:
        """Each function with a finite result sort takes only that sort's values, at every argument it can get.

        As (SMT-LIB, name) pairs: the name says which function and sort, for evidence.
        """
        out = []
        for f in self.functions.values():
            if f.result.kind != "enum":
                continue
            name = f"the declaration of {f.name} (its values are {f.result.name})"
            calls = self.applications(f)
            if calls is None:
                variables = [(symbol(f"a{k}", "q"), s) for k, s in enumerate(f.args)]
                call = f"({f.smt} {' '.join(v for v, _ in variables)})" if variables else f.smt
                binders = " ".join(f"({v} {'Bool' if s.kind == 'bool' else 'Int'})" for v, s in variables)
                guard = _and([self.member_of(Term(v, s), s) for v, s in variables if s.kind == "enum"])
                out.append((f"(forall ({binders}) (=> {guard} {self.member_of(Term(call, INT), f.result)}))", name))
                continue
            out += [(self.member_of(Term(call, INT), f.result), name) for call in calls]
        return out

    def applications(self, f: _Function) -> list[str] | None:
        """``f`` applied at every argument it can get (SMT-LIB terms); None when an argument is an int."""
        domains = [self.domain(s) for s in f.args]
        if any(d is None for d in domains):
            return None
        return [f"({f.smt} {' '.join(t.smt for t in combo)})" if combo else f.smt
                for combo in itertools.product(*[d or [] for d in domains])]

    def member_of(self, t: Term, sort: Sort) -> str:
        """The formula "t is a value of ``sort``" (a contiguous range when it is one)."""
        values = list(sort.values) if sort.numeric else self.indices(sort)
        lo, hi = min(values), max(values)
        if sorted(values) == list(range(lo, hi + 1)):
            return f"(and (<= {_num(lo)} {t.smt}) (<= {t.smt} {_num(hi)}))"
        return _or([f"(= {t.smt} {_num(v)})" for v in values])

    def indices(self, sort: Sort) -> list[int]:
        if not sort.base:
            return list(range(len(sort.members)))
        root = self.sorts[sort.base]
        return [root.members.index(m) for m in sort.members]

    def domain(self, sort: Sort) -> list[Term] | None:
        """A finite sort's values as terms of its family (None for int)."""
        if sort.kind == "bool":
            return [Term("true", BOOL), Term("false", BOOL)]
        if sort.kind == "int":
            return None
        if sort.numeric:
            return [Term(_num(v), sort) for v in sort.values]
        root = self.sorts[sort.base] if sort.base else sort
        return [Term(str(k), root) for k in self.indices(sort)]

    # ---- expressions

    def formula(self, e: Expr) -> str:
        t = self.term(e)
        if t.sort.kind != "bool":
            raise Malformed(f"expected a formula, found a term of sort {t.sort.name}", line=e.line, column=e.column)
        return t.smt

    def bools(self, items: Sequence[Expr]) -> list[str]:
        return [self.formula(x) for x in items]

    def term(self, e: Expr) -> Term:
        out = self._term(e)
        self.size += len(out.smt)
        if self.size > 4 * MAX_SMT_CHARS:
            raise Malformed("the program expands to too much SMT-LIB (its quantifiers range over too many "
                            "members)", line=e.line, column=e.column)
        return out

    def _term(self, e: Expr) -> Term:
        if isinstance(e, Num):
            return Term(_num(e.value), INT)
        if isinstance(e, Name):
            return self.name(e)
        if isinstance(e, Call):
            return self.call(e)
        if isinstance(e, Compare):
            if len(e.ops) > 1:
                self.repair("comparison_chain", e, f"a chain of {len(e.ops)} comparisons -> And of each")
                return self.term(repair.comparison_chain(e))
            return self.compare(e)
        if isinstance(e, BoolOp):
            if e.op == "implies":
                self.repair("infix_implication", e, f"infix {e.spelling} -> Implies(...)")
                return self.term(repair.infix_implication(e))
            if e.spelling in ("Or", "And"):
                self.repair("infix_junction", e, f"infix {e.spelling} -> {e.spelling}(...)")
                return self.term(repair.infix_junction(e))
            self.repair("boolean_operators", e, f"'{e.spelling}' -> {'And' if e.op == 'and' else 'Or'}(...)")
            return self.term(repair.boolean_operators(e))
        if isinstance(e, InList) and e.sort is not None:
            return self.in_sort(e, e.sort)
        if isinstance(e, InList):
            self.repair("in_list", e, f"'{'not in' if e.negated else 'in'}' a list of {len(e.options)}")
            return self.term(repair.in_list(e))
        if isinstance(e, Unary):
            assert e.operand is not None
            if e.op == "not":
                self.repair("boolean_operators", e, "Python 'not' -> Not(...)")
                return Term(f"(not {self.formula(e.operand)})", BOOL)
            return Term(f"(- {self.number(e.operand).smt})", INT)
        if isinstance(e, BinOp):
            return self.arith(e)
        if isinstance(e, ListLit):
            raise Malformed("a list is not a value here", line=e.line, column=e.column)
        if isinstance(e, Binder):
            raise Malformed(f"a binder '{e.var}:...' outside ForAll / Exists / Count / Distinct", line=e.line,
                            column=e.column)
        raise Malformed(f"unsupported expression {type(e).__name__}", line=e.line, column=e.column)

    def name(self, e: Name) -> Term:
        for frame in reversed(self.scope):
            if e.id in frame:
                return frame[e.id]
        if e.id in ("True", "False"):
            return Term(e.id.lower(), BOOL)
        if e.id in self.members:
            owners = self.members[e.id]
            sort, k = owners[0]
            return Term(str(k), sort)
        if e.id in self.functions:
            f = self.functions[e.id]
            if not f.args:
                return Term(f.smt, self.value_sort(f.result))
            raise Malformed(f"function {e.id!r} used without its {len(f.args)} argument(s)", line=e.line,
                            column=e.column)
        if e.id in self.sorts or e.id in _SORT_WORDS:
            raise Malformed(f"sort {e.id!r} used as a value", line=e.line, column=e.column)
        raise Malformed(f"undeclared name {e.id!r}", line=e.line, column=e.column)

    def in_sort(self, e: InList, name: Name) -> Term:
        assert e.element is not None
        if name.id not in self.sorts:
            raise Malformed(f"'in' needs a list literal or a sort name on its right ({name.id!r} is neither)",
                            line=name.line, column=name.column)
        sort = self.sorts[name.id]
        t = self.term(e.element)
        if t.sort.family != sort.family:
            raise Malformed(f"sort mismatch: a term of sort {t.sort.name} 'in' sort {sort.name}", line=e.line,
                            column=e.column)
        self.repair("in_sort", e, f"'{'not in' if e.negated else 'in'}' sort {sort.name} -> membership")
        inside = self.member_of(t, sort)
        return Term(f"(not {inside})" if e.negated else inside, BOOL)

    def bound(self, name: str) -> bool:
        return any(name in frame for frame in self.scope) or name in self.members

    def value_sort(self, sort: Sort) -> Sort:
        """The sort a value of ``sort`` is typed with (a sub-list's values are its parent's)."""
        return self.sorts[sort.base] if sort.base else sort

    def number(self, e: Expr) -> Term:
        t = self.term(e)
        if not t.sort.numeric:
            raise Malformed(f"expected a number, found a term of sort {t.sort.name}", line=e.line, column=e.column)
        return t

    def arith(self, e: BinOp) -> Term:
        assert e.left is not None
        assert e.right is not None
        ops = {"+": "+", "-": "-", "*": "*", "%": "mod", "mod": "mod"}
        if e.op == "mod":
            self.repair("infix_mod", e, "a mod b -> a % b")
        if e.op not in ops:
            raise Malformed(f"operator {e.op!r} is not supported (integer division has two readings)", line=e.line,
                            column=e.column)
        if e.op in ("+", "-"):
            a, b = self.term(e.left), self.term(e.right)
            placed = [t for t in (a, b) if t.sort.kind in ("enum", "place") and not t.sort.numeric]
            if placed:
                return self.place_arith(e, a, b, placed[0].sort.family)
        return Term(f"({ops[e.op]} {self.number(e.left).smt} {self.number(e.right).smt})", INT)

    def place_arith(self, e: BinOp, a: Term, b: Term, family: str) -> Term:
        """Rule ``enum_arithmetic``: ``d + 1`` / ``d - 1`` on a named member is the member one place later / earlier.

        ``d - e`` between two members is the (integer) distance of their places.  A place past either end is
        no member: comparing it with a member is false, and passing it to a function is refused unless it is a
        constant inside the sort (see :meth:`apply`), so it never gives a function a value nobody declared.
        """
        same = [t for t in (a, b) if t.sort.family == family and t.sort.kind in ("enum", "place")]
        if len(same) == 2 and e.op == "-":
            self.repair("enum_arithmetic", e, f"difference of two places of {family}")
            return Term(f"(- {a.smt} {b.smt})", INT)
        other = b if same[0] is a else a
        if len(same) != 1 or not other.sort.numeric or (e.op == "-" and other is a):
            raise Malformed(f"{e.op} on members of {family} (only a member plus or minus a number, or the difference "
                            "of two members, has one reading)", line=e.line, column=e.column)
        self.repair("enum_arithmetic", e, f"{e.op} a number on a member of {family} moves along its declaration order")
        smt = f"({e.op} {same[0].smt} {other.smt})"
        value = _constant(smt)
        return Term(str(value) if value is not None and value >= 0 else smt, Sort(f"place of {family}", "place",
                                                                                    base=family))

    def compare(self, e: Compare) -> Term:
        op = e.ops[0]
        nones = [isinstance(x, Name) and x.id == "None" and not self.bound("None") for x in e.operands]
        if op == "!=" and nones.count(True) == 1:
            other = e.operands[nones.index(False)]
            self.term(other)  # still type-checked
            self.repair("none_comparison", e, "... != None -> true")
            return Term("true", BOOL)
        a, b = (self.term(x) for x in e.operands)
        fa, fb = a.sort.family, b.sort.family
        if fa != fb and "bool" in (fa, fb) and op in ("==", "!="):
            fixed = self.bool_number(e, a, b)
            if fixed is not None:
                return fixed
        if fa != fb:
            raise Malformed(f"sort mismatch: {op} between {a.sort.name} and {b.sort.name}", line=e.line,
                            column=e.column)
        if op == "==":
            return Term(f"(= {a.smt} {b.smt})", BOOL)
        if op == "!=":
            return Term(f"(not (= {a.smt} {b.smt}))", BOOL)
        if fa == "bool":
            raise Malformed(f"{op} between formulas", line=e.line, column=e.column)
        if fa != "int":
            self.repair("enum_order", e, f"{op} between members of {fa} compares their declaration order")
        return Term(f"({op} {a.smt} {b.smt})", BOOL)

    def bool_number(self, e: Compare, a: Term, b: Term) -> Term | None:
        """``p == 1`` / ``p == 0`` / ``p != 0`` ... for a formula p (None when the number is not a literal 0 or 1)."""
        f, n = (a, b) if a.sort.kind == "bool" else (b, a)
        if n.smt not in ("0", "1") or not n.sort.numeric:
            return None
        truth = (n.smt == "1") == (e.ops[0] == "==")
        self.repair("bool_equals_number", e, f"formula {e.ops[0]} {n.smt} -> {'' if truth else 'Not '}formula")
        return Term(f.smt if truth else f"(not {f.smt})", BOOL)

    # ---- calls

    def call(self, e: Call) -> Term:
        if e.func in self.functions:
            return self.apply(self.functions[e.func], e)
        if e.func in ("Iff", "IfThenElse"):
            self.repair("logic_spelling", e, f"{e.func}(...) -> {'If' if e.func == 'IfThenElse' else '=='}")
            return self.term(repair.logic_spelling(e))
        handler = _HANDLERS.get(e.func)
        if handler is None:
            if e.func in _CHECKS or e.func in ("is_accurate_list", "is_exception"):
                raise Malformed(f"{e.func} is an option check, not a formula", line=e.line, column=e.column)
            raise Malformed(f"unknown function {e.func!r}", line=e.line, column=e.column)
        return handler(self, e)

    def apply(self, f: _Function, e: Call) -> Term:
        if len(e.args) != len(f.args):
            raise Malformed(f"{f.name} takes {len(f.args)} argument(s) ({len(e.args)} given)", line=e.line,
                            column=e.column)
        parts = []
        for k, (a, want) in enumerate(zip(e.args, f.args, strict=True)):
            t = self.term(a)
            if t.sort.family != want.family:
                raise Malformed(f"argument {k + 1} of {f.name} must be of sort {want.name}, found "
                                f"{t.sort.name}", line=a.line, column=a.column)
            if t.sort.kind == "place":
                value = _constant(t.smt)
                if value is None or value not in self.indices(want):
                    raise Malformed(f"argument {k + 1} of {f.name} is a place of {want.name} that may lie past its "
                                    "ends (the function has no value there)", line=a.line, column=a.column)
                parts.append(str(value))
                continue
            parts.append(t.smt)
        smt = f"({f.smt} {' '.join(parts)})" if parts else f.smt
        return Term(smt, self.value_sort(f.result))

    def junction(self, e: Call) -> Term:
        args: Sequence[Expr] = e.args
        if len(args) == 1 and isinstance(args[0], ListLit):
            args = args[0].items
        if e.func == "And" and len(args) == 2 and self.enum_range_bounds(e, args[0], args[1]):
            return Term("true", BOOL)
        parts = self.bools(args)
        return Term(_and(parts) if e.func == "And" else _or(parts), BOOL)

    def enum_range_bounds(self, e: Call, low: Expr, high: Expr) -> bool:
        """``And(1 <= t, t <= n)`` with t of a sort of n named members (or 0 .. n-1): a restatement, true."""
        if not (isinstance(low, Compare) and isinstance(high, Compare) and low.ops == ("<=",) == high.ops):
            return False
        lo, t, t2, hi = (*low.operands, *high.operands)
        if not (isinstance(lo, Num) and isinstance(hi, Num) and t == t2):
            return False
        term = self.term(t)
        if term.sort.kind != "enum" or term.sort.numeric:
            return False
        n = len(self.value_sort(term.sort).members)
        if (lo.value, hi.value) not in ((1, n), (0, n - 1)):
            return False
        self.repair("enum_range_bounds", e, f"{lo.value} .. {hi.value} on {term.sort.name} ({n} members) -> true")
        return True

    def fixed(self, e: Call, n: int) -> list[str]:
        if len(e.args) != n:
            raise Malformed(f"{e.func} takes {n} argument(s) ({len(e.args)} given)", line=e.line, column=e.column)
        return self.bools(e.args)

    def iff(self, e: Call) -> Term:
        a, b = self.fixed(e, 2)
        return Term(f"(= {a} {b})", BOOL)

    def not_(self, e: Call) -> Term:
        return Term(f"(not {self.fixed(e, 1)[0]})", BOOL)

    def implies(self, e: Call) -> Term:
        a, b = self.fixed(e, 2)
        return Term(f"(=> {a} {b})", BOOL)

    def xor(self, e: Call) -> Term:
        a, b = self.fixed(e, 2)
        return Term(f"(xor {a} {b})", BOOL)

    def if_(self, e: Call) -> Term:
        if len(e.args) == 2:
            c, p = self.bools(e.args)
            self.repair("if_without_else", e, "If(c, p) -> Implies(c, p)")
            return Term(f"(=> {c} {p})", BOOL)
        if len(e.args) != 3:
            raise Malformed(f"If takes 3 arguments ({len(e.args)} given)", line=e.line, column=e.column)
        c = self.formula(e.args[0])
        a, b = self.term(e.args[1]), self.term(e.args[2])
        if a.sort.family != b.sort.family:
            raise Malformed(f"If's branches have different sorts ({a.sort.name}, {b.sort.name})", line=e.line,
                            column=e.column)
        sort = a.sort if a.sort == b.sort else (INT if a.sort.numeric else self.value_sort(a.sort))
        return Term(f"(ite {c} {a.smt} {b.smt})", sort)

    def abs_(self, e: Call) -> Term:
        if len(e.args) != 1:
            raise Malformed(f"Abs takes 1 argument ({len(e.args)} given)", line=e.line, column=e.column)
        return Term(f"(abs {self.number(e.args[0]).smt})", INT)

    def sum_(self, e: Call) -> Term:
        args: Sequence[Expr] = e.args
        if len(args) == 1 and isinstance(args[0], ListLit):
            args = args[0].items
        terms = [self.term(a) for a in args]
        if terms and all(t.sort.kind == "bool" for t in terms):
            self.repair("sum_of_booleans", e, f"Sum of {len(terms)} formulas counts the true ones")
            return Term(_plus([f"(ite {t.smt} 1 0)" for t in terms]), INT)
        for a, t in zip(args, terms, strict=True):
            if not t.sort.numeric:
                raise Malformed(f"Sum of a term of sort {t.sort.name}", line=a.line, column=a.column)
        return Term(_plus([t.smt for t in terms]), INT)

    def binders(self, e: Call) -> tuple[list[Binder], Expr]:
        if len(e.args) != 2 or not isinstance(e.args[0], ListLit) or not e.args[0].items:
            raise Malformed(f"{e.func} takes [x:sort, ...] and a body", line=e.line, column=e.column)
        out = []
        for b in e.args[0].items:
            if not isinstance(b, Binder):
                raise Malformed(f"{e.func}'s first argument must list binders x:sort", line=b.line, column=b.column)
            out.append(b)
        return out, e.args[1]

    def binder_domain(self, b: Binder, what: str) -> tuple[Sort, list[Term] | None]:
        assert b.sort is not None
        if isinstance(b.sort, ListLit):
            terms = [self.term(x) for x in b.sort.items]
            if not terms or len({t.sort.family for t in terms}) != 1:
                raise Malformed("a binder's list must hold values of one sort", line=b.line, column=b.column)
            return terms[0].sort, terms
        sort = self.sort_ref(b.sort)
        if sort.base:
            self.repair("sublist_sort", b, f"{what} over {sort.name}, a sub-list of {sort.base}")
        return sort, self.domain(sort)

    def each(self, e: Call) -> Iterator[None]:
        """Bind the call's binders to every combination of their members (finite sorts only), once per yield."""
        binders, _ = self.binders(e)
        domains = []
        for b in binders:
            _, dom = self.binder_domain(b, e.func)
            if dom is None:
                raise Malformed(f"{e.func} over the infinite sort int", line=b.line, column=b.column)
            domains.append(dom)
        for combo in itertools.product(*domains):
            self.scope.append({b.var: t for b, t in zip(binders, combo, strict=True)})
            try:
                yield None
            finally:
                self.scope.pop()

    def quantifier(self, e: Call) -> Term:
        binders, body = self.binders(e)
        infinite = [b for b in binders if self.binder_domain(b, e.func)[1] is None]
        if infinite:
            return self.smt_quantifier(e, binders, body)
        parts = [self.formula(body) for _ in self.each(e)]
        return Term(_and(parts) if e.func == "ForAll" else _or(parts), BOOL)

    def smt_quantifier(self, e: Call, binders: list[Binder], body: Expr) -> Term:
        """ForAll / Exists over int (and, nested in it, finite sorts expanded by a guard): an SMT quantifier."""
        frame: dict[str, Term] = {}
        decls, guards = [], []
        for b in binders:
            sort, _ = self.binder_domain(b, e.func)
            v = symbol(f"{b.var}{next(self.fresh)}", "q")
            decls.append(f"({v} {'Bool' if sort.kind == 'bool' else 'Int'})")
            frame[b.var] = Term(v, self.value_sort(sort))
            if sort.kind == "enum":
                guards.append(self.member_of(Term(v, INT), sort))
        self.scope.append(frame)
        try:
            inner = self.formula(body)
        finally:
            self.scope.pop()
        if e.func == "ForAll":
            inner = f"(=> {_and(guards)} {inner})" if guards else inner
            return Term(f"(forall ({' '.join(decls)}) {inner})", BOOL)
        return Term(f"(exists ({' '.join(decls)}) {_and([*guards, inner])})", BOOL)

    def count(self, e: Call) -> Term:
        _, body = self.binders(e)
        return Term(_plus([f"(ite {self.formula(body)} 1 0)" for _ in self.each(e)]), INT)

    def distinct(self, e: Call) -> Term:
        if len(e.args) == 2 and isinstance(e.args[0], ListLit) and e.args[0].items and \
                all(isinstance(b, Binder) for b in e.args[0].items):
            _, body = self.binders(e)
            terms = [self.term(body) for _ in self.each(e)]
        else:
            args: Sequence[Expr] = e.args
            if len(args) == 1 and isinstance(args[0], ListLit):
                args = args[0].items
            terms = [self.term(a) for a in args]
        if len({t.sort.family for t in terms}) > 1:
            raise Malformed("Distinct over values of different sorts", line=e.line, column=e.column)
        if len(terms) < 2:
            return Term("true", BOOL)
        return Term(f"(distinct {' '.join(t.smt for t in terms)})", BOOL)


def _constant(smt: str) -> int | None:
    """The value of a ground sum ``(+ 3 1)`` / ``(- 3 1)`` / ``3`` of literals (None when it is not one)."""
    m = re.fullmatch(r"\(([+-]) (\d+) (\d+)\)|(\d+)", smt)
    if m is None:
        return None
    if m.group(4) is not None:
        return int(m.group(4))
    x, y = int(m.group(2)), int(m.group(3))
    return x + y if m.group(1) == "+" else x - y


def _plus(parts: Sequence[str]) -> str:
    if not parts:
        return "0"
    return parts[0] if len(parts) == 1 else f"(+ {' '.join(parts)})"


def _int_value(e: Expr) -> int:
    if isinstance(e, Num):
        return e.value
    assert isinstance(e, Unary)
    assert isinstance(e.operand, Num)
    return -e.operand.value


_HANDLERS: Final = {
    "_Iff": _Elaborator.iff, "And": _Elaborator.junction, "Or": _Elaborator.junction, "Not": _Elaborator.not_,
    "Implies": _Elaborator.implies, "Xor": _Elaborator.xor, "If": _Elaborator.if_, "Abs": _Elaborator.abs_,
    "Sum": _Elaborator.sum_, "ForAll": _Elaborator.quantifier, "Exists": _Elaborator.quantifier,
    "Count": _Elaborator.count, "Distinct": _Elaborator.distinct,
}


def rule_counts(changes: Sequence[str]) -> Counter[str]:
    """How many times each repair rule was applied, from a Formalisation's ``changes``."""
    return Counter(rule_of(c) for c in changes)
