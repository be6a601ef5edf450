"""pytest-benchmark: assay's check, a hand-written checker and naive z3 on the same sudoku proposals.

    pytest bench --benchmark-enable

Each benchmark judges the same 200 proposals (half wrong) for 5 puzzles and
asserts every answer, so a fast wrong checker fails instead of winning.  The
one-run script ``bench/bench_sudoku.py`` gives the 10 000-proposal figures
and the ratios in bench/README.md.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from assay.kernel import Outcome, check
from assay.specs import load

N_PROPOSALS = 200


def _module(name: str) -> ModuleType:
    # The bench folder is not a package; load its modules by path.
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


gen = _module("sudoku_gen")
runner = _module("bench_sudoku")


@pytest.fixture(scope="module")
def workload() -> tuple[list[Any], list[Any]]:
    return gen.make_proposals(N_PROPOSALS, puzzles=5, seed=0)  # type: ignore[no-any-return]


def _assay() -> Callable[[Any, Any], bool]:
    spec = load("assay.specs.library.sudoku:sudoku_grid")

    def judge(puzzle: Any, grid: Any) -> bool:
        return check(spec, {"puzzle": puzzle}, grid, vacuity=False).outcome is Outcome.ACCEPTED
    return judge


@pytest.mark.parametrize("checker", ["assay", "hand_written", "naive_z3"])
def test_sudoku_checkers(benchmark: Any, workload: tuple[list[Any], list[Any]], checker: str) -> None:
    boards, proposals = workload
    judge = _assay() if checker == "assay" else getattr(runner, checker)
    benchmark.group = f"sudoku: {N_PROPOSALS} proposals, half wrong"

    def run_all() -> list[bool]:
        return [judge(boards[p.puzzle], p.grid) for p in proposals]

    results = benchmark.pedantic(run_all, rounds=3 if checker == "naive_z3" else 10, iterations=1)
    assert results == [p.correct for p in proposals]
