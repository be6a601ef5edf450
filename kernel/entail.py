"""Deciding what a formalisation entails: the kernel's side of every neurosymbolic bridge.

A model reads a problem in words and writes it as logic (constraints, rules,
first-order formulas); a bridge parses that text into a
:class:`Formalisation`: SMT-LIB declarations, premises, and for each answer
option the checks that make it the answer.  This module decides, with both
solvers, which option that is, or says why it cannot:

* the premises have no model: VACUOUS (anything would follow from them);
* exactly one option holds and every other option is settled as not holding:
  ACCEPTED with ``answer`` = its label (REPAIRED when the bridge had to repair
  the text first: the changes are in ``changes``);
* anything else is UNKNOWN: ``ambiguous`` when several options hold or none
  does, ``undecided`` when a check could not be settled.  A published
  pipeline picks an answer anyway; abstaining is how a wrong answer becomes an
  honest "don't know".

A check is settled only when z3 and cvc5 agree on it, for "unsat" and "sat"
alike (a "sat" from z3 may be confirmed by cvc5 with finite model finding,
an "unsat" by cvc5 with exhaustive quantifier instantiation: on quantified
formulas plain cvc5 often gives up where those settle it).  Every script is
hygiene-checked before a solver sees it, so a bridge cannot smuggle options,
resets or foreign theories into a query.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from assay.specs.smtlib_hygiene import SmtlibRefused, check_smtlib

from . import solvers
from .check import malformed
from .verdicts import Claim, Location, Outcome, Verdict, make

__all__ = ["KINDS", "Check", "Formalisation", "Option", "decide"]

# What each kind of check asks, and which answer makes it hold.
KINDS: Final = {
    "entailed": ("the premises and the negation of the statement have no model", "unsat"),
    "consistent": ("the premises and the statement have a model", "sat"),
    "inconsistent": ("the premises and the statement have no model", "unsat"),
}


@dataclass(frozen=True)
class Check:
    """One question about the premises: is ``formula`` entailed, consistent, or inconsistent with them?

    ``without`` names premises (by index) the question leaves out: "would
    this constraint, put in place of premise 3, have the same effect?" asks
    about the other premises only.
    """

    kind: str
    formula: str
    without: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown check kind {self.kind!r} (expected one of {', '.join(KINDS)})")

    def assertion(self) -> str:
        return f"(not {self.formula})" if self.kind == "entailed" else self.formula


@dataclass(frozen=True)
class Option:
    """An answer option: the answer when all its checks hold (or, for an exception, when they do not all hold)."""

    label: str
    checks: tuple[Check, ...]
    exception: bool = False
    # The option holds because something does not follow from the premises (the open world's "Unknown", the
    # closed world's "False"): a premise the model left out makes it hold as well, so a caller may want a
    # second formalisation to agree first.
    open_question: bool = False


@dataclass(frozen=True)
class Formalisation:
    """A formalisation as SMT-LIB pieces, as a bridge built it from a model's text."""

    declarations: str
    premises: tuple[str, ...]
    options: tuple[Option, ...]
    changes: tuple[str, ...] = ()
    source: str = ""
    # Where each premise came from, for a person ("line 12: Distinct(...)"); empty when the bridge has no names.
    premise_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.premise_names and len(self.premise_names) != len(self.premises):
            raise ValueError(f"{len(self.premise_names)} premise names for {len(self.premises)} premises")

    def premise_name(self, i: int) -> str:
        return self.premise_names[i] if self.premise_names else f"premise {i + 1}"


@dataclass(frozen=True)
class _Settled:
    status: str  # "sat" | "unsat" | "unknown"
    reason: str
    answers: tuple[solvers.SolverAnswer, ...]


