"""A progress line on stderr for long runs in a terminal.

Shown only when stderr is a terminal (never in CI logs or when piped), never with --quiet, and
only once a run has lasted `delay` seconds, so quick runs print nothing. The line is rewritten in
place and erased at the end, leaving the terminal as it was.
"""

from __future__ import annotations

import time
from typing import TextIO

DELAY = 0.5  # seconds before the first line
INTERVAL = 0.1  # seconds between updates


class Progress:
    def __init__(self, stream: TextIO, delay: float | None = None) -> None:
        self.stream = stream
        self.start = time.monotonic()
        self.delay = DELAY if delay is None else delay
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if now - self.start < self.delay or (now - self.last < INTERVAL and done < total):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\r\033[Kasynclint: {what} {done}/{total} files")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def for_terminal(stream: TextIO, quiet: bool) -> Progress | None:
    """A progress line when `stream` is a terminal and the run is not quiet, else None."""
    isatty = getattr(stream, "isatty", None)
    if quiet or isatty is None or not isatty():
        return None
    return Progress(stream)
