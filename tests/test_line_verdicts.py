"""Every line gets a verdict and every resource is bounded (issue 10, section 4).

Each case here once crashed the whole `assay check` run (the lines after it
never reported) or ran far past its limits.  Each test puts the bad line
between two good ones and asserts all three verdicts, through the CLI that
production runs.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome
from assay.kernel.repair import repair
from assay.proofs.certificate import read
from assay.specs import load
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assay.cli import main

STRINGS = '''\
from typing import Annotated
from assay.specs import spec, Given, Proposal, MaxLen

@spec
def same(target: Given[str], s: Proposal[Annotated[str, MaxLen(3)]]) -> bool:
    return s == target
'''


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh current folder holding the spec files; no ASSAY_HOME, no CI."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSAY_HOME", raising=False)
    monkeypatch.delenv("CI", raising=False)
    (tmp_path / "strings.py").write_text(STRINGS)
    return tmp_path


def jsonl(path: Path, *lines: str) -> Path:
    """Write each line as it is (JSON text written by the test, so it can hold a lone surrogate)."""
    path.write_text("".join(line + "\n" for line in lines), encoding="ascii")
    return path


def check_rows(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    """Run `assay check ... --format json`; the exit code and the rows (id, verdict, reason, ...)."""
    code = main(["check", *argv, "--format", "json"])
    out, _ = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()]


def verdicts(rows: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    return [(r["id"], r["verdict"]) for r in rows]


# --- a lone surrogate -------------------------------------------------------------------------

SURROGATE_LINES = (
    '{"id": "good", "givens": {"target": "ab"}, "proposal": "ab"}',
    '{"id": "in-proposal", "givens": {"target": "ab"}, "proposal": "a\\ud800"}',
    '{"id": "in-given", "givens": {"target": "\\ud800"}, "proposal": "ab"}',
    '{"id": "in-both", "givens": {"target": "\\ud800"}, "proposal": "\\ud800"}',
    '{"id": "good-too", "givens": {"target": "ab"}, "proposal": "ab"}',
)
SURROGATE_VERDICTS = [("good", "accepted"), ("in-proposal", "refuted"), ("in-given", "refuted"),
                      ("in-both", "accepted"), ("good-too", "accepted")]


def test_a_lone_surrogate_is_a_verdict_without_a_store(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The refuted lines ask the vacuity query, whose cache key hashes the givens.
    props = jsonl(work / "p.jsonl", *SURROGATE_LINES)
    code, rows = check_rows(capsys, "--spec", "strings.py", str(props), "--no-store")
    assert code == 1
    assert verdicts(rows) == SURROGATE_VERDICTS
    assert rows[1]["reason"] == "1 violated: line 6: `s == target` is false: `s` is 'a\\ud800', `target` is 'ab'"
    assert rows[2]["reason"] == "1 violated: line 6: `s == target` is false: `s` is 'ab', `target` is '\\ud800'"


def test_a_lone_surrogate_is_certified_exactly_and_rechecks(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", *SURROGATE_LINES)
    code, rows = check_rows(capsys, "--spec", "strings.py", str(props))
    assert code == 1
    assert verdicts(rows) == SURROGATE_VERDICTS
    stored = [read(r["certificate"]) for r in rows]
    # Written with ASCII escapes, read back as the very strings the lines held.
    assert [(c["givens"], c["proposal"]) for c in stored] == [
        ({"target": "ab"}, "ab"), ({"target": "ab"}, "a\ud800"), ({"target": "\ud800"}, "ab"),
        ({"target": "\ud800"}, "\ud800"), ({"target": "ab"}, "ab")]
    assert all(Path(r["certificate"]).read_bytes().isascii() for r in rows)
    code = main(["recheck"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "4 certificates: 4 hold, 0 failed\n")  # "good" and "good-too" share one
    assert out.count("ok      ") == 4


@pytest.mark.parametrize("store", [False, True])
def test_repair_with_a_lone_surrogate(work: Path, store: bool) -> None:
    spec = load("strings.py:same")
    where = work / ".assay" if store else None
    to_surrogate = repair(spec, {"target": "\ud800"}, "ab", timeout=10, store=where)
    from_surrogate = repair(spec, {"target": "ab"}, "a\ud800", timeout=10, store=where)
    assert (to_surrogate.outcome, to_surrogate.answer) == (Outcome.REPAIRED, "\ud800")
    assert (from_surrogate.outcome, from_surrogate.answer) == (Outcome.REPAIRED, "ab")
    assert (to_surrogate.certificate is not None) == store


def test_the_hash_of_an_ascii_value_is_its_compact_sorted_json() -> None:
    # ASCII escapes change nothing for ASCII text: such values hash as they always did.
    from hashlib import sha256

    from assay.proofs.certificate import canonical_json, sha256_of

    value = {"b": [1, 2], "a": "x y"}
    assert canonical_json(value) == b'{"a":"x y","b":[1,2]}'
    assert sha256_of(value) == sha256(b'{"a":"x y","b":[1,2]}').hexdigest()
    assert canonical_json({"s": "\ud800é"}) == b'{"s":"\\ud800\\u00e9"}'


# --- integers too long for str() ---------------------------------------------------------------

BIG = '''\
from assay.specs import spec, Given, Proposal

@spec
def small_square(x: Proposal[int]) -> bool:
    return x * x < 10

def square(n: int, x: int) -> int:
    return x * x

@spec(maximize=square)
def near_top(n: Given[int], x: Proposal[int]) -> bool:
    return n - 10 <= x <= n
'''
SEVENS = int("7" * 2500)


def test_a_wrong_proposal_of_2500_digits_is_explained_abbreviated(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Its square has 5,000 digits: more than str() converts, so showing it once raised ValueError.
    (work / "big.py").write_text(BIG)
    props = work / "p.jsonl"
    props.write_text("".join(json.dumps({"id": i, "proposal": x}) + "\n" for i, x in enumerate([3, SEVENS, 1])))
    code, rows = check_rows(capsys, "--spec", "big.py:small_square", str(props), "--no-store")
    assert code == 1
    assert verdicts(rows) == [(0, "accepted"), (1, "refuted"), (2, "accepted")]
    assert rows[1]["reason"] == ("1 violated: line 5: `x * x < 10` is false: "
                                 "`x * x` is 6049382716...8395061729 (5000 digits)")


def test_a_solver_witness_with_a_5000_digit_objective_refutes_optimality(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The query's bound (the proposal's objective) has 5,000 digits, and so has the witness's objective:
    # the SMT-LIB numeral and the reason are written without str()'s limit (the query was UNKNOWN).
    (work / "big.py").write_text(BIG)
    props = work / "p.jsonl"
    props.write_text("".join(json.dumps({"id": i, "givens": {"n": n}, "proposal": x}) + "\n"
                             for i, (n, x) in enumerate([(5, 5), (SEVENS, SEVENS - 10), (5, 3)])))
    code, rows = check_rows(capsys, "--spec", "big.py:near_top", str(props))
    assert code == 1
    assert verdicts(rows) == [(0, "accepted"), (1, "refuted"), (2, "refuted")]
    assert rows[1]["reason"] == (
        "the optimal claim fails: 7777777777...7777777768 (2500 digits) also meets the spec with objective "
        "6049382716...8395061824 (5000 digits) (this proposal: 6049382716...2839506289 (5000 digits))")
    assert read(rows[1]["certificate"])["claims"][0]["witness"] == SEVENS - 9
    code = main(["recheck"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "3 certificates: 3 hold, 0 failed\n"), out


@dataclasses.dataclass
class Pair:
    a: int
    b: int


def test_show_value_is_short_and_total() -> None:
    from assay.specs.explain import show_value
    from assay.specs.show import show_int

    huge = 7 * 10**5000 + 123
    assert show_value(huge) == "7000000000...0000000123 (5001 digits)"
    assert show_value(-huge) == "-7000000000...0000000123 (5001 digits)"
    assert show_value([huge, 1]) == "[7000000000...0000000123 (5001 digits), 1]"
    assert show_value(Pair(huge, 2)) == "Pair(a=7000000000...0000000123 (5001 digits), b=2)"
    assert show_value(Pair(1, 2)) == "Pair(a=1, b=2)"
    assert show_value({"k": (huge,)}) == "{'k': (7000000000...0000000123 (5001 digits),)}"
    assert show_value(list(range(10**6))) == repr(list(range(30)))[:77] + "..."
    assert show_value("x" * 10**6) == "'" + "x" * 76 + "..."
    # Up to 80 digits an int is shown whole, as repr shows it.
    assert [show_int(n) for n in (0, -5, 10**79, 10**80 - 1)] == ["0", "-5", str(10**79), str(10**80 - 1)]
    assert show_int(10**80) == "1000000000...0000000000 (81 digits)"
    for k in range(75, 400):
        text = str(3**k)
        assert show_int(3**k) == (text if len(text) <= 80 else f"{text[:10]}...{text[-10:]} ({len(text)} digits)")


# --- a spec constant over 4,300 digits ---------------------------------------------------------

LONG_CONSTANTS = {
    "module constant": ("BIG = 10**5000\n", "x < BIG", "10:16", "the constant 'BIG' is 1000000000...0000000000 "
                        "(5001 digits)"),
    "tuple item": ("BIG = (1, 10**5000)\n", "x < BIG[1]", "10:16", "the constant 'BIG' is 1000000000...0000000000 "
                   "(5001 digits)"),
    "literal": ("", "x < 0x" + "f" * 4000, "10:16", "the constant is 3019469337...5882469375 (4817 digits)"),
    "enum value": ("class Size(enum.Enum):\n    HUGE = 10**5000\n", "Size.HUGE != x", "10:12",
                   "the value of Size.HUGE is 1000000000...0000000000 (5001 digits)"),
}


@pytest.mark.parametrize("case", LONG_CONSTANTS, ids=list(LONG_CONSTANTS))
def test_a_spec_constant_over_4300_digits_is_a_usage_error_that_says_where(
        work: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    # Hashing it (repr) raised ValueError out of load: a traceback, not a usage error.
    before, clause, where, what = LONG_CONSTANTS[case]
    (work / "long.py").write_text("import enum\nfrom assay.specs import spec, Proposal\n\n" + before
                                  + "\n" * (4 - before.count("\n"))
                                  + f"@spec\ndef under(x: Proposal[int]) -> bool:\n    return {clause}\n")
    props = work / "p.jsonl"
    props.write_text('{"id": 1, "proposal": 3}\n')
    code = main(["check", "--spec", "long.py", str(props), "--no-store"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (f"assay check: error: invalid spec long.py: {work / 'long.py'}:{where}: {what}: more than the "
                   "4300 digits Python converts to text, and a spec's constants are written as text (its hash, "
                   "the SMT-LIB of its queries, certificates, messages) (hint: use a smaller constant: proposals "
                   "and givens, read from JSON, have at most 4300 digits)\n")


def test_a_domain_bound_over_4300_digits_is_refused_at_load(work: Path) -> None:
    from assay.specs import InvalidSpec

    (work / "bound.py").write_text(textwrap.dedent('''\
        from typing import Annotated
        from assay.specs import spec, Proposal, Between

        @spec
        def under(x: Proposal[Annotated[int, Between(0, 10**5000)]]) -> bool:
            return x < 5
        '''))
    with pytest.raises(InvalidSpec) as info:
        load("bound.py")
    assert str(info.value).startswith(
        f"{work / 'bound.py'}:5:11: a bound of parameter 'x' is 1000000000...0000000000 (5001 digits): ")


def test_a_constant_of_4300_digits_loads_and_is_checked(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "edge.py").write_text(f"from assay.specs import spec, Proposal\n\nBIG = {'9' * 4300}\n\n"
                                  "@spec\ndef under(x: Proposal[int]) -> bool:\n    return x * x < BIG\n")
    props = work / "p.jsonl"
    props.write_text("".join(json.dumps({"id": i, "proposal": x}) + "\n" for i, x in enumerate([3, SEVENS, 4])))
    code, rows = check_rows(capsys, "--spec", "edge.py", str(props), "--no-store")
    assert code == 1
    assert verdicts(rows) == [(0, "accepted"), (1, "refuted"), (2, "accepted")]
    assert rows[1]["reason"] == ("1 violated: line 7: `x * x < BIG` is false: `x * x` is 6049382716...8395061729 "
                                 "(5000 digits)")


# --- encodings too large to build -----------------------------------------------------------------

NESTED = '''\
from typing import Annotated
from assay.specs import spec, Proposal, Between, Length

Digits = Proposal[Annotated[list[Annotated[int, Between(0, 9)]], Length(3)]]

@spec
def nested(xs: Digits) -> bool:
    return xs[1] != 5 and all(xs[0] != i + j + 10 for i in range(3000) for j in range(3000))

@spec(unique=True)
def nested_unique(xs: Digits) -> bool:
    return xs[1] == 0 and xs[2] == 0 and all(xs[0] != i + j + 10 for i in range(3000) for j in range(3000))

@spec
def huge_range(xs: Digits) -> bool:
    return all(xs[0] != i for i in range(10**30))
'''


def test_a_nested_comprehension_too_large_to_encode_leaves_the_refutation(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The vacuity query unrolled 9,000,000 steps before counting them (271 s, 1.08 GB on main);
    # the encoder now refuses from the product of the ranges, and the verdict stays REFUTED.
    (work / "nested.py").write_text(NESTED)
    props = jsonl(work / "p.jsonl", '{"id": 1, "proposal": [1, 0, 0]}', '{"id": 2, "proposal": [1, 5, 0]}',
                  '{"id": 3, "proposal": [2, 0, 0]}')
    code, rows = check_rows(capsys, "--spec", "nested.py:nested", str(props), "--no-store", "--timeout", "2")
    assert code == 1
    assert [(r["id"], r["verdict"], r["reason"]) for r in rows] == [
        (1, "accepted", "the spec holds on the proposal"),
        (2, "refuted", "1 violated: line 8: `xs[1] != 5` is false: `xs[1]` is 5"),
        (3, "accepted", "the spec holds on the proposal"),
    ]


def test_a_claim_too_large_to_encode_is_unknown_with_the_reason(work: Path) -> None:
    from assay.kernel import check

    (work / "nested.py").write_text(NESTED)
    verdict = check(load("nested.py:nested_unique"), {}, [0, 0, 0], timeout=2)
    assert (verdict.outcome, verdict.reason) == (
        Outcome.UNKNOWN, "unsupported: the unique claim cannot be encoded: line 12: a comprehension of up to "
                         "9000000 steps is more than the 20000 the encoding unrolls")


def test_a_range_past_2_to_the_63_is_refused_by_the_encoder_not_overflowed(work: Path) -> None:
    # len(range(10**30)) raises OverflowError: that came out of check() on a refuted proposal.
    from assay.kernel import check

    (work / "nested.py").write_text(NESTED)
    verdict = check(load("nested.py:huge_range"), {}, [0, 0, 0], timeout=2)
    assert (verdict.outcome, verdict.reason) == (
        Outcome.REFUTED, "1 violated: line 16: fails for i=0: `xs[0] != i` is false: `xs[0]` is 0, `i` is 0")
    from assay.specs.queries import any_solution
    from assay.specs.terms import Unsupported

    with pytest.raises(Unsupported, match=r"^line 16: range of 1000000000000000000000000000000 items is more "
                                          r"than the 20000 the encoding unrolls$"):
        any_solution(load("nested.py:huge_range"), {})


def test_nested_ranges_are_refused_from_their_product_before_they_are_built(work: Path) -> None:
    import tracemalloc

    from assay.specs.queries import any_solution
    from assay.specs.terms import Unsupported

    (work / "grid.py").write_text(textwrap.dedent('''\
        from typing import Annotated
        from assay.specs import spec, Proposal, Between, Length

        @spec
        def grid(xs: Proposal[Annotated[list[Annotated[int, Between(0, 9)]], Length(1)]]) -> bool:
            return all(xs[0] != i * j for i in range(150) for j in range(150))
        '''))
    # 150 x 150 = 22,500 > 20,000: refused with the product, not with the 22,650 steps (a header per
    # outer item) that building it first would have counted.
    with pytest.raises(Unsupported, match=r"^line 6: a comprehension of up to 22500 steps is more than the 20000"):
        any_solution(load("grid.py"), {})
    (work / "nested.py").write_text(NESTED)
    tracemalloc.start()
    try:
        with pytest.raises(Unsupported, match=r"^line 8: a comprehension of up to 9000000 steps"):
            any_solution(load("nested.py:nested"), {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # building the 9,000,000 steps took over a gigabyte


def test_comprehensions_nested_in_an_element_are_bounded_in_all(work: Path) -> None:
    from assay.specs.queries import any_solution
    from assay.specs.symbolic import MAX_UNROLL_TOTAL
    from assay.specs.terms import Unsupported

    (work / "inner.py").write_text(textwrap.dedent('''\
        from typing import Annotated
        from assay.specs import spec, Proposal, Between, Length

        @spec
        def inner(xs: Proposal[Annotated[list[Annotated[int, Between(0, 9)]], Length(1)]]) -> bool:
            return all(all(xs[0] != i + j for j in range(1000)) for i in range(300))
        '''))
    assert MAX_UNROLL_TOTAL == 50_000
    with pytest.raises(Unsupported, match=r"^line 6: the comprehensions unroll to more than the 50000 steps the "
                                          r"encoding builds in all$"):
        any_solution(load("inner.py"), {})


# --- an answer scanner in linear time -------------------------------------------------------------


def test_an_11_mb_text_of_unclosed_brackets_is_malformed_between_two_good_lines(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Each of the 900 '[' was parsed to the end of the text again: 283 s on main.
    (work / "pair.py").write_text(textwrap.dedent('''\
        from typing import Annotated
        from assay.specs import spec, Proposal, Length

        @spec
        def pair(xs: Proposal[Annotated[list[int], Length(2)]]) -> bool:
            return xs[0] < xs[1]
        '''))
    text = "[0, " * 900 + "0, " * 4_000_000
    props = work / "p.jsonl"
    props.write_text("".join(json.dumps({"id": i, "proposal": p}) + "\n"
                             for i, p in enumerate([[1, 2], text, "the answer: [3, 4]"])))
    code, rows = check_rows(capsys, "--spec", "pair.py", str(props), "--no-store")
    assert code == 1
    assert [(r["id"], r["verdict"], r["reason"], r["where"]) for r in rows] == [
        (0, "accepted", "the spec holds on the proposal", None),
        (1, "malformed", "line 2: no parsable answer in the proposal text: the text is not valid JSON: "
                         f"Expecting value (text line 1, column {len(text) + 1})",
         {"line": 1, "column": len(text) + 1, "path": "proposal"}),
        (2, "accepted", "the spec holds on the proposal", None),
    ]
    assert rows[1]["seconds"] > 0  # the time it took to find no answer, which it once left out


_FRAGMENTS = ["[", "]", "{", "}", '"', "\\", ",", ":", " ", "\n", "0", "12", "-", "a", "x", "NaN", "true",
              '"k"', '"k": ', "[1]", '{"a": 1, "a": 2}', '"[', '\\"', "[" * 120]


def _reference_last_json(text: str) -> Any:
    """The scanner as it was before it was made linear: every candidate parsed from its start."""
    from assay.bridges import answers as a

    found, refused, failed, i = None, None, 0, 0
    while (m := a._OPENER.search(text, i)) is not None:
        try:
            value, end = a._raw_decode(text, m.start())
        except a.BadJSON as exc:
            if exc.refused:
                refused = a.AnswerError(f"the JSON at line {a.position(text, m.start())[0]} is refused: "
                                        f"{exc.message}", *a.position(text, m.start()))
                i = _reference_balanced_end(text, m.start())
                continue
            failed += 1
            if failed >= a.MAX_CANDIDATES:
                return refused or ("gave up", m.start())
            i = m.start() + 1
        else:
            found, i = (value, m.start()), end
    if found is not None:
        return a.Answer(found[0], "last", *a.position(text, found[1]))
    if text.lstrip(a.JSON_SPACE)[:1] in ("{", "["):
        return "whole text"
    return refused or "none"


def _reference_balanced_end(text: str, start: int) -> int:
    depth, in_string, i = 0, False, start
    while i < len(text):
        c = text[i]
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map("".join))
@settings(max_examples=2000, deadline=None)
@example("[0, [1, [2, 3")
@example('[0, "[1, [", [2, {"a": [3')
@example('x [1, {"a": 1, "a": 2}, [')
@example('[\\" [1] "[2]')
def test_the_linear_scanner_finds_what_parsing_every_candidate_finds(text: str) -> None:
    from assay.bridges import answers as a

    got = a._last_json(text)
    want = _reference_last_json(text)
    if want == "whole text":
        assert isinstance(got, a.AnswerError) and got.message.startswith("the text is not valid JSON")
    elif want == "none":
        assert got == a.AnswerError("no JSON answer in the text: no ```json block, and no JSON object or array",
                                    *a.position(text, len(text)))
    elif isinstance(want, tuple):
        assert isinstance(got, a.AnswerError) and got.message.startswith("gave up")
        assert (got.line, got.column) == a.position(text, want[1])
    else:
        assert got == want


# --- a spec that runs for hours on the givens -----------------------------------------------------

SLOW = '''\
from dataclasses import dataclass
from typing import Annotated
from assay.specs import spec, Given, Proposal, Between

@spec
def absent(n: Given[int], p: Proposal[int]) -> bool:
    return all(p != i for i in range(n))

@spec
def two_clauses(n: Given[int], p: Proposal[int]) -> bool:
    return p != 5 and all(i != n for i in range(n))

def slow_score(n: int, p: int) -> int:
    return sum(i for i in range(n)) + p

@spec(maximize=slow_score)
def slow_objective(n: Given[int], p: Proposal[Annotated[int, Between(0, 3)]]) -> bool:
    return p >= 0

@dataclass(frozen=True)
class Loops:
    n: int

    def __post_init__(self) -> None:
        i = 0
        while i != -1:  # runs for ever
            i += 1

@spec
def decoded(p: Proposal[Loops]) -> bool:
    return p.n > 0
'''
HOURS = 10**12


def limit_reason(seconds: str, what: str) -> str:
    return (f"timeout: the spec's code ran past the evaluation time limit of {seconds} s (eval_timeout, "
            f"--eval-timeout), {what}")


def test_a_spec_that_runs_for_hours_is_unknown_and_the_next_line_is_checked(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "slow.py").write_text(SLOW)
    props = jsonl(work / "p.jsonl",
                  '{"id": "fast", "givens": {"n": 10}, "proposal": -1}',
                  f'{{"id": "hours", "givens": {{"n": {HOURS}}}, "proposal": -1}}',
                  '{"id": "refuted", "givens": {"n": 10}, "proposal": 3}',
                  f'{{"id": "hours-refuted", "givens": {{"n": {HOURS}}}, "proposal": {HOURS - 1}}}',
                  '{"id": "fast-too", "givens": {"n": 10}, "proposal": 11}')
    code, rows = check_rows(capsys, "--spec", "slow.py:absent", str(props), "--no-store", "--eval-timeout", "0.5")
    assert code == 1
    assert [(r["id"], r["verdict"], r["reason"]) for r in rows] == [
        ("fast", "accepted", "the spec holds on the proposal"),
        ("hours", "unknown", limit_reason("0.5", "running the spec on the proposal")),
        ("refuted", "refuted", "1 violated: line 7: fails for i=3: `p != i` is false: `p` is 3, `i` is 3"),
        # The spec is false only after 10**12 - 1 items: never a REFUTED it did not finish deciding.
        ("hours-refuted", "unknown", limit_reason("0.5", "running the spec on the proposal")),
        ("fast-too", "accepted", "the spec holds on the proposal"),
    ]


@pytest.mark.parametrize(("name", "givens", "proposal", "what"), [
    # CPython said no at once (p == 5), but naming the violated clauses runs the slow one.
    ("two_clauses", {"n": HOURS}, 5, "running the spec's clauses one by one"),
    ("decoded", {}, {"n": 1}, "decoding the proposal"),
])
def test_every_entry_point_of_the_evaluator_is_limited(
        work: Path, name: str, givens: dict[str, Any], proposal: Any, what: str) -> None:
    from assay.kernel import check

    (work / "slow.py").write_text(SLOW)
    verdict = check(load(f"slow.py:{name}"), givens, proposal, eval_timeout=0.3, store=work / ".assay")
    assert (verdict.outcome, verdict.reason, verdict.certificate) == (
        Outcome.UNKNOWN, limit_reason("0.3", what), None)


def test_the_objective_helper_is_limited(work: Path) -> None:
    # check() reaches it only for a spec whose objective the solvers can encode (the better-solution
    # query is built first), which this one's loop over 10**12 items is not; queries.objective_value
    # is the one place CPython runs an objective, for check, repair and recheck alike.
    from assay.specs.queries import objective_value
    from assay.specs.time_limit import EvaluationTimeout, evaluation_budget

    (work / "slow.py").write_text(SLOW)
    spec = load("slow.py:slow_objective")
    with evaluation_budget(0.3), pytest.raises(EvaluationTimeout) as info:
        objective_value(spec, {"n": HOURS}, 3)
    assert f"timeout: {info.value}" == limit_reason("0.3", "running the objective slow_score")
    assert objective_value(spec, {"n": 4}, 3) == 9


def test_the_limit_holds_in_a_worker_thread_as_in_the_main_one(work: Path) -> None:
    # assay.solve and the offload loop may call check from threads; signal.alarm would only work in main.
    from concurrent.futures import ThreadPoolExecutor

    from assay.kernel import check

    (work / "slow.py").write_text(SLOW)
    spec = load("slow.py:absent")
    with ThreadPoolExecutor(max_workers=3) as pool:
        slow = [pool.submit(check, spec, {"n": HOURS}, -1, eval_timeout=0.3) for _ in range(3)]
        fast = check(spec, {"n": 5}, -1, eval_timeout=0.3)
        got = [f.result() for f in slow]
    assert fast.outcome is Outcome.ACCEPTED
    assert [(v.outcome, v.reason) for v in got] == [
        (Outcome.UNKNOWN, limit_reason("0.3", "running the spec on the proposal"))] * 3


def test_eval_timeout_must_be_positive(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "slow.py").write_text(SLOW)
    props = jsonl(work / "p.jsonl", '{"id": 1, "givens": {"n": 1}, "proposal": 3}')
    code = main(["check", "--spec", "slow.py:absent", str(props), "--eval-timeout", "0"])
    assert (code, capsys.readouterr().err) == (
        2, "assay check: error: --eval-timeout must be a positive number of seconds, got 0.0\n")


def test_a_timeout_never_strikes_outside_the_limited_call() -> None:
    # Budgets that run out around the moment the code returns, in several threads at once: each call
    # either returns its value or raises EvaluationTimeout, and no exception lands after it.
    import random
    import threading

    from assay.specs.time_limit import EvaluationTimeout, evaluation_budget, limited

    def spin(n: int) -> int:
        total = 0
        for i in range(n):
            total += i
        return total

    outcomes: list[str] = []
    stray: list[BaseException] = []

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(400):
            try:
                n = rnd.randint(0, 30_000)
                with evaluation_budget(0.001):
                    try:
                        outcomes.append("ok" if limited("spinning", lambda n=n: spin(n)) == spin(n) else "wrong")
                    except EvaluationTimeout:
                        outcomes.append("timeout")
                spin(2_000)  # a stray exception would strike here, outside limited()
            except BaseException as exc:
                stray.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(3)]
    for t in threads:
        t.start()
    worker(99)
    for t in threads:
        t.join()
    assert stray == []
    assert len(outcomes) == 1600
    assert set(outcomes) <= {"ok", "timeout"}


def test_without_a_budget_nothing_is_limited(work: Path) -> None:
    from assay.kernel import check

    (work / "slow.py").write_text(SLOW)
    assert check(load("slow.py:absent"), {"n": 300_000}, -1, eval_timeout=None).outcome is Outcome.ACCEPTED


GREEDY = '''\
from dataclasses import dataclass
from assay.specs import spec, Given, Proposal

@spec
def listed(n: Given[int], p: Proposal[int]) -> bool:
    return len([i for i in range(n)]) == n

@dataclass(frozen=True)
class Refuses:
    n: int

    def __post_init__(self) -> None:
        if self.n == 1:
            raise MemoryError
        if self.n == 2:
            deeper(0)

def deeper(k: int) -> int:
    return deeper(k + 1)

@spec
def decoded(p: Proposal[Refuses]) -> bool:
    return p.n > 0
'''


def test_a_spec_that_grows_without_bound_is_unknown_before_it_takes_the_machine(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A list comprehension over range(10**14) grew the process by 1.6 GB a second: the whole run (or the
    # machine) was out of memory well before the time limit.
    (work / "greedy.py").write_text(GREEDY)
    props = jsonl(work / "p.jsonl", '{"id": 1, "givens": {"n": 3}, "proposal": 0}',
                  '{"id": 2, "givens": {"n": 100000000000000}, "proposal": 0}',
                  '{"id": 3, "givens": {"n": 5}, "proposal": 0}')
    code, rows = check_rows(capsys, "--spec", "greedy.py:listed", str(props), "--no-store", "--eval-memory", "100")
    assert code == 1
    assert [(r["id"], r["verdict"], r["reason"]) for r in rows] == [
        (1, "accepted", "the spec holds on the proposal"),
        (2, "unknown", "memout: the spec's code grew the process by more than the evaluation memory limit of "
                       "100 MB (eval_memory_mb, --eval-memory), running the spec on the proposal"),
        (3, "accepted", "the spec holds on the proposal"),
    ]


@pytest.mark.parametrize(("n", "raised", "ran_out_of"), [(1, "MemoryError", "memory"), (2, "RecursionError", "stack")])
def test_memory_and_stack_errors_are_the_interpreters_limits_not_a_verdict(
        work: Path, n: int, raised: str, ran_out_of: str) -> None:
    # Caught as any other exception, they made the proposal MALFORMED (a __post_init__ that raises) or a
    # clause false (REFUTED): the interpreter's limits, not the spec's meaning.
    from assay.kernel import check

    (work / "greedy.py").write_text(GREEDY)
    verdict = check(load("greedy.py:decoded"), {}, {"n": n})
    assert (verdict.outcome, verdict.reason) == (
        Outcome.UNKNOWN, f"memout: the spec's code raised {raised} (CPython ran out of {ran_out_of}), "
                         "decoding the proposal")
    assert check(load("greedy.py:decoded"), {}, {"n": 3}).outcome is Outcome.ACCEPTED


def test_givens_too_large_to_encode_leave_the_refutation(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `p in xs` over a given of 200,000 items built 200,000 equalities for the vacuity query: 9 s for a
    # line with --timeout 2.  The givens now count against MAX_UNROLL_TOTAL.
    from assay.specs.queries import any_solution
    from assay.specs.terms import Unsupported

    (work / "member.py").write_text(textwrap.dedent('''\
        from typing import Annotated
        from assay.specs import spec, Given, Proposal, Between

        @spec
        def member(xs: Given[list[int]], p: Proposal[Annotated[int, Between(0, 10**9)]]) -> bool:
            return p in xs and p > 5
        '''))
    xs = list(range(0, 120_000, 2))
    props = work / "p.jsonl"
    props.write_text("".join(json.dumps({"id": p, "givens": {"xs": xs}, "proposal": p}) + "\n" for p in (8, 3, 10)))
    code, rows = check_rows(capsys, "--spec", "member.py", str(props), "--no-store", "--timeout", "2")
    assert code == 1
    assert verdicts(rows) == [(8, "accepted"), (3, "refuted"), (10, "accepted")]
    with pytest.raises(Unsupported, match=r"^the givens hold 60000 values, more than the 50000 the encoding "
                                          r"builds in all$"):
        any_solution(load("member.py"), {"xs": xs})
    assert any_solution(load("member.py"), {"xs": xs[:1000]}).name == "any-solution"


def test_a_store_that_cannot_be_created_is_a_usage_error_before_any_line(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # It was a NotADirectoryError traceback at the first certificate, after the first lines were reported.
    (work / "afile").write_text("")
    props = jsonl(work / "p.jsonl", *SURROGATE_LINES)
    code = main(["check", "--spec", "strings.py", str(props), "--store", "afile/store"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", "assay check: error: the store 'afile/store' cannot be created: 'afile' is "
                                       "not a folder\n")
