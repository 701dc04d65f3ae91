"""Files big enough to exhaust memory are parsed in a process of their own.

libcst's native parser needs about 800 bytes of memory per byte of source. When an allocation
fails it does not raise MemoryError: Rust aborts the whole process, and a run without worker
processes (`-j1`, or fewer than 4 files) ends with no results at all. `max-file-size` (2 MB by
default) keeps such files out; with the limit raised or off (`--max-file-size 0`), a file above
`threshold()` is checked in a child process, so that running out of memory costs that file only.
The child is also killed when it outlives the file's time limit by far, which the in-process
timeout cannot do while the parser (native code) runs.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

# Files up to this size are checked in the process that reads them: the largest file of CPython's
# standard library is 0.76 MB, so ordinary runs never start a process for it.
ISOLATE_BYTES = 1_000_000
# What the parse needs per byte of source (measured with libcst 1.x), with a margin of two.
_MEMORY_PER_BYTE = 800 * 2


def threshold() -> int:
    """The size above which a file is checked in a process of its own: ISOLATE_BYTES, or less
    when the address space is limited (`ulimit -v`) so that a smaller file may exhaust it."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return ISOLATE_BYTES
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return ISOLATE_BYTES
    return min(ISOLATE_BYTES, soft // _MEMORY_PER_BYTE)


def size_of(path: str, data: bytes | None) -> int:
    if data is not None:
        return len(data)
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the check reports why it cannot be read


def _child(connection, errors: int, init: Callable, work: Callable, task: tuple, index: Any, names: Any) -> None:
    os.dup2(errors, 2)  # what it prints goes through the parent (not the abort's own message)
    init(index, names)
    connection.send(work(task))
    connection.close()


def run_alone(init: Callable, work: Callable, task: tuple, index: Any, names: Any, timeout: float | None) -> Any:
    """`work(task)` in a child process set up by `init(index, names)`; its result, or a string
    saying why there is none (the child died, or outlived `timeout` seconds and was killed).
    What the child writes to stderr is passed on when it succeeds, and dropped when it dies (a
    native abort's own message, replaced by the file's error)."""
    context: Any = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    with tempfile.TemporaryFile() as errors:
        process = context.Process(
            target=_child, args=(sender, errors.fileno(), init, work, task, index, names), daemon=True
        )
        process.start()
        sender.close()
        try:
            result: Any = None
            if not receiver.poll(timeout):
                process.kill()
                return "timeout"
            try:
                result = receiver.recv()
            except EOFError:  # it died before sending anything
                process.join()
                return f"died ({_how(process.exitcode)})"
            process.join(5)
            errors.seek(0)
            written = errors.read()
            if written:
                sys.stderr.write(written.decode("utf-8", "replace"))
            return result
        finally:
            receiver.close()
            if process.is_alive():
                process.kill()
                process.join()


def _how(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        import signal

        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"
