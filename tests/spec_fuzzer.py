"""A differential fuzzer of whole specs: random specs from a grammar, judged by CPython brute force.

Each case is a small spec module written from a grammar over the spec
language (ints, bools, strings, enums, tuples, lists and records, every
operator and builtin, comprehensions over ``range`` with every kind of step,
helpers, module constants, claims ``unique`` / ``maximize`` / ``minimize``),
with givens fixed to random values and a proposal domain small enough to
enumerate.  The oracle runs the spec's own Python function on every proposal
of the domain (CPython is the meaning) and knows the set of solutions, which
is unique, which are optimal, and whether there is any.  The kernel's
``check`` (ACCEPTED, the claims and their witnesses, VACUOUS), ``solve_outright``
and ``repair`` must agree with it wherever they give an answer; UNKNOWN is
allowed and counted, and a spec the loader refuses is counted too.

The oracle shares no code with assay: it converts JSON to Python values with
the module's own classes, enumerates domains itself and counts repair
changes by its own rules.  Strings range over all of Unicode: the oracle's
alphabet has, between and around the characters the spec and its givens
name, as many representatives as a proposal has characters plus one (so a
solution that could be varied in a character can be varied here too), and
they include code points above SMT-LIB's U+2FFFF.  Every string operation in
the spec language depends only on how characters compare, so this alphabet
is exact for uniqueness, optimality and existence.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# --- types of generated expressions ------------------------------------------------

INT = ("int",)
BOOL = ("bool",)
STR = ("str",)
Ty = tuple[Any, ...]


def list_of(t: Ty) -> Ty:
    return ("list", t)


def is_list(t: Ty) -> bool:
    return t[0] == "list"


ENUM_MEMBERS = ("RED", "GREEN", "BLUE")
COLOR: Ty = ("enum", "Color")
PAIR: Ty = ("tuple", (INT, BOOL))


def rec_ty(name: str) -> Ty:
    return ("rec", name, (("x", INT), ("y", INT)))


# --- domains: annotation text, enumeration of JSON values, JSON -> Python ----------------


@dataclass(frozen=True)
class Dom:
    """A domain of the generated spec: how it is written, its type, and its values."""

    ann: str
    ty: Ty
    kind: str  # int bool str enum tuple list rec
    lo: int = 0
    hi: int = 0
    max_len: int = 0
    fixed: bool = False
    items: tuple[Dom, ...] = ()
    rec: str = ""

    def chars(self) -> int:
        """How many characters a value can hold at most (for the string alphabet)."""
        if self.kind == "str":
            return self.max_len
        if self.kind == "list":
            return self.max_len * self.items[0].chars()
        return sum(d.chars() for d in self.items)

    def values(self, alphabet: list[str]) -> Iterator[Any]:
        """Every JSON value of the domain."""
        k = self.kind
        if k == "int":
            yield from range(self.lo, self.hi + 1)
        elif k == "bool":
            yield from (False, True)
        elif k == "enum":
            yield from ENUM_MEMBERS
        elif k == "str":
            for n in range(self.max_len + 1):
                for chars in itertools.product(alphabet, repeat=n):
                    yield "".join(chars)
        elif k == "tuple":
            for combo in itertools.product(*(list(d.values(alphabet)) for d in self.items)):
                yield list(combo)
        elif k == "rec":
            xs = list(self.items[0].values(alphabet))
            ys = list(self.items[1].values(alphabet))
            for x, y in itertools.product(xs, ys):
                yield {"x": x, "y": y}
        else:
            elems = list(self.items[0].values(alphabet))
            lengths = [self.max_len] if self.fixed else range(self.max_len + 1)
            for n in lengths:
                for combo in itertools.product(elems, repeat=n):
                    yield list(combo)

    def size(self, alphabet_size: int) -> int:
        k = self.kind
        if k == "int":
            return self.hi - self.lo + 1
        if k == "bool":
            return 2
        if k == "enum":
            return len(ENUM_MEMBERS)
        if k == "str":
            return sum(alphabet_size ** n for n in range(self.max_len + 1))
        if k in ("tuple", "rec"):
            out = 1
            for d in self.items:
                out *= d.size(alphabet_size)
            return out
        e = self.items[0].size(alphabet_size)
        return e ** self.max_len if self.fixed else sum(e ** n for n in range(self.max_len + 1))


def to_python(d: Dom, value: Any, ns: dict[str, Any]) -> Any:
    """The Python value a JSON value of ``d`` stands for, built with the module's own classes."""
    k = d.kind
    if k in ("int", "bool", "str"):
        return value
    if k == "enum":
        return ns["Color"][value]
    if k == "tuple":
        return tuple(to_python(i, v, ns) for i, v in zip(d.items, value, strict=True))
    if k == "rec":
        return ns[d.rec](x=to_python(d.items[0], value["x"], ns), y=to_python(d.items[1], value["y"], ns))
    return [to_python(d.items[0], v, ns) for v in value]


def to_json(d: Dom, value: Any) -> Any:
    """The JSON value of a Python value of ``d``."""
    k = d.kind
    if k in ("int", "bool", "str"):
        return value
    if k == "enum":
        return value.name
    if k == "tuple":
        return [to_json(i, v) for i, v in zip(d.items, value, strict=True)]
    if k == "rec":
        return {"x": to_json(d.items[0], value.x), "y": to_json(d.items[1], value.y)}
    return [to_json(d.items[0], v) for v in value]


def leaf_changes(d: Dom, old: Any, new: Any) -> int:
    """How many leaf fields differ between two JSON values (the count a repair minimises).

    A leaf is a scalar (int, bool, str, enum member) or the length of a list
    whose length may vary; an item present in one list only counts its leaves.
    """
    k = d.kind
    if k in ("int", "bool", "str", "enum"):
        return int(old != new or type(old) is not type(new))
    if k == "tuple":
        return sum(leaf_changes(i, a, b) for i, a, b in zip(d.items, old, new, strict=True))
    if k == "rec":
        return leaf_changes(d.items[0], old["x"], new["x"]) + leaf_changes(d.items[1], old["y"], new["y"])
    e = d.items[0]
    out = 0 if d.fixed else int(len(old) != len(new))
    for i in range(max(len(old), len(new))):
        if i < len(old) and i < len(new):
            out += leaf_changes(e, old[i], new[i])
        else:
            out += leaf_count(e, old[i] if i < len(old) else new[i])
    return out


