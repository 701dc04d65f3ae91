"""Running the engine over many files: read, check or fix, write; in parallel across processes.

Workers return `FileReport`s: plain data (no syntax trees), so they cross process boundaries
cheaply. A run over one or a few files never starts a pool.
"""

from __future__ import annotations

import contextlib
import difflib
import enum
import gc
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from asynclint.config.options import Settings, relative_to_root
from asynclint.engine import deepstack
from asynclint.engine.diagnostics import (
    Applicability,
    ErrorKind,
    FileError,
    Finding,
    Fix,
    TextEdit,
    internal_error,
    is_applicable,
)
from asynclint.engine.notebook import NotebookError, is_notebook, python_of, read_notebook
from asynclint.engine.source import Source, SourceError, TooLarge, decode, encode, read_bytes, read_source, write_atomically
from asynclint.resolve import library
from asynclint.resolve.names import Ref, is_test_module, module_name
from asynclint.resolve.project import NameFilter, ProjectIndex, combine_names, file_names, is_summary, needs_index, spawner_tokens
from asynclint.run import isolation, library_cache
from asynclint.run.cache import Manifest, SummaryCache, cache_root, warn_invalid
from asynclint.run.selection import is_enabled, rules_for


class Mode(enum.Enum):
    CHECK = "check"
    FIX = "fix"  # write fixed files
    DIFF = "diff"  # show what --fix would change, write nothing


@dataclass
class FileReport:
    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    diff: str = ""
    # The fixed file's bytes when it was not written (stdin): None when nothing changed.
    fixed_data: bytes | None = None
    lines: dict[int, str] = field(default_factory=dict)  # source lines the findings point at
    summary: dict | None = None  # for the project index
    pending: list[Ref] = field(default_factory=list)  # conditions for the index to decide
    # names the project name filter ruled out (coroutines, task wrappers); see LintResult
    rejected: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    mode: Mode = Mode.CHECK  # how it was made: a file already fixed (or diffed) is not again
    noqa_doubt: bool = False  # see LintResult
    # A notebook's (cell number, first line) in its virtual module, which every line above counts
    # in (engine/notebook.py); None for a Python file. The output formats map lines to cells.
    cells: list[tuple[int, int]] | None = None
    fixed_cells: list[tuple[int, int]] | None = None  # the same for `fixed`: the notebook as read


def encode_report(report: FileReport) -> dict:
    """A check's report as plain JSON for the cache (its summary is kept beside it)."""
    return {
        "findings": [
            [f.code, f.name, f.message, f.line, f.column, f.end_line, f.end_column,
             f.fix.applicability.value if f.fix else None, f.fix.description if f.fix else None,
             f.noqa_row, [[e.line, e.column, e.end_line, e.end_column, e.content] for e in f.fix.text_edits] if f.fix else []]
            for f in report.findings
        ],
        "errors": [[e.kind.name, e.message, e.line, e.column] for e in report.errors],
        "pending": [[r.kind, r.target, r.name, r.expect] for r in report.pending],
        "lines": {str(number): line for number, line in report.lines.items()},
        "rejected": [sorted(report.rejected[0]), sorted(report.rejected[1])],
        "noqa_doubt": report.noqa_doubt,
        "cells": None if report.cells is None else [list(pair) for pair in report.cells],
    }


