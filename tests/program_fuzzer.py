"""A differential fuzzer of whole program proofs: random programs, judged by CPython brute force.

Each case is a pair of programs written from one seed by a grammar over the
program subset (:mod:`assay.specs.program`): ints, lists of ints and strings
over a small alphabet; assignments, augmented assignments, tuple unpacking,
``if``/``elif``/``else``, ``for`` over ``range`` / lists / strings /
``enumerate`` / ``zip`` / ``reversed`` / ``sorted`` / ``str.split``,
``while`` with a counter, ``break`` / ``continue`` / ``return`` / ``raise`` /
``assert`` inside them; list ``append`` / ``insert`` / ``pop`` / ``extend``
and item assignment; indexing and slicing with negative and stepped (also
zero) steps; ``in``, comparisons, ``+``, ``//`` and ``%`` by divisors that may
be zero or negative; ``len`` / ``sum`` / ``min`` / ``max`` / ``abs`` /
``sorted`` / ``any`` / ``all``, comprehensions, string methods, ``str(int)``,
``int(str)``, ``ord`` / ``chr``.

* the *reference* R is the spec's helper ``ref``; the spec is
  ``@spec(program="f") def fuzzed(<inputs>, out) -> bool: return out == ref(<inputs>)``
  over domains small enough to enumerate (ints -3..3, lists of at most 2 or
  3 of them, strings of at most 2 or 3 over ``"ab1 "``);
* the *candidate* M is R again, generated from the same seed with one site
  changed: not at all (``same``), in a way that keeps its meaning
  (``rewrite``: operands of ``+``/``*``/a comparison swapped, ``+ 0``,
  locals renamed), in a way that usually changes it (``mutant``: an
  operator, a constant, a comparison, a loop bound, an index, a method, a
  variable, ``break`` for ``continue``, a removed statement), or wrapped in
  a ``try`` that catches nothing it raises (``outside``: outside the subset,
  so the kernel can only search).  Mutating while generating (the same
  random draws, one site emitting something else) keeps every mutant
  well-typed.

The oracle runs R and M on every input of the bound **in the sandbox**
(:func:`assay.kernel.sandbox.run_calls`; generated text never runs in this
process, although the kernel itself runs the spec module's ``ref`` as it runs
any spec's own code).  M *fails* on an input when

* M raises, does not finish, or returns something not of the output's type
  (``bool`` is no ``int``: the output's domain refuses it), or
* R raises there: the postcondition ``out == ref(...)`` then raises, and
  :meth:`assay.specs.spec.Spec.holds` makes a raising spec false, so *no*
  output meets the spec on that input (check_program's ``_judged`` refutes a
  program that returns there), or
* M's value differs from R's (``!=``, as the spec's ``==`` compares them).

``check_program(spec, M)`` must agree with it: ACCEPTED only when M fails on
no input; a REFUTED witness an input of the bound on which M fails, with the
output or exception CPython gives there; no VACUOUS (there is no
precondition), no MALFORMED (M parses); no crash.  UNKNOWN is allowed and
counted, by reason.  The judge is a parameter, so a lying one (the tests'
"everything is ACCEPTED") is caught by the same comparison.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import re
import signal
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- types and input domains ------------------------------------------------------------------------------

INT, BOOL, STR, LIST, WORDS = "int", "bool", "str", "list", "words"  # WORDS: list[str], never an input/output
ALPHABET = "ab1 "
LO, HI = -3, 3
OUTPUT_ANN = {INT: "int", BOOL: "bool", STR: "str", LIST: "list[int]"}


@dataclass(frozen=True)
class Dom:
    """An input's domain: an int of LO..HI, a list of at most ``max_len`` of them, or a string over ALPHABET."""

    ty: str
    max_len: int = 0

    def ann(self) -> str:
        small = f"Annotated[int, Between({LO}, {HI})]"
        if self.ty == INT:
            return small
        if self.ty == LIST:
            return f"Annotated[list[{small}], MaxLen({self.max_len})]"
        return f"Annotated[str, MaxLen({self.max_len}), Alphabet({ALPHABET!r})]"

    def values(self) -> list[Any]:
        if self.ty == INT:
            return list(range(LO, HI + 1))
        items: list[Any] = list(range(LO, HI + 1)) if self.ty == LIST else list(ALPHABET)
        out: list[Any] = []
        for n in range(self.max_len + 1):
            for combo in itertools.product(items, repeat=n):
                out.append(list(combo) if self.ty == LIST else "".join(combo))
        return out

    def size(self) -> int:
        base = HI - LO + 1 if self.ty != STR else len(ALPHABET)
        return base if self.ty == INT else sum(base ** n for n in range(self.max_len + 1))


def fits(ty: str, value: Any) -> bool:
    """Whether ``value`` (as the sandbox returns it) lies in the output's domain of type ``ty``."""
    if ty == INT:
        return type(value) is int
    if ty == BOOL:
        return type(value) is bool
    if ty == STR:
        return type(value) is str
    return type(value) is list and all(type(v) is int for v in value)


# --- the grammar ---------------------------------------------------------------------------------------


@dataclass
class Scope:
    """What a point of the program can see: names by type, and what they may be used for."""

    names: dict[str, str]
    small: set[str]  # int names whose values stay within a few units (params, loop indices): loop bounds
    assignable: set[str]  # locals that statements may assign (params and loop variables are read-only here)
    lists: set[str]  # list locals that hold a fresh list of their own: these may be mutated
    frozen: set[str] = field(default_factory=set)  # lists being iterated by an enclosing loop: not mutated
    loops: int = 0  # how many loops enclose this point

    def child(self, *, loop: bool = False) -> Scope:
        return Scope(dict(self.names), set(self.small), set(self.assignable), set(self.lists), set(self.frozen),
                     self.loops + loop)

    def of(self, ty: str) -> list[str]:
        return [n for n, t in self.names.items() if t == ty]


PARAM_NAMES = {INT: ("n", "m"), LIST: ("xs", "ys"), STR: ("s", "t")}
SEPARATORS = ("a", "1", " ")


