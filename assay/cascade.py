"""``assay replay CHEAP --cascade STRONG``: recorded formalisations read as a verified cascade of models.

A cascade is an ordered list of models, cheapest first.  For each record of
the first file, the kernel decides the cheap model's formalisation; the next
file's formalisation of the same record id is read only where the kernel does
not answer from what it has (MALFORMED, VACUOUS, UNKNOWN: ambiguous or
undecided), and, with ``--escalate open``, also where the answer is open to
doubt: it rests on something not following (the open world's
Uncertain/Unknown; the closed world's False unless the opposite is derived:
a premise the model left out makes it hold as well), or, for
LogicalDeduction, the constraints admit more than one arrangement though
the paragraph fixes one (:func:`assay.bridges.logic.csp.second_solution`).
An escalated record takes the answer of the last model that gave one.  Every
answer delivered is a kernel verdict on some model's formalisation; the
cascade only chooses which formalisations are read.

Each read costs the model's recorded call: the record's text (context,
question, options) as the prompt and the formalisation as the completion,
in tokens estimated as UTF-8 bytes / 4 (:func:`assay.bridges.models.estimate_tokens`;
the files carry no counts, and Logic-LM's few-shot prefix, the same for
every record of a dataset, is not in them), at the model's price per 1,000
tokens (:data:`DEFAULT_PRICES`, or ``--price NAME=IN,OUT``).

``--baselines`` decides every record in every file and reports, in the same
run: each model alone, a random router that sends the same share of records
to the last model (its expected accuracy, exact by linearity), the per-record
oracle (the cheapest model whose answer is right, paying only that model),
and the accuracy-cost curve of escalating records in the order of how little
the kernel could say about the cheap answer (see :func:`curve`).
"""

from __future__ import annotations

import importlib
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from assay.bridges.models.cascade import Price
from assay.errors import UsageError

from .replay import FORMATS, ReplayTally, _bar, _describe, _judge, _load, _open_question, _program, detect

__all__ = ["DEFAULT_PRICES", "ESCALATE", "CascadeTally", "Member", "Price", "Read", "baselines", "curve",
           "model_name", "parse_price", "replay_cascade"]

# When a record goes on to the next model: only when the kernel gives no answer, or also when the answer
# rests on something not following.
ESCALATE: Final = ("unanswered", "open")


# The public list prices of the recorded models when they were recorded (USD per 1,000 tokens):
# gpt-3.5-turbo: $0.002 per 1K tokens, prompt and completion alike (OpenAI, "Introducing ChatGPT and Whisper
# APIs", 1 March 2023; Logic-LM's outputs date from spring 2023, before the June price cut);
# gpt-4 (8K context): $0.03 prompt, $0.06 completion (OpenAI, GPT-4 announcement and pricing page, March 2023);
# gpt-3.5-turbo-16k-0613 (LINC): $0.003 prompt, $0.004 completion (OpenAI, "Function calling and other API
# updates", 13 June 2023).
DEFAULT_PRICES: Final[dict[str, Price]] = {
    "gpt-3.5-turbo": Price(0.002, 0.002),
    "gpt-4": Price(0.03, 0.06),
    "gpt-3.5-turbo-16k-0613": Price(0.003, 0.004),
}


def parse_price(text: str) -> tuple[str, Price]:
    """``NAME=IN,OUT`` (dollars per 1,000 prompt and completion tokens) as (NAME, Price); UsageError naming it."""
    name, sep, rest = text.partition("=")
    parts = rest.split(",")
    if not sep or not name.strip() or len(parts) != 2:
        raise UsageError(f"--price {text!r}: expected NAME=IN,OUT (US dollars per 1,000 prompt and completion "
                         "tokens), for example gpt-4=0.03,0.06")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise UsageError(f"--price {text!r}: {rest!r} is not two numbers IN,OUT") from None
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise UsageError(f"--price {text!r}: a price is a finite number of dollars, not negative")
    return name.strip(), Price(values[0], values[1])


def model_name(path: Path) -> str:
    """The model a recorded file is from: ``{Dataset}_dev_{model}.json`` (Logic-LM), else the file's stem."""
    stem = path.stem
    for dataset in FORMATS:
        if stem.startswith(dataset + "_dev_"):
            return stem[len(dataset) + len("_dev_"):]
    return stem


