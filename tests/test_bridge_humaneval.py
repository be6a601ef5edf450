"""The HumanEval bridge and `assay humaneval`: reading, types to domains, contracts, assembly, the report.

Real records come from ../shared/datasets/programs where it is present (those
tests are skipped where it is not); the others are hand-made.  Dataset text is
never run by the bridge: the hostile-record test shows it with a marker file.
The differential test runs only contracts written here (trusted text), beside
the preconditions the bridge makes of them, on every input of small domains.
"""

from __future__ import annotations

import ast
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from assay.bridges.programs.assembly import Assembled, Unparsable, assemble
from assay.bridges.programs.bounds import DEFAULT_ALPHABET, Bounds, with_override
from assay.bridges.programs.contracts import ContractRefused, read_contract
from assay.bridges.programs.humaneval import (
    LineError,
    NotFit,
    ProgramLine,
    Task,
    TaskSpec,
    read_programs,
    read_tasks,
    task_spec,
)
from assay.bridges.programs.signature import ITEM, UnfitType, argument_domain, describe, narrowed, result_domain
from assay.kernel.verdicts import Outcome, make
from assay.specs.domains import BoolDomain, Domain, IntDomain, ListDomain, StrDomain, TupleDomain

from assay.cli import main
from assay.humaneval import counterexample

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "programs"
B = Bounds()
A = DEFAULT_ALPHABET


def real(name: str) -> Path:
    p = DATA / name
    if not p.exists():
        pytest.skip(f"{p} is not here (../shared/datasets)")
    return p


def lines(*items: object) -> list[bytes]:
    return [(i if isinstance(i, bytes) else (i if isinstance(i, str) else json.dumps(i)).encode()) + b"\n"
            for i in items]


PROMPT = 'def add(x: int, y: int) -> int:\n    """Add x and y."""\n'
TASK: dict[str, Any] = {
    "task_id": "T/0", "prompt": PROMPT, "entry_point": "add", "canonical_solution": "    return x + y\n",
    "contract": '\n    assert type(x) == int and type(y) == int  # $_CONTRACT_$\n    assert x >= 0  # $_CONTRACT_$\n',
    "types": {"args": {"x": "int", "y": "int"}, "returns": "int"},
}


def make_task(**changes: Any) -> Task:
    item = next(iter(read_tasks(lines({**TASK, **changes}), "t.jsonl")))
    assert isinstance(item, Task), item
    return item


# --- reading ------------------------------------------------------------------------------------------------


def test_task_lines_are_read_and_each_bad_one_names_file_line_and_field() -> None:
    bad = {**TASK, "task_id": "T/4", "entry_point": 3}
    items = list(read_tasks(lines(TASK, "", "{not json", [1, 2], {k: v for k, v in TASK.items() if k != "prompt"},
                                  bad, {**TASK, "task_id": "T/5", "contract": 7}, b"\xff\xfe",
                                  {**TASK, "task_id": "T/6", "entry_point": "no such"},
                                  {**TASK, "task_id": "T/7"}), "t.jsonl"))
    assert [str(i) if isinstance(i, LineError) else i.task_id for i in items] == [
        "T/0",
        "t.jsonl:3: not valid JSON at column 2: Expecting property name enclosed in double quotes",
        "t.jsonl:4: expected a JSON object, got list",
        "t.jsonl:5: field 'prompt': missing",
        "t.jsonl:6: field 'entry_point': expected a str, got a number",
        "t.jsonl:7: field 'contract': expected a string, got a number",
        "t.jsonl:8: not valid UTF-8 at column 1",
        "t.jsonl:9: field 'entry_point': 'no such' is not a Python name",
        "T/7",
    ]
    assert [i.task_id for i in items if isinstance(i, LineError)] == [None, None, "T/0", "T/4", "T/5", None, "T/6"]


def test_program_lines_keep_every_field_and_bad_ones_say_which() -> None:
    items = list(read_programs(lines({"task_id": "T/0", "completion": "x", "label": "wrong", "sample": 3},
                                     {"task_id": "T/0"}, {"task_id": 5, "completion": ""}, "[]", "  ",
                                     {"task_id": "T/0", "completion": None}), "p.jsonl"))
    first = items[0]
    assert isinstance(first, ProgramLine) and first.line == 1 and first.fields["sample"] == 3
    assert [str(i) for i in items[1:]] == [
        "p.jsonl:2: field 'completion': missing",
        "p.jsonl:3: field 'task_id': expected a str, got a number",
        "p.jsonl:4: expected a JSON object, got list",
        "p.jsonl:6: field 'completion': expected a str, got null",
    ]
    assert isinstance(items[1], LineError) and items[1].fields == {"task_id": "T/0"}


def test_the_recorded_files_read_without_a_bad_line() -> None:
    with real("humaneval_tasks.jsonl").open("rb") as f:
        tasks = list(read_tasks(f, "tasks"))
    with real("gpt-3.5_programs.jsonl").open("rb") as f:
        programs = list(read_programs(f, "programs"))
    assert len(tasks) == 164 and all(isinstance(t, Task) for t in tasks)
    assert len(programs) == 2952 and all(isinstance(p, ProgramLine) for p in programs)