class Generator:
    """Writes one program from a seed; with ``site`` set, the same program with that one site changed.

    Every random choice of the program comes from ``rng``; a changed site
    draws its change from ``mrng`` only, so the rest of the program is the
    same text.  ``sites`` counts the sites a run passed (a first run with no
    change says how many there are).
    """

    def __init__(self, seed: int, *, site: int = 0, equivalent: bool = False) -> None:
        self.rng = random.Random(seed)
        self.mrng = random.Random(seed * 7919 + site)
        self.site_at = site
        self.equivalent = equivalent
        self.sites = 0
        self.fresh = 0
        self.changed = ""  # what the changed site became, in words

    # -- small choices ------------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: Any) -> Any:
        return self.rng.choice(list(options))

    def name(self, prefix: str) -> str:
        self.fresh += 1
        return f"{prefix}{self.fresh}"

    def here(self, kind: str) -> bool:
        """A site of ``kind``: True when this is the one to change."""
        self.sites += 1
        if self.sites == self.site_at:
            self.changed = kind
            return True
        return False

    # -- the program --------------------------------------------------------------------------------

    def signature(self) -> tuple[list[tuple[str, Dom]], str]:
        r = self.rng
        while True:
            count = r.choice((1, 1, 2, 2, 2))
            doms: list[Dom] = []
            for _ in range(count):
                ty = r.choice((INT, LIST, LIST, STR))
                doms.append(Dom(ty, r.choice((2, 3)) if ty != INT else 0))
            total = 1
            for d in doms:
                total *= d.size()
            if total <= 3200:
                break
        used: Counter[str] = Counter()
        params = []
        for d in doms:
            params.append((PARAM_NAMES[d.ty][used[d.ty]], d))
            used[d.ty] += 1
        ret = r.choice((INT, INT, INT, BOOL, STR, STR, LIST, LIST))
        return params, ret

    def program(self, entry: str) -> tuple[list[tuple[str, Dom]], str, str]:
        """(parameters with their domains, the return type, the function's text)."""
        params, ret = self.signature()
        sc = Scope({n: d.ty for n, d in params}, {n for n, d in params if d.ty == INT}, set(), set())
        lines: list[str] = []
        for _ in range(self.rng.choice((1, 2, 2, 3))):
            lines += self.declare(sc)
        for _ in range(self.rng.choice((1, 2, 2, 3, 4))):
            lines += self.stmt(sc, 0, ret)
        mine = [n for n in sorted(sc.assignable) if sc.names[n] == ret]
        if mine and self.chance(0.5):
            lines.append(f"return {self.var(ret, sc) or mine[0]}")
        else:
            lines.append(f"return {self.expr(ret, sc, 2)}")
        body = "\n".join("    " + line for line in lines)
        return params, ret, f"def {entry}({', '.join(n for n, _ in params)}):\n{body}\n"

    def declare(self, sc: Scope) -> list[str]:
        ty = self.pick((INT, INT, LIST, LIST, STR))
        prefix = {INT: "a", LIST: "acc", STR: "w"}[ty]
        name = self.name(prefix)
        value = self.pick(("0", "1")) if ty == INT and self.chance(0.5) else (
            "[]" if ty == LIST and self.chance(0.25) else (
                '""' if ty == STR and self.chance(0.4) else self.expr(ty, sc, 1, fresh=True)))
        sc.names[name] = ty
        sc.assignable.add(name)
        if ty == LIST:
            sc.lists.add(name)
        return [f"{name} = {value}"]

    # -- statements ---------------------------------------------------------------------------------

    def block(self, sc: Scope, depth: int, ret: str, n: int | None = None) -> list[str]:
        lines: list[str] = []
        for _ in range(n if n is not None else self.pick((1, 1, 2, 2, 3))):
            lines += self.stmt(sc, depth, ret)
        return ["    " + line for line in lines] or ["    pass"]

    def stmt(self, sc: Scope, depth: int, ret: str) -> list[str]:
        r = self.rng
        kinds = ["assign", "assign", "aug", "aug", "if", "if", "for", "for", "mutate", "mutate", "unpack",
                 "return", "raise"]
        if depth < 2:
            kinds += ["for", "while", "if"]
        if sc.loops:
            kinds += ["exit", "exit", "exit"]
        if depth >= 2:
            kinds = [k for k in kinds if k not in ("if", "for", "while")] or ["assign"]
        kind = r.choice(kinds)
        before = set(sc.names)
        lines = self.stmt_of(kind, sc, depth, ret)
        # Only a statement that defines no name of this block may go (a loop's or a branch's stay inside it).
        if set(sc.names) == before and self.here("remove a statement") and not self.equivalent:
            return []
        return lines

    def stmt_of(self, kind: str, sc: Scope, depth: int, ret: str) -> list[str]:
        r = self.rng
        if kind == "assign":
            targets = sorted(sc.assignable)
            if not targets:
                return self.declare(sc)
            name = r.choice(targets)
            ty = sc.names[name]
            return [f"{name} = {self.expr(ty, sc, 2, fresh=ty == LIST)}"]
        if kind == "aug":
            targets = sorted(n for n in sc.assignable if sc.names[n] in (INT, STR, LIST) and n not in sc.frozen)
            if not targets:
                return self.stmt_of("assign", sc, depth, ret)
            name = r.choice(targets)
            ty = sc.names[name]
            if ty == INT:
                op = r.choice(("+=", "+=", "-=", "*=", "//=", "%="))
                return [f"{name} {self.binop_site(op[:-1], INT) + '='} {self.expr(INT, sc, 1)}"]
            return [f"{name} += {self.expr(ty, sc, 1)}"]
        if kind == "unpack":
            ty = r.choice((INT, INT, STR))
            targets = sorted(n for n in sc.assignable if sc.names[n] == ty)
            if len(targets) >= 2 and self.chance(0.5):
                a, b = r.sample(targets, 2)
                return [f"{a}, {b} = {b}, {a}"]
            if ty == INT and targets:
                a = r.choice(targets)
                b = self.name("a")
                num, den = self.expr(INT, sc, 1), self.divisor(sc)
                sc.names[b] = INT
                sc.assignable.add(b)
                return [f"{a}, {b} = {num} // {den}, {num} % {den}"]
            return self.stmt_of("assign", sc, depth, ret)
        if kind == "if":
            return self.if_stmt(sc, depth, ret)
        if kind == "for":
            return self.for_stmt(sc, depth, ret)
        if kind == "while":
            return self.while_stmt(sc, depth, ret)
        if kind == "mutate":
            return self.mutation(sc, depth, ret)
        if kind == "return":
            return [f"if {self.cond(sc, 1)}:", f"    return {self.expr(ret, sc, 1)}"]
        if kind == "raise":
            if self.chance(0.5):
                return [f"assert {self.cond(sc, 1)}"]
            return [f"if {self.cond(sc, 1)}:", "    raise ValueError('no')"]
        # exit: inside a loop
        word = r.choice(("break", "continue", "return"))
        if word == "return":
            return [f"if {self.cond(sc, 1)}:", f"    return {self.expr(ret, sc, 1)}"]
        if self.here("break <-> continue") and not self.equivalent:
            word = "continue" if word == "break" else "break"
        return [f"if {self.cond(sc, 1)}:", f"    {word}"]

    def if_stmt(self, sc: Scope, depth: int, ret: str) -> list[str]:
        test = self.cond(sc, 2)
        if self.here("negate a condition"):
            test = f"not ({test})"
        lines = [f"if {test}:", *self.block(sc.child(), depth + 1, ret)]
        shape = self.pick(("if", "else", "else", "elif"))
        if shape == "elif":
            lines += [f"elif {self.cond(sc, 1)}:", *self.block(sc.child(), depth + 1, ret)]
        if shape in ("else", "elif"):
            lines += ["else:", *self.block(sc.child(), depth + 1, ret)]
        return lines

    def for_stmt(self, sc: Scope, depth: int, ret: str) -> list[str]:
        r = self.rng
        inner = sc.child(loop=True)
        lists = sc.of(LIST)
        strs = sc.of(STR)
        kinds = ["range", "range", "range3"]
        if lists:
            kinds += ["list", "list", "enumerate", "reversed", "sorted"]
        if strs:
            kinds += ["str", "split"]
        if lists:  # zip(a list, a list or a str): two strs alone drew zip and then no list (IndexError)
            kinds += ["zip"]
        kind = r.choice(kinds)
        if kind in ("range", "range3"):
            i = self.name("i")
            inner.names[i] = INT
            inner.small.add(i)
            if kind == "range":
                bound = self.small_int(sc)
                if self.here("change a range bound"):
                    bound = f"{bound} {self.mrng.choice(('+', '-'))} 1"
                it = f"range({bound})"
            else:
                a, b = self.small_int(sc), self.small_int(sc)
                step = r.choice((1, -1, 2, -2))
                if self.here("change a range step"):
                    step = -step
                it = f"range({a}, {b}, {step})"
            head = f"for {i} in {it}:"
        elif kind in ("list", "reversed", "sorted"):
            xs = r.choice(lists)
            x = self.name("x")
            inner.names[x] = INT
            if xs not in sc.lists:
                inner.small.add(x)
            inner.frozen.add(xs)
            it = {"list": xs, "reversed": f"reversed({xs})", "sorted": f"sorted({xs})"}[kind]
            if self.here("iterate the other way"):
                it = f"reversed({xs})" if kind != "reversed" else xs
            head = f"for {x} in {it}:"
        elif kind == "enumerate":
            xs = r.choice(lists)
            i, x = self.name("i"), self.name("x")
            inner.names[i] = INT
            inner.names[x] = INT
            inner.small.add(i)
            inner.frozen.add(xs)
            head = f"for {i}, {x} in enumerate({xs}):"
        elif kind in ("str", "split"):
            s = r.choice(strs)
            c = self.name("c")
            inner.names[c] = STR
            head = f"for {c} in {s}:" if kind == "str" else f"for {c} in {s}.split():"
        else:
            seqs = lists + strs
            a = r.choice(lists)
            b = r.choice(seqs)
            x, y = self.name("x"), self.name("y" if sc.names[b] == LIST else "c")
            inner.names[x] = INT
            inner.names[y] = INT if sc.names[b] == LIST else STR
            inner.frozen.update((a, b))
            head = f"for {x}, {y} in zip({a}, {b}):"
        return [head, *self.block(inner, depth + 1, ret)]

    def while_stmt(self, sc: Scope, depth: int, ret: str) -> list[str]:
        k = self.name("k")
        bound = self.small_int(sc, nonneg=True)
        op = "<"
        if self.here("change a while bound"):
            bound, op = (f"{bound} + 1", "<") if self.mrng.random() < 0.5 else (bound, "<=")
        test = f"{k} {op} {bound}"
        if self.chance(0.3):
            test += f" and {self.bool_expr(sc, 1)}"
        inner = sc.child(loop=True)
        inner.names[k] = INT
        inner.small.add(k)
        # The counter counts first, so that `continue` cannot skip it: every while loop ends.
        return [f"{k} = 0", f"while {test}:", f"    {k} += 1", *self.block(inner, depth + 1, ret)]

    def mutation(self, sc: Scope, depth: int, ret: str) -> list[str]:
        r = self.rng
        lists = sorted(sc.lists - sc.frozen)
        if not lists:
            return self.stmt_of("aug", sc, depth, ret)
        acc = r.choice(lists)
        kind = r.choice(("append", "append", "append", "insert", "pop", "pop0", "popv", "extend", "item"))
        if kind == "append":
            line = f"{acc}.append({self.expr(INT, sc, 1)})"
            if self.here("append -> insert at 0"):
                line = f"{acc}.insert(0, {line[len(acc) + 8:-1]})"
            return [line]
        if kind == "insert":
            return [f"{acc}.insert({self.index(sc)}, {self.expr(INT, sc, 1)})"]
        if kind in ("pop", "pop0"):
            word = f"{acc}.pop()" if kind == "pop" else f"{acc}.pop(0)"
            if self.here("pop() <-> pop(0)"):
                word = f"{acc}.pop(0)" if kind == "pop" else f"{acc}.pop()"
            return [f"if {acc}:" if self.chance(0.6) else f"if len({acc}) >= 0:", f"    {word}"]
        if kind == "popv":
            targets = sorted(n for n in sc.assignable if sc.names[n] == INT)
            if not targets:
                return [f"{acc}.pop()"]
            return [f"{r.choice(targets)} = {acc}.pop({self.index(sc)})"]
        if kind == "extend":
            return [f"{acc}.extend({self.expr(LIST, sc, 1)})"]
        return [f"{acc}[{self.index(sc)}] = {self.expr(INT, sc, 1)}"]

    # -- expressions --------------------------------------------------------------------------------

    def expr(self, ty: str, sc: Scope, d: int, *, fresh: bool = False) -> str:
        if ty == INT:
            return self.int_expr(sc, d)
        if ty == BOOL:
            return self.bool_expr(sc, d)
        if ty == STR:
            return self.str_expr(sc, d)
        if ty == WORDS:
            return self.words(sc, d)
        return self.list_expr(sc, d, fresh=fresh)

    def var(self, ty: str, sc: Scope) -> str | None:
        names = sorted(sc.of(ty))
        if not names:
            return None
        mine = [n for n in names if n in sc.assignable]
        # Locals more often than parameters: what the statements computed is what a mutant changes.
        name = self.rng.choice(mine if mine and self.chance(0.6) else names)
        if self.here("use another variable"):
            others = [n for n in names if n != name]
            if self.equivalent or not others:
                return f"({name} + 0)" if ty == INT else f"({name} + '')" if ty == STR else name
            name = self.mrng.choice(others)
        return name

    def literal(self) -> str:
        v = self.rng.choice((-2, -1, 0, 0, 1, 1, 2, 3, 4))
        if self.here("change a constant"):
            if self.equivalent:
                return f"({v} + 0)"
            v = self.mrng.choice([w for w in (v - 1, v + 1, -v, 0) if w != v])
        return str(v)

    def str_literal(self) -> str:
        n = self.rng.choice((0, 1, 1, 2))
        s = "".join(self.rng.choice(ALPHABET) for _ in range(n))
        if self.here("change a string constant"):
            choices = [w for w in ("", "a", "b", "1", " ", "ab", "a1") if w != s]
            s = s if self.equivalent else self.mrng.choice(choices)
        return repr(s)

    def small_int(self, sc: Scope, *, nonneg: bool = False) -> str:
        """An int whose value stays within a few units: a loop bound or a repeat count."""
        r = self.rng
        small = sorted(n for n in sc.small if sc.names.get(n) == INT)
        seqs = [n for n in sc.names if sc.names[n] in (LIST, STR) and n not in sc.lists and not n.startswith("w")]
        options = ["lit"] + (["name", "name"] if small and not nonneg else []) + (["len", "len"] if seqs else [])
        kind = r.choice(options)
        if kind == "lit":
            return str(r.choice((0, 1, 2, 3) if nonneg else (-1, 0, 1, 2, 3)))
        if kind == "name":
            name = r.choice(small)
            return name if self.chance(0.7) else f"{name} + {r.choice((1, 2))}"
        return f"len({r.choice(sorted(seqs))})"

    def divisor(self, sc: Scope) -> str:
        if self.chance(0.5):
            return f"({self.pick(('-2', '-1', '0', '1', '2', '3'))})"
        return f"({self.int_expr(sc, 0)})"

    def index(self, sc: Scope) -> str:
        v = self.int_expr(sc, 0) if self.chance(0.6) else str(self.pick((-1, 0, 1, 2, -2)))
        if self.here("change an index"):
            v = f"({v} + 0)" if self.equivalent else self.mrng.choice((f"{v} + 1", f"{v} - 1", f"-({v})",
                                                                       f"-1 - ({v})"))
        return v

    def binop_site(self, op: str, ty: str) -> str:
        if ty == INT and self.here("change an operator") and not self.equivalent:
            return self.mrng.choice([o for o in ("+", "-", "*", "//", "%") if o != op])
        return op

    def int_expr(self, sc: Scope, d: int) -> str:
        r = self.rng
        if d <= 0 or self.chance(0.3):
            kind = r.choice(("var", "var", "lit", "len"))
            if kind == "var":
                v = self.var(INT, sc)
                if v is not None:
                    return v
            if kind == "len":
                seqs = sorted(n for n in sc.names if sc.names[n] in (LIST, STR))
                if seqs:
                    return f"len({r.choice(seqs)})"
            return self.literal()
        kind = r.choice(("arith", "arith", "arith", "div", "div", "neg", "abs", "minmax2", "agg", "agg", "item",
                         "count", "index", "strnum", "int", "ord", "ifexp", "sumgen", "len"))
        e = d - 1
        if kind == "arith":
            op = r.choice(("+", "-", "*"))
            a, b = self.int_expr(sc, e), self.int_expr(sc, e)
            if op in ("+", "*") and self.equivalent and self.here("swap the operands"):
                a, b = b, a
            elif not self.equivalent:
                op = self.binop_site(op, INT)
            return f"({a} {op} {b})"
        if kind == "div":
            op = self.binop_site(r.choice(("//", "%")), INT)
            return f"({self.int_expr(sc, e)} {op} {self.divisor(sc)})"
        if kind == "neg":
            return f"(-{self.int_expr(sc, e)})"
        if kind == "abs":
            return f"abs({self.int_expr(sc, e)})"
        if kind == "minmax2":
            fn = self.minmax()
            return f"{fn}({self.int_expr(sc, e)}, {self.int_expr(sc, e)})"
        if kind == "agg":
            fn = r.choice(("sum", "sum", "min", "max", "len"))
            if fn in ("min", "max"):
                fn = self.minmax(fn)
            return f"{fn}({self.list_expr(sc, e)})"
        if kind == "item":
            return f"{self.list_expr(sc, e)}[{self.index(sc)}]"
        if kind == "count":
            return f"{self.list_expr(sc, e)}.count({self.int_expr(sc, e)})"
        if kind == "index":
            return f"{self.list_expr(sc, e)}.index({self.int_expr(sc, e)})"
        if kind == "strnum":
            meth = r.choice(("count", "find"))
            if self.here("find <-> count"):
                meth = "find" if meth == "count" else "count"
            return f"{self.str_expr(sc, e)}.{meth}({self.str_literal()})"
        if kind == "int":
            return f"int({self.str_expr(sc, e)})"
        if kind == "ord":
            if self.chance(0.3):
                return f"ord({self.str_expr(sc, e)})"
            return f"ord({self.str_expr(sc, e)}[{self.index(sc)}])"
        if kind == "ifexp":
            return f"({self.int_expr(sc, e)} if {self.bool_expr(sc, e)} else {self.int_expr(sc, e)})"
        if kind == "sumgen":
            return f"sum({self.generator(INT, sc, e)})"
        seq = r.choice((LIST, STR, WORDS))
        return f"len({self.expr(seq, sc, e)})"

    def minmax(self, fn: str | None = None) -> str:
        fn = fn or self.pick(("min", "max"))
        if self.here("min <-> max") and not self.equivalent:
            fn = "max" if fn == "min" else "min"
        return fn

    def compare_op(self, op: str) -> str:
        if self.here("change a comparison") and not self.equivalent:
            return self.mrng.choice([o for o in ("<", "<=", "==", "!=", ">", ">=") if o != op])
        return op

    def cond(self, sc: Scope, d: int) -> str:
        """A condition: a bool, or (sometimes) an int, string or list taken for its truth."""
        if self.chance(0.12):
            ty = self.pick((INT, STR, LIST))
            v = self.var(ty, sc)
            if v is not None:
                return v
        return self.bool_expr(sc, d)

    def bool_expr(self, sc: Scope, d: int) -> str:
        r = self.rng
        e = max(d - 1, 0)
        kind = r.choice(("cmp", "cmp", "cmp", "cmp", "strcmp", "listeq", "in", "strin", "not", "andor", "anyall",
                         "strtest", "strtest", "chain"))
        if d <= 0 and kind in ("not", "andor", "anyall"):
            kind = "cmp"
        if kind == "cmp":
            op = r.choice(("<", "<=", "==", "!=", ">", ">="))
            a, b = self.int_expr(sc, e), self.int_expr(sc, e)
            if self.equivalent and self.here("mirror a comparison"):
                mirror = {"<": ">", "<=": ">=", "==": "==", "!=": "!=", ">": "<", ">=": "<="}
                return f"({b} {mirror[op]} {a})"
            return f"({a} {self.compare_op(op)} {b})"
        if kind == "chain":
            return f"({self.int_expr(sc, 0)} {self.compare_op('<=')} {self.int_expr(sc, 0)} < {self.int_expr(sc, 0)})"
        if kind == "strcmp":
            op = r.choice(("==", "!=", "<"))
            return f"({self.str_expr(sc, e)} {op} {self.str_expr(sc, e)})"
        if kind == "listeq":
            return f"({self.list_expr(sc, e)} {r.choice(('==', '!='))} {self.list_expr(sc, e)})"
        if kind in ("in", "strin"):
            neg = self.chance(0.3)
            if self.here("in <-> not in") and not self.equivalent:
                neg = not neg
            word = "not in" if neg else "in"
            if kind == "in":
                return f"({self.int_expr(sc, e)} {word} {self.list_expr(sc, e)})"
            hay = self.str_expr(sc, e) if self.chance(0.7) else self.words(sc, e)
            return f"({self.str_expr(sc, e)} {word} {hay})"
        if kind == "not":
            inner = self.bool_expr(sc, e)
            if self.here("drop a not") and not self.equivalent:
                return inner
            return f"(not {inner})"
        if kind == "andor":
            op = r.choice(("and", "or"))
            if self.here("and <-> or") and not self.equivalent:
                op = "or" if op == "and" else "and"
            return f"({self.bool_expr(sc, e)} {op} {self.bool_expr(sc, e)})"
        if kind == "anyall":
            fn = r.choice(("any", "all"))
            if self.here("any <-> all") and not self.equivalent:
                fn = "all" if fn == "any" else "any"
            return f"{fn}({self.generator(BOOL, sc, e)})"
        meth = r.choice(("startswith", "endswith", "isdigit", "isalpha", "isspace"))
        if meth in ("startswith", "endswith"):
            if self.here("startswith <-> endswith") and not self.equivalent:
                meth = "endswith" if meth == "startswith" else "startswith"
            return f"{self.str_expr(sc, e)}.{meth}({self.str_literal()})"
        if self.here("isdigit <-> isalpha") and not self.equivalent:
            meth = {"isdigit": "isalpha", "isalpha": "isdigit", "isspace": "isdigit"}[meth]
        return f"{self.str_expr(sc, e)}.{meth}()"

    def generator(self, ty: str, sc: Scope, d: int, *, brackets: bool = False) -> str:
        """A comprehension's body and clauses, ``e for v in ... [if c]`` (in brackets for a list)."""
        r = self.rng
        inner = sc.child()
        source = r.choice(("list", "list", "range", "str", "enumerate"))
        lists, strs = sc.of(LIST), sc.of(STR)
        if source == "str" and not strs:
            source = "list"
        if source in ("list", "enumerate") and not lists:
            source = "range"
        if source == "range":
            v = self.name("i")
            inner.names[v] = INT
            inner.small.add(v)
            clause = f"for {v} in range({self.small_int(sc)})"
        elif source == "list":
            v = self.name("x")
            inner.names[v] = INT
            clause = f"for {v} in {self.list_expr(sc, 0)}"
        elif source == "str":
            v = self.name("c")
            inner.names[v] = STR
            clause = f"for {v} in {r.choice(strs)}"
        else:
            i, v = self.name("i"), self.name("x")
            inner.names[i] = INT
            inner.names[v] = INT
            inner.small.add(i)
            clause = f"for {i}, {v} in enumerate({r.choice(lists)})"
        body = self.expr(ty, inner, min(d, 1))
        if self.chance(0.4):
            clause += f" if {self.cond(inner, 1)}"
        text = f"{body} {clause}"
        return f"[{text}]" if brackets else text

    def list_expr(self, sc: Scope, d: int, *, fresh: bool = False) -> str:
        r = self.rng
        if not fresh and (d <= 0 or self.chance(0.35)):
            v = self.var(LIST, sc)
            if v is not None:
                return v
        if d <= 0:
            # No `[]` in an expression: the front end cannot tell its item type (a refusal, not a test).
            return r.choice((f"[{self.int_expr(sc, 0)}]", f"[{self.int_expr(sc, 0)}, {self.int_expr(sc, 0)}]"))
        e = d - 1
        kind = r.choice(("lit", "concat", "slice", "slice", "sorted", "reversed", "comp", "comp", "ords"))
        if kind == "lit":
            return f"[{', '.join(self.int_expr(sc, e) for _ in range(r.choice((1, 1, 2, 3))))}]"
        if kind == "concat":
            return f"({self.list_expr(sc, e)} + {self.list_expr(sc, e)})"
        if kind == "slice":
            return f"{self.list_expr(sc, e)}{self.slice(sc)}"
        if kind == "sorted":
            rev = self.chance(0.3)
            if self.here("toggle reverse=") and not self.equivalent:
                rev = not rev
            return f"sorted({self.list_expr(sc, e)}{', reverse=True' if rev else ''})"
        if kind == "reversed":
            return f"list(reversed({self.list_expr(sc, e)}))"
        if kind == "comp":
            return self.generator(INT, sc, e, brackets=True)
        strs = sc.of(STR)
        if not strs:
            return self.generator(INT, sc, e, brackets=True)
        c = self.name("c")
        return f"[ord({c}) for {c} in {r.choice(strs)}]" if self.chance(0.5) else \
            f"[len({c}) for {c} in {self.words(sc, e)}]"

    def slice(self, sc: Scope) -> str:
        r = self.rng
        shape = r.choice(("a:b", "a:", ":b", "::-1", "a:b:c", "::c"))
        a = self.index(sc) if "a" in shape else ""
        b = self.index(sc) if "b" in shape else ""
        c = ""
        if "c" in shape:
            step = r.choice((-2, -1, 2, 3, -3))  # a zero step is refused at load (a mutant may make one)
            c = str(step)
            if self.here("change a slice step") and not self.equivalent:
                c = str(-step) if step and self.mrng.random() < 0.5 else str(step + 1)
        elif shape == "::-1":
            return "[::-1]"
        return f"[{a}:{b}" + (f":{c}]" if c else "]")

    def words(self, sc: Scope, d: int) -> str:
        s = self.str_expr(sc, max(d - 1, 0))
        if self.chance(0.6):
            return f"{s}.split()"
        return f"{s}.split({self.pick(SEPARATORS)!r})"

    def str_expr(self, sc: Scope, d: int) -> str:
        r = self.rng
        if d <= 0 or self.chance(0.3):
            v = self.var(STR, sc) if self.chance(0.75) else None
            return v if v is not None else self.str_literal()
        e = d - 1
        kind = r.choice(("concat", "concat", "item", "slice", "case", "strip", "replace", "str", "chr", "join",
                         "joincomp", "ifexp"))
        if kind == "concat":
            return f"({self.str_expr(sc, e)} + {self.str_expr(sc, e)})"
        if kind == "item":
            return f"{self.str_expr(sc, e)}[{self.index(sc)}]"
        if kind == "slice":
            return f"{self.str_expr(sc, e)}{self.slice(sc)}"
        if kind == "case":
            meth = r.choice(("lower", "upper"))
            if self.here("lower <-> upper") and not self.equivalent:
                meth = "upper" if meth == "lower" else "lower"
            return f"{self.str_expr(sc, e)}.{meth}()"
        if kind == "strip":
            return f"{self.str_expr(sc, e)}.strip()"
        if kind == "replace":
            return f"{self.str_expr(sc, e)}.replace({self.str_literal()}, {self.str_literal()})"
        if kind == "str":
            return f"str({self.int_expr(sc, e)})"
        if kind == "chr":
            return f"chr({self.pick((97, 49, 98))} + {self.int_expr(sc, e)})" if self.chance(0.8) else \
                f"chr({self.int_expr(sc, e)})"
        if kind == "join":
            return f"{self.pick(('', ' ', 'a', ','))!r}.join({self.words(sc, e)})"
        if kind == "joincomp":
            source = r.choice(("str", "int"))
            inner = sc.child()
            if source == "str" and sc.of(STR):
                c = self.name("c")
                inner.names[c] = STR
                cond = f" if {self.cond(inner, 0)}" if self.chance(0.6) else ""
                return f"''.join([{self.str_expr(inner, 0)} for {c} in {r.choice(sc.of(STR))}{cond}])"
            x = self.name("x")
            inner.names[x] = INT
            return f"''.join([str({self.int_expr(inner, 0)}) for {x} in {self.list_expr(sc, 0)}])"
        return f"({self.str_expr(sc, e)} if {self.bool_expr(sc, e)} else {self.str_expr(sc, e)})"


