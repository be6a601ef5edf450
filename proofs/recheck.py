"""Recheck: derive each stored certificate's verdict again, from the spec, the givens and the proposal.

A certificate passes only when everything it states is what recheck derives
on its own, by the kernel's rules but with none of the kernel's code:

1. the file is a regular file in the current format (:func:`.certificate.read`),
   its ``id`` is the sha256 of its content and the givens and proposal match
   their sha256.  These hashes are unkeyed and catch accidents only: anyone
   can recompute them, and nothing below relies on them;
2. its spec ref resolves to a file under the spec root, or in assay's own
   library, without importing anything by name (:mod:`.spec_refs`); the spec
   is loaded afresh from that file and must have the recorded name and
   source sha256;
3. the givens and the proposal decode into the spec's domains;
4. the verdict is derived: CPython runs the spec on the proposal.  If it
   holds, every claim the *spec* makes (``unique``, then ``optimal``; not
   the certificate's list) is proved again by UNSAT, or refuted by the
   counterexample the certificate records, which the evaluator must confirm.
   If it does not hold, the violated clauses are found and worded again and,
   when the certificate says the vacuity query was asked, recheck asks it
   too: the verdict is VACUOUS only if that query is UNSAT;
5. the recorded verdict (compared exactly: no case folding, no trimming),
   reason, claims, evaluator result and SMT-LIB queries (intact by their
   sha256, clean, and the very text the spec gives for these values) must
   equal what was derived.

A query counts as UNSAT only when z3 and cvc5 each answer ``unsat`` both from
its SMT-LIB text in a fresh process and from its terms through their APIs
(:mod:`.fresh_solvers`).  Unknown is never yes: a timeout or any answer
short of that leaves the claim unproved, and a certificate that rests on it
fails, saying so.  This module does not import ``assay.kernel``: a bug in the
kernel's path cannot vouch for itself.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

from assay.specs import DecodeError, SpecLoadError, load, reasons
from assay.specs.errors import InvalidSpec
from assay.specs.time_limit import EvaluationLimit, evaluation_budget

from .certificate import CertificateError, NotARegularFile, file_kind, read, sha256_of
from .spec_refs import SpecRefRefused, resolve

if TYPE_CHECKING:
    from assay.specs import Spec
    from assay.specs.program_spec import ProgramSpec
    from assay.specs.queries import Query

__all__ = ["RecheckResult", "recheck_file", "recheck_path"]


@dataclass(frozen=True)
class RecheckResult:
    """Whether one certificate holds, and if not, why (``reason``).

    ``skipped`` marks a path in a store that recheck did not open (a link, a
    FIFO, a device, a socket): not a certificate that failed, but reported.
    """

    path: Path
    ok: bool
    reason: str
    verdict: str = ""
    skipped: bool = False


#: The limits on CPython running a spec's code for one certificate (as ``check``'s defaults).
EVAL_TIMEOUT: Final = 10.0
EVAL_MEMORY_MB: Final = 2048.0


def recheck_path(path: str | Path, *, spec_root: str | Path = ".", timeout: float = 30.0
                 ) -> Iterator[RecheckResult]:
    """Recheck the certificate at ``path``, or every ``*.json`` certificate in the folder ``path``.

    Specs are loaded from under ``spec_root``; ``timeout`` bounds each solver
    run in seconds.  In a folder, symbolic links are not followed and files
    that are not regular (FIFOs, devices, sockets) are never opened: each is
    reported as skipped, with the reason.
    """
    top = Path(path)
    if not top.exists():
        yield RecheckResult(top, False, f"{top} does not exist")
        return
    if not top.is_dir():  # the user named it: a link here is followed, as for any argument
        yield recheck_file(top, spec_root=spec_root, timeout=timeout)
        return
    for item in _walk(top):
        yield item if isinstance(item, RecheckResult) else recheck_file(item, spec_root=spec_root, timeout=timeout)


def recheck_file(path: str | Path, *, spec_root: str | Path = ".", timeout: float = 30.0,
                 eval_timeout: float | None = EVAL_TIMEOUT, eval_memory_mb: float | None = EVAL_MEMORY_MB
                 ) -> RecheckResult:
    """Re-derive one certificate's verdict; ``ok`` only if everything it records is what recheck derives.

    ``eval_timeout`` (seconds) and ``eval_memory_mb`` bound CPython running the
    spec's code for this certificate, as ``check`` bounds it: a store someone
    sent cannot hold the recheck for ever.  Past them the certificate fails
    (recheck could not derive its verdict; unknown is never a pass).
    """
    path = Path(path)
    try:
        cert = read(path)
    except NotARegularFile as exc:
        return RecheckResult(path, False, exc.why, skipped=True)
    except CertificateError as exc:
        return RecheckResult(path, False, str(exc))
    try:
        with evaluation_budget(eval_timeout, eval_memory_mb):
            _recheck(cert, path, Path(spec_root), timeout)
    except EvaluationLimit as exc:
        return RecheckResult(path, False, f"recheck could not derive the verdict: {exc.word}: {exc}",
                             cert["verdict"])
    except _Fails as exc:
        return RecheckResult(path, False, str(exc), cert["verdict"])
    except Exception as exc:  # a bug or an odd file costs this certificate (it fails), not the others
        return RecheckResult(path, False, f"recheck could not finish: {type(exc).__name__}: {exc}", cert["verdict"])
    return RecheckResult(path, True, "holds", cert["verdict"])


# --- one certificate -------------------------------------------------------------------


class _Fails(Exception):
    """Control flow inside this module: the certificate fails, and the message says why."""


def _fail(why: str) -> NoReturn:
    raise _Fails(why)


@dataclass
class _Derived:
    """What recheck derives for a certificate: the parts it must record exactly."""

    verdict: str
    reason: str
    evaluator: dict[str, Any]
    claims: list[dict[str, Any]] = field(default_factory=list)
    unsat: list[tuple[str, str]] = field(default_factory=list)  # (claim, SMT-LIB text) of each UNSAT it rests on
    note: str = ""  # why the derivation went the way it did, where the verdict differs


def _recheck(cert: dict[str, Any], path: Path, root: Path, timeout: float) -> None:
    from assay.specs.program_spec import ProgramSpec

    _check_hashes(cert)
    spec = _load_spec(cert, root)
    if isinstance(spec, ProgramSpec):
        _compare(cert, _derive_program(spec, cert, timeout), path)
        return
    try:
        givens = spec.decode_givens(cert["givens"])
        value = spec.decode_proposal(cert["proposal"])
    except DecodeError as exc:
        _fail(f"the stored values do not fit the spec ({exc}); the kernel issues no certificate for them")
    derived = _derive(spec, givens, value, cert, timeout)
    _compare(cert, derived, path)


def _check_hashes(cert: dict[str, Any]) -> None:
    if sha256_of(cert["proposal"]) != cert["proposal_sha256"]:
        _fail("the proposal was edited after the certificate was issued (its sha256 differs)")
    if sha256_of(cert["givens"]) != cert["givens_sha256"]:
        _fail("the givens were edited after the certificate was issued (their sha256 differs)")
    body = {k: v for k, v in cert.items() if k not in ("id", "created")}
    if sha256_of(body) != cert["id"]:
        _fail("the certificate's content was edited (its id no longer matches)")


def _load_spec(cert: dict[str, Any], root: Path) -> Spec:
    ref = cert["spec"]["ref"]
    try:
        file, name = resolve(ref, root)
    except SpecRefRefused as exc:
        _fail(f"{exc}; nothing was loaded")
    try:
        spec = load(f"{file}:{name}", fresh=True)
    except (SpecLoadError, InvalidSpec) as exc:
        _fail(f"the spec {ref} does not load: {exc}")
    if spec.name != cert["spec"]["name"]:
        _fail(f"the spec {ref} is named {spec.name!r}; the certificate says {cert['spec']['name']!r}")
    if spec.source_hash != cert["spec"]["source_sha256"]:
        _fail(f"the spec {ref} changed since the certificate was issued (source sha256 differs)")
    return spec


def _derive(spec: Spec, givens: dict[str, Any], value: Any, cert: dict[str, Any], timeout: float) -> _Derived:
    """The verdict, reason, claims, evaluator record and UNSAT queries the kernel's rules give."""
    from assay.specs.explain import explain_clause

    env = {**givens, spec.proposal.name: value}
    out_of_bounds = spec.out_of_bounds(value)
    if not out_of_bounds and spec.holds(env):
        return _derive_claims(spec, givens, value, cert["claims"], timeout)
    explain = cert["options"]["explain"]
    violations = ([(spec.proposal.loc.line, text) for text in out_of_bounds] if out_of_bounds else
                  [(c.loc.line, explain_clause(c, env) if explain else "violated") for c in spec.violated_clauses(env)])
    if not violations:
        _fail("no verdict can be derived: CPython refutes the proposal but no clause of the spec's IR is violated "
              "(the kernel says UNKNOWN there and issues no certificate)")
    evaluator = {"result": False, "violated_lines": sorted({line for line, _ in violations})}
    refuted = _Derived("refuted", reasons.refuted(violations), evaluator)
    if not cert["options"]["vacuity"]:
        return refuted
    from assay.specs.obligations import claim_query
    from assay.specs.terms import Unsupported

    try:
        query = claim_query("no-solution", spec, givens)
    except Unsupported as exc:
        refuted.note = f"the vacuity query cannot be encoded: {exc}"
        return refuted
    text = query.smtlib()
    status, said = _ask(query, text, timeout)
    if status == "unsat":
        from .fresh_solvers import SOLVERS

        return _Derived("vacuous", reasons.vacuous(reasons.unsat_on(SOLVERS), violations), evaluator,
                        unsat=[("no-solution", text)])
    if cert["verdict"] == "vacuous":  # why recheck does not derive the recorded verdict
        refuted.note = (f"the vacuity query is not UNSAT: {said}"
                        + ("; unknown is never a proof" if status == "unknown" else ""))
    return refuted


