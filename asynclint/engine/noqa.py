"""`# noqa` comments, read exactly as flake8 reads them so both front ends agree.

flake8's own pattern is reused, and like flake8 a comment anywhere on a logical line (a statement
spread over several lines, or a multi-line string) covers findings on every line of it.
`# flake8: noqa` on a line of its own turns off the whole file.
"""

from __future__ import annotations

import io
import re
import tokenize

from flake8.defaults import NOQA_FILE, NOQA_INLINE_REGEXP


def file_is_exempt(text: str) -> bool:
    return "noqa" in text.lower() and any(NOQA_FILE.match(line) for line in text.splitlines())


class NoqaMap:
    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._ranges = _logical_ranges(text)

    def suppresses(self, line: int, code: str) -> bool:
        first, last = self._ranges.get(line, (line, line))
        chunk = "\n".join(self._lines[first - 1 : last])
        match = NOQA_INLINE_REGEXP.search(chunk)  # flake8 reads the first comment only
        if match is None:
            return False
        codes = match.group("codes")
        if not codes:
            return True
        return code.startswith(tuple(c for c in re.split(r"[,\s]+", codes.strip()) if c))


def _logical_ranges(text: str) -> dict[int, tuple[int, int]]:
    """Map every line of a multi-line logical line to its (first, last) line."""
    ranges: dict[int, tuple[int, int]] = {}
    start = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if start is None and token.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                start = token.start[0]
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) and start is not None:
                end = token.end[0] if token.type == tokenize.NEWLINE else token.start[0]
                if end > start:
                    for line in range(start, end + 1):
                        ranges[line] = (start, end)
                start = None
    except (tokenize.TokenError, SyntaxError):
        pass  # the parser accepted the file; keep what was mapped and fall back to single lines
    return ranges
