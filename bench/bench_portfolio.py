"""Portfolio benchmark: each single configuration, the race, and the virtual best, on generated problems.

    python bench/bench_portfolio.py                 # seed 0, 2 per size, 5 s per problem (~6 minutes)
    python bench/bench_portfolio.py --timeout 2 --per-size 1

Scores are PAR-2 in CPU seconds: a solved problem costs the CPU seconds spent
on it, an unsolved one twice the time limit.  The race is charged the CPU of
every arm it ran, the killed ones included.  Single configurations run two
problems at a time (one per core); the race runs one problem at a time on
both cores.  The virtual best takes, per problem, the cheapest single
configuration that solved it.  "Gap closed" is (best single - race) /
(best single - virtual best).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assay.kernel.pool import CONFIGS, Job, SolverPool, WorkerReply
from assay.kernel.portfolio import DEFAULT_ARMS, definitive, race
from smt_gen import Problem, generate

SINGLES = ("z3", "cvc5", "cvc5-int-as-bv")


def _wrong(p: Problem, o: WorkerReply) -> bool:
    return bool(p.expected) and definitive(o) and o.raw != p.expected


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-size", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--arms", default=",".join(DEFAULT_ARMS))
    args = ap.parse_args()
    problems = generate(args.seed, args.per_size)
    cores = os.cpu_count() or 1
    pool = SolverPool(cores)
    penalty = 2 * args.timeout
    cost: dict[str, list[float]] = {}
    solved: dict[str, list[bool]] = {}
    started = time.monotonic()
    for config in SINGLES:
        jobs = [Job(p.smtlib, p.variables, CONFIGS[config], timeout=args.timeout) for p in problems]
        outs = pool.run_many(jobs)
        row_cost, row_solved = [], []
        for p, o in zip(problems, outs, strict=True):
            assert o is not None
            if _wrong(p, o):
                raise SystemExit(f"{config} says {o.raw} on {p.name}, expected {p.expected}")
            ok = definitive(o) and o.cpu_seconds <= args.timeout * 1.05
            row_solved.append(ok)
            row_cost.append(o.cpu_seconds if ok else penalty)
        cost[config], solved[config] = row_cost, row_solved
        print(f"# {config}: {sum(row_solved)}/{len(problems)} solved", file=sys.stderr, flush=True)
    arms = tuple(args.arms.split(","))
    race_cost, race_solved, race_wall, winners = [], [], [], []
    for p in problems:
        r = race(pool, p.smtlib, p.variables, timeout=args.timeout, arms=arms, cores=cores)
        if r.winner is not None and _wrong(p, r.winner):
            raise SystemExit(f"the race says {r.raw} on {p.name}, expected {p.expected}")
        ok = r.winner is not None and r.seconds <= args.timeout * 1.05 + 0.5
        race_solved.append(ok)
        race_cost.append(r.cpu_seconds if ok else penalty)
        race_wall.append(r.seconds if ok else penalty)
        winners.append(r.winner.config if ok and r.winner is not None else "-")
    pool.close()
    vbs = [min(cost[c][i] for c in SINGLES) for i in range(len(problems))]
    vbs_solved = [any(solved[c][i] for c in SINGLES) for i in range(len(problems))]
    best = min(SINGLES, key=lambda c: sum(cost[c]))
    print(f"{len(problems)} problems (seed {args.seed}), {args.timeout:g} s each, {cores} cores, "
          f"arms {', '.join(arms)}; {time.monotonic() - started:.0f} s in all\n")
    print("| configuration | solved | PAR-2 (CPU s) |")
    print("|---|---:|---:|")
    for c in SINGLES:
        print(f"| {c} | {sum(solved[c])} | {sum(cost[c]):.1f} |")
    print(f"| race ({len(arms)} arms, {min(cores, len(arms))} at a time), CPU charged | {sum(race_solved)} | "
          f"{sum(race_cost):.1f} |")
    print(f"| race, wall-clock (for comparison) | {sum(race_solved)} | {sum(race_wall):.1f} |")
    print(f"| virtual best | {sum(vbs_solved)} | {sum(vbs):.1f} |")
    gap = sum(cost[best]) - sum(vbs)
    closed = (sum(cost[best]) - sum(race_cost)) / gap if gap > 0 else float("nan")
    print(f"\nbest single: {best}; gap closed by the race (CPU charged): {closed:.0%}")
    print("\n| family | " + " | ".join(SINGLES) + " | race | winner(s) |")
    print("|---|" + "---:|" * (len(SINGLES) + 1) + "---|")
    for fam in dict.fromkeys(p.family for p in problems):
        idx = [i for i, p in enumerate(problems) if p.family == fam]
        cells = [f"{sum(solved[c][i] for i in idx)}/{len(idx)}" for c in SINGLES]
        wins = sorted({winners[i] for i in idx} - {"-"})
        print(f"| {fam} | " + " | ".join(cells) + f" | {sum(race_solved[i] for i in idx)}/{len(idx)} | "
              f"{', '.join(wins) or '-'} |")


if __name__ == "__main__":
    main()
