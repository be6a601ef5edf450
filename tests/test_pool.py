"""The warm worker pool: known answers on every configuration, faults that cost one query, no leftovers.

Every fault test ends by checking the process table: the dead worker is gone
(reaped, not a zombie), no child of this process is a zombie, and the pool
answers the next query.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from assay.kernel import pool as P
from assay.kernel import solvers
from assay.kernel.faults import Fault, FaultyPool, lie, on_configs
from assay.specs import load
from assay.specs import queries as q

from .paths import OK

XY = {"x": "Int", "y": "Int"}
FACTOR = ("(set-logic ALL)(declare-fun |x| () Int)(declare-fun |y| () Int)"
          "(assert (and (<= 2 |x| 100) (<= 2 |y| 100) (= (* |x| |y|) {n})))(check-sat)")
# 3, 9, 81, ... squared 40 times: the numbers outgrow any memory long before the search ends.
SQUARES = "\n".join(["(set-logic ALL)", *(f"(declare-fun |x{i}| () Int)" for i in range(40)),
                     "(assert (= |x0| 3))", *(f"(assert (= |x{i + 1}| (* |x{i}| |x{i}|)))" for i in range(39)),
                     "(assert (> |x39| 5))", "(check-sat)"])
PIGEONS = "\n".join(["(set-logic ALL)", *(f"(declare-fun |p{i}| () Int)" for i in range(5)),
                     *(f"(assert (and (<= 0 |p{i}| 3)))" for i in range(5)),
                     "(assert (distinct " + " ".join(f"|p{i}|" for i in range(5)) + "))", "(check-sat)"])

# name, query, variables, options, expected answer per configuration (the raw word as read_word reads it).
TABLE: list[tuple[str, str, dict[str, str], dict[str, int], dict[str, str]]] = [
    ("sat-factor", FACTOR.format(n=91), XY, {}, {"z3": "sat", "cvc5": "sat", "cvc5-int-as-bv": "sat"}),
    ("unsat-prime", FACTOR.format(n=97), XY, {}, {"z3": "unsat", "cvc5": "unsat", "cvc5-int-as-bv": "unknown"}),
    ("unsat-pigeons", PIGEONS, {}, {}, {"z3": "unsat", "cvc5": "unsat", "cvc5-int-as-bv": "unknown"}),
    ("sat-string", '(declare-fun |s| () String)(assert (= (str.len |s|) 3))(assert (str.prefixof "a\\u{e9}" |s|))',
     {"s": "String"}, {}, {"z3": "sat", "cvc5": "sat", "cvc5-int-as-bv": "unknown"}),  # no strings as bits
    # Unknown by design: a budget of one unit of solver work.
    ("unknown-rlimit", PIGEONS, {}, {"rlimit": 1}, {"z3": "unknown", "cvc5": "unknown", "cvc5-int-as-bv": "unknown"}),
]


def _children() -> dict[int, str]:
    """This process's children and their state letters, from /proc."""
    out: dict[int, str] = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == me:
            out[int(entry)] = fields[0]
    return out


def _no_leftovers(*dead: int) -> None:
    kids = _children()
    assert not [pid for pid, state in kids.items() if state == "Z"], kids
    for pid in dead:
        assert pid not in kids
        assert not os.path.exists(f"/proc/{pid}")


@pytest.fixture(scope="module")
def pool() -> Iterator[P.SolverPool]:
    p = P.SolverPool(2, memory_mb=2048)
    yield p
    p.close()


@pytest.fixture(scope="module")
def faulty() -> Iterator[FaultyPool]:
    """Workers that misbehave on the z3 job a test sends them while it injects a fault, and are honest otherwise."""
    p = FaultyPool(2, memory_mb=2048)
    yield p
    p.close()


