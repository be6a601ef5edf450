"""Certificates record the SMT-LIB2 of each UNSAT they rest on; recheck replays it in fresh processes.

Also: a solver disagreement leaves an .smt2 reproducer that the verdict names.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import z3
from assay.kernel import Outcome, check, solvers
from assay.kernel.certify import write_certificate
from assay.proofs import recheck_path
from assay.proofs import replay as R
from assay.specs import load
from assay.specs.obligations import claim_query

from .paths import OK

KNAP = {"weights": [3, 4, 5, 6], "values": [4, 5, 6, 8], "capacity": 10}


def _spec(tmp_path: Path, name: str) -> Any:
    spec_file = tmp_path / "spec_copy.py"
    if not spec_file.exists():
        shutil.copy(OK, spec_file)
    return load(f"{spec_file}:{name}")


def issue(tmp_path: Path, name: str, givens: dict[str, Any], proposal: Any, **kw: Any) -> Path:
    """Check a proposal with no store, then write its certificate with ``kw`` for write_certificate."""
    spec = _spec(tmp_path, name)
    v = check(spec, givens, proposal)
    return write_certificate(tmp_path / ".assay", spec, givens, proposal, v, solvers=v.solvers, **kw)


def edit(path: Path, change: Any) -> None:
    """Apply ``change`` to the certificate's JSON and drop its id (a consistent forgery)."""
    cert = json.loads(path.read_text())
    change(cert)
    cert.pop("id", None)
    path.write_text(json.dumps(cert))


def only(path: Path) -> Any:
    (r,) = recheck_path(path)
    return r


# --- what certificates record --------------------------------------------------------------


def test_a_unique_claim_records_its_query_solvers_options_and_proof(tmp_path: Path) -> None:
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)
    cert = json.loads(path.read_text())
    spec = load(f"{tmp_path / 'spec_copy.py'}:chained")
    expected = claim_query("unique", spec, {"lo": 0, "hi": 3}, 1).smtlib()
    (q,) = cert["queries"]
    assert q["claim"] == "unique"
    assert q["smtlib"] == expected
    assert q["sha256"] == hashlib.sha256(expected.encode()).hexdigest()
    assert q["bytes"] == len(expected.encode())
    assert "sidecar" not in q
    proof = q["cvc5_proof"]
    assert proof["produced"] is True, proof
    assert proof["solver"] == "cvc5" and proof["options"]["produce-proofs"] == "true"
    assert proof["text"].startswith("(") and proof["sha256"] == hashlib.sha256(proof["text"].encode()).hexdigest()
    answers = [(a["solver"], a["result"], a["claim"]) for a in cert["solvers"]]
    assert answers == [("z3", "unsat", "unique"), ("cvc5", "unsat", "unique")]
    assert all(a["version"] and isinstance(a["options"], dict) and a["options"] for a in cert["solvers"])


def test_a_vacuous_verdict_records_the_existence_query(tmp_path: Path) -> None:
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 1}, 1)
    cert = json.loads(path.read_text())
    assert cert["verdict"] == "vacuous"
    (q,) = cert["queries"]
    assert q["claim"] == "no-solution"
    s = z3.Solver()
    s.add(z3.parse_smt2_string(q["smtlib"]))
    assert s.check() == z3.unsat
    assert {a["claim"] for a in cert["solvers"]} == {"no-solution"}


def test_verdicts_that_rest_on_no_unsat_record_no_query(tmp_path: Path) -> None:
    refuted = json.loads(issue(tmp_path, "knapsack", KNAP, [True, True, False, False]).read_text())
    plain = json.loads(issue(tmp_path, "strings", {"prefix": "ab"}, "abc").read_text())
    assert refuted["verdict"] == "refuted" and refuted["queries"] == []
    assert plain["verdict"] == "accepted" and plain["queries"] == []


