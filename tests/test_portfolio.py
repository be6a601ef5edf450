"""The portfolio: known answers through the race, losers killed and reaped, never more arms than cores."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from assay.kernel import pool as P
from assay.kernel.portfolio import DEFAULT_ARMS, definitive, race

from .test_pool import FACTOR, PIGEONS, SQUARES, TABLE, XY, _no_leftovers, _table_misses

# What the race must answer: the strongest answer any arm that may give it gives.
RACE = {name: ("unsat" if "unsat" in want.values() else "sat" if "sat" in want.values() else "unknown")
        for name, _, _, _, want in TABLE}


@pytest.fixture(scope="module")
def pool() -> Iterator[P.SolverPool]:
    p = P.SolverPool(2)
    yield p
    p.close()


def test_known_answers_through_the_race(pool: P.SolverPool) -> None:
    for name, text, variables, limits, _ in TABLE:
        r = race(pool, text, variables, timeout=20, rlimit=limits.get("rlimit"))
        assert r.raw == RACE[name], (name, r)
        if r.raw == "unknown":
            assert r.reason
        else:
            assert r.winner is not None
            assert definitive(r.winner)


@pytest.mark.parametrize("lie", ["sat", "unsat"])
def test_a_race_that_always_says_one_thing_fails_the_table(lie: str) -> None:
    assert [name for name in RACE if RACE[name] != lie] != []
    assert _table_misses(lambda *_: lie) != []


def test_the_bit_vector_arm_never_proves_unsat(pool: P.SolverPool) -> None:
    r = race(pool, FACTOR.format(n=97), XY, timeout=10, arms=("cvc5-int-as-bv",))
    assert r.winner is None
    assert r.replies[0] is not None
    assert r.replies[0].status == "unknown"
    assert r.replies[0].raw.startswith("unknown")  # cvc5's word: "unknown (INCOMPLETE)"


def test_a_model_from_the_race_satisfies_the_query(pool: P.SolverPool) -> None:
    r = race(pool, FACTOR.format(n=91), XY, timeout=10)
    assert r.winner is not None
    assert r.winner.model is not None
    assert r.winner.model["x"] * r.winner.model["y"] == 91


def test_arms_beyond_the_cores_wait_for_a_core(pool: P.SolverPool) -> None:
    # One core: the bit-vector arm gives up on UNSAT, z3 then proves it, cvc5 never starts.
    r = race(pool, PIGEONS, {}, timeout=10, arms=("cvc5-int-as-bv", "z3", "cvc5"), cores=1)
    assert [None if o is None else o.status for o in r.replies] == ["unknown", "unsat", None]
    assert r.cpu_seconds == pytest.approx(sum(o.cpu_seconds for o in r.replies if o is not None))


def test_the_losers_are_killed_and_reaped(pool: P.SolverPool) -> None:
    # z3 runs far past its limit on SQUARES; cvc5's model ends the race and z3's worker is killed.
    before = set(pool.pids())
    outs = pool.run_many([P.Job(SQUARES, {}, P.CONFIGS["z3"], timeout=60),
                          P.Job(FACTOR.format(n=91), XY, P.CONFIGS["cvc5"], timeout=60)], stop=definitive)
    slow, fast = outs
    assert fast is not None
    assert fast.raw == "sat"
    assert slow is not None
    assert (slow.raw, slow.reason.split(":")[0]) == ("unknown", "cancelled")
    r = race(pool, FACTOR.format(n=91), XY, timeout=10)
    assert r.raw == "sat"
    _no_leftovers(*(before - set(pool.pids())))


def test_default_arms_are_known_configurations() -> None:
    assert set(DEFAULT_ARMS) <= set(P.CONFIGS)
    assert [c for c in DEFAULT_ARMS if P.CONFIGS[c].finds_models_only] == ["cvc5-int-as-bv"]
