"""Which Python constructs the recorded HumanEval programs use: what the program front end must cover first.

    python bench/humaneval_census.py [--data DIR] [--fit assay|dataset] [--top N] [--json FILE]

Over the tasks that are solver-fit (``assay``: this bridge's mapping of types and contract, 105 of 164;
``dataset``: the ``solver_fit`` flag of humaneval_tasks.jsonl, 101), each recorded completion is assembled
as EvalPlus does (:func:`assay.bridges.programs.assembly.assemble`) and each canonical solution as
``prompt + canonical_solution``; both are parsed with :mod:`ast` (never run).  What is counted is the code
that runs when the entry point is called: the last top-level definition of the entry point and of every
function it reaches (calls or names, transitively, nested ``def``\\ s included), and any top-level code
other than definitions, imports and docstrings (it runs when the module loads).

Counted per program (how many programs use it; the total of uses beside it): statement and expression
node kinds, operators, builtins called, methods called (by name), and features (slicing and its step,
negative indices, recursion, imports, ``while``, keyword arguments, ``None``, f-strings, ...).  Then the
subset that issue 11 lists (statements, bounded loops, the list and string methods models use, ...):
how many programs lie inside it entirely, and which constructs outside it keep the most programs out.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from assay.bridges.programs.assembly import Assembled, assemble
from assay.bridges.programs.humaneval import ProgramLine, Task, TaskSpec, read_programs, read_tasks, task_spec
from assay.bridges.programs.parsing import parse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "programs"
BUILTIN_NAMES = frozenset(dir(builtins))

# Issue 11's program subset, as its text lists it ("The program subset, exact to CPython").
SUBSET_STATEMENTS = frozenset({"FunctionDef", "Assign", "AugAssign", "If", "For", "While", "Break", "Continue",
                               "Return", "Expr", "Pass", "docstring (a constant as a statement)"})
SUBSET_EXPRESSIONS = frozenset({"BinOp", "UnaryOp", "BoolOp", "Compare", "Call", "Name", "Constant", "Subscript",
                                "Slice", "List", "Tuple", "ListComp", "GeneratorExp", "Attribute"})
SUBSET_OPERATORS = frozenset({"Add", "Sub", "Mult", "FloorDiv", "Mod", "USub", "UAdd", "Not", "And", "Or", "Eq",
                              "NotEq", "Lt", "LtE", "Gt", "GtE", "In", "NotIn"})
SUBSET_BUILTINS = frozenset({"len", "sum", "min", "max", "abs", "sorted", "reversed", "any", "all", "range",
                             "enumerate", "zip", "str", "int", "ord", "chr"})
SUBSET_METHODS = frozenset({"append", "pop", "insert", "index", "count", "lower", "upper", "strip", "split", "join",
                            "startswith", "endswith", "isdigit", "isalpha", "find", "replace"})


# --- what runs when the entry point is called ----------------------------------------------------------------


def running_code(tree: ast.Module, entry: str) -> tuple[list[ast.AST], list[ast.stmt], list[ast.FunctionDef]]:
    """The function definitions the entry point reaches (the last of each name), the top-level code, and the
    reached definitions among them that call themselves (directly or through each other)."""
    defs: dict[str, ast.FunctionDef] = {}
    top: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            defs[stmt.name] = stmt
        elif not (isinstance(stmt, ast.Import | ast.ImportFrom)
                  or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))):
            top.append(stmt)
    reached: list[str] = []
    todo = [entry] + [n.id for s in top for n in ast.walk(s) if isinstance(n, ast.Name) and n.id in defs]
    while todo:
        name = todo.pop()
        if name in reached or name not in defs:
            continue
        reached.append(name)
        todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name) and n.id in defs]
    recursive = [defs[n] for n in reached if _calls_back(n, defs)]
    nested = [d for n in reached for d in ast.walk(defs[n]) if isinstance(d, ast.FunctionDef) and d is not defs[n]
              and any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == d.name
                      for c in ast.walk(d))]
    return [defs[n] for n in reached], top, recursive + nested


def _calls_back(name: str, defs: dict[str, ast.FunctionDef]) -> bool:
    seen: set[str] = set()
    todo = [n.func.id for n in ast.walk(defs[name]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    while todo:
        callee = todo.pop()
        if callee == name:
            return True
        if callee in seen or callee not in defs:
            continue
        seen.add(callee)
        todo += [n.func.id for n in ast.walk(defs[callee]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return False


# --- one program's constructs ----------------------------------------------------------------------------------


def constructs(tree: ast.Module, entry: str) -> Counter[str]:
    """Each construct the running code of one program uses, with how often."""
    functions, top, recursive = running_code(tree, entry)
    found: Counter[str] = Counter()
    if top:
        found["feature: top-level code (runs at load)"] += len(top)
    if recursive:
        found["feature: recursion"] += len(recursive)
    roots: list[ast.AST] = [*functions, *top]
    imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)] + [
        n for r in roots for n in ast.walk(r) if isinstance(n, ast.Import | ast.ImportFrom)]
    for node in imports:
        for module in [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]:
            if module.split(".")[0] != "typing":
                found[f"import: {module}"] += 1
    local_defs = {d.name for f in functions for d in ast.walk(f) if isinstance(d, ast.FunctionDef)}
    for root in roots:
        called = {id(n.func) for n in ast.walk(root) if isinstance(n, ast.Call)}
        for node in ast.walk(root):
            found.update(_node_constructs(node, local_defs, root, called))
    return found


def _node_constructs(node: ast.AST, local_defs: set[str], root: ast.AST, called: set[int]) -> Iterator[str]:
    kind = type(node).__name__
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        yield "statement: docstring (a constant as a statement)"
    elif isinstance(node, ast.stmt):
        yield f"statement: {kind}"
        if isinstance(node, ast.FunctionDef) and node is not root:
            yield "feature: nested def"
        if isinstance(node, ast.For | ast.While) and node.orelse:
            yield "feature: for/while ... else"
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Tuple | ast.List) for t in node.targets):
            yield "feature: tuple unpacking"
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield "feature: import inside a function"
    elif isinstance(node, ast.expr):
        yield f"expression: {kind}"
    if isinstance(node, ast.operator | ast.unaryop | ast.cmpop | ast.boolop):
        yield f"operator: {kind}"
    if isinstance(node, ast.Constant):
        if node.value is None:
            yield "feature: None"
        elif isinstance(node.value, float):
            yield "feature: float literal"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not isinstance(node.right, ast.Constant):
        yield "feature: ** with a non-constant exponent"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) \
            and isinstance(node.left.value, str):
        yield "feature: % formatting of a str"
    if isinstance(node, ast.Compare) and len(node.ops) > 1:
        yield "feature: chained comparison"
    if isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            yield "feature: slicing"
            if node.slice.step is not None:
                yield "feature: slice with a step"
        elif isinstance(node.slice, ast.UnaryOp) and isinstance(node.slice.op, ast.USub):
            yield "feature: negative index"
    if isinstance(node, ast.Call):
        if node.keywords:
            for k in node.keywords:
                yield f"keyword argument: {k.arg}="
        if any(isinstance(a, ast.Starred) for a in node.args):
            yield "feature: *args in a call"
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in local_defs:
                yield "call: of a function of the program"
            elif func.id in BUILTIN_NAMES:
                yield f"builtin: {func.id}"
            else:
                yield "call: of a local name (a lambda, a parameter)"
        elif isinstance(func, ast.Attribute):
            yield f"method: .{func.attr}"
        else:
            yield "call: of an expression"
    if isinstance(node, ast.Attribute) and id(node) not in called:
        yield f"attribute read: .{node.attr}"


# Per group of construct, the names the subset lists (None: nothing of the group is in it).
_SUBSET: dict[str, frozenset[str] | None] = {
    "statement": SUBSET_STATEMENTS, "expression": SUBSET_EXPRESSIONS, "operator": SUBSET_OPERATORS,
    "builtin": SUBSET_BUILTINS, "method": frozenset(f".{m}" for m in SUBSET_METHODS), "import": None,
    "keyword argument": None, "attribute read": None,
    "call": frozenset({"of a function of the program"}),
    "feature": frozenset({"slicing", "slice with a step", "negative index", "tuple unpacking", "nested def",
                          "chained comparison", "for/while ... else"}),
}


def outside_subset(found: Counter[str]) -> set[str]:
    """The constructs of one program that issue 11's subset does not list."""
    out = set()
    for name in found:
        group, _, what = name.partition(": ")
        listed = _SUBSET.get(group)
        if listed is None or what not in listed:
            out.add(name)
    return out


