"""ASL303, ASL304: running tasks together the way that loses their outcome.

ASL303: leaving a TaskGroup block early, which waits for the group's tasks anyway. ASL304:
`gather(..., return_exceptions=True)` whose results, and so its exceptions, are thrown away.
Which calls make a task group or gather is data (`[groups]`, `[gather]` in rules/tasks.toml).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asynclint.engine.semantic import Scope
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid


@dataclass
class _Group:
    node: cst.With
    scope: Scope | None  # the function whose code the block is
    name: str  # the name the group is bound to (`as tg`)
    loops: int  # how many loops of that function enclose the block
    used: bool = False  # whether the block has used the group by now (spawned a task, say)


class ControlFlowInTaskGroup(Rule):
    """`return`, `break` or `continue` leaves a `TaskGroup` block after tasks were started in it.

    ## What it does
    Flags `return`, and `break` or `continue` of a loop around the block, inside `async with
    asyncio.TaskGroup() as tg:` once the block has used `tg` (created a task, say) earlier in its
    code. A `break` or `continue` of a loop inside the block stays in the block and is not
    flagged, nor is code in a nested function, nor an early `return` before the group is used
    (there is nothing to wait for). `asyncio.timeout()` blocks are not flagged: leaving them takes
    effect at once.

    ## Why is this bad?
    Leaving a TaskGroup block does not leave it at once: `__aexit__` waits for every task of the
    group to finish, so the `return` (or `break`) takes effect only then, which reads as if the
    function returned while its tasks run on. If one of the tasks fails, the return value is lost
    and an `ExceptionGroup` is raised instead. When the intent is to stop the other work, the
    tasks must be cancelled; when it is to wait for them, saying so after the block is clearer.

    ## Example
    ```python
    async def first_answer(servers):
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(ask(server)) for server in servers]
            return await next(asyncio.as_completed(tasks))  # waits for every server anyway
    ```

    ## Use instead
    ```python
    async def first_answer(servers):
        tasks = [asyncio.create_task(ask(server)) for server in servers]
        try:
            return await next(asyncio.as_completed(tasks))
        finally:
            for task in tasks:
                task.cancel()
    ```
    or keep the group and put the `return` after the block.

    ## Fix safety
    No fix is offered: whether the other tasks should be awaited or cancelled is the author's
    decision.
    """

    code = "ASL303"
    requires = ("async", "TaskGroup")
    name = "control-flow-in-task-group"
    message = "`return` inside a TaskGroup block: it takes effect only once every task of the group is done"

    valid = (
        Valid("return-after-the-block", """
            import asyncio
            async def fetch_all(urls):
                async with asyncio.TaskGroup() as tg:
                    tasks = [tg.create_task(fetch(url)) for url in urls]
                return [task.result() for task in tasks]
        """),
        Valid("loop-inside-the-block", """
            import asyncio
            async def spawn(jobs):
                async with asyncio.TaskGroup() as tg:
                    for job in jobs:
                        if job is None:
                            break
                        if job.skip:
                            continue
                        tg.create_task(job.run())
        """),
        Valid("return-before-the-group-is-used", """
            import asyncio
            async def spawn(jobs):
                async with asyncio.TaskGroup() as tg:
                    if not jobs:
                        return
                    for job in jobs:
                        tg.create_task(job.run())
        """),
        Valid("nested-function", """
            import asyncio
            async def spawn(jobs):
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(jobs[0].run())
                    def pick(job):
                        return job.ready
                    tg.create_task(jobs[1].run())
        """),
        Valid("timeout-block", """
            import asyncio
            async def read(conn):
                async with asyncio.timeout(5):
                    return await conn.read()
        """),
        Valid("not-asyncio", """
            from mylib import TaskGroup
            async def spawn(job):
                async with TaskGroup() as tg:
                    tg.start(job)
                    return
        """),
    )
    invalid = (
        Invalid(
            "return-break-continue",
            """
            import asyncio
            from asyncio import TaskGroup

            async def first(servers):
                async with asyncio.TaskGroup() as tg:
                    tasks = [tg.create_task(ask(s)) for s in servers]
                    return await next(asyncio.as_completed(tasks))

            async def poll(batches):
                for batch in batches:
                    async with TaskGroup() as group:
                        group.create_task(batch.send())
                        if batch.last:
                            break
                        while batch.pending:
                            continue
                        continue
            """,
            (
                (7, 9, "`return` inside a TaskGroup block: it takes effect only once every task of `tg` is done (and is lost if one of them fails)"),
                (14, 17, "`break` inside a TaskGroup block: it takes effect only once every task of `group` is done (and is lost if one of them fails)"),
                (17, 13, "`continue` inside a TaskGroup block: it takes effect only once every task of `group` is done (and is lost if one of them fails)"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.groups = catalogue.tasks().task_groups
        self.open: list[_Group] = []
        self.loops: list[tuple[cst.CSTNode, Scope | None]] = []  # loops being walked, with their function

    def _loops_in(self, scope: Scope | None) -> int:
        return sum(1 for _, owner in self.loops if owner is scope)

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is None:
            return
        for item in node.items:
            call = item.item
            if not isinstance(call, cst.Call) or self.model.qualified_name(call.func) not in self.groups:
                continue
            target = item.asname.name if item.asname is not None else None
            if isinstance(target, cst.Name):
                scope = self.model.function_scope()
                self.open.append(_Group(node, scope, target.value, self._loops_in(scope)))
                return

    def leave_With(self, node: cst.With) -> None:
        while self.open and self.open[-1].node is node:
            self.open.pop()

    def visit_For(self, node: cst.For) -> None:
        self.loops.append((node, self.model.function_scope()))

    def leave_For(self, node: cst.For) -> None:
        self.loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self.loops.append((node, self.model.function_scope()))

    def leave_While(self, node: cst.While) -> None:
        self.loops.pop()

    def visit_Name(self, node: cst.Name) -> None:
        for group in self.open:
            # The `as tg` target itself is not a use; a use in a nested function is one (it may run).
            if not group.used and node.value == group.name and node is not _as_name(group.node, group.name):
                group.used = True

    def _leaving(self, node: cst.CSTNode, what: str, loop_level: bool) -> None:
        scope = self.model.function_scope()
        loops = self._loops_in(scope)
        for group in reversed(self.open):
            if group.scope is not scope:
                continue
            if loop_level and loops > group.loops:
                return  # the loop is inside this block (and inside any block further out)
            if group.used:
                self.report(
                    node,
                    f"`{what}` inside a TaskGroup block: it takes effect only once every task of "
                    f"`{group.name}` is done (and is lost if one of them fails)",
                )
                return

    def visit_Return(self, node: cst.Return) -> None:
        self._leaving(node, "return", loop_level=False)

    def visit_Break(self, node: cst.Break) -> None:
        self._leaving(node, "break", loop_level=True)

    def visit_Continue(self, node: cst.Continue) -> None:
        self._leaving(node, "continue", loop_level=True)


def _as_name(node: cst.With, name: str) -> cst.CSTNode | None:
    for item in node.items:
        if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name.value == name:
            return item.asname.name
    return None


_ASYNCIO_SPAWNS = frozenset({"asyncio.create_task", "asyncio.ensure_future", "asyncio.tasks.create_task", "asyncio.tasks.ensure_future"})


_SLEEPS = frozenset({"asyncio.sleep", "asyncio.tasks.sleep"})


def _callee_name(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


class DiscardedGatherExceptions(Rule):
    """`await asyncio.gather(..., return_exceptions=True)` throws its results away.

    ## What it does
    Flags `await asyncio.gather(..., return_exceptions=True)` as a statement (or assigned to
    `_`) when it starts the work itself: every awaitable it is given is a call
    (`gather(fetch(a), fetch(b), ...)`, `gather(*(send(u) for u in users), ...)`).

    Left alone, because ignoring the errors is the point there:
    - gathering tasks or futures that already exist (`gather(*tasks, return_exceptions=True)`),
      the usual way to wait for cancelled or finished tasks, whose errors are reported elsewhere;
    - clean-up: calls whose name says so (`aclose()`, `stop()`, `disconnect()`, `cancel()`...; the
      words are `cleanup-words` in rules/tasks.toml), and gathers inside `except` or `finally`
      blocks or in functions so named (`close`, `__aexit__`, `shutdown`...);
    - `asyncio.sleep()` calls, which fail only by cancellation (and that, gather raises).

    ## Why is this bad?
    With `return_exceptions=True`, `gather` does not raise: each exception becomes the result at
    its position, next to the other results. Throwing the list away throws the exceptions away
    with it: a failed call is not logged, not raised, not retried, and nothing shows it
    happened. Without `return_exceptions`, the first exception is raised to the caller; with it,
    somebody must look at the results.

    ## Example
    ```python
    async def notify_all(users):
        await asyncio.gather(*(send(user) for user in users), return_exceptions=True)
    ```

    ## Use instead
    ```python
    async def notify_all(users):
        results = await asyncio.gather(*(send(user) for user in users), return_exceptions=True)
        for user, result in zip(users, results):
            if isinstance(result, Exception):
                log.warning("could not notify %s", user, exc_info=result)
    ```

    ## Fix safety
    No fix is offered: whether failures should be logged, raised or retried is the author's
    decision.
    """

    code = "ASL304"
    requires = ("async", "return_exceptions")
    name = "discarded-gather-exceptions"
    message = (
        "`gather(..., return_exceptions=True)` whose results are thrown away: the exceptions it "
        "returns as results vanish with them"
    )

    valid = (
        Valid("results-checked", """
            import asyncio
            async def notify_all(users):
                results = await asyncio.gather(*(send(u) for u in users), return_exceptions=True)
                return [r for r in results if isinstance(r, Exception)]
        """),
        Valid("existing-tasks-drained", """
            import asyncio
            async def stop(self):
                for task in self.tasks:
                    task.cancel()
                await asyncio.gather(*self.tasks, return_exceptions=True)

            async def wait_both(first, second):
                await asyncio.gather(first, second, return_exceptions=True)
        """),
        Valid("clean-up", """
            import asyncio
            async def run(clients, job):
                try:
                    await job()
                finally:
                    await asyncio.gather(*(c.flush_logs() for c in clients), return_exceptions=True)
                await asyncio.gather(*(asyncio.create_task(c.aclose()) for c in clients), return_exceptions=True)

            class Pool:
                async def __aexit__(self, *exc):
                    await asyncio.gather(*(c.ping() for c in self.conns), return_exceptions=True)
        """),
        Valid("only-sleeps", """
            import asyncio
            async def tick():
                await asyncio.gather(asyncio.sleep(0.05), return_exceptions=True)
        """),
        Valid("exceptions-raised", """
            import asyncio
            async def refresh(cache):
                await asyncio.gather(cache.load("a"), cache.load("b"))
        """),
    )
    invalid = (
        Invalid(
            "results-thrown-away",
            """
            import asyncio
            from asyncio import gather

            async def notify_all(users, send):
                await asyncio.gather(*(send(user) for user in users), return_exceptions=True)

            async def refresh(cache):
                _ = await gather(cache.load("a"), cache.load("b"), return_exceptions=True)
            """,
            (
                (5, 11, "`gather(..., return_exceptions=True)` whose results are thrown away: the exceptions it returns as results vanish with them"),
                (8, 15, "`gather(..., return_exceptions=True)` whose results are thrown away: the exceptions it returns as results vanish with them"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        known = catalogue.tasks()
        self.gather = known.gather
        self.cleanup_words = known.cleanup_words
        self.cleanup_blocks: list[Scope | None] = []  # except/finally blocks being walked, by function

    def _cleanup_name(self, name: str) -> bool:
        name = name.lower()
        return any(word in name for word in self.cleanup_words)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.cleanup_blocks.append(self.model.function_scope())

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self.cleanup_blocks.pop()

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.cleanup_blocks.append(self.model.function_scope())

    def leave_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.cleanup_blocks.pop()

    def visit_Finally(self, node: cst.Finally) -> None:
        self.cleanup_blocks.append(self.model.function_scope())

    def leave_Finally(self, node: cst.Finally) -> None:
        self.cleanup_blocks.pop()

    def visit_Expr(self, node: cst.Expr) -> None:
        self._check(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and node.targets[0].target.value == "_":
            self._check(node.value)

    def _check(self, value: cst.BaseExpression) -> None:
        if not isinstance(value, cst.Await) or not isinstance(value.expression, cst.Call):
            return
        call = value.expression
        if self.model.qualified_name(call.func) not in self.gather:
            return
        if not any(
            arg.keyword is not None and arg.keyword.value == "return_exceptions"
            and isinstance(arg.value, cst.Name) and arg.value.value == "True"
            for arg in call.args
        ):
            return
        scope = self.model.function_scope()
        if any(owner is scope for owner in self.cleanup_blocks):
            return
        if scope is not None and isinstance(scope.node, cst.FunctionDef) and self._cleanup_name(scope.node.name.value):
            return
        started = self._started(call)
        if started and not any(self._cleanup_name(name) for name in started):
            self.report(call)

    def _started(self, call: cst.Call) -> list[str] | None:
        """The names of the calls whose work the gather starts; None when it is also given
        awaitables that exist already (tasks, futures, a collection of them)."""
        names: list[str] = []
        for arg in call.args:
            if arg.keyword is not None:
                continue
            value = arg.value
            if arg.star:
                if not isinstance(value, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
                    return None
                value = value.elt
            if not isinstance(value, cst.Call):
                return None
            if self.model.qualified_name(value.func) in _SLEEPS:
                continue  # fails only by cancellation, which gather raises anyway
            names.append(_callee_name(value))
            if self.model.qualified_name(value.func) in _ASYNCIO_SPAWNS and value.args and isinstance(value.args[0].value, cst.Call):
                names.append(_callee_name(value.args[0].value))
        return names
