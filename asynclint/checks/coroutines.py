"""ASL1xx: coroutines that are created and never awaited.

Whether a call makes a coroutine is decided without types: a library coroutine function from the
catalogue (rules/coroutines.toml), an `async def` of this module or of another module of the
project (through imports and re-exports), a method of the enclosing class or its project bases,
and, for receivers of unknown type, a method name that the project defines only as `async def`
and that common library types do not define (see asynclint/project.py). Cross-module answers are
conditions that the project index decides once every file has been read.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from asynclint import catalogue
from asynclint.diagnostics import Applicability, Edit, Fix
from asynclint.project import ASYNCGEN, Ref, enclosing_class, instance_class, reference
from asynclint.rule import Invalid, Rule, Valid
from asynclint.semantic import BindingKind, Scope, ScopeKind
from asynclint.spawns import TaskSpawns


def _callee_text(context, call: cst.BaseExpression) -> str:
    code = context.module.code_for_node(call.func if isinstance(call, cst.Call) else call)
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

    def report(
        self, rule: Rule, call: cst.BaseExpression, message: str, *,
        found: Ref | object | None = None, at: cst.CSTNode | None = None,
        in_coroutine: bool | None = None, edit: Edit | None = None, title: str = "await the coroutine",
        fixable: bool = True,
    ) -> None:
        """Report `call` if it makes a coroutine; offer a fix inside a coroutine.

        `message` is formatted with `callee` (the called expression) and `how` (a note when the
        callee was inferred from its name alone). `found` is `classify(call)` when the caller has
        it already; `at` is where the finding points (the call by default); `edit` is the fix
        (`await` before the call by default); `in_coroutine` says whether the call sits in an
        `async def` when the report comes after the walk has left it.
        """
        if found is None:
            if not isinstance(call, cst.Call):
                return
            found = self.classify(call)
            if found is None:
                return
        at = call if at is None else at
        condition = None if found is KNOWN else found
        if condition is not None and not self.context.deciding:
            rule.report(at, condition=condition)  # fix and message come when it is checked
            return
        guessed = condition is not None and condition.kind == "duck"
        fix = None
        if fixable and (self.model.in_coroutine if in_coroutine is None else in_coroutine):
            fix = Fix(
                Applicability.UNSAFE if guessed else Applicability.SAFE,
                title,
                (edit or Edit(call, cst.Await(expression=call)),),
            )
        how = " (inferred from the method name: the project defines it only as `async def`)" if guessed else ""
        rule.report(at, message.format(callee=_callee_text(self.context, call), how=how), fix, condition)

    def classify(self, call: cst.Call) -> Ref | object | None:
        """KNOWN when the call makes a coroutine, a condition (`Ref`) for the index when it may,
        None when it cannot be told."""
        return self.classify_function(call.func)

    def classify_function(self, func: cst.BaseExpression) -> Ref | object | None:
        """As `classify`, for the expression naming the function (`save`, `self.flush`)."""
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


class UnawaitedCoroutineBinding(Rule):
    """A coroutine is bound to a name that is never used.

    ## What it does
    Flags `name = f()` in a function, where `f` is a coroutine function (resolved as for ASL101)
    and `name` (including `_`) is never read afterwards in that function: never awaited, returned,
    stored, passed on or scheduled.

    ## Why is this bad?
    Binding the coroutine object does not run it. The name hides the mistake from the checks that
    look at bare statements: nothing happens, and Python warns "coroutine ... was never awaited"
    only when the object is collected.

    A name that is read anywhere in the function is left alone, since what the code does with it
    (`await x`, `tasks.append(x)`, `return x`) may well run it.

    ## Example
    ```python
    async def handler(record):
        result = save(record)
    ```

    ## Use instead
    ```python
    async def handler(record):
        result = await save(record)
    ```

    ## Fix safety
    Inside an `async def`, the fix inserts `await` before the call (safe when the callee was
    resolved through imports, the class hierarchy or an attribute's assignment). In a sync
    function there is no fix.
    """

    code = "ASL102"
    name = "unawaited-coroutine-binding"
    message = "coroutine bound to a name that is never used, so it never runs"
    fix = Applicability.SAFE

    valid = (
        Valid("awaited-later", """
            async def save(): ...
            async def main():
                pending = save()
                await pending
        """),
        Valid("passed-on", """
            import asyncio
            async def save(): ...
            async def main(jobs):
                first = save()
                second = save()
                jobs.append(first)
                return await asyncio.gather(second)
        """),
        Valid("module-level-name", """
            async def save(): ...
            PENDING = save()
        """),
        Valid("global-declared", """
            async def save(): ...
            def start():
                global PENDING
                PENDING = save()
        """),
        Valid("read-in-a-nested-function", """
            async def save(): ...
            def start(loop):
                pending = save()
                def later():
                    loop.create_task(pending)
                return later
        """),
        Valid("sync-function-bound", """
            def save(): ...
            async def main():
                result = save()
        """),
    )
    invalid = (
        Invalid(
            "bound-and-forgotten",
            """
            import asyncio

            async def save(): ...

            async def main():
                result = save()
                _ = asyncio.sleep(1)
                done: bool = save()
                if (pending := save()):
                    pass

            def sync_caller():
                result = save()
            """,
            ((6, 5), (7, 5), (8, 5), (9, 9), (13, 5)),
            fixed="""
            import asyncio

            async def save(): ...

            async def main():
                result = await save()
                _ = await asyncio.sleep(1)
                done: bool = await save()
                if (pending := await save()):
                    pass

            def sync_caller():
                result = save()
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = CoroutineCalls(context)
        # scope -> (binding, call, what classify said, whether in an async def)
        self.candidates: dict[int, list[tuple]] = {}

    def _candidate(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        scope = self.model.scope
        if (
            scope is None
            or scope.kind is not ScopeKind.FUNCTION
            or not isinstance(target, cst.Name)
            or not isinstance(value, cst.Call)
        ):
            return
        found = self.calls.classify(value)
        if found is not None:
            binding = scope.bindings[target.value][-1]
            self.candidates.setdefault(id(scope), []).append((binding, value, found, scope.is_async))

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._candidate(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._candidate(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._candidate(node.target, node.value)

    def scope_exit(self, scope: Scope) -> None:
        candidates = self.candidates.pop(id(scope), ())
        if scope.dynamic:
            return
        for binding, call, found, in_coroutine in candidates:
            if binding.name in scope.loads or binding.name in scope.declared:
                continue
            self.calls.report(
                self, call,
                f"`{{callee}}()` returns a coroutine bound to `{binding.name}`, which is never used: "
                f"it never runs{{how}}",
                found=found, at=binding.node, in_coroutine=in_coroutine,
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


def _parenthesized_await(call: cst.Call) -> cst.Await:
    # `(await f()).x`: without the parentheses `await f().x` would await the attribute.
    return cst.Await(expression=call, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class CoroutineAsValue(Rule):
    """A coroutine is used as a plain value instead of being awaited.

    ## What it does
    Flags a call to a coroutine function (resolved as for ASL101) whose result is used as if it
    were the coroutine's result: an attribute or subscript of it (`fetch().status`,
    `load()["key"]`), an operand of arithmetic, a comparison or unary `-`, the iterable of a `for`
    or comprehension, a value in an f-string, or an argument of a function that only formats or
    converts its arguments (`print`, `str`, `len`, `json.dumps`, logging calls; the list is data
    in rules/coroutines.toml). Also flags `for x in agen()` over a project async generator, and
    plain `with` on an async-only context manager (`asyncio.Lock`, `asyncio.timeout`,
    `asyncio.TaskGroup`, `aiohttp.ClientSession`, ...), whether created in the `with` or held by
    a name or `self` attribute assigned one.

    ## Why is this bad?
    The expression operates on the coroutine object, not on what the coroutine would return, and
    the coroutine never runs: `fetch().status` raises AttributeError, `count() + 1` raises
    TypeError, `print(load())` prints `<coroutine object ...>`. An async generator needs
    `async for`, and an async context manager needs `async with` (a plain `with` raises
    TypeError, or AttributeError for `__enter__`).

    ## Example
    ```python
    async def handler(request):
        body = read_body(request)["data"]
        with lock:
            ...
    ```

    ## Use instead
    ```python
    async def handler(request):
        body = (await read_body(request))["data"]
        async with lock:
            ...
    ```

    ## Fix safety
    Inside an `async def`: the fix inserts `await` (parenthesized where needed), turns `for` over
    an async generator into `async for`, and `with` into `async with` when every item is an async
    context manager. Safe when the callee was resolved through imports, the class hierarchy or
    an attribute's assignment. In a sync function, and for a coroutine call used as a context
    manager, there is no fix.
    """

    code = "ASL104"
    name = "coroutine-as-value"
    message = "coroutine used as a plain value: it is never awaited"
    fix = Applicability.SAFE

    valid = (
        Valid("awaited-values", """
            import asyncio, logging
            _LOGGER = logging.getLogger(__name__)
            async def fetch(): ...
            async def rows():
                yield 1
            async def main(lock: asyncio.Lock):
                status = (await fetch()).status
                total = await fetch() + 1
                _LOGGER.info("got %s", await fetch())
                async for row in rows():
                    print(row)
                async with lock, asyncio.timeout(1):
                    pass
        """),
        Valid("coroutine-object-attributes", """
            async def fetch(): ...
            def cancel_early():
                fetch().close()
        """),
        Valid("sync-context-managers-and-iterables", """
            import threading
            def rows():
                yield 1
            def main():
                with threading.Lock():
                    for row in rows():
                        print(row)
        """),
        Valid("unknown-consumer", """
            async def fetch(): ...
            def main(schedule):
                schedule(fetch())
        """),
    )
    invalid = (
        Invalid(
            "values",
            """
            import json
            import logging

            _LOGGER = logging.getLogger(__name__)

            async def fetch(): ...

            async def main(items):
                status = fetch().status
                first = fetch()[0]
                total = fetch() + 1
                same = fetch() == 2
                for item in fetch():
                    pass
                text = f"{fetch()}"
                print(fetch())
                _LOGGER.debug("%s", fetch())
                return json.dumps(fetch())
            """,
            ((9, 14), (10, 13), (11, 13), (12, 12), (13, 17), (15, 15), (16, 11), (17, 25), (18, 23)),
            fixed="""
            import json
            import logging

            _LOGGER = logging.getLogger(__name__)

            async def fetch(): ...

            async def main(items):
                status = (await fetch()).status
                first = (await fetch())[0]
                total = await fetch() + 1
                same = await fetch() == 2
                for item in await fetch():
                    pass
                text = f"{await fetch()}"
                print(await fetch())
                _LOGGER.debug("%s", await fetch())
                return json.dumps(await fetch())
            """,
        ),
        Invalid(
            "async-generator-and-context-managers",
            """
            import asyncio

            async def rows():
                yield 1

            class Store:
                def __init__(self):
                    self._lock = asyncio.Lock()

                async def dump(self):
                    with self._lock:
                        for row in rows():
                            print(row)
                    with asyncio.timeout(5):
                        pass
            """,
            ((11, 14), (12, 24), (14, 14)),
            fixed="""
            import asyncio

            async def rows():
                yield 1

            class Store:
                def __init__(self):
                    self._lock = asyncio.Lock()

                async def dump(self):
                    async with self._lock:
                        async for row in rows():
                            print(row)
                    async with asyncio.timeout(5):
                        pass
            """,
        ),
        Invalid(
            "in-a-sync-function",
            """
            import asyncio

            async def fetch(): ...

            def main():
                with asyncio.Lock():
                    return fetch().result
            """,
            ((6, 10), (7, 16)),
        ),
    )

    _VALUE = "`{callee}()` returns a coroutine, used here as a plain value: it is never awaited{how}"

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = CoroutineCalls(context)
        known = catalogue.coroutines()
        self.consumers = known.value_consumers
        self.logger_factories = known.logger_factories
        self.logger_methods = known.logger_methods
        self.coroutine_attributes = known.coroutine_attributes
        self.async_cms = known.async_context_managers

    def _value(self, expr: cst.BaseExpression, parenthesize: bool = False) -> None:
        if isinstance(expr, cst.Call):
            edit = Edit(expr, _parenthesized_await(expr)) if parenthesize else None
            self.calls.report(self, expr, self._VALUE, edit=edit)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value not in self.coroutine_attributes:
            self._value(node.value, parenthesize=True)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._value(node.value, parenthesize=True)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._value(node.left)
        self._value(node.right)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._value(node.left)
        for target in node.comparisons:
            self._value(target.comparator)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if not isinstance(node.operator, cst.Not):  # `not coro()` is ASL103's
            self._value(node.expression)

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._value(node.expression)

    def visit_Call(self, node: cst.Call) -> None:
        if self._consumer(node.func):
            for arg in node.args:
                if not arg.star:
                    self._value(arg.value)

    def _consumer(self, func: cst.BaseExpression) -> bool:
        if self.model.qualified_name(func) in self.consumers:
            return True
        if not (isinstance(func, cst.Attribute) and func.attr.value in self.logger_methods):
            return False
        logger = func.value
        if isinstance(logger, cst.Call):  # `logging.getLogger(__name__).info(...)`
            return self.model.qualified_name(logger.func) in self.logger_factories
        if isinstance(logger, cst.Name):
            binding = self.model.lookup(logger.value)
            return (
                binding is not None and isinstance(binding.value, cst.Call)
                and self.model.qualified_name(binding.value.func) in self.logger_factories
            )
        return False

    # -- iteration ---------------------------------------------------------------------------

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self._iterable(node.iter, node)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is None:
            self._iterable(node.iter, node)

    def _iterable(self, expr: cst.BaseExpression, loop: cst.For | cst.CompFor) -> None:
        if not isinstance(expr, cst.Call):
            return
        found = self.calls.classify(expr)
        if found is None:
            return
        if found is KNOWN or found.expect == "async":
            self._value(expr)
        agen = self._async_generator(expr)
        if agen is not None:
            self.calls.report(
                self, expr,
                "`{callee}()` is an async generator: iterate it with `async for`{how}",
                found=agen, edit=Edit(loop, loop.with_changes(asynchronous=cst.Asynchronous())),
                title="iterate with `async for`",
            )

    def _async_generator(self, call: cst.Call) -> Ref | object | None:
        func = call.func
        if isinstance(func, cst.Name):
            binding = self.model.lookup(func.value)
            if binding is not None and binding.kind is BindingKind.FUNCTION and binding.definition is not None:
                node = binding.definition
                if (
                    isinstance(node, cst.FunctionDef) and node.asynchronous is not None
                    and not node.decorators and _is_generator(node)
                    and self.model.module_scope is not None
                    and func.value not in self.model.module_scope.bindings
                ):
                    return KNOWN  # a nested async generator function
        ref = self.context.reference(func)
        return dataclasses.replace(ref, expect=ASYNCGEN) if ref is not None else None

    # -- context managers ----------------------------------------------------------------------

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            return
        verdicts = [self._async_cm(item.item) for item in node.items]
        every = all(v is not None for v in verdicts)
        in_coroutine = self.model.in_coroutine
        for item, found in zip(node.items, verdicts):
            if found is None:
                continue
            if isinstance(item.item, cst.Call) and self.model.qualified_name(item.item.func) not in self.async_cms:
                self.calls.report(
                    self, item.item,
                    "`{callee}()` returns a coroutine, used here as a context manager: it is never "
                    "awaited{how}",
                    found=found, fixable=False,
                )
                continue
            text = _callee_text(self.context, item.item)
            fix = None
            if every and in_coroutine:
                fix = Fix(
                    Applicability.SAFE, "use `async with`",
                    (Edit(node, node.with_changes(asynchronous=cst.Asynchronous())),),
                )
            message = f"`{text}` is an async context manager: use `async with`"
            if found is KNOWN:
                self.report(item.item, message, fix)
            elif not self.context.deciding:
                self.report(item.item, condition=found)
            else:
                self.report(item.item, message, fix, found)

    def _async_cm(self, expr: cst.BaseExpression) -> Ref | object | None:
        """KNOWN (or a condition) when `expr` is an async-only context manager or a coroutine."""
        if isinstance(expr, cst.Call):
            if self.model.qualified_name(expr.func) in self.async_cms:
                return KNOWN
            return self.calls.classify(expr)
        held = instance_class(self.model, expr, self.context.module_name, self.context.is_package)
        if held in self.async_cms:
            return KNOWN
        if (
            isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name) and expr.value.value == "self"
        ):
            owner = enclosing_class(self.model)
            if owner is not None:
                return Ref("attr", f"{self.context.module_name}.{owner}", expr.attr.value, expect="async-cm")
        return None


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
            ((14, 33), (15, 60), (16, 28), (17, 32), (18, 32), (19, 33), (20, 25), (21, 39)),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = CoroutineCalls(context)
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
        api = _callee_text(self.context, node)
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
            ((4, 5), (5, 5), (8, 5)),
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
        self.spawns = TaskSpawns(self.model, context.settings.extend_task_spawners)

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
            f"`{_callee_text(self.context, call)}()` returns a future that is dropped: nothing waits "
            f"for the work, and its result and exceptions are lost",
            fix,
        )


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


RULES = (
    UnawaitedCoroutine, UnawaitedCoroutineBinding, CoroutineInBooleanContext, CoroutineAsValue,
    AsyncFunctionAsSyncCallback,
    DroppedFuture, ReturnedCoroutine,
)
