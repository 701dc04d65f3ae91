"""Keeps the chat history on disk (simulated) and answers history requests."""

import asyncio
import logging
import threading

from .notifications import Notifier, send_digest

_LOGGER = logging.getLogger(__name__)


class History:
    def __init__(self, notifier: Notifier):
        self._notifier = notifier
        self._lock = asyncio.Lock()
        self._lines: list[bytes] = []

    async def count(self) -> int:
        await asyncio.sleep(0)
        return len(self._lines)

    async def append(self, line: bytes) -> None:
        # Bug: an asyncio.Lock needs `async with`; a plain `with` raises at run time.
        with self._lock:
            self._lines.append(line)
        # Bug: the coroutine is bound and forgotten: the announcement never happens.
        sent = self._notifier.announce(line)

    async def summary(self) -> str:
        # Bug: `count()` gives a coroutine; this formats `<coroutine object ...>`.
        _LOGGER.info("history has %s lines", self.count())
        return f"{await self.count()} lines"

    async def flush(self) -> None:
        # Bug: the gathered future is dropped; the announcements race the caller.
        asyncio.gather(*(self._notifier.announce(line) for line in self._lines))

    def mail_nightly(self) -> None:
        # Bug: the thread calls `send_digest`, which only creates a coroutine.
        threading.Thread(target=send_digest, args=(self._lines,)).start()

    async def is_empty(self) -> bool:
        # Bug: `total` is the coroutine, not a number: it is only compared, never awaited.
        total = self.count()
        return total == 0
