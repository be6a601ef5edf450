"""`assay recheck` on the command line: --spec-root, skipped files, exit codes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from assay.cli import main

SPEC = '''\
from typing import Annotated
from assay.specs import spec, Given, Proposal, Between

@spec
def bigger(x: Given[int], y: Proposal[Annotated[int, Between(-100, 100)]]) -> bool:
    return y > x
'''


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """A checkout with a spec under specs/ and the certificate `assay check` wrote for one answer."""
    checkout = tmp_path / "checkout"
    (checkout / "specs").mkdir(parents=True)
    (checkout / "specs" / "bigger.py").write_text(SPEC)
    (checkout / "answers.jsonl").write_text(json.dumps({"id": "a", "givens": {"x": 3}, "proposal": 5}) + "\n")
    monkeypatch.chdir(checkout)
    monkeypatch.delenv("ASSAY_HOME", raising=False)
    monkeypatch.delenv("CI", raising=False)
    code, _, _ = run(capsys, "check", "--spec", "specs/bigger.py:bigger", "answers.jsonl")
    assert code == 0
    return checkout


def _certificate(store: Path) -> Path:
    (cert,) = (store / "certificates").rglob("*.json")
    return cert


def test_the_certificate_names_its_spec_relative_to_where_check_ran(checked: Path) -> None:
    cert = json.loads(_certificate(checked / ".assay").read_text())
    assert cert["spec"]["ref"] == "specs/bigger.py:bigger"


def test_a_moved_checkout_rechecks_from_its_new_place(checked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    moved = tmp_path / "moved"
    shutil.move(checked, moved)
    monkeypatch.chdir(moved)
    cert = _certificate(Path(".assay"))
    assert run(capsys, "recheck") == (0, f"ok      {cert}\n", "1 certificate: 1 hold, 0 failed\n")
    # From elsewhere, --spec-root says where the specs are.
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "recheck", "moved/.assay", "--spec-root", "moved")
    assert (code, err) == (0, "1 certificate: 1 hold, 0 failed\n"), out
    # Without it, the spec is not under the current folder: the certificate fails, and says where it looked.
    code, out, err = run(capsys, "recheck", "moved/.assay")
    assert code == 1
    assert out == (f"FAILED  {Path('moved') / cert}: the spec ref 'specs/bigger.py:bigger' names "
                   f"{tmp_path.resolve() / 'specs' / 'bigger.py'}, which is not a file under the spec root "
                   f"{tmp_path.resolve()}; recheck imports nothing by name; nothing was loaded\n")
    assert err == "1 certificate: 0 hold, 1 failed\n"


def test_skipped_files_are_reported_and_do_not_fail(checked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _certificate(checked / ".assay").parent
    os.mkfifo(folder / "pipe.json")
    code, out, err = run(capsys, "recheck")
    assert code == 0
    assert f"skipped {Path('.assay') / folder.relative_to(checked / '.assay') / 'pipe.json'}: not a regular file " \
           "(a FIFO): skipped, never opened\n" in out
    assert err == "1 certificate: 1 hold, 0 failed; 1 file skipped\n"


def test_spec_root_must_be_a_folder(checked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "recheck", "--spec-root", "answers.jsonl") == (
        2, "", "assay recheck: error: --spec-root answers.jsonl is not a folder\n")


def test_check_names_the_spec_relative_to_its_spec_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    specs = tmp_path / "elsewhere"
    specs.mkdir()
    (specs / "bigger.py").write_text(SPEC)
    work = tmp_path / "work"
    work.mkdir()
    (work / "answers.jsonl").write_text(json.dumps({"id": "a", "givens": {"x": 3}, "proposal": 5}) + "\n")
    monkeypatch.chdir(work)
    monkeypatch.delenv("ASSAY_HOME", raising=False)
    monkeypatch.delenv("CI", raising=False)
    # Without a root that holds the spec: the certificate would name an absolute path; check says so first.
    code, _, err = run(capsys, "check", "--spec", f"{specs}/bigger.py:bigger", "answers.jsonl", "--store", "s1")
    assert code == 0
    assert err.startswith(f"assay check: warning: the spec {specs / 'bigger.py'} is outside the spec root {work}")
    assert run(capsys, "recheck", "s1")[0] == 1
    # With it: the certificate names bigger.py, and recheck from that root holds.
    code, _, err = run(capsys, "check", "--spec", f"{specs}/bigger.py:bigger", "answers.jsonl", "--store", "s2",
                       "--spec-root", str(specs))
    assert code == 0 and "warning" not in err
    assert json.loads(_certificate(work / "s2").read_text())["spec"]["ref"] == "bigger.py:bigger"
    code, out, _ = run(capsys, "recheck", "s2", "--spec-root", str(specs))
    assert code == 0, out
    assert run(capsys, "check", "--spec", f"{specs}/bigger.py:bigger", "answers.jsonl", "--spec-root",
               str(work / "missing"))[0] == 2