# --- one case: the spec module and the candidate -----------------------------------------------------------

HEADER = ("from typing import Annotated\n\nfrom assay.specs import Alphabet, Between, Input, MaxLen, Output, spec\n"
          "\n\n")
KINDS = ("same", "rewrite", "rewrite", "mutant", "mutant", "mutant", "mutant", "mutant", "mutant", "outside")


@dataclass(frozen=True)
class Pair:
    """A generated reference, its spec module, and a candidate program."""

    seed: int
    params: tuple[tuple[str, Dom], ...]
    ret: str
    reference: str  # the text of ``def ref(...)``
    module: str  # the spec module's text
    candidate: str  # the text of ``def f(...)``
    kind: str  # same | rewrite | mutant | outside
    change: str  # which site changed, in words


def spec_module(params: tuple[tuple[str, Dom], ...], ret: str, reference: str) -> str:
    names = ", ".join(n for n, _ in params)
    inputs = ", ".join(f"{n}: Input[{d.ann()}]" for n, d in params)
    return (HEADER + reference + "\n\n" + f'@spec(program="f")\ndef fuzzed({inputs}, out: Output[{OUTPUT_ANN[ret]}])'
            f" -> bool:\n    return out == ref({names})\n")


def reference(seed: int) -> tuple[tuple[tuple[str, Dom], ...], str, str, int]:
    """The reference's parameters, return type, text, and how many sites it has."""
    g = Generator(seed)
    params, ret, text = g.program("ref")
    return tuple(params), ret, text, g.sites


