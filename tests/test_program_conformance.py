"""Conformance of the program subset: CPython, the IR evaluator, z3 and cvc5 agree on every construct.

Each case is a small program (a text, as a model would write it) that
exercises one construct of the subset (:mod:`assay.specs.program`), and the
strategies its inputs are drawn from.  On each input four paths must agree
exactly, including whether the call raises and (for the evaluator) which
exception type:

(a) CPython: the real program in the sandbox (:func:`assay.kernel.sandbox.run_calls`,
    every drawn input of a case in one worker: the text is never run here);
(b) the IR evaluator (:func:`assay.specs.evaluate.run_function`) on the compiled function;
(c), (d) z3 and cvc5 on the symbolic execution (:func:`assay.specs.execute.call`) with the
    inputs pinned to the drawn values, as the expression suite pins them
    (``tests/conformance_helpers.py``: a list is a length variable and one
    unpinned slot past its end; ints and strings carry bounds a little wider
    than the value): ``pins and (the outcome differs from CPython's)`` must be
    UNSAT while the pins alone are SAT.

Hypothesis draws ``ASSAY_PROGRAM_EXAMPLES`` inputs per case: 25 by default, which keeps the suite
inside the normal test run (about 90 s); ``ASSAY_PROGRAM_EXAMPLES=120`` (or more) is the full check to
run after changing the program subset's front end, evaluator or encoder.  The solvers' universe of
characters is that of the drawn inputs and the program's constants (the kernel's is the declared
alphabets'), so the string conversions (``str()``, ``int()``) are encoded as the kernel encodes them.
It runs twice with one seed: first to collect the inputs, which go to the
sandbox in one batch, then to check them; an input the first run did not
draw (a shrink, a replayed failure) runs in the sandbox on its own.
``ASSAY_PROGRAM_SEED`` fixes the seed (printed with every failure).

Known disagreements are the ``xfail(strict=True)`` tests at the end, each
naming the bug; they pass (and so fail the suite) once it is fixed.
"""

from __future__ import annotations

import ast
import os
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pytest
from assay.kernel.sandbox import CallResult, run_calls
from assay.specs import ir
from assay.specs import terms as T
from assay.specs.evaluate import Undefined, run_function
from assay.specs.execute import call
from assay.specs.program import Program, parse_program
from assay.specs.program_queries import _constants
from assay.specs.symbolic import _Encoder, identical, lift
from hypothesis import given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from . import conformance_cases as C
from . import conformance_helpers as H

EXAMPLES = int(os.environ.get("ASSAY_PROGRAM_EXAMPLES", "25"))
SEED = int(os.environ.get("ASSAY_PROGRAM_SEED", str(random.getrandbits(32))))

INT, STR, BOOL = ir.INT, ir.STR, ir.BOOL
INTS, STRS = ir.ListT(ir.INT), ir.ListT(ir.STR)

# --- input strategies --------------------------------------------------------------------

small = st.integers(-6, 6)
loop_ints = st.integers(-4, 12)  # loop bounds: a while loop stays under the encoder's bound
wide = C.ints  # with huge ints: arithmetic only, never a loop bound
lists = st.lists(small, max_size=5)
wide_lists = st.lists(wide, max_size=4)
strs = C.strs  # ASCII escapes that bite, and characters up to U+2FFFF
char = st.one_of(st.sampled_from("ab"), C.chars)
ab = st.text(st.sampled_from("ab"), max_size=5)
words = st.lists(strs, max_size=4)


@dataclass(frozen=True)
class Case:
    """A program exercising one construct: its text, the entry's parameter and return types, its inputs."""

    name: str
    source: str
    params: tuple[ir.Type, ...]
    returns: ir.Type
    inputs: tuple[Any, ...]  # one strategy per parameter
    entry: str = "f"
    notes: str = field(default="", compare=False)

    @cached_property
    def program(self) -> Program:
        return parse_program(self.source, self.entry, self.params, self.returns)


def case(name: str, source: str, params: Sequence[ir.Type], returns: ir.Type, *inputs: Any) -> Case:
    return Case(name, source.strip("\n") + "\n", tuple(params), returns, inputs)


