"""``assay replay``: recorded formalisations from published neurosymbolic systems, decided by the kernel.

Each file is recognised by its shape: a Logic-LM record list (``{id, context,
question, options, answer, raw_logic_programs}``; the dataset from the file
name, else from the program's own sections) or LINC's raw generations
(``list[problem][sample]`` of strings, with the gold labels from
``--gold`` or the ``folio_references.json`` beside it).  Every program is
parsed by its bridge (never run), decided by :func:`assay.kernel.entail.decide`
and compared with the gold answer:

* accepted: an answer was given (ACCEPTED or REPAIRED); correct and wrong are
  counted among them; abstained: UNKNOWN or VACUOUS; malformed: MALFORMED;
* accuracy = correct / total (an abstention counts as not correct);
  selective accuracy = correct / accepted.

For files with several samples per problem (LINC), the samples are the
model's answers when asked again: assay's policy takes them one at a time and
stops when it can (see :func:`assay.bridges.logic.linc_policy.sequential`); the majority
vote over all of them (the published method) is reported beside it.

``--corroborate OTHER`` asks a second formalisation before an answer that
rests on something not following is given (an option marked
:attr:`~assay.kernel.entail.Option.open_question`: the open world's
"Uncertain"/"Unknown", the closed world's "False").  An answer proved from the
premises stands alone; one that rests on what the premises leave out holds
just as well when the model forgot a premise, so it is kept only when OTHER
(another model's formalisation of the same record id, decided only when
asked) answers the same option; otherwise the record counts as abstained, and
the details say why.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from assay.errors import UsageError

__all__ = ["FORMATS", "Corroboration", "ReplayTally", "detect", "replay_file"]

# Logic-LM datasets: the name in the file, and the bridge that reads its programs.
FORMATS = {
    "LogicalDeduction": "assay.bridges.logic.csp",
    "ProntoQA": "assay.bridges.logic.pronto",
    "ProofWriter": "assay.bridges.logic.pronto",
    "FOLIO": "assay.bridges.logic.folio",
    "AR-LSAT": "assay.bridges.logic.arlsat",
}
_LOGICLM_FIELDS = ("id", "options", "answer", "raw_logic_programs")


@dataclass
class ReplayTally:
    """One file's figures (the JSON object ``--format json`` prints)."""

    file: str
    format: str = ""
    total: int = 0
    accepted: int = 0
    correct: int = 0
    wrong: int = 0
    abstained: int = 0
    malformed: int = 0
    repaired: int = 0
    samples_used: int | None = None
    samples_available: int | None = None
    corroborated_by: str | None = None
    # Open-question answers that asked OTHER ("checked"), and those it agreed with ("kept").
    corroboration: dict[str, int] | None = None
    majority: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)

    def count(self, answer: str | None, gold: str, outcome: str) -> None:
        """One problem: ``answer`` None is abstained, or malformed when ``outcome`` says so."""
        self.total += 1
        if answer is not None:
            self.accepted += 1
            self.repaired += outcome == "repaired"
            if answer == gold:
                self.correct += 1
            else:
                self.wrong += 1
        elif outcome == "malformed":
            self.malformed += 1
        else:
            self.abstained += 1

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("errors", "majority") and v is not None}
        out["accuracy"] = round(self.correct / self.total, 4) if self.total else None
        out["selective_accuracy"] = round(self.correct / self.accepted, 4) if self.accepted else None
        if self.majority is not None:
            out["majority_vote"] = self.majority
        if self.errors:
            out["errors"] = len(self.errors)
        return out


def detect(path: Path, data: Any) -> str:
    """The format of a loaded file: a Logic-LM dataset name, or ``linc``; UsageError naming what is wrong."""
    if isinstance(data, list) and data and all(isinstance(p, list) for p in data):
        if all(isinstance(s, str) and s in ("True", "False", "Uncertain", "Error") for p in data for s in p):
            raise UsageError(f"{path}: this is a file of Prover9 labels (LINC's _prc file), not generations: "
                             "replay the _generations_raw.json file beside it")
        if all(isinstance(s, str) for p in data for s in p):
            return "linc"
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        for name in FORMATS:
            if path.name.startswith(name + "_") or path.name.startswith(name + "."):
                return name
        first = data[0]
        program = first.get("raw_logic_programs", [""])[0] if isinstance(first.get("raw_logic_programs"),
                                                                             list) else ""
        return _sniff(str(program), path)
    raise UsageError(f"{path}: unknown format: expected a Logic-LM record list "
                     f"({{{', '.join(_LOGICLM_FIELDS)}, ...}}) or LINC generations (a list of lists of strings)")


