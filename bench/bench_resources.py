"""Bounded resources (issue 10, section 4): the cases that once ran for minutes, timed now.

    python bench/bench_resources.py            # each case once, and the time limit's cost on the value path

* **scanner**: finding no answer in an 11 MB model text of ``"[0, " * 900 +
  "0, " * 4_000_000`` (each ``[`` was parsed to the end of the text again:
  283 s at 7b45fbe);
* **encoder**: building the vacuity query of
  ``all(xs[0] != i + j for i in range(3000) for j in range(3000))`` (refused
  from the product of the ranges; over 400 s and 1 GB at 7b45fbe), of
  ``all(... for i in range(6000))`` (10.4 s: a growing conjunction was copied
  at every item), and of ``all(all(... for j in range(1000)) for i in
  range(300))`` (refused past MAX_UNROLL_TOTAL steps; 163 s);
* **time limit**: ``check`` on accepted sudoku grids with the evaluation time
  limit (the default) and without it (``eval_timeout=None``), best of five;
  the ratio is what the limit costs the fastest path.

Timings vary with the machine and its load; the verdicts do not.
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the generator beside this file

from assay.bridges.answers import extract_answer
from assay.kernel import check
from assay.specs import load
from assay.specs.queries import any_solution
from assay.specs.terms import Unsupported
from sudoku_gen import make_proposals

ENCODINGS = '''\
from typing import Annotated
from assay.specs import spec, Proposal, Between, Length

Digits = Proposal[Annotated[list[Annotated[int, Between(0, 9)]], Length(3)]]

@spec
def product(xs: Digits) -> bool:
    return all(xs[0] != i + j for i in range(3000) for j in range(3000))

@spec
def flat(xs: Digits) -> bool:
    return all(xs[0] != i for i in range(6000))

@spec
def inner(xs: Digits) -> bool:
    return all(all(xs[0] != i + j for j in range(1000)) for i in range(300))
'''


def scanner() -> None:
    text = "[0, " * 900 + "0, " * 4_000_000
    start = time.perf_counter()
    found = extract_answer(text)
    print(f"scanner: {len(text) / 1e6:.1f} MB text -> {type(found).__name__} in "
          f"{time.perf_counter() - start:.2f} s")


def encoder(folder: Path) -> None:
    (folder / "encodings.py").write_text(textwrap.dedent(ENCODINGS))
    for name in ("product", "flat", "inner"):
        spec = load(f"{folder / 'encodings.py'}:{name}")
        start = time.perf_counter()
        try:
            query = any_solution(spec, {})
            outcome = f"built, {len(query.smtlib())} characters of SMT-LIB"
        except Unsupported as exc:
            outcome = f"refused: {exc}"
        print(f"encoder {name}: {time.perf_counter() - start:.2f} s, {outcome}")


def time_limit_cost() -> None:
    boards, proposals = make_proposals(400, 5, 0)
    right = [p for p in proposals if p.correct]
    spec = load("assay.specs.library.sudoku:sudoku_grid")
    check(spec, {"puzzle": boards[0]}, right[0].grid, vacuity=False)  # build the IR outside the timing
    per: dict[str, float] = {}
    for label, limit in (("without", None), ("with", 10.0)) * 2:
        def run(limit: float | None = limit) -> None:
            for p in right:
                check(spec, {"puzzle": boards[p.puzzle]}, p.grid, vacuity=False, eval_timeout=limit)
        best = min(timeit.repeat(run, number=3, repeat=5)) / (3 * len(right))
        per[label] = min(per.get(label, best), best)
    print(f"time limit: accepted sudoku check {per['without'] * 1e6:.1f} us without it, "
          f"{per['with'] * 1e6:.1f} us with it ({per['with'] / per['without']:.2f}x)")


def main() -> int:
    scanner()
    with tempfile.TemporaryDirectory() as folder:
        encoder(Path(folder))
    time_limit_cost()
    return 0


if __name__ == "__main__":
    sys.exit(main())
