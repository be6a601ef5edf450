"""Repair of refuted value proposals, and solving a task outright.

A repair is REPAIRED only when check() accepts the repaired value; it keeps
the most leaf fields of the proposal, then moves its numbers least; every
solver answer it used is in the verdict.  Nothing here is trusted on the
solvers' word: the meta tests break the search and expect no REPAIRED.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from assay.kernel import Outcome, check
from assay.kernel import claims as _claims
from assay.kernel import repair as repair_module
from assay.kernel.faults import Fault, lie
from assay.kernel.pool import Job
from assay.kernel.repair import repair, solve_outright
from assay.proofs.recheck import recheck_file
from assay.specs import Between, Given, Length, MaxLen, Proposal, load, spec
from assay.specs import queries as q
from hypothesis import given, settings
from hypothesis import strategies as st

from .paths import OK
from .solver_faults import faulty_solvers

LIB = "assay.specs.library."

PUZZLE = [[0 if ch == "." else int(ch) for ch in row] for row in (
    "53..7....", "6..195...", ".98....6.", "8...6...3", "4..8.3..1",
    "7...2...6", ".6....28.", "...419..5", "....8..79")]
SOLUTION = [[int(ch) for ch in row] for row in (
    "534678912", "672195348", "198342567", "859761423", "426853791",
    "713924856", "961537284", "287419635", "345286179")]
MEETINGS = [
    {"name": "standup", "duration": 1, "available_from": 9, "available_until": 10},
    {"name": "review", "duration": 2, "available_from": 9, "available_until": 17},
    {"name": "retro", "duration": 1, "available_from": 13, "available_until": 18},
]
ITEMS = [
    {"name": "tent", "weight": 5, "value": 10},
    {"name": "stove", "weight": 4, "value": 40},
    {"name": "rope", "weight": 6, "value": 30},
    {"name": "lamp", "weight": 3, "value": 50},
]

# --- small specs of this module's own ---------------------------------------------

Digit = Annotated[int, Between(0, 9)]


@dataclass(frozen=True)
class Pair:
    """Two numbers."""

    x: Annotated[int, Between(0, 100)]
    y: Annotated[int, Between(0, 100)]


@spec
def weighted_sum(total: Given[int], pair: Proposal[Pair]) -> bool:
    """Twice x plus y makes the total: moving x by one moves the sum by two."""
    return 2 * pair.x + pair.y == total


@spec
def all_equal(xs: Proposal[Annotated[list[Digit], Length(5)]]) -> bool:
    """Five digits, all the same."""
    return all(x == xs[0] for x in xs)


@spec
def short_and_small(xs: Proposal[Annotated[list[Digit], MaxLen(4)]]) -> bool:
    """At most two digits, each below 5."""
    return len(xs) <= 2 and all(x < 5 for x in xs)


@dataclass(frozen=True)
class Member:
    """A sign-up: a name and an age."""

    name: Annotated[str, MaxLen(6)]
    age: Annotated[int, Between(0, 150)]


@spec
def sign_up(taken: Given[list[str]], member: Proposal[Member]) -> bool:
    """A free, non-empty name, and an adult."""
    return len(member.name) >= 1 and member.name not in taken and member.age >= 18


def _holds(s: Any, givens: dict[str, Any], answer: Any) -> bool:
    value = s.decode_proposal(answer)
    return not s.out_of_bounds(value) and s.holds({**s.decode_givens(givens), s.proposal.name: value})


def _fresh_vacuity_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 'no solution' answers are cached per task; an injected solver must not meet a cached answer."""
    monkeypatch.setattr(_claims, "_VACUITY", {})


TIMEOUT = lie("unknown", reason="timeout")


def _always_timeout(_job: Job) -> Fault:
    return TIMEOUT


def _changes_below_two(job: Job) -> Fault | None:
    """A timeout for the nearest-solution queries that allow fewer than 2 changed leaves (their last assertion)."""
    last = [line for line in job.smtlib.splitlines() if line.startswith("(assert ")][-1]
    bound = re.fullmatch(r"\(assert \(<= \(\+ \(ite .*\) (\d+)\)\)", last)
    return TIMEOUT if bound is not None and int(bound.group(1)) < 2 else None


# --- repairs of library specs ----------------------------------------------------------


def test_sudoku_one_wrong_cell_is_repaired_with_that_cell_alone() -> None:
    wrong = copy.deepcopy(SOLUTION)
    wrong[0][2] = 7
    v = repair(load(LIB + "sudoku:sudoku"), {"puzzle": PUZZLE}, wrong)
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.answer == SOLUTION
    assert v.changes == ("proposal[0][2]: 7 -> 4",)
    assert [(c.name, c.status) for c in v.claims] == [("unique", "proved")]
    assert v.reason.startswith("repaired: 1 field changed (proposal[0][2]: 7 -> 4); minimal: it is the only solution")


