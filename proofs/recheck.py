"""Recheck: re-verify stored certificates, independently of the run that made them.

For each certificate: the givens and proposal must still hash to what the
certificate says (an edited proposal fails here); the spec must still load and
have the same source hash (a changed spec fails here); the trusted evaluator
runs the spec again on the stored values and must reach the recorded result;
and every solver-proved claim (uniqueness, optimality, "no solution exists")
is proved again by UNSAT on both solvers, with fresh solver instances of this
package's own, never the kernel's.  The SMT-LIB2 text each such claim records
must be intact (its sha256), pass the SMT-LIB hygiene checks, be exactly the
text the spec gives now for the certificate's values (an edited query fails
here), and is then replayed from the text alone on z3 and cvc5, each in a
fresh process (:mod:`.replay`): both must answer ``unsat``.  This module does
not import ``assay.kernel``: a bug in the kernel's path cannot vouch for
itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay.specs import DecodeError, Spec, SpecLoadError, load
from assay.specs.errors import InvalidSpec

from .certificate import CertificateError, read, sha256_of

__all__ = ["RecheckResult", "recheck_file", "recheck_path"]


@dataclass(frozen=True)
class RecheckResult:
    """Whether one certificate still holds, and if not, why."""

    path: Path
    ok: bool
    reason: str
    verdict: str = ""


def recheck_path(path: str | Path, *, timeout: float = 30.0) -> Iterator[RecheckResult]:
    """Recheck the certificate at ``path``, or every ``*.json`` certificate under it."""
    root = Path(path)
    if root.is_file():
        yield recheck_file(root, timeout=timeout)
        return
    if not root.exists():
        yield RecheckResult(root, False, f"{root} does not exist")
        return
    for file in sorted(root.rglob("*.json")):
        if not file.name.startswith("."):
            yield recheck_file(file, timeout=timeout)


def recheck_file(path: str | Path, *, timeout: float = 30.0) -> RecheckResult:
    """Re-verify one certificate file."""
    path = Path(path)
    try:
        cert = read(path)
    except CertificateError as exc:
        return RecheckResult(path, False, str(exc))
    verdict = str(cert["verdict"])

    def fail(why: str) -> RecheckResult:
        return RecheckResult(path, False, why, verdict)

    if sha256_of(cert["proposal"]) != cert["proposal_sha256"]:
        return fail("the proposal was edited after the certificate was issued (its sha256 differs)")
    if sha256_of(cert["givens"]) != cert["givens_sha256"]:
        return fail("the givens were edited after the certificate was issued (their sha256 differs)")
    body = {k: v for k, v in cert.items() if k not in ("id", "created")}
    if "id" in cert and sha256_of(body) != cert["id"]:
        return fail("the certificate's content was edited (its id no longer matches)")
    ref = cert["spec"]["ref"]
    try:
        spec = load(ref, fresh=True)
    except (SpecLoadError, InvalidSpec) as exc:
        return fail(f"the spec {ref} no longer loads: {exc}")
    if spec.source_hash != cert["spec"].get("source_sha256"):
        return fail(f"the spec {ref} changed since the certificate was issued (source sha256 differs)")
    try:
        givens = spec.decode_givens(cert["givens"])
        value = spec.decode_proposal(cert["proposal"])
    except DecodeError as exc:
        return fail(f"the stored values no longer fit the spec: {exc}")
    holds = not spec.out_of_bounds(value) and spec.holds({**givens, spec.proposal.name: value})
    recorded = cert["evaluator"].get("result")
    if holds is not recorded:
        return fail(f"the evaluator now says {holds}, the certificate says {recorded}")
    if verdict == "accepted" and not holds:
        return fail("accepted, but the spec does not hold on the proposal")
    refuted_by_claim = any(isinstance(c, dict) and c.get("status") == "refuted"
                           for c in cert.get("claims", []))
    if (verdict == "vacuous" and holds) or (verdict == "refuted" and holds and not refuted_by_claim):
        return fail(f"{verdict}, but the spec holds on the proposal")
    for claim in _claims_to_reprove(cert):
        ok, why = _reprove(claim["name"], spec, givens, value, timeout=timeout)
        if not ok:
            return fail(f"the {claim['name']} claim no longer holds: {why}")
        ok, why = _replay_recorded(cert, path, claim["name"], spec, givens, value, timeout=timeout)
        if not ok:
            return fail(why)
    for claim in cert.get("claims", []):
        if isinstance(claim, dict) and claim.get("status") == "refuted":
            ok, why = _confirm_counterexample(claim, spec, givens, value)
            if not ok:
                return fail(f"the counterexample to the {claim.get('name')} claim does not hold: {why}")
    return RecheckResult(path, True, "holds", verdict)


def _confirm_counterexample(claim: dict[str, Any], spec: Spec, givens: dict[str, Any], value: Any
                            ) -> tuple[bool, str]:
    """A refuted claim's witness must meet the spec, differ (unique) or do better (optimal)."""
    from assay.specs import queries
    from assay.specs.evaluate import Undefined

    if "witness" not in claim:
        return False, "the certificate records no counterexample"
    try:
        witness = spec.decode_proposal(claim["witness"])
    except DecodeError as exc:
        return False, str(exc)
    if spec.out_of_bounds(witness) or not spec.holds({**givens, spec.proposal.name: witness}):
        return False, "the counterexample does not meet the spec"
    if claim.get("name") == "unique":
        same = spec.proposal.domain.encode(witness) == spec.proposal.domain.encode(value)
        return (not same, "the counterexample is the proposal itself" if same else "")
    if claim.get("name") == "optimal":
        try:
            mine = queries.objective_value(spec, givens, value)
            theirs = queries.objective_value(spec, givens, witness)
        except Undefined as exc:
            return False, f"the objective raises: {exc.message}"
        better = theirs > mine if spec.sense == "max" else theirs < mine
        return (better, "" if better else f"its objective {theirs} is not better than {mine}")
    return False, f"unknown claim {claim.get('name')!r}"


