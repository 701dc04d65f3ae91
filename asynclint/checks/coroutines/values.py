"""ASL104: a coroutine, async generator or async context manager used as a plain value."""

from __future__ import annotations

import dataclasses

import libcst as cst

from asynclint.checks.shared.awaitables import KNOWN, Classified, CoroutineCalls, callee_text, is_generator, placed_arguments
from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.engine.semantic import BindingKind
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.names import ASYNCGEN, Ref, plain_parameter


def _parenthesized_await(call: cst.Call) -> cst.Await:
    # `(await f()).x`: without the parentheses `await f().x` would await the attribute.
    return cst.Await(expression=call, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class CoroutineAsValue(Rule):
    """A coroutine is used as a plain value instead of being awaited.

    ## What it does
    Flags a call to a coroutine function (resolved as for ASL101) whose result is used as if it
    were the coroutine's result: an attribute or subscript of it (`fetch().status`,
    `load()["key"]`), an operand of arithmetic, a comparison or unary `-`, the iterable of a `for`
    or comprehension, the value unpacked by `a, b = ...`, a value in an f-string, or an argument
    of a function that only formats or converts its arguments (`print`, `str`, `len`,
    `json.dumps`, logging calls; the list is data in rules/coroutines.toml), or of a project
    function or class whose parameter there declares a plain value (a number, a string, a class
    that is not awaitable: `Cursor(self, self._execute(sql))` with `cursor: sqlite3.Cursor`).
    Also flags `for x in agen()` over a project async generator, a plain `for` or comprehension
    in an `async def` over a call of a sync project function annotated to return an awaitable that is not iterable
    (a class of the project with `__await__` and no `__iter__`, such as an ORM's query set:
    `for user in User.filter(active=True)`), and
    plain `with` on an async-only context manager (`asyncio.timeout`, `asyncio.TaskGroup`,
    `aiohttp.ClientSession`, ...), whether created in the `with` or held by a name or `self`
    attribute assigned one. (A plain `with` on an asyncio lock is ASL505's.)

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
        with session:
            ...
    ```

    ## Use instead
    ```python
    async def handler(request):
        body = (await read_body(request))["data"]
        async with session:
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
        Valid("library-class-whose-method-a-subclass-makes-sync", """
            import asyncio

            class CannedReader(asyncio.StreamReader):
                def read(self, n=-1):
                    return b"canned"

            async def check(reader: asyncio.StreamReader):
                assert reader.read() == b"canned"
        """),
        Valid("awaitable-that-is-also-iterable", """
            from typing import Any, Generator, Iterator

            class Rows:
                def filter(self, **conditions: Any) -> "Rows":
                    return self

                def __await__(self) -> Generator[Any, None, list]:
                    yield

                def __iter__(self) -> Iterator[Any]:
                    return iter(())

            async def names(rows: Rows):
                return [row.name for row in rows.filter(active=True)]
        """),
    )
    invalid = (
        Invalid(
            "awaitable-query-iterated",
            """
            from typing import Any, Generator

            class QuerySet:
                def filter(self, **conditions: Any) -> "QuerySet":
                    return self

                def __await__(self) -> Generator[Any, None, list]:
                    yield

            async def names(users: QuerySet):
                return [user.name for user in users.filter(active=True)]
            """,
            ((11, 35, "`users.filter()` returns an awaitable that is not iterable, iterated here: `await` is missing"),),
            fixed="""
            from typing import Any, Generator

            class QuerySet:
                def filter(self, **conditions: Any) -> "QuerySet":
                    return self

                def __await__(self) -> Generator[Any, None, list]:
                    yield

            async def names(users: QuerySet):
                return [user.name for user in await users.filter(active=True)]
            """,
        ),
        Invalid(
            # From aiosqlite, with the `await` removed: the project's `Cursor` declares a
            # `sqlite3.Cursor` there. `Lazy` declares nothing, and may well await it.
            "passed-where-a-plain-value-is-declared",
            """
            import sqlite3

            class Cursor:
                def __init__(self, conn, cursor: sqlite3.Cursor) -> None: ...

            class Lazy:
                def __init__(self, conn, pending) -> None: ...

            class Connection:
                async def _execute(self, sql): ...

                async def cursor(self, sql):
                    return Cursor(self, self._execute(sql))

                async def lazy(self, sql):
                    return Lazy(self, self._execute(sql))
            """,
            ((13, 29, "`self._execute()` returns a coroutine, passed to `Cursor()` where it declares a plain value: it is never awaited"),),
            fixed="""
            import sqlite3

            class Cursor:
                def __init__(self, conn, cursor: sqlite3.Cursor) -> None: ...

            class Lazy:
                def __init__(self, conn, pending) -> None: ...

            class Connection:
                async def _execute(self, sql): ...

                async def cursor(self, sql):
                    return Cursor(self, await self._execute(sql))

                async def lazy(self, sql):
                    return Lazy(self, self._execute(sql))
            """,
        ),
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
            (
                (9, 14, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (10, 13, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (11, 13, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (12, 12, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (13, 17, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (15, 15, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (16, 11, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (17, 25, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
                (18, 23, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
            ),
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
            # From tortoise-orm: `_, rows = await self.db.execute_query(sql)` without its await.
            "unpacked",
            """
            class Client:
                async def execute_query(self, sql): ...

                async def rows(self, sql):
                    _, rows = self.execute_query(sql)
                    [count, found] = self.execute_query(sql)
                    first, *rest = self.execute_query(sql)
                    return rows
            """,
            (
                (5, 19, "`self.execute_query()` returns a coroutine, unpacked here: it is never awaited"),
                (6, 26, "`self.execute_query()` returns a coroutine, unpacked here: it is never awaited"),
                (7, 24, "`self.execute_query()` returns a coroutine, unpacked here: it is never awaited"),
            ),
            fixed="""
            class Client:
                async def execute_query(self, sql): ...

                async def rows(self, sql):
                    _, rows = await self.execute_query(sql)
                    [count, found] = await self.execute_query(sql)
                    first, *rest = await self.execute_query(sql)
                    return rows
            """,
        ),
        Invalid(
            "async-generator-and-context-managers",
            """
            import asyncio

            import aiohttp

            async def rows():
                yield 1

            class Store:
                def __init__(self):
                    self._session = aiohttp.ClientSession()

                async def dump(self):
                    with self._session:
                        for row in rows():
                            print(row)
                    with asyncio.timeout(5):
                        pass
            """,
            (
                (13, 14, "`self._session` is an async context manager: use `async with`"),
                (14, 24, "`rows()` is an async generator: iterate it with `async for`"),
                (16, 14, "`asyncio.timeout` is an async context manager: use `async with`"),
            ),
            fixed="""
            import asyncio

            import aiohttp

            async def rows():
                yield 1

            class Store:
                def __init__(self):
                    self._session = aiohttp.ClientSession()

                async def dump(self):
                    async with self._session:
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
                with asyncio.timeout(1):
                    return fetch().result
            """,
            (
                (6, 10, "`asyncio.timeout` is an async context manager: use `async with`"),
                (7, 16, "`fetch()` returns a coroutine, used here as a plain value: it is never awaited"),
            ),
        ),
    )

    _VALUE = "`{callee}()` returns a coroutine, {use}: it is never awaited{how}"

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.service(CoroutineCalls)
        known = catalogue.coroutines()
        self.coroutine_attributes = known.coroutine_attributes
        self.async_cms = known.async_context_managers

    def _value(self, expr: cst.BaseExpression, parenthesize: bool = False, how: str = "used here as a plain value") -> None:
        if isinstance(expr, cst.Call):
            edit = Edit(expr, _parenthesized_await(expr)) if parenthesize else None
            self.calls.report(self, expr, self._VALUE.replace("{use}", how), edit=edit)

    def visit_Assign(self, node: cst.Assign) -> None:
        # `a, b = fetch()`: a coroutine object can't be unpacked (TypeError).
        if any(isinstance(target.target, (cst.Tuple, cst.List)) for target in node.targets):
            self._value(node.value, how="unpacked here")

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
        if self.calls.only_formats(node.func):
            for arg in node.args:
                if not arg.star:
                    self._value(arg.value)
            return
        # `Cursor(self, self._execute(...))` where the project's `Cursor` declares
        # `cursor: sqlite3.Cursor`: the index confirms both the coroutine and the declaration
        callee: Ref | None = None
        for arg, where in placed_arguments(node):
            if not isinstance(arg.value, cst.Call):
                continue
            found = self.calls.classify(arg.value)
            if found is None:
                continue
            callee = callee or self.context.facts.reference(node.func)
            if callee is None or callee.kind not in ("global", "method"):
                return
            condition = plain_parameter(found if isinstance(found, Ref) else None, callee, where)
            use = f"passed to `{callee_text(self.context, node)}()` where it declares a plain value"
            self.calls.report(self, arg.value, self._VALUE.replace("{use}", use), found=condition)

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
        self._iterated_awaitable(expr)
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

    def _iterated_awaitable(self, call: cst.Call) -> None:
        """`for row in Model.filter(...)`: a sync project function annotated to return an
        awaitable class that is not iterable (the index confirms both); `for` raises TypeError.
        Only in an `async def`, where the `await` is what is missing."""
        if not self.model.in_coroutine:
            return
        found = self.calls.iterated_awaitable(call)
        if found is not None:
            self.calls.report(
                self, call,
                "`{callee}()` returns an awaitable that is not iterable, iterated here: `await` is missing",
                found=found,
            )

    def _async_generator(self, call: cst.Call) -> Classified:
        func = call.func
        if isinstance(func, cst.Name):
            binding = self.model.lookup(func.value)
            if binding is not None and binding.kind is BindingKind.FUNCTION and binding.definition is not None:
                node = binding.definition
                if (
                    isinstance(node, cst.FunctionDef) and node.asynchronous is not None
                    and not node.decorators and is_generator(node)
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
        for item, found in zip(node.items, verdicts, strict=True):
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
            self.report(
                item.item,
                lambda item=item: f"`{callee_text(self.context, item.item)}` is an async context manager: use `async with`",
                lambda: Fix(
                    Applicability.SAFE, "use `async with`",
                    (Edit(node, node.with_changes(asynchronous=cst.Asynchronous())),),
                ) if every and in_coroutine else None,
                None if found is KNOWN else found,
            )

    def _async_cm(self, expr: cst.BaseExpression) -> Classified:
        """KNOWN (or a condition) when `expr` is an async-only context manager or a coroutine."""
        if isinstance(expr, cst.Call):
            if self.model.qualified_name(expr.func) in self.async_cms:
                return KNOWN
            return self.calls.classify(expr)
        held = self.context.facts.instance_class(expr)
        if held in self.async_cms:
            return KNOWN
        if (
            isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name) and expr.value.value == "self"
        ):
            owner = self.context.facts.enclosing_class()
            if owner is not None:
                return Ref("attr", f"{self.context.module_name}.{owner}", expr.attr.value, expect="async-cm")
        return None
