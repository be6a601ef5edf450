"""Backends for :mod:`.terms`: z3's and cvc5's Python APIs, SMT-LIB2 text, and model reading.

Strings cross every boundary as code points, never as escaped text: z3's
``StringVal`` leaves backslashes unescaped (so ``"\\\\u{41}"`` would become
``"A"``) and mangles code points above U+2FFFF, and its ``as_string()`` is
ambiguous; here z3 strings are built with ``Z3_mk_u32string`` and read with
``Z3_get_string_contents``; cvc5 strings with ``mkString`` over the
``\\u{...}`` escapes of every character that is not printable ASCII (cvc5
rejects raw NUL and mis-decodes raw non-ASCII) and read with
``getStringValue``.  In SMT-LIB text every character outside printable ASCII,
and the backslash and the double quote, is written as ``\\u{...}``.  Code points above
U+2FFFF are refused with :class:`~.terms.Unsupported` when a constant is made.
"""

from __future__ import annotations

import ctypes
import decimal
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from .terms import Sort, Term, Unsupported, check_alphabet, subterms, variables

__all__ = [
    "Unsupported",
    "cvc5_model_values",
    "cvc5_value",
    "smtlib_string",
    "smtlib_symbol",
    "to_cvc5",
    "to_smtlib",
    "to_z3",
    "z3_model_values",
    "z3_string",
    "z3_string_value",
    "z3_value",
]

# --- z3 -------------------------------------------------------------------------


def z3_string(s: str, ctx: Any = None) -> Any:
    """A z3 String constant holding exactly the code points of ``s``."""
    import z3

    check_alphabet(s)
    ctx = z3.get_ctx(ctx) if ctx is not None else z3.main_ctx()
    arr = (ctypes.c_uint * max(1, len(s)))(*[ord(c) for c in s])
    return z3.SeqRef(z3.Z3_mk_u32string(ctx.ref(), len(s), arr), ctx)


def z3_string_value(e: Any) -> str:
    """The exact Python string of a z3 String literal."""
    import z3

    ctx = e.ctx
    n = z3.Z3_get_string_length(ctx.ref(), e.as_ast())
    buf = (ctypes.c_uint * max(1, n))()
    z3.Z3_get_string_contents(ctx.ref(), e.as_ast(), n, buf)
    return "".join(chr(buf[i]) for i in range(n))


def to_z3(term: Term, ctx: Any = None, cache: dict[int, Any] | None = None) -> Any:
    """Translate ``term`` to a z3 expression (variables are z3 constants named as in the term).

    ``cache`` (id of term -> z3 expression) may be shared between calls over one context.
    """
    import z3

    ctx = ctx if ctx is not None else z3.main_ctx()
    memo: dict[int, Any] = {} if cache is None else cache
    for t in subterms(term):
        if id(t) in memo:
            continue
        memo[id(t)] = _z3_node(z3, ctx, t, [memo[id(a)] for a in t.args])
    return memo[id(term)]


def _z3_sort(z3: Any, ctx: Any, sort: Sort) -> Any:
    if sort is Sort.INT:
        return z3.IntSort(ctx)
    if sort is Sort.BOOL:
        return z3.BoolSort(ctx)
    return z3.StringSort(ctx)


def _z3_node(z3: Any, ctx: Any, t: Term, a: list[Any]) -> Any:
    op = t.op
    if op == "const":
        if t.sort is Sort.BOOL:
            return z3.BoolVal(bool(t.payload), ctx)
        if t.sort is Sort.INT:
            return z3.IntVal(decimal_text(int(t.payload)), ctx)  # type: ignore[arg-type]
        return z3_string(str(t.payload), ctx)
    if op == "var":
        return z3.Const(str(t.payload), _z3_sort(z3, ctx, t.sort))
    simple: dict[str, Any] = {
        "and": lambda: z3.And(*a), "or": lambda: z3.Or(*a), "not": lambda: z3.Not(a[0]),
        "=>": lambda: z3.Implies(a[0], a[1]), "ite": lambda: z3.If(a[0], a[1], a[2]),
        "=": lambda: a[0] == a[1], "distinct": lambda: z3.Distinct(*a),
        "<": lambda: a[0] < a[1], "<=": lambda: a[0] <= a[1],
        ">": lambda: a[0] > a[1], ">=": lambda: a[0] >= a[1],
        "+": lambda: z3.Sum(*a), "*": lambda: z3.Product(*a),
        "-": lambda: -a[0] if len(a) == 1 else a[0] - a[1],
        # z3's `/` and `%` on Int are SMT-LIB div and mod.
        "div": lambda: a[0] / a[1], "mod": lambda: a[0] % a[1], "abs": lambda: z3.Abs(a[0]),
        "str.++": lambda: z3.Concat(*a), "str.len": lambda: z3.Length(a[0]),
        "str.at": lambda: a[0].at(a[1]),
        "str.prefixof": lambda: z3.PrefixOf(a[0], a[1]),
        "str.suffixof": lambda: z3.SuffixOf(a[0], a[1]),
        "str.contains": lambda: z3.Contains(a[0], a[1]),
        "str.<": lambda: a[0] < a[1], "str.<=": lambda: a[0] <= a[1],
    }
    return simple[op]()


