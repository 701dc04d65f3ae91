"""Run the analysis of a file on a thread with a large stack and a high recursion limit, within a
time limit.

libcst's native parser and its tree walks recurse once per nesting level. On the main thread's
8 MiB stack, deeply nested but valid code (a thousand nested brackets, a 10,000-term `+` chain)
overflows the C stack and kills the process with a segmentation fault, taking every other
file's results with it. A dedicated thread with a 512 MiB stack (only the pages used are ever
committed) handles such files; nesting beyond what CPython itself accepts is refused before
parsing (see `too_deep`).

The same thread enforces `per-file-timeout`. The caller waits at most that long; a file that
takes longer is given up (`Timeout`) and the next file gets a fresh thread. The abandoned job
stops itself at its next `checkpoint()` (the engine calls it while walking the tree and between
fix rounds), so it neither keeps the CPU busy nor writes a fix after it was given up. A thread
stuck where no checkpoint is reached (one long native parse) goes on in the background, as a
daemon thread; the end of the run waits a little for it (see `still_running`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from itertools import accumulate
from typing import Any, TypeVar

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 100_000
# CPython's tokenizer refuses more than 200 nested brackets ("too many nested parentheses").
CPYTHON_MAX_NESTING = 200
THREAD_PREFIX = "asynclint"

_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
# libcst's parser takes super-linear time on long chains in one expression (`a.b.b…`, `a + a + …`,
# `-(-(-…`): 1,000 links take seconds, 5,000 (which CPython refuses) hours. Such chains come in
# long lines; a file with one is first given to CPython's own parser (see `engine.parse`).
LONG_LINE = 5000
_LONG_LINE = re.compile(rf"^[^\n]{{{LONG_LINE}}}", re.MULTILINE)  # tried at line starts only
MANY_CONTINUED = 1000
_CONTINUED = re.compile(r"(?:[-+*/%@&|^.]|\\)[ \t]*\r?\n|\n[ \t]*(?:[-+*/%@&|^.]|and\b|or\b|if\b|else\b)")
CPYTHON_RECURSION_LIMIT = 1000
_DELTA = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


class Timeout(BaseException):
    """The file took longer than its time limit. A BaseException, so that the engine's
    `except Exception` isolation of rule bugs does not swallow it."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds


class _Job:
    def __init__(self, function: Callable[..., Any], args: tuple, kwargs: dict, timeout: float | None) -> None:
        self.function, self.args, self.kwargs = function, args, kwargs
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.done = threading.Event()
        self.abandoned = False
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        _local.job = self
        try:
            self.result = self.function(*self.args, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller, re-raised there
            self.error = exc
        finally:
            _local.job = None
            self.done.set()

    def expired(self) -> bool:
        return self.abandoned or (self.deadline is not None and time.monotonic() > self.deadline)


class _Worker:
    """One daemon thread with the big stack, taking jobs from a queue."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        previous = threading.stack_size(STACK_BYTES)
        try:
            self.thread = threading.Thread(target=self._loop, name=f"{THREAD_PREFIX}-deepstack", daemon=True)
            self.thread.start()
        finally:
            threading.stack_size(previous)

    def _loop(self) -> None:
        while (job := self.jobs.get()) is not None:
            job.run()


_local = threading.local()
_worker: _Worker | None = None
_lock = threading.Lock()
_abandoned: list[threading.Thread] = []
EXIT_WAIT = 30.0  # seconds the end of the process waits for given-up jobs to stop


@atexit.register
def _wait_for_abandoned() -> None:
    # A daemon thread still inside libcst's native parser when the interpreter finalizes aborts
    # the process (exit code 134). Given-up jobs stop at their next checkpoint, or when the parse
    # returns: wait for them, within reason. The command line does better (`cli.entry`): it
    # ends the process without finalizing when a job is stuck.
    still_running(EXIT_WAIT)


def _current_worker() -> _Worker:
    global _worker
    with _lock:
        if _worker is None:
            sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
            _worker = _Worker()
        return _worker


def _forget_in_child() -> None:
    # A forked worker process inherits the worker object but not its thread: start afresh there.
    global _worker, _lock
    _worker = None
    _lock = threading.Lock()
    _abandoned.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def call(function: Callable[..., T], *args, timeout: float | None = None, **kwargs) -> T:
    """`function(*args, **kwargs)` on the big-stack thread; exceptions propagate unchanged.

    With `timeout` (seconds), raises `Timeout` once that much time has passed without a result.
    """
    if threading.current_thread().name.startswith(THREAD_PREFIX):
        return function(*args, **kwargs)  # already on a big stack, within the outer job's limit
    job = _Job(function, args, kwargs, timeout)
    worker = _current_worker()
    worker.jobs.put(job)
    if not job.done.wait(timeout):
        assert timeout is not None  # without a timeout, the wait returns only once the job is done
        _abandon(worker, job)
        raise Timeout(timeout)
    if job.error is not None:
        raise job.error
    return job.result


def _abandon(worker: _Worker, job: _Job) -> None:
    global _worker
    job.abandoned = True  # its next checkpoint raises
    worker.jobs.put(None)  # and its thread ends once the job has stopped
    _abandoned.append(worker.thread)
    with _lock:
        if _worker is worker:
            _worker = None


def checkpoint() -> None:
    """Raise `Timeout` when the job running on this thread is out of time or was given up.
    Cheap; called by the engine every few thousand nodes and before a fix is written."""
    job = getattr(_local, "job", None)
    if job is not None and job.expired():
        raise Timeout(job.timeout or 0)


def has_long_chain(text: str) -> bool:
    """Whether a file may hold a chain too long for libcst's parser: a line of 5,000 characters
    or more, or very many lines continuing an expression with an operator (a chain written one
    link a line). Cheap, and rough on purpose: a True answer only costs a CPython parse."""
    if _LONG_LINE.search(text) is not None:
        return True
    # (a file of fewer lines cannot have that many continued ones: most files skip the count)
    return text.count("\n") > MANY_CONTINUED and len(_CONTINUED.findall(text)) > MANY_CONTINUED


@contextlib.contextmanager
def cpython_limits() -> Iterator[None]:
    """CPython's parser refuses code nested deeper than the recursion limit allows, and this
    module raises that limit: judge as a plain `python file.py` would (limit 1,000)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(CPYTHON_RECURSION_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def still_running(wait: float) -> bool:
    """Whether a given-up job is still running after waiting up to `wait` seconds for all of
    them to stop (used at the end of a command-line run)."""
    end = time.monotonic() + wait
    for thread in _abandoned:
        thread.join(max(0.0, end - time.monotonic()))
    return any(thread.is_alive() for thread in _abandoned)


def too_deep(text: str) -> bool:
    """Whether brackets nest deeper than CPython allows (counted roughly: brackets in strings and
    comments count too, so a True answer is confirmed with CPython's own parser)."""
    brackets = _NOT_BRACKETS.sub("", text)
    if len(brackets) <= 2 * CPYTHON_MAX_NESTING:
        return False
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0) > CPYTHON_MAX_NESTING
