"""Archives old chat lines: blocking calls hidden in a coroutine, directly and through helpers."""

import asyncio
import os
import queue
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import requests

from .settings import DATA_DIR, Paths, load_config


class Archiver:
    def __init__(self, paths: Paths):
        self.paths = paths
        self.pending = queue.Queue()
        self._guard = threading.Lock()

    async def archive(self, lines: list[bytes]) -> None:
        # Bug: every call below stops the event loop while it waits.
        time.sleep(0.1)
        requests.post("https://backup.example/upload", data=b"".join(lines), timeout=10)
        subprocess.run(["gzip", "-k", "history.log"], check=True)
        if not self.paths.archive.exists():
            (DATA_DIR / "archive").mkdir()
        os.remove("history.log")
        socket.gethostbyname("backup.example")
        sqlite3.connect("index.db").execute("insert into archives default values")
        self.pending.get()
        with self._guard:  # held while the coroutine is suspended
            await asyncio.sleep(0)
            self.pending.task_done()

    async def reload(self) -> dict:
        # Bug: `load_config()` reads a file through `read_file()`.
        return load_config()

    async def ask(self) -> str:
        # Fine: the blocking work runs in a thread, or later in a nested sync function.
        def later() -> str:
            return sys.stdin.readline()

        await asyncio.to_thread(load_config)
        return later.__name__

    async def confirm(self) -> bool:
        # Bug: input() waits for a person with the event loop stopped.
        return input("archive now? ") == "y"
