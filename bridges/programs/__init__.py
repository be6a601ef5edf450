"""Bridges for program proposals: datasets of model-written functions, read into what the kernel checks.

:mod:`.humaneval` reads HumanEval+ tasks and recorded completions.  Every text
it reads (a prompt, a canonical solution, a contract, a completion) is parsed
with :mod:`ast`, never executed, evaluated or imported here: a program runs
only in the kernel's sandbox worker.
"""

__all__: list[str] = []
