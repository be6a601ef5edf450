"""The LogicalDeduction CSP bridge: answers on hand-made programs, refusals with line and column, real records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from assay.bridges.logic.common import Malformed
from assay.bridges.logic.csp import formalise
from assay.kernel.entail import Check, Formalisation, Option, decide
from assay.kernel.verdicts import Outcome

DATA = Path("/work/shared/datasets/logic-lm")


def record(letters: str = "ABC", rid: str = "hand") -> dict[str, Any]:
    return {"id": rid, "options": [f"{x}) option {x}" for x in letters]}


# Three books; the red one is right of the blue one; the green one is leftmost.
ROW = """Domain:
1: leftmost
3: rightmost
Variables:
blue [IN] [1, 2, 3]
red [IN] [1, 2, 3]
green [IN] [1, 2, 3]
Constraints:
red > blue ::: The red book is right of the blue book.
green == 1 ::: The green book is the leftmost.
AllDifferentConstraint([blue, red, green]) ::: All different.
Query:
A) blue == 3 ::: The blue book is the rightmost.
B) red == 3 ::: The red book is the rightmost.
C) green == 3 ::: The green book is the rightmost.
"""


def answer(program: str, rec: dict[str, Any] | None = None) -> tuple[Outcome, str | None]:
    v = decide(formalise(program, rec or record()))
    return v.outcome, v.answer


def test_the_option_entailed_by_every_solution_is_the_answer() -> None:
    assert answer(ROW) == (Outcome.ACCEPTED, "B")


def test_an_option_true_in_only_some_solutions_is_not_the_answer() -> None:
    # Without "green == 1", red may be 2 or 3: nothing holds in every solution.
    program = ROW.replace("green == 1 ::: The green book is the leftmost.\n", "")
    v = decide(formalise(program, record()))
    assert v.outcome is Outcome.UNKNOWN and v.answer is None and v.reason.startswith("ambiguous")


@pytest.mark.parametrize(("option", "part"), [
    ("red == 3 and blue == 1", "red == 3"),   # Logic-LM's executor checks red == 3 alone
    ("not blue == 3", "blue == 3"),           # ... and blue == 3, ignoring the negation
    ("green + red == 3", "red == 3"),
])
def test_an_option_the_executor_reads_only_in_part_is_refused(option: str, part: str) -> None:
    # CSP_Program.answer_mapping reads the first 'name == number' of an option's text; before, the whole option
    # was read, so "not blue == 3" was answered where Logic-LM read "blue == 3".
    program = ROW.replace("A) blue == 3 ::: The blue book is the rightmost.", f"A) {option}")
    with pytest.raises(Malformed) as err:
        formalise(program, record())
    assert (err.value.line, err.value.column) == (13, 4)
    assert err.value.why == (f"Logic-LM's executor reads only the first 'name == number' of an option, here "
                             f"{part!r}, where the option says {option!r}: two readings")


def test_an_option_the_executor_cannot_read_is_read_as_written() -> None:
    # No 'name == number' in it: Logic-LM's executor failed on these; their meaning is Python's.
    assert answer(ROW.replace("A) blue == 3", "A) blue < red")) == (Outcome.UNKNOWN, None)  # A and B both hold
    assert answer(ROW.replace("B) red == 3", "B) red==3")) == (Outcome.ACCEPTED, "B")


def test_contradictory_constraints_are_vacuous() -> None:
    program = ROW.replace("green == 1", "green == 1 and red < blue")
    assert answer(program) == (Outcome.VACUOUS, None)


@pytest.mark.parametrize(("constraint", "expected"), [
    ("blue < red < green + 5", "B"),            # chained comparison, arithmetic
    ("not (red <= blue)", "B"),
    ("red - blue == 1 or red - blue == 2", "B"),
    ("abs(blue - 1) == 1 and red != 2", "B"),
    ("red == blue * 1 + -(-1)", "B"),
    ("(red > blue) == True", "B"),
])
def test_the_expression_subset(constraint: str, expected: str) -> None:
    program = ROW.replace("red > blue ::: The red book is right of the blue book.", constraint)
    assert answer(program) == (Outcome.ACCEPTED, expected)


def test_abs_is_the_absolute_value() -> None:
    # abs(red - blue) == 2 needs red and blue at 1 and 3, but green holds 1: no solution.
    assert answer(ROW.replace("red > blue", "abs(red - blue) == 2"))[0] is Outcome.VACUOUS


def test_a_chain_means_both_links() -> None:
    # blue < green < red with green fixed at 1 has no solution; read as (blue < green) < red it would.
    program = ROW.replace("red > blue", "blue < green < red")
    assert answer(program)[0] is Outcome.VACUOUS


def test_the_translation_of_a_chain_and_of_the_domain() -> None:
    f = formalise(ROW.replace("red > blue", "blue < red <= 3"), record())
    assert "(and (<= 1 v_blue) (<= v_blue 3))" in f.premises
    assert "(and (< v_blue v_red) (<= v_red 3))" in f.premises
    assert "(distinct v_blue v_red v_green)" in f.premises
    assert f.options[1] == Option("B", (Check("entailed", "(= v_red 3)"),))


def test_options_take_the_record_letters_and_must_match_them() -> None:
    f = formalise(ROW, record("ABC"))
    assert [o.label for o in f.options] == ["A", "B", "C"]
    with pytest.raises(Malformed, match=r"the Query: section has no line for option\(s\) D"):
        formalise(ROW, record("ABCD"))
    with pytest.raises(Malformed, match="line 15, column 1: the query for option C matches none") as e:
        formalise(ROW, record("AB"))
    assert (e.value.line, e.value.column) == (15, 1)


@pytest.mark.parametrize(("bad", "message", "line", "column"), [
    ("red >> blue", "expected a number, a variable or '(', found '>'", 9, 6),
    ("red > purple", "purple is not a declared variable", 9, 7),
    ("red + (blue > 1) == 3", "the right side of '+' must be a number, not a truth value", 9, 7),
    ("red and blue", "an operand of 'and' must be a truth value, not a number", 9, 9),
    ("red == (blue == 1)", "'==' compares a number with a truth value", 9, 5),
    ("red / 2 == 1", "unexpected character '/'", 9, 5),
    ("red > blue extra", "expected the end of the line, found 'extra'", 9, 12),
    ("red in [1, 2]", "the Python keyword 'in' is not part of the constraint language", 9, 5),
    ("max(red, blue) == 3", "unknown function max()", 9, 1),
    ("red == 07", "the number 07 has a leading zero", 9, 8),
    ("blue(1) == 2", "blue is a variable, not a function", 9, 1),
])
def test_malformed_constraints_name_line_and_column(bad: str, message: str, line: int, column: int) -> None:
    program = ROW.replace("red > blue ::: The red book is right of the blue book.", bad)
    with pytest.raises(Malformed) as e:
        formalise(program, record())
    assert message in e.value.why and (e.value.line, e.value.column) == (line, column), e.value


@pytest.mark.parametrize(("old", "new", "message"), [
    ("blue [IN] [1, 2, 3]", "blue [IN] [cheapest, 2, 3]", "line 5, column 12: expected an integer value"),
    ("blue [IN] [1, 2, 3]", "blue [OUT] [1, 2, 3]", "line 5, column 7: expected [IN], found [OUT]"),
    ("green [IN] [1, 2, 3]", "blue [IN] [1, 2, 3]", "line 7, column 1: the variable blue is declared twice"),
    ("AllDifferentConstraint([blue, red, green])", "AllDifferentConstraint([blue, red, blue])",
     "line 11, column 36: AllDifferentConstraint lists blue twice"),
    ("A) blue == 3", "blue == 3", "line 13, column 1: expected an option letter"),
    ("Query:\n", "", "the program has no Query: section"),
    ("Domain:\n", "Intro\nDomain:\n", "line 1, column 1: text before the first section header"),
])
def test_malformed_programs(old: str, new: str, message: str) -> None:
    with pytest.raises(Malformed, match=re.escape(message)):
        formalise(ROW.replace(old, new, 1), record())


@pytest.mark.parametrize("payload", [
    "__import__('os').system('touch {marker}') == 0",
    "red.__class__ == 1",
    "(lambda: __import__('os').system('touch {marker}'))() == 0",
    "[c for c in ().__class__.__base__.__subclasses__()] == 1",
    "exec('open(\"{marker}\", \"w\")') == 0",
])
def test_python_meant_to_run_is_malformed_and_nothing_runs(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    program = ROW.replace("red > blue", payload.format(marker=marker))
    with pytest.raises(Malformed):
        formalise(program, record())
    query = ROW.replace("A) blue == 3", "A) " + payload.format(marker=marker))
    with pytest.raises(Malformed):
        formalise(query, record())
    assert not marker.exists()


def test_a_refused_constraint_never_reaches_a_solver() -> None:
    # The bridge builds SMT-LIB only from its own tokens: a model cannot smuggle SMT-LIB commands in a name.
    with pytest.raises(Malformed, match=re.escape("line 9, column 11: expected the end of the line, found ')'")):
        formalise(ROW.replace("red > blue", "red > blue)) (exit) ((blue"), record())


def _records(name: str) -> list[dict[str, Any]]:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    rows: list[dict[str, Any]] = json.loads(path.read_text())
    return rows


@pytest.mark.parametrize("rid", ["logical_deduction_0", "logical_deduction_1", "logical_deduction_2"])
def test_real_gpt4_records_get_their_gold_answer(rid: str) -> None:
    rec = next(r for r in _records("LogicalDeduction_dev_gpt-4.json") if r["id"] == rid)
    v = decide(formalise(rec["raw_logic_programs"][0], rec))
    assert v.outcome is Outcome.ACCEPTED and v.answer == rec["answer"], v


def test_a_real_program_with_the_wrong_direction_is_answered_wrongly_but_consistently() -> None:
    # logical_deduction_12: the model wrote "below" as "<" although 1 is first: the program entails C, gold E.
    # The kernel answers what the program says; this pins that the bridge does not guess the text's intent.
    rec = next(r for r in _records("LogicalDeduction_dev_gpt-4.json") if r["id"] == "logical_deduction_12")
    v = decide(formalise(rec["raw_logic_programs"][0], rec))
    assert (v.answer, rec["answer"]) == ("C", "E")


def test_real_label_valued_variables_are_malformed_with_their_place() -> None:
    rec = next(r for r in _records("LogicalDeduction_dev_gpt-3.5-turbo.json") if r["id"] == "logical_deduction_267")
    with pytest.raises(Malformed, match="line 5, column 13: expected an integer value, found 'cheapest'"):
        formalise(rec["raw_logic_programs"][0], rec)


def test_a_kernel_that_ignored_the_options_would_fail_these_tests() -> None:
    # Meta: swap the option checks (A <-> B) and the hand-made answer moves with them.
    f = formalise(ROW, record())
    swapped = Formalisation(f.declarations, f.premises,
                            (Option("A", f.options[1].checks), Option("B", f.options[0].checks), f.options[2]))
    assert decide(swapped).answer == "A" != answer(ROW)[1]


@pytest.mark.parametrize(("constraints", "expected"), [
    ("", True),  # x may be 1 or 2
    ("x == 1 ::: fixed", False),
    ("x == 1 ::: fixed\ny > x ::: y after x", True),  # y may be 2 or 3
    ("x == 1 ::: fixed\ny == 3 ::: fixed", False),
    ("x == 1 ::: x\nx == 2 ::: contradiction", False),  # no arrangement at all: not two
])
def test_second_solution_says_whether_two_arrangements_exist(constraints: str, expected: bool) -> None:
    from assay.bridges.logic.csp import second_solution

    two = "y [IN] [1, 2, 3]\n" if "y" in constraints else ""
    program = (f"Domain:\n1: first\nVariables:\nx [IN] [1, 2]\n{two}Constraints:\n{constraints}\n"
               "Query:\nA) x == 1 ::: x is first\nB) x == 2 ::: x is second\n")
    f = formalise(program, {"id": "t", "options": ["A) x is first", "B) x is second"]})
    assert second_solution(f) is expected
