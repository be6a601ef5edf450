"""The kernel's decisions on formalisations: entailed options, vacuity, abstention, repairs, refusals."""

from __future__ import annotations

import dataclasses

import pytest
from assay.kernel import solvers
from assay.kernel.entail import Check, Formalisation, Option, decide
from assay.kernel.faults import lie, on_configs, on_solvers
from assay.kernel.verdicts import Outcome

from .solver_faults import faulty_solvers

# Three people in a row, positions 1..3, all different; Ann is left of Bob, Bob is left of Cy.
ROW = """
(declare-const ann Int)
(declare-const bob Int)
(declare-const cy Int)
"""
ROW_PREMISES = ("(and (<= 1 ann 3) (<= 1 bob 3) (<= 1 cy 3))", "(distinct ann bob cy)", "(< ann bob)")


def options(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(label, (Check("entailed", phi),)) for label, phi in pairs)


def test_the_one_entailed_option_is_the_answer() -> None:
    f = Formalisation(ROW, (*ROW_PREMISES, "(< bob cy)"),
                      options(("A", "(= ann 2)"), ("B", "(= bob 2)"), ("C", "(= cy 1)")))
    v = decide(f)
    assert v.outcome is Outcome.ACCEPTED and v.answer == "B", v
    assert {c.name: c.status for c in v.claims} == {
        "premises consistent": "proved", "option A: entailed": "refuted", "option B: entailed": "proved",
        "option C: entailed": "refuted"}
    assert {a["solver"] for a in v.solvers} == {"z3", "cvc5"}


def test_an_option_true_in_some_solutions_only_is_not_entailed_and_the_kernel_abstains() -> None:
    # Without "bob < cy", Bob may be 2 or 3: no option holds in every solution.
    v = decide(Formalisation(ROW, ROW_PREMISES, options(("A", "(= ann 2)"), ("B", "(= bob 2)"))))
    assert v.outcome is Outcome.UNKNOWN and v.reason == "ambiguous: no option holds" and v.answer is None


def test_two_entailed_options_are_ambiguous() -> None:
    f = Formalisation(ROW, (*ROW_PREMISES, "(< bob cy)"), options(("A", "(= ann 1)"), ("B", "(= cy 3)")))
    v = decide(f)
    assert v.outcome is Outcome.UNKNOWN and v.reason == "ambiguous: options A, B all hold"


def test_inconsistent_premises_are_vacuous_not_an_answer() -> None:
    f = Formalisation(ROW, (*ROW_PREMISES, "(< bob ann)"), options(("A", "(= ann 1)"), ("B", "(= ann 2)")))
    v = decide(f)
    assert v.outcome is Outcome.VACUOUS and v.answer is None
    # The evidence: the two premises that contradict each other, and only those.
    assert v.reason.endswith("these 2 cannot all hold: premise 3; premise 4"), v.reason
    assert {c.name: c.status for c in v.claims}["inconsistent premises"] == "proved"


def test_the_inconsistent_premises_are_named_as_the_bridge_names_them() -> None:
    # Five premises, two far apart in conflict: "Ann is 3rd" (line 2) and "Ann is left of Bob" (line 9).
    premises = (*ROW_PREMISES, "(= cy 1)", "(= ann 3)")
    names = ("line 5: places 1-3", "line 6: all different", "line 9: Ann left of Bob", "line 10: Cy first",
             "line 2: Ann third")
    v = decide(Formalisation(ROW, premises, options(("A", "(= ann 1)")), premise_names=names))
    assert v.outcome is Outcome.VACUOUS
    core = v.reason.split("cannot all hold: ")[1].split("; ")
    # Ann third and left of Bob needs Bob at 4: the bounds are part of the conflict, the rest is not.
    assert core == ["line 5: places 1-3", "line 9: Ann left of Bob", "line 2: Ann third"], v.reason
    with pytest.raises(ValueError, match="premise names"):
        Formalisation(ROW, premises, (), premise_names=names[:2])


def test_three_valued_open_world_answers() -> None:
    decl = "(declare-sort s_U 0)\n(declare-fun p (s_U) Bool)\n(declare-fun q (s_U) Bool)\n(declare-const a s_U)\n"
    rule = "(forall ((x s_U)) (=> (p x) (q x)))"

    def three(statement: str) -> tuple[Option, ...]:
        return (Option("True", (Check("entailed", statement),)),
                Option("False", (Check("entailed", f"(not {statement})"),)),
                Option("Uncertain", (Check("consistent", statement), Check("consistent", f"(not {statement})"))))

    assert decide(Formalisation(decl, (rule, "(p a)"), three("(q a)"))).answer == "True"
    assert decide(Formalisation(decl, (rule, "(not (q a))"), three("(p a)"))).answer == "False"
    v = decide(Formalisation(decl, (rule,), three("(q a)")))
    assert v.outcome is Outcome.ACCEPTED and v.answer == "Uncertain", v