def _faulted(p: FaultyPool, fault: Fault, *, timeout: float | None = 10.0, wall: float | None = None,
             memory_mb: int | None = None) -> P.WorkerReply:
    """One z3 job, answered by a worker that does ``fault`` (the plan is honest again afterwards)."""
    job = P.Job(FACTOR.format(n=91), XY, P.CONFIGS["z3"], timeout=timeout, wall=wall, memory_mb=memory_mb)
    with p.injecting(on_configs({"z3": fault})):
        out = p.solve(job)
    assert p.injected[-1] == (job, fault)
    return out


def _healthy(p: P.SolverPool) -> None:
    out = p.solve(P.Job(FACTOR.format(n=91), XY, P.CONFIGS["z3"], timeout=10))
    assert out.raw == "sat"
    assert out.model is not None
    assert out.model["x"] * out.model["y"] == 91


def _table_misses(answer: Callable[[str, str, dict[str, str], dict[str, int]], str]) -> list[str]:
    misses = []
    for name, text, variables, limits, expected in TABLE:
        for config, want in expected.items():
            got = answer(config, text, variables, limits)
            if got != want:
                misses.append(f"{name} on {config}: {got} (expected {want})")
    return misses


def test_known_answers_on_every_configuration(pool: P.SolverPool) -> None:
    def answer(config: str, text: str, variables: dict[str, str], limits: dict[str, int]) -> str:
        return pool.solve(P.Job(text, variables, P.CONFIGS[config], timeout=20, rlimit=limits.get("rlimit"))).status
    assert _table_misses(answer) == []


@pytest.mark.parametrize("word", ["sat", "unsat"])
def test_a_solver_that_always_says_one_thing_fails_the_table(faulty: FaultyPool, word: str) -> None:
    """Workers that always say ``word``, on the pool's own path: the table catches every row they get wrong."""
    def answer(config: str, text: str, variables: dict[str, str], limits: dict[str, int]) -> str:
        job = P.Job(text, variables, P.CONFIGS[config], timeout=20, rlimit=limits.get("rlimit"))
        with faulty.injecting(lambda _job: lie(word)):
            return faulty.solve(job).status
    wrong = [f"{name} on {config}: {word} (expected {want})"
             for name, _, _, _, expected in TABLE for config, want in expected.items() if want != word]
    assert wrong
    assert _table_misses(answer) == wrong


def test_a_fault_exists_only_in_a_tests_pool(pool: P.SolverPool) -> None:
    """No job field, no plain pool's message and no query text can turn a fault on."""
    assert "fault" not in {f.name for f in dataclasses.fields(P.Job)}
    assert "fault" not in pool._message(P.Job(FACTOR.format(n=91), XY, P.CONFIGS["z3"]))
    text = '(set-info :source |"fault": {"kind": "exit"}|)\n; "fault": {"kind": "exit"}\n' + FACTOR.format(n=91)
    for config in ("z3", "cvc5"):
        out = pool.solve(P.Job(text, XY, P.CONFIGS[config], timeout=10))
        assert (out.raw, out.reason) == ("sat", ""), config


def test_models_are_read_for_the_declared_variables(pool: P.SolverPool) -> None:
    text = '(declare-fun |s| () String)(declare-fun |b| () Bool)(assert (= |s| "a\\u{e9}\\u{0}"))'
    for config in ("z3", "cvc5"):
        out = pool.solve(P.Job(text, {"s": "String", "b": "Bool", "unused": "Int"}, P.CONFIGS[config]))
        assert (out.raw, out.model) == ("sat", {"s": "a\u00e9\x00", "b": False, "unused": 0}), config
        assert out.version not in ("", "unknown")


def test_an_exhausted_budget_is_unknown_with_its_reason(pool: P.SolverPool) -> None:
    for config in ("z3", "cvc5"):
        out = pool.solve(P.Job(PIGEONS, {}, P.CONFIGS[config], timeout=None, rlimit=1))
        assert (out.status, out.reason) == ("unknown", "resource-limit"), config
        assert out.raw == {"z3": "unknown", "cvc5": "unknown (RESOURCEOUT)"}[config]  # each solver's own word


