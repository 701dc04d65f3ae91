"""ASL512, ASL513: waiting done the wrong way (polling a flag; `asyncio.wait` on coroutines)."""

from __future__ import annotations

import libcst as cst

from asynclint.checks.shared.awaitables import KNOWN, CoroutineCalls
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid


def _reads_state(expr: cst.BaseExpression) -> bool:
    """A condition that only reads a variable or attribute: `flag`, `not self.ready`,
    `self.state != State.OPEN`, `x is None`. Calls, subscripts and literals are not polling."""
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        return _reads_state(expr.expression)
    if isinstance(expr, cst.Comparison):
        return _is_reference(expr.left) and all(
            _is_reference(c.comparator) or isinstance(c.comparator, (cst.Integer, cst.SimpleString, cst.Float))
            for c in expr.comparisons
        )
    return _is_reference(expr)


def _is_reference(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Name):
        return expr.value not in ("True", "False", "None")
    return isinstance(expr, cst.Attribute) and _is_reference(expr.value)


class BusyWait(Rule):
    """A loop polls a flag with `asyncio.sleep()`.

    ## What it does
    Flags `while <condition>: await asyncio.sleep(...)` inside an `async def` when the loop body
    is only the sleep (and `pass`), and the condition only reads a variable or attribute
    (`while not self.ready`, `while self.state != State.OPEN`). Loops whose condition calls
    something, or whose body does other work, are not flagged.

    ## Why is this bad?
    The coroutine wakes up on every tick to look at a value that some other coroutine sets: it
    reacts up to one period late, burns CPU when the period is short, and hides the
    dependency between the two. An `asyncio.Event` (or a `Condition`, or a future) wakes the
    waiter exactly when the value changes.

    ## Example
    ```python
    async def wait_ready(self):
        while not self.ready:
            await asyncio.sleep(0.1)
    ```

    ## Use instead
    ```python
    async def wait_ready(self):
        await self.ready_event.wait()  # the setter calls self.ready_event.set()
    ```
    """

    code = "ASL512"
    requires = ("async", "sleep")
    name = "busy-wait"
    message = "busy-wait: the loop polls a value with `asyncio.sleep()`; wait on an `asyncio.Event` instead"

    valid = (
        Valid("event", """
            async def wait_ready(self):
                await self.ready_event.wait()
        """),
        Valid("condition-calls", """
            import asyncio
            async def wait_done(task):
                while not task.done():
                    await asyncio.sleep(0.1)
        """),
        Valid("body-does-work", """
            import asyncio
            async def heartbeat(self):
                while self.running:
                    await self.send_ping()
                    await asyncio.sleep(30)
        """),
        Valid("sleep-forever", """
            import asyncio
            async def main():
                while True:
                    await asyncio.sleep(3600)
        """),
    )
    invalid = (
        Invalid(
            "polling",
            """
            import asyncio
            from asyncio import sleep

            async def wait_ready(self, state):
                while not self.ready:
                    await asyncio.sleep(0.1)
                while self.state != state:
                    pass
                    await sleep(0)
            """,
            (
                (5, 5, "busy-wait: the loop polls a value with `asyncio.sleep()`; wait on an `asyncio.Event` instead"),
                (7, 5, "busy-wait: the loop polls a value with `asyncio.sleep()`; wait on an `asyncio.Event` instead"),
            ),
        ),
    )

    def visit_While(self, node: cst.While) -> None:
        if not self.model.in_coroutine or node.orelse is not None or not _reads_state(node.test):
            return
        sleeps = 0
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                return
            for small in statement.body:
                if isinstance(small, cst.Pass):
                    continue
                if (
                    isinstance(small, cst.Expr)
                    and isinstance(small.value, cst.Await)
                    and isinstance(small.value.expression, cst.Call)
                    and self.model.qualified_name(small.value.expression.func) in catalogue.misuse().sleeps
                ):
                    sleeps += 1
                    continue
                return
        if sleeps == 1:
            self.report(node)