def decode_report(path: str, entry: dict, summary: dict | None) -> FileReport | None:
    """The report a cache entry holds; None when it is not one (tampered, or another format)."""
    try:
        findings = []
        for code, name, message, line, column, end_line, end_column, applicability, description, noqa_row, edits in entry["findings"]:
            fix = None
            if applicability is not None:
                text_edits = tuple(TextEdit(int(a), int(b), int(c), int(d), str(content)) for a, b, c, d, content in edits)
                fix = Fix(Applicability(applicability), str(description), (), text_edits=text_edits)
            findings.append(Finding(
                str(code), str(name), str(message), int(line), int(column), int(end_line), int(end_column), fix, int(noqa_row),
            ))
        errors = [FileError(ErrorKind[kind], str(message), int(line), int(column)) for kind, message, line, column in entry["errors"]]
        pending = [Ref(str(kind), str(target), str(name), str(expect)) for kind, target, name, expect in entry["pending"]]
        lines = {int(number): str(line) for number, line in entry["lines"].items()}
        coroutines, wrappers = entry["rejected"]
        cells = None if entry["cells"] is None else [(int(cell), int(first)) for cell, first in entry["cells"]]
        if summary is not None and not is_summary(summary):
            return None
        return FileReport(
            path, findings, errors, lines=lines, summary=summary, pending=pending,
            rejected=(frozenset(map(str, coroutines)), frozenset(map(str, wrappers))),
            noqa_doubt=entry["noqa_doubt"] is True, cells=cells,
        )
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return None


def _source_lines(text: str, report: FileReport) -> None:
    wanted = {f.line for f in report.findings}
    if wanted:
        for number, line in enumerate(text.splitlines(), start=1):
            if number in wanted:
                report.lines[number] = line


def check_source(
    path: str,
    source: Source,
    settings: Settings,
    mode: Mode,
    *,
    write: bool,
    index: ProjectIndex | None = None,
    summary_only: bool = False,
    names: NameFilter | None = None,
) -> FileReport:
    """Check (or fix) one file. Without `index`, findings that depend on other files come back as
    `pending`; `summary_only` runs no rule (a file read only for the project index)."""
    # Imported here, not at the top: they load libcst, which a run answered from the cache
    # never needs (see asynclint/engine/libcst_access.py).
    from asynclint.lint.fixer import detach, fix_text
    from asynclint.lint.walker import lint_text

    report = FileReport(path)
    notebook = None
    code = source.text  # the Python code: a notebook's cells as one module (engine/notebook.py)
    if is_notebook(path):
        try:
            notebook = read_notebook(source.text)
        except NotebookError as exc:
            report.errors.append(FileError(ErrorKind.IO, str(exc), exc.line, exc.column))
            return report
        code = notebook.python
        limit = settings.size_limit()
        if limit is not None and len(code) > limit:  # characters: close enough, never fewer than bytes
            report.errors.append(FileError(ErrorKind.SKIPPED, (
                f"not checked: the notebook's code cells hold {len(code) / 1e6:.1f} MB, over max-file-size "
                f"({limit / 1e6:g} MB); raise the limit or exclude the file"
            )))
            return report
        report.cells = report.fixed_cells = notebook.starts
        report.errors.extend(notebook.errors)
    rules = () if summary_only else rules_for(settings, relative_to_root(path, settings.root))
    if mode is Mode.CHECK:
        # A file read only for the index is summarised from the layout-free tree (no finding
        # needs libcst's exact code there).
        result = lint_text(code, path, settings, rules, index=index, names=names, layout_free=summary_only)
        text = code
    else:
        outcome = fix_text(code, path, settings, rules, unsafe=settings.unsafe_fixes, index=index)
        result, text = outcome.result, outcome.text
        report.errors.extend(outcome.errors)
        report.fixed = [f.detached() for f in outcome.applied]
        if text != code:
            written = text  # what the file is to hold
            try:
                if notebook is not None:
                    written, sources = notebook.rebuilt(text)
                    report.cells = read_notebook(written).starts
                if mode is Mode.DIFF:
                    report.diff = notebook.diff(sources, path) if notebook is not None else "".join(
                        difflib.unified_diff(
                            code.splitlines(keepends=True), text.splitlines(keepends=True),
                            fromfile=f"a/{path}", tofile=f"b/{path}",
                        )
                    )
                elif write:
                    deepstack.checkpoint()  # a file given up for its time limit is never written
                    write_atomically(path, source, written, within=settings.root)
                else:
                    report.fixed_data = encode(written, source.encoding)
            except SourceError as exc:  # NotebookError too: the fixed cells could not be placed
                # Nothing was written: report what the file as read holds, decided with the
                # same index (cross-file findings included), and say why it is unfixed.
                kind = ErrorKind.INTERNAL if isinstance(exc, NotebookError) else ErrorKind.IO
                report.errors.append(FileError(kind, str(exc)))
                report.fixed, report.diff, report.cells = [], "", report.fixed_cells
                result, text = outcome.initial, code
    report.findings = detach(result, text)
    report.pending = result.pending
    report.rejected = result.rejected
    report.noqa_doubt = result.noqa_doubt
    report.summary = result.summary
    report.errors[:0] = result.errors
    _source_lines(text, report)
    return report


