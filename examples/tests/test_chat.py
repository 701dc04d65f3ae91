import unittest

import pytest

from chat_service.notifications import Notifier, send_digest
from chat_service.server import serve


async def test_digest():  # no asyncio marker in strict mode: pytest never runs it
    await send_digest([b"hi"])


@pytest.mark.asyncio
async def test_broadcast(server):
    await server.broadcast(b"hello", None)


def test_announce():  # returns the coroutine: nothing is announced
    return Notifier().announce(b"hi")


class NotifierTest(unittest.TestCase):
    async def test_webhook(self):  # never awaited by unittest.TestCase: passes without running
        self.assertTrue(await Notifier().webhook_alive())


@pytest.mark.asyncio
async def test_serve_starts():
    assert serve
