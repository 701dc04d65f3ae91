"""ASL518: async clients and pools that are opened and never closed.

Which calls make such a resource, and what closes it, is data (`[resources]` in
rules/misuse.toml). A resource is followed only inside the function that makes it: once it leaves
that function (returned, yielded, stored, handed to a call, entered with `async with`) closing it
is someone else's business, and the rule says nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from asynclint.engine.traverse import walk
from asynclint.knowledge import catalogue
from asynclint.knowledge.catalogue import Resource
from asynclint.lint.rule import Invalid, Rule, Valid

# Loops over these run a fixed number of times (retries, a pool of N): one resource each is
# the point of the loop, not an accident.
_COUNTED = frozenset({"builtins.range"})


@dataclass
class _Made:
    """A resource bound to a local name where it is made."""

    call: cst.Call
    name: str
    resource: Resource
    in_loop: bool


def _made(value: cst.BaseExpression | None) -> cst.BaseExpression | None:
    """What a statement makes: `Client()` or `await connect()`, the call itself."""
    return value.expression if isinstance(value, cst.Await) else value


def _bound(target: cst.BaseExpression) -> set[str]:
    """The names a `for` target binds (`url`, `host, port`, `(i, (a, b))`)."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, cst.Tuple | cst.List):
        return set().union(*(_bound(element.value) for element in target.elements))
    return set()


def _read(args: Sequence[cst.Arg]) -> set[str]:
    """Every name the arguments read."""
    names: set[str] = set()

    def enter(node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Name):
            names.add(node.value)
        return True

    for arg in args:
        walk(arg.value, enter, lambda node: None, ())
    return names


def _uses(function: cst.FunctionDef, name: str, closers: tuple[str, ...]) -> tuple[bool, bool]:
    """(closed, escapes) for the local `name` in `function`, nested frames included: closed when
    any `name.<close>` is read, escapes when the name is read any other way than as the
    receiver of an attribute (`return name`, `f(name)`, `self.x = name`, `async with name`)."""
    closed = escapes = False
    not_reads: set[int] = set()  # Name nodes that are stores or labels, not reads

    def enter(node: cst.CSTNode) -> bool:
        nonlocal closed, escapes
        if isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name) and node.value.value == name:
                # `__aexit__` closes as `async with` does, called by hand
                closed = closed or node.attr.value in closers or node.attr.value == "__aexit__"
                return False
            not_reads.add(id(node.attr))
        elif isinstance(node, cst.AssignTarget | cst.AnnAssign | cst.For | cst.CompFor | cst.NamedExpr):
            not_reads.add(id(node.target))
        elif isinstance(node, cst.AsName):  # `with ... as name`, `except E as name`
            not_reads.add(id(node.name))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            not_reads.add(id(node.keyword))
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            not_reads.add(id(node.name))
        elif isinstance(node, cst.Name) and node.value == name and id(node) not in not_reads:
            escapes = True
        return True

    walk(function.body, enter, lambda node: None, ())
    return closed, escapes


