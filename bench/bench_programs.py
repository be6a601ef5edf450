"""assay against CrossHair and plain Hypothesis on the recorded HumanEval programs, in one run.

    python bench/bench_programs.py                          # the default sample (about 10-15 minutes, 2 cores)
    python bench/bench_programs.py --sample 0               # every program (hours)
    python bench/bench_programs.py --sample 40 --seed 1 --tools assay,hypothesis --out /tmp/bp

The data is ``../shared/datasets/programs`` (its README has the fields): 2,952 gpt-3.5 programs for the 164
HumanEval tasks, each labelled ``correct`` / ``wrong`` / ``error`` by HumanEval+.  Each task's spec is the
bridge's (:func:`assay.bridges.programs.humaneval.task_spec`): the arguments' domains within the default bounds,
the EvalPlus contract, the canonical solution as the reference.  A task with no spec (floats, unions, ...) is
"not run" for every tool, since no tool then has the same bounds.  Every tool judges a program by agreement
with the reference on the inputs of the bound the contract accepts; an input on which the reference raises does
not count (as for assay).

* **assay**: ``assay humaneval TASKS PROGRAMS --format json`` in subprocesses (``--jobs`` shards), its verdicts.
* **hypothesis**: ``--draws`` inputs drawn (seeded) from :func:`assay.kernel.search.strategy` of each argument's
  domain, the contract, the reference and the program run on them in the sandbox
  (:func:`assay.kernel.sandbox.run_calls`); refuted when the program raises or returns something else where the
  reference returns, on an input the contract accepts (the smallest such input is the counterexample); never
  proved.
* **crosshair**: ``crosshair diffbehavior`` (``crosshair-tool`` installed by this script into its own venv,
  ``--crosshair-venv``; not a dependency of assay) on two modules written per program, the reference's and the
  program's, each with a typed wrapper that raises CrossHair's ``IgnoreAttempt`` outside the bounds and the
  contract and passes a deep copy of the arguments (a mutated argument is no difference HumanEval+ sees).  One
  subprocess per program under RLIMIT_CPU and RLIMIT_AS, in a fresh folder, with a minimal environment and
  ``--per_condition_timeout``.  Refuted when it prints a difference on which the reference returns; "exhausted"
  when it says all paths were exhausted ("likely the same": its docs say no difference is no guarantee), else
  unknown.  ``diffbehavior`` searches until its time limit or until its paths run out, also after it has found a
  difference, so its seconds are what a user waits for its answer.

Every counterexample is then checked here, in the sandbox (never in this process): is it inside the bound and
the contract, and does it replay (the reference returns, the program raises or returns something else).  The
report (JSON and Markdown in ``--out``, the Markdown printed) gives per tool the confusion matrix (outcome x
label) over all sampled programs and over the dataset's ``solver_fit`` tasks, median and 90th-percentile seconds
per program run, the counterexamples inside and outside the contract, the targets of the issue, and every assay
verdict that disagrees with a label.  Every number in it comes from the run.  Timings are wall-clock seconds
with ``--jobs`` programs at a time and vary with the machine's load (the report gives the load average).
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import functools
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from assay.bridges.programs.assembly import Unparsable, assemble
from assay.bridges.programs.humaneval import NotFit, Task, TaskSpec, read_tasks, task_spec
from assay.kernel.programs import CONTRACT_ENTRY
from assay.kernel.sandbox import CallResult, run_calls
from assay.kernel.search import strategy
from assay.specs.domains import BoolDomain, DecodeError, Domain, IntDomain, ListDomain, StrDomain, TupleDomain
from assay.specs.program import ProgramMalformed, screened

from assay.humaneval import contract_text

ROOT: Final = Path(__file__).resolve().parent.parent
DEFAULT_DATA: Final = ROOT.parent / "shared" / "datasets" / "programs"
TOOLS: Final = ("assay", "hypothesis", "crosshair")
OUTCOMES: Final = ("proved", "refuted", "exhausted", "unknown", "not run")
LABELS: Final = ("correct", "wrong", "error")
# Per sampled task at most: wrong programs that pass every base input, correct ones, wrong ones failing a base input.
PER_TASK: Final = (3, 2, 1)
CROSSHAIR_PACKAGE: Final = "crosshair-tool"
# The sandbox's outcomes that say what the function does (the others are no evidence about it).
FINISHED: Final = ("returned", "raised")


@dataclass
class Item:
    """One sampled program: its line, its task, the task's spec (or why none), the program text that runs."""

    key: str
    line: dict[str, Any]
    task: Task
    spec: TaskSpec | NotFit
    code: str | None  # the assembled, screened program; None when it does not parse or define the entry
    why_not: str = ""

    @property
    def fit(self) -> bool:
        return bool(self.task.fields.get("solver_fit"))