def candidate(seed: int, sites: int, chooser: random.Random) -> tuple[str, str, str]:
    """(kind, the site changed in words, the candidate's text) for the reference of ``seed``."""
    kind = chooser.choice(KINDS)
    base = Generator(seed).program("f")[2]
    if kind in ("mutant", "rewrite") and sites:
        for _ in range(8):
            g = Generator(seed, site=chooser.randint(1, sites), equivalent=kind == "rewrite")
            text = g.program("f")[2]
            if text != base:
                if kind == "rewrite" and chooser.random() < 0.3:
                    text = _renamed(text)
                return kind, g.changed, text
    if kind == "rewrite":
        return kind, "locals renamed", _renamed(base)
    if kind == "outside":
        body = "\n".join("    " + line for line in base.splitlines()[1:])
        return kind, "wrapped in try/except KeyError", (
            f"{base.splitlines()[0]}\n    try:\n{body}\n    except KeyError:\n        raise ValueError('no')\n")
    return "same", "reformatted", _reformatted(base)


def _renamed(text: str) -> str:
    """The same function with its locals (the generator's names end in digits) renamed (parsed, never run)."""
    import ast

    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and (m := re.fullmatch(r"([a-z]+)(\d+)", node.id)):
            node.id = f"{m.group(1)}_{int(m.group(2)) + 100}"
    return ast.unparse(tree) + "\n"


