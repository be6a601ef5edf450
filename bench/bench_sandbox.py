"""The sandbox's costs: starting a worker, and calls per second, beside the peers it replaces.

    python bench/bench_sandbox.py                  # defaults: 20 start-ups, 20,000 calls (about 15 s)
    python bench/bench_sandbox.py --starts 50 --calls 100000

* **start-up**: ``run_calls`` of one call of a trivial function, median of ``--starts`` runs: a fresh
  worker, every layer of isolation, the program's module, one call, the worker killed and its folder
  removed.  Beside it, the peer a naive replay would use: ``subprocess.run([python, "-c", program])``
  per input, with none of the isolation.
* **throughput**: one ``run_calls`` of ``--calls`` calls of ``def f(x): return x + 1`` (calls go in
  batches of 256 over the pipe), and the same for a list argument; beside it the same function
  called in this process, the bound no sandbox reaches.

Timings vary with the machine and its load; the results do not.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from assay.kernel.sandbox import isolation, run_calls

TRIVIAL = "def f(x):\n    return x + 1\n"
LISTS = "def f(xs):\n    return sorted(xs)[::-1]\n"


def start_up(runs: int) -> tuple[float, float]:
    """Median seconds of a one-call run_calls, and of a plain python -c subprocess doing the same call."""
    sandboxed, plain = [], []
    for _ in range(runs):
        t = time.perf_counter()
        [result] = run_calls(TRIVIAL, "f", [[1]])
        sandboxed.append(time.perf_counter() - t)
        assert result.value == 2, result
        t = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-S", "-c", TRIVIAL + "print(f(1))"], check=True, capture_output=True)
        plain.append(time.perf_counter() - t)
    return statistics.median(sandboxed), statistics.median(plain)


def throughput(source: str, calls: list[list[object]]) -> tuple[float, float]:
    """Calls per second through the sandbox, and of the same function in this process."""
    t = time.perf_counter()
    results = run_calls(source, "f", calls, total_seconds=600)
    took = time.perf_counter() - t
    assert all(r.status == "returned" for r in results), {r.status for r in results}
    namespace: dict[str, object] = {}
    exec(source, namespace)  # the benchmark's own trusted function, for the in-process bound
    f = namespace["f"]
    t = time.perf_counter()
    for args in calls:
        f(*args)  # type: ignore[operator]
    return len(calls) / took, len(calls) / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--starts", type=int, default=20, help="start-ups to time (median)")
    parser.add_argument("--calls", type=int, default=20000, help="calls in the throughput run")
    args = parser.parse_args()
    for layer, what in isolation().items():
        print(f"{layer:>13}: {what}")
    sandboxed, plain = start_up(args.starts)
    print(f"start-up, one call: sandbox {sandboxed * 1000:.1f} ms   plain python -c {plain * 1000:.1f} ms "
          f"(median of {args.starts})")
    ints = [[i] for i in range(args.calls)]
    lists = [[list(range(i % 20))] for i in range(args.calls)]
    for name, source, calls in (("f(x) = x + 1", TRIVIAL, ints), ("f(xs) = sorted(xs)[::-1], len <= 19", LISTS, lists)):
        rate, bound = throughput(source, calls)
        print(f"{name:38s}: {rate:9,.0f} calls/s in the sandbox   {bound:11,.0f} calls/s in process "
              f"({args.calls} calls)")


if __name__ == "__main__":
    main()