@dataclass
class Result:
    """One tool's outcome on one program, and what the check of its counterexample found."""

    tool: str
    key: str
    task_id: str
    label: str
    solver_fit: bool
    base_pass: bool
    outcome: str
    seconds: float | None
    reason: str
    counterexample: dict[str, Any] | None = None
    in_bound: bool | None = None
    in_contract: bool | None = None
    replayed: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- the sample ------------------------------------------------------------------------------------------------


def load(data: Path) -> tuple[dict[str, Task], list[dict[str, Any]]]:
    """The tasks by id and the program lines, read from the dataset folder."""
    with (data / "humaneval_tasks.jsonl").open("rb") as f:
        tasks = {t.task_id: t for t in read_tasks(f, "humaneval_tasks.jsonl") if isinstance(t, Task)}
    with (data / "gpt-3.5_programs.jsonl").open(encoding="utf-8") as f:
        programs = [json.loads(line) for line in f if line.strip()]
    return tasks, programs


def sample(tasks: dict[str, Task], programs: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """Every program when ``n`` is 0; else whole tasks, drawn in a seeded order that interleaves solver-fit and
    other tasks in their proportion, until ``n`` programs: from each task its wrong programs that pass every
    base input, its correct ones and its wrong ones that fail a base input, at most :data:`PER_TASK` of each."""
    if n == 0:
        return programs
    rng = random.Random(seed)
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in programs:
        by_task[p["task_id"]].append(p)
    strata = [sorted(t for t in by_task if bool(tasks[t].fields.get("solver_fit")) is fit) for fit in (True, False)]
    order: list[tuple[float, str]] = []
    for stratum in strata:
        rng.shuffle(stratum)
        order += [((i + 0.5) / len(stratum), t) for i, t in enumerate(stratum)]
    picked: list[dict[str, Any]] = []
    for _, tid in sorted(order):
        progs = by_task[tid]
        groups = ([p for p in progs if p["label"] == "wrong" and p["first_failure"] is None],
                  [p for p in progs if p["label"] == "correct"],
                  [p for p in progs if p["label"] == "wrong" and p["first_failure"] is not None])
        for group, most in zip(groups, PER_TASK, strict=True):
            picked += rng.sample(group, min(most, len(group)))
        if len(picked) >= n:
            break
    return picked


def items_of(tasks: dict[str, Task], lines: list[dict[str, Any]]) -> list[Item]:
    """Each line with its task, spec and runnable program text."""
    specs: dict[str, TaskSpec | NotFit] = {}
    out = []
    for line in lines:
        task = tasks[line["task_id"]]
        if task.task_id not in specs:
            specs[task.task_id] = task_spec(task)
        spec = specs[task.task_id]
        key = f"{line['task_id']}#{line['sample']}"
        code, why = None, ""
        assembled = assemble(task.prompt, line["completion"], task.entry_point)
        if isinstance(assembled, Unparsable):
            why = f"the completion does not parse: {assembled}"
        else:
            try:
                code = screened(assembled.text, task.entry_point)
            except ProgramMalformed as exc:
                why = f"malformed: {exc}"
        out.append(Item(key, line, task, spec, code, why))
    return out


def _result(tool: str, item: Item, outcome: str, seconds: float | None, reason: str, *,
            counterexample: dict[str, Any] | None = None, **extra: Any) -> Result:
    return Result(tool, item.key, item.task.task_id, item.line["label"], item.fit,
                  item.line["label"] == "wrong" and item.line["first_failure"] is None, outcome, seconds, reason,
                  counterexample, extra=extra)


def _not_run(tool: str, item: Item) -> Result | None:
    """A result for a program this tool cannot be given the same bounds for, else None."""
    if isinstance(item.spec, NotFit):
        return _result(tool, item, "not run", None, f"the task has no spec: {item.spec.reason}")
    if item.code is None:
        return _result(tool, item, "not run", None, item.why_not)
    return None


# --- assay -----------------------------------------------------------------------------------------------------


def run_assay(items: list[Item], data: Path, out: Path, timeout: float, jobs: int) -> list[Result]:
    """``assay humaneval --format json`` on the sampled lines, in ``jobs`` shards run at once."""
    shards = [items[i::jobs] for i in range(jobs)]
    procs = []
    for i, shard in enumerate(shards):
        path = out / f"assay_programs_{i}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for item in shard:
                f.write(json.dumps({**item.line, "bench_key": item.key}) + "\n")
        cmd = [sys.executable, "-c", "import sys; from assay.cli import main; sys.exit(main(sys.argv[1:]))",
               "humaneval", str(data / "humaneval_tasks.jsonl"), str(path), "--format", "json",
               "--timeout", str(timeout)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=out))
    by_key: dict[str, dict[str, Any]] = {}
    for proc in procs:
        stdout, stderr = proc.communicate()
        if proc.returncode not in (0, 1):
            print(f"assay humaneval exited {proc.returncode}: {stderr[-2000:]}", file=sys.stderr)
        for text in stdout.splitlines():
            obj = json.loads(text)
            by_key[obj["bench_key"]] = obj
    results = []
    for item in items:
        obj = by_key.get(item.key)
        if obj is None:
            results.append(_result("assay", item, "unknown", None, "assay humaneval printed no verdict"))
            continue
        outcome = {"accepted": "proved", "refuted": "refuted"}.get(obj["verdict"], "unknown")
        if outcome == "unknown" and (isinstance(item.spec, NotFit) or item.code is None):
            outcome = "not run"
        cx = obj["counterexample"]
        results.append(_result("assay", item, outcome, None if outcome == "not run" else obj["seconds"],
                               obj["reason"], counterexample=None if cx is None else cx["inputs"],
                               verdict=obj["verdict"], output=None if cx is None else cx.get("output"),
                               raised=None if cx is None else cx.get("raised")))
    return results


