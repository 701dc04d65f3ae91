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

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("asynclint")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
