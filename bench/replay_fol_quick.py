"""Replay recorded first-order-logic formalisations through assay: Logic-LM FOLIO and LINC FOLIO.

    python bench/replay_fol_quick.py                       # every file, both datasets
    python bench/replay_fol_quick.py --only logic-lm --limit 40
    python bench/replay_fol_quick.py --only linc --shots 8 --save /tmp/linc_answers.json
    python bench/replay_fol_quick.py --policies /tmp/linc_answers.json   # offline, from saved answers

Per Logic-LM file: records, accepted (or repaired), correct, wrong, abstained
(UNKNOWN or VACUOUS), malformed, accuracy over all records and selective
accuracy over the answered ones.  Per LINC prompt size: the same per sample,
then per problem the published majority vote (over assay's per-sample
verdicts, and over Prover9's labels from the ``_prc`` file for reference) and
assay's sequential policy (accuracy, abstentions, mean samples read).  Checks
that came back unknown (solvers could not settle them) are counted too.

Published: Logic-LM GPT-4 FOLIO about 79.9 % executable and 80.4 % accurate
on those; LINC GPT-3.5 8-shot majority vote 62.6 %.
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

from assay.bridges.logic import folio, linc, linc_policy
from assay.bridges.logic.common import Malformed
from assay.kernel.entail import Formalisation, decide
from assay.kernel.verdicts import Outcome, Verdict

DATA = Path("/work/shared/datasets")
LOGIC_LM = ("gpt-4", "gpt-3.5-turbo")
LINC_SHOTS = (1, 2, 4, 8)
LINC_MODEL = "gpt-3.5-turbo-16k-0613"
PUBLISHED = {"logic-lm gpt-4": "~79.9 % executable, ~80.4 % accurate on those (~64 % overall)",
             "linc 8": "62.6 % (majority vote, Prover9)"}


class Replayer:
    """Decides formalisations, once each: identical samples (common among ten) share one verdict."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.cache: dict[tuple[str, tuple[str, ...], str, tuple[str, ...]], Verdict] = {}
        self.unknown_checks = 0
        self.decided = 0

    def verdict(self, build: Callable[[], Formalisation]) -> tuple[Verdict | None, str]:
        """The verdict on what ``build`` returns, or None and the reason when it is Malformed."""
        try:
            f = build()
        except Malformed as exc:
            return None, str(exc)
        key = (f.declarations, f.premises, repr(f.options), f.changes)
        if key not in self.cache:
            v = decide(f, timeout=self.timeout)
            self.decided += 1
            self.unknown_checks += sum(1 for c in v.claims if c.status == "unknown")
            self.cache[key] = v
        return self.cache[key], ""


def _tally(rows: list[tuple[Verdict | None, str]], gold: list[str]) -> dict[str, Any]:
    c: Counter[str] = Counter()
    for (v, _), g in zip(rows, gold, strict=True):
        if v is None:
            c["malformed"] += 1
        elif v.outcome in (Outcome.ACCEPTED, Outcome.REPAIRED):
            c["answered"] += 1
            c["repaired"] += v.outcome is Outcome.REPAIRED
            c["correct" if v.answer == g else "wrong"] += 1
        else:
            c["abstained"] += 1
            c[f"abstained {v.outcome}"] += 1
    n = len(rows)
    return {"total": n, **c, "accuracy": c["correct"] / n if n else 0.0,
            "selective": c["correct"] / c["answered"] if c["answered"] else 0.0}


def _show(name: str, t: dict[str, Any]) -> None:
    print(f"{name}: total {t['total']}, answered {t.get('answered', 0)} (repaired {t.get('repaired', 0)}), "
          f"correct {t.get('correct', 0)}, wrong {t.get('wrong', 0)}, abstained {t.get('abstained', 0)} "
          f"(unknown {t.get('abstained UNKNOWN', 0)}, vacuous {t.get('abstained VACUOUS', 0)}), "
          f"malformed {t.get('malformed', 0)}; accuracy {100 * t['accuracy']:.1f} %, "
          f"selective {100 * t['selective']:.1f} %")