def _reformatted(text: str) -> str:
    """The same function laid out again by :func:`ast.unparse` (parsed, never run)."""
    import ast

    return ast.unparse(ast.parse(text)) + "\n"


# --- the oracle: CPython, in the sandbox ------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What CPython does on every input of the bound: R's and M's outcome, and where M fails its spec."""

    names: tuple[str, ...]
    ret: str
    inputs: tuple[tuple[Any, ...], ...]
    ref: dict[str, Any]  # key -> CallResult of R
    cand: dict[str, Any]  # key -> CallResult of M

    def fails(self, key: str) -> bool:
        r, m = self.ref[key], self.cand[key]
        if r.status == "raised" or m.status != "returned" or not fits(self.ret, m.value):
            return True
        return bool(m.value != r.value)

    def failing(self) -> list[str]:
        return [k for k in self.ref if self.fails(k)]

    def why(self, key: str) -> str:
        r, m = self.ref[key], self.cand[key]
        ref = f"ref returns {r.value!r}" if r.status == "returned" else f"ref {r.status}: {r.error}"
        cand = f"f returns {m.value!r}" if m.status == "returned" else f"f {m.status}: {m.error}"
        return f"{cand}; {ref}"


def key_of(values: Any) -> str:
    return json.dumps(list(values))


