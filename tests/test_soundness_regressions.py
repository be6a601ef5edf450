"""Named regressions for the claims path: each spec here once made assay prove something false.

Issue 10 reproduced four classes on main at be4c446 (a `+k` range step read
as `-k`; record equality that ignored the dataclass's own `==`; proposal
strings limited to SMT-LIB's alphabet; names assigned later in a body read as
module constants).  The differential fuzzer (tests/test_fuzz_specs.py) finds
each class on the unfixed code; these tests pin the exact cases down, with
what CPython says beside each.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome, check
from assay.kernel.repair import repair, solve_outright
from assay.specs import InvalidSpec, load
from assay.specs import queries as q

SOUNDNESS = Path(__file__).parent / "specdefs" / "soundness.py"


def _spec(name: str) -> Any:
    return load(f"{SOUNDNESS}:{name}")


def _solutions(name: str, values: list[Any], givens: dict[str, Any] | None = None) -> list[Any]:
    """The proposals among ``values`` (JSON) on which CPython says the spec holds."""
    spec = _spec(name)
    decoded = spec.decode_givens(givens or {})
    out = []
    for v in values:
        value = spec.decode_proposal(v)
        if not spec.out_of_bounds(value) and spec.fn(**decoded, **{spec.proposal.name: value}) is True:
            out.append(v)
    return out


# --- 1. range steps -----------------------------------------------------------------


def test_a_plus_step_is_a_positive_step_for_vacuity() -> None:
    assert _solutions("plus_step_any", [[1, 0, 0, 0, 0]]) == [[1, 0, 0, 0, 0]]
    v = check(_spec("plus_step_any"), {}, [0, 0, 0, 0, 0])
    assert v.outcome is Outcome.REFUTED, v.reason
    assert "(assert false)" not in q.any_solution(_spec("plus_step_any"), {}).smtlib()


def test_a_plus_step_is_a_positive_step_for_uniqueness() -> None:
    assert _solutions("plus_step_unique", [0, 1, 2, 3, 4, 5]) == [0, 1, 2, 3, 4, 5]
    v = check(_spec("plus_step_unique"), {}, 0)
    assert v.outcome is Outcome.REFUTED, v.reason
    assert v.witness in (1, 2, 3, 4, 5)


def test_a_plus_step_is_a_positive_step_for_optimality() -> None:
    # p[0] + p[2] + p[4] is at most 3, reached by [1, 0, 1, 0, 1].
    assert check(_spec("plus_step_optimum"), {}, [1, 0, 1, 0, 1]).outcome is Outcome.ACCEPTED
    v = check(_spec("plus_step_optimum"), {}, [1, 0, 1, 0, 0])
    assert v.outcome is Outcome.REFUTED
    assert v.witness == [1, 0, 1, 0, 1]


# --- 2. record equality -----------------------------------------------------------------


def test_a_field_with_compare_false_takes_no_part_in_equality() -> None:
    domain = [{"key": k, "note": n} for k in (0, 1) for n in range(4)]
    assert len(_solutions("tag_equal", domain, {"target": {"key": 1, "note": 2}})) == 4
    v = check(_spec("tag_equal"), {"target": {"key": 1, "note": 2}}, {"key": 1, "note": 2})
    assert v.outcome is Outcome.REFUTED, v.reason
    assert v.witness.key == 1 and v.witness.note != 2


def test_compare_false_also_holds_in_membership_and_nested_records() -> None:
    v = check(_spec("tag_in_list"), {"targets": [{"key": 0, "note": 0}]}, {"key": 0, "note": 0})
    assert v.outcome is Outcome.REFUTED, v.reason
    slot = {"at": 1, "tag": {"key": 0, "note": 3}}
    v = check(_spec("nested_tag_equal"), {"target": slot}, slot)
    assert v.outcome is Outcome.REFUTED, v.reason
    assert v.witness.tag.note != 3


@pytest.mark.parametrize(("name", "construct"), [
    ("identity_unequal", "Ident"), ("own_equal", "Own"), ("own_counted", "Own")])
def test_records_whose_equality_is_not_field_by_field_are_refused_at_load(name: str, construct: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        _spec(name)
    assert re.search(r"soundness\.py:\d+:\d+: ", str(info.value))
    assert construct in str(info.value)
    assert "==" in str(info.value) or "equality" in str(info.value)


# --- 3. strings beyond SMT-LIB's alphabet ------------------------------------------------------


def test_uniqueness_is_not_proved_over_a_smaller_alphabet() -> None:
    assert _solutions("past_smt_alphabet_unique", ["a", "\U00030000"]) == ["a", "\U00030000"]
    v = check(_spec("past_smt_alphabet_unique"), {}, "a")
    assert v.outcome is not Outcome.ACCEPTED, v.reason
    assert v.outcome is Outcome.UNKNOWN and "U+2FFFF" in v.reason


def test_vacuity_is_not_proved_over_a_smaller_alphabet() -> None:
    assert check(_spec("past_smt_alphabet"), {}, "\U00030000").outcome is Outcome.ACCEPTED
    v = check(_spec("past_smt_alphabet"), {}, "b")
    assert v.outcome is Outcome.REFUTED, v.reason
    assert solve_outright(_spec("past_smt_alphabet"), {}).outcome is not Outcome.VACUOUS


def test_strings_far_from_the_alphabet_end_still_prove_claims() -> None:
    v = check(_spec("plain_string_unique"), {}, "ab")
    assert v.outcome is Outcome.ACCEPTED, v.reason
    assert [(c.name, c.status) for c in v.claims] == [("unique", "proved")]


# --- 4. scoping -----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "function"), [
    ("shadowed_objective", "shadowed_score"), ("shadowed_body", "shadowed_body"),
    ("shadowed_in_helper", "uses_shadow")])
def test_a_use_before_a_later_assignment_is_refused_at_load(name: str, function: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        _spec(name)
    message = str(info.value)
    assert re.search(r"soundness\.py:\d+:\d+: ", message)
    assert "'K'" in message and "UnboundLocalError" in message and function in message


def test_objective_parameters_must_be_the_spec_parameters() -> None:
    with pytest.raises(InvalidSpec, match=r"objective by_local takes 'doubled', which is not a parameter"):
        _spec("objective_names_a_local")
    with pytest.raises(InvalidSpec, match=r"reassigns the parameter 'p'"):
        _spec("objective_of_a_reassigned_parameter")


def test_solving_asks_for_an_optimum_whose_objective_is_defined() -> None:
    spec = _spec("objective_raises_on_some")
    v = solve_outright(spec, {})
    assert v.outcome is Outcome.ACCEPTED, v.reason
    assert v.answer == [0, 3]
    r = repair(spec, {}, [1])
    assert r.outcome is Outcome.REPAIRED, r.reason
    assert r.answer == [0, 3]


# --- records' own constructors ----------------------------------------------------------------


def test_a_value_the_records_post_init_refuses_is_malformed() -> None:
    v = check(_spec("ordered_unique"), {}, {"lo": 1, "hi": 0})
    assert v.outcome is Outcome.MALFORMED
    assert v.reason == ("the proposal is not a Ordered: proposal: Ordered(...) raises ValueError: "
                        "lo=1 is above hi=0")


def test_a_counterexample_the_records_post_init_refuses_is_no_counterexample() -> None:
    # (1, 1) is the only Ordered with lo == 1.  The solvers range over every (lo, hi), and the one
    # other they find, (1, 0), is no Ordered: the claim is neither proved nor refuted by it.
    v = check(_spec("ordered_unique"), {}, {"lo": 1, "hi": 1})
    assert v.outcome is Outcome.UNKNOWN, v.reason
    assert v.reason.startswith("solver-model-rejected: ")
    assert "is no proposal: witness: Ordered(...) raises ValueError: lo=1 is above hi=0" in v.reason


def test_a_post_init_that_changes_a_field_makes_the_value_malformed() -> None:
    v = check(_spec("doubled"), {}, {"n": 1})
    assert v.outcome is Outcome.MALFORMED
    assert "__post_init__ changed the field 'n'" in v.reason


def test_repair_runs_the_spec_under_the_evaluation_limit_it_is_given() -> None:
    v = repair(_spec("runs_for_ever"), {"n": 10**12}, -1, eval_timeout=0.5)
    assert v.outcome is Outcome.UNKNOWN
    assert v.reason.startswith("timeout: the spec's code ran past the evaluation time limit of 0.5 s")


def test_recheck_runs_the_spec_under_an_evaluation_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import shutil

    from assay.proofs.certificate import sha256_of
    from assay.proofs.recheck import recheck_file

    # A certificate someone sent, edited (hashes and id recomputed) so that the spec runs for ever on it.
    shutil.copy(SOUNDNESS, tmp_path / "soundness.py")
    monkeypatch.chdir(tmp_path)
    v = check(load("soundness.py:runs_for_ever"), {"n": 3}, -1, store=tmp_path / "store")
    assert v.outcome is Outcome.ACCEPTED and v.certificate is not None
    cert = json.loads(Path(v.certificate).read_text())
    cert["givens"] = {"n": 10**12}
    cert["givens_sha256"] = sha256_of(cert["givens"])
    cert["id"] = sha256_of({k: x for k, x in cert.items() if k not in ("id", "created")})
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(cert))
    result = recheck_file(forged, spec_root=tmp_path, eval_timeout=0.5)
    assert not result.ok
    assert result.reason.startswith("recheck could not derive the verdict: timeout: the spec's code ran past the "
                                    "evaluation time limit of 0.5 s")
