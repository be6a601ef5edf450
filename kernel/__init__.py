"""assay.kernel: verdicts, ``check``, the solver chokepoint.

What must flow through here: every verdict is made by :mod:`.verdicts`'
``make``; every acceptance of a value is the trusted evaluator's ``True`` on
the original spec; every solver answer is read by :mod:`.solvers`, where
unknown stays unknown.  The kernel never imports ``assay.bridges``.
"""

from . import certify as _certify  # noqa: F401 - registers the kernel as the only certificate issuer, now
from .check import check, malformed
from .verdicts import Claim, Location, Outcome, Verdict, Violation

__all__ = ["Claim", "Location", "Outcome", "Verdict", "Violation", "check", "malformed"]
