"""Deterministic repairs of AR-LSAT DSL programs: each rule a named function, each application a recorded change.

A model's program often says exactly what it means in a form the published
pipeline could not run: ``a == b == c``, ``x in [1, 2]``, ``p and q``, a
``Sum`` of booleans, an ``EnumSort`` written inside a ``Function``
signature, ``Monday < serviced(v)`` on an enumeration.  A repair rule rewrites
one such form into the DSL when it has *one* reading; anything with two
readings stays Malformed.  Every application is written into
``Formalisation.changes`` as ``"<rule> at line L, column C: what"``, so the
kernel's verdict is REPAIRED, never ACCEPTED, and a person can see exactly
what was assumed.

The syntactic rules here rewrite a node of the tree into DSL nodes; the rules
that need sorts (enumeration order, sub-list sorts, inline sorts, sort
spellings) are applied by the elaborator in :mod:`assay.bridges.logic.arlsat`
and listed in :data:`RULES` with the rest.
"""

from __future__ import annotations

from typing import Final

from .arlsat_parse import BoolOp, Call, Compare, Expr, InList

__all__ = ["RULES", "boolean_operators", "comparison_chain", "in_list", "infix_implication", "infix_junction",
           "logic_spelling"]

# Every rule, with the one reading it relies on.  The elaborator and the tests use these names.
RULES: Final = {
    "comparison_chain": "Python's a < b < c means a < b and b < c",
    "boolean_operators": "Python's and / or / not on DSL formulas mean And / Or / Not",
    "infix_junction": "a Or b / a And b written between operands means Or(a, b) / And(a, b)",
    "in_list": "x in [a, b] means Or(x == a, x == b); x not in [...] means And(x != a, ...)",
    "in_sort": "x in S, for a sort S (often a sub-list), means x is one of S's members",
    "if_without_else": "If(c, p) with no else, between formulas, means Implies(c, p)",
    "sum_of_booleans": "Sum of formulas (booleans) counts the true ones, as Count does",
    "enum_order": "<, <=, >, >= between members of one enumeration compare their places in its declaration",
    "sublist_sort": "an EnumSort whose members all belong to one earlier sort is a sub-list of it; quantifying "
                    "or declaring a function over it ranges over those members",
    "inline_enum": "an EnumSort([...]) written inside a Function signature declares that (anonymous) sort",
    "sort_spelling": "Bool / Int / BoolSort() / IntSort() in a signature mean the DSL's bool / int",
    "bool_equals_number": "a formula compared with 1 / 0 means the formula is true / false",
    "infix_implication": "a => b (also ==> and ->) between formulas means Implies(a, b), below or / and",
    "extra_closing_paren": "unmatched ')' after a complete statement are dropped",
    "missing_closing_paren": "a line that ends in ')' and then its ':::' comment, with brackets still open, ends "
                             "there: the missing ')' close it at the end (the run of ')' the model cut short)",
    "numeral_name": "an enumeration member spelt with leading digits (9_AM, 1PM) is a name",
    "logic_spelling": "Iff(a, b) means a == b between formulas; IfThenElse(c, a, b) means If(c, a, b)",
    "none_comparison": "f(x) != None is true: a DSL function has a value at every argument",
    "question_check": "an option's check that contradicts the question's single modal (must / could / cannot, "
                      "with or without EXCEPT) is the check the question asks, on the same formula",
    "enum_arithmetic": "m + k / m - k on a member of a named enumeration is the member k places later / earlier in "
                       "its declaration; m - n of two members is the distance of their places; a place past the "
                       "ends is no member (a function is never applied there)",
    "infix_mod": "a mod b written between operands means a % b (the remainder, as Python's % on a positive divisor)",
    "question_condition": "in a question that opens with 'If ...', the conjuncts every option's formula starts "
                          "with are the question's condition: they join the premises (is_valid asks what follows "
                          "once it is supposed; is_sat and is_unsat are unchanged)",
    "check_synonym": "is_must / is_required / is_necessary mean is_valid; is_possible / is_acceptable / "
                     "is_valid_schedule mean is_sat; a list given to one of them is the And of its items",
    "bare_option": "an option that is a bare formula, in a question with a single modal and no EXCEPT, has the "
                   "check the question asks",
    "enum_range_bounds": "And(1 <= f(x), f(x) <= n) (or 0 .. n-1) on a sort of n named members only restates "
                         "that f(x) is one of them, and is true",
    "accurate_list_reading": "is_accurate_list([...]) is read from the question's words (a situation the list "
                             "describes completely, or everything that must / could hold), not as Logic-LM's "
                             "executor defined it (is_valid(Or(items)) and every item is_sat), which says nothing "
                             "of the items a list leaves out",
}


def comparison_chain(node: Compare) -> Call:
    """``a < b <= c`` -> ``And(a < b, b <= c)``: Python's chain, each middle operand shared (it has no effects)."""
    parts = tuple(Compare(node.line, node.column, ops=(op,), operands=(node.operands[i], node.operands[i + 1]))
                  for i, op in enumerate(node.ops))
    return Call(node.line, node.column, func="And", args=parts)


def boolean_operators(node: BoolOp) -> Call:
    """``p and q`` -> ``And(p, q)``; ``p or q`` -> ``Or(p, q)`` (on formulas short-circuiting changes nothing)."""
    return Call(node.line, node.column, func="And" if node.op == "and" else "Or", args=node.values)


def infix_implication(node: BoolOp) -> Call:
    """``p => q`` -> ``Implies(p, q)``; the arrow binds loosest and to the right, as in logic texts."""
    return Call(node.line, node.column, func="Implies", args=node.values)


def logic_spelling(node: Call) -> Call:
    """``IfThenElse(c, a, b)`` -> ``If(c, a, b)``; ``Iff(a, b)`` -> ``a == b`` (Compare, sorts checked later)."""
    if node.func == "IfThenElse":
        return Call(node.line, node.column, func="If", args=node.args)
    return Call(node.line, node.column, func="_Iff", args=node.args)


def infix_junction(node: BoolOp) -> Call:
    """``p Or q`` -> ``Or(p, q)``: the names written as operators, with Python's ``or`` / ``and`` precedence."""
    return boolean_operators(node)


def in_list(node: InList) -> Call:
    """``x in [a, b]`` -> ``Or(x == a, x == b)``; ``x not in [a, b]`` -> ``And(x != a, x != b)``."""
    assert node.element is not None
    op = "!=" if node.negated else "=="
    parts: tuple[Expr, ...] = tuple(Compare(o.line, o.column, ops=(op,), operands=(node.element, o))
                                    for o in node.options)
    return Call(node.line, node.column, func="And" if node.negated else "Or", args=parts)