# --- types to domains -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "domain"), [
    ("int", IntDomain(-20, 20)),
    ("bool", BoolDomain()),
    ("str", StrDomain(6, A)),
    ("list[int]", ListDomain(IntDomain(-20, 20), 0, 5)),
    ("list[list[str]]", ListDomain(ListDomain(StrDomain(6, A), 0, 5), 0, 5)),
    (" tuple[int, bool] ", TupleDomain((IntDomain(-20, 20), BoolDomain()))),
])
def test_types_map_to_bounded_domains(text: str, domain: Domain) -> None:
    assert argument_domain(text, B) == domain


def test_a_result_has_the_shape_without_bounds() -> None:
    assert result_domain("list[tuple[int, str]]") == ListDomain(TupleDomain((IntDomain(), StrDomain())))


@pytest.mark.parametrize(("text", "message"), [
    ("float", "type 'float': floats are outside what assay proves over (never treated as reals)"),
    ("list[float]", "type 'list[float]': floats are outside what assay proves over (never treated as reals)"),
    ("str | None", "type 'str | None' is a union: some calls pass another type, so no one domain is the task's"),
    ("list[Any]", "type 'list[Any]': Any names no domain"),
    ("dict[str, int]", "type 'dict[str, int]': dicts are outside the program subset's values"),
    ("tuple[str, ...]", "type 'tuple[str, ...]': a tuple of varying length has no fixed shape"),
    ("None", "type 'None': None is outside the program subset's values"),
    ("list[", "type 'list[' does not parse: '[' was never closed"),
    ("__import__('os')", "type \"__import__('os')\": \"__import__('os')\" is not a type assay maps to a domain"),
])
def test_types_outside_the_fragment_say_why(text: str, message: str) -> None:
    with pytest.raises(UnfitType) as info:
        argument_domain(text, B)
    assert str(info.value) == message


def test_bounds_are_overridden_one_key_at_a_time() -> None:
    b = with_override(with_override(with_override(B, "int=-3..4"), "list=2"), "alphabet=ba a")
    assert (b.int_lo, b.int_hi, b.list_len, b.str_len, b.alphabet) == (-3, 4, 2, 6, " ab")
    assert argument_domain("list[str]", b) == ListDomain(StrDomain(6, " ab"), 0, 2)


@pytest.mark.parametrize(("text", "message"), [
    ("int", "--bound 'int': expected KEY=VALUE, with KEY one of int, list, str, alphabet"),
    ("int=5..1", "--bound 'int=5..1': LO must be at most HI, both within +-1000000"),
    ("int=1-5", "--bound 'int=1-5': expected int=LO..HI, like int=-20..20"),
    ("list=x", "--bound 'list=x': expected list=N, a length from 0 to 64"),
    ("str=99", "--bound 'str=99': expected str=N, a length from 0 to 64"),
    ("alphabet=", "--bound 'alphabet=': the alphabet needs at least one character"),
    ("depth=3", "--bound 'depth=3': unknown key 'depth'; expected int, list, str or alphabet"),
])
def test_bad_bounds_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r".*") as info:
        with_override(B, text)
    assert str(info.value) == message


def test_the_default_alphabet_is_ascii_letters_digits_space_and_the_base_inputs_punctuation() -> None:
    assert len(A) == 26 + 26 + 10 + 1 + 20 and "".join(sorted(set(A))) == A
    assert "\n" not in A and all(c.isascii() and c.isprintable() for c in A)


@pytest.mark.parametrize(("path", "kw", "expected"), [
    ((), {"lo": 0}, IntDomain(0, 20)),
    ((), {"lo": 0, "hi": 1000}, IntDomain(0, 20)),
    ((), {"lo": 50}, IntDomain(50, 90)),  # outside the bound: the bound's size, moved into the contract's range
    ((), {"hi": -30}, IntDomain(-70, -30)),
])
def test_an_int_is_narrowed_never_widened(path: tuple[str, ...], kw: dict[str, int], expected: Domain) -> None:
    assert narrowed(IntDomain(-20, 20), path, **kw) == expected


def test_narrowing_reaches_list_items_and_string_alphabets() -> None:
    d = argument_domain("list[str]", B)
    assert narrowed(d, (ITEM,), chars="<>~") == ListDomain(StrDomain(6, "<>"), 0, 5)
    assert narrowed(d, (), min_len=1) == ListDomain(StrDomain(6, A), 1, 5)
    assert describe(narrowed(d, (), min_len=2, max_len=2)) == \
        f"list of exactly 2 items, each str of at most 6 characters over {A!r}"
    with pytest.raises(ValueError, match="cannot narrow"):
        narrowed(d, (), lo=3)


# --- contracts --------------------------------------------------------------------------------------------------


