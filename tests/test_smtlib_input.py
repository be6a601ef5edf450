"""SMT-LIB hygiene: text that is not a plain obligation is refused, with the command and where it is."""

from __future__ import annotations

import pytest
from assay.specs import load
from assay.specs.obligations import claim_query
from assay.specs.smtlib_hygiene import DEFAULT_MAX_BYTES, SmtlibRefused, check_smtlib

from .paths import OK
from .test_library import PUZZLE, SOLUTION

HEAD = "(set-logic ALL)\n(declare-fun |x| () Int)\n"


def refusal(text: str, **kw: int) -> SmtlibRefused:
    with pytest.raises(SmtlibRefused) as info:
        check_smtlib(text, **kw)
    return info.value


REFUSED = [
    pytest.param(HEAD + "(assert (> |x| 0))\n(exit)\n(check-sat)\n",
                 "line 4, column 1: (exit) is not allowed: it would end the solver before it answers",
                 id="exit"),
    pytest.param(HEAD + "(set-option :timeout 1)\n(assert (> |x| 0))\n(check-sat)\n",
                 "line 3, column 1: (set-option ...) is not allowed: solver options are set by the runner, "
                 "never by the obligation (they change what the answer means or how long it may take)",
                 id="set-option"),
    pytest.param(HEAD + "  (push 1)\n", "line 3, column 3: (push ...) is not allowed: an obligation is one "
                 "question: no push, pop or reset", id="push"),
    pytest.param(HEAD + "(pop 1)\n", "line 3, column 1: (pop ...) is not allowed: an obligation is one "
                 "question: no push, pop or reset", id="pop"),
    pytest.param(HEAD + "(reset)\n", "line 3, column 1: (reset) is not allowed: an obligation is one "
                 "question: no push, pop or reset", id="reset"),
    pytest.param(HEAD + '(echo "unsat")\n', "line 3, column 1: (echo ...) is not allowed: it prints text that "
                 "could be taken for the solver's answer", id="echo"),
    pytest.param(HEAD + "(declare-datatypes ((C 0)) (((red) (blue))))\n", "line 3, column 1: "
                 "(declare-datatypes ...) is not allowed: an obligation may only use set-logic, set-info, "
                 "declare-sort, declare-fun, declare-const, define-fun, assert, check-sat, get-model, get-value",
                 id="other-command"),
    pytest.param(HEAD + "(declare-sort L 1)\n", "line 3, column 1: (declare-sort L 1) is malformed: expected "
                 "(declare-sort NAME 0) (sorts with parameters are not supported)", id="parametric-sort"),
    pytest.param(HEAD + "(declare-fun p (U) Bool)\n", "line 3, column 1: (declare-fun p (U) Bool) uses the sort "
                 "U: assay's obligations are over Bool, Int, String only (unsupported theory)",
                 id="undeclared-sort"),
    pytest.param(HEAD + "(assert (> |x| 0)))\n", "line 3, column 19: unexpected ')' with no '(' open",
                 id="extra-close"),
    pytest.param(HEAD + "(assert (> |x|\n  0)\n(check-sat)\n",
                 "line 3, column 1: '(' is never closed (the input ends first)", id="unclosed"),
    pytest.param(HEAD + '(assert (= "a"" |x|))\n', "line 3, column 12: a string literal is never closed",
                 id="unclosed-string"),
    pytest.param(HEAD + "(assert (> |x 0))\n", "line 3, column 12: a quoted symbol is never closed",
                 id="unclosed-symbol"),
    pytest.param(HEAD + "(declare-fun r () Real)\n", "line 3, column 1: (declare-fun r () Real) uses the sort "
                 "Real: assay's obligations are over Bool, Int, String only (unsupported theory)", id="real"),
    pytest.param(HEAD + "(declare-const f (_ FloatingPoint 8 24))\n", "line 3, column 1: (declare-const f (_ "
                 "FloatingPoint 8 24)) uses the sort (_ FloatingPoint 8 24): assay's obligations are over "
                 "Bool, Int, String only (unsupported theory)", id="float"),
    pytest.param(HEAD + "(declare-fun a () (Array Int Int))\n", "line 3, column 1: (declare-fun a () (Array "
                 "Int Int)) uses the sort (Array Int Int): assay's obligations are over Bool, Int, String only "
                 "(unsupported theory)", id="array"),
    pytest.param(HEAD + "(declare-fun g (Real) Int)\n", "line 3, column 1: (declare-fun g (Real) Int) uses "
                 "the sort Real: assay's obligations are over Bool, Int, String only (unsupported theory)",
                 id="real-argument"),
    pytest.param(HEAD + "(assert (> (to_real |x|) 0))\n", "line 3, column 13: to_real is not an operator of "
                 "the Int, Bool or String theories nor a declared function (in (assert (> (to_real |x|) 0))): "
                 "unsupported theory", id="real-operator"),
    pytest.param(HEAD + "(assert (> |x| 0.5))\n", "line 3, column 16: the decimal 0.5 is a Real (in (assert "
                 "(> |x| 0.5))): unsupported theory", id="decimal"),
    pytest.param(HEAD + "(assert (= #x0F #x0F))\n", "line 3, column 12: the bit-vector literal #x0F (in "
                 "(assert (= #x0F #x0F))): unsupported theory", id="bitvector"),
    pytest.param("(set-logic QF_FP)\n", "line 1, column 1: (set-logic QF_FP) names a logic outside Int, Bool "
                 "and String (allowed: ALL, IDL, LIA, NIA, QF_IDL, QF_LIA, QF_NIA, QF_S, QF_SLIA, QF_SNIA, "
                 "QF_UF, QF_UFIDL, QF_UFLIA, QF_UFNIA, UF, UFLIA, UFNIA)", id="logic"),
    pytest.param(HEAD + "(check-sat)\n(assert false)\n(check-sat)\n", "line 4, column 1: (assert ...) comes "
                 "after (check-sat): an obligation asks one question, last", id="two-questions"),
    pytest.param(HEAD + "(set-info :print-success true)\n", "line 3, column 1: (set-info :print-success true) "
                 "is not allowed: only :category, :license, :notes, :smt-lib-version, :source, :status may be "
                 "set", id="set-info"),
    pytest.param(HEAD + "exit\n", "line 3, column 1: exit is not a command (a command is a parenthesised list)",
                 id="bare-atom"),
    pytest.param(HEAD + "(assert (> |x| 0\x00))\n", "line 3, column 17: unexpected character '\\x00' (U+0000)",
                 id="nul"),
    pytest.param(HEAD + '(assert (= "a\nb\x07" "c"))\n', "line 4, column 2: unexpected control character "
                 "U+0007", id="control-in-string"),
    pytest.param(HEAD + "(declare-fun y Int)\n", "line 3, column 1: (declare-fun y Int) is malformed: expected "
                 "(declare-fun NAME (SORT*) SORT)", id="malformed-declare"),
]


