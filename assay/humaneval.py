"""``assay humaneval TASKS PROGRAMS``: each recorded program of a HumanEval-style task, judged for a bound.

Each task (a line of TASKS, HumanEval+'s fields plus ``types``) becomes a
program spec through :mod:`assay.bridges.programs.humaneval`: its arguments'
domains within the bounds (``--bound``), its EvalPlus contract as the
precondition, its ``prompt + canonical_solution`` as the reference.  Each
program line (``{"task_id", "completion", ...}``) is assembled as EvalPlus
does and judged by :func:`judge`.

Verdicts, per program line, in input order:

* MALFORMED: the line is not a program record (bad JSON, a missing field),
  names no task of TASKS, or its completion does not parse (the line and
  column in the completion);
* UNKNOWN: the task could not be read, or is not solver-fit (floats, unions,
  imports in the reference, a contract with no single meaning: the reason
  says which), or the kernel could not decide;
* ACCEPTED / REFUTED: the kernel's, for every input of the bound.

``--format json`` prints one object per program line::

    {"task_id", "verdict", "reason", "counterexample", "bound", "seconds", "where", ...}

then every other field of the input line (``sample``, ``label``, ...); an
input field named like one of these is copied as ``input_<name>``.
``counterexample`` is ``{"inputs": {name: value}, "output": value, "raised":
"ExcType: message" or null}`` for a REFUTED program, else null; ``bound`` the
domain the verdict is about (null where there is no spec); ``where`` the
``{"line", "column"}`` of a MALFORMED completion.  ``--format text`` prints a
line per program and a summary (with a verdict-by-label table when the lines
carry a ``label``).

Exit codes as for ``assay check``: 0 when every program is ACCEPTED, 1 when
not, 2 on a usage error (a missing file, a bad ``--bound``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from assay.bridges.programs.assembly import Unparsable, assemble
from assay.bridges.programs.bounds import Bounds, with_override
from assay.bridges.programs.humaneval import (
    LineError,
    NotFit,
    ProgramLine,
    Task,
    TaskSpec,
    read_programs,
    read_tasks,
    task_spec,
)
from assay.errors import UsageError
from assay.kernel import Location, Outcome, Verdict, malformed
from assay.kernel.check import unknown
from assay.report import clip, printable

__all__ = ["ProgramResult", "TaskIndex", "contract_text", "judge", "judge_line", "run"]

_OURS: Final = ("task_id", "verdict", "reason", "counterexample", "bound", "seconds", "where")


def judge(spec: TaskSpec, program: str, *, timeout: float) -> Verdict:
    """The kernel's verdict on one ``program`` (the whole text, as EvalPlus assembles it) for one task.

    The program must agree with the task's reference (``prompt +
    canonical_solution``) on every input of the bound that the contract
    accepts: :func:`assay.kernel.programs.check_against_reference`, which
    compiles all three texts to the IR (never running them here) and runs them
    only in the sandbox to confirm a counterexample.  ACCEPTED for every input
    of the bound (the reason states it), REFUTED with the counterexample the
    sandbox reproduced, UNKNOWN with the reason, or MALFORMED.
    """
    from assay.kernel.programs import check_against_reference

    return check_against_reference(spec.entry_point, spec.parameters, spec.result, program,
                                   reference=spec.reference, contract=contract_text(spec), timeout=timeout)


def contract_text(spec: TaskSpec) -> str | None:
    """The contract as a program text defining ``__contract__(<the arguments>)`` (None: every input counts)."""
    from assay.kernel.programs import CONTRACT_ENTRY

    pre = spec.precondition
    if pre is None:
        return None
    import ast

    names = ", ".join(name for name, _ in spec.parameters)
    helpers = "".join(ast.unparse(h) + "\n\n" for h in pre.helpers)
    return f"{helpers}def {CONTRACT_ENTRY}({names}):\n    return {ast.unparse(pre.expr)}\n"


@dataclass(frozen=True)
class ProgramResult:
    """One program line's verdict, with what the report needs beside it."""

    verdict: Verdict
    task_id: str | None
    bound: str | None
    seconds: float
    fields: Mapping[str, Any]
    file: str
    line: int

    def to_json(self) -> dict[str, Any]:
        """The object ``--format json`` prints for this line."""
        where = self.verdict.where
        out: dict[str, Any] = {
            "task_id": self.task_id,
            "verdict": self.verdict.outcome.value,
            "reason": self.verdict.reason,
            "counterexample": counterexample(self.verdict),
            "bound": self.bound,
            "seconds": round(self.seconds, 6),
            "where": {"line": where.line, "column": where.column} if where is not None and where.line else None,
        }
        for key, value in self.fields.items():
            if key == "task_id":
                continue
            out[f"input_{key}" if key in _OURS else key] = value
        return out