def contract(text: str, **types: str) -> tuple[str | None, dict[str, str]]:
    domains = {name: argument_domain(t, B) for name, t in types.items()}
    c = read_contract(text, domains)
    return (None if c.precondition is None else c.precondition.source(),
            {name: describe(d) for name, d in c.domains.items() if d != domains[name]})


def asserts(*tests: str) -> str:
    return "".join(f"\n    assert {t}, \"invalid inputs\"  # $_CONTRACT_$" for t in tests) + "\n"


@pytest.mark.parametrize(("text", "types", "pre", "narrow"), [
    (asserts("type(n) == int"), {"n": "int"}, None, {}),
    (asserts("isinstance(n, (int, float)) and n >= 0"), {"n": "int"}, "n >= 0", {"n": "int in 0..20"}),
    (asserts("type(a) == type(b) == int", "a > 0 and b > 0"), {"a": "int", "b": "int"}, "a > 0 and b > 0",
     {"a": "int in 1..20", "b": "int in 1..20"}),
    (asserts("0 < N <= 10000"), {"N": "int"}, "0 < N <= 10000", {"N": "int in 1..20"}),
    (asserts("a < 100"), {"a": "int"}, "a < 100", {}),
    (asserts("all([isinstance(v, int) for v in xs])", "isinstance(xs, list)"), {"xs": "list[int]"}, None, {}),
    (asserts("all(type(v) == int and v > 0 for v in xs)"), {"xs": "list[int]"}, "all((v > 0 for v in xs))",
     {"xs": "list of at most 5 items, each int in 1..20"}),
    (asserts("1 <= len(xs) <= 100", "0 <= k <= len(xs)"), {"xs": "list[int]", "k": "int"},
     "1 <= len(xs) <= 100 and 0 <= k <= len(xs)",
     {"xs": "list of 1 to 5 items, each int in -20..20", "k": "int in 0..20"}),
    (asserts("len(xs) == 2"), {"xs": "list[str]"}, "len(xs) == 2",
     {"xs": f"list of exactly 2 items, each str of at most 6 characters over {A!r}"}),
    (asserts("all(x in '<>' for x in s)"), {"s": "str"}, "all((x in '<>' for x in s))",
     {"s": "str of at most 6 characters over '<>'"}),
    (asserts("all(ch == ' ' or ch.isdigit() for ch in s)"), {"s": "str"},
     "all((ch == ' ' or ch.isdigit() for ch in s))", {"s": "str of at most 6 characters over ' 0123456789'"}),
    (asserts("s == '' or s.islower()"), {"s": "str"}, "s == '' or s.islower()",
     {"s": "str of at most 6 characters over "
           "' !#$()*+,-./0123456789<>?@[]^_abcdefghijklmnopqrstuvwxyz|'"}),
    (asserts("all(s.isdigit() for s in xs)"), {"xs": "list[str]"}, "all((s.isdigit() for s in xs))",
     {"xs": "list of at most 5 items, each str of at most 6 characters over '0123456789'"}),
    (asserts("s == '' or all(map(lambda w: w in ['o', 'o|'], s.split(' ')))"), {"s": "str"},
     "s == '' or all((w in ['o', 'o|'] for w in s.split(' ')))", {"s": "str of at most 6 characters over ' o|'"}),
    (asserts("set(a).issubset({'0', '1'})"), {"a": "str"}, "all((_c0 in ('0', '1') for _c0 in a))",
     {"a": "str of at most 6 characters over '01'"}),
    (asserts("len(set(xs)) == len(xs)"), {"xs": "list[int]"},
     "all((xs[_c0] != xs[_c1] for _c0 in range(len(xs)) for _c1 in range(_c0 + 1, len(xs))))", {}),
    ("", {"n": "int"}, None, {}),
])
def test_contracts_become_preconditions_and_narrow_domains(text: str, types: dict[str, str], pre: str | None,
                                                         narrow: dict[str, str]) -> None:
    assert contract(text, **types) == (pre, narrow)


PAREN_CONTRACT = """
    assert type(s) == str, "invalid inputs" # $_CONTRACT_$
    cnt = 0 # $_CONTRACT_$
    for ch in s: # $_CONTRACT_$
        assert ch in ["(", ")", " "], "invalid inputs"  # $_CONTRACT_$
        if ch == "(": cnt += 1 # $_CONTRACT_$
        if ch == ")": cnt -= 1 # $_CONTRACT_$
        assert cnt >= 0, "invalid inputs" # $_CONTRACT_$
    assert cnt == 0, "invalid inputs" # $_CONTRACT_$
"""

NESTED_DEF_CONTRACT = """
    def contract(x): # $_CONTRACT_$
        assert isinstance(x, str), "invalid inputs" # $_CONTRACT_$
        xs = x.split("/") # $_CONTRACT_$
        assert len(xs) == 2, "invalid inputs" # $_CONTRACT_$
        assert xs[0].isdigit() and int(xs[0]) > 0, "invalid inputs" # $_CONTRACT_$
    contract(x) # $_CONTRACT_$
    contract(n) # $_CONTRACT_$
"""


