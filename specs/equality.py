"""What ``==`` means on a record or an enum member, for the encoding of a spec's comparisons.

CPython compares two instances of a dataclass with the ``__eq__`` that
``@dataclass`` generates: the fields declared ``compare=True``, in order, as
tuples, when both are of the same class.  The symbolic encoding says the same
(:func:`assay.specs.symbolic.equals`), and the front end refuses ``==``,
``in``, ``count`` and ``distinct`` on a class whose equality is anything else.
The value path needs none of this: there, CPython itself compares.
"""

from __future__ import annotations

import dataclasses
import enum

__all__ = ["compared_fields", "equality_refusal"]


def compared_fields(cls: type) -> list[str]:
    """The fields a dataclass's generated ``__eq__`` compares, in order (those without ``compare=False``)."""
    return [f.name for f in dataclasses.fields(cls) if f.compare]


def equality_refusal(cls: type) -> str:
    """Why ``==`` on ``cls`` is not comparing its compared fields in order ("" when it is).

    The kernel encodes a record's ``==`` as its dataclass's generated
    ``__eq__``; anything else (``eq=False``, which leaves object identity,
    or an ``__eq__`` the class defines or inherits) has a meaning of its own
    that the encoding does not read.  The generated method is recognised by
    its code: the same as a fresh dataclass's with the same compared fields.
    """
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        own = [k.__name__ for k in cls.__mro__ if "__eq__" in vars(k) and k.__module__ not in ("builtins", "enum")]
        return f"the enum {cls.__name__} defines its own __eq__ (in {own[0]})" if own else ""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.eq:
        return f"{cls.__name__} is a dataclass with eq=False, so == on it is object identity"
    names = compared_fields(cls)
    probe = dataclasses.make_dataclass("_Probe", [(n, int) for n in names], eq=True)
    mine, generated = getattr(cls.__eq__, "__code__", None), probe.__eq__.__code__
    if mine is None or (mine.co_code, mine.co_names, mine.co_consts, mine.co_varnames) != (
            generated.co_code, generated.co_names, generated.co_consts, generated.co_varnames):
        return f"{cls.__name__} has an __eq__ of its own, not the one @dataclass generates"
    return ""