def test_proofs_are_skipped_with_a_reason(tmp_path: Path) -> None:
    big = json.loads(issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1, proof_max_query_bytes=10).read_text())
    (q,) = big["queries"]
    assert q["cvc5_proof"] == {"produced": False,
                               "why": f"the query is {q['bytes']} bytes, over the 10-byte limit for proof production"}
    off = json.loads(issue(tmp_path, "knapsack", KNAP, [False, True, False, True], proof_seconds=0).read_text())
    assert off["queries"][0]["cvc5_proof"] == {"produced": False, "why": "proof production is off"}


def test_a_large_query_goes_to_a_sidecar(tmp_path: Path) -> None:
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1, inline_limit=100)
    (q,) = json.loads(path.read_text())["queries"]
    assert "smtlib" not in q and q["sidecar"] == f"{q['sha256']}.smt2"
    sidecar = path.parent / q["sidecar"]
    assert hashlib.sha256(sidecar.read_bytes()).hexdigest() == q["sha256"]
    assert q["cvc5_proof"]["sidecar"] == f"{q['cvc5_proof']['sha256']}.proof"
    assert only(path).ok, only(path).reason
    assert [r.path.name for r in recheck_path(tmp_path / ".assay")] == [path.name]  # sidecars are not certificates

    sidecar.write_text(sidecar.read_text().replace("(check-sat)", "(check-sat)\n(get-model)"))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim was edited after the certificate "
                                       "was issued (its sha256 differs)")
    sidecar.unlink()
    r = only(path)
    assert (r.ok, r.reason) == (False, f"the recorded query for the unique claim is missing: its sidecar {sidecar} "
                                       "does not exist")


# --- recheck replays the recorded text -------------------------------------------------------


def test_recheck_replays_honest_certificates(tmp_path: Path) -> None:
    paths = [issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1),                 # unique
             issue(tmp_path, "knapsack", KNAP, [False, True, False, True]),     # optimal
             issue(tmp_path, "chained", {"lo": 0, "hi": 1}, 1)]                 # vacuous
    for p in paths:
        r = only(p)
        assert r.ok, r.reason


def _set_query(text: str, *, rehash: bool) -> Any:
    def change(cert: dict[str, Any]) -> None:
        q = cert["queries"][0]
        q["smtlib"] = text
        if rehash:
            q["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    return change


def test_an_edited_query_fails_on_its_hash(tmp_path: Path) -> None:
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)
    text = json.loads(path.read_text())["queries"][0]["smtlib"]
    edit(path, _set_query(text.replace("(assert", "(assert false)\n(assert", 1), rehash=False))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim was edited after the certificate "
                                       "was issued (its sha256 differs)")


def test_a_consistently_edited_query_fails_against_the_spec(tmp_path: Path) -> None:
    # `(assert false)` makes any query UNSAT: the replay alone would pass it; the comparison must not.
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)
    text = json.loads(path.read_text())["queries"][0]["smtlib"]
    forged = text.replace("(check-sat)", "(assert false)\n(check-sat)")
    edit(path, _set_query(forged, rehash=True))
    line = text[:text.index("(check-sat)")].count("\n") + 1
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim is not the one the spec gives for "
                                       f"these values (they differ from line {line}, column 2)")


def test_a_query_with_a_stray_command_is_refused(tmp_path: Path) -> None:
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)
    text = json.loads(path.read_text())["queries"][0]["smtlib"]
    edit(path, _set_query("(set-option :timeout 1)\n" + text, rehash=True))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim is refused: refused SMT-LIB: line 1, "
                                       "column 1: (set-option ...) is not allowed: solver options are set by the "
                                       "runner, never by the obligation (they change what the answer means or how "
                                       "long it may take)")


def test_a_certificate_without_its_query_fails(tmp_path: Path) -> None:
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 1}, 1)
    edit(path, lambda cert: cert.update(queries=[]))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the certificate records no SMT-LIB query for the no-solution claim")