@dataclass(frozen=True)
class Read:
    """One model's formalisation of one record, as the kernel decided it, and what reading it cost."""

    model: str
    file: str
    answer: str | None
    verdict: str
    reason: str
    open_question: bool  # the answer rests on something not following
    doubt: str  # why the answer is open to doubt ("" when it is not): what ``--escalate open`` escalates
    prompt_tokens: int
    completion_tokens: int
    cost: float | None  # None when the model has no price

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "answer": self.answer, "verdict": self.verdict,
                "open_question": self.open_question, "doubt": self.doubt,
                "tokens": [self.prompt_tokens, self.completion_tokens],
                "cost": None if self.cost is None else round(self.cost, 6)}


class Member:
    """One file of the cascade: its records by id, each decided only when it is read."""

    def __init__(self, path: Path, prices: dict[str, Price], *, timeout: float, doubts: bool = True) -> None:
        data = _load(path)
        self.path, self.format, self.timeout = path, detect(path, data), timeout
        self.doubts = doubts  # whether an answer's doubt is looked for (it costs solver queries)
        if self.format == "linc":
            raise UsageError(f"{path}: a cascade reads Logic-LM record files (one formalisation per record, by id); "
                             "LINC's samples are re-asks of one model, read by assay replay without --cascade")
        self.model = model_name(path)
        self.price = prices.get(self.model)
        self.records: dict[str, Any] = {}
        self.order: list[str] = []
        for n, record in enumerate(data):
            rid = str(record.get("id", f"#{n}")) if isinstance(record, dict) else f"#{n}"
            if rid not in self.records:
                self.records[rid] = record
                self.order.append(rid)
        self._bridge = importlib.import_module(FORMATS[self.format])
        self._done: dict[str, Read] = {}

    def read(self, rid: str) -> Read | None:
        """This model's formalisation of record ``rid`` decided (once); None when the file has no such record."""
        if rid not in self.records:
            return None
        if rid not in self._done:
            self._done[rid] = self._decide(rid, self.records[rid])
        return self._done[rid]

    def _decide(self, rid: str, record: Any) -> Read:
        from assay.bridges.models import estimate_tokens

        program, why = _program(record)
        prompt = estimate_tokens(_prompt_text(record))
        completion = estimate_tokens(program or "")
        cost = None if self.price is None else self.price.cost(prompt, completion)
        if program is None:
            print(f"assay replay: {self.path} record {rid}: {why}; counted as malformed", file=sys.stderr)
            return Read(self.model, self.path.name, None, "malformed", why, False, "", prompt, completion, cost)
        source = f"{self.path.name} record {rid}"
        formalisation, v = _judge(self._bridge, program, record, source, self.format, timeout=self.timeout)
        open_question = v.answer is not None and _open_question(formalisation, v.answer)
        doubt = ""
        if self.doubts and v.answer is not None and formalisation is not None:
            doubt = self._doubt(program, record, source, formalisation, v.answer, open_question=open_question)
        return Read(self.model, self.path.name, v.answer, v.outcome.value, v.reason, open_question, doubt, prompt,
                    completion, cost)

    def _doubt(self, program: str, record: Any, source: str, formalisation: Any, answer: str, *,
               open_question: bool) -> str:
        """Why an answer is open to doubt, or "": what the kernel's verdict alone does not say."""
        if self.format == "ProntoQA" and open_question:
            # The closed world's False holds when the query is not derived; read in the open world, it is
            # proved only when the opposite is derived.  Then nothing left out could make the query hold.
            from assay.bridges.logic import pronto
            from assay.bridges.logic.reoffload import judge

            _, opposite = judge(lambda: pronto.formalise(program, record, closed_world=False), source,
                                timeout=self.timeout)
            if opposite.answer == answer:
                return ""
            return "the query is not derived, and neither is its opposite: the answer rests on what is left out"
        if open_question:
            return "the answer rests on something not following from the premises"
        if self.format == "LogicalDeduction":
            from assay.bridges.logic.csp import second_solution

            if second_solution(formalisation, timeout=self.timeout):
                return ("the constraints admit more than one arrangement, though the paragraph fixes one: a "
                        "statement is missing")
        return ""


def _prompt_text(record: Any) -> str:
    if not isinstance(record, dict):
        return ""
    options = record.get("options")
    parts = [str(record.get("context", "")), str(record.get("question", "")),
             "\n".join(map(str, options)) if isinstance(options, list) else ""]
    return "\n".join(p for p in parts if p)


