"""Program specs for the tests of check_program."""

from typing import Annotated

from assay.specs import Alphabet, Between, Input, MaxLen, Output, spec

Small = Annotated[int, Between(-20, 20)]
Ints = Annotated[list[Small], MaxLen(5)]
Word = Annotated[str, MaxLen(4), Alphabet("ab")]


def total(xs: list[int]) -> int:
    """The reference: a helper written with statements."""
    t = 0
    for x in xs:
        t += x
    return t


@spec(program="sum_list")
def sums(xs: Input[Ints], out: Output[int]) -> bool:
    return out == total(xs)


def nonneg(xs: list[int]) -> bool:
    return all(x >= 0 for x in xs)


@spec(program="sum_list", requires=nonneg)
def sums_of_nonneg(xs: Input[Ints], out: Output[int]) -> bool:
    return out == sum(xs)


def nonempty(xs: list[int]) -> bool:
    return len(xs) >= 1


@spec(program="largest", requires=nonempty)
def largest(xs: Input[Ints], out: Output[int]) -> bool:
    return out in xs and all(x <= out for x in xs)


def ordered(ys: list[int]) -> bool:
    return all(ys[i] <= ys[i + 1] for i in range(len(ys) - 1))


@spec(program="sort_list")
def sorts(xs: Input[Annotated[list[Small], MaxLen(4)]], out: Output[list[int]]) -> bool:
    return ordered(out) and len(out) == len(xs) and all(out.count(x) == xs.count(x) for x in xs)


@spec(program="is_palindrome")
def palindromes(s: Input[Word], out: Output[bool]) -> bool:
    return out == all(s[i] == s[len(s) - 1 - i] for i in range(len(s)))


@spec(program="digits")
def digit_counts(n: Input[Annotated[int, Between(0, 999)]], out: Output[int]) -> bool:
    return out == (1 if n < 10 else (2 if n < 100 else 3))


# --- strings: methods and conversions over declared alphabets ---------------------------------------------

Text = Annotated[str, MaxLen(4), Alphabet("aB1 ")]


def uppers(s: str) -> int:
    n = 0
    for c in s:
        if c.isupper():
            n += 1
    return n


@spec(program="count_upper")
def upper_counts(s: Input[Text], out: Output[int]) -> bool:
    return out == uppers(s)


@spec(program="words")
def word_counts(s: Input[Text], out: Output[int]) -> bool:
    return out == len(s.split())


@spec(program="shout")
def shouts(s: Input[Text], out: Output[str]) -> bool:
    return out == s.upper()


@spec(program="digit_sum")
def digit_sums(n: Input[Annotated[int, Between(0, 99)]], out: Output[int]) -> bool:
    return out == n // 10 + n % 10


@spec(program="sort_in_place")
def sorts_in_place(xs: Input[Annotated[list[Annotated[int, Between(-3, 3)]], MaxLen(3)]],
                   out: Output[list[int]]) -> bool:
    return out == sorted(xs)


def impossible(xs: list[int]) -> bool:
    return len(xs) > 5


@spec(program="sum_list", requires=impossible)
def sums_of_nothing(xs: Input[Ints], out: Output[int]) -> bool:
    return out == 0


@spec(program="positives_then_zero")
def positives_then_zero(xs: Input[Ints], out: Output[list[int]]) -> bool:
    return out == [x for x in xs if x > 0] + [0]


@spec(program="first")
def firsts(t: Input[tuple[Small, Small]], out: Output[int]) -> bool:
    return out == t[0]


Sentence = Annotated[str, MaxLen(6), Alphabet("abcdefghijklmnopqrstuvwxyz ")]


@spec(program="has_run")
def runs_of_spaces(s: Input[Sentence], out: Output[bool]) -> bool:
    return out == ("   " in s)
