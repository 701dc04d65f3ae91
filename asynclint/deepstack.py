"""Run the analysis of a file on a thread with a large stack and a high recursion limit.

libcst's native parser and its tree walks recurse once per nesting level. On the main thread's
8 MiB stack, deeply nested but valid code (a thousand nested brackets, a 10,000-term `+` chain)
overflows the C stack and kills the process with a segmentation fault, taking every other
file's results with it. A dedicated thread with a 512 MiB stack (only the pages used are ever
committed) handles such files; nesting beyond what CPython itself accepts is refused before
parsing (see `too_deep`).
"""

from __future__ import annotations

import os
import re
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from itertools import accumulate
from typing import Callable, TypeVar

T = TypeVar("T")

STACK_BYTES = 512 * 1024 * 1024
RECURSION_LIMIT = 100_000
# CPython's tokenizer refuses more than 200 nested brackets ("too many nested parentheses").
CPYTHON_MAX_NESTING = 200

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
_DELTA = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


def _start() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            previous = threading.stack_size(STACK_BYTES)
            try:
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asynclint")
                executor.submit(lambda: None).result()  # the thread starts now, with the big stack
            finally:
                threading.stack_size(previous)
            sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
            _executor = executor
        return _executor


def _forget_in_child() -> None:
    # A forked worker inherits the executor object but not its thread: start a fresh one there.
    global _executor, _lock
    _executor = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def call(function: Callable[..., T], *args, **kwargs) -> T:
    """`function(*args, **kwargs)` on the big-stack thread; exceptions propagate unchanged."""
    if threading.current_thread().name.startswith("asynclint"):
        return function(*args, **kwargs)
    return _start().submit(function, *args, **kwargs).result()


def too_deep(text: str) -> bool:
    """Whether brackets nest deeper than CPython allows (counted roughly: brackets in strings and
    comments count too, so a True answer is confirmed with CPython's own parser)."""
    brackets = _NOT_BRACKETS.sub("", text)
    if len(brackets) <= 2 * CPYTHON_MAX_NESTING:
        return False
    return max(accumulate(map(_DELTA.__getitem__, brackets)), default=0) > CPYTHON_MAX_NESTING