def leaf_count(d: Dom, value: Any) -> int:
    k = d.kind
    if k in ("int", "bool", "str", "enum"):
        return 1
    if k == "tuple":
        return sum(leaf_count(i, v) for i, v in zip(d.items, value, strict=True))
    if k == "rec":
        return 2
    return (0 if d.fixed else 1) + sum(leaf_count(d.items[0], v) for v in value)


def int_dom(lo: int, hi: int) -> Dom:
    return Dom(f"Annotated[int, Between({lo}, {hi})]", INT, "int", lo, hi)


BOOL_DOM = Dom("bool", BOOL, "bool")
COLOR_DOM = Dom("Color", COLOR, "enum")


def str_dom(n: int) -> Dom:
    return Dom(f"Annotated[str, MaxLen({n})]", STR, "str", max_len=n)


def list_dom(elem: Dom, n: int, *, fixed: bool) -> Dom:
    bound = f"Length({n})" if fixed else f"MaxLen({n})"
    return Dom(f"Annotated[list[{elem.ann}], {bound}]", list_of(elem.ty), "list", max_len=n, fixed=fixed,
               items=(elem,))


def tuple_dom() -> Dom:
    return Dom(f"tuple[{int_dom(-1, 1).ann}, bool]", PAIR, "tuple", items=(int_dom(-1, 1), BOOL_DOM))


def rec_dom(name: str) -> Dom:
    return Dom(name, rec_ty(name), "rec", items=(int_dom(0, 2), int_dom(0, 2)), rec=name)


# --- the generated spec -------------------------------------------------------------


@dataclass
class Case:
    """One generated spec module and everything the oracle needs to judge it."""

    seed: int
    source: str
    name: str
    proposal: Dom
    givens: dict[str, Any]  # JSON values
    given_doms: dict[str, Dom]
    claim: str  # "" | "unique" | "maximize" | "minimize"
    string_constants: set[str] = field(default_factory=set)
    probes: list[str] = field(default_factory=list)  # which deliberate edge cases it holds


# Record classes the generator can use, and what equality they have.
RECORDS = {
    "Pt": "@dataclass(frozen=True)\nclass Pt:\n    x: Annotated[int, Between(0, 2)]\n"
          "    y: Annotated[int, Between(0, 2)]\n",
    # y does not take part in ==: two Tags with equal x are equal.
    "Tag": "@dataclass\nclass Tag:\n    x: Annotated[int, Between(0, 2)]\n"
           "    y: Annotated[int, Between(0, 2)] = field(compare=False)\n",
    # No generated __eq__: == is identity.
    "Ident": "@dataclass(eq=False)\nclass Ident:\n    x: Annotated[int, Between(0, 2)]\n"
             "    y: Annotated[int, Between(0, 2)]\n",
    # A user-defined __eq__ with a meaning of its own.
    "Own": "@dataclass\nclass Own:\n    x: Annotated[int, Between(0, 2)]\n    y: Annotated[int, Between(0, 2)]\n\n"
           "    def __eq__(self, other):\n"
           "        return isinstance(other, Own) and self.x + self.y == other.x + other.y\n\n"
           "    __hash__ = None\n",
    # A __post_init__ that rejects some values: they are not proposals at all.
    "Ord": "@dataclass\nclass Ord:\n    x: Annotated[int, Between(0, 2)]\n    y: Annotated[int, Between(0, 2)]\n\n"
           "    def __post_init__(self):\n        if self.x > self.y:\n            raise ValueError('x > y')\n",
}

# Characters the generator writes into string constants; some sit at or above SMT-LIB's last code point.
PLAIN_CHARS = "abz"
EDGE_CHARS = ("\U0002fffe", "\U0002ffff", "\U00030000", "\U0010ffff", "\x00", "é")


