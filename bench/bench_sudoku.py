"""Sudoku: assay's check against a hand-written checker and a naive z3 check, in one run.

    python bench/bench_sudoku.py                 # 10 000 proposals, half of them wrong
    python bench/bench_sudoku.py --profile       # and where assay's time goes (cProfile)

All three judge the same proposals (Python lists, as ``json.loads`` gives
them) for the same few puzzles, and must agree with the known answer on every
one, or the run stops.  Timed:

* **assay**: ``check(sudoku_grid, {"puzzle": ...}, proposal, vacuity=False)``,
  the kernel's evaluator path: decode and bound-check the givens and the
  proposal, run the spec, and explain the violated clauses of a wrong one.
  ``sudoku_grid`` is the library's sudoku without the ``unique`` claim (with
  it, every accepted grid would also cost a uniqueness proof);
* **hand-written**: idiomatic pure Python, sets for rows, columns and boxes
  and a pass over the givens, with the shape and type checks that input from
  a model needs; also shown without them (``sets only``);
* **naive z3**: a fresh ``z3.Solver`` per proposal with the sudoku
  constraints, the givens and the proposal's values asserted, then ``check()``.

Then, on a sample of the wrong proposals, assay's ``check`` with the vacuity
query on (the kernel asks the solvers whether the puzzle has any solution at
all; it does not cache that per puzzle, so each wrong proposal pays for it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import platform
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the generator beside this file

from assay.kernel import Outcome, check
from assay.specs import load
from sudoku_gen import Grid, Proposal, make_proposals

FULL = frozenset(range(1, 10))


def hand_written(puzzle: Grid, grid: Any) -> bool:
    """An idiomatic checker of untrusted input: shape and types, givens, then sets."""
    if not isinstance(grid, list) or len(grid) != 9:
        return False
    for row in grid:
        if not isinstance(row, list) or len(row) != 9:
            return False
        for v in row:
            if type(v) is not int or not 1 <= v <= 9:
                return False
    return sets_only(puzzle, grid)


def sets_only(puzzle: Grid, grid: Grid) -> bool:
    """The rules alone, trusting the grid to be 9 lists of 9 ints."""
    for prow, grow in zip(puzzle, grid, strict=True):
        for p, g in zip(prow, grow, strict=True):
            if p and p != g:
                return False
    if any(set(row) != FULL for row in grid):
        return False
    if any(set(col) != FULL for col in zip(*grid, strict=True)):
        return False
    return all({grid[r][c] for r in range(br, br + 3) for c in range(bc, bc + 3)} == FULL
               for br in (0, 3, 6) for bc in (0, 3, 6))


def naive_z3(puzzle: Grid, grid: Grid) -> bool:
    """A fresh solver per proposal: the sudoku constraints, the givens, the proposal; sat?"""
    import z3

    s = z3.Solver()
    x = [[z3.Int(f"x_{r}_{c}") for c in range(9)] for r in range(9)]
    for r in range(9):
        for c in range(9):
            s.add(x[r][c] >= 1, x[r][c] <= 9, x[r][c] == grid[r][c])
            if puzzle[r][c]:
                s.add(x[r][c] == puzzle[r][c])
    for i in range(9):
        s.add(z3.Distinct(x[i]))
        s.add(z3.Distinct([x[r][i] for r in range(9)]))
        s.add(z3.Distinct([x[3 * (i // 3) + k // 3][3 * (i % 3) + k % 3] for k in range(9)]))
    return bool(s.check() == z3.sat)


@dataclass(frozen=True)
class Timing:
    """Mean seconds per proposal: over all, over the right ones, over the wrong ones."""

    name: str
    n: int
    all: float
    right: float
    wrong: float


def timed(name: str, judge: Callable[[Grid, Any], bool], boards: list[Grid],
          proposals: list[Proposal]) -> Timing:
    """Time ``judge`` on each proposal; stop the run if it is wrong on any of them."""
    clock = time.perf_counter
    spent: dict[bool, list[float]] = {True: [], False: []}
    for i, p in enumerate(proposals):
        start = clock()
        ok = judge(boards[p.puzzle], p.grid)
        spent[p.correct].append(clock() - start)
        if ok != p.correct:
            sys.exit(f"{name} misjudged proposal #{i} (it is {'right' if p.correct else 'wrong'})")
    both = spent[True] + spent[False]
    return Timing(name, len(both), sum(both) / len(both),
                  sum(spent[True]) / max(1, len(spent[True])),
                  sum(spent[False]) / max(1, len(spent[False])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="proposals (half wrong)")
    parser.add_argument("--puzzles", type=int, default=5, help="distinct puzzles")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--z3-sample", type=int, default=0,
                        help="time naive z3 on every k-th proposal only (0: all of them)")
    parser.add_argument("--vacuity-sample", type=int, default=20,
                        help="wrong proposals checked with the vacuity query on (0: skip)")
    parser.add_argument("--profile", action="store_true", help="cProfile assay's check")
    args = parser.parse_args(argv)

    boards, proposals = make_proposals(args.n, args.puzzles, args.seed)
    spec = load("assay.specs.library.sudoku:sudoku_grid")

    def assay(puzzle: Grid, grid: Any, *, explain: bool = True) -> bool:
        verdict = check(spec, {"puzzle": puzzle}, grid, vacuity=False, explain=explain)
        if verdict.outcome not in (Outcome.ACCEPTED, Outcome.REFUTED):
            sys.exit(f"assay: unexpected {verdict}")
        return verdict.outcome is Outcome.ACCEPTED

    def assay_brief(puzzle: Grid, grid: Any) -> bool:
        return assay(puzzle, grid, explain=False)

    assay(boards[0], proposals[0].grid)  # build the spec's IR outside the timing
    print(f"{len(proposals)} proposals ({sum(not p.correct for p in proposals)} wrong), "
          f"{len(boards)} puzzles, seed {args.seed}; Python {platform.python_version()} "
          f"on {platform.machine()}, z3 {_z3_version()}")
    z3_set = proposals[::args.z3_sample] if args.z3_sample else proposals
    rows = [timed("assay check (evaluator path, vacuity=False)", assay, boards, proposals),
            timed("hand-written checker (shape + sets)", hand_written, boards, proposals),
            timed("hand-written checker (sets only)", sets_only, boards, proposals),
            timed("naive z3 (a fresh solver per proposal)", naive_z3, boards, z3_set),
            timed("assay check, explain=False", assay_brief, boards, proposals)]
    t_assay, t_hand, _, t_z3, t_brief = rows
    if args.vacuity_sample:
        sample = [p for p in proposals if not p.correct][:args.vacuity_sample]
        start = time.perf_counter()
        for p in sample:
            v = check(spec, {"puzzle": boards[p.puzzle]}, p.grid, vacuity=True)
            if v.outcome is not Outcome.REFUTED:
                sys.exit(f"assay with vacuity: expected REFUTED, got {v}")
        per = (time.perf_counter() - start) / len(sample)
        rows.append(Timing("assay check, vacuity on (cached per puzzle)", len(sample), per,
                           float("nan"), per))

    print(f"\n| {'checker':<48} | {'proposals':>9} | {'all':>10} | {'right ones':>10} "
          f"| {'wrong ones':>10} |")
    print(f"|{'-' * 50}|{'-' * 10}:|{'-' * 11}:|{'-' * 11}:|{'-' * 11}:|")
    for t in rows:
        print(f"| {t.name:<48} | {t.n:>9} | {_us(t.all):>10} | {_us(t.right):>10} "
              f"| {_us(t.wrong):>10} |")
    print()
    for which, t_ours in (("assay", t_assay), ("assay, explain=False", t_brief)):
        print(which)
        for label, pick in (("all", "all"), ("right ones", "right"), ("wrong ones", "wrong")):
            a, h, z = (getattr(t, pick) for t in (t_ours, t_hand, t_z3))
            print(f"  {label:>10}: assay / hand-written {a / h:7.2f}x (target <= 2x)   "
                  f"naive z3 / assay {z / a:7.1f}x (target >= 20x)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for p in proposals[:2000]:
            assay(boards[p.puzzle], p.grid)
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
        print("\nassay's check on 2000 proposals, by own time:\n" + text.getvalue())
    return 0


def _z3_version() -> str:
    import z3

    return str(z3.get_version_string())


def _us(seconds: float) -> str:
    if math.isnan(seconds):  # not measured
        return "-"
    return f"{seconds * 1e6:,.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:,.2f} ms"


if __name__ == "__main__":
    sys.exit(main())