def test_a_contract_with_statements_becomes_a_helper_function() -> None:
    pre, narrow = contract(PAREN_CONTRACT, s="str")
    assert pre == (
        "def _contract(s):\n    cnt = 0\n    for ch in s:\n        if not ch in ['(', ')', ' ']:\n"
        "            return False\n        if ch == '(':\n            cnt += 1\n        if ch == ')':\n"
        "            cnt -= 1\n        if not cnt >= 0:\n            return False\n    if not cnt == 0:\n"
        "        return False\n    return True\n\n_contract(s)")
    assert narrow == {"s": "str of at most 6 characters over ' ()'"}


def test_a_helper_def_of_the_contract_is_lifted_and_its_parameter_typed_from_its_calls() -> None:
    pre, _ = contract(NESTED_DEF_CONTRACT, x="str", n="str")
    assert pre is not None and pre.splitlines()[:6] == [
        "def _contract(x, n):", "    if not _contract_contract(x):", "        return False",
        "    if not _contract_contract(n):", "        return False", "    return True"]
    assert "def _contract_contract(x):\n    xs = x.split('/')" in pre
    with pytest.raises(ContractRefused, match="whose type is not known"):
        contract(NESTED_DEF_CONTRACT, x="str", n="list[str]")


@pytest.mark.parametrize(("text", "types", "message"), [
    (asserts("isinstance(n, float)"), {"n": "int"},
     "line 2 `assert isinstance(n, float), \"invalid inputs\"`: the contract's types disagree with the task's "
     "types: this assert fails on every input of the domain"),
    (asserts("n > 0.5"), {"n": "int"}, "line 2 `assert n > 0.5, \"invalid inputs\"`: the contract holds the float 0.5"),
    (asserts("n / 2 > 1"), {"n": "int"}, "the contract divides with /, which makes a float"),
    (asserts("m > 0"), {"n": "int"}, "the contract names `m`, which is not an argument"),
    (asserts("open('x')"), {"n": "int"}, "the contract calls open"),
    (asserts("n.__add__(1) > 0"), {"n": "int"}, "the contract reads the attribute __add__"),
    (asserts("isinstance(n, MyType)"), {"n": "int"}, "the contract's type test names `MyType`, not a builtin type"),
    (asserts("type(n) < int"), {"n": "int"}, "the contract orders types"),
    ("\n    return 1\n", {"n": "int"},
     "line 2 `return 1`: the contract holds a statement (Return) with no meaning as a precondition"),
    ("\n    try:\n        pass\n    except Exception:\n        pass\n", {"n": "int"}, "(Try)"),
    ("\n    import os\n", {"n": "int"}, "(Import)"),
    ("\n    int = 3\n    assert n > int\n", {"n": "int"}, "the contract rebinds 'int', which its tests rely on"),
    ("\n    assert n >\n", {"n": "int"}, "line 2 `assert n >`: the contract does not parse: invalid syntax"),
    ("\n    k = n\n    assert isinstance(k, int)\n    k = 'a'\n", {"n": "int"},
     "the contract tests the type of `k`, whose type is not known here"),
    ("\n    def f(a=1):\n        assert a\n    f()\n", {"n": "int"}, "takes more than plain parameters"),
    ("\n    y = 2\n    def f(a):\n        return a > y\n    assert f(n)\n", {"n": "int"}, "uses 'y' from outside it"),
    ("\n    k = 1\n    assert _contract > k\n", {"_contract": "int"},
     "the contract uses the name '_contract', which its helper would take"),
])
def test_a_contract_with_no_single_meaning_is_refused_with_its_line(text: str, types: dict[str, str],
                                                                    message: str) -> None:
    with pytest.raises(ContractRefused) as info:
        contract(text, **types)
    assert message in str(info.value)


@pytest.mark.parametrize(("text", "message"), [
    ("assert " + "+".join(["n"] * 20000) + " > 0", "the contract cannot be parsed: maximum recursion depth exceeded"),
    ("assert " + "+".join(["n"] * 600) + " > 0", "the contract is nested too deeply to read"),
    ("assert n\x00", "the contract does not parse: source code string cannot contain null bytes"),
])
def test_a_pathological_contract_is_refused_not_a_crash(text: str, message: str) -> None:
    with pytest.raises(ContractRefused) as info:
        read_contract(text, {"n": IntDomain(-20, 20)})
    assert str(info.value).startswith(message)


def test_a_pathological_type_is_unfit_not_a_crash() -> None:
    with pytest.raises(UnfitType, match="is 1803 characters long; at most 1000 are read"):
        argument_domain("list[" * 300 + "int" + "]" * 300, B)
    assert argument_domain("list[" * 90 + "int" + "]" * 90, B).describe().startswith("list")


