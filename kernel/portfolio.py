"""A portfolio: race solver configurations on the cores, and take the first definitive answer.

The arms are configurations of :data:`.pool.CONFIGS` (z3, cvc5, and cvc5
solving integers as bit-vectors, which wins on bounded integer problems but
can only find models).  At most one arm per core runs at a time: more arms
than cores only share the cores and slow the winner down.  Arms beyond the
cores wait in order and start when a running arm gives up (``unknown``), so
an arm that refuses a query at once (bit-vectors on unbounded integers)
hands its core to the next.  The first ``sat``, or ``unsat`` from an arm that
can prove it, wins; the arms still running are killed and their workers
replaced.

A race is for finding models and first answers.  An UNSAT that an acceptance
rests on still needs z3 and cvc5 both (:func:`.solvers.prove_unsat`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from .pool import CONFIGS, Job, Pool, WorkerReply

if TYPE_CHECKING:
    from assay.specs.queries import Query

__all__ = ["DEFAULT_ARMS", "RaceResult", "definitive", "race", "race_query"]

# In order of preference: on two cores, z3 and the bit-vector arm run first,
# and cvc5 takes the core of whichever gives up (measured in bench/README.md).
DEFAULT_ARMS: Final = ("z3", "cvc5-int-as-bv", "cvc5")


@dataclass(frozen=True)
class RaceResult:
    """How a race ended: the winner (if any arm decided) and what every arm cost."""

    winner: WorkerReply | None
    replies: tuple[WorkerReply | None, ...]  # per arm; None for an arm that never started
    arms: tuple[str, ...]
    seconds: float  # wall time of the whole race
    cpu_seconds: float  # CPU of every arm, the killed ones included

    @property
    def raw(self) -> str:
        """The winner's raw word, or "unknown"."""
        return self.winner.raw if self.winner is not None else "unknown"

    @property
    def reason(self) -> str:
        """Why no arm decided ("" when one did)."""
        if self.winner is not None:
            return ""
        return "; ".join(f"{o.config}: {o.reason or o.raw}" for o in self.replies if o is not None)


def definitive(reply: WorkerReply) -> bool:
    """Whether a reply settles the query: sat, or unsat from a configuration that can prove it."""
    status = reply.status
    return status == "sat" or (status == "unsat" and not CONFIGS[reply.config].finds_models_only)


def race(pool: Pool, smtlib: str, variables: Mapping[str, str], *, timeout: float | None,
         arms: Sequence[str] = DEFAULT_ARMS, rlimit: int | None = None, memory_mb: int | None = None,
         cores: int | None = None) -> RaceResult:
    """Race ``arms`` on ``smtlib``, at most one per core (and per worker) at a time."""
    width = max(1, min(cores if cores is not None else (os.cpu_count() or 1), pool.size, len(arms)))
    jobs = [Job(smtlib, variables, CONFIGS[a], timeout=timeout, rlimit=rlimit, memory_mb=memory_mb) for a in arms]
    start = time.monotonic()
    replies = pool.run_many(jobs, stop=definitive, parallel=width)
    took = time.monotonic() - start
    winner = next((o for o in replies if o is not None and definitive(o)), None)
    cpu = sum(o.cpu_seconds for o in replies if o is not None)
    return RaceResult(winner, tuple(replies), tuple(arms), took, cpu)


def race_query(pool: Pool, query: Query, *, timeout: float, arms: Sequence[str] = DEFAULT_ARMS,
               cores: int | None = None) -> RaceResult:
    """:func:`race` on a kernel query: its one SMT-LIB text (:meth:`Query.smtlib`) and its variables."""
    variables = query.encoding.variables
    return race(pool, query.smtlib(), {n: s.value for n, s in variables.items()}, timeout=timeout, arms=arms,
                cores=cores)