def process_file(
    path: str,
    settings: Settings,
    mode: Mode,
    index: ProjectIndex | None = None,
    summary_only: bool = False,
    names: NameFilter | None = None,
    data: bytes | None = None,
) -> FileReport:
    """Check one file (or, `summary_only`, only summarise it for the index). `data` is the file's
    content when it is not read from disk (stdin, an editor's buffer): such a file is never
    written; its fixed bytes come back in the report."""
    with young_garbage_only():
        return _process_file(path, settings, mode, index, summary_only, names, data)


@contextlib.contextmanager
def young_garbage_only() -> Iterator[None]:
    """Keep Python's cycle collector out of the parse and the walk of one file, and collect the
    file's young garbage once it is done. A syntax tree is hundreds of thousands of acyclic
    objects: the automatic collector traverses them again and again while they are built and
    also rescans everything earlier files left alive (measured: 10% of a cold run)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)


def _process_file(
    path: str,
    settings: Settings,
    mode: Mode,
    index: ProjectIndex | None,
    summary_only: bool,
    names: NameFilter | None,
    data: bytes | None = None,
) -> FileReport:
    try:
        source = read_source(path, read_limit(path, settings)) if data is None else _buffer_source(path, data, settings)
    except TooLarge as exc:
        return FileReport(path, errors=[FileError(ErrorKind.SKIPPED, str(exc))])
    except SourceError as exc:
        return FileReport(path, errors=[FileError(ErrorKind.IO, str(exc), exc.line, exc.column)])
    cache = SummaryCache(cache_root(settings))
    library_cache.attach(settings)
    # Whether it is a test module changes its summary (tests record the names they use).
    module = (*module_name(path), is_test_module(relative_to_root(path, settings.root)))
    if summary_only:
        cached = cache.get(source.data, module)
        if cached is not None:
            return FileReport(path, summary=cached)
    report = _guarded(
        path, settings, check_source, path, source, settings, mode, write=data is None, index=index,
        summary_only=summary_only, names=names,
    )
    if report.summary is not None and mode is Mode.CHECK:
        cache.put(source.data, module, report.summary)
    return report


def timeout_error(exc: deepstack.Timeout) -> FileError:
    return FileError(
        ErrorKind.SKIPPED,
        f"not checked: the file took longer than per-file-timeout ({exc.seconds:g} s) and was "
        "skipped; raise the limit or exclude the file",
    )


def _guarded(path: str, settings: Settings, function, *args, **kwargs) -> FileReport:
    """`function(*args, **kwargs)` on the big-stack thread within the file's time limit; whatever
    goes wrong becomes an error of this file, never the end of the run."""
    try:
        return deepstack.call(function, *args, timeout=settings.time_limit(), **kwargs)
    except deepstack.Timeout as exc:
        return FileReport(path, errors=[timeout_error(exc)])
    except RecursionError:
        return FileReport(path, errors=[FileError(ErrorKind.INTERNAL, "the code is nested too deeply to be analysed")])
    except Exception as exc:  # noqa: BLE001 - never let one file take the run down
        return FileReport(path, errors=[internal_error(exc)])


# A notebook's outputs (plots, tables) make it much larger than its code: max-file-size applies
# to its code cells (see check_source), and the file itself is read up to this many times that.
NOTEBOOK_FILE_FACTOR = 50


def read_limit(path: str, settings: Settings) -> int | None:
    """The largest file to read for `path`: max-file-size, or more for a notebook."""
    limit = settings.size_limit()
    return limit * NOTEBOOK_FILE_FACTOR if limit is not None and is_notebook(path) else limit


def _buffer_source(path: str, data: bytes, settings: Settings) -> Source:
    """A file's content handed over in memory, held to the same limits as one read from disk."""
    limit = read_limit(path, settings)
    if limit is not None and len(data) > limit:
        raise TooLarge(len(data), limit)
    text, encoding = decode(data)
    return Source(text, encoding, data)


