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
from asynclint.diagnostics import Applicability, ErrorKind, FileError, Finding, Fix
from asynclint.engine import lint_text, needs_index
from asynclint.fixer import fix_text, is_applicable
from asynclint.cache import ResultCache, SummaryCache
from asynclint.project import NameFilter, ProjectIndex, Ref, module_name, project_names
from asynclint.options import Settings, relative_to_root
from asynclint.selection import rules_for
from asynclint.source import Source, SourceError, decode, read_source, write_atomically


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
    # names the project name filter ruled out (coroutines, task wrappers); see LintResult
    rejected: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())


def encode_report(report: FileReport) -> dict:
    """A check's report as a result cache entry (plain JSON)."""
    return {
        "summary": report.summary,
        "findings": [
            [f.code, f.name, f.message, f.line, f.column, f.end_line, f.end_column,
             f.fix.applicability.value if f.fix else None, f.fix.description if f.fix else None]
            for f in report.findings
        ],
        "errors": [[e.kind.name, e.message, e.line, e.column] for e in report.errors],
        "pending": [[r.kind, r.target, r.name, r.expect] for r in report.pending],
        "lines": {str(number): line for number, line in report.lines.items()},
        "rejected": [sorted(report.rejected[0]), sorted(report.rejected[1])],
    }


def decode_report(path: str, entry: dict) -> FileReport | None:
    """The report a cache entry holds; None when it is not one (tampered, or another format)."""
    try:
        findings = []
        for code, name, message, line, column, end_line, end_column, applicability, description in entry["findings"]:
            fix = Fix(Applicability(applicability), str(description), ()) if applicability is not None else None
            findings.append(Finding(str(code), str(name), str(message), int(line), int(column), int(end_line), int(end_column), fix))
        errors = [FileError(ErrorKind[kind], str(message), int(line), int(column)) for kind, message, line, column in entry["errors"]]
        pending = [Ref(str(kind), str(target), str(name), str(expect)) for kind, target, name, expect in entry["pending"]]
        lines = {int(number): str(line) for number, line in entry["lines"].items()}
        coroutines, wrappers = entry["rejected"]
        summary = entry["summary"]
        if summary is not None and not isinstance(summary, dict):
            return None
        return FileReport(
            path, findings, errors, lines=lines, summary=summary, pending=pending,
            rejected=(frozenset(map(str, coroutines)), frozenset(map(str, wrappers))),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
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
    report.rejected = result.rejected
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
    result_key: str | None = None,
) -> FileReport:
    """Check one file (or, `summary_only`, only summarise it for the index); with `result_key`,
    also keep the report in the result cache under that key."""
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileReport(path, errors=[FileError(ErrorKind.IO, str(exc), exc.line, exc.column)])
    cache = SummaryCache(settings.cache_folder())
    module = module_name(path)
    if summary_only:
        cached = cache.get(source.data, module)
        if cached is not None:
            return FileReport(path, summary=cached)
    try:
        report = deepstack.call(
            check_source, path, source, settings, mode, write=True, index=index,
            summary_only=summary_only, names=names,
        )
    except RecursionError:
        return FileReport(path, errors=[FileError(ErrorKind.INTERNAL, "the code is nested too deeply to be analysed")])
    except Exception as exc:  # never let one file take the run down
        return FileReport(
            path,
            errors=[FileError(ErrorKind.INTERNAL, f"internal error: {type(exc).__name__}: {exc} (this is a bug in asynclint; please report it)")],
        )
    if report.summary is not None and mode is Mode.CHECK:
        cache.put(source.data, module, report.summary)
    if result_key is not None and mode is Mode.CHECK and not any(e.kind is ErrorKind.INTERNAL for e in report.errors):
        ResultCache(settings.cache_folder(), settings).put(result_key, encode_report(report))
    return report


def process_stdin(data: bytes, path: str, settings: Settings, mode: Mode) -> FileReport:
    """Code from stdin is a project of its own: its index is its own summary."""
    try:
        text, encoding = decode(data)
    except SourceError as exc:
        return FileReport(path, errors=[FileError(ErrorKind.IO, str(exc), exc.line, exc.column)])
    source = Source(text, encoding, data)
    report = deepstack.call(check_source, path, source, settings, Mode.CHECK, write=False)
    index = ProjectIndex([report.summary] if report.summary else [], settings.infer_by_method_name)
    if mode is not Mode.CHECK or needs_index(report.pending, index):
        report = deepstack.call(check_source, path, source, settings, mode, write=False, index=index)
    return report


_WORKER_INDEX: ProjectIndex | None = None
_WORKER_NAMES: NameFilter | None = None


def _init_worker(index: ProjectIndex | None, names: NameFilter | None) -> None:
    global _WORKER_INDEX, _WORKER_NAMES
    _WORKER_INDEX, _WORKER_NAMES = index, names


Task = tuple[str, Settings, Mode, bool, "str | None"]  # path, settings, mode, summary_only, result_key


