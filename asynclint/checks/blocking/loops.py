"""ASL210: a loop in a coroutine that never gives the event loop a turn.

Which loops count as endless is decided from their header alone (`while True`, `for ... in
itertools.count()`), and the infinite iterators are data (`[endless-loops]` in
rules/blocking.toml): a loop over data, or with a condition, ends when the data or the condition
does, and is left alone.
"""

from __future__ import annotations

import libcst as cst

from asynclint.checks.shared import awaits
from asynclint.engine.traverse import walk
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid

_LOOPS = (cst.While, cst.For)
# The frames whose exits are not this loop's: a nested def, lambda or class runs elsewhere.
_OTHER_FRAMES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _always_true(test: cst.BaseExpression) -> bool:
    """`True`, or a non-zero integer literal (`while 1:`)."""
    if isinstance(test, cst.Name):
        return test.value == "True"
    if isinstance(test, cst.Integer):
        return test.evaluated_value != 0
    return False


def _leaves(loop: cst.While | cst.For) -> bool:
    """Whether the body can leave the loop other than by an exception a call raises: a `break`
    of this loop, a `return`, a `raise`, or a `yield` (the consumer that resumes an async
    generator awaits, in its own frame)."""
    found = False

    def enter(node: cst.CSTNode) -> bool:
        nonlocal found
        if found or isinstance(node, _OTHER_FRAMES):
            return False
        if isinstance(node, (cst.Return, cst.Raise, cst.Yield)):
            found = True
            return False
        if isinstance(node, cst.Break):
            found = True
            return False
        # A `break` inside a nested loop leaves that loop only; its `return`s still count.
        return not (isinstance(node, _LOOPS) and node is not loop and not _exits_frame(node))

    for statement in awaits.body_statements(loop.body):
        walk(statement, enter, lambda node: None, ())
    return found


def _exits_frame(loop: cst.While | cst.For) -> bool:
    """A `return`, `raise` or `yield` anywhere in a nested loop (not in its own nested frames)."""
    return awaits.any_node(
        awaits.body_statements(loop.body), lambda node: isinstance(node, (cst.Return, cst.Raise, cst.Yield))
    )


