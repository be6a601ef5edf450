"""Conformance: the evaluator, z3 and cvc5 agree with CPython on every operator of the subset.

Each case in ``conformance_cases.py`` is a plain Python function (run by
CPython itself) and a spec that inlines it; Hypothesis draws the inputs
(``ASSAY_CONFORMANCE_EXAMPLES`` examples per case, 200 by default).  Beside
that: a wrong translator must fail the suite; clauses that raise are false
on every path; SMT-LIB text round-trips through both solvers' parsers to a
term a solver proves equivalent; strings round-trip exactly.
"""

from __future__ import annotations

from typing import Annotated, Any

import cvc5
import pytest
import z3
from assay.specs import Between, Given, Length, MaxLen, Proposal, smt, spec
from assay.specs import symbolic as S
from assay.specs import terms as T
from assay.specs.evaluate import clause_holds
from assay.specs.symbolic import Unsupported, encode
from hypothesis import example, given
from hypothesis import strategies as st

from . import conformance_helpers as H

CASES = H.load_cases()


@pytest.fixture(scope="module")
def solvers() -> Any:
    return H.Solvers()


@pytest.mark.parametrize("case", CASES.CASES, ids=lambda c: c.name)
def test_operator_agrees_with_cpython(case: Any, solvers: Any) -> None:
    @H.PROFILE
    @given(st.data())
    def run(data: st.DataObject) -> None:
        inputs = data.draw(st.fixed_dictionaries(case.inputs), label="inputs")
        H.check_case(case, inputs, solvers)

    run()


def test_every_case_spec_is_built() -> None:
    assert len(CASES.CASES) >= 45
    for case in CASES.CASES:
        H.expr_of(case.spec)  # each spec has the one clause `out == X`


# --- a wrong translator must fail ---------------------------------------------------------


def test_floor_division_as_smt_div_is_caught(solvers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES.CASES if c.name == "floordiv")
    H.check_case(case, {"a": 7, "b": -2}, solvers)  # the real translator passes
    monkeypatch.setattr(S, "_floordiv", T.div)  # Euclidean, not floor: wrong for b < 0
    with pytest.raises(AssertionError, match="can differ from CPython"):
        H.check_case(case, {"a": 7, "b": -2}, solvers)


def test_strict_all_over_a_generator_is_caught(solvers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES.CASES if c.name == "all_gen")
    inputs = {"xs": [-1, 0], "b": 1}  # 1 // -1 > 0 is False: all stops before 1 // 0
    H.check_case(case, inputs, solvers)
    real = S._all_any
    monkeypatch.setattr(S, "_all_any", lambda s, is_all: real(S._strict(s), is_all))
    with pytest.raises(AssertionError, match="can differ from CPython"):
        H.check_case(case, inputs, solvers)


def test_python_mod_as_smt_mod_is_caught(solvers: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in CASES.CASES if c.name == "mod")
    monkeypatch.setattr(S, "_pymod", T.mod)
    with pytest.raises(AssertionError, match="can differ from CPython"):
        H.check_case(case, {"a": 7, "b": -2}, solvers)


def test_an_evaluator_disagreeing_with_cpython_is_caught(solvers: Any) -> None:
    case = next(c for c in CASES.CASES if c.name == "sub")
    wrong = type(case)(case.name, lambda a, b: b - a, case.spec, case.inputs)
    with pytest.raises(AssertionError, match="evaluator"):
        H.check_case(wrong, {"a": 1, "b": 2}, solvers)


# --- clauses that raise are false on every path ---------------------------------------------

Small = Annotated[int, Between(0, 5)]


@spec
def raising_clauses(d: Given[int], xs: Given[list[int]], x: Proposal[Small]) -> bool:
    return (x >= 0
            and x // d == 1
            and xs[x + 10] == 1
            and min([y for y in xs if y > x + 100]) > 0
            and divmod(x, d)[0] == 0
            and x % d == 0)


def _z3_sat(*terms: T.Term) -> str:
    s = z3.Solver()
    for t in terms:
        s.add(smt.to_z3(t))
    return str(s.check())


def _cvc5_sat(*terms: T.Term) -> str:
    tm = cvc5.TermManager()
    s = cvc5.Solver(tm)
    s.setLogic("ALL")
    for t in terms:
        s.assertFormula(smt.to_cvc5(tm, t))
    r = s.checkSat()
    return "sat" if r.isSat() else ("unsat" if r.isUnsat() else "unknown")


