"""ASL503, ASL510, ASL511, ASL521, ASL522: cancellation swallowed, delivered to the wrong frame,
never possible, or cutting clean-up short; blocks held open by a suspended generator.

asyncio delivers cancellation (and the timeouts built on it) as a `CancelledError` raised at an
`await`. Code that catches it and carries on, that yields to its consumer while a scope waits to
cancel it, or that never awaits inside a timeout, breaks that contract.
"""

from __future__ import annotations

import libcst as cst

from asynclint.checks.shared import awaits, library
from asynclint.engine.semantic import ScopeKind
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid

# Calls in a handler that show the cancellation is handled on purpose (Python 3.11's API for
# telling one's own cancellation from an outside one).
_DELIBERATE_METHODS = frozenset({"uncancel", "cancelling"})
_WAITERS = frozenset({"asyncio.wait_for", "asyncio.gather", "asyncio.wait", "asyncio.shield"})
_LOOPS = (cst.For, cst.While)
_OTHER_FRAMES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


# What holds statements: the path to a statement goes through these only (never expressions,
# which keeps the walk short and shallow).
_BLOCKS = (
    cst.BaseSuite, cst.BaseCompoundStatement, cst.ExceptHandler, cst.ExceptStarHandler, cst.Else,
    cst.Finally, cst.MatchCase,
)


def _path_to(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The statements and blocks from `root` down to `target` (both included), staying in
    `root`'s frame."""
    if root is target:
        return [root]
    for child in root.children:
        if child is not target and (isinstance(child, _OTHER_FRAMES) or not isinstance(child, _BLOCKS)):
            continue
        found = _path_to(child, target)
        if found is not None:
            return [root, *found]
    return None


def _returns_value(node: cst.CSTNode) -> bool:
    return (
        isinstance(node, cst.Return)
        and node.value is not None
        and not (isinstance(node.value, cst.Name) and node.value.value == "None")
    )


def _waits(node: cst.CSTNode) -> bool:
    """`await asyncio.sleep(...)`, `await event.wait()`, `await asyncio.wait_for(...)`: waiting,
    which no cleanup needs."""
    if not (isinstance(node, cst.Await) and isinstance(node.expression, cst.Call)):
        return False
    func = node.expression.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in ("sleep", "wait", "wait_for")


def _last_statement(block: cst.BaseSuite) -> cst.CSTNode | None:
    body = awaits.body_statements(block)
    if not body:
        return None
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine) and last.body:
        return last.body[-1]
    return last


