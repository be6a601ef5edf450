"""``check_program``: judge a model-written program against a program spec, for every input of the bound.

The order of work:

1. parse the program text into the program subset (never running it):
   MALFORMED for no program, a syntax error, a missing entry function or
   Python meant to escape; a construct outside the subset means no proof is
   attempted (UNKNOWN, naming the construct);
2. ask both solvers whether some input of the declared domains, meeting the
   precondition, makes the program fail its spec (raise, return None, run a
   loop past its bound, return what the postcondition refutes).  UNSAT on
   z3 and cvc5 is ACCEPTED: proved for every input of the bound;
3. a model is a candidate counterexample: the real function runs on it in
   the sandbox (its own process, hard limits), and the spec's own code
   (CPython) judges what it returned.  Only a failure the real function
   reproduces is REFUTED; anything else is UNKNOWN(solver-model-rejected);
4. a refuted program's counterexample is shortened (fewer items and
   characters, then smaller ints) by asking again within a size bound, each
   smaller one replayed the same way;
5. when the solvers cannot judge the program (a construct outside the
   subset, a timeout, a model the real function does not reproduce), a
   bounded search runs it in the sandbox on the inputs :mod:`.search`
   chooses.  A failing input is replayed and confirmed like a solver's
   model before it is REFUTED; a search that finds none is never a proof
   (UNKNOWN, saying how many inputs it ran).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from assay.specs import Spec, reasons
from assay.specs.domains import DecodeError, Domain
from assay.specs.explain import explain_clause
from assay.specs.program_spec import ProgramSpec
from assay.specs.show import show_value
from assay.specs.time_limit import EvaluationLimit, evaluation_budget, limited

from . import solvers
from .check import DEFAULT_EVAL_MEMORY_MB, DEFAULT_EVAL_TIMEOUT, malformed, unknown
from .verdicts import Location, Outcome, Verdict, Violation, make

__all__ = ["CONTRACT_ENTRY", "Counterexample", "Runner", "check_against_reference", "check_program"]

#: How many times a counterexample is shortened at most (each: one query on both solvers, one replay).
SHORTENING_ROUNDS: Final = 8
#: Each shortening query's time at most: a shorter counterexample is a courtesy, not worth the full timeout.
SHORTENING_SECONDS: Final = 2.0

# run(source, entry, calls, *, seconds_per_call=..., total_seconds=...) -> one result per call, with .status,
# .value, .error (kernel.sandbox.run_calls; a search passes the two limits, a replay does not)
Runner = Callable[..., Sequence[Any]]


@dataclass(frozen=True)
class Counterexample:
    """An input on which the real function fails its spec: what it returned or raised, and which clauses fail."""

    inputs: dict[str, Any]  # JSON values, by parameter name
    output: Any = None  # JSON value returned (when it returned)
    raised: str | None = None  # "IndexError: list index out of range" (when it raised)
    violations: tuple[Violation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"inputs": self.inputs, "output": self.output, "raised": self.raised}

    def size(self) -> tuple[int, int]:
        """(items and characters, sum of the ints' absolute values) of the inputs: what shortening lowers."""
        return _size(list(self.inputs.values()))


def check_program(spec: Spec, text: str, *, timeout: float = 10.0, runner: Runner | None = None,
                  eval_timeout: float | None = DEFAULT_EVAL_TIMEOUT,
                  eval_memory_mb: float | None = DEFAULT_EVAL_MEMORY_MB, store: str | Path | None = None,
                  spec_root: str | Path | None = None) -> Verdict:
    """Judge the program ``text`` (a model's answer: a ```python block or bare code) against ``spec``.

    ``spec`` is a program spec (``@spec(program=...)``); ``timeout`` bounds
    each solver query; ``runner`` replays a counterexample on the real
    function (default: the sandbox, :func:`assay.kernel.sandbox.run_calls`);
    ``eval_timeout`` and ``eval_memory_mb`` bound the spec's own code
    (postcondition, precondition) as :func:`.check.check` does.  With a
    ``store`` (a folder), an ACCEPTED program gets a certificate there
    (:func:`.certify.write_program_certificate`; its path is the verdict's
    ``certificate``), naming its spec relative to ``spec_root`` (default:
    the current folder); ``assay recheck`` derives the proof again.
    """
    start = time.perf_counter()

    def done(v: Verdict) -> Verdict:
        from .verdicts import with_fields

        return with_fields(v, seconds=time.perf_counter() - start)

    if not isinstance(spec, ProgramSpec):
        return done(unknown(f"usage: {spec.name} is not a program spec (it has no program=...)"))
    try:
        with evaluation_budget(eval_timeout, eval_memory_mb):
            v = _check_spec(spec, text, timeout=timeout, runner=runner or _sandbox())
    except EvaluationLimit as exc:
        return done(unknown(f"{exc.word}: {exc}"))
    if store is not None and v.outcome is Outcome.ACCEPTED:
        from .certify import write_program_certificate
        from .verdicts import with_fields

        path = write_program_certificate(store, spec, text, v, solvers=v.solvers, spec_root=spec_root)
        v = with_fields(v, certificate=str(path))
    return done(v)


def _check_spec(spec: ProgramSpec, text: str, *, timeout: float, runner: Runner) -> Verdict:
    from assay.specs import program_queries as pq
    from assay.specs.frontend import _type_of_domain
    from assay.specs.program import OutsideSubset, ProgramMalformed, parse_program, screened

    entry = spec.program
    assert entry is not None
    try:
        program = parse_program(text, entry, [_type_of_domain(p.domain) for p in spec.inputs],
                                _type_of_domain(spec.output.domain))
    except ProgramMalformed as exc:
        return malformed(f"the program is malformed: {exc}", Location(exc.line, exc.column))
    except OutsideSubset as exc:
        return _searched(_SpecTask(spec, screened(text, entry), runner), f"unsupported: not proved: {exc}")
    return _judge(_SpecTask(spec, program.code, runner), lambda: pq.encode_program(spec, program), timeout=timeout)


def _sandbox() -> Runner:
    from .sandbox import run_calls

    return run_calls


class _Task:
    """What one check is about: the inputs and their bound, how it encodes, and how a candidate is confirmed."""

    entry: str
    inputs: tuple[tuple[str, Domain], ...]
    has_precondition: bool
    runner: Runner
    code: str
    kept = "met the precondition"  # the inputs a search runs the program on, in words

    def bound(self) -> str:
        raise NotImplementedError

    def confirm(self, inputs: dict[str, Any]) -> Counterexample | str:
        raise NotImplementedError

    def failing(self, batch: list[list[Any]], deadline: float) -> _Step:
        """A search's step, run by the wall clock: the argument lists of ``batch`` on which the program fails
        (as :meth:`confirm` judges a failure), how many of the batch count (meet the precondition, and the
        program returned or raised on them) and on how many the program did not finish."""
        raise NotImplementedError

    def run(self, code: str, entry: str, calls: list[list[Any]], deadline: float) -> Sequence[Any]:
        """A search's sandbox run: each call's CPU time and the whole run bounded by ``deadline``."""
        from .sandbox import CallResult
        from .search import SEARCH_CALL_SECONDS

        left = deadline - time.monotonic()
        if not calls or left <= 0:
            return [CallResult("timeout", error="not run: the search's time is spent")] * len(calls)
        return self.runner(code, entry, calls, seconds_per_call=SEARCH_CALL_SECONDS, total_seconds=left)

    def inputs_domain(self) -> Domain:
        from assay.specs.domains import TupleDomain

        return TupleDomain(tuple(d for _, d in self.inputs))

    def call_text(self, inputs: dict[str, Any]) -> str:
        return f"{self.entry}({', '.join(f'{n}={show_value(inputs[n])}' for n, _ in self.inputs)})"


def _judge(task: _Task, encode: Callable[[], Any], *, timeout: float) -> Verdict:
    """Prove the task for the bound, or find, confirm and shorten a counterexample."""
    from assay.specs import program_queries as pq
    from assay.specs.terms import Unsupported

    try:
        encoding = encode()
        query = pq.counterexample_of(encoding, task.inputs_domain())
    except Unsupported as exc:
        return _searched(task, f"unsupported: not proved: {exc}")
    result = solvers.prove_unsat(query, timeout=timeout)
    answers = tuple(a.to_json() | {"query": query.name, "claim": "program"} for a in result.answers)
    if result.status == "unsat":
        vacuous = _no_input(task, encoding, timeout=timeout)
        if vacuous is not None:
            return make(Outcome.VACUOUS if vacuous.status == "unsat" else Outcome.UNKNOWN,
                        ("no input of the bound meets the precondition (UNSAT on z3 and cvc5), so the proof says "
                         f"nothing: {task.bound()}") if vacuous.status == "unsat" else
                        f"{vacuous.reason}: could not show that some input of the bound meets the precondition",
                        solvers=answers)
        return make(Outcome.ACCEPTED, f"proved for every input of the bound: {task.bound()} "
                    f"({reasons.unsat_on([a.solver for a in result.answers])})", solvers=answers)
    if result.status != "sat":
        return _searched(task, f"{result.reason}: could not prove the program for the bound ({task.bound()})",
                         answers)
    found = _replayed(task, query, result.model or {})
    if isinstance(found, str):
        return _searched(task, found, answers)
    found = _shorten(task, encoding, found, timeout=timeout)
    return make(Outcome.REFUTED, f"counterexample: {_describe(task, found)}", violations=found.violations,
                witness=found.to_json(), solvers=answers)


def _no_input(task: _Task, encoding: Any, *, timeout: float) -> Any:
    """With a precondition: the solvers' answer to "does some input of the bound meet it?" unless it is yes.

    A program "proved" over no input at all is proved of nothing: the verdict
    says so (VACUOUS) instead of ACCEPTED, and anything but a model found is
    not a yes.
    """
    from assay.specs import program_queries as pq

    if not task.has_precondition:
        return None
    found = solvers.prove_unsat(pq.some_input_of(encoding, task.inputs_domain()), timeout=timeout, want_model=False)
    return None if found.status == "sat" else found


def _replayed(task: _Task, query: Any, model: Mapping[str, Any]) -> Counterexample | str:
    """The solvers' candidate, confirmed on the real function; or why it is no counterexample."""
    try:
        inputs = query.witness(model)
    except DecodeError as exc:
        return f"solver-model-rejected: the solvers' input is no input of the spec: {exc}"
    return task.confirm(inputs)


def _decoded(task: _Task, inputs: dict[str, Any]) -> dict[str, Any] | str:
    """The inputs decoded into their domains and within their bounds; or why not."""
    try:
        decoded = {n: d.decode(inputs[n], f"inputs.{n}") for n, d in task.inputs}
    except (DecodeError, KeyError) as exc:
        return f"solver-model-rejected: the solvers' input is no input of the spec: {exc}"
    outside = [t for n, d in task.inputs for t in d.out_of_bounds(decoded[n], n)]
    if outside:
        return f"solver-model-rejected: the solvers' input is outside the bound: {outside[0]}"
    return decoded


class _SpecTask(_Task):
    """A program against a program spec (a user's module: its own code is trusted, CPython runs it here)."""

    def __init__(self, spec: ProgramSpec, code: str, runner: Runner) -> None:
        assert spec.program is not None
        self.spec, self.code, self.runner, self.entry = spec, code, runner, spec.program
        self.inputs = tuple((p.name, p.domain) for p in spec.inputs)
        self.has_precondition = spec.requires_fn is not None

    def bound(self) -> str:
        return bound_text(self.spec)

    def confirm(self, inputs: dict[str, Any]) -> Counterexample | str:
        return confirm(self.spec, self.code, self.entry, inputs, self.runner)

    def failing(self, batch: list[list[Any]], deadline: float) -> _Step:
        names = [n for n, _ in self.inputs]
        kept = [args for args in batch
                if self.spec.requires_fn is None or _requires(self.spec, dict(zip(names, args, strict=True)))]
        ran = self.run(self.code, self.entry, kept, deadline)
        return _Step([args for args, r in zip(kept, ran, strict=True)
                      if r.status == "raised" or (r.status == "returned" and isinstance(
                          _judged(self.spec, dict(zip(names, args, strict=True)), "", r), Counterexample))],
                     sum(r.status in _FINISHED for r in ran), _not_finished(ran))


def bound_text(spec: ProgramSpec) -> str:
    """The bound in words (:func:`assay.specs.program_queries.bound_text`)."""
    from assay.specs.program_queries import bound_text as words

    return words(spec)


def confirm(spec: ProgramSpec, code: str, entry: str, inputs: dict[str, Any], runner: Runner) -> Counterexample | str:
    """Run the real function on ``inputs`` (JSON) in the sandbox; a Counterexample when it fails its spec there.

    A string says why not: the input is outside the bound or the
    precondition, the function meets the spec on it, or the sandbox hit a
    limit (time, memory), which is no evidence either way.
    """
    task = _SpecTask(spec, code, runner)
    decoded = _decoded(task, inputs)
    if isinstance(decoded, str):
        return decoded
    if spec.requires_fn is not None and not _requires(spec, decoded):
        return "solver-model-rejected: the solvers' input does not meet the precondition"
    (ran,) = runner(code, entry, [_arguments(task, inputs, decoded)])
    return _judged(spec, decoded, task.call_text(inputs), ran, inputs)


def _arguments(task: _Task, inputs: dict[str, Any], decoded: dict[str, Any]) -> list[Any]:
    """The arguments as the sandbox carries them: the decoded values (a tuple stays a tuple) where they can
    cross, else the JSON values."""
    from .search import searchable

    return [decoded[n] if searchable([d]) else inputs[n] for n, d in task.inputs]


def _judged(spec: ProgramSpec, decoded: dict[str, Any], call: str, ran: Any,
            inputs: dict[str, Any] | None = None) -> Counterexample | str:
    """What the real function's outcome ``ran`` on ``decoded`` says: a Counterexample, or why it is none."""
    inputs = decoded if inputs is None else inputs
    if ran.status == "raised":
        return Counterexample(inputs, None, ran.error,
                              (Violation(spec.output.name, spec.output.loc.line, f"{call} raises {ran.error}"),))
    if ran.status != "returned":
        return _unfinished(call, ran)
    out_domain: Domain = spec.output.domain
    try:
        out = out_domain.decode(ran.value, spec.output.name)
    except DecodeError as exc:
        return Counterexample(inputs, ran.value, None, (Violation(
            spec.output.name, spec.output.loc.line,
            f"{call} returns {show_value(ran.value)}, which is not a {out_domain.describe()}: {exc.why}"),))
    outside = list(out_domain.out_of_bounds(out, spec.output.name))
    env = {**decoded, spec.output.name: out}
    if not outside and spec.holds(env):
        return (f"solver-model-rejected: the real function meets the spec on the solvers' input {call} "
                f"(it returns {show_value(ran.value)})")
    violations = tuple(Violation(spec.output.name, spec.output.loc.line, t) for t in outside) or tuple(
        Violation(c.text, c.loc.line, explain_clause(c, env)) for c in spec.violated_clauses(env))
    return Counterexample(inputs, ran.value, None, violations)


def _unfinished(call: str, ran: Any) -> str:
    return (f"solver-model-rejected: the real function did not finish on {call} in the sandbox "
            f"({ran.status}: {ran.error}); the solvers' input is no counterexample until it does")


def _requires(spec: ProgramSpec, decoded: dict[str, Any]) -> bool:
    fn = spec.requires_fn
    assert fn is not None
    code = getattr(fn, "__code__", None)
    names = code.co_varnames[: code.co_argcount] if code is not None else ()

    def run() -> bool:
        try:
            return fn(*(decoded[n] for n in names)) is True
        except (MemoryError, RecursionError):
            raise
        except Exception:
            return False
    return limited(f"running the precondition {fn.__name__}", run)


def _shorten(task: _Task, encoding: Any, found: Counterexample, *, timeout: float) -> Counterexample:
    """A counterexample with fewer items and characters, then smaller ints, as far as the solvers find one."""
    from assay.specs import program_queries as pq
    from assay.specs.terms import Unsupported

    for phase in ("size", "magnitude"):
        for _ in range(SHORTENING_ROUNDS):
            size, magnitude = found.size()
            if (size if phase == "size" else magnitude) == 0:
                break
            try:
                query = pq.smaller_counterexample_of(encoding, task.inputs_domain(), size=size - (phase == "size"),
                                                     magnitude=None if phase == "size" else magnitude - 1)
            except Unsupported:
                return found
            result = solvers.prove_unsat(query, timeout=min(timeout, SHORTENING_SECONDS))
            if result.status != "sat":
                break
            smaller = _replayed(task, query, result.model or {})
            if isinstance(smaller, str) or smaller.size() >= found.size():
                break
            found = smaller
    return found


# --- a program against a reference program (a benchmark's canonical solution: untrusted text) --------------


class _ReferenceTask(_Task):
    """A program judged by agreement with a reference program on every input of the bound meeting a contract.

    The reference and the contract are text (a dataset's), like the program:
    compiled to the IR for the proof, and run only in the sandbox.
    """

    kept = "met the contract and the reference returned on"

    def __init__(self, entry: str, inputs: tuple[tuple[str, Domain], ...], code: str, *, reference: str,
                 contract: str | None, runner: Runner) -> None:
        self.entry, self.inputs, self.code, self.reference, self.contract = entry, inputs, code, reference, contract
        self.runner = runner
        self.has_precondition = contract is not None

    def bound(self) -> str:
        parts = ", ".join(f"{n} a {d.describe()}" for n, d in self.inputs) or "no inputs"
        return parts + (", meeting the contract" if self.contract is not None else "")

    def confirm(self, inputs: dict[str, Any]) -> Counterexample | str:
        decoded = _decoded(self, inputs)
        if isinstance(decoded, str):
            return decoded
        args = _arguments(self, inputs, decoded)
        call = self.call_text(inputs)
        if self.contract is not None:
            (met,) = self.runner(self.contract, CONTRACT_ENTRY, [args])
            if met.status != "returned" or met.value is not True:
                return f"solver-model-rejected: the solvers' input {call} does not meet the contract ({met.status})"
        (expected,) = self.runner(self.reference, self.entry, [args])
        if expected.status != "returned":
            return (f"solver-model-rejected: the reference does not return on {call} ({expected.status}: "
                    f"{expected.error}), so the input is none EvalPlus would use")
        (ran,) = self.runner(self.code, self.entry, [args])
        if ran.status == "raised":
            return Counterexample(inputs, None, ran.error, (Violation("reference", 0, f"{call} raises {ran.error}, "
                                  f"the reference returns {show_value(expected.value)}"),))
        if ran.status != "returned":
            return _unfinished(call, ran)
        if ran.value == expected.value:
            return (f"solver-model-rejected: the real function agrees with the reference on the solvers' input "
                    f"{call} (both return {show_value(ran.value)})")
        return Counterexample(inputs, ran.value, None, (Violation(
            "reference", 0, f"{call} returns {show_value(ran.value)}, the reference {show_value(expected.value)}"),))

    def failing(self, batch: list[list[Any]], deadline: float) -> _Step:
        if self.contract is not None:
            met = self.run(self.contract, CONTRACT_ENTRY, batch, deadline)
            batch = [args for args, m in zip(batch, met, strict=True) if m.status == "returned" and m.value is True]
        expected = self.run(self.reference, self.entry, batch, deadline)
        kept = [(args, e) for args, e in zip(batch, expected, strict=True) if e.status == "returned"]
        ran = self.run(self.code, self.entry, [args for args, _ in kept], deadline)
        return _Step([args for (args, e), r in zip(kept, ran, strict=True)
                      if r.status == "raised" or (r.status == "returned" and r.value != e.value)],
                     sum(r.status in _FINISHED for r in ran), _not_finished(ran))


#: The name of the function a contract's text defines (``def __contract__(<the arguments>): return ...``).
CONTRACT_ENTRY: Final = "__contract__"


def check_against_reference(entry: str, inputs: Sequence[tuple[str, Domain]], result: Domain, text: str, *,
                            reference: str, contract: str | None = None, timeout: float = 10.0,
                            runner: Runner | None = None) -> Verdict:
    """Judge the program ``text`` by agreement with the program ``reference`` on every input of the bound.

    ``inputs`` are the entry's arguments and their domains, ``result`` the
    domain of what it returns; ``contract`` (None: every input) is a program
    text defining ``__contract__(<the arguments>)``, true for the inputs that
    count.  All three texts are untrusted: compiled to the IR for the proof
    (never executed here) and run only in the sandbox to confirm a
    counterexample, which must be an input the contract accepts, on which the
    reference returns and the program raises or returns something else
    (``!=`` as CPython compares them).  An input on which the reference raises
    is none that counts.
    """
    from assay.specs import program_queries as pq
    from assay.specs.frontend import _type_of_domain
    from assay.specs.program import OutsideSubset, ProgramMalformed, parse_program, screened

    start = time.perf_counter()

    def done(v: Verdict) -> Verdict:
        from .verdicts import with_fields

        return with_fields(v, seconds=time.perf_counter() - start)

    types = [_type_of_domain(d) for _, d in inputs]
    returns = _type_of_domain(result)
    try:
        code = screened(text, entry)
    except ProgramMalformed as exc:
        return done(malformed(f"the program is malformed: {exc}", Location(exc.line, exc.column)))
    try:  # the reference and the contract run in the sandbox too (a search, a replay): the same screening
        ref_code = screened(reference, entry)
        pre_code = None if contract is None else screened(contract, CONTRACT_ENTRY)
    except ProgramMalformed as exc:
        return done(unknown(f"unsupported: the reference or the contract is malformed: {exc}"))
    task = _ReferenceTask(entry, tuple(inputs), code, reference=ref_code, contract=pre_code,
                          runner=runner or _sandbox())
    try:
        program = parse_program(text, entry, types, returns)
    except ProgramMalformed as exc:
        return done(malformed(f"the program is malformed: {exc}", Location(exc.line, exc.column)))
    except OutsideSubset as exc:
        return done(_searched(task, f"unsupported: not proved: {exc}"))
    try:
        ref = parse_program(reference, entry, types, returns)
        pre = None if contract is None else parse_program(contract, CONTRACT_ENTRY, types, ir_bool())
    except OutsideSubset as exc:
        return done(_searched(task, f"unsupported: the reference or the contract is outside the program "
                                    f"subset: {exc}"))
    return done(_judge(task, lambda: pq.encode_against_reference(tuple(inputs), program, ref, pre),
                       timeout=timeout))


# --- bounded search, when the solvers cannot judge the program ------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """What one batch of a search found."""

    failures: list[list[Any]]
    finished: int  # calls the program returned or raised on (the others: timeout, memout, crash, refused)
    unfinished: tuple[tuple[str, str], ...]  # (status, error) of each call the program did not finish


def _not_finished(ran: Sequence[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((r.status, r.error) for r in ran if r.status not in _FINISHED)


# The sandbox's outcomes that describe the function; the others are no evidence about it.
_FINISHED: Final = ("returned", "raised")
# A search's batches run in chunks this large at most, the first ones smaller, so that a program that never
# finishes costs a few calls' time: the search stops after _UNFINISHED calls did not finish.
_CHUNKS: Final = (4, 16, 64, 256)
_UNFINISHED: Final = 3
# A search's failing inputs are replayed, smallest first, at most this many (a program that fails one way on
# the search's run and another on the replay is not deterministic: UNKNOWN, after a few tries).
_REPLAYS: Final = 3


def _limits(unfinished: Sequence[tuple[str, str]]) -> str:
    """Which limits the unfinished calls met, most frequent first, with the first one's words for each."""
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for status, error in unfinished:
        first.setdefault(status, error)
        counts[status] = counts.get(status, 0) + 1
    return "; ".join(f"{status} {n}x{f': {first[status]}' if first[status] else ''}"
                     for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))


def _chunks(batch: list[list[Any]]) -> Iterator[list[list[Any]]]:
    at = 0
    for size in itertools.chain(_CHUNKS, itertools.repeat(_CHUNKS[-1])):
        if at >= len(batch):
            return
        yield batch[at:at + size]
        at += size


def _searched(task: _Task, why: str, answers: tuple[dict[str, Any], ...] = ()) -> Verdict:
    """Run the program in the sandbox on the inputs :mod:`.search` chooses; REFUTED only by a failing input
    the replay (:meth:`_Task.confirm`) confirms, else UNKNOWN: ``why``, with how many inputs were searched.

    A search never accepts, not even one that ran every input of the bound:
    the proof is the solvers', and a search only looks for a refutation.
    """
    from . import search

    domains = [d for _, d in task.inputs]
    if not search.searchable(domains):
        return make(Outcome.UNKNOWN, why, solvers=answers)
    names = [n for n, _ in task.inputs]
    deadline = time.monotonic() + search.SEARCH_SECONDS
    tried = finished = 0
    unfinished: list[tuple[str, str]] = []
    every = True
    stopped = ""
    for batch, exhaustive in search.batches(domains, search.DEFAULT_INPUTS):
        every = exhaustive
        for chunk in _chunks(batch):
            if time.monotonic() >= deadline:
                stopped = f"until the search's {search.SEARCH_SECONDS:g} s were spent"
                break
            step = task.failing(chunk, deadline)
            tried, finished = tried + len(chunk), finished + step.finished
            unfinished += step.unfinished
            for args in sorted(step.failures, key=_size)[:_REPLAYS]:
                found = task.confirm(dict(zip(names, args, strict=True)))
                if isinstance(found, Counterexample):
                    return make(Outcome.REFUTED, f"counterexample: {_describe(task, found)} (found by a bounded "
                                f"search of {tried} inputs of the bound; the solvers did not judge the program: "
                                f"{why})", violations=found.violations, witness=found.to_json(), solvers=answers)
            if len(unfinished) >= _UNFINISHED:
                stopped = "stopped there"
                break
        if stopped:
            break
    outside = tried - finished - len(unfinished)
    searched = (f"searched {tried} input{'s' * (tried != 1)} of the bound"
                + (", every one" if every and not stopped else "")
                + (f" ({finished} {task.kept})" if outside else "")
                + ": none failed"
                + (f"; the program did not finish on {len(unfinished)} ({_limits(unfinished)}; no evidence about "
                   "the function)" if unfinished else "")
                + ("; the search stopped there" if stopped == "stopped there" else f", {stopped}" if stopped else ""))
    if why.startswith("unsupported: "):
        rest = why.removeprefix("unsupported: ").removeprefix("not proved: ")
        return make(Outcome.UNKNOWN, f"unsupported: {searched}; not proved: {rest}", solvers=answers)
    return make(Outcome.UNKNOWN, f"{why}; {searched}", solvers=answers)


def ir_bool() -> Any:
    from assay.specs import ir

    return ir.BOOL


def _describe(task: _Task, c: Counterexample) -> str:
    call = task.call_text(c.inputs)
    if c.raised is not None:
        return f"{call} raises {c.raised}"
    what = f"{call} returns {show_value(c.output)}"
    shown = "; ".join(f"line {v.line}: {v.detail}" for v in c.violations[:2])
    return f"{what}; {shown}" if shown else what


def _size(values: Iterable[Any]) -> tuple[int, int]:
    items = magnitude = 0
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, int):
            magnitude += abs(v)
        elif isinstance(v, str):
            items += len(v)
        elif isinstance(v, list | tuple):
            items += len(v)
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
    return items, magnitude
