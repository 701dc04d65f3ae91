"""Every event loop made while a test runs is put in debug mode, and what it reports is kept.

The hooks sit on asyncio itself, not on a runner: `BaseEventLoop.__init__` (every loop of the
standard library, whoever makes it: pytest-asyncio's Runner, anyio's TestRunner,
IsolatedAsyncioTestCase, `asyncio.run`, a bare `new_event_loop()`), `set_debug` (runners pass
their own `debug=False`), `call_exception_handler` (where asyncio reports lost task exceptions
and destroyed pending tasks, ahead of any handler a runner installs), `Runner.close` (the last
moment pending tasks can be seen: it cancels them next) and `Handle._run` (each callback and
task step, timed). They are installed once per session, only when the plugin is enabled, and
pass straight through outside an active test.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time
import traceback
import warnings
from asyncio import base_events, events, runners
from collections.abc import Callable
from typing import Any

from asynclint.frontends.pytest_runtime.blocking import blocking_call
from asynclint.frontends.pytest_runtime.findings import (
    COROUTINE,
    FUTURE,
    HANDLER,
    SLOW,
    TASK,
    RuntimeFinding,
)
from asynclint.frontends.pytest_runtime.frames import Origin, first_user_frame, is_library
from asynclint.frontends.pytest_runtime.slow import Step, Watchdog

ORIGIN_DEPTH = 16  # frames kept of where each coroutine was made (cr_origin)


def _origin_from_summary(summary: Any) -> Origin | None:
    """A debug-mode `_source_traceback` (oldest frame first) -> the user's frame that made it."""
    if not summary:
        return None
    frames = [Origin(f.filename, f.lineno or 0, f.name) for f in summary]
    return first_user_frame(reversed(frames))


def _asyncio_maker(summary: Any) -> str:
    """The asyncio function that made it on the user's behalf ("gather"), if one did."""
    names = [frame.name for frame in summary or () if frame.filename.startswith(_ASYNCIO)]
    return "gather" if "gather" in names else ""


def _unseen_reason(summary: Any) -> str:
    if _asyncio_maker(summary) == "gather":
        return ("asyncio.gather() made this task for one of its awaitables; when another one fails, "
                "gather() raises at once and leaves the rest running, which the static check cannot see")
    return ""


def _made_by_library(summary: Any) -> bool:
    """The frame that called into asyncio to make it is not the user's code."""
    for frame in reversed(summary or ()):
        if not frame.filename.startswith(_ASYNCIO):
            return is_library(frame.filename)
    return True


_ASYNCIO = os.path.dirname(asyncio.__file__) + os.sep


def _describe_task(task: asyncio.Future[Any]) -> str:
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", None) or type(coro).__name__
        return f"task {task.get_name()!r} running {name}()"
    return "future"


def _describe_handle(handle: events.Handle) -> str:
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return f"a step of {_describe_task(owner)}"
    name = getattr(callback, "__qualname__", None) or repr(callback)
    return f"callback {name}()"