class Generator:
    """Writes one random spec module from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.constants: list[tuple[str, Ty, str]] = []  # name, type, source of the value
        self.helpers: list[tuple[str, list[Ty], Ty, str]] = []  # name, param types, return type, source
        self.records: set[str] = set()
        self.strings: set[str] = set()
        self.probes: list[str] = []
        self.used: set[str] = set()  # names an expression has referred to so far
        self.small: set[str] = set()  # comprehension variables that range over a small range
        self.proposal_ty: Ty = INT
        self.depth = 3  # how deep the clauses' expressions go
        self.fresh = 0

    # -- small choices -------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def name(self, prefix: str) -> str:
        self.fresh += 1
        return f"{prefix}{self.fresh}"

    def str_literal(self) -> str:
        r = self.rng
        n = r.choice((0, 1, 1, 2))
        s = "".join(r.choice(PLAIN_CHARS) for _ in range(n))
        if r.random() < 0.2:
            # Characters at the ends of the alphabets: SMT-LIB's last code point, past it, NUL, non-ASCII.
            s = r.choice(("\U0002ffff", "\U0002ffff", "\U0002fffe", "\U00030000", "\U0010ffff", "\x00", "é"))
            s = s if r.random() < 0.7 else s + r.choice(PLAIN_CHARS)
        if any(c in EDGE_CHARS for c in s):
            self.probes.append("string-edge")
        self.strings.add(s)
        return repr(s) if all(ord(c) < 0x10000 and c.isprintable() for c in s) else _escaped(s)

    def int_literal(self) -> str:
        r = self.rng
        if r.random() < 0.05:
            return r.choice(("10 ** 20", "-(10 ** 19)", "123456789012345678901234567890"))
        return str(r.choice((-3, -2, -1, 0, 0, 1, 1, 2, 3, 4, 5, 7)))

    # -- the module ------------------------------------------------------------------

    def case(self) -> Case:
        r = self.rng
        # A third of the specs are shallow (clauses of one or two operators): their solution sets are
        # rarely empty or everything, so claims and VACUOUS are decided on interesting sets.
        self.depth = r.choice((1, 2, 3, 3, 3, 3))
        proposal = self.proposal_domain()
        self.proposal_ty = proposal.ty
        givens: dict[str, Any] = {}
        given_doms: dict[str, Dom] = {}
        for i in range(r.choice((0, 0, 1, 1, 2))):
            d, value = self.given()
            if r.random() < 0.25 and proposal.kind in ("rec", "str", "int", "enum", "tuple"):
                # A given of the proposal's own type: specs compare the two.
                d, value = proposal, r.choice(list(proposal.values(list(PLAIN_CHARS))))
                if d.kind == "rec" and d.rec == "Ord":
                    d, value = self.given()
                if d.kind == "str":
                    self.strings.add(value)
            givens[f"g{i}"] = value
            given_doms[f"g{i}"] = d
        for _ in range(r.choice((0, 1, 2, 3))):
            self.constant()
        env = [("p", proposal.ty)] + [(n, d.ty) for n, d in given_doms.items()]
        for _ in range(r.choice((0, 0, 1, 2))):
            self.helper()
        body, shadow = self.body(env, "bool", clauses=r.choice((1, 1, 2, 3)))
        claim = r.choice(("", "", "", "unique", "unique", "maximize", "minimize"))
        objective = ""
        if claim in ("maximize", "minimize"):
            params = ["p"] + [n for n, _ in env[1:] if r.random() < 0.5]
            obj_env = [(n, t) for n, t in env if n in params]
            obj_body, _ = self.body(obj_env, "int", clauses=1)
            objective = f"def score({', '.join(params)}):\n{obj_body}\n\n\n"
        decorator = "@spec" if not claim else (
            "@spec(unique=True)" if claim == "unique" else f"@spec({claim}=score)")
        params = [f"p: Proposal[{proposal.ann}]"] + [f"{n}: Given[{d.ann}]" for n, d in given_doms.items()]
        lines = ["from __future__ import annotations", "",
                 "import enum", "from dataclasses import dataclass, field", "from typing import Annotated", "",
                 "from assay.specs import Between, Given, Length, MaxLen, Proposal, distinct, implies, spec", "",
                 "", "class Color(enum.Enum):", "    RED = 1", "    GREEN = 2", "    BLUE = 3", "", ""]
        for rec in sorted(self.records):
            lines += [RECORDS[rec], ""]
        for name, _, src in self.constants:
            lines.append(f"{name} = {src}")
        lines += ["", ""]
        for _, _, _, src in self.helpers:
            lines += [src, "", ""]
        if shadow:
            self.probes.append("shadowed-constant")
        text = "\n".join(lines) + objective + f"{decorator}\ndef fuzzed({', '.join(params)}) -> bool:\n{body}\n"
        return Case(self.seed, text, "fuzzed", proposal, givens, given_doms, claim, set(self.strings),
                    sorted(set(self.probes)))

    def proposal_domain(self) -> Dom:
        r = self.rng
        options: list[Callable[[], Dom]] = [
            lambda: int_dom(r.choice((-3, -1, 0)), r.choice((2, 4, 6))),
            lambda: BOOL_DOM,
            lambda: COLOR_DOM,
            lambda: str_dom(r.choice((1, 2))),
            lambda: str_dom(1),
            lambda: list_dom(int_dom(0, 2), r.choice((2, 3)), fixed=True),
            lambda: list_dom(int_dom(-1, 1), r.choice((2, 3)), fixed=False),
            lambda: list_dom(BOOL_DOM, 3, fixed=r.random() < 0.5),
            lambda: list_dom(str_dom(1), 2, fixed=r.random() < 0.5),
            lambda: list_dom(COLOR_DOM, 2, fixed=False),
            lambda: list_dom(list_dom(int_dom(0, 1), 2, fixed=False), 2, fixed=True),
            tuple_dom,
            self.record_dom,
            lambda: list_dom(self.record_dom(), 2, fixed=r.random() < 0.5),
        ]
        return r.choice(options)()

    def record_dom(self) -> Dom:
        r = self.rng
        name = r.choice(("Pt", "Pt", "Tag", "Tag", "Tag", "Ident", "Own", "Ord"))
        self.records.add(name)
        if name != "Pt":
            self.probes.append(f"record-{name}")
        return rec_dom(name)

    def given(self) -> tuple[Dom, Any]:
        r = self.rng
        kind = r.choice(("int", "int", "str", "list", "rec", "enum", "tuple", "grid"))
        if kind == "grid":
            inner = Dom("list[int]", list_of(INT), "list", items=(Dom("int", INT, "int"),))
            return (Dom("list[list[int]]", list_of(list_of(INT)), "list", items=(inner,)),
                    [[r.choice((0, 1, 2)) for _ in range(r.choice((0, 1, 2)))] for _ in range(r.choice((1, 2)))])
        if kind == "int":
            return Dom("int", INT, "int"), r.choice((-2, -1, 0, 1, 2, 3, 5))
        if kind == "str":
            s = "".join(r.choice(PLAIN_CHARS) for _ in range(r.choice((0, 1, 2))))
            if r.random() < 0.15:
                s += r.choice(EDGE_CHARS)
                self.probes.append("string-edge")
            self.strings.add(s)
            return Dom("str", STR, "str", max_len=len(s)), s
        if kind == "list":
            return (Dom("list[int]", list_of(INT), "list", items=(Dom("int", INT, "int"),)),
                    [r.choice((-1, 0, 1, 2, 3)) for _ in range(r.choice((0, 1, 2, 3)))])
        if kind == "rec":
            d = self.record_dom()
            while d.rec == "Ord":
                d = self.record_dom()
            return d, {"x": r.randint(0, 2), "y": r.randint(0, 2)}
        if kind == "enum":
            return COLOR_DOM, r.choice(ENUM_MEMBERS)
        return tuple_dom(), [r.randint(-1, 1), r.random() < 0.5]

    def constant(self) -> None:
        r = self.rng
        name = self.name("K")
        kind = r.choice(("int", "int", "str", "tuple", "bool", "enum"))
        if kind == "int":
            self.constants.append((name, INT, self.int_literal() if r.random() < 0.9 else "2 ** 70"))
        elif kind == "str":
            self.constants.append((name, STR, self.str_literal()))
        elif kind == "tuple":
            self.constants.append((name, ("tuple", (INT, INT)), f"({r.randint(-2, 3)}, {r.randint(-2, 3)})"))
        elif kind == "bool":
            self.constants.append((name, BOOL, r.choice(("True", "False"))))
        else:
            self.constants.append((name, COLOR, f"Color.{r.choice(ENUM_MEMBERS)}"))

    def helper(self) -> None:
        r = self.rng
        name = self.name("h")
        n = r.choice((1, 1, 2))
        types = [r.choice((INT, INT, BOOL, STR, list_of(INT))) for _ in range(n)]
        # A parameter may share its name with a module constant: it shadows it in CPython.
        pnames = []
        for i in range(n):
            same = [c for c, t, _ in self.constants if t == types[i] and c not in pnames]
            pnames.append(r.choice(same) if same and r.random() < 0.2 else f"a{i}")
        ret = r.choice((INT, INT, BOOL, BOOL, STR))
        body, _ = self.body(list(zip(pnames, types, strict=True)), "int" if ret == INT else (
            "bool" if ret == BOOL else "str"), clauses=1)
        self.helpers.append((name, types, ret, f"def {name}({', '.join(pnames)}):\n{body}"))

    # -- bodies ----------------------------------------------------------------------

    def body(self, env: list[tuple[str, Ty]], result: str, *, clauses: int) -> tuple[str, bool]:
        """An indented function body: assignments, then one return; and whether a constant is shadowed."""
        r = self.rng
        env = list(env)
        out: list[str] = []
        used_constants: list[str] = []
        for _ in range(r.choice((0, 1, 2) if result == "int" else (0, 0, 1, 2))):
            t = r.choice((INT, INT, BOOL, STR, list_of(INT)))
            before = set(self.used)
            value = self.expr(t, env, min(2, self.depth))
            used_constants += [c for c in self.used - before if c.startswith("K")]
            local = self.name("t")
            out.append(f"    {local} = {value}")
            env.append((local, t))
        ty = INT if result == "int" else (BOOL if result == "bool" else STR)
        parts = [self.expr(ty, env, self.depth) for _ in range(clauses)]
        shadow = False
        if used_constants and r.random() < 0.25:
            # Assign a module constant's name after its use: CPython makes it local to the whole body,
            # so the earlier use raises UnboundLocalError.
            victim = r.choice(used_constants)
            kind = next(t for c, t, _ in self.constants if c == victim)
            out.append(f"    {victim} = {self.expr(kind, env, 1)}")
            shadow = True
        out.append(f"    return {' and '.join(f'({p})' for p in parts) if len(parts) > 1 else parts[0]}")
        return "\n".join(out), shadow

    # -- expressions -------------------------------------------------------------------

    def expr(self, t: Ty, env: list[tuple[str, Ty]], depth: int) -> str:
        """A well-typed expression of type ``t``."""
        for _ in range(30):
            text = self._expr(t, env, depth)
            if text is not None:
                return text
        return self.leaf(t, env)

    def vars_of(self, t: Ty, env: list[tuple[str, Ty]]) -> list[str]:
        return [n for n, vt in env if vt == t] + [c for c, ct, _ in self.constants if ct == t]

    def var(self, t: Ty, env: list[tuple[str, Ty]]) -> str | None:
        names = self.vars_of(t, env)
        if not names:
            return None
        # Specs are about their proposal: name it more often than anything else.
        choice = "p" if "p" in names and self.chance(0.4) else self.rng.choice(names)
        self.used = self.used | {choice}
        return choice

    def leaf(self, t: Ty, env: list[tuple[str, Ty]]) -> str:
        v = self.var(t, env) if self.chance(0.7) else None
        if v is not None:
            return v
        if t == INT:
            return self.int_literal()
        if t == BOOL:
            return self.rng.choice(("True", "False"))
        if t == STR:
            return self.str_literal()
        if t == COLOR:
            return f"Color.{self.rng.choice(ENUM_MEMBERS)}"
        if t[0] == "tuple":
            return "(" + ", ".join(self.leaf(i, env) for i in t[1]) + ")"
        if is_list(t):
            return "[" + ", ".join(self.leaf(t[1], env) for _ in range(self.rng.choice((1, 2, 3)))) + "]"
        if t[0] == "rec":
            return f"{t[1]}({self.rng.randint(0, 2)}, {self.rng.randint(0, 2)})"
        raise AssertionError(t)

    def _expr(self, t: Ty, env: list[tuple[str, Ty]], depth: int) -> str | None:
        if depth <= 0 or self.chance(0.2):
            if _has_record(t):  # records have no literals in the spec language: only names
                return self.var(t, env)
            return self.leaf(t, env)
        if t == INT:
            return self.int_expr(env, depth)
        if t == BOOL:
            return self.bool_expr(env, depth)
        if t == STR:
            return self.str_expr(env, depth)
        if is_list(t):
            return self.list_expr(t, env, depth)
        if t[0] == "rec":
            return self.var(t, env) or self.index_into(t, env, depth)
        if t == COLOR:
            r = self.rng.random()
            if r < 0.4:
                return self.ifexp(t, env, depth)
            return self.index_into(t, env, depth) or self.leaf(t, env)
        return self.leaf(t, env)

    def ifexp(self, t: Ty, env: list[tuple[str, Ty]], depth: int) -> str:
        c = self.expr(BOOL, env, depth - 1)
        return f"({self.expr(t, env, depth - 1)} if {c} else {self.expr(t, env, depth - 1)})"

    def index_into(self, t: Ty, env: list[tuple[str, Ty]], depth: int) -> str | None:
        lists = self.vars_of(list_of(t), env)
        if not lists and t not in (INT, BOOL):
            return None
        xs = self.rng.choice(lists) if lists else self.list_expr(list_of(t), env, depth - 1)
        if xs is None:
            return None
        self.used = self.used | {xs}
        return f"{xs}[{self.small_int(env, depth - 1)}]"

    def small_int(self, env: list[tuple[str, Ty]], depth: int) -> str:
        """An int expression whose value stays small (range bounds, indices)."""
        r = self.rng
        # The proposal, the givens and comprehension variables are small; locals and constants may not be.
        small = [n for n, t in env if t == INT and (n == "p" or n[0] == "g" or n in self.small)]
        if small and self.chance(0.4):
            return r.choice(small)
        lists = [n for n, t in env if is_list(t)]
        if lists and self.chance(0.3):
            return f"len({r.choice(lists)})" if self.chance(0.5) else f"(len({r.choice(lists)}) - 1)"
        return str(r.choice((-2, -1, 0, 1, 2, 3, 4)))

    def int_expr(self, env: list[tuple[str, Ty]], depth: int) -> str | None:
        r = self.rng
        d = depth - 1
        pick = r.randrange(19)
        if pick <= 2:
            op = r.choice(("+", "-", "*", "//", "%", "+", "-"))
            return f"({self.expr(INT, env, d)} {op} {self.expr(INT, env, d)})"
        if pick == 3:
            return f"({self.expr(INT, env, d)} ** {r.choice((0, 1, 2, 3))})"
        if pick == 4:
            return f"({r.choice(('-', '+'))}{self.expr(INT, env, d)})"
        if pick == 5:
            fn = r.choice(("abs", "min", "max"))
            args = 1 if fn == "abs" else r.choice((2, 3))
            return f"{fn}({', '.join(self.expr(INT, env, d) for _ in range(args))})"
        if pick == 6:
            what = r.choice((list_of(INT), STR, list_of(BOOL), ("tuple", (INT, INT))))
            return f"len({self.expr(what, env, d)})"
        if pick == 7:
            return f"len({self.range_text(env, d)})"
        if pick == 8:
            elt_t = r.choice((INT, BOOL))
            return f"sum({self.genexp(elt_t, env, d)})"
        if pick == 9:
            start = f", {self.expr(INT, env, d)}" if self.chance(0.3) else ""
            return f"sum({self.expr(list_of(INT), env, d)}{start})"
        if pick == 10:
            arg = self.genexp(INT, env, d) if self.chance(0.5) else self.expr(list_of(INT), env, d)
            return f"{r.choice(('min', 'max'))}({arg})"
        if pick == 11:
            return self.index_into(INT, env, depth)
        if pick == 12:
            tups = self.vars_of(PAIR, env) + self.vars_of(("tuple", (INT, INT)), env)
            if not tups:
                return None
            return f"{r.choice(tups)}[{r.choice((0, -2))}]"
        if pick == 13:
            recs = [n for n, t in env if t[0] == "rec"]
            if not recs:
                lists = [(n, t) for n, t in env if is_list(t) and t[1][0] == "rec"]
                if not lists:
                    return None
                n, _ = r.choice(lists)
                return f"{n}[{self.small_int(env, d)}].{r.choice('xy')}"
            return f"{r.choice(recs)}.{r.choice('xy')}"
        if pick == 14:
            return self.ifexp(INT, env, depth)
        if pick == 15:
            elem = r.choice((INT, BOOL, STR, COLOR))
            xs = self.expr(list_of(elem), env, d)
            return f"{xs}.count({self.expr(elem, env, d)})"
        if pick == 16:
            return f"int({self.expr(BOOL, env, d)})"
        if pick == 17:
            return f"divmod({self.expr(INT, env, d)}, {self.expr(INT, env, d)})[{r.choice((0, 1))}]"
        return self.call(INT, env, d)

    def call(self, t: Ty, env: list[tuple[str, Ty]], depth: int) -> str | None:
        fits = [h for h in self.helpers if h[2] == t]
        if not fits:
            return None
        name, types, _, _ = self.rng.choice(fits)
        return f"{name}({', '.join(self.expr(a, env, depth) for a in types)})"

    def bool_expr(self, env: list[tuple[str, Ty]], depth: int) -> str | None:
        r = self.rng
        d = depth - 1
        pick = r.randrange(16)
        compound = [t for _, t in env if t[0] in ("rec", "list", "tuple")]
        if compound and self.chance(0.2):
            pick = 3
        if pick <= 2:
            t = r.choice((INT, INT, STR, COLOR, BOOL))
            if self.proposal_ty in (INT, STR, COLOR) and self.chance(0.4):
                t = self.proposal_ty  # comparisons about the proposal decide most of a spec
            ops = ("==", "!=", "<", "<=", ">", ">=") if t in (INT, STR) else ("==", "!=")
            if t == STR and self.chance(0.25):
                # A string against the last characters of SMT-LIB's alphabet, where the solvers' strings end.
                edge = r.choice(("\U0002ffff", "\U0002fffe", "\U0002ffffa"))
                self.strings.add(edge)
                self.probes.append("string-edge")
                left = "p" if self.proposal_ty == STR and self.chance(0.6) else self.expr(t, env, d)
                return f"({left} {r.choice(ops)} {_escaped(edge)})"
            if t in (INT, STR) and self.chance(0.25):
                return (f"({self.expr(t, env, d)} {r.choice(ops)} {self.expr(t, env, d)} "
                        f"{r.choice(ops)} {self.expr(t, env, d)})")
            return f"({self.expr(t, env, d)} {r.choice(ops)} {self.expr(t, env, d)})"
        if pick == 3:
            # Equality of compound values: records (their own ==), lists, tuples.
            if not compound:
                return None
            t = r.choice(compound)
            return f"({self.expr(t, env, d)} {r.choice(('==', '!='))} {self.expr(t, env, d)})"
        if pick == 4:
            op = r.choice(("and", "or"))
            return "(" + f" {op} ".join(self.expr(BOOL, env, d) for _ in range(r.choice((2, 3)))) + ")"
        if pick == 5:
            return f"(not {self.expr(BOOL, env, d)})"
        if pick in (6, 7):
            fn = r.choice(("all", "any"))
            arg = self.genexp(BOOL, env, d) if self.chance(0.8) else self.comprehension(BOOL, env, d)
            return f"{fn}({arg})"
        if pick == 8:
            elem = r.choice((INT, INT, STR, COLOR, *(t[1] for _, t in env if is_list(t))))
            return (f"({self.expr(elem, env, d)} {r.choice(('in', 'not in'))} "
                    f"{self.expr(list_of(elem), env, d)})")
        if pick == 9:
            return f"({self.expr(INT, env, d)} {r.choice(('in', 'not in'))} {self.range_text(env, d)})"
        if pick == 10:
            return f"({self.expr(STR, env, d)} {r.choice(('in', 'not in'))} {self.expr(STR, env, d)})"
        if pick == 11:
            return f"{self.expr(STR, env, d)}.{r.choice(('startswith', 'endswith'))}({self.expr(STR, env, d)})"
        if pick == 12:
            return f"implies({self.expr(BOOL, env, d)}, {self.expr(BOOL, env, d)})"
        if pick == 13:
            elem = r.choice((INT, STR, COLOR, BOOL))
            arg = self.genexp(elem, env, d) if self.chance(0.4) else self.expr(list_of(elem), env, d)
            return f"distinct({arg})"
        if pick == 14:
            return self.ifexp(BOOL, env, depth)
        return self.call(BOOL, env, d) or self.index_into(BOOL, env, depth)

    def str_expr(self, env: list[tuple[str, Ty]], depth: int) -> str | None:
        r = self.rng
        d = depth - 1
        pick = r.randrange(6)
        if pick == 0:
            return f"({self.expr(STR, env, d)} + {self.expr(STR, env, d)})"
        if pick == 1:
            return f"{self.expr(STR, env, d)}[{self.small_int(env, d)}]"
        if pick == 2:
            return f"{r.choice(('min', 'max'))}({self.expr(STR, env, d)}, {self.expr(STR, env, d)})"
        if pick == 3:
            return self.ifexp(STR, env, depth)
        if pick == 4:
            return self.index_into(STR, env, depth)
        return self.call(STR, env, d)

    def list_expr(self, t: Ty, env: list[tuple[str, Ty]], depth: int) -> str | None:
        r = self.rng
        d = depth - 1
        pick = r.randrange(6)
        if pick <= 1:
            return self.comprehension(t[1], env, d)
        if pick == 2:
            return f"({self.expr(t, env, d)} + {self.expr(t, env, d)})"
        if pick == 3:
            return self.ifexp(t, env, depth)
        if pick == 4 and t[1][0] != "rec":
            return "[" + ", ".join(self.expr(t[1], env, d) for _ in range(r.choice((1, 2)))) + "]"
        return self.var(t, env)

    # -- iteration -----------------------------------------------------------------------

    def range_text(self, env: list[tuple[str, Ty]], depth: int) -> str:
        r = self.rng
        n = r.choice((1, 2, 3, 3))
        if n == 1:
            return f"range({self.small_int(env, depth)})"
        a, b = self.small_int(env, depth), self.small_int(env, depth)
        if n == 2:
            return f"range({a}, {b})"
        step = r.choice(("1", "2", "3", "-1", "-2", "+1", "+2", "(+3)", "-3", "(-1)"))
        if step.lstrip("(").startswith("+"):
            self.probes.append("range-plus-step")
        return f"range({a}, {b}, {step})"

    def generator_clause(self, env: list[tuple[str, Ty]], depth: int) -> tuple[str, list[tuple[str, Ty]]]:
        """``for TARGET in ITER [if COND]`` and the names it binds."""
        r = self.rng
        pick = r.randrange(5)
        v = self.name("v")
        lists = [(n, t) for n, t in env if is_list(t)]
        if pick <= 1 or not lists:
            bound = [(v, INT)]
            it = self.range_text(env, depth)
            self.small.add(v)
        elif pick == 2:
            n, t = r.choice(lists)
            bound = [(v, t[1])]
            it = n
        elif pick == 3:
            n, t = r.choice(lists)
            i = self.name("v")
            bound = [(i, INT), (v, t[1])]
            return self._with_filter(f"for {i}, {v} in enumerate({n})", env + bound, depth), env + bound
        else:
            (n1, t1), (n2, t2) = r.choice(lists), r.choice(lists)
            w = self.name("v")
            bound = [(v, t1[1]), (w, t2[1])]
            return self._with_filter(f"for {v}, {w} in zip({n1}, {n2})", env + bound, depth), env + bound
        if self.chance(0.1):
            # A comprehension variable may shadow an outer name (the proposal, a constant): it is its own scope.
            shadowed = r.choice([n for n, t in env if t == bound[0][1]] or [v])
            bound = [(shadowed, bound[0][1])]
            v = shadowed
        inner = [(n, t) for n, t in env if n != v] + bound
        return self._with_filter(f"for {v} in {it}", inner, depth), inner

    def _with_filter(self, head: str, env: list[tuple[str, Ty]], depth: int) -> str:
        if self.chance(0.3):
            return f"{head} if {self.expr(BOOL, env, depth - 1)}"
        return head

    def genexp(self, elt: Ty, env: list[tuple[str, Ty]], depth: int) -> str:
        return f"({self._comp_body(elt, env, depth)})"

    def comprehension(self, elt: Ty, env: list[tuple[str, Ty]], depth: int) -> str:
        return f"[{self._comp_body(elt, env, depth)}]"

    def _comp_body(self, elt: Ty, env: list[tuple[str, Ty]], depth: int) -> str:
        clauses = []
        inner = env
        for _ in range(2 if self.chance(0.2) else 1):
            text, inner = self.generator_clause(inner, depth)
            clauses.append(text)
        return f"{self.expr(elt, inner, max(depth - 1, 0))} {' '.join(clauses)}"


def _has_record(t: Ty) -> bool:
    return t[0] == "rec" or (t[0] == "list" and _has_record(t[1]))


def _escaped(s: str) -> str:
    return '"' + "".join(f"\\U{ord(c):08x}" for c in s) + '"'


# --- the oracle -----------------------------------------------------------------------


def alphabet(constants: set[str], chars: int) -> list[str]:
    """Representative characters: ``chars + 1`` (or all) in each gap between and around the constants' characters."""
    named = sorted({ord(c) for s in constants for c in s})
    per_gap = chars + 1
    points: set[int] = set(named)
    for lo, hi in itertools.pairwise([-1, *named, 0x110000]):
        reps = list(range(lo + 1, min(hi, lo + 1 + per_gap)))
        if reps and lo + 1 < 0x30000 < hi and 0x30000 not in reps:
            # The gap reaches past SMT-LIB's last code point: one representative stands there.
            reps[-1] = 0x30000
        points.update(reps)
    return [chr(c) for c in sorted(points)]


