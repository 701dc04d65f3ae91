"""The language server's one door into asynclint's engine: every call into the runner, the
engine, the fixer and the configuration is made here, and every name the other server modules
need from asynclint (findings, errors, settings errors) is imported here, so a reorganised
package is re-pointed in this one file.

Nothing here knows about LSP. `Engine` answers "what are the findings in this text", "what is
this text with this one fix", "what is it with every safe fix", from a warm `FolderIndex` per
workspace folder.

A `FolderIndex` keeps one summary per file (plain JSON-like dicts, never syntax trees, so memory
grows with what the project defines, not with its text): those the disk holds, read once by
`runner.check_project` into the command line's manifest and taken from there (so a workspace the
CLI has checked starts warm, and a file the server has read is not parsed again for the index of
a CLI run), and those of open buffers, which replace the disk's
for as long as the buffer is open. The `ProjectIndex` the checks use is rebuilt from them only
when a summary actually changes: most edits happen inside a function body and leave it alone.
"""

from __future__ import annotations

import gc
import os
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asynclint import __version__ as VERSION
from asynclint.config.discovery import discover
from asynclint.config.options import ConfigError, Settings, load_settings, relative_to_root
from asynclint.engine import deepstack
from asynclint.engine.diagnostics import (
    Applicability,
    ErrorKind,
    FileError,
    Finding,
    internal_error,
    is_applicable,
)
from asynclint.engine.source import Source
from asynclint.resolve import library
from asynclint.resolve.project import ProjectIndex
from asynclint.run import library_cache
from asynclint.run.cache import Manifest
from asynclint.run.runner import (
    FileReport,
    Mode,
    check_project,
    check_source,
    index_evidence,
    young_garbage_only,
)

__all__ = [
    "VERSION", "Applicability", "Checked", "ConfigError", "Engine", "ErrorKind", "FileError", "Finding",
    "FindingKey", "FolderIndex", "finding_key", "internal_error", "is_applicable", "is_rule_code",
]

if TYPE_CHECKING:
    from asynclint.lint.walker import LintResult

Progress = Callable[[int, int, str], None]
# Client settings the server accepts, by asynclint option name (a subset of [tool.asynclint]).
CLIENT_OPTIONS = ("select", "ignore", "extend-select", "unsafe-fixes")


@dataclass
class Checked:
    """One buffer's findings (without fix nodes) and the errors that kept it from a full check."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    # Whether the buffer's summary changed what the index knows: other open files may now have
    # other findings (a function made `async` here makes its unawaited calls there findings).
    index_changed: bool = False
    settings: Settings | None = None


def _summaries_by_path(reports: Iterable[FileReport]) -> dict[str, dict]:
    return {os.path.abspath(r.path): r.summary for r in reports if r.summary is not None}


class FolderIndex:
    """The warm project index of one workspace folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.settings = Settings(root=root)
        self.disk: dict[str, dict] = {}
        self.buffers: dict[str, dict] = {}
        self.files: set[str] = set()
        self.ready = False
        self._index: ProjectIndex | None = None
        self._evidence: Any = None

    def contains(self, path: str) -> bool:
        return path == str(self.root) or path.startswith(os.path.join(str(self.root), ""))

    def _folder_settings(self) -> Settings:
        # The folder's own config, without client overrides: the manifest is keyed by the
        # settings, and the CLI run from this folder must find the same one.
        return load_settings(None, self.root)

    def settings_changed(self) -> bool:
        """Whether the folder's config now says something else than when it was indexed."""
        with self.lock:
            current = self.settings
        return self._folder_settings() != current

    def build(self, progress: Progress | None = None, jobs: int | None = None) -> int:
        """Read every file of the folder (from the cache where it is current); return how many."""
        settings = self._folder_settings()
        files = discover([str(self.root)], settings).files
        disk: dict[str, dict] = {}
        folder = settings.cache_folder()
        if folder is not None:
            # Read for the index only (no rule runs: a third of a full check), into the manifest,
            # whose entries then hold every file's summary.
            check_project([], settings, jobs, files, progress)
            entries = Manifest(folder, settings).files
            for path in files:
                entry = entries.get(os.path.abspath(path))
                summary = entry.get("summary") if isinstance(entry, dict) else None
                if isinstance(summary, dict):
                    disk[os.path.abspath(path)] = summary
        missing = [path for path in files if os.path.abspath(path) not in disk]
        if missing:  # no cache, or one that cannot be written (a read-only checkout)
            reports, _ = check_project(missing, settings, jobs, [], progress)
            disk.update(_summaries_by_path(reports))
        evidence = index_evidence(settings)
        with self.lock:
            self.settings, self.disk, self._evidence = settings, disk, evidence
            self.files = {os.path.abspath(path) for path in files}
            self._index, self.ready = None, True
        # The summaries live as long as the server: out of the collector's sight for good.
        gc.collect()
        gc.freeze()
        return len(files)

    def refresh(self, changed: Iterable[str], deleted: Iterable[str]) -> bool:
        """Files that changed on disk (not through a buffer); whether the index changed."""
        with self.lock:
            settings = self.settings
        gone = {os.path.abspath(p) for p in deleted}
        paths = [p for p in {os.path.abspath(p) for p in changed} - gone if os.path.isfile(p)]
        kept = discover(paths, settings).files if paths else []
        # One process: a handful of files do not pay for a pool, and the manifest stays current
        # for the next CLI run.
        reports, _ = check_project(kept, settings, 1) if kept else ([], None)
        fresh = _summaries_by_path(reports)
        with self.lock:
            before = {p: self.disk.get(p) for p in (*fresh, *gone)}
            for path in gone:
                self.disk.pop(path, None)
                self.files.discard(path)
            self.disk.update(fresh)
            self.files.update(fresh)
            changed_index = any(self.disk.get(p) != summary for p, summary in before.items())
            if changed_index:
                self._index = None
            return changed_index

    def summary_of(self, path: str) -> dict | None:
        with self.lock:
            return self.buffers.get(path, self.disk.get(path))

    def set_buffer(self, path: str, summary: dict | None) -> bool:
        """The open buffer's summary replaces the disk's; whether the index changed."""
        with self.lock:
            if summary is None or self.summary_of(path) == summary:
                if summary is not None:
                    self.buffers[path] = summary
                return False
            self.buffers[path] = summary
            self._index = None
            return True

    def drop_buffer(self, path: str) -> bool:
        with self.lock:
            summary = self.buffers.pop(path, None)
            if summary is None or summary == self.disk.get(path):
                return False
            self._index = None
            return True

    def index(self) -> ProjectIndex:
        with self.lock:
            if self._index is None:
                summaries = {**self.disk, **self.buffers}
                self._index = ProjectIndex(
                    summaries.values(), self.settings.infer_by_method_name, self._evidence,
                    library.for_settings(self.settings),
                )
            return self._index

    def size(self) -> int:
        with self.lock:
            return len(self.disk)


