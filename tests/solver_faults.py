"""Solvers that lie, crash or hang, put in front of the kernel the way production meets its workers.

Every test that injects a solver fault goes through here: a
:class:`assay.kernel.faults.FaultyPool` (the real worker processes, with a
plan of faults) installed as the kernel's pool by
:func:`assay.kernel.solvers.use_pool`.  The kernel's path from the query to
the verdict is the one production takes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from assay.kernel import solvers
from assay.kernel.faults import FaultyPool, Plan


@contextlib.contextmanager
def faulty_solvers(plan: Plan, *, size: int = 2) -> Iterator[FaultyPool]:
    """Inside the block, every query goes to workers that misbehave as ``plan`` says."""
    pool = FaultyPool(size, plan=plan)
    try:
        with solvers.use_pool(pool):
            yield pool
    finally:
        pool.close()
