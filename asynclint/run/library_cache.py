"""The libraries' declarations on disk: one JSON file per installed distribution and version.

Reading what a library declares (asynclint/knowledge/declarations.py) parses its files with
`ast`; a file importing aiohttp costs about 0.35 s of that per process, hypothesis 0.5 s. A
distribution's files change only with its version, so its module summaries are kept under the
cache folder as `libraries/<name>-<version>.json` and reused by every later run, in every
worker process. typeshed's standard-library stubs are the files of the `typeshed_client`
distribution, and are kept the same way.

Like every cache entry (asynclint/run/cache.py), a document is JSON, keyed by the code that made
it (`code_stamp`: another asynclint, or an edited checkout, misses), and each summary is checked
for shape before it is used: a damaged or lying document can change findings, never crash the
run or run code. Files of no distribution (a source folder a `.pth` file adds) are never kept.
"""

from __future__ import annotations

import contextlib
import multiprocessing.util
import os
import re
from pathlib import Path

from asynclint.knowledge.declarations import Declarations, package_names_ok, summary_ok
from asynclint.resolve import library
from asynclint.run.cache import _real_dir, cache_root, code_stamp, load_json, prepare, warn_invalid, write_json

FORMAT = 1
_SAFE = re.compile(r"[^A-Za-z0-9_.+-]")


class LibraryStore:
    """What `Declarations` asks of a store: a distribution's kept summaries, and new ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._documents: dict[str, dict] = {}
        self._dirty: set[str] = set()

    def _name(self, distribution: str) -> str:
        return _SAFE.sub("_", distribution.replace("==", "-")) + ".json"

    def _document(self, distribution: str) -> dict:
        document = self._documents.get(distribution)
        if document is None:
            document = self._documents[distribution] = self._load(distribution)
        return document

    def _load(self, distribution: str) -> dict:
        empty: dict = {"modules": {}, "names": {}}
        path = self.folder / self._name(distribution)
        try:
            stored = load_json(path)
        except FileNotFoundError:
            return empty
        except (OSError, ValueError) as exc:
            warn_invalid(path, f"unreadable: {exc}")
            return empty
        if not (
            isinstance(stored, dict)
            and stored.get("format") == FORMAT
            and stored.get("distribution") == distribution
            and isinstance(stored.get("modules"), dict)
            and isinstance(stored.get("names"), dict)
        ):
            return empty  # another format, or a distribution's document under the wrong name
        if stored.get("code") != code_stamp():
            return empty  # made by other code: recomputed and rewritten
        return {"modules": stored["modules"], "names": stored["names"]}

    def summary(self, distribution: str, module: str, file: str) -> dict | None:
        entry = self._document(distribution)["modules"].get(module)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == file and summary_ok(entry[1]):
            return entry[1]
        return None

    def keep_summary(self, distribution: str, module: str, file: str, summary: dict) -> None:
        self._document(distribution)["modules"][module] = [file, summary]
        self._dirty.add(distribution)

    def package_names(self, distribution: str, package: str) -> list[str] | None:
        names = self._document(distribution)["names"].get(package)
        return names if package_names_ok(names) else None

    def keep_package_names(self, distribution: str, package: str, names: list[str]) -> None:
        self._document(distribution)["names"][package] = names
        self._dirty.add(distribution)

    def save(self) -> None:
        """Write what this process added. Another process may have added other modules to the
        same document meanwhile: what is on disk is merged in first, so both are kept."""
        if not self._dirty:
            return
        try:
            prepare(self.folder.parent)
            _real_dir(self.folder)  # never through a link
        except OSError:
            self._dirty.clear()
            return  # a read-only or full disk: the run goes on without keeping them
        # The pool's workers exit together: without the lock, two that read the document before
        # either wrote it would each write back only their own additions (measured: the run after a two-process
        # one still read 11 of aiohttp's 205 modules again).
        with _locked(self.folder / ".lock"):
            for distribution in sorted(self._dirty):
                ours = self._documents[distribution]
                on_disk = self._load(distribution)
                document = {
                    "format": FORMAT, "code": code_stamp(), "distribution": distribution,
                    "modules": {**on_disk["modules"], **ours["modules"]},
                    "names": {**on_disk["names"], **ours["names"]},
                }
                with contextlib.suppress(OSError):
                    write_json(self.folder, self._name(distribution), document, separators=(",", ":"))
        self._dirty.clear()


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on `path` (created if missing) where the platform has `fcntl`; elsewhere,
    or when the file cannot be opened, no lock (a lost addition is only read again next run)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    try:
        handle = open(path, "a+b")  # noqa: SIM115 - held for the whole block, closed below
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


_stores: dict[tuple[Path, int], LibraryStore] = {}


def attach(settings) -> LibraryStore | None:
    """Give the run's declarations the store under its cache folder (none without a cache).
    What a process adds is written once, by `save_all` or when the process exits (a worker
    process of the pool has no other end to save at): rewriting a distribution's document after
    every file cost a second on aiohttp."""
    root = cache_root(settings)
    declared: Declarations = library.for_settings(settings).declared
    if root is None:
        return None
    # By process too: a worker forked after the main process attached gets a store of its own,
    # whose exit hook is its own (multiprocessing drops the hooks a forked child inherits).
    key = (root, os.getpid())
    store = _stores.get(key)
    if store is None:
        store = _stores[key] = LibraryStore(root / "libraries")
        # Run at the exit of the main process and of multiprocessing's workers alike
        multiprocessing.util.Finalize(store, store.save, exitpriority=10)
    declared.store = store
    return store


def save_all() -> None:
    """Write what this process's stores added (the run's end, in the main process)."""
    for (_, pid), store in _stores.items():
        if pid == os.getpid():
            store.save()
