"""Static checks as tests: strict typing of the trusted packages, and the linter.

mypy cannot follow setuptools' mapping of the top-level folders onto
``assay.*``, so the test builds the installed layout from symbolic links and
checks the packages there, under the repository's own configuration.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> list[str]:
    if shutil.which(name) is None and not (Path(sys.executable).parent / name).exists():
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return [sys.executable, "-m", name]


def test_trusted_packages_type_check_strictly(tmp_path: Path) -> None:
    cmd = _tool("mypy")
    pkg = tmp_path / "assay"
    pkg.mkdir()
    for f in (ROOT / "assay").iterdir():
        (pkg / f.name).symlink_to(f)
    for folder in ("kernel", "specs", "bridges", "proofs"):
        (pkg / folder).symlink_to(ROOT / folder)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    packages = ["-p", "assay.kernel", "-p", "assay.specs", "-p", "assay.proofs", "-p", "assay.bridges"]
    out = subprocess.run([*cmd, "--no-incremental", *packages], cwd=tmp_path, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_is_clean() -> None:
    cmd = _tool("ruff")
    out = subprocess.run([*cmd, "check", "kernel", "specs", "proofs", "bridges", "assay", "tests", "bench"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
