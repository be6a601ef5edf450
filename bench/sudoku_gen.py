"""Sudoku puzzles and proposals for the benchmarks, generated from a seed.

Solved grids are a base solution under the transformations that keep a grid
valid: relabelling the digits, permuting rows within a band and the bands,
permuting columns within a stack and the stacks, and transposing.  A puzzle
blanks cells of a solved grid one at a time while its solution stays unique
(a small exact-cover search counts solutions up to two).  Wrong proposals are
the solution with two cells of a row swapped, or one cell changed: the
mistakes a model makes that still look like a sudoku.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

__all__ = ["Proposal", "count_solutions", "make_proposals", "make_puzzle", "random_solution"]

Grid = list[list[int]]


def random_solution(rng: random.Random) -> Grid:
    """A valid solved grid, drawn by permuting a base solution."""
    base = [[(3 * (r % 3) + r // 3 + c) % 9 + 1 for c in range(9)] for r in range(9)]
    digits = list(range(1, 10))
    rng.shuffle(digits)
    relabel = dict(zip(range(1, 10), digits, strict=True))

    def lines() -> list[int]:
        bands = [0, 1, 2]
        rng.shuffle(bands)
        order = []
        for band in bands:
            inner = [0, 1, 2]
            rng.shuffle(inner)
            order += [3 * band + i for i in inner]
        return order

    rows, cols = lines(), lines()
    grid = [[relabel[base[r][c]] for c in cols] for r in rows]
    if rng.random() < 0.5:
        grid = [list(col) for col in zip(*grid, strict=True)]
    return grid


def count_solutions(puzzle: Grid, limit: int = 2) -> int:
    """How many solutions ``puzzle`` has, counting no further than ``limit``."""
    grid = [row[:] for row in puzzle]
    rows = [0] * 9
    cols = [0] * 9
    boxes = [0] * 9
    empty = []
    for r in range(9):
        for c in range(9):
            d = grid[r][c]
            if d:
                bit = 1 << d
                if rows[r] & bit or cols[c] & bit or boxes[3 * (r // 3) + c // 3] & bit:
                    return 0
                rows[r] |= bit
                cols[c] |= bit
                boxes[3 * (r // 3) + c // 3] |= bit
            else:
                empty.append((r, c))
    found = 0

    def search() -> None:
        nonlocal found
        if found >= limit:
            return
        best, best_free = None, None
        for r, c in empty:  # the most constrained empty cell first
            if grid[r][c]:
                continue
            used = rows[r] | cols[c] | boxes[3 * (r // 3) + c // 3]
            free = [d for d in range(1, 10) if not used & (1 << d)]
            if best_free is None or len(free) < len(best_free):
                best, best_free = (r, c), free
                if len(free) <= 1:
                    break
        if best is None:
            found += 1
            return
        r, c = best
        b = 3 * (r // 3) + c // 3
        for d in best_free or []:
            bit = 1 << d
            grid[r][c] = d
            rows[r] |= bit
            cols[c] |= bit
            boxes[b] |= bit
            search()
            rows[r] &= ~bit
            cols[c] &= ~bit
            boxes[b] &= ~bit
            grid[r][c] = 0

    search()
    return found


def make_puzzle(solution: Grid, rng: random.Random, blanks: int = 45) -> Grid:
    """Blank up to ``blanks`` cells of ``solution`` while the puzzle keeps one solution."""
    puzzle = [row[:] for row in solution]
    cells = [(r, c) for r in range(9) for c in range(9)]
    rng.shuffle(cells)
    blanked = 0
    for r, c in cells:
        if blanked == blanks:
            break
        keep = puzzle[r][c]
        puzzle[r][c] = 0
        if count_solutions(puzzle) == 1:
            blanked += 1
        else:
            puzzle[r][c] = keep
    return puzzle


@dataclass(frozen=True)
class Proposal:
    """One proposal to check: which puzzle, the grid, and whether it is right."""

    puzzle: int
    grid: Grid
    correct: bool


def make_proposals(n: int, puzzles: int = 5, seed: int = 0) -> tuple[list[Grid], list[Proposal]]:
    """``puzzles`` distinct puzzles and ``n`` proposals for them, every other one wrong."""
    rng = random.Random(seed)
    solutions = [random_solution(rng) for _ in range(puzzles)]
    boards = [make_puzzle(s, rng) for s in solutions]
    out = []
    for i in range(n):
        k = i % puzzles
        grid = copy.deepcopy(solutions[k])
        correct = i % 2 == 0
        if not correct:
            r = rng.randrange(9)
            if rng.random() < 0.5:  # swap two cells of a row: the row still looks complete
                a, b = rng.sample(range(9), 2)
                grid[r][a], grid[r][b] = grid[r][b], grid[r][a]
            else:  # change one cell to another digit
                c = rng.randrange(9)
                grid[r][c] = rng.choice([d for d in range(1, 10) if d != grid[r][c]])
        out.append(Proposal(k, grid, correct))
    return boards, out
