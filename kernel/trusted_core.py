"""The trusted core, named: the modules in which a wrong line could make assay lie.

A module is trusted when a wrong line in it could make assay accept a wrong
value, prove a false claim, or pass a forged certificate (DESIGN.md, "The
trusted core").  They are listed here by path, grouped by the path through
which they could do it; a module on two paths is named on the first.
Everything else (bridges, the offload loop, the allocator, the ledger,
reports, the CLI) can be wrong without making assay lie, because what it
produces is judged by these modules.

tests/test_trusted_core.py holds the core to this list: it prints every
module's line count and each path's total, fails when the value-acceptance
path exceeds :data:`VALUE_ACCEPTANCE_CAP` lines, when a module named here does
not exist, and when a trusted module imports an assay module (read from its
source with ``ast``) that is named neither here as trusted nor in
:data:`OUTSIDE_THE_CORE` with the reason it cannot make assay lie.  Adding a
module to the core is adding its path to one tuple below.

This module is data and imports nothing.
"""

__all__ = ["CERTIFICATE", "CLAIMS", "OUTSIDE_THE_CORE", "PATHS", "VALUE_ACCEPTANCE", "VALUE_ACCEPTANCE_CAP"]

# A value is ACCEPTED: the spec that was named is loaded, the givens and the proposal are decoded
# into their domains and checked against their bounds, CPython runs the spec's own code on them, and
# only its True makes the verdict.
VALUE_ACCEPTANCE = (
    "kernel/__init__.py",  # registers the kernel as the only certificate issuer; re-exports check
    "kernel/verdicts.py",  # verdict objects, made only by make()
    "kernel/check.py",  # the order of work; the evaluator's True is the only road to ACCEPTED
    "specs/__init__.py",  # re-exports Spec, load and the domain markers
    "specs/loader.py",  # which spec a reference names (and a fresh one for recheck)
    "specs/domains.py",  # decoding and bounds of every domain
    "specs/spec.py",  # Spec.decode_givens / decode_proposal / out_of_bounds / holds
    "specs/time_limit.py",  # the evaluation time limit: a timeout must never come back as True or False
)

# A claim is proved (unique, optimal, VACUOUS, entailed, a program's contract): the IR and the
# front end that gives it its meaning, the encoding to terms, z3, cvc5 and SMT-LIB, the queries, the
# solver chokepoint with its pool and worker processes, and the kernel modules that turn UNSAT
# answers into claims.
CLAIMS = (
    "specs/ir.py",
    "specs/frontend.py",
    "specs/equality.py",  # what == means on records and enum members, for the encoding and the refusals
    "specs/program.py",  # a program's text, parsed and compiled to the IR (never run)
    "specs/program_spec.py",  # program specs: inputs, output, precondition
    "specs/execute.py",  # the symbolic execution of statements
    "specs/strings.py",  # string methods and conversions, character by character over a finite universe
    "specs/program_queries.py",  # the counterexample query of a program
    "specs/evaluate.py",  # the IR interpreter: objective values and witnesses checked by it
    "specs/symbolic.py",
    "specs/terms.py",
    "specs/smt.py",
    "specs/smtlib_hygiene.py",  # what SMT-LIB input (formalisations, recorded queries) may contain
    "specs/queries.py",
    "specs/obligations.py",  # the query text a claim's certificate records
    "specs/solver_word.py",  # the one reader of a solver's answer word, for kernel/ and proofs/ alike
    "kernel/solvers.py",  # the solver chokepoint
    "kernel/pool.py",
    "kernel/solver_worker.py",
    "kernel/claims.py",
    "kernel/entail.py",
    "kernel/repair.py",  # solve_outright decides VACUOUS from its own queries
    "kernel/programs.py",  # check_program: a program proved for the bound, or a replayed counterexample
    "kernel/sandbox.py",  # runs a program's real function: a counterexample is REFUTED only if it reproduces
    "kernel/sandbox_worker.py",  # the worker that runs it, and the value encoding both sides decode
)

# A certificate holds: all of proofs/ (the certificate format, the recheck that re-derives every
# verdict, its own solver processes).  A folder entry stands for every module in it.
CERTIFICATE = (
    "proofs/*.py",
)

PATHS = {
    "a value is ACCEPTED": VALUE_ACCEPTANCE,
    "a claim is proved": CLAIMS,
    "a certificate holds": CERTIFICATE,
}

VALUE_ACCEPTANCE_CAP = 1500

# Imported by trusted modules, yet unable to make assay lie: each with the reason.
OUTSIDE_THE_CORE = {
    "specs/errors.py": "the exception classes of loading a spec (AssayError, InvalidSpec, SpecLoadError): raising "
                       "one refuses a spec or a line, it never decides an outcome",
    "specs/explain.py": "words the evidence of a REFUTED verdict whose violated clauses CPython decided "
                        "(Spec.violated_clauses); it never decides an outcome",
    "specs/version.py": "the version string a certificate records; no verdict depends on it",
    "specs/reasons.py": "words the reason and claim details of a verdict already decided (the kernel writes "
                        "them, recheck derives and compares them); it never decides an outcome",
    "specs/show.py": "renders values for messages (abbreviated when large) in reasons and explanations of "
                     "verdicts already decided; it never decides an outcome",
    "kernel/certify.py": "writes the certificate of a verdict already decided; recheck re-derives "
                         "everything it writes and trusts none of it",
    "kernel/search.py": "chooses the inputs a bounded search runs a program on; it decides no outcome: a "
                        "failing input is REFUTED only after kernel/programs.py replays it in the sandbox and "
                        "checks its bounds and precondition, and no search ever ACCEPTS",
    "kernel/faults.py": "fault injection for tests: the worker runs it only for a job that carries a fault, "
                        "which only a test's FaultyPool sends (pool.Job has no field for one)",
}
