"""Gitignore-style patterns (`exclude`, `.gitignore`) matched in linear time.

pathspec parses the patterns and decides which one wins, exactly as git does. It matches each
pattern with a backtracking regular expression, in which every `**` segment becomes a group that
may take any number of folders: with many of them (`**/a/**/a/**/...`) a path that almost
matches takes time exponential in their number (137 s for one file 40 folders deep). Such a
pattern's regular expression is replaced here by a matcher over the same pieces that tries each
folder boundary once per piece (dynamic programming), and returns the very match the regular
expression would (the same groups, so pathspec's directory rules see no difference). Patterns
with at most one `**` keep pathspec's own expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pathspec

_LEAD = "^(?:.+/)?"  # `**/` at the start: any folders before the rest
_MID = "(?:/.+)?"  # `/**/` in the middle: any folders between two parts


class SegmentMatcher:
    """Stands in for a compiled pattern's regular expression (`search`, `match`, `pattern`)."""

    def __init__(self, regex: str, lead: bool, pieces: list[str]) -> None:
        self.pattern = regex
        self.lead = lead
        # A piece before a gap ends where a folder name ends: the gap or the next piece goes on
        # with a `/`. Its length in folders is fixed, so the lookahead makes its end unique.
        self.pieces = [re.compile(p + "(?=/|$)") for p in pieces[:-1]] + [re.compile(pieces[-1])]

    @staticmethod
    def of(regex: str) -> SegmentMatcher | None:
        """A matcher for a pattern's regular expression, when it has two gaps or more and the
        shape pathspec gives them; None otherwise (the expression is fine as it is)."""
        lead = regex.startswith(_LEAD)
        if not lead and not regex.startswith("^"):
            return None
        body = regex[len(_LEAD):] if lead else regex[1:]
        pieces = body.split(_MID)
        if lead + len(pieces) - 1 < 2:
            return None
        if not all(pieces) or not all(p.startswith("/") for p in pieces[1:]):
            return None  # not the shape expected: keep pathspec's expression
        try:
            return SegmentMatcher(regex, lead, pieces)
        except re.error:
            return None

    def search(self, path: str) -> re.Match[str] | None:
        return self.match(path)

    def match(self, path: str) -> re.Match[str] | None:
        n = len(path)
        slashes = [i for i, c in enumerate(path) if c == "/"]
        last = len(self.pieces) - 1
        # ends[i][b]: where piece i ends when it starts at b and the pieces after it can follow.
        ends: list[dict[int, int]] = [{} for _ in self.pieces]
        later: list[int] = []  # the starts of piece i + 1 that lead to a match, ascending
        for i in range(last, -1, -1):
            starts = ([0] + [j + 1 for j in slashes if j >= 1]) if i == 0 else slashes
            if i == 0 and not self.lead:
                starts = [0]
            found: dict[int, int] = {}
            for b in starts:
                m = self.pieces[i].match(path, b)
                if m is None:
                    continue
                end = m.end()
                if i == last or self._gap_reaches(path, end, later, ends[i + 1]):
                    found[b] = end
            ends[i] = found
            later = sorted(found)
            if not found:
                return None
        # The regular expression's own choice: each gap takes as much as it can (greedy).
        start = max(ends[0])
        for i in range(1, last + 1):
            end = ends[i - 1][start]
            start = self._greedy_start(path, end, ends[i], n)
        return self.pieces[last].match(path, start)

    @staticmethod
    def _gap_reaches(path: str, end: int, starts: list[int], valid: dict[int, int]) -> bool:
        """Whether a `/**/` gap after `end` reaches one of `starts`: none (the next piece starts
        at `end`), or `/` and at least one character."""
        if end in valid:
            return True
        return end < len(path) and path[end] == "/" and bool(starts) and starts[-1] >= end + 2

    @staticmethod
    def _greedy_start(path: str, end: int, valid: dict[int, int], n: int) -> int:
        if end < n and path[end] == "/":
            bigger = [b for b in valid if b >= end + 2]
            if bigger:
                return max(bigger)
        return end


def _linear(spec: pathspec.GitIgnoreSpec) -> pathspec.GitIgnoreSpec:
    for pattern in spec.patterns:
        regex = getattr(pattern, "regex", None)
        if regex is not None and isinstance(getattr(regex, "pattern", None), str):
            matcher = SegmentMatcher.of(regex.pattern)
            if matcher is not None:
                pattern.regex = matcher  # type: ignore[assignment]  # it has the methods used
    return spec


def compile_patterns(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """A GitIgnoreSpec for `lines`, matching in linear time (pathspec's pure Python backend,
    whose patterns are the ones replaced here; its re2 and hyperscan backends match in linear
    time by themselves)."""
    lines = list(lines)
    try:
        spec = pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")  # pathspec >= 1.0
    except TypeError:
        spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return _linear(spec)
