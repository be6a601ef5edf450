"""``assay demo``: the library's specs against a file of realistic model answers.

The bundled file (``assay/demo_data/answers.jsonl``) holds answers as models
write them: some right, some subtly wrong (two sudoku cells swapped, a meeting
one hour early, a knapsack that fits but is not the best), some malformed (a
refusal with no JSON, a fence cut off by the token limit), and a few tasks
that are impossible (contradictory sudoku givens, a triangle with two
colours), which the kernel must call VACUOUS rather than blame the model.
Each line also says which verdict it should get, so the demo checks the
kernel as much as it shows it: :func:`run` returns 0 only when every verdict
came out as designed and the certificates it wrote recheck.

Then the offload loop (``assay/demo_data/loop.jsonl``), with recorded model
outputs served by the replay backend: a wrong schedule repaired, a farmyard
answer cut off by the token limit re-offloaded with the parse error and right
the second time, and a graph coloured by the solvers alone; each with what it
cost (model calls, tokens, solver and wall seconds), recorded in the ledger
that ``assay report`` reads.

Last, a program task (``assay/demo_data/programs.jsonl``, its spec in
:mod:`assay.specs.library.running_max`): a model's function refuted by a counterexample
the real function reproduces in the sandbox, the counterexample sent back,
and the second program proved for every input of the bound.  Its ledger is
its own (``<store>/programs``).

No network and no model: every answer is in the files.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from assay.kernel import Location, Outcome, Verdict, check, malformed
from assay.specs import Spec, load

__all__ = ["DemoCase", "LoopCase", "demo_cases", "judge", "loop_cases", "program_cases", "run", "run_loop",
           "run_programs"]

_LIBRARY = "assay.specs.library."
_DATA = ("demo_data", "answers.jsonl")
_LOOP_DATA = ("demo_data", "loop.jsonl")
_PROGRAM_DATA = ("demo_data", "programs.jsonl")
_SHOWN_VIOLATIONS = 3
# Seconds per solver query.  The demo's proofs take well under a second each;
# the one slow query (is the password policy satisfiable at all, asked after
# the password without a digit is refuted) runs out of time on both solvers,
# which leaves that verdict REFUTED, as it should be, and costs 2 x this.
_SOLVER_TIMEOUT = 3.0


@dataclass(frozen=True)
class DemoCase:
    """One line of the demo file: a task, the model's answer, and the verdict it should get."""

    id: str
    spec: str  # "module:name" under assay.specs.library
    givens: dict[str, Any]
    proposal: Any  # a JSON value, or the model's raw text
    expect: Outcome
    note: str


def demo_cases() -> list[DemoCase]:
    """The bundled answers, in file order."""
    text = resources.files("assay").joinpath(*_DATA).read_text(encoding="utf-8")
    cases = []
    for line in text.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        cases.append(DemoCase(row["id"], row["spec"], row["givens"], row["proposal"],
                              Outcome(row["expect"]), row.get("note", "")))
    return cases


def judge(case: DemoCase, spec: Spec, store: Path | None) -> Verdict:
    """The kernel's verdict on one case: find the answer in the model's text, then check it."""
    found = _find_answer(spec, case.proposal)
    if isinstance(found, Verdict):
        return found
    proposal, where = found
    return check(spec, case.givens, proposal, store=store, where=where,
                 timeout=_SOLVER_TIMEOUT)


def run(store: Path, out: TextIO = sys.stdout) -> int:
    """Run the demo, writing certificates under ``store``; 0 when every verdict is as designed."""
    cases = demo_cases()
    specs: dict[str, Spec] = {}
    started = time.perf_counter()
    tally: Counter[Outcome] = Counter()
    surprises: list[str] = []
    certificates: list[Path] = []
    out.write(f"assay demo: {len(cases)} model answers to "
              f"{len({c.spec for c in cases})} tasks from assay.specs.library; "
              f"certificates go to {store}\n\n")
    for case in cases:
        spec = specs.get(case.spec) or specs.setdefault(case.spec, load(_LIBRARY + case.spec))
        verdict = judge(case, spec, store)
        tally[verdict.outcome] += 1
        as_designed = verdict.outcome is case.expect
        if not as_designed:
            surprises.append(case.id)
        out.write(_show(case, verdict, as_designed))
        if verdict.certificate is not None:
            certificates.append(Path(verdict.certificate))
    seconds = time.perf_counter() - started
    counts = ", ".join(f"{tally[o]} {o.value}" for o in
                       (Outcome.ACCEPTED, Outcome.REFUTED, Outcome.MALFORMED, Outcome.VACUOUS,
                        Outcome.UNKNOWN))
    out.write(f"\n{len(cases)} answers: {counts} in {seconds:.2f}s\n")
    if surprises:
        out.write(f"NOT AS DESIGNED: {len(surprises)} verdicts differ from the expected ones: "
                  f"{', '.join(surprises)}\n")
    else:
        out.write("every verdict is the one the demo expects\n")
    before = _certificates(store)
    loop_ok = run_loop(store, out)
    programs_ok = run_programs(store / "programs", out, certificates=store)
    certificates += sorted(_certificates(store) - before - set(certificates))
    rechecked = _recheck(certificates, out)
    return 0 if not surprises and loop_ok and programs_ok and rechecked else 1


