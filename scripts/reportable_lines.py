"""How much of a project's code any rule could report in, decided from cheap facts (issue #23).

A file no rule can report in still needs its summary for the index, but the rules need libcst
only where they can report. This script measures where that is, with CPython's `ast` alone, at
three grains: the file, the top-level statement, and the function (each `def` on its own,
methods included; what is left of a class or module body is one more unit). A unit counts as
reportable when any of these holds:

* it holds an async construct (`async def`, `await`, `async for`, `async with`): nearly every
  rule requires one (`Rule.requires`);
* it names a task spawner or a loop getter, or the word `loop` (ASL3xx also report in sync code);
* it calls a name the project defines as an `async def` somewhere (ASL101/ASL102 report such a
  call in a sync function too), or, with `--libraries`, any method at all when the module imports
  a library that declares coroutines (a library coroutine called on a receiver of its type);
* it spells what the rules without `async` among their required words look for (`TimeoutError`,
  `except*`, `noqa: ASL`);
* the file is a test module (the testing rules read all of it).

Usage: python scripts/reportable_lines.py FILE_LIST [--libraries]
(FILE_LIST: one path per line, as bench/run.py writes ~/.cache/asynclint-bench/files-quick.txt)
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

SPAWN_WORDS = frozenset({"create_task", "ensure_future", "run_coroutine_threadsafe", "start_soon", "loop"})
PLAIN_WORDS = ("TimeoutError", "except*", "ASL")
ASYNC_LIBRARIES = frozenset({
    "asyncio", "aiohttp", "anyio", "trio", "httpx", "aiofiles", "aiosqlite", "asyncpg", "aioredis",
    "redis", "motor", "websockets", "starlette", "fastapi", "sanic", "tornado", "aiokafka",
})
_ASYNC_DEF = re.compile(rb"^[ \t]*async[ \t]+def[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


def _lines(node: ast.AST) -> int:
    return (getattr(node, "end_lineno", None) or node.lineno) - node.lineno + 1  # type: ignore[attr-defined]


class _Unit:
    """What makes one unit reportable, gathered from its own nodes (not nested defs')."""

    def __init__(self) -> None:
        self.async_construct = False
        self.names: set[str] = set()
        self.calls_method = False


def _gather(node: ast.AST, unit: _Unit, units: list[tuple[ast.AST, _Unit]], split: bool) -> None:
    for child in ast.iter_child_nodes(node):
        if split and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = _Unit()
            inner.async_construct = isinstance(child, ast.AsyncFunctionDef)
            units.append((child, inner))
            _gather(child, inner, units, split)
            continue
        if isinstance(child, (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)):
            unit.async_construct = True
        elif isinstance(child, ast.Name):
            unit.names.add(child.id)
        elif isinstance(child, ast.Attribute):
            unit.names.add(child.attr)
        elif isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            unit.calls_method = True
        _gather(child, unit, units, split)


def _reportable(unit: _Unit, text: str, async_names: set[str], imports_library: bool) -> bool:
    return (
        unit.async_construct or bool(unit.names & SPAWN_WORDS) or bool(unit.names & async_names)
        or (imports_library and unit.calls_method) or any(word in text for word in PLAIN_WORDS)
    )


def _imports_library(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in ASYNC_LIBRARIES for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in ASYNC_LIBRARIES:
            return True
    return False


def measure(paths: list[Path], libraries: bool) -> dict[str, int]:
    sources = {path: path.read_bytes() for path in paths}
    async_names = {m.decode() for data in sources.values() for m in _ASYNC_DEF.findall(data)}
    totals = dict.fromkeys(("lines", "file", "statement", "function"), 0)
    for path, data in sources.items():
        text = data.decode("utf-8", "replace")
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        lines = text.count("\n") + 1
        totals["lines"] += lines
        test = bool(_TEST_FILE.search(path.as_posix()))
        imported = libraries and _imports_library(tree)
        # file grain
        whole = _Unit()
        _gather(tree, whole, [], split=False)
        if test or _reportable(whole, text, async_names, imported):
            totals["file"] += lines
        for grain, split in (("statement", False), ("function", True)):
            if test:
                totals[grain] += lines
                continue
            for statement in tree.body:
                rest = _Unit()
                units: list[tuple[ast.AST, _Unit]] = []
                if split and isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    rest.async_construct = isinstance(statement, ast.AsyncFunctionDef)
                _gather(statement, rest, units, split)
                segment = ast.get_source_segment(text, statement) or ""
                # Each line belongs to the innermost unit holding it.
                owner = dict.fromkeys(range(statement.lineno, statement.lineno + _lines(statement)), _reportable(rest, segment, async_names, imported))
                for node, unit in sorted(units, key=lambda pair: -_lines(pair[0])):
                    piece = ast.get_source_segment(text, node) or ""
                    verdict = _reportable(unit, piece, async_names, imported)
                    owner.update(dict.fromkeys(range(node.lineno, node.lineno + _lines(node)), verdict))
                totals[grain] += sum(owner.values())
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, help="a file listing the paths to measure, one per line")
    parser.add_argument("--libraries", action="store_true", help="count library coroutine calls (see above)")
    args = parser.parse_args(argv)
    paths = [Path(line.strip()) for line in args.files.read_text().splitlines() if line.strip()]
    totals = measure(paths, args.libraries)
    print(f"{len(paths)} files, {totals['lines']} lines")
    for grain in ("file", "statement", "function"):
        print(f"reportable by {grain:<9}: {totals[grain]:>8} lines ({totals[grain] / max(totals['lines'], 1):.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
