"""Certificates of ACCEPTED programs: issued by check_program with a store, and derived again by recheck.

recheck parses the recorded code (never runs it), encodes the counterexample
query from the spec, requires the recorded text to be that query and proves
it UNSAT with fresh solvers; with a precondition it also shows some input
meets it.  Each forgery below (hashes recomputed, as a forger would) fails,
with its reason; the honest certificate passes first, so a failure is the edit's.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome
from assay.kernel.programs import check_program
from assay.proofs import recheck_path
from assay.specs import load

from .certificate_helpers import read, rehash

DEFS = Path(__file__).parent / "specdefs" / "programs.py"
SUM = "```python\ndef sum_list(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n```\nIt adds them."
CODE = "def sum_list(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t"


def _issue(root: Path, name: str, text: str) -> Path:
    spec = load(f"programs.py:{name}")
    v = check_program(spec, text, store=root / ".assay")
    assert v.outcome is Outcome.ACCEPTED, v.reason
    assert v.certificate is not None
    return Path(v.certificate)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(DEFS, tmp_path / "programs.py")
    return tmp_path


def _recheck(path: Path) -> tuple[bool, str]:
    (result,) = recheck_path(path)
    return result.ok, result.reason


def test_an_accepted_program_has_a_certificate_recheck_derives_again(root: Path) -> None:
    path = _issue(root, "sums", SUM)
    cert = read(path)
    assert cert["proposal"].rstrip("\n") == CODE  # the code, without the fences and the prose
    assert cert["givens"] == {} and cert["verdict"] == "accepted"
    assert cert["reason"] == ("proved for every input of the bound: xs a list of at most 5 -20..20 "
                              "(UNSAT on z3 and cvc5)")
    assert [q["claim"] for q in cert["queries"]] == ["program"]
    assert _recheck(path) == (True, "holds")


def test_a_precondition_is_rechecked_too(root: Path) -> None:
    path = _issue(root, "sums_of_nonneg", "def sum_list(xs):\n    return sum(x for x in xs if x >= 0)\n")
    assert _recheck(path) == (True, "holds")


def test_no_certificate_without_a_proof(root: Path) -> None:
    spec = load("programs.py:sums")
    for text in ("def sum_list(xs):\n    return 0\n", "def sum_list(xs):\n    return sum(set(xs))\n"):
        v = check_program(spec, text, store=root / ".assay")
        assert v.outcome is not Outcome.ACCEPTED and v.certificate is None
    assert not (root / ".assay").exists()


def _wrong_program(cert: dict[str, Any]) -> None:
    cert["proposal"] = cert["proposal"].replace("t += x", "t += 1")


def _outside_the_subset(cert: dict[str, Any]) -> None:
    cert["proposal"] = "def sum_list(xs):\n    return sum(set(xs))\n"


def _trivial_query(cert: dict[str, Any]) -> None:
    import hashlib

    text = "(set-logic ALL)\n(assert false)\n(check-sat)\n"
    cert["queries"][0]["smtlib"] = text
    cert["queries"][0]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    cert["queries"][0]["bytes"] = len(text)


def _another_spec(cert: dict[str, Any]) -> None:
    cert["spec"]["ref"] = cert["spec"]["ref"].replace(":sums", ":sums_of_nothing")
    cert["spec"]["name"] = "sums_of_nothing"


FORGERIES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("a wrong program", _wrong_program, "the program does not meet its spec for the bound: z3 says sat"),
    ("a program outside the subset", _outside_the_subset,
     "no verdict can be derived: the program is not one the solvers judge (line 2, column 16: calling set()"),
    ("another reason", lambda c: c.update(reason=c["reason"].replace("at most 5", "at most 50")),
     "the certificate's reason is 'proved for every input of the bound: xs a list of at most 50"),
    ("the verdict", lambda c: c.update(verdict="vacuous"), "the certificate says the verdict is 'vacuous'; "
                                                          "recheck derives 'accepted'"),
    ("a query that is not the program's", _trivial_query,
     "the recorded query for the program claim is not the one the spec gives for these values"),
    ("no query", lambda c: c.update(queries=[]), "the certificate records no SMT-LIB query for the program claim"),
    ("givens", lambda c: c.update(givens={"xs": [1]}), "a program certificate has no givens"),
    ("a proposal that is no text", lambda c: c.update(proposal=["def sum_list(xs): return 0"]),
     "the proposal of a program certificate is the program's code, a JSON string"),
]


@pytest.mark.parametrize(("change", "reason"), [pytest.param(c, r, id=name) for name, c, r in FORGERIES])
def test_every_forgery_of_a_program_certificate_fails(root: Path, change: Callable[[dict[str, Any]], None],
                                                      reason: str) -> None:
    path = _issue(root, "sums", SUM)
    assert _recheck(path) == (True, "holds")
    cert = read(path)
    change(cert)
    path.write_text(json.dumps(rehash(cert)))
    ok, why = _recheck(path)
    assert not ok
    assert why.startswith(reason), why


def test_a_program_proved_over_no_input_is_not_accepted_by_recheck(root: Path) -> None:
    # The right program's certificate moved onto a spec whose precondition no input meets: the proof holds,
    # but says nothing; recheck derives VACUOUS, not the recorded ACCEPTED.
    path = _issue(root, "sums", SUM)
    cert = read(path)
    _another_spec(cert)
    spec = load("programs.py:sums_of_nothing")
    cert["spec"]["source_sha256"] = spec.source_hash
    cert["reason"] = "proved for every input of the bound: xs a list of at most 5 -20..20, meeting impossible " \
                     "(UNSAT on z3 and cvc5)"
    cert["queries"][0]["smtlib"] = _query_text(spec, cert["proposal"])
    import hashlib

    cert["queries"][0]["sha256"] = hashlib.sha256(cert["queries"][0]["smtlib"].encode()).hexdigest()
    path.write_text(json.dumps(rehash(cert)))
    ok, why = _recheck(path)
    assert not ok
    assert why.startswith("the certificate says the verdict is 'accepted'; recheck derives 'vacuous' (no input of "
                          "the bound meets the precondition (UNSAT on z3 and cvc5)"), why


def _query_text(spec: Any, code: str) -> str:
    from assay.specs import program_queries as pq

    return pq.counterexample(spec, pq.parsed_program(spec, code)).smtlib()
