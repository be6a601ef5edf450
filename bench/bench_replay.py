"""Replay every recorded formalisation in ../shared/datasets through the kernel; a markdown table beside the
published figures.

    python bench/bench_replay.py [--data DIR] [--timeout S] [--limit N] [--out FILE] [--only TEXT]
                                 [--rows all|plain|corroborated]

Published figures are those in shared/datasets/README.md (Logic-LM paper, GPT-4, no self-refinement; LINC
8-shot majority vote).  "wrong %" is accepted-but-wrong answers over all problems; the published pipeline's
error rate is 100 % minus its accuracy (it answers every problem, with a fallback guess where the program fails).

The corroborated rows replay each file with an answer that rests on something not following (FOLIO's Uncertain,
ProofWriter's Unknown, ProntoQA's False) with ``--corroborate`` the other model's file of the same dataset: such an
answer is kept only where that file's verdict gives it too; "samples used" counts one formalisation per record plus
one of the other file per record it had to consult.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from assay.replay import replay_file, show_progress

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets"

# Accuracy published for these exact programs (shared/datasets/README.md).
PUBLISHED = {
    "LogicalDeduction_dev_gpt-4.json": 87.63,
    "ProntoQA_dev_gpt-4.json": 83.20,
    "ProofWriter_dev_gpt-4.json": 79.66,
    "AR-LSAT_dev_gpt-4.json": 43.04,
    "gpt-3.5-turbo-16k-0613_folio-neurosymbolic-8shot_generations_raw.json": 62.6,
}
NOTES = {
    "FOLIO_dev_gpt-4.json": "published: ~79.9 % executable, ~80.4 % accurate on those",
    "AR-LSAT_dev_gpt-4.json": "published: 32.6 % executable, 60.0 % accurate on those, 43.04 % with a fallback guess",
}
# Datasets with an answer that rests on something not following (Option.open_question), and its name: the open
# world's "neither way", the closed world's "not derived".
OPEN_WORLD = {"FOLIO": "Uncertain", "ProofWriter": "Unknown", "ProntoQA": "False"}


def files(data: Path) -> list[Path]:
    out = sorted((data / "logic-lm").glob("*_dev_*.json"))
    out += sorted((data / "linc").glob("*_generations_raw.json"))
    return out


def corroborated(data: Path) -> list[tuple[Path, Path, str]]:
    """(file, the other model's file of its dataset, row name) for each Logic-LM file with such an answer."""
    out = []
    for dataset, open_option in OPEN_WORLD.items():
        paths = sorted((data / "logic-lm").glob(f"{dataset}_dev_*.json"))
        for path in paths:
            for other in paths:
                if other != path:
                    model = other.stem.split("_dev_", 1)[1]
                    out.append((path, other, f"{path.name}, {open_option} corroborated by {model}"))
    return out


def row(t: dict[str, Any], seconds: float, name: str | None = None) -> str:
    name = name or Path(str(t["file"])).name
    total = int(t["total"])
    acc = 100 * float(t["accuracy"] or 0)
    sel = "-" if t["selective_accuracy"] is None else f"{100 * float(t['selective_accuracy']):.1f}"
    wrong = 100 * int(t["wrong"]) / total if total else 0.0
    reached = total - int(t["malformed"])
    pub = PUBLISHED.get(name)
    published = f"{pub:.2f} / {100 - pub:.1f}" if pub is not None else "-"
    samples = ""
    if "samples_used" in t:
        samples = f"{t['samples_used']}/{t['samples_available']}"
        m = t.get("majority_vote")
        if m is not None:
            samples += (f"; majority vote of all: {100 * float(m.get('accuracy') or 0):.1f} % acc, "
                        f"{m.get('wrong')} wrong")
    return (f"| {name} | {total} | {100 * reached / total:.1f} | {t['accepted']} | {t['correct']} | {t['wrong']} | "
            f"{t['abstained']} | {t['malformed']} | {t['repaired']} | {acc:.1f} | {sel} | {wrong:.1f} | {published} | "
            f"{samples} | {seconds:.0f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None, help="also write the per-file JSON objects here")
    ap.add_argument("--only", default="", help="replay only files whose name contains this")
    ap.add_argument("--rows", choices=("all", "plain", "corroborated"), default="all",
                    help="each file on its own, the files of OPEN_WORLD's datasets corroborated by the other model's, "
                         "or both")
    args = ap.parse_args()
    head = ("| file | total | reach a verdict % | answered | correct | wrong | abstained | malformed | repaired | "
            "accuracy % | selective % | wrong % | published acc % / error % | samples used | seconds |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    out = args.out.open("w") if args.out else None
    runs: list[tuple[Path, Path | None, str | None]] = []
    if args.rows != "corroborated":
        runs += [(path, None, None) for path in files(args.data)]
    if args.rows != "plain":
        runs += corroborated(args.data)
    for path, other, name in runs:
        if args.only and args.only not in (name or path.name):
            continue
        start = time.perf_counter()
        t = replay_file(path, timeout=args.timeout, limit=args.limit, progress=show_progress(),
                        corroborate=other).to_json()
        seconds = time.perf_counter() - start
        print(row(t, seconds, name), flush=True)
        if out is not None:
            out.write(json.dumps({**t, "seconds": round(seconds, 1)}) + "\n")
            out.flush()
    for name, note in NOTES.items():
        print(f"\n{name}: {note}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
