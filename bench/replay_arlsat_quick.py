"""Replay Logic-LM's recorded AR-LSAT programs through the AR-LSAT bridge and the kernel, and count.

Usage::

    python bench/replay_arlsat_quick.py [FILE ...] [--timeout S] [--limit N] [--jobs K] [--show-wrong]

Defaults to /work/shared/datasets/logic-lm/AR-LSAT_dev_{gpt-4,gpt-3.5-turbo}.json.
For each file it prints: total records; how many reach a verdict
(formalised: ACCEPTED + REPAIRED + abstained UNKNOWN / VACUOUS) against
MALFORMED; answered (ACCEPTED + REPAIRED), correct, wrong; accuracy over all
records (an abstention counts as not correct, no fallback guess); selective
accuracy (correct / answered); and how many times each repair rule was
applied, over the programs that reached a verdict.  The published Logic-LM
figures for GPT-4 are 32.6 % executable, 60.0 % accurate on those.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from assay.bridges.logic.arlsat import formalise, rule_counts
from assay.bridges.logic.common import Malformed
from assay.kernel.entail import decide

DEFAULT_FILES = [Path(f"/work/shared/datasets/logic-lm/AR-LSAT_dev_{m}.json") for m in ("gpt-4", "gpt-3.5-turbo")]


def judge(record: dict[str, Any], timeout: float) -> tuple[str, str | None, tuple[str, ...], str]:
    """(outcome, answer, changes, reason) for one record."""
    try:
        f = formalise(record["raw_logic_programs"][0], record)
    except Malformed as exc:
        return "malformed", None, (), str(exc)
    v = decide(f, timeout=timeout)
    return v.outcome.value.lower(), v.answer, tuple(f.changes), v.reason


def replay(path: Path, *, timeout: float, limit: int | None, jobs: int, show_wrong: bool) -> dict[str, Any]:
    records = json.loads(path.read_text())[:limit]
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda r: judge(r, timeout), records))
    seconds = time.perf_counter() - start
    outcomes: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    correct = wrong = 0
    repaired_correct = repaired_wrong = 0
    for record, (outcome, answer, changes, reason) in zip(records, results, strict=True):
        outcomes[outcome] += 1
        if outcome != "malformed":
            rules.update(rule_counts(changes))
        if answer is None:
            continue
        ok = answer == record["answer"]
        correct += ok
        wrong += not ok
        if outcome == "repaired":
            repaired_correct += ok
            repaired_wrong += not ok
        if show_wrong and not ok:
            print(f"  WRONG {record['id']}: said {answer}, gold {record['answer']}; {reason}", file=sys.stderr)
    total = len(records)
    answered = correct + wrong
    reached = total - outcomes["malformed"]
    return {
        "file": path.name, "total": total, "reached_verdict": reached, "malformed": outcomes["malformed"],
        "outcomes": dict(outcomes), "answered": answered, "correct": correct, "wrong": wrong,
        "repaired_correct": repaired_correct, "repaired_wrong": repaired_wrong,
        "reached_pct": round(100 * reached / total, 1) if total else 0.0,
        "accuracy_pct": round(100 * correct / total, 1) if total else 0.0,
        "selective_accuracy_pct": round(100 * correct / answered, 1) if answered else 0.0,
        "rules": dict(rules.most_common()), "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per solver query")
    ap.add_argument("--limit", type=int, default=None, help="only the first N records of each file")
    ap.add_argument("--jobs", type=int, default=2, help="records decided at once")
    ap.add_argument("--show-wrong", action="store_true", help="list each wrong answer on stderr")
    args = ap.parse_args(argv)
    for path in args.files or [p for p in DEFAULT_FILES if p.exists()]:
        row = replay(path, timeout=args.timeout, limit=args.limit, jobs=args.jobs, show_wrong=args.show_wrong)
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
