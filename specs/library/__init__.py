"""The spec library: ready specs that show the language and feed the demo and benchmarks.

Each module holds one task; load a spec as ``assay.specs.library.<module>:<spec>``
(for example with ``assay check --spec assay.specs.library.sudoku:sudoku``).

======================================  ==================================================
spec                                    task
======================================  ==================================================
``sudoku:sudoku``                       solve a 9x9 sudoku; the solution is unique
``sudoku:sudoku_grid``                  fill a 9x9 sudoku by the rules (no claim)
``queens:n_queens``                     place n non-attacking queens
``colouring:graph_colouring``           colour a graph's vertices with k colours
``scheduling:meeting_schedule``         schedule meetings: windows, no overlap, order
``word_problem:chickens_and_rabbits``   heads and legs to chickens and rabbits; unique
``knapsack:knapsack``                   0/1 knapsack; the choice is optimal
``sorting:sorting``                     sort a list of ints
``accounts:account_policy``             a username and password that meet a policy
``running_max:running_maxima``          a program: the running maximum of a list of readings
======================================  ==================================================
"""

from __future__ import annotations

__all__ = ["SPECS"]

# The references, not the modules: importing this package stays cheap, and
# `assay.specs.load(ref)` builds (and so checks) a spec only when it is used.
SPECS: tuple[str, ...] = (
    "assay.specs.library.sudoku:sudoku",
    "assay.specs.library.sudoku:sudoku_grid",
    "assay.specs.library.queens:n_queens",
    "assay.specs.library.colouring:graph_colouring",
    "assay.specs.library.scheduling:meeting_schedule",
    "assay.specs.library.word_problem:chickens_and_rabbits",
    "assay.specs.library.knapsack:knapsack",
    "assay.specs.library.sorting:sorting",
    "assay.specs.library.accounts:account_policy",
    "assay.specs.library.running_max:running_maxima",
)
