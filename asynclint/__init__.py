"""asynclint: a static analyzer for asyncio misuse."""

import os as _os
import sys as _sys

if _sys.argv[:1] == ["-m"]:
    # `python -m asynclint` (the interpreter sets argv[0] to "-m" while it locates the module)
    # put the current folder first on sys.path, and asynclint runs inside the projects it checks:
    # a project's own `csv.py` or `pathspec.py` would be imported in place of the real one, and
    # run. Drop it before anything else is imported, unless asynclint itself lives there (a
    # source checkout).
    _here = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
    _cwd = _os.getcwd()
    if _sys.path and _os.path.abspath(_sys.path[0] or _os.curdir) == _cwd and _cwd != _here:
        del _sys.path[0]

import importlib.util as _util  # noqa: E402 - only once the path is safe
from importlib import metadata as _metadata  # noqa: E402


def _lazy_module(name: str):
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
    spec._initializing = False
    _sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


libcst = _lazy_module("libcst")

try:
    __version__ = _metadata.version("asynclint")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
