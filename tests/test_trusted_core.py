"""The trusted core is named in one manifest (assay.kernel.trusted_core), and its value path stays small.

``pytest -s tests/test_trusted_core.py`` prints every trusted module's line
count and each path's total; the same table is in every assertion message.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from assay.kernel import trusted_core as manifest

from .import_graph import ROOT, Graph, Import, graph

GRAPH = graph()
MODULE_OF = {GRAPH.path_of(m): m for m in GRAPH.files}


def expand(entries: Iterable[str]) -> list[str]:
    """The manifest's entries as module paths: ``folder/*.py`` stands for every module in the folder."""
    out: list[str] = []
    for entry in entries:
        if entry.endswith("/*.py"):
            out += sorted(str(p.relative_to(ROOT)) for p in (ROOT / entry[:-5]).glob("*.py"))
        else:
            out.append(entry)
    return out


def line_count(path: str) -> int:
    return len((ROOT / path).read_text().splitlines())


def size_table(paths: Mapping[str, Iterable[str]]) -> str:
    """Each path's modules with their line counts and the path's total, then the core's."""
    rows: list[str] = []
    seen: dict[str, int] = {}
    for name, entries in paths.items():
        modules = expand(entries)
        rows.append(f"{name}: {sum(line_count(m) for m in modules)} lines in {len(modules)} modules")
        for m in modules:
            rows.append(f"    {line_count(m):5d}  {m}")
            seen[m] = line_count(m)
    rows.append(f"the trusted core: {sum(seen.values())} lines in {len(seen)} modules")
    return "\n".join(rows)


def unnamed_imports(g: Graph, trusted: Iterable[str], outside: Iterable[str]) -> list[str]:
    """``file:line: importer imports module`` for each assay module the core reaches but the manifest does not name.

    The walk follows the imports (every one, wherever it stands, read with
    ``ast``) out of the trusted modules, and on through the modules named as
    outside the core; each unnamed module is reported once, at the first
    import that reaches it.
    """
    named = set(trusted) | set(outside)
    module_of = {g.path_of(m): m for m in g.files}
    todo = sorted(module_of[t] for t in trusted if t in module_of)
    seen = set(todo)
    out = []
    while todo:
        module = todo.pop(0)
        for imp in g.imports[module]:
            target = g.resolve(imp.target)
            if target is None or target in seen:
                continue
            seen.add(target)
            if g.path_of(target) in named:
                todo.append(target)
            else:
                out.append(f"{imp.path}:{imp.line}: {g.path_of(module)} imports {g.path_of(target)}, "
                           "which the manifest (kernel/trusted_core.py) names neither as trusted nor as "
                           "outside the core")
    return out


TRUSTED = [m for entries in manifest.PATHS.values() for m in expand(entries)]
TABLE = size_table(manifest.PATHS)


def test_print_the_trusted_core_and_its_size() -> None:
    print("\n" + TABLE)
    assert f"{manifest.VALUE_ACCEPTANCE[0]}" in TABLE


def test_every_module_the_manifest_names_exists() -> None:
    named = [*manifest.VALUE_ACCEPTANCE, *manifest.CLAIMS, *manifest.CERTIFICATE, *manifest.OUTSIDE_THE_CORE]
    missing = [e for e in named if not (expand([e]) and all((ROOT / m).is_file() for m in expand([e])))]
    assert missing == [], f"the manifest names modules that do not exist: {missing}\n{TABLE}"
    assert all(m in MODULE_OF for m in TRUSTED), TABLE
    # One place for each module: on one path, or outside the core.
    assert len(TRUSTED) == len(set(TRUSTED)), TABLE
    assert not set(TRUSTED) & set(manifest.OUTSIDE_THE_CORE), TABLE
    assert all(reason.strip() for reason in manifest.OUTSIDE_THE_CORE.values())


def over_cap(entries: Iterable[str], cap: int) -> str | None:
    """Why the value-acceptance path ``entries`` breaks ``cap``, or None when it is within it."""
    total = sum(line_count(m) for m in expand(entries))
    if total <= cap:
        return None
    return f"the value-acceptance path is {total} lines, over its cap of {cap}\n{size_table(manifest.PATHS)}"