# --- plain Hypothesis ------------------------------------------------------------------------------------------


def drawn(spec: TaskSpec, n: int, seed: int) -> list[list[Any]]:
    """``n`` argument lists Hypothesis draws (seeded) from the domains' strategies, without repeats."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    out: list[list[Any]] = []
    seen: set[str] = set()

    @hypothesis_seed(seed)
    @settings(max_examples=n, database=None, phases=[Phase.generate], deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*(strategy(d) for _, d in spec.parameters)))
    def collect(args: tuple[Any, ...]) -> None:
        if repr(args) not in seen:
            seen.add(repr(args))
            out.append(list(args))

    collect()
    return out


def _size(value: Any) -> tuple[int, int]:
    if isinstance(value, list | tuple):
        parts = [_size(v) for v in value]
        return 1 + sum(p[0] for p in parts), sum(p[1] for p in parts)
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, bool):
        return 0, int(value)
    return (0, abs(value)) if isinstance(value, int) else (0, 0)


def run_hypothesis_one(item: Item, draws: int, seed: int, seconds_per_call: float, timeout: float) -> Result:
    """Plain Hypothesis testing of one program against its reference, every call in the sandbox."""
    skipped = _not_run("hypothesis", item)
    if skipped is not None:
        return skipped
    spec = item.spec
    assert isinstance(spec, TaskSpec)
    assert item.code is not None
    start = time.perf_counter()
    inputs = drawn(spec, draws, seed)
    if spec.precondition is not None:
        met = run_calls(contract_text(spec) or "", CONTRACT_ENTRY, inputs, seconds_per_call=seconds_per_call,
                        total_seconds=timeout)
        inputs = [a for a, m in zip(inputs, met, strict=True) if m.status == "returned" and m.value is True]
    expected = run_calls(spec.reference, spec.entry_point, inputs, seconds_per_call=seconds_per_call,
                         total_seconds=timeout)
    kept = [(a, e) for a, e in zip(inputs, expected, strict=True) if e.status == "returned"]
    ran: list[CallResult] = []
    unfinished = 0
    for at in range(0, len(kept), 50):  # chunks, so that a program that never finishes costs a few calls
        left = timeout - (time.perf_counter() - start)
        if left <= 0 or unfinished >= 3:
            break
        chunk = run_calls(item.code, spec.entry_point, [a for a, _ in kept[at:at + 50]],
                          seconds_per_call=seconds_per_call, total_seconds=left)
        ran += chunk
        unfinished += sum(r.status not in FINISHED for r in chunk)
    failing = [(a, e, r) for (a, e), r in zip(kept, ran, strict=False)
               if r.status == "raised" or (r.status == "returned" and r.value != e.value)]
    seconds = time.perf_counter() - start
    names = [n for n, _ in spec.parameters]
    if failing:
        args, e, r = min(failing, key=lambda f: _size(f[0]))
        what = f"raises {r.error}" if r.status == "raised" else f"returns {r.value!r}"
        return _result("hypothesis", item, "refuted", seconds,
                       f"{len(failing)} of {len(ran)} inputs fail; smallest: {what}, the reference {e.value!r}",
                       counterexample=dict(zip(names, args, strict=True)))
    return _result("hypothesis", item, "unknown", seconds,
                   f"{len(ran)} inputs run ({len(inputs)} drawn in the contract, {len(kept)} where the reference "
                   f"returns, {sum(r.status not in FINISHED for r in ran)} unfinished): none failed")


# --- CrossHair -------------------------------------------------------------------------------------------------


def install_crosshair(venv: Path) -> tuple[Path | None, str]:
    """The ``crosshair`` command of a venv holding crosshair-tool (made and installed when missing), and its
    version; or None and why it could not be installed."""
    exe = venv / "bin" / "crosshair"
    python = venv / "bin" / "python"
    try:
        if not exe.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True,
                           text=True, timeout=300)
            subprocess.run([str(python), "-m", "pip", "install", "-q", CROSSHAIR_PACKAGE], check=True,
                           capture_output=True, text=True, timeout=900)
        version = subprocess.run([str(python), "-c", "import importlib.metadata as m; "
                                  f"print(m.version({CROSSHAIR_PACKAGE!r}))"],
                                 check=True, capture_output=True, text=True, timeout=120).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        return None, f"{CROSSHAIR_PACKAGE} could not be installed in {venv}: {exc} {detail[-500:]}".strip()
    return exe, version


def annotation(d: Domain) -> str:
    """The Python type of a domain's values, as CrossHair reads it from a signature."""
    match d:
        case BoolDomain():
            return "bool"
        case IntDomain():
            return "int"
        case StrDomain():
            return "str"
        case ListDomain(elem=e):
            return f"list[{annotation(e)}]"
        case TupleDomain(items=items):
            return f"tuple[{', '.join(annotation(i) for i in items)}]"
    raise TypeError(f"no annotation for {d.describe()}")


