"""The cache: what each file defines (its summary) and what checking it found.

Entries are JSON (never pickle: a cache inside a cloned repository must not be able to run
code), keyed by a hash of the code that made them (asynclint's version and a stamp of its own
source and catalogue files, so an upgrade or an edited checkout simply misses), the module's name,
the file's bytes and, for results, the settings that change findings. An entry is checked for
shape (every key, every value's type, the module it must describe) before it is used; one that
does not pass was tampered with or damaged: it is ignored with a warning on stderr and rewritten.
The worst a well-formed but lying entry can do is change findings; it can never run code. The
folder carries its own .gitignore.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import stat
import sys
import tempfile
from importlib import resources
from pathlib import Path
from types import FrameType

from asynclint import __version__
from asynclint.resolve import library
from asynclint.resolve.project import SUMMARY_FORMAT, SUMMARY_KEYS, is_summary

# Bumped whenever what a cached report records changes (run/runner.py's encode_report): 2 added
# each finding's noqa row and its fix's text edits, and the report's noqa_doubt.
REPORT_FORMAT = 2


# Settings that only change how findings are shown or which files are walked, not what a file's
# check finds: a change to them keeps cached results.
_PRESENTATION = {
    "output_format", "show_fixes", "unsafe_fixes", "exclude", "extend_exclude", "respect_gitignore",
    "cache_dir", "cache_dir_from_user", "config_file", "root",
}

# Written first into a cache folder asynclint makes: a folder that holds it is asynclint's own
# (https://bford.info/cachedir/ says what the tag means to backup tools).
TAG_NAME = "CACHEDIR.TAG"
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# This folder is a cache made by asynclint.\n"
_IGNORE = "# created by asynclint\n*\n"
_refused: set[str] = set()


def cache_root(settings) -> Path | None:
    """The cache folder the run may write in, or None (no cache).

    A repository's own configuration can only place the cache inside the project, along real
    folders (no symbolic link on the way: a committed link must not carry writes elsewhere);
    a folder outside it needs the user's own command line or environment. Whoever names it, a
    folder that already holds files asynclint did not write (the project root, a source folder)
    is refused, since the cache hides its folder from git and from asynclint's own walk.
    """
    folder = settings.cache_folder()
    if folder is None:
        return None
    return _vetted(os.path.normpath(folder), os.path.normpath(settings.root), settings.cache_dir_from_user)


@functools.lru_cache(maxsize=16)
def _vetted(folder_name: str, root_name: str, from_user: bool) -> Path | None:
    """`cache_root` once per process and folder (every file of a run asks)."""
    folder, root = Path(folder_name), Path(root_name)
    reason = None
    if not from_user:
        if folder == root or root not in folder.parents:
            reason = "it is not inside the project; only --cache-dir or ASYNCLINT_CACHE_DIR may put it elsewhere"
        elif _has_link(root, folder):
            reason = "a symbolic link is on its way (a repository may not send the cache elsewhere)"
    if reason is None:
        reason = _foreign_content(folder)
    if reason is not None:
        if str(folder) not in _refused:
            _refused.add(str(folder))
            print(f"asynclint: warning: not using the cache folder {folder}: {reason}; running without a cache", file=sys.stderr)
        return None
    return folder


def _has_link(root: Path, folder: Path) -> bool:
    """Whether a symbolic link stands anywhere from below `root` down to `folder`."""
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            return True
        if not current.exists():
            return False  # made by mkdir later, as a real folder
    return False


def _foreign_content(folder: Path) -> str | None:
    try:
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            return "it is not a folder"
        if not folder.exists() or (folder / TAG_NAME).is_file() or _ours(folder / ".gitignore"):
            return None
        if next(folder.iterdir(), None) is not None:
            return "it holds files asynclint did not write (a cache folder must be asynclint's alone)"
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    return None


def _ours(ignore: Path) -> bool:
    """A .gitignore asynclint wrote (caches made before the tag was written hold only that)."""
    try:
        return not ignore.is_symlink() and ignore.read_text(encoding="utf-8") == _IGNORE
    except (OSError, ValueError):
        return False


def _real_dir(path: Path) -> None:
    """Make `path` a folder if it is not one; refuse (OSError) a link or a file standing there."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(path)
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise OSError(f"{path} is not a folder")