def _gold(record: Any) -> str:
    return str(record.get("answer", "")).strip() if isinstance(record, dict) else ""


def wants_more(read: Read, escalate: str) -> bool:
    """Whether the cascade reads the next model's formalisation after this one."""
    return read.answer is None or (escalate == "open" and bool(read.doubt))


def run_record(members: Sequence[Member], rid: str, escalate: str) -> tuple[Read | None, list[Read]]:
    """(the read whose answer the record takes, or None; every read made), the cascade's rule on one record."""
    reads: list[Read] = []
    answered: Read | None = None
    for member in members:
        read = member.read(rid)
        if read is None:  # this file has no such record: the next one may
            continue
        reads.append(read)
        if read.answer is not None:
            answered = read
        if not wants_more(read, escalate):
            break
    return answered, reads


@dataclass
class CascadeTally(ReplayTally):
    """A cascade's figures: the replay tally of the answers it delivered, plus escalations, models and cost."""

    cascade: list[str] = field(default_factory=list)
    escalate: str = "unanswered"
    escalations: int = 0  # records that read a later file
    reads: Counter[str] = field(default_factory=Counter)  # model -> formalisations read
    answered_by: Counter[str] = field(default_factory=Counter)  # model -> records whose answer it gave
    cost: float | None = 0.0
    tokens: dict[str, list[int]] = field(default_factory=dict)  # model -> [prompt, completion]
    unpriced: list[str] = field(default_factory=list)
    baselines: dict[str, Any] | None = None

    def add(self, reads: Sequence[Read]) -> None:
        self.escalations += len(reads) > 1
        for r in reads:
            self.reads[r.model] += 1
            t = self.tokens.setdefault(r.model, [0, 0])
            t[0] += r.prompt_tokens
            t[1] += r.completion_tokens
            if r.cost is None:
                if r.model not in self.unpriced:
                    self.unpriced.append(r.model)
                self.cost = None
            elif self.cost is not None:
                self.cost += r.cost

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        for key in ("reads", "answered_by"):
            out[key] = dict(getattr(self, key))
        out["cost"] = None if self.cost is None else round(self.cost, 4)
        out["currency"] = "USD"
        out["escalated_share"] = round(self.escalations / self.total, 4) if self.total else None
        if not self.unpriced:
            out.pop("unpriced", None)
        if self.baselines is None:
            out.pop("baselines", None)
        return out


def replay_cascade(paths: Sequence[Path], *, prices: dict[str, Price] | None = None, escalate: str = "unanswered",
                   timeout: float = 10.0, limit: int | None = None, details: TextIO | None = None,
                   progress: bool = False, with_baselines: bool = False) -> CascadeTally:
    """Replay ``paths[0]`` with ``paths[1:]`` as the cascade's later models; UsageError naming a bad file."""
    if escalate not in ESCALATE:
        raise UsageError(f"--escalate {escalate!r}: expected one of {', '.join(ESCALATE)}")
    if len(paths) < 2:
        raise UsageError("a cascade needs the cheap model's file and at least one --cascade file")
    table = {**DEFAULT_PRICES, **(prices or {})}
    members = [Member(p, table, timeout=timeout, doubts=escalate == "open" or with_baselines) for p in paths]
    first = members[0]
    for m in members[1:]:
        if m.format != first.format:
            raise UsageError(f"{first.path} is {_describe(first.format)} but {m.path} (--cascade) is "
                             f"{_describe(m.format)}: a cascade's files are formalisations of the same records")
    tally = CascadeTally(str(first.path), first.format, cascade=[str(m.path) for m in members], escalate=escalate)
    rids = first.order[:limit]
    for rid in _bar(rids, progress, first.path.name):
        answered, reads = run_record(members, rid, escalate)
        gold = _gold(first.records[rid])
        verdict = answered.verdict if answered is not None else reads[-1].verdict
        tally.count(answered.answer if answered is not None else None, gold, verdict)
        tally.add(reads)
        if answered is not None:
            tally.answered_by[answered.model] += 1
        if details is not None:
            details.write(json.dumps({"file": first.path.name, "id": rid, "gold": gold,
                                      "answer": answered.answer if answered is not None else None,
                                      "verdict": verdict, "answered_by": answered.model if answered else None,
                                      "reason": answered.reason if answered is not None else reads[-1].reason,
                                      "reads": [r.to_json() for r in reads]}) + "\n")
    if tally.unpriced:
        print(f"assay replay: no price for {', '.join(tally.unpriced)}: cost not counted; pass "
              f"--price NAME=IN,OUT (dollars per 1,000 prompt and completion tokens)", file=sys.stderr)
    if with_baselines:
        tally.baselines = baselines(members, rids, escalate, progress=progress)
    return tally


