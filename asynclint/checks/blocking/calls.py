"""ASL201-ASL208: blocking calls in a coroutine, one rule per category of rules/blocking.toml.

The matching (names through imports, receivers' types) is asynclint/resolve/blocking.py; where a call
counts and the fixes are asynclint/checks/blocking/base.py. Each rule here only names its
category and documents it. ASL209 (through the project's sync helpers) is in checks/helpers.py.
"""

from __future__ import annotations

from asynclint.checks.blocking.base import BlockingCategory
from asynclint.engine.diagnostics import Applicability
from asynclint.lint.rule import Invalid, Valid

_WHERE = """
    A call counts when it runs in the coroutine's own body: not inside a nested sync `def` or a
    `lambda` (they run whenever they are called, often in a thread), not in the decorators or
    default values of the `async def` (they run where the `def` statement is), not under
    `if TYPE_CHECKING:`. A function handed over uncalled (`await asyncio.to_thread(f, x)`,
    `loop.run_in_executor(None, f)`) is not a call."""

_OPTIONS = """
    ## Options
    - `extend-blocking-calls`: further blocking functions (`"pkg.fetch" = "{category}"`) or methods
      of a class (`"pkg.Client.query" = "{category}"`), in `[tool.asynclint]`."""

_TO_THREAD = """
    ## Fix safety
    The fix runs the call in the default thread pool of the module's own async library:
    `await asyncio.to_thread(f, *args, **kwargs)`, `await trio.to_thread.run_sync(f, *args)` or
    `await anyio.to_thread.run_sync(f, *args)`. It is unsafe: the call then runs concurrently with
    the rest of the event loop, so code that relied on it running alone (or on thread-bound state)
    may change behaviour.

    The library is the one the module imports or marks its tests for (a module that imports
    anyio gets anyio's, which runs under asyncio and trio alike); a module that imports none of
    them but uses a library that runs only on asyncio (aiohttp, asyncpg, ...) gets asyncio's; a
    module that says nothing gets the one its project declares (docs/configuration.md, "Which
    async library"). There is no fix when that cannot be told (no import of asyncio, trio or
    anyio and no declaration that tells, or both asyncio and trio), nor when `target-version` is older than py39 (`asyncio.to_thread` is new
    in 3.9), for trio and anyio when the call has keyword arguments (their `run_sync` takes
    positional ones only), inside `with pytest.raises(...)` or `self.assertRaises(...)` (a
    test that expects the call to be caught), and on a line that silences flake8-async's or
    ruff's code for the call (`# noqa: ASYNC230`: it blocks on purpose)."""