_WORKER_INDEX: ProjectIndex | None = None
_WORKER_NAMES: NameFilter | None = None


def _init_worker(index: ProjectIndex | None, names: NameFilter | None) -> None:
    global _WORKER_INDEX, _WORKER_NAMES
    _WORKER_INDEX, _WORKER_NAMES = index, names


Task = tuple[str, Settings, Mode, bool, "bytes | None"]  # path, settings, mode, summary_only, data


def _task(args: Task) -> FileReport:
    path, settings, mode, summary_only, data = args
    return process_file(path, settings, mode, _WORKER_INDEX, summary_only, _WORKER_NAMES, data)


def _map(
    tasks: list[Task],
    jobs: int | None,
    index: ProjectIndex | None,
    names: NameFilter | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    what: str = "checked",
) -> list[FileReport]:
    """Run tasks in order, in parallel when there are enough of them to pay for the processes.
    `jobs` None: as many processes as the work pays for (`jobs_for`)."""
    if not tasks:
        return []
    sizes = [isolation.size_of(task[0], task[4]) for task in tasks]
    if jobs is None:
        # A file read only for the index (task[3], summary_only) is less work than one checked.
        work = [size * INDEX_ONLY_WORK // 100 if task[3] else size for size, task in zip(sizes, tasks, strict=True)]
        jobs = jobs_for(work, default_jobs())
    jobs = max(1, min(jobs, len(tasks)))
    reports: list[FileReport] = []
    # Files big enough for the parser to run out of memory on are parsed in a process of their
    # own, so that it takes down that process only (libcst's native parser aborts the process
    # when an allocation fails: no exception, no results).
    above = isolation.threshold()
    big = {n for n, size in enumerate(sizes) if size > above}
    if big:
        shared = [t for n, t in enumerate(tasks) if n not in big]
        done = iter(_map(shared, jobs, index, names, None, what))
        for n, task in enumerate(tasks):
            reports.append(_alone(task, index, names) if n in big else next(done))
            if progress is not None:
                progress(len(reports), len(tasks), what)
        return reports
    if jobs == 1 or len(tasks) < 4:
        for path, settings, mode, summary_only, data in tasks:
            reports.append(process_file(path, settings, mode, index, summary_only, names, data))
            if progress is not None:
                progress(len(reports), len(tasks), what)
        return reports
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(index, names)) as pool:
        futures = [pool.submit(_task, task) for task in tasks]
        for (path, *_), future in zip(tasks, futures, strict=True):
            if progress is not None:
                progress(len(reports), len(tasks), what)
            try:
                reports.append(future.result())
            except BrokenProcessPool:
                # A worker died (killed, or crashed in native code): say so for the files it
                # left unchecked rather than losing the whole run.
                reports.append(FileReport(path, errors=[FileError(
                    ErrorKind.INTERNAL,
                    "not checked: an asynclint worker process died while checking this or another file",
                )]))
    return reports


def _alone(task: Task, index: ProjectIndex | None, names: NameFilter | None) -> FileReport:
    """A task run in a process of its own (asynclint/run/isolation.py)."""
    path, settings = task[0], task[1]
    limit = settings.time_limit()
    # The child keeps the file's own time limit; killing it is the backstop for native code.
    result = isolation.run_alone(_init_worker, _task, task, index, names, limit * 2 + 10 if limit else None)
    if isinstance(result, FileReport):
        return result
    if result == "timeout":
        message = (
            f"not checked: the file took longer than per-file-timeout ({limit:g} s) and was "
            "skipped; raise the limit or exclude the file"
        )
    else:
        message = (
            f"not checked: the process parsing the file {result}, most likely out of memory (libcst "
            "needs about 800 bytes per byte of source); lower max-file-size or exclude the file"
        )
    return FileReport(path, errors=[FileError(ErrorKind.SKIPPED, message)])