def test_raising_clauses_are_false_on_every_path() -> None:
    givens = {"d": 0, "xs": [1, 2]}
    enc = encode(raising_clauses, givens)
    assert len(enc.clauses) == 6
    for i, clause in enumerate(raising_clauses.ir.clauses):
        for x in range(6):
            held = clause_holds(clause, {**givens, "x": x})
            assert held.holds == (i == 0), (i, x)
            if i:
                assert held.error is not None
        for check in (_z3_sat, _cvc5_sat):
            expected = "sat" if i == 0 else "unsat"
            assert check(enc.domain, enc.clauses[i]) == expected, (i, check.__name__)
            if i:  # and it is false because it raises, not because it computes False
                assert check(enc.domain, T.not_(enc.clause_errors[i])) == "unsat"


@spec
def some_raise(xs: Given[list[int]], k: Proposal[Annotated[int, Between(-4, 4)]]) -> bool:
    return xs[k] > 0 and 12 // xs[k] == 4


@pytest.mark.parametrize("k", range(-4, 5))
def test_partly_raising_clause_agrees_point_by_point(k: int) -> None:
    givens = {"xs": [3, 0, -3]}
    enc = encode(some_raise, givens)
    expected = True
    try:
        expected = some_raise.fn(givens["xs"], k)
    except (IndexError, ZeroDivisionError):
        expected = False
    pin = T.eq(T.var("k", T.Sort.INT), T.int_const(k))
    for check in (_z3_sat, _cvc5_sat):
        assert check(enc.spec_term, pin) == ("sat" if expected else "unsat")
    assert all(clause_holds(c, {**givens, "k": k}).holds for c in some_raise.ir.clauses) == expected


# --- SMT-LIB round trips, checked by a solver ----------------------------------------------------


def _z3_parse(text: str) -> Any:
    return z3.And(*z3.parse_smt2_string(text))


def _equivalent_z3(text: str, term: T.Term) -> None:
    s = z3.Solver()
    s.add(_z3_parse(text) != smt.to_z3(term))
    assert s.check() == z3.unsat


def _equivalent_cvc5(text: str, term: T.Term) -> None:
    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    sm = cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(solver, sm)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text.replace("(check-sat)\n", ""),
                          "roundtrip")
    while True:
        cmd = parser.nextCommand()
        if cmd.isNull():
            break
        cmd.invoke(solver, sm)
    parsed = solver.getAssertions()
    symbols = {str(c): c for c in sm.getDeclaredTerms()}
    symbols = {k.strip("|"): v for k, v in symbols.items()}
    direct = smt.to_cvc5(tm, term, symbols)
    both = parsed[0] if len(parsed) == 1 else tm.mkTerm(cvc5.Kind.AND, *parsed)
    solver.assertFormula(tm.mkTerm(cvc5.Kind.DISTINCT, both, direct))
    assert solver.checkSat().isUnsat()


