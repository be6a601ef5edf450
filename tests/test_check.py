"""The kernel's check on value proposals: a known-answer table, both directions.

A kernel that accepts everything, or rejects everything, fails this table;
the last tests show that by breaking the evaluator on purpose.
"""

from __future__ import annotations

from typing import Any

import pytest
from assay.kernel import Location, Outcome, check
from assay.specs import Spec, load

from .paths import OK

A, R, M = Outcome.ACCEPTED, Outcome.REFUTED, Outcome.MALFORMED
SLOTS = [{"start": 3, "colour": "GREEN"}, {"start": 9, "colour": "RED"}, {"start": 15, "colour": "BLUE"}]

# (spec, givens, proposal, outcome, violated clause indexes)
TABLE: list[tuple[str, dict[str, Any], Any, Outcome, tuple[int, ...]]] = [
    ("guarded_division", {"xs": [3, 4, 5]}, 1, A, ()),
    ("guarded_division", {"xs": [3, 4, 5]}, 2, A, ()),
    ("guarded_division", {"xs": [3, 4, 5]}, 0, R, (0, 1)),     # 3 // 0 raises
    ("guarded_division", {"xs": [3, 4, 5]}, -3, R, (1,)),      # floor division: sum is -5
    ("guarded_division", {"xs": [3, 4, 5]}, 3, R, (2,)),       # xs[3] raises IndexError
    ("guarded_division", {"xs": [3, 4, 5]}, 5, R, (2, 3)),     # 12 % 5 == 2
    ("guarded_division", {"xs": [3, 4, 5]}, -5, R, (1, 2, 3)),  # implies evaluates xs[-5] too
    ("guarded_division", {"xs": [3, 4, 5]}, 6, R, ()),         # outside Between(-5, 5)
    ("guarded_division", {"xs": [3, 4, 6]}, "1", M, ()),
    ("guarded_division", {"xs": [3, 4, 6]}, True, M, ()),
    ("guarded_division", {"xs": "346"}, 1, M, ()),
    ("guarded_division", {}, 1, M, ()),
    ("guarded_division", {"xs": [3], "ys": [1]}, 1, M, ()),
    ("records_and_enums", {"slots": SLOTS}, {"start": 3, "colour": "GREEN"}, A, ()),
    ("records_and_enums", {"slots": SLOTS}, {"start": 15, "colour": "BLUE"}, R, (2,)),
    ("records_and_enums", {"slots": SLOTS}, {"start": 9, "colour": "RED"}, R, (1,)),
    ("records_and_enums", {"slots": SLOTS}, {"start": 4, "colour": "GREEN"}, R, (0,)),
    ("records_and_enums", {"slots": SLOTS}, {"start": 3, "colour": "PINK"}, M, ()),
    ("records_and_enums", {"slots": SLOTS}, {"start": 3}, M, ()),
    ("strings", {"prefix": "ab"}, "abc", A, ()),
    ("strings", {"prefix": "ab"}, "abé", A, ()),
    ("strings", {"prefix": "ab"}, "ab", R, (1,)),
    ("strings", {"prefix": "ab"}, "abxc", R, (2,)),
    ("strings", {"prefix": "ab"}, "aba", R, (3,)),
    ("strings", {"prefix": "ab"}, "zzz", R, (0,)),
    ("strings", {"prefix": "ab"}, "abcdefghi", R, ()),     # longer than MaxLen(8)
    ("strings", {"prefix": ""}, "", R, (1, 3)),            # ""[-1] raises IndexError
    ("fixed_list", {"target": 3}, [1, 1, 1], A, ()),
    ("fixed_list", {"target": 3}, [2, 1, 0], R, (1,)),
    ("fixed_list", {"target": 4}, [1, 1, 1], R, (0,)),
    ("fixed_list", {"target": 3}, [1, 1], M, ()),
    ("fixed_list", {"target": 3}, [1, 1, [1]], M, ()),
]


def run_row(spec: Spec, givens: dict[str, Any], proposal: Any) -> tuple[Outcome, tuple[int, ...]]:
    v = check(spec, givens, proposal, vacuity=False)
    index = {c.text: c.index for c in spec.ir.clauses}
    return v.outcome, tuple(sorted(index[x.clause] for x in v.violations if x.clause in index))


def mismatches() -> list[str]:
    out = []
    for name, givens, proposal, outcome, clauses in TABLE:
        spec = load(f"{OK}:{name}")
        got = run_row(spec, givens, proposal)
        if got != (outcome, clauses):
            out.append(f"{name} {proposal!r}: expected {(outcome, clauses)}, got {got}")
    return out


def test_known_answer_table() -> None:
    assert mismatches() == []