class Engine:
    """Findings and fixes for buffers, with the warm index of the folder each belongs to."""

    def __init__(self) -> None:
        self.folders: list[FolderIndex] = []
        self.overrides: dict[str, Any] = {}
        self._settings: dict[str, Settings | ConfigError] = {}  # by folder of the file
        self._lock = threading.Lock()

    # -- configuration ----------------------------------------------------------------------

    def add_folder(self, root: Path) -> FolderIndex:
        folder = FolderIndex(root.resolve())
        self.folders.append(folder)
        self.folders.sort(key=lambda f: len(str(f.root)), reverse=True)  # innermost first
        return folder

    def remove_folder(self, root: Path) -> None:
        root = root.resolve()
        self.folders = [f for f in self.folders if f.root != root]

    def folder_of(self, path: str) -> FolderIndex | None:
        return next((f for f in self.folders if f.contains(path)), None)

    def set_overrides(self, values: dict[str, Any]) -> None:
        """Client settings; raises ConfigError (and keeps the old ones) when one is invalid."""
        known = {name: value for name, value in values.items() if name in CLIENT_OPTIONS and value is not None}
        Settings().updated(known, "client settings")  # validate before taking them
        with self._lock:
            self.overrides = known
            self._settings.clear()

    def config_changed(self) -> None:
        with self._lock:
            self._settings.clear()

    def settings_for(self, path: str) -> Settings:
        """The nearest [tool.asynclint] for the file, then the client's settings over it (as the
        command line's flags go over the config file). Raises ConfigError."""
        folder = os.path.dirname(path)
        with self._lock:
            cached = self._settings.get(folder)
            overrides = self.overrides
        if cached is None:
            workspace = self.folder_of(path)
            try:
                start = Path(folder) if os.path.isdir(folder) else workspace.root if workspace else Path.cwd()
                cached = load_settings(None, start)
                if cached.config_file is None and workspace is not None:
                    # No config anywhere: patterns are relative to the workspace folder, as
                    # they are to the folder the command line runs in.
                    cached = replace(cached, root=workspace.root)
                cached = cached.updated(overrides, "client settings")
            except ConfigError as exc:
                cached = exc
            with self._lock:
                self._settings[folder] = cached
        if isinstance(cached, ConfigError):
            raise cached
        return cached

    def is_excluded(self, path: str, settings: Settings) -> bool:
        return os.path.exists(path) and not discover([path], settings).files

    # -- checking ---------------------------------------------------------------------------

    def check(self, path: str, text: str) -> Checked:
        """Check a buffer's text. A failure of any kind becomes an error of this buffer."""
        try:
            settings = self.settings_for(path)
        except ConfigError as exc:
            return Checked(errors=[FileError(ErrorKind.INTERNAL, f"configuration error: {exc}")])
        try:
            if self.is_excluded(path, settings):
                return Checked(settings=settings)
            with young_garbage_only():
                return self._check(path, text, settings)
        except deepstack.Timeout as exc:
            return Checked(errors=[FileError(ErrorKind.SKIPPED, f"not checked: took longer than per-file-timeout ({exc.seconds:g} s)")])
        except RecursionError:
            return Checked(errors=[FileError(ErrorKind.INTERNAL, "the code is nested too deeply to be analysed")])
        except Exception as exc:  # noqa: BLE001 - never let one buffer take the server down
            traceback.print_exc()  # to stderr: the client's log of the server
            return Checked(errors=[internal_error(exc)])

    def _source(self, text: str) -> Source:
        return Source(text, "utf-8", text.encode("utf-8", "surrogatepass"))

    def _report(self, path: str, text: str, settings: Settings, index: ProjectIndex | None) -> FileReport:
        libraries = library_cache.attach(settings)
        try:
            return deepstack.call(
                check_source, path, self._source(text), settings, Mode.CHECK,
                write=False, index=index, timeout=settings.time_limit(),
            )
        finally:
            if libraries is not None:
                libraries.save()

    def _check(self, path: str, text: str, settings: Settings) -> Checked:
        folder = self.folder_of(path)
        if folder is None or not folder.ready:
            # Outside every workspace folder (or before its index is warm) the file is a
            # project of its own, as code from stdin is.
            report = self._report(path, text, settings, None)
            if report.pending and report.summary is not None:
                own = ProjectIndex([report.summary], settings.infer_by_method_name, library=library.for_settings(settings))
                report = self._report(path, text, settings, own)
            return Checked(report.findings, report.errors, False, settings)
        report = self._report(path, text, settings, folder.index())
        changed = folder.set_buffer(path, report.summary)
        if changed:  # what the file itself defines may change its own findings
            report = self._report(path, text, settings, folder.index())
        return Checked(report.findings, report.errors, changed, settings)

    def close(self, path: str) -> bool:
        folder = self.folder_of(path)
        return folder.drop_buffer(path) if folder is not None else False

    # -- fixing -----------------------------------------------------------------------------

    def _lint_with_fixes(self, path: str, text: str, settings: Settings) -> LintResult:
        from asynclint.lint.walker import lint_text
        from asynclint.run.selection import rules_for

        folder = self.folder_of(path)
        index = folder.index() if folder is not None and folder.ready else None
        rules = rules_for(settings, relative_to_root(path, settings.root))
        if index is None:
            from asynclint.lint.walker import lint_alone

            return deepstack.call(lint_alone, text, path, settings, rules, timeout=settings.time_limit())
        return deepstack.call(lint_text, text, path, settings, rules, index=index, timeout=settings.time_limit())

    def fix_one(self, path: str, text: str, key: FindingKey) -> str | None:
        """The text with the fix of the finding `key` names applied, or None when it has none."""
        from asynclint.lint.fixer import apply_fixes, code_of, compiles

        settings = self.settings_for(path)
        with young_garbage_only():
            result = self._lint_with_fixes(path, text, settings)
        same = [f for f in result.findings if finding_key(f) == key and f.fix is not None]
        if not same or result.module is None:
            return None
        module, used = apply_fixes(result.module, same[:1], result.positions)
        new = code_of(module, text)
        if not used or new == text or (compiles(text, path) and not compiles(new, path)):
            return None
        return new

    def fix_all(self, path: str, text: str) -> str:
        """The text with every applicable fix applied to a fixed point (safe ones, and unsafe
        ones too when unsafe-fixes is on), as `asynclint --fix` would write it."""
        from asynclint.lint.fixer import fix_text
        from asynclint.run.selection import rules_for

        settings = self.settings_for(path)
        folder = self.folder_of(path)
        index = folder.index() if folder is not None and folder.ready else None
        rules = rules_for(settings, relative_to_root(path, settings.root))
        with young_garbage_only():
            outcome = deepstack.call(
                fix_text, text, path, settings, rules, unsafe=settings.unsafe_fixes, index=index,
                timeout=settings.time_limit(),
            )
        return outcome.text if not any(e.kind is ErrorKind.INTERNAL for e in outcome.errors) else text


FindingKey = tuple[str, int, int, int, int]


def finding_key(finding: Finding) -> FindingKey:
    """What names a finding between a diagnostic and the code action that fixes it."""
    return (finding.code, finding.line, finding.column, finding.end_line, finding.end_column)


def is_rule_code(code: str) -> bool:
    """Whether `code` is a rule's (with a docs page), not an error's such as E999."""
    from asynclint.config.codes import CODES

    return code in CODES