def within(d: Domain, var: str, depth: int = 0) -> str:
    """A Python expression over ``var`` that is true when its value lies inside the domain's bounds."""
    match d:
        case IntDomain(lo=lo, hi=hi):
            parts = ([] if lo is None else [f"{lo} <= {var}"]) + ([] if hi is None else [f"{var} <= {hi}"])
            return " and ".join(parts) or "True"
        case StrDomain(max_len=n, alphabet=alphabet):
            parts = ([] if n is None else [f"len({var}) <= {n}"]) + (
                [] if alphabet is None else [f"all(_c in {alphabet!r} for _c in {var})"])
            return " and ".join(parts) or "True"
        case ListDomain(elem=e, min_len=lo, max_len=hi):
            item = f"_v{depth}"
            parts = [f"{lo} <= len({var})"] + ([] if hi is None else [f"len({var}) <= {hi}"])
            inner = within(e, item, depth + 1)
            if inner != "True":
                parts.append(f"all(({inner}) for {item} in {var})")
            return " and ".join(parts)
        case TupleDomain(items=items):
            return " and ".join(f"({within(i, f'{var}[{k}]', depth)})" for k, i in enumerate(items)) or "True"
    return "True"


def crosshair_modules(spec: TaskSpec, program: str) -> dict[str, str]:
    """The module files of one diffbehavior run: the admission test (bounds, contract), the reference, the program."""
    names = [n for n, _ in spec.parameters]
    args = ", ".join(names)
    bounds = " and ".join(f"({within(d, n)})" for n, d in spec.parameters) or "True"
    contract = contract_text(spec)
    admit = ["import copy", "from crosshair import IgnoreAttempt", "", contract or "", "",
             f"def bench_admit({args}):",
             "    try:",
             f"        ok = ({bounds})" + (f" and {CONTRACT_ENTRY}({args}) is True" if contract else ""),
             "    except Exception:",
             "        ok = False",
             "    if not ok:",
             "        raise IgnoreAttempt",
             ""]
    signature = ", ".join(f"{n}: {annotation(d)}" for n, d in spec.parameters)
    wrapper = ["", "", "import bench_admission as _bench_admission", "",
               f"def bench_entry({signature}):",
               f"    _bench_admission.bench_admit({args})",
               f"    return {spec.entry_point}(*_bench_admission.copy.deepcopy(({args}{',' if names else ''})))",
               ""]
    return {"bench_admission.py": "\n".join(admit), "bench_ref.py": spec.reference + "\n".join(wrapper),
            "bench_prog.py": program + "\n".join(wrapper)}


