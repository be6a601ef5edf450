"""The ``assay`` command: ``check`` model outputs, ``recheck`` certificates, export ``smt``, run the ``demo``.

Exit codes, for every subcommand:

* 0: everything passed (every proposal ACCEPTED; every certificate still holds);
* 1: something did not (REFUTED, MALFORMED, VACUOUS or UNKNOWN; with
  ``--allow-unknown``, UNKNOWN passes);
* 2: a usage error: bad arguments, a missing file, a spec that does not
  import or is invalid.  Nothing was checked.

Input problems of one line (bad JSON, wrong types, invalid UTF-8) are that
line's MALFORMED verdict, never a crash; the other lines are still checked.
An exception out of the kernel is a bug and is not hidden.

An empty proposals file (or one of blank lines only) checks 0 proposals and
exits 0, with a warning on stderr: "every proposal was accepted" holds.

State (certificates) lives in ``.assay/`` in the current directory, or in
``$ASSAY_HOME``, or in ``--store DIR``; ``--no-store`` keeps none.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TextIO, cast

import assay
from assay.errors import UsageError

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``assay`` command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and bad arguments
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("assay: error: name a command: check, recheck, smt, demo, report or replay", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"assay {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("assay: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`assay check ... | head`); say nothing more to it.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 -- keeps the exit-time flush quiet
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assay",
        description="Check foundation-model outputs against executable specifications.")
    parser.add_argument("--version", action="version", version=f"assay {assay.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check", help="check proposals (JSON Lines) against a spec",
        description="Check each proposal in a JSON Lines file against a spec. Each line: "
                    '{"id": ..., "givens": {...}, "proposal": ...}; the proposal may be the '
                    "model's raw text, with the answer in a ```json block or as the last JSON "
                    "object in it. Exit 0 if every proposal is accepted, 1 if not, 2 on a usage error.")
    check.add_argument("--spec", required=True, metavar="SPEC",
                       help="MODULE:NAME, FILE.py:NAME, or FILE.py holding one spec")
    check.add_argument("proposals", metavar="PROPOSALS.jsonl", help="the proposals; - reads stdin")
    check.add_argument("--format", choices=("text", "json", "junit"), default="text",
                       help="text: a table and a summary; json: one object per line; junit: XML")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE, not stdout")
    check.add_argument("--allow-unknown", action="store_true",
                       help="let UNKNOWN verdicts pass (exit 0)")
    _store_arguments(check)
    check.add_argument("--timeout", type=float, default=10.0, metavar="S",
                       help="seconds per solver query (default 10)")
    check.add_argument("--eval-timeout", type=float, default=10.0, metavar="S",
                       help="seconds of CPython running the spec's own code per proposal, in all (the spec, "
                            "its clauses and their explanation, the objective); past it that line is UNKNOWN "
                            "and the next is checked (default 10). Not --timeout: solver queries and the "
                            "spec's own code differ in cost by orders of magnitude")
    check.add_argument("--eval-memory", type=float, default=2048.0, metavar="MB",
                       help="megabytes the process may grow by while the spec's own code runs on one "
                            "proposal; past it that line is UNKNOWN (default 2048)")
    check.add_argument("--no-explain", dest="explain", action="store_false",
                       help="name each violated clause without the values that break it (faster)")
    check.add_argument("--no-vacuity", dest="vacuity", action="store_false",
                       help="on a refutation, skip asking the solvers whether any proposal "
                            "could meet the spec (faster; no VACUOUS verdicts)")
    check.add_argument("--vacuity-timeout", metavar="S", type=float, default=2.0,
                       help="seconds for the vacuity query of a refuted proposal, at most --timeout (default 2; "
                            "past it the verdict stays REFUTED)")
    check.add_argument("--spec-root", metavar="DIR", default=".",
                       help="certificates name the spec relative to this folder, the one `assay recheck "
                            "--spec-root` loads it from (default: the current folder)")
    check.set_defaults(run=_check)

    recheck = sub.add_parser(
        "recheck", help="re-derive the verdicts of stored certificates",
        description="Derive every certificate's verdict under PATH again from its spec, givens and proposal, "
                    "independently of the run that made it, and compare it with what the certificate records. "
                    "Specs are loaded only from files under --spec-root (or assay's own spec library); a "
                    "certificate that names anything else fails without anything being run. Exit 1 if any "
                    "certificate fails.")
    recheck.add_argument("path", metavar="PATH", nargs="?",
                         help="a certificate or a folder of them (default: the store)")
    recheck.add_argument("--store", metavar="DIR", help="the state folder (default .assay, or $ASSAY_HOME)")
    recheck.add_argument("--spec-root", metavar="DIR", default=".",
                         help="the folder certificates name their specs relative to: where `assay check` ran "
                              "(default: the current folder)")
    recheck.add_argument("--timeout", type=float, default=30.0, metavar="S",
                         help="seconds per solver query (default 30)")
    recheck.set_defaults(run=_recheck)

    smt = sub.add_parser(
        "smt", help="print a spec's obligation for some givens as SMT-LIB2",
        description="Print the SMT-LIB2 query behind a claim about a spec, for the givens in FILE, "
                    "so it can be taken to any solver. any-solution (the default): is there a proposal "
                    "that meets the spec (unsat: none can)? unique: is there a proposal other than "
                    "--proposal (unsat: it is the only one)? optimal: is there one with a better "
                    "objective (unsat: it is optimal)? Exit 2 on a usage error.")
    smt.add_argument("--spec", required=True, metavar="SPEC",
                     help="MODULE:NAME, FILE.py:NAME, or FILE.py holding one spec")
    smt.add_argument("--givens", required=True, metavar="FILE", help="a JSON object of the spec's givens")
    smt.add_argument("--claim", choices=("any-solution", "unique", "optimal"), default="any-solution",
                     help="which query (default any-solution)")
    smt.add_argument("--proposal", metavar="FILE", help="the proposal (JSON), for --claim unique or optimal")
    smt.add_argument("--output", "-o", metavar="FILE", help="write the SMT-LIB2 to FILE, not stdout")
    smt.set_defaults(run=_smt)

    demo = sub.add_parser(
        "demo", help="check bundled model answers against the library's specs",
        description="Check a bundled file of model answers (right, subtly wrong, malformed) "
                    "against the spec library, then work three tasks through the offload loop with "
                    "recorded model outputs (repair, re-offload with feedback, the solvers alone), "
                    "write certificates and the ledger, and recheck the certificates.")
    demo.add_argument("--store", metavar="DIR",
                      help="where certificates go (default .assay in the current folder, or $ASSAY_HOME)")
    demo.set_defaults(run=_demo)

    report = sub.add_parser(
        "report", help="summarise the ledger: verdicts and costs per strategy and per spec",
        description="Summarise the ledger (ledger.sqlite in the store) of the offload loop: per strategy and "
                    "per spec, the tasks, their verdicts, model calls, tokens, solver seconds and wall seconds.")
    report.add_argument("--store", metavar="DIR", help="the state folder (default .assay, or $ASSAY_HOME)")
    report.add_argument("--format", choices=("text", "json"), default="text", help="text tables or one JSON object")
    report.set_defaults(run=_report)

    replay = sub.add_parser(
        "replay", help="decide recorded formalisations (Logic-LM, LINC) and score them against gold answers",
        description="Parse each recorded formalisation (never run it), decide which answer it entails with z3 "
                    "and cvc5, and compare with the gold answer. Recognises Logic-LM record files "
                    "(LogicalDeduction, ProntoQA, ProofWriter, FOLIO, AR-LSAT) and LINC raw generations "
                    "(ten samples per problem, replayed as the model's answers when asked again).")
    replay.add_argument("files", nargs="+", metavar="FILE", help="Logic-LM *_dev_*.json or LINC *_raw.json files")
    replay.add_argument("--gold", metavar="REFERENCES",
                        help="gold labels for LINC generations (default: folio_references.json beside the file)")
    replay.add_argument("--format", choices=("text", "json"), default="text",
                        help="a table, or one JSON object per file")
    replay.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds per solver query")
    replay.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N problems of each file")
    replay.add_argument("--details", metavar="FILE", help="write one JSON line per problem (verdict, reason, answer)")
    replay.add_argument("--corroborate", metavar="OTHER",
                        help="a second Logic-LM file of the same dataset (another model's formalisations): an "
                             "answer that rests on something not following (open world: Uncertain/Unknown; closed "
                             "world: False) is kept only where OTHER's verdict on the same record id gives the same "
                             "answer, else the record is abstained (answers proved from the premises stand alone); "
                             "OTHER's records are decided only when needed")
    replay.add_argument("--cascade", action="append", metavar="STRONG",
                        help="a verified cascade (repeatable, cheapest first): FILE is the cheap model's Logic-LM "
                             "file; STRONG (a file of the same dataset from another model) is read for a record only "
                             "where the kernel does not answer from the files before it; JSON adds cost and "
                             "escalations, --details names the model that answered each record")
    replay.add_argument("--escalate", choices=("unanswered", "open"), default="unanswered",
                        help="with --cascade: read the next model where the kernel gives no answer (MALFORMED, "
                             "VACUOUS, UNKNOWN; the default), or also where the answer is open to doubt: it rests "
                             "on something not following (open world: Uncertain/Unknown; closed world: False "
                             "unless the opposite is derived), or a LogicalDeduction program admits more than one "
                             "arrangement")
    replay.add_argument("--price", action="append", metavar="NAME=IN,OUT",
                        help="with --cascade: a model's price in US dollars per 1,000 prompt and completion tokens "
                             "(repeatable; NAME as in the file name, {Dataset}_dev_{NAME}.json); defaults: the "
                             "recorded models' 2023 list prices")
    replay.add_argument("--baselines", action="store_true",
                        help="with --cascade: decide every record of every file and report each model alone, a "
                             "random router at the same share, the per-record oracle and the accuracy-cost curve")
    replay.set_defaults(run=_replay)

    humaneval = sub.add_parser(
        "humaneval", help="judge recorded programs of HumanEval-style tasks for every input of a bound",
        description="Make a program spec of each task in TASKS (HumanEval+ lines with 'types': the argument "
                    "domains within the bounds, the EvalPlus contract as the precondition, the canonical "
                    "solution as the reference) and judge each program line of PROGRAMS ({\"task_id\", "
                    "\"completion\", ...}; a completion is a whole program or the function's body, assembled with "
                    "the prompt as EvalPlus does). Nothing read is run in this process. Exit 0 if every program "
                    "is accepted, 1 if not, 2 on a usage error.")
    humaneval.add_argument("tasks", metavar="TASKS.jsonl", help="the tasks")
    humaneval.add_argument("programs", metavar="PROGRAMS.jsonl", help="the programs; - reads stdin")
    humaneval.add_argument("--format", choices=("text", "json"), default="text",
                           help="text: a line per program and a summary; json: one object per program")
    humaneval.add_argument("--bound", action="append", metavar="KEY=VALUE",
                           help="change a default bound (repeatable): int=LO..HI (default -20..20), list=N "
                                "(default 5), str=N (default 6), alphabet=CHARS (default: ASCII letters, digits, "
                                "space and !#$()*+,-./<>?@[]^_|)")
    humaneval.add_argument("--limit", type=int, default=None, metavar="N", help="only the first N program lines")
    humaneval.add_argument("--timeout", type=float, default=10.0, metavar="S",
                           help="seconds the kernel may spend on one program (default 10)")
    humaneval.set_defaults(run=_humaneval)
    return parser


def _replay(args: argparse.Namespace) -> int:
    from assay.replay import run

    return run(args)


def _humaneval(args: argparse.Namespace) -> int:
    from assay.humaneval import run

    return run(args)


def _store_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="DIR",
                   help="where certificates go (default .assay in the current folder, or $ASSAY_HOME)")
    p.add_argument("--no-store", action="store_true", help="keep no certificates")


def store_dir(args: argparse.Namespace) -> Path | None:
    """The state folder: ``--store``, else ``$ASSAY_HOME``, else ``.assay``; None with ``--no-store``."""
    if getattr(args, "no_store", False):
        return None
    path = Path(args.store or os.environ.get("ASSAY_HOME") or ".assay")
    if path.exists() and not path.is_dir():
        raise UsageError(f"the store {str(path)!r} exists and is not a folder")
    return path


# --- check ---------------------------------------------------------------------


def _check_writable(store: Path) -> None:
    """A usage error now, rather than a traceback at the first certificate, if ``store`` cannot be made."""
    existing = store
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"the store {str(store)!r} cannot be created: {str(existing)!r} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"the store {str(store)!r} cannot be written: no permission to write in {str(existing)!r}")


def _warn_outside_root(spec: Any, root: str) -> None:
    """Say once, before any line, when the certificates about to be written could not be rechecked."""
    from assay.proofs.spec_refs import certificate_ref

    ref = certificate_ref(spec, root)
    if Path(ref.rpartition(":")[0]).is_absolute():
        print(f"assay check: warning: the spec {spec.file} is outside the spec root {Path(root).resolve()}, so "
              "its certificates name it by an absolute path, which `assay recheck` refuses; pass --spec-root "
              "with a folder that holds it", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    from assay.bridges.answers import AnswerError, proposal_value
    from assay.bridges.records import MISSING, BadLine, read_records
    from assay.kernel import Location, check, malformed
    from assay.report import CheckTally, LineVerdict, make_report

    if not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    if not args.vacuity_timeout > 0:
        raise UsageError(f"--vacuity-timeout must be a positive number of seconds, got {args.vacuity_timeout}")
    if not args.eval_timeout > 0:
        raise UsageError(f"--eval-timeout must be a positive number of seconds, got {args.eval_timeout}")
    if not args.eval_memory > 0:
        raise UsageError(f"--eval-memory must be a positive number of megabytes, got {args.eval_memory}")
    store = store_dir(args)
    if store is not None:
        _check_writable(store)
    if not Path(args.spec_root).is_dir():
        raise UsageError(f"--spec-root {args.spec_root} is not a folder")
    with _open_proposals(args.proposals) as source:
        spec = _load_spec(args.spec)
        if store is not None:
            _warn_outside_root(spec, args.spec_root)
        from assay.specs.program_spec import ProgramSpec

        program = isinstance(spec, ProgramSpec)
        domain = None if program else spec.proposal.domain
        needs_givens = ", ".join(p.name for p in spec.givens)

        def judge(item: Any, started: float) -> LineVerdict:
            # ``started``: when reading this line began; every verdict's seconds count from there.
            if isinstance(item, BadLine):
                return LineVerdict(item.id, item.line, malformed(
                    f"line {item.line}: {item.why}", Location(item.line, item.column),
                    seconds=time.perf_counter() - started))
            if item.givens is MISSING and needs_givens:
                return LineVerdict(item.id, item.line, malformed(
                    f"line {item.line}: missing field 'givens' (the spec takes {needs_givens})",
                    Location(item.line, 1), seconds=time.perf_counter() - started))
            givens = {} if item.givens is MISSING else item.givens
            if program:
                return LineVerdict(item.id, item.line, _check_program(spec, item, args, store, started))
            answer = proposal_value(domain, item.proposal)
            if isinstance(answer, AnswerError):
                return LineVerdict(item.id, item.line, malformed(
                    f"line {item.line}: no parsable answer in the proposal text: {answer.message} "
                    f"(text line {answer.line}, column {answer.column})",
                    Location(answer.line, answer.column, "proposal"), seconds=time.perf_counter() - started))
            where = Location(answer.line, answer.column) if answer.line else None
            verdict = check(spec, givens, answer.value, store=store, timeout=args.timeout,
                            vacuity=args.vacuity, vacuity_timeout=args.vacuity_timeout, explain=args.explain,
                            where=where, started=started,
                            eval_timeout=args.eval_timeout, eval_memory_mb=args.eval_memory,
                            spec_root=args.spec_root)
            return LineVerdict(item.id, item.line, verdict)

        tally = CheckTally(allow_unknown=args.allow_unknown)
        with _open_output(args.output) as out, _progress(source.size, out) as (advance, out):
            report = make_report(args.format, out, spec_ref=args.spec, source=source.name,
                                 allow_unknown=args.allow_unknown)
            report.start()
            started = time.perf_counter()
            for item in read_records(source.stream, progress=advance):
                result = judge(item, started)
                tally.add(result.verdict)
                report.add(result)
                started = time.perf_counter()
            tally.stop()
            report.finish(tally)
    if not report.has_summary or args.output:
        print(tally.summary(), file=sys.stderr)
    if tally.total == 0:
        print(f"assay check: warning: {source.name} holds no proposals", file=sys.stderr)
    return EXIT_OK if tally.ok else EXIT_FAILED


def _check_program(spec: Any, item: Any, args: argparse.Namespace, store: Path | None, started: float) -> Any:
    """One line against a program spec: its proposal is the program's text (a JSON string)."""
    from assay.bridges.records import MISSING
    from assay.kernel import Location, malformed
    from assay.kernel.programs import check_program
    from assay.kernel.verdicts import with_fields

    if not isinstance(item.proposal, str):
        return malformed(f"line {item.line}: the proposal of a program spec is the program's text, a JSON string "
                         f"(got {type(item.proposal).__name__})", Location(item.line, 1),
                         seconds=time.perf_counter() - started)
    if item.givens is not MISSING and item.givens != {}:
        return malformed(f"line {item.line}: a program spec takes no givens", Location(item.line, 1),
                         seconds=time.perf_counter() - started)
    verdict = check_program(spec, item.proposal, timeout=args.timeout, eval_timeout=args.eval_timeout,
                            eval_memory_mb=args.eval_memory, store=store, spec_root=args.spec_root)
    return with_fields(verdict, seconds=time.perf_counter() - started)


