"""ASL501, ASL502, ASL509: event loop APIs used where they misbehave, and deprecated asyncio APIs.

Which calls are which comes from the catalogue (rules/misuse.toml); names resolve through imports
(`from asyncio import get_event_loop`, `import asyncio as aio`). ASL509 reads `target-version`.
"""

from __future__ import annotations

import re

import libcst as cst

from asynclint.checks.shared import awaits
from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.engine.semantic import BindingKind, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.knowledge.catalogue import Deprecation
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.spawns import TaskSpawns

_SYNC_DEF = re.compile(r"^[ \t]*def[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


class GetEventLoopInCoroutine(Rule):
    """`asyncio.get_event_loop()` is called inside a coroutine.

    ## What it does
    Flags calls to `asyncio.get_event_loop()` in the body of an `async def`, and in a sync helper
    that only coroutines call: a function nested in another, or a private (`_name`) module-level
    function, defined once in the module, undecorated, whose name the module uses only to call
    it, directly in the body of `async def`s. A sync function or lambda used any other way (as a
    callback, from sync code) may run where no loop runs, and is not flagged.

    ## Why is this bad?
    Inside a coroutine a loop is always running, and `asyncio.get_running_loop()` returns it
    directly. `get_event_loop()` goes through the event loop policy, whose behaviour has changed
    in almost every Python release since 3.10 (warnings, then errors when no loop is set), and the
    asyncio documentation says to prefer `get_running_loop()` in coroutines and callbacks.

    Public sync functions and methods are not followed: other modules may call them from sync
    code. Module-level calls are ASL509's business. A `get_event_loop()` in an `except
    RuntimeError:` handler of a `try` whose body calls `get_running_loop()` is the fallback for
    when no loop runs, written on purpose, and is not flagged.

    ## Example
    ```python
    async def fetch(url):
        loop = asyncio.get_event_loop()
        return await loop.run_in_executor(None, download, url)
    ```

    ## Use instead
    ```python
    async def fetch(url):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, download, url)
    ```

    ## Fix safety
    Safe inside a coroutine: there both calls return the running loop. In a helper only
    coroutines call, the fix is unsafe (a test or another module may still call a private
    function from sync code). The fix is offered when the call is spelt through the `asyncio`
    module (`asyncio.get_event_loop()`, `aio.get_event_loop()`), or when `get_running_loop` is
    already imported from asyncio.
    """

    code = "ASL501"
    requires = ("async", "get_event_loop")
    name = "get-event-loop-in-coroutine"
    message = "`get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`"
    fix = Applicability.SAFE

    valid = (
        Valid("running-loop", """
            import asyncio
            async def main():
                loop = asyncio.get_running_loop()
        """),
        Valid("sync-function", """
            import asyncio
            def start():
                return asyncio.get_event_loop()
        """),
        Valid("nested-sync-callback", """
            import asyncio
            async def main():
                def callback():
                    asyncio.get_event_loop().stop()
                return callback
        """),
        Valid("not-asyncio", """
            from mylib import get_event_loop
            async def main():
                get_event_loop()
        """),
        Valid("helper-also-called-from-sync-code", """
            import asyncio
            def _loop():
                return asyncio.get_event_loop()
            async def main():
                _loop().call_soon(print)
            def start():
                _loop().run_forever()
        """),
        Valid("helper-used-as-callback", """
            import asyncio
            async def main(loop):
                def stop():
                    asyncio.get_event_loop().stop()
                stop()
                loop.call_later(1, stop)
        """),
        Valid("fallback-after-get-running-loop", """
            import asyncio
            async def main():
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    loop = asyncio.get_event_loop()
                return loop
            def _loop():
                try:
                    return asyncio.get_running_loop()
                except (RuntimeError, AttributeError):
                    return asyncio.get_event_loop()
            async def other():
                _loop().call_soon(print)
        """),
        Valid("public-helper", """
            import asyncio
            def current_loop():
                return asyncio.get_event_loop()
            async def main():
                current_loop()
        """),
    )
    invalid = (
        Invalid(
            "attribute-and-alias",
            """
            import asyncio
            import asyncio as aio

            async def main():
                loop = asyncio.get_event_loop()
                aio.get_event_loop().call_soon(print)
            """,
            (
                (5, 12, "`get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`"),
                (6, 5, "`get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`"),
            ),
            fixed="""
            import asyncio
            import asyncio as aio

            async def main():
                loop = asyncio.get_running_loop()
                aio.get_running_loop().call_soon(print)
            """,
        ),
        Invalid(
            "imported-name",
            """
            from asyncio import get_event_loop, get_running_loop

            async def main():
                return get_event_loop()
            """,
            (
                (4, 12, "`get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`"),
            ),
            fixed="""
            from asyncio import get_event_loop, get_running_loop

            async def main():
                return get_running_loop()
            """,
        ),
        Invalid(
            "helpers-only-coroutines-call",
            """
            import asyncio

            async def main():
                def schedule():
                    asyncio.get_event_loop().call_soon(print)
                schedule()
                await _run_blocking(print)

            def _run_blocking(func):
                return asyncio.get_event_loop().run_in_executor(None, func)
            """,
            (
                (5, 9, "`get_event_loop()` in `schedule()`, which only coroutines call: use `asyncio.get_running_loop()`"),
                (10, 12, "`get_event_loop()` in `_run_blocking()`, which only coroutines call: use `asyncio.get_running_loop()`"),
            ),
            fixed="""
            import asyncio

            async def main():
                def schedule():
                    asyncio.get_running_loop().call_soon(print)
                schedule()
                await _run_blocking(print)

            def _run_blocking(func):
                return asyncio.get_running_loop().run_in_executor(None, func)
            """,
        ),
        Invalid(
            "other-handlers-are-not-the-fallback",
            """
            import asyncio

            async def main(conn):
                try:
                    await conn.open()
                except RuntimeError:
                    asyncio.get_event_loop().stop()
                try:
                    loop = asyncio.get_running_loop()
                except ValueError:
                    loop = asyncio.get_event_loop()
            """,
            (
                (7, 9, "`get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`"),
                (11, 16, "`get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`"),
            ),
            fixed="""
            import asyncio

            async def main(conn):
                try:
                    await conn.open()
                except RuntimeError:
                    asyncio.get_running_loop().stop()
                try:
                    loop = asyncio.get_running_loop()
                except ValueError:
                    loop = asyncio.get_running_loop()
            """,
        ),
        Invalid(
            "imported-name-without-replacement-imported",
            """
            from asyncio import get_event_loop

            async def main():
                return get_event_loop()
            """,
            (
                (4, 12, "`get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.catalogue = catalogue.misuse()
        # Sync helpers: names defined once by a sync `def`, and how the module uses them.
        defined = _SYNC_DEF.findall(context.text)
        self.helper_names = {name for name in defined if defined.count(name) == 1}
        self.helper_calls: dict[str, int] = {}  # name -> direct calls from coroutine bodies
        self.helper_misuse: set[str] = set()  # names used any other way
        self.callees: set[int] = set()
        self.not_loads: set[int] = set()
        self.pending: list[tuple[cst.Call, str, Fix | None]] = []  # calls in helpers
        self.fallbacks: set[int] = set()  # `except RuntimeError:` after `get_running_loop()`
        self.in_fallback = 0

    def visit_Try(self, node: cst.Try) -> None:
        running = f"asyncio.{self.catalogue.running_loop}"
        if not awaits.any_node(
            node.body, lambda n: isinstance(n, cst.Call) and self.model.qualified_name(n.func) == running
        ):
            return
        for handler in node.handlers:
            if self._catches_runtime_error(handler.type):
                self.fallbacks.add(id(handler))

    def _catches_runtime_error(self, expr: cst.BaseExpression | None) -> bool:
        if isinstance(expr, cst.Tuple):
            return any(self._catches_runtime_error(element.value) for element in expr.elements)
        return expr is not None and self.model.qualified_name(expr) == "builtins.RuntimeError"

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if id(node) in self.fallbacks:
            self.in_fallback += 1

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if id(node) in self.fallbacks:
            self.in_fallback -= 1

    def visit_Call(self, node: cst.Call) -> None:
        self.callees.add(id(node.func))
        if self.model.qualified_name(node.func) not in self.catalogue.get_event_loop:
            return
        if self.in_fallback:
            return  # the fallback for when no loop runs
        if self.model.in_coroutine:
            self.report(node, fix=self._fix(node, Applicability.SAFE))
            return
        scope = self.model.function_scope()
        if scope is None or scope.kind is not ScopeKind.FUNCTION or scope.is_async:
            return
        function = scope.node
        assert isinstance(function, cst.FunctionDef)  # a function scope is a def's
        if function.decorators:
            return
        name = function.name.value
        nested = scope.parent is not None and scope.parent.kind is ScopeKind.FUNCTION
        module_private = scope.parent is self.model.module_scope and name.startswith("_")
        if name in self.helper_names and (nested or module_private):
            self.pending.append((node, name, self._fix(node, Applicability.UNSAFE)))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.not_loads.add(id(node.name))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_loads.add(id(node.attr))

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_loads.add(id(node.keyword))

    def visit_Name(self, node: cst.Name) -> None:
        name = node.value
        if name not in self.helper_names or id(node) in self.not_loads:
            return
        if id(node) in self.callees and self.model.in_coroutine:
            self.helper_calls[name] = self.helper_calls.get(name, 0) + 1
        else:
            self.helper_misuse.add(name)

    def module_end(self) -> None:
        for node, helper, fix in self.pending:
            if self.helper_calls.get(helper) and helper not in self.helper_misuse:
                self.report(
                    node,
                    f"`get_event_loop()` in `{helper}()`, which only coroutines call: use "
                    "`asyncio.get_running_loop()`",
                    fix,
                )

    def _fix(self, node: cst.Call, applicability: Applicability) -> Fix | None:
        if node.args:
            return None
        func = node.func
        new = self.catalogue.running_loop
        replacement: cst.BaseExpression
        if isinstance(func, cst.Attribute):
            replacement = func.with_changes(attr=cst.Name(new))
        else:
            binding = self.model.lookup(new)
            if binding is None or binding.kind is not BindingKind.IMPORT or binding.qualified not in (
                f"asyncio.{new}", f"asyncio.events.{new}"
            ):
                return None
            replacement = cst.Name(new)
        return Fix(applicability, "call `get_running_loop()`", (Edit(func, replacement),))


class NestedEventLoop(Rule):
    """An event loop is started inside a coroutine.

    ## What it does
    Flags `asyncio.run(...)`, and `loop.run_until_complete(...)` or `loop.run_forever()` on an
    event loop (however it was obtained, as for ASL301), in the body of an `async def`.

    ## Why is this bad?
    A coroutine runs inside a running event loop, and a thread runs one loop at a time: these calls
    raise `RuntimeError` ("cannot be called from a running event loop", "This event loop is already
    running"). Where they do not, as with nest-asyncio patches, they block the outer loop until the
    inner work is done.

    A sync function nested in the coroutine (to run in a thread, say) is not flagged, nor is a
    coroutine that calls `os.fork()` (the child process may start a loop of its own). In a
    Jupyter notebook the top level of a cell counts as a coroutine (IPython runs cells in its
    event loop; `await` works there), unless the notebook uses nest_asyncio.

    ## Example
    ```python
    async def handler():
        result = asyncio.run(fetch())
    ```

    ## Use instead
    ```python
    async def handler():
        result = await fetch()
    ```
    """

    code = "ASL502"
    requires = ("async",)
    name = "nested-event-loop"
    message = "an event loop is started inside a coroutine (RuntimeError: a loop is already running)"

    valid = (
        Valid("top-level-run", """
            import asyncio
            async def main(): ...
            if __name__ == "__main__":
                asyncio.run(main())
        """),
        Valid("in-a-thread-function", """
            import asyncio
            async def main():
                def worker():
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(job())
                await asyncio.to_thread(worker)
        """),
        Valid("receiver-not-a-loop", """
            async def main(runner):
                runner.run_forever()
        """),
        Valid("forked-child", """
            import asyncio
            import os
            async def test_after_fork():
                if os.fork() == 0:
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(ping())
                    os._exit(0)
        """),
    )
    invalid = (
        Invalid(
            "run-and-loop-methods",
            """
            import asyncio
            from asyncio import run

            async def main(loop):
                asyncio.run(job())
                run(job())
                loop.run_until_complete(job())
                asyncio.get_event_loop().run_forever()
            """,
            (
                (5, 5, "`asyncio.run()` inside a coroutine: it raises RuntimeError while a loop runs; await the coroutine instead"),
                (6, 5, "`run()` inside a coroutine: it raises RuntimeError while a loop runs; await the coroutine instead"),
                (7, 5, "`run_until_complete()` inside a coroutine: the loop is already running (RuntimeError); await the work instead"),
                (8, 5, "`run_forever()` inside a coroutine: the loop is already running (RuntimeError); await the work instead"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.catalogue = catalogue.misuse()
        self.spawns: TaskSpawns = context.spawns
        self._forks: dict[int, bool] = {}

    def _forks_here(self) -> bool:
        """Whether the coroutine forks: its child process starts afresh and may run a loop."""
        scope = self.model.function_scope()
        assert scope is not None and isinstance(scope.node, cst.FunctionDef)  # asked inside a coroutine only
        key = id(scope.node)
        if key not in self._forks:
            self._forks[key] = awaits.any_node(
                scope.node.body,
                lambda node: isinstance(node, cst.Call) and self.model.qualified_name(node.func) == "os.fork",
            )
        return self._forks[key]

    def _where(self) -> str | None:
        """Where a loop already runs: in a coroutine, or at a notebook's top level (IPython runs
        cells in its loop, unless nest_asyncio lets loops nest); None elsewhere."""
        if self.model.in_coroutine:
            return None if self._forks_here() else "inside a coroutine"
        if self.context.top_level_await and self.model.scope is self.model.module_scope and "nest_asyncio" not in self.context.text:
            return "in a notebook cell"
        return None

    def visit_Call(self, node: cst.Call) -> None:
        if not self.model.in_coroutine and not self.context.top_level_await:
            return
        func = node.func
        if self.model.qualified_name(func) in self.catalogue.run_functions:
            where = self._where()
            if where is not None:
                self.report(node, f"`{self.context.module.code_for_node(func)}()` {where}: it raises "
                            "RuntimeError while a loop runs; await the coroutine instead")
        elif (
            isinstance(func, cst.Attribute)
            and func.attr.value in self.catalogue.run_methods
            and self.spawns.is_loop(func.value)
        ):
            where = self._where()
            if where is not None:
                self.report(node, f"`{func.attr.value}()` {where}: the loop is already running "
                            "(RuntimeError); await the work instead")


def _version(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


class DeprecatedAsyncioApi(Rule):
    """A deprecated or removed asyncio API is used.

    ## What it does
    Flags, according to `target-version` (the oldest Python the code supports):
    - `@asyncio.coroutine` (deprecated in 3.8, removed in 3.11) and calls to it;
    - `asyncio.Task.all_tasks()` and `asyncio.Task.current_task()` (removed in 3.9);
    - a `loop=` argument to the asyncio functions and classes that dropped it in 3.10
      (`sleep`, `gather`, `wait_for`, `Queue`, `Lock`, `open_connection`, ...; deprecated in 3.8);
    - `asyncio.get_event_loop()` at module level or in a class body, where no loop runs: it warns
      since 3.12 and raises `RuntimeError` since 3.14 unless a loop was set first.

    A use is flagged when the target version is at least the version that deprecated it.
    `asyncio.async(...)` needs no rule: it has been a syntax error since `async` became a keyword
    (3.7), and is reported as one.

    ## Why is this bad?
    Removed APIs fail at run time (`AttributeError`, `TypeError: ... unexpected keyword argument
    'loop'`) on the Python versions the project claims to support; deprecated ones warn now and
    fail later.

    ## Example
    ```python
    loop = asyncio.get_event_loop()
    loop.run_until_complete(main())

    async def poll(queue, loop):
        await asyncio.sleep(1, loop=loop)
    ```

    ## Use instead
    ```python
    asyncio.run(main())

    async def poll(queue):
        await asyncio.sleep(1)
    ```

    ## Options
    - `target-version` (default: the lower bound of `requires-python` in the project's
      pyproject.toml, else py310).
    """

    code = "ASL509"
    name = "deprecated-asyncio-api"
    message = "deprecated or removed asyncio API"

    valid = (
        Valid("modern-code", """
            import asyncio
            async def main():
                await asyncio.sleep(1)
                asyncio.current_task()
            asyncio.run(main())
        """),
        Valid("get-event-loop-in-function", """
            import asyncio
            def start():
                return asyncio.get_event_loop()
        """),
        Valid("loop-argument-elsewhere", """
            import asyncio
            async def main(loop, queue):
                await loop.run_in_executor(None, print)
                server = await loop.create_server(lambda: None, loop=loop)
        """),
        Valid("module-level-get-event-loop-before-3.12", """
            import asyncio
            loop = asyncio.get_event_loop()
        """, options={"target-version": "py311"}),
        Valid("loop-argument-before-3.8", """
            import asyncio
            async def main(loop):
                await asyncio.sleep(1, loop=loop)
        """, options={"target-version": "py37"}),
        Valid("other-coroutine-decorator", """
            import types
            @types.coroutine
            def legacy():
                yield
        """),
    )
    invalid = (
        Invalid(
            "removed-apis",
            """
            import asyncio
            from asyncio import Task, coroutine

            @asyncio.coroutine
            def legacy():
                yield from asyncio.sleep(1)

            @coroutine
            def other():
                pass

            async def main(loop):
                tasks = asyncio.Task.all_tasks()
                me = Task.current_task()
                await asyncio.sleep(1, loop=loop)
                queue = asyncio.Queue(loop=loop)
            """,
            (
                (4, 2, "`@asyncio.coroutine` is deprecated since Python 3.8, removed in 3.11; use an `async def` instead"),
                (8, 2, "`@asyncio.coroutine` is deprecated since Python 3.8, removed in 3.11; use an `async def` instead"),
                (13, 13, "`asyncio.Task.all_tasks()` is removed in Python 3.9; use `asyncio.all_tasks()` instead"),
                (14, 10, "`asyncio.Task.current_task()` is removed in Python 3.9; use `asyncio.current_task()` instead"),
                (15, 28, "the `loop=` argument of `asyncio.sleep()` is removed in Python 3.10"),
                (16, 27, "the `loop=` argument of `asyncio.Queue()` is removed in Python 3.10"),
            ),
        ),
        Invalid(
            "module-level-get-event-loop",
            """
            import asyncio

            loop = asyncio.get_event_loop()

            class Client:
                loop = asyncio.get_event_loop()
            """,
            (
                (3, 8, "`asyncio.get_event_loop()` outside any function, where no loop runs: it warns since Python 3.12 and raises RuntimeError since 3.14 unless a loop was set; use `asyncio.run()`, or `asyncio.new_event_loop()` and `asyncio.set_event_loop()`"),
                (6, 12, "`asyncio.get_event_loop()` outside any function, where no loop runs: it warns since Python 3.12 and raises RuntimeError since 3.14 unless a loop was set; use `asyncio.run()`, or `asyncio.new_event_loop()` and `asyncio.set_event_loop()`"),
            ),
            options={"target-version": "py312"},
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.catalogue = catalogue.misuse()
        self.target = context.settings.target

    def _flag(self, node: cst.CSTNode, what: str, entry: Deprecation) -> None:
        if self.target < entry.deprecated:
            return
        if self.target >= entry.removed:
            status = f"removed in Python {_version(entry.removed)}"
        else:
            status = f"deprecated since Python {_version(entry.deprecated)}, removed in {_version(entry.removed)}"
        instead = f"; use {entry.instead} instead" if entry.instead else ""
        self.report(node, f"{what} is {status}{instead}")

    def visit_Decorator(self, node: cst.Decorator) -> None:
        target = node.decorator.func if isinstance(node.decorator, cst.Call) else node.decorator
        qualified = self.model.qualified_name(target)
        entry = self.catalogue.deprecated.get(qualified) if qualified else None
        if entry is not None:
            self._flag(node.decorator, f"`@{qualified}`", entry)

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.model.qualified_name(node.func)
        if qualified is None:
            return
        entry = self.catalogue.deprecated.get(qualified)
        if entry is not None:
            self._flag(node, f"`{qualified}()`", entry)
        elif qualified in self.catalogue.loop_argument_functions:
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "loop":
                    self._flag(arg, f"the `loop=` argument of `{qualified}()`", self.catalogue.loop_argument)
        elif (
            qualified in self.catalogue.get_event_loop and self.model.function_scope() is None
            and not self.context.top_level_await  # a notebook's cells run in its event loop
        ):
            entry = self.catalogue.module_get_event_loop
            if self.target < entry.deprecated:
                return
            self.report(
                node,
                f"`{qualified}()` outside any function, where no loop runs: it warns since Python "
                f"{_version(entry.deprecated)} and raises RuntimeError since {_version(entry.removed)} "
                "unless a loop was set; use `asyncio.run()`, or `asyncio.new_event_loop()` and "
                "`asyncio.set_event_loop()`",
            )
