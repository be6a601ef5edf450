"""Certificates on disk and their independent recheck: what they record, where specs are loaded from, the store walk."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from assay.kernel import Outcome, check
from assay.proofs import RecheckResult, recheck_file, recheck_path, sha256_of
from assay.proofs import fresh_solvers as F
from assay.specs import load

from .certificate_helpers import KNAP, SPEC_FILE, forge, issue, only, read, rehash, spec_root
from .paths import OK


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return spec_root(tmp_path, monkeypatch)


# --- what a certificate records ---------------------------------------------------------------


def test_certificate_content(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    cert = read(path)
    assert cert["format"] == "assay-certificate/2"
    assert cert["verdict"] == "accepted"
    assert cert["reason"] == "the spec holds on the proposal; proved: unique"
    assert cert["spec"] == {"ref": "spec_copy.py:chained", "name": "chained",
                            "source_sha256": load(f"{SPEC_FILE}:chained").source_hash}
    assert cert["options"] == {"vacuity": True, "explain": True}
    assert cert["proposal"] == 1 and cert["proposal_sha256"] == sha256_of(1)
    assert cert["givens"] == {"lo": 0, "hi": 3}
    assert cert["evaluator"] == {"result": True, "violated_lines": []}
    assert [(c["name"], c["status"], c["detail"]) for c in cert["claims"]] == [
        ("unique", "proved", "UNSAT on z3 and cvc5")]
    assert {a["solver"] for a in cert["solvers"]} == {"z3", "cvc5"}
    assert path.name == f"{cert['id']}.json"
    assert cert["id"] == sha256_of({k: v for k, v in cert.items() if k not in ("id", "created")})


def test_the_check_options_are_recorded(root: Path) -> None:
    v = check(load(f"{SPEC_FILE}:strings"), {"prefix": "ab"}, "zzz", store=root / ".assay", vacuity=False,
              explain=False)
    cert = read(Path(v.certificate or ""))
    assert cert["options"] == {"vacuity": False, "explain": False}
    assert cert["reason"] == v.reason == "1 violated: line 50: violated"
    assert only(Path(v.certificate or "")).ok


def test_same_check_writes_one_certificate(root: Path) -> None:
    a = issue(root, "strings", {"prefix": "ab"}, "abc")
    b = issue(root, "strings", {"prefix": "ab"}, "abc")
    assert a == b
    assert len(list((root / ".assay").rglob("*.json"))) == 1


def test_a_lone_surrogate_is_certified_and_rechecks(root: Path) -> None:
    # "\ud800" is valid JSON; the certificate escapes it rather than failing to write it.
    path = issue(root, "strings", {"prefix": "a"}, "a\ud800b")
    assert read(path)["proposal"] == "a\ud800b"
    assert path.read_text().isascii()
    r = only(path)
    assert (r.ok, r.verdict) == (True, "accepted"), r.reason


def test_outcomes_without_certificates(root: Path) -> None:
    v = check(load(f"{OK}:strings"), {"prefix": "ab"}, 5, store=root)
    assert v.outcome is Outcome.MALFORMED and v.certificate is None


# --- recheck derives the verdict ---------------------------------------------------------------


def test_recheck_passes_on_honest_certificates(root: Path) -> None:
    issue(root, "chained", {"lo": 0, "hi": 3}, 1)      # accepted, unique re-proved
    issue(root, "chained", {"lo": 0, "hi": 1}, 1)      # vacuous, re-proved
    issue(root, "strings", {"prefix": "ab"}, "zzz")    # refuted
    issue(root, "knapsack", KNAP, [True, True, False, False])  # refuted by a better solution
    results = list(recheck_path(root / ".assay", spec_root=root))
    assert sorted((r.ok, r.verdict, r.reason) for r in results) == [
        (True, "accepted", "holds"), (True, "refuted", "holds"), (True, "refuted", "holds"),
        (True, "vacuous", "holds")]


def test_recheck_catches_an_edited_proposal(root: Path) -> None:
    path = issue(root, "strings", {"prefix": "ab"}, "abc")
    cert = read(path)
    cert["proposal"] = "abx"
    path.write_text(json.dumps(cert))
    r = only(path)
    assert not r.ok
    assert r.reason == "the proposal was edited after the certificate was issued (its sha256 differs)"


def test_recheck_catches_a_consistently_forged_certificate(root: Path) -> None:
    path = issue(root, "strings", {"prefix": "ab"}, "abc")
    forge(path, lambda c: c.update(proposal="abx"))
    r = only(path)
    assert not r.ok
    assert r.reason == ("the certificate says the verdict is 'accepted'; recheck derives 'refuted' "
                        "(1 violated: line 50: `\"x\" not in word` is false: `word` is 'abx')")


def test_recheck_catches_a_changed_spec(root: Path) -> None:
    path = issue(root, "strings", {"prefix": "ab"}, "abc")
    spec_file = root / SPEC_FILE
    spec_file.write_text(spec_file.read_text().replace('"x" not in word', '"c" not in word'))
    r = only(path)
    assert not r.ok
    assert r.reason == "the spec spec_copy.py:strings changed since the certificate was issued (source sha256 differs)"


def test_recheck_reproves_the_specs_claims(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    # The same proposal with other givens: the evaluator still accepts 1, but it is no longer unique.
    forge(path, lambda c: c.update(givens={"lo": 0, "hi": 5}))
    r = only(path)
    assert not r.ok
    assert r.reason == "the unique claim does not hold: z3 says sat, cvc5 says sat"


def test_a_refuted_claim_is_rechecked_through_its_counterexample(root: Path) -> None:
    path = issue(root, "knapsack", KNAP, [True, True, False, False])
    cert = read(path)
    assert cert["verdict"] == "refuted"
    assert cert["evaluator"]["result"] is True  # feasible: the optimal claim refuted it
    witness = cert["claims"][0]["witness"]  # whichever better choice the solver found
    assert witness != [True, True, False, False] and len(witness) == 4
    assert cert["claims"][0]["detail"].startswith(f"{witness} also meets the spec with objective ")
    assert only(path).ok, only(path).reason

    def no_better(c: dict[str, Any]) -> None:
        c["claims"][0]["witness"] = [True, True, False, False]  # the proposal itself: no better
    forge(path, no_better)
    r = only(path)
    assert not r.ok
    assert r.reason == "the counterexample to the optimal claim does not hold: its objective 9 is not better than 9"


def _unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fresh solver run answers unknown (a timeout), as a loaded machine might."""
    def ask_text_both(text: str, *, timeout: float) -> dict[str, F.FreshAnswer]:
        return {s: F.FreshAnswer(s, "unknown", "timeout") for s in F.SOLVERS}
    monkeypatch.setattr(F, "ask_text_both", ask_text_both)


