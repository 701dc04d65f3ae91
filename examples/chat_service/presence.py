"""Tracks who is online and keeps the presence list in sync with a backend."""

import asyncio
import functools
import threading

from chat_service.notifications import Notifier


class PresenceStore:
    def __init__(self, backend):
        self._backend = backend
        self._online: set[str] = set()
        self._ready = False
        self._sync_lock = threading.Lock()
        self._write_lock = asyncio.Lock()

    # Bug: a property gives a coroutine, not a value.
    @property
    async def count(self) -> int:
        return len(self._online)

    async def sync(self) -> None:
        # Bug: a thread lock held across an await blocks the whole event loop when contended.
        with self._sync_lock:
            self._online = set(await self._backend.fetch_online())
        self._ready = True

    async def mark_online(self, user: str) -> None:
        # Bug: asyncio locks need `async with`.
        with self._write_lock:
            self._online.add(user)
            await self._backend.store(user)

    async def wait_ready(self) -> None:
        # Bug: polling a flag; an asyncio.Event wakes the waiter exactly when it is set.
        while not self._ready:
            await asyncio.sleep(0.1)

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.sync()
                await asyncio.sleep(interval)
            except asyncio.CancelledError:
                # Bug: the cancellation is ignored and the loop goes on.
                continue

    async def refresh_all(self, users: list[str]) -> None:
        # Bug: asyncio.wait() takes tasks, not coroutines (TypeError since 3.11).
        await asyncio.wait([self._store_one(user) for user in users])
        # Bug: the timeout can never fire: nothing inside it awaits.
        async with asyncio.timeout(5):
            self._backend.flush_later()

    async def _store_one(self, user: str) -> None:
        await self._backend.store(user)

    async def watch(self):
        # Bug: the timeout's cancellation lands in the consumer's code while suspended at yield.
        async with asyncio.timeout(60):
            async for event in self._backend.events():
                yield event

    async def _snapshot(self) -> list[str]:
        # Bug (opt-in ASL514): nothing here awaits.
        return sorted(self._online)

    async def snapshot(self) -> list[str]:
        return await self._snapshot()


class Backend:
    async def fetch_online(self) -> list[str]: ...
    async def store(self, user: str) -> None: ...
    def flush_later(self) -> None: ...
    async def events(self):
        yield "joined"


class Session:
    # Bug: __init__ is never awaited; creating a Session raises TypeError.
    async def __init__(self, user: str):
        self.user = user


# Bug: the cache keeps the coroutine object; the second call gets an exhausted coroutine.
@functools.lru_cache(maxsize=None)
async def load_avatar(user: str) -> bytes:
    await asyncio.sleep(0)
    return user.encode()


async def announce_presence(notifier: Notifier, store: PresenceStore) -> None:
    # Bug: get_event_loop() in a coroutine; get_running_loop() is the one to call.
    loop = asyncio.get_event_loop()
    loop.call_later(1, print, "presence announced")
    # Bug: the `loop=` argument was removed in Python 3.10.
    await asyncio.sleep(0, loop=loop)
    await notifier.announce(b"%d online\n" % len(store._online))


async def main_with_nested_loop(store: PresenceStore) -> None:
    # Bug: a loop is already running; asyncio.run() raises RuntimeError here.
    asyncio.run(store.sync())


def presence_count(store: PresenceStore) -> int:
    # Bug: a stale noqa comment: nothing on this line needs ASL501 any more, and it would hide
    # the next real finding here.
    return len(store._online)  # noqa: ASL501


async def keep_presence_fresh(store: PresenceStore) -> None:
    # Bug: this loop never awaits: no other task, timeout or cancellation runs again.
    while True:
        store._online.discard("")


async def load_presence_in_thread(store: PresenceStore, users: list[str]) -> None:
    loop = asyncio.get_running_loop()
    loaded = asyncio.Event()

    def load() -> None:
        store._online.update(users)
        # Bug: asyncio objects are not thread-safe; this runs in a worker thread.
        loaded.set()
        loop.call_soon(print, "presence loaded")

    await asyncio.to_thread(load)
    await loaded.wait()
