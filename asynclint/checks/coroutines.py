"""ASL1xx: coroutines that are created and never awaited.

Whether a call makes a coroutine is decided without types: a library coroutine function from the
catalogue (rules/coroutines.toml), an `async def` of this module or of another module of the
project (through imports and re-exports), a method of the enclosing class or its project bases,
and, for receivers of unknown type, a method name that the project defines only as `async def`
and that common library types do not define (see asynclint/project.py). Cross-module answers are
conditions that the project index decides once every file has been read.
"""

from __future__ import annotations

import libcst as cst

from asynclint import catalogue
from asynclint.diagnostics import Applicability, Edit, Fix
from asynclint.project import Ref, reference
from asynclint.rule import Invalid, Rule, Valid
from asynclint.semantic import BindingKind
from asynclint.spawns import TaskSpawns


def _callee_text(context, call: cst.Call) -> str:
    code = context.module.code_for_node(call.func)
    return code if len(code) <= 40 else code[:37] + "..."


KNOWN = object()  # a call known, from this file alone, to make a coroutine


class CoroutineCalls:
    """Classifies calls: known coroutine now, a condition for the index, or nothing."""

    def __init__(self, context) -> None:
        self.context = context
        self.model = context.model
        known = catalogue.coroutines()
        self.library = known.functions
        self.library_methods = known.methods
        self.loop_methods = known.loop_methods
        self.spawns = TaskSpawns(self.model, context.settings.extend_task_spawners)

    def report(self, rule: Rule, call: cst.BaseExpression, message: str) -> None:
        """Report `call` if it makes a coroutine; offer `await` inside a coroutine.

        `message` is formatted with `callee` (the called expression) and `how` (a note when the
        callee was inferred from its name alone).
        """
        if not isinstance(call, cst.Call):
            return
        found = self.classify(call)
        if found is None:
            return
        condition = None if found is KNOWN else found
        if condition is not None and not self.context.deciding:
            rule.report(call, condition=condition)  # fix and message come when it is checked
            return
        guessed = condition is not None and condition.kind == "duck"
        fix = None
        if self.model.in_coroutine:
            fix = Fix(
                Applicability.UNSAFE if guessed else Applicability.SAFE,
                "await the coroutine",
                (Edit(call, cst.Await(expression=call)),),
            )
        how = " (inferred from the method name: the project defines it only as `async def`)" if guessed else ""
        rule.report(call, message.format(callee=_callee_text(self.context, call), how=how), fix, condition)

    def classify(self, call: cst.Call) -> Ref | object | None:
        """KNOWN when the call makes a coroutine, a condition (`Ref`) for the index when it may,
        None when it cannot be told."""
        func = call.func
        qualified = self.model.qualified_name(func)
        if qualified in self.library:
            return KNOWN
        if isinstance(func, cst.Name):
            binding = self.model.lookup(func.value)
            if (
                binding is not None and binding.kind is BindingKind.FUNCTION
                and binding.definition is not None
                and self.model.module_scope is not None
                and func.value not in self.model.module_scope.bindings
            ):
                # A function nested in this one: its definition is right here.
                node = binding.definition
                nested_async = isinstance(node, cst.FunctionDef) and node.asynchronous is not None
                if nested_async and not node.decorators and not _is_generator(node):
                    return KNOWN
                return None
        if isinstance(func, cst.Attribute):
            if func.attr.value in self.loop_methods and self.spawns.is_loop(func.value):
                return KNOWN  # `loop.sock_recv(...)`, `loop.getaddrinfo(...)`
            if func.attr.value in self.context.library_method_names:
                # `lock = asyncio.Lock(); lock.acquire()`, `writer.drain()` after
                # `reader, writer = await asyncio.open_connection()`
                ref = reference(self.model, func, self.context.module_name, self.context.is_package)
                if ref is not None and ref.kind == "global" and ref.target in self.library_methods:
                    return KNOWN
        return self.context.reference(func)


def _is_generator(node: cst.FunctionDef) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Yield(self, _node) -> bool:
            nonlocal found
            found = True
            return False

        def visit_FunctionDef(self, _node) -> bool:
            return False  # a nested function's yield is its own

        def visit_Lambda(self, _node) -> bool:
            return False

    node.body.visit(Finder())
    return found


