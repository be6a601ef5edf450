"""Logic-LM's FOLIO programs (Unicode first-order logic) as formalisations for :func:`assay.kernel.entail.decide`.

Reads ``FOLIO_dev_{model}.json`` of Logic-LM (Pan et al. 2023): each record's
``raw_logic_programs[0]`` is a program a model wrote::

    Predicates:
    Dog(x) ::: x is a dog.
    Premises:
    ∀x (Dog(x) → Animal(x)) ::: All dogs are animals.
    Conclusion:
    Animal(rex) ::: Rex is an animal.

and ``options`` are ``["A) True", "B) False", "C) Uncertain"]``; ``answer`` is
the gold letter.  Each line's formula is the text before ``:::``.  The
``Predicates:`` section is documentation only (Logic-LM ignores it too); the
signature is checked over the premises and the conclusion.

The notation, as read here: ``¬ ∧ ∨ ⊕ → ↔ ∀ ∃ = ≠`` with the usual
precedence (¬ tightest, then ∧, ∨, ⊕, →, ↔; → and ↔ group to the right, the
others to the left), and a quantifier reaching as far right as it can
(``∀x P(x) → Q(x)`` is ``∀x (P(x) → Q(x))``, Logic-LM's grammar ``S -> Q F``).
Logic-LM itself ran these programs through a grammar in which every binary
connective has one precedence and groups to the left (``A → B ∧ C`` was
``(A → B) ∧ C``) and expanded ``A ⊕ B`` to ``(A ∧ ¬B) ∨ (¬A ∧ B)``, the
exclusive or read here too.  Where the two groupings differ (``Wedding(x) ∧
July(x) → Travel(x, paris) ∧ Honeymoon(x, paris)``: what the model meant, or
what Logic-LM ran), the formula is read both ways and an answer is given only
when it holds under both (:func:`fol.open_world`); on the recorded programs
(7 of GPT-3.5's) no answer depends on the choice.

Names are what Logic-LM's pipeline hands Prover9: its parser gives every
name longer than one character a capital first letter, so names that differ
only there (``summer``, ``Summer``) are one name (a recorded change, so the
verdict is REPAIRED), and only a free single letter ``u`` to ``z`` is a
variable, closed universally (Prover9's rule); ``a`` or ``x1`` is a
constant.  Quantifiers nested inside a connective, equality, propositions,
and quantified names longer than one letter, which Logic-LM's pipeline could
not run, are read here by their standard meaning; so is a spelling in two
roles (the constant ``company`` beside the predicate ``Company``), which
Prover9 refused there, read apart as written.
``y ∈ x`` between two individuals is a binary relation like any other (as
``∈`` is in first-order set theory; nothing about sets is assumed).
Arithmetic (``>``, ``≤``, numbers with a decimal point), lists and quoted
strings are not first-order logic over individuals: they are
:class:`Malformed`, as they were not executable for Logic-LM either.
"""

# ruff: noqa: RUF002  (docstrings quote the Unicode notation: its OR sign is not the letter v)
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from assay.bridges.logic import fol
from assay.bridges.logic.common import Malformed
from assay.kernel.entail import Formalisation

__all__ = ["UNICODE", "formalise", "logic_lm_spelling", "one_spelling", "option_labels", "read_program"]

_ARITH = "arithmetic comparison is not first-order logic over individuals"
UNICODE: Final = fol.Syntax(
    name="Unicode FOL",
    symbols={"¬": "not", "∧": "and", "∨": "or", "⊕": "xor", "→": "implies", "↔": "iff", "⟷": "iff",
             "∀": "forall", "∃": "exists", "=": "eq", "≠": "neq", "∈": "in", "(": "(", ")": ")", ",": ","},
    words={},
    refused={">": _ARITH, "<": _ARITH, "≤": _ARITH, "≥": _ARITH, "...": "an elided list ('...') cannot be read as "
             "a formula"},
    levels={"and": 2, "or": 3, "xor": 4, "implies": 5, "iff": 6},
    right_assoc=frozenset({"implies", "iff"}),
    quantifier_level=fol.TOP,
    several_variables=False,
    # Logic-LM's FOL_Parser.msplit capitalises every name longer than one character before NLTK and Prover9 see
    # it, so only a free single letter u..z reaches Prover9 as a variable (LADR's variable_name()).
    free_variable=re.compile(r"[u-z]"),
    variable_rule="Logic-LM capitalises longer names, so Prover9 reads a free single letter u to z as a variable",
    executor_grouping=(dict.fromkeys(("and", "or", "xor", "implies", "iff"), 2), frozenset()),
    executor="Logic-LM's executor, with one precedence for every connective grouped to the left,",
)

_OPTION: Final = re.compile(r"\s*([A-Z])\s*\)\s*(\S.*?)\s*$")
_VALUES: Final = {"true": "True", "false": "False", "uncertain": "Uncertain", "unknown": "Uncertain"}


