"""Strings over a declared alphabet: `check` keeps to it, and claims are proved over exactly it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pytest
from assay.kernel import Outcome, check
from assay.specs import Alphabet, load
from assay.specs.domains import DomainError, StrDomain, domain_of

DEFS = Path(__file__).parent / "specdefs" / "alphabets.py"


def test_the_alphabet_is_part_of_the_domain() -> None:
    d = domain_of(Annotated[str, Alphabet("cab")])
    assert d == StrDomain(None, "abc")
    assert d.describe() == "str over 'abc'"
    assert list(d.out_of_bounds("abz", "w")) == ["w has 'z' (U+007A) at index 2, outside its alphabet 'abc'"]
    with pytest.raises(DomainError, match=r"Alphabet\(\.\.\.\) applies to str"):
        domain_of(Annotated[int, Alphabet("a")])
    with pytest.raises(DomainError, match=r"Alphabet holds U\+30000, past U\+2FFFF"):
        domain_of(Annotated[str, Alphabet("a\U00030000")])


def test_a_value_outside_the_alphabet_is_refuted() -> None:
    v = check(load(f"{DEFS}:two_bs"), {}, "bz")
    assert v.outcome is Outcome.REFUTED
    assert "outside its alphabet 'ab'" in v.reason


def test_claims_are_proved_over_the_alphabet() -> None:
    # Over 'ab' the two-letter words above "az" are "ba" and "bb": "bb" is not the only one.
    v = check(load(f"{DEFS}:two_bs"), {}, "bb")
    assert v.outcome is Outcome.REFUTED
    assert v.witness == "ba"
    # Without "ba", "bb" is the only one over 'ab' (over all of Unicode "bc" would be another).
    v = check(load(f"{DEFS}:only_bb"), {}, "bb")
    assert v.outcome is Outcome.ACCEPTED, v.reason
    assert [(c.name, c.status) for c in v.claims] == [("unique", "proved")]


def test_an_alphabet_at_the_end_of_smtlibs_proves_what_it_can() -> None:
    # The alphabet leaves no room past U+2FFFF to worry about: the claim is exact.
    v = check(load(f"{DEFS}:past_the_end"), {}, "a")
    assert v.outcome is Outcome.REFUTED
    assert "VACUOUS" not in v.reason
    assert check(load(f"{DEFS}:past_the_end"), {}, "\U0002ffff").outcome is Outcome.ACCEPTED
