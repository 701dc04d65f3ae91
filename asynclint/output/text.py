"""Human-readable formats: `concise` (flake8's `path:line:col: CODE message`) and `full`."""

from __future__ import annotations

from collections import Counter

from asynclint.engine.diagnostics import Applicability
from asynclint.output.entries import Entry


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
    counts = Counter((e.code, e.name, e.fix) for e in items)
    by_code: dict[tuple[str, str], list] = {}
    for (code, name, fix), count in counts.items():
        by_code.setdefault((code, name), []).append((fix, count))
    rows = []
    for (code, name), parts in sorted(by_code.items(), key=lambda kv: (-sum(c for _, c in kv[1]), kv[0])):
        total = sum(c for _, c in parts)
        fixable = {fix for fix, _ in parts if fix is not None}
        mark = "[*]" if Applicability.SAFE in fixable else ("[-]" if fixable else "   ")
        rows.append(f"{total:>5}  {code:<7} {mark} {name}\n")
    return "".join(rows)
