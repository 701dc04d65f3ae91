"""Which files to check: directories walked recursively, explicit files taken as given.

Patterns (`exclude`, `extend-exclude`) are gitignore-style and relative to the project root; they
apply to explicitly named files too, so pre-commit (which names files) skips what a directory walk
skips. `.gitignore` files found on the walk are honoured unless `respect-gitignore = false`.
Symlinked directories are not followed, so a link loop cannot trap the walk. A walk finds Python
files (`*.py`) and Jupyter notebooks (`*.ipynb`, as ruff does since 0.6; `extend-exclude =
["*.ipynb"]` leaves them out).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from asynclint.config.options import Settings, relative_to_root
from asynclint.config.patterns import compile_patterns
from asynclint.config.roots import marked_root

# What a walk picks up: Python files and notebooks (read by asynclint/engine/notebook.py).
CHECKED_SUFFIXES = (".py", ".ipynb")


def project_files(paths: list[str], settings: Settings) -> list[str]:
    """The files the project index reads for a run over `paths`.

    Every file of the project is read, even when only some are reported on (pre-commit passes
    the changed files): calls into the others must resolve all the same. The project is the
    configured root, else the folder of the nearest project marker above the first path. With
    no marker anywhere above there is no project to speak of (a scratch file in a home folder):
    the index covers the given folders and the folders of the given files, not the whole tree
    below some unrelated root.
    """
    first = Path(paths[0]) if paths else Path.cwd()
    start = first if first.is_dir() else first.parent
    root = settings.root if settings.config_file else marked_root(start)
    if root is not None:
        return discover([str(root)], settings).files if root.is_dir() else []
    folders = []
    for given in paths:
        if os.path.isdir(given):
            folders.append(given)
        else:
            folder = os.path.dirname(given) or "."
            if os.path.isdir(folder):
                folders.extend(_own_files(folder))
    return discover(folders, settings).files


def _own_files(folder: str) -> list[str]:
    """The Python files and notebooks directly in `folder` (not below it)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [os.path.join(folder, name) for name in names if name.endswith(CHECKED_SUFFIXES) and os.path.isfile(os.path.join(folder, name))]