def _range_case(step: int | None) -> Case:
    args = "a, b" if step is None else f"a, b, {step}"
    name = "range_default_step" if step is None else f"range_step_{step}".replace("-", "minus")
    return case(name, f"""
def f(a, b):
    t = 0
    for i in range({args}):
        t = t * 3 + i
    return t
""", [INT, INT], INT, small, small)


def _slice_case(kind: str, step: int | None) -> Case:
    st_text = "" if step is None else f":{step}"
    sep = "[100]" if kind == "list" else '"|"'
    pieces = [f"xs[a:b{st_text}]", f"xs[:b{st_text}]", f"xs[a:{st_text}]", f"xs[{st_text or ':'}]",
              f"xs[-a:-b{st_text}]"]
    name = f"slice_{kind}_step_{'default' if step is None else step}".replace("-", "minus")
    body = f" + {sep} + ".join(pieces)
    t = INTS if kind == "list" else STR
    return case(name, f"""
def f(xs, a, b):
    return {body}
""", [t, INT, INT], t, lists if kind == "list" else strs, st.integers(-7, 7), st.integers(-7, 7))


CASES: list[Case] = [
    # -- assignments ------------------------------------------------------------------
    case("assign_and_unpack", """
def f(a, b):
    x, y = a, b
    x, y = y, x - y
    t = (x, y)
    p, q = t
    r = p
    r = r * 10 + q
    return r
""", [INT, INT], INT, wide, wide),
    case("augmented_int", """
def f(a, b):
    a += b
    a -= 3
    a *= b
    a //= b
    a %= 7
    return a
""", [INT, INT], INT, wide, st.one_of(small, wide)),
    case("augmented_mod_by_a_value", """
def f(a, b):
    r = a
    r %= b
    r -= a // 3
    return r
""", [INT, INT], INT, wide, st.one_of(small, wide)),
    case("augmented_str", """
def f(s, t):
    u = s
    u += t
    u += "x"
    u += u
    return u
""", [STR, STR], STR, strs, strs),
    case("augmented_list", """
def f(xs, ys):
    zs = list(xs)
    zs += ys
    zs += [len(zs)]
    zs += zs[:2]
    return zs
""", [INTS, INTS], INTS, lists, lists),
    case("augmented_item", """
def f(xs, i, v):
    ys = list(xs)
    ys[i] += v
    ys[-1] *= 2
    ys[i] -= ys[0]
    return ys
""", [INTS, INT, INT], INTS, lists, small, wide),
    # -- branches and truth -----------------------------------------------------------------
    case("if_elif_else", """
def f(a, b):
    if a < b:
        r = 1
    elif a == b:
        r = 2
    elif a > b + 3:
        r = 3
    else:
        r = 4
    if r > 2:
        pass
    else:
        r = -r
    return r
""", [INT, INT], INT, small, small),
    case("truth_in_conditions", """
def f(n, s, xs):
    r = 0
    if n:
        r += 1
    if s:
        r += 2
    if xs:
        r += 4
    if not n:
        r += 8
    if not s and not xs:
        r += 16
    r += 32 if xs else 64
    ys = [x for x in xs if x != 0]
    r += len(ys) * 128
    if n > 0 and len(xs) > 1:
        r += 1000
    return r
""", [INT, STR, INTS], INT, small, st.one_of(st.just(""), strs), st.lists(st.integers(-1, 1), max_size=3)),
    case("truth_in_a_comprehension_condition", """
def f(xs, ws):
    return [x for x in xs if x] + [len(w) for w in ws if w]
""", [INTS, STRS], INTS, st.lists(st.integers(-1, 1), max_size=4), words),
    case("truth_in_while", """
def f(n, xs):
    ys = list(xs)
    t = 0
    while ys:
        v = ys.pop()
        t = t * 2 + v
    k = n
    while k:
        k = k // 2 if k > 0 else k + 1
        t += 1
    return t
""", [INT, INTS], INT, st.integers(-10, 30), lists),
    # -- for loops ------------------------------------------------------------------------------
    *[_range_case(step) for step in (None, 1, 2, 3, -1, -2, -3)],
    case("range_one_and_constant_bounds", """
def f(n):
    t = 0
    for i in range(n):
        t += i * i
    for j in range(3, -2, -2):
        t = t * 2 + j
    for k in range(n, n + 2):
        t -= k
    return t
""", [INT], INT, small),
    case("for_over_a_list", """
def f(xs):
    t = 0
    for x in xs:
        t = t * 2 + x
    for x in [t, 1, -t]:
        t += x
    return t
""", [INTS], INT, wide_lists),
    case("for_over_a_string", """
def f(s, c):
    out = ""
    n = 0
    for ch in s:
        out = ch + out
        if ch == c:
            n += 1
    return out + str_of(n)


def str_of(n):
    return "0" if n == 0 else ("1" if n == 1 else "many")
""", [STR, STR], STR, strs, char),
    case("for_enumerate_list", """
def f(xs):
    t = 0
    for i, x in enumerate(xs):
        t += i * x
    for i, y in enumerate(xs[::-1]):
        t -= i + y
    return t
""", [INTS], INT, wide_lists),
    case("for_enumerate_string", """
def f(s, c):
    found = -1
    for i, ch in enumerate(s):
        if ch == c:
            found = i
    return found
""", [STR, STR], INT, st.one_of(ab, strs), char),
    case("for_zip_lists", """
def f(xs, ys):
    t = 0
    for x, y in zip(xs, ys):
        t = t * 3 + x - y
    return t
""", [INTS, INTS], INT, lists, st.lists(small, max_size=3)),
    case("for_zip_string_and_list", """
def f(s, xs):
    out = []
    for c, x in zip(s, xs):
        if x > 0:
            out.append(c)
    for c, d in zip(s, s[1:]):
        if c == d:
            out.append(c + d)
    return out
""", [STR, INTS], STRS, st.one_of(ab, strs), lists),
    case("for_reversed_list", """
def f(xs):
    out = []
    for x in reversed(xs):
        out.append(x * 2)
    for x in reversed(out[1:]):
        out.append(x)
    return out
""", [INTS], INTS, lists),
    case("for_reversed_string", """
def f(s):
    out = ""
    for c in reversed(s):
        out += c
    return out
""", [STR], STR, strs),
    case("for_loop_variable_after_the_loop", """
def f(xs, n):
    t = 0
    for i in range(n):
        t += i
    for x in xs:
        pass
    return x + i + t
""", [INTS, INT], INT, lists, small),
    case("for_loop_variable_assigned_in_the_body", """
def f(n):
    t = 0
    for i in range(n):
        i += 10
        t += i
    return t
""", [INT], INT, small),
    case("nested_for_with_break_and_continue", """
def f(xs, k):
    t = 0
    for x in xs:
        for y in xs:
            if y == k:
                continue
            if y > x:
                break
            t = t * 2 + y
        t += 100
    return t
""", [INTS, INT], INT, st.lists(st.integers(-2, 2), max_size=4), st.integers(-2, 2)),
    # -- while loops ------------------------------------------------------------------------------
    case("while_with_break_and_continue", """
def f(n, k):
    i = 0
    t = 0
    while i < n:
        i += 1
        if i % 3 == k % 3:
            continue
        if t > 20:
            break
        t += i
    return t * 100 + i
""", [INT, INT], INT, loop_ints, small),
    case("while_true_with_return", """
def f(n):
    i = 0
    while True:
        if i * i >= n:
            return i
        i += 1
""", [INT], INT, st.integers(-5, 40)),
    # -- return, raise, assert ---------------------------------------------------------------------
    case("return_in_loops_and_falling_off", """
def f(xs, ys):
    for x in xs:
        for y in ys:
            if x + y == 0:
                return x * y
            if y > 4:
                break
    k = 0
    while k < len(xs):
        if xs[k] > 3:
            return -k
        k += 1
    if len(xs) > 2:
        return 7
""", [INTS, INTS], INT, lists, lists),
    case("bare_return", """
def f(n):
    if n > 0:
        return
    return n
""", [INT], INT, small),
    case("raise", """
def f(a, b):
    if a > b:
        raise ValueError("a > b")
    if a == b:
        raise KeyError(a)
    if a < b - 5:
        raise ArithmeticError
    return b - a
""", [INT, INT], INT, small, small),
    case("assert", """
def f(xs):
    assert len(xs) < 4
    assert xs == sorted(xs), "unsorted"
    return len(xs)
""", [INTS], INT, st.lists(st.integers(-2, 2), max_size=5)),
    # -- list mutation --------------------------------------------------------------------------
    case("append_and_insert", """
def f(xs, i, v):
    ys = list(xs)
    ys.insert(i, v + 1)
    ys.insert(-i, v + 2)
    ys.insert(0, v)
    ys.insert(len(ys), v - 1)
    return ys
""", [INTS, INT, INT], INTS, lists, st.integers(-8, 8), small),
    case("append_to_an_empty_list", """
def f(xs):
    ys = []
    for x in xs:
        if x > 0:
            ys.append(x)
    ys.append(len(ys))
    return ys
""", [INTS], INTS, lists),
    case("pop", """
def f(xs):
    ys = list(xs)
    a = ys.pop()
    ys.pop()
    return [a] + ys
""", [INTS], INTS, lists),
    case("pop_at_an_index", """
def f(xs, i):
    ys = list(xs)
    a = ys.pop(i)
    b = ys.pop(0)
    return ys + [a, b]
""", [INTS, INT], INTS, lists, st.integers(-7, 7)),
    case("extend", """
def f(xs, ys):
    zs = [len(xs)]
    zs.extend(xs)
    zs.extend(ys[::-1])
    zs.extend([])
    zs.extend([zs[0]])
    return zs
""", [INTS, INTS], INTS, lists, lists),
    case("item_assignment", """
def f(xs, i, v):
    ys = list(xs)
    ys[i] = v
    ys[-1] = ys[0]
    return ys
""", [INTS, INT, INT], INTS, lists, st.integers(-7, 7), wide),
    case("tuple_swap_of_items", """
def f(xs, i, j):
    ys = list(xs)
    ys[i], ys[j] = ys[j], ys[i]
    a = 0
    a, ys[0] = ys[0], a
    return ys + [a]
""", [INTS, INT, INT], INTS, lists, st.integers(-6, 6), st.integers(-6, 6)),
    case("mutating_the_entry_parameter", """
def f(xs):
    xs.append(1)
    xs[0] = xs[-1] + 1
    return xs
""", [INTS], INTS, lists),
    # -- slices -----------------------------------------------------------------------------------
    *[_slice_case(kind, step) for kind in ("list", "str") for step in (None, 1, 2, 3, -1, -2, -3)],
    # -- sorted, list() ---------------------------------------------------------------------------
    case("sorted_with_reverse", """
def f(xs):
    return sorted(xs) + sorted(xs, reverse=True) + sorted(xs, reverse=False) + sorted(xs[1:], reverse=True)
""", [INTS], INTS, wide_lists),
    case("sorted_strings", """
def f(ws, s):
    return sorted(ws) + sorted(ws, reverse=True) + sorted(s)
""", [STRS, STR], STRS, words, strs),
    case("list_builtin", """
def f(xs, s, n):
    ys = list(xs)
    ys.append(n)
    return [len(list(s)), len(list(range(n)))] + ys + list(range(n, 3)) + xs
""", [INTS, STR, INT], INTS, lists, strs, small),
    # -- locals read before they are assigned --------------------------------------------------------
    case("local_read_before_assignment", """
def f(a, xs):
    if a > 0:
        r = a
    for x in xs:
        last = x
    k = 0
    while k < a:
        seen = k
        k += 1
    return r + last + seen
""", [INT, INTS], INT, small, lists),
    # -- helpers ----------------------------------------------------------------------------------
    case("helpers_calling_helpers", """
def f(xs):
    t = 0
    for x in xs:
        t += g(x)
    return t + len(doubled(xs)) + k(len(xs))


def g(x):
    return h(x) + 1


def h(x):
    if x < 0:
        return -x
    return x * 2


def doubled(ys):
    out = []
    for y in ys:
        out.append(g(y))
    return out


def k(n):
    return 12 // (n - 2)
""", [INTS], INT, lists),
    case("helper_with_a_loop_and_early_return", """
def f(xs, v):
    i = find(xs, v)
    j = find(xs[::-1], v)
    return [i, j, count(xs, v)]


def find(ys, v):
    for i, y in enumerate(ys):
        if y == v:
            return i
    return -1


def count(ys, v):
    n = 0
    for y in ys:
        if y == v:
            n += 1
    return n
""", [INTS, INT], INTS, st.lists(st.integers(-2, 2), max_size=5), st.integers(-2, 2)),
    case("helper_loop_variables", """
def f(xs, n):
    return [last(xs), bumped(n)]


def last(ys):
    for y in ys:
        pass
    return y


def bumped(n):
    t = 0
    for i in range(n):
        i += 10
        t += i
    return t + i
""", [INTS, INT], INTS, lists, small),
    case("nested_defs", """
def f(xs, n):
    def double(x):
        return x * 2
    def keep(ys, k):
        return [y for y in ys if y > k]
    t = 0
    for x in xs:
        t += double(x)
    return t + len(keep(xs, n)) + top(n)


def top(m):
    def inner(q):
        return 12 // q
    return inner(m) * 3
""", [INTS, INT], INT, lists, small),
    # -- map, filter, f-strings, list.remove ----------------------------------------------------------
    case("map_and_filter", """
def f(xs, ws, s):
    a = list(map(abs, xs))
    b = sum(map(lambda x: x * x, xs))
    c = "".join(map(str, xs))
    d = [w for w in filter(None, ws)]
    e = list(filter(lambda x: x > 0, xs))
    g = "|".join(map(str.upper, ws))
    h = sorted(map(len, ws))
    k = list(filter(is_odd, map(lambda y: y + 1, xs)))
    m = list(map(int, filter(str.isdigit, s)))
    return [len(a), b, len(c), len(d), len(e), len(g), len(h), len(k), sum(m)] + a + e + h + k


def is_odd(n):
    return n % 2
""", [INTS, STRS, STR], INTS, lists, st.lists(st.text("abXY09!-", max_size=4), max_size=3),
         st.text("0123456789a", max_size=4)),
    case("map_in_a_loop_that_breaks", """
def f(xs):
    t = 0
    for q in map(lambda x: x * 3 - 1, xs):
        if q > 2:
            break
        t += q
    return t
""", [INTS], INT, lists),
    case("map_raising_lazily_in_comprehensions", """
def f(xs):
    ys = [xs[q % 7] for q in map(lambda x: 6 // x, xs)]
    return sum(ys) if any(q > 2 for q in map(lambda x: 6 // x, xs)) else -len(ys)
""", [INTS], INT, lists),
    case("fstrings", """
def f(n, s, b):
    return f"{n}:{s}!{n * 2}{b}" + f"" + f"{n!r}{s!s}" + f"{{x}}"
""", [INT, STR, BOOL], STR, wide, strs, st.booleans()),
    case("list_remove", """
def f(xs, v):
    ys = list(xs)
    ys.remove(v)
    zs = [v, v + 1, v]
    zs.remove(v)
    ys.remove(ys[0])
    return ys + zs
""", [INTS, INT], INTS, st.lists(st.integers(-2, 2), max_size=4), st.integers(-2, 2)),
    # -- expressions inside statements ---------------------------------------------------------------
    case("expressions_in_programs", """
def f(xs, s, n):
    ys = [x * n for x in xs if x != n]
    a = sum(ys) + len(s) + abs(n) + min(xs) - max(xs)
    b = n in xs
    c = s.startswith("a") or s.endswith("b")
    d = xs.count(n)
    e = s[n] if -len(s) <= n < len(s) else ""
    print(a, e)
    return [a, 1 if b else 0, 1 if c else 0, d, len(e), xs[n // 2]]
""", [INTS, STR, INT], INTS, lists, st.one_of(ab, strs), small),
]