class _Source:
    def __init__(self, name: str, stream: IO[bytes], size: int | None) -> None:
        self.name, self.stream, self.size = name, stream, size


@contextlib.contextmanager
def _open_proposals(name: str) -> Iterator[_Source]:
    if name == "-":
        yield _Source("<stdin>", sys.stdin.buffer, None)
        return
    path = Path(name)
    if not path.exists():
        raise UsageError(f"proposals file not found: {name}")
    if path.is_dir():
        raise UsageError(f"proposals file is a folder: {name}")
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read proposals file {name}: {exc.strerror}") from exc
    with stream:
        yield _Source(name, stream, path.stat().st_size)


@contextlib.contextmanager
def _open_output(name: str | None) -> Iterator[TextIO]:
    if name is None:
        yield sys.stdout
        return
    try:
        out = open(name, "w", encoding="utf-8")  # noqa: SIM115 -- closed below
    except OSError as exc:
        raise UsageError(f"cannot write {name}: {exc.strerror}") from exc
    with out:
        yield out


@contextlib.contextmanager
def _progress(total: int | None, out: TextIO) -> Iterator[tuple[Any, TextIO]]:
    """A byte-counting progress bar on stderr, only for a person at a terminal (not in CI).

    Yields the bar's ``update`` (or None) and the stream to write the report to: when the
    report goes to a terminal too, each write clears the bar first, so rows and bar do not
    share a line.
    """
    from assay.replay import show_progress

    if not show_progress():
        yield None, out
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, file=sys.stderr, leave=False,
              desc="checking") as bar:
        isatty = getattr(out, "isatty", lambda: False)()
        yield bar.update, (cast(TextIO, _AroundBar(out, bar)) if isatty else out)


