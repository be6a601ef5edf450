"""Loading a spec by reference: ``module:name``, ``path/to/file.py:name`` or ``path/to/file.py``.

A spec's module is imported (or, for a recheck, executed afresh from its file)
and the one :class:`~assay.specs.spec.Spec` it names is returned with its IR
built, so that a spec outside the subset fails when it is loaded.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import linecache
import sys
import types
from pathlib import Path
from typing import Any

from .errors import InvalidSpec, SpecLoadError
from .spec import Spec

__all__ = ["load"]


def load(ref: str, *, fresh: bool = False) -> Spec:
    """Load a spec from ``module:name``, ``path/to/file.py:name`` or ``path/to/file.py``.

    The IR is built at once: a spec outside the subset raises :class:`InvalidSpec`.
    ``fresh=True`` executes the spec's file anew instead of reusing a module
    already imported, so a recheck sees the spec as it is on disk now.
    """
    target, _, name = ref.partition(":")
    by_path = target.endswith(".py") or "/" in target
    if by_path:
        path = Path(target)
        if not path.is_file():
            raise SpecLoadError(f"spec file not found: {target}")
        module = _import_file(path, fresh=fresh)
    elif fresh and (origin := _module_file(target)) is not None:
        module = _import_file(origin, fresh=True)
    else:
        try:
            module = importlib.import_module(target)
        except InvalidSpec:
            raise
        except Exception as exc:
            raise SpecLoadError(f"spec module {target!r} does not import: "
                                f"{type(exc).__name__}: {exc}") from exc
    if name:
        obj: Any = module
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if not isinstance(obj, Spec):
            raise SpecLoadError(f"{target} has no spec named {name!r}" + _available(module))
    else:
        found = [v for v in vars(module).values() if isinstance(v, Spec)]
        if len(found) != 1:
            raise SpecLoadError(f"{target} defines {len(found)} specs; name one as {target}:NAME"
                                + _available(module))
        obj = found[0]
    if by_path:
        # A spec loaded by path is reloaded by path in a fresh process (recheck).
        obj.ref = f"{Path(target).resolve()}:{obj.name}"
    elif fresh:
        obj.ref = f"{target}:{obj.name}"
    loaded: Spec = obj
    _ = loaded.ir  # build now: refuse a bad spec at load time
    return loaded


def _module_file(name: str) -> Path | None:
    """The source file of an importable module, without importing it (None if not a plain file)."""
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not found.origin.endswith(".py") \
            or found.submodule_search_locations is not None:
        return None
    return Path(found.origin)


_fresh_count = 0


def _import_file(path: Path, *, fresh: bool) -> types.ModuleType:
    global _fresh_count  # noqa: PLW0603 - a counter for unique module names
    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    mod_name = f"assay_spec_{key}"
    if fresh:
        _fresh_count += 1
        mod_name = f"{mod_name}_fresh{_fresh_count}"
    elif mod_name in sys.modules:
        return sys.modules[mod_name]
    linecache.checkcache(str(path))
    file_spec = importlib.util.spec_from_file_location(mod_name, path)
    if file_spec is None or file_spec.loader is None:
        raise SpecLoadError(f"cannot import spec file {path}")
    module = importlib.util.module_from_spec(file_spec)
    # Registered while it runs (dataclasses look their module up); a fresh copy is dropped after.
    sys.modules[mod_name] = module
    try:
        file_spec.loader.exec_module(module)
    except InvalidSpec:
        del sys.modules[mod_name]
        raise
    except Exception as exc:
        del sys.modules[mod_name]
        raise SpecLoadError(f"spec file {path} does not import: {type(exc).__name__}: {exc}") from exc
    return module


def _available(module: types.ModuleType) -> str:
    names = sorted(k for k, v in vars(module).items() if isinstance(v, Spec))
    return f" (specs there: {', '.join(names)})" if names else " (it defines no @spec functions)"
