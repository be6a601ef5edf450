"""The differential fuzzer of whole specs (see tests/spec_fuzzer.py), in the normal test run.

``ASSAY_FUZZ_SPECS`` sets how many generated specs run (default 300, in
chunks of 30); ``ASSAY_FUZZ_SEED`` the first seed (default 0), so a failure
is reproduced by its seed: ``ASSAY_FUZZ_SPECS=1 ASSAY_FUZZ_SEED=<seed>``.
A disagreement with CPython, or a crash, fails; UNKNOWN, a spec the loader
refuses and a case over its time limit are counted and printed (run with
``-s`` to see the counts).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from .spec_fuzzer import Report, run_case

SPECS = int(os.environ.get("ASSAY_FUZZ_SPECS", "300"))
FIRST = int(os.environ.get("ASSAY_FUZZ_SEED", "0"))
CHUNK = 30
CHUNKS = [(start, min(CHUNK, FIRST + SPECS - start)) for start in range(FIRST, FIRST + SPECS, CHUNK)]


def _describe(reports: list[Report]) -> str:
    counts: Counter[str] = Counter()
    for r in reports:
        counts.update(r.counts)
    refused = sum(1 for r in reports if r.refused)
    late = sum(1 for r in reports if r.timed_out)
    parts = [f"{len(reports)} specs, {refused} refused at load, {late} over the time limit"]
    parts += [f"{k} {v}" for k, v in sorted(counts.items())]
    return "; ".join(parts)


@pytest.mark.parametrize(("start", "count"), CHUNKS, ids=[f"seeds{s}-{s + n - 1}" for s, n in CHUNKS])
def test_generated_specs_agree_with_cpython(start: int, count: int, tmp_path: Path) -> None:
    reports = [run_case(seed, tmp_path) for seed in range(start, start + count)]
    print(f"\n{_describe(reports)}")
    bad = [r for r in reports if r.disagreements]
    assert not bad, "\n\n".join(
        f"seed {r.seed}:\n" + "\n".join(f"  - {d}" for d in r.disagreements) + f"\n--- the spec ---\n{r.source}"
        for r in bad)