class UnclosedResource(Rule):
    """An async client or pool is created and never closed.

    ## What it does
    Flags, in a function, an `aiohttp.ClientSession()`, `httpx.AsyncClient()`,
    `asyncpg.create_pool()`, `asyncpg.connect()` or `aiosqlite.connect()` (the catalogue's
    resources) that the function makes without `async with` and then:
    - drops: made as a statement, or used once as `Client().get(...)` and forgotten;
    - binds to a local name that it never closes (`await session.close()`, `aclose()`), and
      never lets go of: the name is only ever used as `session.get(...)`-style receiver.

    It also flags an HTTP session (`aiohttp.ClientSession`, `httpx.AsyncClient`) made in the body
    of a `for` loop over data, with `async with` or closed in the loop: a new client, with its own
    connection pool, per item.

    Left alone: a resource that is returned, yielded, stored (`self.session = ...`, in a list or
    dict), passed to any call, aliased, entered with `async with` later, or closed anywhere in the
    function (closing it on every path is another matter, not judged here; aiosqlite's `stop()`
    and asyncpg's `terminate()` close too); resources made at module or class level (long-lived
    on purpose); calls inside `with pytest.raises(...)` or `self.assertRaises(...)` blocks (the
    constructor is expected to fail); loops over `range(...)` (a fixed pool, retries), `while`
    loops (reconnect loops), resources stored from a loop (one per host), and database
    connections made per item (each may be to another database), and clients whose arguments
    read the loop's item (configured for it: another client each time).

    ## Why is this bad?
    These objects own sockets, a connection pool or, for aiosqlite, a thread. Left to the garbage
    collector, their connections are not shut down cleanly: aiohttp warns "Unclosed client
    session", pools keep server connections open until the process ends, and an unclosed aiosqlite
    connection keeps the interpreter from exiting. A session per request also throws away what the
    pool is for (keep-alive, DNS cache): aiohttp's docs say to make one session per application.

    ## Example
    ```python
    async def fetch(url):
        session = aiohttp.ClientSession()
        async with session.get(url) as response:
            return await response.text()
    ```

    ## Use instead
    ```python
    async def fetch(url):
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                return await response.text()
    ```

    ## Fix safety
    No fix: where the resource should be closed (here, or by whoever keeps it) is for the author
    to decide.
    """

    code = "ASL518"
    name = "unclosed-resource"
    message = "an async client or pool is created and never closed: its connections leak; use `async with`"

    valid = (
        Valid("async-with", """
            import aiohttp
            async def fetch(url):
                async with aiohttp.ClientSession() as session:
                    async with session.get(url) as response:
                        return await response.text()
        """),
        Valid("closed", """
            import httpx
            import asyncpg
            async def fetch(url):
                client = httpx.AsyncClient()
                try:
                    return await client.get(url)
                finally:
                    await client.aclose()
            async def count(dsn):
                conn = await asyncpg.connect(dsn)
                rows = await conn.fetch("select 1")
                await conn.close()
                return len(rows)
        """),
        Valid("handed-on", """
            import aiohttp
            from contextlib import AsyncExitStack
            class Api:
                async def start(self):
                    session = aiohttp.ClientSession()
                    self.session = session
                def make(self):
                    return aiohttp.ClientSession()
                async def stack(self, stack: AsyncExitStack):
                    session = aiohttp.ClientSession()
                    await stack.enter_async_context(session)
                    await session.get("/")
                async def later(self):
                    session = aiohttp.ClientSession()
                    await session.get("/")
                    async with session:
                        pass
            async def fixture():
                session = aiohttp.ClientSession()
                yield session
        """),
        Valid("module-level", """
            import httpx
            client = httpx.AsyncClient()
            class Api:
                client = httpx.AsyncClient()
        """),
        Valid("not-a-resource", """
            import requests
            async def fetch(url, make_session):
                session = make_session()
                session.get(url)
                requests.Session().get(url)
        """),
        Valid("expected-to-raise", """
            import aiohttp
            import pytest
            async def test_bad_timeout():
                with pytest.raises(ValueError):
                    aiohttp.ClientSession(timeout=100)
        """),
        Valid("connection-per-database-and-stop", """
            import aiosqlite
            async def copy(paths, rows):
                for path in paths:
                    async with aiosqlite.connect(path) as db:
                        await db.executemany("insert into t values (?)", rows)
                db = await aiosqlite.connect(":memory:")
                await db.stop()
        """),
        Valid("a-client-per-configuration", """
            import aiohttp
            async def check(tokens, url):
                for token in tokens:
                    async with aiohttp.ClientSession(headers={"Authorization": token}) as session:
                        await session.get(url)
        """),
        Valid("counted-and-stored-loops", """
            import httpx
            async def clients(hosts, n):
                made = {}
                for host in hosts:
                    made[host] = httpx.AsyncClient(base_url=host)
                for attempt in range(n):
                    async with httpx.AsyncClient() as client:
                        await client.get("/")
                while True:
                    async with httpx.AsyncClient() as client:
                        await client.get("/")
                return made
        """),
    )
    invalid = (
        Invalid(
            "bound-and-never-closed",
            """
            import aiohttp
            import asyncpg
            from httpx import AsyncClient

            async def fetch(url):
                session = aiohttp.ClientSession()
                async with session.get(url) as response:
                    return await response.text()

            async def rows(dsn):
                pool = await asyncpg.create_pool(dsn)
                return await pool.fetch("select 1")

            def client():
                c: AsyncClient = AsyncClient()
                c.headers["x"] = "y"
            """,
            (
                (6, 15, "`aiohttp.ClientSession()` bound to `session` is never closed, returned or stored: its connections leak; use `async with`, or `await session.close()`"),
                (11, 18, "`asyncpg.create_pool()` bound to `pool` is never closed, returned or stored: its connections leak; use `async with`, or `await pool.close()`"),
                (15, 22, "`AsyncClient()` bound to `c` is never closed, returned or stored: its connections leak; use `async with`, or `await c.aclose()`"),
            ),
        ),
        Invalid(
            "dropped",
            """
            import aiohttp
            import aiosqlite

            async def ping(url):
                aiohttp.ClientSession()
                async with aiohttp.ClientSession().get(url) as response:
                    return response.status

            async def touch(path):
                await aiosqlite.connect(path)
            """,
            (
                (5, 5, "`aiohttp.ClientSession()` is created and dropped without being closed: its connections leak; use `async with`"),
                (6, 16, "`aiohttp.ClientSession()` is used once and never closed: its connections leak; make it with `async with` and use it inside"),
                (10, 11, "`aiosqlite.connect()` is created and dropped without being closed: its connections leak; use `async with`"),
            ),
        ),
        Invalid(
            "one-per-iteration",
            """
            import aiohttp

            async def fetch_all(urls):
                pages = []
                for url in urls:
                    async with aiohttp.ClientSession() as session:
                        async with session.get(url) as response:
                            pages.append(await response.text())
                for url in urls:
                    session = aiohttp.ClientSession()
                    await session.get(url)
                    await session.close()
                return pages
            """,
            (
                (6, 20, "`aiohttp.ClientSession()` is made anew on every iteration of the loop, each with its own connection pool: make one before the loop and reuse it"),
                (10, 19, "`aiohttp.ClientSession()` is made anew on every iteration of the loop, each with its own connection pool: make one before the loop and reuse it"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        known = catalogue.misuse()
        self.resources = known.resources
        self.raises, self.raises_methods = known.raises, known.raises_methods
        self.facts = context.facts
        self.expecting: list[cst.With] = []  # enclosing `with pytest.raises(...)` blocks
        self.made: dict[int, list[_Made]] = {}  # function node id -> resources bound in it
        # Enclosing loops: a `for` over data, False for any other loop, None for a function's
        # frame (the loops around a `def` do not run its body).
        self.loops: list[cst.For | bool | None] = []

    # -- where we are ---------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.loops.append(None)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.loops.pop()
        for made in self.made.pop(id(node), ()):
            closed, escapes = _uses(node, made.name, made.resource.close)
            if escapes:
                continue
            if not closed:
                self.report(
                    made.call,
                    f"`{self._spelt(made.call)}()` bound to `{made.name}` is never closed, returned or stored: "
                    f"its connections leak; use `async with`, or `await {made.name}.{made.resource.close[0]}()`",
                )
            elif made.in_loop and made.resource.shared:
                self._per_iteration(made.call)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.loops.append(None)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.loops.pop()

    def visit_For(self, node: cst.For) -> None:
        counted = isinstance(node.iter, cst.Call) and self.facts.qualified(node.iter.func) in _COUNTED
        self.loops.append(False if counted or node.asynchronous is not None else node)

    def leave_For(self, node: cst.For) -> None:
        self.loops.pop()

    def visit_While(self, node: cst.While) -> None:
        self.loops.append(False)

    def leave_While(self, node: cst.While) -> None:
        self.loops.pop()

    def _in_loop(self, call: cst.Call) -> bool:
        """In the body of a `for` loop over data, in this frame (a counted or `while` loop
        inside one does not change that), with arguments that do not depend on the item: a
        client configured from it (`ClientSession(headers=token_headers(token))`) is another
        client each time."""
        for loop in reversed(self.loops):
            if loop is None:
                return False
            if isinstance(loop, cst.For):
                return not _bound(loop.target) & _read(call.args)
        return False

    # -- what is made ---------------------------------------------------------------------------

    def _resource(self, value: cst.BaseExpression | None) -> tuple[cst.Call, Resource] | None:
        """The call and what it makes, when `value` makes one of the catalogue's resources in a
        function, outside a block that expects it to raise."""
        if not isinstance(value, cst.Call) or self.expecting or self._in_function() is None:
            return None
        name = self.facts.qualified(value.func)
        resource = self.resources.get(name) if name is not None else None
        return (value, resource) if resource is not None else None

    def _spelt(self, call: cst.Call) -> str:
        return self.context.module.code_for_node(call.func)

    def _in_function(self) -> cst.FunctionDef | None:
        scope = self.model.function_scope()
        return scope.node if scope is not None and isinstance(scope.node, cst.FunctionDef) else None

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        found = self._resource(_made(value))
        function = self._in_function()
        if found is None or function is None or not isinstance(target, cst.Name):
            return
        call, resource = found
        self.made.setdefault(id(function), []).append(_Made(call, target.value, resource, self._in_loop(call)))

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._bind(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, node.value)

    def visit_Expr(self, node: cst.Expr) -> None:
        found = self._resource(_made(node.value))
        if found is not None:
            self.report(
                found[0],
                f"`{self._spelt(found[0])}()` is created and dropped without being closed: its connections "
                "leak; use `async with`",
            )

    def visit_Attribute(self, node: cst.Attribute) -> None:
        found = self._resource(_made(node.value))
        if found is None or node.attr.value in found[1].close:
            return
        self.report(
            found[0],
            f"`{self._spelt(found[0])}()` is used once and never closed: its connections leak; make it with "
            "`async with` and use it inside",
        )

    def visit_WithItem(self, node: cst.WithItem) -> None:
        found = self._resource(_made(node.item))
        if found is not None and found[1].shared and self._in_loop(found[0]):
            self._per_iteration(found[0])

    def visit_With(self, node: cst.With) -> None:
        if any(self._expects_raise(item.item) for item in node.items):
            self.expecting.append(node)

    def leave_With(self, node: cst.With) -> None:
        if self.expecting and self.expecting[-1] is node:
            self.expecting.pop()

    def _expects_raise(self, item: cst.BaseExpression) -> bool:
        if not isinstance(item, cst.Call):
            return False
        func = item.func
        if isinstance(func, cst.Attribute) and func.attr.value in self.raises_methods:
            return True
        return self.facts.qualified(func) in self.raises

    def _per_iteration(self, call: cst.Call) -> None:
        self.report(
            call,
            f"`{self._spelt(call)}()` is made anew on every iteration of the loop, each with its own "
            "connection pool: make one before the loop and reuse it",
        )
