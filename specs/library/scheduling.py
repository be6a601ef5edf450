"""Meeting scheduling: give each meeting a start hour within its availability window.

One person attends every meeting, so no two may overlap; some meetings must
end before others start.  Times are whole hours of one day (0-23); a meeting
that starts at 9 and lasts 2 hours ends at 11, and another may start at 11.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from assay.specs import Between, Given, MaxLen, Proposal, spec

__all__ = ["MAX_MEETINGS", "Meeting", "Precedence", "meeting_schedule"]

MAX_MEETINGS = 8

Hour = Annotated[int, Between(0, 24)]


@dataclass(frozen=True)
class Meeting:
    """A meeting to place: how long it lasts and the window it must fit in."""

    name: str
    duration: Annotated[int, Between(1, 8)]
    available_from: Hour
    available_until: Hour


@dataclass(frozen=True)
class Precedence:
    """Meeting number ``first`` must end before meeting number ``then`` starts."""

    first: int
    then: int


@spec
def meeting_schedule(
    meetings: Given[list[Meeting]],
    precedence: Given[list[Precedence]],
    starts: Proposal[Annotated[list[Hour], MaxLen(MAX_MEETINGS)]],
) -> bool:
    """Pick a start hour for each meeting: inside its window, no overlaps, in the required order."""
    return (
        len(starts) == len(meetings)
        and all(meeting.available_from <= start and start + meeting.duration <= meeting.available_until
                # zip, not zip(strict=True): specs take no keyword arguments, and the
                # first clause already says when the lengths differ.
                for meeting, start in zip(meetings, starts))
        and all(starts[first] + meetings[first].duration <= starts[second]
                or starts[second] + meetings[second].duration <= starts[first]
                for first in range(len(starts)) for second in range(first + 1, len(starts)))
        and all(starts[order.first] + meetings[order.first].duration <= starts[order.then]
                for order in precedence)
    )
