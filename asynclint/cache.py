"""The summary cache: what each module defines, stored by content so no run re-reads it for that.

Entries are JSON (never pickle: a cache inside a cloned repository must not be able to run
code), keyed by a hash of the tool version, the module's name and the file's bytes, so an edit,
a move or an upgrade simply misses. An entry is checked against the summary's shape (every key,
every value's type, the module it must describe) before it is used; one that does not pass was
tampered with or damaged: it is ignored with a warning on stderr and rewritten. The worst a
well-formed but lying entry can do is change findings; it can never run code. The folder carries
its own .gitignore.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from asynclint import __version__

def _is_str_map(value: object, check=lambda v: isinstance(v, str)) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and check(v) for k, v in value.items())


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# The summary's shape (see project.SummaryCollector.summary): key -> check of its value.
_SHAPE = {
    "module": lambda v: isinstance(v, str),
    "package": lambda v: isinstance(v, bool),
    "functions": _is_str_map,
    "classes": lambda v: _is_str_map(v, _is_str_list),
    "imports": _is_str_map,
    "aliases": _is_str_map,
    "attributes": lambda v: _is_str_map(v, _is_str_map),
    "wrappers": _is_str_map,
}
_warned = False


def problem(entry: object, module: tuple[str, bool]) -> str | None:
    """Why `entry` is not a summary of `module`, or None when it is one."""
    if not isinstance(entry, dict) or set(entry) != set(_SHAPE):
        return "not a module summary"
    bad = [key for key, check in _SHAPE.items() if not check(entry[key])]
    if bad:
        return f"wrong type of {', '.join(bad)}"
    if (entry["module"], entry["package"]) != module:
        return f"describes module {entry['module']!r}, not {module[0]!r}"
    return None


def _warn(path: Path, reason: str) -> None:
    global _warned
    if not _warned:  # once per process: a damaged cache folder must not flood the output
        _warned = True
        print(
            f"asynclint: warning: ignoring the invalid cache entry {path} ({reason}); it is "
            "recomputed (further invalid entries are ignored silently)",
            file=sys.stderr,
        )


def _key(data: bytes, module: tuple[str, bool]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{module[0]}\0{module[1]}\0".encode())
    digest.update(data)
    return digest.hexdigest()


class SummaryCache:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder / "summaries" if folder is not None else None
        self._ready = False

    def get(self, data: bytes, module: tuple[str, bool]) -> dict | None:
        if self.folder is None:
            return None
        key = _key(data, module)
        path = self.folder / key[:2] / f"{key}.json"
        try:
            with open(path, encoding="utf-8") as handle:
                entry = json.load(handle)
        except OSError:
            return None  # not cached yet
        except (ValueError, RecursionError) as exc:  # not JSON (UnicodeDecodeError is a ValueError)
            _warn(path, f"unreadable: {type(exc).__name__}")
            return None
        reason = problem(entry, module)
        if reason is not None:
            _warn(path, reason)
            return None
        return entry

    def put(self, data: bytes, module: tuple[str, bool], summary: dict) -> None:
        if self.folder is None:
            return
        key = _key(data, module)
        target = self.folder / key[:2]
        try:
            if not self._ready:
                self.folder.mkdir(parents=True, exist_ok=True)
                ignore = self.folder.parent / ".gitignore"
                if not ignore.exists():
                    ignore.write_text("# created by asynclint\n*\n")
                self._ready = True
            target.mkdir(exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(summary, handle)
            os.replace(temp, target / f"{key}.json")
        except OSError:
            pass  # a read-only checkout: run without caching