def logic_lm(replayer: Replayer, limit: int | None) -> None:
    for model in LOGIC_LM:
        path = DATA / "logic-lm" / f"FOLIO_dev_{model}.json"
        records = json.loads(path.read_text())[:limit]
        start, before = time.perf_counter(), replayer.unknown_checks
        rows = []
        for r in records:
            program = r["raw_logic_programs"][0] if r.get("raw_logic_programs") else ""
            rows.append(replayer.verdict(lambda r=r, p=program: folio.formalise(p, r)))
        _show(f"Logic-LM FOLIO {model}", _tally(rows, [r["answer"] for r in records]))
        print(f"  unknown checks: {replayer.unknown_checks - before}; {time.perf_counter() - start:.1f} s"
              + (f"; published: {PUBLISHED['logic-lm ' + model]}" if "logic-lm " + model in PUBLISHED else ""))


def linc_file(replayer: Replayer, shots: int, limit: int | None, k: int, saved: dict[str, Any]) -> None:
    base = DATA / "linc" / f"{LINC_MODEL}_folio-neurosymbolic-{shots}shot_generations"
    raw = json.loads(Path(f"{base}_raw.json").read_text())[:limit]
    prc = json.loads(Path(f"{base}_prc.json").read_text())[:limit]
    gold = json.loads((DATA / "linc" / "folio_references.json").read_text())[:limit]
    start, before = time.perf_counter(), replayer.unknown_checks
    answers: list[list[str | None]] = []
    outcomes: list[list[str]] = []
    flat: list[tuple[Verdict | None, str]] = []
    for i, samples in enumerate(raw):
        row = [replayer.verdict(lambda s=s, i=i, j=j: linc.formalise_sample(s, f"problem {i} sample {j}"))
               for j, s in enumerate(samples)]
        flat += row
        answers.append([linc_policy.sample_answer(v) if v else None for v, _ in row])
        outcomes.append([v.outcome.name if v else "MALFORMED" for v, _ in row])
    _show(f"LINC {shots}-shot samples", _tally(flat, [g for g in gold for _ in range(len(raw[0]))]))
    agree = sum(1 for row, labels in zip(answers, prc, strict=True) for a, p in zip(row, labels, strict=True)
                if (a or "Error") == p)
    n = len(raw)
    mv = [linc_policy.majority_vote(row) for row in answers]
    p9 = [linc_policy.majority_vote([x if x != "Error" else None for x in labels]) for labels in prc]
    seq = [linc_policy.sequential(row, k=k) for row in answers]
    strict = [linc_policy.sequential(row, k=k, at_budget="abstain") for row in answers]
    print(f"  per-sample agreement with Prover9's label (Error = no answer): {agree} of {n * len(raw[0])}")
    for name, ds in (("majority vote, assay verdicts", mv), ("majority vote, Prover9 labels", p9),
                     (f"sequential k={k} (plurality at budget), assay verdicts", seq),
                     (f"sequential k={k} (abstain at budget), assay verdicts", strict)):
        correct = sum(d.answer == g for d, g in zip(ds, gold, strict=True))
        answered = sum(d.answer is not None for d in ds)
        mean = sum(d.samples_used for d in ds) / n
        print(f"  {name}: accuracy {100 * correct / n:.1f} % ({correct}/{n}), answered {answered}, "
              f"selective {100 * correct / max(answered, 1):.1f} %, mean samples {mean:.2f}")
    print(f"  unknown checks: {replayer.unknown_checks - before}; {time.perf_counter() - start:.1f} s"
          + (f"; published: {PUBLISHED[f'linc {shots}']}" if f"linc {shots}" in PUBLISHED else ""))
    saved[str(shots)] = {"answers": answers, "outcomes": outcomes, "gold": gold, "prover9": prc}


SELECTION, HELD_OUT = ("1", "2", "4"), "8"


def _policies() -> dict[str, Callable[[list[str | None], linc_policy.Calibration], linc_policy.Decision]]:
    """The candidate re-offload policies, each a function of one problem's answers and a calibration."""
    out: dict[str, Callable[[list[str | None], linc_policy.Calibration], linc_policy.Decision]] = {
        "majority vote (10)": lambda row, cal: linc_policy.majority_vote(row)}
    for k in (1, 2, 3):
        out[f"sequential k={k}"] = lambda row, cal, k=k: linc_policy.sequential(row, k=k)
    for t in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        out[f"bayes threshold={t}"] = lambda row, cal, t=t: linc_policy.bayes_sequential(
            row, calibration=cal, threshold=t)
    return out


