"""`assay smt`: the exported SMT-LIB2 means what the spec's encoding means, by a solver, on z3 and cvc5.

Each export is parsed back by each solver's own parser and compared with the
query built directly through that solver's API: ``direct XOR parsed`` must be
UNSAT.  A test also shows the comparison fails on a wrong export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cvc5
import pytest
import z3
from assay.specs import load, smt
from assay.specs.obligations import claim_query
from assay.specs.queries import Query

from assay.cli import main

from .paths import OK
from .test_library import ITEMS, PUZZLE, SOLUTION

LIB = "assay.specs.library."


# --- the solver comparison --------------------------------------------------------------


def z3_equivalent(query: Query, text: str) -> bool:
    """Whether z3 finds no assignment on which the parsed text and the directly built query differ."""
    ctx = z3.Context()
    parsed = z3.parse_smt2_string(text, ctx=ctx)
    direct = z3.And([smt.to_z3(t, ctx) for t in query.assertions])
    s = z3.Solver(ctx=ctx)
    s.set("timeout", 60_000)
    s.add(z3.Xor(direct, z3.And(list(parsed))))
    r = s.check()
    assert r != z3.unknown, s.reason_unknown()
    return bool(r == z3.unsat)


def _cvc5_parse(tm: Any, text: str) -> tuple[Any, dict[str, Any]]:
    s = cvc5.Solver(tm)
    parser = cvc5.InputParser(s)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "export")
    sm = parser.getSymbolManager()
    while not (cmd := parser.nextCommand()).isNull():
        if cmd.getCommandName() not in ("check-sat", "get-model"):
            cmd.invoke(s, sm)
    return s, {t.getSymbol(): t for t in sm.getDeclaredTerms()}


def cvc5_equivalent(query: Query, text: str) -> bool:
    """Whether cvc5 finds no assignment on which the parsed text and the directly built query differ.

    cvc5's parser keeps each ``define-fun`` of arity 0 as a constant with a
    defining equation among the assertions; those equations are kept as
    background (they fix each such constant), and the rest is compared.
    """
    tm = cvc5.TermManager()
    parsed_solver, symbols = _cvc5_parse(tm, text)
    declared = set(symbols.values())
    defs, rest = [], []
    for a in parsed_solver.getAssertions():
        is_def = (a.getKind() == cvc5.Kind.EQUAL and a[0].getKind() == cvc5.Kind.CONSTANT
                  and a[0] not in declared)
        (defs if is_def else rest).append(a)
    terms = [smt.to_cvc5(tm, t, symbols) for t in query.assertions]

    def conj(ts: list[Any]) -> Any:
        return ts[0] if len(ts) == 1 else tm.mkTerm(cvc5.Kind.AND, *ts)

    s = cvc5.Solver(tm)
    s.setLogic("ALL")
    s.setOption("tlimit-per", "60000")
    for d in defs:
        s.assertFormula(d)
    s.assertFormula(tm.mkTerm(cvc5.Kind.XOR, conj(terms), conj(rest) if rest else tm.mkTrue()))
    r = s.checkSat()
    assert r.isSat() or r.isUnsat(), str(r)
    return bool(r.isUnsat())


# --- exports through the command ---------------------------------------------------------


def export(tmp_path: Path, capsys: pytest.CaptureFixture[str], ref: str, givens: Any, *,
           claim: str = "any-solution", proposal: Any = None) -> str:
    """Run `assay smt` and return what it printed."""
    (tmp_path / "givens.json").write_text(json.dumps(givens))
    argv = ["smt", "--spec", ref, "--givens", str(tmp_path / "givens.json")]
    if claim != "any-solution":
        (tmp_path / "proposal.json").write_text(json.dumps(proposal))
        argv += ["--claim", claim, "--proposal", str(tmp_path / "proposal.json")]
    capsys.readouterr()
    assert main(argv) == 0, capsys.readouterr().err
    return capsys.readouterr().out


CASES = [
    pytest.param(f"{OK}:chained", {"lo": 0, "hi": 7}, "any-solution", None, id="chained-exists"),
    pytest.param(f"{OK}:chained", {"lo": 0, "hi": 3}, "unique", 1, id="chained-unique"),
    pytest.param(f"{OK}:strings", {"prefix": 'a"\\b\u00e9\n'}, "any-solution", None, id="strings-escapes"),
    pytest.param(f"{OK}:guarded_division", {"xs": [3, -7, 0]}, "any-solution", None, id="division"),
    pytest.param(f"{OK}:fixed_list", {"target": 4}, "any-solution", None, id="fixed-list"),
    pytest.param(f"{OK}:knapsack", {"weights": [3, 4, 5, 6], "values": [4, 5, 6, 8], "capacity": 10},
                 "optimal", [True, True, False, False], id="knapsack-optimal"),
    pytest.param(LIB + "knapsack:knapsack", {"items": ITEMS, "capacity": 10}, "optimal",
                 [False, True, False, True], id="library-knapsack-optimal"),
    pytest.param(LIB + "sudoku:sudoku", {"puzzle": PUZZLE}, "any-solution", None, id="library-sudoku"),
    pytest.param(LIB + "sudoku:sudoku", {"puzzle": PUZZLE}, "unique", SOLUTION, id="library-sudoku-unique"),
]


@pytest.mark.parametrize(("ref", "givens", "claim", "proposal"), CASES)
def test_export_is_equivalent_on_both_solvers(  # noqa: PLR0917 -- pytest passes parameters by position
        tmp_path: Path, capsys: pytest.CaptureFixture[str], ref: str, givens: Any, claim: str, proposal: Any) -> None:
    text = export(tmp_path, capsys, ref, givens, claim=claim, proposal=proposal)
    spec = load(ref)
    query = claim_query(claim, spec, spec.decode_givens(givens),
                        None if proposal is None else spec.decode_proposal(proposal))
    assert text.startswith(f"; assay 0.1.0: the {query.name} query of {ref}\n")
    assert z3_equivalent(query, text)
    assert cvc5_equivalent(query, text)


def test_the_comparison_catches_a_wrong_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Odd numbers become even ones: both solvers must notice.
    text = export(tmp_path, capsys, f"{OK}:chained", {"lo": 0, "hi": 7})
    spec = load(f"{OK}:chained")
    query = claim_query("any-solution", spec, {"lo": 0, "hi": 7})
    wrong = text.replace("(= (mod |x| 2) 1)", "(= (mod |x| 2) 0)")
    assert wrong != text
    assert not z3_equivalent(query, wrong)
    assert not cvc5_equivalent(query, wrong)


def test_library_sudoku_export_answers_like_the_kernel(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    # The unique query of the known solution is UNSAT when solved from the text alone.
    text = export(tmp_path, capsys, LIB + "sudoku:sudoku", {"puzzle": PUZZLE}, claim="unique", proposal=SOLUTION)
    s = z3.Solver()
    s.add(z3.parse_smt2_string(text))
    assert s.check() == z3.unsat


# --- usage errors --------------------------------------------------------------------------


def run_smt(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["smt", *argv])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
                      ) -> None:
    monkeypatch.chdir(tmp_path)
    ref = f"{OK}:chained"
    Path("g.json").write_text('{"lo": 0, "hi": 3}')
    Path("bad.json").write_text('{"lo": 0,')
    Path("wrong.json").write_text('{"lo": 0, "hi": "3"}')
    Path("extra.json").write_text('{"lo": 0, "hi": 3, "mid": 1}')
    Path("p.json").write_text("1")
    Path("latin1.json").write_bytes(b'{"lo": "\xe9"}')
    cases = [
        (("--spec", ref, "--givens", "missing.json"), "givens file not found: missing.json"),
        (("--spec", ref, "--givens", "."), "givens file is a folder: ."),
        (("--spec", ref, "--givens", "bad.json"),
         "givens file bad.json is not JSON: Expecting property name enclosed in double quotes (line 1, column 10)"),
        (("--spec", ref, "--givens", "latin1.json"),
         "givens file latin1.json is not UTF-8: invalid continuation byte at byte 8"),
        (("--spec", ref, "--givens", "wrong.json"),
         f"the givens do not fit {ref}: givens.hi: expected an integer, got '3' (str)"),
        (("--spec", ref, "--givens", "extra.json"),
         f"the givens do not fit {ref}: givens.mid: not a given of this spec (it takes lo, hi)"),
        (("--spec", ref, "--givens", "g.json", "--claim", "unique"),
         "--claim unique is about a proposal: give it with --proposal FILE"),
        (("--spec", ref, "--givens", "g.json", "--proposal", "p.json"),
         "--proposal is only for --claim unique or optimal (any-solution leaves the proposal symbolic)"),
        (("--spec", ref, "--givens", "g.json", "--claim", "unique", "--proposal", "g.json"),
         f"the proposal does not fit {ref}: proposal: expected an integer, got {{'lo': 0, 'hi': 3}} (dict)"),
        (("--spec", ref, "--givens", "g.json", "--claim", "unique", "--proposal", "missing.json"),
         "proposal file not found: missing.json"),
        (("--spec", ref, "--givens", "g.json", "--claim", "optimal", "--proposal", "p.json"),
         f"{ref} has no objective: --claim optimal does not apply"),
    ]
    for argv, message in cases:
        code, err = run_smt(capsys, *argv)
        assert (code, err) == (2, f"assay smt: error: {message}\n"), argv


def test_an_unencodable_spec_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "unbounded.py").write_text(
        "from assay.specs import spec, Proposal\n\n"
        "@spec\n"
        "def unbounded(ys: Proposal[list[int]]) -> bool:\n"
        "    return len(ys) == 2\n")
    (tmp_path / "g.json").write_text("{}")
    ref = f"{tmp_path / 'unbounded.py'}:unbounded"
    code, err = run_smt(capsys, "--spec", ref, "--givens", str(tmp_path / "g.json"))
    assert code == 2
    assert err.startswith(f"assay smt: error: {ref} cannot be encoded for the solvers: ")
    assert "'ys' is a list with no length bound" in err


def test_output_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "g.json").write_text('{"lo": 0, "hi": 3}')
    out = tmp_path / "q.smt2"
    assert main(["smt", "--spec", f"{OK}:chained", "--givens", str(tmp_path / "g.json"), "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    text = out.read_text()
    assert text.endswith("(check-sat)\n")
    s = z3.Solver()
    s.add(z3.parse_smt2_string(text))
    assert s.check() == z3.sat