@pytest.mark.parametrize("case", CASES.CASES, ids=lambda c: c.name)
def test_smtlib_round_trip_is_equivalent(case: Any) -> None:
    @H.PROFILE.__class__(H.PROFILE, max_examples=max(5, H.EXAMPLES // 40))
    @given(st.data())
    def run(data: st.DataObject) -> None:
        inputs = data.draw(st.fixed_dictionaries(case.inputs), label="inputs")
        e = H.expr_of(case.spec)
        types = dict(case.spec.ir.params)
        pins = H.Pins()
        env = {n: pins.value(n, v, types[n]) for n, v in inputs.items()}
        bounds = {n: (v - 3, v + 2) for n, v in inputs.items() if case.bounded and isinstance(v, int)}
        value, err = S.encode_expr(e, env, bounds)
        expected = H.cpython(case.ref, inputs)
        term = err if expected.raised else T.or_(err, S.identical(value, S.lift(expected.value, e.type)))
        text = smt.to_smtlib([T.and_(*pins.pins), term])
        full = T.and_(T.and_(*pins.pins), term)
        _equivalent_z3(text, full)
        _equivalent_cvc5(text, full)

    run()


Sol = Annotated[list[Annotated[int, Between(1, 4)]], MaxLen(4)]


@spec
def sorted_distinct(xs: Given[list[int]], ys: Proposal[Sol]) -> bool:
    return (all(ys[i] < ys[i + 1] for i in range(len(ys) - 1))
            and all(x in ys for x in xs)
            and len(ys) == len(xs) + 1)


def test_spec_encoding_round_trips() -> None:
    enc = encode(sorted_distinct, {"xs": [1, 3]})
    text = smt.to_smtlib(enc.spec_term, declare=enc.variables)
    _equivalent_z3(text, enc.spec_term)
    _equivalent_cvc5(text, enc.spec_term)


# --- strings cross every boundary exactly ---------------------------------------------------------

awkward = st.text(st.one_of(st.sampled_from('\\"u{}x0'), st.characters(max_codepoint=0x2FFFF)),
                  max_size=12)


@H.PROFILE
@given(awkward)
@example('\\u{41}')
@example('""\\')
@example('\U0002FFFF\x00\ud800')
def test_strings_round_trip_exactly(s: str) -> None:
    assert smt.z3_string_value(smt.z3_string(s)) == s
    tm = cvc5.TermManager()
    assert smt.cvc5_value(smt.to_cvc5(tm, T.str_const(s))) == s
    # Through SMT-LIB text: a solver's model of `v = s` gives back s.
    v = T.var("v", T.Sort.STRING)
    text = smt.to_smtlib(T.eq(v, T.str_const(s)))
    zs = z3.Solver()
    zs.add(z3.parse_smt2_string(text))
    assert zs.check() == z3.sat
    assert smt.z3_model_values(zs.model(), {"v": T.Sort.STRING}) == {"v": s}
    solver = cvc5.Solver(tm)
    solver.setOption("produce-models", "true")
    sm = cvc5.SymbolManager(tm)
    parser = cvc5.InputParser(solver, sm)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, text, "strings")
    while not (cmd := parser.nextCommand()).isNull():
        cmd.invoke(solver, sm)
    (var,) = sm.getDeclaredTerms()
    assert solver.checkSat().isSat()
    assert smt.cvc5_value(solver.getValue(var)) == s
    assert T.const_value(T.str_len(T.str_const(s))) == len(s)


def test_code_points_above_the_smt_alphabet_are_refused() -> None:
    with pytest.raises(Unsupported, match=r"U\+30000 at index 1, above U\+2FFFF"):
        T.str_const("a\U00030000")
    with pytest.raises(Unsupported):
        smt.smtlib_string("\U0010FFFF")


# --- the encoding of a whole spec ----------------------------------------------------------------


def test_unbounded_proposal_list_is_unsupported() -> None:
    @spec
    def unbounded(ys: Proposal[list[int]]) -> bool:
        return len(ys) == 2

    with pytest.raises(Unsupported, match="'ys' is a list with no length bound"):
        encode(unbounded, {})


def test_decode_and_equals_rebuild_the_proposal() -> None:
    enc = encode(sorted_distinct, {"xs": [1, 3]})
    s = z3.Solver()
    s.add(smt.to_z3(enc.spec_term))
    solutions = []
    while s.check() == z3.sat:
        model = smt.z3_model_values(s.model(), enc.variables)
        value = enc.decode(model)
        assert sorted_distinct.fn([1, 3], value) is True  # CPython agrees it is a solution
        solutions.append(value)
        s.add(smt.to_z3(T.not_(enc.is_value(value))))
    assert sorted(solutions) == [[1, 2, 3], [1, 3, 4]]


Fixed = Annotated[list[Annotated[int, Between(0, 3)]], Length(3)]


def score(ys: list[int]) -> int:
    return ys[0] * 2 - ys[1] // ys[2]


@spec(maximize=score)
def with_objective(ys: Proposal[Fixed]) -> bool:
    return sum(ys) == 3


@pytest.mark.parametrize("ys", [[3, 0, 0], [1, 1, 1], [0, 2, 1], [2, 1, 0], [0, 0, 3]])
def test_objective_and_its_error(ys: list[int]) -> None:
    enc = encode(with_objective, {})
    assert enc.objective is not None
    pins = T.and_(enc.is_value(ys), enc.spec_term)
    try:
        expected: int | None = score(ys)
    except ZeroDivisionError:
        expected = None
    for check in (_z3_sat, _cvc5_sat):
        assert check(pins) == "sat"
        if expected is None:
            assert check(pins, enc.objective_defined) == "unsat"
        else:
            assert check(pins, T.not_(T.eq(enc.objective, T.int_const(expected)))) == "unsat"
            assert check(pins, T.not_(enc.objective_defined)) == "unsat"


# --- constant folding means what the solver means --------------------------------------------

_FOLDS: dict[str, tuple[Any, Any, Any]] = {
    # name: (term constructor, strategy of the first argument, of the second)
    "div": (T.div, CASES.ints, CASES.ints),
    "mod": (T.mod, CASES.ints, CASES.ints),
    "lt": (T.lt, CASES.ints, CASES.ints),
    "str.at": (T.str_at, CASES.strs, CASES.tiny),
    "str.<": (T.str_lt, CASES.strs, CASES.strs),
    "str.<=": (T.str_le, CASES.strs, CASES.strs),
    "str.prefixof": (T.str_prefixof, CASES.strs, CASES.strs),
    "str.suffixof": (T.str_suffixof, CASES.strs, CASES.strs),
    "str.contains": (T.str_contains, CASES.strs, CASES.strs),
    "str.++": (T.str_concat, CASES.strs, CASES.strs),
}


def _const(v: Any) -> T.Term:
    return T.int_const(v) if isinstance(v, int) else T.str_const(v)


def _var_for(name: str, v: Any) -> T.Term:
    # One name per sort: the solvers' symbol tables are shared across examples.
    if isinstance(v, int):
        return T.var(name + "_int", T.Sort.INT)
    return T.var(name + "_str", T.Sort.STRING)


@pytest.mark.parametrize("name", sorted(_FOLDS))
def test_constant_folding_agrees_with_the_solvers(name: str, solvers: Any) -> None:
    build, first, second = _FOLDS[name]

    @H.PROFILE.__class__(H.PROFILE, max_examples=max(20, H.EXAMPLES // 4))
    @given(first, second)
    def run(a: Any, b: Any) -> None:
        if name in ("div", "mod") and b == 0:
            return  # SMT-LIB leaves these unspecified, and the folder leaves them unfolded
        folded = build(_const(a), _const(b))
        assert folded.op == "const", folded
        x, y = _var_for("fa", a), _var_for("fb", b)
        pins = T.and_(T.eq(x, _const(a)), T.eq(y, _const(b)))
        differs = T.not_(T.eq(build(x, y), folded))
        assert solvers.z3_check(pins, differs) == "unsat"
        assert solvers.cvc5_check(pins, differs) == "unsat"

    run()


def test_division_by_a_constant_zero_is_not_folded() -> None:
    assert T.div(T.int_const(3), T.int_const(0)).op == "div"
    assert T.mod(T.int_const(3), T.int_const(0)).op == "mod"


def test_simplifications() -> None:
    x = T.var("x", T.Sort.BOOL)
    n = T.var("n", T.Sort.INT)
    assert T.and_(x, T.FALSE) is T.FALSE
    assert T.or_(x, T.not_(x)) is T.TRUE
    assert T.ite(T.TRUE, n, T.int_const(1)) is n
    assert T.ite(x, T.TRUE, T.FALSE) is x
    assert T.add(n, T.int_const(2), T.int_const(-2)) is n
    assert T.eq(n, n) is T.TRUE
    assert T.add(n, T.int_const(1)) is T.add(n, T.int_const(1))  # hash-consed
    assert T.int_const(1) is not T.TRUE


def test_encode_expr_takes_concrete_and_symbolic_values_together() -> None:
    case = next(c for c in CASES.CASES if c.name == "floordiv")
    e = H.expr_of(case.spec)
    b = T.var("b", T.Sort.INT)
    value, err = S.encode_expr(e, {"a": -7, "b": b})
    pin = T.eq(b, T.int_const(2))
    assert _z3_sat(pin, T.not_(T.eq(value, T.int_const(-4)))) == "unsat"
    assert _z3_sat(T.eq(b, T.int_const(0)), T.not_(err)) == "unsat"
    folded, no_err = S.encode_expr(e, {"a": -7, "b": 2})
    assert folded is T.int_const(-4)
    assert no_err is T.FALSE