def test_unknown_is_never_yes(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unique = issue(root, "chained", {"lo": 0, "hi": 3}, 1)
    vacuous = issue(root, "chained", {"lo": 0, "hi": 1}, 1)
    refuted = issue(root, "strings", {"prefix": "ab"}, "zzz")
    _unknown(monkeypatch)
    r = only(unique)
    assert (r.ok, r.reason) == (False, "recheck could not prove the unique claim, and unknown is never a proof: "
                                       "z3 says unknown (timeout), cvc5 says unknown (timeout)")
    r = only(vacuous)
    assert not r.ok
    assert r.reason.startswith("the certificate says the verdict is 'vacuous'; recheck derives 'refuted' (")
    assert r.reason.endswith("; the vacuity query is not UNSAT: z3 says unknown (timeout), cvc5 says unknown "
                             "(timeout); unknown is never a proof")
    # REFUTED is CPython's word; a vacuity query nobody could settle leaves it REFUTED, as in the kernel.
    assert only(refuted).ok


# --- the spec root: refs relative to it, nothing run from outside it -----------------------------


def test_a_store_survives_moving_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "checkout").mkdir()
    first = spec_root(tmp_path / "checkout", monkeypatch)
    path = issue(first, "chained", {"lo": 0, "hi": 3}, 1)
    moved = tmp_path / "moved"
    shutil.move(first, moved)
    monkeypatch.chdir(tmp_path)
    cert = moved / path.relative_to(first)
    r = only(cert, moved)
    assert r.ok, r.reason
    r = only(cert, tmp_path)  # the wrong root: the spec is not found there, and nothing else is tried
    assert not r.ok
    assert r.reason == (f"the spec ref 'spec_copy.py:chained' names {tmp_path.resolve() / SPEC_FILE}, which is not "
                        f"a file under the spec root {tmp_path.resolve()}; recheck imports nothing by name; "
                        "nothing was loaded")


