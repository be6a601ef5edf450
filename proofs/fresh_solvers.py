"""The recheck's own solver runs: fresh z3 and cvc5, nothing shared with the kernel's workers.

Two routes, both asked by :mod:`.recheck` before it counts a claim proved:

* :func:`ask_text` / :func:`ask_text_both`: an SMT-LIB2 text, asked of each
  solver in a new Python process of its own
  (``python -m assay.proofs.fresh_solvers SOLVER``): the text goes in on
  stdin, one JSON line comes out.  The text passes
  :func:`assay.specs.smtlib_hygiene.check_smtlib` in the child before a
  solver sees it; the child's address space is capped before a solver loads.
  A child that runs past its time is killed with its process group; a crash,
  a kill or unreadable output is ``unknown`` with the reason, never an answer.
  The same runner produces cvc5's proof of an UNSAT for certificates
  (``proof=True``).
* :func:`ask_terms_both`: the query's terms, given to fresh z3 and cvc5
  instances through their Python APIs, in this process.  It does not go
  through the SMT-LIB renderer at all, so a fault there cannot prove a claim
  on both routes at once.

Deliberately a second, small implementation: a certificate is only as good
as the path that rechecks it, and that path must not be the kernel's.  Every
raw solver answer of both routes is read by
:func:`assay.specs.solver_word.read_word`, the reader the kernel uses too:
only exactly ``sat`` and ``unsat`` are answers.
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
from typing import TYPE_CHECKING, Any, Final

from assay.specs.solver_word import read_word

if TYPE_CHECKING:
    from assay.specs.queries import Query

__all__ = ["MEMORY_MB", "SOLVERS", "FreshAnswer", "ask_terms_both", "ask_text", "ask_text_both", "main"]

SOLVERS: Final = ("z3", "cvc5")
MEMORY_MB: Final = 8192  # address-space cap of a solver process, set before a solver loads
_GRACE: Final = 5.0  # seconds past the solver's own limit before the process is killed


@dataclass(frozen=True)
class FreshAnswer:
    """One solver's answer from a fresh instance: ``result`` is ``sat``, ``unsat`` or ``unknown``."""

    solver: str
    result: str
    reason: str = ""
    version: str = ""
    options: dict[str, Any] | None = None
    seconds: float = 0.0
    proof: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"solver": self.solver, "version": self.version, "result": self.result, "reason": self.reason,
                "options": self.options or {}, "seconds": round(self.seconds, 6)}

    def __str__(self) -> str:
        return f"{self.solver} says {self.result}{f' ({self.reason})' if self.reason else ''}"