def run_everywhere(code: str, entry: str, inputs: list[tuple[Any, ...]]) -> list[Any]:
    from assay.kernel.sandbox import run_calls

    return run_calls(code, entry, [list(args) for args in inputs], seconds_per_call=1.0, total_seconds=120.0)


def brute_force(params: tuple[tuple[str, Dom], ...], ret: str, ref_code: str) -> Truth:
    """The reference's outcome on every input of the bound (the candidate's: :func:`with_candidate`)."""
    inputs = list(itertools.product(*(d.values() for _, d in params)))
    keys = [key_of(args) for args in inputs]
    ref = dict(zip(keys, run_everywhere(ref_code, "ref", inputs), strict=True))
    return Truth(tuple(n for n, _ in params), ret, tuple(inputs), ref, {})


def with_candidate(truth: Truth, cand_code: str) -> Truth:
    cand = dict(zip(truth.ref, run_everywhere(cand_code, "f", list(truth.inputs)), strict=True))
    return Truth(truth.names, truth.ret, truth.inputs, truth.ref, cand)


# --- judging ----------------------------------------------------------------------------------------------

Judge = Callable[[Any, str], Any]  # (the spec, the candidate's text) -> a verdict (.outcome, .reason, .witness)


@dataclass
class Report:
    """What one case came to: its disagreements (bugs), its verdict and what the oracle said."""

    seed: int
    generated: int = 0  # references generated (a refused one is replaced, up to ATTEMPTS)
    refused: list[str] = field(default_factory=list)  # why the front end refused each refused reference
    pair: Pair | None = None
    outcome: str = ""  # the verdict's outcome, "" when none was reached
    reason: str = ""
    failing: int = 0  # inputs on which the candidate fails, by CPython
    inputs: int = 0
    ref_raises: int = 0
    disagreements: list[str] = field(default_factory=list)
    timed_out: bool = False
    skipped: str = ""  # why the case was not judged (the reference did not finish somewhere)

    def disagree(self, what: str) -> None:
        self.disagreements.append(what)

    def describe(self) -> str:
        head = f"seed {self.seed}: {'; '.join(self.disagreements)}"
        if self.pair is None:
            return head
        return (f"{head}\n--- the spec module ---\n{self.pair.module}--- the candidate ({self.pair.kind}: "
                f"{self.pair.change}) ---\n{self.pair.candidate}--- the verdict ---\n{self.outcome}: {self.reason}")


