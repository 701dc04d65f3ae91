"""Sends announcements to an external webhook (simulated)."""

import asyncio


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

    def announce_later(self, text: bytes) -> None:
        # Bug: `schedule` returns a task that nobody keeps.
        schedule(self.announce(text))

    def announce_tracked(self, text: bytes) -> None:
        # Fine: the task is kept until it is done.
        task = schedule(self.announce(text))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
