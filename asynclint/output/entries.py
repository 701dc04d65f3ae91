"""Findings and file errors flattened into entries, what every formatter renders.

A notebook's lines are counted in its virtual module (asynclint/engine/notebook.py) until here:
an entry of a notebook names its cell, and its lines (positions, noqa row, fix edits) count
from the start of that cell, as ruff reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from asynclint.engine.diagnostics import DOCS_URL, Applicability, ErrorKind, TextEdit
from asynclint.engine.notebook import locate
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
    cell: int | None = None  # a notebook's cell (1-based among all its cells); None for a Python file

    @property
    def url(self) -> str | None:
        return None if self.is_error else DOCS_URL.format(code=self.code)

    @property
    def place(self) -> str:
        """Where it is in words, for formats with no field for a notebook's cell."""
        where = f"line {self.line}, column {self.column}"
        return f"cell {self.cell}, {where}" if self.cell is not None else where


def entries(reports: list[FileReport]) -> list[Entry]:
    out: list[Entry] = []
    for report in reports:
        found: list[Entry] = []
        for error in report.errors:
            found.append(Entry(report.path, error.line, error.column, error.line, error.column,
                               error.code, error.kind.label, error.message, None, None, None, True))
        for f in report.findings:
            found.append(Entry(
                report.path, f.line, f.column, f.end_line, f.end_column, f.code, f.name, f.message,
                f.fix.applicability if f.fix else None, f.fix.description if f.fix else None,
                report.lines.get(f.line), False, f.fix.text_edits if f.fix else (), f.noqa_row or f.line,
            ))
        if report.cells:
            # Findings and syntax errors have a place in a cell; other errors are the file's own.
            found = [in_cell(e, report.cells) if not e.is_error or e.code == ErrorKind.SYNTAX.code else e for e in found]
        out.extend(found)
    out.sort(key=lambda e: (e.path, e.cell or 0, e.line, e.column, e.code))
    return out


def _last_line(edit: TextEdit) -> int:
    # An edit that ends at the start of a line (a whole line replaced) ends in the line before.
    return edit.end_line - 1 if edit.end_column == 1 and edit.end_line > edit.line else edit.end_line


def in_cell(entry: Entry, cells: list[tuple[int, int]]) -> Entry:
    """A notebook's entry with its lines counted from the start of its cell. Fix edits that
    reach into another cell cannot be given in that cell's lines: the fix then shows none, as
    a fix whose edits cannot be applied as given does (the fix itself still applies)."""
    cell, line = locate(cells, entry.line)
    shift = entry.line - line
    edits = entry.edits
    if any(locate(cells, edit.line)[0] != cell or locate(cells, _last_line(edit))[0] != cell for edit in edits):
        edits = ()
    return replace(
        entry, cell=cell, line=line, end_line=entry.end_line - shift,
        noqa_row=None if entry.noqa_row is None else entry.noqa_row - shift,
        edits=tuple(replace(e, line=e.line - shift, end_line=e.end_line - shift) for e in edits),
    )


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

