"""What the layout-free tree costs against libcst's parse (issue #23).

`asynclint/engine/layoutfree.py` builds, from `ast.parse`, the code-carrying nodes of libcst's
tree (the ones the rules, the semantic model and the summary read) and no layout. This times it
against asynclint's own libcst parse of the same files, side by side in interleaved rounds, and
counts the nodes each tree has for the walk. Garbage collection is off for every measurement
(asynclint's runner keeps the collector to the young generation while it parses; left on, the
trees this script keeps make every collection slower).

    python bench/layout_free.py ~/.cache/asynclint-bench/files-quick.txt [--repeat 3]
"""

from __future__ import annotations

import argparse
import ast
import gc
import statistics
import sys
import time
from pathlib import Path

import libcst as cst

from asynclint.engine.layoutfree import build
from asynclint.engine.libcst_access import parse_module
from asynclint.engine.traverse import walk


def _nodes(module: cst.Module) -> int:
    count = 0

    def enter(node: cst.CSTNode) -> bool:
        nonlocal count
        count += 1
        return True

    walk(module, enter, lambda node: None, leaves=())
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, help="a file listing the paths to measure, one per line")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, interleaved (median reported; default 3)")
    args = parser.parse_args(argv)
    texts = []
    for line in args.files.read_text().splitlines():
        try:
            text = Path(line.strip()).read_text(encoding="utf-8")
            ast.parse(text)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        texts.append(text)
    gc.disable()
    times: dict[str, list[float]] = {"ast.parse alone": [], "layout-free tree (ast.parse included)": [], "libcst parse, as asynclint does": []}
    light: list[cst.Module | None] = []
    real: list[cst.Module] = []
    for _ in range(args.repeat):
        light, real = [], []
        gc.collect()
        start = time.perf_counter()
        for text in texts:
            ast.parse(text)
        times["ast.parse alone"].append(time.perf_counter() - start)
        start = time.perf_counter()
        light = [build(text) for text in texts]
        times["layout-free tree (ast.parse included)"].append(time.perf_counter() - start)
        start = time.perf_counter()
        real = [parse_module(text) for text in texts]
        times["libcst parse, as asynclint does"].append(time.perf_counter() - start)
    floor = statistics.median(times["libcst parse, as asynclint does"])
    print(f"{len(texts)} files, {sum(t.count(chr(10)) for t in texts)} lines; {args.repeat} rounds, medians")
    for name, measured in times.items():
        print(f"{name:<38} {statistics.median(measured):7.2f} s  {statistics.median(measured) / floor:5.2f} x libcst")
    built = [(a, b) for a, b in zip(light, real, strict=True) if a is not None]
    print(f"built {len(built)} of {len(texts)} files (the others declined: libcst parses them); "
          f"code-carrying nodes in those: {sum(_nodes(a) for a, _ in built)} layout-free, {sum(_nodes(b) for _, b in built)} libcst")
    return 0


if __name__ == "__main__":
    sys.exit(main())