@dataclass(frozen=True)
class LoopCase:
    """One task for the offload loop: the strategy, the recorded model outputs, the outcome it should get."""

    id: str
    spec: str
    givens: dict[str, Any]
    strategy: str
    samples: list[str]
    expect: Outcome
    note: str


def loop_cases() -> list[LoopCase]:
    """The bundled loop tasks, in file order."""
    text = resources.files("assay").joinpath(*_LOOP_DATA).read_text(encoding="utf-8")
    return [LoopCase(r["id"], r["spec"], r["givens"], r["strategy"], r["samples"], Outcome(r["expect"]),
                     r.get("note", ""))
            for r in map(json.loads, filter(str.strip, text.splitlines()))]


def run_loop(store: Path, out: TextIO = sys.stdout) -> bool:
    """The loop part of the demo: each task worked by its strategy with replayed model outputs; True if as designed."""
    from assay.api import parse_answer
    from assay.bridges.models.recorded import ReplayBackend
    from assay.kernel.ledger import Ledger
    from assay.kernel.loop import run_task
    from assay.kernel.strategies import PRESETS
    from assay.kernel.tasks import Budget, Task

    cases = loop_cases()
    model = ReplayBackend({c.id: c.samples for c in cases})
    budget = Budget(solver_seconds=30, model_calls=3, model_tokens=6000, wall_seconds=60)
    run_id = f"demo-{time.strftime('%Y%m%dT%H%M%S')}-{time.perf_counter_ns() % 10**6:06d}"
    out.write(f"\nthe offload loop: {len(cases)} tasks, model outputs replayed from the bundled file "
              f"(no network); the ledger is {store / 'ledger.sqlite'}\n\n")
    surprises = []
    with Ledger(store) as ledger:
        for case in cases:
            task = Task(load(_LIBRARY + case.spec), case.givens, budget, case.id)
            result = run_task(task, PRESETS[case.strategy].because(case.note), model=model if case.samples else None,
                              parser=parse_answer, ledger=ledger, run_id=run_id, store=store)
            as_designed = result.verdict.outcome is case.expect
            if not as_designed:
                surprises.append(case.id)
            mark = "" if as_designed else f"   <-- expected {case.expect}"
            out.write(f"{case.id:<30} {case.spec:<36} {result.verdict.outcome!s:<9} {case.strategy}{mark}\n")
            out.write(f"    ({case.note})\n")
            out.write("\n".join("  " + line for line in result.trace.text().splitlines()[1:]) + "\n")
            for change in result.verdict.changes:
                out.write(f"      changed: {change}\n")
    if surprises:
        out.write(f"NOT AS DESIGNED: {', '.join(surprises)}\n")
    else:
        out.write(f"every loop outcome is the one the demo expects; `assay report --store {store}` sums the ledger\n")
    return not surprises


def program_cases() -> list[LoopCase]:
    """The bundled program tasks, in file order (their specs are ``module:name`` references; no givens)."""
    text = resources.files("assay").joinpath(*_PROGRAM_DATA).read_text(encoding="utf-8")
    return [LoopCase(r["id"], r["spec"], {}, r["strategy"], r["samples"], Outcome(r["expect"]), r.get("note", ""))
            for r in map(json.loads, filter(str.strip, text.splitlines()))]


