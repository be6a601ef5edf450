"""The trust boundary: who may make verdicts and certificates (the import boundary: test_import_layers.py)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from assay.kernel import Outcome, Verdict, check
from assay.proofs import Certificate
from assay.specs import load

from .paths import OK


def test_verdicts_cannot_be_constructed_outside_the_kernel() -> None:
    with pytest.raises(TypeError, match=r"Verdict objects are made by assay\.kernel functions only"):
        Verdict(Outcome.ACCEPTED, "trust me")


def test_verdicts_cannot_be_copied_into_acceptance() -> None:
    refuted = check(load(f"{OK}:strings"), {"prefix": "ab"}, "zz", vacuity=False)
    assert refuted.outcome is Outcome.REFUTED
    with pytest.raises((TypeError, ValueError)):
        dataclasses.replace(refuted, outcome=Outcome.ACCEPTED)


def test_verdicts_are_frozen() -> None:
    v = check(load(f"{OK}:strings"), {"prefix": "ab"}, "zz", vacuity=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.outcome = Outcome.ACCEPTED  # type: ignore[misc]


def test_certificates_cannot_be_issued_outside_the_kernel() -> None:
    with pytest.raises(TypeError, match=r"issued by assay\.kernel only"):
        Certificate(spec_ref="m:s", spec_name="s", spec_sha256="0", givens={}, proposal=1,
                    outcome="accepted", reason="forged", evaluator={"result": True})


def test_the_issuer_cannot_be_replaced() -> None:
    from assay.proofs import certificate

    with pytest.raises(PermissionError):
        certificate.register_issuer(object())


# What a fresh interpreter loads when it imports each module of specs/, proofs/ and kernel/, and the
# static import directions of every module: tests/test_import_layers.py.


def test_no_eval_or_exec_in_the_library() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"(^|[^_a-zA-Z.])(eval|exec)\(")
    hits = [f"{p}:{i}" for folder in ("kernel", "specs", "bridges", "proofs", "assay")
            for p in (root / folder).rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if pattern.search(line) and "# safe:" not in line]
    assert hits == []


def test_a_squatting_issuer_makes_the_kernel_fail_loudly() -> None:
    code = ("from assay.proofs import certificate\n"
            "certificate.register_issuer(object())\n"
            "import assay.kernel\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode != 0
    assert "PermissionError: the certificate issuer is already registered" in out.stderr
