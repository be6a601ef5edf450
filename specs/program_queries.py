"""The solver questions about a program: is there an input of the bound on which it fails its spec?

:func:`counterexample` states "some input of the declared domains, meeting
the precondition, makes the program raise, return None, run a ``while``
loop past its bound, or return a value the postcondition refutes".  UNSAT
on both solvers proves the program meets its spec for every input of the
bound; a model is a candidate counterexample, which the kernel replays on the
real function before it refutes anything.  :func:`smaller_counterexample`
asks the same within a size bound, to shorten a counterexample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import terms as T
from .domains import Domain, ListDomain, StrDomain, TupleDomain
from .program import Program
from .program_spec import ProgramSpec
from .queries import Query, _query
from .symbolic import RecordVal, SymList, Value, _Encoder, _model_json, _ProposalBuilder, list_len
from .terms import Sort, Term

__all__ = ["ProgramEncoding", "bound_text", "counterexample", "counterexample_of", "encode_against_reference",
           "encode_program", "inputs_domain", "parsed_program", "proved_reason", "smaller_counterexample_of",
           "some_input_of", "universe"]


@dataclass(frozen=True)
class ProgramEncoding:
    """A program spec over a program, its inputs symbolic.

    ``failing`` holds when the program, on the inputs, raises, returns None,
    runs past a loop bound or returns what the postcondition refutes;
    ``requires`` when the inputs meet the precondition (without it raising).
    """

    variables: Mapping[str, Sort]
    inputs: tuple[tuple[str, Value, Domain], ...]
    domain: Term
    requires: Term
    raised: Term
    returned_none: Term
    exceeded: Term
    post: Term
    failing: Term
    size: Term  # the number of items and characters in all the inputs
    magnitude: Term  # the sum of the absolute values of the inputs' ints

    def decode(self, model: Mapping[str, Any]) -> dict[str, Any]:
        """Each input's JSON value under ``model`` (decoded as inputs are: DecodeError if it is none)."""
        return {name: d.encode(d.decode(_model_json(v, d, model), f"witness.{name}")) for name, v, d in self.inputs}


def encode_program(spec: ProgramSpec, program: Program) -> ProgramEncoding:
    """Encode ``program`` against the program spec ``spec`` with every input symbolic.

    Raises :class:`~.terms.Unsupported` when something cannot be encoded exactly.
    """
    from .execute import call

    builder = _ProposalBuilder()
    values = [builder.build(p.name, p.domain) for p in spec.inputs]
    enc = _Encoder(builder.bounds, universe(spec, program), programs=True)
    out = call(program.function, values, enc)
    env: dict[str, Value] = {p.name: v for p, v in zip(spec.inputs, values, strict=True)}
    env[spec.output.name] = out.value
    requires = T.TRUE
    if spec.ir.requires is not None:
        rv, rerr = enc.expr(spec.ir.requires, env)
        assert isinstance(rv, Term)
        requires = T.and_(T.not_(rerr), rv)  # a precondition that raises is not met (CPython: not True)
    clauses = []
    for clause in spec.ir.clauses:
        cv, cerr = enc.expr(clause.expr, env)
        assert isinstance(cv, Term)
        clauses.append(T.and_(T.not_(cerr), cv))
    post = T.and_(*clauses)
    failing = T.or_(out.raised, out.returned_none, out.exceeded, T.not_(post))
    size, magnitude = _measures(values, [p.domain for p in spec.inputs])
    return ProgramEncoding(dict(builder.variables), tuple((p.name, v, p.domain) for p, v in zip(
        spec.inputs, values, strict=True)), T.and_(*builder.constraints), requires, out.raised, out.returned_none,
        out.exceeded, post, failing, size, magnitude)


def universe(spec: ProgramSpec, program: Program) -> str | None:
    """The characters every string of the program and its spec is made of (see :func:`_universe_of`)."""
    roots: list[object] = [program.function, *(c.expr for c in spec.ir.clauses)]
    if spec.ir.requires is not None:
        roots.append(spec.ir.requires)
    return _universe_of(tuple((p.name, p.domain) for p in spec.inputs), roots)