def _derive_claims(spec: Spec, givens: dict[str, Any], value: Any, recorded: list[dict[str, Any]],
                   timeout: float) -> _Derived:
    """The spec holds on the proposal: settle every claim the spec makes, in the kernel's order."""
    from assay.specs.evaluate import Undefined
    from assay.specs.obligations import claim_query
    from assay.specs.terms import Unsupported

    from .fresh_solvers import SOLVERS

    names = (["unique"] if spec.unique else []) + (["optimal"] if spec.sense is not None else [])
    witnesses = {c.get("name"): c["witness"] for c in recorded if c.get("status") == "refuted" and "witness" in c}
    derived = _Derived("accepted", reasons.accepted(names), {"result": True, "violated_lines": []})
    for name in names:
        try:
            query = claim_query(name, spec, givens, value)
        except Undefined as exc:
            detail = reasons.objective_raises(exc.kind, exc.message)
            derived.claims.append({"name": name, "status": "refuted", "detail": detail})
            derived.verdict, derived.reason = "refuted", reasons.not_optimal(detail)
            return derived
        except Unsupported as exc:
            _fail(f"no verdict can be derived: the {name} claim cannot be encoded ({exc}); the kernel says UNKNOWN "
                  "there and issues no certificate")
        if name in witnesses:
            detail, witness = _confirm(spec, givens, value, name, witnesses[name])
            derived.claims.append({"name": name, "status": "refuted", "detail": detail, "witness": witness})
            derived.verdict, derived.reason = "refuted", reasons.claim_fails(name, detail)
            return derived
        text = query.smtlib()
        status, said = _ask(query, text, timeout)
        if status == "sat":
            _fail(f"the {name} claim does not hold: {said}")
        if status != "unsat":
            _fail(f"recheck could not prove the {name} claim, and unknown is never a proof: {said}")
        derived.claims.append({"name": name, "status": "proved", "detail": reasons.unsat_on(SOLVERS)})
        derived.unsat.append((name, text))
    return derived


