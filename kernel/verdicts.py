"""Verdicts: what the kernel decides about a proposal, with the evidence to act on.

A verdict is data, not an exception.  Only kernel functions make them: the
constructor wants a token private to the kernel, ``dataclasses.replace``
cannot copy one (the token is an init-only field), and ``copy``,
``copy.deepcopy`` and ``pickle`` refuse them.  Python cannot stop a
determined forger (``object.__new__`` and ``object.__setattr__`` still make
one); it can make forging awkward and visible, and a test checks that it is.
What a stored verdict is worth is what ``assay recheck`` derives again from
its certificate, not the object.

Outcomes:

* ACCEPTED: the trusted evaluator ran the spec on the proposal and got True
  (and every claim the spec asks for was proved);
* REPAIRED: a repaired proposal is ACCEPTED (the offload loop's, later);
* REFUTED: the spec is false on the proposal; ``violations`` say which
  clauses, on which lines, with which values;
* UNKNOWN: could not decide (time, memory, unsupported, solvers disagree);
  ``reason`` says which.  Unknown is never yes;
* MALFORMED: the proposal is not a value of the declared shape, or the text
  holds no parsable answer; ``where`` points at it;
* VACUOUS: the proposal is wrong and no proposal could be right: the spec has
  no solution for these givens.
"""

from __future__ import annotations

import enum
from dataclasses import InitVar, dataclass, field
from typing import Any, Final, NoReturn, SupportsIndex, final

__all__ = ["Claim", "Location", "Outcome", "Verdict", "Violation"]


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    REPAIRED = "repaired"
    REFUTED = "refuted"
    UNKNOWN = "unknown"
    MALFORMED = "malformed"
    VACUOUS = "vacuous"

    def __str__(self) -> str:
        return self.name


@final
@dataclass(frozen=True)
class Violation:
    """One violated clause: its source text and line, and what breaks it, in words."""

    clause: str
    line: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"clause": self.clause, "line": self.line, "detail": self.detail}


@final
@dataclass(frozen=True)
class Location:
    """Where in a proposal (or its line of input) something is wrong.

    ``line`` and ``column`` are 1-based positions in the text the proposal came
    from (0 when there is no text position); ``path`` names the part of the
    value, like ``proposal[3][1]`` or ``givens.puzzle``.
    """

    line: int = 0
    column: int = 0
    path: str = ""

    def __str__(self) -> str:
        pos = f"line {self.line}, column {self.column}" if self.line else ""
        return ", ".join(p for p in (pos, self.path) if p) or "(unknown position)"

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "path": self.path}


@final
@dataclass(frozen=True)
class Claim:
    """A claim beyond 'the spec holds' (``unique``, ``optimal``) and how it was settled.

    ``status`` is ``proved`` (UNSAT of its negation, confirmed by both
    solvers), ``refuted`` (a counterexample the evaluator confirmed) or
    ``unknown``.
    """

    name: str
    status: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


class _Token:
    __slots__ = ()


_KERNEL: Final = _Token()
_NOT_COPIED: Final = ("Verdict objects are not copied or pickled: they are made by assay.kernel functions only "
                      "(share the object; it is immutable)")


@final
@dataclass(frozen=True)
class Verdict:
    """The kernel's decision on one proposal.  Made only by kernel functions."""

    outcome: Outcome
    reason: str
    violations: tuple[Violation, ...] = ()
    where: Location | None = None
    claims: tuple[Claim, ...] = ()
    witness: Any = None
    certificate: str | None = None
    seconds: float = 0.0
    solvers: tuple[dict[str, Any], ...] = ()  # every solver answer this verdict rests on
    # The answer a formalisation entails (an option label), or the repaired value (REPAIRED).
    answer: Any = None
    # REPAIRED: what was changed, one line each ("proposal.age: 17 -> 18", or a repair rule's name).
    changes: tuple[str, ...] = ()
    _token: InitVar[object] = field(default=None, kw_only=True)

    def __post_init__(self, _token: object) -> None:
        if _token is not _KERNEL:
            raise TypeError("Verdict objects are made by assay.kernel functions only "
                            "(use assay.kernel.check)")

    # A copy or an unpickled verdict would be one the kernel never made: refused.
    def __copy__(self) -> NoReturn:
        raise TypeError(_NOT_COPIED)

    def __deepcopy__(self, memo: object) -> NoReturn:
        raise TypeError(_NOT_COPIED)

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        raise TypeError(_NOT_COPIED)

    def __reduce__(self) -> NoReturn:
        raise TypeError(_NOT_COPIED)

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    def to_json(self) -> dict[str, Any]:
        """The verdict as the JSON object `assay check --format json` prints (less id)."""
        return {
            "verdict": self.outcome.value,
            "reason": self.reason,
            "violations": [v.to_json() for v in self.violations],
            "where": self.where.to_json() if self.where else None,
            "claims": [c.to_json() for c in self.claims],
            "certificate": self.certificate,
            "seconds": round(self.seconds, 6),
            **({"answer": self.answer} if self.answer is not None else {}),
            **({"changes": list(self.changes)} if self.changes else {}),
        }

    def __str__(self) -> str:
        lines = [f"{self.outcome}: {self.reason}"]
        lines += [f"  line {v.line}: {v.detail}" for v in self.violations]
        return "\n".join(lines)


def make(outcome: Outcome, reason: str, **fields: Any) -> Verdict:
    """The kernel's one way to build a verdict (kernel modules only)."""
    return Verdict(outcome, reason, _token=_KERNEL, **fields)


def with_fields(verdict: Verdict, **changes: Any) -> Verdict:
    """A copy of ``verdict`` with some fields changed (kernel modules only)."""
    current = {
        "violations": verdict.violations, "where": verdict.where, "claims": verdict.claims,
        "witness": verdict.witness, "certificate": verdict.certificate, "seconds": verdict.seconds,
        "solvers": verdict.solvers, "answer": verdict.answer, "changes": verdict.changes,
    }
    current.update(changes)
    outcome = current.pop("outcome", verdict.outcome)
    reason = current.pop("reason", verdict.reason)
    return make(outcome, reason, **current)
