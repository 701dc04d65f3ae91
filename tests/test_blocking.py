"""ASL2xx beyond each rule's own examples: every catalogue entry, across modules, and config."""

import json

import pytest

from asynclint.knowledge import catalogue
from asynclint.checks import ALL_RULES
from asynclint.checks.blocking.base import BlockingCategory
from asynclint.lint.walker import lint_alone
from asynclint.lint.fixer import fix_text
from asynclint.config.options import Settings


@pytest.fixture(autouse=True)
def _own_project(tmp_path, monkeypatch):
    """`Settings()` is the project of the current folder, whose declared dependencies choose the
    async library of modules that import none: each test runs in an empty project of its own."""
    monkeypatch.chdir(tmp_path)

CODES = {rule.category: rule.code for rule in ALL_RULES if issubclass(rule, BlockingCategory)}
ASL2 = tuple(rule for rule in ALL_RULES if rule.code.startswith("ASL2"))
BLOCKING = catalogue.blocking()


def _function_case(name: str) -> tuple[str, int]:
    """A coroutine calling `name` through its import; the column the finding points at."""
    if name.startswith("builtins."):
        return f"async def main():\n    {name[9:]}()\n", 5
    module, _, function = name.rpartition(".")
    if module == "sys.stdin":
        return f"import sys\n\nasync def main():\n    sys.stdin.{function}()\n", 5
    return f"import {module}\n\nasync def main():\n    {name}(x)\n", 5


def _method_case(name: str) -> tuple[str, int]:
    """A coroutine calling the method on a parameter annotated with the type."""
    owner, _, method = name.rpartition(".")
    module = owner.rpartition(".")[0]
    if BLOCKING.methods[name].bounded:  # waits only on a receiver made with a bound in view
        return f"import {module}\n\nasync def main():\n    x = {owner}(3)\n    x.{method}()\n", 5
    return f"import {module}\n\nasync def main(x: {owner}):\n    x.{method}()\n", 5


ENTRIES = [pytest.param(_function_case(name), entry, id=name) for name, entry in sorted(BLOCKING.functions.items())]
ENTRIES += [pytest.param(_method_case(name), entry, id=name) for name, entry in sorted(BLOCKING.methods.items())]


@pytest.mark.parametrize(("case", "entry"), ENTRIES)
def test_every_catalogue_entry_is_flagged_in_a_coroutine_only(case, entry):
    code, column = case
    result = lint_alone(code, "example.py", Settings(), ASL2)
    assert [(f.line, f.column, f.code) for f in result.findings] == [(code.count("\n"), column, CODES[entry.category])]
    # The same call in a sync function, or in a nested sync def, is not in the coroutine.
    sync = code.replace("async def main", "def main")
    assert lint_alone(sync, "example.py", Settings(), ASL2).findings == []
    nested = code.replace("async def main(", "async def outer():\n    pass\n\ndef main(")
    assert lint_alone(nested, "example.py", Settings(), ASL2).findings == []
    # In a lambda, or under `if TYPE_CHECKING:`, it does not run in the coroutine either.
    *head, call = code.splitlines()
    for hidden in (f"    callback = lambda: {call.strip()}", f"    if TYPE_CHECKING:\n    {call}"):
        other = "from typing import TYPE_CHECKING\n" + "\n".join([*head, hidden]) + "\n"
        assert lint_alone(other, "example.py", Settings(), ASL2).findings == [], other


@pytest.mark.parametrize(("case", "entry"), [p for p in ENTRIES if p.values[1].fix == "to-thread"][:20])
@pytest.mark.parametrize("library", ["asyncio", "trio", "anyio"])
def test_to_thread_fix_is_exact_and_settles(case, entry, library):
    code, _ = case
    code = f"import {library}\n{code}"  # the fix calls the module's own async library
    outcome = fix_text(code, "example.py", Settings(), ASL2, unsafe=True)
    line = code.splitlines()[-1]
    call = line.strip()
    func, _, args = call.partition("(")
    args = args[:-1]
    to_thread = "asyncio.to_thread" if library == "asyncio" else f"{library}.to_thread.run_sync"
    expected = f"await {to_thread}({func}{', ' + args if args else ''})"
    assert outcome.text.splitlines()[-1] == line.replace(call, expected)
    assert outcome.text.count(f"import {library}\n") == 1
    assert fix_text(outcome.text, "example.py", Settings(), ASL2, unsafe=True).text == outcome.text
    # Without any async library in the module, nothing says which one to call: no fix.
    bare = code.partition("\n")[2]
    assert fix_text(bare, "example.py", Settings(), ASL2, unsafe=True).text == bare


