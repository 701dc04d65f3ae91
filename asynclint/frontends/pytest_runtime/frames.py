"""Where a coroutine, task or slow step came from: frames reduced to plain records.

Frames of the standard library, installed packages, pytest and this plugin are "library"
frames; the first frame outside them is where the user's code made the object, and the line
the static check is asked about.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    filename: str
    lineno: int
    function: str

    def where(self) -> str:
        return f"{display_path(self.filename)}:{self.lineno} in {self.function}"


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib") if key in paths}
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # asynclint itself
    roots.update(p for p in sys.path if p.rstrip(os.sep).endswith(("site-packages", "dist-packages")))
    return tuple(os.path.normcase(os.path.abspath(root)) + os.sep for root in roots if root)


_LIBRARY_ROOTS = _library_roots()


def is_library(filename: str) -> bool:
    if not filename or filename.startswith("<"):
        return True
    return os.path.normcase(os.path.abspath(filename)).startswith(_LIBRARY_ROOTS)


def first_user_frame(frames: Iterable[Origin]) -> Origin | None:
    """`frames` innermost first: the innermost frame in the user's code."""
    for frame in frames:
        if not is_library(frame.filename):
            return frame
    return None


def display_path(filename: str) -> str:
    """Relative to the working directory when inside it, as pytest shows paths."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith(os.pardir) else relative
