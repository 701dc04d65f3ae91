"""The runtime companion (`pytest --asynclint-runtime`), run on small test suites with pytester.

Most runs are in-process (`runpytest`): the plugin is loaded from its entry point as in a user's
session. Runs that need a fresh interpreter (xdist, what a disabled plugin leaves loaded) are
subprocesses and marked slow.
"""

import importlib
import textwrap

import pytest

pytest_plugins = ["pytester"]

STRICT = """
[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""
AUTO = STRICT.replace("strict", "auto")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def suite(pytester):
    """Write an ini file and one test module, by line-exact text."""

    def _suite(source: str, ini: str = STRICT, name: str = "test_it") -> None:
        pytester.makeini(ini)
        pytester.makepyfile(**{name: dedent(source)})

    return _suite


UNAWAITED = """
import asyncio
import pytest

async def work():
    return 1

@pytest.mark.asyncio
async def test_unawaited():
    work()
"""


def test_unawaited_coroutine_fails_at_teardown_with_its_origin_and_static_rule(pytester, suite):
    suite(UNAWAITED)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_unawaited*",
        "asynclint runtime: 1 problem in test_it.py::test_unawaited",
        "ASL101 coroutine 'work' was never awaited",
        "    made at test_it.py:9 in test_unawaited",
        "    asynclint reports this statically: test_it.py:9 ASL101",
    ])


def test_disabled_by_default_the_same_test_passes(pytester, suite):
    suite(UNAWAITED)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*asynclint runtime*")


def test_the_ini_option_enables_it(pytester, suite):
    suite(UNAWAITED, STRICT + "asynclint_runtime = true\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["ASL101 coroutine 'work' was never awaited"])


def test_the_marker_turns_it_off_for_one_test(pytester, suite):
    suite(UNAWAITED + dedent("""
        @pytest.mark.asynclint_runtime_off
        @pytest.mark.asyncio
        async def test_off():
            work()
    """))
    result = pytester.runpytest("--asynclint-runtime", "--strict-markers")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_unawaited*"])
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_off*")


def test_a_coroutine_made_through_a_dynamic_call_says_why_static_analysis_misses_it(pytester, suite):
    suite("""
        import pytest

        class Service:
            async def refresh(self):
                pass

        @pytest.mark.asyncio
        async def test_dynamic():
            service = Service()
            getattr(service, "re" + "fresh")()
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "ASL101 coroutine 'Service.refresh' was never awaited",
        "    made at test_it.py:10 in test_dynamic",
        "    asynclint does not report this statically: created through a dynamic call",
    ])


def test_a_sync_test_that_drops_a_coroutine_fails_too(pytester, suite):
    # No loop runs at all: origin tracking is on for the whole test, not only inside a loop.
    suite("""
        async def work():
            pass

        def helper(fn):
            return fn()

        def test_sync():
            helper(work)
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "ASL101 coroutine 'work' was never awaited",
        "    made at test_it.py:5 in helper",
        "    asynclint does not report this statically: *",
    ])


def test_lost_task_exception_names_asl301_and_where_the_task_was_created(pytester, suite):
    suite("""
        import asyncio
        import pytest

        async def boom():
            raise ValueError("boom")

        @pytest.mark.asyncio
        async def test_lost():
            asyncio.create_task(boom())
            await asyncio.sleep(0.01)
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "ASL301 task '*' running boom(): exception was never retrieved",
        "    made at test_it.py:9 in test_lost",
        "    ValueError: boom",
        "    asynclint reports this statically: test_it.py:9 ASL301",
    ])


