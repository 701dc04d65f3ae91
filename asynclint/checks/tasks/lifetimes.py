"""ASL305, ASL306: how long the tasks of a task group live, next to what their block holds.

A task group's (or nursery's) tasks run until the group's `async with` block ends, whatever the
blocks opened inside it do. Which calls make a group, and which of its methods start a task, is
data (`structured`, `spawn-methods` in `[groups]` of rules/tasks.toml).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from asynclint.engine.semantic import Scope
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid


@dataclass
class _Block:
    node: cst.With
    scope: Scope | None  # the function whose code the block is
    items: tuple[cst.WithItem, ...]  # the items whose `as` name the block binds
    group: bool  # a task group's block (else a context manager's)
    # ASL305: `name = tg.create_task(...)` in this block, with the argument to report, until an
    # `await` in the block names it (then the task is done before the block closes its value).
    pending: dict[str, list[cst.CSTNode]] = field(default_factory=dict)


def _root(expr: cst.BaseExpression) -> cst.Name | None:
    """`v` of `v`, `v.attr`, `v.a.b`."""
    while isinstance(expr, cst.Attribute):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


class _GroupBlocks(Rule):
    """Shared walk: the `with` blocks being walked, and which of them are task groups."""

    def __init__(self, context) -> None:
        super().__init__(context)
        known = catalogue.tasks()
        self.group_calls = known.structured_groups
        self.spawn_methods = known.group_spawn_methods
        self.blocks: list[_Block] = []

    def _is_group(self, item: cst.WithItem) -> bool:
        return isinstance(item.item, cst.Call) and self.model.qualified_name(item.item.func) in self.group_calls

    def visit_With(self, node: cst.With) -> None:
        named = tuple(item for item in node.items if item.asname is not None and isinstance(item.asname.name, cst.Name))
        group = node.asynchronous is not None and any(self._is_group(item) for item in named)
        self.blocks.append(_Block(node, self.model.function_scope(), named, group))

    def leave_With(self, node: cst.With) -> None:
        if self.blocks and self.blocks[-1].node is node:
            self.closed(self.blocks.pop())

    def closed(self, block: _Block) -> None:
        pass

    def bound_by(self, name: cst.Name, block: _Block) -> bool:
        """Whether `name` is, here, the `as` name of one of the block's items."""
        binding = self.model.lookup(name.value)
        return binding is not None and any(binding.definition is item for item in block.items)

    def spawn_group(self, call: cst.Call) -> int | None:
        """The index in `self.blocks` of the open task group `call` starts a task of, in the
        same function (`tg.create_task(...)`, `nursery.start_soon(...)`)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in self.spawn_methods:
            return None
        receiver = func.value
        if not isinstance(receiver, cst.Name):
            return None
        scope = self.model.function_scope()
        for index in range(len(self.blocks) - 1, -1, -1):
            block = self.blocks[index]
            if block.group and block.scope is scope and self.bound_by(receiver, block):
                return index
        return None


class ContextValueInGroupTask(_GroupBlocks):
    """A task of a task group gets the value of a context manager opened inside the group's block.

    ## What it does
    Flags the argument of `tg.create_task(...)`, `tg.start_soon(...)` or `tg.start(...)` that is
    the value of a `with` or `async with` block (`as v`) opened inside the `async with` of that
    task group (asyncio's `TaskGroup`, anyio's `create_task_group()`, trio's `open_nursery()`),
    when the task is started inside the context manager's block: `v` itself, an attribute of it
    (`v.stream`), or a method of it (`tg.create_task(v.read())`, `tg.start_soon(v.serve)`).

    Not flagged: a context manager opened outside the group (it closes after the group's tasks
    are done), a task whose handle is bound and awaited inside the context manager's block
    (`task = tg.create_task(work(v))` ... `await task`), and code in nested functions.

    ## Why is this bad?
    The tasks of a group run until the group's block ends. A context manager opened inside that
    block closes its value when its own, inner block ends, which is usually before the task is
    done: the task then uses a closed connection, file or session, or a lock it no longer holds.
    Nesting the other way round (the group innermost) closes the value only once every task is
    done. flake8-async reports it as ASYNC111.

    ## Example
    ```python
    async def serve(pool, jobs):
        async with asyncio.TaskGroup() as tg:
            async with pool.acquire() as conn:
                for job in jobs:
                    tg.create_task(run(job, conn))
    ```

    ## Use instead
    ```python
    async def serve(pool, jobs):
        async with pool.acquire() as conn:
            async with asyncio.TaskGroup() as tg:
                for job in jobs:
                    tg.create_task(run(job, conn))
    ```

    ## Fix safety
    No fix is offered: reordering the blocks moves the code between them.
    """

    code = "ASL305"
    requires = ("async", "with")
    name = "context-value-in-group-task"
    message = (
        "a task of the group gets the value of a context manager opened inside the group's block: "
        "it is closed before the task is done"
    )

    valid = (
        Valid("group-innermost", """
            import asyncio
            async def serve(pool, jobs):
                async with pool.acquire() as conn:
                    async with asyncio.TaskGroup() as tg:
                        for job in jobs:
                            tg.create_task(run(job, conn))
        """),
        Valid("task-awaited-in-the-block", """
            import asyncio
            async def serve(pool, job):
                async with asyncio.TaskGroup() as tg:
                    async with pool.acquire() as conn:
                        task = tg.create_task(run(job, conn))
                        await asyncio.wait([task])
        """),
        Valid("other-values", """
            import anyio
            async def serve(pool, jobs, log):
                async with anyio.create_task_group() as tg:
                    async with pool.acquire() as conn:
                        rows = await conn.fetch()
                    for row in rows:
                        tg.start_soon(log, row)
                    with open("names") as names:
                        tg.start_soon(log, len(jobs))
        """),
        Valid("nested-function", """
            import asyncio
            async def serve(pool):
                async with asyncio.TaskGroup() as tg:
                    async with pool.acquire() as conn:
                        def later():
                            tg.create_task(run(conn))
                        await run(conn)
        """),
        Valid("not-a-task-group", """
            from mylib import TaskGroup
            async def serve(pool):
                async with TaskGroup() as tg:
                    async with pool.acquire() as conn:
                        tg.create_task(run(conn))
        """),
    )
    invalid = (
        Invalid(
            "values-handed-to-tasks",
            """
            import asyncio
            import anyio
            import trio

            async def serve(pool, jobs):
                async with asyncio.TaskGroup() as tg:
                    async with pool.acquire() as conn:
                        for job in jobs:
                            tg.create_task(run(job, conn))
                        tg.create_task(conn.ping())

            async def relay(session, url):
                async with anyio.create_task_group() as tg:
                    async with session.get(url) as response:
                        tg.start_soon(copy, response.content)
                        pending = tg.start_soon(response.release)

            async def tail(path):
                async with trio.open_nursery() as nursery:
                    with open(path) as log:
                        await nursery.start(follow, log)
            """,
            (
                (9, 41, "`conn` is closed when its `with` block ends, before the tasks of `tg` are done: open it outside `async with` the group"),
                (10, 28, "`conn` is closed when its `with` block ends, before the tasks of `tg` are done: open it outside `async with` the group"),
                (15, 33, "`response` is closed when its `with` block ends, before the tasks of `tg` are done: open it outside `async with` the group"),
                (16, 37, "`response` is closed when its `with` block ends, before the tasks of `tg` are done: open it outside `async with` the group"),
                (21, 41, "`log` is closed when its `with` block ends, before the tasks of `nursery` are done: open it outside `async with` the group"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.messages: dict[int, str] = {}

    def visit_Call(self, node: cst.Call) -> None:
        index = self.spawn_group(node)
        if index is None:
            return
        group = self.blocks[index]
        receiver = node.func.value  # type: ignore[attr-defined]  # spawn_group checked it is `name.method`
        for block in self.blocks[index + 1:]:
            if block.group or block.scope is not group.scope:
                continue
            for used in self._uses(node, block):
                self._found(node, used, block, group.node, receiver.value)

    def _uses(self, call: cst.Call, block: _Block) -> list[cst.BaseExpression]:
        """The arguments of the spawn call that are the block's value (or reach into it)."""
        values: list[cst.BaseExpression] = []
        for arg in call.args:
            if arg.keyword is not None:
                continue
            value = arg.value
            if isinstance(value, cst.Call):  # `create_task(run(job, conn))`, `create_task(conn.ping())`
                values.append(value.func)
                values.extend(inner.value for inner in value.args)
            else:
                values.append(value)
        return [value for value in values if (root := _root(value)) is not None and self.bound_by(root, block)]

    def _found(self, call: cst.Call, used: cst.BaseExpression, block: _Block, group: cst.With, name: str) -> None:
        root = _root(used)
        assert root is not None  # `_uses` kept only values with a root
        message = (
            f"`{root.value}` is closed when its `with` block ends, before the tasks of `{name}` are done: "
            "open it outside `async with` the group"
        )
        statement = self.model.statement
        line = statement.body[0] if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1 else None
        if (
            isinstance(line, cst.Assign) and line.value is call and len(line.targets) == 1
            and isinstance(line.targets[0].target, cst.Name)
        ):
            # The task's handle is kept: an await of it inside the block clears the finding.
            block.pending.setdefault(line.targets[0].target.value, []).append(used)
            self.messages[id(used)] = message
            return
        self.report(used, message)

    def visit_Await(self, node: cst.Await) -> None:
        if not any(block.pending for block in self.blocks):
            return
        names = {n.value for n in _names(node.expression)}
        for block in self.blocks:
            for name in names & block.pending.keys():
                del block.pending[name]

    def closed(self, block: _Block) -> None:
        for found in block.pending.values():
            for used in found:
                self.report(used, self.messages.pop(id(used)))


def _names(expr: cst.CSTNode) -> list[cst.Name]:
    found: list[cst.Name] = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            found.append(node)
        elif not isinstance(node, (cst.Lambda, cst.FunctionDef)):
            stack.extend(node.children)
    return found


class SingleTaskGroup(_GroupBlocks):
    """A task group's block starts a single task and does nothing else (opt-in).

    ## What it does
    Flags `async with` of a task group (asyncio's `TaskGroup`, anyio's `create_task_group()`,
    trio's `open_nursery()`) whose block is one statement that starts one task of the group
    (`tg.create_task(...)`, `tg.start_soon(...)`, `await tg.start(...)`), when the group itself
    is not handed to the task (a task that starts more tasks of its own group needs it).

    ## Why is this bad?
    The block waits for its one task to finish, so the group adds nothing but a task and an
    exception group around a plain call: `await work()` does the same, and raises the
    exception `work` raised instead of an `ExceptionGroup` wrapping it. flake8-async reports it
    as ASYNC112.

    The rule is opt-in because the two are not always the same: a handler further up may catch
    the group with `except*`, and `TaskGroup` runs the coroutine in a task of its own (its own
    context variables, its own cancellation). On the 24 projects of the ecosystem set it reported
    nothing, so there is no measured false count: it is left to the projects that want it.

    ## Example
    ```python
    async def main(jobs):
        async with asyncio.TaskGroup() as tg:
            tg.create_task(process(jobs))
    ```

    ## Use instead
    ```python
    async def main(jobs):
        await process(jobs)
    ```

    ## Fix safety
    No fix is offered: the exception the caller sees changes from a group to its member.
    """

    code = "ASL306"
    requires = ("async", "with")
    name = "single-task-group"
    message = "a task group that starts a single task and does nothing else: await the coroutine instead"
    opt_in = True

    valid = (
        Valid("more-work-in-the-block", """
            import asyncio
            async def main(jobs):
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(process(jobs))
                    await report(jobs)
        """),
        Valid("group-handed-on", """
            import trio
            async def main(jobs):
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(dispatch, jobs, nursery)
        """),
        Valid("several-tasks", """
            import asyncio
            async def main(jobs):
                async with asyncio.TaskGroup() as tg:
                    for job in jobs:
                        tg.create_task(process(job))
        """),
    )
    invalid = (
        Invalid(
            "one-task",
            """
            import asyncio
            import anyio

            async def main(jobs):
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(process(jobs))

            async def serve(listener, handler):
                async with anyio.create_task_group() as tg:
                    await tg.start(listener.serve, handler)
            """,
            (
                (5, 16, "a task group that starts a single task and does nothing else: await the coroutine instead"),
                (9, 16, "a task group that starts a single task and does nothing else: await the coroutine instead"),
            ),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        index = self.spawn_group(node)
        if index is None or index != len(self.blocks) - 1:
            return
        block = self.blocks[index]
        if len(block.node.items) != 1 or not isinstance(block.node.body, cst.IndentedBlock):
            return
        body = block.node.body.body
        if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
            return
        statement = body[0].body[0]
        if not isinstance(statement, cst.Expr):
            return
        value = statement.value.expression if isinstance(statement.value, cst.Await) else statement.value
        group = block.items[0].asname.name  # type: ignore[union-attr]  # a group block binds its name
        assert isinstance(group, cst.Name)
        if value is node and not any(name.value == group.value for arg in node.args for name in _names(arg)):
            self.report(block.items[0].item)
