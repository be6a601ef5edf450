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
from assay.kernel.faults import Fault, lie, on_solvers
from assay.specs import load
from assay.specs import queries as q

from .paths import OK
from .solver_faults import faulty_solvers


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture(params=["pool", "in-process"])
def solver_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs on the worker pool and on the in-process path (ASSAY_SOLVER_POOL=0)."""
    if request.param == "in-process":
        monkeypatch.setenv("ASSAY_SOLVER_POOL", "0")
    return str(request.param)


# givens, proposal, verdict, the claim its certificate records, the query behind it
CERTIFIED = [({"lo": 0, "hi": 3}, 1, Outcome.ACCEPTED, "unique", "another-solution"),
             ({"lo": 0, "hi": 1}, 1, Outcome.VACUOUS, "no-solution", "any-solution")]


@pytest.mark.usefixtures("solver_path")
@pytest.mark.parametrize("case", CERTIFIED, ids=[c[3] for c in CERTIFIED])
def test_the_text_certified_is_the_text_the_solvers_answered(tmp_path: Path,
                                                             case: tuple[dict[str, Any], Any, Outcome, str, str]
                                                             ) -> None:
    givens, proposal, outcome, claim, query = case
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


@pytest.mark.usefixtures("solver_path")
def test_every_answer_carries_the_sha256_of_query_smtlib() -> None:
    spec = load(f"{OK}:chained")
    for givens, want in (({"lo": 0, "hi": 3}, "sat"), ({"lo": 0, "hi": 1}, "unsat")):
        query = q.any_solution(spec, givens)
        answers = [solvers.run(query, s, timeout=10) for s in ("z3", "cvc5")]
        assert [a.status for a in answers] == [want, want]
        assert [a.smtlib_sha256 for a in answers] == [_sha(query.smtlib())] * 2
        proof = solvers.prove_unsat(query, timeout=10)
        assert proof.smtlib_sha256 == _sha(query.smtlib())


@pytest.mark.usefixtures("solver_path")
def test_scripts_are_answered_with_the_sha256_of_their_text() -> None:
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


# --- faults reach the kernel through the pool, as in production --------------------------------------------


def test_a_hung_solver_costs_its_query_as_a_timeout() -> None:
    query = q.any_solution(load(f"{OK}:chained"), {"lo": 0, "hi": 1})
    with faulty_solvers(on_solvers({"z3": Fault("sleep", seconds=60)})):
        proof = solvers.prove_unsat(query, timeout=0.2)
    assert proof.status == "unknown"
    [z3_answer, cvc5_answer] = proof.answers
    assert z3_answer.reason.startswith("timeout: the worker was killed after "), z3_answer.reason
    assert (cvc5_answer.status, proof.reason) == ("unsat", f"timeout (z3: {z3_answer.reason})")


def test_a_lying_pool_is_the_only_way_in() -> None:
    """Outside use_pool the kernel's queries go to the honest shared pool again."""
    query = q.any_solution(load(f"{OK}:chained"), {"lo": 0, "hi": 1})
    with faulty_solvers(on_solvers({"z3": lie("sat", {"x": 2}), "cvc5": lie("sat", {"x": 2})})) as pool:
        assert solvers.shared_pool() is pool
        assert solvers.prove_unsat(query, timeout=10).status == "sat"
    assert solvers.shared_pool() is not pool
    assert solvers.prove_unsat(query, timeout=10).status == "unsat"
