"""Accuracy and cost of the offload loop's strategies on the spec library, with a simulated model.

The simulated model answers from the known solution of each task (found once
by the solvers, before the runs, and not charged): right with probability
``1 - error_rate``; otherwise a wrong answer (one field of the solution
changed), or a malformed one (the JSON cut off, as by a token limit).  Its
latency and token counts are parameters; latency is added to a simulated
clock, not slept, so wall seconds include it without the bench waiting.

Rows (all on the same tasks and the same seeded samples):

* ``model, unverified``: the model's first answer taken as it is (what a
  program without assay gets): right, or wrong and delivered;
* ``model``: the first answer, checked (a wrong one is refused);
* ``solver``: the solvers alone;
* ``model+repair``, ``reoffload`` (3 attempts with feedback), ``escalate``;
* ``policy``: the allocator's choice per task.

Every accepted or repaired answer is checked again here with the spec's own
evaluator (and, for knapsack, against the known optimum): the ``wrong``
column must be 0 for every verified row.

    python bench/bench_loop.py [--error-rate 0.5] [--seeds 2] [--latency 0.8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from assay.kernel.allocator import capabilities, choose
from assay.kernel.backends import BackendError, Completion, Prompt
from assay.kernel.loop import run_task
from assay.kernel.prompts import first_prompt
from assay.kernel.steps import kernel_steps
from assay.kernel.strategies import PRESETS, Choice
from assay.kernel.tasks import Budget, Task
from assay.specs import Spec, load

from assay.api import parse_answer

LIB = "assay.specs.library."
PETERSEN = [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0], [0, 5], [1, 6], [2, 7], [3, 8], [4, 9], [5, 7], [6, 8], [7, 9],
            [8, 5], [9, 6]]
MEETINGS = [{"name": "standup", "duration": 1, "available_from": 9, "available_until": 10},
            {"name": "design review", "duration": 2, "available_from": 9, "available_until": 17},
            {"name": "customer call", "duration": 1, "available_from": 14, "available_until": 16},
            {"name": "retro", "duration": 1, "available_from": 13, "available_until": 18}]
ITEMS = [{"name": n, "weight": w, "value": v} for n, w, v in (
    ("tent", 11, 60), ("stove", 4, 35), ("water filter", 2, 40), ("rope", 3, 10), ("lamp", 1, 5),
    ("first aid", 2, 45), ("chair", 6, 20))]

TASKS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("farm-35-94", "word_problem:chickens_and_rabbits", {"heads": 35, "legs": 94}),
    ("farm-20-56", "word_problem:chickens_and_rabbits", {"heads": 20, "legs": 56}),
    ("farm-50-140", "word_problem:chickens_and_rabbits", {"heads": 50, "legs": 140}),
    ("queens-5", "queens:n_queens", {"n": 5}),
    ("queens-6", "queens:n_queens", {"n": 6}),
    ("queens-8", "queens:n_queens", {"n": 8}),
    ("petersen-3", "colouring:graph_colouring", {"vertices": 10, "edges": PETERSEN, "colours": 3}),
    ("wheel-4", "colouring:graph_colouring", {"vertices": 6, "edges": [[0, i] for i in range(1, 6)]
                                              + [[i, i % 5 + 1] for i in range(1, 6)], "colours": 4}),
    ("schedule", "scheduling:meeting_schedule", {"meetings": MEETINGS, "precedence": [{"first": 1, "then": 3}]}),
    ("sort-6", "sorting:sorting", {"numbers": [5, -2, 9, 0, 5, 3]}),
    ("knapsack-7", "knapsack:knapsack", {"items": ITEMS, "capacity": 20}),
)


class SimClock:
    """Real time plus the simulated model latency, so wall seconds count the model without waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


@dataclass
class SimModel:
    """A seeded model: right, wrong (one field changed) or malformed (cut off), from the known solutions."""

    solutions: dict[str, Any]
    error_rate: float
    seed: int
    clock: SimClock
    latency: float = 0.8
    chars_per_token: float = 4.0
    name: str = "simulated"
    calls: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def answer(self, task: str) -> str:
        """One sample: the text the model writes for ``task``."""
        right = self.solutions[task]
        draw = self.rng.random()
        if draw >= self.error_rate:
            return f"Here is the answer.\n```json\n{json.dumps(right)}\n```"
        if draw < self.error_rate * 0.75:
            return f"Here is the answer.\n```json\n{json.dumps(perturb(right, self.rng))}\n```"
        text = json.dumps(right)
        return f"Here is the answer.\n```json\n{text[:max(1, len(text) // 2)]}"

    def complete(self, prompt: Prompt, *, timeout: float) -> Completion:
        self.calls += 1
        if self.latency > timeout:
            self.clock.offset += timeout
            raise BackendError("timeout", f"no answer in {timeout:.1f}s")
        self.clock.offset += self.latency
        text = self.answer(prompt.task)
        size = sum(len(m.content) for m in prompt.messages)
        return Completion(text, int(size / self.chars_per_token) + 1,
                          min(prompt.max_tokens, int(len(text) / self.chars_per_token) + 1), self.latency,
                          estimated=True)


