"""asynclint: a static analyzer for asyncio misuse."""

import importlib.util as _util
import sys as _sys
import types as _types
from importlib import metadata as _metadata
from typing import TYPE_CHECKING


def _lazy_module(name: str) -> _types.ModuleType:
    """`name`, imported on first attribute access. A run answered from the cache never touches a
    syntax tree, and importing libcst is a good part of such a run's time. Modules on that path
    take libcst from here (`from asynclint import libcst as cst`): an `import libcst` statement
    would load it at once."""
    module = _sys.modules.get(name)
    if module is not None:
        return module
    spec = _util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named {name!r}")
    spec.loader = _util.LazyLoader(spec.loader)
    module = _util.module_from_spec(spec)
    # What the import system leaves on the spec of every module it has loaded. Without it, each
    # `import libcst` looks for the attribute and fails, and libcst's native parser imports
    # libcst once per node it builds: measured, the parse took 19% longer.
    spec._initializing = False  # type: ignore[attr-defined]  # private, so typeshed does not declare it
    _sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    import libcst  # the type checker sees the real module; at run time it is loaded lazily
else:
    libcst = _lazy_module("libcst")

try:
    __version__ = _metadata.version("asynclint")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
