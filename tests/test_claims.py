"""Claims proved by the solvers: uniqueness, optimality, and VACUOUS for impossible tasks.

UNSAT must come from both solvers; a SAT model must be confirmed by the
evaluator; everything else is UNKNOWN with its reason.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from assay.kernel import Outcome, check, solvers
from assay.kernel.faults import Fault, lie, on_solvers
from assay.specs import load
from assay.specs import queries as q

from .paths import OK
from .solver_faults import faulty_solvers

KNAP = {"weights": [3, 4, 5, 6], "values": [4, 5, 6, 8], "capacity": 10}


def test_unique_proved_by_both_solvers() -> None:
    v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 1)
    assert v.outcome is Outcome.ACCEPTED
    assert [(c.name, c.status) for c in v.claims] == [("unique", "proved")]
    assert [(a["solver"], a["result"]) for a in v.solvers] == [("z3", "unsat"), ("cvc5", "unsat")]
    assert all(a["version"] not in ("", "unknown", "unavailable") for a in v.solvers)


def test_not_unique_is_refuted_with_a_confirmed_witness() -> None:
    spec = load(f"{OK}:chained")
    v = check(spec, {"lo": 0, "hi": 5}, 1)
    assert v.outcome is Outcome.REFUTED
    assert v.witness == 3
    assert v.reason == "the unique claim fails: another proposal also meets the spec: 3"
    assert [(x.clause, x.detail) for x in v.violations] == [
        ("unique", "another proposal also meets the spec: 3")]


def test_impossible_task_is_vacuous() -> None:
    v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 1}, 1)
    assert v.outcome is Outcome.VACUOUS
    assert v.reason.startswith("no proposal can meet the spec for these givens (the solvers proved it: "
                               "UNSAT on z3 and cvc5); this one fails too: ")


def test_possible_task_with_a_wrong_proposal_stays_refuted() -> None:
    v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 2)
    assert v.outcome is Outcome.REFUTED


def test_optimal_proved() -> None:
    v = check(load(f"{OK}:knapsack"), KNAP, [False, True, False, True])  # 4 + 6 <= 10, value 13
    assert v.outcome is Outcome.ACCEPTED
    assert [(c.name, c.status) for c in v.claims] == [("optimal", "proved")]


def test_feasible_but_not_optimal_is_refuted_with_a_better_witness() -> None:
    spec = load(f"{OK}:knapsack")
    v = check(spec, KNAP, [True, True, False, False])  # weight 7, value 9
    assert v.outcome is Outcome.REFUTED
    better = v.witness
    assert sum(w for w, t in zip(KNAP["weights"], better, strict=True) if t) <= 10
    assert sum(x for x, t in zip(KNAP["values"], better, strict=True) if t) > 9
    assert v.violations[0].clause == "optimal"


def test_a_solver_model_the_evaluator_rejects_is_unknown() -> None:
    lying = lie("sat", {"x": 1})  # 1 is the proposal itself
    with faulty_solvers(on_solvers({"z3": lying, "cvc5": lying})) as pool:
        v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 1)
    assert pool.injected
    assert v.outcome is Outcome.UNKNOWN
    assert v.reason.startswith("solver-model-rejected: ")


def test_solver_disagreement_is_unknown() -> None:
    # cvc5's model comes second, so that z3's unsat is in before the race would stop at a model.
    with faulty_solvers(on_solvers({"z3": lie("unsat"), "cvc5": lie("sat", {"x": 3}, after=0.5)})):
        v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 1)
    assert v.outcome is Outcome.UNKNOWN
    # The reproducer it names is tested in tests/test_recheck_replay.py.
    assert re.fullmatch(r"solver-disagreement: z3 says unsat, cvc5 says sat \(reproducer: \S+\.smt2\): "
                        r"could not prove the unique claim", v.reason), v.reason


def test_unsat_from_one_solver_alone_is_not_a_proof() -> None:
    with faulty_solvers(on_solvers({"z3": lie("unsat"), "cvc5": lie("unknown", reason="timeout")})):
        v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 1)
    assert v.outcome is Outcome.UNKNOWN
    assert v.reason == "timeout (cvc5: timeout): could not prove the unique claim"


class _BrokenPool:
    """A pool whose every call fails, as an infrastructure fault would."""

    size = 2

    def solve(self, job: Any) -> Any:
        raise RuntimeError("segfault-ish")

    def run_many(self, jobs: Any, **_: Any) -> Any:
        raise RuntimeError("segfault-ish")


def test_a_solver_crash_is_unknown_not_an_answer() -> None:
    query = q.any_solution(load(f"{OK}:chained"), {"lo": 0, "hi": 3})
    with solvers.use_pool(_BrokenPool()):
        answer = solvers.run(query, "z3", timeout=1)
    assert answer.status == "unknown"
    assert answer.reason == "error: RuntimeError: segfault-ish"
    with faulty_solvers(on_solvers({"z3": Fault("segfault")})):
        answer = solvers.run(query, "z3", timeout=1)
    assert (answer.status, answer.reason) == ("unknown", "crash: the worker died (SIGSEGV)")


@pytest.mark.parametrize("raw", ["SAT?", "unknown", "", "timeout", "unsat\n(error)", " unsat ", "UNSAT", "Sat",
                                 "sat\n", "unknown (INCOMPLETE)"])
def test_only_exact_sat_and_unsat_are_answers(raw: str) -> None:
    answer = solvers.read_answer("z3", "1", raw, model={"x": 1})
    assert (answer.status, answer.reason, answer.model) == ("unknown", f"solver said {raw!r}", None)


def test_sat_and_unsat_words() -> None:
    assert solvers.read_answer("z3", "1", "sat").status == "sat"
    # No trimming, no case folding: z3 and cvc5 say exactly "unsat"; anything else is not their word.
    assert solvers.read_answer("z3", "1", "unsat").status == "unsat"
    assert solvers.read_answer("z3", "1", " unsat ").status == "unknown"


def test_claim_violations_point_at_the_decorator_that_asks_for_them() -> None:
    spec = load(f"{OK}:chained")
    v = check(spec, {"lo": 0, "hi": 5}, 1)
    line = OK.read_text().splitlines()[v.violations[0].line - 1]
    assert line == "@spec(unique=True)"
