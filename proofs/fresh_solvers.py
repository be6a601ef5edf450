"""Replay recorded SMT-LIB2 text on z3 and cvc5, each in a fresh Python process of its own.

The recheck asks the recorded query again from its text alone, so that what a
certificate shows is what is proved.  Each solver runs in a new interpreter
(``python -m assay.proofs.replay SOLVER``), never the kernel's workers: the
text goes in on stdin, one JSON line comes out.  The text passes
:func:`assay.specs.smtlib_hygiene.check_smtlib` in both processes before a
solver sees it.  A child that runs past its time is killed with its process
group; a crash, a kill or unreadable output is ``unknown`` with the reason,
never an answer.

The same runner produces cvc5's proof of an UNSAT for certificates
(``proof=True``), within a time limit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["MEMORY_MB", "SOLVERS", "ReplayAnswer", "main", "replay", "replay_both"]

SOLVERS: Final = ("z3", "cvc5")
MEMORY_MB: Final = 8192  # address-space cap of a replay process, set before a solver loads
_GRACE: Final = 5.0  # seconds past the solver's own limit before the process is killed


@dataclass(frozen=True)
class ReplayAnswer:
    """One solver's answer to a replayed text, from its own process."""

    solver: str
    result: str  # "sat" | "unsat" | "unknown"
    reason: str = ""
    version: str = ""
    options: dict[str, Any] | None = None
    seconds: float = 0.0
    proof: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"solver": self.solver, "version": self.version, "result": self.result, "reason": self.reason,
                "options": self.options or {}, "seconds": round(self.seconds, 6)}


def replay(text: str, solver: str, *, timeout: float, proof: bool = False,
           memory_mb: int = MEMORY_MB) -> ReplayAnswer:
    """Ask ``solver`` about ``text`` in a fresh process; ``proof`` asks cvc5 for its proof of an UNSAT.

    ``timeout`` is the solver's own limit in seconds; the process is killed
    ``timeout`` plus a grace period after it starts.
    """
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r} (expected one of {', '.join(SOLVERS)})")
    argv = [sys.executable, "-m", "assay.proofs.replay", solver, f"{timeout:.3f}", str(memory_mb)]
    if proof:
        argv.append("--proof")
    start = time.perf_counter()
    with subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as child:
        try:
            out, err = child.communicate(text.encode("utf-8"), timeout=timeout + _GRACE)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            child.communicate()
            return ReplayAnswer(solver, "unknown", f"timeout (the process was killed after {timeout + _GRACE:g} s)",
                                seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if child.returncode != 0 or not lines:
        how = (f"killed by signal {-child.returncode}" if child.returncode < 0
               else f"exit status {child.returncode}")
        tail = " ".join(err.decode("utf-8", "replace").split())[-300:]
        return ReplayAnswer(solver, "unknown", f"crash ({how}){': ' + tail if tail else ''}", seconds=seconds)
    try:
        data = json.loads(lines[-1])
        return ReplayAnswer(solver, _word(data["result"]), str(data.get("reason", "")), str(data.get("version", "")),
                            dict(data.get("options", {})), seconds,
                            data.get("proof") if isinstance(data.get("proof"), str) else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        return ReplayAnswer(solver, "unknown", f"unreadable output: {lines[-1][:200]!r}", seconds=seconds)


def replay_both(text: str, *, timeout: float) -> dict[str, ReplayAnswer]:
    """:func:`replay` on z3 and on cvc5 at once, each in its own process."""
    with ThreadPoolExecutor(max_workers=len(SOLVERS)) as pool:
        futures = {s: pool.submit(replay, text, s, timeout=timeout) for s in SOLVERS}
        return {s: f.result() for s, f in futures.items()}


def _word(raw: object) -> str:
    # Only exactly "sat" and "unsat" are answers.
    return raw if raw in ("sat", "unsat") else "unknown"


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, signal.SIGKILL)


# --- the child process ------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """The replay process: ``SOLVER TIMEOUT_S MEMORY_MB [--proof]``, the text on stdin, one JSON line out."""
    args = list(sys.argv[1:] if argv is None else argv)
    solver, timeout, memory_mb = args[0], float(args[1]), int(args[2])
    proof = "--proof" in args[3:]
    _limit_memory(memory_mb)
    text = sys.stdin.buffer.read().decode("utf-8")
    from assay.specs.smtlib_hygiene import SmtlibRefused, check_smtlib

    try:
        check_smtlib(text)
    except SmtlibRefused as exc:
        print(json.dumps({"result": "unknown", "reason": str(exc)}))
        return 0
    try:
        out = _z3(text, timeout) if solver == "z3" else _cvc5(text, timeout, proof=proof)
    except Exception as exc:  # a solver's exception is this replay's unknown, said as such
        out = {"result": "unknown", "reason": f"error: {type(exc).__name__}: {exc}"}
    print(json.dumps(out))
    return 0


def _limit_memory(memory_mb: int) -> None:
    import resource

    cap = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def _z3(text: str, timeout: float) -> dict[str, Any]:
    import z3

    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    ms = max(1, int(timeout * 1000))
    s.set("timeout", ms)
    s.add(z3.parse_smt2_string(text, ctx=ctx))
    raw = str(s.check())
    reason = "" if raw in ("sat", "unsat") else str(s.reason_unknown())
    return {"result": raw, "reason": reason, "version": z3.get_version_string(),
            "options": {"timeout": ms}}


def _cvc5(text: str, timeout: float, *, proof: bool) -> dict[str, Any]:
    import cvc5

    tm = cvc5.TermManager()
    s = cvc5.Solver(tm)
    options = {"tlimit-per": str(max(1, int(timeout * 1000)))}
    if proof:
        options["produce-proofs"] = "true"
    for k, v in options.items():
        s.setOption(k, v)
    parser = cvc5.InputParser(s)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "replay")
    symbols = parser.getSymbolManager()
    while not (cmd := parser.nextCommand()).isNull():
        # The question is asked once, below; model commands have nothing to say to a replay.
        if cmd.getCommandName() not in ("check-sat", "get-model", "get-value"):
            cmd.invoke(s, symbols)
    r = s.checkSat()
    raw = "unsat" if r.isUnsat() else "sat" if r.isSat() else "unknown"
    out: dict[str, Any] = {"result": raw, "reason": "" if raw != "unknown" else str(r.getUnknownExplanation()),
                           "version": str(getattr(cvc5, "__version__", "unknown")), "options": options}
    if proof and raw == "unsat":
        # Some cvc5 releases give the proof's text as bytes.
        texts = [s.proofToString(p) for p in s.getProof()]
        out["proof"] = "\n".join(t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in texts)
    return out


if __name__ == "__main__":
    sys.exit(main())