def test_the_certificate_is_the_repaired_values_and_rechecks(tmp_path: Path) -> None:
    v = repair(load(LIB + "word_problem:chickens_and_rabbits"), {"heads": 10, "legs": 28},
               {"chickens": 6, "rabbits": 3}, store=tmp_path)
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.certificate is not None
    cert = json.loads(Path(v.certificate).read_text())
    assert cert["proposal"] == {"chickens": 6, "rabbits": 4}
    assert cert["verdict"] == "accepted"
    result = recheck_file(v.certificate)
    assert result.ok, result


def test_word_problem_number_changed_least() -> None:
    v = repair(load(LIB + "word_problem:chickens_and_rabbits"), {"heads": 10, "legs": 28},
               {"chickens": 7, "rabbits": 4})
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.answer == {"chickens": 6, "rabbits": 4}
    assert v.changes == ("proposal.chickens: 7 -> 6",)


def test_least_change_among_equally_few_fields() -> None:
    # (10, 20) with 2x + y = 60: x -> 20 moves 10, y -> 40 moves 20; both change one field.
    v = repair(weighted_sum, {"total": 60}, {"x": 10, "y": 20})
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.changes == ("proposal.x: 10 -> 20",)
    assert v.answer == {"x": 20, "y": 20}
    assert "total change of the numbers 10, the least (UNSAT below it on z3 and cvc5)" in v.reason
    assert "minimal: the proposal itself is refuted" in v.reason


def test_knapsack_overweight_repaired_to_the_nearest_optimal_choice(tmp_path: Path) -> None:
    # tent+stove+rope weigh 15 > 10; the optimum (value 90) is stove+lamp: three flips away, not fewer.
    v = repair(load(LIB + "knapsack:knapsack"), {"items": ITEMS, "capacity": 10}, [True, True, True, False],
               store=tmp_path)
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.answer == [False, True, False, True]
    assert v.changes == ("proposal[0]: true -> false", "proposal[2]: true -> false", "proposal[3]: false -> true")
    assert "minimal: none with at most 2 changed: UNSAT on z3 and cvc5" in v.reason
    assert [(c.name, c.status) for c in v.claims] == [("optimal", "proved")]
    assert recheck_file(v.certificate or "").ok


def test_scheduling_start_moved_least() -> None:
    # The review (2 h) at 16 overruns its window (until 17); it must end by the retro at 13 and start after
    # the standup (9-10): 10 or 11, and 11 is nearer to 16.
    givens = {"meetings": MEETINGS, "precedence": [{"first": 1, "then": 2}]}
    v = repair(load(LIB + "scheduling:meeting_schedule"), givens, [9, 16, 13])
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.changes == ("proposal[1]: 16 -> 11",)
    assert v.answer == [9, 11, 13]


def test_keeping_the_majority_is_the_unique_nearest() -> None:
    v = repair(all_equal, {}, [3, 3, 7, 3, 8])
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.answer == [3, 3, 3, 3, 3]
    assert v.changes == ("proposal[2]: 7 -> 3", "proposal[4]: 8 -> 3")
    assert "2 fields changed" in v.reason
    assert "minimal: none with at most 1 changed: UNSAT on z3 and cvc5" in v.reason


def test_a_list_too_long_loses_its_last_item() -> None:
    v = repair(load(LIB + "sorting:sorting"), {"numbers": [5, 3, 9, 1]}, [1, 3, 5, 9, 9])
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.answer == [1, 3, 5, 9]
    assert v.changes == ("len(proposal): 5 -> 4", "proposal[4]: 9 -> (absent)")


def test_a_list_over_its_bound_loses_what_cannot_be_kept() -> None:
    v = repair(short_and_small, {}, [1, 2, 3, 4, 5, 6])
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.answer == [1, 2]
    assert v.changes == ("len(proposal): 6 -> 2", "proposal[2]: 3 -> (absent)", "proposal[3]: 4 -> (absent)",
                         "proposal[4]: 5 -> (absent)", "proposal[5]: 6 -> (absent)")


@pytest.mark.parametrize(("member", "change"), [
    ({"name": "bob", "age": 17}, "proposal.age: 17 -> 18"),
    ({"name": "alice", "age": 30}, 'proposal.name: "alice" -> "{}"'),
])
def test_a_record_field_is_repaired_and_the_others_kept(member: dict[str, Any], change: str) -> None:
    v = repair(sign_up, {"taken": ["alice"]}, member)
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert v.changes == (change.format(v.answer["name"]),)
    assert _holds(sign_up, {"taken": ["alice"]}, v.answer)