class SwallowedCancellation(Rule):
    """A coroutine catches `CancelledError` and carries on.

    ## What it does
    Flags, inside an `async def`, a handler that catches cancellation around code that awaits and
    then denies it: `except asyncio.CancelledError`, `except BaseException`, a bare `except:` (and
    `except*` of those), and `with contextlib.suppress(asyncio.CancelledError)`. A cancellation is
    denied when, after catching it, the coroutine carries on: the handler `continue`s or loops
    itself, or the code after it goes round the loop again, awaits more, or returns a value as if
    the work had been done.

    Not flagged:
    - a coroutine that ends on the cancellation: the handler (after logging or cleanup, awaited
      or not, as a `finally` block's would be, though an `except CancelledError` only, and no
      `sleep()`, `wait()` or `wait_for()`: those carry on) `break`s out of the loop, `return`s
      without a value, or falls through, and no
      `await`, `async for`, `async with` or `return <value>` follows before the function's end
      (`finally` blocks and `with` exits on the way out are cleanup; a `TaskGroup` or `timeout()`
      block on the way out is not, so inside one the handler is still flagged);
    - a handler that raises (the bare `raise`, or another exception), that uses the exception it
      binds (`except CancelledError as exc: errors.append(exc)`, often raised later), or that
      calls `uncancel()` / `cancelling()` to tell its own cancellation from an outside one;
    - a try block that awaits a task or future it holds (`await task`, `await
      asyncio.wait_for(task, 1)`), or a function that cancels something itself (`task.cancel()`):
      there the `CancelledError` is the expected end of the cancelled task, not this coroutine's;
    - a handler that returns a value, in a method of a class that cancels tasks itself
      (`task.cancel()` in one of its methods): the class owns the tasks its methods run as, and
      the result on cancellation is what it asks for (aiokafka's fetcher);
    - a try block with no `await`, `async for` or `async with` (no cancellation can arrive there);
    - trio code, where the rule's semantics (asyncio's) do not hold: a module that imports `trio`
      and not `asyncio`, one whose tests are marked `@pytest.mark.trio`, or one that imports
      neither in a project that declares trio and not anyio as a dependency
      (docs/configuration.md, "Which async library").

    ## Why is this bad?
    `task.cancel()`, `asyncio.timeout()`, `TaskGroup` and `asyncio.run()`'s shutdown all work by
    raising `CancelledError` in the task and waiting for it to come back out. A coroutine that
    swallows it and keeps running denies the cancellation: timeouts do not time out, task groups
    hang, shutdown waits forever. The asyncio documentation asks for `CancelledError` to be
    re-raised after clean-up, because structured concurrency (`TaskGroup`, `timeout()`) relies on
    it propagating, and a task that really means to go on after a cancellation has to say so with
    `Task.uncancel()`.

    Where the line is: a background loop that stops when cancelled (`except CancelledError:
    break`) does stop, so it is not reported. It is still not quite a cancellation: the task
    returns normally, `task.cancelled()` is false, and a caller doing `await task` gets its
    result instead of a `CancelledError`. Re-raising is the better habit; the rule only insists
    where the task would otherwise keep running.

    ## Example
    ```python
    async def worker(queue):
        while True:
            try:
                job = await queue.get()
            except asyncio.CancelledError:
                continue
            await handle(job)
    ```

    ## Use instead
    ```python
    async def worker(queue):
        while True:
            try:
                job = await queue.get()
            except asyncio.CancelledError:
                cleanup()
                raise
            await handle(job)
    ```
    """

    code = "ASL503"
    requires = ("async",)
    name = "swallowed-cancellation"
    message = "CancelledError is caught and not re-raised: this coroutine can no longer be cancelled"

    valid = (
        Valid("a-result-for-the-owner-that-cancels", """
            import asyncio
            class Fetcher:
                # From aiokafka: the class runs its requests as tasks and cancels them itself;
                # a cancelled one answers False ("the result is no longer of interest").
                async def _proc_fetch_request(self, node_id):
                    try:
                        await self._client.send(node_id)
                    except asyncio.CancelledError:
                        return False
                    return True

                async def _routine(self, node_id):
                    task = asyncio.ensure_future(self._proc_fetch_request(node_id))
                    task.cancel()
                    return await task
        """),
        Valid("awaited-cleanup-then-the-end", """
            import asyncio
            class Typing:
                async def _update(self):
                    # From Telethon: the owner cancels the task and awaits it; the handler sends
                    # a last notice and the coroutine ends.
                    try:
                        while True:
                            await self.send_action()
                            await asyncio.sleep(5)
                    except asyncio.CancelledError:
                        await self.send_cancel_action()
        """),
        Valid("re-raised", """
            import asyncio
            async def worker(queue):
                try:
                    await queue.get()
                except asyncio.CancelledError:
                    print("stopping")
                    raise
        """),
        Valid("converted-to-another-error", """
            async def request(conn):
                try:
                    return await conn.read()
                except BaseException as exc:
                    raise ConnectionError("read failed") from exc
        """),
        Valid("own-task-cancelled", """
            import asyncio
            async def stop(task):
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        """),
        Valid("awaiting-a-held-task", """
            import asyncio
            class Service:
                async def wait_closed(self):
                    try:
                        await asyncio.wait_for(self._task, 5)
                    except asyncio.CancelledError:
                        pass
        """),
        Valid("suppress-after-cancel", """
            import asyncio
            from contextlib import suppress
            async def close(self):
                self._reader.cancel()
                with suppress(asyncio.CancelledError):
                    await self._reader
        """),
        Valid("no-await-in-try", """
            import asyncio
            async def main(fut):
                try:
                    fut.result()
                except asyncio.CancelledError:
                    pass
        """),
        Valid("exception-does-not-catch-cancellation", """
            async def main(conn):
                try:
                    await conn.read()
                except Exception:
                    pass
        """),
        Valid("sync-function", """
            def main(fut):
                try:
                    fut.result()
                except BaseException:
                    pass
        """),
        Valid("uncancel-checked", """
            import asyncio
            async def main(conn):
                try:
                    await conn.read()
                except asyncio.CancelledError:
                    if asyncio.current_task().cancelling():
                        return
        """),
        Valid("kept-to-raise-later", """
            import asyncio
            async def cleanup(exits):
                errors = []
                for ctx in exits:
                    try:
                        await ctx.__aexit__(None, None, None)
                    except (Exception, asyncio.CancelledError) as exc:
                        errors.append(exc)
                if errors:
                    raise errors[0]
        """),
        Valid("earlier-handler-re-raises", """
            import asyncio
            async def main(conn):
                try:
                    await conn.read()
                except asyncio.CancelledError:
                    raise
                except BaseException:
                    pass
        """),
        Valid("loop-ends-on-cancel", """
            import asyncio
            import logging
            async def heartbeat(conn):
                while True:
                    try:
                        await asyncio.sleep(30)
                        await conn.ping()
                    except asyncio.CancelledError:
                        logging.info("heartbeat stopped")
                        break
                conn.alive = False
        """),
        Valid("returns-on-cancel", """
            import asyncio
            async def reader(stream, sink):
                while True:
                    try:
                        sink.append(await stream.read())
                    except asyncio.CancelledError:
                        sink.close()
                        return
        """),
        Valid("falls-through-to-the-end", """
            import asyncio
            async def main(conn):
                try:
                    await conn.serve_forever()
                except asyncio.CancelledError:
                    pass
                finally:
                    await conn.close()
        """),
        Valid("trio-module", """
            import trio
            async def worker(channel):
                while True:
                    try:
                        await channel.receive()
                    except BaseException:
                        continue
        """),
        Valid("pytest-trio-marker", """
            import pytest

            @pytest.mark.trio
            async def test_worker(channel):
                try:
                    await channel.receive()
                except BaseException:
                    pass
                await channel.aclose()
        """),
        Valid(
            # A helper module of a trio project: trio's cancellation, not asyncio's.
            "trio-project",
            """
            async def worker(channel):
                while True:
                    try:
                        await channel.receive()
                    except BaseException:
                        continue
            """,
            files=(("pyproject.toml", """
                [project]
                name = "relay"
                version = "1.0"
                dependencies = ["trio"]
            """),),
        ),
    )
    invalid = (
        Invalid(
            "every-catching-form",
            """
            import asyncio
            from asyncio import CancelledError
            import contextlib

            async def worker(queue):
                while True:
                    try:
                        await queue.get()
                    except (ValueError, CancelledError):
                        break
                try:
                    await queue.join()
                except BaseException:
                    pass
                try:
                    async for item in queue:
                        pass
                except:
                    pass
                with contextlib.suppress(asyncio.CancelledError):
                    await queue.join()
                await queue.put(None)
            """,
            (
                (9, 9, "`except CancelledError` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
                (13, 5, "`except BaseException` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
                (18, 5, "a bare `except:` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
                (20, 10, "`suppress(CancelledError)` around an await swallows the task's cancellation: the task cannot be cancelled"),
            ),
        ),
        Invalid(
            # From Home Assistant's tests and uvicorn: after catching the cancellation the
            # coroutine sleeps, or waits for an event, before it ends: that is carrying on.
            # A handler of everything awaiting anything is flagged too: it was not written as
            # the cancellation's cleanup.
            "waits-before-it-ends",
            """
            import asyncio

            async def shielded():
                try:
                    await asyncio.sleep(2)
                except asyncio.CancelledError:
                    await asyncio.sleep(2)

            class Server:
                async def run_asgi(self):
                    try:
                        await self.app()
                    except BaseException:
                        await self.handshake_completed_event.close()
            """,
            (
                (6, 5, "`except CancelledError` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
                (13, 9, "`except BaseException` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
            ),
        ),
        Invalid(
            "carries-on-looping",
            """
            import asyncio
            import trio

            async def worker(queue):
                while True:
                    try:
                        job = await queue.get()
                    except asyncio.CancelledError:
                        print("ignoring")
                    else:
                        job.run()
            """,
            (
                (8, 9, "`except CancelledError` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
            ),
        ),
        Invalid(
            "returns-a-result",
            """
            import asyncio

            async def fetch(conn):
                try:
                    return await conn.read()
                except asyncio.CancelledError:
                    return b""
            """,
            (
                (6, 5, "`except CancelledError` around an await turns the task's cancellation into a result: re-raise `CancelledError` after cleaning up, so that its awaiters see it cancelled"),
            ),
        ),
        Invalid(
            "ends-inside-a-timeout",
            """
            import asyncio

            async def fetch(conn):
                async with asyncio.timeout(5):
                    try:
                        await conn.read()
                    except asyncio.CancelledError:
                        return
            """,
            (
                (7, 9, "`except CancelledError` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
            ),
        ),
        Invalid(
            "except-star",
            """
            import asyncio

            async def main(conn):
                try:
                    await conn.read()
                except* asyncio.CancelledError:
                    pass
                await conn.close()
            """,
            (
                (6, 5, "`except CancelledError` around an await swallows the task's cancellation and carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.catalogue = catalogue.misuse()
        self._cancels: dict[int, bool] = {}  # function node id -> whether it calls `.cancel()`
        self._asyncio: bool | None = None  # whether asyncio's semantics apply to the module

    def _asyncio_module(self) -> bool:
        """False in trio code: a module that imports trio and not asyncio, or one that imports
        neither in a project that declares trio. Its cancellation is trio's."""
        if self._asyncio is None:
            self._asyncio = library.asyncio_semantics(self.context)
        return self._asyncio

    def _is_cancel_scope(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.With) and any(
            isinstance(item.item, cst.Call) and self.model.qualified_name(item.item.func) in self.catalogue.cancel_scopes
            for item in node.items
        )

    def _in_cancel_scope(self, statement: cst.CSTNode) -> bool:
        scope = self.model.function_scope()
        path = _path_to(scope.node, statement) if scope is not None else None
        return path is None or any(self._is_cancel_scope(node) for node in path)

    def _ends_after(self, statement: cst.CSTNode, broke: bool) -> bool:
        """Whether the coroutine comes to its end, without suspending again and without returning a
        value, once `statement` is done (with `broke`: once the loop it breaks out of is done).
        Cleanup on the way out (`finally`, a `with` block's exit) does not count; a `TaskGroup` or
        `timeout()` block on the way out does, as it relies on the cancellation coming out."""
        scope = self.model.function_scope()
        if scope is None or not isinstance(scope.node, cst.FunctionDef):
            return False
        path = _path_to(scope.node, statement)
        if path is None:
            return False
        index = len(path) - 1
        if broke:
            index -= 1
            while index > 0 and not isinstance(path[index], _LOOPS):
                index -= 1
            if index <= 0:
                return False
        current = path[index]
        for parent in reversed(path[:index]):
            if isinstance(parent, _LOOPS) and current is parent.body:
                return False  # the loop goes round again
            if self._is_cancel_scope(parent):
                return False
            if isinstance(parent, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                following = list(parent.body)
                rest = following[following.index(current) + 1:] if current in following else []
                if awaits.suspends(rest) or awaits.any_node(rest, _returns_value):
                    return False
            if (
                isinstance(parent, cst.Try) and current is parent.body and parent.orelse is not None
                and (awaits.suspends(parent.orelse) or awaits.any_node(parent.orelse, _returns_value))
            ):
                return False
            current = parent
        return True

    def _denial(self, node: cst.Try | cst.TryStar, handler: cst.ExceptHandler | cst.ExceptStarHandler, what: str) -> str | None:
        """The message for a handler that denies the cancellation; None when the coroutine ends on
        it (`break` out of the loop, `return`, or falling through to the end of the function)."""
        denied = (
            f"{what} around an await swallows the task's cancellation and carries on: re-raise "
            "`CancelledError` after cleaning up, or the task cannot be cancelled"
        )
        found = awaits.nodes(handler.body)
        if any(isinstance(n, cst.Continue) for n in found):
            return denied
        if any(isinstance(n, _LOOPS) and awaits.suspends([n]) for n in found):
            return denied  # the handler itself goes on working
        # Awaited cleanup in a handler of the cancellation itself (a "stopped typing" notice,
        # closing a connection) is as a `finally` block's: the coroutine still ends on the
        # cancellation if nothing but its end follows (Telethon's `_ChatAction._update`). Not
        # so a handler that sleeps or waits for an event (that is carrying on, not cleaning
        # up), nor one of everything (`except BaseException`, a bare `except:`), which was not
        # written for the cancellation.
        suspended = [n for n in found if awaits.is_suspension(n)]
        if suspended and (what != "`except CancelledError`" or any(_waits(n) for n in suspended)):
            return denied
        if any(_returns_value(n) for n in found):
            if self._class_cancels_tasks():
                return None
            return (
                f"{what} around an await turns the task's cancellation into a result: re-raise "
                "`CancelledError` after cleaning up, so that its awaiters see it cancelled"
            )
        if any(isinstance(n, cst.Break) for n in found) and not self._ends_after(node, broke=True):
            return denied
        last = _last_statement(handler.body)
        if isinstance(last, cst.Break):
            return None
        if isinstance(last, cst.Return):
            return denied if self._in_cancel_scope(node) else None
        return None if self._ends_after(node, broke=False) else denied

    def _catches(self, expr: cst.BaseExpression | None) -> str | None:
        if expr is None:
            return "a bare `except:`"
        if isinstance(expr, cst.Tuple):
            for element in expr.elements:
                found = self._catches(element.value)
                if found is not None:
                    return found
            return None
        qualified = self.model.qualified_name(expr)
        if qualified in self.catalogue.cancelled:
            return "`except CancelledError`"
        if qualified in self.catalogue.broad:
            return "`except BaseException`"
        return None

    def _deliberate(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        bound = handler.name.name.value if handler.name is not None and isinstance(handler.name.name, cst.Name) else None

        def test(node: cst.CSTNode) -> bool:
            if isinstance(node, cst.Raise):
                return True
            if bound is not None and isinstance(node, cst.Name) and node.value == bound:
                return True  # the exception is kept or handed on (often raised later)
            return (
                isinstance(node, cst.Call)
                and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in _DELIBERATE_METHODS
            )

        return awaits.any_node(handler.body, test)

    def _awaits_held_future(self, body: cst.CSTNode) -> bool:
        """Whether the block awaits an object it holds (a task, a future) rather than a call."""

        def held(expr: cst.BaseExpression) -> bool:
            return not isinstance(expr, cst.Call)

        def test(node: cst.CSTNode) -> bool:
            if not isinstance(node, cst.Await):
                return False
            value = node.expression
            if held(value):
                return True
            if isinstance(value, cst.Call) and self.model.qualified_name(value.func) in _WAITERS:
                return any(held(arg.value) for arg in value.args)
            return False

        return awaits.any_node(body, test)

    def _cancels_something(self) -> bool:
        scope = self.model.function_scope()
        if scope is None:
            return False
        function = scope.node
        assert isinstance(function, (cst.FunctionDef, cst.Lambda))  # function_scope is a def's or a lambda's
        return self._calls_cancel(function)

    def _class_cancels_tasks(self) -> bool:
        """Whether the class of the method being walked cancels tasks itself (`task.cancel()`
        in any of its methods): it owns the tasks its methods run as, and a result on
        cancellation is what it asked for (aiokafka's fetcher: "the result is no longer of
        interest")."""
        scope = self.model.function_scope()
        parent = scope.parent if scope is not None else None
        if parent is None or parent.kind is not ScopeKind.CLASS or not isinstance(parent.node, cst.ClassDef):
            return False
        body = parent.node.body.body if isinstance(parent.node.body, cst.IndentedBlock) else ()
        return any(isinstance(method, cst.FunctionDef) and self._calls_cancel(method) for method in body)

    def _calls_cancel(self, node: cst.CSTNode) -> bool:
        key = id(node)
        if key not in self._cancels:
            self._cancels[key] = awaits.any_node(
                node.body if isinstance(node, (cst.FunctionDef, cst.Lambda)) else node,
                lambda found: isinstance(found, cst.Call)
                and isinstance(found.func, cst.Attribute)
                and found.func.attr.value == "cancel",
            )
        return self._cancels[key]

    def _expected(self, body: cst.CSTNode) -> bool:
        """The cancellation is that of a task this code awaits or cancelled itself."""
        return self._awaits_held_future(body) or self._cancels_something()

    def _check_handlers(self, node: cst.Try | cst.TryStar) -> None:
        if not self.model.in_coroutine or not awaits.suspends(node.body) or not self._asyncio_module():
            return
        for handler in node.handlers:
            what = self._catches(handler.type)
            if what is None:
                continue
            # The first handler that catches cancellation is the one that gets it.
            if not self._deliberate(handler) and not self._expected(node.body):
                message = self._denial(node, handler, what)
                if message is not None:
                    self.report(handler, message)
            return

    def visit_Try(self, node: cst.Try) -> None:
        self._check_handlers(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._check_handlers(node)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None or not self.model.in_coroutine:
            return
        for item in node.items:
            call = item.item
            if (
                isinstance(call, cst.Call)
                and self.model.qualified_name(call.func) in self.catalogue.suppress
                and any(self._catches(arg.value) for arg in call.args if arg.keyword is None)
                and awaits.suspends(node.body)
                and not self._expected(node.body)
                and self._asyncio_module()
                and not self._ends_after(node, broke=False)
            ):
                self.report(
                    call,
                    "`suppress(CancelledError)` around an await swallows the task's cancellation: "
                    "the task cannot be cancelled",
                )


def _decorator_names(node: cst.FunctionDef) -> list[str]:
    names = []
    for decorator in node.decorators:
        target = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        while isinstance(target, cst.Attribute):
            names.append(target.attr.value)
            target = target.value
        if isinstance(target, cst.Name):
            names.append(target.value)
    return names


# Decorators that turn an async generator into something that is meant to stay suspended inside
# its scope: a context manager, or a test fixture (set-up, yield, tear-down).
_SCOPE_SAFE_DECORATOR_SUFFIXES = ("contextmanager", "fixture")


class _YieldInBlock(Rule):
    """Shared walk: the `with` blocks around a `yield` of an async generator (one that is not a
    context manager or a fixture), and which of them are cancel scopes."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.catalogue = catalogue.misuse()
        # `with` blocks being walked: the node, its function, and whether it is a cancel scope
        self.open: list[tuple[cst.With, object, bool]] = []

    def _is_scope(self, node: cst.With) -> bool:
        return node.asynchronous is not None and any(
            isinstance(item.item, cst.Call) and self.model.qualified_name(item.item.func) in self.catalogue.cancel_scopes
            for item in node.items
        )

    def visit_With(self, node: cst.With) -> None:
        self.open.append((node, self.model.function_scope(), self._is_scope(node)))

    def leave_With(self, node: cst.With) -> None:
        if self.open and self.open[-1][0] is node:
            self.open.pop()

    def judge(self, node: cst.Yield, scopes: list[bool]) -> None:
        """`scopes`: for each block around the yield, whether it is a cancel scope."""
        raise NotImplementedError

    def visit_Yield(self, node: cst.Yield) -> None:
        scope = self.model.function_scope()
        if scope is None or scope.kind is not ScopeKind.FUNCTION or not scope.is_async:
            return
        scopes = [is_scope for _, owner, is_scope in self.open if owner is scope]
        if not scopes:
            return
        assert isinstance(scope.node, cst.FunctionDef)  # a function scope is a def's
        if any(name.endswith(_SCOPE_SAFE_DECORATOR_SUFFIXES) for name in _decorator_names(scope.node)):
            return
        self.judge(node, scopes)


class YieldInCancelScope(_YieldInBlock):
    """An async generator yields inside a `TaskGroup` or `asyncio.timeout()` block.

    ## What it does
    Flags `yield` in an async generator when it is inside `async with asyncio.TaskGroup()`,
    `asyncio.timeout()` or `asyncio.timeout_at()` of the same generator.

    Generators decorated as context managers (`@asynccontextmanager`) or test fixtures are not
    flagged: they are meant to stay suspended inside the block while their user runs.

    ## Why is this bad?
    While the generator is suspended at `yield`, its consumer's code runs in the same task. When
    the timeout expires or a child task of the group fails, the scope cancels the task, and the
    `CancelledError` lands in the consumer's code instead of the generator's block: the timeout
    is reported as a plain cancellation, the consumer may swallow it, and the group's error is
    lost (PEP 789 describes the problem).

    ## Example
    ```python
    async def rows(conn):
        async with asyncio.timeout(10):
            async for row in conn.cursor():
                yield row
    ```

    ## Use instead
    ```python
    async def rows(conn):
        async for row in conn.cursor():
            async with asyncio.timeout(10):
                ...  # only the awaits, not the yield
            yield row
    ```
    or collect the results inside the block and yield them after it.
    """

    code = "ASL510"
    requires = ("async", "yield")
    name = "yield-in-cancel-scope"
    message = "`yield` inside a TaskGroup or timeout block: cancellation is delivered to the consumer"

    valid = (
        Valid("yield-after-the-block", """
            import asyncio
            async def rows(conn):
                async with asyncio.timeout(10):
                    batch = await conn.fetch()
                for row in batch:
                    yield row
        """),
        Valid("context-manager", """
            import asyncio
            from contextlib import asynccontextmanager
            @asynccontextmanager
            async def group():
                async with asyncio.TaskGroup() as tg:
                    yield tg
        """),
        Valid("nested-generator-function", """
            import asyncio
            async def main():
                async with asyncio.timeout(1):
                    def numbers():
                        yield 1
                    await consume(numbers())
        """),
    )
    invalid = (
        Invalid(
            "yield-in-timeout-and-group",
            """
            import asyncio
            from asyncio import TaskGroup

            async def rows(conn):
                async with asyncio.timeout(10):
                    yield await conn.fetch()
                async with TaskGroup() as tg:
                    tg.create_task(conn.ping())
                    x = yield 1
            """,
            (
                (6, 9, "`yield` inside a TaskGroup or timeout block: cancellation is delivered to the consumer"),
                (9, 13, "`yield` inside a TaskGroup or timeout block: cancellation is delivered to the consumer"),
            ),
        ),
    )

    def judge(self, node: cst.Yield, scopes: list[bool]) -> None:
        if any(scopes):
            self.report(node)


class YieldInContextManager(_YieldInBlock):
    """An async generator yields inside a `with` or `async with` block (opt-in).

    ## What it does
    Flags `yield` in an async generator when it is inside a `with` or `async with` block of the
    same generator. Generators decorated as context managers (`@asynccontextmanager`) or test
    fixtures are not flagged, and neither are blocks of `TaskGroup` and `asyncio.timeout()`,
    which ASL510 reports.

    ## Why is this bad?
    The block is left when the generator is resumed past it, or when the generator is closed.
    A consumer that stops early (`break`, an exception, a `return` out of the `async for`)
    does not close it: the `__exit__` or `__aexit__` waits until the generator is garbage
    collected or the event loop shuts down (`shutdown_asyncgens`), and then runs in another task
    or not at all, so the file, connection or lock stays held in the meantime (PEP 533). The
    consumer can close it on time with `contextlib.aclosing()`; the generator can hold no block
    across its `yield`. flake8-async reports the `async with` case as ASYNC119.

    The rule is opt-in because many generators are run to the end, or closed on time by their
    consumer (`aclosing()`, `aclose()`), or hold a block that costs nothing to keep open, none
    of which the rule can see from the generator. On the 24 projects of the ecosystem set it
    reported 38 yields, and 25 of them are judged false: 11 in blocks that only translate
    exceptions (httpx's `request_context()`), 9 in generators whose consumer calls `aclose()`,
    and 5 in FastAPI dependencies, which FastAPI runs as context managers.

    ## Example
    ```python
    async def lines(path):
        async with aiofiles.open(path) as f:
            async for line in f:
                yield line
    ```

    ## Use instead
    ```python
    async def lines(path):
        async with aiofiles.open(path) as f:
            content = await f.read()
        for line in content.splitlines():
            yield line
    ```
    or have the consumer write `async with contextlib.aclosing(lines(path)) as stream:`.

    ## Fix safety
    No fix is offered: the generator must be restructured.
    """

    code = "ASL522"
    requires = ("async", "yield", "with")
    name = "yield-in-context-manager"
    message = (
        "`yield` inside a `with` block of an async generator: if the consumer stops early, the "
        "block is left only when the generator is garbage collected"
    )
    opt_in = True

    valid = (
        Valid("yield-after-the-block", """
            async def lines(path):
                async with aiofiles.open(path) as f:
                    content = await f.read()
                for line in content.splitlines():
                    yield line
        """),
        Valid("context-manager-and-fixture", """
            import contextlib
            import pytest

            @contextlib.asynccontextmanager
            async def connection(pool):
                async with pool.acquire() as conn:
                    yield conn

            @pytest.fixture
            async def client(app):
                with app.test_client() as c:
                    yield c
        """),
        Valid("cancel-scope-left-to-asl510", """
            import asyncio
            async def rows(conn):
                async with asyncio.timeout(10):
                    yield await conn.fetch()
        """),
    )
    invalid = (
        Invalid(
            "yield-in-blocks",
            """
            import threading

            async def lines(path):
                async with aiofiles.open(path) as f:
                    async for line in f:
                        yield line

            async def guarded(lock: threading.Lock, items):
                with lock:
                    for item in items:
                        x = yield item
            """,
            (
                (6, 13, "`yield` inside a `with` block of an async generator: if the consumer stops early, the block is left only when the generator is garbage collected"),
                (11, 17, "`yield` inside a `with` block of an async generator: if the consumer stops early, the block is left only when the generator is garbage collected"),
            ),
        ),
    )

    def judge(self, node: cst.Yield, scopes: list[bool]) -> None:
        if not any(scopes):
            self.report(node)


class TimeoutWithoutAwait(Rule):
    """An `asyncio.timeout()` block has nothing to time out.

    ## What it does
    Flags `async with asyncio.timeout(...)` (and `timeout_at`, and `async_timeout`'s) whose block
    has no `await`, `async for` or `async with` (code in nested functions does not count).

    ## Why is this bad?
    A timeout works by cancelling the task at its next `await`. A block that never awaits runs to
    the end without giving the event loop a chance to fire the timeout, so the limit is never
    enforced: the work it was meant to bound is elsewhere, usually a missing `await` or a call
    that blocks.

    ## Example
    ```python
    async def fetch(session, url):
        async with asyncio.timeout(5):
            response = session.get(url)
        return await response.json()
    ```

    ## Use instead
    ```python
    async def fetch(session, url):
        async with asyncio.timeout(5):
            response = await session.get(url)
            return await response.json()
    ```
    """

    code = "ASL511"
    requires = ("async",)
    name = "timeout-without-await"
    message = "timeout block with no await: the timeout can never fire"

    valid = (
        Valid("awaits-inside", """
            import asyncio
            async def fetch(conn):
                async with asyncio.timeout(5):
                    return await conn.read()
        """),
        Valid("later-item-awaits", """
            import asyncio
            async def fetch(session):
                async with asyncio.timeout(5), session.get("/"):
                    pass
        """),
        Valid("async-for-inside", """
            import asyncio
            async def fetch(conn):
                async with asyncio.timeout(5):
                    async for chunk in conn:
                        print(chunk)
        """),
    )
    invalid = (
        Invalid(
            "no-await",
            """
            import asyncio
            import async_timeout

            async def fetch(conn):
                async with asyncio.timeout(5):
                    data = conn.read()
                async with async_timeout.timeout(5) as cm:
                    async def later():
                        await conn.read()
                return data, later
            """,
            (
                (5, 16, "timeout block with no await: the timeout can never fire"),
                (7, 16, "timeout block with no await: the timeout can never fire"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.catalogue = catalogue.misuse()

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is None:
            return
        # Items after the timeout are entered (awaited) inside it, so only the last item counts.
        call = node.items[-1].item
        if (
            isinstance(call, cst.Call)
            and self.model.qualified_name(call.func) in self.catalogue.timeouts
            and not awaits.suspends(node.body)
        ):
            self.report(call)


class UnshieldedAwaitInCleanup(Rule):
    """An unshielded `await` in a `finally` block, or in an `except` block that raises (opt-in).

    ## What it does
    Flags, inside an `async def`, an `await` in a `finally:` block, or in an `except` (or
    `except*`) handler that raises after it (a bare `raise`, or another exception), unless it awaits
    `asyncio.shield(...)` or stands in a shielded cancel scope (`anyio.CancelScope(shield=True)`,
    `trio.CancelScope(shield=True)`, their `move_on_after`/`fail_after` with `shield=True`).
    Code in nested functions is not in the block.

    ## Why is this bad?
    Every `await` is a point where a cancellation can arrive: the task group cancelling its
    tasks because one failed, a timeout expiring, `task.cancel()` at shutdown. Arriving in a
    `finally` block, it stops the clean-up half way: the connection is not returned, the lock
    file not removed. Arriving in an `except` block that meant to re-raise, it replaces the
    exception being handled with `CancelledError`, and the error the handler was about is only
    a `__context__` in the report. flake8-async reports these as ASYNC102 and ASYNC120.

    The rule is opt-in because asyncio delivers a cancellation once: an `await` in clean-up is
    cut short only when a second cancellation (or another source's) arrives while it runs,
    which most code can accept. Shielding every clean-up has costs of its own (a shielded
    await can hang a shutdown), so the rule is for code whose clean-up must complete. On the 24
    projects of the ecosystem set it reported 875 awaits (648 in `finally` blocks, 227 in
    handlers; 463 in tests). Of a random sample of 50 read, 3 were false, all awaits in a handler
    whose `raise` came before them (no longer reported: the raise must follow the await); the
    other 47 are clean-up that a cancellation arriving during the await would cut short, most of
    it test teardown where that rarely matters.

    ## Example
    ```python
    async def transfer(pool, job):
        conn = await pool.acquire()
        try:
            await job.run(conn)
        finally:
            await pool.release(conn)
    ```

    ## Use instead
    ```python
    async def transfer(pool, job):
        conn = await pool.acquire()
        try:
            await job.run(conn)
        finally:
            await asyncio.shield(pool.release(conn))
    ```

    ## Fix safety
    No fix is offered: whether the clean-up should outlive a cancellation (and how long it may
    take) is the author's decision.
    """

    code = "ASL521"
    requires = ("async", "await")
    name = "unshielded-await-in-cleanup"
    message = "`await` in a `finally` block, unshielded: a cancellation arriving here cuts the clean-up short"
    opt_in = True

    valid = (
        Valid("shielded", """
            import asyncio
            import anyio
            async def transfer(pool, job):
                conn = await pool.acquire()
                try:
                    await job.run(conn)
                except OSError:
                    with anyio.CancelScope(shield=True):
                        await pool.discard(conn)
                    raise
                finally:
                    await asyncio.shield(pool.release(conn))
        """),
        Valid("handler-that-does-not-raise-after", """
            async def fetch(client, url, retry):
                try:
                    return await client.get(url)
                except OSError:
                    if not retry:
                        raise
                    await client.reconnect()
                    return None
        """),
        Valid("nested-function", """
            def run(job, loop):
                try:
                    job()
                finally:
                    async def report():
                        await loop.notify()
                    loop.create_task(report())
        """),
    )
    invalid = (
        Invalid(
            "clean-up-awaits",
            """
            import trio

            async def transfer(pool, job, log):
                conn = await pool.acquire()
                try:
                    await job.run(conn)
                except* OSError:
                    await log.error("transfer failed")
                    raise
                finally:
                    with trio.CancelScope(shield=False):
                        await pool.release(conn)
            """,
            (
                (8, 9, "`await` in an `except` block that raises, unshielded: a cancellation arriving here replaces the exception being handled"),
                (12, 13, "`await` in a `finally` block, unshielded: a cancellation arriving here cuts the clean-up short"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.catalogue = catalogue.misuse()
        # Clean-up blocks being walked: the node, its function, and for a `finally` block the
        # message (an `except` block's awaits wait in `pending` for a `raise` after them).
        self.blocks: list[tuple[cst.CSTNode, object, str | None]] = []
        self.pending: dict[int, list[cst.Await]] = {}  # handler id -> its awaits not yet followed by a raise
        self.shields: list[tuple[cst.With, object]] = []  # shielded scopes being walked, with their function

    def _handler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        self.blocks.append((node, self.model.function_scope(), None))
        self.pending[id(node)] = []

    def _leave(self, node: cst.CSTNode) -> None:
        if self.blocks and self.blocks[-1][0] is node:
            self.blocks.pop()
            self.pending.pop(id(node), None)

    def visit_Raise(self, node: cst.Raise) -> None:
        # The awaits before it, in the innermost handler of this function: cancelled there, the
        # handler never gets to raise what it meant to.
        scope = self.model.function_scope()
        handlers = [block for block, owner, message in self.blocks if owner is scope and message is None]
        if not handlers:
            return
        for found in self.pending.get(id(handlers[-1]), []):
            self.report(
                found,
                "`await` in an `except` block that raises, unshielded: a cancellation arriving here "
                "replaces the exception being handled",
            )
        self.pending[id(handlers[-1])] = []

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._handler(node)

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._leave(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._handler(node)

    def leave_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._leave(node)

    def visit_Finally(self, node: cst.Finally) -> None:
        self.blocks.append((node, self.model.function_scope(), self.message))

    def leave_Finally(self, node: cst.Finally) -> None:
        self._leave(node)

    def _shielding(self, item: cst.WithItem) -> bool:
        call = item.item
        return (
            isinstance(call, cst.Call) and self.model.qualified_name(call.func) in self.catalogue.shielding_scopes
            and any(
                arg.keyword is not None and arg.keyword.value == "shield"
                and isinstance(arg.value, cst.Name) and arg.value.value == "True"
                for arg in call.args
            )
        )

    def visit_With(self, node: cst.With) -> None:
        if any(self._shielding(item) for item in node.items):
            self.shields.append((node, self.model.function_scope()))

    def leave_With(self, node: cst.With) -> None:
        if self.shields and self.shields[-1][0] is node:
            self.shields.pop()

    def visit_Await(self, node: cst.Await) -> None:
        if not self.blocks or not self.model.in_coroutine:
            return
        scope = self.model.function_scope()
        inner = [(block, message) for block, owner, message in self.blocks if owner is scope]
        if not inner or any(owner is scope for _, owner in self.shields):
            return
        value = node.expression
        if isinstance(value, cst.Call) and self.model.qualified_name(value.func) in self.catalogue.shield:
            return
        block, message = inner[-1]
        if message is None:
            self.pending[id(block)].append(node)
        else:
            self.report(node, message)
