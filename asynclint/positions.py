"""Line and column of a few nodes, at a fraction of libcst's PositionProvider cost.

PositionProvider records a range for every node of the module, splitting every token with a
regular expression (measured: 1.9x the parse on aiohttp). Findings need the positions of a handful
of nodes, so this generates the code once while counting characters, records offsets only for
the nodes asked about, and turns offsets into (line, column) with one pass over the newlines.
The ranges are the same as PositionProvider's: syntactic where the node declares one (so
parentheses around an expression are not part of it), whitespace-inclusive otherwise.
"""

from __future__ import annotations

import bisect
import re
from contextlib import contextmanager
from typing import Iterable, Iterator, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState  # the hook libcst's own providers use
from libcst._position import CodePosition, CodeRange

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


def positions(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, CodeRange]:
    """Ranges of `nodes` (keyed by id) in `module`, with 1-based lines and 0-based columns."""
    requested = {id(node) for node in nodes}
    tracker = _Tracker(module, set(requested))
    module._codegen(tracker)
    code = "".join(tracker.tokens)
    line_starts = [0] + [m.end() for m in _NEWLINE.finditer(code)]

    def where(offset: int) -> CodePosition:
        line = bisect.bisect_right(line_starts, offset)
        return CodePosition(line, offset - line_starts[line - 1])

    return {
        key: CodeRange(where(start), where(end))
        for key, (start, end) in tracker.spans.items()
        if key in requested  # not the children tracked only to hoist a statement's range
    }
