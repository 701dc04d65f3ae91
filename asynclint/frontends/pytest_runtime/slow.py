"""Slow loop steps, with the frames they were stuck in.

asyncio's debug mode logs "Executing <Handle …> took 0.300 seconds" only after the step has
returned, when its frames are gone. So `Handle._run` is timed here, and while a step runs a
watchdog thread samples the loop thread's stack (`sys._current_frames()`) once the step has run
for half the threshold: a call that blocks is still on that stack in the samples taken until the
step returns. A call counts when at least half of the step's samples show it, so that a quick
`os.stat()` caught once in a step that spins in pure Python does not take the blame. Sampling instead of tracing keeps the per-step cost at two
clock reads and a dictionary write; the watchdog sleeps while no test runs.
"""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field

from asynclint.frontends.pytest_runtime.blocking import SampledFrame, sample

MAX_SAMPLES = 64  # per step: the latest are kept


@dataclass
class Step:
    started: float
    samples: list[tuple[SampledFrame, ...]] = field(default_factory=list)  # innermost first

    @property
    def frames(self) -> tuple[SampledFrame, ...]:
        """The last sample."""
        return self.samples[-1] if self.samples else ()


def sample_stack(frame: types.FrameType | None, stop: types.CodeType) -> tuple[SampledFrame, ...]:
    """The frames above the step's own `_run` (`stop`), innermost first."""
    frames = []
    while frame is not None and frame.f_code is not stop:
        frames.append(sample(frame))
        frame = frame.f_back
    return tuple(frames)


class Watchdog:
    def __init__(self, threshold: float, on_error: Callable[[str], None]) -> None:
        self.threshold = threshold
        self.steps: dict[int, Step] = {}  # loop thread id -> the step it runs now
        self.stop_code: types.CodeType | None = None
        self._on_error = on_error
        self._running = threading.Event()  # a test is running: sample
        self._closed = False
        self._thread: threading.Thread | None = None
        self._interval = max(threshold / 4, 0.002)

    def resume(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="asynclint-runtime-watchdog", daemon=True)
            self._thread.start()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def close(self) -> None:
        self._closed = True
        self._running.set()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def _watch(self) -> None:
        told = False
        while not self._closed:
            self._running.wait()
            time.sleep(self._interval)
            try:
                self._sample()
            except Exception as exc:  # noqa: BLE001 - a sample lost is a frame less; say so once
                if not told:
                    told = True
                    self._on_error(f"slow-step sampling failed: {exc!r}")

    def _sample(self) -> None:
        if not self.steps or self.stop_code is None:
            return
        now = time.perf_counter()
        frames = sys._current_frames()
        for thread_id, step in list(self.steps.items()):
            if now - step.started >= self.threshold / 2:
                stack = sample_stack(frames.get(thread_id), self.stop_code)
                if self.steps.get(thread_id) is step:  # still the same step: the sample is its own
                    step.samples.append(stack)
                    del step.samples[:-MAX_SAMPLES]