# Hand-written contracts in the dataset's forms, each judged against its precondition on every input of a small
# domain: both are this file's own text, so running them here runs nothing a dataset wrote.
DIFFERENTIAL = [
    (asserts("type(n) == int and n >= 0", "n < 3 or n % 2 == 0"), {"n": "int"}),
    (asserts("isinstance(xs, list)", "all(type(x) == int and x > -2 for x in xs)", "len(xs) > 0"),
     {"xs": "list[int]"}),
    (asserts("len(set(xs)) == len(xs)"), {"xs": "list[int]"}),
    (asserts("set(a).issubset({'0', '1'}) and isinstance(a, str)", "len(a) == len(b)"), {"a": "str", "b": "str"}),
    (asserts("a == '' or all(map(lambda w: w in ['0', '10'], a.split('1')))"), {"a": "str"}),
    (asserts("a == '' or a.islower()", "all(c == '0' or c.isalpha() for c in b)"), {"a": "str", "b": "str"}),
    (asserts("xs[0] != '0' and len(xs) == 2"), {"xs": "list[str]"}),
    (PAREN_CONTRACT.replace('" "', '"0"'), {"s": "str"}),
    ("\n    def c(x):\n        assert isinstance(x, str)\n        ys = x.split('0')\n        assert len(ys) == 2\n"
     "    c(a)\n    c(b)\n", {"a": "str", "b": "str"}),
    ("\n    def even(k):\n        return k % 2 == 0\n    assert even(n) or n == 1\n", {"n": "int"}),
]
SMALL = Bounds(int_lo=-3, int_hi=3, list_len=3, str_len=3, alphabet="01aA")


def values(d: Domain) -> Iterator[Any]:
    if isinstance(d, IntDomain):
        assert d.lo is not None and d.hi is not None
        yield from range(d.lo, d.hi + 1)
    elif isinstance(d, StrDomain):
        assert d.max_len is not None and d.alphabet is not None
        for n in range(d.max_len + 1):
            yield from ("".join(p) for p in itertools.product(d.alphabet, repeat=n))
    elif isinstance(d, ListDomain):
        assert d.max_len is not None
        items = list(values(d.elem))[:4]
        for n in range(d.max_len + 1):
            yield from (list(p) for p in itertools.product(items, repeat=n))


def accepts(fn: Any, args: tuple[Any, ...]) -> bool:
    try:
        return bool(fn(*args))
    except Exception:  # a contract that raises leaves the input out, as EvalPlus does
        return False


@pytest.mark.parametrize(("text", "types"), DIFFERENTIAL)
def test_a_precondition_accepts_exactly_the_inputs_its_contract_does(text: str, types: dict[str, str]) -> None:
    full = {name: argument_domain(t, SMALL) for name, t in types.items()}
    c = read_contract(text, full)
    names = ", ".join(full)
    namespace: dict[str, Any] = {}
    exec(compile(f"def original({names}):\n" + text + "\n    return True\n",
                 "<contract>", "exec"), namespace)
    assert c.precondition is not None
    pre = c.precondition
    module = ast.Module([*pre.helpers, ast.parse(f"def pre({names}):\n    return 0").body[0]], [])
    module.body[-1].body[0].value = pre.expr  # type: ignore[attr-defined]
    exec(compile(ast.fix_missing_locations(module), "<precondition>", "exec"), namespace)
    checked = 0
    for args in itertools.product(*(list(values(d)) for d in full.values())):
        expected = accepts(namespace["original"], args)
        assert accepts(namespace["pre"], args) == expected, args
        # Narrowing never drops an accepted input.
        if expected:
            assert all(not list(d.out_of_bounds(v, n)) for (n, d), v in zip(c.domains.items(), args, strict=True))
        checked += 1
    assert checked >= 7


# --- assembly ---------------------------------------------------------------------------------------------------


def test_a_whole_program_goes_after_the_prompt_and_a_body_is_appended() -> None:
    whole = "def add(x, y):\n    return x + y\n"
    assert assemble(PROMPT, whole, "add") == Assembled(PROMPT + "\n" + whole, whole=True)
    assert assemble(PROMPT, "    return x - y\n", "add") == Assembled(PROMPT + "    return x - y\n", whole=False)
    # Top-level code that does not define the entry point is a body too (EvalPlus appends it).
    assert assemble(PROMPT, "return 1\n", "add") == Assembled(PROMPT + "return 1\n", whole=False)


def test_a_completion_that_does_not_parse_is_placed_at_its_own_line_and_column() -> None:
    assert assemble(PROMPT, "\ndef add(x, y):\n    if x > y\n        return x\n", "add") == \
        Unparsable("expected ':'", 3, 13)
    assert assemble(PROMPT, "    x = (\n", "add") == Unparsable("'(' was never closed", 1, 9)
    assert assemble(PROMPT, "    return 1\n    y = )\n", "add") == Unparsable("unmatched ')'", 2, 9)
    assert str(assemble(PROMPT, "Note: I will not.\n", "add")) == "line 1, column 9: invalid syntax"
    nul = assemble(PROMPT, "\x00", "add")
    assert isinstance(nul, Unparsable) and nul.line == 0 and "null bytes" in nul.why


