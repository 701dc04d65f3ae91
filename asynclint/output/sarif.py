"""`sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).

Findings are results of the rules they come from; files that could not be checked are tool
execution notifications, and mark the run as not fully successful. A notebook's result has no
region (its file's lines are JSON, not the cell's code, so any line number would point at the
wrong place): the location is the file, the message starts with the cell, line and column, and
the result's properties hold them (`cell`, `cellLine`, `cellColumn`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from asynclint import __version__
from asynclint.engine.diagnostics import DOCS_URL
from asynclint.output.entries import Entry

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _artifact(path: str, root: Path) -> dict:
    """Where a file is, for code scanning: relative to %SRCROOT% (the project root, declared in
    `originalUriBaseIds`) when it is inside it, whatever folder the run started in; an absolute
    file URI otherwise. Percent-encoded, as URIs must be (spaces, `#`, non-ASCII names)."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix(), errors="surrogateescape"), "uriBaseId": "%SRCROOT%"}


def _location(e: Entry, root: Path) -> dict:
    if e.cell is not None:
        return {"physicalLocation": {"artifactLocation": _artifact(e.path, root)}}
    return {
        "physicalLocation": {
            "artifactLocation": _artifact(e.path, root),
            "region": {
                "startLine": e.line,
                "startColumn": e.column,
                "endLine": e.end_line,
                "endColumn": e.end_column,
            },
        }
    }


def _in_cell(e: Entry, text: str) -> str:
    return text if e.cell is None else f"{e.place}: {text}"


def render(items: list[Entry], root: Path | None = None) -> str:
    root = Path(os.path.abspath(root or os.curdir))
    from asynclint.checks import ALL_RULES  # here: importing the rules loads libcst

    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": rule.message},
            "helpUri": DOCS_URL.format(code=rule.code),
            "defaultConfiguration": {"level": "warning"},
            "properties": {"fix": rule.fix.value if rule.fix else "none"},
        }
        for rule in ALL_RULES
    ]
    index = {rule["id"]: n for n, rule in enumerate(rules)}
    results = [
        {
            "ruleId": e.code,
            "ruleIndex": index[e.code],
            "level": "warning",
            "message": {"text": _in_cell(e, e.message)},
            "locations": [_location(e, root)],
            **({} if e.cell is None else {"properties": {"cell": e.cell, "cellLine": e.line, "cellColumn": e.column}}),
        }
        for e in items
        if not e.is_error
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": _in_cell(e, f"{e.code} {e.message}")},
            "descriptor": {"id": e.code},
            "locations": [_location(e, root)],
        }
        for e in items
        if e.is_error
    ]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "asynclint",
                        "version": __version__,
                        "informationUri": "https://github.com/asynclint/asynclint",
                        "rules": rules,
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not notifications,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
