"""asynclint's findings and texts as LSP data: diagnostics, ranges, text edits, noqa comments.

asynclint counts lines and columns from 1, in characters; LSP counts from 0, in the code units of
the negotiated position encoding (UTF-16 unless the client offers another).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from typing import Any

from lsprotocol import types

from asynclint.frontends.server.workspace import (
    FileError,
    Finding,
    FindingKey,
    finding_key,
    is_rule_code,
)

SOURCE = "asynclint"
_NOQA = re.compile(r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?", re.IGNORECASE)


def units(text: str, encoding: str) -> int:
    """The length of `text` in the client's code units."""
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def characters(line: str, count: int, encoding: str) -> int:
    """How many characters of `line` make `count` code units (the inverse of `units`)."""
    if encoding == types.PositionEncodingKind.Utf32:
        return min(count, len(line))
    total = 0
    for n, char in enumerate(line):
        if total >= count:
            return n
        total += units(char, encoding)
    return len(line)


def position(lines: Sequence[str], line: int, column: int, encoding: str) -> types.Position:
    """LSP position of asynclint's 1-based (line, column in characters)."""
    row = max(line - 1, 0)
    text = lines[row] if row < len(lines) else ""
    return types.Position(row, units(text[: max(column - 1, 0)], encoding))


def offset_position(text: str, offset: int, encoding: str) -> types.Position:
    """LSP position of a character offset into `text`."""
    before = text[:offset]
    row = before.count("\n")
    start = before.rfind("\n") + 1
    return types.Position(row, units(before[start:], encoding))


def _code_description(finding: Finding) -> types.CodeDescription | None:
    # `Finding.url`: the one docs link, the same as SARIF's helpUri (asynclint.diagnostics.DOCS_URL).
    return types.CodeDescription(href=finding.url) if is_rule_code(finding.code) else None


def diagnostic(finding: Finding, lines: Sequence[str], encoding: str) -> types.Diagnostic:
    fix = finding.fix
    data: dict[str, Any] = {"key": list(finding_key(finding))}
    if fix is not None:
        data["fix"] = {"applicability": fix.applicability.value, "description": fix.description}
    return types.Diagnostic(
        range=types.Range(
            position(lines, finding.line, finding.column, encoding),
            position(lines, finding.end_line, finding.end_column, encoding),
        ),
        message=finding.message,
        severity=types.DiagnosticSeverity.Warning,
        code=finding.code,
        code_description=_code_description(finding),
        source=SOURCE,
        data=data,
    )


def error_diagnostic(error: FileError, lines: Sequence[str], encoding: str) -> types.Diagnostic:
    start = position(lines, error.line, error.column, encoding)
    row = start.line
    # A syntax error points at a character; show it to the end of its line so it can be seen.
    end = types.Position(row, units(lines[row], encoding)) if row < len(lines) else start
    if end.character <= start.character:
        end = types.Position(row, start.character + 1)
    return types.Diagnostic(
        range=types.Range(start, end),
        message=error.message,
        severity=types.DiagnosticSeverity.Error,
        code=error.code,
        source=SOURCE,
    )


def key_of(diag: types.Diagnostic) -> FindingKey | None:
    """The finding a diagnostic of ours came from, from its data."""
    data = diag.data
    if not isinstance(data, dict) or diag.source != SOURCE:
        return None
    key = data.get("key")
    if not (isinstance(key, list) and len(key) == 5 and isinstance(key[0], str) and all(isinstance(n, int) for n in key[1:])):
        return None
    return (key[0], key[1], key[2], key[3], key[4])


def replace_edit(old: str, new: str, encoding: str) -> types.TextEdit:
    """One edit that turns `old` into `new`, covering only the part that differs (so the
    editor's cursor and folds elsewhere stay put)."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return types.TextEdit(
        range=types.Range(offset_position(old, start, encoding), offset_position(old, end_old, encoding)),
        new_text=new[start:end_new],
    )


def _comment_line(text: str, line: int) -> int:
    """The line where a comment for `line` can go: past the end of any string that spans it (a
    comment inside a triple-quoted string would change the string)."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.start[0] <= line < token.end[0]:
                line = token.end[0]
            elif token.start[0] > line:
                break
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return line


def _comment_start(line: str) -> int | None:
    """Where the line's comment starts (tokenizing the line alone finds strings holding '#')."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                return token.start[1]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return None


def noqa_edit(text: str, line: int, code: str, encoding: str) -> types.TextEdit | None:
    """An edit adding `code` to the noqa comment of `line` (1-based), keeping the codes already
    there; None when the line already silences it."""
    lines = text.splitlines()
    row = _comment_line(text, line) - 1
    if not 0 <= row < len(lines):
        return None
    current = lines[row]
    start = _comment_start(current)
    match = _NOQA.search(current, start) if start is not None else None
    if match is not None:
        codes = match.group("codes")
        if not codes:
            return None  # a bare noqa comment silences everything already
        listed = [c for c in re.split(r"[,\s]+", codes) if c]
        if any(code.startswith(c) for c in listed):
            return None
        at = match.start("codes") + len(codes.rstrip(", \t"))
        position_ = types.Position(row, units(current[:at], encoding))
        return types.TextEdit(types.Range(position_, position_), f", {code}")
    # After any other comment (`# type: ignore` must stay first for type checkers); flake8
    # finds the noqa comment anywhere in the line.
    stripped = current.rstrip()
    position_ = types.Position(row, units(stripped, encoding))
    end = types.Position(row, units(current, encoding))
    return types.TextEdit(types.Range(position_, end), f"  # noqa: {code}")
