"""How a certificate names its spec, and how recheck finds that spec without importing anything by name.

A certificate's ``spec.ref`` is one of:

* ``FILE.py:NAME``: a file under the *spec root*, as a relative path with
  ``/`` between folders (``specs/roster.py:roster``).  The kernel writes
  this form for every spec outside assay's library, relative to the root it
  is given (the current folder by default), so that a store and its specs
  can move together;
* ``MODULE:NAME``: a module under the spec root, by dotted name
  (``myspecs.roster:roster`` is ``ROOT/myspecs/roster.py``).  The kernel
  writes it only for a spec it loaded by module name from a file outside the
  root (an installed package: recheck it with that package's folder as the
  root);
* ``assay.specs.library.MODULE:NAME``: a spec of assay's own library, found in
  the installed ``assay/specs/library/`` folder.  That is assay's own code,
  the same installation that runs the recheck, not code a certificate brings.

:func:`resolve` turns a ref into one regular file and a spec name, or
refuses it with :class:`SpecRefRefused`, before anything is imported or run:
an absolute path, a ``..`` part, a symbolic link that leads out of the root,
a module with no file under the root, a name that is not a dotted Python
identifier.  Recheck then executes only that file (it must: CPython running
the spec is the evaluator); the certificate itself never picks code to run.
"""

from __future__ import annotations

import keyword
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Final

from assay.specs.errors import AssayError

if TYPE_CHECKING:
    from assay.specs import Spec

__all__ = ["LIBRARY", "SpecRefRefused", "certificate_ref", "library_folder", "resolve"]

LIBRARY: Final = "assay.specs.library"


class SpecRefRefused(AssayError, ValueError):
    """A certificate's spec ref names nothing recheck may load; the message says why."""


def library_folder() -> Path:
    """The installed folder of assay's spec library (found from this installation, never from a ref)."""
    import assay.specs

    return Path(assay.specs.__file__).resolve().parent / "library"


def certificate_ref(spec: Spec, root: str | Path) -> str:
    """The ref a certificate records for ``spec``, relative to the spec root ``root``."""
    name = spec.ref.rpartition(":")[2]
    try:
        file = Path(spec.file).resolve(strict=True)
    except (OSError, RuntimeError):
        return spec.ref  # no source file: a ref recheck will refuse, with its reason
    library = library_folder()
    if file.parent == library:
        return f"{LIBRARY}.{file.stem}:{name}"
    base = Path(root).resolve()
    if file.is_relative_to(base):
        return f"{file.relative_to(base).as_posix()}:{name}"
    module = spec.ref.rpartition(":")[0]
    if _dotted(module) and not module.startswith(("assay_spec_", "__main__")):
        return spec.ref
    return f"{file}:{name}"  # absolute: recheck refuses it and says to recheck from a root that holds it


def resolve(ref: str, root: str | Path) -> tuple[Path, str]:
    """The file under ``root`` (or in assay's library) that ``ref`` names, and the spec's name there."""
    target, colon, name = ref.partition(":")
    if not colon or not _dotted(name):
        raise SpecRefRefused(f"the spec ref {ref!r} names no spec: expected FILE.py:NAME or MODULE:NAME, "
                             "NAME a Python identifier")
    if target.endswith(".py") or "/" in target or "\\" in target:
        return _file_under(Path(root), target, ref, "the spec root"), name
    if not _dotted(target):
        raise SpecRefRefused(f"the spec ref {ref!r} names neither a .py file nor a module by dotted name")
    parts = target.split(".")
    if parts[0] == "assay":
        if parts[:3] != LIBRARY.split(".") or len(parts) != 4:
            raise SpecRefRefused(f"the spec ref {ref!r} names a module of assay outside its spec library "
                                 f"({LIBRARY}.MODULE); recheck loads no other assay module as a spec")
        return _file_under(library_folder(), f"{parts[3]}.py", ref, "assay's spec library"), name
    return _file_under(Path(root), "/".join(parts) + ".py", ref, "the spec root"), name


def _file_under(base: Path, relative: str, ref: str, what: str) -> Path:
    """``base/relative`` as a regular file whose real path lies under ``base``'s, or SpecRefRefused."""
    path = PurePosixPath(relative)
    if path.is_absolute() or PureWindowsPath(relative).drive or PureWindowsPath(relative).root:
        raise SpecRefRefused(f"the spec ref {ref!r} is an absolute path, which recheck never loads: certificates "
                             "name specs relative to the spec root (a spec checked from outside the folder "
                             "`assay check` ran in gets one; check it from a folder that holds it)")
    if "\\" in relative:
        raise SpecRefRefused(f"the spec ref {ref!r} has a backslash; a ref separates folders with /")
    if ".." in path.parts:
        raise SpecRefRefused(f"the spec ref {ref!r} climbs out of {what} with '..'")
    real_base = base.resolve()
    candidate = real_base.joinpath(*path.parts)
    try:
        real = candidate.resolve(strict=True)
        mode = real.stat().st_mode
    except (OSError, RuntimeError):
        raise SpecRefRefused(f"the spec ref {ref!r} names {candidate}, which is not a file under {what} "
                             f"{real_base}; recheck imports nothing by name") from None
    if not real.is_relative_to(real_base):
        raise SpecRefRefused(f"the spec ref {ref!r} leads out of {what} {real_base} (through a symbolic link, "
                             f"to {real})")
    if not stat.S_ISREG(mode):
        raise SpecRefRefused(f"the spec ref {ref!r} names {real}, which is not a regular file")
    if ":" in str(real):
        raise SpecRefRefused(f"the spec file {real} has ':' in its path, which a spec ref cannot hold")
    return real


def _dotted(text: str) -> bool:
    return bool(text) and all(p.isidentifier() and not keyword.iskeyword(p) for p in text.split("."))
