"""The program subset's front end: what it compiles, and what it refuses with a reason (specs/program.py).

What a compiled construct means is checked against CPython by tests/test_program_conformance.py; here are
the bugs the front end had (each test failed before its fix) and the refusals that keep it exact.
"""

from __future__ import annotations

import pytest
from assay.specs import ir
from assay.specs.evaluate import Undefined, run_function
from assay.specs.program import OutsideSubset, parse_program

INT, INTS = ir.INT, ir.ListT(ir.INT)


def compiled(source: str, params: list[ir.Type], returns: ir.Type = INT) -> ir.Function:
    return parse_program(source, "f", params, returns).function


# --- bugs fixed --------------------------------------------------------------------------------

def test_a_helper_of_a_helper_compiled_in_its_callers_inference_pass() -> None:
    # Was OutsideSubset "the function returns a int here, and a None elsewhere": the inner helper's own
    # inference pass switched the caller's off, so g's return type was never inferred.
    fn = compiled("def f(x):\n    return g(x)\n\ndef g(x):\n    return h(x) + 1\n\ndef h(x):\n    return x * 2\n",
                  [INT])
    assert run_function(fn, [3]) == 7


def test_a_local_assigned_from_a_helper_with_a_loop() -> None:
    # Was OutsideSubset "the name 'i' is not defined in the program": compiling find() in f's inference pass
    # ended that pass, so f's own local i was never given a type.
    source = ("def f(xs, v):\n    i = find(xs, v)\n    return i\n\ndef find(ys, v):\n    for i, y in enumerate(ys):\n"
              "        if y == v:\n            return i\n    return -1\n")
    fn = compiled(source, [INTS, INT])
    assert run_function(fn, [[4, 5], 5]) == 1
    assert run_function(fn, [[4, 5], 6]) == -1


def test_a_helper_reading_its_loop_variable_after_an_empty_loop_raises_unbound_local() -> None:
    fn = compiled("def f(xs):\n    return last(xs)\n\ndef last(ys):\n    for y in ys:\n        pass\n    return y\n",
                  [INTS])
    assert run_function(fn, [[1, 2]]) == 2
    with pytest.raises(Undefined) as caught:
        run_function(fn, [[]])
    assert caught.value.kind == "UnboundLocalError"


def test_reversed_in_a_for_loop_and_a_comprehension() -> None:
    # Was OutsideSubset "reversed(...) is an iterator, not a list": the iterable is translated twice.
    fn = compiled("def f(xs):\n    out = [x for x in reversed(xs)]\n    for x in reversed(xs):\n"
                  "        out.append(x)\n    return out\n", [INTS], INTS)
    assert run_function(fn, [[1, 2]]) == [2, 1, 2, 1]


def test_the_truth_of_an_int_in_a_comprehension_condition() -> None:
    # Was OutsideSubset "a comprehension condition must be bool".
    fn = compiled("def f(xs):\n    return [x for x in xs if x]\n", [INTS], INTS)
    assert run_function(fn, [[0, 2, 0, -1]]) == [2, -1]


# --- refusals that keep the subset exact ------------------------------------------------------------

def refusal(source: str, params: list[ir.Type], returns: ir.Type = INT) -> str:
    with pytest.raises(OutsideSubset) as caught:
        compiled(source, params, returns)
    return str(caught.value)


def test_a_helper_that_may_return_none_is_refused() -> None:
    # Its caller would go on with None; the encoder counted that as raising, CPython does not raise.
    assert refusal("def f(n):\n    g(n)\n    return n\n\ndef g(n):\n    if n > 0:\n        return\n    return n\n",
                   [INT]) == ("line 5, column 1: g() returns a int on some paths and None on others (a bare `return`, "
                              "or falling off its end): None from a helper is outside the subset (hint: return a "
                              "value on every path)")
    assert "None on others" in refusal("def f(n):\n    return g(n)\n\ndef g(n):\n    if n > 0:\n        return n\n",
                                       [INT])


