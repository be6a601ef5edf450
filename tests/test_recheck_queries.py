"""Certificates record the SMT-LIB2 of each UNSAT they rest on; recheck asks it again in fresh processes.

Also: the fresh solver runs themselves (a text in a new process, terms through the APIs).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import z3
from assay.proofs import fresh_solvers as F
from assay.proofs import recheck_path
from assay.specs import load
from assay.specs.obligations import claim_query

from .certificate_helpers import KNAP, SPEC_FILE, forge, issue, only, spec_root


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return spec_root(tmp_path, monkeypatch)


# --- what certificates record --------------------------------------------------------------


def test_a_unique_claim_records_its_query_solvers_options_and_proof(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    cert = json.loads(path.read_text())
    spec = load(f"{SPEC_FILE}:chained")
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


def test_a_vacuous_verdict_records_the_existence_query(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 1}, 1)
    cert = json.loads(path.read_text())
    assert cert["verdict"] == "vacuous"
    (q,) = cert["queries"]
    assert q["claim"] == "no-solution"
    s = z3.Solver()
    s.add(z3.parse_smt2_string(q["smtlib"]))
    assert s.check() == z3.unsat
    assert {a["claim"] for a in cert["solvers"]} == {"no-solution"}


def test_verdicts_that_rest_on_no_unsat_record_no_query(root: Path) -> None:
    refuted = json.loads(issue(root, "knapsack", KNAP, [True, True, False, False]).read_text())
    plain = json.loads(issue(root, "strings", {"prefix": "ab"}, "abc").read_text())
    assert refuted["verdict"] == "refuted" and refuted["queries"] == []
    assert plain["verdict"] == "accepted" and plain["queries"] == []


def test_proofs_are_skipped_with_a_reason(root: Path) -> None:
    big = json.loads(issue(root, "chained", {"lo": 0, "hi": 3}, 1, proof_max_query_bytes=10).read_text())
    (q,) = big["queries"]
    assert q["cvc5_proof"] == {"produced": False,
                               "why": f"the query is {q['bytes']} bytes, over the 10-byte limit for proof production"}
    off = json.loads(issue(root, "knapsack", KNAP, [False, True, False, True], proof_seconds=0).read_text())
    assert off["queries"][0]["cvc5_proof"] == {"produced": False, "why": "proof production is off"}


def test_a_large_query_goes_to_a_sidecar(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1, inline_limit=100)
    (q,) = json.loads(path.read_text())["queries"]
    assert "smtlib" not in q and q["sidecar"] == f"{q['sha256']}.smt2"
    sidecar = path.parent / q["sidecar"]
    assert hashlib.sha256(sidecar.read_bytes()).hexdigest() == q["sha256"]
    assert q["cvc5_proof"]["sidecar"] == f"{q['cvc5_proof']['sha256']}.proof"
    assert only(path).ok, only(path).reason
    assert [r.path.name for r in recheck_path(root / ".assay")] == [path.name]  # sidecars are not certificates

    sidecar.write_text(sidecar.read_text().replace("(check-sat)", "(check-sat)\n(get-model)"))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim was edited after the certificate "
                                       "was issued (its sha256 differs)")
    sidecar.unlink()
    r = only(path)
    assert (r.ok, r.reason) == (False, f"the recorded query for the unique claim is missing: its sidecar {sidecar} "
                                       "does not exist")


# --- recheck asks the recorded text again -------------------------------------------------------


def test_recheck_passes_honest_certificates_that_rest_on_unsat(root: Path) -> None:
    paths = [issue(root, "chained", {"lo": 0, "hi": 3}, 1),                 # unique
             issue(root, "knapsack", KNAP, [False, True, False, True]),     # optimal
             issue(root, "chained", {"lo": 0, "hi": 1}, 1)]                 # vacuous
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


def test_an_edited_query_fails_on_its_hash(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    text = json.loads(path.read_text())["queries"][0]["smtlib"]
    forge(path, _set_query(text.replace("(assert", "(assert false)\n(assert", 1), rehash=False))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim was edited after the certificate "
                                       "was issued (its sha256 differs)")


def test_a_consistently_edited_query_fails_against_the_spec(root: Path) -> None:
    # `(assert false)` makes any query UNSAT: the replay alone would pass it; the comparison must not.
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    text = json.loads(path.read_text())["queries"][0]["smtlib"]
    forged = text.replace("(check-sat)", "(assert false)\n(check-sat)")
    forge(path, _set_query(forged, rehash=True))
    line = text[:text.index("(check-sat)")].count("\n") + 1
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim is not the one the spec gives for "
                                       f"these values (they differ from line {line}, column 2)")


def test_a_query_with_a_stray_command_is_refused(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    text = json.loads(path.read_text())["queries"][0]["smtlib"]
    forge(path, _set_query("(set-option :timeout 1)\n" + text, rehash=True))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the recorded query for the unique claim is refused: refused SMT-LIB: line 1, "
                                       "column 1: (set-option ...) is not allowed: solver options are set by the "
                                       "runner, never by the obligation (they change what the answer means or how "
                                       "long it may take)")


def test_a_certificate_without_its_query_fails(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 1}, 1)
    forge(path, lambda cert: cert.update(queries=[]))
    r = only(path)
    assert (r.ok, r.reason) == (False, "the certificate records no SMT-LIB query for the no-solution claim")


def test_recheck_fails_when_the_fresh_processes_do_not_say_unsat(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    seen: list[str] = []

    def ask_text_both(text: str, *, timeout: float) -> dict[str, F.FreshAnswer]:
        seen.append(text)
        return {"z3": F.FreshAnswer("z3", "unsat"), "cvc5": F.FreshAnswer("cvc5", "unknown", "crash (exit 1)")}

    monkeypatch.setattr(F, "ask_text_both", ask_text_both)
    r = only(path)
    assert (r.ok, r.reason) == (False, "recheck could not prove the unique claim, and unknown is never a proof: "
                                       "z3 says unsat, cvc5 says unknown (crash (exit 1))")
    assert seen == [json.loads(path.read_text())["queries"][0]["smtlib"]]


def test_recheck_fails_when_the_api_route_does_not_say_unsat(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The text route says unsat; the terms through the APIs must say so too.
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)

    def ask_terms_both(query: Any, *, timeout: float) -> dict[str, F.FreshAnswer]:
        return {"z3": F.FreshAnswer("z3", "sat"), "cvc5": F.FreshAnswer("cvc5", "unsat")}

    monkeypatch.setattr(F, "ask_terms_both", ask_terms_both)
    r = only(path)
    assert (r.ok, r.reason) == (False, "the unique claim does not hold: z3 through its API says sat, cvc5 through "
                                       "its API says unsat")


# --- the fresh solver runs themselves ---------------------------------------------------------------------

SAT = "(set-logic ALL)\n(declare-fun |x| () Int)\n(assert (> |x| 2))\n(check-sat)\n"
UNSAT = "(set-logic ALL)\n(declare-fun |x| () Int)\n(assert (and (> |x| 2) (< |x| 3)))\n(check-sat)\n"


def test_texts_are_answered_from_fresh_processes() -> None:
    both = F.ask_text_both(UNSAT, timeout=10)
    assert {s: a.result for s, a in both.items()} == {"z3": "unsat", "cvc5": "unsat"}
    assert both["z3"].options == {"timeout": 10_000} and both["cvc5"].options == {"tlimit-per": "10000"}
    assert {s: a.result for s, a in F.ask_text_both(SAT, timeout=10).items()} == {"z3": "sat", "cvc5": "sat"}


def test_terms_are_answered_through_the_apis(root: Path) -> None:
    spec = load(f"{SPEC_FILE}:chained")
    unique = claim_query("unique", spec, {"lo": 0, "hi": 3}, 1)
    assert {s: a.result for s, a in F.ask_terms_both(unique, timeout=10).items()} == {"z3": "unsat", "cvc5": "unsat"}
    other = claim_query("unique", spec, {"lo": 0, "hi": 5}, 1)
    assert {s: a.result for s, a in F.ask_terms_both(other, timeout=10).items()} == {"z3": "sat", "cvc5": "sat"}


def test_the_solver_process_refuses_unclean_text_itself() -> None:
    a = F.ask_text(UNSAT.replace("(check-sat)", "(exit)"), "z3", timeout=10)
    assert (a.result, a.reason) == ("unknown", "refused SMT-LIB: line 4, column 1: (exit) is not allowed: it would "
                                               "end the solver before it answers")


def test_a_solver_process_that_runs_too_long_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F, "_GRACE", 0.0)
    a = F.ask_text(UNSAT, "cvc5", timeout=0.001)
    assert (a.result, a.reason) == ("unknown", "timeout (the process was killed after 0.001 s)")


def test_a_crashed_solver_process_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(F.sys, "executable", "/bin/false")
    a = F.ask_text(UNSAT, "z3", timeout=10)
    assert (a.result, a.reason) == ("unknown", "crash (exit status 1)")
