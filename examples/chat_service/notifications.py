"""Sends announcements to an external webhook (simulated)."""

import asyncio

import httpx


def schedule(coro):
    """Starts `coro` in the background and hands back its task (keeping no reference itself)."""
    return asyncio.get_running_loop().create_task(coro)


async def send_digest(lines: list[bytes]) -> None:
    """Mails the day's messages (simulated)."""
    await asyncio.sleep(0)


class Notifier:
    def __init__(self):
        self._pending: set[asyncio.Task] = set()

    async def announce(self, text: bytes) -> None:
        await asyncio.sleep(0)  # stands in for the webhook call

    async def webhook_alive(self) -> bool:
        await asyncio.sleep(0)
        return True

    async def announce_if_alive(self, text: bytes) -> None:
        # Bug: a coroutine object is always true; the liveness check never runs.
        if self.webhook_alive():
            await self.announce(text)

    async def announce_twice(self, text: bytes):
        await self.announce(text)
        # Bug: the caller's await gets this coroutine back, not the announcement.
        return self.announce(text)

    def announce_later(self, text: bytes) -> None:
        # Bug: `schedule` returns a task that nobody keeps.
        schedule(self.announce(text))

    def announce_tracked(self, text: bytes) -> None:
        # Fine: the task is kept until it is done.
        task = schedule(self.announce(text))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def post_webhook(self, url: str, text: bytes) -> None:
        async with httpx.AsyncClient() as client:
            # Bug: `client.post()` gives a coroutine; the webhook is never called.
            client.post(url, content=text)

    async def webhook_status(self, url: str) -> str:
        async with httpx.AsyncClient() as client:
            async with client.stream("GET", url) as response:
                # Bug: `response.aread()` gives a coroutine; the body is never read.
                response.aread()
                return response.headers.get("status", "")

    async def post_to_all(self, urls: list[str], text: bytes) -> None:
        for url in urls:
            # Bug: a new client, with its own connection pool, for every webhook.
            async with httpx.AsyncClient() as client:
                await client.post(url, content=text)

    async def ping_webhook(self, url: str) -> int:
        # Bug: the client is never closed; its connections leak.
        client = httpx.AsyncClient()
        response = await client.get(url)
        return response.status_code