def _read(path: str, max_bytes: int | None) -> bytes | None:
    try:
        return read_bytes(path, max_bytes)  # never blocks on a FIFO, nor reads a huge file
    except SourceError:
        return None  # the worker reports it properly


_NO_NAMES: list = [[], [], []]


@dataclass
class _Seen:
    """What the main process learns of a file before any worker reads it."""

    path: str
    key: str  # its absolute path: the manifest's key
    stat: list[int] | None
    module: tuple[str, bool, bool]  # dotted name, is a package, is a test module
    entry: dict | None  # the manifest's entry, while it still describes the file
    content: str | None  # hash of content and module, when the file had to be read
    names: list  # the file's part of the name filter


def _look(
    path: str, manifest: Manifest, tokens: tuple[bytes, ...], prefix: str, max_bytes: int | None,
    buffers: Mapping[str, bytes],
) -> _Seen:
    absolute = os.path.abspath(path)
    # Whether it is a test module changes its summary (tests record the names they use).
    relative = absolute[len(prefix):].replace(os.sep, "/") if absolute.startswith(prefix) else path
    module = (*module_name(path), is_test_module(relative))
    if absolute in buffers:  # not the file on disk: nothing of it is cached under the disk file's stat
        return _Seen(path, absolute, None, module, None, None, file_names(python_of(path, buffers[absolute]), tokens))
    try:
        status = os.stat(path)
    except OSError:
        return _Seen(path, absolute, None, module, None, None, _NO_NAMES)
    stat = [status.st_size, status.st_mtime_ns]
    entry, data = manifest.entry(absolute, stat, module, lambda: _read(path, max_bytes)) if manifest.enabled else (None, None)
    if entry is not None:  # its shape checked by the manifest
        return _Seen(path, absolute, stat, module, entry, entry.get("key"), entry["names"])
    data = data if data is not None else _read(path, max_bytes)
    if data is None:
        return _Seen(path, absolute, None, module, None, None, _NO_NAMES)
    content = Manifest.content_key(data, module) if manifest.enabled else None
    return _Seen(path, absolute, stat, module, None, content, file_names(python_of(path, data), tokens))


def _cached_report(path: str, entry: dict, field_name: str, names: NameFilter | None) -> FileReport | None:
    stored = entry.get(field_name)
    if field_name == "decided":
        stored = stored[1] if isinstance(stored, list) and len(stored) == 2 else None
    report = decode_report(path, stored, entry.get("summary")) if isinstance(stored, dict) else None
    if report is None:
        if entry.get(field_name) is not None:
            warn_invalid(f"the cache manifest's entry for {path}", f"not a {field_name} report")
        return None
    if names is not None:
        coroutines, wrappers = report.rejected
        # A name ruled out by the name filter when this was checked may be defined by now.
        if not coroutines.isdisjoint(names.coroutines) or not wrappers.isdisjoint(names.wrappers):
            return None
    return report


def _remember(manifest: Manifest, item: _Seen, report: FileReport, checked: bool) -> None:
    """Keep a worker's report in the manifest (not one that a failure made incomplete)."""
    if not manifest.enabled or item.content is None or item.stat is None:
        return
    if any(e.kind in (ErrorKind.INTERNAL, ErrorKind.IO) for e in report.errors):
        return
    entry = item.entry
    if entry is None:
        entry = {"stat": item.stat, "module": list(item.module), "key": item.content, "names": item.names,
                 "summary": None, "report": None, "decided": None}
    entry["summary"] = report.summary
    if checked:
        entry["report"] = encode_report(report)
        entry["decided"] = None
    item.entry = entry
    manifest.record(item.key, entry)