def _score(decisions: list[linc_policy.Decision], gold: list[str]) -> tuple[float, float]:
    return (sum(d.answer == g for d, g in zip(decisions, gold, strict=True)) / len(gold),
            sum(d.samples_used for d in decisions) / len(gold))


def policies(path: Path, cap: float) -> None:
    """Choose a policy on the 1-, 2- and 4-shot files, then report it once on the held-out 8-shot file.

    Each selection file is scored with a calibration fitted on the other two
    (leave one file out), so no file is scored with counts from itself.  The
    chosen policy is the most accurate on average whose mean samples stay at
    or under ``cap`` on every selection file; the 8-shot file is scored with
    the calibration fitted on all three selection files.
    """
    saved = json.loads(path.read_text())
    table: dict[str, list[tuple[float, float]]] = {}
    for name, policy in _policies().items():
        for shots in SELECTION:
            rows = [a for s in SELECTION if s != shots for a in saved[s]["answers"]]
            cal = linc_policy.calibrate(rows, [g for s in SELECTION if s != shots for g in saved[s]["gold"]])
            table.setdefault(name, []).append(_score([policy(r, cal) for r in saved[shots]["answers"]],
                                                     saved[shots]["gold"]))
    print("policy | " + " | ".join(f"{s}-shot acc, samples" for s in SELECTION) + " | mean acc, samples")
    for name, cells in table.items():
        print(f"{name} | " + " | ".join(f"{100 * a:.1f} %, {m:.2f}" for a, m in cells)
              + f" | {100 * sum(a for a, _ in cells) / 3:.1f} %, {sum(m for _, m in cells) / 3:.2f}")
    fit = [n for n, cells in table.items() if all(m <= cap for _, m in cells)]
    chosen = max(fit, key=lambda n: sum(a for a, _ in table[n]))
    print(f"chosen on {', '.join(SELECTION)}-shot (mean samples <= {cap} on each): {chosen}")
    cal = linc_policy.calibrate([a for s in SELECTION for a in saved[s]["answers"]],
                                [g for s in SELECTION for g in saved[s]["gold"]])
    print(f"  calibration fitted on all selection files equals LINC_GPT35: {cal == linc_policy.LINC_GPT35}")
    if HELD_OUT in saved:
        held = saved[HELD_OUT]
        acc, mean = _score([_policies()[chosen](r, cal) for r in held["answers"]], held["gold"])
        base, _ = _score([linc_policy.majority_vote(r) for r in held["answers"]], held["gold"])
        p9, _ = _score([linc_policy.majority_vote([x if x != "Error" else None for x in labels])
                        for labels in held["prover9"]], held["gold"])
        print(f"held-out {HELD_OUT}-shot, {chosen}: accuracy {100 * acc:.1f} %, mean samples {mean:.2f} "
              f"(majority vote over all 10: assay verdicts {100 * base:.1f} %, Prover9 labels {100 * p9:.1f} %; "
              f"published {PUBLISHED['linc 8']})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=("logic-lm", "linc"), help="one dataset only")
    ap.add_argument("--shots", type=int, nargs="*", default=list(LINC_SHOTS), help="LINC prompt sizes")
    ap.add_argument("--limit", type=int, default=None, help="first N records/problems of each file")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per solver query")
    ap.add_argument("--k", type=int, default=2, help="lead the sequential policy waits for")
    ap.add_argument("--save", type=Path, help="write LINC per-sample answers (JSON) here")
    ap.add_argument("--policies", type=Path, help="choose a re-offload policy offline from answers saved by --save")
    ap.add_argument("--cap", type=float, default=4.5, help="most mean samples per problem a chosen policy may read")
    args = ap.parse_args(argv)
    if args.policies:
        policies(args.policies, args.cap)
        return 0
    replayer = Replayer(args.timeout)
    if args.only in (None, "logic-lm"):
        logic_lm(replayer, args.limit)
    saved: dict[str, Any] = {}
    if args.only in (None, "linc"):
        for shots in args.shots:
            linc_file(replayer, shots, args.limit, args.k, saved)
    if args.save:
        args.save.write_text(json.dumps(saved))
    print(f"{replayer.decided} distinct formalisations decided")
    return 0


if __name__ == "__main__":
    sys.exit(main())