def _universe_of(inputs: tuple[tuple[str, Domain], ...], roots: list[object]) -> str | None:
    """The characters every string of the program and its spec is made of (see :mod:`.strings`).

    The declared alphabets of the string inputs, the characters of every
    string constant in the program and the spec, and what ``str()`` of an int
    or a bool and ``bin()`` write; None when a string input declares no
    alphabet (then the character-level encodings are Unsupported).
    """
    chars: set[str] = set("0123456789-bTrueFals")
    for _, domain in inputs:
        for d in _string_domains(domain):
            if d.alphabet is None:
                return None
            chars |= set(d.alphabet)
    for value in _constants(roots):
        if isinstance(value, str):
            chars |= set(value)
    return "".join(sorted(chars))


def _string_domains(d: Domain) -> list[StrDomain]:
    if isinstance(d, StrDomain):
        return [d]
    if isinstance(d, ListDomain):
        return _string_domains(d.elem)
    if isinstance(d, TupleDomain):
        return [s for item in d.items for s in _string_domains(item)]
    return []


def _constants(roots: list[object]) -> list[object]:
    """Every constant's value in the IR below ``roots`` (functions' bodies and the functions they call included)."""
    from . import ir

    out: list[object] = []
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        n = stack.pop()
        if id(n) in seen or isinstance(n, ir.Type):
            continue
        seen.add(id(n))
        if isinstance(n, ir.Const):
            out.append(n.value)
        if isinstance(n, tuple):
            stack.extend(n)
        elif hasattr(n, "__dataclass_fields__"):
            stack.extend(getattr(n, f) for f in n.__dataclass_fields__ if f not in ("type", "loc"))
    return out


def counterexample_of(encoding: ProgramEncoding, inputs: Domain) -> Query:
    """Is there an input of the bound, meeting the precondition, on which the program fails?

    ``inputs`` is the domain of all the inputs (a tuple of theirs), for the
    check that the solvers' strings can stand for every input's.
    """
    return _query("program-counterexample", (encoding.domain, encoding.requires, encoding.failing), encoding, inputs)


def some_input_of(encoding: ProgramEncoding, inputs: Domain) -> Query:
    """Does some input of the bound meet the precondition?  UNSAT: a proof for the bound is a proof of nothing."""
    return _query("some-input", (encoding.domain, encoding.requires), encoding, inputs)


def smaller_counterexample_of(encoding: ProgramEncoding, inputs: Domain, *, size: int,
                              magnitude: int | None = None) -> Query:
    """A counterexample with at most ``size`` items and characters (and ints of total size ``magnitude``)."""
    bounds = [T.le(encoding.size, T.int_const(size))]
    if magnitude is not None:
        bounds.append(T.le(encoding.magnitude, T.int_const(magnitude)))
    return _query("smaller-counterexample", (encoding.domain, encoding.requires, encoding.failing, *bounds),
                  encoding, inputs)


def counterexample(spec: ProgramSpec, program: Program, encoding: ProgramEncoding | None = None) -> Query:
    """:func:`counterexample_of` a program against a program spec."""
    return counterexample_of(encode_program(spec, program) if encoding is None else encoding, _inputs_domain(spec))


