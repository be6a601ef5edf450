"""First-order-logic bridges: Logic-LM FOLIO (Unicode) and LINC FOLIO (NLTK), and the re-offload policy.

Hand-made problems with known answers go through the kernel (both solvers);
a kernel or bridge that always says True, or always Uncertain, fails them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from assay.bridges.logic import fol, folio, linc
from assay.bridges.logic.common import Malformed
from assay.bridges.logic.linc_policy import (
    LINC_GPT35,
    Decision,
    bayes_sequential,
    calibrate,
    from_counts,
    majority_vote,
    posterior,
    sample_answer,
    sequential,
)
from assay.kernel.entail import Check, Formalisation, Option, decide
from assay.kernel.verdicts import Outcome

DATA = Path("/work/shared/datasets")
OPTIONS = ["A) True", "B) False", "C) Uncertain"]
LETTER = {"True": "A", "False": "B", "Uncertain": "C"}


def folio_program(premises: list[str], conclusion: str) -> str:
    body = "\n".join(f"{p} ::: premise {i}" for i, p in enumerate(premises))
    return f"Predicates:\nDog(x) ::: x is a dog.\nPremises:\n{body}\nConclusion:\n{conclusion} ::: the statement"


def linc_sample(premises: list[str], conclusion: str) -> str:
    return "".join(f"TEXT:\tpremise {i}\nFOL:\t{p}\n" for i, p in enumerate([*premises, conclusion]))


def folio_answer(premises: list[str], conclusion: str) -> str | None:
    f = folio.formalise(folio_program(premises, conclusion), {"id": "hand", "options": OPTIONS})
    return decide(f, timeout=10).answer


def linc_answer(premises: list[str], conclusion: str) -> str | None:
    return decide(linc.formalise_sample(linc_sample(premises, conclusion)), timeout=10).answer


# The same problems in both notations: (Unicode premises, conclusion), (NLTK premises, conclusion), answer.
HAND = [
    (["∀x (Dog(x) → Animal(x))", "Dog(rex)"], "Animal(rex)",
     ["all x. (Dog(x) -> Animal(x))", "Dog(Rex)"], "Animal(Rex)", "True"),
    (["∀x (Dog(x) → Animal(x))", "Dog(rex)"], "¬Animal(rex)",
     ["all x. (Dog(x) -> Animal(x))", "Dog(Rex)"], "-Animal(Rex)", "False"),
    (["∀x (Dog(x) → Animal(x))", "Animal(rex)"], "Dog(rex)",
     ["all x. (Dog(x) -> Animal(x))", "Animal(Rex)"], "Dog(Rex)", "Uncertain"),
    (["∀x (Cat(x) ⊕ Dog(x))", "Cat(tom)"], "Dog(tom)",
     ["all x. ((Cat(x) | Dog(x)) & -(Cat(x) & Dog(x)))", "Cat(Tom)"], "Dog(Tom)", "False"),
    (["∃x (Dog(x) ∧ Brave(x))", "∀x (Brave(x) → Hero(x))"], "∃x (Dog(x) ∧ Hero(x))",
     ["exists x. (Dog(x) & Brave(x))", "all x. (Brave(x) -> Hero(x))"], "exists x. (Dog(x) & Hero(x))", "True"),
    (["∀x ∀y (Parent(x, y) → Older(x, y))", "Parent(ann, bob)"], "Older(bob, ann)",
     ["all x y. (Parent(x, y) -> Older(x, y))", "Parent(Ann, Bob)"], "Older(Bob, Ann)", "Uncertain"),
    (["Dog(rex) ↔ Loud(rex)", "¬Loud(rex)"], "Dog(rex)",
     ["Dog(Rex) <-> Loud(Rex)", "-Loud(Rex)"], "Dog(Rex)", "False"),
    (["rex = max", "Dog(max)"], "Dog(rex)", ["Rex = Max", "Dog(Max)"], "Dog(Rex)", "True"),
    (["Dog(rex)", "rex ≠ max"], "Dog(max)", ["Dog(Rex)", "Rex != Max"], "Dog(Max)", "Uncertain"),
]


@pytest.mark.parametrize(("u_premises", "u_goal", "n_premises", "n_goal", "answer"), HAND)
def test_hand_made_problems_in_both_notations(u_premises: list[str], u_goal: str, n_premises: list[str],
                                              n_goal: str, answer: str) -> None:
    assert folio_answer(u_premises, u_goal) == LETTER[answer]
    assert linc_answer(n_premises, n_goal) == answer


def test_answers_differ_across_the_table() -> None:
    """The table itself could catch a constant answer: all three values occur in it."""
    assert {row[-1] for row in HAND} == {"True", "False", "Uncertain"}


def test_inconsistent_premises_are_vacuous() -> None:
    f = linc.formalise_sample(linc_sample(["Dog(Rex)", "-Dog(Rex)"], "Cat(Rex)"))
    assert decide(f, timeout=10).outcome is Outcome.VACUOUS


# ---------------------------------------------------------------------------- free variables and scope


def test_free_variables_are_closed_universally() -> None:
    # "Dog(x)" with x free says every individual is a dog (Prover9's reading), so Rex is one.
    assert linc_answer(["Dog(x)"], "Dog(Rex)") == "True"
    assert folio_answer(["Dog(x)"], "Dog(rex)") == "A"
    # A free variable in the conclusion: "Rex is a cat" settles neither "every x is a dog" nor "some x is".
    assert linc_answer(["Cat(Rex)"], "Dog(x)") == "Uncertain"
    assert fol.to_smtlib(fol.close(fol.parse_formula("Likes(x, y)", linc.NLTK))) == \
        "(forall ((v_x s_U)) (forall ((v_y s_U)) (p_Likes v_x v_y)))"


def test_free_variable_conclusion_answers_only_what_both_readings_give() -> None:
    # A free y in the conclusion may mean "every y" or "some y"; an answer must be the same under both.
    # Every individual a dog: True either way.  No individual a dog: False either way.
    assert folio_answer(["∀x Dog(x)"], "Dog(y)") == "A"
    assert folio_answer(["∀x ¬Dog(x)"], "Dog(y)") == "B"
    assert linc_answer(["all x. -Dog(x)"], "Dog(y)") == "False"
    assert folio_answer(["Cat(rex)"], "Dog(y)") == "C"


@pytest.mark.parametrize(("premises", "why"), [
    (["Dog(rex)", "¬Dog(max)"], "False for every y (the old reading), True for some y"),
    (["Dog(rex)"], "Uncertain for every y, True for some y"),
    (["¬Dog(max)"], "False for every y, Uncertain for some y"),
])
def test_free_variable_conclusion_abstains_where_the_readings_part(premises: list[str], why: str) -> None:
    f = folio.formalise(folio_program(premises, "Dog(y)"), {"id": "hand", "options": OPTIONS})
    v = decide(f, timeout=10)
    assert (v.outcome, v.answer) == (Outcome.UNKNOWN, None), why
    assert "no option holds" in v.reason


def test_free_variable_conclusion_negation_is_closed_on_its_own() -> None:
    f = fol.open_world([fol.parse_formula("Dog(rex)", folio.UNICODE)], fol.parse_formula("Dog(y)", folio.UNICODE))
    goal, negated = "(forall ((v_y s_U)) (p_Dog v_y))", "(forall ((v_y s_U)) (not (p_Dog v_y)))"
    assert [c.formula for c in f.options[0].checks] == [goal]
    assert [c.formula for c in f.options[1].checks] == [negated]
    assert [(c.kind, c.formula) for c in f.options[2].checks] == [("consistent", goal), ("consistent", negated)]
    # A closed conclusion keeps the plain negation.
    closed = fol.open_world([], fol.parse_formula("Dog(rex)", folio.UNICODE))
    assert [c.formula for c in closed.options[1].checks] == ["(not (p_Dog c_rex))"]


def test_nltk_quantifier_stops_before_a_binary_connective() -> None:
    parsed = fol.parse_formula("all x. P(x) -> Q(x)", linc.NLTK)
    assert isinstance(parsed, fol.Binary)
    assert parsed.op == "implies"
    assert isinstance(parsed.left, fol.Quant)
    assert fol.free_variables(parsed) == ["x"]


def test_unicode_quantifier_reaches_to_the_end() -> None:
    parsed = fol.parse_formula("∀x P(x) → Q(x)", folio.UNICODE)
    assert isinstance(parsed, fol.Quant)
    assert isinstance(parsed.body, fol.Binary)
    assert fol.free_variables(parsed) == []


def test_precedence_of_each_notation() -> None:
    # Looser connectives further right: the usual precedence and Logic-LM's left grouping agree.
    uni = fol.parse_formula("A(bo) ∧ B(bo) ∨ C(bo) → D(bo) ↔ E(bo)", folio.UNICODE)
    assert fol.to_smtlib(uni) == "(= (=> (or (and (p_A c_bo) (p_B c_bo)) (p_C c_bo)) (p_D c_bo)) (p_E c_bo))"
    nltk = fol.parse_formula("A(Bo) -> B(Bo) & C(Bo) -> D(Bo)", linc.NLTK)
    assert fol.to_smtlib(nltk) == "(=> (=> (p_A c_Bo) (and (p_B c_Bo) (p_C c_Bo))) (p_D c_Bo))"
    assert fol.to_smtlib(fol.parse_formula("-P(Bo) | Q(Bo)", linc.NLTK)) == "(or (not (p_P c_Bo)) (p_Q c_Bo))"
    assert fol.to_smtlib(fol.parse_formula("¬P(bo) ⊕ Q(bo)", folio.UNICODE)) == "(xor (not (p_P c_bo)) (p_Q c_bo))"
    # One connective regrouped means the same: Logic-LM's left grouping of a chain of ↔ is not a second reading.
    assert fol.to_smtlib(fol.parse_formula("A(bo) ↔ B(bo) ↔ C(bo)", folio.UNICODE)) == \
        "(= (p_A c_bo) (= (p_B c_bo) (p_C c_bo)))"


@pytest.mark.parametrize(("formula", "theirs"), [
    ("A(bo) → B(bo) ∧ C(bo)", "(and (=> (p_A c_bo) (p_B c_bo)) (p_C c_bo))"),
    ("A(bo) ∨ B(bo) ∧ C(bo)", "(and (or (p_A c_bo) (p_B c_bo)) (p_C c_bo))"),
    ("A(bo) → B(bo) → C(bo)", "(=> (=> (p_A c_bo) (p_B c_bo)) (p_C c_bo))"),
])
def test_logic_lm_executor_groups_every_connective_alike_to_the_left(formula: str, theirs: str) -> None:
    # Logic-LM's ply grammar gives every binary connective one precedence, grouped to the left.
    assert fol.to_smtlib(fol.parse_formula(formula, folio.UNICODE, executor=True)) == theirs
    assert not fol.same_reading(fol.parse_formula(formula, folio.UNICODE),
                                fol.parse_formula(formula, folio.UNICODE, executor=True))


def test_a_formula_read_two_ways_is_answered_only_where_both_readings_agree() -> None:
    # "Whoever wishes is a student and attends": Logic-LM's executor read ((Wish → Student) ∧ Attend) under ∀x,
    # which makes everyone attend; the usual precedence, Wish → (Student ∧ Attend).  Before, only the usual
    # reading counted and Attend(bo) was Uncertain.
    rule = "∀x (Wish(x) → Student(x) ∧ Attend(x))"
    f = folio.formalise(folio_program([rule, "Dog(bo)"], "Attend(bo)"), {"id": "hand", "options": OPTIONS})
    assert f.premises[-1] == ("(or (forall ((v_x s_U)) (=> (p_Wish v_x) (and (p_Student v_x) (p_Attend v_x)))) "
                              "(forall ((v_x s_U)) (and (=> (p_Wish v_x) (p_Student v_x)) (p_Attend v_x))))")
    assert f.premise_names[-1] == ("line 4 (read two ways: ∀x ((Wish(x) → Student(x)) ∧ Attend(x)) by Logic-LM's "
                                   "executor, ∀x (Wish(x) → (Student(x) ∧ Attend(x))) as usual)")
    v = decide(f, timeout=10)
    assert (v.outcome, v.answer) == (Outcome.UNKNOWN, None)
    assert "no option holds" in v.reason
    # Where both readings give the answer, it is given.
    assert folio_answer([rule, "Wish(bo)"], "Attend(bo)") == "A"
    assert folio_answer([rule, "Wish(bo)"], "¬Student(bo)") == "B"
    assert folio_answer([rule], "Dog(bo)") == "C"
    # A conclusion read two ways too: False as the executor groups it, True as usual, so no answer.
    assert folio_answer(["Wish(bo)", "¬Student(bo)"], "Student(bo) → Wish(bo) ∧ Student(bo)") is None
    assert folio_answer(["Wish(bo)", "¬Student(bo)"], "Student(bo) → (Wish(bo) ∧ Student(bo))") == "A"


def test_logic_lm_names_that_differ_in_their_first_letters_case_are_one_name() -> None:
    # Logic-LM's FOL_Parser.msplit capitalises every name longer than one character, so 'summer' and 'Summer'
    # are one constant to its executor; before, they were two and the answer was Uncertain.
    program = folio_program(["Season(summer)", "∀x (Season(x) → Warm(x))"], "Warm(Summer)")
    f = folio.formalise(program, {"id": "hand", "options": OPTIONS})
    assert f.changes == ("line 7: the constant 'Summer' is 'summer', as Logic-LM reads them (its parser gives every "
                         "name longer than one character a capital first letter)",)
    v = decide(f, timeout=10)
    assert (v.outcome, v.answer) == (Outcome.REPAIRED, "A")
    # Predicates too, of one arity; a single letter keeps its case (Logic-LM leaves one-character names alone).
    assert folio_answer(["∀x (dog(x) → Animal(x))", "Dog(rex)"], "Animal(rex)") == "A"
    assert folio_answer(["Tall(a)"], "Tall(A)") == "C"
    # The same spelling in two roles is a clash to Prover9, which stops Logic-LM; here they stay apart, as written.
    f = folio.formalise(folio_program(["Company(acme)", "Owns(ann, company)"], "Company(company)"),
                        {"id": "hand", "options": OPTIONS})
    assert f.changes == () and "(declare-const c_company s_U)" in f.declarations
    assert decide(f, timeout=10).answer == "C"


# ---------------------------------------------------------------------------- the signature check


def test_arity_clash_is_malformed_with_both_places() -> None:
    program = folio_program(["Owns(ann)", "∀x (Owns(ann, x) → Rich(ann))"], "Rich(ann)")
    with pytest.raises(Malformed) as err:
        folio.formalise(program, {"options": OPTIONS})
    assert (err.value.line, err.value.column) == (5, 5)
    assert err.value.why == ("predicate 'Owns' is used with 2 arguments here and with 1 argument at line 4, "
                             "column 1 (one symbol, one arity)")


def test_predicate_constant_clash_is_malformed_with_both_places() -> None:
    sample = linc_sample(["Dog(Rex)", "Likes(Rex, Dog)"], "Likes(Rex, Rex)")
    with pytest.raises(Malformed) as err:
        linc.formalise_sample(sample)
    assert (err.value.line, err.value.column) == (4, 17)
    assert err.value.why == ("'Dog' is used as a constant here and as a predicate at line 2, column 6 "
                             "(one symbol, one role)")


def test_lenient_renaming_would_change_the_answer() -> None:
    """Meta: renaming the clashing symbols apart gives a definite answer where the strict check says MALFORMED."""
    clash = (["Owns(Ann)", "all x. (Owns(Ann, x) -> Rich(Ann))"], "Rich(Ann)")
    with pytest.raises(Malformed):
        linc.formalise_sample(linc_sample(*clash))
    renamed = (["Owns1(Ann)", "all x. (Owns2(Ann, x) -> Rich(Ann))"], "Rich(Ann)")
    assert linc_answer(*renamed) == "Uncertain"


def test_closed_world_reading_would_change_the_answer() -> None:
    """Meta: reading False as "not derivable" (closed world) turns a hand-made Uncertain into False."""
    f = linc.formalise_sample(linc_sample(["Dog(Rex)"], "Cat(Rex)"))
    assert decide(f, timeout=10).answer == "Uncertain"
    goal = "(p_Cat c_Rex)"
    closed = Formalisation(f.declarations, f.premises, (
        Option("True", (Check("entailed", goal),)),
        Option("False", (Check("consistent", f"(not {goal})"),)),
    ))
    assert decide(closed, timeout=10).answer == "False"


def test_membership_between_individuals_is_a_binary_relation() -> None:
    # "y ∈ x" with x an individual (a language family): a relation like any other, as in first-order set theory.
    rule = "∀x ∀y ((Family(x) ∧ y ∈ x) → Related(y, x))"
    assert folio_answer([rule, "Family(romance)", "french ∈ romance"], "Related(french, romance)") == "A"
    assert folio_answer([rule, "Family(romance)"], "Related(french, romance)") == "C"
    # One symbol, one role: ∈ stays a relation of two individuals, apart from a predicate spelt otherwise.
    assert folio_answer([rule, "Family(romance)", "In(french, romance)"], "Related(french, romance)") == "C"


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(("formula", "why"), [
    ("Rating(subway, y) ∧ y > 9", "'>': arithmetic comparison is not first-order logic over individuals"),
    ("∀x ∀y (Family(x) ∧ y ∈ → Related(y, x))", "expected a term after '∈', found '→'"),
    ("Endowment(yale, 42.3billion)", "unexpected character '.' in Unicode FOL formula"),
    ("Dog(rex) Cat(rex)", "unexpected 'Cat' after a complete formula"),
    ("(Dog(rex)", "the formula ends where ')' was expected"),
    ("∀x x(rex)", "'x' is a variable bound by a quantifier, applied to arguments"),
    ("∀x (Dog(x) → x)", "'x' is a variable bound by a quantifier, used as a formula"),
    ("Dog(rex) → y", "'y' is a variable (Logic-LM capitalises longer names, so Prover9 reads a free single letter "
     "u to z as a variable), used as a formula"),
])
def test_unicode_refusals(formula: str, why: str) -> None:
    with pytest.raises(Malformed) as err:
        folio.formalise(folio_program([formula], "Dog(rex)"), {"options": OPTIONS})
    assert err.value.why == why
    assert err.value.line == 4


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch {marker}')",
    "Dog(Rex).__class__.__subclasses__()",
    "(lambda: open('{marker}', 'w'))()",
    "\\x.Dog(x)",
    "exec(\"open('{marker}', 'w')\")",
    "Dog(Rex) & eval(compile('open(\"{marker}\", \"w\")', 'f', 'exec'))",
])
def test_python_in_a_sample_is_malformed_and_never_runs(payload: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "ran"
    text = payload.format(marker=marker)
    with pytest.raises(Malformed):
        linc.formalise_sample(linc_sample(["Dog(Rex)", text], "Dog(Rex)"))
    with pytest.raises(Malformed):
        folio.formalise(folio_program(["Dog(rex)", text], "Dog(rex)"), {"options": OPTIONS})
    assert not marker.exists()
    assert list(tmp_path.iterdir()) == []


def test_nltk_quantified_name_must_be_a_variable() -> None:
    with pytest.raises(Malformed) as err:
        linc.formalise_sample(linc_sample([], "all person. Happy(person)"))
    assert err.value.why.startswith("'person' cannot be a quantified variable in NLTK")
    assert (err.value.line, err.value.column) == (2, 10)
    # NLTK takes every name after the quantifier as a variable until '.': without the dot, 'Student' is one.
    with pytest.raises(Malformed) as err:
        linc.formalise_sample(linc_sample([], "all x Student(x)"))
    assert err.value.why.startswith("'Student' cannot be a quantified variable in NLTK")


# ---------------------------------------------------------------------------- which names are variables


def test_linc_single_letters_before_u_are_constants_as_in_prover9() -> None:
    # Prover9 reads a free name as a variable only when it starts with u..z (LADR's variable_name): 'a' and 'b'
    # are two constants.  Before, both were variables closed universally, and "Tall(a)" entailed "Tall(b)".
    assert linc_answer(["Tall(a)"], "Tall(b)") == "Uncertain"
    assert linc_answer(["Tall(a)"], "Tall(a)") == "True"
    f = linc.formalise_sample(linc_sample(["Tall(a)"], "Tall(b)"))
    assert "(declare-const c_a s_U)" in f.declarations and "(declare-const c_b s_U)" in f.declarations


@pytest.mark.parametrize(("name", "variable"), [
    ("x", True), ("y1", True), ("u1", True), ("z", True), ("xavier", True), ("w_2", True),
    ("a", False), ("t", False), ("ann", False), ("e1", False), ("X", False), ("Xavier", False), ("Ann", False),
])
def test_linc_free_names_follow_prover9s_rule(name: str, variable: bool) -> None:
    smt = fol.to_smtlib(fol.parse_formula(f"Tall({name})", linc.NLTK))
    assert smt == (f"(p_Tall v_{name})" if variable else f"(p_Tall c_{name})")
    # A free variable says "everything": "Tall(x)" entails "Tall(Bob)", a constant does not.
    assert linc_answer([f"Tall({name})"], "Tall(Bob)") == ("True" if variable else "Uncertain")


def test_a_quantified_name_is_a_variable_whatever_its_letter() -> None:
    # Bound by a quantifier, 'a' is a variable in its scope (and a constant outside it), in NLTK and in Prover9.
    assert linc_answer(["all a. Tall(a)"], "Tall(Bob)") == "True"
    assert linc_answer(["Tall(a) & all a. (Tall(a) -> Big(a))"], "Big(b)") == "Uncertain"
    assert linc_answer(["Tall(a) & all a. (Tall(a) -> Big(a))"], "Big(a)") == "True"
    # NLTK's function variables: one capital letter and digits, bound like any other (LINC's 'all A B C.').
    assert linc_answer(["all A B. (In(A, B) -> Near(A, B))", "In(Rex, Home)"], "Near(Rex, Home)") == "True"


def test_names_starting_u_to_z_as_predicates_and_propositions() -> None:
    # Only a name without arguments can be a variable: 'young(x)' is a predicate.
    assert linc_answer(["all x. (young(x) -> wise(x))", "young(Bob)"], "wise(Bob)") == "True"
    # A bare 'wet' is a free variable to Prover9, so it cannot stand as a formula.
    with pytest.raises(Malformed, match="'wet' is a variable \\(Prover9 reads a free name that starts with u to z "
                                        "as a variable\\), used as a formula"):
        linc.formalise_sample(linc_sample(["Raining -> wet"], "Raining"))
    # Free, 'x(Rex)' is a predicate named x (Prover9: a symbol with arguments is never a variable).
    assert fol.to_smtlib(fol.parse_formula("x(rex)", folio.UNICODE)) == "(p_x c_rex)"


def test_logic_lm_free_names_single_letters_u_to_z_only() -> None:
    # Logic-LM's parser capitalises every name longer than one character before NLTK and Prover9 see it, so a
    # free 'x1' reaches Prover9 as the constant X1, and a free 'a' is a constant as in LINC.
    assert fol.to_smtlib(fol.parse_formula("P(a)", folio.UNICODE)) == "(p_P c_a)"
    assert fol.to_smtlib(fol.parse_formula("P(x1)", folio.UNICODE)) == "(p_P c_x1)"
    assert fol.to_smtlib(fol.parse_formula("P(y)", folio.UNICODE)) == "(p_P v_y)"
    assert folio_answer(["Tall(a)"], "Tall(b)") == "C"
    assert folio_answer(["Tall(z)"], "Tall(bob)") == "A"


def test_sample_without_fol_lines_is_malformed() -> None:
    with pytest.raises(Malformed, match="no 'FOL:' line"):
        linc.formalise_sample("TEXT:\tjust words\n")


def test_a_fol_flag_inside_a_line_is_refused() -> None:
    # LINC takes every line with "FOL:" anywhere in it as a formula; before, such a line was skipped and the
    # sample answered from the others.
    sample = linc_sample(["Dog(Rex)"], "Dog(Rex)").replace("TEXT:\tpremise 0", "TEXT:\tRex is a dog. FOL: -Dog(Rex)")
    with pytest.raises(Malformed) as err:
        linc.formalise_sample(sample)
    assert (err.value.line, err.value.column) == (1, 21)
    assert err.value.why == "'FOL:' inside a line: LINC reads every line containing it as a formula, this one too"


def test_an_underscore_name_has_two_readings() -> None:
    # Prover9 reads '_' as a constant; a model writes it for "anything" (Capital(x, _)).
    with pytest.raises(Malformed, match="'_' starts with '_': Prover9 reads it as one more constant"):
        linc.formalise_sample(linc_sample(["all x. (Capital(x, _) -> City(x))"], "City(Rome)"))


def test_linc_argument_repair_is_recorded_and_repaired_not_accepted() -> None:
    sample = linc_sample(['Show("Stranger Things")', "all x. (Show(x) -> Popular(x))"],
                         "Popular(Stranger Things)")
    f = linc.formalise_sample(sample)
    assert f.changes == (
        "FOL line 2: argument '\"Stranger Things\"' of Show read as the constant Stranger_Things",
        "FOL line 6: argument 'Stranger Things' of Popular read as the constant Stranger_Things",
    )
    v = decide(f, timeout=10)
    assert (v.outcome, v.answer) == (Outcome.REPAIRED, "True")
    with pytest.raises(Malformed):
        linc.formalise_sample(sample, repair=False)


@pytest.mark.parametrize(("argument", "constant"), [
    ("Asia-Pacific", "Asia_Pacific"), ("People's Republic", "Peoples_Republic"), ("42.3 billion", "42_3_billion"),
    ("'Walden'", "Walden"),
])
def test_linc_argument_repairs(argument: str, constant: str) -> None:
    f = linc.formalise_sample(linc_sample([], f"In(Rex, {argument})"))
    assert f.changes == (f"FOL line 2: argument {argument!r} of In read as the constant {constant}",)
    assert f"c_{constant}" in f.declarations


@pytest.mark.parametrize("argument", ["-Tokyo", "x & y", "A | B"])
def test_linc_arguments_that_are_not_repaired(argument: str) -> None:
    with pytest.raises(Malformed):
        linc.formalise_sample(linc_sample([], f"In(Rex, {argument})"))


# ---------------------------------------------------------------------------- options of Logic-LM records


def test_option_letters_follow_the_record() -> None:
    assert folio.option_labels(["A) Uncertain", "B) True", "C) False"]) == {"Uncertain": "A", "True": "B",
                                                                           "False": "C"}
    with pytest.raises(Malformed, match=re.escape("record option 1 is 'B) Maybe'")):
        folio.option_labels(["A) True", "B) Maybe", "C) Uncertain"])
    with pytest.raises(Malformed, match="no option for Uncertain"):
        folio.option_labels(["A) True", "B) False"])


def test_folio_conclusion_must_be_one_formula() -> None:
    program = folio_program(["Dog(rex)"], "Dog(rex)") + "\nCat(rex) ::: another"
    with pytest.raises(Malformed) as err:
        folio.formalise(program, {"options": OPTIONS})
    assert err.value.line == 7


# ---------------------------------------------------------------------------- real records


@pytest.mark.skipif(not DATA.exists(), reason="the shared datasets are not here")
@pytest.mark.parametrize("record_id", ["FOLIO_dev_0", "FOLIO_dev_1", "FOLIO_dev_2", "FOLIO_dev_7"])
def test_real_logic_lm_records_give_their_gold_answer(record_id: str) -> None:
    records = {r["id"]: r for r in json.loads((DATA / "logic-lm" / "FOLIO_dev_gpt-4.json").read_text())}
    r = records[record_id]
    v = decide(folio.formalise(r["raw_logic_programs"][0], r), timeout=10)
    assert (v.outcome, v.answer) == (Outcome.ACCEPTED, r["answer"])


@pytest.mark.skipif(not DATA.exists(), reason="the shared datasets are not here")
@pytest.mark.parametrize("problem", [0, 1, 10])
def test_real_linc_samples_give_their_gold_answer(problem: int) -> None:
    base = DATA / "linc"
    raw = json.loads((base / "gpt-3.5-turbo-16k-0613_folio-neurosymbolic-8shot_generations_raw.json").read_text())
    gold = json.loads((base / "folio_references.json").read_text())
    answers = [sample_answer(decide(linc.formalise_sample(s), timeout=10)) for s in raw[problem][:3]]
    assert sequential(answers, k=2).answer == gold[problem]


# ---------------------------------------------------------------------------- the re-offload policy


def test_majority_vote_drops_missing_answers_and_breaks_ties_by_first_seen() -> None:
    assert majority_vote([None, "False", "True", "True", None]).answer == "True"
    assert majority_vote(["False", "True"]).answer == "False"
    assert majority_vote(["True", "False"]).answer == "True"
    assert majority_vote([None, None]) == Decision(None, 2, "no sample has an answer")
    assert majority_vote(["True"] * 3).samples_used == 3


def test_sequential_stops_as_soon_as_two_agree() -> None:
    assert sequential(["True", "True", "False", "False", "False"]) == Decision(
        "True", 2, "True leads by 2 after 2 samples (True: 2)")
    assert sequential([None, "False", None, "False"]).samples_used == 4


def test_sequential_needs_a_lead_not_a_count() -> None:
    d = sequential(["True", "False", "True", "False", "False", "False"])
    assert (d.answer, d.samples_used) == ("False", 6)


def test_sequential_abstains_when_samples_disagree() -> None:
    spread = ["True", "False", "Uncertain", "True", "False", "Uncertain", "True", "False", "Uncertain", "False"]
    d = sequential(spread, at_budget="abstain")
    assert d.answer is None
    assert d.samples_used == 9  # after nine, one sample cannot give any answer a lead of 2
    assert sequential(["True", "False"], budget=3, at_budget="abstain").samples_used == 2
    assert sequential(["True", "False", "True", "False"], budget=4,
                      at_budget="abstain").reason.startswith("no answer can lead by 2")
    # The plurality rule abstains on a tie at the budget, and answers a unique plurality.
    assert sequential(spread[:9]) == Decision(None, 9, "no answer leads by 2 after 9 samples "
                                                       "(True: 3, False: 3, Uncertain: 3)")
    assert sequential(spread).answer == "False"


def test_sequential_plurality_stops_once_the_budget_cannot_change_it() -> None:
    # After four, True leads by 2 with one sample left: no lead of 3, but the plurality is settled.
    d = sequential(["True", "False", "True", "True", "False"], k=3, budget=5)
    assert (d.answer, d.samples_used) == ("True", 4)
    # After three, True leads by 1 with one left: the last sample could still make a tie.
    assert sequential(["True", "False", "True", "False"], budget=4).answer is None


def test_sequential_reads_lazily_and_stops_at_the_budget() -> None:
    asked: list[int] = []

    def ask() -> object:
        for i in range(100):
            asked.append(i)
            yield "True" if i % 2 else "False"

    d = sequential(ask(), budget=10)  # type: ignore[arg-type]
    assert d.answer is None
    assert len(asked) <= 10
    with pytest.raises(ValueError, match="need k >= 1"):
        sequential([], k=0)
    with pytest.raises(ValueError, match="at_budget 'plurality' or 'abstain'"):
        sequential([], at_budget="guess")


def test_sequential_never_answers_without_a_verified_sample() -> None:
    assert sequential([None] * 10).answer is None
    assert sequential([]).answer is None


def test_propositions_and_functions() -> None:
    premises = ["Raining -> Wet", "Raining", "Mother(Ann) = Bob"]
    f = linc.formalise_sample(linc_sample(premises, "Wet & Mother(Ann) = Bob"))
    assert "(declare-fun f_Mother (s_U) s_U)" in f.declarations
    assert "(declare-fun p_Wet () Bool)" in f.declarations
    assert decide(f, timeout=10).answer == "True"
    with pytest.raises(Malformed, match="'Wet' is used as a constant here and as a predicate"):
        linc.formalise_sample(linc_sample(["Raining -> Wet"], "Likes(Ann, Wet)"))


def test_calibrate_counts_answers_per_gold_label_with_smoothing() -> None:
    cal = calibrate([["a", "a", None], ["b", "a"]], ["a", "b"], alpha=1.0)
    assert cal.prior == {"a": 0.5, "b": 0.5}
    # Under gold "a": a twice, None once, b never; three kinds (a, b, None), add-one smoothing.
    assert cal.likelihood["a"] == {"a": 3 / 6, "b": 1 / 6, None: 2 / 6}
    assert cal.likelihood["b"] == {"a": 2 / 5, "b": 2 / 5, None: 1 / 5}
    assert cal == from_counts({"a": 1, "b": 1}, {"a": {"a": 2, None: 1}, "b": {"a": 1, "b": 1}})


def test_calibrate_rejects_what_it_cannot_fit() -> None:
    with pytest.raises(ValueError, match="not among the gold labels"):
        calibrate([["maybe"]], ["True"])
    with pytest.raises(ValueError, match="one gold label per row"):
        calibrate([["True"], ["True"]], ["True"])
    with pytest.raises(ValueError, match="alpha > 0"):
        from_counts({"a": 1}, {"a": {"a": 1}}, alpha=0)


def test_posterior_weighs_answers_by_how_reliable_they_are() -> None:
    cal = calibrate([["a", "a"], ["a", "b"]], ["a", "b"])
    post = posterior(["b"], cal)
    assert abs(sum(post.values()) - 1) < 1e-12
    assert post["b"] > post["a"]
    assert posterior([], cal) == {"a": 0.5, "b": 0.5}
    assert posterior(["unheard of"], cal) == {"a": 0.5, "b": 0.5}  # an unknown answer is no evidence


def test_bayes_sequential_trusts_a_proof_more_than_uncertain() -> None:
    # On LINC's GPT-3.5 samples a verified "False" is almost never wrong and "Uncertain" often is, so one
    # "False" settles a problem and two "Uncertain" do not (the old rule, a lead of two, answered there).
    assert sequential(["Uncertain", "Uncertain", "False"]).answer == "Uncertain"
    d = bayes_sequential(["Uncertain", "Uncertain", "False"])
    assert (d.answer, d.samples_used) == ("False", 3)
    assert bayes_sequential(["False", "Uncertain"]).samples_used == 1
    assert bayes_sequential(["Uncertain"] * 10).samples_used == 3
    assert bayes_sequential(["Uncertain", "Uncertain"]).answer == "Uncertain"  # most probable at the end


def test_bayes_sequential_abstains_without_evidence_and_reads_lazily() -> None:
    assert bayes_sequential([None] * 10) == Decision(None, 10, "no sample of 10 has a verified answer")
    assert bayes_sequential([]).answer is None
    read: list[int] = []

    def ask() -> object:
        for i in range(100):
            read.append(i)
            yield None

    assert bayes_sequential(ask(), budget=4).samples_used == 4  # type: ignore[arg-type]
    assert len(read) == 4
    with pytest.raises(ValueError, match="threshold"):
        bayes_sequential([], threshold=0)
    with pytest.raises(ValueError, match="budget"):
        bayes_sequential([], budget=0)


def test_linc_calibration_is_the_documented_one() -> None:
    assert set(LINC_GPT35.prior) == {"True", "False", "Uncertain"}
    for label, dist in LINC_GPT35.likelihood.items():
        assert abs(sum(dist.values()) - 1) < 1e-12, label
    assert LINC_GPT35.likelihood["Uncertain"]["False"] < LINC_GPT35.likelihood["False"]["False"] / 100