# --- the census ------------------------------------------------------------------------------------------------


def census(tasks: dict[str, Task], fit: set[str], programs: Iterable[ProgramLine]) -> dict[str, Any]:
    """Per construct, how many completions and references use it; subset coverage."""
    per_kind: dict[str, dict[str, Counter[str]]] = {"completions": defaultdict(Counter),
                                                    "references": defaultdict(Counter)}
    outside: dict[str, list[set[str]]] = {"completions": [], "references": []}
    counts = Counter[str]()
    for tid in sorted(fit):
        t = tasks[tid]
        _add(per_kind["references"], outside["references"], parse(t.prompt + t.canonical_solution), t.entry_point)
        counts["references"] += 1
    for p in programs:
        if p.task_id not in fit:
            continue
        t = tasks[p.task_id]
        program = assemble(t.prompt, p.completion, t.entry_point)
        if not isinstance(program, Assembled):
            counts["completions that do not parse"] += 1
            continue
        _add(per_kind["completions"], outside["completions"], parse(program.text), t.entry_point)
        counts["completions"] += 1
    return {"counts": dict(counts), "constructs": per_kind, "outside": outside}


def _add(table: dict[str, Counter[str]], outside: list[set[str]], tree: ast.Module, entry: str) -> None:
    found = constructs(tree, entry)
    for name, n in found.items():
        table[name]["programs"] += 1
        table[name]["uses"] += n
    outside.append(outside_subset(found))


