"""`# noqa` comments, read exactly as flake8 reads them so both front ends agree.

flake8's own pattern is reused, and like flake8 a comment anywhere on a logical line (a statement
spread over several lines, or a multi-line string) covers findings on every line of it.
`# flake8: noqa` on a line of its own turns off the whole file.
"""

from __future__ import annotations

import functools
import io
import re
import tokenize
from dataclasses import dataclass

from flake8.defaults import NOQA_FILE, NOQA_INLINE_REGEXP


def file_is_exempt(text: str) -> bool:
    return "noqa" in text.lower() and any(NOQA_FILE.match(line) for line in text.splitlines())


class NoqaMap:
    """Which findings the file's `# noqa` comments silence, read as flake8 reads them; it
    records which comment and code silenced each, for the rule on unused noqa codes (ASL530)."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._tokens = tokens_of(text)
        self._ranges = self._tokens.ranges
        # (line of the comment, the code listed that matched; None for a bare `# noqa`)
        self.used: set[tuple[int, str | None]] = set()

    def _first(self, line: int) -> tuple[int, re.Match[str]] | None:
        """The noqa comment flake8 reads for `line`: the first of its logical line (the line it
        is on, and the match within that line's text)."""
        first, last = self._ranges.get(line, (line, line))
        chunk = "\n".join(self._lines[first - 1 : last])
        match = NOQA_INLINE_REGEXP.search(chunk)  # flake8 reads the first comment only
        if match is None:
            return None
        at = first + chunk.count("\n", 0, match.start())
        return at, NOQA_INLINE_REGEXP.search(self._lines[at - 1], match.start() - (chunk.rfind("\n", 0, match.start()) + 1)) or match

    def suppresses(self, line: int, code: str) -> bool:
        found = self._first(line)
        if found is None:
            return False
        at, match = found
        codes = match.group("codes")
        if not codes:
            self.used.add((at, None))
            return True
        matched = [c for c in re.split(r"[,\s]+", codes.strip()) if c and code.startswith(c)]
        self.used.update((at, c) for c in matched)
        return bool(matched)

    def directives(self) -> list[Directive]:
        """The file's noqa comments that list codes, each with whether flake8 reads it (it is the
        first noqa of its logical line, and not inside a string)."""
        out = []
        for line, (column, comment) in sorted(self._tokens.comments.items()):
            match = NOQA_INLINE_REGEXP.search(comment)
            if match is None or not match.group("codes"):
                continue
            first = self._first(line)
            read = first is not None and first[0] == line and first[1].start() == column + match.start()
            codes = [c for c in re.split(r"[,\s]+", match.group("codes").strip()) if c]
            out.append(Directive(line, column, comment, match, codes, read))
        return out


@dataclass(frozen=True)
class Directive:
    """A `# noqa: CODES` comment: its line, column (from 0), text, the match in that text."""

    line: int
    column: int
    comment: str
    match: re.Match[str]
    codes: list[str]
    read: bool  # whether flake8 reads it (else it silences nothing)


def without_codes(comment: str, match: re.Match[str], removed: set[str]) -> str:
    """The comment with the `removed` codes taken out of its noqa part; when none is left, the
    noqa part goes, and the text around it stays ("" when nothing does)."""
    listed = match.group("codes")
    kept = [c for c in re.split(r"[,\s]+", listed.strip()) if c and c not in removed]
    start, end = match.span("codes")
    if kept:
        trailing = " " if listed != listed.rstrip() and end < len(comment) else ""
        return f"{comment[:start]}{', '.join(kept)}{trailing}{comment[end:]}"
    before, after = comment[: match.start()].rstrip(), comment[end:].strip()
    if not after:
        return before
    return f"{before}  # {after}" if before else f"# {after}"


@functools.lru_cache(maxsize=4)
def tokens_of(text: str) -> _Tokens:
    """One tokenization per text: the walker's noqa map and the finding's noqa row both read it
    (Python's tokenizer is pure Python before 3.12, about 20 ms per 1,000 lines)."""
    return _Tokens(text)


class _Tokens:
    """What one tokenization of the text tells about its lines: the logical lines spread over
    several lines, the lines whose end a comment cannot follow (inside a multi-line string or
    f-string, or continued with a backslash) with the line the construct ends on, and the
    comments. `complete` is False when the tokenizer gave up before the end."""

    def __init__(self, text: str) -> None:
        self.ranges: dict[int, tuple[int, int]] = {}
        self.continued: dict[int, int] = {}
        self.comments: dict[int, tuple[int, str]] = {}  # line: (column from 0, the comment)
        self.complete = True
        start = None
        fstrings: list[int] = []
        previous = None
        fstring_start = getattr(tokenize, "FSTRING_START", None)
        fstring_end = getattr(tokenize, "FSTRING_END", None)
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                kind = token.type
                if start is None and kind not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                    start = token.start[0]
                if kind in (tokenize.NEWLINE, tokenize.ENDMARKER) and start is not None:
                    end = token.end[0] if kind == tokenize.NEWLINE else token.start[0]
                    if end > start:
                        for line in range(start, end + 1):
                            self.ranges[line] = (start, end)
                    start = None
                if kind == tokenize.COMMENT:
                    self.comments[token.start[0]] = (token.start[1], token.string)
                elif kind == fstring_start:
                    fstrings.append(token.start[0])
                elif kind == fstring_end and fstrings:
                    self._span(fstrings.pop(), token.end[0])
                elif token.start[0] < token.end[0] and kind not in (tokenize.NEWLINE, tokenize.NL):
                    self._span(token.start[0], token.end[0])  # a multi-line string
                if (
                    previous is not None and token.start[0] > previous.end[0]
                    and previous.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.DEDENT, tokenize.INDENT)
                    and kind != tokenize.ENDMARKER
                ):
                    self._span(previous.end[0], token.start[0])  # a backslash continuation
                if kind not in (tokenize.INDENT, tokenize.DEDENT):
                    previous = token
        except (tokenize.TokenError, SyntaxError):
            self.complete = False  # the parser accepted the file; keep what was mapped

    def _span(self, first: int, last: int) -> None:
        for line in range(first, last):
            self.continued.setdefault(line, last)