def test_the_recorded_programs_assemble_as_their_labels_were_computed() -> None:
    with real("humaneval_tasks.jsonl").open("rb") as f:
        tasks = {t.task_id: t for t in read_tasks(f, "tasks") if isinstance(t, Task)}
    with real("gpt-3.5_programs.jsonl").open("rb") as f:
        programs = [p for p in read_programs(f, "programs") if isinstance(p, ProgramLine)]
    results = [(p, assemble(tasks[p.task_id].prompt, p.completion, tasks[p.task_id].entry_point)) for p in programs]
    unparsable = [(p.line, p.fields["label"]) for p, r in results if isinstance(r, Unparsable)]
    # The three syntax errors and the one prose answer; the labels call them errors.
    assert unparsable == [(646, "error"), (679, "error"), (1402, "error"), (2608, "error")]
    assert sum(isinstance(r, Assembled) and r.whole for _, r in results) == 2948


# --- tasks as specs ---------------------------------------------------------------------------------------------


def test_a_task_becomes_a_spec_with_its_bound() -> None:
    spec = task_spec(make_task())
    assert isinstance(spec, TaskSpec)
    assert spec.parameters == (("x", IntDomain(0, 20)), ("y", IntDomain(-20, 20)))
    assert spec.result == IntDomain()
    assert spec.reference == PROMPT + "    return x + y\n"
    assert spec.precondition is not None and ast.unparse(spec.precondition.expr) == "x >= 0"
    assert spec.bound() == "x: int in 0..20; y: int in -20..20; meeting the contract"


@pytest.mark.parametrize(("changes", "reason"), [
    ({"types": None}, "the task has no 'types' field: no domain for its arguments"),
    ({"types": {"args": {"x": "int"}, "returns": "int"}},
     "'types' names the arguments (x), the entry point takes (x, y)"),
    ({"types": {"args": {"x": "int", "y": "float"}, "returns": "int"}},
     "type 'float': floats are outside what assay proves over (never treated as reals)"),
    ({"canonical_solution": "    import math\n    return x\n"}, None),  # searched, not proved
    ({"prompt": "from typing import List\n" + PROMPT}, None),
    # A reference with floats is fit: the solvers refuse it (outside the subset), the bounded search runs it.
    ({"canonical_solution": "    return x / 2\n"}, None),
    ({"canonical_solution": "    return int(x * 1.5)\n"}, None),
    ({"canonical_solution": "    return (\n"}, "the reference (prompt + canonical_solution) does not parse: "
                                               "'(' was never closed (<unknown>, line 3)"),
    ({"entry_point": "sub"}, "the reference defines no function 'sub'"),
    ({"contract": "\n    assert z > 0\n"},
     "contract line 2 `assert z > 0`: the contract names `z`, which is not an argument"),
])
def test_a_task_that_is_not_fit_says_why(changes: dict[str, Any], reason: str | None) -> None:
    spec = task_spec(make_task(**changes))
    if reason is None:
        assert isinstance(spec, TaskSpec)
    else:
        assert spec == NotFit("T/0", reason)


def test_which_recorded_tasks_are_fit() -> None:
    with real("humaneval_tasks.jsonl").open("rb") as f:
        specs = {t.task_id: task_spec(t) for t in read_tasks(f, "tasks") if isinstance(t, Task)}
    fit = {tid for tid, s in specs.items() if isinstance(s, TaskSpec)}
    # The dataset's 101 solver_fit, and 14 whose types fit but whose reference computes with floats or imports
    assert len(fit) == 115
    assert specs["HumanEval/59"] == NotFit("HumanEval/59", "contract line 4 `return not (a < 2 or any(a % x == 0 for "
                                           "x in range(2, int(a ** 0.5) + 1)))`: the contract holds the float 0.5")
    assert isinstance(specs["HumanEval/25"], TaskSpec)  # the reference imports math: searched, not proved
    s1, s11 = specs["HumanEval/1"], specs["HumanEval/11"]
    assert isinstance(s1, TaskSpec) and s1.bound() == \
        "paren_string: str of at most 6 characters over ' ()'; meeting the contract"
    assert isinstance(s11, TaskSpec) and s11.precondition is not None
    assert s11.precondition.source() == \
        "len(a) == len(b) and all((_c0 in ('0', '1') for _c0 in a)) and all((_c1 in ('0', '1') for _c1 in b))"


# --- the command ------------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    tasks = tmp_path / "tasks.jsonl"
    float_task = {**TASK, "task_id": "T/1", "types": {"args": {"x": "float", "y": "int"}, "returns": "int"}}
    tasks.write_bytes(b"".join(lines(TASK, float_task, "{broken", {**TASK, "task_id": "T/2", "prompt": 1})))
    programs = tmp_path / "programs.jsonl"
    programs.write_bytes(b"".join(lines(
        {"task_id": "T/0", "completion": "    return x + y\n", "label": "correct", "verdict": "mine", "sample": 1},
        {"task_id": "T/1", "completion": "def add(x, y):\n    return x\n", "label": "wrong"},
        {"task_id": "T/0", "completion": "def add(x, y)\n    return x\n", "label": "error"},
        "not json",
        {"task_id": "T/9", "completion": ""},
        {"task_id": "T/2", "completion": "    return 0\n"},
    )))
    return tasks, programs