def run(
    files: list[str], settings: Settings, mode: Mode, jobs: int | None, project_files: Sequence[str] = (),
    progress: Callable[[int, int, str], None] | None = None, buffers: Mapping[str, bytes] | None = None,
) -> list[FileReport]:
    """Check `files` (see `check_project`), then, with --fix or --diff, fix the files that have
    something to fix: only they are read again, with the project index at hand."""
    buffers = _absolute_keys(buffers)
    reports, index = check_project(files, settings, jobs, project_files, progress, buffers, mode)
    if mode is Mode.CHECK:
        return reports
    unsafe = settings.unsafe_fixes
    to_fix = [
        n for n, r in enumerate(reports)
        if r.mode is Mode.CHECK and any(is_applicable(f.fix, unsafe) for f in r.findings)
    ]
    tasks = [_task_for(reports[n].path, settings, mode, False, buffers) for n in to_fix]
    fixed = _map(tasks, jobs, index, None, progress, "fixed")
    for n, report in zip(to_fix, fixed, strict=True):
        reports[n] = report
    return reports


def _absolute_keys(buffers: Mapping[str, bytes] | None) -> dict[str, bytes]:
    return {os.path.abspath(path): data for path, data in (buffers or {}).items()}


def _task_for(path: str, settings: Settings, mode: Mode, summary_only: bool, buffers: Mapping[str, bytes]) -> Task:
    return (path, settings, mode, summary_only, buffers.get(os.path.abspath(path)))


def check_project(
    files: list[str], settings: Settings, jobs: int | None, project_files: Sequence[str] = (),
    progress: Callable[[int, int, str], None] | None = None, buffers: Mapping[str, bytes] | None = None,
    mode: Mode = Mode.CHECK,
) -> tuple[list[FileReport], ProjectIndex]:
    """Check `files`; read `project_files` too (once) so calls into them can be resolved.
    `buffers` holds, by path, the content of files that are not to be read from disk (stdin, an
    editor's unsaved buffers): they stand for the file at that path and are never written.
    `jobs` is the number of processes; None lets each pass choose from its work (`jobs_for`).

    Pass 1 reads every file once: findings for the files asked about, and every file's summary.
    The summaries make the project index, which decides the pending findings.

    With the cache (asynclint/run/cache.py's Manifest), a file whose size and mtime (or content), the
    settings and asynclint itself are unchanged is not read at all: its pass-1 report (findings,
    pending conditions, summary) comes from the manifest and, when the index confirms some of its
    conditions, so does the decided report, kept with the answers it was decided on.
    """
    buffers = _absolute_keys(buffers)
    wanted = {os.path.abspath(path) for path in files}
    extra, seen_paths = [], set(wanted)
    for path in project_files:
        key = os.path.abspath(path)
        if key not in seen_paths:
            seen_paths.add(key)
            extra.append(path)
    evidence = index_evidence(settings)  # before any work: a bad coverage file is a config error
    library_cache.attach(settings)  # the index's own questions about libraries use it too
    manifest = Manifest(cache_root(settings), settings)
    tokens = spawner_tokens(settings.extend_task_spawners)
    prefix = os.path.join(str(settings.root), "")
    seen = [_look(path, manifest, tokens, prefix, read_limit(path, settings), buffers) for path in (*files, *extra)]
    names = combine_names(item.names for item in seen)
    known: list[FileReport | None] = []  # from the cache; None for a file to read
    tasks: list[Task] = []
    for n, item in enumerate(seen):
        checked = n < len(files)
        report: FileReport | None = None
        if item.entry is not None:
            if checked:
                report = _cached_report(item.path, item.entry, "report", names)
            elif item.entry.get("summary") is not None:
                report = FileReport(item.path, summary=item.entry["summary"])
        known.append(report)
        if report is None:
            tasks.append(_task_for(item.path, settings, Mode.CHECK, not checked, buffers))
    done = iter(_map(tasks, jobs, None, names, progress, "read"))
    reports: list[FileReport] = []
    for n, item in enumerate(seen):
        report = known[n]
        if report is None:
            report = next(done)
            _remember(manifest, item, report, checked=n < len(files))
        reports.append(report)
    index = ProjectIndex(
        (r.summary for r in reports if r.summary), settings.infer_by_method_name, evidence,
        library.for_settings(settings),
    )
    reports = reports[: len(files)]
    # Files where the index confirms a call into another module are checked again with the index
    # at hand (real cross-file findings are rare, so this second read is too).
    again: list[tuple[int, str]] = []
    for n, report in enumerate(reports):
        if not needs_index(report.pending, index) and not report.noqa_doubt:
            continue
        decisions = "".join("1" if index.check(ref) else "0" for ref in report.pending)
        entry = seen[n].entry
        decided = None
        if entry is not None and isinstance(entry.get("decided"), list) and entry["decided"][:1] == [decisions]:
            decided = _cached_report(report.path, entry, "decided", None)
        if decided is not None:
            reports[n] = decided
        else:
            again.append((n, decisions))
    tasks = [_task_for(reports[n].path, settings, mode, False, buffers) for n, _ in again]
    for (n, decisions), report in zip(again, _map(tasks, jobs, index, None, progress, "rechecked"), strict=True):
        report.mode = mode
        reports[n] = report
        entry = seen[n].entry
        if mode is not Mode.CHECK:
            continue  # fixed or diffed: not what the file on disk gives next time
        if entry is not None and not any(e.kind in (ErrorKind.INTERNAL, ErrorKind.IO) for e in report.errors):
            entry["decided"] = [decisions, encode_report(report)]
            manifest.record(seen[n].key, entry)
    manifest.save()
    library_cache.save_all()  # worker processes save theirs as they exit
    return reports, index


