"""Specs behind the claims-path bugs of issue 10 (and the fuzzer's findings): each once proved something false."""

from dataclasses import dataclass, field
from typing import Annotated

from assay.specs import Between, Given, Length, MaxLen, Proposal, spec

Bit = Annotated[int, Between(0, 1)]
Five = Annotated[list[Bit], Length(5)]
Small = Annotated[int, Between(0, 5)]


# --- 1. range(a, b, +k) was read as step -k ------------------------------------------


@spec
def plus_step_any(p: Proposal[Five]) -> bool:
    return any(p[i] == 1 for i in range(0, 5, +2))


@spec(unique=True)
def plus_step_unique(x: Proposal[Small]) -> bool:
    return x == 0 or any(i == i for i in range(0, 1, +1))  # noqa: PLR0124 - the issue's case: true for every i


def plus_step_total(p: list[int]) -> int:
    return sum(p[i] for i in range(0, 5, +2))


@spec(maximize=plus_step_total)
def plus_step_optimum(p: Proposal[Five]) -> bool:
    return p[1] == 0


# --- 2. record equality is the dataclass's own ----------------------------------------


@dataclass(frozen=True)
class Tag:
    key: Bit
    note: Annotated[int, Between(0, 3)] = field(compare=False)


@spec(unique=True)
def tag_equal(target: Given[Tag], p: Proposal[Tag]) -> bool:
    return p == target


@spec(unique=True)
def tag_in_list(targets: Given[list[Tag]], p: Proposal[Tag]) -> bool:
    return p in targets


@dataclass(eq=False)
class Ident:
    key: Bit


@spec(unique=True)
def identity_unequal(target: Given[Ident], p: Proposal[Ident]) -> bool:
    return p != target


@dataclass
class Own:
    key: Bit
    other: Bit

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Own) and self.key == other.key

    __hash__ = None  # type: ignore[assignment]


@spec
def own_equal(target: Given[Own], p: Proposal[Own]) -> bool:
    return p == target


@spec
def own_counted(targets: Given[list[Own]], p: Proposal[Own]) -> bool:
    return targets.count(p) == 1


@dataclass(frozen=True)
class Slot:
    at: Bit
    tag: Tag


@spec(unique=True)
def nested_tag_equal(target: Given[Slot], p: Proposal[Slot]) -> bool:
    return p == target


# --- 3. proposal strings range over all of Unicode ------------------------------------

Char = Annotated[str, MaxLen(1)]


@spec(unique=True)
def past_smt_alphabet_unique(x: Proposal[Char]) -> bool:
    return x == "a" or (len(x) == 1 and x > "\U0002FFFF")


@spec
def past_smt_alphabet(x: Proposal[Char]) -> bool:
    return len(x) == 1 and x > "\U0002FFFF"


@spec(unique=True)
def plain_string_unique(x: Proposal[Annotated[str, MaxLen(2)]]) -> bool:
    return x == "ab"


# --- 4. a name assigned anywhere in a body is local to all of it ----------------------

K = 5


def shadowed_score(p: int) -> int:
    t = K + p  # noqa: F823 - the point: CPython makes K local to the whole body
    K = 1
    return t


@spec(maximize=shadowed_score)
def shadowed_objective(p: Proposal[Small]) -> bool:
    return p >= 0


@spec
def shadowed_body(p: Proposal[Small]) -> bool:
    t = K + p  # noqa: F823 - the point
    K = 1
    return t > 2


def uses_shadow(p: int) -> bool:
    t = [K + i for i in range(p)]
    K = 2
    return len(t) > 0


@spec
def shadowed_in_helper(p: Proposal[Small]) -> bool:
    return uses_shadow(p)


# --- objectives take the spec's parameters ---------------------------------------------


def by_local(p: int, doubled: int) -> int:
    return doubled


@spec(maximize=by_local)
def objective_names_a_local(p: Proposal[Small]) -> bool:
    doubled = p * 2
    return doubled < 8


def by_p(p: int) -> int:
    return p


@spec(maximize=by_p)
def objective_of_a_reassigned_parameter(p: Proposal[Small]) -> bool:
    p = 5 - p
    return p > 1


def second(xs: list[int]) -> int:
    return xs[1]


@spec(maximize=second)
def objective_raises_on_some(xs: Proposal[Annotated[list[Annotated[int, Between(0, 3)]], MaxLen(2)]]) -> bool:
    return len(xs) >= 1 and xs[0] == 0


# --- a record's own __post_init__ decides which values are proposals -------------------


@dataclass(frozen=True)
class Ordered:
    lo: Bit
    hi: Bit

    def __post_init__(self) -> None:
        if self.lo > self.hi:
            raise ValueError(f"lo={self.lo} is above hi={self.hi}")


@spec(unique=True)
def ordered_unique(p: Proposal[Ordered]) -> bool:
    return p.lo == 1


@dataclass
class Doubled:
    n: Bit

    def __post_init__(self) -> None:
        self.n = self.n * 2


@spec
def doubled(p: Proposal[Doubled]) -> bool:
    return p.n <= 2


# --- the spec's own code runs under the evaluation limits, in repair too -----------------


@spec
def runs_for_ever(n: Given[int], p: Proposal[Annotated[int, Between(-1, 5)]]) -> bool:
    return all(p != i for i in range(n))
