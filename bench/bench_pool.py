"""Per-query overhead of the warm solver pool against a fresh process per query, and rlimit units per second.

    python bench/bench_pool.py            # overhead on trivial queries (about 30 s)
    python bench/bench_pool.py --rlimit   # rlimit units per second on a few generated problems

Overhead is the median wall time of a trivial query (one variable, one
assertion) minus the median time of the same work done in this process
(a fresh z3 context or cvc5 solver, parse, check), for:

* the warm pool (``SolverPool.solve``: JSON over a pipe to a worker that has
  both solvers loaded);
* a fresh process per query (``python -c`` that imports the solver, parses,
  checks and prints the answer), the cost the pool exists to avoid.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from assay.kernel.pool import CONFIGS, Job, SolverPool

TRIVIAL = "(set-logic ALL)(declare-fun |x| () Int)(assert (> |x| 1))(check-sat)\n"
FRESH = {
    "z3": "import z3\nc=z3.Context();s=z3.Solver(ctx=c);s.add(z3.parse_smt2_string(%r,ctx=c));print(s.check())",
    "cvc5": ("import cvc5\ntm=cvc5.TermManager();s=cvc5.Solver(tm);sm=cvc5.SymbolManager(tm)\n"
             "p=cvc5.InputParser(s,sm);p.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6,%r,'q')\n"
             "while True:\n c=p.nextCommand()\n if c.isNull(): break\n"
             " if c.getCommandName()!='check-sat': c.invoke(s,sm)\nprint(s.checkSat())"),
}


def _in_process(solver: str) -> float:
    start = time.perf_counter()
    if solver == "z3":
        import z3

        c = z3.Context()
        s = z3.Solver(ctx=c)
        s.add(z3.parse_smt2_string(TRIVIAL, ctx=c))
        s.check()
    else:
        import cvc5

        tm = cvc5.TermManager()
        sv = cvc5.Solver(tm)
        sm = cvc5.SymbolManager(tm)
        p = cvc5.InputParser(sv, sm)
        p.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, TRIVIAL, "q")
        while True:
            cmd = p.nextCommand()
            if cmd.isNull():
                break
            if cmd.getCommandName() != "check-sat":
                cmd.invoke(sv, sm)
        sv.checkSat()
    return time.perf_counter() - start


def overhead(n: int, fresh_n: int) -> None:
    """Print the overhead table."""
    pool = SolverPool(1)
    pool.solve(Job(TRIVIAL, {"x": "Int"}, CONFIGS["z3"]))  # start the worker
    print(f"median of {n} trivial queries (fresh process: {fresh_n}), one worker\n")
    print("| solver | in-process | warm pool | pool overhead | fresh process | fresh overhead |")
    print("|---|---:|---:|---:|---:|---:|")
    for solver in ("z3", "cvc5"):
        local = statistics.median(_in_process(solver) for _ in range(n))
        times = []
        for _ in range(n):
            start = time.perf_counter()
            out = pool.solve(Job(TRIVIAL, {"x": "Int"}, CONFIGS[solver]))
            times.append(time.perf_counter() - start)
            assert out.raw == "sat", out
        warm = statistics.median(times)
        fresh_times = []
        for _ in range(fresh_n):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", FRESH[solver] % TRIVIAL], capture_output=True, text=True,
                                  check=True)
            fresh_times.append(time.perf_counter() - start)
            assert done.stdout.strip() == "sat", done
        fresh = statistics.median(fresh_times)
        print(f"| {solver} | {local * 1e3:.2f} ms | {warm * 1e3:.2f} ms | {(warm - local) * 1e3:.2f} ms | "
              f"{fresh * 1e3:.1f} ms | {(fresh - local) * 1e3:.1f} ms |")
    pool.close()


def rlimit_rates() -> None:
    """Print rlimit units per second of solver time on generated problems (in this process)."""
    import cvc5
    import z3
    from smt_gen import generate

    print("| problem | z3 s | z3 rlimit units | z3 units/s | cvc5 s | cvc5 resource units | cvc5 units/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    picks = [p for p in generate(0, 1) if p.family in ("lia-knapsack", "nia-factor", "bounded-magic",
                                                         "lia-market-split")]
    for p in picks:
        c = z3.Context()
        s = z3.Solver(ctx=c)
        s.set("timeout", 5000)
        s.add(z3.parse_smt2_string(p.smtlib, ctx=c))
        start = time.perf_counter()
        s.check()
        zt = time.perf_counter() - start
        stats = s.statistics()
        names = list(stats.keys())  # z3's Statistics is not a mapping
        zu = int(stats.get_key_value("rlimit count")) if "rlimit count" in names else 0
        tm = cvc5.TermManager()
        sv = cvc5.Solver(tm)
        sv.setOption("tlimit-per", "5000")
        sm = cvc5.SymbolManager(tm)
        parser = cvc5.InputParser(sv, sm)
        parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, p.smtlib, "q")
        while True:
            cmd = parser.nextCommand()
            if cmd.isNull():
                break
            if cmd.getCommandName() != "check-sat":
                cmd.invoke(sv, sm)
        start = time.perf_counter()
        sv.checkSat()
        ct = time.perf_counter() - start
        cu = int(sv.getStatistics().get(True, True).get("resource::resourceUnitsUsed", {}).get("value", 0))
        print(f"| {p.name} | {zt:.2f} | {zu} | {zu / max(zt, 1e-9):,.0f} | {ct:.2f} | {cu} | "
              f"{cu / max(ct, 1e-9):,.0f} |")


def main() -> None:
    """Run the chosen measurement."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rlimit", action="store_true", help="measure rlimit units per second instead")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--fresh", type=int, default=30)
    args = ap.parse_args()
    if args.rlimit:
        rlimit_rates()
    else:
        overhead(args.n, args.fresh)


if __name__ == "__main__":
    main()