def test_task_still_pending_at_teardown_stored_where_static_analysis_cannot_follow(pytester, suite):
    suite("""
        import asyncio
        import pytest

        background = []

        @pytest.mark.asyncio
        async def test_pending():
            background.append(asyncio.create_task(asyncio.sleep(10)))
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "ASL301 task '*' running sleep() was still pending at teardown (its runner cancelled it)",
        "    made at test_it.py:8 in test_pending",
        "    asynclint does not report this statically: the task is stored or handed on*",
    ])


def test_a_task_gather_leaves_running_names_gather(pytester, suite):
    # Seen in asgiref's suite: `gather(server.arun(), do_test())` where do_test ends by raising.
    suite("""
        import asyncio
        import pytest

        async def serve():
            await asyncio.Event().wait()

        async def fail():
            raise LookupError

        @pytest.mark.asyncio
        async def test_gather():
            with pytest.raises(LookupError):
                await asyncio.gather(serve(), fail())
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "asynclint runtime: 1 problem in test_it.py::test_gather",
        "ASL301 task '*' running serve() was still pending at teardown (its runner cancelled it)",
        "    made at test_it.py:13 in test_gather",
        "    asynclint does not report this statically: asyncio.gather() made this task for one of its awaitables*",
    ])


def test_a_task_awaited_or_cancelled_and_awaited_is_fine(pytester, suite):
    suite("""
        import asyncio
        import contextlib
        import pytest

        async def boom():
            raise ValueError("boom")

        @pytest.mark.asyncio
        async def test_clean():
            task = asyncio.create_task(boom())
            with pytest.raises(ValueError):
                await task
            sleeper = asyncio.create_task(asyncio.sleep(10))
            sleeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sleeper
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1)


def test_exception_handler_call_fails_the_test(pytester, suite):
    suite("""
        import asyncio
        import pytest

        def callback():
            raise KeyError("gone")

        @pytest.mark.asyncio
        async def test_callback():
            asyncio.get_running_loop().call_soon(callback)
            await asyncio.sleep(0.01)
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "asyncio the loop's exception handler was called: Exception in callback callback()*",
        "    made at test_it.py:9 in test_callback",
        "    KeyError: 'gone'",
        "    no static rule covers this: the loop reports it only when it happens",
    ])


SLOW = """
import time
import pytest

def settle():
    time.sleep(0.25)

@pytest.mark.asyncio
async def test_slow():
    time.sleep(0.25)

@pytest.mark.asyncio
async def test_slow_through_helper():
    settle()
"""


def test_slow_step_names_the_blocking_call_and_its_rule(pytester, suite):
    suite(SLOW)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines([
        "asynclint runtime: 1 problem in test_it.py::test_slow",
        "ASL201 a step of task '*' running test_slow() took 0.2* s (slow_callback_duration is 0.1 s): blocked in time.sleep()",
        "    made at test_it.py:9 in test_slow",
        "    asynclint reports this statically: test_it.py:9 ASL201",
        "asynclint runtime: 1 problem in test_it.py::test_slow_through_helper",
        "ASL201 * running test_slow_through_helper() took 0.2* s *: blocked in time.sleep()",
        "    made at test_it.py:5 in settle",
        "    asynclint does not report this statically: the blocking call is reached through code*",
    ])


def test_slow_callback_duration_comes_from_the_ini_option(pytester, suite):
    suite(SLOW, STRICT + "asynclint_slow_callback_duration = 0.5\n")
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=2)


