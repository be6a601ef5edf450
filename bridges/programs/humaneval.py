"""HumanEval+ tasks and recorded completions, read into what the kernel checks a program against.

Two JSON Lines files, read a line at a time; a bad line is a :class:`LineError`
naming the file, line and field, and the other lines are still read.

* Tasks (``humaneval_tasks.jsonl``): ``task_id``, ``prompt``, ``entry_point``,
  ``canonical_solution`` (strings, required), ``contract`` (a string, may be
  left out), ``types`` (``{"args": {name: type}, "returns": type}``; without
  it the task is not solver-fit).  Other fields are kept in ``Task.fields``.
* Programs: ``task_id`` and ``completion`` (strings, required); every field of
  the line is kept, to be copied into the report.

:func:`task_spec` turns a task into a :class:`TaskSpec` (argument domains
from ``types`` within the bounds and narrowed by the contract, the
precondition, the reference program ``prompt + canonical_solution``) or says
why it is :class:`NotFit`: a type with no domain, or a contract with no
single meaning.  A reference that computes with floats (a float literal,
``/``, ``float()``) or imports a module (``math``, ``hashlib``) is fit: the
solvers do not prove over it (it is outside the program subset), but the
kernel's bounded search runs it in the sandbox and can still refute a
program that disagrees with it; one that imports a module reaching outside
the sandbox (``os``) is refused there as a program would be.
:func:`~.assembly.assemble` makes each completion's program.

Everything read here is untrusted text: parsed (JSON, then :mod:`ast`), never
run.  The reference and the programs run only in the kernel's sandbox.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from assay.specs.domains import Domain

from ..answers import BadJSON, parse_json, position
from .bounds import Bounds
from .contracts import ContractRefused, Precondition, read_contract
from .parsing import parse
from .signature import UnfitType, argument_domain, describe, result_domain

__all__ = ["LineError", "NotFit", "ProgramLine", "Task", "TaskSpec", "read_programs", "read_tasks", "task_spec"]

_TASK_STRINGS: Final = ("task_id", "prompt", "entry_point", "canonical_solution")


@dataclass(frozen=True)
class LineError:
    """A line that is not a task (or a program): the file, 1-based line, the field at fault (or None), why.

    ``fields`` holds the line's JSON object when it is one, so a report can
    still copy them; ``task_id`` the line's task id when it has a usable one.
    """

    file: str
    line: int
    field: str | None
    why: str
    task_id: str | None = None
    fields: dict[str, Any] | None = None

    def __str__(self) -> str:
        what = f"field {self.field!r}: " if self.field else ""
        return f"{self.file}:{self.line}: {what}{self.why}"


@dataclass(frozen=True)
class Task:
    """One HumanEval+ task as read (nothing checked beyond the fields' JSON types)."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    contract: str
    types: dict[str, Any] | None
    file: str = ""
    line: int = 0
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramLine:
    """One recorded program: its task, its completion text, and every field of its line."""

    task_id: str
    completion: str
    fields: dict[str, Any]
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class NotFit:
    """A task the bridge cannot make a spec of, and why (the reason its programs are UNKNOWN)."""

    task_id: str
    reason: str


@dataclass(frozen=True)
class TaskSpec:
    """What the kernel needs to judge a program of one task.

    ``parameters`` are the entry point's arguments in order with their
    domains; ``result`` the shape of what it returns; ``precondition`` the
    contract (None: every input of the domains); ``reference`` the program
    text whose entry point defines the right answer (``prompt +
    canonical_solution``, untrusted like any program).
    """

    task_id: str
    entry_point: str
    parameters: tuple[tuple[str, Domain], ...]
    result: Domain
    precondition: Precondition | None
    reference: str
    prompt: str
    contract: str = ""
    narrowings: tuple[str, ...] = ()

    def bound(self) -> str:
        """The bound a verdict on this task is about, in words."""
        inputs = "; ".join(f"{name}: {describe(d)}" for name, d in self.parameters)
        return inputs + ("; meeting the contract" if self.precondition is not None else "")


# --- reading ------------------------------------------------------------------------------------------------


def read_tasks(lines: Iterable[bytes], file: str) -> Iterator[Task | LineError]:
    """Each non-blank line of ``lines`` (bytes, as a binary file yields them) as a Task or a LineError."""
    for number, obj in _objects(lines, file):
        if isinstance(obj, LineError):
            yield obj
            continue
        yield _task(obj, file, number)


def read_programs(lines: Iterable[bytes], file: str) -> Iterator[ProgramLine | LineError]:
    """Each non-blank line of ``lines`` as a ProgramLine or a LineError, in order."""
    for number, obj in _objects(lines, file):
        if isinstance(obj, LineError):
            yield obj
            continue
        task_id = obj.get("task_id")
        bad = _field_error(obj, "task_id", str) or _field_error(obj, "completion", str)
        if bad is not None:
            yield LineError(file, number, bad[0], bad[1], task_id if isinstance(task_id, str) else None, obj)
            continue
        yield ProgramLine(obj["task_id"], obj["completion"], obj, file, number)


def _objects(lines: Iterable[bytes], file: str) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    for number, raw in enumerate(lines, 1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            column = len(raw[:exc.start].decode("utf-8", "replace")) + 1
            yield number, LineError(file, number, None, f"not valid UTF-8 at column {column}")
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        if not text.strip(" \t\r\n"):
            continue
        try:
            obj = parse_json(text)
        except BadJSON as exc:
            at = "" if exc.pos is None else f" at column {position(text, exc.pos)[1]}"
            yield number, LineError(file, number, None, f"not valid JSON{at}: {exc.message}")
            continue
        if not isinstance(obj, dict):
            yield number, LineError(file, number, None, f"expected a JSON object, got {type(obj).__name__}")
            continue
        yield number, obj


def _field_error(obj: dict[str, Any], name: str, kind: type) -> tuple[str, str] | None:
    if name not in obj:
        return name, "missing"
    if not isinstance(obj[name], kind):
        return name, f"expected a {kind.__name__}, got {_json_type(obj[name])}"
    return None


def _json_type(value: Any) -> str:
    return {type(None): "null", bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def _task(obj: dict[str, Any], file: str, number: int) -> Task | LineError:
    task_id = obj.get("task_id")
    tid = task_id if isinstance(task_id, str) else None
    for name in _TASK_STRINGS:
        bad = _field_error(obj, name, str)
        if bad is not None:
            return LineError(file, number, bad[0], bad[1], tid, obj)
    contract = obj.get("contract", "")
    if not isinstance(contract, str):
        return LineError(file, number, "contract", f"expected a string, got {_json_type(contract)}", tid, obj)
    types = obj.get("types")
    if types is not None and not isinstance(types, dict):
        return LineError(file, number, "types", f"expected an object, got {_json_type(types)}", tid, obj)
    if not obj["entry_point"].isidentifier():
        return LineError(file, number, "entry_point", f"{obj['entry_point']!r} is not a Python name", tid, obj)
    return Task(obj["task_id"], obj["prompt"], obj["entry_point"], obj["canonical_solution"], contract, types,
                file, number, obj)


# --- a task as a spec ---------------------------------------------------------------------------------------


def task_spec(task: Task, bounds: Bounds | None = None) -> TaskSpec | NotFit:
    """The spec of ``task`` within ``bounds`` (default :class:`Bounds`), or why the task is not solver-fit."""
    bounds = bounds or Bounds()
    reference = task.prompt + task.canonical_solution
    try:
        tree = parse(reference)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return NotFit(task.task_id, f"the reference (prompt + canonical_solution) does not parse: {exc}")
    entry = [s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == task.entry_point]
    if not entry:
        return NotFit(task.task_id, f"the reference defines no function {task.entry_point!r}")
    if task.types is None:
        return NotFit(task.task_id, "the task has no 'types' field: no domain for its arguments")
    args, returns = task.types.get("args"), task.types.get("returns")
    if not isinstance(args, dict) or not isinstance(returns, str):
        return NotFit(task.task_id, "'types' must be {\"args\": {name: type}, \"returns\": type}")
    params = _parameters(entry[-1])
    if params is None or params != list(args):
        shown = "an unusual signature" if params is None else f"({', '.join(params)})"
        return NotFit(task.task_id, f"'types' names the arguments ({', '.join(args)}), the entry point takes "
                                    f"{shown}")
    try:
        domains = {name: argument_domain(t, bounds) for name, t in args.items()}
        result = result_domain(returns)
    except UnfitType as exc:
        return NotFit(task.task_id, str(exc))
    try:
        contract = read_contract(task.contract, domains)
    except ContractRefused as exc:
        return NotFit(task.task_id, f"contract {exc}")
    return TaskSpec(task.task_id, task.entry_point, tuple(contract.domains.items()), result,
                    contract.precondition, reference, task.prompt, task.contract, contract.narrowings)


def _parameters(fn: ast.FunctionDef) -> list[str] | None:
    a = fn.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs:
        return None
    return [p.arg for p in a.args]