@dataclass(frozen=True)
class _Point:
    """One policy's figures over the records."""

    correct: int
    wrong: int
    escalated: float | None  # records that read a later model (None: not a cascade)
    cost: float | None

    def to_json(self, total: int, gap: tuple[int, int]) -> dict[str, Any]:
        low, high = gap
        return {"accuracy": round(self.correct / total, 4) if total else None, "correct": self.correct,
                "wrong": self.wrong,
                "escalated_share": round(self.escalated / total, 4) if total and self.escalated is not None else None,
                "gap_recovered": round((self.correct - low) / (high - low), 4) if high != low else None,
                "cost": None if self.cost is None else round(self.cost, 4)}


def _sum(costs: Iterable[float | None]) -> float | None:
    total = 0.0
    for c in costs:
        if c is None:
            return None
        total += c
    return total


def baselines(members: Sequence[Member], rids: Sequence[str], escalate: str, *,
              progress: bool = False) -> dict[str, Any]:
    """Every record decided by every model: each model alone, the cascade's two rules, the random router at the
    plain cascade's share, the per-record oracle, and the accuracy-cost curve (cheap model against the last)."""
    gold = {rid: _gold(members[0].records[rid]) for rid in rids}
    every: dict[str, list[Read | None]] = {rid: [m.read(rid) for m in members]
                                           for rid in _bar(rids, progress, "baselines")}

    def right(r: Read | None, rid: str) -> bool:
        return r is not None and r.answer is not None and r.answer == gold[rid]

    def wrong(r: Read | None, rid: str) -> bool:
        return r is not None and r.answer is not None and r.answer != gold[rid]

    total = len(rids)
    alone = {m.model: _Point(sum(right(every[rid][i], rid) for rid in rids),
                             sum(wrong(every[rid][i], rid) for rid in rids), None,
                             _sum(r.cost for rid in rids if (r := every[rid][i]) is not None))
             for i, m in enumerate(members)}
    cheap, strong = alone[members[0].model], alone[members[-1].model]
    gap = (cheap.correct, strong.correct)
    out: dict[str, Any] = {"records": total, "gap": {"from": members[0].model, "to": members[-1].model}}
    out["alone"] = {name: p.to_json(total, gap) for name, p in alone.items()}
    for rule in ESCALATE:
        c = w = e = 0
        costs: list[float | None] = []
        for rid in rids:
            answered, reads = run_record(members, rid, rule)
            c += right(answered, rid)
            w += wrong(answered, rid)
            e += len(reads) > 1
            costs += [r.cost for r in reads]
        out[f"cascade_{rule}"] = _Point(c, w, e, _sum(costs)).to_json(total, gap)
    plain_share = out["cascade_unanswered"]["escalated_share"] or 0.0
    cheap_cost, strong_cost = cheap.cost, strong.cost
    out["random_router"] = _Point(
        round(cheap.correct + plain_share * (strong.correct - cheap.correct)),
        round(cheap.wrong + plain_share * (strong.wrong - cheap.wrong)), plain_share * total,
        None if cheap_cost is None or strong_cost is None else
        (1 - plain_share) * cheap_cost + plain_share * strong_cost).to_json(total, gap)
    out["random_router"]["note"] = (f"expected figures of a router that sends a random {100 * plain_share:.1f} % "
                                    f"of records to {members[-1].model} (the plain cascade's share), the rest to "
                                    f"{members[0].model}")
    oc = ow = oe = 0
    ocost: list[float | None] = []
    for rid in rids:
        reads = every[rid]
        hit = next((i for i, r in enumerate(reads) if right(r, rid)), None)
        oc += hit is not None
        oe += hit is not None and hit > 0
        first = next((r for r in reads if r is not None), None)
        ocost.append(reads[hit].cost if hit is not None and reads[hit] is not None else
                     first.cost if first is not None else 0.0)
    out["oracle"] = _Point(oc, ow, oe, _sum(ocost)).to_json(total, gap)
    out["curve"] = [p.to_json(total, gap) | {"escalate": name}
                    for name, p in curve([every[rid] for rid in rids], [gold[rid] for rid in rids])]
    return out