def z3_value(e: Any) -> int | bool | str:
    """The Python value of a z3 literal (Int, Bool or String)."""
    import z3

    if z3.is_bool(e):
        if z3.is_true(e):
            return True
        if z3.is_false(e):
            return False
        raise ValueError(f"not a Bool literal: {e}")
    if z3.is_int_value(e):
        return int(e.as_long())
    if z3.is_string_value(e):
        return z3_string_value(e)
    raise ValueError(f"not a literal: {e}")


def z3_model_values(model: Any, names: Mapping[str, Sort]) -> dict[str, int | bool | str]:
    """Read ``names`` (a declared variables map) from a z3 model, completing missing ones."""
    import z3

    ctx = model.ctx
    return {n: z3_value(model.eval(z3.Const(n, _z3_sort(z3, ctx, s)), model_completion=True))
            for n, s in names.items()}


# --- cvc5 -----------------------------------------------------------------------

# Per TermManager: its variables by name, so that every translation over one
# manager shares them.  Keyed by id(), with the manager itself kept alive.
_CVC5_SYMBOLS: dict[int, tuple[Any, dict[str, Any]]] = {}


def _cvc5_symbols(tm: Any) -> dict[str, Any]:
    entry = _CVC5_SYMBOLS.get(id(tm))
    if entry is None or entry[0] is not tm:
        if len(_CVC5_SYMBOLS) > 64:
            _CVC5_SYMBOLS.clear()
        entry = (tm, {})
        _CVC5_SYMBOLS[id(tm)] = entry
    return entry[1]


def _cvc5_sort(tm: Any, sort: Sort) -> Any:
    if sort is Sort.INT:
        return tm.getIntegerSort()
    if sort is Sort.BOOL:
        return tm.getBooleanSort()
    return tm.getStringSort()


def to_cvc5(tm: Any, term: Term, symbols: dict[str, Any] | None = None,
            cache: dict[int, Any] | None = None) -> Any:
    """Translate ``term`` to a cvc5 term over the ``cvc5.TermManager`` ``tm``.

    ``symbols`` (name -> cvc5 constant) fixes what each variable is; without
    it, one table per term manager is used, so repeated calls share variables.
    Pass the symbols of a parsed SMT-LIB script to relate terms to it.
    """
    import cvc5

    syms = _cvc5_symbols(tm) if symbols is None else symbols
    memo: dict[int, Any] = {} if cache is None else cache
    k = cvc5.Kind
    kinds: dict[str, Any] = {
        "and": k.AND, "or": k.OR, "not": k.NOT, "=>": k.IMPLIES, "ite": k.ITE, "=": k.EQUAL,
        "distinct": k.DISTINCT, "<": k.LT, "<=": k.LEQ, ">": k.GT, ">=": k.GEQ, "+": k.ADD,
        "*": k.MULT, "div": k.INTS_DIVISION, "mod": k.INTS_MODULUS, "abs": k.ABS,
        "str.++": k.STRING_CONCAT, "str.len": k.STRING_LENGTH, "str.at": k.STRING_CHARAT,
        "str.prefixof": k.STRING_PREFIX, "str.suffixof": k.STRING_SUFFIX,
        "str.contains": k.STRING_CONTAINS, "str.<": k.STRING_LT, "str.<=": k.STRING_LEQ,
    }
    for t in subterms(term):
        if id(t) in memo:
            continue
        if t.op == "const":
            if t.sort is Sort.BOOL:
                out = tm.mkBoolean(bool(t.payload))
            elif t.sort is Sort.INT:
                out = tm.mkInteger(decimal_text(int(t.payload)))  # type: ignore[arg-type]
            else:
                # cvc5 refuses raw non-ASCII and NUL; its \\u{...} escapes are exact.
                out = tm.mkString(smtlib_string(str(t.payload))[1:-1], True)
        elif t.op == "var":
            name = str(t.payload)
            out = syms.get(name)
            if out is None:
                out = tm.mkConst(_cvc5_sort(tm, t.sort), name)
                syms[name] = out
            elif out.getSort() != _cvc5_sort(tm, t.sort):
                raise TypeError(f"variable {name!r} is {out.getSort()} in this term manager, "
                                f"used here as {t.sort.value}")
        else:
            args = [memo[id(a)] for a in t.args]
            if t.op == "-":
                out = tm.mkTerm(k.NEG if len(args) == 1 else k.SUB, *args)
            elif t.op in ("and", "or", "+", "*", "str.++") and len(args) == 1:
                out = args[0]
            else:
                out = tm.mkTerm(kinds[t.op], *args)
        memo[id(t)] = out
    return memo[id(term)]