def _sniff(program: str, path: Path) -> str:
    if "EnumSort" in program:
        return "AR-LSAT"
    if "Domain:" in program and "Variables:" in program:
        return "LogicalDeduction"
    if "Premises:" in program and "Conclusion:" in program:
        return "FOLIO"
    if "Rules:" in program and "Facts:" in program:
        raise UsageError(f"{path}: a ProntoQA/ProofWriter program, but the file name does not say which "
                         "(closed or open world): name it ProntoQA_... or ProofWriter_...")
    raise UsageError(f"{path}: unknown format: the first record's program has none of the known sections")


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON (truncated?): line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}") from None


def replay_file(path: Path, *, gold: Path | None = None, timeout: float = 10.0, limit: int | None = None,
                details: TextIO | None = None, progress: bool = False,
                corroborate: Path | Corroboration | None = None) -> ReplayTally:
    """Replay one file; per-record errors are counted (as malformed) and listed, never raised.

    ``corroborate``: a Logic-LM file of the same dataset whose verdict must
    give the same answer before an open-question answer is kept (see the
    module docstring); UsageError naming both files when it is not one.
    """
    data = _load(path)
    fmt = detect(path, data)
    other = Corroboration(corroborate, timeout=timeout) if isinstance(corroborate, Path) else corroborate
    if other is not None and (fmt == "linc" or other.format != fmt):
        raise UsageError(f"{path} is {_describe(fmt)} but {other.path} (--corroborate) is {_describe(other.format)}: "
                         "a file is corroborated only by a Logic-LM file of the same dataset")
    tally = ReplayTally(str(path), fmt)
    if fmt == "linc":
        _replay_linc(path, data, gold, tally, timeout=timeout, limit=limit, details=details, progress=progress)
    else:
        _replay_logiclm(path, data, fmt, tally, timeout=timeout, limit=limit, details=details, progress=progress,
                        other=other)
    return tally


def _describe(fmt: str) -> str:
    return "LINC generations" if fmt == "linc" else f"a Logic-LM {fmt} file"


@dataclass(frozen=True)
class _Second:
    """OTHER's verdict on one record, as the corroboration rule reads it."""

    answer: str | None
    outcome: str
    reason: str
    text: str  # the answer option's words ("False"), or ""

    def says(self, name: str) -> str:
        if self.answer is None:
            return f"{name} abstains ({self.outcome})"
        return f"{name} answers {self.answer}" + (f" ({self.text})" if self.text else "")

    def to_json(self) -> dict[str, Any]:
        return {"answer": self.answer, "verdict": self.outcome, "reason": self.reason}


class Corroboration:
    """A second Logic-LM file (``--corroborate OTHER``): its records by id, each decided only when asked for."""

    def __init__(self, path: Path, *, timeout: float = 10.0) -> None:
        import importlib

        data = _load(path)
        self.path, self.format, self.timeout = path, detect(path, data), timeout
        self._records: dict[str, Any] = {}
        self._bridge: Any = None
        if self.format != "linc":
            self._bridge = importlib.import_module(FORMATS[self.format])
            for record in data:
                if isinstance(record, dict) and "id" in record:
                    self._records.setdefault(str(record["id"]), record)
        self._done: dict[str, _Second] = {}

    def verdict(self, rid: str) -> _Second | None:
        """OTHER's verdict on the record with id ``rid``; None when OTHER has no such record."""
        if rid not in self._records:
            return None
        if rid not in self._done:
            self._done[rid] = self._decide(rid, self._records[rid])
        return self._done[rid]

    def _decide(self, rid: str, record: dict[str, Any]) -> _Second:
        program, why = _program(record)
        if program is None:
            return _Second(None, "malformed", why, "")
        _, v = _judge(self._bridge, program, record, f"{self.path.name} record {rid}", self.format,
                      timeout=self.timeout)
        return _Second(v.answer, v.outcome.value, v.reason, _option_text(record, v.answer))


def _program(record: Any) -> tuple[str | None, str]:
    """A Logic-LM record's program, or None and why there is none to decide."""
    missing = [k for k in _LOGICLM_FIELDS if not isinstance(record, dict) or k not in record]
    if missing:
        return None, f"missing field(s) {', '.join(missing)}"
    programs = record["raw_logic_programs"]
    if not isinstance(programs, list) or not programs or not isinstance(programs[0], str):
        return None, "raw_logic_programs is not a non-empty list of strings"
    return programs[0], ""


def _option_text(record: dict[str, Any], label: str | None) -> str:
    options = record.get("options")
    if label is None or not isinstance(options, list):
        return ""
    for option in options:
        head, sep, text = str(option).partition(")")
        if sep and head.strip() == label:
            return text.strip()
    return ""


def _open_question(formalisation: Any, label: str) -> bool:
    """Whether the answered option rests on something not following (:attr:`Option.open_question`)."""
    return formalisation is not None and any(o.label == label and o.open_question for o in formalisation.options)


