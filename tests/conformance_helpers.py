"""The machinery of the conformance suite: CPython, the evaluator, z3 and cvc5 on one case.

:func:`check_case` runs one case on one input and raises ``AssertionError``
naming the path that disagreed with CPython.  The solver paths never see the
inputs as constants: each input is a solver variable pinned by an equality
(a list is a length variable plus one extra, unpinned slot past its end), and
the check is that ``pins and (result differs from CPython's)`` is UNSAT, while
``pins`` alone is SAT, so the solver itself evaluates the translation.
"""

from __future__ import annotations

import dataclasses
import enum
import os
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import cvc5
import z3
from assay.specs import ir, smt
from assay.specs import terms as T
from assay.specs.evaluate import Undefined, evaluate
from assay.specs.symbolic import RecordVal, SymList, Value, encode_expr, identical, lift
from hypothesis import HealthCheck, Phase, settings

EXAMPLES = int(os.environ.get("ASSAY_CONFORMANCE_EXAMPLES", "200"))
# No explain phase: on a failure it traces the test with sys.settrace (Python 3.11), and a case that must fail
# (tests/test_program_conformance.py) then spun for good inside Hypothesis in the full run (CI stopped at 90 min).
settings.register_profile(
    "conformance", max_examples=EXAMPLES, deadline=None, derandomize=False,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much])
PROFILE = settings.get_profile("conformance")

CPYTHON_ERRORS = (ZeroDivisionError, IndexError, ValueError)


def load_cases() -> ModuleType:
    """The module of conformance cases."""
    from . import conformance_cases

    return conformance_cases


def expr_of(spec: Any) -> ir.Expr:
    """``X`` of a spec whose one clause is ``out == X``."""
    (clause,) = spec.ir.clauses
    e = clause.expr
    assert isinstance(e, ir.Compare), e
    assert e.ops == ("==",)
    return e.operands[1]


# --- the three ways of evaluating ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """What one way of evaluating an expression gave: it raised, or it returned ``value``."""

    raised: bool
    value: Any = None


def cpython(ref: Any, inputs: Mapping[str, Any]) -> Evaluation:
    """Run the reference function itself."""
    try:
        return Evaluation(False, ref(**inputs))
    except CPYTHON_ERRORS:
        return Evaluation(True)


def evaluator(e: ir.Expr, inputs: Mapping[str, Any]) -> Evaluation:
    try:
        return Evaluation(False, evaluate(e, inputs))
    except Undefined:
        return Evaluation(True)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (True is not 1)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# --- symbolic inputs pinned to concrete values ----------------------------------------------


class Pins:
    """Builds solver variables for inputs, and the equalities that pin them."""

    def __init__(self) -> None:
        self.pins: list[T.Term] = []

    def value(self, name: str, v: Any, t: ir.Type) -> Value:
        match t:
            case ir.Scalar(name="int") | ir.EnumT():
                x = T.var(name, T.Sort.INT)
                c = list(type(v)).index(v) if isinstance(v, enum.Enum) else v
                self.pins.append(T.eq(x, T.int_const(c)))
                return x
            case ir.Scalar(name="bool"):
                x = T.var(name, T.Sort.BOOL)
                self.pins.append(T.eq(x, T.bool_const(v)))
                return x
            case ir.Scalar(name="str"):
                x = T.var(name, T.Sort.STRING)
                self.pins.append(T.eq(x, T.str_const(v)))
                return x
            case ir.ListT(elem=elem):
                # One slot more than the list has, guarded by a length variable:
                # the unpinned extra slot must not change any result.
                length = T.var(f"{name}#len", T.Sort.INT)
                self.pins.append(T.eq(length, T.int_const(len(v))))
                slots = []
                for i in range(len(v) + 1):
                    item = (self.value(f"{name}[{i}]", v[i], elem) if i < len(v)
                            else self.free(f"{name}[{i}]", elem))
                    slots.append((T.lt(T.int_const(i), length), item))
                return SymList(tuple(slots), True, length)
            case ir.TupleT(items=items):
                return tuple(self.value(f"{name}[{i}]", x, it)
                             for i, (x, it) in enumerate(zip(v, items, strict=True)))
            case ir.RecordT(cls=cls, fields=fields):
                return RecordVal(cls, tuple((f, self.value(f"{name}.{f}", getattr(v, f), ft))
                                            for f, ft in fields))
        raise AssertionError(t)

    def free(self, name: str, t: ir.Type) -> Value:
        sort = {ir.INT: T.Sort.INT, ir.BOOL: T.Sort.BOOL, ir.STR: T.Sort.STRING}.get(t)  # type: ignore[call-overload]
        if sort is None:
            if isinstance(t, ir.EnumT):
                return T.var(name, T.Sort.INT)
            raise AssertionError(t)
        return T.var(name, sort)