class Truth:
    """What CPython says about a case: the solutions among the enumerated domain, and any other value."""

    def __init__(self, case: Case, raw: Callable[..., Any], objective: Callable[..., Any] | None,
                 ns: dict[str, Any], objective_params: list[str]) -> None:
        start = time.perf_counter()
        self.case, self.raw, self.objective_fn, self.ns, self.params = case, raw, objective, ns, objective_params
        self.givens = {n: to_python(d, case.givens[n], ns) for n, d in case.given_doms.items()}
        self.domain: list[Any] = []  # JSON values that build (a __post_init__ may refuse some)
        self.invalid: list[Any] = []  # JSON values whose construction raises
        self.solutions: list[Any] = []
        self.objective: dict[str, int] = {}  # solution (as _show) -> objective value (absent: it raised)
        for value in case.proposal.values(alphabet(case.string_constants, case.proposal.chars())):
            built, holds, score = self.run(value)
            if not built:
                self.invalid.append(value)
                continue
            self.domain.append(value)
            if holds:
                self.solutions.append(value)
                if score is not None:
                    self.objective[_show(value)] = score
        self.keys = {_show(v) for v in self.solutions}
        self.seconds = time.perf_counter() - start

    def run(self, value: Any) -> tuple[bool, bool, int | None]:
        """(whether the value builds, whether the spec holds on it, its objective or None) by CPython."""
        try:
            py = to_python(self.case.proposal, value, self.ns)
        except Exception:
            return False, False, None
        try:
            holds = self.raw(p=py, **self.givens) is True
        except Exception:
            holds = False
        if not holds or self.objective_fn is None:
            return True, holds, None
        env = {"p": py, **self.givens}
        try:
            score = self.objective_fn(*(env[n] for n in self.params))
        except Exception:
            return True, True, None
        return True, True, score if isinstance(score, int) and not isinstance(score, bool) else None

    def holds(self, value: Any) -> bool:
        return _show(value) in self.keys or self.run(value)[1]

    def best(self) -> int | None:
        if not self.objective:
            return None
        return max(self.objective.values()) if self.case.claim == "maximize" else min(self.objective.values())

    def claim_holds(self, value: Any) -> bool:
        """The spec holds on ``value`` and so does its claim (unique, optimal), by CPython over the whole domain."""
        _, holds, score = self.run(value)
        if not holds:
            return False
        if self.case.claim == "unique":
            return len(self.solutions) == 1 and _show(self.solutions[0]) == _show(value)
        if self.case.claim in ("maximize", "minimize"):
            return score is not None and score == self.best()
        return True

    def score(self, value: Any) -> int | None:
        return self.run(value)[2]


