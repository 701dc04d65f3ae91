"""Chat rooms: who is in them, and how their members are told about each other."""

import asyncio


class Room:
    def __init__(self, name: str, notifier):
        self.name = name
        self.members: set[str] = set()
        self.notifier = notifier

    def join(self, user: str) -> None:
        self.members.add(user)
        await self.notifier.announce(f"{user} joined {self.name}")

    async def wait_for_member(self, user: str, seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                await self.notifier.wait_for(user)
        except asyncio.TimeoutError:
            return False
        return True

    async def greet_all(self, greeting: str) -> int:
        async with asyncio.TaskGroup() as tg:
            for user in self.members:
                tg.create_task(self.notifier.send(user, greeting))
            return len(self.members)

    async def kick(self, user: str, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            await self.notifier.send(user, "you were removed from the room")
        self.members.discard(user)

    async def broadcast(self, text: str) -> None:
        await asyncio.gather(*(self.notifier.send(user, text) for user in self.members), return_exceptions=True)

    async def deliver(self, text: str) -> None:
        try:
            async with asyncio.TaskGroup() as tg:
                for user in self.members:
                    tg.create_task(self.notifier.send(user, text))
        except* ConnectionError as eg:
            if eg.errno is not None:
                raise eg.exceptions[0]

    async def relay(self, pool, text: str) -> None:
        async with asyncio.TaskGroup() as tg:
            async with pool.acquire() as conn:
                for user in self.members:
                    tg.create_task(conn.send(user, text))

    async def ping(self, user: str) -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.notifier.send(user, "ping"))

    async def history(self):
        async with self.notifier.stream(self.name) as stream:
            async for message in stream:
                yield message

    async def leave(self, user: str) -> None:
        try:
            await self.notifier.send(user, "bye")
        finally:
            await self.notifier.announce(f"{user} left {self.name}")