def decide(f: Formalisation, *, timeout: float = 10.0) -> Verdict:
    """The option the premises entail (ACCEPTED / REPAIRED), VACUOUS, MALFORMED, or UNKNOWN with the reason."""
    start = time.perf_counter()
    if not f.options:
        return malformed("the formalisation has no answer options", seconds=time.perf_counter() - start)
    for check in (c for o in f.options for c in o.checks):
        if any(not 0 <= i < len(f.premises) for i in check.without):
            raise ValueError(f"check leaves out premise(s) {check.without}; there are {len(f.premises)}")
    questions = [(None, ()), *[(c.assertion(), c.without) for o in f.options for c in o.checks]]
    scripts = []
    for extra, without in questions:
        text = _script(f, extra, without)
        try:
            check_smtlib(text)
        except SmtlibRefused as exc:
            return malformed(f"the formalisation's SMT-LIB was refused: {exc.why}",
                             Location(path=f.source) if f.source else None, seconds=time.perf_counter() - start)
        scripts.append(text)
    settled = _settle_all(scripts, timeout)
    every = tuple(a.to_json() for s in settled for a in s.answers)
    consistency, results = settled[0], iter(settled[1:])

    def done(outcome: Outcome, reason: str, claims: Sequence[Claim], **fields: object) -> Verdict:
        return make(outcome, reason, claims=tuple(claims), solvers=every, seconds=time.perf_counter() - start,
                    changes=tuple(f.changes), **fields)

    if consistency.status == "unsat":
        core = _core(f, timeout)
        shown = "; ".join(f.premise_name(i) for i in core)
        which = "this one cannot hold" if len(core) == 1 else f"these {len(core)} cannot all hold"
        return done(Outcome.VACUOUS, f"the premises are inconsistent (no model, by z3 and cvc5): anything would "
                    f"follow from them; {which}: {shown}",
                    [Claim("premises consistent", "refuted", consistency.reason),
                     Claim("inconsistent premises", "proved", shown)])
    claims = [Claim("premises consistent", _claim_status(consistency.status == "sat", consistency), "")]
    holds: list[str] = []
    undecided: list[str] = []
    for option in f.options:
        status = _option_status(option, [next(results) for _ in option.checks], claims)
        if status == "holds":
            holds.append(option.label)
        elif status == "unknown":
            undecided.append(option.label)
    # An entailment from premises with no model proves nothing: some "sat" must show they have one.
    if len(holds) == 1 and not undecided and not any(s.status == "sat" for s in settled):
        return done(Outcome.UNKNOWN, f"undecided: option {holds[0]} holds, but the premises could not be shown "
                    f"consistent ({consistency.reason})", claims)
    if len(holds) == 1 and not undecided:
        if f.changes:
            return done(Outcome.REPAIRED, f"option {holds[0]} is entailed (after {len(f.changes)} repair(s) of "
                        "the formalisation); every other option is ruled out", claims, answer=holds[0])
        return done(Outcome.ACCEPTED, f"option {holds[0]} is entailed; every other option is ruled out", claims,
                    answer=holds[0])
    if undecided:
        why = f"undecided: option(s) {', '.join(undecided)} could not be settled"
        if holds:
            why += f" (option(s) {', '.join(holds)} hold)"
        return done(Outcome.UNKNOWN, why, claims)
    if holds:
        return done(Outcome.UNKNOWN, f"ambiguous: options {', '.join(holds)} all hold", claims)
    return done(Outcome.UNKNOWN, "ambiguous: no option holds", claims)


def _core(f: Formalisation, timeout: float) -> list[int]:
    """A small set of premises that already have no model (indices, in order): the evidence of VACUOUS.

    z3 names the premises it needed (tracking each assertion); the set is
    then confirmed by z3 and cvc5 together.  When z3 names none, or the two
    do not both confirm it, all the premises are the evidence, as both
    already showed them inconsistent.
    """
    everything = list(range(len(f.premises)))
    if "(assert" in f.declarations:  # the core's indices count assertions: premises must be the only ones
        return everything
    found = solvers.unsat_core(_script(f, None), timeout=timeout)
    if found is None:
        return everything
    kept = [i for i in found if 0 <= i < len(f.premises)]
    if not kept or kept == everything:
        return everything
    if _settle_all([_script(f, None, _others(f, kept))], timeout)[0].status == "unsat":
        return kept
    return everything