CASES_BY_NAME = {c.name: c for c in CASES}

# Cases a known bug keeps from passing: the front end refuses a construct of the subset, or the paths
# disagree.  Each is xfail(strict=True): once the bug is fixed the case passes, and the mark must go.
REFUSED: dict[str, str] = {}
DIVERGES: dict[str, str] = {}


def _marked(names_to_reasons: dict[str, str]) -> list[Any]:
    return [pytest.param(c, id=c.name, marks=pytest.mark.xfail(strict=True, reason=names_to_reasons[c.name]))
            if c.name in names_to_reasons else pytest.param(c, id=c.name) for c in CASES]


# --- the four paths ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """One outcome of a call: it returned ``value``, or raised an exception of type ``error``."""

    raised: bool
    value: Any = None
    error: str = ""

    def __str__(self) -> str:
        return f"raised {self.error}" if self.raised else f"returned {self.value!r}"


def from_sandbox(result: CallResult, where: str) -> Ran:
    """CPython's outcome, as the sandbox reports it."""
    if result.status == "returned":
        return Ran(False, result.value)
    if result.status == "raised":
        return Ran(True, error=result.error.split(":", 1)[0])
    raise AssertionError(f"the sandbox could not run {where}: {result.status}: {result.error}")


def cpython(c: Case, calls: Sequence[tuple[Any, ...]]) -> list[Ran]:
    """The real program on each of ``calls``, in one sandbox worker."""
    results = run_calls(c.source, c.entry, [list(a) for a in calls], total_seconds=60.0)
    return [from_sandbox(r, f"{c.entry}{a!r}") for r, a in zip(results, calls, strict=True)]


