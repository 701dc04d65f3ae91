"""Fixes as text: the edits that turn one text into another, and applying them.

Lines and columns count as findings do: from 1, in characters, with the same newline rule as
the positions (`\\r\\n`, `\\r` or `\\n` ends a line).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable, Sequence

from asynclint.engine.diagnostics import TextEdit

_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def split_lines(text: str) -> list[str]:
    """The text's lines, each with its newline."""
    return _LINE.findall(text)


class Offsets:
    """Character offsets of a text to (line, column) and back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]  # where each line starts; the last line is empty after a final newline
        lines = split_lines(text)
        for line in lines:
            self.starts.append(self.starts[-1] + len(line))
        if lines and not text.endswith(("\n", "\r")):
            self.starts.pop()

    def position(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self.starts, offset) - 1
        return row + 1, offset - self.starts[row] + 1

    def offset(self, line: int, column: int) -> int:
        if not 1 <= line <= len(self.starts):
            raise ValueError(f"line {line} is outside the text")
        offset = self.starts[line - 1] + column - 1
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        if not self.starts[line - 1] <= offset <= end:
            raise ValueError(f"column {column} is outside line {line}")
        return offset


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"


def diff_spans(old: str, new: str) -> list[tuple[int, int, str]]:
    """What turns `old` into `new` as (start, end, content) replacements of `old`'s characters:
    one per changed run of lines, each trimmed to the words that differ."""
    if old == new:
        return []
    a, b = split_lines(old), split_lines(new)
    starts = Offsets(old).starts
    spans = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start = starts[i1] if i1 < len(starts) else len(old)
        end = starts[i2] if i2 < len(starts) else len(old)
        removed, added = old[start:end], "".join(b[j1:j2])
        head = 0
        while head < len(removed) and head < len(added) and removed[head] == added[head]:
            head += 1
        tail = 0
        while tail < len(removed) - head and tail < len(added) - head and removed[-1 - tail] == added[-1 - tail]:
            tail += 1
        # Whole words: `get_event_loop` -> `get_running_loop`, not `event` -> `running`.
        while head and _word(removed[head - 1]):
            head -= 1
        while tail and _word(removed[len(removed) - tail]):
            tail -= 1
        spans.append((start + head, end - tail, added[head : len(added) - tail]))
    return spans


def diff_edits(old: str, new: str) -> tuple[TextEdit, ...]:
    """Edits that turn `old` into `new` (see `diff_spans`)."""
    offsets = Offsets(old)
    return tuple(TextEdit(*offsets.position(a), *offsets.position(b), c) for a, b, c in diff_spans(old, new))


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """`text` with `edits` applied (ordered, not overlapping); ValueError when they do not fit it."""
    offsets = Offsets(text)
    spans: list[tuple[int, int, str]] = []
    for edit in edits:
        start, end = offsets.offset(edit.line, edit.column), offsets.offset(edit.end_line, edit.end_column)
        if end < start or (spans and start < spans[-1][1]):
            raise ValueError("the edits overlap or are out of order")
        spans.append((start, end, edit.content))
    out: list[str] = []
    at = 0
    for start, end, content in spans:
        out += [text[at:start], content]
        at = end
    out.append(text[at:])
    return "".join(out)


def as_json(edits: Sequence[TextEdit]) -> list[dict]:
    """Edits as ruff's JSON gives them: `location`, `end_location` and `content`."""
    return [
        {"content": e.content, "location": {"row": e.line, "column": e.column},
         "end_location": {"row": e.end_line, "column": e.end_column}}
        for e in edits
    ]
