"""check_program: a model's function proved for every input of the bound, or refuted by one the real function fails.

Counterexamples are replayed on the real function in the sandbox
(assay.kernel.sandbox) before anything is refuted; these tests go through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome
from assay.kernel.programs import check_program
from assay.specs import load

DEFS = Path(__file__).parent / "specdefs" / "programs.py"


def _spec(name: str) -> Any:
    return load(f"{DEFS}:{name}")


SUM = "def sum_list(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"


@pytest.mark.parametrize(("spec_name", "program"), [
    ("sums", SUM),
    ("sums", "```python\nfrom typing import List\n\ndef sum_list(xs: List[int]) -> int:\n"
             "    \"\"\"Add them up.\"\"\"\n    return sum(xs)\n```\nThis adds the numbers."),
    ("sums_of_nonneg", "def sum_list(xs):\n    t = 0\n    for x in xs:\n        if x < 0:\n"
                       "            continue\n        t += x\n    return t\n"),
    ("largest", "def largest(xs):\n    m = xs[0]\n    for x in xs[1:]:\n        if x > m:\n            m = x\n"
                "    return m\n"),
    ("largest", "def largest(xs):\n    return sorted(xs, reverse=True)[0]\n"),
    ("largest", "def largest(xs):\n    i = 0\n    m = xs[0]\n    while i < len(xs):\n        if xs[i] > m:\n"
                "            m = xs[i]\n        i += 1\n    return m\n"),
    ("sorts", "def sort_list(xs):\n    ys = list(xs)\n    n = len(ys)\n    for i in range(n):\n"
              "        for j in range(n - 1 - i):\n            if ys[j] > ys[j + 1]:\n"
              "                ys[j], ys[j + 1] = ys[j + 1], ys[j]\n    return ys\n"),
    ("palindromes", "def is_palindrome(s):\n    i = 0\n    j = len(s) - 1\n    while i < j:\n"
                    "        if s[i] != s[j]:\n            return False\n        i += 1\n        j -= 1\n"
                    "    return True\n"),
    ("digit_counts", "def digits(n):\n    count = 1\n    while n >= 10:\n        n //= 10\n        count += 1\n"
                     "    return count\n"),
])
def test_a_right_program_is_proved_for_the_bound(spec_name: str, program: str) -> None:
    v = check_program(_spec(spec_name), program)
    assert v.outcome is Outcome.ACCEPTED, v.reason
    assert v.reason.startswith("proved for every input of the bound: ")
    assert v.reason.endswith("(UNSAT on z3 and cvc5)")


def test_the_verdict_states_the_bound() -> None:
    assert check_program(_spec("sums_of_nonneg"), SUM).reason == (
        "proved for every input of the bound: xs a list of at most 5 -20..20, meeting nonneg (UNSAT on z3 and cvc5)")


@pytest.mark.parametrize(("spec_name", "program", "inputs", "reason"), [
    ("sums", "def sum_list(xs):\n    t = 0\n    for x in xs:\n        if x < 0:\n            continue\n"
             "        t += x\n    return t\n",
     {"xs": [-1]}, "counterexample: sum_list(xs=[-1]) returns 0; line 22: `out == total(xs)` is false: "
                   "`out` is 0, `total(xs)` is -1"),
    ("largest", "def largest(xs):\n    m = 0\n    for x in xs:\n        if x > m:\n            m = x\n    return m\n",
     {"xs": [-1]}, "counterexample: largest(xs=[-1]) returns 0; line 40: `out in xs` is false: `out` is 0, "
                   "`xs` is [-1]"),
    ("largest", "def largest(xs):\n    return xs[1]\n",
     {"xs": [0]}, "counterexample: largest(xs=[0]) raises IndexError: list index out of range"),
    ("palindromes", "def is_palindrome(s):\n    return s[0] == s[-1]\n",
     {"s": ""}, "counterexample: is_palindrome(s='') raises IndexError: string index out of range"),
    ("digit_counts", "def digits(n):\n    count = 0\n    while n > 0:\n        n //= 10\n        count += 1\n"
                     "    return count\n",
     {"n": 0}, "counterexample: digits(n=0) returns 0; line 59: `out == (1 if n < 10 else (2 if n < 100 else 3))` "
               "is false: `out` is 0, `1 if n < 10 else (2 if n < 100 else 3)` is 1"),
])
def test_a_wrong_program_is_refuted_by_a_short_counterexample_it_reproduces(
        spec_name: str, program: str, inputs: dict[str, Any], reason: str) -> None:
    v = check_program(_spec(spec_name), program)
    assert v.outcome is Outcome.REFUTED, v.reason
    assert v.witness["inputs"] == inputs
    assert v.reason == reason


def test_a_counterexample_meets_the_precondition() -> None:
    # Skipping negatives is wrong for all lists, right for those the precondition allows.
    skip = "def sum_list(xs):\n    return sum(x for x in xs if x >= 0)\n"
    assert check_program(_spec("sums"), skip).outcome is Outcome.REFUTED
    assert check_program(_spec("sums_of_nonneg"), skip).outcome is Outcome.ACCEPTED


def test_a_bubble_sort_that_stops_after_one_pass_is_refuted() -> None:
    one_pass = ("def sort_list(xs):\n    ys = list(xs)\n    for i in range(len(ys) - 1):\n"
                "        if ys[i] > ys[i + 1]:\n            ys[i], ys[i + 1] = ys[i + 1], ys[i]\n    return ys\n")
    v = check_program(_spec("sorts"), one_pass)
    assert v.outcome is Outcome.REFUTED, v.reason
    xs = v.witness["inputs"]["xs"]
    assert sorted(xs) != v.witness["output"] and len(xs) == 3  # the shortest list one pass cannot sort


@pytest.mark.parametrize(("program", "why"), [
    ("", "no program in the text"),
    ("def sum_list(xs):\n    return sum(xs\n", "line 2, column 15: the program does not parse: '(' was never closed"),
    ("def add(xs):\n    return 0\n", "the program defines no function 'sum_list' (it defines add)"),
    ("import os\ndef sum_list(xs):\n    return 0\n", "line 1, column 1: the program imports 'os', which reaches "
                                                      "outside it"),
    ("def sum_list(xs):\n    open('/tmp/x', 'w')\n    return 0\n", "line 2, column 5: the program names 'open', "
                                                                    "which reaches outside it"),
    ("def sum_list(xs):\n    return ().__class__.__bases__\n", "line 2, column 12: the program reaches for the "
                                                               "attribute '__bases__'"),
])
def test_a_malformed_or_escaping_program_never_runs(program: str, why: str) -> None:
    v = check_program(_spec("sums"), program)
    assert v.outcome is Outcome.MALFORMED
    assert v.reason == f"the program is malformed: {why}"


def test_an_escaping_program_creates_no_marker(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    program = (f"import subprocess\ndef sum_list(xs):\n    subprocess.run(['touch', {str(marker)!r}])\n"
               f"    return 0\nsubprocess.run(['touch', {str(marker)!r}])\n")
    assert check_program(_spec("sums"), program).outcome is Outcome.MALFORMED
    assert not marker.exists()


@pytest.mark.parametrize(("program", "construct"), [
    ("def sum_list(xs):\n    try:\n        return sum(xs)\n    except ValueError:\n        return 0\n", "Try"),
    ("def sum_list(xs):\n    if not xs:\n        return 0\n    return xs[0] + sum_list(xs[1:])\n", "calls itself"),
    ("def sum_list(xs):\n    ys = xs\n    ys.append(0)\n    return sum(ys)\n", "aliasing"),
    ("def sum_list(xs):\n    return int(sum(xs) * 1.0)\n", "float"),
])
def test_a_right_program_outside_the_subset_is_searched_and_never_proved(program: str, construct: str) -> None:
    v = check_program(_spec("sums"), program)
    assert v.outcome is Outcome.UNKNOWN, v.reason
    searched, _, why = v.reason.partition("; not proved: line ")
    assert searched.startswith("unsupported: searched ") and searched.endswith(" inputs of the bound: none failed")
    assert int(searched.split()[2]) >= 1000
    assert construct in why


@pytest.mark.parametrize(("program", "inputs"), [
    ("def sum_list(xs):\n    d = {}\n    return len(d)\n", {"xs": [1]}),  # a dict: outside the subset
    ("def sum_list(xs):\n    return sum(set(xs))\n", {"xs": [1, 1]}),  # set(): drops the repeated item
    ("def sum_list(xs):\n    try:\n        return sum(xs) // (len(xs) - 3) * 0 + sum(xs)\n"
     "    except ZeroDivisionError:\n        return 0\n", {"xs": [0, 0, 1]}),  # wrong on length 3 only
])
def test_a_wrong_program_outside_the_subset_is_refuted_by_the_search(program: str, inputs: dict[str, Any]) -> None:
    v = check_program(_spec("sums"), program)
    assert v.outcome is Outcome.REFUTED, v.reason
    assert v.witness["inputs"] == inputs  # the smallest failing input: the search goes smallest first
    assert "(found by a bounded search of " in v.reason
    assert "the solvers did not judge the program: unsupported: not proved: line " in v.reason


def test_a_search_that_tries_every_input_of_the_bound_still_does_not_accept() -> None:
    # Words of at most 4 over 'ab': 31 inputs, all run, none fails; outside the subset it is still no proof.
    v = check_program(_spec("palindromes"), "def is_palindrome(s):\n    try:\n        return s == s[::-1]\n"
                      "    except IndexError:\n        return False\n")
    assert v.outcome is Outcome.UNKNOWN, v.reason
    assert v.reason.startswith("unsupported: searched 31 inputs of the bound, every one: none failed; not proved: ")


def test_a_search_refutation_is_replayed_on_the_real_function() -> None:
    # A runner that reports failures the real function does not have (as a sandbox running another program
    # would): every search failure is replayed with confirm, which checks the output against the spec.
    from assay.kernel.sandbox import CallResult

    def lies(code: str, entry: str, calls: Any, **limits: Any) -> Any:
        return [CallResult("returned", value=sum(c[0]) if not limits else 999) for c in calls]

    program = "def sum_list(xs):\n    try:\n        return sum(xs)\n    except ValueError:\n        return 0\n"
    v = check_program(_spec("sums"), program, runner=lies)
    assert v.outcome is Outcome.UNKNOWN, v.reason
    assert "none failed" in v.reason


def test_a_hostile_program_outside_the_subset_ends_within_the_searchs_limits() -> None:
    spin = ("def sum_list(xs):\n    try:\n        while True:\n            pass\n    except ValueError:\n"
            "        return 0\n")
    v = check_program(_spec("sums"), spin)
    assert v.outcome is Outcome.UNKNOWN, v.reason  # a call past its time is no evidence about the function
    assert v.reason == ("unsupported: searched 4 inputs of the bound: none failed; the program did not finish on 4 "
                        "(timeout 4x: ran past its limit of 0.5 CPU seconds; no evidence about the function); the "
                        "search stopped there; not proved: line 2, column 5: `try: while True: pass except "
                        "ValueError: return 0` (Try) is outside the program subset")


def test_a_loop_past_its_bound_is_never_proved() -> None:
    # Runs for ever on n = 0: the encoding sees a while loop past its bound, the sandbox a timeout.
    spin = "def digits(n):\n    count = 1\n    while n >= 0:\n        n //= 10\n        count += 1\n    return count\n"
    v = check_program(_spec("digit_counts"), spin)
    assert v.outcome is Outcome.UNKNOWN, v.reason
    assert "did not finish" in v.reason and "timeout" in v.reason


def test_a_counterexample_the_real_function_does_not_reproduce_is_no_refutation() -> None:
    from assay.kernel.sandbox import run_calls

    right = "def largest(xs):\n    return max(xs)\n"

    def runs_another_program(code: str, entry: str, calls: Any, **limits: Any) -> Any:
        # What a sandbox that ran something else than the program checked would answer: the right function.
        return run_calls(right, entry, calls, **limits)

    v = check_program(_spec("largest"), "def largest(xs):\n    return 0\n", runner=runs_another_program)
    assert v.outcome is Outcome.UNKNOWN, v.reason
    assert v.reason.startswith("solver-model-rejected: the real function meets the spec on the solvers' input "
                               "largest(xs=")


# --- strings, conversions, in-place sorting ---------------------------------------------------------------


@pytest.mark.parametrize(("spec_name", "program"), [
    ("upper_counts", "def count_upper(s):\n    return sum(1 for c in s if c.isupper())\n"),
    ("upper_counts", "def count_upper(s):\n    return sum(1 for c in s if c != c.lower())\n"),
    ("word_counts", "def words(s):\n    return len(s.strip().split())\n"),
    ("shouts", "def shout(s):\n    return ''.join(c.upper() for c in s)\n"),
    ("digit_sums", "def digit_sum(n):\n    return sum(int(d) for d in str(n))\n"),
    ("sorts_in_place", "def sort_in_place(xs):\n    ys = list(xs)\n    ys.sort()\n    return ys\n"),
])
def test_string_methods_and_conversions_are_proved(spec_name: str, program: str) -> None:
    v = check_program(_spec(spec_name), program)
    assert v.outcome is Outcome.ACCEPTED, v.reason


@pytest.mark.parametrize(("spec_name", "program", "inputs"), [
    ("upper_counts", "def count_upper(s):\n    return sum(1 for c in s if c.isalpha())\n", {"s": "a"}),
    ("word_counts", "def words(s):\n    return len(s.split(' '))\n", {"s": ""}),
    ("shouts", "def shout(s):\n    return s.replace('B', 'b')\n", None),
    ("sorts_in_place", "def sort_in_place(xs):\n    ys = list(xs)\n    ys.sort(reverse=True)\n    return ys\n",
     None),
])
def test_string_programs_are_refuted(spec_name: str, program: str, inputs: dict[str, Any] | None) -> None:
    v = check_program(_spec(spec_name), program)
    assert v.outcome is Outcome.REFUTED, v.reason
    if inputs is not None:
        assert v.witness["inputs"] == inputs
    elif spec_name == "shouts":  # one character: 'a' (not upper-cased) or 'B' (lower-cased)
        assert v.witness["inputs"]["s"] in ("a", "B")
    else:  # a two-item list out of order either way round
        xs = v.witness["inputs"]["xs"]
        assert len(xs) == 2 and v.witness["output"] != sorted(xs)


def test_a_replace_that_is_upper_over_the_alphabet_is_proved() -> None:
    # Over ' 1Ba', upper() changes only 'a': replacing it is the same function there.
    assert check_program(_spec("shouts"), "def shout(s):\n    return s.replace('a', 'A')\n").outcome \
        is Outcome.ACCEPTED


def test_an_int_of_a_sign_alone_raises_as_in_cpython() -> None:
    v = check_program(_spec("digit_sums"), "def digit_sum(n):\n    return sum(int(d) for d in str(n - 100))\n")
    assert v.outcome is Outcome.REFUTED, v.reason
    assert v.witness["raised"].startswith("ValueError: invalid literal for int()")


def test_a_proof_over_no_input_at_all_is_vacuous() -> None:
    # No list of at most 5 items has more than 5: any program would be "proved"; the verdict says so.
    v = check_program(_spec("sums_of_nothing"), "def sum_list(xs):\n    return 1\n")
    assert v.outcome is Outcome.VACUOUS
    assert v.reason.startswith("no input of the bound meets the precondition (UNSAT on z3 and cvc5)")


def test_an_append_after_a_conditional_append_goes_after_the_items() -> None:
    # After `if x > 0: out.append(x)` the list has a slot per step but fewer items; the next append
    # goes at len(out), not after the last slot (the encoding put it there: the right program was
    # refuted by the solvers on xs=[-1], whose real run disagreed, and it stayed UNKNOWN).
    program = ("def positives_then_zero(xs):\n    out = []\n    for x in xs:\n        if x > 0:\n"
               "            out.append(x)\n    out.append({})\n    return out\n")
    v = check_program(_spec("positives_then_zero"), program.format(0))
    assert v.outcome is Outcome.ACCEPTED, v.reason
    v = check_program(_spec("positives_then_zero"), program.format(1))
    assert v.outcome is Outcome.REFUTED, v.reason
    assert v.witness["inputs"] == {"xs": []}


def test_a_replay_passes_a_tuple_as_a_tuple() -> None:
    # The solvers' model (and a certificate) holds a tuple as a JSON list; the replay must call the real
    # function with the decoded tuple, or `t + (0,)` raises TypeError and a right program is "refuted".
    from assay.kernel.programs import confirm
    from assay.kernel.sandbox import run_calls

    spec = _spec("firsts")
    right = "def first(t):\n    return (t + (0,))[0]\n"
    assert isinstance(confirm(spec, right, "first", {"t": [3, 4]}, run_calls), str)
    wrong = confirm(spec, "def first(t):\n    return (t + (0,))[1]\n", "first", {"t": [3, 4]}, run_calls)
    assert not isinstance(wrong, str) and wrong.output == 4


def test_assay_check_judges_each_line_of_programs_against_a_program_spec(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import shutil

    from assay.proofs import recheck_path

    from assay.cli import main

    monkeypatch.chdir(tmp_path)
    shutil.copy(DEFS, tmp_path / "programs.py")
    lines = [{"id": "right", "proposal": f"```python\n{SUM}```\nIt adds them up."},
             {"id": "wrong", "proposal": "def sum_list(xs):\n    return len(xs)\n"},
             {"id": "number", "proposal": 3},
             {"id": "givens", "givens": {"xs": [1]}, "proposal": SUM},
             {"id": "escapes", "proposal": "import os\ndef sum_list(xs):\n    return 0\n"}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n{bad\n")
    code = main(["check", "--spec", "programs.py:sums", "in.jsonl", "--format", "json", "--store", ".assay"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1
    assert [(r["id"], r["verdict"]) for r in rows] == [
        ("right", "accepted"), ("wrong", "refuted"), ("number", "malformed"), ("givens", "malformed"),
        ("escapes", "malformed"), ("line 6", "malformed")]
    assert rows[1]["reason"].startswith("counterexample: sum_list(xs=[")
    assert rows[2]["reason"] == "line 3: the proposal of a program spec is the program's text, a JSON string (got int)"
    assert rows[3]["reason"] == "line 4: a program spec takes no givens"
    assert "imports 'os'" in rows[4]["reason"]
    assert rows[0]["certificate"] is not None
    assert [(r.ok, r.reason) for r in recheck_path(tmp_path / ".assay")] == [(True, "holds")]


def test_the_search_draws_strings_that_share_and_repeat_characters() -> None:
    # Wrong only when three spaces are not all together: among 27 characters a uniform draw of 6 rarely
    # holds three spaces; the search's palettes (1 to 3 characters, separators favoured) do.
    program = ("def has_run(s):\n    try:\n        return s.count(' ') >= 3\n    except ValueError:\n"
               "        return False\n")
    v = check_program(_spec("runs_of_spaces"), program)
    assert v.outcome is Outcome.REFUTED, v.reason
    s = v.witness["inputs"]["s"]
    assert s.count(" ") >= 3 and "   " not in s