def test_a_query_that_exhausts_memory_is_memout(pool: P.SolverPool) -> None:
    out = pool.solve(P.Job(SQUARES, {}, P.CONFIGS["cvc5"], timeout=60, memory_mb=400))
    assert out.raw == "unknown"
    assert out.reason.startswith("memout: "), out.reason
    _healthy(pool)
    _no_leftovers()


def test_a_worker_that_allocates_without_end_is_memout(faulty: FaultyPool) -> None:
    out = _faulted(faulty, Fault("allocate"), memory_mb=300, timeout=None, wall=30)
    assert out.reason.startswith("memout: "), out.reason
    _healthy(faulty)
    _no_leftovers()


def test_a_solver_that_ignores_its_time_limit_is_killed(pool: P.SolverPool) -> None:
    # z3 does not stop within its 0.2 s timeout on these numbers: the wall clock kills it.
    before = set(pool.pids())
    out = pool.solve(P.Job(SQUARES, {}, P.CONFIGS["z3"], timeout=0.2, wall=1.0))
    assert out.raw == "unknown"
    assert out.reason.startswith("timeout"), out.reason
    _healthy(pool)
    _no_leftovers(*(before - set(pool.pids())))


def test_a_hung_worker_is_killed_and_replaced(faulty: FaultyPool) -> None:
    out = _faulted(faulty, Fault("sleep", seconds=60), timeout=None, wall=0.5)
    assert out.reason.startswith("timeout: the worker was killed after "), out.reason
    _healthy(faulty)
    _no_leftovers()


@pytest.mark.parametrize(("kind", "reason"), [("segfault", "crash: the worker died (SIGSEGV)"),
                                               ("exit", "crash: the worker died (exit status 3)")])
def test_a_worker_that_dies_costs_one_query(faulty: FaultyPool, kind: str, reason: str) -> None:
    out = _faulted(faulty, Fault(kind), timeout=None, wall=5.0)
    assert (out.raw, out.reason) == ("unknown", reason)
    _healthy(faulty)
    _no_leftovers()


def test_a_worker_that_dies_is_a_crash_however_large_the_process_that_spawned_it() -> None:
    """Linux carries the peak RSS across exec: a worker spawned by a 400 MB process starts with a 400 MB peak.

    Past three quarters of a query's memory cap, that inherited peak read as the worker's own made a worker that
    died a ``memout`` (the full suite's pytest process grows past the 2 GB pools' 1.5 GB line).
    """
    ballast = b"\x01" * (400 * 1024 * 1024)  # written, so resident
    p = FaultyPool(1, memory_mb=2048)
    try:
        out = _faulted(p, Fault("exit"), timeout=None, wall=5.0, memory_mb=300)
        assert (out.raw, out.reason) == ("unknown", "crash: the worker died (exit status 3)")
    finally:
        p.close()
    assert len(ballast) == 400 * 1024 * 1024


def test_a_worker_killed_mid_query_is_a_crash_and_is_replaced() -> None:
    p = P.SolverPool(1)
    try:
        _healthy(p)
        [pid] = p.pids()
        result: list[P.WorkerReply] = []
        t = threading.Thread(target=lambda: result.append(
            p.solve(P.Job(SQUARES, {}, P.CONFIGS["z3"], timeout=60))))
        t.start()
        while p.pids():  # the worker is taken
            time.sleep(0.01)
        time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)
        t.join(30)
        assert not t.is_alive()
        assert (result[0].raw, result[0].reason) == ("unknown", "crash: the worker died (SIGKILL)")
        _healthy(p)
        assert p.pids() != [pid]
        _no_leftovers(pid)
    finally:
        p.close()


def test_a_worker_killed_while_idle_is_replaced() -> None:
    p = P.SolverPool(1)
    try:
        _healthy(p)
        [pid] = p.pids()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
        _healthy(p)
        _no_leftovers(pid)
    finally:
        p.close()