class LoopWithoutCheckpoint(Rule):
    """An endless loop in a coroutine never awaits.

    ## What it does
    Flags, in the body of an `async def`, a loop that nothing but an exception can end and whose
    body has no `await`, `async for` or `async with` on any path: `while True:` (or `while 1:`),
    and `for ... in itertools.count()` / `itertools.cycle(...)` / `itertools.repeat(x)` (with
    no count).

    Left alone:
    - loops with a condition (`while not self.closed:`, `while node is not None:`) and `for`
      loops over data: they end when the condition or the data does, and a plain loop over a
      collection is ordinary code;
    - loops whose body has a `break`, `return`, `raise` or `yield` anywhere, even under an `if`
      (`while True: try: q.get_nowait() except QueueEmpty: break` drains a queue and stops);
    - loops inside a `try` with `except` handlers in the same function, or inside `with
      pytest.raises(...)`, `self.assertRaises(...)` or `contextlib.suppress(...)` (the loop ends
      on the exception it waits for: `try: while True: process(q.get_nowait())` / `except
      QueueEmpty:`);
    - loops in a sync `def` or lambda nested in the coroutine (they run elsewhere, usually in a
      thread).

    ## Why is this bad?
    asyncio switches tasks only where a coroutine awaits. A loop that never awaits and never
    stops holds the event loop's thread forever: no other task, callback, timeout or
    cancellation runs again, and the process stops answering. flake8-async reports the same
    loops as ASYNC913.

    ## Example
    ```python
    async def pump(self):
        while True:
            data = self.sock.recv(4096)
            self.handle(data)
    ```

    ## Use instead
    ```python
    async def pump(self):
        while True:
            data = await self.reader.read(4096)
            self.handle(data)
    ```

    ## Fix safety
    No fix: an `await asyncio.sleep(0)` would let other tasks run, but a loop that never ends
    is still a loop that never ends; what it should wait for is for the author to say.
    """

    code = "ASL210"
    requires = ("async",)
    name = "loop-without-checkpoint"
    message = "endless loop in a coroutine never awaits: it holds the event loop forever; await inside it"

    valid = (
        Valid("awaits", """
            import asyncio
            async def pump(reader, handle):
                while True:
                    handle(await reader.read(4096))
        """),
        Valid("await-on-one-path", """
            async def pump(queue, handle, items):
                while True:
                    if items:
                        handle(items.pop())
                    else:
                        handle(await queue.get())
        """),
        Valid("async-with-and-async-for", """
            async def serve(lock, stream, state):
                while True:
                    async with lock:
                        state.tick()
            async def consume(stream, state):
                while True:
                    async for item in stream:
                        state.add(item)
        """),
        Valid("conditional-break", """
            import asyncio
            async def drain(queue, handle):
                while True:
                    try:
                        item = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        break
                    handle(item)
        """),
        Valid("return-or-raise", """
            async def find(nodes, key):
                while True:
                    node = nodes.next()
                    if node.key == key:
                        return node
            async def check(items):
                while 1:
                    if not items.pop():
                        raise ValueError("empty")
        """),
        Valid("ended-by-the-exception-it-waits-for", """
            import asyncio
            async def drain(queue, handle):
                try:
                    while True:
                        handle(queue.get_nowait())
                except asyncio.QueueEmpty:
                    pass
        """),
        Valid("ended-by-an-expected-exception", """
            import contextlib
            import pytest
            async def test_exhausts(source):
                with pytest.raises(StopIteration):
                    while True:
                        next(source)
            async def drain(queue, handle):
                with contextlib.suppress(IndexError):
                    while True:
                        handle(queue.pop())
        """),
        Valid("loops-over-data-and-conditions", """
            async def total(items, node):
                for item in items:
                    item.count()
                while node is not None:
                    node = node.next
                for i in range(10):
                    print(i)
        """),
        Valid("yield-in-async-generator", """
            import itertools
            async def ids():
                for n in itertools.count():
                    yield n
        """),
        Valid("nested-sync-function", """
            import asyncio
            async def main(sock):
                def worker():
                    while True:
                        sock.recv(10)
                await asyncio.to_thread(worker)
        """),
        Valid("sync-function", """
            def serve(sock):
                while True:
                    sock.accept()
        """),
    )
    invalid = (
        Invalid(
            "while-true-and-infinite-iterators",
            """
            import itertools
            from itertools import cycle

            async def pump(sock, handle):
                while True:
                    handle(sock.recv(4096))

            async def spin(workers, state):
                for n in itertools.count():
                    state.tick(n)
                for worker in cycle(workers):
                    worker.poll()
            """,
            (
                (5, 5, "endless loop in a coroutine never awaits: it holds the event loop forever; await inside it"),
                (9, 5, "endless loop in a coroutine never awaits: it holds the event loop forever; await inside it"),
                (11, 5, "endless loop in a coroutine never awaits: it holds the event loop forever; await inside it"),
            ),
        ),
        Invalid(
            "break-of-an-inner-loop-only",
            """
            import time

            async def watch(paths, changed):
                while 1:
                    for path in paths:
                        if changed(path):
                            break
                    time.sleep(1)
            """,
            (
                (4, 5, "endless loop in a coroutine never awaits: it holds the event loop forever; await inside it"),
            ),
        ),
        Invalid(
            "await-in-a-nested-function-only",
            """
            async def pump(queue, loop):
                while True:
                    async def later():
                        await queue.put(1)
                    loop.call_soon(later)
            """,
            (
                (2, 5, "endless loop in a coroutine never awaits: it holds the event loop forever; await inside it"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.endless_iterators = catalogue.blocking().endless_iterators
        misuse = catalogue.misuse()
        # Blocks that end on an exception: `pytest.raises`, `assertRaises`, `contextlib.suppress`.
        self.raising = misuse.raises | misuse.suppress
        self.raising_methods = misuse.raises_methods
        # Per enclosing `try`: whether it has handlers; None marks a function's frame, whose own
        # handlers do not catch what a nested function raises later.
        self.tries: list[bool | None] = []

    def _endless(self, node: cst.While | cst.For) -> bool:
        if isinstance(node, cst.While):
            return _always_true(node.test)
        if node.asynchronous is not None or not isinstance(node.iter, cst.Call):
            return False
        call = node.iter
        name = self.model.qualified_name(call.func)
        if name not in self.endless_iterators:
            return False
        # `repeat(x, n)` and `repeat(x, times=n)` end; `count()` and `cycle(it)` take no bound.
        limit = self.endless_iterators[name]
        return limit is None or not any(
            (arg.keyword is None and arg.star == "" and index >= limit)
            or (arg.keyword is not None and arg.keyword.value == "times")
            or arg.star != ""
            for index, arg in enumerate(call.args)
        )

    def visit_Try(self, node: cst.Try) -> None:
        self.tries.append(bool(node.handlers))

    def leave_Try(self, node: cst.Try) -> None:
        self.tries.pop()

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.tries.append(True)

    def leave_TryStar(self, node: cst.TryStar) -> None:
        self.tries.pop()

    def visit_With(self, node: cst.With) -> None:
        self.tries.append(any(self._ends_on_exception(item.item) for item in node.items))

    def leave_With(self, node: cst.With) -> None:
        self.tries.pop()

    def _ends_on_exception(self, item: cst.BaseExpression) -> bool:
        if not isinstance(item, cst.Call):
            return False
        func = item.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.raising_methods:
            return True
        return self.model.qualified_name(func) in self.raising

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.tries.append(None)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.tries.pop()

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def _check(self, node: cst.While | cst.For) -> None:
        if not self.model.in_coroutine or not self._endless(node):
            return
        if self._in_handled_try() or awaits.suspends(awaits.body_statements(node.body)) or _leaves(node):
            return
        self.report(node)

    def _in_handled_try(self) -> bool:
        for handled in reversed(self.tries):
            if handled is None:
                return False
            if handled:
                return True
        return False
