"""Replaying a recorded session: a reader whose `read()` is a plain `def` stands in for
asyncio's, so `reader.read()` on a value declared `asyncio.StreamReader` in this module may be
that one, and is not reported (ASL104 would be, were `RecordedReader` not here)."""

import asyncio


class RecordedReader(asyncio.StreamReader):
    def __init__(self, frames: list[bytes]) -> None:
        super().__init__()
        self.frames = frames

    def read(self, n: int = -1) -> bytes:
        return self.frames.pop(0) if self.frames else b""


async def replay(reader: asyncio.StreamReader, expected: bytes) -> bool:
    await asyncio.sleep(0)  # let the live session's writer run first
    return reader.read() == expected
