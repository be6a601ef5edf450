"""assay's version: one place, in the bottom layer, so that certificates (proofs/) can record it.

The package metadata reads it from here (``[tool.setuptools.dynamic]`` in pyproject.toml).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
