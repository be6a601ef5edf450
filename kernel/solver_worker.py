"""The solver worker: the process a :class:`.pool.SolverPool` runs, z3 and cvc5 solving SMT-LIB2 text.

Run as a script (``python -P solver_worker.py --worker MEMORY_MB``), it caps
its own address space, asks to die with its parent (Linux
``PR_SET_PDEATHSIG``), imports both solvers, says it is ready, and then
answers one JSON object per line on stdin with one JSON object per line on
stdout.  Each answer is the solver's raw word (``str`` of z3's
``check()``, of cvc5's ``checkSat()``), a reason, the values of the
variables asked for when the word is ``sat``, the solver's version, and the
sha256 of the text the solver was given.  What the word means is
:func:`assay.specs.solver_word.read_word`'s to say, here (to know whether
there is a model to read) and in the parent alike.  One exception, where a
configuration answers another question than the query's: cvc5 solving
integers as bit-vectors (``models_only``) has its ``sat`` reported only when
its model satisfies the integer query, and its ``unsat`` never, both
``unknown`` with the reason.

Only the standard library is imported at the top, so that the parent can
import this module (for :func:`solve`, which the in-process pool runs) at no
cost; the solvers are imported by whoever calls :func:`serve` or
:func:`solve`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["MEMORY_WORDS", "error_reason", "serve", "solve", "text_sha256", "versions"]

# Words in an error message or a dead worker's stderr that mean it ran out of memory.
MEMORY_WORDS: Final = ("cannot allocate memory", "bad_alloc", "memoryerror", "out of memory",
                       "max. memory exceeded", "memout")


def serve(memory_mb: int) -> None:  # pragma: no cover - runs in the worker process
    """The worker's life: cap memory, load the solvers, then answer each line of stdin until end of file."""
    import resource

    # The cap comes before the solvers are loaded, so nothing they allocate escapes it.
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(Exception):  # die with the parent, even mid-query
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    # Ctrl-C in the parent's terminal is the parent's to handle, not ours.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    known = versions()
    out = sys.stdout.buffer
    base = _vm_mb()

    def reply(message: dict[str, Any]) -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        message["cpu"] = usage.ru_utime + usage.ru_stime
        out.write(json.dumps(message).encode("utf-8", "surrogatepass") + b"\n")
        out.flush()

    reply({"ready": True, "versions": known})
    for line in sys.stdin.buffer:
        msg = json.loads(line)
        limit = msg.get("memory_mb")
        soft = min(cap, int(limit) * 1024 * 1024) if limit else cap
        start = time.perf_counter()
        scripted = None
        if msg.get("fault") is not None:  # only a test's FaultyPool sends one (assay.kernel.faults)
            from assay.kernel.faults import misbehave

            resource.setrlimit(resource.RLIMIT_AS, (soft, cap))
            scripted = misbehave(msg["fault"])
        try:
            resource.setrlimit(resource.RLIMIT_AS, (soft, cap))
            if scripted is None:
                answer = solve(msg, max(16, soft // (1024 * 1024) - base - 64))
            else:
                answer = {**scripted, "sha256": text_sha256(str(msg["smtlib"]))}
        except MemoryError:
            answer = _unknown(msg, "memout: MemoryError")
        except Exception as exc:
            answer = _unknown(msg, error_reason(exc))
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        reply({"id": msg["id"], **answer, "version": known.get(str(msg["solver"]), ""),
               "seconds": time.perf_counter() - start})


def solve(msg: Mapping[str, Any], z3_memory_mb: int) -> dict[str, Any]:
    """Solve one query message: ``{"raw", "reason", "model", "sha256"}``.

    ``msg`` holds the solver, its options, the SMT-LIB2 text, the variables
    whose values to read, and the limits (see :meth:`.pool.SolverPool` for
    how it is built).  A solver's exception propagates: the caller turns it
    into an ``unknown`` answer.
    """
    if str(msg["solver"]) == "z3":
        import z3

        raw, reason, model = _z3_solve(z3, msg, z3_memory_mb)
    else:
        import cvc5

        raw, reason, model = _cvc5_solve(cvc5, msg)
    return {"raw": raw, "reason": reason, "model": model, "sha256": text_sha256(str(msg["smtlib"]))}


def text_sha256(text: str) -> str:
    """The sha256 of a query text as the solver receives it (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _unknown(msg: Mapping[str, Any], reason: str) -> dict[str, Any]:
    return {"raw": "unknown", "reason": reason, "model": None, "sha256": text_sha256(str(msg.get("smtlib", "")))}


def versions() -> dict[str, str]:
    """The versions of z3 and cvc5 (importing both)."""
    import cvc5
    import z3

    return {"z3": str(z3.get_version_string()), "cvc5": str(getattr(cvc5, "__version__", "unknown"))}


def error_reason(exc: Exception) -> str:
    """A solver's exception as an unknown answer's reason: ``memout: ...`` or ``error: ...``."""
    text = f"{type(exc).__name__}: {exc}"
    memory = any(w in text.lower() for w in MEMORY_WORDS)
    return ("memout: " if memory else "error: ") + text[:500]


def _vm_mb() -> int:  # pragma: no cover - worker
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _sorts(variables: Mapping[str, str]) -> dict[str, Any]:
    from assay.specs.terms import Sort

    return {n: Sort(s) for n, s in variables.items()}


# A z3 context costs several milliseconds to make (most of a trivial query),
# so a worker keeps one and gives each query a fresh solver in it; the context
# is replaced now and then so that the terms it interns do not pile up.
_Z3_CONTEXT_QUERIES = 256
_z3_current: list[Any] = []  # [context, queries answered in it]


def _z3_context(z3: Any) -> Any:
    if not _z3_current or _z3_current[1] >= _Z3_CONTEXT_QUERIES:
        _z3_current[:] = [z3.Context(), 0]
    _z3_current[1] += 1
    return _z3_current[0]


def _z3_solve(z3: Any, msg: Mapping[str, Any], memory_mb: int) -> tuple[str, str, dict[str, Any] | None]:
    from assay.specs import smt
    from assay.specs.solver_word import read_word

    z3.set_param("memory_max_size", memory_mb)
    ctx = _z3_context(z3)
    s = z3.Solver(ctx=ctx)
    if msg.get("timeout_ms"):
        s.set("timeout", int(msg["timeout_ms"]))
    if msg.get("rlimit"):
        s.set("rlimit", int(msg["rlimit"]))
    options = dict(msg.get("options", {}))
    for key, value in options.items():
        s.set(key, value == "true" if value in ("true", "false") else value)
    assertions = z3.parse_smt2_string(str(msg["smtlib"]), ctx=ctx)
    tracked = options.get("unsat_core") == "true"
    if tracked:
        for i, a in enumerate(assertions):
            s.assert_and_track(a, z3.Bool(f"assay.core.{i}", ctx))
    else:
        s.add(assertions)
    raw = str(s.check())
    status, _ = read_word(raw)
    if status == "unsat" and tracked:
        core = sorted(int(str(b).rsplit(".", 1)[1]) for b in s.unsat_core())
        return raw, "", {"core": core, "assertions": len(assertions)}
    if status == "sat":
        return raw, "", smt.z3_model_values(s.model(), _sorts(msg["variables"]))
    if status == "unknown":
        why = str(s.reason_unknown())
        if "timeout" in why or "canceled" in why:
            return raw, "timeout", None
        if "memory" in why:
            return raw, f"memout: {why}", None
        if "resource" in why:
            return raw, "resource-limit", None
        return raw, f"unknown: {why}", None
    return raw, "", None


def _cvc5_solver(cvc5: Any, msg: Mapping[str, Any], options: Mapping[str, str]) -> tuple[Any, Any, Any]:
    tm = cvc5.TermManager()
    s = cvc5.Solver(tm)
    s.setOption("produce-models", "true")
    for key, value in options.items():
        s.setOption(key, str(value))
    sm = cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(s, sm)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, str(msg["smtlib"]), "query")
    while True:
        cmd = parser.nextCommand()
        if cmd.isNull():
            break
        if cmd.getCommandName() == "check-sat":  # the worker asks, below, under its own limits
            continue
        cmd.invoke(s, sm)
    return tm, s, sm


def _cvc5_solve(cvc5: Any, msg: Mapping[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
    from assay.specs import smt
    from assay.specs.solver_word import read_word

    options = {str(k): str(v) for k, v in msg.get("options", {}).items()}
    if msg.get("timeout_ms"):
        options["tlimit-per"] = str(int(msg["timeout_ms"]))
    if msg.get("rlimit"):
        options["rlimit-per"] = str(int(msg["rlimit"]))
    tm, s, sm = _cvc5_solver(cvc5, msg, options)
    result = s.checkSat()
    raw = str(result)  # "sat", "unsat", "unknown (INCOMPLETE)", ...
    status, _ = read_word(raw)
    if status == "sat":
        symbols = {t.getSymbol(): t for t in sm.getDeclaredTerms()}
        model = smt.cvc5_model_values(s, tm, _sorts(msg["variables"]), symbols)
        if msg.get("models_only") and not _cvc5_confirms(cvc5, msg, model):
            return "unknown", "unknown: the model found over bit-vectors does not satisfy the query", None
        return raw, "", model
    if status == "unsat":
        if msg.get("models_only"):  # cannot happen by cvc5's design; never pass it on as a proof
            return "unknown", "unknown: a models-only configuration said unsat", None
        return raw, "", None
    why = str(result.getUnknownExplanation())
    if "TIMEOUT" in why:
        return raw, "timeout", None
    if "RESOURCE" in why:
        return raw, "timeout" if msg.get("timeout_ms") and not msg.get("rlimit") else "resource-limit", None
    if "MEMOUT" in why:
        return raw, "memout", None
    return raw, f"unknown: {why}", None


def _cvc5_confirms(cvc5: Any, msg: Mapping[str, Any], model: Mapping[str, Any]) -> bool:
    """Whether the query, with every variable fixed to the model's value, is sat for plain cvc5."""
    from assay.specs import smt
    from assay.specs.solver_word import read_word

    fixed = "".join(f"(assert (= {smt.smtlib_symbol(n)} {_literal(smt, v)}))\n" for n, v in model.items())
    text = str(msg["smtlib"]).replace("(check-sat)", "") + fixed
    _, s, _ = _cvc5_solver(cvc5, {"smtlib": text}, {"tlimit-per": "10000"})
    return read_word(str(s.checkSat()))[0] == "sat"


def _literal(smt: Any, v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) if v >= 0 else f"(- {-v})"
    return str(smt.smtlib_string(str(v)))


if __name__ == "__main__":  # pragma: no cover - the worker process
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        serve(int(sys.argv[2]))