class CaseTimeout(BaseException):
    """A case ran past its time limit (raised by the alarm; a BaseException so no `except Exception` eats it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout


def check_program_judge(timeout: float) -> Judge:
    from assay.kernel.programs import check_program

    def judge(spec: Any, text: str) -> Any:
        return check_program(spec, text, timeout=timeout)
    return judge


_FINISHED = ("returned", "raised")
# How many references a case generates at most before it keeps one (refused, or raising when a safe one is wanted).
ATTEMPTS = 6


@dataclass
class Prepared:
    """A case up to its verdict: the report so far, the loaded spec and CPython's outcomes (None: not judged)."""

    report: Report
    spec: Any = None
    truth: Truth | None = None


def prepare(seed: int, folder: Path) -> Prepared:
    """Generate a pair, load its spec and brute-force both programs in the sandbox.

    A reference the front end refuses is replaced by another (up to
    ATTEMPTS), each refusal counted.  One that raises on some input of the
    bound is kept only some of the time (the seed decides), so that most
    pairs can be proved.
    """
    from assay.specs import InvalidSpec, load

    report = Report(seed)
    chooser = random.Random(-seed - 1)
    kept: tuple[int, Any, Truth, int] | None = None  # the reference's seed, its spec, its outcomes, its sites
    for attempt in range(ATTEMPTS):
        sub = seed * ATTEMPTS + attempt
        params, ret, ref_text, sites = reference(sub)
        report.generated += 1
        path = folder / f"fuzz_program_{seed}_{attempt}.py"
        path.write_text(spec_module(params, ret, ref_text), encoding="utf-8")
        try:
            spec = load(str(path) + ":fuzzed")
        except InvalidSpec as exc:
            report.refused.append(str(exc).removeprefix(str(path)))
            continue
        kept = (sub, spec, brute_force(params, ret, ref_text), sites)
        if any(r.status == "raised" for r in kept[2].ref.values()) and attempt < ATTEMPTS - 1 \
                and chooser.random() < 0.7:
            continue
        break
    if kept is None:
        return Prepared(report)
    sub, spec, truth, sites = kept
    kind, change, cand = candidate(sub, sites, chooser)
    params, ret, ref_text, _ = reference(sub)
    report.pair = Pair(seed, params, ret, ref_text, spec_module(params, ret, ref_text), cand, kind, change)
    report.inputs = len(truth.inputs)
    report.ref_raises = sum(r.status == "raised" for r in truth.ref.values())
    unfinished = [k for k, r in truth.ref.items() if r.status not in _FINISHED]
    if unfinished:
        report.skipped = f"the reference did not finish on {unfinished[0]}: {truth.ref[unfinished[0]].error}"
        return Prepared(report)
    truth = with_candidate(truth, cand)
    report.failing = len(truth.failing())
    return Prepared(report, spec, truth)


