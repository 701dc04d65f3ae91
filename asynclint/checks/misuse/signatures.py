"""ASL516: what an `async def`'s signature says about how it should be called."""

from __future__ import annotations

import libcst as cst

from asynclint.engine.semantic import ScopeKind
from asynclint.lint.rule import Invalid, Rule, Valid

_TIMEOUT = "timeout"


class AsyncFunctionWithTimeout(Rule):
    """An `async def` takes a `timeout` parameter.

    ## What it does
    Flags a parameter named `timeout` (positional, positional-only or keyword-only; not
    `*timeout` or `**timeout`) of an `async def`, when `target-version` is py311 or later (where
    `asyncio.timeout()` exists).

    Left alone, because their signature is not theirs to choose: decorated functions (`@override`,
    route handlers, retry wrappers, abstract methods...), methods of classes with base classes
    (they may implement an interface or a protocol), test modules (a `timeout` parameter of a
    test is a pytest fixture) and stub files.

    ## Why is this bad?
    With asyncio the caller can bound any await with `async with asyncio.timeout(...)`, and
    cancellation carries the deadline through every coroutine it calls. A `timeout` parameter
    makes each function reimplement that, usually with `asyncio.wait_for` around one of several
    awaits (so the limit covers only part of the work), and callers that want one deadline for
    several calls must split it up themselves. flake8-async (ASYNC109) and ruff recommend timeout
    context managers at the call site instead.

    A `timeout` is often more than a deadline, and then a call-site timeout is no replacement:
    a poll (`get_message(timeout=0)`), a wait that returns a value instead of raising
    (`wait_closed(timeout) -> bool`, `asyncio.wait`), a grace period before forcing a shutdown,
    a structured timeout object (aiohttp's `ClientTimeout`), or a value sent to a server (a long
    poll). That is why the rule is opt-in: on 23 real async projects and asyncio's own sources
    (982,000 lines, checked as py311) it reported 61 parameters, and in 30 of them the timeout
    was one of those.

    ## Example
    ```python
    async def fetch(session, url, timeout=10):
        return await asyncio.wait_for(session.get(url), timeout)

    await fetch(session, url, timeout=5)
    ```

    ## Use instead
    ```python
    async def fetch(session, url):
        return await session.get(url)

    async with asyncio.timeout(5):
        await fetch(session, url)
    ```

    ## Fix safety
    No fix is offered: every caller changes.

    ## Options
    - `target-version` (default: the lower bound of `requires-python` in the project's
      pyproject.toml, else py310): silent below py311.
    """

    code = "ASL516"
    requires = ("async", "timeout")
    name = "async-function-with-timeout"
    message = "`async def` with a `timeout` parameter: let the caller use `async with asyncio.timeout(...)`"
    opt_in = True

    valid = (
        Valid("sync-function", """
            def connect(host, timeout=10):
                ...
        """, options={"target-version": "py311"}),
        Valid("before-3.11", """
            async def fetch(url, timeout=10):
                ...
        """, options={"target-version": "py310"}),
        Valid("decorated-or-overriding", """
            from typing import override

            class Transport(BaseTransport):
                async def read(self, timeout=None):
                    ...

            class Client:
                @override
                async def close(self, timeout=None):
                    ...
        """, options={"target-version": "py312"}),
        Valid("star-parameters-and-other-names", """
            async def fetch(url, *timeout, read_timeout=5, **options):
                ...
        """, options={"target-version": "py311"}),
        Valid("pytest-fixture", """
            async def test_fetch(client, timeout):
                await client.get("/", timeout=timeout)
        """, path="tests/test_client.py", options={"target-version": "py311"}),
    )
    invalid = (
        Invalid(
            "timeout-parameters",
            """
            import asyncio

            async def fetch(session, url, timeout=10):
                return await asyncio.wait_for(session.get(url), timeout)

            class Client:
                async def ping(self, *, timeout: float = 1.0):
                    ...

            async def main(session):
                async def poll(timeout, /):
                    ...
            """,
            (
                (3, 31, "`async def` with a `timeout` parameter: let the caller use `async with asyncio.timeout(...)`"),
                (7, 29, "`async def` with a `timeout` parameter: let the caller use `async with asyncio.timeout(...)`"),
                (11, 20, "`async def` with a `timeout` parameter: let the caller use `async with asyncio.timeout(...)`"),
            ),
            options={"target-version": "py311"},
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.on = (
            context.settings.target >= (3, 11) and not context.is_test and not context.path.endswith(".pyi")
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.on or node.asynchronous is None or node.decorators:
            return
        scope = self.model.scope  # the function's own scope: its parent holds the definition
        owner = scope.parent if scope is not None else None
        if owner is not None and owner.kind is ScopeKind.CLASS:
            klass = owner.node
            assert isinstance(klass, cst.ClassDef)  # a class scope is a class statement's
            if klass.bases or klass.keywords:
                return
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.name.value == _TIMEOUT:
                self.report(param.name)