def test_recheck_fails_when_the_replay_does_not_say_unsat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)
    seen: list[str] = []

    def replay_both(text: str, *, timeout: float) -> dict[str, R.ReplayAnswer]:
        seen.append(text)
        return {"z3": R.ReplayAnswer("z3", "unsat"), "cvc5": R.ReplayAnswer("cvc5", "unknown", "crash (exit 1)")}

    monkeypatch.setattr(R, "replay_both", replay_both)
    r = only(path)
    assert (r.ok, r.reason) == (False, "the unique claim no longer holds when its recorded query is replayed in "
                                       "fresh processes: z3 says unsat, cvc5 says unknown (crash (exit 1))")
    assert seen == [json.loads(path.read_text())["queries"][0]["smtlib"]]


# --- the replay runner itself ---------------------------------------------------------------------

SAT = "(set-logic ALL)\n(declare-fun |x| () Int)\n(assert (> |x| 2))\n(check-sat)\n"
UNSAT = "(set-logic ALL)\n(declare-fun |x| () Int)\n(assert (and (> |x| 2) (< |x| 3)))\n(check-sat)\n"


def test_replay_answers_from_fresh_processes() -> None:
    both = R.replay_both(UNSAT, timeout=10)
    assert {s: a.result for s, a in both.items()} == {"z3": "unsat", "cvc5": "unsat"}
    assert both["z3"].options == {"timeout": 10_000} and both["cvc5"].options == {"tlimit-per": "10000"}
    assert {s: a.result for s, a in R.replay_both(SAT, timeout=10).items()} == {"z3": "sat", "cvc5": "sat"}


def test_the_replay_process_refuses_unclean_text_itself() -> None:
    a = R.replay(UNSAT.replace("(check-sat)", "(exit)"), "z3", timeout=10)
    assert (a.result, a.reason) == ("unknown", "refused SMT-LIB: line 4, column 1: (exit) is not allowed: it would "
                                               "end the solver before it answers")


def test_a_replay_that_runs_too_long_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R, "_GRACE", 0.0)
    a = R.replay(UNSAT, "cvc5", timeout=0.001)
    assert (a.result, a.reason) == ("unknown", "timeout (the process was killed after 0.001 s)")


def test_a_crashed_replay_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(R.sys, "executable", "/bin/false")
    a = R.replay(UNSAT, "z3", timeout=10)
    assert (a.result, a.reason) == ("unknown", "crash (exit status 1)")


# --- disagreement reproducers -----------------------------------------------------------------


def _disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"z3": solvers.SolverAnswer("z3", "x", "unsat"),
               "cvc5": solvers.SolverAnswer("cvc5", "y", "sat", "", {"x": 3})}

    def run(query: Any, solver: str, *, timeout: float) -> solvers.SolverAnswer:
        return answers[solver]
    monkeypatch.setattr(solvers, "run", run)


def test_a_disagreement_writes_a_reproducer_under_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    _disagree(monkeypatch)
    spec = load(f"{OK}:chained")
    v = check(spec, {"lo": 0, "hi": 3}, 1, store=tmp_path / ".assay")
    text = claim_query("unique", spec, {"lo": 0, "hi": 3}, 1).smtlib()
    repro = tmp_path / ".assay" / "reproducers" / f"{hashlib.sha256(text.encode()).hexdigest()}.smt2"
    assert v.outcome is Outcome.UNKNOWN and v.certificate is None
    assert v.reason == (f"solver-disagreement: z3 says unsat, cvc5 says sat (reproducer: {repro}): could not prove "
                        "the unique claim")
    written = repro.read_text()
    assert written == (f"; assay: solver-disagreement: z3 says unsat, cvc5 says sat; spec {spec.ref}, the unique "
                       "claim\n; the another-solution query; both solvers should answer alike\n" + text)
    s = z3.Solver()
    s.add(z3.parse_smt2_string(written))
    assert s.check() == z3.unsat  # the real answer: 1 is the only odd number in (0, 3)


def test_a_disagreement_without_a_store_writes_to_a_temporary_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    _disagree(monkeypatch)
    v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 1)
    path = Path(v.reason.split("(reproducer: ", 1)[1].split(")", 1)[0])
    try:
        assert path.parent.name.startswith("assay-disagreement-")
        assert path.read_text().endswith("(check-sat)\n")
    finally:
        shutil.rmtree(path.parent)