def ask_text(text: str, solver: str, *, timeout: float, proof: bool = False,
             memory_mb: int = MEMORY_MB) -> FreshAnswer:
    """Ask ``solver`` about ``text`` in a fresh process; ``proof`` asks cvc5 for its proof of an UNSAT.

    ``timeout`` is the solver's own limit in seconds; the process is killed
    ``timeout`` plus a grace period after it starts.
    """
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r} (expected one of {', '.join(SOLVERS)})")
    argv = [sys.executable, "-m", "assay.proofs.fresh_solvers", solver, f"{timeout:.3f}", str(memory_mb)]
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
            return FreshAnswer(solver, "unknown", f"timeout (the process was killed after {timeout + _GRACE:g} s)",
                               seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    lines = out.decode("utf-8", "replace").strip().splitlines()
    if child.returncode != 0 or not lines:
        how = (f"killed by signal {-child.returncode}" if child.returncode < 0
               else f"exit status {child.returncode}")
        tail = " ".join(err.decode("utf-8", "replace").split())[-300:]
        return FreshAnswer(solver, "unknown", f"crash ({how}){': ' + tail if tail else ''}", seconds=seconds)
    try:
        data = json.loads(lines[-1])
        result = read_word(data["result"])[0]
        return FreshAnswer(solver, result, str(data.get("reason", "")), str(data.get("version", "")),
                           dict(data.get("options", {})), seconds,
                           data.get("proof") if isinstance(data.get("proof"), str) else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        return FreshAnswer(solver, "unknown", f"unreadable output: {lines[-1][:200]!r}", seconds=seconds)


def ask_text_both(text: str, *, timeout: float) -> dict[str, FreshAnswer]:
    """:func:`ask_text` on z3 and on cvc5 at once, each in its own process."""
    with ThreadPoolExecutor(max_workers=len(SOLVERS)) as pool:
        futures = {s: pool.submit(ask_text, text, s, timeout=timeout) for s in SOLVERS}
        return {s: f.result() for s, f in futures.items()}


def ask_terms_both(query: Query, *, timeout: float) -> dict[str, FreshAnswer]:
    """The query's terms asked of fresh z3 and cvc5 instances through their APIs (no SMT-LIB text)."""
    return {"z3": _api_answer("z3", _z3_terms, query, timeout),
            "cvc5": _api_answer("cvc5", _cvc5_terms, query, timeout)}


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(child.pid, signal.SIGKILL)


# --- the API route, in this process ---------------------------------------------------


def _api_answer(solver: str, run: Any, query: Query, timeout: float) -> FreshAnswer:
    start = time.perf_counter()
    try:
        raw, reason = run(query, timeout)
    except Exception as exc:  # an encoding or solver error is this route's unknown, said as such
        raw, reason = "error", f"error: {type(exc).__name__}: {exc}"
    result = read_word(raw)[0]
    if result == "unknown" and not reason:
        reason = str(raw)
    return FreshAnswer(solver, result, reason, seconds=time.perf_counter() - start)


def _z3_terms(query: Query, timeout: float) -> tuple[str, str]:
    import z3
    from assay.specs import smt

    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    s.set("timeout", max(1, int(timeout * 1000)))
    for t in query.assertions:
        s.add(smt.to_z3(t, ctx))
    raw = str(s.check())
    return raw, str(s.reason_unknown()) if read_word(raw)[0] == "unknown" else ""


def _cvc5_terms(query: Query, timeout: float) -> tuple[str, str]:
    import cvc5
    from assay.specs import smt

    tm = cvc5.TermManager()
    s = cvc5.Solver(tm)
    s.setOption("tlimit-per", str(max(1, int(timeout * 1000))))
    s.setLogic("ALL")
    symbols: dict[str, Any] = {}
    for t in query.assertions:
        s.assertFormula(smt.to_cvc5(tm, t, symbols))
    r = s.checkSat()
    raw = str(r)  # "sat", "unsat", "unknown (INCOMPLETE)", ...
    return raw, str(r.getUnknownExplanation()) if read_word(raw)[0] == "unknown" else ""


# --- the text route: the child process ------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """The solver process: ``SOLVER TIMEOUT_S MEMORY_MB [--proof]``, the text on stdin, one JSON line out."""
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
        out = _z3_text(text, timeout) if solver == "z3" else _cvc5_text(text, timeout, proof=proof)
    except Exception as exc:  # a solver's exception is this run's unknown, said as such
        out = {"result": "unknown", "reason": f"error: {type(exc).__name__}: {exc}"}
    print(json.dumps(out))
    return 0


def _limit_memory(memory_mb: int) -> None:
    import resource

    cap = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))


def _z3_text(text: str, timeout: float) -> dict[str, Any]:
    import z3

    ctx = z3.Context()
    s = z3.Solver(ctx=ctx)
    ms = max(1, int(timeout * 1000))
    s.set("timeout", ms)
    s.add(z3.parse_smt2_string(text, ctx=ctx))
    raw = str(s.check())
    reason = str(s.reason_unknown()) if read_word(raw)[0] == "unknown" else ""
    return {"result": raw, "reason": reason, "version": z3.get_version_string(),
            "options": {"timeout": ms}}


def _cvc5_text(text: str, timeout: float, *, proof: bool) -> dict[str, Any]:
    import cvc5

    tm = cvc5.TermManager()
    s = cvc5.Solver(tm)
    options = {"tlimit-per": str(max(1, int(timeout * 1000)))}
    if proof:
        options["produce-proofs"] = "true"
    for k, v in options.items():
        s.setOption(k, v)
    parser = cvc5.InputParser(s)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "recheck")
    symbols = parser.getSymbolManager()
    while not (cmd := parser.nextCommand()).isNull():
        # The question is asked once, below; model commands have nothing to say to a recheck.
        if cmd.getCommandName() not in ("check-sat", "get-model", "get-value"):
            cmd.invoke(s, symbols)
    r = s.checkSat()
    raw = str(r)  # "sat", "unsat", "unknown (INCOMPLETE)", ...
    status, _ = read_word(raw)
    out: dict[str, Any] = {"result": raw, "reason": str(r.getUnknownExplanation()) if status == "unknown" else "",
                           "version": str(getattr(cvc5, "__version__", "unknown")), "options": options}
    if proof and status == "unsat":
        # Some cvc5 releases give the proof's text as bytes.
        texts = [s.proofToString(p) for p in s.getProof()]
        out["proof"] = "\n".join(t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in texts)
    return out


if __name__ == "__main__":
    sys.exit(main())