def test_a_reference_with_floats_is_run_by_the_search(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The solvers refuse the reference (a float), the bounded search runs it in the sandbox: a program that
    # disagrees with it is refuted with a replayed counterexample; one that agrees is never proved.
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_bytes(b"".join(lines({**TASK, "canonical_solution": "    return int(x / 2) + y\n"})))
    programs = tmp_path / "programs.jsonl"
    programs.write_bytes(b"".join(lines({"task_id": "T/0", "completion": "    return x // 2 + y\n"},
                                        {"task_id": "T/0", "completion": "    return x // 3 + y\n"})))
    _, out, _ = run(capsys, "humaneval", str(tasks), str(programs), "--format", "json")
    right, wrong = (json.loads(line) for line in out.splitlines())
    assert right["verdict"] == "unknown"
    assert right["reason"].startswith("unsupported: searched ") and "none failed; not proved: " in right["reason"]
    assert wrong["verdict"] == "refuted", wrong["reason"]
    assert wrong["counterexample"] == {"inputs": {"x": 2, "y": 0}, "output": 0, "raised": None}
    assert "(found by a bounded search of " in wrong["reason"]


def test_every_program_line_gets_an_object_in_input_order(files: tuple[Path, Path],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    tasks, programs = files
    code, out, err = run(capsys, "humaneval", str(tasks), str(programs), "--format", "json")
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["task_id"], r["verdict"], r["reason"]) for r in rows] == [
        ("T/0", "accepted", "proved for every input of the bound: x a 0..20, y a -20..20, meeting the contract "
                            "(UNSAT on z3 and cvc5)"),
        ("T/1", "unknown", "the task is not solver-fit: type 'float': floats are outside what assay proves over "
                           "(never treated as reals)"),
        ("T/0", "malformed", "the completion does not parse: line 1, column 14: expected ':'"),
        (None, "malformed", f"{programs}:4: not valid JSON at column 1: Expecting value"),
        ("T/9", "malformed", f"{programs}:5: task_id 'T/9' names no task of the tasks file"),
        ("T/2", "unknown", f"its task could not be read: {tasks}:4: field 'prompt': expected a str, got a number"),
    ]
    first = rows[0]
    assert first["bound"] == "x: int in 0..20; y: int in -20..20; meeting the contract"
    assert (first["counterexample"], first["where"], first["sample"], first["label"], first["input_verdict"]) == \
        (None, None, 1, "correct", "mine")
    assert first["completion"] == "    return x + y\n" and first["seconds"] >= 0
    assert rows[2]["where"] == {"line": 1, "column": 14} and rows[2]["bound"] is None
    assert f"warning: {tasks}:3: not valid JSON" in err
    assert "6 programs: 1 accepted, 2 unknown, 3 malformed" in err


def test_the_text_report_has_a_line_per_program_and_a_table_by_label(files: tuple[Path, Path],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    tasks, programs = files
    code, out, _ = run(capsys, "humaneval", str(tasks), str(programs), "--limit", "3", "--bound", "int=0..5")
    assert code == 1
    got = out.splitlines()
    assert got[0] == (f"{programs}:1  T/0  ACCEPTED  proved for every input of the bound: x a 0..5, y a 0..5, "
                      "meeting the contract (UNSAT on z3 and cvc5)")
    assert got[3:] == [
        "3 programs: 1 accepted, 1 unknown, 1 malformed",
        f"bounds: int=0..5 list=5 str=6 alphabet={A!r}",
        "            correct     error     wrong",
        "accepted          1         0         0",
        "unknown           0         0         1",
        "malformed         0         1         0",
    ]


@pytest.mark.parametrize(("argv", "message"), [
    (["--bound", "int=3"], "assay humaneval: error: --bound 'int=3': expected int=LO..HI, like int=-20..20"),
    (["--limit", "0"], "assay humaneval: error: --limit must be at least 1, got 0"),
    (["--timeout", "0"], "assay humaneval: error: --timeout must be a positive number of seconds, got 0.0"),
])
def test_usage_errors_exit_2(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], argv: list[str],
                             message: str) -> None:
    tasks, programs = files
    code, out, err = run(capsys, "humaneval", str(tasks), str(programs), *argv)
    assert (code, out, err.strip()) == (2, "", message)


def test_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "humaneval", str(tmp_path / "no.jsonl"), str(tmp_path / "none.jsonl"))
    assert (code, err.strip()) == (2, f"assay humaneval: error: tasks file not found: {tmp_path / 'no.jsonl'}")


