"""LINC's FOLIO samples (NLTK / Prover9 first-order logic) as formalisations, and the re-offload over ten samples.

Reads the outputs of LINC (Olausson et al. 2023), ``..._generations_raw.json``:
``list[problem][sample]`` of text like::

    TEXT:   All students are humans.
    FOL:    all x. (Student(x) -> Human(x))
    TEXT:   Rose is a student.
    FOL:    Student(Rose)

The ``FOL:`` lines are the formulas; the last one is the conclusion, the ones
before it the premises.  ``folio_references.json`` holds the gold labels
``True`` / ``False`` / ``Uncertain``, which are this bridge's option labels.

The notation is NLTK's logic parser (what LINC fed to Prover9): ``-`` / ``!``
/ ``not``, ``&`` / ``^`` / ``and``, ``|`` / ``or``, ``->`` / ``=>`` /
``implies``, ``<->`` / ``<=>`` / ``iff``, ``all`` / ``forall``, ``exists`` /
``some``, ``=`` / ``==``, ``!=``.  Its precedence is NLTK's: negation
tightest, then equality, quantifiers, ``&``, ``|``, ``->``, ``<->``, every
binary connective grouping to the left; a quantifier's body stops before the
first binary connective outside parentheses (``all x. P(x) -> Q(x)`` is
``(all x. P(x)) -> Q(x)``, the ``x`` in ``Q(x)`` then free and closed
universally, as Prover9 does).  Every name after a quantifier up to ``.`` or
an operator is a variable it binds, and must be one letter, optionally
followed by digits (``all x y.``, ``all A B.``), as NLTK requires.  A free
name is what Prover9 makes of it, since NLTK hands names through unchanged:
a variable when it starts with ``u`` to ``z`` (``x``, ``y1``, ``u2``,
``xavier``), closed universally; a constant otherwise (``a``, ``b``, ``ann``,
``Rex``).  Lambda terms are refused: they are not first-order formulas.

The re-offload policy over samples lives in :mod:`assay.bridges.logic.linc_policy`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from assay.bridges.logic import fol
from assay.bridges.logic.common import Malformed
from assay.kernel.entail import Formalisation

__all__ = ["NLTK", "formalise", "formalise_sample", "read_sample"]

NLTK: Final = fol.Syntax(
    name="NLTK",
    symbols={"-": "not", "!": "not", "&": "and", "^": "and", "|": "or", "->": "implies", "=>": "implies",
             "<->": "iff", "<=>": "iff", "=": "eq", "==": "eq", "!=": "neq", "(": "(", ")": ")", ",": ",",
             ".": "."},
    words={"not": "not", "and": "and", "or": "or", "implies": "implies", "iff": "iff", "all": "forall",
           "forall": "forall", "exists": "exists", "exist": "exists", "some": "exists"},
    refused={"\\": "lambda abstraction is not a first-order formula", "iota": "the iota operator is not "
             "first-order logic"},
    levels={"and": 6, "or": 7, "implies": 8, "iff": 9},
    right_assoc=frozenset(),
    quantifier_level=5,
    several_variables=True,
    # Prover9 (through NLTK's prover9 interface, which passes names through) reads a free name as a variable when it
    # starts with u..z: LADR's variable_name(), the default (prolog_style_variables off).
    free_variable=re.compile(r"[u-z]\w*"),
    # NLTK's parser takes only a letter and digits after a quantifier (its individual, event and function variables).
    quantifiable=re.compile(r"[A-Za-z][0-9]*"),
    variable_rule="Prover9 reads a free name that starts with u to z as a variable",
)

_FLAG: Final = "FOL:"
# An innermost argument list, and an argument that is several words, quoted, or has an apostrophe or a dot in it.
_ARGUMENTS: Final = re.compile(r"(\w+)\(([^()]*)\)")
_NAMEABLE: Final = re.compile(r"[\w\"'\u2019][\w\s'\u2019\".-]*")
_JOIN: Final = re.compile(r"[\s.-]+")


def _repair_arguments(body: str, number: int, changes: list[str]) -> str:
    """Arguments like ``"Stranger Things"``, ``People'sRepublic`` or ``42.3 billion`` read as one constant each.

    LINC normalised argument lists the same way before NLTK saw them (its
    ``reformat_fol``); here every such reading is a recorded repair, so the
    verdict is REPAIRED, never ACCEPTED.  Only arguments made of word
    characters, spaces, quotes, apostrophes, dots and inner hyphens
    (``Asia-Pacific``) are joined; a leading ``-`` (a negated term, which
    first-order logic has not) and anything else is left for the parser to
    refuse.
    """

    def one(match: re.Match[str]) -> str:
        args = match.group(2).split(",")
        fixed = []
        for arg in args:
            text = arg.strip()
            if _IDENT_ONLY.fullmatch(text) or not _NAMEABLE.fullmatch(text):
                fixed.append(arg)
                continue
            name = _JOIN.sub("_", re.sub("['\u2019\"]", "", text)).strip("_")
            if not _IDENT_ONLY.fullmatch(name):
                fixed.append(arg)
                continue
            changes.append(f"FOL line {number}: argument {text!r} of {match.group(1)} read as the constant {name}")
            fixed.append(f" {name}" if arg.startswith(" ") else name)
        return f"{match.group(1)}({','.join(fixed)})"

    return _ARGUMENTS.sub(one, body)


_IDENT_ONLY: Final = re.compile(r"[^\W_]\w*")


def read_sample(text: str, changes: list[str] | None = None) -> tuple[list[fol.Formula], fol.Formula]:
    """The premises and the conclusion (the last ``FOL:`` line) of one sample; :class:`Malformed` otherwise.

    With a ``changes`` list, argument lists are repaired as LINC did (see
    :func:`_repair_arguments`) and each repair is appended to it; without one
    the text is read as written.
    """
    parsed: list[fol.Formula] = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip()
        if not stripped.startswith(_FLAG):
            if _FLAG in line:
                # LINC (eval/base.py) reads every line with "FOL:" anywhere in it as a formula, "FOL:" cut out.
                raise Malformed(f"'{_FLAG}' inside a line: LINC reads every line containing it as a formula, "
                                "this one too", line=number, column=line.index(_FLAG) + 1)
            continue
        body = stripped[len(_FLAG):]
        column = len(line) - len(stripped) + len(_FLAG) + (len(body) - len(body.lstrip())) + 1
        body = body.strip()
        if changes is not None:
            body = _repair_arguments(body, number, changes)
        parsed.append(fol.parse_formula(body, NLTK, line=number, column=column))
    if not parsed:
        raise Malformed("the sample has no 'FOL:' line (the last one is the conclusion)")
    return parsed[:-1], parsed[-1]


def formalise_sample(text: str, source: str = "", *, repair: bool = True) -> Formalisation:
    """One LINC sample as the open-world question, options labelled "True", "False", "Uncertain".

    ``repair`` joins multi-word, quoted and dotted arguments into constants
    as LINC did, recording each repair in ``changes`` (so the verdict can be
    REPAIRED, never ACCEPTED); ``repair=False`` reads the text as written.
    """
    changes: list[str] | None = [] if repair else None
    premises, conclusion = read_sample(text, changes)
    return fol.open_world(premises, conclusion, changes=changes or (), source=source)


def formalise(program: str, record: Mapping[str, Any]) -> Formalisation:
    """The bridge interface of ``assay replay``: one sample's text; the record only names the source."""
    return formalise_sample(program, source=f"LINC FOLIO sample {record.get('id', '?')}")