def _replay_logiclm(path: Path, records: list[dict[str, Any]], fmt: str, tally: ReplayTally, *, timeout: float,
                    limit: int | None, details: TextIO | None, progress: bool,
                    other: Corroboration | None = None) -> None:
    import importlib

    bridge = importlib.import_module(FORMATS[fmt])
    checked = kept = consulted = 0
    for n, record in enumerate(_bar(records[:limit], progress, path.name)):
        rid = record.get("id", f"#{n}") if isinstance(record, dict) else f"#{n}"
        program, why = _program(record)
        if program is None:
            tally.errors.append(f"{path} record {rid}: {why}")
            print(f"assay replay: {path} record {rid}: {why}; skipped, counted as malformed", file=sys.stderr)
            tally.count(None, str(record.get("answer", "")) if isinstance(record, dict) else "", "malformed")
            continue
        formalisation, verdict = _judge(bridge, program, record, f"{path.name} record {rid}", fmt,
                                        timeout=timeout)
        gold = str(record["answer"]).strip()
        answer, outcome, reason = verdict.answer, verdict.outcome.value, verdict.reason
        row: dict[str, Any] = {}
        if other is not None and answer is not None and _open_question(formalisation, answer):
            second = other.verdict(str(rid))
            checked += 1
            consulted += second is not None
            row = {"first_answer": answer, "corroboration": second.to_json() if second is not None else
                   {"answer": None, "verdict": "missing", "reason": f"no record {rid} in {other.path.name}"}}
            if second is not None and second.answer == answer:
                kept += 1
                reason += f"; corroborated: {second.says(other.path.name)} too"
            else:
                reason = "not corroborated: " + (second.says(other.path.name) if second is not None
                                                 else f"record {rid} is missing from {other.path.name}")
                answer, outcome = None, "unknown"
        tally.count(answer, gold, outcome)
        if details is not None:
            details.write(json.dumps({"file": path.name, "id": rid, "gold": gold, "answer": answer,
                                      "verdict": outcome, "reason": reason, **row,
                                      "changes": list(verdict.changes)}) + "\n")
    if other is not None:
        tally.corroborated_by = str(other.path)
        tally.corroboration = {"checked": checked, "kept": kept}
        tally.samples_used, tally.samples_available = tally.total + consulted, 2 * tally.total


def _judge(bridge: Any, program: str, record: Any, source: str, fmt: str, *, timeout: float) -> tuple[Any, Any]:
    """(the formalisation or None, the kernel's verdict) for one program: the bridge parses, the kernel decides."""
    from assay.bridges.logic.reoffload import judge

    if fmt in ("ProntoQA", "ProofWriter"):
        return judge(lambda: bridge.formalise(program, record, closed_world=fmt == "ProntoQA"), source,
                     timeout=timeout)
    return judge(lambda: bridge.formalise(program, record), source, timeout=timeout)


def _replay_linc(path: Path, problems: list[list[str]], gold_path: Path | None, tally: ReplayTally, *, timeout: float,
                 limit: int | None, details: TextIO | None, progress: bool) -> None:
    gold_path = gold_path or path.with_name("folio_references.json")
    if not gold_path.exists():
        raise UsageError(f"{path}: LINC generations need their gold labels: pass --gold REFERENCES "
                         f"(no {gold_path.name} beside the file)")
    gold = _load(gold_path)
    if not isinstance(gold, list) or len(gold) != len(problems):
        raise UsageError(f"{gold_path}: expected a list of {len(problems)} gold labels (one per problem in "
                         f"{path.name}), found {len(gold) if isinstance(gold, list) else type(gold).__name__}")
    from assay.bridges.logic import linc, linc_policy
    from assay.bridges.logic.reoffload import Resample
    from assay.bridges.models import ReplayBackend
    from assay.kernel.backends import Message

    used = available = 0
    majority = ReplayTally(str(path), "linc-majority")
    for n, samples in enumerate(_bar(problems[:limit], progress, path.name)):
        # The ten samples are the model's answers when asked again: served by a replay backend, read through
        # the same re-offload path a live model takes, each decided only when the policy asks for it.
        task = f"{path.name} problem {n}"
        answers = Resample(ReplayBackend({task: samples}, name=f"replay of {path.name}"),
                           (Message("user", task),), linc.formalise_sample, task=task, budget=len(samples),
                           timeout=timeout)
        decision = linc_policy.bayes_sequential(answers, budget=len(samples))
        answer, k = decision.answer, decision.samples_used
        used += k
        available += len(samples)
        label = str(gold[n])
        tally.count(answer, label, "accepted" if answer is not None else "unknown")
        vote = linc_policy.majority_vote(list(answers)).answer
        majority.count(vote, label, "accepted" if vote is not None else "unknown")
        if details is not None:
            details.write(json.dumps({"file": path.name, "problem": n, "gold": label, "answer": answer,
                                      "samples_used": k, "majority": vote,
                                      "samples": [a.outcome for a in answers.attempts]}) + "\n")
    tally.samples_used, tally.samples_available = used, available
    majority.samples_used, majority.samples_available = available, available
    tally.majority = {k: v for k, v in majority.to_json().items() if k not in ("file", "format")}