def test_the_value_acceptance_path_is_within_its_cap() -> None:
    assert manifest.VALUE_ACCEPTANCE_CAP == 1500
    assert over_cap(manifest.VALUE_ACCEPTANCE, manifest.VALUE_ACCEPTANCE_CAP) is None


def test_every_module_the_core_imports_is_named_in_the_manifest() -> None:
    unnamed = unnamed_imports(GRAPH, TRUSTED, manifest.OUTSIDE_THE_CORE)
    assert unnamed == [], "\n".join(unnamed) + f"\n{TABLE}"


def test_the_value_path_holds_what_design_md_names() -> None:
    # verdicts, check, decoding and bounds of domains, Spec.holds (the spec object).
    assert {"kernel/verdicts.py", "kernel/check.py", "specs/domains.py", "specs/spec.py"} \
        <= set(manifest.VALUE_ACCEPTANCE)
    assert {"kernel/solvers.py", "kernel/pool.py", "kernel/claims.py", "kernel/entail.py", "specs/ir.py",
            "specs/frontend.py", "specs/queries.py", "specs/smt.py"} <= set(manifest.CLAIMS)
    assert {"proofs/certificate.py", "proofs/recheck.py"} <= set(expand(manifest.CERTIFICATE))


def test_the_manifest_imports_nothing() -> None:
    tree = ast.parse((ROOT / "kernel" / "trusted_core.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]


# --- the checks can fail ------------------------------------------------------------------------------


def test_a_trusted_module_importing_an_unnamed_module_is_reported() -> None:
    # Leave domains out of the manifest: check.py, spec.py and others import it.
    trusted = [m for m in TRUSTED if m != "specs/domains.py"]
    already = set(unnamed_imports(GRAPH, TRUSTED, manifest.OUTSIDE_THE_CORE))  # empty, unless another test fails
    [report] = set(unnamed_imports(GRAPH, trusted, manifest.OUTSIDE_THE_CORE)) - already
    assert report.endswith(" imports specs/domains.py, which the manifest (kernel/trusted_core.py) names "
                           "neither as trusted nor as outside the core")
    importer = report.split(":")[0]
    assert "specs/domains.py" in {GRAPH.path_of(m) for m in GRAPH.assay_imports(MODULE_OF[importer])}


def test_the_walk_goes_on_through_modules_named_outside_the_core() -> None:
    # a (trusted) imports b (outside the core) imports c (named nowhere): c is reported, at b's import.
    files = {"assay.kernel.a": Path("kernel/a.py"), "assay.kernel.b": Path("kernel/b.py"),
             "assay.specs.c": Path("specs/c.py")}
    imports = {"assay.kernel.a": (Import("kernel/a.py", 3, "assay.kernel.b"), Import("kernel/a.py", 4, "json")),
               "assay.kernel.b": (Import("kernel/b.py", 7, "assay.specs.c.helper"),),
               "assay.specs.c": ()}
    g = Graph(files, imports, dict.fromkeys(files, ()))
    assert unnamed_imports(g, ["kernel/a.py"], {"kernel/b.py": "why"}) == [
        "kernel/b.py:7: kernel/b.py imports specs/c.py, which the manifest (kernel/trusted_core.py) names "
        "neither as trusted nor as outside the core"]
    assert unnamed_imports(g, ["kernel/a.py", "specs/c.py"], {"kernel/b.py": "why"}) == []


def test_a_value_path_over_its_cap_fails() -> None:
    total = sum(line_count(m) for m in expand(manifest.VALUE_ACCEPTANCE))
    message = over_cap(manifest.VALUE_ACCEPTANCE, total - 1)
    assert message is not None
    assert message.startswith(f"the value-acceptance path is {total} lines, over its cap of {total - 1}\n"
                              f"a value is ACCEPTED: {total} lines in {len(manifest.VALUE_ACCEPTANCE)} modules\n")
    assert over_cap(manifest.VALUE_ACCEPTANCE, total) is None
