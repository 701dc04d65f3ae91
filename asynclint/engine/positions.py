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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TypeAlias

import libcst as cst

from asynclint.engine.deepstack import cpython_limits
from asynclint.engine.libcst_access import CodegenState, CodePosition, CodeRange  # see there
from asynclint.engine.traverse import ignore, walk

_NEWLINE = re.compile(r"\r\n?|\n")  # the same newline rule as libcst's position providers


class _Tracker(CodegenState):
    def __init__(self, module: cst.Module, targets: set[int]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.offset = 0
        self.targets = targets
        self.spans: dict[int, tuple[int, int]] = {}
        self._starts: list[int] = []
        # Each target's whole code (whitespace it owns included) and the indentation it was
        # generated under: what a fix replacing the node replaces, and how to generate its code.
        self.whole: dict[int, Whole] = {}
        self._wholes: list[tuple[int, tuple[str, ...]]] = []

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
            self._wholes.append((self.offset, tuple(self.indent_tokens)))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.targets:
            start = self._starts.pop()
            self.spans.setdefault(id(node), (start, self.offset))
            begin, indents = self._wholes.pop()
            self.whole.setdefault(id(node), (begin, self.offset, indents))

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
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


# The try statements of the running Python's ast (`try`/`except*` is 3.11's, with `ast.Try`'s fields).
_AST_TRY: tuple[type[ast.Try], ...] = tuple(getattr(ast, name) for name in ("Try", "TryStar") if hasattr(ast, name))

Hint: TypeAlias = "cst.BaseStatement | tuple[cst.BaseStatement, ...]"
# A node's whole code: (start offset, end offset) in the text, and the indentation it is under.
Whole: TypeAlias = "tuple[int, int, tuple[str, ...]]"


def positions(
    module: cst.Module,
    nodes: Iterable[cst.CSTNode],
    text: str | None = None,
    hints: Mapping[int, Hint] | None = None,
    whole: dict[int, Whole] | None = None,
) -> dict[int, CodeRange]:
    """Ranges of `nodes` (keyed by id) in `module`, with 1-based lines and 0-based columns;
    `whole`, when given, receives each node's whole code span and indentation (see `_Tracker`).

    With the module's `text` and `hints` (for a node, the statements it is likely in, innermost
    first, the last one a module-level statement), only those statements' code is generated; a
    node not found that way falls back to generating the whole module's code.
    """
    nodes = list(nodes)
    found: dict[int, CodeRange] = {}
    if text is not None:
        candidates = {key: (hint if isinstance(hint, tuple) else (hint,)) for key, hint in (hints or {}).items()}
        unhinted = {id(node) for node in nodes if not candidates.get(id(node))}
        if unhinted:  # reported after the walk left its statement: look for it (cheaper than codegen)
            candidates.update((key, (statement,)) for key, statement in _statements_holding(module, unhinted).items())
        found = _in_statements(module, nodes, text, candidates, whole)
    rest = [node for node in nodes if id(node) not in found]
    if rest:
        found.update(_in_module(module, rest, whole))
    return found


def _in_module(module: cst.Module, nodes: list[cst.CSTNode], whole: dict[int, Whole] | None = None) -> dict[int, CodeRange]:
    requested = {id(node) for node in nodes}
    tracker = _Tracker(module, set(requested))
    module._codegen(tracker)
    where = _locator("".join(tracker.tokens))
    if whole is not None:
        whole.update((key, span) for key, span in tracker.whole.items() if key in requested)
    return {
        key: CodeRange(where(start), where(end))
        for key, (start, end) in tracker.spans.items()
        if key in requested  # not the children tracked only to hoist a statement's range
    }


def _in_statements(
    module: cst.Module, nodes: list[cst.CSTNode], text: str, candidates: dict[int, tuple[cst.BaseStatement, ...]],
    whole: dict[int, Whole] | None = None,
) -> dict[int, CodeRange]:
    """Generate the code of the hinted statements alone, starting where each one begins in
    `text`, innermost first: a node not met in the code of its innermost statement is looked for
    in the next. Where a statement begins comes from CPython's `ast` (an order of magnitude
    cheaper than generating the code before it), and is checked: the generated code must be
    exactly the text found there, or the statement is passed over."""
    left = {id(node): list(candidates[id(node)]) for node in nodes if candidates.get(id(node))}
    if not left:
        return {}
    tops = {id(hint[-1]): hint[-1] for hint in left.values()}
    starts = _statement_starts(module, text, tops)
    line_starts = _line_starts(text)
    where = _locator(text, line_starts)
    found: dict[int, CodeRange] = {}
    while left:
        groups: dict[int, tuple[cst.BaseStatement, set[int]]] = {}
        for key, hint in list(left.items()):
            while hint and id(hint[0]) not in starts:
                hint.pop(0)  # a statement the pairing with the ast did not locate
            if not hint:
                del left[key]
                continue
            groups.setdefault(id(hint[0]), (hint[0], set()))[1].add(key)
        for key, (statement, requested) in groups.items():
            line, indents = starts[key]
            if 1 <= line <= len(line_starts):
                tracker = _Tracker(module, set(requested))
                tracker.indent_tokens = list(indents)
                tracker.offset = start = line_starts[line - 1]
                statement._codegen(tracker)
                if text.startswith("".join(tracker.tokens), start):
                    for node_key, (begin, end) in tracker.spans.items():
                        if node_key in requested:
                            found[node_key] = CodeRange(where(begin), where(end))
                            del left[node_key]
                            if whole is not None and node_key in tracker.whole:
                                whole[node_key] = tracker.whole[node_key]
            for node_key in requested:  # not in this statement after all: the next one out
                if node_key in left:
                    left[node_key].pop(0)
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

        walk(statement, enter, ignore, ())
        if not left:
            break
    return found


Start = tuple[int, tuple[str, ...]]  # first line (1-based), indentation of the enclosing blocks


def _statement_starts(module: cst.Module, text: str, tops: dict[int, cst.BaseStatement]) -> dict[int, Start]:
    """Where the code of each module-level statement begins, and of every statement nested in
    those of `tops` (by id), leading comments and blank lines included; empty when CPython cannot
    parse the text. The statements of libcst and of `ast` are paired body by body."""
    try:
        with cpython_limits():
            body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    starts: dict[int, Start] = {}
    _pair(module.body, body, (), module.default_indent, starts, tops)
    return starts


def _pair(
    statements, nodes: list[ast.stmt], indents: tuple[str, ...], default_indent: str,
    starts: dict[int, Start], descend: dict[int, cst.BaseStatement] | None = None,
) -> None:
    position = 0
    for statement in statements:
        if position >= len(nodes):
            return
        first = nodes[position]
        line = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", ()))])
        decorators = getattr(statement, "decorators", ())
        starts[id(statement)] = (
            line - len(statement.leading_lines) - (len(decorators[0].leading_lines) if decorators else 0),
            indents,
        )
        if isinstance(statement, cst.SimpleStatementLine):
            position += len(statement.body)  # `a = 1; b = 2` is one libcst line, two ast statements
            continue
        if descend is None or id(statement) in descend:
            for block, inner in _bodies(statement, first):
                if isinstance(block, cst.IndentedBlock):  # not a one-line `if x: pass`
                    indent = default_indent if block.indent is None else block.indent
                    _pair(block.body, inner, (*indents, indent), default_indent, starts)
        position += 1


def _bodies(statement: cst.CSTNode, node: ast.AST) -> Iterator[tuple[cst.BaseSuite, list[ast.stmt]]]:
    """The blocks of a compound statement with the ast statement lists they hold; nothing when
    the two do not correspond."""
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield statement.body, node.body
    elif isinstance(statement, cst.If):
        if isinstance(node, ast.If):
            yield statement.body, node.body
            orelse = statement.orelse
            if isinstance(orelse, cst.If):  # elif: one `If` in the ast's else branch
                if len(node.orelse) == 1:
                    yield from _bodies(orelse, node.orelse[0])
            elif orelse is not None:
                yield orelse.body, node.orelse
    elif isinstance(statement, (cst.For, cst.While)):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            yield statement.body, node.body
            if statement.orelse is not None:
                yield statement.orelse.body, node.orelse
    elif isinstance(statement, cst.With):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            yield statement.body, node.body
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        if isinstance(node, _AST_TRY) and len(statement.handlers) == len(node.handlers):
            yield statement.body, node.body
            handlers: Sequence[cst.ExceptHandler | cst.ExceptStarHandler] = statement.handlers
            for handler, ast_handler in zip(handlers, node.handlers, strict=True):
                yield handler.body, ast_handler.body
            if statement.orelse is not None:
                yield statement.orelse.body, node.orelse
            if statement.finalbody is not None:
                yield statement.finalbody.body, node.finalbody
    elif isinstance(statement, cst.Match) and isinstance(node, ast.Match) and len(statement.cases) == len(node.cases):
        for case, ast_case in zip(statement.cases, node.cases, strict=True):
            yield case.body, ast_case.body


def _line_starts(code: str) -> list[int]:
    return [0] + [m.end() for m in _NEWLINE.finditer(code)]


def _locator(code: str, line_starts: list[int] | None = None) -> Callable[[int], CodePosition]:
    starts = line_starts if line_starts is not None else _line_starts(code)

    def where(offset: int) -> CodePosition:
        line = bisect.bisect_right(starts, offset)
        return CodePosition(line, offset - starts[line - 1])

    return where