def evaluator(fn: ir.Function, args: Sequence[Any]) -> Ran:
    """The IR evaluator's outcome (a Python exception other than Undefined is a bug, shown as such)."""
    try:
        return Ran(False, run_function(fn, list(args)))
    except Undefined as exc:
        return Ran(True, error=exc.kind)
    except Exception as exc:
        return Ran(True, error=f"<evaluator crashed: {type(exc).__name__}: {exc}>")


def _bounds(name: str, value: Any, t: ir.Type, out: dict[str, tuple[int | None, int | None]]) -> None:
    """Bounds of the pinned variables (names as H.Pins makes them), a little wider than the values."""
    if isinstance(t, ir.ListT):
        out[f"{name}#len"] = (len(value), len(value) + 1)
        for i, x in enumerate(value):
            _bounds(f"{name}[{i}]", x, t.elem, out)
        if t.elem in (ir.INT, ir.STR):  # the unpinned slot past the end (absent: any value in its bounds)
            _bounds(f"{name}[{len(value)}]", 0 if t.elem == ir.INT else "", t.elem, out)
    elif t == ir.INT:
        out[name] = (value - 3, value + 2)
    elif t == ir.STR:
        out[name] = (0, len(value) + 1)


def _universe(fn: ir.Function, args: Sequence[Any]) -> str:
    """The characters the strings of a call are made of, as the kernel's universe (specs/strings.py) is:
    those of the inputs (pinned, so exactly these), of the program's constants, and what str() writes."""
    chars = set("0123456789-bTrueFals")
    stack: list[Any] = [*args, *(v for v in _constants([fn]) if isinstance(v, str))]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            chars |= set(v)
        elif isinstance(v, list | tuple):
            stack.extend(v)
    return "".join(sorted(chars))