def _others(f: Formalisation, kept: list[int]) -> tuple[int, ...]:
    keep = set(kept)
    return tuple(i for i in range(len(f.premises)) if i not in keep)


def _option_status(option: Option, results: list[_Settled], claims: list[Claim]) -> str:
    """``holds``, ``fails`` or ``unknown``, recording one claim per check."""
    statuses = []
    for check, settled in zip(option.checks, results, strict=True):
        want = KINDS[check.kind][1]
        if settled.status == "unknown":
            statuses.append("unknown")
        else:
            statuses.append("holds" if settled.status == want else "fails")
        claims.append(Claim(f"option {option.label}: {check.kind}", _claim_status(statuses[-1] == "holds", settled),
                            settled.reason))
    if "fails" in statuses:
        status = "fails"
    elif "unknown" in statuses:
        status = "unknown"
    else:
        status = "holds"
    if option.exception and status != "unknown":
        status = "fails" if status == "holds" else "holds"
    return status


def _claim_status(holds: bool, settled: _Settled) -> str:
    if settled.status == "unknown":
        return "unknown"
    return "proved" if holds else "refuted"


def _script(f: Formalisation, extra: str | None, without: tuple[int, ...] = ()) -> str:
    lines = [f.declarations.strip()]
    lines += [f"(assert {p})" for i, p in enumerate(f.premises) if i not in without]
    if extra is not None:
        lines.append(f"(assert {extra})")
    lines.append("(check-sat)")
    return "\n".join(lines) + "\n"


def _settle_all(scripts: Sequence[str], timeout: float) -> list[_Settled]:
    """Each script asked of z3 and cvc5 at once; an answer of z3's that cvc5 leaves open is asked again.

    A "sat" goes to cvc5 with finite model finding, an "unsat" to cvc5 with
    exhaustive quantifier instantiation; each retry counts only for the answer
    it was asked to confirm.
    """
    answers = solvers.ask_scripts([(s, name) for s in scripts for name in ("z3", "cvc5")], timeout=timeout)
    pairs = [(answers[2 * i], answers[2 * i + 1]) for i in range(len(scripts))]
    # z3 has answered and cvc5 could not: ask cvc5 again in the configuration made for that answer.
    retry = [(i, "cvc5-fmf" if z.status == "sat" else "cvc5-saturate") for i, (z, c) in enumerate(pairs)
             if z.status in ("sat", "unsat") and c.status == "unknown"]
    extra = dict(zip((i for i, _ in retry), solvers.ask_scripts([(scripts[i], name) for i, name in retry],
                                                                timeout=timeout), strict=True)) if retry else {}
    out = []
    for i, (z, c) in enumerate(pairs):
        tried: tuple[solvers.SolverAnswer, ...] = (z, c) if i not in extra else (z, c, extra[i])
        out.append(_agree(tried))
    return out


def _agree(answers: tuple[solvers.SolverAnswer, ...]) -> _Settled:
    z, c, *again = answers
    if z.status == c.status and z.status != "unknown":
        return _Settled(z.status, f"z3 and cvc5: {z.status}", answers)
    if again and z.status == again[0].status == "sat" and again[0].options and \
            again[0].options.get("finite-model-find") == "true":
        return _Settled("sat", "z3: sat; cvc5 (finite-model-find): sat", answers)
    if again and z.status == again[0].status == "unsat" and again[0].options and \
            again[0].options.get("full-saturate-quant") == "true":
        return _Settled("unsat", "z3: unsat; cvc5 (full-saturate-quant): unsat", answers)
    if {z.status, c.status} == {"sat", "unsat"}:
        return _Settled("unknown", f"solver-disagreement: z3 says {z.status}, cvc5 says {c.status}", answers)
    reasons = "; ".join(f"{a.solver}: {a.reason or a.status}" for a in answers)
    return _Settled("unknown", f"not settled ({reasons})", answers)
