"""Findings and file errors flattened into entries, what every formatter renders."""

from __future__ import annotations

from dataclasses import dataclass

from asynclint.engine.diagnostics import DOCS_URL, Applicability, TextEdit
from asynclint.run.runner import FileReport


@dataclass(frozen=True)
class Entry:
    """A finding or a file error, flattened for the formatters."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    message: str
    fix: Applicability | None
    fix_description: str | None
    source_line: str | None
    is_error: bool
    edits: tuple[TextEdit, ...] = ()  # the fix as text edits
    noqa_row: int | None = None  # the line its noqa comment goes on; None for a file error

    @property
    def url(self) -> str | None:
        return None if self.is_error else DOCS_URL.format(code=self.code)


def entries(reports: list[FileReport]) -> list[Entry]:
    out: list[Entry] = []
    for report in reports:
        for error in report.errors:
            out.append(Entry(report.path, error.line, error.column, error.line, error.column,
                             error.code, error.kind.label, error.message, None, None, None, True))
        for f in report.findings:
            out.append(Entry(
                report.path, f.line, f.column, f.end_line, f.end_column, f.code, f.name, f.message,
                f.fix.applicability if f.fix else None, f.fix.description if f.fix else None,
                report.lines.get(f.line), False, f.fix.text_edits if f.fix else (), f.noqa_row or f.line,
            ))
    out.sort(key=lambda e: (e.path, e.line, e.column, e.code))
    return out


@dataclass(frozen=True)
class RuleCount:
    """How many findings one rule has, for `--statistics`."""

    code: str
    name: str
    count: int
    fixable: Applicability | None  # the best fix among them: safe, unsafe, or none


def rule_counts(items: list[Entry]) -> list[RuleCount]:
    """Findings counted per rule, most frequent first (file errors are not counted)."""
    counts: dict[tuple[str, str], list[Entry]] = {}
    for e in items:
        if not e.is_error:
            counts.setdefault((e.code, e.name), []).append(e)
    rows = []
    for (code, name), found in counts.items():
        fixes = {e.fix for e in found if e.fix is not None}
        best = Applicability.SAFE if Applicability.SAFE in fixes else (Applicability.UNSAFE if fixes else None)
        rows.append(RuleCount(code, name, len(found), best))
    return sorted(rows, key=lambda r: (-r.count, r.code))

