"""The conformance cases: each operator as a plain Python function, and a spec over it.

``def add(a, b): return a + b`` is the CPython reference (the test calls it);
``def add_spec(..., out: Proposal[int]) -> bool: return out == add(a, b)`` makes
the front end inline the very same source into IR, whose right-hand side the
evaluator and both solvers must agree on.  ``CASES`` lists them with the
strategies their inputs are drawn from.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from assay.specs import Given, Proposal, distinct, implies, spec
from hypothesis import strategies as st

# --- input strategies -------------------------------------------------------------

HUGE = [10**40, -(10**40), 10**40 + 1, -(10**40) - 7, 2**64, -(2**63)]
small = st.integers(-12, 12)
ints = st.one_of(small, small, st.integers(), st.sampled_from([0, 1, -1, *HUGE]))
tiny = st.integers(-6, 6)
# Characters within SMT-LIB's alphabet: ASCII with the escapes that bite, and beyond.
chars = st.one_of(st.sampled_from("ab\\\"'u{}é"), st.characters(max_codepoint=0x2FFFF))
strs = st.text(chars, max_size=5)
small_lists = st.lists(small, max_size=5)
int_lists = st.lists(ints, max_size=5)
str_lists = st.lists(strs, min_size=0, max_size=4)
bool_lists = st.lists(st.booleans(), max_size=5)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


@dataclass(frozen=True)
class Point:
    x: int
    y: int


colors = st.sampled_from(list(Color))
points = st.builds(Point, small, ints)


# --- arithmetic ----------------------------------------------------------------------

def add(a: int, b: int) -> int:
    return a + b


def sub(a: int, b: int) -> int:
    return a - b


def mul(a: int, b: int) -> int:
    return a * b


def floordiv(a: int, b: int) -> int:
    return a // b


def mod(a: int, b: int) -> int:
    return a % b


def power(a: int, b: int) -> int:
    return a ** 3 + b ** 2 + a ** 0 + b ** 1


def unary(a: int, b: int) -> int:
    return -a + (+b) - -b


def absolute(a: int, b: int) -> int:
    return abs(a) - abs(-b)


def min2(a: int, b: int) -> int:
    return min(a, b)


def max3(a: int, b: int, c: int) -> int:
    return max(a, b, c)


def dm(a: int, b: int) -> tuple[int, int]:
    return divmod(a, b)


def compare(a: int, b: int) -> tuple[bool, bool, bool, bool, bool, bool]:
    return (a < b, a <= b, a > b, a >= b, a == b, a != b)


def chain(a: int, b: int, c: int) -> bool:
    return a < b <= c // a


def chain3(a: int, b: int, c: int) -> bool:
    return a != b < c == a // (b - c)


def and_err(a: int, b: int) -> bool:
    return a != 0 and b // a > 1 and b % (a - 1) == 0


def or_err(a: int, b: int) -> bool:
    return a == 0 or b // a > 1 or not (b > a)


def ifexp(a: int, b: int, c: int) -> int:
    return b // a if a > c else c % b


def implies_both(a: int, b: int) -> bool:
    return implies(a == 0, b // a > 0)


def lets(a: int, b: int) -> int:
    q = a // b
    r = a % b
    return q * b + r - a + q


# --- iteration ---------------------------------------------------------------------------

def all_gen(xs: list[int], b: int) -> bool:
    return all(b // x > 0 for x in xs)


def any_gen(xs: list[int], b: int) -> bool:
    return any(b // x > 0 for x in xs if x != 1)


def all_list(xs: list[int], b: int) -> bool:
    return all([b // x > 0 for x in xs])  # noqa: C419 - the list is the point: no short-circuit


def any_list(xs: list[int], b: int) -> bool:
    return any([b % x == 0 for x in xs])  # noqa: C419 - the list is the point: no short-circuit


def all_filter_err(xs: list[int], b: int) -> bool:
    return all(x > b for x in xs if b // x < 2)


def all_nested(xs: list[int], ys: list[int]) -> bool:
    return all(12 // (x - y) != 3 for x in xs if 6 // x != 2 for y in ys if x != -y)


def any_gen_of_gen(xs: list[int], ys: list[int]) -> bool:
    return any(4 // z == 1 for z in (y - x for x, y in zip(xs, ys) if 3 % (y + 1) == 0))  # noqa: B905


def all_bools(bs: list[bool]) -> bool:
    return all(bs) or any(bs)


def sums(xs: list[int], b: int) -> int:
    return sum(xs) + sum(xs, b) + sum(x for x in xs if x > b) + sum(x > b for x in xs)


def lengths(xs: list[int], b: int) -> int:
    return len(xs) * 100 + len([x for x in xs if x < b])


def all_different(xs: list[int], b: int) -> bool:
    return distinct(xs) or distinct(x // b for x in xs if x != b)


def min_list(xs: list[int], b: int) -> int:
    return min(xs) + max(x * b for x in xs)


def min_filtered(xs: list[int], b: int) -> int:
    return min(x for x in xs if x > b)


def list_eq(xs: list[int], ys: list[int]) -> bool:
    return xs == ys


def list_ne_comp(xs: list[int], ys: list[int]) -> bool:
    return [x for x in xs if x > 0] != [y for y in ys if y > 0]


def contains(xs: list[int], a: int) -> tuple[bool, bool, int]:
    return (a in xs, a not in xs, xs.count(a))


def concat(xs: list[int], ys: list[int]) -> list[int]:
    return xs + ys


def index(xs: list[int], a: int) -> int:
    return xs[a]


def index_comp(xs: list[int], a: int) -> int:
    return [x for x in xs if x % 2 == 0][a]


def comp_filter(xs: list[int], b: int) -> list[int]:
    return [x * 2 for x in xs if x % 2 == 0 if b // x > -3]


def comp_nested(xs: list[int], ys: list[int]) -> list[int]:
    return [x - y for x in xs if x > 0 for y in ys if y < x]


def enum_comp(xs: list[int], b: int) -> list[int]:
    return [i * x + b for i, x in enumerate(xs) if x != b]


def zipped(xs: list[int], ys: list[int]) -> list[int]:
    return [x - y for x, y in zip(xs, ys)]  # noqa: B905 - zip's stop-at-shortest is under test


def zip_enum(xs: list[int], ys: list[int]) -> int:
    return sum(i * p[0] * p[1] for i, p in enumerate(zip(xs, ys)))  # noqa: B905 - as above


def ranges(a: int, b: int) -> list[int]:
    return [i * i for i in range(a, b)]


def ranges_step(a: int, b: int) -> tuple[list[int], int, int, bool, bool]:
    return ([i for i in range(a, b, 3)], len(  # noqa: C416 - comprehension over range under test
           range(a, b, -2)), sum(range(b, a, -1)),
            a + 1 in range(b, a * 2, 2), b in range(a, -a, -3))


# --- strings ---------------------------------------------------------------------------

def str_ops(s: str, t: str) -> tuple[bool, bool, str, int, bool, bool, bool]:
    return (s == t, s != t, s + t, len(s + t), s in t, t.startswith(s), t.endswith(s))


def str_order(s: str, t: str) -> tuple[bool, bool, bool, bool, str, str]:
    return (s < t, s <= t, s > t, s >= t, min(s, t), max(t, s))


def str_index(s: str, a: int) -> str:
    return s[a]


def str_list(ss: list[str], s: str) -> tuple[str, str, bool, int]:
    return (min(ss), max(ss), s in ss, ss.count(s))


# --- tuples, records, enums --------------------------------------------------------------

def tuples(a: int, b: int, c: int) -> tuple[bool, int, int, tuple[int, int, int, int]]:
    p = (a, b)
    q = (c, a)
    return (p == q, p[0] - q[-1], (a, b, c)[c], p + q)


def records(p: Point, q: Point) -> tuple[bool, int, bool]:
    return (p == q, p.x * q.y - q.x, p.x < q.x <= p.y)


def enums(c: Color, d: Color) -> tuple[bool, bool, bool, bool]:
    return (c == Color.RED, c != d, c in [Color.GREEN, d], d in (Color.BLUE, Color.RED))


# --- the specs over them -------------------------------------------------------------------

@spec
def add_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == add(a, b)


@spec
def sub_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == sub(a, b)


@spec
def mul_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == mul(a, b)


@spec
def floordiv_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == floordiv(a, b)


@spec
def mod_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == mod(a, b)


@spec
def power_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == power(a, b)


@spec
def unary_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == unary(a, b)


@spec
def absolute_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == absolute(a, b)


@spec
def min2_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == min2(a, b)


@spec
def max3_spec(a: Given[int], b: Given[int], c: Given[int], out: Proposal[int]) -> bool:
    return out == max3(a, b, c)


@spec
def dm_spec(a: Given[int], b: Given[int], out: Proposal[tuple[int, int]]) -> bool:
    return out == dm(a, b)


@spec
def compare_spec(a: Given[int], b: Given[int],
                 out: Proposal[tuple[bool, bool, bool, bool, bool, bool]]) -> bool:
    return out == compare(a, b)


@spec
def chain_spec(a: Given[int], b: Given[int], c: Given[int], out: Proposal[bool]) -> bool:
    return out == chain(a, b, c)


@spec
def chain3_spec(a: Given[int], b: Given[int], c: Given[int], out: Proposal[bool]) -> bool:
    return out == chain3(a, b, c)


@spec
def and_err_spec(a: Given[int], b: Given[int], out: Proposal[bool]) -> bool:
    return out == and_err(a, b)


@spec
def or_err_spec(a: Given[int], b: Given[int], out: Proposal[bool]) -> bool:
    return out == or_err(a, b)


@spec
def ifexp_spec(a: Given[int], b: Given[int], c: Given[int], out: Proposal[int]) -> bool:
    return out == ifexp(a, b, c)


@spec
def implies_both_spec(a: Given[int], b: Given[int], out: Proposal[bool]) -> bool:
    return out == implies_both(a, b)


@spec
def lets_spec(a: Given[int], b: Given[int], out: Proposal[int]) -> bool:
    return out == lets(a, b)


@spec
def all_gen_spec(xs: Given[list[int]], b: Given[int], out: Proposal[bool]) -> bool:
    return out == all_gen(xs, b)


@spec
def any_gen_spec(xs: Given[list[int]], b: Given[int], out: Proposal[bool]) -> bool:
    return out == any_gen(xs, b)


@spec
def all_list_spec(xs: Given[list[int]], b: Given[int], out: Proposal[bool]) -> bool:
    return out == all_list(xs, b)


@spec
def any_list_spec(xs: Given[list[int]], b: Given[int], out: Proposal[bool]) -> bool:
    return out == any_list(xs, b)


@spec
def all_filter_err_spec(xs: Given[list[int]], b: Given[int], out: Proposal[bool]) -> bool:
    return out == all_filter_err(xs, b)


@spec
def all_nested_spec(xs: Given[list[int]], ys: Given[list[int]], out: Proposal[bool]) -> bool:
    return out == all_nested(xs, ys)


@spec
def any_gen_of_gen_spec(xs: Given[list[int]], ys: Given[list[int]], out: Proposal[bool]) -> bool:
    return out == any_gen_of_gen(xs, ys)


@spec
def all_bools_spec(bs: Given[list[bool]], out: Proposal[bool]) -> bool:
    return out == all_bools(bs)


@spec
def sums_spec(xs: Given[list[int]], b: Given[int], out: Proposal[int]) -> bool:
    return out == sums(xs, b)


@spec
def lengths_spec(xs: Given[list[int]], b: Given[int], out: Proposal[int]) -> bool:
    return out == lengths(xs, b)


@spec
def all_different_spec(xs: Given[list[int]], b: Given[int], out: Proposal[bool]) -> bool:
    return out == all_different(xs, b)


@spec
def min_list_spec(xs: Given[list[int]], b: Given[int], out: Proposal[int]) -> bool:
    return out == min_list(xs, b)


@spec
def min_filtered_spec(xs: Given[list[int]], b: Given[int], out: Proposal[int]) -> bool:
    return out == min_filtered(xs, b)


@spec
def list_eq_spec(xs: Given[list[int]], ys: Given[list[int]], out: Proposal[bool]) -> bool:
    return out == list_eq(xs, ys)


@spec
def list_ne_comp_spec(xs: Given[list[int]], ys: Given[list[int]], out: Proposal[bool]) -> bool:
    return out == list_ne_comp(xs, ys)


@spec
def contains_spec(xs: Given[list[int]], a: Given[int],
                  out: Proposal[tuple[bool, bool, int]]) -> bool:
    return out == contains(xs, a)


@spec
def concat_spec(xs: Given[list[int]], ys: Given[list[int]], out: Proposal[list[int]]) -> bool:
    return out == concat(xs, ys)


@spec
def index_spec(xs: Given[list[int]], a: Given[int], out: Proposal[int]) -> bool:
    return out == index(xs, a)


@spec
def index_comp_spec(xs: Given[list[int]], a: Given[int], out: Proposal[int]) -> bool:
    return out == index_comp(xs, a)


@spec
def comp_filter_spec(xs: Given[list[int]], b: Given[int], out: Proposal[list[int]]) -> bool:
    return out == comp_filter(xs, b)


@spec
def comp_nested_spec(xs: Given[list[int]], ys: Given[list[int]],
                     out: Proposal[list[int]]) -> bool:
    return out == comp_nested(xs, ys)


@spec
def enum_comp_spec(xs: Given[list[int]], b: Given[int], out: Proposal[list[int]]) -> bool:
    return out == enum_comp(xs, b)


@spec
def zipped_spec(xs: Given[list[int]], ys: Given[list[int]], out: Proposal[list[int]]) -> bool:
    return out == zipped(xs, ys)


@spec
def zip_enum_spec(xs: Given[list[int]], ys: Given[list[int]], out: Proposal[int]) -> bool:
    return out == zip_enum(xs, ys)


@spec
def ranges_spec(a: Given[int], b: Given[int], out: Proposal[list[int]]) -> bool:
    return out == ranges(a, b)


@spec
def ranges_step_spec(a: Given[int], b: Given[int],
                     out: Proposal[tuple[list[int], int, int, bool, bool]]) -> bool:
    return out == ranges_step(a, b)


@spec
def str_ops_spec(s: Given[str], t: Given[str],
                 out: Proposal[tuple[bool, bool, str, int, bool, bool, bool]]) -> bool:
    return out == str_ops(s, t)


@spec
def str_order_spec(s: Given[str], t: Given[str],
                   out: Proposal[tuple[bool, bool, bool, bool, str, str]]) -> bool:
    return out == str_order(s, t)


@spec
def str_index_spec(s: Given[str], a: Given[int], out: Proposal[str]) -> bool:
    return out == str_index(s, a)


@spec
def str_list_spec(ss: Given[list[str]], s: Given[str],
                  out: Proposal[tuple[str, str, bool, int]]) -> bool:
    return out == str_list(ss, s)


@spec
def tuples_spec(a: Given[int], b: Given[int], c: Given[int],
                out: Proposal[tuple[bool, int, int, tuple[int, int, int, int]]]) -> bool:
    return out == tuples(a, b, c)


@spec
def records_spec(p: Given[Point], q: Given[Point], out: Proposal[tuple[bool, int, bool]]) -> bool:
    return out == records(p, q)


@spec
def enums_spec(c: Given[Color], d: Given[Color],
               out: Proposal[tuple[bool, bool, bool, bool]]) -> bool:
    return out == enums(c, d)


@dataclass(frozen=True)
class Case:
    """One operator's conformance case: the CPython reference, its spec, its inputs."""

    name: str
    ref: Any
    spec: Any
    inputs: dict[str, st.SearchStrategy[Any]]
    # Give the encoder loose bounds around the inputs (for range over symbolic ends).
    bounded: bool = False