def parse_diffs(stdout: str) -> list[tuple[dict[str, Any] | None, str, str, str]]:
    """Each difference diffbehavior printed: its inputs (None when they are no Python literals), the raw
    ``Given`` text, what the reference did and what the program did."""
    lines = stdout.splitlines()
    out = []
    for i, text in enumerate(lines):
        if not text.startswith("Given: (") or i + 2 >= len(lines):
            continue
        given = text[len("Given: ("):].rstrip(",").removesuffix(")")
        ref, prog = (lines[i + 1].partition(" : ")[2], lines[i + 2].partition(" : ")[2])
        inputs: dict[str, Any] | None
        try:
            call = ast.parse(f"f({given})", mode="eval").body
            assert isinstance(call, ast.Call)
            inputs = {kw.arg or "": ast.literal_eval(kw.value) for kw in call.keywords}
        except (SyntaxError, ValueError, TypeError, AssertionError, RecursionError):
            inputs = None
        out.append((inputs, given, ref, prog))
    return out


def _limits(cpu: int, memory_mb: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run_crosshair_one(item: Item, exe: Path | None, why: str, *, timeout: float, memory_mb: int,
                      work: Path) -> Result:
    """``crosshair diffbehavior bench_ref.bench_entry bench_prog.bench_entry`` on one program, in its own folder."""
    if exe is None:
        return _result("crosshair", item, "not run", None, f"skipped: {why}")
    skipped = _not_run("crosshair", item)
    if skipped is not None:
        return skipped
    spec = item.spec
    assert isinstance(spec, TaskSpec)
    assert item.code is not None
    folder = Path(tempfile.mkdtemp(prefix="ch_", dir=work))
    try:
        for name, text in crosshair_modules(spec, item.code).items():
            (folder / name).write_text(text, encoding="utf-8")
        cmd = [str(exe), "diffbehavior", "bench_ref.bench_entry", "bench_prog.bench_entry",
               "--per_condition_timeout", str(timeout)]
        env = {"PATH": f"{exe.parent}:/usr/bin:/bin", "HOME": str(folder), "PYTHONHASHSEED": "0",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(folder), "LANG": "C.UTF-8"}
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, check=False, cwd=folder, env=env, capture_output=True, text=True,
                                  timeout=2 * timeout + 60, preexec_fn=_limits(int(1.5 * timeout) + 60, memory_mb),
                                  start_new_session=True)
        except subprocess.TimeoutExpired:
            return _result("crosshair", item, "unknown", time.perf_counter() - start,
                           f"ran past {2 * timeout + 60:.0f} s of wall clock")
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    diffs = parse_diffs(proc.stdout)
    counted = [d for d in diffs if not d[2].startswith("raises")]
    if counted:
        inputs, given, ref, prog = counted[0]
        return _result("crosshair", item, "refuted", seconds,
                       f"Given: ({given}): reference {ref}; program {prog}"
                       + ("" if inputs is not None else " (inputs are no Python literals)"),
                       counterexample=inputs, returncode=proc.returncode, differences=len(diffs))
    if "All paths exhausted" in proc.stdout:
        return _result("crosshair", item, "exhausted", seconds, proc.stdout.strip()[-300:],
                       returncode=proc.returncode)
    if diffs:
        reason = f"{len(diffs)} differences, each where the reference raises (none that counts)"
    elif proc.returncode in (0, 1):
        reason = proc.stdout.strip()[-300:]
    else:
        reason = f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-300:]}"
    return _result("crosshair", item, "unknown", seconds, reason, returncode=proc.returncode)


# --- counterexamples checked -------------------------------------------------------------------------------------


def check_counterexample(item: Item, result: Result) -> None:
    """Whether ``result``'s counterexample lies inside the bound and the contract, and whether it replays:
    the reference returns on it, the program raises or returns something else.  Runs only in the sandbox."""
    spec, cx = item.spec, result.counterexample
    if cx is None or not isinstance(spec, TaskSpec) or item.code is None:
        return
    try:
        args = [d.decode(cx[name], name) for name, d in spec.parameters]
    except (DecodeError, KeyError):
        result.in_bound = result.in_contract = result.replayed = False
        return
    result.in_bound = not any(list(d.out_of_bounds(a, n)) for (n, d), a in zip(spec.parameters, args, strict=True))
    if spec.precondition is None:
        result.in_contract = True
    else:
        (met,) = run_calls(contract_text(spec) or "", CONTRACT_ENTRY, [args])
        result.in_contract = met.status == "returned" and met.value is True
    (expected,) = run_calls(spec.reference, spec.entry_point, [args])
    (ran,) = run_calls(item.code, spec.entry_point, [args])
    result.replayed = expected.status == "returned" and (
        ran.status == "raised" or (ran.status == "returned" and ran.value != expected.value))


# --- the report ---------------------------------------------------------------------------------------------------