def report(result: dict[str, Any], top: int) -> str:
    counts = result["counts"]
    n_c, n_r = counts.get("completions", 0), counts.get("references", 0)
    comp, ref = result["constructs"]["completions"], result["constructs"]["references"]
    lines = [f"{n_c} completions of solver-fit tasks ({counts.get('completions that do not parse', 0)} more do not "
             f"parse), {n_r} references (prompt + canonical_solution)", ""]
    groups = sorted({name.partition(": ")[0] for name in [*comp, *ref]})
    for group in groups:
        names = sorted({n for n in [*comp, *ref] if n.startswith(group + ": ")},
                       key=lambda n: (-comp[n]["programs"] if n in comp else 0, n))
        lines += [f"## {group}", "", f"| {group} | completions (of {n_c}) | uses | references (of {n_r}) | uses |",
                  "|---|---|---|---|---|"]
        for name in names[:top]:
            c, r = comp.get(name, Counter()), ref.get(name, Counter())
            lines.append(f"| {name.partition(': ')[2]} | {c['programs']} ({_pct(c['programs'], n_c)}) | {c['uses']} "
                         f"| {r['programs']} ({_pct(r['programs'], n_r)}) | {r['uses']} |")
        if len(names) > top:
            lines.append(f"| ... {len(names) - top} more | | | | |")
        lines.append("")
    for kind, n in (("completions", n_c), ("references", n_r)):
        sets = result["outside"][kind]
        inside = sum(not s for s in sets)
        lines += [f"## issue 11's subset: {kind}", "",
                  f"{inside} of {n} ({_pct(inside, n)}) use only constructs the subset lists.", "",
                  "| construct outside the subset | programs using it | programs it alone keeps out |",
                  "|---|---|---|"]
        using = Counter(name for s in sets for name in s)
        alone = Counter(next(iter(s)) for s in sets if len(s) == 1)
        for name, k in using.most_common(top):
            lines.append(f"| {name} | {k} ({_pct(k, n)}) | {alone[name]} |")
        lines.append("")
    return "\n".join(lines)


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.0f} %" if n else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the folder of the two JSON Lines files")
    parser.add_argument("--fit", choices=("assay", "dataset"), default="assay",
                        help="which tasks count as solver-fit (default: this bridge's mapping)")
    parser.add_argument("--top", type=int, default=40, help="rows per table")
    parser.add_argument("--json", type=Path, help="also write the counts as JSON here")
    args = parser.parse_args(argv)
    tasks_file, programs_file = args.data / "humaneval_tasks.jsonl", args.data / "gpt-3.5_programs.jsonl"
    with tasks_file.open("rb") as f:
        tasks = {t.task_id: t for t in read_tasks(f, str(tasks_file)) if isinstance(t, Task)}
    if args.fit == "assay":
        fit = {tid for tid, t in tasks.items() if isinstance(task_spec(t), TaskSpec)}
    else:
        fit = {tid for tid, t in tasks.items() if t.fields.get("solver_fit") is True}
    with programs_file.open("rb") as f:
        programs = [p for p in read_programs(f, str(programs_file)) if isinstance(p, ProgramLine)]
    result = census(tasks, fit, programs)
    print(f"{len(fit)} solver-fit tasks ({args.fit}) of {len(tasks)}")
    print(report(result, args.top))
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in result.items() if k != "outside"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