def test_with_on_a_thread_lock():
    code = (
        "import threading\n\nLOCK = threading.RLock()\n\nclass Store:\n    def __init__(self):\n"
        "        self._lock = threading.Lock()\n\n    async def put(self):\n        with LOCK, self._lock:\n"
        "            await self.flush()\n        with self._lock:\n            pass\n\n"
        "    def sync(self):\n        with self._lock:\n            pass\n"
    )
    # Held across an await: ASL504's (one rule in one place); ASL2xx stays silent on `with`.
    from asynclint.checks import RULES_BY_CODE

    result = lint_alone(code, "example.py", Settings(), (*ASL2, RULES_BY_CODE["ASL504"]))
    assert [(f.line, f.column, f.code) for f in result.findings] == [(10, 14, "ASL504"), (10, 20, "ASL504")]


# -- across modules ---------------------------------------------------------------------------------

PROJECT = {
    "pyproject.toml": "[tool.asynclint]\n",
    "pkg/__init__.py": "",
    "pkg/paths.py": """
        from pathlib import Path

        DATA_DIR = Path("/var/lib/app")


        class Config:
            def __init__(self, root: Path):
                self.root = root

            @property
            def path_tmp(self) -> Path:
                return self.root / "tmp"

            def backup(self, name) -> Path:
                return self.root / name

            async def restore(self, name) -> Path:
                return self.root / name


        def cache_dir() -> Path:
            return DATA_DIR / "cache"
        """,
    "pkg/files.py": """
        import time


        def read_file(path):
            with open(path) as handle:
                return handle.read()


        def ping():
            return pong()


        def pong():
            return ping()


        def deep1():
            return deep2()


        def deep2():
            return deep3()


        def deep3():
            return deep4()


        def deep4():
            return deep5()


        def deep5():
            return deep6()


        def deep6():
            time.sleep(1)
        """,
    "pkg/config.py": """
        from .files import read_file


        def load_config():
            return read_file("config.toml")
        """,
    "pkg/app.py": """
        from pkg import paths
        from pkg.config import load_config
        from pkg.files import deep1, deep2, ping
        from pkg.paths import DATA_DIR, Config, cache_dir


        class App:
            def __init__(self, config: Config):
                self.config = config

            async def start(self):
                DATA_DIR.mkdir()
                paths.DATA_DIR.exists()
                self.config.path_tmp.exists()
                cache_dir().iterdir()
                load_config()
                ping()
                deep1()
                deep2()
                self.config.root.with_suffix(".x")
                self.config.backup("b").unlink()
                self.config.root.with_suffix(".x").touch()
                self.config.restore("c").unlink()
        """,
}
CROSS = [
    ("pkg/app.py", 12, 9, "ASL204", "`DATA_DIR.mkdir()`"),
    ("pkg/app.py", 13, 9, "ASL204", "`paths.DATA_DIR.exists()`"),
    ("pkg/app.py", 14, 9, "ASL204", "`self.config.path_tmp.exists()`"),
    ("pkg/app.py", 15, 9, "ASL204", "`cache_dir().iterdir()`"),
    ("pkg/app.py", 16, 9, "ASL209", "load_config() → read_file() → open()"),
    # deep1() is six helpers away from time.sleep: beyond the bound, silent. deep2() is five.
    ("pkg/app.py", 19, 9, "ASL209", "deep2() → deep3() → deep4() → deep5() → deep6() → time.sleep()"),
    # what a sync method returns (by its annotation), and pure path steps on an attribute; an
    # async method's call is a coroutine, not a path
    ("pkg/app.py", 21, 9, "ASL204", "`self.config.backup(\"b\").unlink()`"),
    ("pkg/app.py", 22, 9, "ASL204", "`self.config.root.with_suffix(\".x\").touch()`"),
]