def differs(fn: ir.Function, args: Sequence[Any], expected: Ran, prefix: str) -> tuple[T.Term, T.Term]:
    """The pins of ``args`` and the term true where the symbolic execution's outcome is not ``expected``."""
    pins = H.Pins()
    values = []
    bounds: dict[str, tuple[int | None, int | None]] = {}
    for (name, t), a in zip(fn.params, args, strict=True):
        var = f"{prefix}.{name}"
        values.append(pins.value(var, a, t))
        _bounds(var, a, t, bounds)
    out = call(fn, values, _Encoder(bounds, _universe(fn, args), programs=True))
    if expected.raised:
        bad = T.not_(out.raised)
    elif expected.value is None:
        bad = T.or_(out.raised, out.exceeded, T.not_(out.returned_none))
    else:
        bad = T.or_(out.raised, out.exceeded, out.returned_none,
                    T.not_(identical(out.value, lift(expected.value, fn.returns))))
    return T.and_(*pins.pins), bad


def agree(c: Case, fn: ir.Function, args: Sequence[Any], expected: Ran, solvers: H.Solvers) -> None:
    """The evaluator, z3 and cvc5 agree with CPython's ``expected`` outcome on ``args``."""
    where = f"{c.name}: {c.entry}{tuple(args)!r} (seed {SEED})"
    got = evaluator(fn, args)
    assert got.raised == expected.raised and got.error == expected.error, \
        f"{where}: the evaluator {got}, CPython {expected}"
    if not expected.raised:
        assert H.same(got.value, expected.value), f"{where}: the evaluator {got}, CPython {expected}"
    pinned, bad = differs(fn, args, expected, c.name)
    assert pinned.op != "const", f"{where}: the inputs folded away: the solvers would evaluate nothing"
    for name, check in (("z3", solvers.z3_check), ("cvc5", solvers.cvc5_check)):
        assert check(pinned) == "sat", f"{where}: {name}: the pins alone are not satisfiable"
        answer = check(pinned, bad)
        assert answer == "unsat", f"{where}: {name} ({answer}): the symbolic execution can differ from CPython " \
                                  f"({expected})"