def test_a_slow_step_without_a_catalogued_call_is_asl2xx(pytester, suite):
    suite("""
        import time
        import pytest

        def spin(seconds):
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                pass

        @pytest.mark.asyncio
        async def test_spin():
            spin(0.6)  # long enough to be sampled even on a loaded machine
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "ASL2xx a step of task '*' running test_spin() took 0.* s *: the loop was blocked",
        "    made at test_it.py:*",
        "    no call the blocking catalogue knows was on the sampled stack",
    ])


def test_a_bad_slow_callback_duration_is_a_usage_error(pytester, suite):
    suite(UNAWAITED, STRICT + "asynclint_slow_callback_duration = soon\n")
    result = pytester.runpytest("--asynclint-runtime")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*asynclint_slow_callback_duration must be a number of seconds above 0, not 'soon'"])


def test_auto_mode(pytester, suite):
    suite("""
        import asyncio

        async def work():
            pass

        async def test_auto():
            work()
            asyncio.ensure_future(asyncio.sleep(5))
    """, AUTO)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "asynclint runtime: 2 problems in test_it.py::test_auto",
        "ASL101 coroutine 'work' was never awaited",
        "    made at test_it.py:7 in test_auto",
        "ASL301 task '*' running sleep() was still pending at teardown*",
        "    made at test_it.py:8 in test_auto",
        "    asynclint reports this statically: test_it.py:8 ASL301",
    ])


def test_pytest_asyncio_debug_false_is_overridden(pytester, suite):
    # pytest-asyncio passes its own `debug=False` to the Runner unless asked otherwise.
    suite("""
        import asyncio
        import pytest

        @pytest.mark.asyncio
        async def test_debug():
            assert asyncio.get_running_loop().get_debug()
    """, STRICT + "asyncio_debug = false\n")
    assert pytester.runpytest("--asynclint-runtime").parseoutcomes() == {"passed": 1}
    assert pytester.runpytest().parseoutcomes() == {"failed": 1}


def test_anyio_on_the_asyncio_backend(pytester, suite):
    suite("""
        import asyncio
        import time
        import pytest

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        async def work():
            pass

        @pytest.mark.anyio
        async def test_anyio():
            assert asyncio.get_running_loop().get_debug()
            work()

        @pytest.mark.anyio
        async def test_anyio_slow():
            time.sleep(0.2)

        @pytest.mark.anyio
        async def test_anyio_clean():
            await asyncio.sleep(0)
    """)
    result = pytester.runpytest("--asynclint-runtime", "-p", "anyio")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines([
        "asynclint runtime: 1 problem in test_it.py::test_anyio",
        "ASL101 coroutine 'work' was never awaited",
        "    made at test_it.py:15 in test_anyio",
        "asynclint runtime: 1 problem in test_it.py::test_anyio_slow",
        "ASL201 *blocked in time.sleep()",
        "    made at test_it.py:19 in test_anyio_slow",
    ])


def test_isolated_asyncio_test_case(pytester, suite):
    suite("""
        import asyncio
        import unittest

        async def boom():
            raise ValueError("boom")

        class Case(unittest.IsolatedAsyncioTestCase):
            async def test_lost(self):
                asyncio.get_running_loop().create_task(boom())
                await asyncio.sleep(0.01)

            async def test_pending(self):
                self.keep = asyncio.create_task(asyncio.Event().wait())

            async def test_fine(self):
                await asyncio.sleep(0)
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines([
        "asynclint runtime: 1 problem in test_it.py::Case::test_lost",
        "ASL301 task '*' running boom(): exception was never retrieved",
        "    made at test_it.py:9 in test_lost",
        "    asynclint reports this statically: test_it.py:9 ASL301",
        "asynclint runtime: 1 problem in test_it.py::Case::test_pending",
        "ASL301 task '*' running Event.wait() was still pending at teardown*",
        "    made at test_it.py:13 in test_pending",
    ])


def test_pytest_aiohttp(pytester, suite):
    suite("""
        import asyncio
        import time
        import pytest
        from aiohttp import web

        async def notify():
            pass

        async def hello(request):
            notify()
            time.sleep(0.2)
            return web.Response(text="hi")

        @pytest.mark.asyncio
        async def test_hello(aiohttp_client):
            app = web.Application()
            app.router.add_get("/", hello)
            client = await aiohttp_client(app)
            response = await client.get("/")
            assert await response.text() == "hi"

        async def ok(request):
            return web.Response(text="ok")

        @pytest.mark.asyncio
        async def test_ok(aiohttp_client):
            app = web.Application()
            app.router.add_get("/", ok)
            client = await aiohttp_client(app)
            assert (await client.get("/")).status == 200
    """)
    result = pytester.runpytest("--asynclint-runtime", "-p", "aiohttp")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        # 2, or 3 on a slow machine: starting the client can take a step of over 0.1 s itself
        # (a true ASL2xx "the loop was blocked"), reported after the two this test is about.
        "asynclint runtime: * problems in test_it.py::test_hello",
        "ASL101 coroutine 'notify' was never awaited",
        "    made at test_it.py:10 in hello",
        "    asynclint reports this statically: test_it.py:10 ASL101",
        "ASL201 *blocked in time.sleep()",
        "    made at test_it.py:11 in hello",
        "    asynclint reports this statically: test_it.py:11 ASL201",
    ])