@pytest.fixture
def project(write):
    for name, text in PROJECT.items():
        write(name, text)


def _findings(out: str) -> list[tuple]:
    return [
        (f["filename"], f["location"]["row"], f["location"]["column"], f["code"], f["message"])
        for f in json.loads(out)
    ]


def _matches(found, expected) -> bool:
    return len(found) == len(expected) and all(
        f[:4] == e[:4] and e[4] in f[4] for f, e in zip(found, expected)
    )


def test_cross_module_types_and_helper_chains(project, run):
    code, out, err = run("--output-format", "json", "--select", "ASL2", "pkg")
    assert code == 1, err
    found = _findings(out)
    assert _matches(found, CROSS), found
    # Warm: read back from the summary cache, the same findings.
    assert _matches(_findings(run("--output-format", "json", "--select", "ASL2", "pkg")[1]), CROSS)


def test_only_the_changed_file_is_reported(project, run):
    _, out, _ = run("--output-format", "json", "--select", "ASL2", "pkg/app.py")
    assert _matches(_findings(out), CROSS)


# -- configuration ----------------------------------------------------------------------------------


def test_extend_blocking_calls_from_pyproject(write, run):
    write("pyproject.toml", """
        [tool.asynclint.extend-blocking-calls]
        "legacy.client.fetch" = "http"
        "legacy.client.Db.query" = "database"
        """)
    write("a.py", """
        from legacy import client
        from legacy.client import Db


        async def main(db: Db):
            client.fetch("x")
            db.query("select 1")
            db.close()
        """)
    _, out, _ = run("--output-format", "json", "a.py")
    assert [(f["location"]["row"], f["code"]) for f in json.loads(out)] == [(6, "ASL202"), (7, "ASL206")]


def test_extend_blocking_calls_on_the_command_line(write, run):
    write("a.py", "import legacy\n\nasync def main():\n    legacy.wait()\n")
    _, out, _ = run("--output-format", "json", "--extend-blocking-calls", "legacy.wait=sleep", "a.py")
    assert [(f["location"]["row"], f["code"]) for f in json.loads(out)] == [(4, "ASL201")]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('[tool.asynclint]\nextend-blocking-calls = {"a.b" = "disk"}\n', "unknown category 'disk'; expected one of sleep, http"),
        ('[tool.asynclint]\nextend-blocking-calls = {"a b" = "http"}\n', "'a b' is not a dotted name"),
        ('[tool.asynclint]\nextend-blocking-calls = 3\n', "expected a table of dotted name = category, got 3"),
    ],
    ids=["bad-category", "bad-name", "bad-type"],
)
def test_bad_extend_blocking_calls(write, run, config, message):
    write("pyproject.toml", config)
    write("a.py", "x = 1\n")
    code, out, err = run("a.py")
    assert code == 2 and out == ""
    assert err.startswith("asynclint: error: ") and message in err and "Traceback" not in err


LATE_IMPORTS = '''\
async def handler(path):
    subprocess.run(["ls"])
    later.sleep(1)
    p = pathlib.Path(path)
    p.read_text()

def sync_helper():
    print(time)

try:
    import subprocess
    import time as later
except ImportError:
    subprocess = None

if True:
    import pathlib
'''


def test_a_module_level_import_below_the_function_is_seen_in_its_body():
    """A function body runs once the module is done: imports further down (under `try`/`if`
    too) bind its names, unless the module also binds the name otherwise (`subprocess = None`)."""
    settings = Settings()
    result = lint_alone(LATE_IMPORTS, "example.py", settings, ASL2)
    assert result.errors == []
    assert [(f.line, f.column, f.code) for f in result.findings] == [(3, 5, "ASL201"), (5, 5, "ASL204")]
    assert result.findings[0].message.startswith("`later.sleep()` blocks the event loop (sleep)")


def test_module_level_code_does_not_see_imports_made_further_down():
    code = "import asyncio\n\nasyncio.run(main())\n\nclass A:\n    time.sleep(1)\n\nimport time\n"
    assert lint_alone(code, "example.py", Settings(), ASL2).findings == []

# -- the import an ASL201 fix leaves unused --------------------------------------------------------

_SLEEP = "async def main():\n    time.sleep(1)\n"
_SLEPT = "async def main():\n    await asyncio.sleep(1)\n"