def printable(path: str) -> str:
    """A path as it can be shown: bytes that are not UTF-8 as `\\xNN` escapes."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _undecodable(name: str) -> bool:
    """Whether a file name is not valid UTF-8 (Python holds such bytes as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_BAD_NAME = "not checked: the file name is not valid UTF-8; rename it"


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    # (folder, reason): folders whose walk was cut short by the time bound (ASL001, not E902)
    cut_short: list[tuple[str, str]] = field(default_factory=list)


# Finding the files may take this many times `per-file-timeout`: a tree that takes longer to walk
# and match (a network file system, millions of files) is cut short with one message, not a hang.
DISCOVERY_TIMEOUT_FACTOR = 10


def _deadline(settings: Settings) -> float | None:
    limit = settings.time_limit()
    return time.monotonic() + limit * DISCOVERY_TIMEOUT_FACTOR if limit else None


def _spec(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return compile_patterns(patterns)


def _gitignore(directory: str) -> pathspec.GitIgnoreSpec | None:
    path = os.path.join(directory, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    try:
        return compile_patterns(lines)
    except Exception:  # noqa: BLE001 - a malformed line: git ignores what it cannot read, so do we
        return _lenient(lines)


def _lenient(lines: list[str]) -> pathspec.GitIgnoreSpec | None:
    """The lines of a .gitignore that compile, each on its own."""
    good = []
    for line in lines:
        try:
            compile_patterns([line])
        except Exception:  # noqa: BLE001 - pathspec raises several types for malformed lines
            continue
        good.append(line)
    return compile_patterns(good)


def discover(paths: list[str], settings: Settings) -> Discovery:
    result = Discovery()
    excluded = _spec(settings.exclude + settings.extend_exclude)
    root = settings.root
    prefix = os.path.join(str(root), "")  # "/the/root/": plain string work, since this runs per file

    def is_excluded(path: str, is_dir: bool, absolute: str | None = None) -> bool:
        absolute = absolute or os.path.abspath(path)
        if absolute.startswith(prefix):
            relative = absolute[len(prefix):].replace(os.sep, "/")
        else:  # outside the root (or the root itself): patterns see the name alone
            relative = relative_to_root(path, root)
            if relative.startswith("../") or relative == "." or os.path.isabs(relative):
                relative = Path(path).name
        return excluded.match_file(relative + ("/" if is_dir else ""))

    deadline = _deadline(settings)
    for given in paths:
        if _undecodable(given):
            result.missing.append((printable(given), _BAD_NAME))
        elif os.path.isdir(given):
            _walk(given, settings, is_excluded, result, deadline)
        elif os.path.exists(given) or os.path.islink(given):
            if not is_excluded(given, False):
                result.files.append(given)
        else:
            result.missing.append((given, "no such file or directory"))
    return result


def _walk_folders(top: str, on_error) -> Iterator[tuple[str, list[str], list[str]]]:
    """`os.walk(top)` top-down without recursion (os.walk recurses once per level, and folders a
    thousand levels deep exist): (folder, its subfolders, its files); the caller may prune the
    subfolders list in place. Links to folders are listed but not entered, so a loop cannot trap
    the walk."""
    pending = [top]
    while pending:
        folder = pending.pop()
        dirs: list[str] = []
        files: list[str] = []
        links: set[str] = set()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    (dirs if is_dir else files).append(entry.name)
                    if is_dir and entry.is_symlink():
                        links.add(entry.name)
        except OSError as error:
            on_error(error)
            continue
        yield folder, dirs, files
        pending.extend(os.path.join(folder, d) for d in reversed(dirs) if d not in links)


def _walk(top: str, settings: Settings, is_excluded, result: Discovery, deadline: float | None = None) -> None:
    # Each .gitignore applies to its own folder and below: keep (folder, spec) pairs on the way down.
    ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    if settings.respect_gitignore:
        top_path = Path(os.path.abspath(top))
        for parent in reversed([top_path, *top_path.parents]):
            if parent == settings.root or settings.root in parent.parents:
                spec = _gitignore(str(parent))
                if spec is not None:
                    ignores.append((str(parent), spec))

    def ignored(absolute: str, is_dir: bool) -> bool:
        for folder, spec in ignores:
            if absolute.startswith(folder + os.sep):
                relative = os.path.relpath(absolute, folder).replace(os.sep, "/")
                if spec.match_file(relative + ("/" if is_dir else "")):
                    return True
        return False

    def on_error(error: OSError) -> None:
        result.missing.append((os.path.normpath(error.filename or top), f"cannot read: {error.strerror or error}"))

    for folder, dirs, files in _walk_folders(top, on_error):
        if deadline is not None and folder != top and time.monotonic() > deadline:
            limit = settings.time_limit() or 0
            result.cut_short.append((
                os.path.normpath(top),
                f"not fully searched: finding the files took longer than {DISCOVERY_TIMEOUT_FACTOR} times "
                f"per-file-timeout ({limit * DISCOVERY_TIMEOUT_FACTOR:g} s), so only the files found by then "
                "are checked; exclude large folders or raise the limit",
            ))
            return
        absolute_folder = os.path.abspath(folder)  # once per folder: joined below, not recomputed
        if settings.respect_gitignore and folder != top:
            spec = _gitignore(folder)
            if spec is not None:
                ignores.append((absolute_folder, spec))
        kept = []
        for d in dirs:
            if _undecodable(d):
                result.missing.append((printable(os.path.normpath(os.path.join(folder, d))), _BAD_NAME))
                continue
            absolute = os.path.join(absolute_folder, d)
            if not is_excluded(os.path.join(folder, d), True, absolute) and not ignored(absolute, True):
                kept.append(d)
        dirs[:] = sorted(kept)
        for name in sorted(files):
            if not name.endswith(CHECKED_SUFFIXES):
                continue
            if _undecodable(name):
                result.missing.append((printable(os.path.normpath(os.path.join(folder, name))), _BAD_NAME))
                continue
            path = os.path.normpath(os.path.join(folder, name))
            absolute = os.path.join(absolute_folder, name)
            if not is_excluded(path, False, absolute) and not ignored(absolute, False):
                result.files.append(path)