def encode_against_reference(inputs: tuple[tuple[str, Domain], ...], program: Program, reference: Program,
                             contract: Program | None) -> ProgramEncoding:
    """Encode "``program`` agrees with ``reference`` on every input of the bound that the contract accepts".

    An input counts when the contract returns True without raising and the
    reference returns without raising (EvalPlus runs only such inputs); the
    program fails on it when it raises, returns None where the reference does
    not (or a value where it returns None), runs past a loop bound, or returns
    a different value (``==`` as CPython compares values of the result's type).
    A reference that runs past a loop bound on an input is no proof either way:
    that input counts as failing, for its replay to settle.
    """
    from .execute import call
    from .symbolic import equals

    builder = _ProposalBuilder()
    values = [builder.build(name, d) for name, d in inputs]
    texts: list[object] = [program.function, reference.function]
    if contract is not None:
        texts.append(contract.function)
    enc = _Encoder(builder.bounds, _universe_of(inputs, texts), programs=True)
    out = call(program.function, values, enc)
    ref = call(reference.function, values, enc)
    requires = T.not_(ref.raised)
    if contract is not None:
        met = call(contract.function, values, enc)
        ok = met.value
        assert isinstance(ok, Term)
        requires = T.and_(requires, T.not_(T.or_(met.raised, met.exceeded, met.returned_none)), ok)
    same = T.or_(T.and_(out.returned_none, ref.returned_none),
                 T.and_(T.not_(out.returned_none), T.not_(ref.returned_none), equals(out.value, ref.value)))
    failing = T.or_(ref.exceeded, out.raised, out.exceeded, T.not_(same))
    size, magnitude = _measures(values, [d for _, d in inputs])
    return ProgramEncoding(dict(builder.variables), tuple((n, v, d) for (n, d), v in zip(inputs, values, strict=True)),
                           T.and_(*builder.constraints), requires, out.raised, out.returned_none, out.exceeded,
                           same, failing, size, magnitude)


def _inputs_domain(spec: ProgramSpec) -> Domain:
    return TupleDomain(tuple(p.domain for p in spec.inputs))


def inputs_domain(spec: ProgramSpec) -> Domain:
    """The domain of all of a program spec's inputs together (a tuple of theirs)."""
    return _inputs_domain(spec)


def parsed_program(spec: ProgramSpec, text: str) -> Program:
    """``text`` parsed as the program ``spec`` judges: its entry point, the inputs' and the output's types.

    Raises :class:`~.program.ProgramMalformed` or :class:`~.program.OutsideSubset`.
    """
    from .frontend import _type_of_domain
    from .program import parse_program

    assert spec.program is not None
    return parse_program(text, spec.program, [_type_of_domain(p.domain) for p in spec.inputs],
                         _type_of_domain(spec.output.domain))


def bound_text(spec: ProgramSpec) -> str:
    """The bound in words: each input and its domain, and the precondition if there is one."""
    parts = ", ".join(f"{p.name} a {p.domain.describe()}" for p in spec.inputs) or "no inputs"
    if spec.requires_fn is not None:
        parts += f", meeting {spec.requires_fn.__name__}"
    return parts


def proved_reason(spec: ProgramSpec, solvers: Sequence[str]) -> str:
    """The reason of an ACCEPTED program: proved for the bound, by UNSAT on ``solvers``."""
    from .reasons import unsat_on

    return f"proved for every input of the bound: {bound_text(spec)} ({unsat_on(solvers)})"


def _measures(values: list[Value], domains: list[Domain]) -> tuple[Term, Term]:
    sizes: list[Term] = []
    magnitudes: list[Term] = []

    def walk(v: Value, d: Domain, present: Term) -> None:
        if isinstance(v, SymList):
            assert isinstance(d, ListDomain)
            sizes.append(T.ite(present, list_len(v), T.int_const(0)))
            for g, x in v.slots:
                walk(x, d.elem, T.and_(present, g))
        elif isinstance(v, tuple):
            assert isinstance(d, TupleDomain)
            for x, item in zip(v, d.items, strict=True):
                walk(x, item, present)
        elif isinstance(v, RecordVal):
            for (_, x), (_, fd) in zip(v.fields, getattr(d, "fields", ()), strict=True):
                walk(x, fd, present)
        elif isinstance(d, StrDomain):
            sizes.append(T.ite(present, T.str_len(v), T.int_const(0)))
        elif v.sort is Sort.INT and type(d).__name__ == "IntDomain":
            magnitudes.append(T.ite(present, T.abs_(v), T.int_const(0)))

    for v, d in zip(values, domains, strict=True):
        walk(v, d, T.TRUE)
    zero = T.int_const(0)
    return (T.add(*sizes) if sizes else zero), (T.add(*magnitudes) if magnitudes else zero)
