"""Packaging: assay installs under the one namespace `assay`, beside a user's own `specs` and `kernel`.

Each install is made from a copy of the source tree (so no build output lands
in the repository) into a fresh virtual environment that borrows the running
interpreter's site-packages for the dependencies (z3, cvc5, ...), so nothing
but the build backend is downloaded.  Both an editable and a wheel install
are tested; a third test covers the interpreter running these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]

USER_SPEC = '''\
from typing import Annotated
from assay.specs import spec, Given, Proposal, Between

@spec
def bigger(x: Given[int], y: Proposal[Annotated[int, Between(-100, 100)]]) -> bool:
    return y > x
'''

# Runs inside the user's project folder, with the user's own `specs` and `kernel`
# first on sys.path (the script's folder), in the order named by argv[1].
USER_SCRIPT = '''\
import sys

if sys.argv[1] == "ours-first":
    import assay.kernel, assay.specs
    import kernel, specs
else:
    import kernel, specs
    import assay.kernel, assay.specs

assert specs.WHOSE == "the user's specs", specs.__file__
assert kernel.WHOSE == "the user's kernel", kernel.__file__
assert specs is not assay.specs and kernel is not assay.kernel
assert assay.specs.__name__ == "assay.specs" and assay.kernel.__name__ == "assay.kernel"
assert sys.modules["specs"] is specs and sys.modules["kernel"] is kernel

spec = assay.specs.load("myspec.py")
assert assay.kernel.check(spec, {"x": 1}, 2).accepted
assert not assay.kernel.check(spec, {"x": 1}, 0, vacuity=False).accepted
# The user's packages still work after ours did.
assert specs.helper() == "user helper" and kernel.helper() == "user kernel helper"

from assay.cli import main
code = main(["check", "--spec", "myspec.py", "p.jsonl", "--no-store", "--no-vacuity", "--format", "json"])
print("exit", code)
'''


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    """A user's folder with top-level `specs` and `kernel` packages of their own, and a spec."""
    project = tmp_path / "user"
    (project / "specs").mkdir(parents=True)
    (project / "kernel").mkdir()
    (project / "specs" / "__init__.py").write_text(
        'WHOSE = "the user\'s specs"\n\ndef helper():\n    return "user helper"\n')
    (project / "kernel" / "__init__.py").write_text(
        'WHOSE = "the user\'s kernel"\n\ndef helper():\n    return "user kernel helper"\n')
    (project / "myspec.py").write_text(USER_SPEC)
    (project / "p.jsonl").write_text('{"id": "a", "givens": {"x": 1}, "proposal": 2}\n'
                                     '{"id": "b", "givens": {"x": 1}, "proposal": 0}\n')
    (project / "use_both.py").write_text(USER_SCRIPT)
    return project


def assert_user_packages_work(python: Path | str, project: Path, installed_under: Path) -> None:
    """Our packages and the user's, imported in either order, are distinct and both work.

    ``installed_under`` is where the install under test keeps ``assay.specs``: proof that
    the subprocess runs that install and not another one.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ASSAY_HOME")}
    where = subprocess.run([str(python), "-c", "import assay.specs; print(assay.specs.__file__)"],
                           cwd=project, env=env, capture_output=True, text=True, check=False)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(installed_under.resolve()), where.stdout
    for order in ("ours-first", "theirs-first"):
        done = subprocess.run([str(python), "use_both.py", order], cwd=project, env=env,
                              capture_output=True, text=True, check=False, timeout=120)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert [json.loads(x)["verdict"] for x in lines[:-1]] == ["accepted", "refuted"]
        assert lines[-1] == "exit 1"
    # Without the user's folder on the path, no top-level `specs` or `kernel` is importable:
    # ours never leak out of the `assay` namespace.
    elsewhere = project.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    for name in ("specs", "kernel", "bridges", "proofs"):
        probe = subprocess.run([str(python), "-c", f"import {name}"], cwd=elsewhere, env=env,
                               capture_output=True, text=True, check=False, timeout=60)
        assert probe.returncode == 1, f"a top-level {name!r} is importable: {probe.stdout}"
        assert f"No module named '{name}'" in probe.stderr


# --- fresh environments --------------------------------------------------------------------


def source_copy(dest: Path) -> Path:
    """The files a build needs (pyproject, README, the package folders), copied to ``dest``."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".assay", "*.egg-info", "build")
    for folder in {d.split("/")[0] for d in PACKAGE_DIRS.values()}:
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)
    return dest


