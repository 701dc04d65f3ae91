"""Accepts client connections and relays their messages to every other client."""

import asyncio
import logging

from chat_service.notifications import Notifier, send_digest

log = logging.getLogger(__name__)


class ChatServer:
    def __init__(self, loop: asyncio.AbstractEventLoop, notifier: Notifier):
        self._loop = loop
        self._notifier = notifier
        self._clients: set[asyncio.StreamWriter] = set()

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._clients.add(writer)
        # Bug: the greeting task is dropped; it may be garbage-collected mid-send.
        asyncio.create_task(self._greet(writer))
        try:
            while line := await reader.readline():
                await self.broadcast(line, sender=writer)
        finally:
            self._clients.discard(writer)
            # Bug: the "left" notification is scheduled and forgotten.
            self._loop.create_task(self._notifier.announce(b"someone left\n"))

    async def broadcast(self, line: bytes, sender: asyncio.StreamWriter):
        for client in list(self._clients):
            if client is not sender:
                client.write(line)
        # Bug: one task per client, the list is thrown away.
        [asyncio.ensure_future(client.drain()) for client in self._clients]

    async def _greet(self, writer: asyncio.StreamWriter):
        writer.write(b"welcome\n")
        await writer.drain()
        # Bug: announce() is a coroutine function; this line does nothing.
        self._notifier.announce(b"someone joined\n")

    async def close(self, history: list[bytes]):
        # Bug: send_digest (another module) is async; the digest is never sent.
        send_digest(history)
        for client in self._clients:
            client.close()


async def serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = ChatServer(loop, Notifier())
    listener = await asyncio.start_server(server.handle_client, "127.0.0.1", port)
    # Bug: bound to a name nobody reads; the heartbeat can vanish.
    heartbeat = loop.create_task(server.broadcast(b"ping\n", sender=None))
    async with listener:
        await listener.serve_forever()