class _AroundBar(io.TextIOBase):
    """A text stream that clears the progress bar around each write to the same terminal."""

    def __init__(self, out: TextIO, bar: Any) -> None:
        self._out, self._bar = out, bar

    def write(self, text: str) -> int:
        with self._bar.external_write_mode(file=sys.stderr):
            self._out.write(text)
            self._out.flush()
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return True


def _load_spec(ref: str) -> Any:
    """``assay.specs.load(ref)``, with load errors as usage errors that say file:line:col."""
    from assay.specs import InvalidSpec, SpecLoadError, load

    # Like `python -m`, a MODULE:NAME spec is found from the current folder too.
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        return load(ref)
    except InvalidSpec as exc:
        raise UsageError(f"invalid spec {ref}: {exc}") from exc
    except SpecLoadError as exc:
        raise UsageError(_load_error(exc)) from exc
    finally:
        if added:
            with contextlib.suppress(ValueError):
                sys.path.remove(cwd)


def _load_error(exc: BaseException) -> str:
    """The message of a spec that does not import, with the file:line[:col] it failed at."""
    cause = exc.__cause__
    if isinstance(cause, SyntaxError) and cause.filename and cause.lineno:
        return f"{cause.filename}:{cause.lineno}:{cause.offset or 1}: {exc}"
    where = ""
    tb = cause.__traceback__ if cause is not None else None
    while tb is not None:
        # The deepest frame in the user's code: not assay's, not the standard library's.
        if _users_file(tb.tb_frame.f_code.co_filename):
            where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return f"{where}{exc}"


