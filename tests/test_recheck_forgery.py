"""Every edit of a real certificate fails recheck, each with the reason it should: one table.

The certificates are the kernel's own, for specs with and without claims:
ACCEPTED (no claim), REFUTED by the evaluator, ACCEPTED with ``unique``
proved, VACUOUS, REFUTED by a better solution (``optimal``), and ACCEPTED
with ``optimal`` proved.  Each row copies the spec root and its store, edits
one certificate as a forger would (then recomputes every hash the
certificate holds, its id too, unless the row is about those hashes), and
rechecks it.  The honest certificates pass first, so a failure below is the
edit's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import check
from assay.proofs import recheck_path
from assay.specs import load

from .certificate_helpers import KNAP, SPEC_FILE, read, rehash
from .paths import OK

# name -> (spec in ok.py, givens, proposal, the verdict): the certificates the table edits.
BASES = {
    "accepted": ("strings", {"prefix": "ab"}, "abc", "accepted"),
    "refuted": ("strings", {"prefix": "ab"}, "zzz", "refuted"),
    "unique": ("chained", {"lo": 0, "hi": 3}, 1, "accepted"),
    "vacuous": ("chained", {"lo": 0, "hi": 1}, 1, "vacuous"),
    "not-optimal": ("knapsack", KNAP, [True, True, False, False], "refuted"),
    "optimal": ("knapsack", KNAP, [False, True, False, True], "accepted"),
}


@dataclass(frozen=True)
class Store:
    """A spec root holding ok.py's copy and the base certificates, by name."""

    root: Path
    paths: dict[str, Path]

    def cert(self, name: str) -> dict[str, Any]:
        return read(self.paths[name])


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("bases")
    shutil.copy(OK, root / SPEC_FILE)
    before = Path.cwd()
    os.chdir(root)  # the spec root certificates are written against
    try:
        paths = {}
        for name, (spec, givens, proposal, verdict) in BASES.items():
            v = check(load(f"{SPEC_FILE}:{spec}"), givens, proposal, store=root / ".assay")
            assert v.certificate is not None and v.outcome.value == verdict, v
            paths[name] = Path(v.certificate)
    finally:
        os.chdir(before)
    return Store(root, paths)


def copy_of(store: Store, tmp_path: Path) -> Store:
    root = tmp_path / "root"
    shutil.copytree(store.root, root, symlinks=True)
    return Store(root, {k: root / p.relative_to(store.root) for k, p in store.paths.items()})


# --- the edits ------------------------------------------------------------------------------------

Change = Callable[[dict[str, Any], Store], Any]


@dataclass(frozen=True)
class Edit:
    """One forgery: which certificate, what changes, and the reason recheck must give (``{...}`` from facts)."""

    id: str
    base: str
    change: Change
    reason: str
    rehash: bool = True


def relabel(verdict: str) -> Change:
    return lambda c, _: c.update(verdict=verdict)


def sets(**fields: Any) -> Change:
    return lambda c, _: c.update(fields)


def query_text(edit: Callable[[str], str], *, rehash_query: bool) -> Change:
    def change(c: dict[str, Any], _: Store) -> None:
        q = c["queries"][0]
        q["smtlib"] = edit(q["smtlib"])
        if rehash_query:
            q["sha256"] = hashlib.sha256(q["smtlib"].encode()).hexdigest()
    return change


def witness(choose: Callable[[dict[str, Any]], Any]) -> Change:
    def change(c: dict[str, Any], _: Store) -> None:
        c["claims"][0]["witness"] = choose(c)
    return change


def swap_proposal(other: str) -> Change:
    return lambda c, s: c.update(proposal=s.cert(other)["proposal"])


def other_spec_same_name(c: dict[str, Any], s: Store) -> None:
    spec_file = s.root / SPEC_FILE
    spec_file.write_text(spec_file.read_text().replace('"x" not in word', '"c" not in word'))
    cwd = Path.cwd()
    os.chdir(s.root)
    try:
        c["spec"]["source_sha256"] = load(f"{SPEC_FILE}:strings", fresh=True).source_hash
    finally:
        os.chdir(cwd)


def another_better(c: dict[str, Any]) -> Any:
    better = [[False, True, False, True], [True, False, False, True], [False, True, True, False],
              [True, False, True, False]]
    return next(b for b in better if b != c["claims"][0]["witness"])


def accept_everything(c: dict[str, Any], _: Store) -> None:
    c.update(verdict="accepted", claims=[], queries=[], reason="the spec holds on the proposal",
             evaluator={"result": True, "violated_lines": []})


VACUOUS_TEXT = ("no proposal can meet the spec for these givens (the solvers proved it: UNSAT on z3 and cvc5); "
                "this one fails too: line 50: `word.startswith(prefix)` is false")

