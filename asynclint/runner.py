"""Running the engine over many files: read, check or fix, write; in parallel across processes.

Workers return `FileReport`s: plain data (no syntax trees), so they cross process boundaries
cheaply. A run over one or a few files never starts a pool.
"""

from __future__ import annotations

import difflib
import enum
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from asynclint import deepstack
from asynclint.diagnostics import ErrorKind, FileError, Finding
from asynclint.engine import lint_text, needs_index
from asynclint.fixer import fix_text, is_applicable
from asynclint.cache import SummaryCache
from asynclint.project import NameFilter, ProjectIndex, Ref, module_name, project_names
from asynclint.options import Settings, relative_to_root
from asynclint.selection import rules_for
from asynclint.source import Source, SourceError, TooLarge, decode, read_source, write_atomically


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
    fixed_text: str | None = None  # for stdin in fix mode
    lines: dict[int, str] = field(default_factory=dict)  # source lines the findings point at
    summary: dict | None = None  # for the project index
    pending: list[Ref] = field(default_factory=list)  # conditions for the index to decide


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
    report = FileReport(path)
    rules = () if summary_only else rules_for(settings, relative_to_root(path, settings.root))
    if mode is Mode.CHECK:
        result = lint_text(source.text, path, settings, rules, index=index, names=names)
        text = source.text
    else:
        outcome = fix_text(source.text, path, settings, rules, unsafe=settings.unsafe_fixes, index=index)
        result, text = outcome.result, outcome.text
        report.errors.extend(outcome.errors)
        report.fixed = [f.detached() for f in outcome.applied]
        if text != source.text:
            if mode is Mode.DIFF:
                report.diff = "".join(
                    difflib.unified_diff(
                        source.text.splitlines(keepends=True),
                        text.splitlines(keepends=True),
                        fromfile=f"a/{path}",
                        tofile=f"b/{path}",
                    )
                )
            elif write:
                deepstack.checkpoint()  # a file given up for its time limit is never written
                try:
                    write_atomically(path, source, text)
                except SourceError as exc:
                    report.errors.append(FileError(ErrorKind.IO, str(exc)))
                    report.fixed = []
                    result = lint_text(source.text, path, settings, rules)
                    text = source.text
            report.fixed_text = text
    report.findings = [f.detached() for f in result.findings]
    report.pending = result.pending
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
) -> FileReport:
    try:
        source = read_source(path, settings.size_limit())
    except TooLarge as exc:
        return FileReport(path, errors=[FileError(ErrorKind.SKIPPED, str(exc))])
    except SourceError as exc:
        return FileReport(path, errors=[FileError(ErrorKind.IO, str(exc), exc.line, exc.column)])
    cache = SummaryCache(settings.cache_folder())
    module = module_name(path)
    if summary_only:
        cached = cache.get(source.data, module)
        if cached is not None:
            return FileReport(path, summary=cached)
    report = _guarded(
        path, settings, check_source, path, source, settings, mode, write=True, index=index,
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
    except Exception as exc:  # never let one file take the run down
        return FileReport(
            path,
            errors=[FileError(ErrorKind.INTERNAL, f"internal error: {type(exc).__name__}: {exc} (this is a bug in asynclint; please report it)")],
        )


def process_stdin(data: bytes, path: str, settings: Settings, mode: Mode) -> FileReport:
    """Code from stdin is a project of its own: its index is its own summary."""
    limit = settings.size_limit()
    if limit is not None and len(data) > limit:
        return FileReport(path, errors=[FileError(ErrorKind.SKIPPED, str(TooLarge(len(data), limit)))])
    try:
        text, encoding = decode(data)
    except SourceError as exc:
        return FileReport(path, errors=[FileError(ErrorKind.IO, str(exc), exc.line, exc.column)])
    source = Source(text, encoding, data)
    return _guarded(path, settings, _check_stdin, path, source, settings, mode)


def _check_stdin(path: str, source: Source, settings: Settings, mode: Mode) -> FileReport:
    report = check_source(path, source, settings, Mode.CHECK, write=False)
    index = ProjectIndex([report.summary] if report.summary else [], settings.infer_by_method_name)
    if mode is not Mode.CHECK or needs_index(report.pending, index):
        report = check_source(path, source, settings, mode, write=False, index=index)
    return report


_WORKER_INDEX: ProjectIndex | None = None
_WORKER_NAMES: NameFilter | None = None


def _init_worker(index: ProjectIndex | None, names: NameFilter | None) -> None:
    global _WORKER_INDEX, _WORKER_NAMES
    _WORKER_INDEX, _WORKER_NAMES = index, names


def _task(args: tuple[str, Settings, Mode, bool]) -> FileReport:
    path, settings, mode, summary_only = args
    return process_file(path, settings, mode, _WORKER_INDEX, summary_only, _WORKER_NAMES)


def _map(
    tasks: list[tuple[str, Settings, Mode, bool]],
    jobs: int,
    index: ProjectIndex | None,
    names: NameFilter | None = None,
) -> list[FileReport]:
    """Run tasks in order, in parallel when there are enough of them to pay for the processes."""
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1 or len(tasks) < 4:
        return [
            process_file(path, settings, mode, index, summary_only, names)
            for path, settings, mode, summary_only in tasks
        ]
    reports: list[FileReport] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(index, names)) as pool:
        futures = [pool.submit(_task, task) for task in tasks]
        for (path, *_), future in zip(tasks, futures):
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


def run(
    files: list[str], settings: Settings, mode: Mode, jobs: int, project_files: list[str] = ()
) -> list[FileReport]:
    """Check `files`; read `project_files` too (once) so calls into them can be resolved.

    Pass 1 reads every file once: findings for the files asked about, and every file's summary.
    The summaries make the project index, which decides the pending findings. With --fix or
    --diff, only the files that have something to fix are read again, with the index at hand.
    """
    wanted = {os.path.realpath(path) for path in files}
    extra, seen = [], set(wanted)
    for path in project_files:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            extra.append(path)
    tasks = [(path, settings, Mode.CHECK, False) for path in files]
    tasks += [(path, settings, Mode.CHECK, True) for path in extra]
    names = project_names([*files, *extra], settings.extend_task_spawners, settings.size_limit())
    reports = _map(tasks, jobs, None, names)
    index = ProjectIndex((r.summary for r in reports if r.summary), settings.infer_by_method_name)
    reports = reports[: len(files)]
    # Files where the index confirms a call into another module are checked again with the index
    # at hand (real cross-file findings are rare, so this second read is too).
    again = [n for n, r in enumerate(reports) if needs_index(r.pending, index)]
    for n, report in zip(again, _map([(reports[n].path, settings, Mode.CHECK, False) for n in again], jobs, index)):
        reports[n] = report
    if mode is Mode.CHECK:
        return reports
    unsafe = settings.unsafe_fixes
    to_fix = [n for n, r in enumerate(reports) if any(is_applicable(f.fix, unsafe) for f in r.findings)]
    fixed = _map([(reports[n].path, settings, mode, False) for n in to_fix], jobs, index)
    for n, report in zip(to_fix, fixed):
        reports[n] = report
    return reports


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
