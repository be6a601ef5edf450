"""Replay Logic-LM's recorded LogicalDeduction, ProntoQA and ProofWriter programs through assay.

    python bench/replay_logiclm_quick.py                          # all three datasets, both models (~10 min)
    python bench/replay_logiclm_quick.py --only LogicalDeduction --models gpt-4
    python bench/replay_logiclm_quick.py --only ProntoQA --no-statement-match     # the query as written
    python bench/replay_logiclm_quick.py --only ProofWriter --classical           # P(a, False) is not P(a)
    python bench/replay_logiclm_quick.py --only ProntoQA --prontoqa-open          # no "False by failure"

Per file: records, answered (ACCEPTED or REPAIRED, and how many repaired),
correct, wrong, abstained (UNKNOWN or VACUOUS), malformed (the bridge could
not read the program), accuracy = correct / records (abstaining counts as
wrong) and selective accuracy = correct / answered.  ``--wrong`` lists the
records answered wrongly.

Published (Logic-LM, GPT-4, no self-refinement): LogicalDeduction 87.63 %,
ProntoQA 83.20 %, ProofWriter 79.66 %.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assay.bridges.logic import csp, pronto
from assay.bridges.logic.common import Malformed
from assay.kernel.entail import Formalisation, decide
from assay.kernel.verdicts import Outcome, Verdict

DATA = Path("/work/shared/datasets/logic-lm")
DATASETS = ("LogicalDeduction", "ProntoQA", "ProofWriter")
MODELS = ("gpt-4", "gpt-3.5-turbo")
PUBLISHED = {"LogicalDeduction": 87.63, "ProntoQA": 83.20, "ProofWriter": 79.66}


def bridge(dataset: str, args: argparse.Namespace) -> Callable[[str, dict[str, Any]], Formalisation]:
    """The bridge for a dataset, with the semantics the command line asked for."""
    if dataset == "LogicalDeduction":
        return csp.formalise
    closed = None if dataset == "ProofWriter" or not args.prontoqa_open else False

    def build(program: str, record: dict[str, Any]) -> Formalisation:
        return pronto.formalise(program, record, closed_world=closed, separate_polarities=not args.classical,
                                match_statement=not args.no_statement_match)
    return build


def replay(dataset: str, model: str, args: argparse.Namespace) -> dict[str, Any]:
    path = DATA / f"{dataset}_dev_{model}.json"
    records = json.loads(path.read_text())[: args.limit]
    build = bridge(dataset, args)
    c: Counter[str] = Counter()
    wrong: list[str] = []
    start = time.perf_counter()
    for r in records:
        program = r["raw_logic_programs"][0] if r.get("raw_logic_programs") else ""
        try:
            f = build(program, r)
        except Malformed:
            c["malformed"] += 1
            continue
        v: Verdict = decide(f, timeout=args.timeout)
        if v.outcome is Outcome.MALFORMED:
            c["malformed"] += 1
        elif v.answer is not None:
            c["answered"] += 1
            c["repaired"] += v.outcome is Outcome.REPAIRED
            if v.answer == r["answer"]:
                c["correct"] += 1
            else:
                c["wrong"] += 1
                wrong.append(f"{r['id']}: answered {v.answer}, gold {r['answer']}")
        else:
            c["abstained"] += 1
            c[f"abstained {v.outcome.value}"] += 1
    n = len(records)
    return {"dataset": dataset, "model": model, "total": n, **c, "seconds": time.perf_counter() - start,
            "accuracy": c["correct"] / n if n else 0.0,
            "selective": c["correct"] / c["answered"] if c["answered"] else 0.0, "wrong_ids": wrong}


def show(t: dict[str, Any]) -> None:
    published = PUBLISHED[t["dataset"]] if t["model"] == "gpt-4" else None
    print(f"{t['dataset']} {t['model']}: total {t['total']}, answered {t.get('answered', 0)} "
          f"(repaired {t.get('repaired', 0)}), correct {t.get('correct', 0)}, wrong {t.get('wrong', 0)}, "
          f"abstained {t.get('abstained', 0)}, malformed {t.get('malformed', 0)}; "
          f"accuracy {100 * t['accuracy']:.2f} %, selective {100 * t['selective']:.2f} %"
          + (f"; published {published:.2f} %" if published else "") + f"; {t['seconds']:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--only", choices=DATASETS, nargs="*", help="these datasets only")
    ap.add_argument("--models", nargs="*", default=list(MODELS), help="models (file suffixes)")
    ap.add_argument("--limit", type=int, default=None, help="first N records of each file")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per solver query")
    ap.add_argument("--classical", action="store_true", help="ProntoQA/ProofWriter: P(a, False) is not P(a)")
    ap.add_argument("--no-statement-match", action="store_true", help="keep queries that contradict the statement")
    ap.add_argument("--prontoqa-open", action="store_true", help="ProntoQA read in an open world")
    ap.add_argument("--wrong", action="store_true", help="list the records answered wrongly")
    ap.add_argument("--json", type=Path, help="write the tallies here")
    args = ap.parse_args(argv)
    tallies = []
    for dataset in args.only or DATASETS:
        for model in args.models:
            t = replay(dataset, model, args)
            show(t)
            if args.wrong:
                for line in t["wrong_ids"]:
                    print("   ", line)
            tallies.append(t)
    if args.json:
        args.json.write_text(json.dumps(tallies, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