def _key(args: Sequence[Any]) -> str:
    return repr(tuple(args))


def run_case(c: Case, solvers: H.Solvers, fn: ir.Function | None = None,
             examples: int = EXAMPLES) -> int:
    """Check ``c`` on Hypothesis-drawn inputs (``fn``: the IR to hold against CPython, by default the case's own).

    Returns how many inputs ran in the sandbox on their own (not drawn by the first pass).
    """
    fn = c.program.function if fn is None else fn
    strategy = st.tuples(*c.inputs)
    seed = SEED ^ zlib.crc32(c.name.encode())
    profile = settings(H.PROFILE, max_examples=examples)
    drawn: dict[str, tuple[Any, ...]] = {}

    @profile
    @hypothesis_seed(seed)
    @given(strategy)
    def draw(args: tuple[Any, ...]) -> None:
        drawn.setdefault(_key(args), args)

    draw()
    ran = dict(zip(drawn, cpython(c, list(drawn.values())), strict=True))
    alone = [0]

    @profile
    @hypothesis_seed(seed)
    @given(strategy)
    def check(args: tuple[Any, ...]) -> None:
        expected = ran.get(_key(args))
        if expected is None:
            alone[0] += 1
            (expected,) = cpython(c, [args])
        agree(c, fn, args, expected, solvers)

    check()
    return alone[0]