@pytest.mark.parametrize(
    ("head", "fixed_head"),
    [
        ("import asyncio\nimport time\n\n", "import asyncio\n\n"),
        ("import asyncio, time\n\n", "import asyncio\n\n"),
        ("import time, asyncio\n\n", "import asyncio\n\n"),
        ("import asyncio; import time; X = 1\n\n", "import asyncio; X = 1\n\n"),
        ('"""Doc."""\nimport asyncio\nimport time\n\n', '"""Doc."""\nimport asyncio\n\n'),
        ("import time\nimport asyncio\n\n", "import asyncio\n\n"),
        # kept: a comment on the line or above it, still named somewhere, not at the top level
        ("import asyncio\nimport time  # noqa: F401\n\n", None),
        ("import asyncio\n# the clock\nimport time\n\n", None),
        ("import asyncio\nimport time\n\nT: 'time.struct_time'\n\n", None),
        ("import asyncio\nimport time\n\nCLOCK = getattr(time, 'monotonic')\n\n", None),
        ("import asyncio\nimport time\n\ndel time\n\n", None),
        ("import asyncio\nimport time\n\nOPTIONS = dict(time=1)\n\n", None),  # a keyword's name
        ("import asyncio\nimport time\n\nLABEL = f'{OPTIONS} time'\n\n", None),  # an f-string's text
        ("import asyncio\nimport time\n\n@app.time\ndef f(): pass\n\n", None),  # an attribute
        ("import asyncio\ntry:\n    import time\nexcept ImportError:\n    pass\n\n", None),
        ("import asyncio\nimport time\nfrom mod import time as clock\n\n", None),
    ],
)
def test_asl201_fix_drops_the_import_it_leaves_unused(head, fixed_head):
    code = head + _SLEEP
    outcome = fix_text(code, "example.py", Settings(), ASL2, unsafe=False)
    assert outcome.text == (fixed_head if fixed_head is not None else head) + _SLEPT
    assert fix_text(outcome.text, "example.py", Settings(), ASL2, unsafe=True).text == outcome.text


def test_asl201_fix_keeps_from_imports_and_local_sleeps():
    code = "import asyncio\nimport time\nfrom time import sleep\n\n" + _SLEEP + "    sleep(2)\n"
    fixed = fix_text(code, "example.py", Settings(), ASL2, unsafe=False).text
    assert fixed == "import asyncio\nfrom time import sleep\n\n" + _SLEPT + "    await asyncio.sleep(2)\n"


# -- which async library a module runs under (checks/shared/library.py) ----------------------------


@pytest.mark.parametrize(
    ("code", "module", "expected"),
    [
        ("import asyncio\n", "app", ("asyncio", True)),
        ("import trio.lowlevel\n", "app", ("trio", True)),
        ("from anyio import run\nimport asyncio\n", "app", ("anyio", True)),  # anyio runs on both
        ("import pytest\n\n@pytest.mark.trio\nasync def test_x(): pass\n", "tests.test_x", ("trio", True)),
        ("import pytest\n\npytestmark = [pytest.mark.anyio]\n", "tests.test_x", ("anyio", True)),
        ("import pytest_asyncio\n", "tests.test_x", ("asyncio", True)),
        ("# see pytest.mark.trio in the docs\nx = 'mark.trio'\n", "app", (None, False)),  # not a marker
        ("from aiohttp import web\n", "app", ("asyncio", False)),  # asyncio-only library: unsafe fix
        ("import asyncio\nimport trio\n", "app", (None, False)),  # trio-asyncio
        ("import asyncio\nimport curio\n", "app", (None, False)),  # another event loop
        ("import time\n", "app", (None, False)),
        ("import asyncio\n", "trio._core._run", (None, False)),  # the library's own code
        ("def f():\n    import trio\n", "app", ("trio", True)),  # imported anywhere in the module
    ],
)
def test_module_async_library(code, module, expected):
    import libcst as cst

    from asynclint.checks.shared.library import library
    from asynclint.lint.context import FileContext

    context = FileContext("example.py", code, cst.parse_module(code), Settings(), module)
    found = library(context)
    assert (found.name, found.direct) == expected
