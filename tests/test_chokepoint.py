"""The solver chokepoint: one SMT-LIB text for solvers and certificates alike.

The text a certificate records for a claim must be byte for byte the text
the solvers answered; every answer carries the sha256 of the text its solver
was given, on the pool and on the in-process path.
"""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome, check, solvers
from assay.kernel.faults import Fault, lie, on_solvers
from assay.specs import load
from assay.specs import queries as q
from assay.specs.solver_word import read_word

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


# --- solver answers are read in one place ---------------------------------------------------------------


@pytest.mark.parametrize(("raw", "reason", "read"), [
    ("sat", "", ("sat", "")),
    ("unsat", "", ("unsat", "")),
    ("sat", "ignored", ("sat", "")),
    ("unknown", "timeout", ("unknown", "timeout")),
    ("unknown (INCOMPLETE)", "unknown: INCOMPLETE", ("unknown", "unknown: INCOMPLETE")),
    ("unknown", "", ("unknown", "solver said 'unknown'")),
    ("UNSAT", "", ("unknown", "solver said 'UNSAT'")),
    ("unsat ", "", ("unknown", "solver said 'unsat '")),
    (" sat", "", ("unknown", "solver said ' sat'")),
    ("unsat\n", "", ("unknown", "solver said 'unsat\\n'")),
    ("sat\nunsat", "", ("unknown", "solver said 'sat\\nunsat'")),
    ("(error \"line 1\")", "", ("unknown", "solver said '(error \"line 1\")'")),
    ("", "", ("unknown", "solver said ''")),
    (None, "", ("unknown", "solver said None")),
    (b"unsat", "", ("unknown", "solver said b'unsat'")),
])
def test_the_reader_takes_only_exact_sat_and_unsat(raw: object, reason: str, read: tuple[str, str]) -> None:
    assert read_word(raw, reason) == read


def test_a_word_that_only_looks_like_unsat_is_not_one() -> None:
    class Sly(str):
        __slots__ = ()

        def __eq__(self, other: object) -> bool:
            return True

        __hash__ = str.__hash__

    assert read_word(Sly("unknown")) == ("unknown", "solver said 'unknown'")


@pytest.mark.parametrize("word", ["UNSAT ", "unsat\n", "Unsat", "unsat (maybe)", ""])
def test_a_garbage_word_from_both_workers_proves_nothing(word: str) -> None:
    query = q.any_solution(load(f"{OK}:chained"), {"lo": 0, "hi": 3})
    with faulty_solvers(on_solvers({"z3": lie(word), "cvc5": lie(word)})) as pool:
        proof = solvers.prove_unsat(query, timeout=10)
    assert len(pool.injected) == 2
    assert proof.status == "unknown"
    assert [(a.status, a.reason) for a in proof.answers] == [("unknown", f"solver said {word!r}")] * 2


ROOT = Path(__file__).resolve().parent.parent
READER = "specs/solver_word.py"
# Where raw words are produced: the kernel's worker and the recheck's fresh solvers.  They ask the solvers and
# hand each word to the reader; they compare no raw word themselves.
PRODUCERS = ("kernel/solver_worker.py", "proofs/fresh_solvers.py")
_RESULT_METHODS = {"check", "checkSat", "checkSatAssuming", "checkWithAssumptions", "reason_unknown",
                   "getUnknownExplanation"}
_VERDICT_METHODS = {"isSat", "isUnsat", "isUnknown", "isSatUnknown"}
_WORDS = {"sat", "unsat"}


def _package_modules() -> list[Path]:
    return sorted(p for folder in ("kernel", "specs", "proofs", "bridges", "assay")
                  for p in (ROOT / folder).rglob("*.py"))


def _mentions_a_word(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in _WORDS
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_mentions_a_word(e) for e in node.elts)
    return False


def _is_raw(node: ast.expr) -> bool:
    """A raw solver word: a name or attribute called raw or word, or a call's value (str(s.check()))."""
    if isinstance(node, ast.Name):
        return node.id in ("raw", "word")
    if isinstance(node, ast.Attribute):
        return node.attr in ("raw", "word")
    return isinstance(node, ast.Call)


def _readings(path: Path, rel: str) -> list[str]:
    """Each place in ``path`` (``rel`` in the repository) that reads a solver's answer itself: ``rel:line: what``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in _VERDICT_METHODS:
            found.append(f"{rel}:{node.lineno}: .{node.attr}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _RESULT_METHODS
                and not (node.func.attr == "check" and (node.args or node.keywords)) and rel not in PRODUCERS):
            found.append(f"{rel}:{node.lineno}: .{node.func.attr}() outside the raw-word producers")
        if isinstance(node, ast.Compare) and rel != READER:
            sides = [node.left, *node.comparators]
            if any(_mentions_a_word(s) for s in sides) and any(_is_raw(s) for s in sides):
                found.append(f"{rel}:{node.lineno}: a raw word compared with sat/unsat")
    return found


def test_solver_answers_are_read_in_one_place() -> None:
    """Only specs/solver_word.py tells "sat", "unsat" and everything else apart (AST over every module)."""
    modules = _package_modules()
    assert len(modules) > 50
    assert [r for p in modules for r in _readings(p, p.relative_to(ROOT).as_posix())] == []
    for rel in PRODUCERS:
        assert "read_word" in (ROOT / rel).read_text(encoding="utf-8"), rel


@pytest.mark.parametrize(("rel", "source", "what"), [
    # Even a producer may not read its own word: it hands it to read_word.
    ("kernel/solver_worker.py", "raw = str(s.check())\nok = raw == 'unsat'\n", "a raw word compared with sat/unsat"),
    ("kernel/solver_worker.py", "ok = str(s.check()) in ('sat', 'unsat')\n", "a raw word compared with sat/unsat"),
    ("kernel/solver_worker.py", "ok = s.checkSat().isUnsat()\n", ".isUnsat"),
    ("kernel/portfolio.py", "ok = out.raw != 'sat'\n", "a raw word compared with sat/unsat"),
    ("kernel/solvers.py", "r = s.check()\n", ".check() outside the raw-word producers"),
])
def test_the_one_place_test_sees_a_second_reader(tmp_path: Path, rel: str, source: str, what: str) -> None:
    module = tmp_path / "second_reader.py"
    module.write_text(source, encoding="utf-8")
    found = _readings(module, rel)
    assert [r.split(": ", 1)[1] for r in found] == [what], found