def fresh_venv(where: Path) -> Path:
    """A new venv (no pip of its own) that sees the running interpreter's installed dependencies."""
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # A plain path line: the dependencies become importable, but the .pth files there (our
    # own editable finder among them) are not run, so only the install under test provides assay.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site, "deps.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    return python


def pip(*args: str) -> None:
    """Our pip, installing into another environment with ``--python``."""
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """assay's wheel, built from a copy of the source tree."""
    base = tmp_path_factory.mktemp("wheel")
    src = source_copy(base / "src")
    pip("wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(src))
    [built] = (base / "dist").glob("assay-*.whl")
    return built


def test_the_wheel_holds_every_module_under_assay_and_the_typing_markers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package, folder in PACKAGE_DIRS.items():
        installed = package.replace(".", "/")
        assert f"{installed}/__init__.py" in names
        for source in (ROOT / folder).glob("*.py"):
            assert f"{installed}/{source.name}" in names, f"{folder}/{source.name} is not in the wheel"
    for package in ("assay", "assay/kernel", "assay/specs", "assay/bridges", "assay/proofs"):
        assert f"{package}/py.typed" in names
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"assay"}
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "assay = assay.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_the_wheels_version_is_the_one_in_specs_version(wheel: Path) -> None:
    # pyproject.toml reads the version from specs/version.py (setuptools' dynamic attr, through
    # the package-dir mapping): the metadata, the CLI and certificates all say the same.
    from assay.specs.version import __version__

    names = zipfile.ZipFile(wheel).namelist()
    [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
    lines = zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
    assert f"Version: {__version__}" in lines
    assert wheel.name.startswith(f"assay-{__version__}-")
    assert "version" not in PYPROJECT["project"] and PYPROJECT["project"]["dynamic"] == ["version"]


def test_every_source_folder_is_a_package_in_the_wheel() -> None:
    # A subfolder holding Python files that the packages list forgets would be missing
    # from the wheel; the editable install would hide that.
    for package, folder in PACKAGE_DIRS.items():
        for sub in (ROOT / folder).iterdir():
            if sub.is_dir() and any(sub.glob("*.py")) and sub.name != "__pycache__":
                assert f"{package}.{sub.name}" in PYPROJECT["tool"]["setuptools"]["packages"], \
                    f"{folder}/{sub.name} holds Python files but is not a package in pyproject.toml"


@pytest.mark.slow
def test_wheel_install_beside_the_users_own_specs_and_kernel(
        wheel: Path, tmp_path: Path, user_project: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    pip("--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel))
    assert_user_packages_work(python, user_project, tmp_path / "venv")
    script = tmp_path / "venv" / "bin" / "assay"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "assay 0.1.0\n")


@pytest.mark.slow
def test_editable_install_beside_the_users_own_specs_and_kernel(tmp_path: Path, user_project: Path) -> None:
    src = source_copy(tmp_path / "src")
    python = fresh_venv(tmp_path / "venv")
    pip("--python", str(python), "install", "--no-deps", "-q", "-e", str(src))
    assert_user_packages_work(python, user_project, src / "specs")
    # Editable means the source folder is what runs: an edit shows at once.
    (src / "specs" / "__init__.py").write_text(
        (src / "specs" / "__init__.py").read_text() + "\nEDITED = True\n")
    done = subprocess.run([str(python), "-c", "import assay.specs; print(assay.specs.EDITED)"],
                          cwd=user_project, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "True\n"), done.stderr


def test_the_running_install_beside_the_users_own_specs_and_kernel(user_project: Path) -> None:
    # Editable (the README's `pip install -e`) or not, whichever runs these tests.
    import assay.specs

    assert_user_packages_work(sys.executable, user_project, Path(assay.specs.__file__).parent)


def test_user_script_is_well_formed() -> None:
    # The scripts above run in subprocesses; a typo in them must not pass as "installed fine".
    compile(USER_SCRIPT, "use_both.py", "exec")
    compile(textwrap.dedent(USER_SPEC), "myspec.py", "exec")
