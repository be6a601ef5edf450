"""The static import graph of assay's five layers, read from the source with :mod:`ast`.

Nothing here imports an assay package: each ``.py`` file under the layers'
folders is parsed, and every import in it is collected, wherever it stands
(module level, inside a function, under ``if TYPE_CHECKING``): ``import x``,
``from x import y``, relative imports, and ``importlib.import_module(...)`` /
``__import__(...)`` whose target is a literal (or an f-string of literals and
``__package__`` / ``__name__``).  Each import is mapped to the layer it lands in
and judged against the table of allowed directions in DESIGN.md.

Used by tests/test_import_layers.py (the directions) and
tests/test_trusted_core.py (what the trusted modules import).
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LAYERS = ("specs", "proofs", "kernel", "bridges", "assay")

# DESIGN.md, "Allowed import directions": the layers each layer may import (itself always).
ALLOWED: Mapping[str, frozenset[str]] = {
    "specs": frozenset(),
    "proofs": frozenset({"specs"}),
    "kernel": frozenset({"specs", "proofs"}),
    "bridges": frozenset({"specs", "kernel"}),
    "assay": frozenset({"specs", "proofs", "kernel", "bridges"}),
}

# The folders install under `assay.` (pyproject's package-dir); a bare `import specs` would be
# a user's package of that name, never ours.
_BARE = frozenset({"specs", "proofs", "kernel", "bridges"})


@dataclass(frozen=True)
class Import:
    """One import statement's target, as a dotted module name, with where it stands."""

    path: str  # relative to the repository root
    line: int
    target: str


@dataclass(frozen=True)
class DynamicImport:
    """An ``importlib.import_module`` / ``__import__`` call whose target is computed, so unknown here."""

    path: str
    line: int
    text: str


def package_dirs() -> dict[str, str]:
    """pyproject's package-dir: installed package name -> folder relative to the root."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    dirs: dict[str, str] = pyproject["tool"]["setuptools"]["package-dir"]
    return dirs


def module_files() -> dict[str, Path]:
    """Every module of the five layers: installed dotted name -> file."""
    out: dict[str, Path] = {}
    for package, folder in package_dirs().items():
        for file in sorted((ROOT / folder).glob("*.py")):
            out[package if file.name == "__init__.py" else f"{package}.{file.stem}"] = file
    return out


def layer_of(target: str) -> str | None:
    """The layer a dotted module name belongs to; None outside assay (stdlib, z3, ...)."""
    parts = target.split(".")
    if parts[0] != "assay":
        return None
    if len(parts) > 1 and parts[1] in _BARE:
        return parts[1]
    return "assay"


def imports_in(source: str, *, path: str, module: str, is_package: bool,
               known: frozenset[str] = frozenset()) -> tuple[list[Import], list[DynamicImport]]:
    """Every import in ``source`` (the text of ``module``, a package's ``__init__`` if ``is_package``).

    ``known`` names the modules that exist, so that ``from pkg import name``
    counts as an import of ``pkg.name`` when that is a module.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    dynamic: list[DynamicImport] = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module or "", node.level, package, path, node.lineno)
            for alias in node.names:
                sub = f"{base}.{alias.name}" if base else alias.name
                is_module = sub in known or (base == "assay" and alias.name in _BARE)
                found.append(Import(path, node.lineno, sub if is_module else base))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
            target = _literal(node.args[0], module, package)
            if target is not None and target.startswith("."):
                # Relative to the call's `package` argument, which must be fixed by the text too.
                anchor = _literal(node.args[1], module, package) if len(node.args) > 1 else None
                level = len(target) - len(target.lstrip("."))
                target = None if anchor is None else _absolute(target[level:], level, anchor, path, node.lineno)
            if target is None:
                dynamic.append(DynamicImport(path, node.lineno, ast.unparse(node)))
            else:
                found.append(Import(path, node.lineno, target))
    return found, dynamic