def test_library_specs_are_named_in_assays_own_library(root: Path, tmp_path_factory: pytest.TempPathFactory
                                                       ) -> None:
    from assay.specs.library import scheduling

    spec = scheduling.meeting_schedule
    fresh = load(f"{spec.ref}", fresh=True)  # a fresh load runs the module under another name
    assert fresh.fn is not spec.fn
    assert fresh.source_hash == spec.source_hash
    lib = load("assay.specs.library.word_problem:chickens_and_rabbits")
    v = check(lib, {"heads": 10, "legs": 28}, {"chickens": 6, "rabbits": 4}, store=root / ".assay")
    assert read(Path(v.certificate or ""))["spec"]["ref"] == "assay.specs.library.word_problem:chickens_and_rabbits"
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert only(Path(v.certificate or ""), elsewhere).ok  # the library is assay's, found from any root


MARKER_SPEC = '''\
from pathlib import Path
from typing import Annotated
from assay.specs import Between, Given, MaxLen, Proposal, spec

Path({marker!r}).write_text("ran")


@spec
def strings(prefix: Given[str], word: Proposal[Annotated[str, MaxLen(8)]]) -> bool:
    return word.startswith(prefix)
'''


def _refs(outside: Path, root: Path) -> list[tuple[str, str]]:
    """Refs a forged certificate might give, each with how recheck refuses it."""
    evil = outside / "evil.py"
    real = root.resolve()
    under = f"which is not a file under the spec root {real}; recheck imports nothing by name"
    return [
        (f"{evil}:strings", f"the spec ref '{evil}:strings' is an absolute path, which recheck never loads: "
                            "certificates name specs relative to the spec root (a spec checked from outside the "
                            "folder `assay check` ran in gets one; check it from a folder that holds it)"),
        ("../outside/evil.py:strings", "the spec ref '../outside/evil.py:strings' climbs out of the spec root "
                                       "with '..'"),
        ("sub/../../outside/evil.py:strings", "the spec ref 'sub/../../outside/evil.py:strings' climbs out of the "
                                              "spec root with '..'"),
        ("link.py:strings", f"the spec ref 'link.py:strings' leads out of the spec root {real} (through a symbolic "
                            f"link, to {evil.resolve()})"),
        ("linked/evil.py:strings", f"the spec ref 'linked/evil.py:strings' leads out of the spec root {real} "
                                   f"(through a symbolic link, to {evil.resolve()})"),
        ("evil:strings", f"the spec ref 'evil:strings' names {real / 'evil.py'}, {under}"),
        ("this:x", f"the spec ref 'this:x' names {real / 'this.py'}, {under}"),
        ("os:system", f"the spec ref 'os:system' names {real / 'os.py'}, {under}"),
        ("antigravity:fly", f"the spec ref 'antigravity:fly' names {real / 'antigravity.py'}, {under}"),
        ("assay.kernel.check:check", "the spec ref 'assay.kernel.check:check' names a module of assay outside its "
                                     "spec library (assay.specs.library.MODULE); recheck loads no other assay module "
                                     "as a spec"),
        ("assay.specs.library.os:system", "the spec ref 'assay.specs.library.os:system' names "
                                          f"{_library() / 'os.py'}, which is not a file under assay's spec library "
                                          f"{_library()}; recheck imports nothing by name"),
        ("spec_copy.py:__builtins__.exec(1)", "the spec ref 'spec_copy.py:__builtins__.exec(1)' names no spec: "
                                              "expected FILE.py:NAME or MODULE:NAME, NAME a Python identifier"),
        ("spec_copy.py", "the spec ref 'spec_copy.py' names no spec: expected FILE.py:NAME or MODULE:NAME, NAME a "
                         "Python identifier"),
    ]