def test_a_refuted_verdicts_counterexample_is_reported_as_json() -> None:
    refuted = make(Outcome.REFUTED, "wrong", witness={"inputs": {"xs": (1, [2])}, "output": (3,),
                                                      "raised": None})
    assert counterexample(refuted) == {"inputs": {"xs": [1, [2]]}, "output": [3], "raised": None}
    raised = make(Outcome.REFUTED, "raises", witness={"inputs": {"n": 0}, "output": None,
                                                      "raised": "ZeroDivisionError: division by zero"})
    assert counterexample(raised) == {"inputs": {"n": 0}, "output": None,
                                      "raised": "ZeroDivisionError: division by zero"}
    assert counterexample(make(Outcome.UNKNOWN, "no", witness={"inputs": {}})) is None


def test_a_hostile_record_is_never_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "ran"
    touch = f"open({str(marker)!r}, 'w').write('x')"
    hostile = {
        "task_id": "H/0", "entry_point": "f",
        "prompt": f"{touch}\ndef f(n: int) -> int:\n    \"\"\"f\"\"\"\n",
        "canonical_solution": f"    {touch}\n    return n\n",
        "contract": f"\n    assert {touch}\n    assert n > 0\n",
        "types": {"args": {"n": f"__import__('os').system('touch {marker}')"}, "returns": "int"},
    }
    int_types = {"args": {"n": "int"}, "returns": "int"}
    fit = {**hostile, "task_id": "H/1", "contract": "\n    assert n >= 0\n", "types": int_types}
    hostile_contract = {**hostile, "task_id": "H/2", "types": int_types}
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_bytes(b"".join(lines(hostile, fit, hostile_contract)))
    programs = tmp_path / "programs.jsonl"
    programs.write_bytes(b"".join(lines(*(
        {"task_id": tid, "completion": f"{touch}\ndef f(n):\n    {touch}\n    return n\n"}
        for tid in ("H/0", "H/1", "H/2")), {"task_id": "H/1", "completion": f"    {touch}\n    return n\n"})))
    code, out, _ = run(capsys, "humaneval", str(tasks), str(programs), "--format", "json")
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["reason"].split(":")[0] for r in rows] == ["the task is not solver-fit",
                                                         "the program is malformed",
                                                         "the task is not solver-fit",
                                                         "the program is malformed"]
    assert "the contract calls open" in rows[2]["reason"]
    assert all("open" in rows[i]["reason"] for i in (1, 3))
    assert not marker.exists()


def test_bad_completions_end_within_the_limits_and_the_others_are_still_checked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Each bad completion gets its own verdict naming what stopped it; nothing outside the sandbox changes
    # (no marker file, no connection to a listener), and the right program after them is still proved.
    import socket

    marker = tmp_path / "marker"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        body = "def add(x, y):\n    try:\n        {}\n    except ValueError:\n        return 0\n"  # outside the subset
        bad = {
            "loops": body.format("while True:\n            pass"),
            "allocates": body.format("return len([0] * 10 ** 10)"),
            "raises": "def add(x, y):\n    raise ValueError(x)\n",
            "prints": "def add(x, y):\n    print('x' * 100000)\n    return x - y\n",
            "writes": f"def add(x, y):\n    open({str(marker)!r}, 'w').write('x')\n    return x + y\n",
            "spawns": f"import subprocess\ndef add(x, y):\n    subprocess.run(['touch', {str(marker)!r}])\n"
                      "    return x + y\n",
            "connects": f"import socket\ndef add(x, y):\n    socket.create_connection(('127.0.0.1', {port}))\n"
                        "    return x + y\n",
            "right": "def add(x, y):\n    return x + y\n",
        }
        tasks = tmp_path / "tasks.jsonl"
        tasks.write_bytes(b"".join(lines(TASK)))
        programs = tmp_path / "programs.jsonl"
        programs.write_bytes(b"".join(lines(*({"task_id": "T/0", "completion": c, "name": n} for n, c in bad.items()))))
        _, out, _ = run(capsys, "humaneval", str(tasks), str(programs), "--format", "json")
        with pytest.raises(TimeoutError):
            listener.accept()
    rows = {r["name"]: r for r in map(json.loads, out.splitlines())}
    assert list(rows) == list(bad)
    verdicts = {n: (r["verdict"], r["reason"]) for n, r in rows.items()}
    assert verdicts["loops"][0] == "unknown" and "(timeout 4x: ran past its limit of " in verdicts["loops"][1]
    assert verdicts["allocates"][0] == "unknown" and "(memout 4x: " in verdicts["allocates"][1]
    assert verdicts["raises"][0] == "refuted" and rows["raises"]["counterexample"]["raised"] == "ValueError: 0"
    assert verdicts["prints"][0] == "refuted" and rows["prints"]["counterexample"]["inputs"] == {"x": 0, "y": 1}
    for n, name in (("writes", "names 'open'"), ("spawns", "imports 'subprocess'"), ("connects", "imports 'socket'")):
        assert verdicts[n][0] == "malformed" and name in verdicts[n][1], verdicts[n]
    assert verdicts["right"][0] == "accepted"
    assert not marker.exists()