# The order in which the curve escalates records: what the kernel could say about the cheap answer, least first.
_TIERS: Final = (("unanswered", "no answer (malformed, vacuous, unknown)"),
                 ("open", "an answer open to doubt"),
                 ("proved", "an answer with no doubt the kernel can name"))


def _tier(r: Read | None) -> int:
    if r is None or r.answer is None:
        return 0
    return 1 if r.doubt else 2


def curve(every: Sequence[Sequence[Read | None]], gold: Sequence[str]) -> list[tuple[str, _Point]]:
    """Accuracy against escalations, the cheap model (index 0) against the last: records escalated a tier at a time
    (no answer; an answer resting on something not following; a proved answer), an escalated record taking the last
    model's answer where it gives one and keeping the cheap one where it does not.  Within a tier the records are
    alike to the kernel, so the points between two tier ends lie on the line joining them (in expectation)."""
    points: list[tuple[str, _Point]] = []
    n = len(gold)
    escalated = [False] * n

    def point() -> _Point:
        c = w = 0
        costs: list[float | None] = []
        for i, reads in enumerate(every):
            cheap, last = reads[0], reads[-1]
            take = last if escalated[i] and last is not None and last.answer is not None else cheap
            if take is not None and take.answer is not None:
                c += take.answer == gold[i]
                w += take.answer != gold[i]
            costs.append(cheap.cost if cheap is not None else 0.0)
            if escalated[i] and last is not None:
                costs.append(last.cost)
        return _Point(c, w, float(sum(e and reads[-1] is not None for e, reads in zip(escalated, every, strict=True))),
                      _sum(costs))

    points.append(("nothing", point()))
    for tier, (name, _) in enumerate(_TIERS):
        for i, reads in enumerate(every):
            if _tier(reads[0]) == tier:
                escalated[i] = True
        points.append((f"+ {name}", point()))
    return points


def text_lines(t: CascadeTally) -> list[str]:
    """The lines the text table prints under a cascade's row."""
    j = t.to_json()
    later = ", ".join(Path(p).name for p in t.cascade[1:])
    cost = "not counted (no price for " + ", ".join(t.unpriced) + ")" if t.cost is None else f"${t.cost:.2f}"
    lines = [f"escalated {t.escalations} of {t.total} ({100 * (j['escalated_share'] or 0):.1f} %) to {later} "
             f"({t.escalate}); answered by " +
             (", ".join(f"{m} {n}" for m, n in t.answered_by.most_common()) or "none") +
             f"; cost {cost}, tokens estimated"]
    if t.baselines is not None:
        b = t.baselines
        rows = [("cascade (unanswered)", b["cascade_unanswered"]), ("cascade (open)", b["cascade_open"]),
                *((f"{m} alone", p) for m, p in b["alone"].items()), ("random router", b["random_router"]),
                ("oracle", b["oracle"])]
        lines.append(f"{'policy':<28} {'accuracy':>8} {'wrong':>5} {'escalated':>9} {'gap':>6} {'cost $':>8}")
        for name, p in rows:
            gap = "-" if p["gap_recovered"] is None else f"{100 * p['gap_recovered']:.0f}%"
            cost_text = "-" if p["cost"] is None else f"{p['cost']:.2f}"
            share = "-" if p["escalated_share"] is None else f"{100 * p['escalated_share']:.1f}%"
            lines.append(f"{name:<28} {100 * (p['accuracy'] or 0):>7.1f}% {p['wrong']:>5} {share:>9} {gap:>6} "
                         f"{cost_text:>8}")
        lines.append("curve, escalating by what the kernel said of the cheap answer:")
        for p in b["curve"]:
            gap = "-" if p["gap_recovered"] is None else f"{100 * p['gap_recovered']:.0f}%"
            cost_text = "-" if p["cost"] is None else f"{p['cost']:.2f}"
            lines.append(f"  {p['escalate']:<26} {100 * (p['accuracy'] or 0):>7.1f}% {p['wrong']:>5} "
                         f"{100 * (p['escalated_share'] or 0):>8.1f}% {gap:>6} {cost_text:>8}")
    return lines
