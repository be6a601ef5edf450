"""Fuzz `assay check` with random JSON Lines: it never crashes, and every line gets its verdict.

The lines mix valid records, records with wrong types, raw model text, huge
integers, deep nesting, garbage bytes and invalid UTF-8.  For every run: the
exit code is 0 or 1 (0 exactly when every verdict is ACCEPTED), the JSON
report holds one object per non-blank line, in order and with its line
number, and every valid record keeps its id.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assay.cli import main

SPEC = '''\
from typing import Annotated
from assay.specs import spec, Given, Proposal, Between

@spec
def bigger(x: Given[int], y: Proposal[Annotated[int, Between(-100, 100)]]) -> bool:
    return y > x
'''

FENCE = "```"
VERDICTS = {"accepted", "refuted", "malformed", "vacuous", "unknown"}


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz") / "bigger.py"
    path.write_text(SPEC)
    return path


# --- lines ------------------------------------------------------------------------------------

ids = st.one_of(st.text(max_size=12), st.integers(-(10**30), 10**30))
small_ints = st.integers(-150, 150)


def record(rid: Any, givens: Any, proposal: Any) -> bytes:
    return json.dumps({"id": rid, "givens": givens, "proposal": proposal}).encode()


# A valid record, tagged with its id, so the test can find it in the report.
valid = st.builds(
    lambda rid, x, y, text: (record(rid, {"x": x}, y if text is None else text.format(y)), rid),
    ids, small_ints, small_ints,
    # The int alone, or the model's text around it (an int in prose is no answer: only a
    # whole-text value, a fence, or an object or array is).
    st.sampled_from([None, "{}", " {}\n", f"{FENCE}json\n{{}}\n{FENCE}",
                     f"Answer:\n{FENCE}json\n{{}}\n{FENCE}\nHope that helps. [1]"]),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
wrong_types = st.builds(
    lambda rid, givens, proposal: json.dumps({"id": rid, "givens": givens, "proposal": proposal}).encode(),
    json_values, json_values, json_values,
)
missing_fields = st.builds(
    lambda d: json.dumps(d).encode(),
    st.dictionaries(st.sampled_from(["id", "givens", "proposal", "other"]), json_values, max_size=3),
)
huge_ints = st.builds(
    lambda digits, where: (b'{"id": 1, "givens": {"x": ' + (b"9" * digits if where else b"1")
                           + b'}, "proposal": ' + (b"1" if where else b"9" * digits) + b"}"),
    st.integers(4000, 6000), st.booleans(),
)
deep = st.builds(
    lambda depth, opener: (b'{"id": "deep", "givens": {"x": 1}, "proposal": '
                           + opener * depth + b"}"),
    st.integers(500, 20_000), st.sampled_from([b"[", b'{"a":']),
)
garbage = st.binary(max_size=40)
bad_utf8 = st.builds(lambda a, b: a + b"\xff\xfe\xc3" + b, st.binary(max_size=10), st.binary(max_size=10))
raw_text = st.builds(lambda t: json.dumps({"id": "t", "givens": {"x": 0}, "proposal": t}).encode(),
                     st.text(max_size=60))
blank = st.sampled_from([b"", b"   ", b"\t", b"\r"])

any_line = st.one_of(
    valid, wrong_types, missing_fields, huge_ints, deep, garbage, bad_utf8, raw_text, blank,
).map(lambda x: x if isinstance(x, tuple) else (x, None))


def split_lines(lines: list[tuple[bytes, Any]]) -> list[tuple[bytes, Any]]:
    """The lines as the file will hold them: a generated line may itself hold a newline."""
    out: list[tuple[bytes, Any]] = []
    for data, rid in lines:
        parts = data.split(b"\n")
        out += [(p, rid if len(parts) == 1 else None) for p in parts]
    return out


def is_blank(data: bytes, number: int) -> bool:
    """The rule of assay.bridges.records, restated: only JSON whitespace (after a BOM on line 1)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if number == 1:
        text = text.removeprefix("\ufeff")
    return not text.strip(" \t\r\n")


# --- the property ------------------------------------------------------------------------------


@settings(max_examples=int(os.environ.get("ASSAY_FUZZ_EXAMPLES", "120")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(any_line, max_size=12), fmt=st.sampled_from(["json", "text", "junit"]))
def test_check_never_crashes_and_reports_every_line(spec_file: Path, lines: list[tuple[bytes, Any]],
                                                    fmt: str) -> None:
    lines = split_lines(lines)
    with tempfile.TemporaryDirectory() as tmp:
        props = Path(tmp) / "p.jsonl"
        props.write_bytes(b"\n".join(data for data, _ in lines))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", "--spec", str(spec_file), str(props), "--no-store",
                         "--no-vacuity", "--format", "json"])
            # The other formats must not crash on the same lines either.
            other = main(["check", "--spec", str(spec_file), str(props), "--no-store",
                          "--no-vacuity", "--format", fmt, "--output", str(Path(tmp) / "report")])
    assert code in (0, 1), err.getvalue()
    assert other == code

    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    expected_lines = [n for n, (data, _) in enumerate(lines, 1) if not is_blank(data, n)]
    assert [r["line"] for r in rows] == expected_lines
    assert all(r["verdict"] in VERDICTS for r in rows)
    assert code == (0 if all(r["verdict"] == "accepted" for r in rows) else 1)

    by_line = {r["line"]: r for r in rows}
    for n, (_, rid) in enumerate(lines, 1):
        if rid is not None:
            assert by_line[n]["id"] == rid
            # A valid record's answer is an int (perhaps in text): accepted or refuted, never malformed.
            assert by_line[n]["verdict"] in ("accepted", "refuted"), by_line[n]