def judge_case(case: Prepared, judge: Judge) -> Report:
    """The case's report, with ``judge``'s verdict on the candidate compared with CPython (a fresh copy)."""
    report = dataclasses.replace(case.report, disagreements=[])
    if case.truth is None or report.pair is None:
        return report
    try:
        verdict = judge(case.spec, report.pair.candidate)
    except Exception as exc:  # a crash of the kernel on a loaded spec is a bug like a wrong answer
        where = traceback.extract_tb(exc.__traceback__)[-1]
        report.disagree(f"crash: {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})")
        return report
    compare(verdict, case.truth, report)
    return report


def run_case(seed: int, folder: Path, *, judge: Judge | None = None, timeout: float = 2.0,
             limit: float = 120.0) -> Report:
    """One case from its seed: prepared, judged (by check_program unless ``judge`` is given) and compared,
    within ``limit`` seconds of the wall clock (past it, the report says ``timed_out``)."""
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    case = Prepared(Report(seed))
    try:
        case = prepare(seed, folder)
        return judge_case(case, judge or check_program_judge(timeout))
    except CaseTimeout:
        case.report.timed_out = True
        return case.report
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def compare(verdict: Any, truth: Truth, report: Report) -> None:
    """Every way ``verdict`` disagrees with CPython's brute force, into ``report``."""
    outcome = verdict.outcome.name
    report.outcome, report.reason = outcome, verdict.reason
    failing = truth.failing()
    if outcome == "ACCEPTED" and failing:
        first = min(failing, key=len)
        report.disagree(f"UNSOUND: ACCEPTED ({verdict.reason}) but the candidate fails on {len(failing)} of "
                        f"{len(truth.inputs)} inputs, e.g. {first}: {truth.why(first)}")
    elif outcome in ("VACUOUS", "MALFORMED"):
        report.disagree(f"{outcome} for a spec with no precondition and a candidate that parses: {verdict.reason}")
    elif outcome == "REFUTED":
        witness = getattr(verdict, "witness", None) or {}
        inputs = witness.get("inputs", {})
        try:
            key = key_of(inputs[n] for n in truth.names)
        except (KeyError, TypeError):
            report.disagree(f"REFUTED with a witness that names no input of each parameter: {witness!r}")
            return
        if key not in truth.ref:
            report.disagree(f"REFUTED with a witness outside the bound: {key} ({verdict.reason})")
        elif not truth.fails(key):
            report.disagree(f"REFUTED at {key}, where the candidate meets the spec: {truth.why(key)} "
                            f"({verdict.reason})")
        else:
            m = truth.cand[key]
            raised = witness.get("raised")
            if raised is not None and not (m.status == "raised" and m.error == raised):
                report.disagree(f"the witness at {key} says it raises {raised}, but CPython: {truth.why(key)}")
            elif raised is None and not (m.status == "returned" and m.value == witness.get("output")):
                report.disagree(f"the witness at {key} says it returns {witness.get('output')!r}, but CPython: "
                                f"{truth.why(key)}")
    elif outcome == "UNKNOWN" and verdict.reason.startswith("internal"):
        report.disagree(f"UNKNOWN with an internal error: {verdict.reason}")
    elif outcome not in ("ACCEPTED", "UNKNOWN"):
        report.disagree(f"an outcome no program check gives: {outcome}")


# --- summaries ---------------------------------------------------------------------------------------------


def unknown_reason(reason: str) -> str:
    """An UNKNOWN's reason with its particulars dropped, to count reasons of one kind together."""
    reason = re.sub(r"\d+", "N", reason)
    reason = re.sub(r"`[^`]*`", "`...`", reason)
    reason = re.sub(r"\(xs a list.*?\)|\([a-z]+ a .*?\)", "(bound)", reason)
    if reason.startswith("unsupported:"):
        m = re.search(r"not proved: (?:line N, column N: )?(.*)", reason)
        return "unsupported: " + (m.group(1)[:70] if m else reason[:70])
    return reason.split(";")[0][:90]


def summary(reports: list[Report]) -> str:
    judged = [r for r in reports if r.outcome]
    outcomes = Counter(r.outcome for r in judged)
    equivalent = [r for r in judged if r.failing == 0]
    wrong = [r for r in judged if r.failing > 0]
    unknown = Counter(unknown_reason(r.reason) for r in judged if r.outcome == "UNKNOWN")
    refused = Counter(re.sub(r"^:\d+:\d+: ", "", why)[:60] for r in reports for why in r.refused)
    kinds = Counter(f"{r.pair.kind}" for r in judged if r.pair)
    parts = [
        f"{len(reports)} cases, {sum(r.generated for r in reports)} references generated, "
        f"{sum(len(r.refused) for r in reports)} refused by the front end, {len(judged)} judged "
        f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})",
        ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        f"candidates failing somewhere {len(wrong)} (REFUTED {sum(r.outcome == 'REFUTED' for r in wrong)}, "
        f"UNKNOWN {sum(r.outcome == 'UNKNOWN' for r in wrong)}); meeting the spec everywhere {len(equivalent)} "
        f"(ACCEPTED {sum(r.outcome == 'ACCEPTED' for r in equivalent)}, "
        f"UNKNOWN {sum(r.outcome == 'UNKNOWN' for r in equivalent)})",
        f"references raising somewhere {sum(1 for r in judged if r.ref_raises)}",
        f"disagreements {sum(len(r.disagreements) for r in reports)}, over the time limit "
        f"{sum(r.timed_out for r in reports)}, skipped {sum(bool(r.skipped) for r in reports)}",
        "UNKNOWN reasons: " + " | ".join(f"{v}x {k}" for k, v in unknown.most_common(5)),
        "refusals: " + " | ".join(f"{v}x {k}" for k, v in refused.most_common(3)),
    ]
    return "\n".join(parts)