def forbidden(imports: list[Import], from_layer: str) -> list[str]:
    """A message (``file:line: edge``) for each import that DESIGN.md's table does not allow."""
    out = []
    for imp in imports:
        head = imp.target.split(".")[0]
        if head in _BARE:
            out.append(f"{imp.path}:{imp.line}: {from_layer} -> {imp.target}: a bare `{head}` is not ours "
                       f"(assay's folders install as assay.{head})")
            continue
        to = layer_of(imp.target)
        if to is not None and to != from_layer and to not in ALLOWED[from_layer]:
            out.append(f"{imp.path}:{imp.line}: {from_layer} -> {to} is not allowed (imports {imp.target})")
    return out


def check_source(source: str, *, path: str, module: str, is_package: bool = False,
                 known: frozenset[str] = frozenset()) -> list[str]:
    """The forbidden edges of one module's text (``module`` decides its layer)."""
    layer = layer_of(module)
    assert layer is not None, module
    imports, _ = imports_in(source, path=path, module=module, is_package=is_package, known=known)
    return forbidden(imports, layer)


@dataclass(frozen=True)
class Graph:
    """The whole tree's static imports."""

    files: Mapping[str, Path]  # module -> file
    imports: Mapping[str, tuple[Import, ...]]  # module -> its imports
    dynamic: Mapping[str, tuple[DynamicImport, ...]]

    def resolve(self, target: str) -> str | None:
        """The assay module an import of ``target`` loads: ``target``, or its longest prefix that is a module.

        ``from assay.specs.spec import Spec`` names ``assay.specs.spec`` already;
        ``from assay.specs import Spec`` names the package ``assay.specs``.
        None outside assay.
        """
        if layer_of(target) is None:
            return None
        while target not in self.files and "." in target:
            target = target.rpartition(".")[0]
        return target if target in self.files else None

    def assay_imports(self, module: str) -> set[str]:
        """The assay modules ``module`` imports."""
        return {m for imp in self.imports[module] if (m := self.resolve(imp.target)) is not None}

    def path_of(self, module: str) -> str:
        """The module's file, relative to the repository root."""
        file = self.files[module]
        return str(file.relative_to(ROOT)) if file.is_absolute() else str(file)


def graph() -> Graph:
    """Parse every module of the five layers."""
    files = module_files()
    known = frozenset(files)
    imports: dict[str, tuple[Import, ...]] = {}
    dynamic: dict[str, tuple[DynamicImport, ...]] = {}
    for module, file in files.items():
        rel = str(file.relative_to(ROOT))
        found, dyn = imports_in(file.read_text(), path=rel, module=module,
                                is_package=file.name == "__init__.py", known=known)
        imports[module], dynamic[module] = tuple(found), tuple(dyn)
    return Graph(files, imports, dynamic)


def walk(g: Graph, start: Iterator[str] | list[str] | set[str]) -> set[str]:
    """``start`` and every assay module it imports, directly or through others."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += g.assay_imports(m)
    return seen


def _absolute(name: str, level: int, package: str, path: str, line: int) -> str:
    if level == 0:
        return name
    parts = package.split(".")
    if level - 1 >= len(parts):
        raise ValueError(f"{path}:{line}: relative import beyond the top-level package")
    base = ".".join(parts[: len(parts) - (level - 1)])
    return f"{base}.{name}" if name else base


def _is_dynamic_import(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("import_module", "__import__")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def _literal(arg: ast.expr, module: str, package: str) -> str | None:
    """A dynamic import's target when the text fixes it: a str, ``__name__``, ``__package__``, an f-string of those."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr):
        out = []
        for part in arg.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                out.append(part.value)
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None \
                    and (name := _module_name(part.value, module, package)) is not None:
                out.append(name)
            else:
                return None
        return "".join(out)
    return _module_name(arg, module, package)


def _module_name(node: ast.expr, module: str, package: str) -> str | None:
    if isinstance(node, ast.Name) and node.id == "__name__":
        return module
    if isinstance(node, ast.Name) and node.id == "__package__":
        return package
    return None
