"""Certificates on disk and their independent recheck."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from assay.kernel import Outcome, check
from assay.proofs import recheck_path, sha256_of
from assay.specs import load

from .paths import OK


def _issue(tmp_path: Path, name: str, givens: dict, proposal: object) -> tuple[Path, Path]:
    spec_file = tmp_path / "spec_copy.py"
    if not spec_file.exists():
        shutil.copy(OK, spec_file)
    store = tmp_path / ".assay"
    v = check(load(f"{spec_file}:{name}"), givens, proposal, store=store)
    assert v.certificate is not None
    return Path(v.certificate), spec_file


def test_certificate_content(tmp_path: Path) -> None:
    path, spec_file = _issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)
    cert = json.loads(path.read_text())
    assert cert["format"] == "assay-certificate/1"
    assert cert["verdict"] == "accepted"
    assert cert["spec"]["ref"] == f"{spec_file.resolve()}:chained"
    assert cert["spec"]["source_sha256"] == load(f"{spec_file}:chained").source_hash
    assert cert["proposal"] == 1 and cert["proposal_sha256"] == sha256_of(1)
    assert cert["givens"] == {"lo": 0, "hi": 3}
    assert cert["evaluator"] == {"result": True, "violated_lines": []}
    assert [c["name"] for c in cert["claims"]] == ["unique"]
    assert {a["solver"] for a in cert["solvers"]} == {"z3", "cvc5"}
    assert path.name == f"{cert['id']}.json"


def test_same_check_writes_one_certificate(tmp_path: Path) -> None:
    a, _ = _issue(tmp_path, "strings", {"prefix": "ab"}, "abc")
    b, _ = _issue(tmp_path, "strings", {"prefix": "ab"}, "abc")
    assert a == b
    assert len(list((tmp_path / ".assay").rglob("*.json"))) == 1


def test_recheck_passes_on_honest_certificates(tmp_path: Path) -> None:
    _issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)      # accepted, unique re-proved
    _issue(tmp_path, "chained", {"lo": 0, "hi": 1}, 1)      # vacuous, re-proved
    _issue(tmp_path, "strings", {"prefix": "ab"}, "zzz")    # refuted
    results = list(recheck_path(tmp_path / ".assay"))
    assert [(r.ok, r.verdict) for r in sorted(results, key=lambda r: r.verdict)] == [
        (True, "accepted"), (True, "refuted"), (True, "vacuous")]


def test_recheck_catches_an_edited_proposal(tmp_path: Path) -> None:
    path, _ = _issue(tmp_path, "strings", {"prefix": "ab"}, "abc")
    cert = json.loads(path.read_text())
    cert["proposal"] = "abx"
    path.write_text(json.dumps(cert))
    (r,) = recheck_path(path)
    assert not r.ok
    assert r.reason == "the proposal was edited after the certificate was issued (its sha256 differs)"


def test_recheck_catches_a_consistently_forged_certificate(tmp_path: Path) -> None:
    path, _ = _issue(tmp_path, "strings", {"prefix": "ab"}, "abc")
    cert = json.loads(path.read_text())
    cert["proposal"], cert["proposal_sha256"] = "abx", sha256_of("abx")
    del cert["id"]
    path.write_text(json.dumps(cert))
    (r,) = recheck_path(path)
    assert not r.ok
    assert r.reason == "the evaluator now says False, the certificate says True"


def test_recheck_catches_a_changed_spec(tmp_path: Path) -> None:
    path, spec_file = _issue(tmp_path, "strings", {"prefix": "ab"}, "abc")
    spec_file.write_text(spec_file.read_text().replace('"x" not in word', '"c" not in word'))
    (r,) = recheck_path(path)
    assert not r.ok
    assert r.reason == (f"the spec {spec_file.resolve()}:strings changed since the certificate was issued "
                        "(source sha256 differs)")


def test_recheck_reproves_claims(tmp_path: Path) -> None:
    path, _ = _issue(tmp_path, "chained", {"lo": 0, "hi": 3}, 1)
    cert = json.loads(path.read_text())
    # The same proposal with other givens: the evaluator still accepts 1, but it is no longer unique.
    cert["givens"], cert["givens_sha256"] = {"lo": 0, "hi": 5}, sha256_of({"lo": 0, "hi": 5})
    del cert["id"]
    path.write_text(json.dumps(cert))
    (r,) = recheck_path(path)
    assert not r.ok
    assert r.reason == "the unique claim no longer holds: z3 says sat, cvc5 says sat"


def test_recheck_reports_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    (r,) = recheck_path(bad)
    assert not r.ok and r.reason.startswith(f"{bad}: not a readable JSON certificate: ")
    (r,) = recheck_path(tmp_path / "missing")
    assert not r.ok and r.reason == f"{tmp_path / 'missing'} does not exist"


def test_outcomes_without_certificates(tmp_path: Path) -> None:
    v = check(load(f"{OK}:strings"), {"prefix": "ab"}, 5, store=tmp_path)
    assert v.outcome is Outcome.MALFORMED and v.certificate is None


def test_library_certificates_recheck_from_a_fresh_module(tmp_path: Path) -> None:
    # A fresh load runs the module under another name; the source hash must not depend on it.
    from assay.specs.library import scheduling

    spec = scheduling.meeting_schedule
    fresh = load(f"{spec.ref}", fresh=True)
    assert fresh.fn is not spec.fn
    assert fresh.source_hash == spec.source_hash


def test_a_refuted_claim_is_rechecked_through_its_counterexample(tmp_path: Path) -> None:
    knap = {"weights": [3, 4, 5, 6], "values": [4, 5, 6, 8], "capacity": 10}
    path, _ = _issue(tmp_path, "knapsack", knap, [True, True, False, False])
    cert = json.loads(path.read_text())
    assert cert["verdict"] == "refuted"
    assert cert["evaluator"]["result"] is True  # feasible: the optimal claim refuted it
    (r,) = recheck_path(path)
    assert r.ok, r.reason
    claim = cert["claims"][0]
    claim["witness"] = [True, True, False, False]  # no better than the proposal
    del cert["id"]
    path.write_text(json.dumps(cert))
    (r,) = recheck_path(path)
    assert not r.ok
    assert r.reason == ("the counterexample to the optimal claim does not hold: its objective 9 is "
                        "not better than 9")
