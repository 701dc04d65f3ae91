"""ASL517: the event loop and its objects touched from a function that runs in another thread.

Which calls run a function in a thread, and which methods only the loop's own thread may call,
are data (`[thread-handoffs]` and `[thread-unsafe]` in rules/misuse.toml). The function must be
one this module defines (a `def`, a method of the same class, or a lambda), and the receiver's
asyncio type must be known where the call is made: an unknown `.set()` is not an `Event.set()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.engine.semantic import Binding, BindingKind, Scope, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid

_LOOP = "loop"  # the catalogue's name for any event loop
_PARTIAL = "functools.partial"
# Calls after which a thread runs a loop of its own: what it schedules there is that loop's.
_RUNS_LOOP_METHODS = frozenset({"run_forever", "run_until_complete"})
_RUNS_LOOP_FUNCTIONS = frozenset({"asyncio.run", "asyncio.set_event_loop", "asyncio.runners.run"})


@dataclass
class _Unsafe:
    call: cst.Call
    frame: int  # id of the def or lambda whose own body makes the call
    advice: str
    fix: Fix | None


class AsyncioObjectFromThread(Rule):
    """The event loop, or an asyncio future, queue or event, is used from another thread.

    ## What it does
    Flags, in a function that this module hands to a thread (`asyncio.to_thread(f, ...)`,
    `loop.run_in_executor(executor, f, ...)`, `threading.Thread(target=f)`,
    `threading.Timer(t, f)`, `executor.submit(f, ...)` on a `ThreadPoolExecutor`, also through
    `functools.partial(f, ...)`; `f` a `def` of the module, a method of the same class as
    `self.f`, or a lambda), the calls that only the event loop's thread may make:
    `loop.call_soon()`, `call_later()`, `call_at()`, `create_task()`; `asyncio.create_task()` and
    `asyncio.ensure_future()`; `set_result()` and `set_exception()` on an asyncio future;
    `put_nowait()` on an asyncio queue; `set()` on an asyncio event.

    The receiver's type must be known: a loop from `asyncio.get_running_loop()` (or
    `get_event_loop()`, `new_event_loop()`) or annotated as one, a future from
    `loop.create_future()`, a queue or event from its constructor, or any of them annotated
    (`queue: asyncio.Queue[str]`); made outside the thread's function (in the coroutine around it,
    at module level) or given to it as an annotated parameter. A receiver of unknown type is
    left alone, as is a function that runs a loop of its own (`asyncio.run()`,
    `loop.run_forever()`, `asyncio.set_event_loop()`), and calls in functions nested in the
    thread's function (they may be callbacks that run elsewhere).

    ## Why is this bad?
    The event loop and the asyncio primitives are not thread-safe ("almost all asyncio objects
    are not thread safe", says the asyncio documentation). Called from another thread,
    `call_soon()` does not wake the loop, so the callback may wait until something else
    happens; `set_result()` or `put_nowait()` wake waiters through the same unsynchronised
    machinery, and the loop's data structures can be corrupted. `asyncio.create_task()` raises
    `RuntimeError` there, since no loop runs in that thread. `loop.call_soon_threadsafe()` and
    `asyncio.run_coroutine_threadsafe()` are the ways in from another thread.

    ## Example
    ```python
    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def work():
            result = crunch()
            done.set_result(result)

        await asyncio.to_thread(work)
    ```

    ## Use instead
    ```python
    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def work():
            result = crunch()
            loop.call_soon_threadsafe(done.set_result, result)

        await asyncio.to_thread(work)
    ```

    ## Fix safety
    `loop.call_soon(...)` becomes `loop.call_soon_threadsafe(...)`, which takes the same
    arguments and does the same once it runs: safe, where the receiver is known to be an asyncio
    loop. The other calls need a loop at hand and a different call shape: no fix.
    """

    code = "ASL517"
    name = "asyncio-object-from-thread"
    message = "an asyncio object is used from another thread: it is not thread-safe"
    fix = Applicability.SAFE

    valid = (
        Valid("threadsafe-calls", """
            import asyncio
            async def main(work):
                loop = asyncio.get_running_loop()
                done = loop.create_future()
                def run():
                    loop.call_soon_threadsafe(done.set_result, work())
                    asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop)
                await asyncio.to_thread(run)
        """),
        Valid("unknown-receivers", """
            import asyncio
            import threading
            def worker(event, queue, loop):
                event.set()
                queue.put_nowait(1)
                loop.call_soon(print)
            async def main(event, queue):
                threading.Thread(target=worker, args=(event, queue, None)).start()
        """),
        Valid("thread-primitives", """
            import asyncio
            import queue
            import threading
            async def main():
                ready = threading.Event()
                jobs = queue.Queue()
                def run():
                    ready.set()
                    jobs.put_nowait(1)
                await asyncio.to_thread(run)
        """),
        Valid("not-in-a-thread", """
            import asyncio
            async def main():
                loop = asyncio.get_running_loop()
                queue = asyncio.Queue()
                def callback():
                    queue.put_nowait(1)
                loop.call_soon(callback)
                await queue.get()
        """),
        Valid("a-thread-with-its-own-loop", """
            import asyncio
            import threading
            def serve():
                loop = asyncio.new_event_loop()
                asyncio.set_event_loop(loop)
                loop.call_soon(print)
                loop.run_forever()
            threading.Thread(target=serve).start()
        """),
        Valid("callback-nested-in-the-thread-function", """
            import asyncio
            async def main(work):
                loop = asyncio.get_running_loop()
                queue = asyncio.Queue()
                def run():
                    def deliver():
                        queue.put_nowait(work())
                    loop.call_soon_threadsafe(deliver)
                await loop.run_in_executor(None, run)
        """),
    )
    invalid = (
        Invalid(
            "closure-over-loop-objects",
            """
            import asyncio

            async def main(work):
                loop = asyncio.get_running_loop()
                done = loop.create_future()
                queue: asyncio.Queue[int] = asyncio.Queue()
                stop = asyncio.Event()
                pending = []

                def run():
                    loop.call_soon(print, "started")
                    queue.put_nowait(work())
                    done.set_result(True)
                    stop.set()
                    pending.append(asyncio.create_task(queue.join()))

                await asyncio.to_thread(run)
            """,
            (
                (11, 9, "`loop.call_soon()` in `run()`, which runs in another thread (`asyncio.to_thread()`): asyncio objects are not thread-safe; use `loop.call_soon_threadsafe()`"),
                (12, 9, "`queue.put_nowait()` in `run()`, which runs in another thread (`asyncio.to_thread()`): asyncio objects are not thread-safe; use `loop.call_soon_threadsafe(queue.put_nowait, ...)`"),
                (13, 9, "`done.set_result()` in `run()`, which runs in another thread (`asyncio.to_thread()`): asyncio objects are not thread-safe; use `loop.call_soon_threadsafe(done.set_result, ...)`"),
                (14, 9, "`stop.set()` in `run()`, which runs in another thread (`asyncio.to_thread()`): asyncio objects are not thread-safe; use `loop.call_soon_threadsafe(stop.set, ...)`"),
                (15, 24, "`asyncio.create_task()` in `run()`, which runs in another thread (`asyncio.to_thread()`): asyncio objects are not thread-safe; no loop runs there (RuntimeError): use `asyncio.run_coroutine_threadsafe(coro, loop)`"),
            ),
            fixed="""
            import asyncio

            async def main(work):
                loop = asyncio.get_running_loop()
                done = loop.create_future()
                queue: asyncio.Queue[int] = asyncio.Queue()
                stop = asyncio.Event()
                pending = []

                def run():
                    loop.call_soon_threadsafe(print, "started")
                    queue.put_nowait(work())
                    done.set_result(True)
                    stop.set()
                    pending.append(asyncio.create_task(queue.join()))

                await asyncio.to_thread(run)
            """,
        ),
        Invalid(
            "threads-executors-methods-and-lambdas",
            """
            import asyncio
            import functools
            import threading
            from concurrent.futures import ThreadPoolExecutor

            def poll(loop: asyncio.AbstractEventLoop, handle):
                loop.call_later(1, handle)

            class Worker:
                def __init__(self, loop: asyncio.AbstractEventLoop):
                    self.loop = loop

                def _run(self, loop: asyncio.AbstractEventLoop, coro):
                    return loop.create_task(coro)

                async def start(self, coro, handle):
                    loop = asyncio.get_running_loop()
                    threading.Thread(target=self._run, args=(loop, coro)).start()
                    with ThreadPoolExecutor() as pool:
                        pool.submit(functools.partial(poll, loop, handle))
                    await loop.run_in_executor(None, lambda: loop.call_soon(handle))
            """,
            (
                (7, 5, "`loop.call_later()` in `poll()`, which runs in another thread (`pool.submit()`): asyncio objects are not thread-safe; use `loop.call_soon_threadsafe(loop.call_later, ...)`"),
                (14, 16, "`loop.create_task()` in `_run()`, which runs in another thread (`threading.Thread()`): asyncio objects are not thread-safe; use `asyncio.run_coroutine_threadsafe(coro, loop)`"),
                (21, 50, "`loop.call_soon()` in a lambda, which runs in another thread (`loop.run_in_executor()`): asyncio objects are not thread-safe; use `loop.call_soon_threadsafe()`"),
            ),
            fixed="""
            import asyncio
            import functools
            import threading
            from concurrent.futures import ThreadPoolExecutor

            def poll(loop: asyncio.AbstractEventLoop, handle):
                loop.call_later(1, handle)

            class Worker:
                def __init__(self, loop: asyncio.AbstractEventLoop):
                    self.loop = loop

                def _run(self, loop: asyncio.AbstractEventLoop, coro):
                    return loop.create_task(coro)

                async def start(self, coro, handle):
                    loop = asyncio.get_running_loop()
                    threading.Thread(target=self._run, args=(loop, coro)).start()
                    with ThreadPoolExecutor() as pool:
                        pool.submit(functools.partial(poll, loop, handle))
                    await loop.run_in_executor(None, lambda: loop.call_soon_threadsafe(handle))
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        known = catalogue.misuse()
        tasks = catalogue.tasks()
        self.handoffs = known.thread_handoffs
        self.loop_methods = known.thread_loop_methods
        self.unsafe_methods = known.thread_unsafe
        self.future_makers = known.future_makers
        self.spawners = tasks.functions
        self.loop_getters = tasks.loop_getters
        self.loop_types = tasks.loop_types
        self.facts = context.facts
        self.found: list[_Unsafe] = []
        self.handed: dict[int, str] = {}  # frame id -> how it is handed to a thread (first seen)
        self.handed_later: list[tuple[str, str]] = []  # (qualified name of a def, how): resolved at the end
        self.defs: dict[str, list[int]] = {}  # qualified name of a def -> its nodes' ids
        self.labels: dict[int, str] = {}  # frame id -> how the message names it
        self.own_loops: set[int] = set()  # frames that run a loop of their own

    # -- the functions handed to threads --------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        scope = self.model.scope  # the function's own, entered before the rules see the node
        if scope is not None and scope.node is node:
            self.defs.setdefault(scope.qualname, []).append(id(node))
        self.labels[id(node)] = f"`{node.name.value}()`"

    def _passed(self, call: cst.Call) -> cst.BaseExpression | None:
        """The function `call` runs in another thread, if it is such a call."""
        func = call.func
        name = self.facts.callee(call)
        where: tuple[int, str | None] | None = self.handoffs.get(name) if name is not None else None
        if where is None and isinstance(func, cst.Attribute) and func.attr.value in self.loop_methods:
            where = (self.loop_methods[func.attr.value], None)
        if where is None:
            return None
        position, keyword = where
        positional = []
        for arg in call.args:
            if arg.star:
                break  # later positions are unknown
            if arg.keyword is None:
                positional.append(arg.value)
            elif arg.keyword.value == keyword:
                return arg.value
        return positional[position] if position < len(positional) else None

    def _hand(self, target: cst.BaseExpression, how: str) -> None:
        if isinstance(target, cst.Call) and self.facts.qualified(target.func) == _PARTIAL and target.args:
            target = target.args[0].value
        if isinstance(target, cst.Lambda):
            self.handed.setdefault(id(target), how)
            self.labels[id(target)] = "a lambda"
        elif isinstance(target, cst.Name):
            binding = self.model.lookup(target.value)
            if binding is None:  # a module-level def further down
                self.handed_later.append((target.value, how))
            elif binding.kind is BindingKind.FUNCTION and isinstance(binding.definition, cst.FunctionDef):
                self.handed.setdefault(id(binding.definition), how)
        elif (
            isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
            and target.value.value in ("self", "cls")
        ):
            owner = self._enclosing_class()
            if owner is not None:
                self.handed_later.append((f"{owner}.{target.attr.value}", how))

    def _enclosing_class(self) -> str | None:
        scope = self.model.function_scope()
        parent = scope.parent if scope is not None else None
        return parent.qualname if parent is not None and parent.kind is ScopeKind.CLASS else None

    # -- the calls only the loop's thread may make ----------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        target = self._passed(node)
        if target is not None:
            self._hand(target, f"{self.context.module.code_for_node(node.func)}()")
        scope = self.model.function_scope()
        if scope is None or (scope.kind is ScopeKind.FUNCTION and scope.is_async):
            return  # a coroutine is not what these APIs run in a thread
        func = node.func
        qualified = self.facts.qualified(func)
        if qualified in _RUNS_LOOP_FUNCTIONS or (
            isinstance(func, cst.Attribute) and func.attr.value in _RUNS_LOOP_METHODS
        ):
            self.own_loops.add(id(scope.node))
            return
        if qualified in self.spawners:
            self.found.append(_Unsafe(
                node, id(scope.node),
                "no loop runs there (RuntimeError): use `asyncio.run_coroutine_threadsafe(coro, loop)`", None,
            ))
            return
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return
        method, receiver = func.attr.value, func.value.value
        kind = self._kind(func.value, scope)
        if kind is None or method not in self.unsafe_methods.get(kind, ()):
            return
        fix = None
        if kind != _LOOP:
            advice = f"use `loop.call_soon_threadsafe({receiver}.{method}, ...)`"
        elif method == "call_soon":
            advice = f"use `{receiver}.call_soon_threadsafe()`"
            replacement = func.with_changes(attr=cst.Name("call_soon_threadsafe"))
            fix = Fix(Applicability.SAFE, "call `call_soon_threadsafe()`", (Edit(func, replacement),))
        elif method == "create_task":
            advice = f"use `asyncio.run_coroutine_threadsafe(coro, {receiver})`"
        else:
            advice = f"use `{receiver}.call_soon_threadsafe({receiver}.{method}, ...)`"
        self.found.append(_Unsafe(node, id(scope.node), advice, fix))

    def _kind(self, receiver: cst.Name, scope: Scope) -> str | None:
        """The receiver's asyncio type ("loop" for any event loop), when it is known and the
        object was made outside the thread's function (or given to it, annotated)."""
        binding = self.model.lookup(receiver.value)
        if binding is None:
            return None
        own = any(b is binding for b in scope.bindings.get(receiver.value, ()))
        if own and binding.kind is not BindingKind.PARAM:
            return None  # made in the thread: its own object
        return self._type_of(binding, scope)

    def _type_of(self, binding: Binding, scope: Scope) -> str | None:
        annotation = binding.annotation
        if annotation is not None:
            if isinstance(annotation, cst.Subscript):  # `asyncio.Queue[int]`
                annotation = annotation.value
            named = self.facts.annotated_class(annotation)
            if named in self.loop_types:
                return _LOOP
            return named if named in self.unsafe_methods else None
        value = binding.value
        if binding.kind is not BindingKind.ASSIGN or not isinstance(value, cst.Call):
            return None
        if self.facts.qualified(value.func) in self.loop_getters:
            return _LOOP
        func = value.func
        if (
            isinstance(func, cst.Attribute) and func.attr.value in self.future_makers
            and isinstance(func.value, cst.Name)
        ):
            maker = self.model.lookup(func.value.value)
            if maker is not None and maker is not binding and self._type_of(maker, scope) == _LOOP:
                return "asyncio.Future"
        held = self.facts.instance_class(value)
        return held if held in self.unsafe_methods else None

    def module_end(self) -> None:
        for name, way in self.handed_later:
            for key in self.defs.get(name, ()):
                self.handed.setdefault(key, way)
        for unsafe in self.found:
            how = self.handed.get(unsafe.frame)
            if how is None or unsafe.frame in self.own_loops:
                continue
            func = unsafe.call.func
            self.report(
                unsafe.call,
                f"`{self.context.module.code_for_node(func)}()` in {self.labels.get(unsafe.frame, 'a function')}, "
                f"which runs in another thread (`{how}`): asyncio objects are not thread-safe; {unsafe.advice}",
                unsafe.fix,
            )
