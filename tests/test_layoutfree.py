"""engine/layoutfree.py: the layout-free tree built from `ast` walks exactly as libcst's own tree.

What the rules, the semantic model and the summary see of a tree is its walk
(engine/traverse.py): each code-carrying node's class, the text of names and literals, the
operator of an operation, whether a `def`, `for`, `with` or comprehension is async, the star of
an argument or parameter. The two trees must agree on all of it.
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import libcst as cst
import pytest

import asynclint
from asynclint.config.options import Settings
from asynclint.engine.layoutfree import build
from asynclint.engine.libcst_access import parse_module
from asynclint.engine.traverse import walk
from asynclint.lint.walker import lint_text

ROOT = Path(__file__).resolve().parent.parent


def walked(module: cst.Module) -> list[tuple]:
    seen: list[tuple] = []

    def enter(node: cst.CSTNode) -> bool:
        item: list = [type(node).__name__]
        value = getattr(node, "value", None)
        if isinstance(value, str):
            item.append(value)
        operator = getattr(node, "operator", None)
        if isinstance(operator, cst.CSTNode):
            item.append(type(operator).__name__)
        if hasattr(node, "asynchronous"):
            item.append(node.asynchronous is not None)  # type: ignore[attr-defined]
        star = getattr(node, "star", None)
        if isinstance(star, str):
            item.append(star)
        seen.append(tuple(item))
        return True

    walk(module, enter, lambda node: None, leaves=())
    return seen


def assert_same_walk(text: str) -> None:
    light = build(text)
    assert light is not None, "declined"
    assert walked(light) == walked(parse_module(text))


CASES = {
    "literals": """
        a = 0x1F + 1_000 + 1e3 + 2j + 1.5 + 0o7 + 0b1 + 10.
        b = b"raw" rb'\\d' Rb"\\"" BR'x'
        s = u"x" '''three
        lines''' "it's" 'say "hi"' "back\\\\slash\\""
        c = ("implicit"
             # a comment between
             "concatenation" 'of three')
        d = "é" + 'ü' 'v'; e = None, True, False, ...
    """,
    "f-strings, handed to libcst": """
        name = f"{user!r:>{width}} and {{braces}}" f'{x}' "tail"
        async def log(x):
            print(f"{await x=}")
    """,
    "blocks": """
        if a: pass
        elif b:
            pass
        else:
            if c: x = 1; y = 2
        while x: x -= 1
        else: pass
        for i in range(3): continue
        try: pass
        except (A, B) as e: raise C from e
        except: pass
        else: pass
        finally: pass
        with a as b, c: pass
    """,
    "else holding an if is not elif": """
        if a:
            pass
        else:
            if b:
                pass
    """,
    "semicolons": """
        a = 1; b = 2;
        c = 3
        d = 4 ;\\
        e = 5
    """,
    "subscripts and slices": """
        x[1:2, ::-1, 1:2:, :]
        x[(1, 2)]
        x[(a), b]
        x[a,]
        x[()]
        x[a:b][...]
    """,
    "calls and parameters": """
        f(*args, key=1, *more, **kwargs)
        f(x for x in y if x)
        def g(a, /, b=1, *, c, d=2, **kw) -> int: ...
        def h(*args: int, e=lambda p, *q, r=0, **s: 0): ...
        class K(Base, metaclass=Meta, **extra): pass
        @decorate(1)
        @other
        async def main():
            async with lock as (a, b):
                async for item in stream:
                    await item
            return [y async for y in agen() if await y]
    """,
    "statements": """
        from . import a
        from ...pkg.mod import (b as c, d)
        from m import *
        import os.path as p, sys
        global g
        del a, b
        del c
        assert x, "message"
        x: int = 1
        y: list[int]
        x += 1; x <<= 2; x @= m
        z = w = (v := 3)
        a, *b = c
        return_value = yield
        yield from it
        lambda: (yield)
    """,
    "operators": """
        a = -b + ~c * (d ** e) // f % g @ h | i & j ^ k << l >> m
        b = not a and b or c and d and e
        c = a < b <= c != d is not e not in f in g is h > i >= j == k
        d = a if b else c
        e = {1: 2, **f}, {1, *g}, [*h], {k: v for k, v in i}, {s for s in t}
    """,
    "match and except*, handed to libcst": """
        def handle(command):
            match command:
                case {"action": action, **rest} if action:
                    pass
                case [x, *others] | Point(x=0):
                    pass
            try:
                pass
            except* (ValueError, TypeError) as group:
                pass
    """,
}


@pytest.mark.parametrize("code", CASES.values(), ids=CASES.keys())
def test_the_walk_is_libcsts(code):
    assert_same_walk(textwrap.dedent(code).lstrip("\n"))


def test_what_cpython_cannot_parse_is_declined():
    assert build("def f(:\n") is None


def _real_files() -> list[Path]:
    """asyncio's own source (real async code, on every machine), asynclint's, and the examples."""
    folders = [Path(asyncio.__file__).parent, Path(asynclint.__file__).parent, ROOT / "examples"]
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def test_real_files_walk_the_same():
    files = _real_files()
    assert len(files) > 150
    different = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        light = build(text)
        if light is None or walked(light) != walked(parse_module(text)):
            different.append(str(path))
    assert different == []


def test_real_files_summarise_the_same():
    """What a file read only for the index records (runner: summary_only) is the same from
    either tree: the index, and so every cross-file finding, does not depend on which was read."""
    settings = Settings()
    different = []
    for path in _real_files():
        text = path.read_text(encoding="utf-8")
        light = lint_text(text, str(path), settings, (), layout_free=True)
        real = lint_text(text, str(path), settings, ())
        if light.summary != real.summary or light.errors != real.errors:
            different.append(str(path))
    assert different == []


def test_the_index_pass_reads_the_layout_free_tree(tmp_path, monkeypatch):
    """check_source with summary_only walks the layout-free tree; a checked file, libcst's."""
    from asynclint.engine import layoutfree
    from asynclint.engine.source import read_source
    from asynclint.run.runner import Mode, check_source

    built = []
    original = layoutfree.build
    monkeypatch.setattr(layoutfree, "build", lambda text: built.append(text) or original(text))
    target = tmp_path / "mod.py"
    target.write_text("import asyncio\n\nasync def fetch():\n    await asyncio.sleep(0)\n")
    settings = Settings(root=str(tmp_path))
    indexed = check_source(str(target), read_source(str(target)), settings, Mode.CHECK, write=False, summary_only=True)
    assert built == [target.read_text()]
    assert indexed.summary is not None and indexed.summary["functions"] == {"fetch": "async"}
    check_source(str(target), read_source(str(target)), settings, Mode.CHECK, write=False)
    assert len(built) == 1  # the checked file was parsed with libcst