def _quantile(values: Sequence[float], q: float) -> float | None:
    """The median (q = 0.5), else the nearest-rank quantile; None for no values."""
    if not values:
        return None
    if q == 0.5:
        return statistics.median(values)
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(results: list[Result]) -> dict[str, Any]:
    """Per tool: the confusion matrices, timings, counterexample checks."""
    out: dict[str, Any] = {}
    for tool in TOOLS:
        mine = [r for r in results if r.tool == tool]
        if not mine:
            continue
        ran = [r for r in mine if r.seconds is not None]
        refuted = [r for r in mine if r.outcome == "refuted"]
        with_cx = [r for r in refuted if r.counterexample is not None]
        fit = [r for r in mine if r.solver_fit]
        fit_wrong = [r for r in fit if r.label == "wrong"]
        fit_correct = [r for r in fit if r.label == "correct"]
        out[tool] = {
            "matrix": _matrix(mine), "matrix_solver_fit": _matrix(fit),
            "matrix_wrong_passing_base": dict(Counter(r.outcome for r in mine if r.base_pass)),
            "programs_run": len(ran),
            "seconds_median": _quantile([r.seconds for r in ran if r.seconds is not None], 0.5),
            "seconds_p90": _quantile([r.seconds for r in ran if r.seconds is not None], 0.9),
            "refutation_seconds_median": _quantile([r.seconds for r in refuted if r.seconds is not None], 0.5),
            "counterexamples": len(with_cx),
            "inside_bound_and_contract": sum(bool(r.in_bound and r.in_contract) for r in with_cx),
            "outside_bound_or_contract": sum(r.in_bound is False or r.in_contract is False for r in with_cx),
            "replayed": sum(bool(r.replayed) for r in with_cx),
            "correct_refuted": sum(r.label == "correct" and r.outcome == "refuted" for r in mine),
            "wrong_proved": sum(r.label == "wrong" and r.outcome == "proved" for r in mine),
            "solver_fit_wrong": len(fit_wrong),
            "solver_fit_wrong_refuted_replayed": sum(r.outcome == "refuted" and bool(r.replayed) and
                                                     bool(r.in_bound and r.in_contract) for r in fit_wrong),
            "solver_fit_correct": len(fit_correct),
            "solver_fit_correct_proved": sum(r.outcome == "proved" for r in fit_correct),
        }
    if "assay" in out and "crosshair" in out:
        by_key = {(r.tool, r.key): r for r in results}
        pairs = [(by_key[("assay", r.key)].seconds, r.seconds) for r in results
                 if r.tool == "crosshair" and r.outcome == "refuted" and by_key[("assay", r.key)].outcome == "refuted"]
        a = _quantile([p[0] for p in pairs if p[0] is not None], 0.5)
        c = _quantile([p[1] for p in pairs if p[1] is not None], 0.5)
        out["both_refuted"] = {"programs": len(pairs), "assay_median": a, "crosshair_median": c,
                               "ratio": None if not a or c is None else c / a}
    return out


def _matrix(results: list[Result]) -> dict[str, dict[str, int]]:
    counts = Counter((r.outcome, r.label) for r in results)
    return {o: {lab: counts[(o, lab)] for lab in LABELS} for o in OUTCOMES}