def _case(ref: Any, inputs: dict[str, st.SearchStrategy[Any]], *, bounded: bool = False) -> Case:
    return Case(ref.__name__, ref, globals()[ref.__name__ + "_spec"], inputs, bounded)


AB = {"a": ints, "b": ints}
ABC = {"a": ints, "b": ints, "c": ints}
XB = {"xs": small_lists, "b": small}

CASES: list[Case] = [
    _case(add, AB), _case(sub, AB), _case(mul, AB), _case(floordiv, AB), _case(mod, AB),
    _case(power, AB), _case(unary, AB), _case(absolute, AB), _case(min2, AB), _case(max3, ABC),
    _case(dm, AB), _case(compare, AB),
    _case(chain, {"a": tiny, "b": tiny, "c": tiny}), _case(chain3, {"a": tiny, "b": tiny, "c": tiny}),
    _case(and_err, {"a": tiny, "b": ints}), _case(or_err, {"a": tiny, "b": ints}),
    _case(ifexp, {"a": tiny, "b": tiny, "c": tiny}), _case(implies_both, {"a": tiny, "b": ints}),
    _case(lets, AB),
    _case(all_gen, XB), _case(any_gen, XB), _case(all_list, XB), _case(any_list, XB),
    _case(all_filter_err, XB), _case(all_bools, {"bs": bool_lists}),
    _case(all_nested, {"xs": st.lists(tiny, max_size=4), "ys": st.lists(tiny, max_size=4)}),
    _case(any_gen_of_gen, {"xs": st.lists(tiny, max_size=4), "ys": st.lists(tiny, max_size=4)}),
    _case(sums, {"xs": int_lists, "b": ints}), _case(lengths, XB),
    _case(all_different, {"xs": st.lists(tiny, max_size=5), "b": tiny}),
    _case(min_list, {"xs": int_lists, "b": small}), _case(min_filtered, XB),
    _case(list_eq, {"xs": st.lists(st.integers(0, 2), max_size=3),
                    "ys": st.lists(st.integers(0, 2), max_size=3)}),
    _case(list_ne_comp, {"xs": small_lists, "ys": small_lists}),
    _case(contains, {"xs": small_lists, "a": small}),
    _case(concat, {"xs": int_lists, "ys": int_lists}),
    _case(index, {"xs": int_lists, "a": tiny}), _case(index_comp, {"xs": small_lists, "a": tiny}),
    _case(comp_filter, XB), _case(comp_nested, {"xs": small_lists, "ys": small_lists}),
    _case(enum_comp, XB), _case(zipped, {"xs": int_lists, "ys": int_lists}),
    _case(zip_enum, {"xs": small_lists, "ys": small_lists}),
    _case(ranges, {"a": tiny, "b": tiny}, bounded=True),
    _case(ranges_step, {"a": tiny, "b": tiny}, bounded=True),
    _case(str_ops, {"s": strs, "t": strs}), _case(str_order, {"s": strs, "t": strs}),
    _case(str_index, {"s": strs, "a": tiny}), _case(str_list, {"ss": str_lists, "s": strs}),
    _case(tuples, {"a": small, "b": small, "c": tiny}),
    _case(records, {"p": points, "q": points}), _case(enums, {"c": colors, "d": colors}),
]
