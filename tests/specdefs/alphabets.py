"""Specs over strings with a declared alphabet."""

from typing import Annotated

from assay.specs import Alphabet, MaxLen, Proposal, spec

Word = Annotated[str, MaxLen(3), Alphabet("ab")]


@spec(unique=True)
def two_bs(w: Proposal[Word]) -> bool:
    return len(w) == 2 and w > "az"


@spec
def past_the_end(w: Proposal[Annotated[str, MaxLen(1), Alphabet("a\U0002ffff")]]) -> bool:
    return w > "\U0002fffe"


@spec(unique=True)
def only_bb(w: Proposal[Word]) -> bool:
    return len(w) == 2 and w > "az" and w != "ba"
