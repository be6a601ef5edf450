"""Issuing certificates for decided verdicts and writing them to the store.

A certificate of a verdict that rests on UNSAT (a proved ``unique`` or
``optimal`` claim, or VACUOUS: no proposal can meet the spec) records the
SMT-LIB2 text of each such query, so that anyone can take it to a solver and
``assay recheck`` can replay it.  The text is the query the spec gives for the
certificate's own givens and proposal (:func:`assay.specs.obligations.claim_query`),
the one the solvers were asked.  Texts over ``inline_limit`` bytes go to a
sidecar ``<sha256>.smt2`` next to the certificate.

The certificate names its spec relative to the spec root (the current folder
unless the caller gives another; :func:`assay.proofs.spec_refs.certificate_ref`),
and records the check's options that change a verdict or its words
(``vacuity``, ``explain``): ``assay recheck`` derives the verdict again with
the same options and compares.

cvc5's proof of each UNSAT is recorded when it is cheap: a query of at most
``proof_max_query_bytes``, proved again in a fresh process with proofs on
within ``proof_seconds``.  Otherwise the certificate says it was not
produced, and why (proof production costs several times the solving on
larger queries: a sudoku's uniqueness proof is 3.7 MB and takes seconds).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

from assay.proofs import certificate as _cert
from assay.proofs.spec_refs import certificate_ref
from assay.specs import Spec

from .solvers import check_text_sent
from .verdicts import Claim, Outcome, Verdict

__all__ = ["INLINE_LIMIT", "PROOF_MAX_QUERY_BYTES", "PROOF_SECONDS", "write_certificate", "write_program_certificate"]

INLINE_LIMIT: Final = 1024 * 1024
PROOF_MAX_QUERY_BYTES: Final = 64 * 1024
PROOF_SECONDS: Final = 2.0

_ISSUER: Final = object()
_cert.register_issuer(_ISSUER)


def write_certificate(store: str | Path, spec: Spec, givens: Any, proposal: Any,
                      verdict: Verdict, *, solvers: tuple[dict[str, Any], ...] = (),
                      vacuity: bool = True, explain: bool = True, spec_root: str | Path | None = None,
                      inline_limit: int = INLINE_LIMIT, proof_max_query_bytes: int = PROOF_MAX_QUERY_BYTES,
                      proof_seconds: float = PROOF_SECONDS) -> Path:
    """Issue the certificate of ``verdict`` and write it under ``store``; return its path.

    ``vacuity`` and ``explain`` are the options ``check`` decided it with;
    ``spec_root`` is the folder the certificate names its spec relative to
    (default: the current folder).  ``inline_limit`` (bytes) is the largest
    query text kept inside the certificate; ``proof_max_query_bytes`` and
    ``proof_seconds`` bound the attempt to get cvc5's proof (0 seconds: do
    not try).
    """
    # A claim can refute a proposal the evaluator accepted (not unique, not optimal).
    holds = verdict.outcome is Outcome.ACCEPTED or any(c.status == "refuted" for c in verdict.claims)
    sidecars: dict[str, str] = {}
    unsat = _unsat_queries(spec, givens, proposal, verdict)
    for name, text in unsat:
        # The text recorded must be the one the solvers answered (each answer carries its text's sha256).
        check_text_sent(text, [a for a in solvers if a.get("claim") == name])
    queries = tuple({"claim": name} | _text_record(text, "smt2", sidecars, inline_limit, "smtlib")
                    | {"cvc5_proof": _cvc5_proof(text, sidecars, inline_limit, proof_max_query_bytes, proof_seconds)}
                    for name, text in unsat)
    cert = _cert.Certificate(
        spec_ref=certificate_ref(spec, Path.cwd() if spec_root is None else spec_root),
        spec_name=spec.name,
        spec_sha256=spec.source_hash,
        givens=givens,
        proposal=proposal,
        outcome=verdict.outcome.value,
        reason=verdict.reason,
        evaluator={"result": holds,
                   "violated_lines": [] if holds else sorted({v.line for v in verdict.violations})},
        claims=tuple(_claim_json(spec, c, verdict, solvers) for c in verdict.claims),
        solvers=solvers,
        queries=queries,
        options={"vacuity": vacuity, "explain": explain},
        _issuer_token=_ISSUER,
    )
    return _cert.write(cert, store, sidecars=sidecars)


def write_program_certificate(store: str | Path, spec: Spec, text: str, verdict: Verdict, *,
                              solvers: tuple[dict[str, Any], ...] = (), spec_root: str | Path | None = None,
                              inline_limit: int = INLINE_LIMIT, proof_max_query_bytes: int = PROOF_MAX_QUERY_BYTES,
                              proof_seconds: float = PROOF_SECONDS) -> Path:
    """Issue the certificate of an ACCEPTED program (``text``, as the model wrote it) and write it under ``store``.

    The proposal recorded is the program's code (the Python the kernel
    parsed, without the prose or fences around it); there are no givens.
    The one query recorded is the counterexample query ("some input of the
    bound on which the program fails"), whose UNSAT is the proof:
    ``assay recheck`` parses the code again, encodes the query from the
    spec, compares the text, proves it UNSAT with fresh solvers and, when
    the spec has a precondition, asks again that some input meets it.
    """
    from assay.specs import program_queries as pq
    from assay.specs.program_spec import ProgramSpec

    if not isinstance(spec, ProgramSpec):
        raise TypeError(f"{spec.name} is not a program spec")
    if verdict.outcome is not Outcome.ACCEPTED:
        raise ValueError(f"a program certificate is issued for an ACCEPTED verdict, not {verdict.outcome.value}")
    program = pq.parsed_program(spec, text)
    query_text = pq.counterexample(spec, program).smtlib()
    check_text_sent(query_text, [a for a in solvers if a.get("claim") == "program"])
    sidecars: dict[str, str] = {}
    queries = ({"claim": "program"} | _text_record(query_text, "smt2", sidecars, inline_limit, "smtlib")
               | {"cvc5_proof": _cvc5_proof(query_text, sidecars, inline_limit, proof_max_query_bytes,
                                            proof_seconds)},)
    cert = _cert.Certificate(
        spec_ref=certificate_ref(spec, Path.cwd() if spec_root is None else spec_root),
        spec_name=spec.name,
        spec_sha256=spec.source_hash,
        givens={},
        proposal=program.code,
        outcome=verdict.outcome.value,
        reason=verdict.reason,
        evaluator={"result": True, "violated_lines": []},
        solvers=solvers,
        queries=queries,
        options={"vacuity": True, "explain": True},
        _issuer_token=_ISSUER,
    )
    return _cert.write(cert, store, sidecars=sidecars)


def _claim_json(spec: Spec, claim: Claim, verdict: Verdict, solvers: tuple[dict[str, Any], ...]
                ) -> dict[str, Any]:
    out = claim.to_json() | {"solvers": [a for a in solvers if a.get("claim") == claim.name]}
    if claim.status == "refuted" and verdict.witness is not None:
        out["witness"] = spec.proposal.domain.encode(verdict.witness)
    return out


def _unsat_queries(spec: Spec, givens: Any, proposal: Any, verdict: Verdict) -> list[tuple[str, str]]:
    """(claim, SMT-LIB2 text) of each query whose UNSAT the verdict rests on."""
    from assay.specs.obligations import claim_query

    names = [c.name for c in verdict.claims if c.status == "proved"]
    if verdict.outcome is Outcome.VACUOUS:
        names.append("no-solution")
    if not names:
        return []
    decoded = spec.decode_givens(givens)
    value = spec.decode_proposal(proposal) if any(n != "no-solution" for n in names) else None
    return [(n, claim_query(n, spec, decoded, value).smtlib()) for n in names]


def _text_record(text: str, suffix: str, sidecars: dict[str, str], inline_limit: int, key: str
                 ) -> dict[str, Any]:
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    out: dict[str, Any] = {"sha256": digest, "bytes": len(data)}
    if len(data) > inline_limit:
        out["sidecar"] = f"{digest}.{suffix}"
        sidecars[out["sidecar"]] = text
    else:
        out[key] = text
    return out


def _cvc5_proof(text: str, sidecars: dict[str, str], inline_limit: int, max_query_bytes: int, seconds: float
                ) -> dict[str, Any]:
    """cvc5's proof of the query's UNSAT, from a fresh process, or why there is none."""
    from assay.proofs.fresh_solvers import ask_text

    size = len(text.encode("utf-8"))
    if seconds <= 0:
        return {"produced": False, "why": "proof production is off"}
    if size > max_query_bytes:
        return {"produced": False,
                "why": f"the query is {size} bytes, over the {max_query_bytes}-byte limit for proof production"}
    answer = ask_text(text, "cvc5", timeout=seconds, proof=True)
    if answer.result != "unsat" or answer.proof is None:
        return {"produced": False, "why": f"cvc5 with proofs on said {answer.result}"
                                          f"{f' ({answer.reason})' if answer.reason else ''} within {seconds:g} s"}
    proof = _text_record(answer.proof, "proof", sidecars, inline_limit, "text")
    return {"produced": True, "solver": "cvc5", "version": answer.version, "options": answer.options,
            "format": "cvc5 proofToString, default proof format"} | proof
