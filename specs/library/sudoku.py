"""Sudoku 9x9 with givens.

Two specs share the rules, written as one helper per rule so that a refuted
grid names the rule it breaks (``rows_hold_each_digit_once(solution)``) and
the row, column or box and digit where it breaks:

* :func:`sudoku_grid`: the grid obeys the rules and keeps the puzzle's givens;
* :func:`sudoku`: the same, and the solver proves it is the only such grid.

A puzzle is 9 rows of 9 cells, 0 for an empty cell.
"""

from __future__ import annotations

from typing import Annotated

from assay.specs import Between, Given, Length, Proposal, distinct, spec

__all__ = ["Grid", "Puzzle", "sudoku", "sudoku_grid"]

Digit = Annotated[int, Between(1, 9)]
Cell = Annotated[int, Between(0, 9)]  # 0 marks an empty cell of the puzzle
Puzzle = Annotated[list[Annotated[list[Cell], Length(9)]], Length(9)]
Grid = Annotated[list[Annotated[list[Digit], Length(9)]], Length(9)]


def column(grid: list[list[int]], col: int) -> list[int]:
    """The 9 cells of column ``col``, top to bottom."""
    return [grid[row][col] for row in range(9)]


def box_cells(grid: list[list[int]], box: int) -> list[int]:
    """The 9 cells of 3x3 box ``box`` (0 top left, 8 bottom right), row by row."""
    return [grid[3 * (box // 3) + cell // 3][3 * (box % 3) + cell % 3] for cell in range(9)]


def keeps_the_givens(puzzle: list[list[int]], solution: list[list[int]]) -> bool:
    """Every filled cell of the puzzle keeps its digit."""
    return all(solution[row][col] == puzzle[row][col]
               for row in range(9) for col in range(9) if puzzle[row][col] != 0)


# Two ways to say "each digit once", for two jobs.  Nine cells that are each a
# digit 1-9 (the domain says so) and all different hold each digit exactly
# once: `distinct` is a set comparison under CPython, the fast way to check a
# grid.  Counting each digit is slower to run, but gives the solvers the
# pigeonhole facts outright, and proving uniqueness needs them: on the
# tests' puzzle, z3 proves the count form unique in about 0.01 s and the
# `distinct` form in 0.09 s, cvc5 the `distinct` form in 3.6 s.  A test
# checks that the two forms agree.

def rows_all_different(solution: list[list[int]]) -> bool:
    """No row repeats a digit."""
    return all(distinct(solution[row]) for row in range(9))


def columns_all_different(solution: list[list[int]]) -> bool:
    """No column repeats a digit."""
    return all(distinct(column(solution, col)) for col in range(9))


def boxes_all_different(solution: list[list[int]]) -> bool:
    """No 3x3 box repeats a digit."""
    return all(distinct(box_cells(solution, box)) for box in range(9))


def rows_hold_each_digit_once(solution: list[list[int]]) -> bool:
    """Every row holds each digit 1-9 exactly once."""
    return all(solution[row].count(digit) == 1 for row in range(9) for digit in range(1, 10))


def columns_hold_each_digit_once(solution: list[list[int]]) -> bool:
    """Every column holds each digit 1-9 exactly once."""
    # `for cells in [...]` names the column once per col, not once per digit.
    return all(cells.count(digit) == 1
               for col in range(9) for cells in [column(solution, col)] for digit in range(1, 10))


def boxes_hold_each_digit_once(solution: list[list[int]]) -> bool:
    """Every 3x3 box holds each digit 1-9 exactly once."""
    return all(cells.count(digit) == 1
               for box in range(9) for cells in [box_cells(solution, box)] for digit in range(1, 10))


@spec
def sudoku_grid(puzzle: Given[Puzzle], solution: Proposal[Grid]) -> bool:
    """Fill the puzzle's empty cells so that every row, column and box holds 1-9 once."""
    return (
        keeps_the_givens(puzzle, solution)
        and rows_all_different(solution)
        and columns_all_different(solution)
        and boxes_all_different(solution)
    )


@spec(unique=True)
def sudoku(puzzle: Given[Puzzle], solution: Proposal[Grid]) -> bool:
    """Solve the sudoku: the grid obeys the rules, keeps the givens, and is the only such grid."""
    return (
        keeps_the_givens(puzzle, solution)
        and rows_hold_each_digit_once(solution)
        and columns_hold_each_digit_once(solution)
        and boxes_hold_each_digit_once(solution)
    )
