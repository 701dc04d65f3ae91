"""Questions the ASL5xx rules ask about a piece of a coroutine's body, answered by a short walk
that stops at nested functions, lambdas and classes (their code runs elsewhere, or later)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst

from asynclint.engine.traverse import walk

_OTHER_FRAMES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def nodes(roots: Iterable[cst.CSTNode] | cst.CSTNode) -> list[cst.CSTNode]:
    """Every code node under `roots` (included) that runs in the same frame."""
    found: list[cst.CSTNode] = []

    def enter(node: cst.CSTNode) -> bool:
        found.append(node)
        return not isinstance(node, _OTHER_FRAMES)

    for root in (roots,) if isinstance(roots, cst.CSTNode) else roots:
        walk(root, enter, lambda node: None, ())
    return found


def is_suspension(node: cst.CSTNode) -> bool:
    """An `await`, `async for` or `async with`: a point where the coroutine can be suspended
    (and where a cancellation or a timeout is delivered)."""
    if isinstance(node, cst.Await):
        return True
    if isinstance(node, (cst.For, cst.With, cst.CompFor)):
        return node.asynchronous is not None
    return False


def suspends(roots: Iterable[cst.CSTNode] | cst.CSTNode) -> bool:
    return any(is_suspension(node) for node in nodes(roots))


def any_node(roots: Iterable[cst.CSTNode] | cst.CSTNode, test: Callable[[cst.CSTNode], bool]) -> bool:
    return any(test(node) for node in nodes(roots))


def body_statements(block: cst.BaseSuite) -> tuple[cst.BaseStatement | cst.BaseSmallStatement, ...]:
    """The statements of an indented block or of a one-line suite."""
    return tuple(block.body)
