"""Delivers messages to connected clients: a per-client outbox (a class nested in the relay), a
loop obtained from an unannotated helper (and a task bound from a method returning one), and a cached lookup that may hand back a coroutine."""

from __future__ import annotations

import asyncio


def event_loop():
    return asyncio.get_running_loop()


class Relay:
    class Outbox:
        """What is waiting for one client."""

        def __init__(self) -> None:
            self.pending: list[str] = []

        async def flush(self) -> None:
            self.pending.clear()

    def __init__(self) -> None:
        self.outboxes: dict[str, Relay.Outbox] = {}
        self.profiles: dict[str, dict] = {}

    def outbox(self, client: str):
        if client not in self.outboxes:
            self.outboxes[client] = Relay.Outbox()
        return self.outboxes[client]

    async def load_profile(self, client: str) -> dict:
        return {"name": client}

    async def deliver(self, client: str, text: str) -> None:
        self.outbox(client).pending.append(text)
        # Bug: the outbox's flush is never awaited (a method of a nested class, found through
        # what the unannotated `outbox()` returns).
        self.outbox(client).flush()
        # Bug: the heartbeat task is dropped: the loop comes from a project helper.
        event_loop().create_task(self.heartbeat(client))

    async def greeting(self, client: str) -> str:
        if client in self.profiles:
            profile = self.profiles[client]
        else:
            # Bug: not awaited; `profile["name"]` below fails on the coroutine on this path.
            profile = self.load_profile(client)
        return f"hello {profile['name']}"

    def watch(self, client: str):
        return event_loop().create_task(self.heartbeat(client))

    async def connect(self, client: str) -> None:
        # Bug: the watcher is bound to a name nobody reads: nothing keeps it once this returns.
        watcher = self.watch(client)
        self.outbox(client)

    async def heartbeat(self, client: str) -> None:
        await asyncio.sleep(30)