def _claims_to_reprove(cert: dict[str, Any]) -> list[dict[str, Any]]:
    claims = [c for c in cert.get("claims", []) if isinstance(c, dict) and c.get("status") == "proved"]
    if cert["verdict"] == "vacuous":
        claims.append({"name": "no-solution"})
    return claims


def _reprove(name: str, spec: Spec, givens: dict[str, Any], value: Any, *, timeout: float
             ) -> tuple[bool, str]:
    from assay.specs.obligations import claim_query

    from .solvers import both_unsat

    if name not in ("unique", "optimal", "no-solution"):
        return False, f"unknown claim {name!r}"
    return both_unsat(claim_query(name, spec, givens, value), timeout=timeout)


def _replay_recorded(cert: dict[str, Any], path: Path, name: str, spec: Spec, givens: dict[str, Any],  # noqa: PLR0917
                     value: Any, *, timeout: float) -> tuple[bool, str]:
    """The claim's recorded SMT-LIB2 text is intact, clean, the spec's own, and UNSAT on replay."""
    from assay.specs.obligations import claim_query
    from assay.specs.smtlib_hygiene import SmtlibRefused, check_smtlib

    from .replay import replay_both

    records = [q for q in cert.get("queries", []) if isinstance(q, dict) and q.get("claim") == name]
    if not records:
        return False, f"the certificate records no SMT-LIB query for the {name} claim"
    text, why = _recorded_text(records[0], path)
    what = f"the recorded query for the {name} claim"
    if text is None:
        return False, f"{what} {why}"
    try:
        check_smtlib(text)
    except SmtlibRefused as exc:
        return False, f"{what} is refused: {exc}"
    expected = claim_query(name, spec, givens, value).smtlib()
    if text != expected:
        return False, f"{what} is not the one the spec gives for these values ({_first_difference(text, expected)})"
    answers = replay_both(text, timeout=timeout)
    if all(a.result == "unsat" for a in answers.values()):
        return True, ""
    said = ", ".join(f"{s} says {a.result}{f' ({a.reason})' if a.reason else ''}" for s, a in answers.items())
    return False, f"the {name} claim no longer holds when its recorded query is replayed in fresh processes: {said}"


def _recorded_text(record: dict[str, Any], path: Path) -> tuple[str | None, str]:
    """The recorded text (inline or from its sidecar), checked against its sha256; or why not."""
    from assay.specs.smtlib_hygiene import DEFAULT_MAX_BYTES

    if isinstance(record.get("smtlib"), str):
        text = str(record["smtlib"])
    elif isinstance(record.get("sidecar"), str):
        name = str(record["sidecar"])
        if Path(name).name != name or name.startswith(".") or not name.endswith(".smt2"):
            return None, f"names a sidecar that is not a .smt2 file beside the certificate: {name!r}"
        file = path.parent / name
        try:
            if file.stat().st_size > DEFAULT_MAX_BYTES:
                return None, f"is in a sidecar of {file.stat().st_size} bytes, over the {DEFAULT_MAX_BYTES}-byte limit"
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, f"is missing: its sidecar {file} does not exist"
        except (OSError, UnicodeDecodeError) as exc:
            return None, f"cannot be read from its sidecar {file}: {exc}"
    else:
        return None, "holds no SMT-LIB text and names no sidecar"
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != record.get("sha256"):
        return None, "was edited after the certificate was issued (its sha256 differs)"
    return text, ""


def _first_difference(a: str, b: str) -> str:
    """Where two texts first differ, as ``line L, column C``."""
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    line = a.count("\n", 0, i) + 1
    return f"they differ from line {line}, column {i - (a.rfind(chr(10), 0, i) + 1) + 1}"
