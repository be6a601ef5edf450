"""assay.bridges: untrusted translators from what a model wrote to what the kernel checks.

Everything here reads untrusted input, and parses it; nothing here is
evaluated or executed.  The kernel never imports this package: ``assay``'s
public API and CLI pass bridges in.  Submodules are imported on demand, so
importing this package loads no model library.
"""

__all__: list[str] = []