def test_the_table_has_both_directions() -> None:
    outcomes = [row[3] for row in TABLE]
    assert outcomes.count(A) >= 5 and outcomes.count(R) >= 10 and outcomes.count(M) >= 5


def test_a_kernel_that_accepts_everything_fails_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Spec, "holds", lambda self, values: True)
    monkeypatch.setattr(Spec, "out_of_bounds", lambda self, value: [])
    assert len(mismatches()) >= 10


def test_a_kernel_that_rejects_everything_fails_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Spec, "holds", lambda self, values: False)
    assert len(mismatches()) >= 5


def test_refuted_verdict_names_clause_line_and_values() -> None:
    spec = load(f"{OK}:guarded_division")
    v = check(spec, {"xs": [3, 4, 5]}, 3, vacuity=False)
    (viol,) = v.violations
    line = spec.ir.clauses[2].loc.line
    assert viol.line == line
    assert viol.clause == "implies(k > 0, xs[k] > 1)"
    assert viol.detail == (f"raises IndexError at line {line}, column 28: index 3 is out of range for "
                           "length 3 (a clause that raises in Python is false)")
    assert v.reason == f"1 violated: line {line}: {viol.detail}"


def test_refuted_detail_shows_bindings_and_operand_values() -> None:
    spec = load(f"{OK}:fixed_list")
    v = check(spec, {"target": 3}, [2, 1, 0], vacuity=False)
    assert [x.detail for x in v.violations] == [
        "fails for a=2, b=1: `a <= b` is false: `a` is 2, `b` is 1"]


def test_out_of_bounds_names_the_part_and_the_declaration_line() -> None:
    spec = load(f"{OK}:fixed_list")
    v = check(spec, {"target": 3}, [1, 9, 1], vacuity=False)
    assert v.outcome is R
    assert [(x.line, x.detail) for x in v.violations] == [
        (spec.proposal.loc.line, "xs[1] = 9 is outside -5..5")]


def test_malformed_names_the_path_and_keeps_the_position() -> None:
    spec = load(f"{OK}:fixed_list")
    v = check(spec, {"target": 3}, [1, "x", 1], where=Location(4, 7))
    assert v.outcome is M
    assert v.reason == ("the proposal is not a list of 3 -5..5: proposal[1]: expected an integer, "
                        "got 'x' (str)")
    assert v.where == Location(4, 7, "proposal[1]")


def test_malformed_givens() -> None:
    spec = load(f"{OK}:records_and_enums")
    v = check(spec, {"slots": [{"start": 3, "colour": "GREEN", "x": 1}]}, {"start": 3, "colour": "GREEN"})
    assert v.outcome is M
    assert v.reason == "the givens are not valid: givens.slots[0]: unexpected field 'x' (expected start, colour)"


def test_huge_integers_are_exact() -> None:
    spec = load(f"{OK}:guarded_division")
    big = 10**40
    v = check(spec, {"xs": [big, 2 * big, 3 * big]}, 1, vacuity=False)
    assert v.outcome is A
    v = check(spec, {"xs": [big, 2 * big, 3 * big + 1]}, 2, vacuity=False)
    assert v.outcome is R


def test_decode_names_the_wrong_item_after_the_fast_path() -> None:
    from assay.specs.domains import DecodeError, IntDomain, ListDomain

    nested = ListDomain(ListDomain(IntDomain(1, 9), 3, 3), 2, 2)
    assert nested.decode([[1, 2, 3], [4, 5, 6]], "p") == [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(DecodeError) as info:
        nested.decode([[1, 2, 3], [4, None, 6]], "p")
    assert str(info.value) == "p[1][1]: expected an integer, got None (null)"
    assert list(nested.out_of_bounds([[1, 2, 3], [4, 10, 0]], "p")) == [
        "p[1][1] = 10 is outside 1..9", "p[1][2] = 0 is outside 1..9"]


def test_malformed_reason_does_not_copy_a_huge_value() -> None:
    spec = load(f"{OK}:guarded_division")
    v = check(spec, {"xs": [1]}, "x" * 1_000_000)
    assert v.outcome is M
    assert v.reason == ("the proposal is not a -5..5: proposal: expected an integer, got "
                        "'" + "x" * 56 + "... (str)")


def test_explain_off_names_the_clauses_without_values() -> None:
    spec = load(f"{OK}:guarded_division")
    on = check(spec, {"xs": [3, 4, 5]}, 5, vacuity=False)
    off = check(spec, {"xs": [3, 4, 5]}, 5, vacuity=False, explain=False)
    assert off.outcome is on.outcome is R
    assert [(v.clause, v.line) for v in off.violations] == [(v.clause, v.line) for v in on.violations]
    assert [v.detail for v in off.violations] == ["violated", "violated"]