def _library() -> Path:
    from assay.proofs.spec_refs import library_folder

    return library_folder()


def test_refs_outside_the_root_fail_without_running_anything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "root"
    root.mkdir()
    spec_root(root, monkeypatch)
    outside = tmp_path / "outside"
    outside.mkdir()
    marker = tmp_path / "marker"
    (outside / "evil.py").write_text(MARKER_SPEC.format(marker=str(marker)))
    (root / "link.py").symlink_to(outside / "evil.py")
    (root / "linked").symlink_to(outside)
    monkeypatch.syspath_prepend(str(outside))  # "evil" is importable by name: recheck must not import it
    honest = issue(root, "strings", {"prefix": "ab"}, "abc")
    before = set(sys.modules)
    for ref, why in _refs(outside, root):
        forge(honest, lambda c, ref=ref: c["spec"].update(ref=ref))
        r = only(honest, root)
        assert (r.ok, r.reason) == (False, f"{why}; nothing was loaded"), ref
    assert not marker.exists()
    assert not {"this", "antigravity", "evil"} & (set(sys.modules) - before)
    out, err = capfd.readouterr()
    assert "Beautiful is better than ugly" not in out + err
    # The control: the same file under the root does run (it is the user's own spec), so the test could fail.
    shutil.copy(outside / "evil.py", root / "mine.py")
    forge(honest, lambda c: c["spec"].update(ref="mine.py:strings", source_sha256=load("mine.py:strings").source_hash))
    marker.unlink()
    only(honest, root)
    assert marker.exists()


# --- the store: unreadable, odd and linked files -------------------------------------------------


def test_recheck_reports_unreadable_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    (r,) = recheck_path(bad)
    assert not r.ok and r.reason.startswith(f"{bad}: not a readable JSON certificate: ")
    (r,) = recheck_path(tmp_path / "missing")
    assert not r.ok and r.reason == f"{tmp_path / 'missing'} does not exist"
    bad.write_text('{"format": "assay-certificate/2", "format": "assay-certificate/2"}')
    assert only(bad).reason == f"{bad}: not a readable JSON certificate: the key 'format' appears twice in one object"


def test_an_old_format_certificate_fails_with_a_clear_reason(root: Path) -> None:
    path = issue(root, "strings", {"prefix": "ab"}, "abc")
    forge(path, lambda c: c.update(format="assay-certificate/1"))
    r = only(path)
    assert (r.ok, r.reason) == (False, f"{path}: an assay-certificate/1 certificate, which recheck no longer accepts: "
                                       "it records neither the options the check ran with (so a REFUTED verdict "
                                       "cannot be told from a VACUOUS one) nor its spec relative to a spec root; check "
                                       "the proposal again to issue an assay-certificate/2 one")


def test_fields_outside_the_format_fail(root: Path) -> None:
    path = issue(root, "strings", {"prefix": "ab"}, "abc")
    forge(path, lambda c: c.update(note="trust me"))
    assert only(path).reason == f"{path}: the field 'note' is not one of the format assay-certificate/2"
    forge(path, lambda c: (c.pop("note"), c.update(options={"vacuity": 1, "explain": True})))
    assert only(path).reason == f"{path}: the certificate's options are not {{explain, vacuity}} as booleans"


def _run_briefly(fn: Any) -> Any:
    """``fn()`` in a thread; fails (rather than hangs) if it blocks, as opening a FIFO would."""
    out: list[Any] = []
    worker = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    worker.start()
    worker.join(60)
    assert out, "recheck blocked"
    return out[0]