def test_close_stops_and_reaps_every_worker() -> None:
    p = P.SolverPool(2)
    p.run_many([P.Job(FACTOR.format(n=91), XY, P.CONFIGS[c]) for c in ("z3", "cvc5")])
    pids = p.pids()
    assert len(pids) == 2
    p.close()
    _no_leftovers(*pids)
    with pytest.raises(RuntimeError, match="closed"):
        p.solve(P.Job(FACTOR.format(n=91), XY, P.CONFIGS["z3"]))


@pytest.mark.parametrize(("text", "reason"), [
    (FACTOR.format(n=91) + "(exit)", "refused: the SMT-LIB command (exit ...) is not allowed in a query"),
    ("(set-option :produce-proofs true)" + FACTOR.format(n=91),
     "refused: the SMT-LIB command (set-option ...) is not allowed in a query"),
    ("(push 1)(assert false)", "refused: the SMT-LIB command (push ...) is not allowed in a query"),
    ('(assert (= "(exit)" "(exit)"))(assert (= |(reset)| 1))', ""),
])
def test_commands_that_change_the_solver_are_refused(text: str, reason: str) -> None:
    assert P.refusal(text) == reason


def test_an_oversized_query_is_refused_before_a_worker_sees_it(pool: P.SolverPool) -> None:
    text = "(assert true)" + " " * P.MAX_QUERY_BYTES
    out = pool.solve(P.Job(text, {}, P.CONFIGS["z3"]))
    assert (out.raw, out.reason) == ("unknown", f"refused: the query is {len(text)} bytes, over the limit of "
                                                f"{P.MAX_QUERY_BYTES}")


def test_a_parse_error_is_unknown_with_the_error(pool: P.SolverPool) -> None:
    for config in ("z3", "cvc5"):
        out = pool.solve(P.Job("(assert (> |x| 1))", {}, P.CONFIGS[config]))
        assert out.raw == "unknown"
        assert out.reason.startswith("error: "), out.reason


def test_the_chokepoint_answers_through_the_pool_as_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load(f"{OK}:chained")
    for givens, want in (({"lo": 0, "hi": 3}, "sat"), ({"lo": 0, "hi": 1}, "unsat")):
        query = q.any_solution(spec, givens)
        pooled = [solvers.run(query, s, timeout=10) for s in ("z3", "cvc5")]
        monkeypatch.setenv("ASSAY_SOLVER_POOL", "0")
        local = [solvers.run(query, s, timeout=10) for s in ("z3", "cvc5")]
        monkeypatch.delenv("ASSAY_SOLVER_POOL")
        assert [a.status for a in pooled] == [a.status for a in local] == [want, want]
        assert [a.version for a in pooled] == [a.version for a in local]
        # Both solved the one text a certificate records.
        sent = hashlib.sha256(query.smtlib().encode("utf-8")).hexdigest()
        assert [a.smtlib_sha256 for a in pooled] == [a.smtlib_sha256 for a in local] == [sent, sent]
        assert [a.options for a in pooled] == [a.options for a in local]
        for a in pooled:
            if want == "sat":
                assert spec.holds({**givens, spec.proposal.name: query.witness(a.model or {})})
    assert solvers.prove_unsat(q.any_solution(spec, {"lo": 0, "hi": 1}), timeout=10).status == "unsat"
    proof = solvers.prove_unsat(q.any_solution(spec, {"lo": 0, "hi": 3}), timeout=10)
    assert proof.status == "sat"
    assert len(proof.answers) == 1  # the first model ended the race


def test_answers_record_the_options_the_worker_used() -> None:
    from assay.kernel import check
    from assay.specs import load

    from .paths import OK

    v = check(load(f"{OK}:chained"), {"lo": 0, "hi": 3}, 1, timeout=7.0)
    options = {a["solver"]: a["options"] for a in v.solvers}
    assert options == {"z3": {"timeout": 7000},
                       "cvc5": {"produce-models": "true", "tlimit-per": "7000"}}
