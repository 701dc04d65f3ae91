"""ASL3xx: tasks whose only strong reference is dropped.

The event loop keeps only weak references to tasks, so a task nobody holds can be
garbage-collected before it finishes (asyncio docs, `create_task`). Which calls spawn tasks comes
from the catalogue (rules/tasks.toml) plus the user's `extend-task-spawners`; which receivers are
event loops is inferred from how they were obtained, their annotation, or their name.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import libcst as cst

from asynclint.checks.shared import fixes
from asynclint.checks.shared.bindings import NameBindings
from asynclint.engine.diagnostics import Applicability, Fix
from asynclint.engine.semantic import Binding, Scope, ScopeKind
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.names import LOOP, Ref
from asynclint.resolve.spawns import TaskSpawns


def _describe(context, node: cst.CSTNode) -> str:
    code = context.module.code_for_node(node)
    return code if len(code) <= 40 else code[:37] + "..."


def _via(context, func: cst.CSTNode) -> str:
    return f"`{_describe(context, func)}()`"


# -- ASL301 ---------------------------------------------------------------------------------


def spawn_condition(context, spawns: TaskSpawns, value: cst.BaseExpression) -> Ref | None:
    """For a call that makes a new task only if the index says so, what it must confirm: the
    receiver of `helper().create_task()` is an event loop (or the method a project wrapper), or
    the project function called (`self.spawn()`, `await self.spawn_async()`) returns a new task."""
    if isinstance(value, cst.Call) and (loop := spawns.loop_condition(value)) is not None:
        return loop
    awaited = isinstance(value, cst.Await)
    call = value.expression if isinstance(value, cst.Await) else value
    if not isinstance(call, cst.Call):
        return None
    ref = context.facts.reference(call.func)
    if ref is None or ref.kind == "duck" or not context.may_be_task_wrapper(ref):
        return None
    return dataclasses.replace(ref, expect="task:async" if awaited else "task:sync")


@dataclass
class _Drop:
    node: cst.BaseExpression  # the expression whose task is dropped (a call, or an await of one)
    report_at: cst.CSTNode
    scope: Scope
    statement: cst.BaseStatement | None
    fixable: bool
    # The callee that makes the task, described in the message (only when one is made: most
    # drops of project functions are conditions the index turns down).
    via: cst.CSTNode
    condition: Ref | None = None  # a project wrapper: the index must confirm it returns a new task


class DroppedTask(Rule):
    """A task is created and its result thrown away.

    ## What it does
    Flags calls that create a task (`asyncio.create_task`, `asyncio.ensure_future`,
    `loop.create_task` however the loop was obtained, including from a project helper the index
    finds returning one (`def running_loop(): return asyncio.get_running_loop()`, then
    `running_loop().create_task(coro)`, whether the helper is annotated or not), and project
    functions that return such a task without keeping it, directly or through other such project
    functions, up to six deep: `self.spawn()` returning `self.core.create_task()` returning
    `loop.create_task()`) whose result is discarded: an expression statement, a list, set or
    dict comprehension whose result is discarded, or a method such as `add_done_callback` called on
    the new task as a statement.

    ## Why is this bad?
    The event loop keeps only a weak reference to a task. Once the caller drops the result, nothing
    keeps the task alive, and the garbage collector may destroy it before it finishes, sometimes
    in the middle of its work, with no error. The asyncio documentation says to save a reference
    to the result of `create_task`.

    `asyncio.TaskGroup.create_task` is not flagged: the group holds its tasks.

    ## Example
    ```python
    async def handle(request):
        asyncio.create_task(audit(request))
    ```

    ## Use instead
    ```python
    _background_tasks = set()

    async def handle(request):
        task = asyncio.create_task(audit(request))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
    ```
    or a `TaskGroup`, or await the task.

    ## Fix safety
    The fix keeps a strong reference in a module-level set, as the asyncio documentation
    recommends, and removes it when the task is done. It is unsafe because it changes object
    lifetimes: a task that used to be collected now runs to completion. It is offered when the
    dropped call is a statement on its own line.

    ## Options
    - `extend-task-spawners`: dotted names of further functions that return a task to keep.
    """

    code = "ASL301"
    name = "dropped-task"
    message = "task is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"
    fix = Applicability.UNSAFE

    valid = (
        Valid(
            "create-task-of-what-a-helper-returns-that-is-no-loop",
            """
            import asyncio

            def group():
                return asyncio.TaskGroup()

            class Nursery:
                def create_task(self, coro):
                    self.pending.append(coro)

            def nursery():
                return Nursery()

            async def main(coro):
                group().create_task(coro)
                nursery().create_task(coro)
            """,
        ),
        Valid("awaited", """
            import asyncio
            async def main():
                await asyncio.create_task(work())
        """),
        Valid("kept-in-a-set", """
            import asyncio
            tasks = set()
            async def main():
                tasks.add(asyncio.create_task(work()))
        """),
        Valid("returned", """
            import asyncio
            def start():
                return asyncio.ensure_future(work())
        """),
        Valid("task-group", """
            import asyncio
            async def main():
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(work())
        """),
        Valid("task-group-named-loop", """
            import asyncio
            async def main():
                async with asyncio.TaskGroup() as loop:
                    loop.create_task(work())
        """),
        Valid("not-asyncio", """
            from mylib import create_task
            def main():
                create_task(work())
        """),
        Valid("passed-on", """
            import asyncio
            async def main(registry):
                registry.track(asyncio.create_task(work()))
        """),
        Valid("wrapper-that-stores", """
            import asyncio
            class Hub:
                def spawn(self, coro):
                    task = asyncio.create_task(coro)
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    return task
                def start(self):
                    self.spawn(work())
        """),
        Valid("generator-expression-never-runs", """
            import asyncio
            def main(coros):
                (asyncio.create_task(c) for c in coros)
        """),
        Valid("receiver-not-a-loop", """
            import asyncio
            def main(scheduler):
                scheduler.create_task(work())
        """),
    )
    invalid = (
        Invalid(
            "create-task-statement",
            """
            import asyncio

            async def main():
                asyncio.create_task(work())  # fire and forget
            """,
            (
                (4, 5, "task from `asyncio.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            async def main():
                task = asyncio.create_task(work())  # fire and forget
                _background_tasks.add(task)
                task.add_done_callback(_background_tasks.discard)
            """,
        ),
        Invalid(
            # A fresh name: `task` here is the module's variable, which binding it would overwrite.
            "declared-global-name-kept",
            """
            import asyncio

            task = None

            async def main():
                global task
                asyncio.create_task(work())
                task = "the program's own"
            """,
            (
                (7, 5, "task from `asyncio.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            task = None

            async def main():
                global task
                task_1 = asyncio.create_task(work())
                _background_tasks.add(task_1)
                task_1.add_done_callback(_background_tasks.discard)
                task = "the program's own"
            """,
        ),
        Invalid(
            "nonlocal-name-kept",
            """
            import asyncio

            def outer():
                task = None

                async def main():
                    nonlocal task
                    asyncio.create_task(work())
                return main
            """,
            (
                (8, 9, "task from `asyncio.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            def outer():
                task = None

                async def main():
                    nonlocal task
                    task_1 = asyncio.create_task(work())
                    _background_tasks.add(task_1)
                    task_1.add_done_callback(_background_tasks.discard)
                return main
            """,
        ),
        Invalid(
            "import-alias-and-ensure-future",
            """
            from asyncio import create_task as ct, ensure_future
            import asyncio as aio

            def start(task):
                ct(work())
                ensure_future(work())
                aio.ensure_future(work())
                print(task)
            """,
            (
                (5, 5, "task from `ct()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (6, 5, "task from `ensure_future()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (7, 5, "task from `aio.ensure_future()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            from asyncio import create_task as ct, ensure_future
            import asyncio as aio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            def start(task):
                task_1 = ct(work())
                _background_tasks.add(task_1)
                task_1.add_done_callback(_background_tasks.discard)
                task_1 = ensure_future(work())
                _background_tasks.add(task_1)
                task_1.add_done_callback(_background_tasks.discard)
                task_1 = aio.ensure_future(work())
                _background_tasks.add(task_1)
                task_1.add_done_callback(_background_tasks.discard)
                print(task)
            """,
        ),
        Invalid(
            "loops-however-obtained",
            """
            import asyncio
            from asyncio import AbstractEventLoop

            class Client:
                def __init__(self, loop):
                    self._loop = loop

                def start(self):
                    self._loop.create_task(self.run())

                def attach(self, ev: AbstractEventLoop):
                    ev.create_task(self.run())

            async def main():
                loop = asyncio.get_running_loop()
                loop.create_task(work())
                asyncio.get_running_loop().create_task(work())
            """,
            (
                (9, 9, "task from `self._loop.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (12, 9, "task from `ev.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (16, 5, "task from `loop.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (17, 5, "task from `asyncio.get_running_loop().create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            import asyncio
            from asyncio import AbstractEventLoop

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            class Client:
                def __init__(self, loop):
                    self._loop = loop

                def start(self):
                    task = self._loop.create_task(self.run())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)

                def attach(self, ev: AbstractEventLoop):
                    task = ev.create_task(self.run())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)

            async def main():
                loop = asyncio.get_running_loop()
                task = loop.create_task(work())
                _background_tasks.add(task)
                task.add_done_callback(_background_tasks.discard)
                task = asyncio.get_running_loop().create_task(work())
                _background_tasks.add(task)
                task.add_done_callback(_background_tasks.discard)
            """,
        ),
        Invalid(
            "dropped-comprehension-and-chained-callback",
            """
            import asyncio

            def start(coros, done):
                [asyncio.create_task(c) for c in coros]
                asyncio.ensure_future(work()).add_done_callback(done)
            """,
            (
                (4, 6, "task from `asyncio.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (5, 5, "task from `asyncio.ensure_future()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
        ),
        Invalid(
            "project-wrapper",
            """
            import asyncio

            def spawn(coro):
                return asyncio.get_running_loop().create_task(coro)

            class Worker:
                async def go(self):
                    self.launch(work())
                    await self.launch_async(work())
                    spawn(work())

                def launch(self, coro):
                    return asyncio.ensure_future(coro)

                async def launch_async(self, coro):
                    return asyncio.create_task(coro)
            """,
            (
                (8, 9, "task from `self.launch()` (a project function returning a new task) is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (9, 9, "task from `self.launch_async()` (a project function returning a new task) is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (10, 9, "task from `spawn()` (a project function returning a new task) is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            def spawn(coro):
                return asyncio.get_running_loop().create_task(coro)

            class Worker:
                async def go(self):
                    task = self.launch(work())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
                    task = await self.launch_async(work())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
                    task = spawn(work())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)

                def launch(self, coro):
                    return asyncio.ensure_future(coro)

                async def launch_async(self, coro):
                    return asyncio.create_task(coro)
            """,
        ),
        Invalid(
            "loop-from-a-project-helper",
            """
            import asyncio

            def running_loop():
                return asyncio.get_running_loop()

            class Poller:
                def _loop(self):
                    return running_loop()

                def spawn(self, coro):
                    return self._loop().create_task(coro)

                async def start(self):
                    running_loop().create_task(self.poll())
                    self.spawn(self.poll())
            """,
            (
                (14, 9, "task from `running_loop().create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
                (15, 9, "task from `self.spawn()` (a project function returning a new task) is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            def running_loop():
                return asyncio.get_running_loop()

            class Poller:
                def _loop(self):
                    return running_loop()

                def spawn(self, coro):
                    return self._loop().create_task(coro)

                async def start(self):
                    task = running_loop().create_task(self.poll())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
                    task = self.spawn(self.poll())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
            """,
        ),
        Invalid(
            "wrapper-of-a-wrapper",
            """
            import asyncio

            class Core:
                def create_task(self, coro):
                    return asyncio.get_running_loop().create_task(coro)

            class App:
                def __init__(self) -> None:
                    self.core = Core()

                def spawn(self, coro):
                    return self.core.create_task(coro)

                async def run(self):
                    self.spawn(work())
            """,
            ((15, 9, "task from `self.spawn()` (a project function returning a new task) is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            class Core:
                def create_task(self, coro):
                    return asyncio.get_running_loop().create_task(coro)

            class App:
                def __init__(self) -> None:
                    self.core = Core()

                def spawn(self, coro):
                    return self.core.create_task(coro)

                async def run(self):
                    task = self.spawn(work())
                    _background_tasks.add(task)
                    task.add_done_callback(_background_tasks.discard)
            """,
        ),
        Invalid(
            "existing-set-reused",
            """
            import asyncio

            _background_tasks = set()

            async def main(loop):
                loop.create_task(work())
            """,
            (
                (6, 5, "task from `loop.create_task()` is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"),
            ),
            fixed="""
            import asyncio

            _background_tasks = set()

            async def main(loop):
                task = loop.create_task(work())
                _background_tasks.add(task)
                task.add_done_callback(_background_tasks.discard)
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.spawns: TaskSpawns = context.spawns
        self.drops: list[_Drop] = []

    def _drop(self, node: cst.BaseExpression, report_at: cst.CSTNode, fixable: bool, via: cst.CSTNode) -> _Drop:
        statement = self.model.statement
        fixable = fixable and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
        scope = self.model.scope
        assert scope is not None  # an expression is always walked inside some scope
        return _Drop(node, report_at, scope, statement, fixable, via)

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        if self.spawns.is_spawn(value):
            self.drops.append(self._drop(value, value, True, value.func))
            return
        if (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value in self.spawns.catalogue.chained_methods
            and self.spawns.is_spawn(value.func.value)
        ):
            inner = value.func.value
            self.drops.append(self._drop(inner, value, False, inner.func))
            return
        if isinstance(value, (cst.ListComp, cst.SetComp)) and self.spawns.is_spawn(value.elt):
            self.drops.append(self._drop(value.elt, value.elt, False, value.elt.func))
            return
        if isinstance(value, cst.DictComp) and self.spawns.is_spawn(value.value):
            self.drops.append(self._drop(value.value, value.value, False, value.value.func))
            return
        # Perhaps a task all the same, as the project index decides once every file has been
        # read: `helper().create_task(coro)`, or a project function returning a new task
        condition = spawn_condition(self.context, self.spawns, value)
        if condition is not None:
            call = value.expression if isinstance(value, cst.Await) else value
            assert isinstance(call, cst.Call)  # a condition is made for calls only
            drop = self._drop(value, value, True, call.func)
            drop.condition = condition
            self.drops.append(drop)

    def module_end(self) -> None:
        # Fixes are built now that every scope's names are known (for a fresh variable name).
        for drop in self.drops:
            self.report(drop.report_at, functools.partial(self._message, drop), functools.partial(self._fix, drop), drop.condition)

    def _fix(self, drop: _Drop) -> Fix | None:
        if not drop.fixable:
            return None
        assert isinstance(drop.statement, cst.SimpleStatementLine)  # fixable only in one
        return fixes.keep_task_reference(self.context, drop.statement, drop.node, drop.scope)

    def _message(self, drop: _Drop) -> str:
        via = _via(self.context, drop.via)
        if drop.condition is not None and drop.condition.expect != LOOP:
            via += " (a project function returning a new task)"
        return f"task from {via} is dropped; keep a reference until it finishes (the event loop holds tasks only weakly)"


# -- ASL302 ---------------------------------------------------------------------------------


class UnusedTaskBinding(NameBindings, Rule):
    """A task is bound to a local name that is never used.

    ## What it does
    Flags `name = asyncio.create_task(...)` (and whatever else ASL301 takes for a new task: the
    other spawners, `create_task` on a loop a project helper returns, a project function that
    returns a new task without keeping it) inside a function when `name` is never read
    afterwards in that function or in functions nested in it.
    `_` counts as a name like any other.

    ## Why is this bad?
    Binding the task to a local that nobody reads is a dropped task in disguise: when the function
    returns, the last strong reference goes, and the task can be garbage-collected before it
    finishes. It often marks a forgotten `await task` as well.

    Module-level and class-level names are not flagged: they keep the task alive.

    ## Example
    ```python
    async def main():
        task = asyncio.create_task(work())
        await other()
    ```

    ## Use instead
    ```python
    async def main():
        task = asyncio.create_task(work())
        await other()
        await task
    ```

    ## Fix safety
    The fix adds the task to a module-level set and removes it when done, as the asyncio
    documentation recommends. It is unsafe: it keeps alive a task that used to be collected, and
    the missing piece may rather be an `await`.
    """

    code = "ASL302"
    name = "unused-task-binding"
    message = "task bound to a name that is never used"
    fix = Applicability.UNSAFE

    valid = (
        Valid("bound-from-a-project-function-that-keeps-its-task", """
            import asyncio

            class Keeper:
                def __init__(self):
                    self.tasks = set()

                def spawn(self, coro):
                    task = asyncio.ensure_future(coro)
                    self.tasks.add(task)
                    return task

            async def main(keeper: Keeper):
                job = keeper.spawn(work())
                await other()
        """),
        Valid("awaited-later", """
            import asyncio
            async def main():
                task = asyncio.create_task(work())
                await other()
                await task
        """),
        Valid("used-in-nested-function", """
            import asyncio
            def main():
                task = asyncio.ensure_future(work())
                def stop():
                    task.cancel()
                return stop
        """),
        Valid("module-level-keeps-it", """
            import asyncio
            loop = asyncio.new_event_loop()
            task = loop.create_task(work())
        """),
        Valid("global-declared", """
            import asyncio
            def start():
                global TASK
                TASK = asyncio.create_task(work())
        """),
        Valid("locals-used", """
            import asyncio
            def start():
                task = asyncio.create_task(work())
                return locals()
        """),
        Valid("deleted-on-purpose", """
            import asyncio
            async def test_unhandled(raised):
                task = asyncio.create_task(fail())
                await raised.wait()
                del task  # drop it to trigger the "never retrieved" warning
        """),
        Valid("not-a-task", """
            import asyncio
            async def main():
                result = asyncio.sleep(1)
        """),
    )
    invalid = (
        Invalid(
            "bound-from-a-project-wrapper-or-a-helpers-loop",
            """
            import asyncio

            def running_loop():
                return asyncio.get_running_loop()

            def spawn(coro):
                return asyncio.ensure_future(coro)

            async def main():
                job = spawn(work())
                beat = running_loop().create_task(heartbeat())
                await other()
            """,
            (
                (10, 5, "task bound to `job` is never used: keep a reference until it finishes, or await it"),
                (11, 5, "task bound to `beat` is never used: keep a reference until it finishes, or await it"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            def running_loop():
                return asyncio.get_running_loop()

            def spawn(coro):
                return asyncio.ensure_future(coro)

            async def main():
                job = spawn(work())
                _background_tasks.add(job)
                job.add_done_callback(_background_tasks.discard)
                beat = running_loop().create_task(heartbeat())
                _background_tasks.add(beat)
                beat.add_done_callback(_background_tasks.discard)
                await other()
            """,
        ),
        Invalid(
            "bound-never-used",
            """
            import asyncio

            async def main():
                task = asyncio.create_task(work())
                await other()
            """,
            (
                (4, 5, "task bound to `task` is never used: keep a reference until it finishes, or await it"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            async def main():
                task = asyncio.create_task(work())
                _background_tasks.add(task)
                task.add_done_callback(_background_tasks.discard)
                await other()
            """,
        ),
        Invalid(
            "underscore-and-annotated",
            """
            import asyncio

            def start(loop: asyncio.AbstractEventLoop):
                _ = loop.create_task(work())
                t: asyncio.Task = asyncio.ensure_future(work())
            """,
            (
                (4, 5, "task bound to `_` is never used: keep a reference until it finishes, or await it"),
                (5, 5, "task bound to `t` is never used: keep a reference until it finishes, or await it"),
            ),
            fixed="""
            import asyncio

            # Strong references to background tasks: the event loop keeps only weak ones.
            _background_tasks = set()

            def start(loop: asyncio.AbstractEventLoop):
                _ = loop.create_task(work())
                _background_tasks.add(_)
                _.add_done_callback(_background_tasks.discard)
                t: asyncio.Task = asyncio.ensure_future(work())
                _background_tasks.add(t)
                t.add_done_callback(_background_tasks.discard)
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.spawns: TaskSpawns = context.spawns
        # by id() of the scope: the binding, and what the index must confirm for it to be a task
        self.candidates: dict[int, list[tuple[Binding, Ref | None]]] = {}

    def bound(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        scope = self.model.scope
        if (
            scope is None
            or scope.kind is not ScopeKind.FUNCTION
            or not isinstance(target, cst.Name)
            or value is None
        ):
            return
        condition = None
        if not self.spawns.is_spawn(value):
            condition = spawn_condition(self.context, self.spawns, value)
            if condition is None:
                return
        self.candidates.setdefault(id(scope), []).append((scope.bindings[target.value][-1], condition))

    def scope_exit(self, scope: Scope) -> None:
        bindings = self.candidates.pop(id(scope), ())
        if scope.dynamic:
            return
        for binding, condition in bindings:
            if binding.name in scope.loads or binding.name in scope.declared:
                continue
            fix = fixes.track_bound_task(self.context, binding)
            message = (
                f"task bound to `{binding.name}` is never used: keep a reference until it "
                f"finishes, or await it"
            )
            self.report(binding.node, message, fix, condition)
