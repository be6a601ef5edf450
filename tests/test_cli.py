"""`assay check` (and the CLI around it): exit codes, formats, bad input, state folder, streaming."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import assay
from assay.cli import main
from assay.report import clip, printable

SPEC = '''\
from typing import Annotated
from assay.specs import spec, Given, Proposal, Between

@spec
def bigger(x: Given[int], y: Proposal[Annotated[int, Between(-100, 100)]]) -> bool:
    return y > x
'''

PAIR_SPEC = '''\
from assay.specs import spec, Given, Proposal, Length
from typing import Annotated

@spec
def pair(total: Given[int], xs: Proposal[Annotated[list[int], Length(2)]]) -> bool:
    return xs[0] + xs[1] == total and xs[0] <= xs[1]
'''

FENCE = "```"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh current folder holding the spec files; no ASSAY_HOME, no CI."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSAY_HOME", raising=False)
    monkeypatch.delenv("CI", raising=False)
    (tmp_path / "bigger.py").write_text(SPEC)
    (tmp_path / "pair.py").write_text(PAIR_SPEC)
    return tmp_path


def jsonl(path: Path, *records: Any) -> Path:
    """Write records (dicts are dumped as JSON, str and bytes go in as they are), one per line."""
    with path.open("wb") as f:
        for r in records:
            line = r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r)).encode()
            f.write(line + b"\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def seconds_free(text: str) -> str:
    """The report with its timings (the only thing that varies from run to run) as S."""
    text = re.sub(r"(?m)^(.{20}  \S+ +)\s*\d+\.\d{3}", r"\1S", text)
    return re.sub(r"in \d+\.\d\d s", "in S s", text)


def json_rows(out: str) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in out.splitlines()]
    for row in rows:
        assert isinstance(row.pop("seconds"), float)
    return rows


# --- exit codes and the text report ---------------------------------------------------


def test_all_accepted_exits_0_with_a_table_and_summary(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "a", "givens": {"x": 3}, "proposal": 5},
                  {"id": 2, "givens": {"x": -7}, "proposal": -6})
    code, out, err = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store")
    assert code == 0
    assert err == ""
    assert seconds_free(out) == textwrap.dedent("""\
        ID                    VERDICT    SECONDS  REASON
        a                     ACCEPTED     S  the spec holds on the proposal
        2                     ACCEPTED     S  the spec holds on the proposal
        2 proposals: 2 accepted, 0 refuted, 0 malformed, 0 vacuous, 0 unknown in S s
        """)


def test_one_refuted_exits_1_and_lists_the_violated_clause(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5},
                  {"id": "low", "givens": {"x": 3}, "proposal": 1})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store")
    assert code == 1
    assert seconds_free(out) == textwrap.dedent("""\
        ID                    VERDICT    SECONDS  REASON
        ok                    ACCEPTED     S  the spec holds on the proposal
        low                   REFUTED      S  1 violated: line 6: `y > x` is false: `y` is 1, `x` is 3
                              line 6: `y > x` is false: `y` is 1, `x` is 3
        2 proposals: 1 accepted, 1 refuted, 0 malformed, 0 vacuous, 0 unknown in S s
        """)


def test_an_impossible_task_is_vacuous_and_exits_1(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # y <= 100 by its domain, so no y is bigger than 100: the solvers prove it.
    props = jsonl(work / "p.jsonl", {"id": "v", "givens": {"x": 100}, "proposal": 5})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                       "--format", "json")
    assert code == 1
    [row] = json_rows(out)
    assert row["verdict"] == "vacuous"
    assert row["reason"].startswith("no proposal can meet the spec for these givens")
    assert row["violations"] == [{"clause": "y > x", "line": 6,
                                  "detail": "`y > x` is false: `y` is 5, `x` is 100"}]


def test_the_vacuity_timeout_is_the_users(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "v", "givens": {"x": 100}, "proposal": 5})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store", "--format", "json",
                       "--vacuity-timeout", "5")
    assert code == 1
    assert [row["verdict"] for row in json_rows(out)] == ["vacuous"]
    code, _, err = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store", "--vacuity-timeout", "0")
    assert code == 2
    assert err == "assay check: error: --vacuity-timeout must be a positive number of seconds, got 0.0\n"


def test_no_vacuity_flag_leaves_a_plain_refutation(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "v", "givens": {"x": 100}, "proposal": 5})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                       "--format", "json", "--no-vacuity")
    assert code == 1
    assert [r["verdict"] for r in json_rows(out)] == ["refuted"]


def test_long_reasons_are_clipped_and_control_characters_escaped(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A long clause, written out twice in its violation: a large int alone is now shown short
    # ("1000000000...0000000000 (301 digits)"), so it no longer makes a reason long.
    clause = "y > x" + " + 0" * 30
    (work / "long_clause.py").write_text(SPEC.replace("return y > x", f"return {clause}"))
    props = jsonl(work / "p.jsonl",
                  {"id": "a\nb\x1b[31m" + "x" * 40, "givens": {"x": 10**300}, "proposal": 5})
    code, out, _ = run(capsys, "check", "--spec", "long_clause.py", str(props), "--no-store", "--no-vacuity")
    assert code == 1
    row, violation = out.splitlines()[1:3]
    assert row.startswith("a\\nb\\x1b[31mxxxxx...  REFUTED")
    assert row.endswith("...")
    assert len(row) <= 240
    assert violation.startswith(" " * 22 + f"line 6: `{clause}` is false: `y` is 5, `x + 0 + 0")
    assert violation.endswith("...")


def test_clip_and_printable() -> None:
    assert clip("abcdef", 6) == "abcdef"
    assert clip("abcdefg", 6) == "abc..."
    assert printable("a\tb\nc\x00\x7f\u0085\ud800é") == "a\\tb\\nc\\x00\\x7f\\x85\\ud800é"


# --- the JSON report ------------------------------------------------------------------


def test_json_lines_hold_every_field(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5},
                  {"id": "low", "givens": {"x": 3}, "proposal": 1})
    code, out, err = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                         "--format", "json", "--no-vacuity")
    assert code == 1
    assert seconds_free(err) == \
        "2 proposals: 1 accepted, 1 refuted, 0 malformed, 0 vacuous, 0 unknown in S s\n"
    assert json_rows(out) == [
        {"id": "ok", "line": 1, "verdict": "accepted", "reason": "the spec holds on the proposal",
         "violations": [], "where": None, "claims": [], "certificate": None},
        {"id": "low", "line": 2, "verdict": "refuted",
         "reason": "1 violated: line 6: `y > x` is false: `y` is 1, `x` is 3",
         "violations": [{"clause": "y > x", "line": 6, "detail": "`y > x` is false: `y` is 1, `x` is 3"}],
         "where": None, "claims": [], "certificate": None},
    ]


def test_every_kind_of_bad_line_is_malformed_and_the_rest_still_checked(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(
        work / "p.jsonl",
        b"not json",
        b"[1, 2]",
        b"",
        b'{"id": "no-proposal", "givens": {"x": 1}}',
        b'{"id": "no-givens", "proposal": 5}',
        b'{"id": "bad-givens", "givens": [1], "proposal": 5}',
        b'{"id": "wrong-given", "givens": {"x": "three"}, "proposal": 5}',
        b'{"id": "wrong-type", "givens": {"x": 1}, "proposal": true}',
        b'{"id": {"a": 1}, "givens": {"x": 1}, "proposal": 5}',
        b'{"id": "huge", "givens": {"x": 1}, "proposal": 1' + b"0" * 10000 + b"}",
        b'{"id": "deep", "givens": {"x": 1}, "proposal": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"id": "\xff\xfe", "givens": {"x": 1}, "proposal": 5}',
        b"   ",
        b'{"id": "fine", "givens": {"x": 1}, "proposal": 5}',
    )
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                       "--format", "json")
    assert code == 1
    got = [(r["id"], r["line"], r["verdict"], r["reason"], r["where"]) for r in json_rows(out)]
    digits = "a number has more digits than the 4300 that Python reads from JSON (value has 10001 digits)"
    assert got == [
        ("line 1", 1, "malformed", "line 1: not valid JSON at column 1: Expecting value",
         {"line": 1, "column": 1, "path": ""}),
        ("line 2", 2, "malformed",
         "line 2: expected a JSON object with id, givens and proposal, got an array",
         {"line": 2, "column": 1, "path": ""}),
        ("no-proposal", 4, "malformed", "line 4: missing field 'proposal'",
         {"line": 4, "column": 1, "path": ""}),
        ("no-givens", 5, "malformed", "line 5: missing field 'givens' (the spec takes x)",
         {"line": 5, "column": 1, "path": ""}),
        ("bad-givens", 6, "malformed", "line 6: field 'givens' must be an object, got an array",
         {"line": 6, "column": 1, "path": ""}),
        ("wrong-given", 7, "malformed",
         "the givens are not valid: givens.x: expected an integer, got 'three' (str)",
         {"line": 0, "column": 0, "path": "givens.x"}),
        ("wrong-type", 8, "malformed",
         "the proposal is not a -100..100: proposal: expected an integer, got True (bool)",
         {"line": 0, "column": 0, "path": "proposal"}),
        ("line 9", 9, "malformed", "line 9: field 'id' must be a string or an integer, got an object",
         {"line": 9, "column": 1, "path": ""}),
        ("line 10", 10, "malformed", f"line 10: not valid JSON: {digits}",
         {"line": 10, "column": 1, "path": ""}),
        ("line 11", 11, "malformed", "line 11: not valid JSON: the JSON is nested too deeply (more than 100 levels)",
         {"line": 11, "column": 1, "path": ""}),
        ("line 12", 12, "malformed", "line 12: not valid UTF-8: byte 0xff at column 9",
         {"line": 12, "column": 9, "path": ""}),
        ("fine", 14, "accepted", "the spec holds on the proposal", None),
    ]


def test_a_spec_without_givens_needs_no_givens_field(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "nogivens.py").write_text(textwrap.dedent('''\
        from assay.specs import spec, Proposal
        @spec
        def positive(n: Proposal[int]) -> bool:
            return n > 0
        '''))
    props = jsonl(work / "p.jsonl", {"id": "a", "proposal": 4})
    code, out, _ = run(capsys, "check", "--spec", "nogivens.py", str(props), "--no-store",
                       "--format", "json")
    assert code == 0
    assert [r["verdict"] for r in json_rows(out)] == ["accepted"]


# --- answers inside a model's raw text ------------------------------------------------


def test_answers_are_found_in_model_text(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(
        work / "p.jsonl",
        {"id": "fenced", "givens": {"total": 10},
         "proposal": f"Let me think.\nTry [1, 2]? No.\n{FENCE}json\n[3, 7]\n{FENCE}\n"},
        {"id": "last-object", "givens": {"total": 10},
         "proposal": "Candidates: [1, 2] and then [4, 6] is my answer."},
        {"id": "whole", "givens": {"total": 10}, "proposal": " [5, 5] "},
        {"id": "wrong-in-fence", "givens": {"total": 10},
         "proposal": f"{FENCE}json\n[7, 3]\n{FENCE}"},
        {"id": "none", "givens": {"total": 10}, "proposal": "I cannot solve this.\nSorry."},
        {"id": "broken-fence", "givens": {"total": 10},
         "proposal": f"Here:\n{FENCE}json\n[3,\n 7,]\n{FENCE}"},
        {"id": "wrong-shape", "givens": {"total": 10},
         "proposal": f"Here:\n{FENCE}json\n[1, 2, 7]\n{FENCE}"},
    )
    code, out, _ = run(capsys, "check", "--spec", "pair.py", str(props), "--no-store",
                       "--format", "json", "--no-vacuity")
    assert code == 1
    got = [(r["id"], r["verdict"], r["reason"], r["where"]) for r in json_rows(out)]
    assert got == [
        ("fenced", "accepted", "the spec holds on the proposal", None),
        ("last-object", "accepted", "the spec holds on the proposal", None),
        ("whole", "accepted", "the spec holds on the proposal", None),
        ("wrong-in-fence", "refuted",
         "1 violated: line 6: `xs[0] <= xs[1]` is false: `xs[0]` is 7, `xs[1]` is 3", None),
        ("none", "malformed",
         "line 5: no parsable answer in the proposal text: no JSON answer in the text: "
         "no ```json block, and no JSON object or array (text line 2, column 7)",
         {"line": 2, "column": 7, "path": "proposal"}),
        ("broken-fence", "malformed",
         "line 6: no parsable answer in the proposal text: the last ```json block (line 2) "
         "does not parse: Expecting value (text line 4, column 4)",
         {"line": 4, "column": 4, "path": "proposal"}),
        ("wrong-shape", "malformed",
         "the proposal is not a list of 2 int: proposal: expected a list of 2 items, got 3",
         {"line": 3, "column": 1, "path": "proposal"}),
    ]


def test_a_string_proposal_for_a_str_spec_is_not_dug_into(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "name.py").write_text(textwrap.dedent('''\
        from typing import Annotated
        from assay.specs import spec, Proposal, MaxLen
        @spec
        def short(s: Proposal[Annotated[str, MaxLen(20)]]) -> bool:
            return s.startswith("[")
        '''))
    props = jsonl(work / "p.jsonl", {"id": "a", "proposal": "[1, 2]"},
                  {"id": "b", "proposal": f"{FENCE}json\n[1]\n{FENCE}"})
    code, out, _ = run(capsys, "check", "--spec", "name.py", str(props), "--no-store",
                       "--format", "json", "--no-vacuity")
    assert code == 1
    # "[1, 2]" is the string itself; the fenced text is taken whole, so it does not start with "[".
    assert [r["verdict"] for r in json_rows(out)] == ["accepted", "refuted"]


# --- JUnit ------------------------------------------------------------------------------


def unknown_check(monkeypatch: pytest.MonkeyPatch, unknown_ids: set[int]) -> None:
    """Make the kernel answer UNKNOWN for the proposals whose value is in ``unknown_ids``.

    A real UNKNOWN needs a solver to time out, which no test can make happen on
    time; the CLI's handling of the verdict is what is under test here.
    """
    kernel = importlib.import_module("assay.kernel")
    real = kernel.check
    unknown = importlib.import_module("assay.kernel.check").unknown

    def check(spec: Any, givens: Any, proposal: Any, **kw: Any) -> Any:
        if proposal in unknown_ids:
            return unknown("timeout: the solvers ran out of time (test)")
        return real(spec, givens, proposal, **kw)

    monkeypatch.setattr(kernel, "check", check)


def test_junit_report(
        work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    unknown_check(monkeypatch, {42})
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5},
                  {"id": "low <&>", "givens": {"x": 3}, "proposal": 1},
                  b"garbage\x01",
                  {"id": "unsure", "givens": {"x": 3}, "proposal": 42})
    code, out, err = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                         "--format", "junit", "--no-vacuity")
    assert code == 1
    assert seconds_free(err) == \
        "4 proposals: 1 accepted, 1 refuted, 1 malformed, 0 vacuous, 1 unknown in S s\n"
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    [suite] = root
    for element in (root, suite):
        assert {k: element.get(k) for k in ("tests", "failures", "errors", "skipped")} == \
            {"tests": "4", "failures": "2", "errors": "1", "skipped": "0"}
    assert suite.get("name") == "bigger.py"
    cases = list(suite)
    assert [(c.get("name"), c.get("classname"), c.get("file"), c.get("line")) for c in cases] == [
        ("ok", "bigger.py", str(props), "1"), ("low <&>", "bigger.py", str(props), "2"),
        ("line 3", "bigger.py", str(props), "3"), ("unsure", "bigger.py", str(props), "4")]
    assert list(cases[0]) == []
    [failure] = cases[1]
    assert (failure.tag, failure.get("type"), failure.get("message")) == (
        "failure", "refuted", "REFUTED: 1 violated: line 6: `y > x` is false: `y` is 1, `x` is 3")
    assert failure.text == ("1 violated: line 6: `y > x` is false: `y` is 1, `x` is 3\n"
                            "line 6: y > x: `y > x` is false: `y` is 1, `x` is 3")
    [malformed] = cases[2]
    assert (malformed.tag, malformed.get("type"), malformed.get("message")) == (
        "failure", "malformed", "MALFORMED: line 3: not valid JSON at column 1: Expecting value")
    [error] = cases[3]
    assert (error.tag, error.get("type"), error.get("message")) == (
        "error", "unknown", "UNKNOWN: timeout: the solvers ran out of time (test)")


def test_junit_with_allow_unknown_skips_unknowns(
        work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    unknown_check(monkeypatch, {42})
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5},
                  {"id": "unsure", "givens": {"x": 3}, "proposal": 42})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                       "--format", "junit", "--allow-unknown")
    assert code == 0
    suite = ET.fromstring(out)[0]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == \
        ("2", "0", "0", "1")
    assert [child.tag for child in suite[1]] == ["skipped"]


def test_junit_survives_characters_xml_forbids(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "nul\x00 and \ud800", "givens": {"x": 3},
                                     "proposal": "bell \x07 and no answer"})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                       "--format", "junit")
    assert code == 1
    case = ET.fromstring(out)[0][0]
    assert case.get("name") == "nul\\x00 and \\ud800"
    assert "bell" not in case[0].get("message", "")  # the proposal text is not echoed
    assert case[0].get("message", "").startswith("MALFORMED: line 1: no parsable answer")


# --- --allow-unknown ----------------------------------------------------------------------


def test_unknown_fails_unless_allowed(work: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    unknown_check(monkeypatch, {42})
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5},
                  {"id": "unsure", "givens": {"x": 3}, "proposal": 42})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store")
    assert code == 1
    assert "1 accepted, 0 refuted, 0 malformed, 0 vacuous, 1 unknown" in out
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store", "--allow-unknown")
    assert code == 0
    # --allow-unknown does not let anything else through.
    props = jsonl(work / "q.jsonl", {"id": "unsure", "givens": {"x": 3}, "proposal": 42},
                  {"id": "low", "givens": {"x": 3}, "proposal": 1})
    code, _, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                     "--allow-unknown", "--no-vacuity")
    assert code == 1


# --- the state folder ----------------------------------------------------------------------


def certificates(out: str) -> list[str | None]:
    return [r["certificate"] for r in json_rows(out)]


def test_certificates_go_to_dot_assay_by_default(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--format", "json")
    assert code == 0
    [cert] = certificates(out)
    assert cert is not None
    assert Path(cert).resolve().is_relative_to(work / ".assay")
    assert Path(cert).is_file()


def test_assay_home_and_store_choose_the_folder(work: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5})
    monkeypatch.setenv("ASSAY_HOME", str(work / "home"))
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--format", "json")
    assert code == 0
    [cert] = certificates(out)
    assert cert is not None
    assert Path(cert).resolve().is_relative_to(work / "home")
    # --store wins over ASSAY_HOME.
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--format", "json",
                       "--store", str(work / "elsewhere"))
    [cert] = certificates(out)
    assert cert is not None
    assert Path(cert).resolve().is_relative_to(work / "elsewhere")
    assert not (work / ".assay").exists()


def test_no_store_writes_nothing(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--format", "json", "--no-store")
    assert code == 0
    assert certificates(out) == [None]
    assert not (work / ".assay").exists()


def test_recheck_passes_then_fails_on_an_edited_proposal(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "ok", "givens": {"x": 3}, "proposal": 5})
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", str(props), "--format", "json")
    [cert] = certificates(out)
    assert cert is not None
    code, out, err = run(capsys, "recheck")
    assert (code, out, err) == (0, f"ok      {cert}\n", "1 certificate: 1 hold, 0 failed\n")
    data = json.loads(Path(cert).read_text())
    data["proposal"] = 6
    Path(cert).write_text(json.dumps(data))
    code, out, err = run(capsys, "recheck", ".assay")
    assert code == 1
    assert out.startswith(f"FAILED  {cert}: ")
    assert err == "1 certificate: 0 hold, 1 failed\n"


# --- empty input, stdin, --output --------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\n  \n\n"])
def test_an_empty_file_checks_nothing_and_passes_with_a_warning(
        work: Path, capsys: pytest.CaptureFixture[str], content: bytes) -> None:
    (work / "empty.jsonl").write_bytes(content)
    code, out, err = run(capsys, "check", "--spec", "bigger.py", "empty.jsonl", "--no-store")
    assert code == 0
    assert seconds_free(out) == (
        "ID                    VERDICT    SECONDS  REASON\n"
        "0 proposals: 0 accepted, 0 refuted, 0 malformed, 0 vacuous, 0 unknown in S s\n")
    assert err == "assay check: warning: empty.jsonl holds no proposals\n"


def test_proposals_from_stdin(work: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    data = b'{"id": "a", "givens": {"x": 1}, "proposal": 2}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = run(capsys, "check", "--spec", "bigger.py", "-", "--no-store", "--format", "json")
    assert code == 0
    assert [r["id"] for r in json_rows(out)] == ["a"]


def test_output_file_gets_the_report_and_stderr_the_summary(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "a", "givens": {"x": 1}, "proposal": 2})
    code, out, err = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store",
                         "--format", "json", "--output", "report.json")
    assert (code, out) == (0, "")
    assert seconds_free(err) == \
        "1 proposal: 1 accepted, 0 refuted, 0 malformed, 0 vacuous, 0 unknown in S s\n"
    assert [r["id"] for r in json_rows((work / "report.json").read_text())] == ["a"]


def test_a_spec_by_module_name_is_found_from_the_current_folder(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "my_specs_mod.py").write_text(SPEC)
    props = jsonl(work / "p.jsonl", {"id": "a", "givens": {"x": 1}, "proposal": 2})
    path_before = list(sys.path)
    code, _, err = run(capsys, "check", "--spec", "my_specs_mod:bigger", str(props), "--no-store")
    assert (code, err) == (0, "")
    assert sys.path == path_before
    sys.modules.pop("my_specs_mod", None)


# --- the progress bar ---------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("ci", "shown"), [(None, True), ("true", False)])
def test_progress_bar_only_at_a_terminal_outside_ci(
        work: Path, monkeypatch: pytest.MonkeyPatch, ci: str | None, shown: bool) -> None:
    if ci is not None:
        monkeypatch.setenv("CI", ci)
    props = jsonl(work / "p.jsonl", {"id": "a", "givens": {"x": 1}, "proposal": 2})
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert main(["check", "--spec", "bigger.py", str(props), "--no-store"]) == 0
    assert ("checking" in terminal.getvalue()) is shown


def test_rows_to_a_terminal_do_not_share_lines_with_the_bar(
        work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    props = jsonl(work / "p.jsonl", *({"id": f"r{i}", "givens": {"x": 1}, "proposal": 2} for i in range(3)))
    terminal = _Terminal()  # stdout and stderr are the same screen
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["check", "--spec", "bigger.py", str(props), "--no-store"]) == 0
    assert "checking" in terminal.getvalue()
    # What the screen shows: a carriage return starts the line over.
    shown = [line.rsplit("\r", 1)[-1].rstrip() for line in terminal.getvalue().split("\n")]
    assert [line.split()[0] for line in shown if line] == ["ID", "r0", "r1", "r2", "3"]


def test_no_progress_bar_when_stderr_is_not_a_terminal(
        work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    props = jsonl(work / "p.jsonl", {"id": "a", "givens": {"x": 1}, "proposal": 2})
    code, _, err = run(capsys, "check", "--spec", "bigger.py", str(props), "--no-store")
    assert (code, err) == (0, "")


# --- usage errors: exit 2, one clear line, no traceback ---------------------------------------


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "Traceback" not in err
    return err


def test_usage_missing_proposals_file(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "check", "--spec", "bigger.py", "nope.jsonl") == \
        "assay check: error: proposals file not found: nope.jsonl\n"


def test_usage_proposals_is_a_folder(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "d").mkdir()
    assert usage_error(capsys, "check", "--spec", "bigger.py", "d") == \
        "assay check: error: proposals file is a folder: d\n"


@pytest.fixture
def props(work: Path) -> str:
    return str(jsonl(work / "p.jsonl", {"id": "a", "givens": {"x": 1}, "proposal": 2}))


def test_usage_spec_file_not_found(work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    assert usage_error(capsys, "check", "--spec", "missing.py", props) == \
        "assay check: error: spec file not found: missing.py\n"


def test_usage_spec_module_not_found(work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    err = usage_error(capsys, "check", "--spec", "no_such_module_xyz:thing", props)
    assert err == ("assay check: error: spec module 'no_such_module_xyz' does not import: "
                   "ModuleNotFoundError: No module named 'no_such_module_xyz'\n")


def test_usage_spec_with_a_syntax_error_says_where(
        work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    (work / "broken.py").write_text("from assay.specs import spec\n\ndef f(:\n    pass\n")
    err = usage_error(capsys, "check", "--spec", "broken.py", props)
    assert err.startswith(f"assay check: error: {work / 'broken.py'}:3:7: spec file broken.py does not "
                          "import: SyntaxError: ")


def test_usage_spec_that_raises_on_import_says_where(
        work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    (work / "raises.py").write_text("x = 1\nraise RuntimeError('boom')\n")
    assert usage_error(capsys, "check", "--spec", "raises.py", props) == (
        f"assay check: error: {work / 'raises.py'}:2: spec file raises.py does not import: "
        "RuntimeError: boom\n")


def test_usage_invalid_spec_says_file_line_column(
        work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    (work / "loopy.py").write_text(textwrap.dedent('''\
        from assay.specs import spec, Given, Proposal

        @spec
        def loopy(x: Given[int], y: Proposal[int]) -> bool:
            while y > x:
                pass
            return True
        '''))
    err = usage_error(capsys, "check", "--spec", "loopy.py", props)
    assert err.startswith(f"assay check: error: invalid spec loopy.py: {work / 'loopy.py'}:5:5: ")
    assert err.endswith("(hint: write all(... for i in range(n)) instead of a while loop)\n")


def test_usage_spec_name_not_in_file(work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    assert usage_error(capsys, "check", "--spec", "bigger.py:smaller", props) == \
        "assay check: error: bigger.py has no spec named 'smaller' (specs there: bigger)\n"


def test_usage_bad_timeout(work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    assert usage_error(capsys, "check", "--spec", "bigger.py", props, "--timeout", "0") == \
        "assay check: error: --timeout must be a positive number of seconds, got 0.0\n"


def test_usage_store_is_a_file(work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    (work / "afile").write_text("")
    assert usage_error(capsys, "check", "--spec", "bigger.py", props, "--store", "afile") == \
        "assay check: error: the store 'afile' exists and is not a folder\n"


def test_usage_output_not_writable(work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    assert usage_error(capsys, "check", "--spec", "bigger.py", props, "--no-store",
                       "-o", "no/such/dir/out.txt") == \
        "assay check: error: cannot write no/such/dir/out.txt: No such file or directory\n"


def test_usage_bad_arguments(work: Path, capsys: pytest.CaptureFixture[str], props: str) -> None:
    err = usage_error(capsys, "check", "--spec", "bigger.py", props, "--format", "xml")
    assert err.endswith("assay check: error: argument --format: invalid choice: 'xml' "
                        "(choose from 'text', 'json', 'junit')\n")
    err = usage_error(capsys, "check", props)
    assert err.endswith("assay check: error: the following arguments are required: --spec\n")
    err = usage_error(capsys)
    assert err.endswith("assay: error: name a command: check, recheck, smt, demo, report or replay\n")


def test_usage_recheck_of_nothing(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert usage_error(capsys, "recheck", "nowhere") == \
        "assay recheck: error: nothing to recheck: nowhere does not exist\n"


def test_demo_is_wired_to_assay_demo_run(work: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    demo = importlib.import_module("assay.demo")
    calls: list[Path] = []

    def run(store: Path) -> int:
        calls.append(store)
        return 1

    monkeypatch.setattr(demo, "run", run)
    assert main(["demo"]) == 1
    monkeypatch.setenv("ASSAY_HOME", "home")
    assert main(["demo"]) == 1
    assert main(["demo", "--store", "there"]) == 1
    assert calls == [Path(".assay"), Path("home"), Path("there")]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"assay {assay.__version__}\n", "")


# --- streaming: memory does not grow with the number of lines ----------------------------


def peak_memory(work: Path, lines: int, fmt: str) -> int:
    path = work / f"many-{lines}.jsonl"
    with path.open("w") as f:
        for i in range(lines):
            f.write(json.dumps({"id": i, "givens": {"x": i % 50}, "proposal": (i % 50) + (i % 3) - 1}) + "\n")
    tracemalloc.start()
    try:
        code = main(["check", "--spec", "bigger.py", str(path), "--no-store", "--no-vacuity",
                     "--format", fmt, "--output", str(work / f"out-{lines}.{fmt}")])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 1
    return peak


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_memory_does_not_grow_with_the_number_of_lines(
        work: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    peak_memory(work, 100, fmt)  # warm up: imports and caches are not what is measured
    small = peak_memory(work, 500, fmt)
    large = peak_memory(work, 5_000, fmt)
    # Ten times the lines; anything proportional to them would be ~10x.
    assert large < small * 1.5 + 64 * 1024, (small, large)
    if fmt == "json":
        assert len((work / "out-5000.json").read_text().splitlines()) == 5_000


# --- the console script -------------------------------------------------------------------------


def test_console_script_exit_codes(work: Path) -> None:
    script = Path(sys.executable).parent / "assay"
    if not script.exists():
        pytest.skip("the assay console script is not installed beside this interpreter")
    props = jsonl(work / "p.jsonl", {"id": "low", "givens": {"x": 3}, "proposal": 1})
    env = {k: v for k, v in os.environ.items() if k not in ("ASSAY_HOME",)}
    refuted = subprocess.run([str(script), "check", "--spec", "bigger.py", str(props), "--no-store",
                              "--no-vacuity"], capture_output=True, text=True, env=env, check=False)
    assert refuted.returncode == 1
    assert "1 proposal: 0 accepted, 1 refuted" in refuted.stdout
    usage = subprocess.run([str(script), "check", "--spec", "bigger.py", "missing.jsonl"],
                           capture_output=True, text=True, env=env, check=False)
    assert (usage.returncode, usage.stderr) == (
        2, "assay check: error: proposals file not found: missing.jsonl\n")


# --- report ----------------------------------------------------------------------------


def _fill_ledger(store: Path) -> None:
    from assay.kernel.backends import Completion, Prompt
    from assay.kernel.ledger import Ledger
    from assay.kernel.loop import run_task
    from assay.kernel.steps import ParsedAnswer
    from assay.kernel.strategies import PRESETS
    from assay.kernel.tasks import Budget, Task
    from assay.specs import load

    class Model:
        name = "wrong, then right"

        def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
            return Completion("[0, 0, 0]" if prompt.attempt == 1 else "[1, 1, 1]", 20, 3, 0.0)

    spec = load(f"{Path(__file__).parent / 'specdefs' / 'ok.py'}:fixed_list")
    with Ledger(store) as ledger:
        for strategy in ("model", "reoffload"):
            run_task(Task(spec, {"target": 3}, Budget(), "t1"), PRESETS[strategy], model=Model(),
                     parser=lambda s, text: ParsedAnswer(json.loads(text)), ledger=ledger, run_id=strategy)


def test_report_sums_the_ledger_per_strategy_and_spec(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fill_ledger(work / "st")
    code, out, err = run(capsys, "report", "--store", "st")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"ledger: {Path('st') / 'ledger.sqlite'}"
    model = next(ln for ln in lines if ln.startswith("model "))
    reoffload = next(ln for ln in lines if ln.startswith("reoffload "))
    # tasks acc rep ref unk mal vac undec calls tokens
    assert model.split()[1:11] == ["1", "0", "0", "1", "0", "0", "0", "0", "1", "23"]
    assert reoffload.split()[1:11] == ["1", "1", "0", "0", "0", "0", "0", "0", "2", "46"]
    assert any(ln.startswith("spec ") for ln in lines)
    code, out, _ = run(capsys, "report", "--store", "st", "--format", "json")
    data = json.loads(out)
    assert code == 0 and [r["strategy"] for r in data["by_strategy"]] == ["model", "reoffload"]
    assert data["by_spec"][0]["tasks"] == 2 and data["by_spec"][0]["model_calls"] == 3


def test_report_without_a_ledger_is_a_usage_error(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = usage_error(capsys, "report", "--store", "empty")
    assert err.startswith(f"assay report: error: no ledger at {Path('empty') / 'ledger.sqlite'} ")
