"""`json`: one array of objects, sorted by path and position, with ruff's field names: a fix
carries its `edits` (`location`, `end_location`, `content`; 1-based rows and character columns,
the end excluded) and `noqa_row` is the line a noqa comment for the finding goes on. `cell` is a
notebook's cell (1-based among all its cells), which rows then count from; null for a Python
file."""

from __future__ import annotations

import json

from asynclint.engine.textedits import as_json
from asynclint.output.entries import Entry, rule_counts


def render(items: list[Entry]) -> str:
    data = [
        {
            "code": e.code,
            "name": e.name,
            "message": e.message,
            "filename": e.path,
            "cell": e.cell,
            "location": {"row": e.line, "column": e.column},
            "end_location": {"row": e.end_line, "column": e.end_column},
            "fix": None if e.fix is None else {
                "applicability": e.fix.value, "message": e.fix_description, "edits": as_json(e.edits),
            },
            "noqa_row": e.noqa_row,
            "url": e.url,
            "severity": "error" if e.is_error else "warning",
        }
        for e in items
    ]
    return json.dumps(data, indent=2) + "\n"


def statistics(items: list[Entry]) -> str:
    """`--statistics` as JSON: per rule, its code, name, count and best fix (as ruff gives them)."""
    data = [
        {"code": r.code, "name": r.name, "count": r.count, "fixable": r.fixable is not None,
         "fix": r.fixable.value if r.fixable else None}
        for r in rule_counts(items)
    ]
    return json.dumps(data, indent=2) + "\n"