class BlockingSleep(BlockingCategory):
    __doc__ = """`time.sleep()` is called in a coroutine.

    ## What it does
    Flags `time.sleep()` (under any import alias) called in an `async def`.
    """ + _WHERE + """

    ## Why is this bad?
    `time.sleep()` stops the whole event loop: no other task, callback or I/O runs until it
    returns. In a coroutine, `await asyncio.sleep()` waits without blocking anything else.

    ## Example
    ```python
    import asyncio
    import time

    async def poll():
        time.sleep(1)
    ```

    ## Use instead
    ```python
    import asyncio

    async def poll():
        await asyncio.sleep(1)
    ```

    ## Fix safety
    The fix replaces the call with the sleep of the module's own async library, with the same
    arguments: `await asyncio.sleep(...)`, `await trio.sleep(...)` or `await anyio.sleep(...)`.
    It is safe: the coroutine waits as long as before, and only lets other tasks run meanwhile.
    When that was the module's last use of `time`, the fix also removes `import time` (or
    `import time as t`); the import stays when anything else names `time` (code, `__all__`, a
    string annotation), when its line has a comment, in a package's `__init__.py` (it may be a
    re-export), and `from time import sleep` always stays.

    The library is the one the module imports (`import trio`), or the one its tests are marked
    for (`@pytest.mark.trio`, `@pytest.mark.asyncio`, `@pytest.mark.anyio`). A module that
    imports anyio gets `anyio.sleep`, which works under asyncio and trio alike. A module that
    imports none of them gets the library its project declares: trio when the project depends on
    trio (or pytest-trio) and on no library that runs only on asyncio, anyio when it depends on
    anyio, asyncio when it depends on a library that runs only on asyncio (aiohttp, asyncpg,
    pytest-asyncio, ...) and not on trio (docs/configuration.md, "Which async library"). That fix
    is unsafe, since a safe fix never adds an import of an event-loop library the module does not
    already use; so is the asyncio fix of a module that uses a library that runs only on asyncio.
    Otherwise there is no fix, as `asyncio.sleep` in a trio program raises `RuntimeError: no
    running event loop`. A module that imports both asyncio and trio, or another event loop
    (curio, twisted), gets no fix.

    It is not offered inside `with pytest.raises(...)` or `self.assertRaises(...)`, where the
    blocking call is what the test expects to be caught (a test of a blocking-call detector), nor
    on a line that silences flake8-async's or ruff's code for the call (`# noqa: ASYNC251`),
    which says the call blocks on purpose.
    """ + _OPTIONS.format(category="sleep")

    code = "ASL201"
    name = "blocking-sleep"
    message = "`time.sleep()` blocks the event loop: use `await asyncio.sleep()`"
    fix = Applicability.SAFE
    category = "sleep"
    what = "sleep"

    valid = (
        Valid("not-in-a-coroutine", """
            import asyncio
            import time

            def wait():
                time.sleep(1)

            async def main():
                def nested():
                    time.sleep(1)
                callback = lambda: time.sleep(1)
                await asyncio.to_thread(time.sleep, 1)
                await asyncio.get_running_loop().run_in_executor(None, time.sleep, 1)
        """),
        Valid("type-checking-and-other-sleeps", """
            import asyncio
            from typing import TYPE_CHECKING
            import trio

            async def main(clock):
                if TYPE_CHECKING:
                    import time
                    time.sleep(1)
                await asyncio.sleep(1)
                await trio.sleep(1)
                clock.sleep(1)
        """),
        Valid("decorators-and-defaults-run-outside", """
            import os
            import time
            import pytest

            @pytest.mark.skipif(not os.path.isdir("/proc"), reason="no /proc")
            async def test_fds(delay=time.sleep(0)):
                pass
        """),
        Valid("shadowed", """
            async def main():
                from mylib import time
                time.sleep(1)
        """),
    )
    invalid = (
        Invalid(
            "aliases",
            """
            import asyncio
            import time
            import time as t
            from time import sleep as zzz

            async def main():
                time.sleep(1)
                t.sleep(0.5)  # keep this comment
                x = zzz(2)
                print(zzz(3))
            """,
            (
                (7, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
                (8, 5, "`t.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
                (9, 9, "`zzz()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
                (10, 11, "`zzz()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            """
            import asyncio
            from time import sleep as zzz

            async def main():
                await asyncio.sleep(1)
                await asyncio.sleep(0.5)  # keep this comment
                x = await asyncio.sleep(2)
                print(await asyncio.sleep(3))
            """,
        ),
        Invalid(
            "asyncio-imported",
            """
            import asyncio, time

            async def main():
                if True:
                    time.sleep(1)
                else:
                    pass
            """,
            (
                (5, 9, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            """
            import asyncio

            async def main():
                if True:
                    await asyncio.sleep(1)
                else:
                    pass
            """,
        ),
        Invalid(
            # The fix drops `import time` only once nothing in the module names `time`: here it is
            # still used, re-exported through `__all__`, and imported under another name.
            "import-still-used-is-kept",
            """
            import asyncio
            import time

            async def main():
                time.sleep(1)
                return time.monotonic()
            """,
            (
                (5, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            """
            import asyncio
            import time

            async def main():
                await asyncio.sleep(1)
                return time.monotonic()
            """,
        ),
        Invalid(
            "import-in-all-is-kept",
            """
            import asyncio
            import time  # the clock others import from here

            __all__ = ["main", "time"]

            async def main():
                time.sleep(1)
            """,
            (
                (7, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            """
            import asyncio
            import time  # the clock others import from here

            __all__ = ["main", "time"]

            async def main():
                await asyncio.sleep(1)
            """,
        ),
        Invalid(
            # A package's `__init__.py` may import a module to re-export it: its imports stay.
            "package-init-keeps-imports",
            """
            import asyncio
            import time

            async def main():
                time.sleep(1)
            """,
            (
                (5, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            """
            import asyncio
            import time

            async def main():
                await asyncio.sleep(1)
            """,
            path="pkg/__init__.py",
        ),
        Invalid(
            # trio's own sleep: asyncio.sleep in a trio program raises "no running event loop".
            "trio-module",
            """
            import time

            import trio

            async def main():
                time.sleep(1)

            trio.run(main)
            """,
            (
                (6, 5, "`time.sleep()` blocks the event loop (sleep): use `await trio.sleep()`"),
            ),
            """
            import trio

            async def main():
                await trio.sleep(1)

            trio.run(main)
            """,
        ),
        Invalid(
            # anyio's functions run under every backend anyio does (asyncio and trio alike).
            "anyio-module",
            """
            import asyncio
            import time

            import anyio

            async def main():
                time.sleep(1)

            anyio.run(main, backend="trio")
            """,
            (
                (7, 5, "`time.sleep()` blocks the event loop (sleep): use `await anyio.sleep()`"),
            ),
            """
            import asyncio

            import anyio

            async def main():
                await anyio.sleep(1)

            anyio.run(main, backend="trio")
            """,
        ),
        Invalid(
            # The test runs under pytest-trio: its library is the marker's.
            "pytest-trio-marker",
            """
            import time

            import pytest

            @pytest.mark.trio
            async def test_wait():
                time.sleep(0.1)
            """,
            (
                (7, 5, "`time.sleep()` blocks the event loop (sleep): use `await trio.sleep()`"),
            ),
            """
            import pytest
            import trio

            @pytest.mark.trio
            async def test_wait():
                await trio.sleep(0.1)
            """,
        ),
        Invalid(
            # Nothing says which event loop runs the coroutine: a fix could only guess.
            "library-unknown-no-fix",
            """
            import time

            async def handler(request):
                time.sleep(1)
                return request
            """,
            (
                (4, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
        ),
        Invalid(
            # The module imports no async library, but its project declares trio: trio's sleep.
            # Unsafe, as it adds an import of an event-loop library the module does not use.
            "project-declares-trio",
            """
            import time

            async def wait_for_device(device):
                while not device.ready:
                    time.sleep(0.5)
            """,
            (
                (5, 9, "`time.sleep()` blocks the event loop (sleep): use `await trio.sleep()`"),
            ),
            """
            import trio

            async def wait_for_device(device):
                while not device.ready:
                    await trio.sleep(0.5)
            """,
            files=(("pyproject.toml", """
                [project]
                name = "devices"
                version = "1.0"
                dependencies = ["trio>=0.25", "httpx"]
            """),),
        ),
        Invalid(
            # A project that depends on anyio may run on asyncio or trio: anyio's sleep runs on both.
            "project-declares-anyio",
            """
            import time

            async def backoff(attempt):
                time.sleep(2 ** attempt)
            """,
            (
                (4, 5, "`time.sleep()` blocks the event loop (sleep): use `await anyio.sleep()`"),
            ),
            """
            import anyio

            async def backoff(attempt):
                await anyio.sleep(2 ** attempt)
            """,
            files=(("pyproject.toml", """
                [tool.poetry.dependencies]
                python = "^3.10"
                anyio = "^4.0"
            """),),
        ),
        Invalid(
            # trio and a library that runs only on asyncio, both declared: no fix, as either
            # library's sleep could be the wrong one for this module.
            "project-declares-both-no-fix",
            """
            import time

            async def pause():
                time.sleep(1)
            """,
            (
                (4, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            files=(("requirements.txt", "trio==0.25.0\naiohttp==3.9.5\n"),),
        ),
        Invalid(
            # The module's own import speaks before its project's declarations.
            "module-import-over-project",
            """
            import asyncio
            import time

            async def pause():
                time.sleep(1)
            """,
            (
                (5, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            """
            import asyncio

            async def pause():
                await asyncio.sleep(1)
            """,
            files=(("pyproject.toml", """
                [project]
                name = "devices"
                version = "1.0"
                dependencies = ["trio"]
            """),),
        ),
        Invalid(
            # trio and asyncio together (trio-asyncio) or another loop: no fix.
            "mixed-libraries-no-fix",
            """
            import asyncio
            import time
            import trio

            async def main():
                time.sleep(1)
            """,
            (
                (6, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
        ),
        Invalid(
            # aiohttp runs only on asyncio, but the module does not import asyncio itself: the fix
            # that adds the import is unsafe (never applied by plain --fix).
            "asyncio-only-library-unsafe",
            """
            import time

            from aiohttp import web

            async def handler(request):
                time.sleep(1)
                return web.Response()
            """,
            (
                (6, 5, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
            """
            import asyncio

            from aiohttp import web

            async def handler(request):
                await asyncio.sleep(1)
                return web.Response()
            """,
        ),
        Invalid(
            "generator-expression-no-fix",
            """
            import asyncio
            import time

            async def main(delays):
                return list(time.sleep(d) for d in delays)
            """,
            (
                (5, 17, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
        ),
        Invalid(
            # flake8-async's or ruff's code for the call silenced on its line: it blocks on purpose
            # (here, so that the scope's deadline passes while the loop is held).
            "noqa-for-flake8-async-no-fix",
            """
            import time

            import anyio

            async def test_deadline_passes():
                with anyio.fail_after(0.1) as scope:
                    scope.cancel()
                    time.sleep(0.11)  # noqa: ASYNC251
                    await anyio.sleep(0)
            """,
            (
                (8, 9, "`time.sleep()` blocks the event loop (sleep): use `await anyio.sleep()`"),
            ),
        ),
        Invalid(
            # A test that a blocking-call detector catches the call: the call is the point of the
            # test, and awaiting asyncio.sleep instead would make it fail.
            "expected-to-fail-no-fix",
            """
            import asyncio
            import time
            import unittest

            import pytest

            async def test_detector_catches_sleep():
                with pytest.raises(BlockingError):
                    time.sleep(0)

            class DetectorTest(unittest.IsolatedAsyncioTestCase):
                async def test_sleep(self):
                    with self.assertRaises(BlockingError):
                        time.sleep(0)
            """,
            (
                (9, 9, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
                (14, 13, "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"),
            ),
        ),
    )


class BlockingHttp(BlockingCategory):
    __doc__ = """A synchronous HTTP (or mail, FTP) call is made in a coroutine.

    ## What it does
    Flags `requests` functions and `requests.Session` methods, sync `httpx` functions and
    `httpx.Client` methods, `urllib.request.urlopen`, `urllib3` requests, `http.client`
    connections, and `smtplib`/`ftplib`/`poplib`/`imaplib` sessions, called in an `async def`.
    Methods count when the receiver is known to be of the type: assigned from its constructor
    (also `self.session = requests.Session()` in the class), a parameter or variable annotated
    with it, or a `with` target.
    """ + _WHERE + """

    ## Why is this bad?
    The request waits for the network with the event loop stopped: every other task stalls for as
    long as the server takes to answer (or to time out).

    ## Example
    ```python
    import requests

    async def fetch(url):
        return requests.get(url).json()
    ```

    ## Use instead
    ```python
    import httpx

    async def fetch(url):
        async with httpx.AsyncClient() as client:
            return (await client.get(url)).json()
    ```
    """ + _TO_THREAD + _OPTIONS.format(category="http")

    code = "ASL202"
    name = "blocking-http-call"
    message = "a synchronous HTTP call blocks the event loop"
    fix = Applicability.UNSAFE
    category = "http"
    what = "HTTP"

    valid = (
        Valid("async-clients", """
            import aiohttp
            import httpx

            async def main(url, client: httpx.AsyncClient):
                await client.get(url)
                async with aiohttp.ClientSession() as session:
                    await session.get(url)
        """),
        Valid("unknown-receiver", """
            async def main(api, url):
                api.get(url)
                cache = {}
                cache.get(url)
        """),
    )
    invalid = (
        Invalid(
            # asyncio.to_thread is new in Python 3.9: code that supports 3.8 gets no fix.
            "no-to-thread-before-3-9",
            """
            import asyncio
            import requests

            async def fetch(url):
                return requests.get(url)
            """,
            (
                (5, 12, "`requests.get()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `asyncio.to_thread`"),
            ),
            options={"target-version": "py38"},
        ),
        Invalid(
            # trio's and anyio's `to_thread.run_sync` take the call's positional arguments only:
            # a call with keyword arguments gets no fix there.
            "trio-and-anyio-threads",
            """
            import requests
            import trio

            async def main(url):
                requests.get(url)
                requests.get(url, timeout=5)
            """,
            (
                (5, 5, "`requests.get()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `trio.to_thread.run_sync`"),
                (6, 5, "`requests.get()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `trio.to_thread.run_sync`"),
            ),
            """
            import requests
            import trio

            async def main(url):
                await trio.to_thread.run_sync(requests.get, url)
                requests.get(url, timeout=5)
            """,
        ),
        Invalid(
            # No async library imported, trio declared by the project: trio's thread (and the
            # import it needs, added by the fix).
            "project-declares-trio-threads",
            """
            import requests

            async def fetch_status(url):
                return requests.get(url).status_code
            """,
            (
                (4, 12, "`requests.get()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `trio.to_thread.run_sync`"),
            ),
            """
            import requests
            import trio

            async def fetch_status(url):
                return (await trio.to_thread.run_sync(requests.get, url)).status_code
            """,
            files=(("requirements.txt", "requests==2.32.3\ntrio==0.25.0\n"),),
        ),
        Invalid(
            "anyio-threads",
            """
            import anyio
            import requests

            async def main(url, session: requests.Session):
                data = session.get(url).json()
                return data
            """,
            (
                (5, 12, "`session.get()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `anyio.to_thread.run_sync`"),
            ),
            """
            import anyio
            import requests

            async def main(url, session: requests.Session):
                data = (await anyio.to_thread.run_sync(session.get, url)).json()
                return data
            """,
        ),
        Invalid(
            "requests-and-sessions",
            """
            import asyncio
            import requests as rq
            import urllib.request

            async def main(url, session: rq.Session):
                rq.get(url, timeout=5)
                session.post(url)
                with rq.Session() as s:
                    s.get(url)
                urllib.request.urlopen(url)
            """,
            (
                (6, 5, "`rq.get()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `asyncio.to_thread`"),
                (7, 5, "`session.post()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `asyncio.to_thread`"),
                (9, 9, "`s.get()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `asyncio.to_thread`"),
                (10, 5, "`urllib.request.urlopen()` blocks the event loop (HTTP): use an async HTTP client (aiohttp, `httpx.AsyncClient`) or `asyncio.to_thread`"),
            ),
            """
            import asyncio
            import requests as rq
            import urllib.request

            async def main(url, session: rq.Session):
                await asyncio.to_thread(rq.get, url, timeout=5)
                await asyncio.to_thread(session.post, url)
                with rq.Session() as s:
                    await asyncio.to_thread(s.get, url)
                await asyncio.to_thread(urllib.request.urlopen, url)
            """,
        ),
    )


class BlockingSubprocess(BlockingCategory):
    __doc__ = """A subprocess is run, or the process forks or waits, synchronously in a coroutine.

    ## What it does
    Flags `subprocess.run/call/check_call/check_output/getoutput/getstatusoutput`,
    `wait()`/`communicate()` on a `Popen`, `os.system`, `os.popen`, `os.spawn*`, `os.wait*`,
    `os.fork`, `os.forkpty` and `os.exec*`, called in an `async def`. Starting a program without
    waiting for it (`subprocess.Popen()`, `os.posix_spawn()`) is not flagged: it returns once the
    child is started, as `asyncio.create_subprocess_exec()` itself calls `Popen()` on the loop.
    """ + _WHERE + """

    ## Why is this bad?
    Running a program and waiting for it holds the event loop for the program's whole run time;
    `os.fork()` in a running event loop duplicates its state into the child.

    ## Example
    ```python
    import subprocess

    async def version():
        return subprocess.check_output(["git", "describe"])
    ```

    ## Use instead
    ```python
    import asyncio

    async def version():
        proc = await asyncio.create_subprocess_exec("git", "describe", stdout=asyncio.subprocess.PIPE)
        out, _ = await proc.communicate()
        return out
    ```
    """ + _TO_THREAD + """ `os.fork()`, `os.forkpty()` and `os.exec*()` get no fix.
    """ + _OPTIONS.format(category="subprocess")

    code = "ASL203"
    name = "blocking-subprocess"
    message = "a synchronous subprocess call blocks the event loop"
    fix = Applicability.UNSAFE
    category = "subprocess"
    what = "subprocess"

    valid = (
        Valid("starting-a-program-without-waiting", """
            import subprocess

            async def handle(process):
                # From asyncssh's examples: the pipes are then read and written by the loop
                bc = subprocess.Popen("bc", shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                await process.redirect(stdin=bc.stdin, stdout=bc.stdout)
        """),
        Valid("asyncio-subprocess", """
            import asyncio
            import subprocess

            async def main():
                proc = await asyncio.create_subprocess_exec("ls", stdout=subprocess.PIPE)
                await proc.wait()
                await asyncio.to_thread(subprocess.run, ["ls"])
        """),
    )
    invalid = (
        Invalid(
            "aliases",
            """
            import asyncio
            import os
            import subprocess as sp
            from subprocess import Popen

            async def main():
                sp.run(["ls"], check=True)
                proc = Popen(["ls"])
                proc.wait()
                os.system("ls")
                os.fork()
            """,
            (
                (7, 5, "`sp.run()` blocks the event loop (subprocess): use `asyncio.create_subprocess_exec()` or `asyncio.create_subprocess_shell()`"),
                (9, 5, "`proc.wait()` blocks the event loop (subprocess): use `asyncio.create_subprocess_exec()` or `asyncio.create_subprocess_shell()`"),
                (10, 5, "`os.system()` blocks the event loop (subprocess): use `asyncio.create_subprocess_exec()` or `asyncio.create_subprocess_shell()`"),
                (11, 5, "`os.fork()` blocks the event loop (subprocess): fork before the event loop starts, or use `asyncio.create_subprocess_exec()`"),
            ),
            """
            import asyncio
            import os
            import subprocess as sp
            from subprocess import Popen

            async def main():
                await asyncio.to_thread(sp.run, ["ls"], check=True)
                proc = Popen(["ls"])
                await asyncio.to_thread(proc.wait)
                await asyncio.to_thread(os.system, "ls")
                os.fork()
            """,
        ),
    )


class BlockingFileIO(BlockingCategory):
    __doc__ = """File or filesystem I/O is done synchronously in a coroutine.

    ## What it does
    Flags `open()`, `io.open`, and the reads and writes on the file objects they (and `os.fdopen`) give;
    `pathlib.Path` methods that touch the disk (`read_text`, `write_bytes`, `open`, `exists`,
    `stat`, `iterdir`, `glob`, `mkdir`, `unlink`, ... but not the pure ones such as
    `with_suffix`); `os.path` functions that touch the disk (`exists`, `isfile`, `getsize`, ...);
    `os.listdir/scandir/stat/remove/rename/makedirs/walk/...`; `shutil` copies, moves and
    removals; `glob.glob/iglob`; `tempfile.mkstemp/mkdtemp/TemporaryFile/...`.

    Not flagged, as they never wait on a disk: `os.getcwd()`/`os.getcwdb()` (the process's own
    state), `os.fdopen()` (it wraps a descriptor already open), path arithmetic (`os.path.join`, `basename`, `dirname`, `splitext`, `normpath`) and
    environment lookups (`os.getenv`, `os.environ.get`).

    A path or file is recognised from a constructor (`Path(x)`, `f = open(p)`, `with open(p) as
    f`), through pure steps (`Path(x).parent / "data"`), an annotation (`p: Path`), a module-level
    constant (`DATA_DIR = Path(...)`, also imported from another module), an attribute the class
    assigns (`self.path = Path(...)`), and project properties or attributes annotated with a path
    through chains (`self.config.path_tmp.exists()`).
    """ + _WHERE + """

    ## Why is this bad?
    Disk access can take milliseconds to seconds (network filesystems, a busy disk), and the event
    loop waits for all of it.

    ## Example
    ```python
    from pathlib import Path

    async def load(name):
        return (Path("data") / name).read_text()
    ```

    ## Use instead
    ```python
    import asyncio
    from pathlib import Path

    async def load(name):
        return await asyncio.to_thread((Path("data") / name).read_text)
    ```
    """ + _TO_THREAD + _OPTIONS.format(category="file")

    code = "ASL204"
    name = "blocking-file-io"
    message = "synchronous file I/O blocks the event loop"
    fix = Applicability.UNSAFE
    category = "file"
    what = "file I/O"

    valid = (
        Valid("pure-path-operations", """
            import os
            from pathlib import Path

            async def main(name):
                path = Path("data") / name
                other = path.with_suffix(".json").name
                joined = os.path.join("a", name)
                text = "abc".replace("a", "b")
                return path.parent, other, joined, text
        """),
        Valid("wrapping-an-open-descriptor", """
            import asyncio
            import os

            async def redirect(sock, protocol_factory):
                # From asyncssh: the pipe the object wraps is then read by the loop itself
                pipe = os.fdopen(sock.detach(), "wb", buffering=0)
                await asyncio.get_running_loop().connect_write_pipe(protocol_factory, pipe)
        """),
        Valid("cwd-paths-and-environment", """
            import os

            async def main(name):
                here = os.getcwd()
                raw = os.getcwdb()
                home = os.getenv("HOME") or os.environ.get("USERPROFILE", "")
                stem, ext = os.path.splitext(os.path.basename(name))
                folder = os.path.normpath(os.path.dirname(os.path.join(here, name)))
                return raw, home, stem, ext, folder
        """),
        Valid("thread-and-nested", """
            import asyncio
            from pathlib import Path

            async def main(path: Path):
                def read():
                    with open(path) as f:
                        return f.read()
                await asyncio.to_thread(read)
                await asyncio.to_thread(path.read_text)
        """),
        Valid("decorator-runs-at-definition", """
            import os
            import pytest

            @pytest.mark.skipif(not os.path.exists("/proc/self/fd"), reason="needs /proc")
            async def test_fds():
                pass
        """),
        Valid("unknown-file-objects", """
            async def main(stream, reader):
                data = stream.read()
                await reader.read()
                return data
        """),
        Valid("async-file-libraries", """
            import aiofiles
            import anyio

            async def main():
                async with aiofiles.open("x") as f:
                    await f.read()
                path = anyio.Path("x")
                await path.exists()
        """),
    )
    invalid = (
        Invalid(
            "open-and-file-objects",
            """
            import asyncio
            import os.path

            async def main(name):
                f = open(name)  # the config
                f.read()
                with open(name, "w") as out:
                    out.write("x")
                return os.path.exists(name)
            """,
            (
                (5, 9, "`open()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (6, 5, "`f.read()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (7, 10, "`open()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (8, 9, "`out.write()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (9, 12, "`os.path.exists()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
            ),
            """
            import asyncio
            import os.path

            async def main(name):
                f = await asyncio.to_thread(open, name)  # the config
                await asyncio.to_thread(f.read)
                with await asyncio.to_thread(open, name, "w") as out:
                    await asyncio.to_thread(out.write, "x")
                return await asyncio.to_thread(os.path.exists, name)
            """,
        ),
        Invalid(
            "path-chains-and-constants",
            """
            import asyncio
            from pathlib import Path

            DATA_DIR = Path(__file__).parent / "data"

            async def main(base: Path, name: str | None):
                Path(name).read_text()
                (base / "x").exists()
                DATA_DIR.mkdir(exist_ok=True)
                base.parent.with_suffix(".bak").unlink()
            """,
            (
                (7, 5, "`Path(name).read_text()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (8, 5, "`(base / \"x\").exists()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (9, 5, "`DATA_DIR.mkdir()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (10, 5, "`base.parent.with_suffix(\".bak\").unlink()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
            ),
            """
            import asyncio
            from pathlib import Path

            DATA_DIR = Path(__file__).parent / "data"

            async def main(base: Path, name: str | None):
                await asyncio.to_thread(Path(name).read_text)
                await asyncio.to_thread((base / "x").exists)
                await asyncio.to_thread(DATA_DIR.mkdir, exist_ok=True)
                await asyncio.to_thread(base.parent.with_suffix(".bak").unlink)
            """,
        ),
        Invalid(
            "attributes-and-properties",
            """
            import asyncio
            from pathlib import Path

            class Config:
                def __init__(self, root):
                    self.root = Path(root)

                @property
                def path_tmp(self) -> Path:
                    return self.root / "tmp"

            class Service:
                def __init__(self, config: Config):
                    self.config = config

                async def clean(self):
                    if self.config.path_tmp.exists():
                        self.config.root.rmdir()
            """,
            (
                (17, 12, "`self.config.path_tmp.exists()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
                (18, 13, "`self.config.root.rmdir()` blocks the event loop (file I/O): run it in a thread (`asyncio.to_thread`) or use an async file library (aiofiles, anyio)"),
            ),
            """
            import asyncio
            from pathlib import Path

            class Config:
                def __init__(self, root):
                    self.root = Path(root)

                @property
                def path_tmp(self) -> Path:
                    return self.root / "tmp"

            class Service:
                def __init__(self, config: Config):
                    self.config = config

                async def clean(self):
                    if await asyncio.to_thread(self.config.path_tmp.exists):
                        await asyncio.to_thread(self.config.root.rmdir)
            """,
        ),
    )


class BlockingNetwork(BlockingCategory):
    __doc__ = """A blocking socket or DNS call is made in a coroutine.

    ## What it does
    Flags `socket.create_connection`, `socket.getaddrinfo/gethostbyname/gethostbyaddr/
    getnameinfo/getfqdn`, and blocking methods (`connect`, `accept`, `recv*`, `send*`) of
    `socket.socket` and `ssl.SSLSocket` objects whose type is known, called in an `async def`.
    """ + _WHERE + """

    ## Why is this bad?
    DNS lookups and socket reads wait on the network with the event loop stopped.

    ## Example
    ```python
    import socket

    async def resolve(host):
        return socket.gethostbyname(host)
    ```

    ## Use instead
    ```python
    import asyncio

    async def resolve(host):
        return await asyncio.get_running_loop().getaddrinfo(host, None)
    ```
    """ + _TO_THREAD + _OPTIONS.format(category="network")

    code = "ASL205"
    name = "blocking-network-call"
    message = "a blocking socket or DNS call blocks the event loop"
    fix = Applicability.UNSAFE
    category = "network"
    what = "network I/O"

    valid = (
        Valid("loop-methods", """
            import asyncio
            import socket

            async def main(host):
                loop = asyncio.get_running_loop()
                await loop.getaddrinfo(host, 80)
                sock = socket.socket()
                sock.setblocking(False)
                await loop.sock_connect(sock, (host, 80))
        """),
        Valid("numeric-host-is-not-looked-up", """
            import socket
            from socket import AI_NUMERICHOST, getaddrinfo

            async def main(address):
                socket.getaddrinfo(address, None, flags=socket.AI_NUMERICHOST)
                getaddrinfo(address, None, 0, 0, 0, AI_NUMERICHOST | socket.AI_PASSIVE)
        """),
    )
    invalid = (
        Invalid(
            "dns-and-sockets",
            """
            import asyncio
            import socket
            import ssl

            async def main(host, server: socket.socket):
                socket.gethostbyname(host)
                sock = socket.create_connection((host, 80))
                sock.sendall(b"ping")
                conn, address = server.accept()
                tls = ssl.create_default_context().wrap_socket(conn)
                tls.recv(1024)
                socket.getaddrinfo(host, 80, flags=socket.AI_PASSIVE)
            """,
            (
                (6, 5, "`socket.gethostbyname()` blocks the event loop (network I/O): use asyncio streams (`asyncio.open_connection`) or the loop's `sock_*` and `getaddrinfo` methods"),
                (7, 12, "`socket.create_connection()` blocks the event loop (network I/O): use asyncio streams (`asyncio.open_connection`) or the loop's `sock_*` and `getaddrinfo` methods"),
                (8, 5, "`sock.sendall()` blocks the event loop (network I/O): use asyncio streams (`asyncio.open_connection`) or the loop's `sock_*` and `getaddrinfo` methods"),
                (9, 21, "`server.accept()` blocks the event loop (network I/O): use asyncio streams (`asyncio.open_connection`) or the loop's `sock_*` and `getaddrinfo` methods"),
                (11, 5, "`tls.recv()` blocks the event loop (network I/O): use asyncio streams (`asyncio.open_connection`) or the loop's `sock_*` and `getaddrinfo` methods"),
                (12, 5, "`socket.getaddrinfo()` blocks the event loop (network I/O): use asyncio streams (`asyncio.open_connection`) or the loop's `sock_*` and `getaddrinfo` methods"),
            ),
            """
            import asyncio
            import socket
            import ssl

            async def main(host, server: socket.socket):
                await asyncio.to_thread(socket.gethostbyname, host)
                sock = await asyncio.to_thread(socket.create_connection, (host, 80))
                await asyncio.to_thread(sock.sendall, b"ping")
                conn, address = await asyncio.to_thread(server.accept)
                tls = ssl.create_default_context().wrap_socket(conn)
                await asyncio.to_thread(tls.recv, 1024)
                await asyncio.to_thread(socket.getaddrinfo, host, 80, flags=socket.AI_PASSIVE)
            """,
        ),
    )


class BlockingDatabase(BlockingCategory):
    __doc__ = """A synchronous database client is used in a coroutine.

    ## What it does
    Flags `sqlite3.connect` and the methods of its connections and cursors, `psycopg2`/`pymysql`
    connections and cursors, sync `redis.Redis` and `pymongo` clients, when the receiver's type is
    known, called in an `async def`.
    """ + _WHERE + """

    ## Why is this bad?
    Each query waits for the database with the event loop stopped.

    ## Example
    ```python
    import sqlite3

    async def count(db):
        conn = sqlite3.connect(db)
        return conn.execute("select count(*) from t").fetchone()
    ```

    ## Use instead
    ```python
    import aiosqlite

    async def count(db):
        async with aiosqlite.connect(db) as conn:
            async with conn.execute("select count(*) from t") as cursor:
                return await cursor.fetchone()
    ```

    ## Fix safety
    There is no fix: sqlite3 connections refuse to be used from another thread by default, and
    DB-API connections are not thread-safe. Use an async driver, or do all the work of one
    connection in one thread.
    """ + _OPTIONS.format(category="database")

    code = "ASL206"
    name = "blocking-database-call"
    message = "a synchronous database call blocks the event loop"
    category = "database"
    what = "database I/O"

    valid = (
        Valid("async-drivers", """
            import redis.asyncio as redis

            async def main(url):
                client = redis.Redis()
                await client.get("k")
        """),
    )
    invalid = (
        Invalid(
            "sqlite-and-redis",
            """
            import sqlite3
            import redis

            async def main(db):
                conn = sqlite3.connect(db)
                cursor = conn.cursor()
                cursor.execute("select 1")
                conn.execute("select 2").fetchall()
                redis.Redis().get("k")
            """,
            (
                (5, 12, "`sqlite3.connect()` blocks the event loop (database I/O): use an async driver (aiosqlite, asyncpg, `redis.asyncio`, motor) or a thread"),
                (7, 5, "`cursor.execute()` blocks the event loop (database I/O): use an async driver (aiosqlite, asyncpg, `redis.asyncio`, motor) or a thread"),
                (8, 5, "`conn.execute(\"select 2\").fetchall()` blocks the event loop (database I/O): use an async driver (aiosqlite, asyncpg, `redis.asyncio`, motor) or a thread"),
                (8, 5, "`conn.execute()` blocks the event loop (database I/O): use an async driver (aiosqlite, asyncpg, `redis.asyncio`, motor) or a thread"),
                (9, 5, "`redis.Redis().get()` blocks the event loop (database I/O): use an async driver (aiosqlite, asyncpg, `redis.asyncio`, motor) or a thread"),
            ),
        ),
    )


class BlockingConsole(BlockingCategory):
    __doc__ = """`input()` or a read from `sys.stdin` is done in a coroutine.

    ## What it does
    Flags `input()` and `sys.stdin.read()`, `readline()` and `readlines()` called in an
    `async def`.
    """ + _WHERE + """

    ## Why is this bad?
    Reading the console waits for a person to type: the event loop is stopped until they do.

    ## Example
    ```python
    async def confirm():
        return input("Continue? ") == "y"
    ```

    ## Use instead
    ```python
    import asyncio

    async def confirm():
        return await asyncio.to_thread(input, "Continue? ") == "y"
    ```
    """ + _TO_THREAD + _OPTIONS.format(category="console")

    code = "ASL207"
    name = "blocking-console-input"
    message = "reading the console blocks the event loop"
    fix = Applicability.UNSAFE
    category = "console"
    what = "console input"

    valid = (
        Valid("shadowed-input", """
            async def main(form):
                input = form.field
                return input("name")
        """),
    )
    invalid = (
        Invalid(
            "input-and-stdin",
            """
            import asyncio
            import sys

            async def main():
                name = input("Name? ")
                rest = sys.stdin.readline()
            """,
            (
                (5, 12, "`input()` blocks the event loop (console input): read input in a thread (`asyncio.to_thread`) or with `loop.connect_read_pipe()`"),
                (6, 12, "`sys.stdin.readline()` blocks the event loop (console input): read input in a thread (`asyncio.to_thread`) or with `loop.connect_read_pipe()`"),
            ),
            """
            import asyncio
            import sys

            async def main():
                name = await asyncio.to_thread(input, "Name? ")
                rest = await asyncio.to_thread(sys.stdin.readline)
            """,
        ),
    )


class BlockingThreadWait(BlockingCategory):
    __doc__ = """A coroutine waits on a thread primitive (a lock, event, queue, future or thread).

    ## What it does
    Flags, on receivers known to be of the type, `acquire()` of `threading.Lock/RLock/Semaphore/
    BoundedSemaphore/Condition` (a `with` on one of them held across an `await` is ASL504's),
    `wait()` of `threading.Event/
    Condition/Barrier`, `queue.Queue` (and `LifoQueue`, `PriorityQueue`, `SimpleQueue`,
    `multiprocessing.Queue`) `get()`/`put()` unless given `block=False`, `join()` of a
    `threading.Thread` or a queue, and `result()`/`exception()` of a
    `concurrent.futures.Future`, in an `async def`. `acquire(False)` / `acquire(blocking=False)`
    never wait and are not flagged, nor is a literal zero timeout (`thread.join(timeout=0)`,
    `event.wait(0)`, `q.get(True, 0)`), which returns at once.

    `put()` waits only when the queue is full, and a queue made without a positive `maxsize` is
    never full: `put()` is flagged only on a queue whose construction is in view with `maxsize` a
    positive literal (`q = queue.Queue(maxsize=100)`). An unbounded queue, or one whose size the
    analysis cannot read (a variable, a parameter, an attribute set elsewhere), is left alone.
    """ + _WHERE + """

    ## Why is this bad?
    The coroutine waits for another thread with the event loop stopped. If that thread waits in
    turn for the event loop (a `call_soon_threadsafe`, a future the loop must complete), the
    program deadlocks.

    ## Example
    ```python
    import threading

    lock = threading.Lock()

    async def update(state):
        lock.acquire()
        try:
            state.update()
        finally:
            lock.release()
    ```

    ## Use instead
    ```python
    import asyncio

    lock = asyncio.Lock()

    async def update(state):
        async with lock:
            state.update()
    ```

    ## Fix safety
    There is no fix: a lock acquired in a worker thread is owned by that thread (`RLock`), and the
    right primitive depends on who else uses it.
    """ + _OPTIONS.format(category="threads")

    code = "ASL208"
    name = "blocking-thread-wait"
    message = "waiting on a thread primitive blocks the event loop"
    category = "threads"
    what = "waiting for another thread"

    valid = (
        Valid("non-blocking-and-asyncio", """
            import asyncio
            import queue
            import threading

            async def main(q: queue.Queue, lock: threading.Lock):
                q.get(block=False)
                q.put(1, False)
                lock.acquire(False)
                lock.acquire(blocking=False)
                lock.acquire(timeout=0)
                q.get(True, 0)
                event = asyncio.Event()
                await event.wait()
                with lock:
                    q.qsize()
        """),
        Valid("zero-timeout", """
            # From Home Assistant: joining a thread known to have exited.
            import threading

            class Stream:
                def __init__(self) -> None:
                    self._thread: threading.Thread | None = None
                    self._done = threading.Event()

                async def start(self) -> None:
                    if self._thread is not None:
                        self._thread.join(timeout=0)
                    self._done.wait(0)
                    self._thread = threading.Thread(target=print)
        """),
        Valid("put-on-unbounded-or-unknown-size", """
            import queue

            EVENTS = queue.Queue()

            async def main(size, given: queue.Queue):
                EVENTS.put(1)
                queue.Queue(maxsize=0).put(2)
                sized = queue.Queue(size)
                sized.put(3)
                given.put(4)
        """),
    )
    invalid = (
        Invalid(
            "locks-queues-threads",
            """
            import asyncio
            import concurrent.futures
            import queue
            import threading

            LOCK = threading.Lock()

            class Worker:
                def __init__(self):
                    self.thread = threading.Thread(target=print)
                    self.jobs = queue.Queue()

                async def stop(self, future: concurrent.futures.Future, loop, coro):
                    LOCK.acquire()
                    self.thread.join()
                    asyncio.run_coroutine_threadsafe(coro, loop).result()
                    self.jobs.get()
                    return future.result()
            """,
            (
                (14, 9, "`LOCK.acquire()` blocks the event loop (waiting for another thread): use the asyncio primitive (`asyncio.Lock`, `asyncio.Event`, `asyncio.Queue`), or wait in a thread"),
                (15, 9, "`self.thread.join()` blocks the event loop (waiting for another thread): use the asyncio primitive (`asyncio.Lock`, `asyncio.Event`, `asyncio.Queue`), or wait in a thread"),
                (16, 9, "`asyncio.run_coroutine_threadsafe(coro...()` blocks the event loop (waiting for another thread): use the asyncio primitive (`asyncio.Lock`, `asyncio.Event`, `asyncio.Queue`), or wait in a thread"),
                (17, 9, "`self.jobs.get()` blocks the event loop (waiting for another thread): use the asyncio primitive (`asyncio.Lock`, `asyncio.Event`, `asyncio.Queue`), or wait in a thread"),
                (18, 16, "`future.result()` blocks the event loop (waiting for another thread): use the asyncio primitive (`asyncio.Lock`, `asyncio.Event`, `asyncio.Queue`), or wait in a thread"),
            ),
        ),
        Invalid(
            "put-on-a-bounded-queue",
            """
            import queue

            async def main(item):
                results = queue.Queue(maxsize=10)
                results.put(item)
                queue.LifoQueue(1).put(item)
            """,
            (
                (5, 5, "`results.put()` blocks the event loop (waiting for another thread): use the asyncio primitive (`asyncio.Lock`, `asyncio.Event`, `asyncio.Queue`), or wait in a thread"),
                (6, 5, "`queue.LifoQueue(1).put()` blocks the event loop (waiting for another thread): use the asyncio primitive (`asyncio.Lock`, `asyncio.Event`, `asyncio.Queue`), or wait in a thread"),
            ),
        ),
    )