def brute_force(case: Case, raw: Callable[..., Any], objective: Callable[..., Any] | None, ns: dict[str, Any],
                objective_params: list[str]) -> Truth:
    return Truth(case, raw, objective, ns, objective_params)


class CaseTimeout(BaseException):
    """A case ran past its time limit (raised by the alarm; a BaseException so no `except Exception` eats it)."""


def _alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout


@dataclass
class Report:
    """What one case came to: disagreements (bugs), and counts of everything else."""

    seed: int
    source: str
    refused: str = ""
    disagreements: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    timed_out: bool = False
    probes: list[str] = field(default_factory=list)

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def disagree(self, what: str) -> None:
        self.disagreements.append(what)


def _show(v: Any) -> str:
    return json.dumps(v, ensure_ascii=True)


def run_case(seed: int, folder: Path, *, timeout: float = 2.0, limit: float = 60.0, checks: int = 6) -> Report:
    """Generate, load, brute-force and judge one spec; every disagreement is named in the report.

    Random specs are often unsatisfiable; a spec with no solution is kept
    only some of the time (the seed decides), so that most cases exercise
    acceptance, the claims and repair as well as VACUOUS.
    """
    from assay.kernel import Outcome, check
    from assay.kernel.repair import repair, solve_outright
    from assay.specs import InvalidSpec, load

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    report = Report(seed, "")
    try:
        chooser = random.Random(-seed - 1)
        for attempt in range(ATTEMPTS):
            case = Generator(seed + attempt * 1_000_003).case()
            report = Report(seed, case.source, probes=case.probes)
            path = folder / f"fuzz_{seed}_{attempt}.py"
            path.write_text(case.source, encoding="utf-8")
            try:
                spec = load(f"{path}:{case.name}")
            except InvalidSpec as exc:
                report.refused = str(exc)
                return report
            raw = spec.__wrapped__
            ns = raw.__globals__
            objective = ns.get("score") if case.claim in ("maximize", "minimize") else None
            obj_params = list(objective.__code__.co_varnames[: objective.__code__.co_argcount]) if objective else []
            truth = brute_force(case, raw, objective, ns, obj_params)
            if truth.solutions or attempt == ATTEMPTS - 1 or chooser.random() < 0.25:
                break
        try:
            _judge(case, spec, truth, report, _Kernel(check, repair, solve_outright, Outcome, timeout),
                   checks=checks)
        except Exception as exc:  # a crash of the kernel on a loaded spec is a bug like a wrong answer
            where = traceback.extract_tb(exc.__traceback__)[-1]
            report.disagree(f"crash: {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno})")
    except CaseTimeout:
        report.timed_out = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return report


