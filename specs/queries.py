"""The solver queries behind a spec's claims, each stated as "this is UNSAT".

* :func:`any_solution`: some proposal meets the spec for these givens.  UNSAT
  means the task is impossible (the verdict VACUOUS).
* :func:`another_solution`: a proposal other than this one meets the spec.
  UNSAT proves the proposal is the only solution (``unique``).
* :func:`better_solution`: a proposal meets the spec with a strictly better
  objective.  UNSAT proves the proposal optimal (``optimal``).

A SAT answer comes with a model that :meth:`Query.witness` decodes into a
proposal; the kernel confirms it with the trusted evaluator before it refutes
anything, so a wrong model can cost a verdict (UNKNOWN) but never flip one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import terms
from .evaluate import evaluate
from .language import Spec
from .symbolic import Encoding, encode

__all__ = ["Query", "another_solution", "any_solution", "better_solution", "objective_value"]


@dataclass(frozen=True)
class Query:
    """A named satisfiability question over a spec's encoding."""

    name: str
    assertions: tuple[terms.Term, ...]
    encoding: Encoding

    def witness(self, model: Mapping[str, Any]) -> Any:
        """The proposal a model of the query describes."""
        return self.encoding.decode(model)

    def smtlib(self) -> str:
        """The query as SMT-LIB2 text, for certificates and other solvers."""
        from .smt import to_smtlib

        return to_smtlib(self.assertions)


def any_solution(spec: Spec, givens: Mapping[str, Any]) -> Query:
    """Is there any proposal that meets the spec for ``givens``?"""
    enc = encode(spec, givens)
    return Query("any-solution", (enc.spec_term,), enc)


def another_solution(spec: Spec, givens: Mapping[str, Any], value: Any) -> Query:
    """Is there a proposal other than ``value`` that meets the spec?"""
    enc = encode(spec, givens)
    return Query("another-solution", (enc.spec_term, terms.not_(enc.equals(value))), enc)


def objective_value(spec: Spec, givens: Mapping[str, Any], value: Any) -> int:
    """The objective of a proposal, by the concrete evaluator (raises Undefined if it raises)."""
    if spec.ir.objective is None:
        raise ValueError(f"{spec.name} has no objective")
    result = evaluate(spec.ir.objective, {**givens, spec.proposal.name: value})
    return int(result)


def better_solution(spec: Spec, givens: Mapping[str, Any], value: Any) -> Query:
    """Is there a proposal meeting the spec with a strictly better objective than ``value``'s?"""
    enc = encode(spec, givens)
    if enc.objective is None or enc.objective_defined is None:
        raise ValueError(f"{spec.name} has no objective")
    current = terms.int_const(objective_value(spec, givens, value))
    better = terms.gt(enc.objective, current) if spec.sense == "max" else terms.lt(enc.objective, current)
    return Query("better-solution", (enc.spec_term, enc.objective_defined, better), enc)

