"""Where a project's root is: the nearest folder holding a project marker.

A module of its own, below options.py: the project's declared dependencies are read from its
root for the settings themselves (async_library.py), and options.py cannot import the file
discovery that needs the settings.
"""

from __future__ import annotations

from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


def marked_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a project marker, if any."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return None


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding a project marker, else `start` itself."""
    return marked_root(start) or start.resolve()