EDITS = [
    # the verdict, relabelled in every spelling
    Edit("accepted->ACCEPTED", "accepted", relabel("ACCEPTED"),
         "the certificate says the verdict is 'ACCEPTED'; recheck derives 'accepted' ({accepted.reason})"),
    Edit("accepted->Accepted", "accepted", relabel("Accepted"),
         "the certificate says the verdict is 'Accepted'; recheck derives 'accepted' ({accepted.reason})"),
    Edit("accepted->'accepted '", "accepted", relabel("accepted "),
         "the certificate says the verdict is 'accepted '; recheck derives 'accepted' ({accepted.reason})"),
    Edit("accepted->' accepted'", "accepted", relabel(" accepted"),
         "the certificate says the verdict is ' accepted'; recheck derives 'accepted' ({accepted.reason})"),
    Edit("accepted->repaired", "accepted", relabel("repaired"),
         "the certificate says the verdict is 'repaired'; recheck derives 'accepted' ({accepted.reason})"),
    Edit("refuted->accepted", "refuted", relabel("accepted"),
         "the certificate says the verdict is 'accepted'; recheck derives 'refuted' ({refuted.reason})"),
    Edit("refuted->accepted, reason and evaluator too", "refuted", accept_everything,
         "the certificate says the verdict is 'accepted'; recheck derives 'refuted' ({refuted.reason})"),
    Edit("refuted by a better solution->accepted, claims emptied", "not-optimal", accept_everything,
         "the optimal claim does not hold: z3 says sat, cvc5 says sat"),
    Edit("refuted by a better solution->accepted, claims emptied, id deleted", "not-optimal",
         lambda c, s: (accept_everything(c, s), c.pop("id")),
         "{path}: not a certificate: missing field 'id'", rehash=False),
    Edit("unique->refuted", "unique", relabel("refuted"),
         "the certificate says the verdict is 'refuted'; recheck derives 'accepted' ({unique.reason})"),
    Edit("vacuous->refuted", "vacuous", relabel("refuted"),
         "the certificate says the verdict is 'refuted'; recheck derives 'vacuous' ({vacuous.reason})"),
    Edit("vacuous->refuted, in REFUTED's words, queries dropped", "vacuous",
         sets(verdict="refuted", queries=[], reason="1 violated: line 60: `x < hi` is false: `x` is 1, `hi` is 1"),
         "the certificate says the verdict is 'refuted'; recheck derives 'vacuous' ({vacuous.reason})"),
    Edit("refuted->vacuous", "refuted", relabel("vacuous"),
         "the certificate says the verdict is 'vacuous'; recheck derives 'refuted' ({refuted.reason}); the vacuity "
         "query is not UNSAT: z3 says sat, cvc5 says sat"),
    Edit("refuted->vacuous, in VACUOUS's words", "refuted", sets(verdict="vacuous", reason=VACUOUS_TEXT),
         "the certificate says the verdict is 'vacuous'; recheck derives 'refuted' ({refuted.reason}); the vacuity "
         "query is not UNSAT: z3 says sat, cvc5 says sat"),
    # claims dropped, added, edited
    Edit("unique claim dropped", "unique", sets(claims=[]),
         "the certificate's claims are none; recheck derives detail='UNSAT on z3 and cvc5', name='unique', "
         "status='proved'"),
    Edit("unique claim dropped, with its query and its words", "unique",
         sets(claims=[], queries=[], reason="the spec holds on the proposal"),
         "the certificate's reason is 'the spec holds on the proposal'; recheck derives '{unique.reason}'"),
    Edit("unique claim added", "accepted",
         sets(claims=[{"name": "unique", "status": "proved", "detail": "UNSAT on z3 and cvc5", "solvers": []}]),
         "the certificate's claims are detail='UNSAT on z3 and cvc5', name='unique', status='proved'; recheck "
         "derives none"),
    Edit("unique claim added, with its words", "accepted",
         sets(claims=[{"name": "unique", "status": "proved", "detail": "UNSAT on z3 and cvc5", "solvers": []}],
              reason="the spec holds on the proposal; proved: unique"),
         "the certificate's reason is 'the spec holds on the proposal; proved: unique'; recheck derives "
         "'the spec holds on the proposal'"),
    Edit("unique claim's detail edited", "unique",
         lambda c, _: c["claims"][0].update(detail="UNSAT on z3, cvc5 and Vampire"),
         "the certificate's claims are detail='UNSAT on z3, cvc5 and Vampire', name='unique', status='proved'; "
         "recheck derives detail='UNSAT on z3 and cvc5', name='unique', status='proved'"),
    # the id
    Edit("id deleted", "accepted", lambda c, _: c.pop("id"), "{path}: not a certificate: missing field 'id'",
         rehash=False),
    Edit("id edited, not recomputed", "accepted", sets(id="0" * 64),
         "the certificate's content was edited (its id no longer matches)", rehash=False),
    Edit("proposal edited, hashes and id recomputed", "accepted", sets(proposal="abx"),
         "the certificate says the verdict is 'accepted'; recheck derives 'refuted' (1 violated: line 50: "
         "`\"x\" not in word` is false: `word` is 'abx')"),
    Edit("proposal edited, its hash not recomputed", "accepted", sets(proposal="abx"),
         "the proposal was edited after the certificate was issued (its sha256 differs)", rehash=False),
    # the reason
    Edit("reason 'the spec holds'", "accepted", sets(reason="the spec holds"),
         "the certificate's reason is 'the spec holds'; recheck derives 'the spec holds on the proposal'"),
    Edit("refuted's reason rewritten", "refuted", sets(reason="1 violated: line 50: a matter of taste"),
         "the certificate's reason is '1 violated: line 50: a matter of taste'; recheck derives '{refuted.reason}'"),
    # proposals swapped between two certificates of one spec (hashes recomputed)
    Edit("accepted takes refuted's proposal", "accepted", swap_proposal("refuted"),
         "the certificate says the verdict is 'accepted'; recheck derives 'refuted' ({refuted.reason})"),
    Edit("refuted takes accepted's proposal", "refuted", swap_proposal("accepted"),
         "the certificate says the verdict is 'refuted'; recheck derives 'accepted' (the spec holds on the proposal)"),
    Edit("optimal takes not-optimal's proposal", "optimal", swap_proposal("not-optimal"),
         "the optimal claim does not hold: z3 says sat, cvc5 says sat"),
    # the spec
    Edit("a different spec under the same name, its source hash recomputed", "accepted", other_spec_same_name,
         "the certificate says the verdict is 'accepted'; recheck derives 'refuted' (1 violated: line 50: "
         "`\"c\" not in word` is false: `word` is 'abc')"),
    Edit("the spec's source hash edited", "accepted", lambda c, _: c["spec"].update(source_sha256="0" * 64),
         "the spec spec_copy.py:strings changed since the certificate was issued (source sha256 differs)"),
    Edit("another spec of the same file", "accepted",
         lambda c, _: c["spec"].update(ref=f"{SPEC_FILE}:chained", name="chained"),
         "the spec spec_copy.py:chained changed since the certificate was issued (source sha256 differs)"),
    Edit("the spec ref made absolute", "accepted", lambda c, s: c["spec"].update(ref=f"{s.root / SPEC_FILE}:strings"),
         "the spec ref '{root}/spec_copy.py:strings' is an absolute path, which recheck never loads: certificates "
         "name specs relative to the spec root (a spec checked from outside the folder `assay check` ran in gets one; "
         "check it from a folder that holds it); nothing was loaded"),
    # the recorded query
    Edit("query edited, its sha256 recomputed", "unique",
         query_text(lambda t: t.replace("(check-sat)", "(assert false)\n(check-sat)"), rehash_query=True),
         "the recorded query for the unique claim is not the one the spec gives for these values (they differ from "
         "line {unique.check_sat_line}, column 2)"),
    Edit("query edited, its sha256 not recomputed", "unique",
         query_text(lambda t: t.replace("(check-sat)", "(assert false)\n(check-sat)"), rehash_query=False),
         "the recorded query for the unique claim was edited after the certificate was issued (its sha256 differs)"),
    Edit("vacuous's query dropped", "vacuous", sets(queries=[]),
         "the certificate records no SMT-LIB query for the no-solution claim"),
    Edit("a query added to a verdict that rests on none", "accepted",
         lambda c, s: c.update(queries=s.cert("unique")["queries"]),
         "the certificate records SMT-LIB queries for ['unique']; the verdict rests on UNSAT of []"),
    # the witness of a refuted claim
    Edit("witness: the proposal itself", "not-optimal", witness(lambda c: c["proposal"]),
         "the counterexample to the optimal claim does not hold: its objective 9 is not better than 9"),
    Edit("witness: not a solution", "not-optimal", witness(lambda c: [True, True, True, True]),
         "the counterexample to the optimal claim does not hold: the counterexample does not meet the spec"),
    Edit("witness: another better solution, the words left", "not-optimal", witness(another_better),
         "the certificate's reason is '{not-optimal.reason}'; recheck derives 'the optimal claim fails: "
         "{not-optimal.other_detail}'"),
    Edit("witness: not a proposal at all", "not-optimal", witness(lambda c: "all of it"),
         "the counterexample to the optimal claim is not a proposal of the spec: proposal: expected a list, got "
         "'all of it' (str)"),
    Edit("witness deleted", "not-optimal", lambda c, _: c["claims"][0].pop("witness"),
         "the optimal claim does not hold: z3 says sat, cvc5 says sat"),
    # what the evaluator said, and the check's options
    Edit("evaluator result flipped", "refuted", lambda c, _: c["evaluator"].update(result=True),
         "the certificate's evaluator record is {{'result': True, 'violated_lines': [50]}}; the evaluator says "
         "{{'result': False, 'violated_lines': [50]}}"),
    Edit("violated lines emptied", "refuted", lambda c, _: c["evaluator"].update(violated_lines=[]),
         "the certificate's evaluator record is {{'result': False, 'violated_lines': []}}; the evaluator says "
         "{{'result': False, 'violated_lines': [50]}}"),
    Edit("vacuity marked not asked", "vacuous", lambda c, _: c["options"].update(vacuity=False),
         "the certificate says the verdict is 'vacuous'; recheck derives 'refuted' (1 violated: line 60: `x < hi` is "
         "false: `x` is 1, `hi` is 1)"),
    Edit("explain marked off", "refuted", lambda c, _: c["options"].update(explain=False),
         "the certificate's reason is '{refuted.reason}'; recheck derives '1 violated: line 50: violated'"),
    # the givens, and the format
    Edit("givens edited (hashes recomputed)", "unique", sets(givens={"lo": 0, "hi": 5}),
         "the unique claim does not hold: z3 says sat, cvc5 says sat"),
    Edit("the old format", "accepted", sets(format="assay-certificate/1"),
         "{path}: an assay-certificate/1 certificate, which recheck no longer accepts: it records neither the options "
         "the check ran with (so a REFUTED verdict cannot be told from a VACUOUS one) nor its spec relative to a spec "
         "root; check the proposal again to issue an assay-certificate/2 one"),
    Edit("a field outside the format", "accepted", sets(trusted=True),
         "{path}: the field 'trusted' is not one of the format assay-certificate/2"),
]