def run_programs(store: Path, out: TextIO = sys.stdout, *, certificates: Path | None = None) -> bool:
    """The program part of the demo: each program task re-offloaded with its counterexamples; True if as designed.

    The ledger goes under ``store``, a proved program's certificate under ``certificates`` (None: none).
    The evidence sent back to the model after each wrong program is printed under the attempt it answers.
    """
    from assay.bridges.models.recorded import ReplayBackend
    from assay.kernel.backends import Completion, Prompt
    from assay.kernel.ledger import Ledger
    from assay.kernel.loop import run_task
    from assay.kernel.strategies import PRESETS
    from assay.kernel.tasks import Budget, Task

    cases = program_cases()
    replay = ReplayBackend({c.id: c.samples for c in cases})
    sent: list[Prompt] = []

    class Kept:
        name = replay.name

        def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
            sent.append(prompt)
            return replay.complete(prompt, timeout=timeout)

    budget = Budget(solver_seconds=30, model_calls=3, model_tokens=8000, wall_seconds=60)
    run_id = f"demo-{time.strftime('%Y%m%dT%H%M%S')}-{time.perf_counter_ns() % 10**6:06d}"
    out.write(f"\nprograms: {len(cases)} task{'s' * (len(cases) != 1)}, the model's programs replayed; each wrong "
              f"one goes back with its counterexample; the ledger is {store / 'ledger.sqlite'}\n\n")
    surprises = []
    with Ledger(store) as ledger:
        for case in cases:
            sent.clear()
            task = Task(load(case.spec), {}, budget, case.id)
            result = run_task(task, PRESETS[case.strategy].because(case.note), model=Kept(), ledger=ledger,
                              run_id=run_id, store=certificates)
            as_designed = result.verdict.outcome is case.expect
            if not as_designed:
                surprises.append(case.id)
            mark = "" if as_designed else f"   <-- expected {case.expect}"
            out.write(f"{case.id:<30} {case.spec:<36} {result.verdict.outcome!s:<9} {case.strategy}{mark}\n")
            out.write(f"    ({case.note})\n")
            lines = result.trace.text().splitlines()[1:]
            for step, line in zip(result.trace.steps, lines, strict=False):
                out.write("  " + line + "\n")
                for then in (p for p in sent if p.attempt == step.attempt + 1):  # what the model was told next
                    out.write("\n".join("       > " + ln for ln in then.messages[-1].content.splitlines()) + "\n")
            out.write("  " + lines[-1] + "\n")
            if result.verdict.certificate is not None:
                out.write(f"    certificate: {result.verdict.certificate}\n")
            if result.ok:
                out.write("    the proved function:\n")
                out.write("\n".join("      " + ln for ln in str(result.answer).rstrip().splitlines()) + "\n")
    if surprises:
        out.write(f"NOT AS DESIGNED: {', '.join(surprises)}\n")
    else:
        out.write("every program outcome is the one the demo expects\n")
    return not surprises


def _certificates(store: Path) -> set[Path]:
    return set((store / "certificates").rglob("*.json")) if (store / "certificates").exists() else set()


def _show(case: DemoCase, verdict: Verdict, as_designed: bool) -> str:
    mark = "" if as_designed else f"   <-- expected {case.expect}"
    head = (f"{case.id:<30} {case.spec:<36} {verdict.outcome!s:<9} "
            f"{verdict.seconds:6.3f}s{mark}\n")
    body = [f"    ({case.note})"] if case.note else []
    if verdict.violations:
        body += [f"    line {v.line}: {v.detail}" for v in verdict.violations[:_SHOWN_VIOLATIONS]]
        if len(verdict.violations) > _SHOWN_VIOLATIONS:
            body.append(f"    ... and {len(verdict.violations) - _SHOWN_VIOLATIONS} more")
        if verdict.outcome is Outcome.VACUOUS:
            body.append(f"    {verdict.reason.split(';')[0]}")
    else:
        body.append(f"    {verdict.reason}")
    for claim in verdict.claims:
        detail = f" ({claim.detail})" if claim.detail else ""
        body.append(f"    claim {claim.name}: {claim.status}{detail}")
    if verdict.where is not None and verdict.outcome is Outcome.MALFORMED:
        body.append(f"    at {verdict.where}")
    return head + "\n".join(body) + "\n"


def _find_answer(spec: Spec, proposal: Any) -> tuple[Any, Location] | Verdict:
    """The answer in a proposal, as ``assay check`` finds it, or MALFORMED with the position."""
    try:
        from assay.bridges.answers import AnswerError, proposal_value
    except ImportError:  # the bridge is optional to the kernel; without it, only JSON values
        if isinstance(proposal, str):
            return malformed("the answer is raw text and assay.bridges.answers is not "
                             "installed to extract it", Location(path="proposal"))
        return proposal, Location()
    found = proposal_value(spec.proposal.domain, proposal)
    if isinstance(found, AnswerError):
        return malformed(f"no answer in the model's text: {found.message}",
                         Location(found.line, found.column, "proposal"))
    return found.value, Location(found.line, found.column)


def _recheck(certificates: list[Path], out: TextIO) -> bool:
    """Recheck the certificates this run wrote, independently of the run that wrote them."""
    try:
        from assay.proofs.recheck import recheck_path
    except ImportError:  # proofs/ is part of assay; this only guards a partial install
        out.write("recheck: assay.proofs.recheck is not available; skipped\n")
        return False
    out.write(f"\nrechecking the {len(certificates)} certificates written, independently "
              "of the run that wrote them ...\n")
    started = time.perf_counter()
    held = 0
    for path in certificates:
        for result in recheck_path(path):
            if result.ok:
                held += 1
            else:
                out.write(f"FAILED  {result.path}: {result.reason}\n")
    failed = len(certificates) - held
    out.write(f"{len(certificates)} certificates: {held} hold, {failed} failed "
              f"in {time.perf_counter() - started:.2f}s\n")
    return failed == 0
