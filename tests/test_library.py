"""The spec library: right answers are accepted, wrong ones refuted on the right lines.

Every spec has cases in both directions, so a kernel that accepts everything,
or refutes everything, fails here.  Violated lines are found in the spec's
source file by the clause's text, not taken from the front end, so a wrong
line attribution fails too.  Most cases skip the vacuity query
(``vacuity=False``): the solver path has its own tests below.
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome, check
from assay.kernel.check import explain_violations
from assay.specs import Spec, load
from assay.specs.domains import (
    Domain,
    IntDomain,
    ListDomain,
    RecordDomain,
    StrDomain,
    TupleDomain,
)
from assay.specs.library import SPECS
from assay.specs.program_spec import ProgramSpec
from hypothesis import given, settings
from hypothesis import strategies as st

LIB = "assay.specs.library."

# --- shared task data -----------------------------------------------------------

PUZZLE = [[0 if ch == "." else int(ch) for ch in row] for row in (
    "53..7....", "6..195...", ".98....6.", "8...6...3", "4..8.3..1",
    "7...2...6", ".6....28.", "...419..5", "....8..79")]
SOLUTION = [[int(ch) for ch in row] for row in (
    "534678912", "672195348", "198342567", "859761423", "426853791",
    "713924856", "961537284", "287419635", "345286179")]


def swapped(grid: list[list[int]], a: tuple[int, int], b: tuple[int, int]) -> list[list[int]]:
    out = copy.deepcopy(grid)
    out[a[0]][a[1]], out[b[0]][b[1]] = out[b[0]][b[1]], out[a[0]][a[1]]
    return out


def changed(grid: list[list[int]], row: int, col: int, digit: int) -> list[list[int]]:
    out = copy.deepcopy(grid)
    out[row][col] = digit
    return out


SQUARE = [[0, 1], [1, 2], [2, 3], [3, 0]]
MEETINGS = [
    {"name": "standup", "duration": 1, "available_from": 9, "available_until": 10},
    {"name": "review", "duration": 2, "available_from": 9, "available_until": 17},
    {"name": "retro", "duration": 1, "available_from": 13, "available_until": 18},
]
REVIEW_BEFORE_RETRO = [{"first": 1, "then": 2}]
ITEMS = [
    {"name": "tent", "weight": 5, "value": 10},
    {"name": "stove", "weight": 4, "value": 40},
    {"name": "rope", "weight": 6, "value": 30},
    {"name": "lamp", "weight": 3, "value": 50},
]
TAKEN = ["alice", "bob"]


def line_of(ref: str, snippet: str) -> int:
    """The line of the spec's file where ``snippet`` occurs in the spec's body (once)."""
    spec = load(LIB + ref)
    source, start = inspect.getsourcelines(spec.fn)
    hits = [start + i for i, text in enumerate(source) if snippet in text]
    assert len(hits) == 1, f"{snippet!r} occurs on lines {hits} of {spec.file}"
    return hits[0]


# --- the table: (spec, givens, proposal) and what the kernel must say ----------

ACCEPTED: list[tuple[str, dict[str, Any], Any]] = [
    ("sudoku:sudoku_grid", {"puzzle": PUZZLE}, SOLUTION),
    ("sudoku:sudoku_grid", {"puzzle": [[0] * 9 for _ in range(9)]}, SOLUTION),
    ("queens:n_queens", {"n": 8}, [0, 4, 7, 5, 2, 6, 1, 3]),
    ("queens:n_queens", {"n": 1}, [0]),
    ("queens:n_queens", {"n": 4}, [1, 3, 0, 2]),
    ("colouring:graph_colouring", {"vertices": 4, "edges": SQUARE, "colours": 2}, [0, 1, 0, 1]),
    ("colouring:graph_colouring", {"vertices": 3, "edges": [], "colours": 1}, [0, 0, 0]),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": REVIEW_BEFORE_RETRO},
     [9, 10, 13]),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": []}, [9, 14, 13]),
    ("sorting:sorting", {"numbers": [3, 1, 2, 1]}, [1, 1, 2, 3]),
    ("sorting:sorting", {"numbers": []}, []),
    ("sorting:sorting", {"numbers": [-5, 10**9, -(10**9)]}, [-(10**9), -5, 10**9]),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": "carol_2", "password": "Plum-Kettle-97"}),
    ("accounts:account_policy", {"taken": []}, {"username": "abc", "password": "aB3#aB3#aB"}),
]

# (spec, givens, proposal, snippets of the clauses that must be reported violated)
REFUTED: list[tuple[str, dict[str, Any], Any, list[str]]] = [
    ("sudoku:sudoku_grid", {"puzzle": PUZZLE}, swapped(SOLUTION, (4, 1), (4, 2)),
     ["and columns_all_different(solution)"]),
    ("sudoku:sudoku_grid", {"puzzle": PUZZLE}, swapped(SOLUTION, (0, 2), (1, 1)),
     ["and rows_all_different(solution)", "and columns_all_different(solution)"]),
    ("sudoku:sudoku_grid", {"puzzle": PUZZLE}, changed(SOLUTION, 4, 4, 1),
     ["and rows_all_different(solution)", "and columns_all_different(solution)",
      "and boxes_all_different(solution)"]),
    ("sudoku:sudoku_grid", {"puzzle": PUZZLE}, changed(SOLUTION, 4, 3, 1),
     ["keeps_the_givens(puzzle, solution)", "and rows_all_different(solution)",
      "and columns_all_different(solution)", "and boxes_all_different(solution)"]),
    ("sudoku:sudoku", {"puzzle": PUZZLE}, changed(SOLUTION, 0, 0, 9),
     ["keeps_the_givens(puzzle, solution)", "and rows_hold_each_digit_once(solution)",
      "and columns_hold_each_digit_once(solution)", "and boxes_hold_each_digit_once(solution)"]),
    ("queens:n_queens", {"n": 8}, [0, 4, 7, 5, 2, 6, 3, 1], ["abs(queens[row] - queens[other])"]),
    ("queens:n_queens", {"n": 8}, [0, 4, 7, 5, 2, 6, 1, 1],
     ["queens[row] != queens[other]", "abs(queens[row] - queens[other])"]),
    ("queens:n_queens", {"n": 8}, [0, 4, 7, 5, 2, 6, 1], ["len(queens) == n"]),
    ("queens:n_queens", {"n": 4}, [1, 3, 0, 5], ["queens[row] < n", "abs(queens[row] - queens[other])"]),
    ("colouring:graph_colouring", {"vertices": 4, "edges": SQUARE, "colours": 2}, [0, 1, 1, 0],
     ["colouring[u] != colouring[v]"]),
    ("colouring:graph_colouring", {"vertices": 4, "edges": SQUARE, "colours": 2}, [0, 1, 0, 2],
     ["colouring[vertex] < colours"]),
    # Too short: the edge clause then indexes past the end, and says so (IndexError).
    ("colouring:graph_colouring", {"vertices": 4, "edges": SQUARE, "colours": 2}, [0, 1, 0],
     ["len(colouring) == vertices", "colouring[u] != colouring[v]"]),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": REVIEW_BEFORE_RETRO},
     [9, 12, 13], ["starts[first] + meetings[first].duration <= starts[second]",
                   "starts[order.first] + meetings[order.first].duration"]),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": REVIEW_BEFORE_RETRO},
     [8, 10, 13], ["meeting.available_from <= start"]),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": REVIEW_BEFORE_RETRO},
     [9, 10], ["len(starts) == len(meetings)",
               "starts[order.first] + meetings[order.first].duration"]),
    ("sorting:sorting", {"numbers": [3, 1, 2, 1]}, [1, 2, 1, 3], ["result[i] <= result[i + 1]"]),
    ("sorting:sorting", {"numbers": [3, 1, 2, 1]}, [1, 2, 3], ["len(result) == len(numbers)",
                                                             "result.count(value)"]),
    ("sorting:sorting", {"numbers": [3, 1, 2, 1]}, [1, 1, 2, 4], ["result.count(value)"]),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": "alice", "password": "Plum-Kettle-97"},
     ["username not in taken"]),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": "carol_2", "password": "Plum-Kettle-Tree"},
     ["password[i] in DIGITS"]),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": "2carol", "password": "Plum-Kettle-97"},
     ["username[0] in LOWER"]),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": "Carol", "password": "Plum-Kettle-97"},
     ["username[i] in USERNAME_CHARACTERS", "username[0] in LOWER"]),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": "kettle", "password": "Plum kettle-97"},
     ['" " not in password', "username not in password"]),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": "ab", "password": "Pk-9"},
     ["3 <= len(username) <= 16", "10 <= len(password) <= 64"]),
]

# (spec, givens, proposal, the start of the MALFORMED reason)
MALFORMED: list[tuple[str, dict[str, Any], Any, str]] = [
    ("sudoku:sudoku_grid", {"puzzle": PUZZLE}, SOLUTION[:8],
     "the proposal is not a list of 9 list of 9 1..9: proposal: expected a list of 9 items, got 8"),
    ("sudoku:sudoku_grid", {"puzzle": PUZZLE}, changed(SOLUTION, 2, 3, "3"),  # type: ignore[arg-type]
     "the proposal is not a list of 9 list of 9 1..9: proposal[2][3]: expected an integer, got '3' (str)"),
    ("queens:n_queens", {"n": 8}, {"queens": [0, 4]}, "the proposal is not a list of at most 12 0..11"),
    ("colouring:graph_colouring", {"vertices": 2, "edges": [[0, 1]], "colours": 2}, [0, True],
     "the proposal is not a list of at most 20 0..7: proposal[1]: expected an integer, got True (bool)"),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": []}, [9, 10.5, 13],
     "the proposal is not a list of at most 8 0..24: proposal[1]: expected an integer, got 10.5 (float)"),
    ("word_problem:chickens_and_rabbits", {"heads": 3, "legs": 8}, {"chickens": 2},
     "the proposal is not a Farmyard: proposal: missing field 'rabbits'"),
    ("knapsack:knapsack", {"items": ITEMS, "capacity": 10}, [0, 1, 0, 1],
     "the proposal is not a list of at most 16 bool: proposal[0]: expected true or false, got 0 (int)"),
    ("sorting:sorting", {"numbers": [1]}, "1",
     "the proposal is not a list of at most 32 -1000000000..1000000000"),
    ("accounts:account_policy", {"taken": TAKEN}, {"username": 12, "password": "x"},
     "the proposal is not a Account: proposal.username: expected a string, got 12 (int)"),
]


@pytest.mark.parametrize(("ref", "givens", "proposal"), ACCEPTED,
                         ids=[f"{r}-{i}" for i, (r, *_) in enumerate(ACCEPTED)])
def test_right_answers_are_accepted(ref: str, givens: dict[str, Any], proposal: Any) -> None:
    verdict = check(load(LIB + ref), givens, proposal, vacuity=False)
    assert verdict.outcome is Outcome.ACCEPTED, str(verdict)
    assert verdict.violations == ()


@pytest.mark.parametrize(("ref", "givens", "proposal", "snippets"), REFUTED,
                         ids=[f"{r}-{i}" for i, (r, *_) in enumerate(REFUTED)])
def test_wrong_answers_are_refuted_on_the_right_lines(ref: str, givens: dict[str, Any],
                                                      proposal: Any, snippets: list[str]) -> None:
    verdict = check(load(LIB + ref), givens, proposal, vacuity=False)
    assert verdict.outcome is Outcome.REFUTED, str(verdict)
    expected = sorted(line_of(ref, s) for s in snippets)
    assert sorted(v.line for v in verdict.violations) == expected, str(verdict)
    for v in verdict.violations:
        # Names the failing expression, or the error that struck (IndexError...).
        assert "`" in v.detail or "raises " in v.detail, v


@pytest.mark.parametrize(("ref", "givens", "proposal", "reason"), MALFORMED,
                         ids=[f"{r}-{i}" for i, (r, *_) in enumerate(MALFORMED)])
def test_wrong_shapes_are_malformed(ref: str, givens: dict[str, Any], proposal: Any,
                                    reason: str) -> None:
    verdict = check(load(LIB + ref), givens, proposal, vacuity=False)
    assert verdict.outcome is Outcome.MALFORMED, str(verdict)
    assert verdict.reason.startswith(reason), verdict.reason


# --- whole explanations, as a person reads them -----------------------------------


def test_sudoku_grid_names_the_row_and_the_repeated_digit() -> None:
    grid = changed(SOLUTION, 4, 3, 1)  # row 4 now holds 1 twice; the puzzle has 8 there
    verdict = check(load(LIB + "sudoku:sudoku_grid"), {"puzzle": PUZZLE}, grid, vacuity=False)
    assert [v.detail for v in verdict.violations] == [
        "fails for row=4, col=3: `solution[row][col] == puzzle[row][col]` is false: "
        "`solution[row][col]` is 1, `puzzle[row][col]` is 8",
        "fails for row=4: `solution[row]` holds 1 twice (items 3 and 8)",
        "fails for col=3: `column(solution, col)` holds 1 twice (items 1 and 4)",
        "fails for box=4: `box_cells(solution, box)` holds 1 twice (items 2 and 3)",
    ]


def test_sudoku_names_the_row_and_the_repeated_digit() -> None:
    grid = changed(SOLUTION, 4, 3, 1)  # row 4 now holds 1 twice; the puzzle has 8 there
    verdict = check(load(LIB + "sudoku:sudoku"), {"puzzle": PUZZLE}, grid, vacuity=False)
    details = [v.detail for v in verdict.violations]
    assert details == [
        "fails for row=4, col=3: `solution[row][col] == puzzle[row][col]` is false: "
        "`solution[row][col]` is 1, `puzzle[row][col]` is 8",
        "fails for row=4, digit=1: `solution[row].count(digit) == 1` is false: "
        "`solution[row].count(digit)` is 2",
        "fails for col=3, cells=[6, 1, 3, 7, 1, 9, 5, 4, 2], digit=1: "
        "`cells.count(digit) == 1` is false: `cells.count(digit)` is 2",
        "fails for box=4, cells=[7, 6, 1, 1, 5, 3, 9, 2, 4], digit=1: "
        "`cells.count(digit) == 1` is false: `cells.count(digit)` is 2",
    ]
    assert [v.clause for v in verdict.violations] == [
        "keeps_the_givens(puzzle, solution)", "rows_hold_each_digit_once(solution)",
        "columns_hold_each_digit_once(solution)", "boxes_hold_each_digit_once(solution)"]


def test_queens_names_the_two_rows_on_one_diagonal() -> None:
    verdict = check(load(LIB + "queens:n_queens"), {"n": 8}, [0, 4, 7, 5, 2, 6, 3, 1],
                    vacuity=False)
    (violation,) = verdict.violations
    assert violation.detail == (
        "fails for row=2, other=6: `abs(queens[row] - queens[other]) != other - row` is false: "
        "`abs(queens[row] - queens[other])` is 4, `other - row` is 4")


def test_schedule_names_the_precedence_broken_by_one_hour() -> None:
    verdict = check(load(LIB + "scheduling:meeting_schedule"),
                    {"meetings": MEETINGS, "precedence": REVIEW_BEFORE_RETRO}, [9, 12, 13],
                    vacuity=False)
    assert [v.detail for v in verdict.violations] == [
        "fails for first=1, second=2: none holds: "
        "`starts[first] + meetings[first].duration <= starts[second]` is false: "
        "`starts[first] + meetings[first].duration` is 14, `starts[second]` is 13; "
        "`starts[second] + meetings[second].duration <= starts[first]` is false: "
        "`starts[second] + meetings[second].duration` is 14, `starts[first]` is 12",
        "fails for order=Precedence(first=1, then=2): "
        "`starts[order.first] + meetings[order.first].duration <= starts[order.then]` is false: "
        "`starts[order.first] + meetings[order.first].duration` is 14, `starts[order.then]` is 13",
    ]


def test_password_without_a_digit_says_so() -> None:
    verdict = check(load(LIB + "accounts:account_policy"), {"taken": TAKEN},
                    {"username": "carol_2", "password": "Plum-Kettle-Tree"}, vacuity=False)
    assert [(v.clause, v.detail) for v in verdict.violations] == [
        ("any(password[i] in DIGITS for i in range(len(password)))",
         "no item satisfies `password[i] in DIGITS`")]


def test_sorting_names_the_lost_value() -> None:
    verdict = check(load(LIB + "sorting:sorting"), {"numbers": [-7, 4, 2, -7]}, [-7, 2, 4, 4],
                    vacuity=False)
    assert [v.detail for v in verdict.violations] == [
        "fails for value=-7: `result.count(value) == numbers.count(value)` is false: "
        "`result.count(value)` is 1, `numbers.count(value)` is 2"]


# --- specs with claims: the evaluator's part, then the solvers' ----------------------


def _env(spec: Spec, givens: dict[str, Any], proposal: Any) -> dict[str, Any]:
    return {**spec.decode_givens(givens), spec.proposal.name: spec.decode_proposal(proposal)}


EVALUATOR_CASES: list[tuple[str, dict[str, Any], Any, list[str]]] = [
    ("sudoku:sudoku", {"puzzle": PUZZLE}, SOLUTION, []),
    ("sudoku:sudoku", {"puzzle": PUZZLE}, swapped(SOLUTION, (4, 1), (4, 2)),
     ["columns_hold_each_digit_once(solution)"]),
    ("word_problem:chickens_and_rabbits", {"heads": 35, "legs": 94},
     {"chickens": 23, "rabbits": 12}, []),
    ("word_problem:chickens_and_rabbits", {"heads": 35, "legs": 94},
     {"chickens": 12, "rabbits": 23}, ["2 * answer.chickens + 4 * answer.rabbits == legs"]),
    ("word_problem:chickens_and_rabbits", {"heads": 35, "legs": 94},
     {"chickens": 24, "rabbits": 12}, ["answer.chickens + answer.rabbits == heads",
                                       "2 * answer.chickens + 4 * answer.rabbits == legs"]),
    ("knapsack:knapsack", {"items": ITEMS, "capacity": 10}, [False, True, False, True], []),
    ("knapsack:knapsack", {"items": ITEMS, "capacity": 10}, [False, False, False, False], []),
    ("knapsack:knapsack", {"items": ITEMS, "capacity": 10}, [False, True, True, True],
     ["total_weight(items, packed) <= capacity"]),
    ("knapsack:knapsack", {"items": ITEMS, "capacity": 10}, [True, True],
     ["len(packed) == len(items)"]),
]


@pytest.mark.parametrize(("ref", "givens", "proposal", "violated"), EVALUATOR_CASES,
                         ids=[f"{r}-{i}" for i, (r, *_) in enumerate(EVALUATOR_CASES)])
def test_claim_specs_on_the_evaluator_path(ref: str, givens: dict[str, Any], proposal: Any,
                                          violated: list[str]) -> None:
    spec = load(LIB + ref)
    env = _env(spec, givens, proposal)
    assert spec.holds(env) is (not violated)
    assert [v.clause for v in explain_violations(spec, env)] == violated


def test_knapsack_objective_is_the_packed_value() -> None:
    from assay.specs.library.knapsack import Item, total_value, total_weight

    items = [Item(i["name"], i["weight"], i["value"]) for i in ITEMS]  # type: ignore[arg-type]
    assert total_value(items, [False, True, False, True]) == 90
    assert total_weight(items, [False, True, False, True]) == 7


def test_sudoku_solution_is_proved_unique() -> None:
    verdict = check(load(LIB + "sudoku:sudoku"), {"puzzle": PUZZLE}, SOLUTION)
    assert verdict.outcome is Outcome.ACCEPTED, str(verdict)
    assert [(c.name, c.status) for c in verdict.claims] == [("unique", "proved")]


def test_sudoku_with_two_solutions_is_refuted_by_the_unique_claim() -> None:
    verdict = check(load(LIB + "sudoku:sudoku"), {"puzzle": [[0] * 9 for _ in range(9)]}, SOLUTION)
    assert verdict.outcome is Outcome.REFUTED, str(verdict)
    assert [(c.name, c.status) for c in verdict.claims] == [("unique", "refuted")]
    assert verdict.reason.startswith("the unique claim fails: another proposal also meets the spec")


def test_chickens_and_rabbits_answer_is_proved_unique() -> None:
    verdict = check(load(LIB + "word_problem:chickens_and_rabbits"), {"heads": 35, "legs": 94},
                    {"chickens": 23, "rabbits": 12})
    assert verdict.outcome is Outcome.ACCEPTED, str(verdict)
    assert [(c.name, c.status) for c in verdict.claims] == [("unique", "proved")]


def test_knapsack_best_packing_is_proved_optimal() -> None:
    verdict = check(load(LIB + "knapsack:knapsack"), {"items": ITEMS, "capacity": 10},
                    [False, True, False, True])
    assert verdict.outcome is Outcome.ACCEPTED, str(verdict)
    assert [(c.name, c.status) for c in verdict.claims] == [("optimal", "proved")]


def test_knapsack_packing_that_fits_but_is_not_best_is_refuted() -> None:
    verdict = check(load(LIB + "knapsack:knapsack"), {"items": ITEMS, "capacity": 10},
                    [False, False, True, True])  # value 80, fits; stove + lamp is worth 90
    assert verdict.outcome is Outcome.REFUTED, str(verdict)
    assert [(c.name, c.status) for c in verdict.claims] == [("optimal", "refuted")]


@pytest.mark.parametrize(("ref", "givens", "proposal"), [
    ("sudoku:sudoku", {"puzzle": changed(PUZZLE, 0, 8, 5)}, SOLUTION),  # two 5s in row 0
    ("queens:n_queens", {"n": 3}, [0, 2, 1]),
    ("colouring:graph_colouring", {"vertices": 3, "edges": [[0, 1], [1, 2], [2, 0]], "colours": 2},
     [0, 1, 0]),
    ("scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": [{"first": 2, "then": 0}]},
     [9, 10, 13]),
    ("word_problem:chickens_and_rabbits", {"heads": 35, "legs": 95}, {"chickens": 22, "rabbits": 13}),
], ids=["sudoku", "queens", "colouring", "scheduling", "word_problem"])
def test_impossible_tasks_are_vacuous(ref: str, givens: dict[str, Any], proposal: Any) -> None:
    verdict = check(load(LIB + ref), givens, proposal)
    assert verdict.outcome is Outcome.VACUOUS, str(verdict)
    assert verdict.violations, "a vacuous verdict still names what this proposal breaks"


@pytest.mark.parametrize(("ref", "givens", "proposal"), [
    ("queens:n_queens", {"n": 8}, [0, 4, 7, 5, 2, 6, 3, 1]),
    ("colouring:graph_colouring", {"vertices": 4, "edges": SQUARE, "colours": 2}, [0, 1, 1, 0]),
    ("word_problem:chickens_and_rabbits", {"heads": 35, "legs": 94}, {"chickens": 12, "rabbits": 23}),
], ids=["queens", "colouring", "word_problem"])
def test_possible_tasks_are_not_vacuous(ref: str, givens: dict[str, Any], proposal: Any) -> None:
    verdict = check(load(LIB + ref), givens, proposal)
    assert verdict.outcome is Outcome.REFUTED, str(verdict)


# --- the library as a whole ---------------------------------------------------------


@pytest.mark.parametrize("ref", SPECS)
def test_library_spec_is_documented_and_bounded(ref: str) -> None:
    spec = load(ref)
    doc = inspect.getdoc(spec.fn) or ""
    assert doc.endswith("."), f"{ref}: a one-sentence docstring"
    assert "\n" not in doc, f"{ref}: a one-sentence docstring"
    # Proposals stay small enough for the solver side: every int bounded, every list and str capped; a program
    # spec's inputs likewise.
    if isinstance(spec, ProgramSpec):
        assert [u for p in spec.inputs for u in _unbounded(p.domain, p.name)] == []
    else:
        assert _unbounded(spec.proposal.domain, spec.proposal.name) == []


def test_every_library_module_is_listed() -> None:
    folder = Path(inspect.getfile(load(SPECS[0]).fn)).parent
    modules = {p.stem for p in folder.glob("*.py")} - {"__init__"}
    assert modules == {ref.removeprefix(LIB).split(":")[0] for ref in SPECS}


def _unbounded(d: Domain, path: str) -> list[str]:
    match d:
        case IntDomain(lo=lo, hi=hi):
            return [path] if lo is None or hi is None else []
        case StrDomain(max_len=n):
            return [path] if n is None else []
        case ListDomain(elem=elem, max_len=n):
            return ([path] if n is None else []) + _unbounded(elem, f"{path}[]")
        case TupleDomain(items=items):
            return [p for i, item in enumerate(items) for p in _unbounded(item, f"{path}[{i}]")]
        case RecordDomain(fields=fields):
            return [p for name, fd in fields for p in _unbounded(fd, f"{path}.{name}")]
    return []



@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(1, 9)), max_size=3),
       st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 8)), max_size=2))
def test_the_two_sudoku_forms_agree(changes: list[tuple[int, int, int]],
                                    swaps: list[tuple[int, int, int]]) -> None:
    # `distinct` (sudoku_grid) and per-digit counts (sudoku) must judge every grid alike.
    grid = [row[:] for row in SOLUTION]
    for r, c, v in changes:
        grid[r][c] = v
    for r, a, b in swaps:
        grid[r][a], grid[r][b] = grid[r][b], grid[r][a]
    fast, counted = load(LIB + "sudoku:sudoku_grid"), load(LIB + "sudoku:sudoku")
    env = {"puzzle": PUZZLE, "solution": grid}
    assert fast.holds(env) is counted.holds(env)
    assert [c.index for c in fast.violated_clauses(env)] == [c.index for c in counted.violated_clauses(env)]