def _bar(items: Sequence[Any], progress: bool, name: str) -> Iterator[Any]:
    if not progress:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=name, unit="rec", file=sys.stderr, leave=False)


def show_progress() -> bool:
    """A progress bar only for a person at a terminal, never in CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def text_table(tallies: Sequence[ReplayTally]) -> str:
    """The figures of every file as a fixed-width table."""
    head = f"{'file':<58} {'total':>5} {'acc':>4} {'ok':>4} {'wrong':>5} {'abst':>4} {'malf':>4} {'rep':>4} " \
           f"{'accuracy':>8} {'selective':>9}"
    rows = [head]
    for t in tallies:
        j = t.to_json()
        acc = "-" if j["accuracy"] is None else f"{100 * j['accuracy']:.1f}%"
        sel = "-" if j["selective_accuracy"] is None else f"{100 * j['selective_accuracy']:.1f}%"
        rows.append(f"{Path(t.file).name[:58]:<58} {t.total:>5} {t.accepted:>4} {t.correct:>4} {t.wrong:>5} "
                    f"{t.abstained:>4} {t.malformed:>4} {t.repaired:>4} {acc:>8} {sel:>9}")
        if t.samples_used is not None:
            rows.append(f"{'':<58} samples used {t.samples_used} of {t.samples_available}")
        if t.corroboration is not None:
            c = t.corroboration
            rows.append(f"{'':<58} answers resting on no proof, corroborated by {Path(str(t.corroborated_by)).name}: "
                        f"{c['kept']} of {c['checked']} kept")
        if t.majority is not None:
            m = t.majority
            rows.append(f"{'':<58} majority vote of all samples: accuracy "
                        f"{100 * (m['accuracy'] or 0):.1f}%, {m['wrong']} wrong, {m['abstained']} abstained")
    return "\n".join(rows)


def run(args: Any, emit: Callable[[str], None] = print) -> int:
    """The ``assay replay`` subcommand (``args`` from the CLI parser)."""
    if getattr(args, "cascade", None):
        return _run_cascade(args, emit)
    if getattr(args, "price", None) or getattr(args, "baselines", False) or \
            getattr(args, "escalate", "unanswered") != "unanswered":
        raise UsageError("--price, --escalate and --baselines belong to a cascade: add --cascade STRONG.json")
    tallies = []
    failed = 0
    other = getattr(args, "corroborate", None)
    corroboration = Corroboration(Path(other), timeout=args.timeout) if other else None
    details = open(args.details, "w", encoding="utf-8") if args.details else None  # noqa: SIM115
    try:
        for name in args.files:
            try:
                t = replay_file(Path(name), gold=Path(args.gold) if args.gold else None, timeout=args.timeout,
                                limit=args.limit, details=details, progress=show_progress(),
                                corroborate=corroboration)
            except UsageError as exc:
                print(f"assay replay: error: {exc}", file=sys.stderr)
                failed += 1
                continue
            tallies.append(t)
            if args.format == "json":
                emit(json.dumps(t.to_json()))
    finally:
        if details is not None:
            details.close()
    if args.format == "text" and tallies:
        emit(text_table(tallies))
    return 1 if failed else 0


def _run_cascade(args: Any, emit: Callable[[str], None]) -> int:
    from .cascade import parse_price, replay_cascade, text_lines

    if len(args.files) != 1:
        raise UsageError(f"--cascade replays one cheap model's file, not {len(args.files)}: the files after it "
                         "are named by --cascade, strongest last")
    if getattr(args, "corroborate", None):
        raise UsageError("--cascade and --corroborate do not go together: --escalate open reads the next model "
                         "where an answer rests on something not following")
    prices = dict(parse_price(p) for p in (args.price or []))
    details = open(args.details, "w", encoding="utf-8") if args.details else None  # noqa: SIM115
    try:
        t = replay_cascade([Path(args.files[0]), *map(Path, args.cascade)], prices=prices, escalate=args.escalate,
                           timeout=args.timeout, limit=args.limit, details=details, progress=show_progress(),
                           with_baselines=args.baselines)
    finally:
        if details is not None:
            details.close()
    if args.format == "json":
        emit(json.dumps(t.to_json()))
    else:
        emit("\n".join([text_table([t]), *text_lines(t)]))
    return 0
