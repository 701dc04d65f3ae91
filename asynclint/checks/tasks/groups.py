"""ASL303: leaving a TaskGroup block early, which waits for the group's tasks anyway.

Which calls make a task group is data (`[groups]` in rules/tasks.toml).
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
            ((7, 9), (14, 17), (17, 13)),
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
