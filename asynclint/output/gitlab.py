"""`gitlab`: a GitLab Code Quality report (the `codequality` artifact of a CI job).

Paths are relative to the project root, as GitLab reads them from the repository's top. Each
issue's fingerprint is stable while the code around it changes: a hash of the file, the rule,
the message and how many identical findings come before it in that file, not of its line.
A notebook's issue is on the file's first line (the report has no field for a cell, and the
file's lines are JSON), with the cell, line and column at the start of its description.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from asynclint.output.entries import Entry


def _path(path: str, root: Path) -> str:
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return path


def render(items: list[Entry], root: Path | None = None) -> str:
    root = Path(os.path.abspath(root or os.curdir))
    seen: dict[tuple[str, str, str], int] = {}
    issues = []
    for e in items:
        path = _path(e.path, root)
        key = (path, e.code, e.message)
        count = seen[key] = seen.get(key, -1) + 1
        digest = hashlib.sha256("\0".join([*key, str(count)]).encode("utf-8", "surrogateescape")).hexdigest()
        description = f"{e.code}: {e.message}" if e.cell is None else f"{e.code}: {e.place}: {e.message}"
        lines = {"begin": e.line, "end": e.end_line} if e.cell is None else {"begin": 1, "end": 1}
        issues.append({
            "description": description,
            "check_name": e.code,
            "fingerprint": digest,
            "severity": "critical" if e.is_error else "major",
            "location": {"path": path, "lines": lines},
        })
    return json.dumps(issues, indent=2, ensure_ascii=True) + "\n"
