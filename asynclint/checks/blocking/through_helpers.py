"""ASL209: a coroutine calls a sync function of the project that blocks, maybe through more helpers.

Each file's summary records, per sync function, its first catalogued blocking call and the project
functions it calls (asynclint/resolve/blocking_project.py); the project index follows those calls from
the coroutine's callee, through at most four more sync helpers, cycles cut, and the finding stands
only when it reaches a blocking call. Unknown callees end the search silently.
"""

from __future__ import annotations

import libcst as cst

from asynclint.checks.blocking.base import InCoroutine
from asynclint.checks.shared.awaitables import callee_text
from asynclint.lint.rule import Invalid, Valid
from asynclint.resolve import blocking_project
from asynclint.resolve.names import Ref


class BlockingHelper(InCoroutine):
    """A coroutine calls a sync function of the project that blocks.

    ## What it does
    Flags a call, in an `async def`, to a sync function or method of the project (resolved as for
    ASL101: through imports, re-exports, `self.m()`, `super().m()`, `self.attr.m()`) whose own
    body makes a blocking call of the ASL201-ASL208 catalogue, directly or through up to four more
    sync functions of the project. The message shows the chain:
    `load_config() → read_file() → open()`.

    Only sync functions count, only calls in their own body (not in nested functions or lambdas,
    which may run elsewhere), and a callee the index cannot resolve ends the search: nothing is
    reported on a guess. Neither is a blocking call under an `if` that tests one of the helper's
    parameters (`if host and port:`, `if isinstance(file, str):`): whether it runs depends on the
    caller's arguments, which the chain does not follow. Calls already flagged by ASL201-ASL208 are not flagged again, and neither
    is a helper whose result is awaited (`await serve(...)`): it returns an awaitable, so the
    blocking path is most likely another mode of it (measured on sanic). Generator functions do
    not count: calling one runs none of its body, and whoever iterates it may well do so in a
    thread (Starlette's `StreamingResponse` does).

    ## Why is this bad?
    A blocking call stops the event loop wherever it sits; hiding it in a helper only hides it
    from the reader (and from linters that look at one function at a time).

    ## Example
    ```python
    def read_file(path):
        with open(path) as f:
            return f.read()

    def load_config():
        return read_file("config.toml")

    async def start():
        config = load_config()
    ```

    ## Use instead
    ```python
    async def start():
        config = await asyncio.to_thread(load_config)
    ```

    ## Fix safety
    There is no fix: whether the helper can run in a thread, or should become async, is a design
    decision.
    """

    def __init__(self, context) -> None:
        super().__init__(context)
        self._awaited: set[int] = set()  # calls whose result is awaited

    code = "ASL209"
    name = "blocking-call-through-helper"
    message = "a sync function of the project that blocks is called in a coroutine"

    valid = (
        Valid(
            # From aiokafka: the attribute holds one class or another, and each blocks through
            # its own helper. What they record differs (lists of calls), so the index, which
            # answers for a union only what every class agrees on, stays silent.
            "helper-of-one-class-or-another", """
            import time

            class Disk:
                def work(self):
                    self.spin()

                def spin(self):
                    time.sleep(1)

            class Tape:
                def work(self):
                    self.spin()

                def spin(self):
                    time.sleep(2)

            class Job:
                def __init__(self, fast):
                    self.store = None
                    if fast:
                        self.store = Disk()
                    else:
                        self.store = Tape()

                async def run(self):
                    self.store.work()
            """),
        Valid("blocking-only-behind-a-test-of-a-parameter", """
            import socket

            def get_node(host=None, port=None, name=None):
                if host and port:
                    if host == "localhost":
                        host = socket.gethostbyname(host)
                    return (host, port)
                return name

            def read(file):
                if isinstance(file, str):
                    with open(file) as f:
                        return f.read()
                return file.read()

            async def handler(buffer):
                get_node(name="a")
                read(buffer)
        """),
        Valid("helpers-that-do-not-block", """
            import os

            def join(a, b):
                return os.path.join(a, b)

            def nested():
                def later():
                    return open("x")
                return later

            def thread_only(path):
                return lambda: open(path).read()

            def lines(path):
                with open(path) as f:
                    yield from f

            async def main():
                join("a", "b")
                nested()
                thread_only("x")
                lines("x")
        """),
        Valid("async-helpers-and-threads", """
            import asyncio
            import time

            async def pause():
                await asyncio.sleep(1)

            def slow():
                time.sleep(1)

            async def main():
                await pause()
                await asyncio.to_thread(slow)
                await asyncio.get_running_loop().run_in_executor(None, slow)
        """),
        Valid("awaited-result", """
            import time

            def serve(run_async=False):
                if run_async:
                    return start_server()
                time.sleep(10)

            async def start_server(): ...

            async def main():
                await serve(run_async=True)
        """),
        Valid("cycle-without-blocking", """
            def ping(n):
                return pong(n - 1) if n else 0

            def pong(n):
                return ping(n - 1) if n else 1

            async def main():
                ping(3)
        """),
    )
    invalid = (
        Invalid(
            "chain",
            """
            import time

            def read_file(path):
                with open(path) as f:
                    return f.read()

            def load_config():
                return read_file("config.toml")

            def wait():
                time.sleep(1)

            class Service:
                def load(self):
                    return load_config()

                async def start(self):
                    self.load()
                    load_config()
                    wait()
            """,
            (
                (18, 9, "`self.load()` blocks the event loop through sync helpers: load() → load_config() → read_file() → open()"),
                (19, 9, "`load_config()` blocks the event loop through sync helpers: load_config() → read_file() → open()"),
                (20, 9, "`wait()` blocks the event loop through sync helpers: wait() → time.sleep()"),
            ),
        ),
    )

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited.add(id(node.expression))

    def visit_Call(self, node: cst.Call) -> None:
        if not self.counts(node) or id(node) in self._awaited or self.shared.matches(node):
            return
        found = self.context.facts.reference(node.func)
        if found is None or found.kind not in ("global", "method", "super", "attr"):
            return
        if found.kind == "global" and not self.shared.calls.in_project(found.target):
            return
        condition = Ref(found.kind, found.target, found.name, expect="blocks")

        def message() -> str:  # made only once the index has confirmed the chain
            assert self.context.index is not None
            path = blocking_project.chain(self.context.index, condition)
            return f"`{callee_text(self.context, node)}()` blocks the event loop through sync helpers: {' → '.join(path or ())}"

        self.report(node, message, None, condition)