def mismatch(value: Value, err: T.Term, expected: Evaluation, t: ir.Type) -> T.Term:
    """True where the encoding's outcome differs from CPython's."""
    if expected.raised:
        return T.not_(err)
    return T.or_(err, T.not_(identical(value, lift(expected.value, t))))


# --- the solvers ----------------------------------------------------------------------------


#: Milliseconds one solver check may take.
CHECK_MS = 20_000


class Solvers:
    """A fresh z3 solver for each check, and one cvc5 solver reused across examples with push/pop.

    z3 gets a fresh solver because after a ``push`` it runs its incremental core, without the
    preprocessing that substitutes the pinned inputs: pinned lists of strings that are prefixes of one
    another, sorted, took it 18 s or timed out there, and no time at all in a fresh solver (the kernel
    asks each question of a fresh solver too).

    Each check is limited to :data:`CHECK_MS`: a query a solver cannot answer in it is "unknown", which
    fails the case that asked (a hang would stop the whole suite instead).
    """

    def __init__(self) -> None:
        self.tm = cvc5.TermManager()
        self.cvc5 = cvc5.Solver(self.tm)
        self.cvc5.setOption("incremental", "true")
        self.cvc5.setOption("tlimit-per", str(CHECK_MS))
        self.cvc5.setLogic("ALL")

    def z3_check(self, *assertions: T.Term) -> str:
        solver = z3.Solver()
        solver.set("timeout", CHECK_MS)
        for a in assertions:
            solver.add(smt.to_z3(a))
        return str(solver.check())

    def cvc5_check(self, *assertions: T.Term) -> str:
        self.cvc5.push()
        try:
            for a in assertions:
                self.cvc5.assertFormula(smt.to_cvc5(self.tm, a))
            r = self.cvc5.checkSat()
            return "sat" if r.isSat() else ("unsat" if r.isUnsat() else "unknown")
        finally:
            self.cvc5.pop()


def check_case(case: Any, inputs: Mapping[str, Any], solvers: Solvers) -> None:
    """CPython, the evaluator, z3 and cvc5 must agree on ``case`` at ``inputs``."""
    e = expr_of(case.spec)
    expected = cpython(case.ref, inputs)
    got = evaluator(e, inputs)
    assert got.raised == expected.raised, f"evaluator: raised={got.raised}, CPython: {expected}"
    if not expected.raised:
        assert same(got.value, expected.value), f"evaluator: {got.value!r}, CPython: {expected.value!r}"

    types = dict(case.spec.ir.params)
    pins = Pins()
    env = {n: pins.value(n, v, types[n]) for n, v in inputs.items()}
    bounds = {n: (v - 3, v + 2) for n, v in inputs.items() if case.bounded and isinstance(v, int)}
    value, err = encode_expr(e, env, bounds)
    bad = mismatch(value, err, expected, e.type)
    pinned = T.and_(*pins.pins)
    assert pinned.op != "const", "the inputs folded away: the solver would not evaluate anything"
    for name, check in (("z3", solvers.z3_check), ("cvc5", solvers.cvc5_check)):
        assert check(pinned) == "sat", f"{name}: the pins alone are not satisfiable"
        answer = check(pinned, bad)
        assert answer == "unsat", (f"{name} ({answer}): the translation can differ from CPython "
                                   f"({expected}) at {dict(inputs)!r}")
