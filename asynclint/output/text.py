"""Human-readable formats: `concise` (flake8's `path:line:col: CODE message`) and `full`."""

from __future__ import annotations

from asynclint.engine.diagnostics import Applicability
from asynclint.output.entries import Entry, rule_counts

_CONTROL = {n: f"\\x{n:02x}" for n in (*range(0x20), 0x7F) if n != 0x09}


def shown(text: str) -> str:
    """Text safe to print on one line of a terminal: control characters (a newline or CR in a
    file name, an escape sequence) as `\\xNN`, so they can neither split a finding in two nor
    drive the terminal."""
    return text.translate(_CONTROL)


def concise(items: list[Entry]) -> str:
    return "".join(f"{shown(e.path)}:{e.line}:{e.column}: {e.code} {shown(e.message)}\n" for e in items)


def full(items: list[Entry]) -> str:
    out = []
    for e in items:
        out.append(f"{shown(e.path)}:{e.line}:{e.column}: {e.code} {shown(e.message)}\n")
        if e.source_line is not None:
            gutter = " " * len(str(e.line))
            line = shown(e.source_line.expandtabs(1))  # one column per character, as positions count
            end = e.end_column if e.end_line == e.line else len(line.rstrip()) + 1
            width = max(1, end - e.column)
            out.append(f"{gutter} |\n{e.line} | {line}\n{gutter} | {' ' * (e.column - 1)}{'^' * width}\n")
            if e.fix is not None:
                kind = "fix" if e.fix is Applicability.SAFE else "unsafe fix"
                out.append(f"{gutter} = {kind}: {e.fix_description}\n")
            out.append(f"{gutter} = docs: {e.url}\n")
        out.append("\n")
    return "".join(out)


def statistics(items: list[Entry]) -> str:
    rows = []
    for row in rule_counts(items):
        mark = "[*]" if row.fixable is Applicability.SAFE else "[-]" if row.fixable else "   "
        rows.append(f"{row.count:>5}  {row.code:<7} {mark} {row.name}\n")
    return "".join(rows)