class CommentPlaces:
    """Where the `# noqa` comment for a finding's line goes, as flake8 will read it. flake8 reads
    the first noqa comment of a logical line (a statement spread over several lines) for every
    line of it, so one logical line has one place: the line of its first noqa comment when it
    has one, else its first line, or, when that line runs on in a multi-line string or with a
    backslash, the line where that ends (a comment cannot stand inside them)."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._tokens = tokens_of(text)
        self.complete = self._tokens.complete

    def comment(self, line: int) -> tuple[int, str] | None:
        """The line's comment: (column from 0, its text)."""
        return self._tokens.comments.get(line)

    def logical(self, line: int) -> tuple[int, int]:
        """The first and last line of the logical line `line` is in."""
        return self._tokens.ranges.get(line, (line, line))

    def row(self, line: int) -> int:
        """The line the noqa comment for a finding on `line` is on or goes on; 0 when no comment
        can serve (the first `# noqa` flake8 finds on its logical line is inside a string)."""
        first, last = self.logical(line)
        for number in range(first, last + 1):
            if number - 1 >= len(self._lines):
                break
            match = NOQA_INLINE_REGEXP.search(self._lines[number - 1])
            if match is None:
                continue
            comment = self._tokens.comments.get(number)
            if comment is None or match.start() < comment[0]:
                return 0  # the first one flake8 reads is not a comment (a string holds it)
            return number
        line, seen = first, set()
        while line in self._tokens.continued and line not in seen:
            seen.add(line)
            line = self._tokens.continued[line]
        return line


_LONE_CR = re.compile(r"\r(?!\n)")


def add_noqa(text: str, findings: list[tuple[int, str]]) -> tuple[str, list[tuple[int, str]]]:
    """`text` with a `# noqa: CODE` comment for each (line, code) of `findings`, and the
    findings left without one. Codes already on the comment are kept: the codes of a comment
    are merged, sorted, each once; a line's other comment stays first (`# type: ignore` must).
    A finding is left alone when no comment can silence it: the first noqa text of its logical
    line is inside a string, or the tokenizer cannot read the file to the end, or the file
    breaks lines with a lone carriage return (tokenizers disagree on its line numbers)."""
    if not findings:
        return text, []
    places = CommentPlaces(text)
    if not places.complete or _LONE_CR.search(text):
        return text, list(findings)
    wanted: dict[int, set[str]] = {}
    skipped = []
    for line, code in findings:
        row = places.row(line)
        if row == 0 or row > len(places._lines):
            skipped.append((line, code))
        else:
            wanted.setdefault(row, set()).add(code)
    lines = io.StringIO(text).readlines()  # split where tokenize splits: at "\n" only
    for row, codes in wanted.items():
        lines[row - 1] = _with_codes(lines[row - 1], codes, places.comment(row))
    return "".join(lines), skipped


def _with_codes(line: str, codes: set[str], comment: tuple[int, str] | None) -> str:
    body = line.rstrip("\r\n")
    ending = line[len(body):]
    match = NOQA_INLINE_REGEXP.search(body, comment[0]) if comment is not None else None
    if match is None:
        code = body.rstrip(" \t")
        return f"{code}  # noqa: {', '.join(sorted(codes))}{ending}"
    listed = match.group("codes")
    if not listed:
        return line  # a bare `# noqa` silences every code already
    present = [c for c in re.split(r"[,\s]+", listed) if c]
    merged = sorted({*present, *codes})
    start, end = match.span("codes")
    trailing = " " if listed != listed.rstrip() and end < len(body) else ""
    return f"{body[:start]}{', '.join(merged)}{trailing}{body[end:]}{ending}"