class WaitOnCoroutines(Rule):
    """`asyncio.wait()` is given coroutines, or `asyncio.wait_for()` a list.

    ## What it does
    Flags `asyncio.wait([...])` when an element of the list, set or tuple (or the element of a
    comprehension) is a call to a coroutine function (resolved as for ASL101), and
    `asyncio.wait_for(...)` whose awaitable is a list, set, tuple or comprehension.

    ## Why is this bad?
    `asyncio.wait` accepts only tasks and futures: since Python 3.11 passing coroutines raises
    `TypeError` (before that they were wrapped in tasks the caller never sees, so the returned
    `done` set could not be matched to them). `asyncio.wait_for` waits for one awaitable; a list is
    not awaitable and raises `TypeError`.

    ## Example
    ```python
    done, pending = await asyncio.wait([fetch(url) for url in urls])
    ```

    ## Use instead
    ```python
    tasks = [asyncio.create_task(fetch(url)) for url in urls]
    done, pending = await asyncio.wait(tasks)
    ```
    or `asyncio.gather(...)`. No fix is offered: wrapping in tasks changes when the work starts and
    which objects `done` holds.
    """

    code = "ASL513"
    name = "wait-on-coroutines"
    message = "`asyncio.wait()` takes tasks or futures, not coroutines (TypeError since Python 3.11)"

    valid = (
        Valid("tasks", """
            import asyncio
            async def fetch(url): ...
            async def main(urls):
                tasks = [asyncio.create_task(fetch(u)) for u in urls]
                await asyncio.wait(tasks)
                await asyncio.wait([asyncio.ensure_future(fetch(u)) for u in urls])
        """),
        Valid("unknown-calls", """
            import asyncio
            async def main(client):
                await asyncio.wait([client.spawn(), make_task()])
        """),
        Valid("wait-for-one", """
            import asyncio
            async def fetch(): ...
            async def main():
                await asyncio.wait_for(fetch(), 5)
        """),
    )
    invalid = (
        Invalid(
            "coroutines-and-lists",
            """
            import asyncio

            async def fetch(url): ...

            async def main(urls):
                await asyncio.wait([fetch(u) for u in urls])
                await asyncio.wait({fetch("a"), asyncio.sleep(1)}, timeout=1)
                await asyncio.wait_for([fetch("a")], 5)
            """,
            (
                (6, 24, "`asyncio.wait()` takes tasks or futures, not coroutines (TypeError since Python 3.11)"),
                (7, 24, "`asyncio.wait()` takes tasks or futures, not coroutines (TypeError since Python 3.11)"),
                (8, 28, "`asyncio.wait_for()` waits for one awaitable; a collection raises TypeError (use `asyncio.gather()` inside it)"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.service(CoroutineCalls)
        self.catalogue = catalogue.misuse()

    def visit_Call(self, node: cst.Call) -> None:
        if not node.args or node.args[0].keyword is not None or node.args[0].star:
            return
        qualified = self.model.qualified_name(node.func)
        if qualified is None:
            return
        first = node.args[0].value
        if qualified in self.catalogue.wait_for:
            if isinstance(first, (cst.List, cst.Set, cst.Tuple, cst.ListComp, cst.SetComp, cst.GeneratorExp)):
                self.report(first, "`asyncio.wait_for()` waits for one awaitable; a collection raises TypeError "
                            "(use `asyncio.gather()` inside it)")
            return
        if qualified not in self.catalogue.wait:
            return
        if isinstance(first, (cst.List, cst.Set, cst.Tuple)):
            elements = [element.value for element in first.elements]
        elif isinstance(first, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            elements = [first.elt]
        else:
            return
        condition = None
        for element in elements:
            if not isinstance(element, cst.Call):
                continue
            found = self.calls.classify(element)
            if found is KNOWN:
                self.report(first)
                return
            if found is not None and condition is None and found.kind != "duck":
                condition = found
        if condition is not None:
            self.report(first, condition=condition)