def facts(bases: Store, store: Store, path: Path, edited: dict[str, Any]) -> dict[str, Any]:
    """The values a row's expected reason names: ``{accepted.reason}`` (of the honest ``bases``), ``{path}``, ..."""
    out: dict[str, Any] = {"path": path, "root": store.root.resolve()}
    for name in BASES:
        cert = bases.cert(name)
        out[f"{name}.reason"] = cert["reason"]
        if cert["queries"]:
            text = cert["queries"][0]["smtlib"]
            out[f"{name}.check_sat_line"] = text[:text.index("(check-sat)")].count("\n") + 1
    if edited["claims"] and "witness" in edited["claims"][0]:
        picked = edited["claims"][0]["witness"]
        if isinstance(picked, list):
            theirs = sum(v for v, t in zip(KNAP["values"], picked, strict=True) if t)
            out["not-optimal.other_detail"] = f"{picked} also meets the spec with objective {theirs} (this proposal: 9)"
    return out


def _fill(template: str, values: dict[str, Any]) -> str:
    # str.format would read "not-optimal.reason" as an attribute: replace the names one by one.
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", str(value))
    return out.replace("{{", "{").replace("}}", "}")


def test_the_honest_certificates_pass(bases: Store) -> None:
    results = {r.path: r for r in recheck_path(bases.root / ".assay", spec_root=bases.root)}
    assert {name: (results[p].ok, results[p].verdict, results[p].reason) for name, p in bases.paths.items()} == {
        "accepted": (True, "accepted", "holds"), "refuted": (True, "refuted", "holds"),
        "unique": (True, "accepted", "holds"), "vacuous": (True, "vacuous", "holds"),
        "not-optimal": (True, "refuted", "holds"), "optimal": (True, "accepted", "holds")}


