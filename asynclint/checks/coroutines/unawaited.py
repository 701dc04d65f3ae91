"""ASL101, ASL102, ASL103, ASL107: coroutines that are created and never awaited.

How a call is known to make a coroutine is in asynclint/checks/shared/awaitables.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from asynclint.checks.shared.awaitables import KNOWN, Classified, CoroutineCalls, callee_text, placed_arguments
from asynclint.checks.shared.bindings import NameBindings
from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.engine.reaching import Layout
from asynclint.engine.semantic import Binding, BindingKind, Scope, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.blocking_project import declared_type
from asynclint.resolve.names import Ref, plain_declared, plain_parameter

# The client module of the "receiver-typed-through-the-project" examples: a decorator that keeps
# a method a coroutine function, a subclass overriding through it, declared attributes.
_TYPED_CLIENT = """\
import asyncio
from functools import wraps


def translate(func):
    @wraps(func)
    async def wrapper(self, *args):
        return await func(self, *args)
    return wrapper


class Client:
    async def execute_query(self, query): ...

    async def close(self): ...


class SqliteClient(Client):
    @translate
    async def execute_query(self, query): ...


class State:
    ready: asyncio.Event

    def __init__(self, client: Client) -> None:
        self.client = client
        self.ready = asyncio.Event()


def make_state() -> State:
    return State(Client())


async def connect() -> Client:
    return Client()
