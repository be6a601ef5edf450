"""The front end: what the spec language accepts, and how it refuses the rest.

Each refusal names the construct, the file, line and column, and a hint; the
messages are asserted whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from assay.specs import InvalidSpec, SpecLoadError, load
from assay.specs.domains import BoolDomain, EnumDomain, IntDomain, ListDomain, RecordDomain, StrDomain

DEFS = Path(__file__).parent / "specdefs"
REFUSED = DEFS / "refused.py"
F = str(REFUSED)

CASES = {
    "uses_for_loop": f"{F}:13:5: `for x in xs: pass` (For) is not in the spec language "
                     "(hint: write all(... for x in ...) or any(...) instead of a for loop)",
    "uses_lambda": f"{F}:20:9: `lambda v: v + 1` (Lambda) is not in the spec language "
                   "(hint: define a helper function in the same module)",
    "uses_slice": f"{F}:26:19: `1:` (Slice) is not in the spec language "
                  "(hint: index single items, for example all(xs[i] ... for i in range(a, b)))",
    "uses_float": f"{F}:31:16: the constant 1.5 (float) is not supported (hint: scale to an int)",
    "uses_true_division": f"{F}:36:12: the operator in `x / 2` is not supported "
                          "(hint: use + - * // % and ** by a constant; `/` would give a float: use //)",
    "uses_int_as_bool": f"{F}:41:12: a spec clause must be bool, but `y` is int "
                        "(hint: compare explicitly, for example `x != 0`)",
    "uses_unknown_call": f"{F}:46:12: calling sorted() (builtin) is not supported (hint: use abs min max "
                         "sum len all any divmod implies range enumerate zip, or a helper function "
                         "defined in the spec's module)",
    "uses_generator_twice": f"{F}:51:9: a generator can only be consumed where it is iterated once "
                            "(all, any, sum, min, max, or another comprehension) "
                            "(hint: use a list comprehension [...] here)",
    "uses_len_of_zip": f"{F}:57:16: zip(...) is only supported where it is iterated (a comprehension's "
                       "`for`, all/any/sum/min/max) (hint: write a list comprehension, for example "
                       "[i for i in range(n)])",
    "uses_mixed_compare": f"{F}:62:12: `==` compares bool with int "
                          "(hint: compare values of one type (bool and int do not mix))",
    "uses_symbolic_power": f"{F}:67:12: `**` needs a constant exponent >= 0 "
                           "(hint: write the power with a literal, like x ** 2)",
    "uses_float_param": f"{F}:71:22: parameter 'x': float is not supported (assay refuses floats rather "
                        "than treat them as real numbers); scale to an int, for example cents instead "
                        "of dollars",
    "has_no_proposal": f"{F}:76:1: a spec needs exactly one Proposal[...] parameter, found 0 "
                       "(hint: mark what the model must produce as Proposal[T], the task's inputs as "
                       "Given[T])",
    "uses_recursion": f"{F}:81:22: recursive() calls itself; recursion is not supported "
                      "(hint: write the recursion as a comprehension over range(...))",
    "uses_missing_field": f"{F}:97:12: Point has no field 'z' (hint: fields: x, y)",
    "uses_is": f"{F}:102:12: `Is` comparisons (is / is not) are not supported "
                "(hint: compare values with == or !=)",
    "uses_undefined": f"{F}:107:17: the name 'undefined_name' is not defined in the spec "
                      "(hint: use the spec's parameters, local names, or module-level constants)",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_construct_outside_the_subset_is_refused_at_load(name: str) -> None:
    with pytest.raises(InvalidSpec) as info:
        load(f"{REFUSED}:{name}")
    assert str(info.value) == CASES[name]
    assert info.value.location == CASES[name].split(": ", 1)[0]


def test_refusal_is_also_a_type_error() -> None:
    with pytest.raises(TypeError):
        load(f"{REFUSED}:uses_lambda")


def test_every_refused_spec_in_the_file_is_covered() -> None:
    text = REFUSED.read_text()
    defined = {line.split("(")[0][4:] for line in text.splitlines()
               if line.startswith("def ") and not line.startswith("def recursive")}
    assert defined == set(CASES)


def test_missing_spec_name_lists_what_is_there() -> None:
    with pytest.raises(SpecLoadError) as info:
        load(f"{DEFS / 'ok.py'}:nope")
    assert str(info.value) == (f"{DEFS / 'ok.py'} has no spec named 'nope' (specs there: chained, "
                               "fixed_list, guarded_division, knapsack, records_and_enums, strings)")


def test_missing_file_and_module() -> None:
    with pytest.raises(SpecLoadError, match=r"spec file not found: nowhere/x\.py"):
        load("nowhere/x.py:s")
    with pytest.raises(SpecLoadError, match="spec module 'no_such_module_xyz' does not import"):
        load("no_such_module_xyz:s")


def test_parameters_roles_and_domains() -> None:
    s = load(f"{DEFS / 'ok.py'}:records_and_enums")
    assert [(p.name, p.role) for p in s.params] == [("slots", "given"), ("pick", "proposal")]
    assert isinstance(s.proposal.domain, RecordDomain)
    fields = dict(s.proposal.domain.fields)
    assert fields["start"] == IntDomain(0, 23)
    assert isinstance(fields["colour"], EnumDomain)
    st = load(f"{DEFS / 'ok.py'}:strings")
    assert st.proposal.domain == StrDomain(8)
    fl = load(f"{DEFS / 'ok.py'}:fixed_list")
    assert fl.proposal.domain == ListDomain(IntDomain(-5, 5), 3, 3)
    assert BoolDomain().describe() == "bool"


def test_clauses_are_the_top_level_conjuncts_with_their_lines() -> None:
    s = load(f"{DEFS / 'ok.py'}:guarded_division")
    text = (DEFS / "ok.py").read_text().splitlines()
    assert [c.text for c in s.ir.clauses] == [
        "k != 0", "sum(x // k for x in xs) > 0", "implies(k > 0, xs[k] > 1)", "k == 0 or total % k == 0"]
    for c in s.ir.clauses:
        assert c.text.strip("()") in text[c.loc.line - 1]


def test_source_hash_changes_with_the_source(tmp_path: Path) -> None:
    src = (DEFS / "ok.py").read_text()
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(src)
    b.write_text(src.replace("LIMIT + 20", "LIMIT + 21"))
    sa, sb = load(f"{a}:records_and_enums"), load(f"{b}:records_and_enums")
    assert sa.source_hash != sb.source_hash
    assert load(f"{a}:strings").source_hash == load(f"{b}:strings").source_hash


def test_source_hash_covers_constants_and_enum_members(tmp_path: Path) -> None:
    src = (DEFS / "ok.py").read_text()
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    a.write_text(src)
    b.write_text(src.replace("LIMIT = 10", "LIMIT = 11"))
    c.write_text(src.replace("BLUE = 3", "BLUE = 3\n    PINK = 4"))
    ha = load(f"{a}:records_and_enums").source_hash
    assert ha != load(f"{b}:records_and_enums").source_hash
    assert ha != load(f"{c}:records_and_enums").source_hash