def _derive_program(spec: ProgramSpec, cert: dict[str, Any], timeout: float) -> _Derived:
    """A program certificate: the code parsed again (never run), its counterexample query encoded from the spec
    and proved UNSAT, and, with a precondition, some input of the bound shown to meet it (else VACUOUS)."""
    from assay.specs import program_queries as pq
    from assay.specs.program import OutsideSubset, ProgramMalformed
    from assay.specs.terms import Unsupported

    from .fresh_solvers import SOLVERS

    if cert["givens"] != {}:
        _fail("a program certificate has no givens; this one records some")
    code = cert["proposal"]
    if not isinstance(code, str):
        _fail("the proposal of a program certificate is the program's code, a JSON string")
    try:
        program = pq.parsed_program(spec, code)
        encoding = pq.encode_program(spec, program)
    except (ProgramMalformed, OutsideSubset, Unsupported) as exc:
        _fail(f"no verdict can be derived: the program is not one the solvers judge ({exc}); the kernel issues no "
              "certificate for it")
    domain = pq.inputs_domain(spec)
    query = pq.counterexample_of(encoding, domain)
    text = query.smtlib()
    status, said = _ask(query, text, timeout)
    if status == "sat":
        _fail(f"the program does not meet its spec for the bound: {said}")
    if status != "unsat":
        _fail(f"recheck could not prove the program for the bound, and unknown is never a proof: {said}")
    proved = _Derived("accepted", pq.proved_reason(spec, SOLVERS), {"result": True, "violated_lines": []},
                      unsat=[("program", text)])
    if spec.requires_fn is None:
        return proved
    some = pq.some_input_of(encoding, domain)
    status, said = _ask(some, some.smtlib(), timeout)
    if status == "unsat":
        return _Derived("vacuous", f"no input of the bound meets the precondition ({reasons.unsat_on(SOLVERS)}), "
                        f"so the proof says nothing: {pq.bound_text(spec)}", proved.evaluator, note=said)
    if status != "sat":
        _fail(f"recheck could not show that some input of the bound meets the precondition: {said}")
    return proved


