"""The differential fuzzer of whole program proofs (see tests/program_fuzzer.py), in the normal test run.

``ASSAY_FUZZ_PROGRAMS`` sets how many generated pairs (reference, candidate)
run (default 16, in chunks of 8); ``ASSAY_FUZZ_PROGRAMS_SEED`` the first seed
(default: drawn at random, printed with the summary and with every failure),
so a failure is reproduced by ``ASSAY_FUZZ_PROGRAMS=1 ASSAY_FUZZ_PROGRAMS_SEED=<seed>``.
A disagreement with CPython's brute force (above all an ACCEPTED program that
fails on some input of the bound), or a crash, fails; UNKNOWN, a reference
the front end refuses and a case over its time limit are counted and printed
(run with ``-s``).  The checker itself is tested against lying kernels on
fixed seeds: a judge is a parameter, so no production path is patched.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome

from .program_fuzzer import Prepared, Report, judge_case, prepare, run_case, summary

PAIRS = int(os.environ.get("ASSAY_FUZZ_PROGRAMS", "16"))
FIRST = int(os.environ.get("ASSAY_FUZZ_PROGRAMS_SEED", str(random.SystemRandom().randrange(10 ** 6))))
CHUNK = 8
CHUNKS = [(start, min(CHUNK, FIRST + PAIRS - start)) for start in range(FIRST, FIRST + PAIRS, CHUNK)]
# Each case's solver queries get this long; a case as a whole at most LIMIT seconds of the wall clock.
TIMEOUT = float(os.environ.get("ASSAY_FUZZ_PROGRAMS_TIMEOUT", "2.0"))
LIMIT = 90.0


@pytest.mark.parametrize(("start", "count"), CHUNKS, ids=[f"seeds{s}-{s + n - 1}" for s, n in CHUNKS])
def test_generated_programs_agree_with_cpython(start: int, count: int, tmp_path: Path) -> None:
    reports = [run_case(seed, tmp_path, timeout=TIMEOUT, limit=LIMIT) for seed in range(start, start + count)]
    print(f"\nseeds {start}..{start + count - 1} (ASSAY_FUZZ_PROGRAMS_SEED={FIRST}):\n{summary(reports)}")
    bad = [r for r in reports if r.disagreements]
    assert not bad, f"ASSAY_FUZZ_PROGRAMS_SEED={FIRST}\n\n" + "\n\n".join(r.describe() for r in bad)


# --- the checker against lying kernels ---------------------------------------------------------------------

LIAR_SEEDS = range(10)


@dataclass(frozen=True)
class Lie:
    """A stand-in verdict: what the checker reads of one (kernel verdicts are made only by the kernel)."""

    outcome: Outcome
    reason: str = "a lie"
    witness: dict[str, Any] | None = None


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> list[Prepared]:
    folder = tmp_path_factory.mktemp("liars")
    cases = [prepare(seed, folder) for seed in LIAR_SEEDS]
    judged = [c for c in cases if c.truth is not None]
    # The seeds hold candidates of both kinds, so each lie below has something to be caught on.
    assert any(c.report.failing for c in judged)
    assert any(not c.report.failing for c in judged)
    return judged


def _first_input(case: Prepared) -> dict[str, Any]:
    assert case.truth is not None
    return dict(zip(case.truth.names, case.truth.inputs[0], strict=True))


def _judged(cases: list[Prepared], judge: Any) -> list[Report]:
    return [judge_case(c, judge) for c in cases]


def test_a_kernel_that_accepts_everything_is_caught_on_every_failing_candidate(prepared: list[Prepared]) -> None:
    reports = _judged(prepared, lambda spec, text: Lie(Outcome.ACCEPTED))
    for r in reports:
        unsound = [d for d in r.disagreements if d.startswith("UNSOUND: ACCEPTED")]
        assert bool(unsound) == (r.failing > 0), r.describe()


def test_a_kernel_that_accepts_nothing_is_no_disagreement(prepared: list[Prepared]) -> None:
    # UNKNOWN is allowed: a kernel that never proves anything is useless but never wrong.
    reports = _judged(prepared, lambda spec, text: Lie(Outcome.UNKNOWN, "timeout: a lie"))
    assert all(not r.disagreements for r in reports)


def test_a_refutation_at_an_input_where_the_candidate_is_right_or_with_a_made_up_output_is_caught(
        prepared: list[Prepared]) -> None:
    cases = {id(c): c for c in prepared}

    def judge(case: Prepared) -> Any:
        return lambda spec, text: Lie(Outcome.REFUTED, witness={"inputs": _first_input(case), "output": 12345,
                                                                 "raised": None})
    for c in cases.values():
        (r,) = _judged([c], judge(c))
        assert r.disagreements, r.describe()
        assert "where the candidate meets the spec" in r.disagreements[0] or \
            "says it returns 12345" in r.disagreements[0]


def test_a_refutation_outside_the_bound_is_caught(prepared: list[Prepared]) -> None:
    for c in prepared:
        assert c.truth is not None
        outside = {n: 99 if isinstance(v, int) else v + [9] * 4 if isinstance(v, list) else v + "zzzz"
                   for n, v in _first_input(c).items()}
        (r,) = _judged([c], lambda spec, text, w=outside: Lie(Outcome.REFUTED, witness={"inputs": w}))
        assert any("outside the bound" in d for d in r.disagreements), r.describe()


@pytest.mark.parametrize("outcome", [Outcome.VACUOUS, Outcome.MALFORMED])
def test_vacuous_or_malformed_is_caught(prepared: list[Prepared], outcome: Outcome) -> None:
    reports = _judged(prepared, lambda spec, text: Lie(outcome))
    assert all(any(outcome.name in d for d in r.disagreements) for r in reports)


def test_a_crashing_kernel_is_caught(prepared: list[Prepared]) -> None:
    def judge(spec: Any, text: str) -> Any:
        raise RuntimeError("the kernel fell over")
    reports = _judged(prepared, judge)
    assert all(r.disagreements and r.disagreements[0].startswith("crash: RuntimeError") for r in reports)


def test_an_honest_kernel_agrees_on_the_fixed_seeds(prepared: list[Prepared]) -> None:
    from .program_fuzzer import check_program_judge

    reports = _judged(prepared, check_program_judge(TIMEOUT))
    assert not [r for r in reports if r.disagreements], "\n\n".join(r.describe() for r in reports
                                                                     if r.disagreements)
