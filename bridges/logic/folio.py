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
exclusive or read here too.  The grouping is read the usual way here, which
is what the models meant where the two differ (``Wedding(x) ∧ July(x) →
Travel(x, paris) ∧ Honeymoon(x, paris)``); on the recorded GPT-4 and
GPT-3.5 programs no answer depends on the choice.  Quantifiers nested
inside a connective, equality and propositions, which Logic-LM's grammar
could not parse, are read here.  Free variables follow :func:`fol.open_world`.
``y ∈ x`` between two individuals is a binary relation like any other (as
``∈`` is in first-order set theory; nothing about sets is assumed).
Arithmetic (``>``, ``≤``, numbers with a decimal point), lists and quoted
strings are not first-order logic over individuals: they are
:class:`Malformed`, as they were not executable for Logic-LM either.
"""

# ruff: noqa: RUF002  (docstrings quote the Unicode notation: its OR sign is not the letter v)
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from assay.bridges.logic import fol
from assay.bridges.logic.common import Malformed
from assay.kernel.entail import Formalisation

__all__ = ["UNICODE", "formalise", "option_labels", "read_program"]

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
    strict_variables=False,
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


def read_program(program: str) -> tuple[list[fol.Formula], fol.Formula]:
    """The premises and the conclusion of a Logic-LM FOLIO program; :class:`Malformed` with line and column."""
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
        parsed = fol.parse_formula(formula_text.strip(), UNICODE, line=number, column=column)
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


def formalise(program: str, record: Mapping[str, Any]) -> Formalisation:
    """A Logic-LM FOLIO record's program as the open-world True / False / Uncertain question, with its letters."""
    labels = option_labels(record.get("options"))
    premises, conclusion = read_program(program)
    source = f"FOLIO record {record.get('id', '?')}"
    return fol.open_world(premises, conclusion, labels=labels, source=source)
