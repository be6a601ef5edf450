"""Paths of the spec files the tests load."""

from pathlib import Path

DEFS = Path(__file__).parent / "specdefs"
OK = DEFS / "ok.py"
REFUSED = DEFS / "refused.py"