def test_items_removed_and_changed_are_counted_alike() -> None:
    # [7, 1, 8]: dropping the 8 and lowering the 7 is 3 fields (the length, two items).
    v = repair(short_and_small, {}, [7, 1, 8])
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert len(v.changes) == 3
    assert v.changes[0] == "len(proposal): 3 -> 2"
    assert _holds(short_and_small, {}, v.answer)


# --- what is not repaired ------------------------------------------------------------------


def test_an_accepted_proposal_comes_back_as_check_says() -> None:
    s = load(LIB + "word_problem:chickens_and_rabbits")
    v = repair(s, {"heads": 10, "legs": 28}, {"chickens": 6, "rabbits": 4})
    assert v.outcome is Outcome.ACCEPTED
    assert v.reason == check(s, {"heads": 10, "legs": 28}, {"chickens": 6, "rabbits": 4}).reason
    assert v.changes == ()


def test_a_malformed_proposal_is_not_repaired() -> None:
    v = repair(all_equal, {}, [3, "three", 3, 3, 3])
    assert v.outcome is Outcome.MALFORMED
    assert v.where is not None
    assert v.where.path == "proposal[1]"


def test_no_solution_is_vacuous() -> None:
    v = repair(load(LIB + "word_problem:chickens_and_rabbits"), {"heads": 10, "legs": 27},
               {"chickens": 6, "rabbits": 4})
    assert v.outcome is Outcome.VACUOUS
    assert "no proposal can meet the spec" in v.reason
    assert any(a["result"] == "unsat" for a in v.solvers)


def test_a_proposal_that_holds_but_is_not_unique_is_not_repaired() -> None:
    v = repair(load(f"{OK}:chained"), {"lo": 0, "hi": 5}, 1)
    assert v.outcome is Outcome.REFUTED
    assert v.reason.endswith("not repaired: the proposal meets the spec but is not its only solution, "
                             "so no repair can be unique")


def test_solver_timeouts_leave_the_proposal_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_vacuity_cache(monkeypatch)
    with faulty_solvers(_always_timeout) as pool:
        v = repair(all_equal, {}, [3, 3, 7, 3, 8], timeout=1.0)
    assert pool.injected
    assert v.outcome is Outcome.REFUTED
    assert "not repaired: timeout" in v.reason
    assert v.answer is None
    assert v.changes == ()
    assert v.solvers, "the answers the search used are listed even when it fails"


