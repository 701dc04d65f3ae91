"""Line and column of a few nodes, at a fraction of libcst's PositionProvider cost.

PositionProvider records a range for every node of the module, splitting every token with a
regular expression (measured: 1.9x the parse on aiohttp). Findings need the positions of a handful
of nodes, so this generates the code once while counting characters, records offsets only for
the nodes asked about, and turns offsets into (line, column) with one pass over the newlines.
The ranges are the same as PositionProvider's: syntactic where the node declares one (so
parentheses around an expression are not part of it), whitespace-inclusive otherwise.
"""

from __future__ import annotations

import ast
import bisect
import re
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState  # the hook libcst's own providers use
from libcst._position import CodePosition, CodeRange

from asynclint.deepstack import cpython_limits
from asynclint.traverse import walk

_NEWLINE = re.compile(r"\r\n?|\n")  # the same newline rule as libcst's position providers


class _Tracker(CodegenState):
    def __init__(self, module: cst.Module, targets: set[int]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.targets = targets
        self.spans: dict[int, tuple[int, int]] = {}
        self._starts: list[int] = []

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        if self.tokens:
            self.offset -= len(self.tokens.pop())

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.targets:
            self._starts.append(self.offset)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.targets:
            start = self._starts.pop()
            self.spans.setdefault(id(node), (start, self.offset))

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: Optional[cst.CSTNode] = None,
        end_node: Optional[cst.CSTNode] = None,
    ) -> Iterator[None]:
        wanted = id(node) in self.targets
        if wanted:  # statements hoist their range from children: track those children too
            for hoisted in (start_node, end_node):
                if hoisted is not None:
                    self.targets.add(id(hoisted))
        start = self.offset
        yield
        if wanted:
            end = self.offset
            if start_node is not None:
                start = self.spans[id(start_node)][0]
            if end_node is not None:
                end = self.spans[id(end_node)][1]
            self.spans[id(node)] = (start, end)


def positions(
    module: cst.Module,
    nodes: Iterable[cst.CSTNode],
    text: str | None = None,
    hints: dict[int, cst.BaseStatement] | None = None,
) -> dict[int, CodeRange]:
    """Ranges of `nodes` (keyed by id) in `module`, with 1-based lines and 0-based columns.

    With the module's `text` and `hints` (for a node, the module-level statement it is likely
    in), only those statements' code is generated; a node not found that way falls back to
    generating the whole module's code.
    """
    nodes = list(nodes)
    found: dict[int, CodeRange] = {}
    if text is not None:
        hints = dict(hints or {})
        unhinted = {id(node) for node in nodes if id(node) not in hints}
        if unhinted:  # reported after the walk left its statement: look for it (cheaper than codegen)
            hints.update(_statements_holding(module, unhinted))
        found = _in_statements(module, nodes, text, hints)
    rest = [node for node in nodes if id(node) not in found]
    if rest:
        found.update(_in_module(module, rest))
    return found


def _in_module(module: cst.Module, nodes: list[cst.CSTNode]) -> dict[int, CodeRange]:
    requested = {id(node) for node in nodes}
    tracker = _Tracker(module, set(requested))
    module._codegen(tracker)
    where = _locator("".join(tracker.tokens))
    return {
        key: CodeRange(where(start), where(end))
        for key, (start, end) in tracker.spans.items()
        if key in requested  # not the children tracked only to hoist a statement's range
    }


def _in_statements(
    module: cst.Module, nodes: list[cst.CSTNode], text: str, hints: dict[int, cst.BaseStatement]
) -> dict[int, CodeRange]:
    """Generate the code of the hinted statements alone, starting at the offset where each one
    begins in `text`. Where a statement begins comes from CPython's `ast` (an order of
    magnitude cheaper than generating the code before it), and is checked: the generated code
    must be exactly the text found there, or the statement is left to the whole-module pass."""
    groups: dict[int, tuple[cst.BaseStatement, set[int]]] = {}
    for node in nodes:
        statement = hints.get(id(node))
        if statement is not None:
            groups.setdefault(id(statement), (statement, set()))[1].add(id(node))
    if not groups:
        return {}
    first_lines = _statement_lines(module, text)
    line_starts = _line_starts(text)
    where = _locator(text, line_starts)
    found: dict[int, CodeRange] = {}
    for key, (statement, requested) in groups.items():
        line = first_lines.get(key)
        if line is None or not 1 <= line <= len(line_starts):
            continue
        tracker = _Tracker(module, set(requested))
        tracker.offset = start = line_starts[line - 1]
        statement._codegen(tracker)
        code = "".join(tracker.tokens)
        if not text.startswith(code, start):
            continue
        for node_key, (begin, end) in tracker.spans.items():
            if node_key in requested:
                found[node_key] = CodeRange(where(begin), where(end))
    return found


def _statements_holding(module: cst.Module, wanted: set[int]) -> dict[int, cst.BaseStatement]:
    """The module-level statement holding each wanted node (by id), found by a walk that stops
    once all are found."""
    found: dict[int, cst.BaseStatement] = {}
    left = set(wanted)
    for statement in module.body:
        def enter(node: cst.CSTNode, statement: cst.BaseStatement = statement) -> bool:
            if id(node) in left:
                left.discard(id(node))
                found[id(node)] = statement
            return bool(left)

        walk(statement, enter, _ignore)
        if not left:
            break
    return found


def _ignore(node: cst.CSTNode) -> None:
    pass


def _statement_lines(module: cst.Module, text: str) -> dict[int, int]:
    """The line (1-based) where the code of each module-level statement begins, its leading
    comments and blank lines included, by id(); empty when CPython cannot parse the text."""
    try:
        with cpython_limits():
            body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    lines: dict[int, int] = {}
    position = 0
    for statement in module.body:
        if position >= len(body):
            break
        first = body[position]
        line = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", ()))])
        decorators = getattr(statement, "decorators", ())
        lines[id(statement)] = (
            line - len(statement.leading_lines) - (len(decorators[0].leading_lines) if decorators else 0)
        )
        # `a = 1; b = 2` is one libcst statement line and two ast statements
        position += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    return lines


def _line_starts(code: str) -> list[int]:
    return [0] + [m.end() for m in _NEWLINE.finditer(code)]


def _locator(code: str, line_starts: list[int] | None = None) -> Callable[[int], CodePosition]:
    starts = line_starts if line_starts is not None else _line_starts(code)

    def where(offset: int) -> CodePosition:
        line = bisect.bisect_right(starts, offset)
        return CodePosition(line, offset - starts[line - 1])

    return where