class UnawaitedCoroutine(Rule):
    """A coroutine is created as a statement and never awaited.

    ## What it does
    Flags a call to a coroutine function (an `async def` of the project or a library coroutine
    function such as `asyncio.sleep`) used as a statement on its own, in async and sync functions
    alike. The callee is resolved without types: a function of this module or, through imports,
    re-exports and `name = other` aliases, of another module; `self.m()` through the project's class
    hierarchy (unless a subclass overrides `m` with a sync method) and `super().m()`; `Cls().m()`,
    `x = Cls(); x.m()` and parameters annotated with a project class; `self.attr.m()` where `attr`
    is assigned a project class instance (or annotated with one) in the class. Coroutine methods of
    library types (`asyncio.Lock.acquire`, `StreamWriter.drain`, `Event.wait`, an event loop's
    `sock_recv`...) count when the receiver's type is known the same ways, or from what a library
    coroutine returns (`reader, writer = await asyncio.open_connection(...)`).

    ## Why is this bad?
    Calling a coroutine function only creates a coroutine object; none of its body runs until it is
    awaited. The statement silently does nothing, and Python warns "coroutine ... was never
    awaited" at some later point, if at all.

    Type checkers flag this only when they know the types, and skip unannotated functions by
    default; asynclint resolves the call through the project's own definitions instead.

    ## Example
    ```python
    async def save(record): ...

    async def handler(record):
        save(record)
    ```

    ## Use instead
    ```python
    async def handler(record):
        await save(record)
    ```

    ## Fix safety
    Inside an `async def`, the fix inserts `await`. It is safe when the callee was resolved through
    imports, the class hierarchy or what an attribute was assigned, and unsafe when it was inferred
    from the method name alone (only with `infer-by-method-name`). In a sync function there is no
    fix: the call must move to async code or be scheduled.

    ## Options
    - `infer-by-method-name` (default false): also resolve `x.m()` on a receiver of unknown type
      when the project defines `m` only as `async def`. On real projects this misfired on most
      calls (file objects' `seek`, pathlib's `write_bytes`, device libraries' `set_brightness`),
      so it is off unless asked for.
    """

    code = "ASL101"
    name = "unawaited-coroutine"
    message = "coroutine is created and never awaited, so it never runs"
    fix = Applicability.SAFE

    valid = (
        Valid("awaited", """
            import asyncio
            async def save(): ...
            async def main():
                await save()
                await asyncio.sleep(1)
        """),
        Valid("sync-function-called", """
            def save(): ...
            async def main():
                save()
        """),
        Valid("async-generator-is-not-awaitable", """
            async def ticks():
                yield 1
            def main():
                ticks()
        """),
        Valid("unknown-decorator", """
            from somewhere import retry
            @retry
            async def save(): ...
            async def main():
                save()
        """),
        Valid("shadowed-by-a-parameter", """
            async def save(): ...
            async def main(save):
                save()
        """),
        Valid("scheduled", """
            import asyncio
            async def save(): ...
            async def main():
                task = asyncio.create_task(save())
                await task
        """),
        Valid("method-overridden-sync-in-subclass", """
            class Base:
                async def close(self): ...
                def stop(self):
                    self.close()
            class Child(Base):
                def close(self): ...
        """),
        Valid("method-name-alone-is-not-enough", """
            class Engine:
                async def write_hosts(self): ...
            async def update(system):
                system.dns.write_hosts()
        """),
        Valid("self-referencing-assignment", """
            def walk(node):
                node = node.parent()
                node = node.parent().child()
                node.visit()
        """),
        Valid("sync-methods-of-library-types", """
            import asyncio
            async def main(queue: asyncio.Queue, lock):
                queue.put_nowait(1)
                lock.acquire()  # type unknown: could be a threading lock
                reader, writer = await asyncio.open_connection("host", 80)
                writer.write(b"x")
                writer.close()
        """),
        Valid("super-method-is-sync", """
            class Base:
                def close(self): ...
            class Child(Base):
                async def close(self):
                    super().close()
        """),
        Valid("common-method-name-on-unknown-receiver", """
            class Client:
                async def close(self): ...
            async def main(conn):
                conn.close()
        """),
    )
    invalid = (
        Invalid(
            "same-module-function",
            """
            import asyncio

            async def save(record):
                await asyncio.sleep(0)

            async def handler(record):
                save(record)
                asyncio.sleep(1)
            """,
            ((7, 5), (8, 5)),
            fixed="""
            import asyncio

            async def save(record):
                await asyncio.sleep(0)

            async def handler(record):
                await save(record)
                await asyncio.sleep(1)
            """,
        ),
        Invalid(
            "method-through-self-and-base-class",
            """
            class Base:
                async def flush(self): ...

            class Writer(Base):
                async def close(self):
                    self.flush()

                def reset(self):
                    self.flush()
            """,
            ((6, 9), (9, 9)),
            fixed="""
            class Base:
                async def flush(self): ...

            class Writer(Base):
                async def close(self):
                    await self.flush()

                def reset(self):
                    self.flush()
            """,
        ),
        Invalid(
            "nested-async-def",
            """
            async def main():
                async def step():
                    ...
                step()
            """,
            ((4, 5),),
            fixed="""
            async def main():
                async def step():
                    ...
                await step()
            """,
        ),
        Invalid(
            "attribute-holding-a-project-class",
            """
            class Engine:
                async def write_hosts(self): ...

            class System:
                def __init__(self):
                    self.dns = Engine()

                async def update(self):
                    self.dns.write_hosts()
            """,
            ((9, 9),),
            fixed="""
            class Engine:
                async def write_hosts(self): ...

            class System:
                def __init__(self):
                    self.dns = Engine()

                async def update(self):
                    await self.dns.write_hosts()
            """,
        ),
        Invalid(
            "library-methods-on-known-types",
            """
            import asyncio

            class Worker:
                def __init__(self):
                    self._lock = asyncio.Lock()

                async def run(self, event: asyncio.Event):
                    self._lock.acquire()
                    event.wait()
                    reader, writer = await asyncio.open_connection("host", 80)
                    writer.write(b"ping")
                    writer.drain()
                    proc = await asyncio.create_subprocess_exec("ls")
                    proc.wait()
                    loop = asyncio.get_running_loop()
                    loop.sock_sendall(None, b"")
            """,
            ((8, 9), (9, 9), (12, 9), (14, 9), (16, 9)),
            fixed="""
            import asyncio

            class Worker:
                def __init__(self):
                    self._lock = asyncio.Lock()

                async def run(self, event: asyncio.Event):
                    await self._lock.acquire()
                    await event.wait()
                    reader, writer = await asyncio.open_connection("host", 80)
                    writer.write(b"ping")
                    await writer.drain()
                    proc = await asyncio.create_subprocess_exec("ls")
                    await proc.wait()
                    loop = asyncio.get_running_loop()
                    await loop.sock_sendall(None, b"")
            """,
        ),
        Invalid(
            "super-method",
            """
            class Base:
                async def close(self): ...

            class Child(Base):
                async def close(self):
                    super().close()
            """,
            ((6, 9),),
            fixed="""
            class Base:
                async def close(self): ...

            class Child(Base):
                async def close(self):
                    await super().close()
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = CoroutineCalls(context)

    def visit_Expr(self, node: cst.Expr) -> None:
        self.calls.report(
            self, node.value, "`{callee}()` returns a coroutine that is never awaited, so it never runs{how}"
        )


class CoroutineInBooleanContext(Rule):
    """A coroutine is tested for truth instead of awaited.

    ## What it does
    Flags a call to a coroutine function (resolved as for ASL101) used as a condition: the test of
    `if`, `while`, `assert` or a conditional expression, an operand of `not`, `and` or `or`, or a
    comprehension's `if` filter.

    ## Why is this bad?
    A coroutine object is always true, so the condition never depends on what the coroutine would
    return, and the coroutine itself never runs. `if await is_ready():` was meant.

    ## Example
    ```python
    async def handler(user):
        if is_allowed(user):
            ...
    ```

    ## Use instead
    ```python
    async def handler(user):
        if await is_allowed(user):
            ...
    ```

    ## Fix safety
    Inside an `async def`, the fix inserts `await` (safe when the callee was resolved through
    imports, the class hierarchy or an attribute's assignment). In a sync function there is no fix.
    """

    code = "ASL103"
    name = "coroutine-in-boolean-context"
    message = "coroutine used as a condition: it is always true and never runs"
    fix = Applicability.SAFE

    valid = (
        Valid("awaited-condition", """
            async def ready(): ...
            async def main(items):
                if await ready():
                    pass
                while not await ready():
                    pass
                return [i for i in items if await ready()]
        """),
        Valid("sync-condition", """
            def ready(): ...
            async def main():
                if ready() and not ready():
                    pass
        """),
    )
    invalid = (
        Invalid(
            "every-boolean-context",
            """
            async def ready(): ...

            async def main(items, other):
                if ready():
                    pass
                while not ready():
                    pass
                assert ready()
                x = 1 if ready() else 2
                y = other and ready()
                return [i for i in items if ready()]
            """,
            ((4, 8), (6, 15), (8, 12), (9, 14), (10, 19), (11, 33)),
            fixed="""
            async def ready(): ...

            async def main(items, other):
                if await ready():
                    pass
                while not await ready():
                    pass
                assert await ready()
                x = 1 if await ready() else 2
                y = other and await ready()
                return [i for i in items if await ready()]
            """,
        ),
        Invalid(
            "in-a-sync-function",
            """
            class Door:
                async def is_open(self): ...

                def check(self):
                    if self.is_open():
                        return 1
            """,
            ((5, 12),),
        ),
    )

    _MESSAGE = "`{callee}()` returns a coroutine, which is always true here; the check never runs it{how}"

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = CoroutineCalls(context)

    def _test(self, expr: cst.BaseExpression) -> None:
        self.calls.report(self, expr, self._MESSAGE)

    def visit_If(self, node: cst.If) -> None:
        self._test(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._test(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._test(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._test(node.test)

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self._test(node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._test(node.expression)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._test(node.left)
        self._test(node.right)


class ReturnedCoroutine(Rule):
    """An `async def` returns a coroutine without awaiting it.

    ## What it does
    Flags `return f()` inside an `async def` when `f` is a coroutine function (resolved as for
    ASL101).

    ## Why is this bad?
    The caller's `await` gets the coroutine object back instead of its result: the work has not
    happened, and the caller now holds a coroutine it does not expect (and usually never awaits).
    Returning a coroutine from a plain `def` is a normal way to delegate; from an `async def` it
    is almost always a missing `await`.

    ## Example
    ```python
    async def get_user(user_id):
        return fetch_user(user_id)
    ```

    ## Use instead
    ```python
    async def get_user(user_id):
        return await fetch_user(user_id)
    ```

    ## Fix safety
    The fix inserts `await`; it is safe when the callee was resolved through imports, the class
    hierarchy or an attribute's assignment.
    """

    code = "ASL107"
    name = "returned-coroutine"
    message = "coroutine returned from an async function without being awaited"
    fix = Applicability.SAFE

    valid = (
        Valid("awaited", """
            async def fetch(): ...
            async def get():
                return await fetch()
        """),
        Valid("sync-delegation", """
            async def fetch(): ...
            def get():
                return fetch()
        """),
        Valid("lambda-in-coroutine", """
            async def fetch(): ...
            async def main():
                factory = lambda: fetch()
                return await factory()
        """),
    )
    invalid = (
        Invalid(
            "returned-from-async",
            """
            class Store:
                async def load(self, key): ...

                async def get(self, key):
                    return self.load(key)
            """,
            ((5, 16),),
            fixed="""
            class Store:
                async def load(self, key): ...

                async def get(self, key):
                    return await self.load(key)
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = CoroutineCalls(context)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None and self.model.in_coroutine:
            self.calls.report(
                self, node.value,
                "`{callee}()` returns a coroutine, and this async function returns it unawaited: "
                "the caller's await gets the coroutine, not its result{how}",
            )


RULES = (UnawaitedCoroutine, CoroutineInBooleanContext, ReturnedCoroutine)