@pytest.fixture(scope="module")
def solvers() -> H.Solvers:
    return H.Solvers()


@pytest.mark.parametrize("c", _marked({**REFUSED, **DIVERGES}))
def test_construct_agrees_with_cpython(c: Case, solvers: H.Solvers) -> None:
    run_case(c, solvers)


# --- the suite covers the subset, and could fail -------------------------------------------------

def _augmented(op: type[ast.operator]) -> Callable[[ast.AST], bool]:
    return lambda n: isinstance(n, ast.AugAssign) and type(n.op) is op


def _for_over(name: str) -> Callable[[ast.AST], bool]:
    return lambda n: isinstance(n, ast.For) and _calls(n.iter, name)


def _method(name: str) -> Callable[[ast.AST], bool]:
    return lambda n: isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == name


def _slice_step(k: int) -> Callable[[ast.AST], bool]:
    return lambda n: isinstance(n, ast.Slice) and n.step is not None and ast.unparse(n.step) == str(k)


def _range_step(k: int) -> Callable[[ast.AST], bool]:
    return lambda n: _calls(n, "range") and len(getattr(n, "args", ())) == 3 and ast.unparse(n.args[2]) == str(k)


_CONSTRUCTS: dict[str, Callable[[ast.AST], bool]] = {
    "assignment": lambda n: isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name),
    "tuple unpacking": lambda n: isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple),
    "item swap": lambda n: isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple)
    and any(isinstance(e, ast.Subscript) for e in n.targets[0].elts),
    **{f"augmented {o.__name__}": _augmented(o) for o in (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.Mod)},
    "augmented item": lambda n: isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Subscript),
    "if/elif/else": lambda n: isinstance(n, ast.If) and len(n.orelse) == 1 and isinstance(n.orelse[0], ast.If),
    "while": lambda n: isinstance(n, ast.While),
    "break": lambda n: isinstance(n, ast.Break),
    "continue": lambda n: isinstance(n, ast.Continue),
    "return in a loop": lambda n: isinstance(n, ast.For | ast.While)
    and any(isinstance(x, ast.Return) for x in ast.walk(n)),
    "bare return": lambda n: isinstance(n, ast.Return) and n.value is None,
    "raise": lambda n: isinstance(n, ast.Raise),
    "assert": lambda n: isinstance(n, ast.Assert),
    "pass": lambda n: isinstance(n, ast.Pass),
    "print": lambda n: _calls(n, "print"),
    **{f"for over {it}": _for_over(it) for it in ("range", "enumerate", "zip", "reversed")},
    "for over a name": lambda n: isinstance(n, ast.For) and isinstance(n.iter, ast.Name),
    **{f"list.{m}": _method(m) for m in ("append", "insert", "pop", "extend", "count", "remove")},
    "a nested def": lambda n: isinstance(n, ast.FunctionDef) and any(isinstance(s, ast.FunctionDef) for s in n.body),
    "map": lambda n: _calls(n, "map"),
    "filter": lambda n: _calls(n, "filter"),
    "f-string": lambda n: isinstance(n, ast.JoinedStr),
    "pop(i)": lambda n: isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "pop"
    and len(n.args) == 1,
    "item assignment": lambda n: isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Subscript),
    "sorted(reverse=)": lambda n: _calls(n, "sorted") and bool(getattr(n, "keywords", None)),
    "list()": lambda n: _calls(n, "list"),
    "a helper": lambda n: isinstance(n, ast.Module) and sum(isinstance(s, ast.FunctionDef) for s in n.body) >= 3,
    **{f"slice step {k}": _slice_step(k) for k in (1, 2, 3, -1, -2, -3)},
    **{f"range step {k}": _range_step(k) for k in (1, 2, 3, -1, -2, -3)},
}


