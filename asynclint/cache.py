"""The summary cache: what each module defines, stored by content so no run re-reads it for that.

Entries are JSON (never pickle: a cache inside a cloned repository must not be able to run
code), keyed by a hash of the tool version, the module's name and the file's bytes, so an edit,
a move or an upgrade simply misses. An entry that does not read back as a summary is ignored and
rewritten. The folder carries its own .gitignore.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from asynclint import __version__
from asynclint.project import SUMMARY_FORMAT

_KEYS = {
    "module", "package", "functions", "classes", "imports", "aliases", "attributes", "wrappers", "decorators",
    "decorated", "constants", "returns", "properties", "blocking", "calls",
}


def _key(data: bytes, module: tuple[str, bool]) -> str:
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{SUMMARY_FORMAT}\0{module[0]}\0{module[1]}\0".encode())
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
        try:
            with open(self.folder / key[:2] / f"{key}.json", encoding="utf-8") as handle:
                entry = json.load(handle)
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or set(entry) != _KEYS:
            return None  # tampered or from another format: recompute
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
