"""ASL105, ASL106: async work handed to something that never awaits it."""

from __future__ import annotations

import libcst as cst

from asynclint.checks.shared.awaitables import CoroutineCalls, callee_text
from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.spawns import TaskSpawns


def _callable_argument(call: cst.Call, where: tuple[int, str]) -> cst.BaseExpression | None:
    """The argument at `where` ((position, keyword)); None when stars make it unknowable."""
    position, keyword = where
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = []
    for arg in call.args:
        if arg.keyword is not None:
            continue
        if arg.star:
            return None  # `*args` before it: the position is unknown
        positional.append(arg.value)
    return positional[position] if position < len(positional) else None


class AsyncFunctionAsSyncCallback(Rule):
    """An async function is handed to an API that calls it synchronously.

    ## What it does
    Flags an `async def` function (resolved as for ASL101) passed to an API that calls its
    argument as a plain function: `asyncio.to_thread`, `threading.Thread(target=...)`,
    `threading.Timer`, `atexit.register`, `signal.signal`, an event loop's `run_in_executor`,
    `call_soon`, `call_soon_threadsafe`, `call_later`, `call_at`, `add_signal_handler`,
    `add_reader`/`add_writer`, and a future's `add_done_callback` (the list is data:
    `sync-callbacks` in rules/coroutines.toml). `functools.partial(f, ...)` and `lambda: f()` are
    seen through.

    ## Why is this bad?
    The API calls the function, which only creates a coroutine object; nothing awaits it, so the
    body never runs (and `to_thread`/`run_in_executor` hand the unawaited coroutine back as the
    "result"). Python warns "coroutine ... was never awaited" at best.

    ## Example
    ```python
    async def on_done(task): ...

    def start(task):
        task.add_done_callback(on_done)
    ```

    ## Use instead
    ```python
    def on_done(task):
        asyncio.create_task(report(task))

    def start(task):
        task.add_done_callback(on_done)
    ```

    ## Fix safety
    There is no fix: the callback has to be made sync, or the work scheduled with
    `create_task`/`run_coroutine_threadsafe`.
    """

    code = "ASL105"
    name = "async-function-as-sync-callback"
    message = "async function passed to an API that calls it without awaiting"

    valid = (
        Valid("sync-callbacks", """
            import asyncio, threading
            def work(): ...
            async def main(loop, task):
                await asyncio.to_thread(work)
                loop.call_soon(work)
                task.add_done_callback(lambda t: work())
                threading.Thread(target=work).start()
        """),
        Valid("scheduling-the-coroutine", """
            import asyncio
            async def work(): ...
            def start(loop):
                loop.call_soon(lambda: asyncio.ensure_future(work()))
                loop.call_soon_threadsafe(asyncio.create_task, work())
        """),
        Valid("unknown-receiver", """
            async def work(): ...
            def start(scheduler):
                scheduler.call_soon(work)
        """),
    )
    invalid = (
        Invalid(
            "async-functions-as-callbacks",
            """
            import asyncio
            import atexit
            import functools
            import signal
            import threading

            async def work(delay=0): ...

            class Service:
                async def on_done(self, task): ...

                async def start(self, task):
                    loop = asyncio.get_running_loop()
                    await asyncio.to_thread(work)
                    await loop.run_in_executor(None, functools.partial(work, 1))
                    loop.call_later(5, work)
                    loop.call_soon(lambda: work())
                    task.add_done_callback(self.on_done)
                    threading.Thread(target=work, daemon=True).start()
                    atexit.register(work)
                    signal.signal(signal.SIGTERM, work)
            """,
            (
                (14, 33, "`work` is an async function, and `asyncio.to_thread()` calls it without awaiting: its body never runs"),
                (15, 60, "`work` is an async function, and `loop.run_in_executor()` calls it without awaiting: its body never runs"),
                (16, 28, "`work` is an async function, and `loop.call_later()` calls it without awaiting: its body never runs"),
                (17, 32, "this lambda returns the coroutine of `work()`, and `loop.call_soon()` calls it without awaiting: the coroutine never runs"),
                (18, 32, "`self.on_done` is an async function, and `task.add_done_callback()` calls it without awaiting: its body never runs"),
                (19, 33, "`work` is an async function, and `threading.Thread()` calls it without awaiting: its body never runs"),
                (20, 25, "`work` is an async function, and `atexit.register()` calls it without awaiting: its body never runs"),
                (21, 39, "`work` is an async function, and `signal.signal()` calls it without awaiting: its body never runs"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.service(CoroutineCalls)
        known = catalogue.coroutines()
        self.functions = known.callback_functions
        self.loop_methods = known.callback_loop_methods
        self.methods = known.callback_methods

    def _where(self, call: cst.Call) -> tuple[int, str] | None:
        func = call.func
        where = self.functions.get(self.model.qualified_name(func) or "")
        if where is None and isinstance(func, cst.Attribute):
            name = func.attr.value
            where = self.methods.get(name)
            if where is None and name in self.loop_methods and self.calls.spawns.is_loop(func.value):
                where = self.loop_methods[name]
        return where

    def visit_Call(self, node: cst.Call) -> None:
        where = self._where(node)
        if where is None:
            return
        arg = _callable_argument(node, where)
        if isinstance(arg, cst.Call) and self.model.qualified_name(arg.func) == "functools.partial" and arg.args:
            arg = arg.args[0].value if arg.args[0].keyword is None and not arg.args[0].star else None
        api = callee_text(self.context, node)
        if isinstance(arg, cst.Lambda):
            if isinstance(arg.body, cst.Call):
                self.calls.report(
                    self, arg.body,
                    f"this lambda returns the coroutine of `{{callee}}()`, and `{api}()` calls it "
                    f"without awaiting: the coroutine never runs{{how}}",
                    fixable=False,
                )
            return
        if not isinstance(arg, (cst.Name, cst.Attribute)):
            return
        found = self.calls.classify_function(arg)
        if found is not None:
            self.calls.report(
                self, arg,
                f"`{{callee}}` is an async function, and `{api}()` calls it without awaiting: "
                f"its body never runs{{how}}",
                found=found, fixable=False,
            )


class DroppedFuture(Rule):
    """A future from `asyncio.gather()` or `loop.run_in_executor()` is dropped.

    ## What it does
    Flags a statement that is only a call to a library function or event loop method that
    schedules work and returns a future for its outcome: `asyncio.gather(...)`,
    `asyncio.shield(...)`, `loop.run_in_executor(...)` (see `future-functions` and
    `loop-future-methods` in the catalogue, rules/coroutines.toml).

    ## Why is this bad?
    The work does run, but nobody waits for it or looks at its outcome: the code after the
    statement runs before it finishes, its result is lost, and an exception it raises is only
    logged as "exception was never retrieved" when the future is collected, if at all. An `await`
    was almost always meant.

    ## Example
    ```python
    async def refresh(devices):
        asyncio.gather(*(device.update() for device in devices))
    ```

    ## Use instead
    ```python
    async def refresh(devices):
        await asyncio.gather(*(device.update() for device in devices))
    ```

    ## Fix safety
    Inside an `async def`, the fix inserts `await`. It is unsafe: the function then waits for the
    work to finish and raises its exceptions, which changes when the following code runs.
    """

    code = "ASL106"
    name = "dropped-future"
    message = "future dropped: its result and exceptions are lost"
    fix = Applicability.UNSAFE

    valid = (
        Valid("awaited-or-kept", """
            import asyncio
            async def main(loop, jobs, blocking):
                await asyncio.gather(*jobs)
                future = loop.run_in_executor(None, blocking)
                jobs.append(asyncio.shield(future))
        """),
        Valid("unknown-receiver", """
            async def main(pool, blocking):
                pool.run_in_executor(None, blocking)
        """),
    )
    invalid = (
        Invalid(
            "dropped",
            """
            import asyncio

            async def main(jobs, blocking):
                asyncio.gather(*jobs)
                asyncio.get_running_loop().run_in_executor(None, blocking)

            def start(loop: asyncio.AbstractEventLoop, jobs):
                asyncio.gather(*jobs)
            """,
            (
                (4, 5, "`asyncio.gather()` returns a future that is dropped: nothing waits for the work, and its result and exceptions are lost"),
                (5, 5, "`asyncio.get_running_loop().run_in_exe...()` returns a future that is dropped: nothing waits for the work, and its result and exceptions are lost"),
                (8, 5, "`asyncio.gather()` returns a future that is dropped: nothing waits for the work, and its result and exceptions are lost"),
            ),
            fixed="""
            import asyncio

            async def main(jobs, blocking):
                await asyncio.gather(*jobs)
                await asyncio.get_running_loop().run_in_executor(None, blocking)

            def start(loop: asyncio.AbstractEventLoop, jobs):
                asyncio.gather(*jobs)
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        known = catalogue.coroutines()
        self.functions = known.future_functions
        self.loop_methods = known.loop_future_methods
        self.spawns: TaskSpawns = context.spawns

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        func = call.func
        if self.model.qualified_name(func) not in self.functions and not (
            isinstance(func, cst.Attribute)
            and func.attr.value in self.loop_methods
            and self.spawns.is_loop(func.value)
        ):
            return
        fix = None
        if self.model.in_coroutine:
            fix = Fix(Applicability.UNSAFE, "await the future", (Edit(call, cst.Await(expression=call)),))
        self.report(
            call,
            f"`{callee_text(self.context, call)}()` returns a future that is dropped: nothing waits "
            f"for the work, and its result and exceptions are lost",
            fix,
        )