def perturb(value: Any, rng: random.Random) -> Any:
    """The value with one leaf changed: an int moved by 1 or 2, a bool flipped."""
    leaves: list[tuple[Any, Any]] = []

    def walk(v: Any, parent: Any, key: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, v, k)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(x, v, i)
        elif parent is not None:
            leaves.append((parent, key))

    copy = json.loads(json.dumps(value))
    walk(copy, None, None)
    parent, key = rng.choice(leaves)
    old = parent[key]
    parent[key] = (not old) if isinstance(old, bool) else old + rng.choice((-2, -1, 1, 2))
    return copy


def correct(spec: Spec, givens: dict[str, Any], answer: Any, known: Any) -> bool:
    """Whether an answer (JSON) is right: the spec's own evaluator holds on it and, for a spec that
    maximizes or minimizes, its objective equals the known solution's (a feasible answer is not enough)."""
    from assay.specs.queries import objective_value

    try:
        value = spec.decode_proposal(answer)
        decoded = spec.decode_givens(givens)
    except ValueError:
        return False
    if spec.out_of_bounds(value) or not spec.holds({**decoded, spec.proposal.name: value}):
        return False
    if spec.sense is None:
        return True
    return objective_value(spec, decoded, value) == objective_value(spec, decoded, spec.decode_proposal(known))


@dataclass
class Row:
    name: str
    tasks: int = 0
    right: int = 0
    wrong: int = 0  # answers delivered that fail the spec
    calls: int = 0
    tokens: int = 0
    solver: float = 0.0
    wall: float = 0.0

    def line(self) -> str:
        acc = 100.0 * self.right / self.tasks if self.tasks else 0.0
        return (f"| {self.name} | {self.tasks} | {acc:.0f}% | {self.wrong} | {self.calls} | {self.tokens} | "
                f"{self.solver:.1f} | {self.wall:.1f} |")


def solutions(specs: dict[str, Spec]) -> dict[str, Any]:
    """The known answer of each task, from the solvers (not charged to any row)."""
    steps = kernel_steps()
    out = {}
    for tid, ref, givens in TASKS:
        verdict = steps.solve_outright(specs[ref], givens, timeout=60.0, store=None, budget=240.0)
        if verdict.answer is None:
            raise SystemExit(f"no known solution for {tid}: {verdict.outcome}: {verdict.reason}")
        out[tid] = specs[ref].proposal.domain.encode(specs[ref].decode_proposal(verdict.answer))
    return out


def run(error_rate: float, seeds: int, latency: float, budget: Budget) -> list[Row]:
    specs = {ref: load(LIB + ref) for _, ref, _ in TASKS}
    known = solutions(specs)
    rows = {name: Row(name) for name in ("model, unverified", "model", "solver", "model+repair", "reoffload",
                                         "escalate", "policy")}
    for seed in range(seeds):
        for name, row in rows.items():
            clock = SimClock()
            model = SimModel(known, error_rate, seed, clock, latency)
            for tid, ref, givens in TASKS:
                spec = specs[ref]
                row.tasks += 1
                if name == "model, unverified":
                    began = clock()
                    prompt_text = "".join(m.content for m in first_prompt(spec, givens))
                    text = model.answer(tid)
                    clock.offset += latency
                    found = parse_answer(spec, text)
                    ok = hasattr(found, "value") and correct(spec, givens, found.value, known[tid])
                    row.right += ok
                    row.wrong += not ok
                    row.calls += 1
                    row.tokens += int(len(prompt_text) / 4) + 1 + int(len(text) / 4) + 1
                    row.wall += clock() - began
                    continue
                task = Task(spec, givens, budget, tid)
                choice: Choice = choose(task, capabilities(task, has_model=True, cores=2)) if name == "policy" \
                    else PRESETS[name]
                result = run_task(task, choice, model=None if name == "solver" else model, parser=parse_answer,
                                  clock=clock)
                if result.ok:
                    if correct(spec, givens, result.answer, known[tid]):
                        row.right += 1
                    else:
                        row.wrong += 1
                spent = result.trace.spent
                row.calls += spent.model_calls
                row.tokens += spent.tokens
                row.solver += spent.solver_seconds
                row.wall += spent.wall_seconds
            print(f"  seed {seed} {name}: done", file=sys.stderr)
    return list(rows.values())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--error-rate", type=float, default=0.5)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--latency", type=float, default=0.8, help="simulated seconds per model call")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = p.parse_args(argv)
    budget = Budget(solver_seconds=30, model_calls=3, model_tokens=8000, wall_seconds=120)
    started = time.perf_counter()
    rows = run(args.error_rate, args.seeds, args.latency, budget)
    print(f"{len(TASKS)} tasks x {args.seeds} seeds, error rate {args.error_rate}, latency {args.latency}s/call, "
          f"budget {budget.to_json()}; {time.perf_counter() - started:.0f}s")
    print("| strategy | tasks | right | wrong delivered | model calls | tokens | solver s | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row.line())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump([vars(r) for r in rows], fh, indent=2)
    verified = [r for r in rows if r.name != "model, unverified"]
    return 1 if any(r.wrong for r in verified) else 0


if __name__ == "__main__":
    sys.exit(main())
