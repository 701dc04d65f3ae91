"""Which binding of a name a read may see, from where statements stand in a function's blocks.

The walk keeps only the latest binding of each name (asynclint/engine/semantic.py). A rule that
must know whether an earlier binding can still reach a read (`x = fetch()` on one branch, `x = 2`
on the other, then `x + 1`) asks here, once the function is walked. The answer comes from the
nesting of blocks alone, without a control-flow graph, and errs towards "not reached":

* a binding reaches a later read when the statement holding it comes before the one holding the
  read in a block both stand in (directly or through the compound statements around them), and
  no other binding of the name stands between them on every path: one placed, after the
  first, in a block that holds the read (a `with` body or a `finally` runs whenever what follows
  it does, so they count as the block around them);
* a line is one statement: a binding and a read on one line (`x = f(); x.y`) are not told
  apart, and the read is taken not to be reached;
* statements in sibling blocks (an `if` body and its `else`, a `try` body and its handlers) are
  taken not to reach one another, although a loop or an exception may carry one to the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use

# Where a statement stands: for each block from the function's body down, (the block's key, the
# statement's number in source order). Blocks that run whenever what follows them runs share the
# key of the block around them.
Place = tuple[tuple[int, int], ...]


def _blocks_of(statement: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, bool]]:
    """The blocks a compound statement holds, each with whether it always runs when the
    statement is reached (a `with` body, a `finally`)."""
    if isinstance(statement, cst.With):
        yield statement.body, True
        return
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return  # a scope of its own: its bindings are not this function's
    body = getattr(statement, "body", None)
    if isinstance(body, cst.BaseSuite):
        yield body, False
    for handler in getattr(statement, "handlers", ()):
        yield handler.body, False
    for case in getattr(statement, "cases", ()):
        yield case.body, False
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.If):  # `elif`: a block of one statement
        yield orelse, False
    elif orelse is not None:
        yield orelse.body, False
    final = getattr(statement, "finalbody", None)
    if final is not None:
        yield final.body, True


def _statements(block: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """The statements of a block: lines (a line of several small statements is one), compound
    statements, or the one line of a one-line suite (`if c: x = 1`)."""
    if isinstance(block, (cst.If, cst.SimpleStatementSuite)):
        return (block,)
    return block.body if isinstance(block, cst.IndentedBlock) else ()


def _headers(statement: cst.CSTNode) -> Iterable[cst.CSTNode]:
    """What of a compound statement runs where it stands: an `if` test, a `for` target and
    iterable, `with` items, a `match` subject."""
    parts = [getattr(statement, name, None) for name in ("test", "target", "iter", "subject")]
    parts += list(getattr(statement, "items", ()))
    return [part for part in parts if part is not None]


class Layout:
    """Where the Name nodes asked about stand in one function. `wanted` gives, for each node's
    id, the statement line (or one-line suite) holding it, as the walk saw it; None for a node in
    a compound statement's header (`if row.ok:`), which is looked for there."""

    def __init__(self, function: cst.FunctionDef, wanted: dict[int, cst.CSTNode | None]) -> None:
        self.places: dict[int, Place] = {}
        self._by_line: dict[int, list[int]] = {}
        self._in_headers = {node for node, line in wanted.items() if line is None}
        for node, line in wanted.items():
            if line is not None:
                self._by_line.setdefault(id(line), []).append(node)
        self._count = 0
        self._place(function.body, (), id(function.body))

    def _place(self, block: cst.CSTNode, outer: Place, key: int) -> None:
        for statement in _statements(block):
            self._count += 1
            here = (*outer, (key, self._count))
            for node in self._by_line.get(id(statement), ()):
                self.places[node] = here
            if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                continue
            if self._in_headers:
                for part in _headers(statement):
                    self._mark(part, here)
            for inner, always in _blocks_of(statement):
                if always:  # runs whenever what follows it does: part of this block
                    self._place(inner, outer, key)
                else:
                    self._place(inner, here, id(inner))

    def _mark(self, node: cst.CSTNode, here: Place) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            if id(current) in self._in_headers:
                self.places[id(current)] = here
            stack.extend(current.children)

    def reaches(self, binding: cst.CSTNode, read: cst.CSTNode, others: Iterable[cst.CSTNode]) -> bool:
        """Whether the binding of the Name `binding` may be what the Name `read` sees, given the
        name's `others` bindings (their Name nodes) in the function."""
        start, end = self.places.get(id(binding)), self.places.get(id(read))
        if start is None or end is None or not _before(start, end):
            return False
        for other in others:
            place = self.places.get(id(other))
            if place is None:
                return False  # cannot tell where it stands: say nothing
            if place[-1][1] > start[-1][1] and _covers(place, end):
                return False
        return True


def _before(start: Place, end: Place) -> bool:
    """Whether the statement at `start` comes before the one at `end` in a block both stand in."""
    for (start_key, start_at), (end_key, end_at) in zip(start, end, strict=False):  # the shorter one ends the common part
        if start_key != end_key:
            return False  # sibling blocks
        if start_at != end_at:
            return start_at < end_at
    return False  # the same statement, or one holds the other


def _covers(binding: Place, read: Place) -> bool:
    """Whether a statement at `binding` runs on every path to `read` once its block is entered:
    it stands before `read` (or what holds `read`) in a block that holds `read`."""
    depth = len(binding) - 1
    if len(read) <= depth or read[:depth] != binding[:depth]:
        return False
    key, at = binding[depth]
    read_key, read_at = read[depth]
    return key == read_key and at < read_at