def _confirm(spec: Spec, givens: dict[str, Any], value: Any, name: str, recorded: Any) -> tuple[str, Any]:
    """A refuted claim's recorded counterexample, confirmed by the evaluator: the claim's detail, and the witness."""
    from assay.specs import queries
    from assay.specs.evaluate import Undefined
    from assay.specs.show import show_int, show_value

    what = f"the counterexample to the {name} claim"
    try:
        witness = spec.decode_proposal(recorded)
    except DecodeError as exc:
        _fail(f"{what} is not a proposal of the spec: {exc}")
    if spec.out_of_bounds(witness) or not spec.holds({**givens, spec.proposal.name: witness}):
        _fail(f"{what} does not hold: the counterexample does not meet the spec")
    encoded = spec.proposal.domain.encode(witness)
    shown = show_value(encoded)
    if name == "unique":
        if encoded == spec.proposal.domain.encode(value):
            _fail(f"{what} does not hold: the counterexample is the proposal itself")
        return reasons.another_solution(shown), encoded
    try:
        mine = queries.objective_value(spec, givens, value)
        theirs = queries.objective_value(spec, givens, witness)
    except Undefined as exc:
        _fail(f"{what} does not hold: the objective raises: {exc.message}")
    if not (theirs > mine if spec.sense == "max" else theirs < mine):
        _fail(f"{what} does not hold: its objective {show_int(theirs)} is not better than {show_int(mine)}")
    return reasons.better_solution(shown, theirs, mine), encoded


def _ask(query: Query, text: str, timeout: float) -> tuple[str, str]:
    """``unsat`` only if z3 and cvc5 each say so from the text (fresh processes) and from the terms (APIs).

    Otherwise ``sat`` (some run found a model) or ``unknown``, with what the
    runs of the route that fell short said.
    """
    from .fresh_solvers import ask_terms_both, ask_text_both

    for how in ("", " through its API"):
        answers = list((ask_terms_both(query, timeout=timeout) if how else ask_text_both(text, timeout=timeout))
                       .values())
        if any(a.result != "unsat" for a in answers):
            said = ", ".join(f"{a.solver}{how} says {a.result}{f' ({a.reason})' if a.reason else ''}"
                             for a in answers)
            return ("sat" if any(a.result == "sat" for a in answers) else "unknown"), said
    return "unsat", ""


# --- comparing what is recorded with what was derived ------------------------------------


def _compare(cert: dict[str, Any], derived: _Derived, path: Path) -> None:
    from assay.specs.show import show_value

    if cert["verdict"] != derived.verdict:
        note = f"; {derived.note}" if derived.note else ""
        _fail(f"the certificate says the verdict is {_quoted(cert['verdict'])}; recheck derives "
              f"{derived.verdict!r} ({derived.reason}){note}")
    if cert["reason"] != derived.reason:
        _fail(f"the certificate's reason is {_quoted(cert['reason'])}; recheck derives {derived.reason!r}")
    claims = [{k: v for k, v in c.items() if k != "solvers"} for c in cert["claims"]]
    if claims != derived.claims:
        _fail(f"the certificate's claims are {_claims_text(claims)}; recheck derives {_claims_text(derived.claims)}")
    if cert["evaluator"] != derived.evaluator:
        _fail(f"the certificate's evaluator record is {show_value(cert['evaluator'])}; the evaluator says "
              f"{show_value(derived.evaluator)}")
    _compare_queries(cert["queries"], path, derived.unsat)


