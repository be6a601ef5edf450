"""A string task: pick a username and password that meet a sign-up policy.

The policy, as a sign-up form would state it:

* the username is 3 to 16 characters: lower-case letters, digits and ``_``,
  starting with a letter, and not already taken;
* the password is 10 to 64 characters with at least one lower-case letter,
  one upper-case letter, one digit and one symbol, no spaces, and it does not
  contain the username.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from assay.specs import Given, MaxLen, Proposal, spec

__all__ = ["Account", "account_policy"]

LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
SYMBOLS = "!#$%&*+-.:;=?@^_~"
USERNAME_CHARACTERS = LOWER + DIGITS + "_"


@dataclass(frozen=True)
class Account:
    """The answer: the chosen username and password."""

    username: Annotated[str, MaxLen(32)]
    password: Annotated[str, MaxLen(80)]


@spec
def account_policy(taken: Given[list[str]], account: Proposal[Account]) -> bool:
    """Choose a username that is free and a password that meets the policy."""
    username = account.username
    password = account.password
    return (
        3 <= len(username) <= 16
        and all(username[i] in USERNAME_CHARACTERS for i in range(len(username)))
        and username[0] in LOWER
        and username not in taken
        and 10 <= len(password) <= 64
        and any(password[i] in LOWER for i in range(len(password)))
        and any(password[i] in UPPER for i in range(len(password)))
        and any(password[i] in DIGITS for i in range(len(password)))
        and any(password[i] in SYMBOLS for i in range(len(password)))
        and " " not in password
        and username not in password
    )
