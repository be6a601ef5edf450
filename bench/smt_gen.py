"""A seeded generator of hard-ish SMT-LIB problems: QF_LIA, QF_NIA and bounded integer puzzles.

Each problem is an SMT-LIB2 script in the subset the solver pool accepts
(``set-logic``, ``declare-fun``, ``assert``, ``check-sat``), the variables to
read a model for, its family, and its expected answer where the construction
fixes it ("sat" for planted solutions, "unsat" for pigeonholes and primes,
"" where nobody knows in advance).  The same seed gives the same problems.

    python bench/smt_gen.py --seed 0 --out /tmp/problems   # write them as .smt2 files
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FAMILIES", "Problem", "generate"]


@dataclass(frozen=True)
class Problem:
    """One generated problem."""

    name: str
    family: str
    smtlib: str
    variables: dict[str, str]
    expected: str  # "sat" | "unsat" | "" (unknown in advance)


def _script(names: list[str], asserts: list[str]) -> str:
    lines = ["(set-logic ALL)", *(f"(declare-fun |{n}| () Int)" for n in names),
             *(f"(assert {a})" for a in asserts), "(check-sat)"]
    return "\n".join(lines) + "\n"


def _sum(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else "(+ " + " ".join(terms) + ")"


def _int(n: int) -> str:
    return str(n) if n >= 0 else f"(- {-n})"


def market_split(rng: random.Random, m: int, n: int) -> tuple[list[str], list[str], str]:
    """Cornuejols-Dawande market split: binary x, m equations sum a_ij x_j = floor(sum_j a_ij / 2)."""
    xs = [f"x{j}" for j in range(n)]
    asserts = [f"(<= 0 |{x}| 1)" for x in xs]
    for _ in range(m):
        a = [rng.randrange(100) for _ in range(n)]
        asserts.append(f"(= {_sum([f'(* {c} |{x}|)' for c, x in zip(a, xs, strict=True)])} {sum(a) // 2})")
    return xs, asserts, ""


def planted_knapsack(rng: random.Random, n: int, bound: int) -> tuple[list[str], list[str], str]:
    """Equality knapsacks with a planted solution in [0, bound]^n, plus inequalities it meets."""
    xs = [f"k{j}" for j in range(n)]
    plant = [rng.randrange(bound + 1) for _ in range(n)]
    asserts = [f"(<= 0 |{x}| {bound})" for x in xs]
    for _ in range(3):
        a = [rng.randrange(1, 60) for _ in range(n)]
        total = sum(c * v for c, v in zip(a, plant, strict=True))
        asserts.append(f"(= {_sum([f'(* {c} |{x}|)' for c, x in zip(a, xs, strict=True)])} {total})")
    return xs, asserts, "sat"


def _primes(lo: int, hi: int) -> list[int]:
    return [p for p in range(lo, hi) if p > 1 and all(p % d for d in range(2, int(p ** 0.5) + 1))]


def factor(rng: random.Random, bits: int, prime: bool) -> tuple[list[str], list[str], str]:
    """x * y = N over [2, N): N a product of two primes of ``bits`` bits (sat), or a prime (unsat)."""
    ps = _primes(1 << (bits - 1), 1 << bits)
    low = 1 << (2 * bits - 1)
    n = rng.choice(_primes(low, low + 4000)) if prime else rng.choice(ps) * rng.choice(ps)
    return ["fx", "fy"], ["(<= 2 |fx| |fy|)", f"(< |fy| {n})", f"(= (* |fx| |fy|) {n})"], \
        "unsat" if prime else "sat"


def cubes(rng: random.Random, bound: int) -> tuple[list[str], list[str], str]:
    """x^3 + y^3 + z^3 = k over [-bound, bound], k from a planted triple (sat)."""
    v = [rng.randint(-bound, bound) for _ in range(3)]
    k = sum(c ** 3 for c in v)
    names = ["cx", "cy", "cz"]
    asserts = [f"(<= {_int(-bound)} |{c}| {bound})" for c in names]
    asserts.append(f"(= {_sum([f'(* |{c}| |{c}| |{c}|)' for c in names])} {_int(k)})")
    return names, asserts, "sat"


def magic_square(rng: random.Random, n: int) -> tuple[list[str], list[str], str]:
    """A magic square of order n over 1..n^2 with one or two cells given (sat for n >= 3, mostly)."""
    cells = [[f"m{r}_{c}" for c in range(n)] for r in range(n)]
    flat = [x for row in cells for x in row]
    total = n * (n * n + 1) // 2
    asserts = [f"(<= 1 |{x}| {n * n})" for x in flat]
    asserts.append("(distinct " + " ".join(f"|{x}|" for x in flat) + ")")
    lines = [*cells, *([cells[r][c] for r in range(n)] for c in range(n)),
             [cells[i][i] for i in range(n)], [cells[i][n - 1 - i] for i in range(n)]]
    asserts += [f"(= {_sum([f'|{x}|' for x in line])} {total})" for line in lines]
    asserts.append(f"(= |{cells[0][0]}| {rng.choice([1, 2, n * n])})")
    return flat, asserts, ""


def pigeons(rng: random.Random, holes: int) -> tuple[list[str], list[str], str]:
    """holes + 1 pigeons, pairwise distinct holes in [0, holes) (unsat), with a random permutation of names."""
    ps = [f"p{i}" for i in range(holes + 1)]
    rng.shuffle(ps)
    asserts = [f"(<= 0 |{p}| {holes - 1})" for p in ps]
    asserts.append("(distinct " + " ".join(f"|{p}|" for p in ps) + ")")
    return ps, asserts, "unsat"


Maker = Callable[[random.Random], tuple[list[str], list[str], str]]

FAMILIES: dict[str, list[Maker]] = {
    "lia-market-split": [lambda r: market_split(r, 2, 14), lambda r: market_split(r, 2, 18)],
    "lia-knapsack": [lambda r: planted_knapsack(r, 10, 30), lambda r: planted_knapsack(r, 14, 60)],
    "nia-factor": [lambda r: factor(r, 12, False), lambda r: factor(r, 16, False)],
    "nia-prime": [lambda r: factor(r, 9, True), lambda r: factor(r, 12, True)],
    "nia-cubes": [lambda r: cubes(r, 60), lambda r: cubes(r, 200)],
    "bounded-magic": [lambda r: magic_square(r, 4), lambda r: magic_square(r, 5)],
    "bounded-pigeons": [lambda r: pigeons(r, 7), lambda r: pigeons(r, 8)],
}


def generate(seed: int = 0, per_size: int = 2) -> list[Problem]:
    """``per_size`` problems of every size of every family, from ``seed``."""
    rng = random.Random(seed)
    out = []
    for family, makers in FAMILIES.items():
        for size, make in enumerate(makers):
            for i in range(per_size):
                names, asserts, expected = make(rng)
                out.append(Problem(f"{family}-{size}-{i}", family, _script(names, asserts),
                                   dict.fromkeys(names, "Int"), expected))
    return out


def main() -> None:
    """Write the problems as .smt2 files."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-size", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for p in generate(args.seed, args.per_size):
        (args.out / f"{p.name}.smt2").write_text(p.smtlib)
    print(f"wrote {len(generate(args.seed, args.per_size))} problems to {args.out}")


if __name__ == "__main__":
    main()
