"""Exclude and .gitignore patterns: git's meaning, matched in linear time (issue 22, item 12).

A pattern with many `**` segments took pathspec's regular expression exponential time over a deep
folder tree (137 s for one file). asynclint/config/patterns.py matches such patterns over folder
boundaries instead; these tests check it gives the very results pathspec's expression gives.
"""

import random
import subprocess
import sys

import pathspec
import pytest

from asynclint.config.discovery import discover
from asynclint.config.options import Settings
from asynclint.config.patterns import SegmentMatcher, compile_patterns

_SEGMENTS = ["a", "b", "*", "a*", "?", "**", "**", "[ab]", "c.py", "*.py", "**"]
_NAMES = ["a", "b", "ab", "c.py", "x.py", "aa"]


def _cases(seed: int, count: int):
    rng = random.Random(seed)
    for _ in range(count):
        pattern = "/".join(rng.choice(_SEGMENTS) for _ in range(rng.randint(1, 6)))
        pattern = ("/" if rng.random() < 0.3 else "") + pattern + ("/" if rng.random() < 0.2 else "")
        pattern = ("!" if rng.random() < 0.15 else "") + pattern
        lines = [pattern, *(["a/"] if rng.random() < 0.3 else []), *(["!b"] if rng.random() < 0.2 else [])]
        paths = [
            "/".join(rng.choice(_NAMES) for _ in range(rng.randint(1, 6))) + rng.choice(["", "/"])
            for _ in range(25)
        ]
        yield lines, paths


def test_same_results_as_pathspec_on_short_paths():
    """Short paths, where pathspec's own expressions are quick: every pattern, the same answer,
    the same winning pattern, and the same directory mark on each pattern's match."""
    replaced = 0
    for lines, paths in _cases(seed=22, count=1500):
        try:
            reference = pathspec.GitIgnoreSpec.from_lines(lines)
        except Exception:  # noqa: BLE001 - malformed random pattern: pathspec refuses it
            continue
        ours = compile_patterns(lines)
        replaced += sum(isinstance(p.regex, SegmentMatcher) for p in ours.patterns if p.regex is not None)
        for path in paths:
            assert ours.match_file(path) == reference.match_file(path), (lines, path)
            for theirs, mine in zip(reference.patterns, ours.patterns):
                if theirs.regex is None:
                    continue
                expected, got = theirs.regex.search(path), mine.regex.search(path)
                assert (expected is None) == (got is None), (lines, path)
                if expected is not None:
                    assert expected.groupdict() == got.groupdict(), (lines, path)
    assert replaced > 50  # the cases do exercise the matcher


@pytest.mark.parametrize("pattern", ["*.py", "build/", "/docs", "**/tests/*.py", "a/**/b", "!keep.py", "**/x/**"])
def test_ordinary_patterns_keep_pathspecs_expression(pattern):
    assert not any(isinstance(p.regex, SegmentMatcher) for p in compile_patterns([pattern]).patterns)


def _deep_tree(tmp_path, depth=40):
    (tmp_path / "pyproject.toml").write_text("")
    folder = tmp_path.joinpath(*["a"] * depth)
    folder.mkdir(parents=True)
    (folder / "x.py").write_text("x = 1\n")
    (tmp_path / "top.py").write_text("x = 1\n")
    return folder


_MANY = "/".join(["**", "a"] * 10)  # 20 `**` segments with what follows


@pytest.mark.parametrize(
    ("pattern", "deep_excluded"),
    [(f"{_MANY}/**/z.py", False), (f"{_MANY}/**/x.py", True), (f"/a/{_MANY}/**/*.py", True), (f"{_MANY}/**/a/a/b/", False)],
    ids=["no-match", "match", "anchored", "folder-pattern"],
)
def test_many_double_stars_over_a_deep_tree(tmp_path, pattern, deep_excluded):
    folder = _deep_tree(tmp_path)
    assert isinstance(compile_patterns([pattern]).patterns[0].regex, SegmentMatcher)  # no backtracking
    expected = ["top.py"] + ([] if deep_excluded else [str((folder / "x.py").relative_to(tmp_path))])
    settings = Settings(root=tmp_path, exclude=(pattern,))
    found = discover([str(tmp_path)], settings).files
    assert sorted(str(p).removeprefix(str(tmp_path) + "/") for p in found) == sorted(expected)
    (tmp_path / ".gitignore").write_text(pattern + "\n")
    found = discover([str(tmp_path)], Settings(root=tmp_path)).files
    assert sorted(str(p).removeprefix(str(tmp_path) + "/") for p in found) == sorted(expected)


@pytest.mark.slow
def test_many_double_stars_do_not_hang_a_run(tmp_path):
    """A guard against hangs only (pathspec's expression took minutes here): a generous bound."""
    _deep_tree(tmp_path)
    (tmp_path / ".gitignore").write_text(f"{_MANY}/**/z.py\n")
    done = subprocess.run(
        [sys.executable, "-m", "asynclint", "--no-cache", "--extend-exclude", f"{_MANY}/**/y.py", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "All checks passed.\n")


def test_discovery_is_bounded(tmp_path):
    """Finding the files has a time bound too (ten times per-file-timeout): past it, the walk stops
    with one ASL001 for the folder, and the files found by then are checked."""
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    for name in ("a.py", "pkg/b.py", "pkg/sub/c.py"):
        (tmp_path / name).write_text("x = 1\n")
    found = discover([str(tmp_path)], Settings(root=tmp_path, per_file_timeout=1e-9))
    assert found.files == [str(tmp_path / "a.py")]
    assert found.cut_short == [(str(tmp_path), (
        "not fully searched: finding the files took longer than 10 times per-file-timeout (1e-08 s), "
        "so only the files found by then are checked; exclude large folders or raise the limit"
    ))]
    assert discover([str(tmp_path)], Settings(root=tmp_path)).cut_short == []
    assert len(discover([str(tmp_path)], Settings(root=tmp_path, per_file_timeout=0)).files) == 3


def test_malformed_gitignore_line_is_skipped(tmp_path):
    """git ignores a line it cannot read (`!` alone); so does asynclint, keeping the others
    (pathspec refuses the whole file, which was a traceback)."""
    (tmp_path / ".gitignore").write_text("!\nbuild/\n\\\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "b.py").write_text("x = 1\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    assert discover([str(tmp_path)], Settings(root=tmp_path)).files == [str(tmp_path / "a.py")]
