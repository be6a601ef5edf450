"""A solver disagreement leaves an .smt2 reproducer that the verdict names.

(The certificates' recorded SMT-LIB queries and their recheck are tested in tests/test_recheck_queries.py.)
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import z3
from assay.kernel import Outcome, check
from assay.kernel.faults import lie, on_solvers
from assay.specs import load
from assay.specs.obligations import claim_query

from .paths import OK
from .solver_faults import faulty_solvers

# --- disagreement reproducers -----------------------------------------------------------------


@pytest.fixture
def disagreeing() -> Iterator[None]:
    """z3 says unsat, cvc5 (a moment later, so that z3's word is in first) sat with x = 3."""
    with faulty_solvers(on_solvers({"z3": lie("unsat"), "cvc5": lie("sat", {"x": 3}, after=0.5)})):
        yield


@pytest.mark.usefixtures("disagreeing")
def test_a_disagreement_writes_a_reproducer_under_the_store(tmp_path: Path) -> None:
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


@pytest.mark.usefixtures("disagreeing")
def test_a_disagreement_without_a_store_writes_to_a_temporary_folder() -> None:
    v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 1)
    path = Path(v.reason.split("(reproducer: ", 1)[1].split(")", 1)[0])
    try:
        assert path.parent.name.startswith("assay-disagreement-")
        assert path.read_text().endswith("(check-sat)\n")
    finally:
        shutil.rmtree(path.parent)