def _quoted(text: str, limit: int = 1000) -> str:
    """A recorded string as a Python literal, cut (and said so) past ``limit`` characters."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def _claims_text(claims: list[dict[str, Any]]) -> str:
    from assay.specs.show import show_value

    if not claims:
        return "none"
    return "; ".join(", ".join(f"{k}={show_value(v)}" for k, v in sorted(c.items())) for c in claims)


def _compare_queries(records: list[dict[str, Any]], path: Path, unsat: list[tuple[str, str]]) -> None:
    """The recorded queries are those the verdict rests on, each intact, clean and the spec's own text."""
    from assay.specs.smtlib_hygiene import SmtlibRefused, check_smtlib

    recorded = [r.get("claim") for r in records]
    wanted = [name for name, _ in unsat]
    if recorded != wanted:
        missing = next((n for n in wanted if n not in recorded), None)
        if missing is not None:
            _fail(f"the certificate records no SMT-LIB query for the {missing} claim")
        _fail(f"the certificate records SMT-LIB queries for {recorded}; the verdict rests on UNSAT of {wanted}")
    for record, (name, expected) in zip(records, unsat, strict=True):
        what = f"the recorded query for the {name} claim"
        text = _recorded_text(record, path, what)
        try:
            check_smtlib(text)
        except SmtlibRefused as exc:
            _fail(f"{what} is refused: {exc}")
        if text != expected:
            _fail(f"{what} is not the one the spec gives for these values ({_first_difference(text, expected)})")


def _recorded_text(record: Mapping[str, Any], path: Path, what: str) -> str:
    """The recorded text (inline or from its sidecar), checked against its sha256."""
    from assay.specs.smtlib_hygiene import DEFAULT_MAX_BYTES

    if isinstance(record.get("smtlib"), str):
        text = str(record["smtlib"])
    elif isinstance(record.get("sidecar"), str):
        name = str(record["sidecar"])
        if Path(name).name != name or name.startswith(".") or not name.endswith(".smt2"):
            _fail(f"{what} names a sidecar that is not a .smt2 file beside the certificate: {name!r}")
        file = path.parent / name
        try:
            info = file.lstat()
            if not stat.S_ISREG(info.st_mode):
                _fail(f"{what} is in {file}, which is not a regular file (recheck follows no links)")
            if info.st_size > DEFAULT_MAX_BYTES:
                _fail(f"{what} is in a sidecar of {info.st_size} bytes, over the {DEFAULT_MAX_BYTES}-byte limit")
            text = _read_nonblocking(file)
        except FileNotFoundError:
            _fail(f"{what} is missing: its sidecar {file} does not exist")
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{what} cannot be read from its sidecar {file}: {exc}")
    else:
        _fail(f"{what} holds no SMT-LIB text and names no sidecar")
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != record.get("sha256"):
        _fail(f"{what} was edited after the certificate was issued (its sha256 differs)")
    return text


def _read_nonblocking(file: Path) -> str:
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            _fail(f"{file} is not a regular file")
        return fh.read().decode("utf-8")


def _first_difference(a: str, b: str) -> str:
    """Where two texts first differ, as ``line L, column C``."""
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    line = a.count("\n", 0, i) + 1
    return f"they differ from line {line}, column {i - (a.rfind(chr(10), 0, i) + 1) + 1}"


# --- walking a store -------------------------------------------------------------------------


def _walk(folder: Path) -> Iterator[Path | RecheckResult]:
    """Each ``*.json`` regular file under ``folder`` in name order; a skipped result for each link or odd file."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield RecheckResult(folder, False, f"{folder} cannot be listed: {exc}")
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue  # the temporary files of an atomic write
        if entry.is_symlink():
            yield RecheckResult(path, False, "a symbolic link: skipped (recheck follows no links in a store)",
                                skipped=True)
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(path)
        elif not entry.is_file(follow_symlinks=False):
            yield RecheckResult(path, False, f"not a regular file ({_kind(path)}): skipped, never opened",
                                skipped=True)
        elif entry.name.endswith(".json"):
            yield path


def _kind(path: Path) -> str:
    try:
        return file_kind(path.lstat().st_mode)
    except OSError as exc:
        return f"cannot be examined: {exc}"
