"""N-queens: place n queens on an n x n board so that no two attack each other.

The proposal lists, row by row, the column of the queen in that row, so two
queens never share a row by construction; the spec checks columns and both
diagonals.  Boards go up to 12 x 12.
"""

from __future__ import annotations

from typing import Annotated

from assay.specs import Between, Given, MaxLen, Proposal, spec

__all__ = ["MAX_N", "n_queens"]

MAX_N = 12

BoardSize = Annotated[int, Between(1, MAX_N)]
Column = Annotated[int, Between(0, MAX_N - 1)]
Placement = Annotated[list[Column], MaxLen(MAX_N)]


@spec
def n_queens(n: Given[BoardSize], queens: Proposal[Placement]) -> bool:
    """Place one queen per row of an n x n board (queens[row] is its column), none attacking another."""
    return (
        len(queens) == n
        and all(queens[row] < n for row in range(len(queens)))
        and all(queens[row] != queens[other]
                for row in range(len(queens)) for other in range(row + 1, len(queens)))
        and all(abs(queens[row] - queens[other]) != other - row
                for row in range(len(queens)) for other in range(row + 1, len(queens)))
    )
