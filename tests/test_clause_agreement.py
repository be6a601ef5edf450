"""CPython's clause-by-clause decision, the IR evaluator and the whole spec agree.

The kernel decides which clauses fail by running the spec's own code, and
explains them (and encodes them for the solvers) from the IR; a difference
between the two would put a wrong line in a verdict.
"""

from __future__ import annotations

from typing import Any

from assay.specs import load
from assay.specs.evaluate import clause_holds
from assay.specs.explain import explain_clause
from hypothesis import given, settings
from hypothesis import strategies as st

from .paths import OK

small = st.integers(-6, 6)
ints = st.one_of(small, st.integers(-(10**30), 10**30))


def _agree(name: str, env: dict[str, Any]) -> None:
    spec = load(f"{OK}:{name}")
    by_cpython = [c.index for c in spec.violated_clauses(env)]
    by_ir = [c.index for c in spec.ir.clauses if not clause_holds(c, env).holds]
    assert by_cpython == by_ir
    assert spec.holds(env) is (by_cpython == [])
    for c in spec.violated_clauses(env):
        assert explain_clause(c, env)  # every violated clause has words


@settings(max_examples=200, deadline=None)
@given(st.lists(ints, max_size=5), small)
def test_guarded_division(xs: list[int], k: int) -> None:
    _agree("guarded_division", {"xs": xs, "k": k})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3), st.text(alphabet="abxé", max_size=6))
def test_strings(prefix: str, word: str) -> None:
    _agree("strings", {"prefix": prefix, "word": word})


@settings(max_examples=200, deadline=None)
@given(small, st.lists(small, min_size=3, max_size=3))
def test_fixed_list(target: int, xs: list[int]) -> None:
    _agree("fixed_list", {"target": target, "xs": xs})


@settings(max_examples=200, deadline=None)
@given(small, small, small)
def test_chained(lo: int, hi: int, x: int) -> None:
    _agree("chained", {"lo": lo, "hi": hi, "x": x})