def _users_file(filename: str) -> bool:
    import sysconfig

    if filename.startswith("<"):  # frozen importlib, exec'd strings
        return False
    path = Path(filename).resolve()
    theirs = [Path(sysconfig.get_paths()["stdlib"]).resolve(), Path(assay.__file__).resolve().parent]
    theirs += [Path(m.__file__).resolve().parent for name in ("assay.specs", "assay.kernel")
               if (m := sys.modules.get(name)) is not None and m.__file__]
    return not any(path.is_relative_to(p) for p in theirs)


# --- smt -------------------------------------------------------------------------


def _smt(args: argparse.Namespace) -> int:
    from assay.specs import DecodeError
    from assay.specs.evaluate import Undefined
    from assay.specs.obligations import claim_query
    from assay.specs.terms import Unsupported

    about_proposal = args.claim in ("unique", "optimal")
    if about_proposal and args.proposal is None:
        raise UsageError(f"--claim {args.claim} is about a proposal: give it with --proposal FILE")
    if not about_proposal and args.proposal is not None:
        raise UsageError("--proposal is only for --claim unique or optimal (any-solution leaves the "
                         "proposal symbolic)")
    givens_json = _read_json(args.givens, "givens")
    proposal_json = _read_json(args.proposal, "proposal") if about_proposal else None
    spec = _load_spec(args.spec)
    if args.claim == "optimal" and spec.sense is None:
        raise UsageError(f"{args.spec} has no objective: --claim optimal does not apply")
    try:
        givens = spec.decode_givens(givens_json)
        value = spec.decode_proposal(proposal_json) if about_proposal else None
    except DecodeError as exc:
        what = "givens do" if exc.path.startswith("givens") else "proposal does"
        raise UsageError(f"the {what} not fit {args.spec}: {exc}") from exc
    if about_proposal and spec.out_of_bounds(value):
        raise UsageError(f"the proposal does not fit {args.spec}: {spec.out_of_bounds(value)[0]}")
    try:
        query = claim_query(args.claim, spec, givens, value)
        text = query.smtlib()
    except Unsupported as exc:
        raise UsageError(f"{args.spec} cannot be encoded for the solvers: {exc}") from exc
    except Undefined as exc:
        raise UsageError(f"the objective raises {exc.kind} on the proposal: {exc.message}") from exc
    meaning = {"any-solution": "sat: some proposal meets the spec; unsat: none can",
               "unique": "sat: another proposal meets the spec; unsat: this proposal is the only one",
               "optimal": "sat: a proposal does better; unsat: this proposal is optimal"}[args.claim]
    header = (f"; assay {assay.__version__}: the {query.name} query of {_printable_ref(args.spec)}\n"
              f"; {meaning}\n")
    with _open_output(args.output) as out:
        out.write(header + text)
    return EXIT_OK