def _create_new(path: Path, text: str) -> None:
    """Write a new file that nothing stands at yet: never through a link, dangling or not."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def prepare(folder: Path) -> None:
    """Make the cache folder, marked as asynclint's and hidden from git."""
    _real_dir(folder)
    _create_new(folder / TAG_NAME, TAG)
    _create_new(folder / ".gitignore", _IGNORE)


# Cache documents nest a few levels; anything deeper was not written by asynclint. The parser's
# recursion is bounded while it reads (the run may have raised the interpreter's limit for deep
# syntax trees, and a 100,000-deep document must not exhaust the C stack).
_JSON_DEPTH = 200


def load_json(path: Path) -> object:
    """A cache document: ValueError when it is not a regular file, not JSON, or holds numbers
    no entry has (1e400, NaN); OSError when it cannot be read; FileNotFoundError when absent."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):  # a FIFO would block the run forever
        raise ValueError("not a regular file")
    with open(path, "rb") as handle:
        data = handle.read()
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(min(previous, _JSON_DEPTH + _depth_now()))
    try:
        return json.loads(data, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise ValueError("not JSON") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc.reason}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    finally:
        sys.setrecursionlimit(previous)


def _depth_now() -> int:
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number out of range: {text}")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"not a number: {text}")


def write_json(folder: Path, name: str, document: object, **options) -> None:
    """Write `document` as folder/name in one rename (a reader sees the old or the new file);
    the temporary file is removed whatever fails (a full disk must not fill up further)."""
    fd, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, **options)
        os.replace(temp, folder / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
def summary_problem(entry: object, module: tuple) -> str | None:
    """Why `entry` is not a summary of `module` ((name, is a package, ...)), or None."""
    if not isinstance(entry, dict) or set(entry) != SUMMARY_KEYS:
        return "not a module summary"
    if not is_summary(entry):
        return "wrong type of a value"
    if (entry["module"], entry["package"]) != tuple(module[:2]):
        return f"describes module {entry['module']!r}, not {module[0]!r}"
    return None


_warned = False


def warn_invalid(path, reason: str) -> None:
    """Say once per process that a cache entry was ignored: a damaged cache folder must not flood
    the output."""
    global _warned
    if not _warned:
        _warned = True
        print(
            f"asynclint: warning: ignoring the invalid cache entry {path} ({reason}); it is "
            "recomputed (further invalid entries are ignored silently)",
            file=sys.stderr,
        )


@functools.cache
def code_stamp() -> str:
    """asynclint's version and the size and mtime of its modules and catalogue files: results
    made by other code (an upgrade, or a checkout being edited) never match."""
    package = Path(__file__).resolve().parents[1]  # the whole asynclint package
    catalogue = Path(str(resources.files("asynclint.rules")))
    digest = hashlib.sha256(f"{__version__}\0{SUMMARY_FORMAT}\0{REPORT_FORMAT}".encode())
    for path in sorted((*package.rglob("*.py"), *catalogue.glob("*.toml"))):
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"\0{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def settings_stamp(settings) -> str:
    """What in the settings can change a file's findings (selection, rule options)."""
    relevant = {
        f.name: repr(getattr(settings, f.name))
        for f in dataclasses.fields(settings)
        if f.name not in _PRESENTATION
    }
    # What the libraries declare changes findings too: the environment's distributions, and the
    # standard library's stubs.
    relevant["environment"] = library.stamp(settings)
    # So does the async library the project declares (a module that imports none of them is
    # fixed with the project's).
    relevant["async-library"] = settings.async_library.stamp()
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