_DEFAULTS: dict[Sort, int | bool | str] = {Sort.INT: 0, Sort.BOOL: False, Sort.STRING: ""}


def cvc5_value(v: Any) -> int | bool | str:
    """The Python value of a cvc5 value term (Int, Bool or String)."""
    if v.isBooleanValue():
        return bool(v.getBooleanValue())
    if v.isIntegerValue():
        return int(v.getIntegerValue())
    if v.isStringValue():
        return str(v.getStringValue())
    raise ValueError(f"not a literal: {v}")


def cvc5_model_values(solver: Any, tm: Any, names: Mapping[str, Sort],
                      symbols: dict[str, Any] | None = None) -> dict[str, int | bool | str]:
    """Read ``names`` from the current cvc5 model (after a ``sat`` answer)."""
    syms = _cvc5_symbols(tm) if symbols is None else symbols
    out: dict[str, int | bool | str] = {}
    for n, s in names.items():
        c = syms.get(n)
        if c is None:  # never used in an assertion: any value of its sort will do
            out[n] = _DEFAULTS[s]
            continue
        out[n] = cvc5_value(solver.getValue(c))
    return out


# --- SMT-LIB2 text --------------------------------------------------------------


def smtlib_string(s: str) -> str:
    """An SMT-LIB 2.6 string literal denoting exactly ``s``."""
    check_alphabet(s)
    out = []
    for ch in s:
        c = ord(ch)
        if 0x20 <= c < 0x7F and ch not in '\\"':
            out.append(ch)
        else:
            out.append(f"\\u{{{c:x}}}")
    return '"' + "".join(out) + '"'


def smtlib_symbol(name: str) -> str:
    """``name`` as an SMT-LIB quoted symbol."""
    if "|" in name or "\\" in name:
        raise Unsupported(f"the name {name!r} cannot be an SMT-LIB symbol (it has | or \\)")
    return f"|{name}|"


def _smtlib_int(n: int) -> str:
    return decimal_text(n) if n >= 0 else f"(- {decimal_text(-n)})"


def decimal_text(n: int) -> str:
    """``n`` in decimal, exactly, at any size.

    ``str(n)`` refuses ints over 4,300 digits (Python's guard against slow
    conversions of untrusted text); an SMT-LIB numeral has no such limit, and
    a query can need one: the objective of a 2,500-digit proposal squared.
    ``decimal`` converts without the limit (in time quadratic in the digits,
    as ``str`` would).
    """
    try:
        return str(n)
    except ValueError:
        return str(decimal.Decimal(n))


def to_smtlib(assertions: Term | Iterable[Term], *, logic: str = "ALL",
              check_sat: bool = True, declare: Mapping[str, Sort] | None = None) -> str:
    """An SMT-LIB2 script: ``set-logic``, declarations, the assertions, ``check-sat``.

    Subterms used more than once are named with ``define-fun`` so the text
    stays linear in the size of the term DAG.  ``declare`` adds declarations
    (a spec's variables) beyond those the assertions use.
    """
    roots = [assertions] if isinstance(assertions, Term) else list(assertions)
    uses: Counter[int] = Counter()
    order = list(subterms(*roots))
    for t in order:
        for a in t.args:
            uses[id(a)] += 1
    names: dict[int, str] = {}
    lines = [f"(set-logic {logic})"]
    decls = dict(declare or {})
    for n, s in variables(*roots).items():
        decls.setdefault(n, s)
    lines.extend(f"(declare-fun {smtlib_symbol(n)} () {s.value})" for n, s in decls.items())

    def show(t: Term) -> str:
        if id(t) in names:
            return names[id(t)]
        if t.op == "const":
            if t.sort is Sort.BOOL:
                return "true" if t.payload else "false"
            if t.sort is Sort.INT:
                return _smtlib_int(int(t.payload))  # type: ignore[arg-type]
            return smtlib_string(str(t.payload))
        if t.op == "var":
            return smtlib_symbol(str(t.payload))
        return "(" + " ".join([t.op, *(show(a) for a in t.args)]) + ")"

    for t in order:
        if t.args and uses[id(t)] > 1:
            text = show(t)
            name = f"|%t{len(names)}|"  # `%` is never in a variable name
            lines.append(f"(define-fun {name} () {t.sort.value} {text})")
            names[id(t)] = name
    lines.extend(f"(assert {show(r)})" for r in roots)
    if check_sat:
        lines.append("(check-sat)")
    return "\n".join(lines) + "\n"