def option_labels(options: Any) -> dict[str, str]:
    """Map True/False/Uncertain to the record's letters, from ``["A) True", "B) False", "C) Uncertain"]``."""
    if not isinstance(options, list):
        raise Malformed(f"record options must be a list, got {type(options).__name__}")
    labels: dict[str, str] = {}
    for i, text in enumerate(options):
        m = _OPTION.match(text) if isinstance(text, str) else None
        value = _VALUES.get(m.group(2).lower()) if m else None
        if m is None or value is None:
            raise Malformed(f"record option {i} is {text!r}; expected 'A) True', 'B) False' or 'C) Uncertain'")
        labels[value] = m.group(1)
    missing = [v for v in fol.OPEN_WORLD_LABELS if v not in labels]
    if missing:
        raise Malformed(f"record options {options!r} have no option for {', '.join(missing)}")
    return labels


def read_program(program: str, *, executor: bool = False) -> tuple[list[fol.Formula], fol.Formula]:
    """The premises and the conclusion of a Logic-LM FOLIO program; :class:`Malformed` with line and column.

    ``executor=True`` groups connectives as Logic-LM's executor did (one
    precedence, to the left) instead of by the usual precedence.
    """
    section = ""
    premises: list[fol.Formula] = []
    conclusions: list[tuple[int, fol.Formula]] = []
    seen: set[str] = set()
    for number, raw in enumerate(program.split("\n"), start=1):
        head = raw.strip()
        if head in ("Predicates:", "Premises:", "Conclusion:"):
            section = head[:-1]
            seen.add(section)
            continue
        formula_text = raw.split(":::", 1)[0]
        if not formula_text.strip() or section == "Predicates":
            continue
        if section not in ("Premises", "Conclusion"):
            raise Malformed("a formula outside the Premises: and Conclusion: sections", line=number, column=1)
        column = len(formula_text) - len(formula_text.lstrip()) + 1
        parsed = fol.parse_formula(formula_text.strip(), UNICODE, line=number, column=column, executor=executor)
        if section == "Premises":
            premises.append(parsed)
        else:
            conclusions.append((number, parsed))
    for needed in ("Premises", "Conclusion"):
        if needed not in seen:
            raise Malformed(f"the program has no '{needed}:' section")
    if len(conclusions) != 1:
        line = conclusions[1][0] if conclusions else 0
        raise Malformed(f"the Conclusion: section holds {len(conclusions)} formulas; expected exactly one",
                        line=line, column=1 if line else 0)
    return premises, conclusions[0][1]


def logic_lm_spelling(name: str) -> str:
    """The name as Logic-LM's parser hands it on: a name longer than one character gets a capital first letter."""
    return name[0].upper() + name[1:] if len(name) > 1 else name


def one_spelling(formulas: Sequence[fol.Formula]) -> tuple[list[fol.Formula], list[str]]:
    """Names that Logic-LM's spelling makes one (``summer``, ``Summer``) made one here, with a change for each.

    Only names of one role and arity are merged (two constants, two
    predicates of one arity): that is how the executor reads them.  Names
    that the spelling would make one symbol in two roles (the constant
    ``company`` beside the predicate ``Company``) are a symbol clash to
    Prover9, which stops the executor; they are read apart here, as written.
    """
    first: dict[tuple[str, str, int], str] = {}
    names: dict[tuple[str, str, int], str] = {}
    where: dict[str, int] = {}
    for f in formulas:
        for name, role, arity, line, _ in fol.uses(f):
            key = (logic_lm_spelling(name), role, arity)
            kept = first.setdefault(key, name)
            if kept != name and (name, role, arity) not in names:
                names[(name, role, arity)] = kept
                where[name] = line
    changes = [f"line {where[name]}: the {role} {name!r} is {kept!r}, as Logic-LM reads them (its parser gives every "
               f"name longer than one character a capital first letter)" for (name, role, _), kept in names.items()]
    if not names:
        return list(formulas), []
    return [fol.rename(f, names) for f in formulas], changes


def formalise(program: str, record: Mapping[str, Any]) -> Formalisation:
    """A Logic-LM FOLIO record's program as the open-world True / False / Uncertain question, with its letters.

    Names spelt apart only in their first letter's case are one name, as in
    Logic-LM (see :func:`one_spelling`); each such merge is in ``changes``.
    A formula whose connectives Logic-LM's executor grouped otherwise than
    the usual precedence does is read both ways, and an answer must hold
    under both (:func:`fol.open_world`).
    """
    labels = option_labels(record.get("options"))
    premises, conclusion = read_program(program)
    theirs, their_conclusion = read_program(program, executor=True)
    merged, changes = one_spelling([*premises, conclusion])
    their_merged, _ = one_spelling([*theirs, their_conclusion])
    source = f"FOLIO record {record.get('id', '?')}"
    return fol.open_world(merged[:-1], merged[-1], labels=labels, changes=changes, source=source,
                          executor_reading=(their_merged[:-1], their_merged[-1]), executor="Logic-LM's executor")
