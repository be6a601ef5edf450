"""The layers import in the directions DESIGN.md allows: read from every module's source, and seen at run time.

The static test parses every module of specs/, proofs/, kernel/, bridges/ and
assay/ (tests/import_graph.py) and judges each import against DESIGN.md's
table, wherever the import stands.  The run-time test imports one module at a
time in a fresh interpreter and looks at what ``sys.modules`` then holds.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .import_graph import ALLOWED, LAYERS, ROOT, check_source, forbidden, graph, layer_of

GRAPH = graph()
KNOWN = frozenset(GRAPH.files)
MODEL_LIBRARIES = ("transformers", "accelerate", "torch")

# Imports in the trusted layers whose target is computed, so the static test cannot see it: each with why.
COMPUTED_IMPORTS = {
    "specs/loader.py": "load() imports the module of the spec reference the user gave",
}


def test_every_import_of_every_layer_runs_in_an_allowed_direction() -> None:
    bad = [msg for module, imports in sorted(GRAPH.imports.items())
           for msg in forbidden(list(imports), str(layer_of(module)))]
    assert bad == [], "imports against DESIGN.md's allowed directions:\n" + "\n".join(bad)


def test_the_checker_read_every_module_of_every_layer() -> None:
    on_disk = {str(p.relative_to(ROOT)) for folder in LAYERS for p in (ROOT / folder).rglob("*.py")}
    read = {str(f.relative_to(ROOT)) for f in GRAPH.files.values()}
    assert on_disk == read
    # A checker that finds no imports passes everything: it must see these, of every kind.
    assert "assay.specs.domains" in GRAPH.assay_imports("assay.kernel.check")  # from x import y
    assert "assay.kernel.claims" in GRAPH.assay_imports("assay.kernel.check")  # from . import claims
    assert "assay.specs.frontend" in GRAPH.assay_imports("assay.specs.spec")  # inside a function
    assert "assay.specs.spec" in GRAPH.assay_imports("assay.kernel.backends")  # under TYPE_CHECKING
    assert sum(len(found) for found in GRAPH.imports.values()) > 300


@pytest.mark.parametrize(("module", "source", "message"), [
    ("assay.kernel.planted", "from assay.bridges.answers import proposal_value\n",
     "planted.py:1: kernel -> bridges is not allowed (imports assay.bridges.answers)"),
    ("assay.kernel.planted", "import os\n\ndef f():\n    import assay.bridges.models.hf\n",
     "planted.py:4: kernel -> bridges is not allowed (imports assay.bridges.models.hf)"),
    ("assay.kernel.planted", "from .. import bridges\n",
     "planted.py:1: kernel -> bridges is not allowed (imports assay.bridges)"),
    ("assay.kernel.planted", "import importlib\nhf = importlib.import_module('assay.bridges.models.hf')\n",
     "planted.py:2: kernel -> bridges is not allowed (imports assay.bridges.models.hf)"),
    ("assay.kernel.planted", "from importlib import import_module\nimport_module('..bridges.records', __package__)\n",
     "planted.py:2: kernel -> bridges is not allowed (imports assay.bridges.records)"),
    ("assay.specs.planted", "from assay.errors import AssayError\n",
     "planted.py:1: specs -> assay is not allowed (imports assay.errors)"),
    ("assay.specs.planted", "from assay import __version__\n",
     "planted.py:1: specs -> assay is not allowed (imports assay)"),
    ("assay.specs.planted", "import typing\nif typing.TYPE_CHECKING:\n    from assay.kernel import Verdict\n",
     "planted.py:3: specs -> kernel is not allowed (imports assay.kernel)"),
    ("assay.specs.planted", "def f():\n    return __import__('assay.proofs.recheck')\n",
     "planted.py:2: specs -> proofs is not allowed (imports assay.proofs.recheck)"),
    ("assay.proofs.planted", "from ..kernel.verdicts import Outcome\n",
     "planted.py:1: proofs -> kernel is not allowed (imports assay.kernel.verdicts)"),
    ("assay.bridges.logic.planted", "from ...proofs import recheck\n",
     "planted.py:1: bridges -> proofs is not allowed (imports assay.proofs.recheck)"),
    ("assay.specs.planted", "import specs.domains\n",
     "planted.py:1: specs -> specs.domains: a bare `specs` is not ours (assay's folders install as assay.specs)"),
])
def test_the_checker_reports_a_planted_forbidden_import(module: str, source: str, message: str) -> None:
    assert check_source(source, path="planted.py", module=module, known=KNOWN) == [message]


@pytest.mark.parametrize(("module", "source"), [
    ("assay.kernel.planted", "from assay.specs import Spec\nfrom assay.proofs import certificate\n"),
    ("assay.kernel.planted", "from . import claims\nfrom .verdicts import Outcome\n"),
    ("assay.kernel.planted", "import importlib\nimportlib.import_module(f'{__package__}.repair')\n"),
    ("assay.kernel.planted", "import importlib\nimportlib.import_module('.repair', __package__)\n"),
    ("assay.bridges.planted", "from assay.kernel.entail import entails\nimport z3\n"),
    ("assay.planted", "from assay.bridges import answers\nfrom assay.proofs import recheck\n"),
])
def test_the_checker_passes_the_allowed_directions(module: str, source: str) -> None:
    assert check_source(source, path="planted.py", module=module, known=KNOWN) == []


def test_the_trusted_layers_import_nothing_the_checker_cannot_see() -> None:
    computed = {d.path: d.text for module, found in GRAPH.dynamic.items()
                if layer_of(module) in ("specs", "proofs", "kernel") for d in found}
    assert set(computed) <= set(COMPUTED_IMPORTS), computed


# --- at run time: a fresh interpreter per module -----------------------------------------------------


def _fresh_modules(code: str) -> set[str]:
    code += "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    # -P: the current folder (the repository root, with its bare specs/ and kernel/) is not on the path.
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True, check=False,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


LOWER_LAYER_MODULES = sorted(m for m in GRAPH.files if layer_of(m) in ("specs", "proofs", "kernel"))


@pytest.mark.parametrize("module", LOWER_LAYER_MODULES)
def test_a_fresh_interpreter_importing_one_module_loads_nothing_above_it(module: str) -> None:
    loaded = _fresh_modules(f"import {module}")
    layer = str(layer_of(module))
    assert module in loaded
    assert not {m for m in loaded if m.split(".")[0] in MODEL_LIBRARIES}
    assert not {m for m in loaded if m.startswith("assay.bridges")}
    if layer in ("specs", "proofs"):
        assert not {m for m in loaded if m.startswith("assay.kernel")}
    if layer == "specs":
        assert not {m for m in loaded if m.startswith("assay.proofs")}
    # The package `assay` itself is loaded on the way to any of its subpackages (its names are lazy).
    above = {m for m in loaded if m != "assay" and layer_of(m) not in (None, layer, *ALLOWED[layer])}
    assert above == set()


def test_kernel_and_proofs_together_do_not_load_bridges_or_model_libraries() -> None:
    loaded = _fresh_modules("import assay.kernel, assay.proofs")
    assert {"assay.kernel.check", "assay.proofs.recheck"} <= loaded
    assert not {m for m in loaded if m.split(".")[0] in MODEL_LIBRARIES or m.startswith("assay.bridges")}