def _printable_ref(ref: str) -> str:
    """``ref`` safe inside an SMT-LIB comment line (no line breaks or control characters)."""
    return "".join(ch if ch.isprintable() else "?" for ch in ref)


def _read_json(name: str, what: str) -> Any:
    import json

    path = Path(name)
    if not path.exists():
        raise UsageError(f"{what} file not found: {name}")
    if path.is_dir():
        raise UsageError(f"{what} file is a folder: {name}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {what} file {name}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} file {name} is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise UsageError(f"{what} file {name} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                         ) from exc


# --- recheck and demo ------------------------------------------------------------


def _recheck(args: argparse.Namespace) -> int:
    from assay.proofs.recheck import recheck_path

    if not args.timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {args.timeout}")
    path = Path(args.path) if args.path else store_dir(args)
    assert path is not None  # recheck has no --no-store
    if not path.exists():
        raise UsageError(f"nothing to recheck: {path} does not exist")
    if not Path(args.spec_root).is_dir():
        raise UsageError(f"--spec-root {args.spec_root} is not a folder")
    held = failed = skipped = 0
    for result in recheck_path(path, spec_root=args.spec_root, timeout=args.timeout):
        if result.ok:
            held += 1
            print(f"ok      {result.path}")
        elif result.skipped:
            skipped += 1
            print(f"skipped {result.path}: {result.reason}")
        else:
            failed += 1
            print(f"FAILED  {result.path}: {result.reason}")
    noun = "certificate" if held + failed == 1 else "certificates"
    also = f"; {skipped} {'file' if skipped == 1 else 'files'} skipped" if skipped else ""
    print(f"{held + failed} {noun}: {held} hold, {failed} failed{also}", file=sys.stderr)
    if held + failed == 0:
        print(f"assay recheck: warning: no certificates under {path}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from assay.demo import run

    store = store_dir(args)
    assert store is not None  # demo has no --no-store: it rechecks what it wrote
    return int(run(store=store))


# --- report ----------------------------------------------------------------------

_REPORT_COLUMNS = (("tasks", "tasks"), ("accepted", "acc"), ("repaired", "rep"), ("refuted", "ref"),
                   ("unknown", "unk"), ("malformed", "mal"), ("vacuous", "vac"), ("undecided", "undec"),
                   ("model_calls", "calls"),
                   ("tokens", "tokens"), ("cost", "cost $"), ("solver_seconds", "solver s"),
                   ("wall_seconds", "wall s"))
_MODEL_COLUMNS = (("tasks", "tasks"), ("model_calls", "calls"), ("accepted", "acc"), ("tokens", "tokens"),
                  ("cost", "cost $"))


def _report(args: argparse.Namespace) -> int:
    import json

    from assay.kernel.ledger import Ledger, ledger_path

    store = store_dir(args)
    assert store is not None  # report has no --no-store
    path = ledger_path(store)
    if not path.exists():
        raise UsageError(f"no ledger at {path} (the offload loop writes one: assay.solve(..., store=...), "
                         "assay demo)")
    try:
        with Ledger(store) as ledger:
            tables = {"strategy": ledger.summary("strategy"), "spec": ledger.summary("spec")}
            models = ledger.by_model()
    except (ValueError, sqlite3.DatabaseError) as exc:
        raise UsageError(f"the ledger at {path} cannot be read: {exc}") from None
    if args.format == "json":
        print(json.dumps({"ledger": str(path), "by_strategy": tables["strategy"], "by_spec": tables["spec"],
                          "by_model": models}, indent=2))
        return EXIT_OK
    print(f"ledger: {path}")
    for by, rows in tables.items():
        print()
        print(_report_table(by, rows))
    if models:
        print()
        print(_report_table("model", models, _MODEL_COLUMNS))
    return EXIT_OK


def _report_table(by: str, rows: list[dict[str, Any]],
                  columns: tuple[tuple[str, str], ...] | None = None) -> str:
    columns = columns or _REPORT_COLUMNS
    width = max([len(by), *(len(str(r[by])) for r in rows)])
    head = f"{by:<{width}}  " + "  ".join(f"{short:>8}" for _, short in columns)
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = [f"{r[k]:>8.2f}" if isinstance(r[k], float) else f"{'-' if r[k] is None else r[k]:>8}"
                 for k, _ in columns]
        lines.append(f"{r[by]!s:<{width}}  " + "  ".join(cells))
    if not rows:
        lines.append("(no tasks recorded)")
    return "\n".join(lines)
