"""The trust boundary: who may make verdicts and certificates (the import boundary: test_import_layers.py)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


COPIES = [pytest.param(copy.copy, id="copy"), pytest.param(copy.deepcopy, id="deepcopy"),
          pytest.param(pickle.dumps, id="pickle"), pytest.param(lambda v: pickle.dumps(v, protocol=0), id="pickle-0"),
          pytest.param(lambda v: v.__reduce_ex__(2), id="reduce_ex")]


@pytest.mark.parametrize("duplicate", COPIES)
def test_verdicts_cannot_be_copied_or_pickled(duplicate: Callable[[Any], Any]) -> None:
    # A copy, or a verdict rebuilt from pickled bytes (which anyone can write), would be one the kernel never made.
    refuted = check(load(f"{OK}:strings"), {"prefix": "ab"}, "zz", vacuity=False)
    with pytest.raises(TypeError, match=r"^Verdict objects are not copied or pickled: they are made by "
                                        r"assay\.kernel functions only"):
        duplicate(refuted)


@pytest.mark.parametrize("duplicate", COPIES)
def test_certificates_cannot_be_copied_or_pickled(duplicate: Callable[[Any], Any]) -> None:
    from assay.kernel import certify

    cert = Certificate(spec_ref="m:s", spec_name="s", spec_sha256="0", givens={}, proposal=1, outcome="refuted",
                       reason="r", evaluator={"result": False}, _issuer_token=certify._ISSUER)
    with pytest.raises(TypeError, match=r"^Certificate objects are not copied or pickled"):
        duplicate(cert)


def test_a_verdict_forged_with_object_new_is_caught_by_recheck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    # Python cannot block object.__new__: the forgery exists, and the kernel's writer even certifies it.
    # The guarantee is recheck, which derives the verdict itself.
    from assay.kernel.certify import write_certificate

    from .certificate_helpers import SPEC_FILE, only, spec_root

    root = spec_root(tmp_path, monkeypatch)
    spec = load(f"{SPEC_FILE}:strings")
    refuted = check(spec, {"prefix": "ab"}, "zz")
    forged = object.__new__(Verdict)
    for f in dataclasses.fields(Verdict):
        object.__setattr__(forged, f.name, getattr(refuted, f.name))
    object.__setattr__(forged, "outcome", Outcome.ACCEPTED)
    object.__setattr__(forged, "reason", "the spec holds on the proposal")
    assert forged.accepted
    path = write_certificate(root / ".assay", spec, {"prefix": "ab"}, "zz", forged)
    r = only(path)
    assert (r.ok, r.reason) == (False, f"the certificate says the verdict is 'accepted'; recheck derives 'refuted' "
                                       f"({refuted.reason})")


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