def _task(args: Task) -> FileReport:
    path, settings, mode, summary_only, result_key = args
    return process_file(path, settings, mode, _WORKER_INDEX, summary_only, _WORKER_NAMES, result_key)


def _map(
    tasks: list[Task],
    jobs: int,
    index: ProjectIndex | None,
    names: NameFilter | None = None,
) -> list[FileReport]:
    """Run tasks in order, in parallel when there are enough of them to pay for the processes."""
    if not tasks:
        return []
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1 or len(tasks) < 4:
        return [
            process_file(path, settings, mode, index, summary_only, names, result_key)
            for path, settings, mode, summary_only, result_key in tasks
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


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None  # the worker reports it properly


class _Cached:
    """Cache lookups made in the main process, so a warm run starts no worker at all."""

    def __init__(self, settings: Settings, names: NameFilter) -> None:
        folder = settings.cache_folder()
        self.settings = settings
        self.results = ResultCache(folder, settings)
        self.summaries = SummaryCache(folder)
        self.names = names

    def result(self, path: str) -> tuple[FileReport | None, str | None]:
        """The cached check of `path` and its key; (None, key) on a miss, (None, None) uncached."""
        if not self.results.enabled:
            return None, None
        data = _read(path)
        if data is None:
            return None, None
        key = self.results.key(data, relative_to_root(path, self.settings.root), module_name(path))
        return self.decided(path, key), key

    def decided(self, path: str, key: str) -> FileReport | None:
        entry = self.results.get(key)
        report = decode_report(path, entry) if entry is not None else None
        if report is None:
            return None
        coroutines, wrappers = report.rejected
        # A name ruled out when the entry was made may be defined in the project now.
        if not coroutines.isdisjoint(self.names.coroutines) or not wrappers.isdisjoint(self.names.wrappers):
            return None
        return report

    def summary(self, path: str) -> FileReport | None:
        if not self.results.enabled:
            return None
        data = _read(path)
        found = self.summaries.get(data, module_name(path)) if data is not None else None
        return FileReport(path, summary=found) if found is not None else None


def run(
    files: list[str], settings: Settings, mode: Mode, jobs: int, project_files: list[str] = ()
) -> list[FileReport]:
    """Check `files`; read `project_files` too (once) so calls into them can be resolved.

    Pass 1 reads every file once: findings for the files asked about, and every file's summary.
    The summaries make the project index, which decides the pending findings. With --fix or
    --diff, only the files that have something to fix are read again, with the index at hand.

    With the cache, a file whose bytes, settings and asynclint are unchanged is not parsed: its
    pass-1 report (findings, pending conditions, summary) comes from the result cache, and, when
    the index confirms some of its conditions, so does the decided report, kept under a key that
    includes every condition's answer (an edit elsewhere that changes an answer misses it).
    """
    wanted = {os.path.realpath(path) for path in files}
    extra, seen = [], set(wanted)
    for path in project_files:
        key = os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            extra.append(path)
    names = project_names([*files, *extra], settings.extend_task_spawners)
    cached = _Cached(settings, names)
    reports: list[FileReport | None] = []
    keys: list[str | None] = []
    tasks: list[Task] = []
    for path in files:
        report, key = cached.result(path)
        reports.append(report)
        keys.append(key)
        if report is None:
            tasks.append((path, settings, Mode.CHECK, False, key))
    for path in extra:
        report = cached.summary(path)
        reports.append(report)
        if report is None:
            tasks.append((path, settings, Mode.CHECK, True, None))
    done = iter(_map(tasks, jobs, None, names))
    reports = [report if report is not None else next(done) for report in reports]
    index = ProjectIndex((r.summary for r in reports if r.summary), settings.infer_by_method_name)
    reports = reports[: len(files)]
    # Files where the index confirms a call into another module are checked again with the index
    # at hand (real cross-file findings are rare, so this second read is too).
    again: list[int] = []
    tasks = []
    for n, report in enumerate(reports):
        if not needs_index(report.pending, index):
            continue
        decisions = "".join("1" if index.check(ref) else "0" for ref in report.pending)
        key = ResultCache.decided_key(keys[n], decisions) if keys[n] else None
        decided = cached.decided(report.path, key) if key else None
        if decided is not None:
            reports[n] = decided
        else:
            again.append(n)
            tasks.append((report.path, settings, Mode.CHECK, False, key))
    for n, report in zip(again, _map(tasks, jobs, index)):
        reports[n] = report
    if mode is Mode.CHECK:
        return reports
    unsafe = settings.unsafe_fixes
    to_fix = [n for n, r in enumerate(reports) if any(is_applicable(f.fix, unsafe) for f in r.findings)]
    fixed = _map([(reports[n].path, settings, mode, False, None) for n in to_fix], jobs, index)
    for n, report in zip(to_fix, fixed):
        reports[n] = report
    return reports


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