def index_evidence(settings: Settings):
    """Coverage data for the project index, when ASL405 runs and a data file is there."""
    select = settings.select + settings.extend_select
    # ASL405 is opt-in: selected only by its full code (asked here without importing the rules).
    if "ASL405" not in select or not is_enabled("ASL405", select, settings.ignore):
        return None
    from asynclint.resolve.coverage_evidence import evidence_for

    return evidence_for(settings)


# The default number of processes (no --jobs) comes from the amount of work: the bytes of source
# a pass reads (each pass chooses for itself: the index-and-check pass over every file, then the
# few files rechecked with the index, or fixed). Starting the pool is cheap (forking two workers:
# 10 ms; the project index reaches them by fork, never pickled), but every worker does again
# what one process does once: loading libcst and the rules (0.14 s), and more: two processes
# took 10 to 45% more CPU time than one (the smaller the project, the more). Measured cold, --jobs 1 against --jobs 2, 2 CPUs shared
# with other work (bench/README.md, "Processes"), the time with two over the time with one, the
# medians of two runs of 5 rounds and (best) the fastest run of each: aiosqlite 49 kB 1.13 to
# 1.34, aio-pika 204 kB 1.28 to 1.29, hypercorn 313 kB 1.06 to 1.45, httpx 570 kB 1.10 to 1.16
# (best 0.96), starlette 813 kB 1.06 to 1.13 (best 0.80), sanic 1.6 MB 1.02 to 1.07 (best 1.10);
# tortoise-orm 2.4 MB 0.69 to 1.06 (best 0.65), aiohttp 3.5 MB 1.04 to 1.06 (best 0.70),
# python-telegram-bot 6.7 MB 1.14 (best 0.56). Below 2 MB two processes lost in every median and
# at sanic's size (issue #23's 54k-line project) in every run; above it they pay whenever the
# second core is free: so a megabyte of source per process, one process below 2 MB.
PROCESS_BYTES = 1_000_000
# A file read only for the index (its summary; no rule runs) costs this many percent of a file
# checked, byte for byte: cold with one process, aiohttp 6.5 s for the index against 10.7 s for
# the check, sanic 3.1 s against 4.9, python-telegram-bot 7.9 against 13.1.
INDEX_ONLY_WORK = 60


def jobs_for(sizes: Sequence[int], cpus: int) -> int:
    """How many processes to read files of these sizes (bytes) with, when --jobs is not given:
    one per PROCESS_BYTES of source, never more than `cpus`, nor than there are files."""
    return max(1, min(cpus, len(sizes), sum(sizes) // PROCESS_BYTES))


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