def _calls(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def test_every_construct_of_the_subset_has_a_case() -> None:
    trees = [ast.parse(c.source) for c in CASES]
    nodes = [n for tree in trees for n in ast.walk(tree)]
    missing = [name for name, present in _CONSTRUCTS.items() if not any(present(n) for n in nodes)]
    assert not missing, f"no case exercises: {', '.join(missing)}"
    assert len(CASES) >= 60


@pytest.mark.parametrize("c", _marked(REFUSED))
def test_every_case_is_in_the_subset(c: Case) -> None:
    assert c.program.entry == c.entry  # parse_program neither refuses nor leaves the subset


@pytest.mark.parametrize(("name", "wrong"), [
    ("range_step_2", "def f(a, b):\n    t = 0\n    for i in range(a, b, 3):\n        t = t * 3 + i\n    return t\n"),
    ("slice_list_step_minus1", "def f(xs, a, b):\n    return xs[a:b:1]\n"),
    ("raise", "def f(a, b):\n    if a > b:\n        raise IndexError\n    if a == b:\n        raise KeyError(a)\n"
              "    if a < b - 5:\n        raise ArithmeticError\n    return b - a\n"),
])
def test_an_ir_that_is_not_the_program_fails_the_case(name: str, wrong: str, solvers: H.Solvers) -> None:
    # The IR of another program held against the real one: the case must catch it (the evaluator, whose
    # message is checked, is the first path asked; the solvers agree with it).
    c = CASES_BY_NAME[name]
    other = parse_program(wrong, c.entry, c.params, c.returns).function
    with pytest.raises(AssertionError, match="the evaluator"):
        run_case(c, solvers, other, examples=50)


def test_the_solver_paths_catch_a_wrong_outcome(solvers: H.Solvers) -> None:
    # Beyond the evaluator: z3 and cvc5 refuse an outcome CPython did not give.
    c = CASES_BY_NAME["for_enumerate_list"]
    fn = c.program.function
    agree(c, fn, ([3, -1],), Ran(False, -4), solvers)  # 0*3 + 1*-1 = -1, then - (0 + -1) - (1 + 3)
    for wrong in (Ran(False, 0), Ran(True, error="IndexError")):
        pinned, bad = differs(fn, ([3, -1],), wrong, c.name)
        assert solvers.z3_check(pinned, bad) == "sat"
        assert solvers.cvc5_check(pinned, bad) == "sat"
