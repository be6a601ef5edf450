"""The ProntoQA / ProofWriter bridge: the two worlds, the polarity readings, refusals, real records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from assay.bridges.logic.common import Malformed
from assay.bridges.logic.pronto import formalise, option_labels, parse, statement_polarity
from assay.kernel.entail import decide
from assay.kernel.verdicts import Outcome

DATA = Path("/work/shared/datasets/logic-lm")
OPEN = {"id": "hand-open", "options": ["A) True", "B) False", "C) Unknown"]}
CLOSED = {"id": "hand-closed", "options": ["A) True", "B) False"]}

# "Things that are not red are kind. Bob is not kind. Anne is round. Round things are big."
THEORY = """Predicates:
Red($x, bool) ::: Is x red?
Kind($x, bool) ::: Is x kind?
Round($x, bool) ::: Is x round?
Big($x, bool) ::: Is x big?

Facts:
Kind(Bob, False) ::: Bob is not kind.
Round(Anne, True) ::: Anne is round.

Rules:
Red($x, False) >>> Kind($x, True) ::: Things that are not red are kind.
Round($x, True) >>> Big($x, True) ::: Round things are big.

Query:
{query}
"""


def program(query: str) -> str:
    return THEORY.format(query=query)


def answer(query: str, rec: dict[str, Any], **kw: Any) -> tuple[Outcome, str | None]:
    v = decide(formalise(program(query), rec, match_statement=False, **kw))
    return v.outcome, v.answer


# query -> (open world, Pyke polarities), (open world, classical), (closed world, Pyke polarities)
CASES = {
    "Big(Anne, True)": ("A", "A", "A"),      # derived
    "Big(Anne, False)": ("B", "B", "B"),     # its opposite is derived
    "Big(Bob, True)": ("C", "C", "B"),       # nothing known: Unknown, or False by failure in a closed world
    "Red(Bob, True)": ("C", "A", "B"),       # classical contraposition: not kind -> red; Pyke derives nothing
    "Red(Bob, False)": ("C", "B", "B"),
    "Kind(Bob, False)": ("A", "A", "A"),     # a fact
}


@pytest.mark.parametrize("query", list(CASES))
def test_open_world_with_separate_polarities_is_the_proofwriter_reading(query: str) -> None:
    assert answer(query, OPEN) == (Outcome.ACCEPTED, CASES[query][0])


@pytest.mark.parametrize("query", list(CASES))
def test_open_world_classical_reading_uses_contraposition(query: str) -> None:
    assert answer(query, OPEN, separate_polarities=False) == (Outcome.ACCEPTED, CASES[query][1])


@pytest.mark.parametrize("query", list(CASES))
def test_closed_world_answers_false_when_not_derived(query: str) -> None:
    assert answer(query, CLOSED) == (Outcome.ACCEPTED, CASES[query][2])


def test_the_three_semantics_disagree_on_the_hand_made_cases() -> None:
    # Meta: a wrong semantics (closed world for ProofWriter, or contraposition) changes answers, so the
    # tests above can fail.
    for column in range(3):
        others = [c for c in range(3) if c != column]
        for other in others:
            assert any(row[column] != row[other] for row in CASES.values()), (column, other)


def test_the_world_follows_the_record_options() -> None:
    assert formalise(program("Big(Bob, True)"), OPEN).options[2].label == "C"
    assert [o.label for o in formalise(program("Big(Bob, True)"), CLOSED).options] == ["A", "B"]
    with pytest.raises(Malformed, match="a closed-world reading has no Unknown answer"):
        formalise(program("Big(Bob, True)"), OPEN, closed_world=True)


def test_a_theory_deriving_both_polarities_is_vacuous_in_both_worlds() -> None:
    contradictory = THEORY.replace("Round(Anne, True) ::: Anne is round.",
                                   "Round(Anne, True) ::: Anne is round.\nBig(Anne, False)")
    for rec in (OPEN, CLOSED):
        v = decide(formalise(contradictory.format(query="Big(Anne, True)"), rec, match_statement=False))
        assert v.outcome is Outcome.VACUOUS and v.answer is None


def test_multi_argument_predicates_and_conjunctions() -> None:
    text = """Predicates:
Chases($x, $y, bool)
Round($x, bool)
Facts:
Chases(Cat, Lion, True) && Round(Lion, True)
Rules:
Chases($x, $y, True) && Round($y, True) >>> Round($x, True) && Chases($y, $x, True)
Query:
Chases(Lion, Cat, True)
"""
    # A query about a relation is read as the atom it spells, which Logic-LM's executor does not do
    # (it reads the first argument only): a named repair.
    v = decide(formalise(text, OPEN, match_statement=False))
    assert (v.outcome, v.answer) == (Outcome.REPAIRED, "A")
    assert v.changes == ("line 9: the query Chases(Lion, Cat, True) is about a relation; Logic-LM's executor "
                         "reads only its first argument (and answers Unknown whatever the facts), here it is "
                         "read as the atom it spells",)
    v = decide(formalise(text.replace("Chases(Lion, Cat, True)", "Chases(Lion, Lion, True)"), OPEN,
                         match_statement=False))
    assert (v.outcome, v.answer) == (Outcome.REPAIRED, "C")
    v = decide(formalise(text.replace("Chases(Lion, Cat, True)", "Round(Lion, True)"), OPEN,
                         match_statement=False))
    assert (v.outcome, v.answer, v.changes) == (Outcome.ACCEPTED, "A", ())


def test_constants_are_distinct_individuals() -> None:
    # Unique names, as in a logic program: two constants are two individuals.
    f = formalise(program("Big(Bob, True)"), OPEN)
    assert "(distinct c_Bob c_Anne)" in f.premises


def test_a_negation_sign_flips_the_polarity_and_is_recorded_as_a_repair() -> None:
    text = THEORY.replace("Kind(Bob, False) ::: Bob is not kind.", "!Kind(Bob, True) ::: Bob is not kind.")
    f = formalise(text.format(query="Kind(Bob, False)"), OPEN, match_statement=False)
    assert f.changes == ("line 8: read !Kind(Bob, True) as Kind(Bob, False)",)
    v = decide(f)
    assert (v.outcome, v.answer, v.changes) == (Outcome.REPAIRED, "A", f.changes)


def test_a_query_against_the_statement_is_read_as_the_statement() -> None:
    rec = {**CLOSED, "question": "Is the following statement true or false? Bob is big."}
    f = formalise(program("Big(Bob, False)"), rec)
    assert f.changes == ("line 16: the query Big(Bob, False) says the opposite of the question's statement "
                         "'Bob is big.': read as Big(Bob, True)",)
    v = decide(f)
    assert (v.outcome, v.answer) == (Outcome.REPAIRED, "B")
    # The same query matching a negative statement is left alone.
    rec = {**CLOSED, "question": "Is the following statement true or false? Bob is not big."}
    f = formalise(program("Big(Bob, False)"), rec)
    assert f.changes == () and decide(f).outcome is Outcome.ACCEPTED


@pytest.mark.parametrize(("question", "expected"), [
    ("Is the following statement true or false? Max is sour.", ("Max is sour.", True)),
    ("Based on the above information, is the following statement true, false, or unknown? The cat does not "
     "chase the dog.", ("The cat does not chase the dog.", False)),
    ("Is it true? It isn't red.", ("It isn't red.", False)),
    ("Is it true? It is not not red.", None),
    ("No question mark here.", None),
])
def test_statement_polarity(question: str, expected: tuple[str, bool] | None) -> None:
    assert statement_polarity({"question": question}) == expected


@pytest.mark.parametrize(("old", "new", "message"), [
    ("Big(Bob, True)", "Big(Bob, maybe)", "line 16, column 10: the last argument of Big(...) must be True or False"),
    ("Big(Bob, True)", "Big(Bob True)", "line 16, column 9: expected ',' before True"),
    ("Big(Bob, True)", "Big(Bob, True) >>> False", "line 16, column 16: expected the end of the query"),
    ("Big(Bob, True)", "Big($x, True)", "line 16, column 1: the query Big($x, True) has a variable"),
    ("Big(Bob, True)", "Big(Bob, Anne, True)", "line 16, column 1: Big takes 1 argument(s) before its truth "
     "value elsewhere, 2 here"),
    ("Big(Bob, True)", "Big(Bob, True)\nRed(Bob, True)", "line 17, column 1: a second query"),
    ("Round(Anne, True) ::: Anne is round.", "Round($y, True)", "line 9, column 1: the fact Round($y, True) has a "
     "variable"),
    ("Round($x, True) >>> Big($x, True)", "Round($x, True) >>> Big($y, True)", "line 13, column 21: the rule's "
     "conclusion Big($y, True) has $y, which its premises do not bind"),
    ("Round($x, True) >>> Big", "Round($x, True) <<< Big", "line 13, column 17: unexpected character '<'"),
    ("Red($x, bool)", "Red($x bool)", "line 2, column 8: expected ',' and then more arguments or bool, found 'bool'"),
    ("Red($x, bool)", "Red(x, bool)", "line 2, column 5: expected bool (the declaration's last argument), found 'x'"),
    ("Predicates:\n", "Intro\nPredicates:\n", "line 1, column 1: text before the first section header"),
    ("Query:\nBig(Bob, True)", "Query:", "the Query: section holds no query"),
])
def test_malformed_programs_name_line_and_column(old: str, new: str, message: str) -> None:
    text = program("Big(Bob, True)").replace(old, new, 1)
    with pytest.raises(Malformed, match=re.escape(message)):
        formalise(text, OPEN)


# ---- statements as Logic-LM's executor takes them from their sections (pyke_solver.Pyke_Program)


def test_a_fact_with_x_is_left_out_as_the_executor_leaves_it_out() -> None:
    # "Everything is kind" as a fact: Logic-LM's create_fact_file never writes a fact with $x, so the program
    # runs there without it; this one was MALFORMED ("the fact ... has a variable") before.
    text = THEORY.replace("Round(Anne, True) ::: Anne is round.",
                          "Round(Anne, True) ::: Anne is round.\nKind($x, True) ::: Everything is kind.")
    f = formalise(text.format(query="Kind(Anne, True)"), OPEN, match_statement=False)
    assert f.changes == ("line 10: the fact 'Kind($x, True)' is left out, as Logic-LM's executor leaves out every "
                         "fact with $x in it",)
    v = decide(f)
    # Left out, nothing says Anne is kind: Unknown, not the True that reading the fact as a rule would give.
    assert (v.outcome, v.answer, v.changes) == (Outcome.REPAIRED, "C", f.changes)
    # Any line of Facts: with "$x" in it goes, as the executor's substring test has it (a conjunction too).
    conj = THEORY.replace("Kind(Bob, False) ::: Bob is not kind.", "Kind(Bob, False) && Red($x, True)")
    f = formalise(conj.format(query="Kind(Bob, False)"), OPEN, match_statement=False)
    assert f.changes == ("line 8: the fact 'Kind(Bob, False) && Red($x, True)' is left out, as Logic-LM's executor "
                         "leaves out every fact with $x in it",)
    assert decide(f).answer == "C"


def test_a_rule_with_x_in_facts_is_refused_when_rules_has_rules_too() -> None:
    # The executor reads every line of Facts: as a fact when Rules: holds something, and drops this one ($x);
    # the notation makes it a rule.  Before, it was read as a rule and the program answered True.
    text = THEORY.replace("Round(Anne, True) ::: Anne is round.",
                          "Round(Anne, True) ::: Anne is round.\nBig($x, True) >>> Kind($x, True)")
    with pytest.raises(Malformed) as err:
        formalise(text.format(query="Kind(Anne, True)"), OPEN, match_statement=False)
    assert (err.value.line, err.value.column) == (10, 1)
    assert err.value.why.startswith("the rule 'Big($x, True) >>> Kind($x, True)' stands in the Facts: section "
                                    "while Rules: holds rules too: Logic-LM's executor then reads every line of "
                                    "Facts: as a fact and leaves this one out")


def test_with_rules_empty_the_facts_section_is_sorted_by_the_arrow() -> None:
    # One of the two sections empty: the executor takes every statement from Facts: and sorts them by ">>>";
    # only the facts among them are filtered for $x.
    text = """Predicates:
Round($x, bool)
Big($x, bool)
Facts:
Round(Anne, True)
Round($x, True) >>> Big($x, True)
Big($x, False)
Rules:
Query:
Big(Anne, True)
"""
    f = formalise(text, OPEN, match_statement=False)
    assert f.changes == ("line 7: the fact 'Big($x, False)' is left out, as Logic-LM's executor leaves out every "
                         "fact with $x in it",)
    assert decide(f).answer == "A"
    # Without a Facts: header the statements come from Rules:, filtered the same way.
    no_facts_header = text.replace("Facts:\n", "Rules:\n").replace("Big($x, False)\nRules:\n", "Big($x, False)\n")
    f = formalise(no_facts_header, OPEN, match_statement=False)
    assert f.changes == ("line 7: the fact 'Big($x, False)' is left out, as Logic-LM's executor leaves out every "
                         "fact with $x in it",)
    assert decide(f).answer == "A"


def test_an_empty_facts_section_beside_rules_is_refused() -> None:
    # The executor then takes its statements from the empty Facts: section and reads none of the rules.
    text = program("Big(Anne, True)").replace("Kind(Bob, False) ::: Bob is not kind.\nRound(Anne, True) ::: "
                                              "Anne is round.\n", "")
    with pytest.raises(Malformed, match="the Facts: section is empty while Rules: holds statements"):
        formalise(text, OPEN)


def test_an_unbound_head_variable_was_read_as_every_individual() -> None:
    # "If the bear eats the rabbit then $x eats the rabbit": read as "everything eats the rabbit" before, which
    # Pyke cannot assert; refused now.
    text = """Predicates:
Eats($x, $y, bool)
Facts:
Eats(Bear, Rabbit, True)
Rules:
Eats(Bear, Rabbit, True) >>> Eats($x, Rabbit, True)
Query:
Eats(Dog, Rabbit, True)
"""
    with pytest.raises(Malformed, match=re.escape("line 6, column 30: the rule's conclusion Eats($x, Rabbit, True) "
                                                  "has $x, which its premises do not bind")):
        formalise(text, OPEN)


# GPT-3.5's variants of the format, each with one reading: (what the theory says, how the model wrote it).
VARIANTS = [
    ("Round(Anne, True) ::: Anne is round.", "not Round(Anne, False) ::: Anne is not not round."),
    ("Round(Anne, True) ::: Anne is round.", "Not(Round(Anne, False)) ::: Anne is not not round."),
    ("Kind(Bob, False) ::: Bob is not kind.", "Not(Kind(Bob, True)) ::: Bob is not kind."),
]


@pytest.mark.parametrize(("old", "new"), VARIANTS)
def test_negation_written_as_not_is_read_and_recorded(old: str, new: str) -> None:
    for query, want in (("Big(Anne, True)", "A"), ("Red(Bob, True)", "C"), ("Kind(Bob, False)", "A")):
        text = program(query).replace(old, new, 1)
        v = decide(formalise(text, OPEN, match_statement=False))
        assert v.outcome is Outcome.REPAIRED and v.answer == want, (query, v)
        assert any("read not" in c or "read Not" in c for c in v.changes), v.changes


def test_relations_declared_without_a_truth_value_and_multi_word_constants() -> None:
    text = """Predicates:
Chases($x, $y) ::: x chases y.
Big($x, bool) ::: Is x big?
Facts:
Chases(bald eagle, Bob) ::: The bald eagle chases Bob.
Rules:
Chases($x, Bob) >>> Big($x, True) ::: Anything that chases Bob is big.
Query:
Big(bald eagle, True) ::: The bald eagle is big.
Answer: False
"""
    f = formalise(text, OPEN, match_statement=False)
    v = decide(f)
    assert v.outcome is Outcome.REPAIRED and v.answer == "A", v  # the model's own "Answer: False" is not read
    assert len(v.changes) == 4 and "Chases is declared without a truth value" in v.changes[0], v.changes
    assert [c.split(":")[0] for c in v.changes if "'bald eagle' read as one constant bald_eagle" in c] == \
        ["line 5", "line 9"]
    assert "'Answer:' after the query" in v.changes[3]
    # Declared with its truth value, the same atom without one is still malformed.
    with pytest.raises(Malformed, match="the last argument of Chases"):
        formalise(text.replace("Chases($x, $y)", "Chases($x, $y, bool)"), OPEN)


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch {marker}')",
    "Big(Bob.__class__, True)",
    "(lambda: open('{marker}', 'w'))()",
    "Big(Bob, True) or exec('open(\"{marker}\", \"w\")')",
])
def test_python_meant_to_run_is_malformed_and_nothing_runs(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    for place in ("Big(Bob, True)", "Round(Anne, True) ::: Anne is round."):
        with pytest.raises(Malformed):
            formalise(program("Big(Bob, True)").replace(place, payload.format(marker=marker)), OPEN)
    assert not marker.exists()


def test_options_must_be_true_false_and_maybe_unknown() -> None:
    assert option_labels(OPEN) == {"A": "True", "B": "False", "C": "Unknown"}
    with pytest.raises(Malformed, match="is not a letter, '\\)' and True, False or Unknown"):
        option_labels({"options": ["A) Yes", "B) No"]})
    with pytest.raises(Malformed, match="the record offers True twice"):
        option_labels({"options": ["A) True", "B) true"]})


def test_the_parse_keeps_facts_rules_and_query() -> None:
    p = parse(program("Big(Bob, True)"))
    assert [a.show() for a in p.facts] == ["Kind(Bob, False)", "Round(Anne, True)"]
    assert [(len(r.body), len(r.head)) for r in p.rules] == [(1, 1), (1, 1)]
    assert p.query is not None and p.query.show() == "Big(Bob, True)"
    assert p.arities == {"Red": 1, "Kind": 1, "Round": 1, "Big": 1}


def _records(name: str) -> dict[str, dict[str, Any]]:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return {r["id"]: r for r in json.loads(path.read_text())}


@pytest.mark.parametrize(("name", "rid", "outcome"), [
    ("ProofWriter_dev_gpt-4.json", "ProofWriter_AttNoneg-OWA-D5-1041_Q1", Outcome.ACCEPTED),
    ("ProofWriter_dev_gpt-4.json", "ProofWriter_AttNeg-OWA-D5-372_Q4", Outcome.REPAIRED),  # uses '!'
    ("ProntoQA_dev_gpt-4.json", "ProntoQA_1", Outcome.REPAIRED),  # query against the statement
    ("ProntoQA_dev_gpt-4.json", "ProntoQA_2", Outcome.ACCEPTED),
    ("ProntoQA_dev_gpt-3.5-turbo.json", "ProntoQA_21", Outcome.REPAIRED),  # 'Vumpuses($x, True)' left out
])
def test_real_records_get_their_gold_answer(name: str, rid: str, outcome: Outcome) -> None:
    rec = _records(name)[rid]
    v = decide(formalise(rec["raw_logic_programs"][0], rec))
    assert (v.outcome, v.answer) == (outcome, rec["answer"]), v


def test_a_real_record_with_rules_in_facts_is_refused() -> None:
    rec = _records("ProntoQA_dev_gpt-3.5-turbo.json")["ProntoQA_12"]
    with pytest.raises(Malformed, match=re.escape("line 20, column 1: the rule 'Tumpus($x, True) >>> Orange($x, "
                                                  "True)' stands in the Facts: section")):
        formalise(rec["raw_logic_programs"][0], rec)


def test_without_the_statement_repair_a_real_record_is_answered_wrongly() -> None:
    # ProntoQA_1: "Max is sour." queried as Sour(Max, False); read as written, the program says True (gold False).
    rec = _records("ProntoQA_dev_gpt-4.json")["ProntoQA_1"]
    v = decide(formalise(rec["raw_logic_programs"][0], rec, match_statement=False))
    assert (v.answer, rec["answer"]) == ("A", "B")


def test_answers_that_rest_on_something_not_following_are_marked() -> None:
    """Closed world: False means "not derived"; open world: Unknown means "neither derived"; both rest on absence."""
    closed = formalise(program("Big(Anne, True)"), CLOSED)
    assert {o.label: o.open_question for o in closed.options} == {"A": False, "B": True}
    opened = formalise(program("Big(Anne, True)"), OPEN)
    assert {o.label: o.open_question for o in opened.options} == {"A": False, "B": False, "C": True}
