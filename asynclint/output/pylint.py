"""`pylint`: pylint's parseable format, `path:line: [CODE] message`, which editors and CI
problem matchers built for pylint read. A notebook's finding names its cell before the line
(`analysis.ipynb:cell 2:3: [CODE] ...`), so that no matcher takes its line for the file's."""

from __future__ import annotations

from asynclint.output.entries import Entry
from asynclint.output.text import shown


def render(items: list[Entry]) -> str:
    return "".join(
        f"{shown(e.path)}:{'' if e.cell is None else f'cell {e.cell}:'}{e.line}: [{e.code}] {shown(e.message)}\n"
        for e in items
    )