def test_non_regular_files_are_skipped_with_a_reason(root: Path) -> None:
    honest = issue(root, "strings", {"prefix": "ab"}, "abc")
    folder = honest.parent
    os.mkfifo(folder / "fifo.json")
    os.mkfifo(folder / "other")
    sock_dir = Path(f"/tmp/assay-sock-{os.getpid()}")
    sock_dir.mkdir(exist_ok=True)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(str(sock_dir / "s.json"))
            os.symlink(sock_dir / "s.json", folder / "s-link.json")
            results: list[RecheckResult] = _run_briefly(lambda: list(recheck_path(root / ".assay")))
    finally:
        shutil.rmtree(sock_dir)
    by_name = {r.path.name: r for r in results}
    assert by_name[honest.name].ok
    assert (by_name["fifo.json"].skipped, by_name["fifo.json"].reason) == (
        True, "not a regular file (a FIFO): skipped, never opened")
    assert (by_name["other"].skipped, by_name["other"].reason) == (
        True, "not a regular file (a FIFO): skipped, never opened")
    assert by_name["s-link.json"].skipped
    # Named on its own, a FIFO is not opened either.
    (r,) = _run_briefly(lambda: list(recheck_path(folder / "fifo.json")))
    assert (r.ok, r.skipped, r.reason) == (False, True, "not a regular file (a FIFO): skipped, never opened")


def test_symlinks_in_a_store_are_not_followed(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(OK, elsewhere / SPEC_FILE)
    target = issue(root, "strings", {"prefix": "ab"}, "zzz")
    shutil.move(root / ".assay", elsewhere / ".assay")
    store = root / ".assay"
    (store / "certificates").mkdir(parents=True)
    linked_file = store / "certificates" / "linked.json"
    linked_file.symlink_to(elsewhere / ".assay" / target.relative_to(root / ".assay"))
    (store / "certificates" / "linked-folder").symlink_to(elsewhere / ".assay" / "certificates")
    results = list(recheck_path(store, spec_root=root))
    assert [(r.path.name, r.ok, r.skipped, r.reason) for r in results] == [
        ("linked-folder", False, True, "a symbolic link: skipped (recheck follows no links in a store)"),
        ("linked.json", False, True, "a symbolic link: skipped (recheck follows no links in a store)")]


def test_a_sidecar_that_is_not_a_regular_file_is_not_read(root: Path) -> None:
    path = issue(root, "chained", {"lo": 0, "hi": 3}, 1, inline_limit=100)
    sidecar = path.parent / read(path)["queries"][0]["sidecar"]
    sidecar.unlink()
    os.mkfifo(sidecar)
    r = _run_briefly(lambda: only(path))
    assert (r.ok, r.reason) == (False, f"the recorded query for the unique claim is in {sidecar}, which is not a "
                                       "regular file (recheck follows no links)")


def test_recheck_file_is_the_same_check(root: Path) -> None:
    path = issue(root, "strings", {"prefix": "ab"}, "abc")
    assert recheck_file(path, spec_root=root) == only(path)
    assert rehash(read(path)) == read(path)  # an honest certificate's hashes are already right: forge() is exact


def test_what_ref_the_kernel_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.proofs.spec_refs import certificate_ref

    root = tmp_path / "root"
    (root / "specs").mkdir(parents=True)
    shutil.copy(OK, root / "specs" / "mine.py")
    outside = tmp_path / "site"
    outside.mkdir()
    shutil.copy(OK, outside / "installed_specs.py")
    monkeypatch.syspath_prepend(str(outside))
    monkeypatch.chdir(root)
    assert certificate_ref(load("specs/mine.py:strings"), root) == "specs/mine.py:strings"
    assert certificate_ref(load(f"{root / 'specs' / 'mine.py'}:strings"), root) == "specs/mine.py:strings"
    assert certificate_ref(load("assay.specs.library.sudoku:sudoku"), root) == "assay.specs.library.sudoku:sudoku"
    # Outside the root: by module name when it was loaded so (recheck it with that folder as the root) ...
    by_module = load("installed_specs:strings")
    assert certificate_ref(by_module, root) == "installed_specs:strings"
    v = check(by_module, {"prefix": "ab"}, "abc", store=root / ".assay")
    assert only(Path(v.certificate or ""), outside).ok
    # ... and by its absolute path otherwise, which recheck refuses, saying why.
    by_path = load(f"{outside / 'installed_specs.py'}:strings")
    assert certificate_ref(by_path, root) == f"{(outside / 'installed_specs.py').resolve()}:strings"
    v = check(by_path, {"prefix": "ab"}, "abc", store=root / ".assay")
    assert only(Path(v.certificate or ""), outside).reason.startswith(
        f"the spec ref '{(outside / 'installed_specs.py').resolve()}:strings' is an absolute path, which recheck never "
        "loads: ")
