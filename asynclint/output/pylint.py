"""`pylint`: pylint's parseable format, `path:line: [CODE] message`, which editors and CI
problem matchers built for pylint read."""

from __future__ import annotations

from asynclint.output.entries import Entry
from asynclint.output.text import shown


def render(items: list[Entry]) -> str:
    return "".join(f"{shown(e.path)}:{e.line}: [{e.code}] {shown(e.message)}\n" for e in items)