class Capture:
    def __init__(self, slow_duration: float) -> None:
        self.slow_duration = slow_duration
        self.active = False
        self.findings: list[RuntimeFinding] = []
        self.errors: list[str] = []
        self.watchdog = Watchdog(slow_duration, self.errors.append)
        self._restore: list[Callable[[], None]] = []
        self._saved_depth = 0
        self._warnings: warnings.catch_warnings[list[warnings.WarningMessage]] | None = None
        self._log: list[warnings.WarningMessage] = []

    # -- session ---------------------------------------------------------------------------

    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = owner.__dict__[name]
        setattr(owner, name, make(original))
        self._restore.append(lambda: setattr(owner, name, original))

    def install(self) -> None:
        capture = self
        loop_class = base_events.BaseEventLoop

        def patch_init(original: Callable[..., None]) -> Callable[..., None]:
            def __init__(loop: base_events.BaseEventLoop, *args: Any, **kwargs: Any) -> None:
                original(loop, *args, **kwargs)
                if capture.active:
                    capture._guard(capture._adopt, loop)

            return __init__

        def patch_set_debug(original: Callable[[Any, bool], None]) -> Callable[[Any, bool], None]:
            def set_debug(loop: base_events.BaseEventLoop, enabled: bool) -> None:
                original(loop, True if capture.active else enabled)

            return set_debug

        def patch_handler(original: Callable[[Any, dict[str, Any]], None]) -> Callable[[Any, dict[str, Any]], None]:
            def call_exception_handler(loop: base_events.BaseEventLoop, context: dict[str, Any]) -> None:
                if capture.active:
                    capture._guard(capture._record_context, context)
                original(loop, context)

            return call_exception_handler

        def patch_close(original: Callable[[Any], None]) -> Callable[[Any], None]:
            def close(runner: Any) -> None:
                if capture.active:
                    capture._guard(capture._record_pending, runner)
                original(runner)

            return close

        def patch_run(original: Callable[[events.Handle], None]) -> Callable[[events.Handle], None]:
            steps = capture.watchdog.steps

            def _run(handle: events.Handle) -> None:
                if not capture.active:
                    return original(handle)
                thread = threading.get_ident()
                outer = steps.get(thread)
                step = steps[thread] = Step(time.perf_counter())
                try:
                    return original(handle)
                finally:
                    elapsed = time.perf_counter() - step.started
                    if outer is None:
                        steps.pop(thread, None)
                    else:
                        steps[thread] = outer
                    if elapsed >= capture.slow_duration:
                        capture._guard(capture._record_slow, handle, elapsed, step)

            capture.watchdog.stop_code = _run.__code__
            return _run

        self._patch(loop_class, "__init__", patch_init)
        self._patch(loop_class, "set_debug", patch_set_debug)
        self._patch(loop_class, "call_exception_handler", patch_handler)
        runner_class = getattr(runners, "Runner", None)  # Python 3.11+; on 3.10 asyncio.run closes its own loop
        if runner_class is not None:
            self._patch(runner_class, "close", patch_close)
        self._patch(events.Handle, "_run", patch_run)

    def uninstall(self) -> None:
        while self._restore:
            self._restore.pop()()
        self.watchdog.close()
        gc.unfreeze()

    def _guard(self, function: Callable[..., None], *args: Any) -> None:
        """Bookkeeping that fails must not change what asyncio does: it becomes a warning."""
        try:
            function(*args)
        except Exception:  # noqa: BLE001 - never fail a test session on our account
            self.errors.append(traceback.format_exc(limit=3))

    # -- one test --------------------------------------------------------------------------

    def start_test(self) -> None:
        self.findings = []
        self._saved_depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(max(self._saved_depth, ORIGIN_DEPTH))
        # Recorded here rather than through pytest's own capture, which hands warnings on only
        # after the test's last report; the ones that are not ours are given back at the end.
        self._warnings = warnings.catch_warnings(record=True)
        self._log = self._warnings.__enter__()
        warnings.filterwarnings("always", message="coroutine .* was never awaited", category=RuntimeWarning)
        self.active = True
        self.watchdog.resume()

    def finish_test(self) -> list[RuntimeFinding]:
        """After the test's teardown: collect what is unreachable now (a lost coroutine or a done
        task in a reference cycle reports itself only when collected), then stop recording."""
        if not self.active:
            return []
        gc.collect()
        # What survives the test is moved out of the collector's sight, so the next test's
        # collection scans only what that test makes: a full collection of a session's objects
        # costs ~30 ms a test (measured, pytest + aiohttp imported). The price: cyclic garbage
        # of objects kept past a test's end waits for the session's end (`uninstall`).
        gc.freeze()
        self._take_coroutine_warnings()
        self.active = False
        self.watchdog.pause()
        sys.set_coroutine_origin_tracking_depth(self._saved_depth)
        return self.findings

    def end_test(self) -> None:
        """After the test's reports: hand pytest back the warnings that are not findings."""
        if self.active:  # the teardown hook did not get to finish (another plugin raised first)
            self.finish_test()
        if self._warnings is None:
            return
        self._take_coroutine_warnings()
        log, self._log = self._log, []
        self._warnings.__exit__(None, None, None)
        self._warnings = None
        for record in log:
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno, source=record.source)

    def _take_coroutine_warnings(self) -> None:
        kept = []
        for record in self._log:
            if record.category is RuntimeWarning and "was never awaited" in str(record.message):
                self._guard(self._record_coroutine, record)
            else:
                kept.append(record)
        self._log[:] = kept

    # -- records ---------------------------------------------------------------------------

    def _adopt(self, loop: base_events.BaseEventLoop) -> None:
        loop.set_debug(True)
        loop.slow_callback_duration = self.slow_duration

    def _record_coroutine(self, record: warnings.WarningMessage) -> None:
        origin_frames = getattr(record.source, "cr_origin", None) or ()
        origin = first_user_frame(Origin(f, line, name) for f, line, name in origin_frames)
        summary = str(record.message).splitlines()[0]
        self.findings.append(RuntimeFinding(COROUTINE, "ASL101", summary, origin))

    def _record_context(self, context: dict[str, Any]) -> None:
        message = str(context.get("message", "")) or "unknown error"
        exception = context.get("exception")
        future = context.get("task") or context.get("future")
        source = context.get("source_traceback") or getattr(context.get("handle"), "_source_traceback", None)
        origin = _origin_from_summary(source)
        generator = context.get("asyncgen")
        code = getattr(generator, "ag_code", None)
        if origin is None and code is not None:  # shutdown_asyncgens: the generator is the lead
            origin = Origin(code.co_filename, code.co_firstlineno, code.co_name)
        details = []
        if isinstance(exception, BaseException):
            details.append("".join(traceback.format_exception_only(type(exception), exception)).strip())
        if future is not None and "never retrieved" in message:
            kind, rule = (TASK, "ASL301") if isinstance(future, asyncio.Task) else (FUTURE, "ASL106")
            summary = f"{_describe_task(future)}: exception was never retrieved"
        elif future is not None and "destroyed but it is pending" in message:
            kind, rule, summary = TASK, "ASL301", f"{_describe_task(future)} was destroyed while still pending"
        else:
            kind, rule, summary = HANDLER, None, f"the loop's exception handler was called: {message}"
            details.append("no static rule covers this: the loop reports it only when it happens")
        self.findings.append(RuntimeFinding(kind, rule, summary, origin, details, unseen_reason=_unseen_reason(source)))

    def _record_pending(self, runner: Any) -> None:
        loop = getattr(runner, "_loop", None)
        if loop is None or loop.is_closed() or loop.is_running():
            return
        for task in asyncio.all_tasks(loop):
            source = getattr(task, "_source_traceback", None)
            if _made_by_library(source):
                continue  # a runner's or library's own task (anyio runs tests in one): theirs to end
            origin = _origin_from_summary(source)
            summary = f"{_describe_task(task)} was still pending at teardown (its runner cancelled it)"
            self.findings.append(RuntimeFinding(TASK, "ASL301", summary, origin, unseen_reason=_unseen_reason(source)))

    def _record_slow(self, handle: events.Handle, elapsed: float, step: Step) -> None:
        frames = step.frames
        found = None
        seen: dict[str, int] = {}
        caught = {}
        for sampled in step.samples:
            for frame in reversed(sampled):  # the outermost catalogued call is the one the code made
                call = blocking_call(frame)
                if call is not None:
                    seen[call.name] = seen.get(call.name, 0) + 1
                    caught[call.name] = (call, frame, sampled)
                    break
        if seen:
            name = max(seen, key=seen.__getitem__)
            if 2 * seen[name] >= len(step.samples):  # blocked there, not passing through
                found, at, frames = caught[name]
        users = [f for f in frames if not is_library(f.filename)]
        origin_frame = at if found is not None and not is_library(at.filename) else (users[0] if users else None)
        origin = Origin(origin_frame.filename, origin_frame.lineno, origin_frame.function) if origin_frame else None
        took = f"{_describe_handle(handle)} took {elapsed:.3f} s (slow_callback_duration is {self.slow_duration:g} s)"
        # The rule code is looked up when the failure is shown: the rules live with the engine,
        # and loading it here would stall the loop a second time.
        if found is not None:
            summary, details = f"{took}: blocked in {found.name}()", [f"`{found.name}` is a blocking call ({found.category})"]
            category = found.category
        else:
            summary, category = f"{took}: the loop was blocked", ""
            details = ["no call the blocking catalogue knows was on the sampled stack" if frames
                       else "the step was not caught in the act (it ran under the sampling interval)"]
        self.findings.append(RuntimeFinding(SLOW, "ASL2xx", summary, origin, details, category=category))