@pytest.mark.parametrize("edit", EDITS, ids=[e.id for e in EDITS])
def test_every_edit_fails_recheck(edit: Edit, bases: Store, tmp_path: Path) -> None:
    store = copy_of(bases, tmp_path)
    path = store.paths[edit.base]
    cert = read(path)
    edit.change(cert, store)
    path.write_text(json.dumps(rehash(cert) if edit.rehash else cert))
    (r,) = recheck_path(path, spec_root=store.root)
    assert not r.ok
    assert r.reason == _fill(edit.reason, facts(bases, store, path, cert))


def test_the_table_covers_the_issue(bases: Store) -> None:
    # Relabelled in every spelling, claims dropped and added, the id deleted and recomputed, the reason, swapped
    # proposals, another spec under the same name, an edited query, an edited witness.
    ids = " ".join(e.id for e in EDITS)
    for needed in ("ACCEPTED", "Accepted", "'accepted '", "repaired", "refuted->accepted", "vacuous->refuted",
                   "refuted->vacuous", "claim dropped", "claim added", "id deleted", "recomputed",
                   "reason 'the spec holds'", "takes", "same name", "query edited", "witness"):
        assert needed in ids, needed
    assert {e.base for e in EDITS} == set(BASES)
    assert len(EDITS) >= 21