def test_an_internal_error_is_a_warning_and_the_result_stands(pytester, suite, monkeypatch):
    # Through sys.modules: an earlier in-process run may have dropped the module from it
    # (pytester restores sys.modules), and the plugin imports it from there.
    findings = importlib.import_module("asynclint.frontends.pytest_runtime.findings")

    def broken(*args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(findings, "render", broken)
    suite(UNAWAITED)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*PytestWarning: asynclint runtime: internal error*", "*renderer broke*"])


def test_a_teardown_that_fails_on_its_own_keeps_the_findings_beside_its_error(pytester, suite):
    suite("""
        import pytest

        async def work():
            pass

        @pytest.fixture
        def broken():
            yield
            raise OSError("teardown broke")

        def test_both(broken):
            work()
    """)
    result = pytester.runpytest("--asynclint-runtime")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "E       OSError: teardown broke",
        "*Captured asynclint runtime teardown*",
        "asynclint runtime: 1 problem in test_it.py::test_both",
        "ASL101 coroutine 'work' was never awaited",
        "    made at test_it.py:12 in test_both",
    ])


def test_patches_are_undone_when_the_session_ends(pytester, suite):
    import asyncio.base_events
    import asyncio.events

    before = (asyncio.base_events.BaseEventLoop.__dict__["__init__"], asyncio.events.Handle.__dict__["_run"])
    suite(UNAWAITED)
    pytester.runpytest("--asynclint-runtime").assert_outcomes(passed=1, errors=1)
    after = (asyncio.base_events.BaseEventLoop.__dict__["__init__"], asyncio.events.Handle.__dict__["_run"])
    assert after == before


@pytest.mark.slow
def test_disabled_it_patches_nothing_and_loads_no_engine(pytester, suite):
    suite("""
        import asyncio
        import sys

        import pytest

        @pytest.mark.asyncio
        async def test_inert(request):
            assert request.config.pluginmanager.has_plugin("asynclint")
            assert not request.config.pluginmanager.has_plugin("asynclint-runtime-checker")
            assert asyncio.base_events.BaseEventLoop.__init__.__module__ == "asyncio.base_events"
            assert asyncio.events.Handle._run.__module__ == "asyncio.events"
            assert not asyncio.get_running_loop().get_debug()
            assert sys.get_coroutine_origin_tracking_depth() == 0
            loaded = [name for name in sys.modules if name.startswith(("libcst.", "asynclint.engine", "asynclint.lint", "asynclint.frontends.pytest_runtime.loop"))]
            assert loaded == []
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.slow
def test_works_under_xdist(pytester, suite):
    suite(UNAWAITED + dedent("""
        @pytest.mark.asyncio
        async def test_clean():
            await work()

        @pytest.mark.asyncio
        async def test_pending():
            asyncio.create_task(asyncio.sleep(10))
    """))
    result = pytester.runpytest_subprocess("--asynclint-runtime", "-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines_random([
        "ASL101 coroutine 'work' was never awaited",
        "    asynclint reports this statically: test_it.py:9 ASL101",
        "ASL301 task '*' running sleep() was still pending at teardown*",
        "    asynclint reports this statically: test_it.py:16 ASL301",
    ])