def test_a_helper_that_ends_in_while_true_or_raise_never_returns_none() -> None:
    fn = compiled("def f(n):\n    return g(n)\n\ndef g(n):\n    i = 0\n    while True:\n        if i * i >= n:\n"
                  "            return i\n        i += 1\n", [INT])
    assert run_function(fn, [10]) == 4
    compiled("def f(n):\n    return g(n)\n\ndef g(n):\n    if n > 0:\n        return n\n    else:\n"
             "        raise ValueError\n", [INT])


def test_a_nested_def_that_reads_the_enclosing_function_is_refused() -> None:
    assert refusal("def f(n):\n    def g(x):\n        return x + n\n    return g(1)\n", [INT]) == (
        "line 2, column 5: the nested function g() reads 'n' of f, a closure; closures are outside the subset "
        "(hint: pass n as an argument, or define g() at the top level)")
    assert "closure" in refusal("def f(n):\n    def g(x):\n        return x\n    def h(x):\n        return g(x)\n"
                                "    return h(n)\n", [INT])


def test_a_nested_def_used_before_it_runs_or_not_at_the_top_of_the_body_is_refused() -> None:
    assert "used before its def" in refusal("def f(n):\n    a = g(n)\n    def g(x):\n        return x\n    return a\n",
                                            [INT])
    assert "(FunctionDef) is outside" in refusal("def f(n):\n    if n:\n        def g(x):\n            return x\n"
                                                 "        return g(n)\n    return 0\n", [INT])


def test_a_nested_def_shadows_a_top_level_function_of_its_name() -> None:
    fn = compiled("def f(n):\n    def g(x):\n        return x * 10\n    return g(n)\n\ndef g(x):\n    return x\n",
                  [INT])
    assert run_function(fn, [2]) == 20


def test_map_and_filter_outside_an_iteration_are_refused() -> None:
    refusal("def f(xs):\n    m = map(abs, xs)\n    return 0\n", [INTS])
    assert "map() of" in refusal("def f(xs):\n    return sum(map(xs.count, xs))\n", [INTS])


def test_a_loop_over_items_computed_lazily_that_may_raise_is_refused() -> None:
    # Was compiled: the IR's loop took every item of map(...) before its body ran, so f([1, 0]) raised
    # ZeroDivisionError where CPython breaks after the first item and returns 0.
    for it in ("map(lambda x: 6 // x, xs)", "filter(lambda x: xs[x], xs)", "(6 // x for x in xs)",
               "zip(map(lambda x: 6 // x, xs), xs)", "enumerate(x for x in map(int, ['1', 'a']))"):
        why = refusal(f"def f(xs):\n    for q in {it}:\n        return 1\n    return 0\n", [INTS])
        assert "one at a time" in why
    # Items that cannot raise: the loop may stop early, and computing them all first changes nothing.
    fn = compiled("def f(xs):\n    for i, q in enumerate(map(lambda x: x // 2 + len(xs), xs)):\n"
                  "        if q > 3:\n            return i\n    return -1\n", [INTS])
    assert run_function(fn, [[1, 9, 0]]) == 1
    # A list comprehension is built in full before the loop, in CPython as in the IR.
    fn = compiled("def f(xs):\n    for q in [6 // x for x in xs]:\n        return q\n    return 0\n", [INTS])
    with pytest.raises(Undefined):
        run_function(fn, [[1, 0]])


def test_an_fstring_with_a_format_spec_is_refused() -> None:
    assert "format spec" in refusal("def f(n):\n    return f'{n:03d}'\n", [INT], ir.STR)
    assert "with !r" in refusal("def f(s):\n    return f'{s!r}'\n", [ir.STR], ir.STR)


def test_list_remove_raises_value_error_when_absent() -> None:
    fn = compiled("def f(xs, v):\n    ys = list(xs)\n    ys.remove(v)\n    return ys\n", [INTS, INT], INTS)
    assert run_function(fn, [[1, 2, 1], 1]) == [2, 1]
    with pytest.raises(Undefined) as caught:
        run_function(fn, [[1, 2], 3])
    assert caught.value.kind == "ValueError"