# How many specs a case may generate before it keeps one without solutions.
ATTEMPTS = 6


@dataclass(frozen=True)
class _Kernel:
    """The kernel functions a case is judged through, and the solver timeout they get."""

    check: Callable[..., Any]
    repair: Callable[..., Any]
    solve_outright: Callable[..., Any]
    outcome: Any  # the Outcome enum
    timeout: float


def _judge(case: Case, spec: Any, truth: Truth, report: Report, kernel: _Kernel, *, checks: int) -> None:
    check, outcome, timeout = kernel.check, kernel.outcome, kernel.timeout
    rng = random.Random(case.seed)
    sols = truth.solutions
    claim = case.claim
    wrong = [v for v in truth.domain if _show(v) not in truth.keys]
    picked = rng.sample(sols, min(len(sols), max(1, checks // 2))) if sols else []
    picked += rng.sample(wrong, min(len(wrong), checks - len(picked)))
    for value in picked:
        v = check(spec, case.givens, value, timeout=timeout)
        o = v.outcome
        report.count(f"check:{o.name}")
        where = f"check({_show(value)})"
        if o is outcome.UNKNOWN:
            if v.reason.startswith("internal"):
                report.disagree(f"{where}: {v.reason}")
            continue
        if o is outcome.MALFORMED:
            report.disagree(f"{where} is MALFORMED though the value is in the domain: {v.reason}")
            continue
        if _show(value) not in truth.keys:
            if o is outcome.ACCEPTED:
                report.disagree(f"{where} is ACCEPTED but CPython says the spec does not hold")
            elif o is outcome.VACUOUS and sols:
                report.disagree(f"{where} is VACUOUS but {_show(sols[0])} meets the spec ({v.reason})")
            continue
        if o is outcome.VACUOUS:
            report.disagree(f"{where} is VACUOUS but the value meets the spec")
        elif claim == "" and o is not outcome.ACCEPTED:
            report.disagree(f"{where} is {o.name} but the spec holds: {v.reason}")
        elif o is outcome.ACCEPTED and not truth.claim_holds(value):
            report.disagree(f"{where} is ACCEPTED ({v.reason}), but the {claim} claim is false: "
                            f"{len(sols)} solutions, objective {truth.score(value)}, best {truth.best()}")
        elif o is outcome.REFUTED and truth.claim_holds(value):
            report.disagree(f"{where} is REFUTED ({v.reason}), but the {claim} claim holds "
                            f"({len(sols)} solutions, objective {truth.score(value)})")
        elif o is outcome.REFUTED and v.witness is not None:
            witness = to_json(case.proposal, v.witness)
            if not truth.holds(witness) or _show(witness) == _show(value):
                report.disagree(f"{where}: the counterexample {_show(witness)} to the {claim} claim is no "
                                "other solution")
            elif claim != "unique" and not _better(truth.score(witness), truth.score(value), claim):
                report.disagree(f"{where}: the counterexample {_show(witness)} is not better "
                                f"({truth.score(witness)} against {truth.score(value)})")
    for bad in truth.invalid[:1]:
        v = check(spec, case.givens, bad, timeout=timeout)
        report.count(f"invalid:{v.outcome.name}")
        if v.outcome is not outcome.MALFORMED:
            report.disagree(f"check({_show(bad)}) is {v.outcome.name}, but the record's own __post_init__ "
                            f"refuses the value: {v.reason}")
    _judge_outright(case, spec, truth, report, kernel)
    if wrong:
        _judge_repair(case, spec, truth, report, kernel, wrong=rng.choice(wrong))


def _better(a: int | None, b: int | None, claim: str) -> bool:
    if a is None:
        return False
    if b is None:
        return True
    return a > b if claim == "maximize" else a < b


def _judge_outright(case: Case, spec: Any, truth: Truth, report: Report, kernel: _Kernel) -> None:
    outcome = kernel.outcome
    v = kernel.solve_outright(spec, case.givens, timeout=kernel.timeout)
    report.count(f"outright:{v.outcome.name}")
    o = v.outcome
    if o is outcome.VACUOUS and truth.solutions:
        report.disagree(f"solve_outright is VACUOUS but {_show(truth.solutions[0])} meets the spec")
    elif o is outcome.ACCEPTED:
        if not truth.holds(v.answer):
            report.disagree(f"solve_outright ACCEPTED {_show(v.answer)}, which does not meet the spec")
        elif not truth.claim_holds(v.answer):
            report.disagree(f"solve_outright ACCEPTED {_show(v.answer)}, but the {case.claim} claim is false for it "
                            f"({len(truth.solutions)} solutions, objective {truth.score(v.answer)}, "
                            f"best {truth.best()})")
    elif o is outcome.UNKNOWN and re.search(r"[A-Z][a-z]+Error", v.reason) and truth.best() is not None:
        report.disagree(f"solve_outright gave up ({v.reason}) though an optimum with a defined objective exists")


def _judge_repair(case: Case, spec: Any, truth: Truth, report: Report, kernel: _Kernel, *, wrong: Any) -> None:
    outcome = kernel.outcome
    v = kernel.repair(spec, case.givens, wrong, timeout=kernel.timeout)
    report.count(f"repair:{v.outcome.name}")
    o = v.outcome
    where = f"repair({_show(wrong)})"
    if o is outcome.VACUOUS and truth.solutions:
        report.disagree(f"{where} is VACUOUS but {_show(truth.solutions[0])} meets the spec")
    elif o is outcome.ACCEPTED:
        report.disagree(f"{where} ACCEPTED a proposal CPython refutes")
    elif o is outcome.REPAIRED:
        key = _show(v.answer)
        if not truth.holds(v.answer):
            report.disagree(f"{where} REPAIRED to {key}, which does not meet the spec")
            return
        if not truth.claim_holds(v.answer):
            report.disagree(f"{where} REPAIRED to {key}, but the {case.claim} claim is false for it")
        if "; minimal:" in v.reason:
            fits = [s for s in truth.solutions if truth.claim_holds(s)]
            fewest = min(leaf_changes(case.proposal, wrong, s) for s in fits)
            mine = leaf_changes(case.proposal, wrong, v.answer)
            if mine != fewest:
                report.disagree(f"{where} REPAIRED to {key} with {mine} changes, 'proved minimal', "
                                f"but a solution with {fewest} exists")