@pytest.mark.parametrize(("text", "message"), REFUSED)
def test_refused_with_the_whole_message(text: str, message: str) -> None:
    exc = refusal(text)
    assert str(exc) == f"refused SMT-LIB: {message}"
    assert isinstance(exc, ValueError)


def test_refusal_fields() -> None:
    exc = refusal(HEAD + "(assert true)\n\n   (exit)\n")
    assert (exc.command, exc.line, exc.column) == ("exit", 5, 4)
    assert exc.why == "(exit) is not allowed: it would end the solver before it answers"


def test_a_100_megabyte_input_is_refused_before_it_is_read() -> None:
    big = "(assert " + "(not " * (50 * 1024 * 1024) + "true" + ")" * (50 * 1024 * 1024 + 1)
    exc = refusal(big)
    assert str(exc) == f"refused SMT-LIB: the input is {len(big)} bytes, over the limit of {DEFAULT_MAX_BYTES} bytes"
    assert (exc.line, exc.column) == (0, 0)


def test_the_size_cap_is_configurable_and_counts_utf8_bytes() -> None:
    text = HEAD + '(assert (= "\u00e9" "\u00e9"))\n'
    check_smtlib(text, max_bytes=len(text) + 2)
    exc = refusal(text, max_bytes=len(text) + 1)
    assert str(exc) == f"refused SMT-LIB: the input is {len(text) + 2} bytes, over the limit of {len(text) + 1} bytes"


def test_plain_obligations_pass() -> None:
    text = """; a comment (exit)
(set-logic ALL)
(set-info :status unsat)
(declare-fun |a[0]| () Int)
(declare-const s String)
(define-fun |%t0| () Int (+ |a[0]| 1))
(define-fun f ((y Int)) Bool (> y 0))
(assert (let ((y 3)) (and (f y) (> |%t0| (- 3)) (= s "say ""(exit)"" ;")
  (str.in_re s (re.* (str.to_re (_ char #x41)))))))
(assert (forall ((z Int)) (! (>= (* z z) 0) :named nonneg)))
(assert (|f| |a[0]|))
(check-sat)
(get-value (|a[0]| s))
(get-model)
"""
    script = check_smtlib(text)
    assert script.logic == "ALL"
    assert script.commands == ("set-logic", "set-info", "declare-fun", "declare-const", "define-fun", "define-fun",
                               "assert", "assert", "assert", "check-sat", "get-value", "get-model")
    assert script.declared == {"a[0]": "Int", "s": "String", "%t0": "Int", "f": "Bool"}


def test_deep_nesting_costs_no_python_stack() -> None:
    depth = 200_000
    check_smtlib(HEAD + "(assert " + "(not " * depth + "true" + ")" * depth + ")\n")


@pytest.mark.parametrize(("ref", "givens", "claim", "proposal"), [
    (f"{OK}:strings", {"prefix": 'a"\\b\u00e9\n'}, "any-solution", None),
    (f"{OK}:knapsack", {"weights": [3, 4, 5, 6], "values": [4, 5, 6, 8], "capacity": 10}, "optimal",
     [True, True, False, False]),
    ("assay.specs.library.sudoku:sudoku", {"puzzle": PUZZLE}, "unique", SOLUTION),
])
def test_every_query_assay_writes_passes(ref: str, givens: dict[str, object], claim: str, proposal: object) -> None:
    spec = load(ref)
    value = None if proposal is None else spec.decode_proposal(proposal)
    check_smtlib(claim_query(claim, spec, spec.decode_givens(givens), value).smtlib())
