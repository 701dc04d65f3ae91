"""Human-readable formats: `concise` (flake8's `path:line:col: CODE message`) and `full`, in
colour on a terminal (see `use_color`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

from asynclint.engine.diagnostics import Applicability
from asynclint.output.entries import Entry, rule_counts

COLOR_CHOICES = ("auto", "always", "never")
_BOLD, _RED, _CYAN, _BOLD_RED, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[1;31m", "\x1b[0m"


def use_color(choice: str, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to print in colour: `always` or `never` as asked; `auto` (the default) colours a
    terminal only, and follows the conventions: `NO_COLOR` (any non-empty value) turns colour
    off, then `FORCE_COLOR` (any non-empty value) turns it on even in a pipe or a file, and
    `TERM=dumb` turns it off."""
    if choice != "auto":
        return choice == "always"
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def _headline(e: Entry, color: bool) -> str:
    # A notebook's finding names its cell as ruff does: `analysis.ipynb:cell 2:3:5: ASL101 ...`
    cell = "" if e.cell is None else f"cell {e.cell}:"
    if not color:
        return f"{shown(e.path)}:{cell}{e.line}:{e.column}: {e.code} {shown(e.message)}\n"
    colon = _paint(":", _CYAN, True)
    cell = "" if e.cell is None else f"cell {e.cell}{colon}"
    return (
        f"{_paint(shown(e.path), _BOLD, True)}{colon}{cell}{e.line}{colon}{e.column}{colon} "
        f"{_paint(e.code, _BOLD_RED, True)} {shown(e.message)}\n"
    )

_CONTROL = {n: f"\\x{n:02x}" for n in (*range(0x20), 0x7F) if n != 0x09}


def shown(text: str) -> str:
    """Text safe to print on one line of a terminal: control characters (a newline or CR in a
    file name, an escape sequence) as `\\xNN`, so they can neither split a finding in two nor
    drive the terminal."""
    return text.translate(_CONTROL)


def concise(items: list[Entry], color: bool = False) -> str:
    return "".join(_headline(e, color) for e in items)


def full(items: list[Entry], color: bool = False) -> str:
    out = []
    for e in items:
        out.append(_headline(e, color))
        if e.source_line is not None:
            gutter = " " * len(str(e.line))
            bar = _paint("|", _CYAN, color)
            line = shown(e.source_line.expandtabs(1))  # one column per character, as positions count
            end = e.end_column if e.end_line == e.line else len(line.rstrip()) + 1
            width = max(1, end - e.column)
            number = _paint(str(e.line), _CYAN, color)
            caret = _paint("^" * width, _RED, color)
            out.append(f"{gutter} {bar}\n{number} {bar} {line}\n{gutter} {bar} {' ' * (e.column - 1)}{caret}\n")
            equals = _paint("=", _CYAN, color)
            if e.fix is not None:
                kind = "fix" if e.fix is Applicability.SAFE else "unsafe fix"
                out.append(f"{gutter} {equals} {_paint(kind, _BOLD, color)}: {e.fix_description}\n")
            out.append(f"{gutter} {equals} {_paint('docs', _BOLD, color)}: {e.url}\n")
        out.append("\n")
    return "".join(out)


def statistics(items: list[Entry]) -> str:
    rows = []
    for row in rule_counts(items):
        mark = "[*]" if row.fixable is Applicability.SAFE else "[-]" if row.fixable else "   "
        rows.append(f"{row.count:>5}  {row.code:<7} {mark} {row.name}\n")
    return "".join(rows)