def _pct(part: int, whole: int) -> str:
    return "-" if whole == 0 else f"{100 * part / whole:.0f} % ({part}/{whole})"


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def markdown(meta: dict[str, Any], stats: dict[str, Any], results: list[Result]) -> str:
    """The report, in Markdown."""
    lines = ["# assay, Hypothesis and CrossHair on recorded HumanEval programs", "",
             f"Command: `{meta['command']}`", "",
             f"Sample: {meta['programs']} programs of {meta['tasks']} tasks (seed {meta['seed']}); "
             f"{meta['with_spec']} programs of tasks with a spec, {meta['solver_fit']} of solver-fit tasks, "
             f"{meta['base_pass']} wrong programs that pass every base input.  Labels: {meta['labels']}.", "",
             f"Machine: {meta['cores']} cores, load average {meta['load_start']} at the start and {meta['load_end']} "
             f"at the end; {meta['jobs']} programs at a time; the run took {meta['wall']:.0f} s "
             f"({', '.join(f'{k} {v:.0f} s' for k, v in meta['tool_wall'].items())}).  Settings: {meta['settings']}.",
             ""]
    for tool, s in stats.items():
        if tool == "both_refuted":
            continue
        lines += [f"## {tool}", ""]
        for title, key in (("all sampled programs", "matrix"), ("solver-fit tasks", "matrix_solver_fit")):
            lines += [f"{title}:", "", "| outcome | correct | wrong | error |", "|---|---:|---:|---:|"]
            lines += [f"| {o} | " + " | ".join(str(s[key][o][lab]) for lab in LABELS) + " |"
                      for o in OUTCOMES if any(s[key][o].values())]
            lines.append("")
        passing = ", ".join(f"{k} {v}" for k, v in sorted(s["matrix_wrong_passing_base"].items()))
        lines += [f"Wrong programs that pass every base input: {passing or 'none sampled'}.", "",
                  f"Seconds per program ({s['programs_run']} run): median {_s(s['seconds_median'])}, "
                  f"90th percentile {_s(s['seconds_p90'])}; median of the refuted ones "
                  f"{_s(s['refutation_seconds_median'])}.", "",
                  f"Counterexamples: {s['counterexamples']}, {s['inside_bound_and_contract']} inside the bound and "
                  f"the contract, {s['outside_bound_or_contract']} outside; {s['replayed']} replay in the sandbox.",
                  ""]
    if "assay" in stats:
        a = stats["assay"]
        both = stats.get("both_refuted", {})
        ratio = both.get("ratio")
        lines += ["## Targets (assay)", "", "| target | measured | met |", "|---|---|---|",
                  f"| 0 correct programs refuted | {a['correct_refuted']} | {_yes(a['correct_refuted'] == 0)} |",
                  f"| 0 wrong programs accepted | {a['wrong_proved']} | {_yes(a['wrong_proved'] == 0)} |",
                  f"| >= 90 % of wrong solver-fit programs refuted with a replayed counterexample | "
                  f"{_pct(a['solver_fit_wrong_refuted_replayed'], a['solver_fit_wrong'])} | "
                  f"{_yes(_ge(a['solver_fit_wrong_refuted_replayed'], a['solver_fit_wrong'], 0.9))} |",
                  f"| >= 50 % of correct solver-fit programs proved | "
                  f"{_pct(a['solver_fit_correct_proved'], a['solver_fit_correct'])} | "
                  f"{_yes(_ge(a['solver_fit_correct_proved'], a['solver_fit_correct'], 0.5))} |",
                  f"| median refutation under 2 s | {_s(a['refutation_seconds_median'])} | "
                  f"{_yes(a['refutation_seconds_median'] is not None and a['refutation_seconds_median'] < 2)} |",
                  "| 10x faster than CrossHair on programs both refuted | "
                  + ("-" if not both else f"{both['programs']} programs: assay median {_s(both['assay_median'])}, "
                     f"CrossHair {_s(both['crosshair_median'])}, "
                     + ("-" if ratio is None else f"{ratio:.1f}x")) + " | "
                  f"{'-' if ratio is None else _yes(ratio >= 10)} |", ""]
    lines += per_program(results)
    wrongs = [r for r in results if (r.label == "correct" and r.outcome == "refuted")
              or (r.label == "wrong" and r.outcome == "proved")]
    lines += ["## Verdicts that disagree with the labels", ""]
    if not wrongs:
        lines += ["None.", ""]
    for r in wrongs:
        lines += [f"* {r.tool}: {r.key} ({r.label}, {r.outcome}; counterexample {r.counterexample}, inside "
                  f"{r.in_bound and r.in_contract}, replays {r.replayed}): {r.reason[:400]}"]
    return "\n".join(lines).rstrip() + "\n"