class _Store:
    """JSON documents by key under one folder (two-level fan-out), written atomically."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._ready = False

    def get(self, key: str, valid) -> dict | None:
        """The document under `key` when `valid(document)` (None, or why not) accepts it."""
        if self.folder is None:
            return None
        path = self.folder / key[:2] / f"{key}.json"
        try:
            entry = load_json(path)
        except FileNotFoundError:
            return None  # not cached yet
        except (OSError, ValueError, RecursionError) as exc:  # ValueError: not JSON, or not ours
            warn_invalid(path, f"unreadable: {exc}")
            return None
        reason = valid(entry) if isinstance(entry, dict) else "not a document"
        if reason is not None:
            warn_invalid(path, reason)
            return None
        assert isinstance(entry, dict)  # checked just above
        return entry

    def put(self, key: str, entry: dict) -> None:
        if self.folder is None:
            return
        target = self.folder / key[:2]
        try:
            if not self._ready:
                prepare(self.folder.parent)
                _real_dir(self.folder)
                self._ready = True
            _real_dir(target)
            write_json(target, f"{key}.json", entry)
        except OSError:
            pass  # a read-only checkout, a full disk: run without caching


class SummaryCache:
    """Summaries of files read only for the project index."""

    def __init__(self, folder: Path | None) -> None:
        self._store = _Store(folder / "summaries" if folder is not None else None)

    @staticmethod
    def key(data: bytes, module: tuple) -> str:
        # `module`: (dotted name, is a package, is a test module): each changes the summary
        digest = hashlib.sha256("\0".join([code_stamp(), *map(str, module), ""]).encode())
        digest.update(data)
        return digest.hexdigest()

    def get(self, data: bytes, module: tuple) -> dict | None:
        return self._store.get(self.key(data, module), lambda entry: summary_problem(entry, module))

    def put(self, data: bytes, module: tuple, summary: dict) -> None:
        self._store.put(self.key(data, module), summary)


def _entry_problem(entry: object, module: tuple) -> str | None:
    """Why a manifest entry cannot describe a file of `module`, or None. (The reports it holds are
    checked when they are read back: asynclint/run/runner.py's decode_report.)"""
    if not isinstance(entry, dict) or not {"stat", "module", "key", "names", "summary"} <= set(entry):
        return "not a file entry"
    if entry["module"] != list(module):
        return f"describes module {entry['module']!r}, not {module[0]!r}"
    names = entry["names"]
    if not (
        isinstance(names, list) and len(names) == 3
        and all(isinstance(part, list) and all(isinstance(n, str) for n in part) for part in names[:2])
        and all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(n, str) for n in pair) for pair in names[2])
    ):
        return "wrong type of names"
    if entry["summary"] is not None:
        return summary_problem(entry["summary"], module)
    return None


class Manifest:
    """Every file a run has seen, for the settings and asynclint of this run: its size and mtime,
    a hash of its content and module name, its part of the name filter, its summary and, for a
    file that was checked, the report, plus the report the index decided when it had to.

    One JSON document per settings, read once per run: a file whose size and mtime are unchanged
    (or, when they changed, whose content is) needs neither reading nor parsing. Entries are
    checked for shape when used; one that is not what it should be counts as a miss.
    """

    def __init__(self, folder: Path | None, settings) -> None:
        self.stamp = f"{code_stamp()}:{settings_stamp(settings)}"
        self.path = folder / f"files-{hashlib.sha256(self.stamp.encode()).hexdigest()[:16]}.json" if folder else None
        self.files: dict[str, dict] = {}
        self.changed = False
        if self.path is None:
            return
        try:
            data = load_json(self.path)
        except FileNotFoundError:
            return  # none yet
        except (OSError, ValueError, RecursionError) as exc:
            warn_invalid(self.path, f"unreadable: {exc}")
            return
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            warn_invalid(self.path, "not a manifest")
        elif data.get("stamp") == self.stamp:
            self.files = data["files"]

    @property
    def enabled(self) -> bool:
        return self.path is not None

    @staticmethod
    def content_key(data: bytes, module: tuple) -> str:
        digest = hashlib.sha256("\0".join([*map(str, module), ""]).encode())
        digest.update(data)
        return digest.hexdigest()

    def entry(self, path: str, stat: list[int], module: tuple, read) -> tuple[dict | None, bytes | None]:
        """The entry for `path` if it still describes the file, and the file's bytes if they had
        to be read (`read()` reads them) to tell."""
        entry = self.files.get(path)
        if entry is None:
            return None, None
        reason = _entry_problem(entry, module)
        if reason is not None:
            warn_invalid(f"{self.path} [{path}]", reason)
            return None, None
        if entry.get("stat") == stat:
            return entry, None
        data = read()
        if data is not None and entry.get("key") == self.content_key(data, module):
            entry["stat"] = stat  # touched, not changed
            self.changed = True
            return entry, data
        return None, data

    def record(self, path: str, entry: dict) -> None:
        self.files[path] = entry
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        try:
            prepare(self.path.parent)
            write_json(self.path.parent, self.path.name, {"stamp": self.stamp, "files": self.files}, separators=(",", ":"))
        except OSError:
            pass  # a read-only checkout, a full disk: run without caching
