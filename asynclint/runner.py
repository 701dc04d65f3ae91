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
from asynclint.engine import lint_text
from asynclint.fixer import fix_text
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


def _source_lines(text: str, report: FileReport) -> None:
    wanted = {f.line for f in report.findings}
    if wanted:
        for number, line in enumerate(text.splitlines(), start=1):
            if number in wanted:
                report.lines[number] = line


def check_source(path: str, source: Source, settings: Settings, mode: Mode, *, write: bool) -> FileReport:
    report = FileReport(path)
    rules = rules_for(settings, relative_to_root(path, settings.root))
    if mode is Mode.CHECK:
        result = lint_text(source.text, path, settings, rules)
        text = source.text
    else:
        outcome = fix_text(source.text, path, settings, rules, unsafe=settings.unsafe_fixes)
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
    report.errors[:0] = result.errors
    _source_lines(text, report)
    return report


def process_file(path: str, settings: Settings, mode: Mode) -> FileReport:
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileReport(path, errors=[FileError(ErrorKind.IO, str(exc), exc.line, exc.column)])
    try:
        return deepstack.call(check_source, path, source, settings, mode, write=True)
    except RecursionError:
        return FileReport(path, errors=[FileError(ErrorKind.INTERNAL, "the code is nested too deeply to be analysed")])
    except Exception as exc:  # never let one file take the run down
        return FileReport(
            path,
            errors=[FileError(ErrorKind.INTERNAL, f"internal error: {type(exc).__name__}: {exc} (this is a bug in asynclint; please report it)")],
        )


def process_stdin(data: bytes, path: str, settings: Settings, mode: Mode) -> FileReport:
    try:
        text, encoding = decode(data)
    except SourceError as exc:
        return FileReport(path, errors=[FileError(ErrorKind.IO, str(exc), exc.line, exc.column)])
    return deepstack.call(check_source, path, Source(text, encoding, data), settings, mode, write=False)


def _task(args: tuple[str, Settings, Mode]) -> FileReport:
    return process_file(*args)


def run(files: list[str], settings: Settings, mode: Mode, jobs: int) -> list[FileReport]:
    """Check `files`, in parallel when there are enough of them to pay for the processes."""
    jobs = max(1, min(jobs, len(files)))
    if jobs == 1 or len(files) < 4:
        return [process_file(path, settings, mode) for path in files]
    reports: list[FileReport] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_task, (path, settings, mode)) for path in files]
        for path, future in zip(files, futures):
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


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