"""


class UnawaitedCoroutine(Rule):
    """A coroutine is created as a statement and never awaited.

    ## What it does
    Flags a call to a coroutine function (an `async def` of the project or a library coroutine
    function such as `asyncio.sleep`) used as a statement on its own, in async and sync functions
    alike. The callee is resolved without types: a function of this module or, through imports,
    re-exports and `name = other` aliases, of another module; `self.m()` through the project's class
    hierarchy (unless a subclass overrides `m` with a sync method) and `super().m()`; `Cls().m()`,
    `x = Cls(); x.m()` and parameters annotated with a project class; `self.attr.m()` where `attr`
    is assigned a project class instance in the class or declared with one (`attr: Client` in the
    class body, `self.attr: Client = ...`; a first `self.attr = None` says nothing against it);
    longer chains and values made by calls (`self.state.client.m()`, `ctx = cls.context();
    ctx.m()`, `(await connect()).m()`, `self.streams[key].m()` with `streams: dict[int, Stream]`)
    through what attributes hold, properties, items of annotated containers (subscripts, `get()`,
    `values()`, `for` targets), and the return annotations of sync and async functions. A
    subclass overriding `m` through a decorator that keeps it a coroutine function (`@wraps`
    around an `async def`) keeps `self.m()` known. Coroutine methods of
    library types (`asyncio.Lock.acquire`, `StreamWriter.drain`, `Event.wait`, an event loop's
    `sock_recv`...) count when the receiver's type is known the same ways, from what a library
    coroutine returns (`reader, writer = await asyncio.open_connection(...)`), or from an
    `async with` on a client that enters as itself (`async with httpx.AsyncClient() as client`) or
    as another known type (`async with pool.acquire() as conn`, `async with session.get(url) as
    resp`, `async with aiofiles.open(path) as f`: what awaiting the call gives, or the catalogue's
    `enters-as` where entering differs), or from what a library coroutine method gives when
    awaited (`resp = await session.get(url)`), unless a class of the module deriving from the
    library's class defines the method with a plain `def` (aiohttp's tests hand
    `response_class=` such a `ClientResponse`: a value declared of the library's class may be one
    of it). Attributes annotated with a union of project
    classes count when every class that may have the method makes it a coroutine function (one
    whose MRO is all the project's and that defines no such name would raise AttributeError). A
    call of an instance whose class has an async `__call__` (`self.app(scope)` with `app:
    AppWrapper`) and of a parameter annotated `Callable[..., Coroutine[...]]` (directly or through
    a type alias of the module) makes a coroutine too; `Callable[..., Awaitable[...]]` may give a
    future, and does not count. A name imported twice (`try: from asyncio import TaskGroup` /
    `except ImportError: from taskgroup import TaskGroup`) stands for the one import whose module
    the project or its environment has. The class hierarchy is read in Python's method resolution order
    (C3: in a diamond, the class Python would pick), generic bases (`Repo(Base[Model])`) included;
    `self` in a function nested in a method is the method's; a `self` annotated in a mixin's
    method (`def go(self: "Service")`) is that class; a type variable stands for its bound
    (`MODEL = TypeVar("MODEL", bound="Model")`, `remote: type[MODEL]`, then
    `self.remote.create()`); a name bound once to a method calls it (`check = self.check_x;
    check()`); classes nested in classes are followed as dotted names (`Outer.Inner().m()`,
    `self.Inner().m()`, `-> "Outer.Inner"`). A function without a return annotation gives what
    every one of its `return`s gives, when they agree (`return Engine()`, `return self._engine`;
    `return None` says nothing). `async with Cls() as x` for a project class binds what
    its `__aenter__` is annotated to return (`Self` is the class).

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
        Valid(
            "what-a-generator-returns-is-not-what-calling-it-gives",
            """
            class Engine:
                async def dispose(self) -> None: ...

            def engines():
                yield Engine()
                return Engine()

            async def shutdown():
                engines().dispose()
            """,
        ),
        Valid(
            "factory-whose-returns-disagree",
            """
            class Engine:
                async def dispose(self) -> None: ...

            class Fake:
                def dispose(self) -> None: ...

            def get_engine(fake):
                if fake:
                    return Fake()
                return Engine()

            async def shutdown():
                get_engine(True).dispose()
            """,
        ),
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
        Valid("project-decorators-that-do-not-make-async-wrappers", """
            def maybe(func):
                if func is None:
                    return func
                async def wrapper():
                    ...
                return wrapper

            def sync_wrap(func):
                def wrapper():
                    ...
                return wrapper

            def retry_times(count):
                def decorator(func):
                    async def wrapper():
                        ...
                    return wrapper
                return decorator

            @maybe
            async def a(): ...

            @sync_wrap
            async def b(): ...

            @retry_times  # a factory used without its call
            async def c(): ...

            async def main():
                a()
                b()
                c()
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
        Valid("project-decorator-whose-async-wrapper-is-made-sync", """
            import functools

            def run_sync(coro):
                @functools.wraps(coro)
                def runner(self, *args):
                    return self.loop.run_until_complete(coro(self, *args))
                return runner

            def with_client(func):
                @run_sync
                @functools.wraps(func)
                async def wrapper(self):
                    await func(self, None)
                return wrapper

            class Tests:
                @with_client
                async def _check(self, client):
                    pass

                def test_it(self):
                    self._check()
        """),
        Valid("self-referencing-unpacking-awaits-and-entering", """
            async def parse(key, reader, stream):
                key, _ = key.partition("+")
                key.lower()
                reader = await reader.next()
                reader.close()
                async with stream.open() as stream:
                    stream.flush()
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
        Valid("entered-as-something-not-listed", """
            import aiohttp
            import asyncpg
            async def main(dsn, url):
                async with asyncpg.create_pool(dsn) as pool:
                    async with pool.acquire() as conn:
                        async with conn.transaction() as tr:
                            tr.execute("select 1")  # what `transaction()` enters as is not known
                async with aiohttp.ClientSession() as session:
                    async with session.get(url) as resp:
                        resp.raise_for_status()  # a sync method of the response
                        resp.release()
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
        Valid("diamond-resolved-in-c3-order", """
            class Base:
                async def close(self): ...
            class Buffered(Base):
                pass
            class Sync(Base):
                def close(self): ...
            class Both(Buffered, Sync):
                async def run(self):
                    self.close()  # Both, Buffered, Sync, Base: Sync's close
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
            (
                (7, 5, "`save()` returns a coroutine that is never awaited, so it never runs"),
                (8, 5, "`asyncio.sleep()` returns a coroutine that is never awaited, so it never runs"),
            ),
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
            (
                (6, 9, "`self.flush()` returns a coroutine that is never awaited, so it never runs"),
                (9, 9, "`self.flush()` returns a coroutine that is never awaited, so it never runs"),
            ),
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
            (
                (4, 5, "`step()` returns a coroutine that is never awaited, so it never runs"),
            ),
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
            (
                (9, 9, "`self.dns.write_hosts()` returns a coroutine that is never awaited, so it never runs"),
            ),
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
            # From tortoise-orm, aiokafka and hypercorn: receivers whose type the project states
            # through annotations, return annotations and attribute declarations, across modules.
            "receiver-typed-through-the-project",
            """
            from __future__ import annotations

            from typing import TYPE_CHECKING

            from shop.client import Client, connect, make_state

            if TYPE_CHECKING:
                from shop.client import State

            class Executor:
                _db: Client | None

                def __init__(self, db: Client) -> None:
                    self.db: Client = db
                    self._fetcher = None
                    self.state = make_state()

                def start(self):
                    self._fetcher = Client()
                    self._db = self.pick()

                def pick(self):
                    return self.db

                @classmethod
                def context(cls) -> State:
                    return make_state()

                async def run(self, sql):
                    self.db.execute_query(sql)
                    self._fetcher.close()
                    self._db.execute_query(sql)
                    self.state.ready.wait()
                    self.state.client.close()
                    ctx = self.context()
                    ctx.client.close()
                    conn = await connect()
                    conn.close()
                    (await connect()).close()
            """,
            (
                (30, 9, "`self.db.execute_query()` returns a coroutine that is never awaited, so it never runs"),
                (31, 9, "`self._fetcher.close()` returns a coroutine that is never awaited, so it never runs"),
                (32, 9, "`self._db.execute_query()` returns a coroutine that is never awaited, so it never runs"),
                (33, 9, "`self.state.ready.wait()` returns a coroutine that is never awaited, so it never runs"),
                (34, 9, "`self.state.client.close()` returns a coroutine that is never awaited, so it never runs"),
                (36, 9, "`ctx.client.close()` returns a coroutine that is never awaited, so it never runs"),
                (38, 9, "`conn.close()` returns a coroutine that is never awaited, so it never runs"),
                (39, 9, "`(await connect()).close()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            from __future__ import annotations

            from typing import TYPE_CHECKING

            from shop.client import Client, connect, make_state

            if TYPE_CHECKING:
                from shop.client import State

            class Executor:
                _db: Client | None

                def __init__(self, db: Client) -> None:
                    self.db: Client = db
                    self._fetcher = None
                    self.state = make_state()

                def start(self):
                    self._fetcher = Client()
                    self._db = self.pick()

                def pick(self):
                    return self.db

                @classmethod
                def context(cls) -> State:
                    return make_state()

                async def run(self, sql):
                    await self.db.execute_query(sql)
                    await self._fetcher.close()
                    await self._db.execute_query(sql)
                    await self.state.ready.wait()
                    await self.state.client.close()
                    ctx = self.context()
                    await ctx.client.close()
                    conn = await connect()
                    await conn.close()
                    await (await connect()).close()
            """,
            path="shop/executor.py",
            files=(
                ("shop/__init__.py", ""),
                ("shop/client.py", _TYPED_CLIENT),
            ),
        ),
        Invalid(
            # From hypercorn: events made by a class the context declares as `type[Event]`.
            "instances-of-a-declared-class-object",
            """
            from typing import Protocol

            class Event(Protocol):
                async def set(self) -> None: ...
                async def wait(self) -> None: ...

            class WorkerContext:
                event_class: type[Event]

                def __init__(self) -> None:
                    self.terminated = self.event_class()

            class StreamBuffer:
                def __init__(self, event_class: type[Event], context: WorkerContext) -> None:
                    self._is_empty = event_class()
                    self.context = context

                async def drain(self) -> None:
                    self._is_empty.wait()
                    self.context.terminated.set()
            """,
            (
                (19, 9, "`self._is_empty.wait()` returns a coroutine that is never awaited, so it never runs"),
                (20, 9, "`self.context.terminated.set()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            from typing import Protocol

            class Event(Protocol):
                async def set(self) -> None: ...
                async def wait(self) -> None: ...

            class WorkerContext:
                event_class: type[Event]

                def __init__(self) -> None:
                    self.terminated = self.event_class()

            class StreamBuffer:
                def __init__(self, event_class: type[Event], context: WorkerContext) -> None:
                    self._is_empty = event_class()
                    self.context = context

                async def drain(self) -> None:
                    await self._is_empty.wait()
                    await self.context.terminated.set()
            """,
        ),
        Invalid(
            # From aiokafka: the coordinator is one class or another, a coroutine in both.
            "assigned-one-class-or-another",
            """
            class GroupCoordinator:
                async def commit_offsets(self, offsets): ...

            class NoGroupCoordinator:
                async def commit_offsets(self, offsets): ...

                def close(self): ...

            class Consumer:
                def __init__(self, group):
                    self._coordinator = None
                    if group:
                        self._coordinator = GroupCoordinator()
                    else:
                        self._coordinator = NoGroupCoordinator()

                async def commit(self, offsets):
                    self._coordinator.commit_offsets(offsets)
                    self._coordinator.close()
            """,
            ((18, 9, "`self._coordinator.commit_offsets()` returns a coroutine that is never awaited, so it never runs"),),
            fixed="""
            class GroupCoordinator:
                async def commit_offsets(self, offsets): ...

            class NoGroupCoordinator:
                async def commit_offsets(self, offsets): ...

                def close(self): ...

            class Consumer:
                def __init__(self, group):
                    self._coordinator = None
                    if group:
                        self._coordinator = GroupCoordinator()
                    else:
                        self._coordinator = NoGroupCoordinator()

                async def commit(self, offsets):
                    await self._coordinator.commit_offsets(offsets)
                    self._coordinator.close()
            """,
        ),
        Invalid(
            # From tortoise-orm: `cls` in a classmethod is the class; calling it makes an instance.
            "made-by-cls",
            """
            class Model:
                async def save(self): ...

                @classmethod
                async def create(cls, **kwargs):
                    instance = cls(**kwargs)
                    instance.save()
                    return instance

                @classmethod
                def context(cls) -> "Context":
                    return Context()

                @classmethod
                async def close_all(cls):
                    cls.context().close()

            class Context:
                async def close(self): ...
            """,
            (
                (7, 9, "`instance.save()` returns a coroutine that is never awaited, so it never runs"),
                (16, 9, "`cls.context().close()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            class Model:
                async def save(self): ...

                @classmethod
                async def create(cls, **kwargs):
                    instance = cls(**kwargs)
                    await instance.save()
                    return instance

                @classmethod
                def context(cls) -> "Context":
                    return Context()

                @classmethod
                async def close_all(cls):
                    await cls.context().close()

            class Context:
                async def close(self): ...
            """,
        ),
        Invalid(
            # From hypercorn: items of containers the class declares.
            "items-of-declared-containers",
            """
            from typing import Dict

            class StreamBuffer:
                async def close(self) -> None: ...

            class H2Protocol:
                def __init__(self) -> None:
                    self.stream_buffers: dict[int, StreamBuffer] = {}
                    self.pending: list[StreamBuffer] = []
                    self.named: Dict[str, "StreamBuffer"] = {}

                async def close_stream(self, stream_id: int) -> None:
                    self.stream_buffers[stream_id].close()
                    self.pending[0].close()
                    buffer = self.named.get("main")
                    buffer.close()
                    for rest in self.pending[1:]:
                        await rest.close()
                    for each in self.stream_buffers.values():
                        each.close()
            """,
            (
                (13, 9, "`self.stream_buffers[stream_id].close()` returns a coroutine that is never awaited, so it never runs"),
                (14, 9, "`self.pending[0].close()` returns a coroutine that is never awaited, so it never runs"),
                (16, 9, "`buffer.close()` returns a coroutine that is never awaited, so it never runs"),
                (20, 13, "`each.close()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            from typing import Dict

            class StreamBuffer:
                async def close(self) -> None: ...

            class H2Protocol:
                def __init__(self) -> None:
                    self.stream_buffers: dict[int, StreamBuffer] = {}
                    self.pending: list[StreamBuffer] = []
                    self.named: Dict[str, "StreamBuffer"] = {}

                async def close_stream(self, stream_id: int) -> None:
                    await self.stream_buffers[stream_id].close()
                    await self.pending[0].close()
                    buffer = self.named.get("main")
                    await buffer.close()
                    for rest in self.pending[1:]:
                        await rest.close()
                    for each in self.stream_buffers.values():
                        await each.close()
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
            (
                (8, 9, "`self._lock.acquire()` returns a coroutine that is never awaited, so it never runs"),
                (9, 9, "`event.wait()` returns a coroutine that is never awaited, so it never runs"),
                (12, 9, "`writer.drain()` returns a coroutine that is never awaited, so it never runs"),
                (14, 9, "`proc.wait()` returns a coroutine that is never awaited, so it never runs"),
                (16, 9, "`loop.sock_sendall()` returns a coroutine that is never awaited, so it never runs"),
            ),
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
            "clients-entered-as-themselves",
            """
            import aiohttp
            import httpx

            async def fetch(url):
                async with httpx.AsyncClient() as client:
                    client.get(url)
                async with aiohttp.ClientSession() as session:
                    session.close()
            """,
            (
                (6, 9, "`client.get()` returns a coroutine that is never awaited, so it never runs"),
                (8, 9, "`session.close()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            import aiohttp
            import httpx

            async def fetch(url):
                async with httpx.AsyncClient() as client:
                    await client.get(url)
                async with aiohttp.ClientSession() as session:
                    await session.close()
            """,
        ),
        Invalid(
            "entered-as-another-type",
            """
            import aiofiles
            import aiohttp
            import asyncpg

            async def main(dsn, url):
                async with asyncpg.create_pool(dsn) as pool:
                    async with pool.acquire() as conn:
                        conn.execute("select 1")
                async with aiohttp.ClientSession() as session:
                    async with session.get(url) as resp:
                        resp.json()
                    async with session.ws_connect(url) as ws:
                        ws.send_str("ping")
                async with aiofiles.open("log.txt", "a") as log:
                    log.write("done")
            """,
            (
                (8, 13, "`conn.execute()` returns a coroutine that is never awaited, so it never runs"),
                (11, 13, "`resp.json()` returns a coroutine that is never awaited, so it never runs"),
                (13, 13, "`ws.send_str()` returns a coroutine that is never awaited, so it never runs"),
                (15, 9, "`log.write()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            import aiofiles
            import aiohttp
            import asyncpg

            async def main(dsn, url):
                async with asyncpg.create_pool(dsn) as pool:
                    async with pool.acquire() as conn:
                        await conn.execute("select 1")
                async with aiohttp.ClientSession() as session:
                    async with session.get(url) as resp:
                        await resp.json()
                    async with session.ws_connect(url) as ws:
                        await ws.send_str("ping")
                async with aiofiles.open("log.txt", "a") as log:
                    await log.write("done")
            """,
        ),
        Invalid(
            "awaited-results-of-known-types",
            """
            import aiohttp

            async def fetch(session: aiohttp.ClientSession, url):
                response = await session.get(url)
                response.raise_for_status()
                response.text()
            """,
            (
                (6, 5, "`response.text()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            import aiohttp

            async def fetch(session: aiohttp.ClientSession, url):
                response = await session.get(url)
                response.raise_for_status()
                await response.text()
            """,
        ),
        Invalid(
            "receivers-annotated-optional-union-or-forward-reference",
            """
            from typing import Optional, Union

            async def refresh(a: Optional["Store"], b: Union[None, "Store"], c: "Store | None"):
                a.load()
                b.load()
                c.load()
                other = a
                other.load()

            class Store:
                async def load(self): ...
            """,
            (
                (4, 5, "`a.load()` returns a coroutine that is never awaited, so it never runs"),
                (5, 5, "`b.load()` returns a coroutine that is never awaited, so it never runs"),
                (6, 5, "`c.load()` returns a coroutine that is never awaited, so it never runs"),
                (8, 5, "`other.load()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            from typing import Optional, Union

            async def refresh(a: Optional["Store"], b: Union[None, "Store"], c: "Store | None"):
                await a.load()
                await b.load()
                await c.load()
                other = a
                await other.load()

            class Store:
                async def load(self): ...
            """,
        ),
        Invalid(
            # From hypercorn: an attribute declared as a union of project classes, each of whose
            # `handle` is a coroutine function. A member outside the project says nothing.
            "attributes-annotated-with-a-union-of-classes",
            """
            from typing import Optional, Union

            class H11:
                async def handle(self, event): ...

            class H2:
                async def handle(self, event): ...

            class Wrapper:
                def __init__(self) -> None:
                    self.protocol: H11 | H2
                    self.stream: Optional[Union[H11, "H2"]] = None
                    self.mixed: H11 | int

                async def run(self, event):
                    self.protocol.handle(event)
                    self.stream.handle(event)
                    self.mixed.handle(event)
            """,
            (
                (16, 9, "`self.protocol.handle()` returns a coroutine that is never awaited, so it never runs"),
                (17, 9, "`self.stream.handle()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            from typing import Optional, Union

            class H11:
                async def handle(self, event): ...

            class H2:
                async def handle(self, event): ...

            class Wrapper:
                def __init__(self) -> None:
                    self.protocol: H11 | H2
                    self.stream: Optional[Union[H11, "H2"]] = None
                    self.mixed: H11 | int

                async def run(self, event):
                    await self.protocol.handle(event)
                    await self.stream.handle(event)
                    self.mixed.handle(event)
            """,
        ),
        Invalid(
            # From aiokafka: `self._coordinator` holds a GroupCoordinator or a
            # NoGroupCoordinator, and only the first has `commit_offsets`: on the other the call
            # would raise AttributeError, so it is the first's coroutine. A class that may have
            # the name another way (assigned, `__getattr__`) says nothing.
            "unions-where-one-class-has-the-method",
            """
            class Base:
                def close(self): ...

            class Group(Base):
                async def commit(self): ...

            class NoGroup(Base):
                pass

            class Aliased(Base):
                commit = Group.commit

            class Dynamic(Base):
                def __getattr__(self, name): ...

            class Consumer:
                def __init__(self, grouped):
                    self._coordinator = self._aliased = self._dynamic = None
                    if grouped:
                        self._coordinator = self._aliased = self._dynamic = Group()
                    else:
                        self._coordinator = NoGroup()
                        self._aliased = Aliased()
                        self._dynamic = Dynamic()

                async def run(self):
                    self._coordinator.commit()
                    self._aliased.commit()
                    self._dynamic.commit()
            """,
            ((27, 9, "`self._coordinator.commit()` returns a coroutine that is never awaited, so it never runs"),),
            fixed="""
            class Base:
                def close(self): ...

            class Group(Base):
                async def commit(self): ...

            class NoGroup(Base):
                pass

            class Aliased(Base):
                commit = Group.commit

            class Dynamic(Base):
                def __getattr__(self, name): ...

            class Consumer:
                def __init__(self, grouped):
                    self._coordinator = self._aliased = self._dynamic = None
                    if grouped:
                        self._coordinator = self._aliased = self._dynamic = Group()
                    else:
                        self._coordinator = NoGroup()
                        self._aliased = Aliased()
                        self._dynamic = Dynamic()

                async def run(self):
                    await self._coordinator.commit()
                    self._aliased.commit()
                    self._dynamic.commit()
            """,
        ),
        Invalid(
            # From hypercorn: an instance whose class has an async `__call__` (`self.app`, set
            # from a parameter annotated with an ASGI app protocol), and, from tortoise-orm, a
            # parameter annotated `Callable[..., Coroutine[...]]` directly or through a type
            # alias of the module. A sync `__call__` makes no coroutine.
            "callable-instances-and-coroutine-callables",
            """
            from typing import Any, Callable, Coroutine, Protocol, TypeVar

            T = TypeVar("T")
            FuncType = Callable[..., Coroutine[None, None, T]]

            class AppWrapper(Protocol):
                async def __call__(self, scope) -> None: ...

            class Formatter:
                def __call__(self, record) -> str: ...

            class Lifespan:
                def __init__(self, app: AppWrapper, formatter: Formatter) -> None:
                    self.app = app
                    self.formatter = formatter

                async def run(self, scope):
                    self.app(scope)
                    self.formatter(scope)

            async def handle(app: AppWrapper, func: FuncType, other: Callable[..., Coroutine[Any, Any, int]]):
                app(1)
                func(1)
                other(2)
            """,
            (
                (18, 9, "`self.app()` returns a coroutine that is never awaited, so it never runs"),
                (22, 5, "`app()` returns a coroutine that is never awaited, so it never runs"),
                (23, 5, "`func()` returns a coroutine that is never awaited, so it never runs"),
                (24, 5, "`other()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            from typing import Any, Callable, Coroutine, Protocol, TypeVar

            T = TypeVar("T")
            FuncType = Callable[..., Coroutine[None, None, T]]

            class AppWrapper(Protocol):
                async def __call__(self, scope) -> None: ...

            class Formatter:
                def __call__(self, record) -> str: ...

            class Lifespan:
                def __init__(self, app: AppWrapper, formatter: Formatter) -> None:
                    self.app = app
                    self.formatter = formatter

                async def run(self, scope):
                    await self.app(scope)
                    self.formatter(scope)

            async def handle(app: AppWrapper, func: FuncType, other: Callable[..., Coroutine[Any, Any, int]]):
                await app(1)
                await func(1)
                await other(2)
            """,
        ),
        Invalid(
            # From tortoise-orm: a project class deriving from a library class
            # (`psycopg_pool.AsyncConnectionPool`) calls the coroutine methods it inherits. When
            # a subclass overrides the method with a sync one, `self.put()` may be either.
            "methods-inherited-from-a-library-class",
            """
            import asyncio

            class Pool(asyncio.Queue):
                async def release(self, item):
                    self.put(item)
                    self.put_nowait(item)

            class Batch(asyncio.Queue):
                async def release(self, item):
                    self.put(item)

            class Patient(Batch):
                def put(self, item): ...

            async def main(pool: Pool):
                pool.join()
            """,
            (
                (5, 9, "`self.put()` returns a coroutine that is never awaited, so it never runs"),
                (16, 5, "`pool.join()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            import asyncio

            class Pool(asyncio.Queue):
                async def release(self, item):
                    await self.put(item)
                    self.put_nowait(item)

            class Batch(asyncio.Queue):
                async def release(self, item):
                    self.put(item)

            class Patient(Batch):
                def put(self, item): ...

            async def main(pool: Pool):
                await pool.join()
            """,
        ),
        Invalid(
            # From tortoise-orm: `db = using_db or self._choose_db()`, where both sides are a
            # `Client`. When the two sides differ, what the name holds is not known.
            "one-of-two-values-of-one-type",
            """
            class Executor:
                async def execute_delete(self, instance) -> int: ...

            class Client:
                executor_class: type[Executor] = Executor

            class Other:
                def executor_class(self): ...

            class Model:
                @classmethod
                def _choose_db(cls, for_write: bool = False) -> Client: ...

                async def delete(self, using_db: Client | None = None, other: Other | None = None):
                    db = using_db or self._choose_db(True)
                    db.executor_class(db=db).execute_delete(self)
                    mixed = other or self._choose_db(True)
                    mixed.executor_class(db=db).execute_delete(self)
            """,
            ((16, 9, "`db.executor_class(db=db).execute_delete()` returns a coroutine that is never awaited, so it never runs"),),
            fixed="""
            class Executor:
                async def execute_delete(self, instance) -> int: ...

            class Client:
                executor_class: type[Executor] = Executor

            class Other:
                def executor_class(self): ...

            class Model:
                @classmethod
                def _choose_db(cls, for_write: bool = False) -> Client: ...

                async def delete(self, using_db: Client | None = None, other: Other | None = None):
                    db = using_db or self._choose_db(True)
                    await db.executor_class(db=db).execute_delete(self)
                    mixed = other or self._choose_db(True)
                    mixed.executor_class(db=db).execute_delete(self)
            """,
        ),
        Invalid(
            # From hypercorn: a name imported twice, the second time as a fallback. The one import
            # whose module can be found (asyncio here; the backport is not installed) is what it
            # stands for; when both can be found and differ, nothing is said.
            "try-except-import-alternatives",
            """
            try:
                from asyncio import TaskGroup as AsyncioTaskGroup
            except ImportError:
                from taskgroup_backport import TaskGroup as AsyncioTaskGroup

            class TaskGroup:
                def __init__(self) -> None:
                    self._task_group = AsyncioTaskGroup()

                async def __aenter__(self):
                    self._task_group.__aenter__()
                    return self
            """,
            ((11, 9, "`self._task_group.__aenter__()` returns a coroutine that is never awaited, so it never runs"),),
            fixed="""
            try:
                from asyncio import TaskGroup as AsyncioTaskGroup
            except ImportError:
                from taskgroup_backport import TaskGroup as AsyncioTaskGroup

            class TaskGroup:
                def __init__(self) -> None:
                    self._task_group = AsyncioTaskGroup()

                async def __aenter__(self):
                    await self._task_group.__aenter__()
                    return self
            """,
        ),
        Invalid(
            # From tortoise-orm's CLI: `async with TortoiseContext() as ctx` binds what the
            # project class's `__aenter__` is annotated to return (`Self`, or another class).
            "entering-a-project-class",
            """
            from typing import Self

            class Context:
                async def __aenter__(self) -> Self:
                    return self

                async def __aexit__(self, *exc) -> None: ...

                async def init(self, config) -> None: ...

            class Pool:
                async def __aenter__(self) -> "Connection": ...

                async def __aexit__(self, *exc) -> None: ...

            class Connection:
                async def execute(self, sql) -> None: ...

            async def main(config):
                async with Context() as ctx:
                    ctx.init(config=config)
                async with Pool() as conn:
                    conn.execute("select 1")
            """,
            (
                (21, 9, "`ctx.init()` returns a coroutine that is never awaited, so it never runs"),
                (23, 9, "`conn.execute()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            from typing import Self

            class Context:
                async def __aenter__(self) -> Self:
                    return self

                async def __aexit__(self, *exc) -> None: ...

                async def init(self, config) -> None: ...

            class Pool:
                async def __aenter__(self) -> "Connection": ...

                async def __aexit__(self, *exc) -> None: ...

            class Connection:
                async def execute(self, sql) -> None: ...

            async def main(config):
                async with Context() as ctx:
                    await ctx.init(config=config)
                async with Pool() as conn:
                    await conn.execute("select 1")
            """,
        ),
        Invalid(
            # A generic class's instance (`asyncio.Queue[int]`, tortoise's
            # `_AsyncGeneratorContextManager[...]`) and `Annotated` (FastAPI's dependencies).
            "generic-and-annotated-receivers",
            """
            import asyncio
            import contextlib
            from typing import Annotated, Generic, TypeVar

            T = TypeVar("T")

            class Repo(Generic[T]):
                async def load(self) -> T: ...

            async def consume(
                queue: asyncio.Queue[int],
                repo: Repo[str],
                session: Annotated[Repo[int], "dependency"],
                transaction: contextlib._AsyncGeneratorContextManager[None],
            ):
                queue.get()
                repo.load()
                session.load()
                transaction.__aexit__(None, None, None)
            """,
            (
                (16, 5, "`queue.get()` returns a coroutine that is never awaited, so it never runs"),
                (17, 5, "`repo.load()` returns a coroutine that is never awaited, so it never runs"),
                (18, 5, "`session.load()` returns a coroutine that is never awaited, so it never runs"),
                (19, 5, "`transaction.__aexit__()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            import asyncio
            import contextlib
            from typing import Annotated, Generic, TypeVar

            T = TypeVar("T")

            class Repo(Generic[T]):
                async def load(self) -> T: ...

            async def consume(
                queue: asyncio.Queue[int],
                repo: Repo[str],
                session: Annotated[Repo[int], "dependency"],
                transaction: contextlib._AsyncGeneratorContextManager[None],
            ):
                await queue.get()
                await repo.load()
                await session.load()
                await transaction.__aexit__(None, None, None)
            """,
        ),
        Invalid(
            # From tortoise-orm: `self.connections` is a property annotated to return a class.
            "methods-on-what-a-property-returns",
            """
            import functools

            class ConnectionHandler:
                async def _init(self, config): ...

            class Context:
                @property
                def connections(self) -> ConnectionHandler:
                    return ConnectionHandler()

                @functools.cached_property
                def cached(self) -> "ConnectionHandler":
                    return ConnectionHandler()

                async def init(self, config):
                    self.connections._init(config)
                    self.cached._init(config)
            """,
            (
                (16, 9, "`self.connections._init()` returns a coroutine that is never awaited, so it never runs"),
                (17, 9, "`self.cached._init()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            import functools

            class ConnectionHandler:
                async def _init(self, config): ...

            class Context:
                @property
                def connections(self) -> ConnectionHandler:
                    return ConnectionHandler()

                @functools.cached_property
                def cached(self) -> "ConnectionHandler":
                    return ConnectionHandler()

                async def init(self, config):
                    await self.connections._init(config)
                    await self.cached._init(config)
            """,
        ),
        Invalid(
            "project-decorators-with-async-wrappers",
            """
            import functools

            def retry(func):
                @functools.wraps(func)
                async def wrapper(*args):
                    return await func(*args)
                return wrapper

            def retry_times(count):
                def decorator(func):
                    async def wrapper(*args):
                        return await func(*args)
                    return wrapper
                return decorator

            class Client:
                @retry
                async def fetch(self): ...

                @retry_times(3)
                async def load(self): ...

                async def main(self):
                    self.fetch()
                    self.load()
            """,
            (
                (24, 9, "`self.fetch()` returns a coroutine that is never awaited, so it never runs"),
                (25, 9, "`self.load()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            import functools

            def retry(func):
                @functools.wraps(func)
                async def wrapper(*args):
                    return await func(*args)
                return wrapper

            def retry_times(count):
                def decorator(func):
                    async def wrapper(*args):
                        return await func(*args)
                    return wrapper
                return decorator

            class Client:
                @retry
                async def fetch(self): ...

                @retry_times(3)
                async def load(self): ...

                async def main(self):
                    await self.fetch()
                    await self.load()
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
            (
                (6, 9, "`super().close()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            class Base:
                async def close(self): ...

            class Child(Base):
                async def close(self):
                    await super().close()
            """,
        ),
        Invalid(
            "method-of-a-generic-base-through-a-closure",
            """
            from typing import Generic, TypeVar

            T = TypeVar("T")

            class Flushing(Generic[T]):
                async def flush(self) -> None: ...

            class Repo(Flushing[int]):
                def __await__(self):
                    async def flushed():
                        self.flush()
                        return self
                    return flushed().__await__()
            """,
            ((11, 13, "`self.flush()` returns a coroutine that is never awaited, so it never runs"),),
            fixed="""
            from typing import Generic, TypeVar

            T = TypeVar("T")

            class Flushing(Generic[T]):
                async def flush(self) -> None: ...

            class Repo(Flushing[int]):
                def __await__(self):
                    async def flushed():
                        await self.flush()
                        return self
                    return flushed().__await__()
            """,
        ),
        Invalid(
            "method-on-what-an-unannotated-factory-returns",
            """
            class Engine:
                async def dispose(self) -> None: ...

            def get_engine(url=None):
                if url is None:
                    return None
                return Engine()

            class Registry:
                def __init__(self):
                    self._engine = get_engine("sqlite://")

                def engine(self):
                    return self._engine

            async def shutdown(registry: Registry):
                get_engine().dispose()
                registry.engine().dispose()
            """,
            (
                (17, 5, "`get_engine().dispose()` returns a coroutine that is never awaited, so it never runs"),
                (18, 5, "`registry.engine().dispose()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            class Engine:
                async def dispose(self) -> None: ...

            def get_engine(url=None):
                if url is None:
                    return None
                return Engine()

            class Registry:
                def __init__(self):
                    self._engine = get_engine("sqlite://")

                def engine(self):
                    return self._engine

            async def shutdown(registry: Registry):
                await get_engine().dispose()
                await registry.engine().dispose()
            """,
        ),
        Invalid(
            "method-of-a-class-nested-in-a-class",
            """
            class Client:
                class Session:
                    async def close(self) -> None: ...

                def session(self) -> "Client.Session":
                    return Client.Session()

                async def reset(self):
                    self.Session().close()
                    self.session().close()

            async def shutdown():
                Client.Session().close()
            """,
            (
                (9, 9, "`self.Session().close()` returns a coroutine that is never awaited, so it never runs"),
                (10, 9, "`self.session().close()` returns a coroutine that is never awaited, so it never runs"),
                (13, 5, "`Client.Session().close()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            class Client:
                class Session:
                    async def close(self) -> None: ...

                def session(self) -> "Client.Session":
                    return Client.Session()

                async def reset(self):
                    await self.Session().close()
                    await self.session().close()

            async def shutdown():
                await Client.Session().close()
            """,
        ),
        Invalid(
            "bound-method-alias-and-self-annotated-in-a-mixin",
            """
            class Service:
                async def refresh(self) -> None: ...

            class RefreshMixin:
                async def tick(self: "Service"):
                    self.refresh()

                async def later(self: "Service"):
                    refresh = self.refresh
                    refresh()
            """,
            (
                (6, 9, "`self.refresh()` returns a coroutine that is never awaited, so it never runs"),
                (10, 9, "`refresh()` returns a coroutine that is never awaited, so it never runs"),
            ),
            fixed="""
            class Service:
                async def refresh(self) -> None: ...

            class RefreshMixin:
                async def tick(self: "Service"):
                    await self.refresh()

                async def later(self: "Service"):
                    refresh = self.refresh
                    await refresh()
            """,
        ),
        Invalid(
            "classmethod-of-a-type-variable-bound",
            """
            from typing import Generic, TypeVar

            MODEL = TypeVar("MODEL", bound="Model")

            class Model:
                @classmethod
                async def create(cls, **fields): ...

            class Relation(Generic[MODEL]):
                def __init__(self, remote: type[MODEL]) -> None:
                    self.remote = remote

                async def add(self, **fields):
                    self.remote.create(**fields)
            """,
            ((14, 9, "`self.remote.create()` returns a coroutine that is never awaited, so it never runs"),),
            fixed="""
            from typing import Generic, TypeVar

            MODEL = TypeVar("MODEL", bound="Model")

            class Model:
                @classmethod
                async def create(cls, **fields): ...

            class Relation(Generic[MODEL]):
                def __init__(self, remote: type[MODEL]) -> None:
                    self.remote = remote

                async def add(self, **fields):
                    await self.remote.create(**fields)
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.service(CoroutineCalls)

    def visit_Expr(self, node: cst.Expr) -> None:
        self.calls.report(
            self, node.value, "`{callee}()` returns a coroutine that is never awaited, so it never runs{how}"
        )


# What a coroutine object offers besides being awaited: using these is deliberate.
_COROUTINE_API = frozenset({"close", "send", "throw"})
_RETURNED = "returned from this async function"
_ITERATED = "iterated"
# Builtins that raise TypeError when given a coroutine object as their first argument: it is no
# number, buffer, sized or iterable object.
_CONVERSIONS = frozenset(f"builtins.{name}" for name in (
    "bytes", "bytearray", "int", "float", "complex", "len", "list", "tuple", "set", "frozenset",
    "dict", "sorted", "sum", "min", "max", "enumerate", "zip", "iter", "next", "reversed", "memoryview",
))
_ORDERING = {cst.LessThan: "<", cst.LessThanEqual: "<=", cst.GreaterThan: ">", cst.GreaterThanEqual: ">="}


@dataclass(eq=False)
class _Bound:
    """`name = f()` where `f()` makes a coroutine, and how `name` is read afterwards."""

    binding: Binding
    call: cst.Call
    found: Classified
    in_coroutine: bool
    scope: Scope
    # One entry per later read: how it uses the coroutine as a plain value, or None when the
    # read may well run it (awaited, returned, passed on, stored...).
    reads: list[str | None] = field(default_factory=list)
    # Those reads that raise on a coroutine object, however the others use it: (the read, the
    # statement line holding it as the walk saw it, how it fails).
    failing_reads: list[tuple[cst.Name, cst.CSTNode | None, str]] = field(default_factory=list)
    # Reads passing it to a project function, whose parameter there the index must confirm
    # to declare a plain value: (the callee's reference, the argument's position or keyword).
    passed: list[tuple[Ref, str]] = field(default_factory=list)
    # Not a coroutine but, if the index confirms it, an awaitable that is not iterable (an ORM's
    # query set): reported only when a read iterates it.
    awaitable: bool = False
    # The name's declared type, when it declares one the index reads (a parameter's or `x: T`'s
    # annotation): (the type as the index names it, the annotation as written).
    declared: tuple[str, str] | None = None

    @property
    def failing(self) -> list[str]:
        """How each read that raises on a coroutine object uses it."""
        return [how for _, _, how in self.failing_reads]


class UnawaitedCoroutineBinding(NameBindings, Rule):
    """A coroutine is bound to a name that is never used, or used only as a plain value.

    ## What it does
    Flags `name = f()` in a function, where `f` is a coroutine function (resolved as for ASL101)
    and `name` (including `_`) is never read afterwards in that function: never awaited, returned,
    stored, passed on or scheduled. Also flags a name bound once that is afterwards only used as
    a plain value: tested for truth, compared (`item is None`), read for an attribute, subscripted,
    iterated with a plain `for`, used in arithmetic, formatted into an f-string, only logged or
    printed, returned from an `async def` (whose caller's `await` then gets the coroutine), or
    passed to a project function or class whose parameter there declares a plain value (a number,
    a string, a class that is not awaitable: `cursor: sqlite3.Cursor`, `node_id: int | None`). Forgetting `await` in `item = self.read()` and then checking `if item is None` is the
    common form. When `f` is an `async def` of the project, a read that fails on a coroutine
    object (an attribute it doesn't have, a subscript, a plain `for` or comprehension, arithmetic, `<`,
    a builtin that wants a number, a buffer or an iterable: `bytes(x)`, `len(x)`, `list(x)`,
    `x in item`) is flagged whatever else the function does with the name, since the `await` is
    missing there. (A library call may give another awaitable, which has attributes of its own.)
    The same holds for a name bound more than once, when the coroutine's binding may be what such
    a read sees: `if cached: row = self.cache[key]` / `else: row = self.fetch(key)`, then
    `row.id` (bound on a branch, or in a `try` whose handler binds it again). A binding that stands
    between them on every path (straight on, or in a `with` body) ends it; a function that awaits
    the name itself anywhere (`if inspect.isawaitable(row): row = await row`) knows what it holds
    and is left alone, and so is a name also bound by a `for`, `with ... as` or `+=`.
    A name declared to hold a plain value (a parameter or `name: T` annotated a number, a string,
    a class that is not awaitable: `node_id: int | None = None`) that is bound a coroutine is
    flagged whatever is done with it afterwards.
    The same goes for a sync project function annotated to return an awaitable that is not
    iterable (a project class with `__await__` and no `__iter__`, such as an ORM's query set)
    when the name is then iterated in an `async def`: `users = User.filter(active=True)`, then
    `for user in users`.

    ## Why is this bad?
    Binding the coroutine object does not run it. The name hides the mistake from the checks that
    look at bare statements: nothing happens, and Python warns "coroutine ... was never awaited"
    only when the object is collected.

    Otherwise a name that is read anywhere else in the function is left alone, since what the code
    does with it (`await x`, `tasks.append(x)`, `return x` from a plain `def`) may well run it; so is a name read in a nested
    function, one bound more than once (but for the reads that fail, above), and the coroutine object's own API (`close()`, `send()`,
    `cr_frame`, `__name__`), which is used on purpose.

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
        Valid("rebound-on-every-path-or-awaited-where-it-may-be", """
            import inspect

            class Repo:
                async def fetch(self, key): ...

                async def awaited_after_a_check(self, key):
                    row = self.fetch(key)
                    if inspect.isawaitable(row):
                        row = await row
                    return row.id

                async def other_branch(self, flag, key):
                    if flag:
                        row = self.fetch(key)
                        return row
                    else:
                        row = None
                        return row.id

                async def rebound_in_a_with(self, key):
                    row = self.fetch(key)
                    with self.lock:
                        row = 2
                    return row + 1
            """),
        Valid("declared-to-hold-anything-or-an-awaitable", """
            from typing import Any, Awaitable

            async def fetch() -> int: ...

            async def main():
                anything: Any = fetch()
                pending: Awaitable[int] = fetch()
                return await anything, await pending
        """),
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
        Valid("checked-then-awaited", """
            async def read(): ...
            async def main():
                item = read()
                if item is None:
                    return
                print(await item)
        """),
        Valid("closed-on-purpose", """
            async def read(): ...
            def main():
                pending = read()
                print(pending.__name__)
                pending.close()
        """),
        Valid("read-before-bound-again-in-a-loop", """
            async def read(): ...
            async def main():
                item = None
                while True:
                    if item is not None:
                        await item
                    item = read()
        """),
        Valid("loop-reads-before-the-only-binding", """
            async def read(): ...
            async def main(items):
                for _ in items:
                    if pending:
                        await pending
                    pending = read()
        """),
        Valid("rebound", """
            async def read(): ...
            async def main():
                item = read()
                if item:
                    item = await item
        """),
        Valid("read-in-a-nested-function-as-well", """
            async def read(): ...
            async def main(loop):
                item = read()
                if item:
                    loop.call_soon(lambda: loop.create_task(item))
        """),
        Valid("compared-for-identity-then-awaited", """
            async def read(): ...
            async def main(pending):
                item = read()
                if item is not None and item != pending and item in pending:
                    pending.append(item)
                await item
        """),
        Valid("library-awaitable-with-attributes", """
            # From aiohttp's tests: `aiohttp.request()` gives a context manager, not a coroutine.
            import aiohttp
            async def main(url):
                cm = aiohttp.request("GET", url)
                assert cm._session is None
                async with cm as resp:
                    pass
        """),
        Valid("same-name-in-a-nested-function", """
            async def read(): ...
            async def main():
                item = read()
                if item is not None:
                    def helper():
                        item = 1
                        return item
                await item
        """),
    )
    invalid = (
        Invalid(
            "bound-again-elsewhere-but-reaching-a-read-that-fails",
            """
            class Repo:
                async def fetch(self, key): ...

                async def get(self, cached, key):
                    if cached:
                        row = self.cache[key]
                    else:
                        row = self.fetch(key)
                    return row.id

                async def size(self, key):
                    try:
                        count = self.fetch(key)
                    except KeyError:
                        count = 0
                    return count + 1
            """,
            (
                (8, 13, "`self.fetch()` returns a coroutine bound to `row`, then read for its attribute `id`: that fails on a coroutine, so `await` is missing"),
                (13, 13, "`self.fetch()` returns a coroutine bound to `count`, then used in arithmetic: that fails on a coroutine, so `await` is missing"),
            ),
            fixed="""
            class Repo:
                async def fetch(self, key): ...

                async def get(self, cached, key):
                    if cached:
                        row = self.cache[key]
                    else:
                        row = await self.fetch(key)
                    return row.id

                async def size(self, key):
                    try:
                        count = await self.fetch(key)
                    except KeyError:
                        count = 0
                    return count + 1
            """,
        ),
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
            (
                (6, 5, "`save()` returns a coroutine bound to `result`, which is never used: it never runs"),
                (7, 5, "`asyncio.sleep()` returns a coroutine bound to `_`, which is never used: it never runs"),
                (8, 5, "`save()` returns a coroutine bound to `done`, which is never used: it never runs"),
                (9, 9, "`save()` returns a coroutine bound to `pending`, which is never used: it never runs"),
                (13, 5, "`save()` returns a coroutine bound to `result`, which is never used: it never runs"),
            ),
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
        Invalid(
            "only-used-as-a-value",
            """
            import logging

            class Reader:
                async def read(self): ...

                async def next_item(self):
                    item = self.read()
                    if item is None:
                        return None
                    logging.info(f"got {item}")
                    return item.value

                async def first(self):
                    rows = self.read()
                    return rows[0] if rows else None
            """,
            (
                (7, 9, "`self.read()` returns a coroutine bound to `item`, which is only compared, never awaited: it never runs"),
                (14, 9, "`self.read()` returns a coroutine bound to `rows`, which is only subscripted, never awaited: it never runs"),
            ),
            fixed="""
            import logging

            class Reader:
                async def read(self): ...

                async def next_item(self):
                    item = await self.read()
                    if item is None:
                        return None
                    logging.info(f"got {item}")
                    return item.value

                async def first(self):
                    rows = await self.read()
                    return rows[0] if rows else None
            """,
        ),
        Invalid(
            # From aiokafka: the read raises whatever else is done with the coroutine.
            "read-as-it-fails",
            """
            import logging

            log = logging.getLogger(__name__)

            class Client:
                async def send(self, request): ...

                async def lookup(self, request):
                    resp = self.send(request)
                    log.debug("Received %s", resp)
                    for topic, code in resp.topic_errors:
                        pass
                    return resp

                async def offsets(self, partitions):
                    found = self.send(partitions)
                    for tp in partitions:
                        if tp not in found:
                            found[tp] = None
                    return found

                async def committed(self, tp):
                    offset = self.send(tp)
                    self.last = offset
                    return offset if offset > 0 else None

                async def write(self):
                    writers = self.send(None)
                    return [str(writer) for writer in writers]
            """,
            (
                (9, 9, "`self.send()` returns a coroutine bound to `resp`, then read for its attribute `topic_errors`: that fails on a coroutine, so `await` is missing"),
                (16, 9, "`self.send()` returns a coroutine bound to `found`, then searched with `in`: that fails on a coroutine, so `await` is missing"),
                (23, 9, "`self.send()` returns a coroutine bound to `offset`, then compared with `>`: that fails on a coroutine, so `await` is missing"),
                (28, 9, "`self.send()` returns a coroutine bound to `writers`, which is only iterated, never awaited: it never runs"),
            ),
            fixed="""
            import logging

            log = logging.getLogger(__name__)

            class Client:
                async def send(self, request): ...

                async def lookup(self, request):
                    resp = await self.send(request)
                    log.debug("Received %s", resp)
                    for topic, code in resp.topic_errors:
                        pass
                    return resp

                async def offsets(self, partitions):
                    found = await self.send(partitions)
                    for tp in partitions:
                        if tp not in found:
                            found[tp] = None
                    return found

                async def committed(self, tp):
                    offset = await self.send(tp)
                    self.last = offset
                    return offset if offset > 0 else None

                async def write(self):
                    writers = await self.send(None)
                    return [str(writer) for writer in writers]
            """,
        ),
        Invalid(
            # From aiosqlite and aiokafka, with the `await` removed: the coroutine is passed where
            # the project's callee declares a plain value (`cursor: sqlite3.Cursor`, `node_id:
            # Optional[int]`). An undeclared parameter (`Lazy`'s `pending`) may take anything.
            "passed-where-a-plain-value-is-declared",
            """
            import sqlite3
            from typing import Optional

            class Cursor:
                def __init__(self, conn, cursor: sqlite3.Cursor) -> None: ...

            class Lazy:
                def __init__(self, conn, pending) -> None: ...

            def send(request, node_id: Optional[int] = None, *, retries: int = 3): ...

            class Connection:
                async def _execute(self, sql): ...
                async def find_coordinator(self, group) -> int: ...

                async def execute(self, sql):
                    cursor = self._execute(sql)
                    return Cursor(self, cursor)

                async def lazy(self, sql):
                    pending = self._execute(sql)
                    return Lazy(self, pending)

                async def describe(self, group):
                    node_id = self.find_coordinator(group)
                    send("request", node_id)
                    count = self.find_coordinator(group)
                    send("request", retries=count)
            """,
            (
                (17, 9, "`self._execute()` returns a coroutine bound to `cursor`, which is only passed to `Cursor()` where it declares a plain value, never awaited: it never runs"),
                (25, 9, "`self.find_coordinator()` returns a coroutine bound to `node_id`, which is only passed to `send()` where it declares a plain value, never awaited: it never runs"),
                (27, 9, "`self.find_coordinator()` returns a coroutine bound to `count`, which is only passed to `send()` where it declares a plain value, never awaited: it never runs"),
            ),
            fixed="""
            import sqlite3
            from typing import Optional

            class Cursor:
                def __init__(self, conn, cursor: sqlite3.Cursor) -> None: ...

            class Lazy:
                def __init__(self, conn, pending) -> None: ...

            def send(request, node_id: Optional[int] = None, *, retries: int = 3): ...

            class Connection:
                async def _execute(self, sql): ...
                async def find_coordinator(self, group) -> int: ...

                async def execute(self, sql):
                    cursor = await self._execute(sql)
                    return Cursor(self, cursor)

                async def lazy(self, sql):
                    pending = self._execute(sql)
                    return Lazy(self, pending)

                async def describe(self, group):
                    node_id = await self.find_coordinator(group)
                    send("request", node_id)
                    count = await self.find_coordinator(group)
                    send("request", retries=count)
            """,
        ),
        Invalid(
            # From hypercorn's trio server, with the `await` removed: `bytes()` of a coroutine
            # object raises TypeError, as `len()`, `list()` and the other conversions do.
            "passed-to-a-conversion",
            """
            class Stream:
                async def receive_some(self, size: int) -> bytes: ...

            class Server:
                def __init__(self, stream: Stream) -> None:
                    self.stream = stream

                async def read(self, sink):
                    data = self.stream.receive_some(65536)
                    sink.append(bytes(data))
                    chunks = self.stream.receive_some(16)
                    return len(chunks), str(chunks)
            """,
            (
                (9, 9, "`self.stream.receive_some()` returns a coroutine bound to `data`, which is only passed to `bytes()`, never awaited: it never runs"),
                (11, 9, "`self.stream.receive_some()` returns a coroutine bound to `chunks`, which is only passed to `len()`, never awaited: it never runs"),
            ),
            fixed="""
            class Stream:
                async def receive_some(self, size: int) -> bytes: ...

            class Server:
                def __init__(self, stream: Stream) -> None:
                    self.stream = stream

                async def read(self, sink):
                    data = await self.stream.receive_some(65536)
                    sink.append(bytes(data))
                    chunks = await self.stream.receive_some(16)
                    return len(chunks), str(chunks)
            """,
        ),
        Invalid(
            # From aiokafka's `getone()`, with the `await` removed.
            "only-returned-from-async",
            """
            class Fetcher:
                async def next_record(self, partitions): ...

            class Consumer:
                def __init__(self):
                    self._fetcher = Fetcher()

                async def getone(self, partitions):
                    msg = self._fetcher.next_record(partitions)
                    return msg

                def later(self, partitions):
                    pending = self._fetcher.next_record(partitions)
                    return pending
            """,
            ((9, 9, "`self._fetcher.next_record()` returns a coroutine bound to `msg`, which is only returned from this async function, never awaited: it never runs"),),
            fixed="""
            class Fetcher:
                async def next_record(self, partitions): ...

            class Consumer:
                def __init__(self):
                    self._fetcher = Fetcher()

                async def getone(self, partitions):
                    msg = await self._fetcher.next_record(partitions)
                    return msg

                def later(self, partitions):
                    pending = self._fetcher.next_record(partitions)
                    return pending
            """,
        ),
        Invalid(
            "only-logged",
            """
            import logging

            log = logging.getLogger(__name__)

            async def fetch(): ...

            async def main():
                result = fetch()
                log.info("fetched %s", result)
            """,
            ((8, 5, "`fetch()` returns a coroutine bound to `result`, which is only passed to `log.info()`, never awaited: it never runs"),),
            fixed="""
            import logging

            log = logging.getLogger(__name__)

            async def fetch(): ...

            async def main():
                result = await fetch()
                log.info("fetched %s", result)
            """,
        ),
        Invalid(
            "bound-where-a-plain-value-is-declared",
            """
            class Admin:
                async def find_coordinator(self, group: str) -> int: ...

                async def describe(self, group: str, coordinator: int | None = None):
                    if coordinator is None:
                        coordinator = self.find_coordinator(group)
                    return await self.send(coordinator)

                async def send(self, node: int): ...
            """,
            ((6, 13, "`self.find_coordinator()` returns a coroutine bound to `coordinator`, declared `int | None`: it is never awaited"),),
            fixed="""
            class Admin:
                async def find_coordinator(self, group: str) -> int: ...

                async def describe(self, group: str, coordinator: int | None = None):
                    if coordinator is None:
                        coordinator = await self.find_coordinator(group)
                    return await self.send(coordinator)

                async def send(self, node: int): ...
            """,
        ),
        Invalid(
            "awaitable-query-bound-then-iterated",
            """
            from typing import Any, Generator

            class QuerySet:
                def filter(self, **conditions: Any) -> "QuerySet":
                    return self

                def __await__(self) -> Generator[Any, None, list]:
                    yield

            class Users:
                def __init__(self, query: QuerySet) -> None:
                    self.query = query

                async def emails(self):
                    active = self.query.filter(active=True)
                    return {user.email for user in active}
            """,
            ((15, 9, "`self.query.filter()` returns an awaitable that is not iterable, bound to `active`, then iterated: `await` is missing"),),
            fixed="""
            from typing import Any, Generator

            class QuerySet:
                def filter(self, **conditions: Any) -> "QuerySet":
                    return self

                def __await__(self) -> Generator[Any, None, list]:
                    yield

            class Users:
                def __init__(self, query: QuerySet) -> None:
                    self.query = query

                async def emails(self):
                    active = await self.query.filter(active=True)
                    return {user.email for user in active}
            """,
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.service(CoroutineCalls)
        self.candidates: dict[int, list[_Bound]] = {}  # by id() of the scope
        self.watched: dict[str, list[_Bound]] = {}  # names whose every later read is looked at
        self.value_uses: dict[int, str] = {}  # id() of a Name read as a plain value -> how
        self.failing_uses: set[int] = set()  # ids of those reads that raise on a coroutine
        self.passed_uses: dict[int, tuple[Ref, str]] = {}  # ids of reads passed to a project callee
        self.awaited: set[tuple[int, str]] = set()  # (id() of the scope, name) for each `await name`

    def bound(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        scope = self.model.scope
        if (
            scope is None
            or scope.kind is not ScopeKind.FUNCTION
            or not isinstance(target, cst.Name)
            or not isinstance(value, cst.Call)
        ):
            return
        found = self.calls.classify(value)
        binding = scope.bindings[target.value][-1]
        bounds = [_Bound(binding, value, found, scope.is_async, scope, declared=self._declared(scope, target.value))] if found is not None else []
        if found is not KNOWN and scope.is_async:  # where an `await` can be what is missing
            awaitable = self.calls.iterated_awaitable(value)
            if awaitable is not None:
                bounds.append(_Bound(binding, value, awaitable, scope.is_async, scope, awaitable=True))
        for bound in bounds:
            self.candidates.setdefault(id(scope), []).append(bound)
            # Reads are judged one by one only when all of them come after this binding (not in
            # a loop that reads the name before binding it again).
            if target.value not in scope.loads:
                self.watched.setdefault(target.value, []).append(bound)

    def _declared(self, scope: Scope, name: str) -> tuple[str, str] | None:
        """What a local name is declared to hold, as a parameter or by `name: T`, when each of
        its declarations says the same and the index can read the type (`declared_type`)."""
        annotations = [b.annotation for b in scope.bindings.get(name, ()) if b.annotation is not None]
        if not annotations:
            return None  # most names: no code generated for them
        code = self.context.module.code_for_node
        written = {code(annotation) for annotation in annotations}
        if len(written) != 1:
            return None
        declared = declared_type(self.context.facts, annotations[0])
        return (declared, written.pop()) if declared is not None else None

    # -- reads that use the coroutine as a plain value, so that it still never runs ------------

    def _value_use(self, node: cst.BaseExpression | None, how: str, fails: bool = False) -> None:
        """Note a read of a watched name as a plain value; `fails` when a coroutine object
        raises there (no such attribute, not subscriptable, iterable or orderable)."""
        if isinstance(node, cst.Name) and node.value in self.watched:
            self.value_uses.setdefault(id(node), how)
            if fails:
                self.failing_uses.add(id(node))

    def visit_If(self, node: cst.If) -> None:
        self._value_use(node.test, "tested for truth")

    def visit_While(self, node: cst.While) -> None:
        self._value_use(node.test, "tested for truth")

    def visit_Assert(self, node: cst.Assert) -> None:
        self._value_use(node.test, "tested for truth")

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._value_use(node.test, "tested for truth")

    def visit_CompIf(self, node: cst.CompIf) -> None:
        self._value_use(node.test, "tested for truth")

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._value_use(node.expression, "tested for truth")
        else:
            self._value_use(node.expression, "used in arithmetic", fails=True)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._value_use(node.left, "tested for truth")
        self._value_use(node.right, "tested for truth")

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        self._value_use(node.left, "used in arithmetic", fails=True)
        self._value_use(node.right, "used in arithmetic", fails=True)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        # `==` and `is` work on any object; ordering does not, nor `in` on the right of it.
        operators = [target.operator for target in node.comparisons]
        operands = [node.left, *(target.comparator for target in node.comparisons)]
        for at, operand in enumerate(operands):
            around = [op for op in (operators[at - 1] if at else None, operators[at] if at < len(operators) else None) if op]
            ordered = next((op for op in around if type(op) in _ORDERING), None)
            if ordered is not None:
                self._value_use(operand, f"compared with `{_ORDERING[type(ordered)]}`", fails=True)
            elif at and isinstance(operators[at - 1], (cst.In, cst.NotIn)):
                self._value_use(operand, "searched with `in`", fails=True)
            else:
                self._value_use(operand, "compared")

    def visit_Attribute(self, node: cst.Attribute) -> None:
        # A coroutine object's own API (`close()`, `send()`, `cr_frame`, `__name__`) is a
        # deliberate use of it, not a mistaken one.
        attr = node.attr.value
        if attr not in _COROUTINE_API and not attr.startswith(("cr_", "__")):
            self._value_use(node.value, f"read for its attribute `{attr}`", fails=True)

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self._value_use(node.value, "subscripted", fails=True)

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self._value_use(node.iter, _ITERATED, fails=True)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is None:
            self._value_use(node.iter, _ITERATED, fails=True)

    def visit_FormattedStringExpression(self, node: cst.FormattedStringExpression) -> None:
        self._value_use(node.expression, "formatted into a string")

    def visit_Return(self, node: cst.Return) -> None:
        # From an `async def`, the caller's `await` gets the coroutine back, not its result (as
        # ASL107 says of `return f()`); a plain `def` returning it delegates, which is normal.
        if self.model.in_coroutine:
            self._value_use(node.value, _RETURNED)

    def visit_Call(self, node: cst.Call) -> None:
        watched = self.watched
        if not watched or not any(isinstance(arg.value, cst.Name) and arg.value.value in watched for arg in node.args):
            return  # most calls: no argument is a name under watch
        if self.calls.only_formats(node.func):
            how = f"passed to `{callee_text(self.context, node)}()`"
            for arg in node.args:
                if not arg.star:
                    self._value_use(arg.value, how)
        elif self.model.qualified_name(node.func) in _CONVERSIONS and not node.args[0].star:
            # `bytes(data)`, `len(rows)`, `list(items)`: a TypeError on a coroutine object
            self._value_use(node.args[0].value, f"passed to `{callee_text(self.context, node)}()`", fails=True)
        else:
            # `Cursor(self, cursor)` with `cursor: sqlite3.Cursor` declared there: the index
            # tells what the project callee's parameter declares
            callee = self.context.facts.reference(node.func)
            if callee is None or callee.kind not in ("global", "method"):
                return
            for arg, where in placed_arguments(node):
                if isinstance(arg.value, cst.Name) and arg.value.value in self.watched:
                    self.value_uses.setdefault(id(arg.value), f"passed to `{callee_text(self.context, node)}()` where it declares a plain value")
                    self.passed_uses[id(arg.value)] = (callee, where)

    def visit_Await(self, node: cst.Await) -> None:
        if isinstance(node.expression, cst.Name) and node.expression.value in self.watched:
            self.awaited.add((id(self.model.scope), node.expression.value))

    def _reached_failure(self, scope: Scope, bound: _Bound) -> str | None:
        """For a name bound more than once, how a read that fails on a coroutine uses it, when
        the coroutine's binding may be what that read sees (`if cached: row = self.cache[k]`
        / `else: row = self.fetch(k)`, then `row.id`). None when the function awaits the name
        itself somewhere (`if inspect.isawaitable(row): row = await row`: it knows), or binds
        it otherwise than by assignment (a `for` target, `+=`, `with ... as`)."""
        name = bound.binding.name
        bindings = scope.bindings.get(name, ())
        if (
            not isinstance(scope.node, cst.FunctionDef) or (id(scope), name) in self.awaited
            or any(b.kind is not BindingKind.ASSIGN for b in bindings)
        ):
            return None
        others = [b for b in bindings if b is not bound.binding]
        wanted: dict[int, cst.CSTNode | None] = {id(b.node): b.statement for b in bindings}
        wanted.update((id(read), line) for read, line, _ in bound.failing_reads)
        layout = Layout(scope.node, wanted)
        for read, _, how in bound.failing_reads:
            if layout.reaches(bound.binding.node, read, [b.node for b in others]):
                return how
        return None

    def visit_Name(self, node: cst.Name) -> None:
        for bound in self.watched.get(node.value, ()):
            if node is bound.binding.node:
                continue
            if self.model.scope is bound.scope:
                bound.reads.append(self.value_uses.get(id(node)))
                if id(node) in self.failing_uses:
                    bound.failing_reads.append((node, self.model.statement, self.value_uses[id(node)]))
                if id(node) in self.passed_uses:
                    bound.passed.append(self.passed_uses[id(node)])
            else:  # in a nested function (or its own name there): what it does cannot be told
                bound.reads.append(None)

    def scope_exit(self, scope: Scope) -> None:
        candidates = self.candidates.pop(id(scope), ())
        for bound in candidates:
            watching = self.watched.get(bound.binding.name, [])
            if bound in watching:
                watching.remove(bound)
        if scope.dynamic:
            return
        for bound in candidates:
            name = bound.binding.name
            if name in scope.declared:
                continue
            once = len(scope.bindings.get(name, ())) == 1
            found = bound.found
            if bound.declared is not None and name in scope.loads:  # (never used: said below)
                # `node_id: int | None = None`, then `node_id = self.find_coordinator(group)`:
                # whatever is done with it later, a coroutine is not what the name may hold
                declared, shown = bound.declared
                self.calls.report(
                    self, bound.call,
                    f"`{{callee}}()` returns a coroutine bound to `{name}`, declared `{shown}`: it is never awaited{{how}}",
                    found=plain_declared(found if isinstance(found, Ref) else None, declared),
                    at=bound.binding.node, in_coroutine=bound.in_coroutine,
                )
                continue
            if bound.awaitable:
                if once and _ITERATED in bound.failing:
                    self.calls.report(
                        self, bound.call,
                        f"`{{callee}}()` returns an awaitable that is not iterable, bound to `{name}`, "
                        f"then iterated: `await` is missing",
                        found=found, at=bound.binding.node, in_coroutine=bound.in_coroutine,
                    )
                continue
            if bound.passed and not (bound.failing and once and found is not KNOWN):
                # The finding stands only if the callee declares a plain value there too
                if len(bound.passed) > 1 or not (bound.reads and all(bound.reads) and once):
                    continue
                found = plain_parameter(found if isinstance(found, Ref) else None, *bound.passed[0])
            if name not in scope.loads:
                use = "which is never used: it never runs"
            elif bound.reads and all(bound.reads) and once and not (bound.failing and _RETURNED in bound.reads):
                use = f"which is only {bound.reads[0]}, never awaited: it never runs"
            elif bound.failing and once and bound.found is not KNOWN:
                # Whatever else is done with it, this read raises: the `await` is missing. Only
                # for a module-level `async def` of the project, which the index confirms: a
                # library call the catalogue knows may give an awaitable that has the attribute
                # (`aiohttp.request()` gives a context manager with `_session`).
                use = f"then {bound.failing[0]}: that fails on a coroutine, so `await` is missing"
            elif (
                bound.failing and not once and bound.found is not KNOWN
                and (how := self._reached_failure(scope, bound)) is not None
            ):
                # Bound again elsewhere, but this binding may reach a read that fails on it
                use = f"then {how}: that fails on a coroutine, so `await` is missing"
            else:
                continue
            self.calls.report(
                self, bound.call,
                f"`{{callee}}()` returns a coroutine bound to `{name}`, {use}{{how}}",
                found=found, at=bound.binding.node, in_coroutine=bound.in_coroutine,
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
            (
                (4, 8, "`ready()` returns a coroutine, which is always true here; the check never runs it"),
                (6, 15, "`ready()` returns a coroutine, which is always true here; the check never runs it"),
                (8, 12, "`ready()` returns a coroutine, which is always true here; the check never runs it"),
                (9, 14, "`ready()` returns a coroutine, which is always true here; the check never runs it"),
                (10, 19, "`ready()` returns a coroutine, which is always true here; the check never runs it"),
                (11, 33, "`ready()` returns a coroutine, which is always true here; the check never runs it"),
            ),
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
            (
                (5, 12, "`self.is_open()` returns a coroutine, which is always true here; the check never runs it"),
            ),
        ),
    )

    _MESSAGE = "`{callee}()` returns a coroutine, which is always true here; the check never runs it{how}"

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.service(CoroutineCalls)

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
    ASL101), and `return asyncio.gather(...)` (a library call returning a future, see
    `returned-future-functions` in rules/coroutines.toml).

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
    requires = ("async", "return")
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
        Valid("shielded-waiter-for-later", """
            import asyncio
            async def ping(self):
                waiter = asyncio.get_running_loop().create_future()
                return asyncio.shield(waiter)
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
            "gathered-future",
            """
            import asyncio

            async def fetch_all(urls):
                return asyncio.gather(*(fetch(url) for url in urls))
            """,
            (
                (4, 12, "`asyncio.gather()` returns a future, and this async function returns it unawaited: the caller's await gets the future, not its result"),
            ),
            fixed="""
            import asyncio

            async def fetch_all(urls):
                return await asyncio.gather(*(fetch(url) for url in urls))
            """,
        ),
        Invalid(
            "returned-from-async",
            """
            class Store:
                async def load(self, key): ...

                async def get(self, key):
                    return self.load(key)
            """,
            (
                (5, 16, "`self.load()` returns a coroutine, and this async function returns it unawaited: the caller's await gets the coroutine, not its result"),
            ),
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
        self.calls = context.service(CoroutineCalls)
        self.futures = catalogue.coroutines().returned_future_functions

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None or not self.model.in_coroutine:
            return
        value = node.value
        if isinstance(value, cst.Call) and self.model.qualified_name(value.func) in self.futures:
            self.report(
                value,
                f"`{callee_text(self.context, value)}()` returns a future, and this async function "
                f"returns it unawaited: the caller's await gets the future, not its result",
                Fix(Applicability.SAFE, "await the future", (Edit(value, cst.Await(expression=value)),)),
            )
        else:
            self.calls.report(
                self, value,
                "`{callee}()` returns a coroutine, and this async function returns it unawaited: "
                "the caller's await gets the coroutine, not its result{how}",
            )
