"""Bridges for published neurosymbolic formats (Logic-LM, LINC): parsed, never executed."""