def per_program(results: list[Result]) -> list[str]:
    """A row per program some tool ran: each tool's outcome and seconds."""
    tools = [t for t in TOOLS if any(r.tool == t for r in results)]
    by_key: dict[str, dict[str, Result]] = defaultdict(dict)
    for r in results:
        by_key[r.key][r.tool] = r
    lines = ["## Per program", "",
             "`B`: wrong, yet passes every base input.  `every input`: assay's search ran every input of the bound "
             "and none failed (a wrong program so marked is wrong only outside the bound).", "",
             "| program | label | " + " | ".join(tools) + " |", "|---|---|" + "---|" * len(tools)]
    for key, row in by_key.items():
        if all(r.outcome == "not run" for r in row.values()):
            continue
        first = next(iter(row.values()))
        cells = []
        for t in tools:
            got = row.get(t)
            if got is None:
                cells.append("")
                continue
            note = " (every input)" if t == "assay" and "every one: none failed" in got.reason else ""
            cells.append(f"{got.outcome}{note} {_s(got.seconds)}")
        lines.append(f"| {key} | {first.label}{' B' if first.base_pass else ''} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def _ge(part: int, whole: int, share: float) -> bool:
    return whole > 0 and part >= share * whole


# --- the run ----------------------------------------------------------------------------------------------------


def _pool(jobs: int, work: Callable[[Item], Result], items: list[Item], tool: str) -> list[Result]:
    """``work`` on every item, ``jobs`` at a time (each runs its programs in subprocesses), saying how far."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(work, item) for item in items]
        for done, _ in enumerate(concurrent.futures.as_completed(futures), 1):
            if done % 10 == 0:
                print(f"{tool}: {done} of {len(items)} programs", file=sys.stderr)
        return [f.result() for f in futures]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the dataset folder")
    parser.add_argument("--sample", type=int, default=40, help="programs to sample (whole tasks; 0: every program)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample and of Hypothesis's draws")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated, of " + ", ".join(TOOLS))
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_programs"), help="where the reports go")
    parser.add_argument("--jobs", type=int, default=2, help="programs judged at a time")
    parser.add_argument("--assay-timeout", type=float, default=10.0, help="assay humaneval --timeout")
    parser.add_argument("--draws", type=int, default=200, help="inputs Hypothesis draws per program")
    parser.add_argument("--hypothesis-timeout", type=float, default=30.0, help="seconds per program")
    parser.add_argument("--crosshair-timeout", type=float, default=30.0,
                        help="diffbehavior --per_condition_timeout, CPU seconds per program")
    parser.add_argument("--crosshair-memory-mb", type=int, default=4096, help="RLIMIT_AS of a CrossHair run")
    parser.add_argument("--crosshair-venv", type=Path, default=Path("/tmp/bench_programs_crosshair_venv"),
                        help="the venv crosshair-tool is installed in (made when missing)")
    args = parser.parse_args(argv)
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if not tools or any(t not in TOOLS for t in tools):
        parser.error(f"--tools takes a comma-separated list of {', '.join(TOOLS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_start = os.getloadavg()
    tasks, programs = load(args.data)
    items = items_of(tasks, sample(tasks, programs, args.sample, args.seed))
    print(f"{len(items)} programs of {len({i.task.task_id for i in items})} tasks", file=sys.stderr)
    results: list[Result] = []
    tool_wall: dict[str, float] = {}
    settings: list[str] = []
    for tool in tools:
        t = time.perf_counter()
        if tool == "assay":
            results += run_assay(items, args.data, args.out, args.assay_timeout, args.jobs)
            settings.append(f"assay --timeout {args.assay_timeout:g}")
        elif tool == "hypothesis":
            results += _pool(args.jobs, lambda i: run_hypothesis_one(i, args.draws, args.seed, 0.5,
                                                                     args.hypothesis_timeout), items, tool)
            settings.append(f"Hypothesis {args.draws} draws, 0.5 s a call, {args.hypothesis_timeout:g} s a program")
        else:
            exe, version = install_crosshair(args.crosshair_venv)
            work = Path(tempfile.mkdtemp(prefix="crosshair_", dir=args.out))
            results += _pool(args.jobs, functools.partial(
                run_crosshair_one, exe=exe, why=version, timeout=args.crosshair_timeout,
                memory_mb=args.crosshair_memory_mb, work=work), items, tool)
            shutil.rmtree(work, ignore_errors=True)
            settings.append(f"CrossHair {version} --per_condition_timeout {args.crosshair_timeout:g}, "
                            f"RLIMIT_AS {args.crosshair_memory_mb} MB" if exe else f"CrossHair skipped: {version}")
        tool_wall[tool] = time.perf_counter() - t
        print(f"{tool}: {tool_wall[tool]:.0f} s", file=sys.stderr)
    by_key = {i.key: i for i in items}
    for r in results:
        check_counterexample(by_key[r.key], r)
    meta = {"command": " ".join(["python", "bench/bench_programs.py", *(argv if argv is not None else sys.argv[1:])]),
            "programs": len(items), "tasks": len({i.task.task_id for i in items}), "seed": args.seed,
            "with_spec": sum(isinstance(i.spec, TaskSpec) for i in items), "solver_fit": sum(i.fit for i in items),
            "base_pass": sum(i.line["label"] == "wrong" and i.line["first_failure"] is None for i in items),
            "labels": dict(Counter(i.line["label"] for i in items)), "cores": os.cpu_count(),
            "load_start": " ".join(f"{x:.1f}" for x in load_start),
            "load_end": " ".join(f"{x:.1f}" for x in os.getloadavg()), "jobs": args.jobs,
            "wall": time.perf_counter() - started, "tool_wall": tool_wall, "settings": "; ".join(settings)}
    stats = summary(results)
    report = markdown(meta, stats, results)
    (args.out / "bench_programs.json").write_text(json.dumps(
        {"meta": meta, "summary": stats, "results": [asdict(r) for r in results]}, indent=1, default=str) + "\n",
        encoding="utf-8")
    (args.out / "bench_programs.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
