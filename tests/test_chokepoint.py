"""The solver chokepoint: one SMT-LIB text for solvers and certificates alike.

The text a certificate records for a claim must be byte for byte the text
the solvers answered; every answer carries the sha256 of the text its solver
was given, on the pool and on the in-process path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome, check, solvers
from assay.specs import load
from assay.specs import queries as q

from .paths import OK


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(params=["pool", "in-process"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "in-process":
        monkeypatch.setenv("ASSAY_SOLVER_POOL", "0")
    return str(request.param)


@pytest.mark.parametrize(("givens", "proposal", "outcome", "claim", "query"), [
    ({"lo": 0, "hi": 3}, 1, Outcome.ACCEPTED, "unique", "another-solution"),
    ({"lo": 0, "hi": 1}, 1, Outcome.VACUOUS, "no-solution", "any-solution"),
])
def test_the_text_certified_is_the_text_the_solvers_answered(tmp_path: Path, path: str, givens: dict[str, Any],
                                                             proposal: Any, outcome: Outcome, claim: str,
                                                             query: str) -> None:
    v = check(load(f"{OK}:chained"), givens, proposal, store=tmp_path / ".assay")
    assert v.outcome is outcome
    assert v.certificate is not None
    cert = json.loads(Path(v.certificate).read_text())
    [record] = [r for r in cert["queries"] if r["claim"] == claim]
    assert _sha(record["smtlib"]) == record["sha256"]
    answered = [a for a in cert["solvers"] if a["claim"] == claim]
    assert [(a["solver"], a["query"]) for a in answered] == [("z3", query), ("cvc5", query)]
    assert [a["smtlib_sha256"] for a in answered] == [record["sha256"]] * 2
    solvers.check_text_sent(record["smtlib"], answered)


def test_every_answer_carries_the_sha256_of_query_smtlib(path: str) -> None:
    spec = load(f"{OK}:chained")
    for givens, want in (({"lo": 0, "hi": 3}, "sat"), ({"lo": 0, "hi": 1}, "unsat")):
        query = q.any_solution(spec, givens)
        answers = [solvers.run(query, s, timeout=10) for s in ("z3", "cvc5")]
        assert [a.status for a in answers] == [want, want]
        assert [a.smtlib_sha256 for a in answers] == [_sha(query.smtlib())] * 2
        proof = solvers.prove_unsat(query, timeout=10)
        assert proof.smtlib_sha256 == _sha(query.smtlib())


def test_scripts_are_answered_with_the_sha256_of_their_text(path: str) -> None:
    text = "(set-logic ALL)\n(declare-fun x () Int)\n(assert (> x 1))\n(assert (< x 1))\n(check-sat)\n"
    answers = solvers.ask_scripts([(text, "z3"), (text, "cvc5")], timeout=10)
    assert [(a.status, a.smtlib_sha256) for a in answers] == [("unsat", _sha(text))] * 2


def test_a_recorded_text_other_than_the_one_answered_is_caught() -> None:
    spec = load(f"{OK}:chained")
    query = q.any_solution(spec, {"lo": 0, "hi": 1})
    answers = [solvers.run(query, s, timeout=10).to_json() for s in ("z3", "cvc5")]
    solvers.check_text_sent(query.smtlib(), answers)
    with pytest.raises(RuntimeError, match=r"internal: z3 answered a text with sha256 '[0-9a-f]{64}', not the "
                                           r"text recorded \(sha256 [0-9a-f]{64}\)"):
        solvers.check_text_sent(query.smtlib() + " ", answers)
    with pytest.raises(RuntimeError, match="internal: z3 answered a text with sha256 None"):
        solvers.check_text_sent(query.smtlib(), [{"solver": "z3", "result": "unsat"}])
