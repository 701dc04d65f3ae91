"""ASL504, ASL505: locks of the wrong kind for the code that holds them.

What a `with` item is comes from what it holds (asynclint/resolve/facts.py): a lock type of the
catalogue (rules/types.toml) made by a call, a name assigned one, a parameter annotated with one, or `self.x` / `cls.x`
where the class assigns `x` only such a lock (decided when the class ends, so `__init__` may come
after the method that uses it).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asynclint.checks.shared import awaits
from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.engine.semantic import Scope, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.lint.context import Service
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.names import Ref

THREAD, ASYNCIO, OTHER = "thread", "asyncio", "other"


@dataclass
class _Pending:
    node: cst.With
    item: cst.WithItem
    attr: str
    in_coroutine: bool


class LockKinds(Service):
    """Tells thread locks from asyncio locks: what a value holds (resolve/facts.py) looked up in
    the catalogue's lock lists (rules/types.toml), with `self.x` attributes recorded per class.
    One per file, shared by ASL504 and ASL505."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.facts = context.facts
        known = catalogue.types()
        self.thread, self.asyncio = known.thread_locks, known.asyncio_locks
        self.attributes: dict[tuple[int, str], set[str]] = {}  # (class node id, attr) -> kinds

    def of_value(self, expr: cst.BaseExpression | None) -> str:
        held = self.facts.instance_class(expr) if expr is not None else None
        if held in self.thread:
            return THREAD
        if held in self.asyncio:
            return ASYNCIO
        return OTHER

    def of_expr(self, expr: cst.BaseExpression) -> str | None:
        """The kind of a `with` item now; None when it is `self.x` (decided at class end)."""
        if self.self_attribute(expr) is not None:
            return None
        return self.of_value(expr)

    def self_attribute(self, expr: cst.BaseExpression) -> str | None:
        if (
            isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name)
            and expr.value.value in ("self", "cls")
            and self.enclosing_class() is not None
        ):
            return expr.attr.value
        return None

    def enclosing_class(self) -> Scope | None:
        function = self.model.function_scope()
        scope = function.parent if function is not None else self.model.scope
        return scope if scope is not None and scope.kind is ScopeKind.CLASS else None

    def record_assignment(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        """`self.x = ...` in a method, or `x = ...` in the class body."""
        scope = self.model.scope
        if scope is not None and scope.kind is ScopeKind.CLASS and isinstance(target, cst.Name):
            self.attributes.setdefault((id(scope.node), target.value), set()).add(self.of_value(value))
            return
        attr = self.self_attribute(target)
        if attr is not None:
            owner = self.enclosing_class()
            assert owner is not None  # self_attribute names one only inside a class
            self.attributes.setdefault((id(owner.node), attr), set()).add(self.of_value(value))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self.record_assignment(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.record_assignment(node.target, node.value)

    def attribute_kind(self, class_scope: Scope, attr: str) -> str | None:
        """The kind of lock `self.attr` holds; None when the class never assigns it (it may
        inherit it: the project index decides)."""
        kinds = self.attributes.get((id(class_scope.node), attr))
        if kinds is None:
            return None
        return next(iter(kinds)) if len(kinds) == 1 else OTHER


class _LockRule(Rule):
    """Shared walk: every `with` item's lock kind, with `self.x` items decided at class end."""

    wanted: str

    def __init__(self, context) -> None:
        super().__init__(context)
        self.kinds = context.service(LockKinds)
        self.pending: dict[int, list[_Pending]] = {}  # class node id -> items to decide

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            return
        for item in node.items:
            kind = self.kinds.of_expr(item.item)
            if kind is None:
                owner = self.kinds.enclosing_class()
                attr = self.kinds.self_attribute(item.item)
                assert owner is not None and attr is not None  # of_expr gives None only for `self.x` in a class
                self.pending.setdefault(id(owner.node), []).append(_Pending(node, item, attr, self.model.in_coroutine))
            elif kind == self.wanted:
                self.found(node, item, self.model.in_coroutine)

    def scope_exit(self, scope: Scope) -> None:
        if scope.kind is not ScopeKind.CLASS:
            return
        top_level = scope.parent is not None and scope.parent.kind is ScopeKind.MODULE
        for pending in self.pending.pop(id(scope.node), ()):
            kind = self.kinds.attribute_kind(scope, pending.attr)
            if kind == self.wanted:
                self.found(pending.node, pending.item, pending.in_coroutine)
            elif kind is None and top_level:
                # Assigned in a base class, perhaps in another module: what the index recorded.
                held = Ref("attr", f"{self.context.module_name}.{scope.qualname}", pending.attr, expect=f"lock:{self.wanted}")
                self.found(pending.node, pending.item, pending.in_coroutine, held)

    def found(self, node: cst.With, item: cst.WithItem, in_coroutine: bool, condition: Ref | None = None) -> None:
        raise NotImplementedError


class ThreadLockAcrossAwait(_LockRule):
    """A thread lock is held across an `await`.

    ## What it does
    Flags `with lock:` inside an `async def` when `lock` is a `threading` (or `multiprocessing`)
    lock, semaphore or condition and the block awaits (`await`, `async for`, `async with`). The
    lock is recognised when the `with` creates it, or it is a name assigned one, a parameter
    annotated with one, or `self.x` where the class assigns `x` only such a lock.

    ## Why is this bad?
    While the coroutine is suspended at the `await`, it still holds the lock, and other coroutines
    run on the same thread. The next one that takes the lock blocks the whole event loop thread,
    waiting for a release that can only happen once the loop runs again: a deadlock. With an
    `RLock`, the second coroutine gets in (same thread), so there is no mutual exclusion at all.

    ## Example
    ```python
    class Cache:
        def __init__(self):
            self._lock = threading.Lock()

        async def refresh(self):
            with self._lock:
                self._data = await fetch()
    ```

    ## Use instead
    ```python
    class Cache:
        def __init__(self):
            self._lock = asyncio.Lock()

        async def refresh(self):
            async with self._lock:
                self._data = await fetch()
    ```
    or fetch first and hold the thread lock only around the assignment.
    """

    code = "ASL504"
    requires = ("async",)
    name = "thread-lock-across-await"
    message = "a thread lock is held across an await: the event loop deadlocks when another coroutine takes it"
    wanted = THREAD

    valid = (
        Valid("no-await-inside", """
            import threading
            LOCK = threading.Lock()
            async def update(data):
                fresh = await fetch()
                with LOCK:
                    data.update(fresh)
        """),
        Valid("sync-function", """
            import threading
            def update(lock: threading.Lock):
                with lock:
                    pass
        """),
        Valid("attribute-assigned-something-else-too", """
            import asyncio
            import threading
            class Cache:
                def __init__(self, shared):
                    self._lock = threading.Lock() if shared else asyncio.Lock()
                async def refresh(self):
                    with self._lock:
                        await fetch()
        """),
    )
    invalid = (
        Invalid(
            "every-way-to-hold-it",
            """
            import threading
            from threading import RLock

            LOCK = threading.Lock()

            class Cache:
                async def refresh(self, other: threading.Semaphore):
                    with self._lock:
                        await fetch()
                    with LOCK, open("f"):
                        await fetch()
                    with other:
                        async for x in stream():
                            pass
                    with RLock():
                        await fetch()

                def __init__(self):
                    self._lock = threading.Lock()
            """,
            (
                (8, 14, "a thread lock is held across an await: the event loop deadlocks when another coroutine takes it"),
                (10, 14, "a thread lock is held across an await: the event loop deadlocks when another coroutine takes it"),
                (12, 14, "a thread lock is held across an await: the event loop deadlocks when another coroutine takes it"),
                (15, 14, "a thread lock is held across an await: the event loop deadlocks when another coroutine takes it"),
            ),
        ),
        Invalid(
            "annotated-optional-or-as-a-string",
            """
            from typing import Optional
            import threading

            async def refresh(a: Optional[threading.Lock], b: "threading.RLock | None"):
                with a:
                    await fetch()
                held = b
                with held:
                    await fetch()
            """,
            (
                (5, 10, "a thread lock is held across an await: the event loop deadlocks when another coroutine takes it"),
                (8, 10, "a thread lock is held across an await: the event loop deadlocks when another coroutine takes it"),
            ),
        ),
    )

    def found(self, node: cst.With, item: cst.WithItem, in_coroutine: bool, condition: Ref | None = None) -> None:
        if in_coroutine and awaits.suspends(node.body):
            self.report(item.item, condition=condition)


class SyncWithOnAsyncioLock(_LockRule):
    """An asyncio lock is used with a plain `with`.

    ## What it does
    Flags `with lock:` (not `async with`) when `lock` is an `asyncio.Lock`, `Semaphore`,
    `BoundedSemaphore` or `Condition`, recognised as for ASL504.

    ## Why is this bad?
    asyncio's primitives are acquired with `await`; they have no `__enter__`, so `with lock:`
    raises `TypeError` since Python 3.9 (before that it was a deprecated path that needed
    `with await lock:`). The code never takes the lock.

    ## Example
    ```python
    async def update(self):
        with self._lock:
            await self._refresh()
    ```

    ## Use instead
    ```python
    async def update(self):
        async with self._lock:
            await self._refresh()
    ```

    ## Fix safety
    Inside an `async def`, when the `with` has this one item, the fix makes it `async with`:
    safe, since the plain `with` could only raise.
    """

    code = "ASL505"
    name = "sync-with-asyncio-lock"
    message = "an asyncio lock needs `async with`; a plain `with` raises TypeError"
    fix = Applicability.SAFE
    wanted = ASYNCIO

    valid = (
        Valid("async-with", """
            import asyncio
            lock = asyncio.Lock()
            async def main():
                async with lock:
                    await work()
        """),
        Valid("thread-lock", """
            import threading
            lock = threading.Lock()
            def main():
                with lock:
                    work()
        """),
    )
    invalid = (
        Invalid(
            "lock-assigned-in-a-base-class",
            """
            import asyncio

            class Base:
                def __init__(self):
                    self._lock = asyncio.Lock()

            class Store(Base):
                async def save(self):
                    with self._lock:
                        pass
            """,
            (
                (9, 14, "an asyncio lock needs `async with`; a plain `with` raises TypeError"),
            ),
            fixed="""
            import asyncio

            class Base:
                def __init__(self):
                    self._lock = asyncio.Lock()

            class Store(Base):
                async def save(self):
                    async with self._lock:
                        pass
            """,
        ),
        Invalid(
            "plain-with",
            """
            import asyncio

            class Service:
                def __init__(self):
                    self._lock = asyncio.Lock()

                async def update(self):
                    with self._lock:
                        await self.refresh()

                def reset(self, sem: asyncio.Semaphore):
                    with sem:
                        pass
            """,
            (
                (8, 14, "an asyncio lock needs `async with`; a plain `with` raises TypeError"),
                (12, 14, "an asyncio lock needs `async with`; a plain `with` raises TypeError"),
            ),
            fixed="""
            import asyncio

            class Service:
                def __init__(self):
                    self._lock = asyncio.Lock()

                async def update(self):
                    async with self._lock:
                        await self.refresh()

                def reset(self, sem: asyncio.Semaphore):
                    with sem:
                        pass
            """,
        ),
    )

    def found(self, node: cst.With, item: cst.WithItem, in_coroutine: bool, condition: Ref | None = None) -> None:
        fix = None
        if in_coroutine and len(node.items) == 1:
            fix = Fix(
                Applicability.SAFE,
                "use `async with`",
                (Edit(node, node.with_changes(asynchronous=cst.Asynchronous())),),
            )
        self.report(item.item, fix=fix, condition=condition)