def test_a_timeout_below_the_first_solution_is_reported_not_proved(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_vacuity_cache(monkeypatch)
    with faulty_solvers(_changes_below_two) as pool:
        v = repair(all_equal, {}, [3, 3, 7, 3, 8])
    assert pool.injected, "no query allowed fewer than 2 changes: the fault was never reached"
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert len(v.changes) == 2
    assert re.search(r"; not proved minimal: timeout \([^)]*\), asking for a solution with at most 1 changed;",
                     v.reason), v.reason


def test_no_budget_no_search() -> None:
    v = repair(all_equal, {}, [3, 3, 7, 3, 8], budget=0.0)
    assert v.outcome is Outcome.REFUTED
    assert "not repaired: budget: " in v.reason


# --- soundness: a broken search is caught ------------------------------------------------


def test_a_query_that_forgets_the_spec_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def spec_skipped(spec: Any, givens: Any, value: Any, **bounds: Any) -> q.Query:
        enc = q.encode(spec, givens)
        return q.Query("nearest-solution", (enc.domain,), enc)

    monkeypatch.setattr(repair_module.q, "nearest_solution", spec_skipped)
    v = repair(all_equal, {}, [3, 3, 7, 3, 8])
    assert v.outcome is not Outcome.REPAIRED
    assert v.outcome is Outcome.REFUTED
    assert "solver-model-rejected" in v.reason


def test_a_wrong_repair_is_refused_by_check(monkeypatch: pytest.MonkeyPatch) -> None:
    def wrong(asker: Any, value: Any) -> Any:
        return repair_module._Found([1, 2, 3, 4, 5], 4, "minimal: trust me")

    monkeypatch.setattr(repair_module, "_nearest", wrong)
    v = repair(all_equal, {}, [3, 3, 7, 3, 8])
    assert v.outcome is Outcome.REFUTED
    assert "not repaired: check() did not accept the nearest solution [1, 2, 3, 4, 5]" in v.reason


# --- costs ------------------------------------------------------------------------------


def test_every_solver_answer_is_listed_with_its_seconds() -> None:
    v = repair(all_equal, {}, [3, 3, 7, 3, 8])
    queries = [a for a in v.solvers if a.get("claim") == "repair"]
    # k = 1 is UNSAT (both solvers), k = 2 SAT, then the distance search: UNSAT ones need both solvers.
    assert {a["result"] for a in queries} >= {"sat", "unsat"}
    assert all(isinstance(a["seconds"], float) and a["seconds"] >= 0 for a in v.solvers)
    assert all(a["solver"] in ("z3", "cvc5") for a in v.solvers)
    assert v.seconds > 0


# --- the property: a repair always meets the spec, and its changes are exact ------------------


@settings(max_examples=8, deadline=None)
@given(st.lists(st.integers(0, 11), min_size=5, max_size=5))
def test_repaired_answers_meet_the_spec_with_exact_changes(xs: list[int]) -> None:
    v = repair(all_equal, {}, xs)
    if len(set(xs)) == 1 and xs[0] <= 9:
        assert v.outcome is Outcome.ACCEPTED
        return
    assert v.outcome is Outcome.REPAIRED, v.reason
    assert _holds(all_equal, {}, v.answer)
    expected = tuple(f"proposal[{i}]: {a} -> {b}" for i, (a, b) in enumerate(zip(xs, v.answer, strict=True))
                     if a != b)
    assert v.changes == expected
    assert expected
    # Fewest changes: keep the most common digit (10 and 11 are out of bounds: they cannot be kept).
    assert len(v.changes) == 5 - max([n for x, n in Counter(xs).items() if x <= 9] or [0])


# --- solve_outright ------------------------------------------------------------------------


@pytest.mark.parametrize(("ref", "givens"), [
    ("queens:n_queens", {"n": 6}),
    ("colouring:graph_colouring", {"vertices": 4, "edges": [[0, 1], [1, 2], [2, 3], [3, 0]], "colours": 2}),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": [{"first": 1, "then": 2}]}),
    ("word_problem:chickens_and_rabbits", {"heads": 10, "legs": 28}),
    ("sorting:sorting", {"numbers": [5, -3, 9, 1, 5]}),
])
def test_solve_outright_finds_an_accepted_answer(ref: str, givens: dict[str, Any]) -> None:
    s = load(LIB + ref)
    v = solve_outright(s, givens)
    assert v.outcome is Outcome.ACCEPTED, v.reason
    assert _holds(s, givens, v.answer)
    assert check(s, givens, v.answer).outcome is Outcome.ACCEPTED
    assert v.solvers
    assert v.reason.startswith("the solvers found it (")


def test_solve_outright_reaches_the_knapsack_optimum() -> None:
    v = solve_outright(load(LIB + "knapsack:knapsack"), {"items": ITEMS, "capacity": 10})
    assert v.outcome is Outcome.ACCEPTED, v.reason
    assert v.reason.startswith("the solvers found it (")
    assert v.answer == [False, True, False, True]
    assert [(c.name, c.status) for c in v.claims] == [("optimal", "proved")]


@pytest.mark.parametrize(("ref", "givens"), [
    ("queens:n_queens", {"n": 3}),
    ("word_problem:chickens_and_rabbits", {"heads": 10, "legs": 27}),
])
def test_solve_outright_on_impossible_givens_is_vacuous(ref: str, givens: dict[str, Any]) -> None:
    v = solve_outright(load(LIB + ref), givens)
    assert v.outcome is Outcome.VACUOUS
    assert v.reason == "no proposal can meet the spec for these givens (the solvers proved it: UNSAT on z3 and cvc5)"
    assert v.answer is None


def test_solve_outright_timeout_is_unknown() -> None:
    with faulty_solvers(_always_timeout):
        v = solve_outright(load(LIB + "queens:n_queens"), {"n": 6}, timeout=1.0)
    assert v.outcome is Outcome.UNKNOWN
    assert v.reason.startswith("timeout")
    assert v.answer is None


def test_solve_outright_with_bad_givens_is_malformed() -> None:
    v = solve_outright(load(LIB + "queens:n_queens"), {"n": "six"})
    assert v.outcome is Outcome.MALFORMED
    assert v.where is not None
    assert v.where.path == "givens.n"


def test_solve_outright_on_an_ambiguous_unique_spec_is_not_accepted() -> None:
    v = solve_outright(load(f"{OK}:chained"), {"lo": 0, "hi": 5})  # 1 and 3 both meet it
    assert v.outcome is Outcome.REFUTED
    assert re.fullmatch(r"the solvers' answer [13]: the unique claim fails: another proposal also meets the spec: [13]",
                        v.reason), v.reason