def test_consistency_checks_and_exceptions() -> None:
    # Which one CANNOT be true, EXCEPT: the answer is the one option that is consistent.
    opts = (Option("A", (Check("inconsistent", "(= ann 3)"),), exception=True),
            Option("B", (Check("inconsistent", "(= ann 1)"),), exception=True))
    v = decide(Formalisation(ROW, ROW_PREMISES, opts))
    assert v.outcome is Outcome.ACCEPTED and v.answer == "B"
    # The same question without the exception flag picks the other option: the flag is what decides.
    plain = tuple(dataclasses.replace(o, exception=False) for o in opts)
    assert decide(Formalisation(ROW, ROW_PREMISES, plain)).answer == "A"


def test_a_check_may_leave_premises_out() -> None:
    # "Would 'Cy is third' in place of 'Bob is left of Cy' have the same effect?" asks about the others only.
    rows = (*ROW_PREMISES, "(< bob cy)")
    same = Option("same", (Check("entailed", "(= (< bob cy) (= cy 3))", without=(3,)),))
    other = Option("other", (Check("entailed", "(= (< bob cy) (= ann 1))", without=(3,)),))
    v = decide(Formalisation(ROW, rows, (other, same)))
    assert v.outcome is Outcome.ACCEPTED and v.answer == "same", v
    # Kept in, the replaced premise makes every consequence of it "equivalent": both options would hold.
    kept = tuple(Option(o.label, (dataclasses.replace(o.checks[0], without=()),)) for o in (other, same))
    assert decide(Formalisation(ROW, rows, kept)).reason == "ambiguous: options other, same all hold"
    with pytest.raises(ValueError, match="leaves out premise"):
        decide(Formalisation(ROW, rows, (Option("x", (Check("entailed", "true", without=(9,)),)),)))


def test_a_repaired_formalisation_is_repaired_never_accepted() -> None:
    f = Formalisation(ROW, (*ROW_PREMISES, "(< bob cy)"), options(("A", "(= ann 1)"), ("B", "(= ann 2)")),
                      changes=("arity: Left(ann) read as (< ann bob)",))
    v = decide(f)
    assert v.outcome is Outcome.REPAIRED and v.answer == "A" and v.changes == f.changes


def test_smuggled_commands_and_foreign_theories_are_malformed() -> None:
    for premise in ("true) (set-option :timeout 1", "(> ann 1.5)"):
        v = decide(Formalisation(ROW, (premise,), options(("A", "(= ann 1)"))))
        assert v.outcome is Outcome.MALFORMED and "refused" in v.reason


def test_a_solver_disagreement_or_timeout_is_never_an_answer() -> None:
    # cvc5, in every configuration (the retries too), times out; z3 answers.
    with faulty_solvers(on_solvers({"cvc5": lie("unknown", reason="timeout")})) as pool:
        f = Formalisation(ROW, (*ROW_PREMISES, "(< bob cy)"), options(("A", "(= ann 1)"), ("B", "(= ann 2)")))
        v = decide(f)
    assert pool.injected
    assert v.outcome is Outcome.UNKNOWN and v.reason.startswith("undecided"), v


def test_a_kernel_that_trusted_one_solver_would_be_caught() -> None:
    """If z3 alone were believed, a lying z3 would make a wrong option the answer; the cross-check stops it."""
    with faulty_solvers(on_configs({"z3": lie("unsat")})) as pool:  # z3 says unsat to every script
        f = Formalisation(ROW, (*ROW_PREMISES, "(< bob cy)"), options(("A", "(= ann 2)"), ("B", "(= bob 2)")))
        v = decide(f)
    assert pool.injected
    assert v.outcome is not Outcome.ACCEPTED and v.answer is None, v


def test_quantified_questions_plain_cvc5_gives_up_on_are_settled_by_the_retry() -> None:
    """Everything is p and nothing is p: unsat, but plain cvc5 finds no ground term to start from."""
    decl = "(declare-sort s_U 0)\n(declare-fun p (s_U) Bool)\n"
    premises = ("(forall ((x s_U)) (p x))", "(forall ((x s_U)) (not (p x)))")
    v = decide(Formalisation(decl, premises, (Option("True", (Check("entailed", "true"),)),)))
    assert v.outcome is Outcome.VACUOUS, v
    retried = [a for a in v.solvers if (a.get("options") or {}).get("full-saturate-quant") == "true"]
    assert [a["result"] for a in retried] == ["unsat"]


@pytest.mark.parametrize("pooled", [True, False])
def test_z3_names_the_assertions_an_unsat_script_needs(monkeypatch: pytest.MonkeyPatch, pooled: bool) -> None:
    if not pooled:
        monkeypatch.setenv("ASSAY_SOLVER_POOL", "0")
    script = ROW + "(assert (< ann bob))\n(assert (= cy 2))\n(assert (< bob ann))\n(check-sat)\n"
    assert solvers.unsat_core(script, timeout=10) == (0, 2)
    assert solvers.unsat_core(script.replace("(< bob ann)", "(< bob cy)"), timeout=10) is None