def counterexample(verdict: Verdict) -> dict[str, Any] | None:
    """A REFUTED verdict's counterexample as JSON (see :func:`judge` for the witness it reads); else None."""
    w = verdict.witness
    if verdict.outcome is not Outcome.REFUTED or not isinstance(w, Mapping):
        return None
    raised = w.get("raised")
    return {"inputs": _jsonable(dict(w.get("inputs", {}))), "output": _jsonable(w.get("output")),
            "raised": None if raised is None else str(raised)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


class TaskIndex:
    """The tasks of TASKS by id, each turned into a spec once, when a program first needs it."""

    def __init__(self, items: Iterable[Task | LineError], bounds: Bounds) -> None:
        self.bounds = bounds
        self.tasks: dict[str, Task | LineError] = {}
        self.problems: list[str] = []  # lines of TASKS that are not tasks, for stderr
        self._specs: dict[str, TaskSpec | NotFit] = {}
        for item in items:
            tid = item.task_id
            if isinstance(item, LineError):
                self.problems.append(str(item))
            if tid is None:
                continue
            if tid in self.tasks:
                first = self.tasks[tid]
                self.problems.append(f"{item.file}:{item.line}: task {tid!r} again (line {first.line} is the one "
                                     "used)")
                continue
            self.tasks[tid] = item

    def spec(self, task: Task) -> TaskSpec | NotFit:
        """The task's spec, or why it has none (computed once)."""
        if task.task_id not in self._specs:
            self._specs[task.task_id] = task_spec(task, self.bounds)
        return self._specs[task.task_id]


def judge_line(item: ProgramLine | LineError, tasks: TaskIndex, *, timeout: float,
               started: float | None = None) -> ProgramResult:
    """The verdict on one program line (``started``: a ``time.perf_counter()`` reading of when it began)."""
    started = time.perf_counter() if started is None else started

    def result(verdict: Verdict, bound: str | None = None) -> ProgramResult:
        return ProgramResult(verdict, item.task_id, bound, time.perf_counter() - started, item.fields or {},
                             item.file, item.line)

    if isinstance(item, LineError):
        return result(malformed(str(item), Location(0, 0, item.field or "")))
    task = tasks.tasks.get(item.task_id)
    if task is None:
        return result(malformed(f"{item.file}:{item.line}: task_id {item.task_id!r} names no task of the tasks "
                                "file", Location(0, 0, "task_id")))
    if isinstance(task, LineError):
        return result(unknown(f"its task could not be read: {task}"))
    program = assemble(task.prompt, item.completion, task.entry_point)
    if isinstance(program, Unparsable):
        return result(malformed(f"the completion does not parse: {program}",
                                Location(program.line, program.column, "completion")))
    spec = tasks.spec(task)
    if isinstance(spec, NotFit):
        return result(unknown(f"the task is not solver-fit: {spec.reason}"))
    return result(judge(spec, program.text, timeout=timeout), spec.bound())


# --- the command ----------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """``assay humaneval``: judge every program line; print the report; return the exit code."""
    bounds = Bounds()
    for text in args.bound or ():
        try:
            bounds = with_override(bounds, text)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be at least 1, got {args.limit}")
    if not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    with _open(args.tasks, "tasks") as stream:
        tasks = TaskIndex(read_tasks(stream, args.tasks), bounds)
    for problem in tasks.problems:
        print(f"assay humaneval: warning: {problem}", file=sys.stderr)
    tally: Counter[str] = Counter()
    by_label: Counter[tuple[str, str]] = Counter()
    out = sys.stdout
    with _open(args.programs, "programs") as stream:
        for number, item in enumerate(read_programs(stream, _name(args.programs)), 1):
            if args.limit is not None and number > args.limit:
                break
            done = judge_line(item, tasks, timeout=args.timeout)
            tally[done.verdict.outcome.value] += 1
            label = done.fields.get("label")
            if isinstance(label, str):
                by_label[(done.verdict.outcome.value, label)] += 1
            if args.format == "json":
                out.write(json.dumps(done.to_json()) + "\n")
            else:
                out.write(_text_line(done) + "\n")
    total = sum(tally.values())
    summary = _summary(tally, by_label, bounds)
    if args.format == "text":
        out.write(summary + "\n")
    else:
        print(summary, file=sys.stderr)
    if total == 0:
        print(f"assay humaneval: warning: {_name(args.programs)} holds no programs", file=sys.stderr)
    return 0 if tally["accepted"] == total else 1


def _name(path: str) -> str:
    return "<stdin>" if path == "-" else path


@contextlib.contextmanager
def _open(path: str, what: str) -> Iterator[Iterable[bytes]]:
    """A JSON Lines file as binary lines (``-``: stdin), or a UsageError naming it."""
    if path == "-":
        yield sys.stdin.buffer
        return
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{what} file not found: {path}" if not p.exists() else f"{what} file is not a file: {path}")
    try:
        stream = p.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read {what} file {path}: {exc.strerror}") from exc
    with stream:
        yield stream


def _text_line(done: ProgramResult) -> str:
    reason = clip(printable(done.verdict.reason), 200)
    text = f"{printable(done.file)}:{done.line}  {printable(done.task_id or '-')}  {done.verdict.outcome}  {reason}"
    cex = counterexample(done.verdict)
    if cex is not None:
        text += f"\n    counterexample: {json.dumps(cex)}"
    return text


def _summary(tally: Counter[str], by_label: Counter[tuple[str, str]], bounds: Bounds) -> str:
    total = sum(tally.values())
    order = [o.value for o in Outcome if tally[o.value]]
    lines = [f"{total} programs: " + ", ".join(f"{tally[o]} {o}" for o in order) if total else "0 programs",
             f"bounds: {bounds.describe()}"]
    labels = sorted({label for _, label in by_label})
    if labels:
        width = max(len(o) for o in order)
        lines.append(" " * width + "".join(f"  {label:>8}" for label in labels))
        lines += [f"{o:<{width}}" + "".join(f"  {by_label[(o, label)]:>8}" for label in labels) for o in order]
    return "\n".join(lines)
