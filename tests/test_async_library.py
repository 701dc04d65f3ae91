"""The async library of a project, from its declared dependencies (asynclint/config/async_library.py),
and what it does to modules that import none: their fixes, their asyncio-only rules, the cache."""

from __future__ import annotations

import subprocess
import sys

import pytest

from asynclint.config.async_library import project_library
from asynclint.config.options import Settings
from asynclint.run.cache import settings_stamp

HELPER = """\
import time


async def wait_for_device(device):
    while not device.ready:
        time.sleep(0.5)
"""
TRIO_FIXED = """\
import trio


async def wait_for_device(device):
    while not device.ready:
        await trio.sleep(0.5)
"""
SLEEP = "ASL201 `time.sleep()` blocks the event loop (sleep): use `await {}.sleep()`"
SWALLOWS = """\
async def worker(channel):
    while True:
        try:
            await channel.receive()
        except BaseException:
            continue
"""


def _pyproject(dependencies: str, extra: str = "") -> str:
    return f'[project]\nname = "app"\nversion = "1"\ndependencies = {dependencies}\n{extra}'


# -- what the declarations say --------------------------------------------------------------------


@pytest.mark.parametrize(("files", "name"), [
    pytest.param({"pyproject.toml": _pyproject('["trio>=0.25", "httpx"]')}, "trio", id="project-dependency"),
    pytest.param({"pyproject.toml": _pyproject('["Trio"]')}, "trio", id="normalised-name"),
    pytest.param({"pyproject.toml": _pyproject("[]", '[dependency-groups]\ntest = ["pytest-trio", {include-group = "x"}]\n')}, "trio", id="pep-735-group"),
    pytest.param({"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.10"\ntrio = "^0.25"\n'}, "trio", id="poetry"),
    pytest.param({"pyproject.toml": '[tool.poetry.group.test.dependencies]\npytest-trio = "*"\n'}, "trio", id="poetry-group"),
    pytest.param({"pyproject.toml": '[tool.pdm.dev-dependencies]\ntest = ["pytest-trio"]\n'}, "trio", id="pdm"),
    pytest.param({"setup.cfg": "[options]\ninstall_requires =\n    trio>=0.25\n"}, "trio", id="setup-cfg"),
    pytest.param({"requirements.txt": "-r requirements/base.txt\n", "requirements/base.txt": "trio==0.25\n"}, "trio", id="included-requirements"),
    pytest.param({"pyproject.toml": _pyproject('["anyio>=4"]')}, "anyio", id="anyio"),
    pytest.param({"pyproject.toml": _pyproject('["anyio", "trio", "aiohttp"]')}, "anyio", id="anyio-runs-on-both"),
    pytest.param({"pyproject.toml": _pyproject('["aiohttp"]')}, "asyncio", id="asyncio-only-library"),
    pytest.param({"pyproject.toml": _pyproject('["aio_pika", "discord.py"]')}, "asyncio", id="asyncio-only-normalised"),
    pytest.param({"pyproject.toml": _pyproject("[]", '[project.optional-dependencies]\ntest = ["pytest-asyncio"]\n')}, "asyncio", id="test-extra-is-development"),
    pytest.param({"requirements.txt": "trio==0.25\naiohttp==3.9\n"}, None, id="trio-and-asyncio-only"),
    pytest.param({"pyproject.toml": _pyproject('["aiohttp"]', '[project.optional-dependencies]\ntrio = ["trio"]\n')}, None, id="trio-extra-makes-asyncio-doubtful"),
    pytest.param({"pyproject.toml": _pyproject("[]", '[project.optional-dependencies]\ntrio = ["trio"]\n')}, None, id="trio-only-as-an-extra"),
    pytest.param({"pyproject.toml": _pyproject("[]", '[dependency-groups]\ntest = ["anyio"]\n')}, None, id="anyio-only-for-development"),
    pytest.param({"pyproject.toml": _pyproject('["trio", "trio-asyncio"]')}, None, id="another-loop"),
    pytest.param({"pyproject.toml": _pyproject('["httpx"]')}, None, id="no-async-library"),
    pytest.param({}, None, id="no-declarations"),
    pytest.param({"pyproject.toml": _pyproject('["trio"]'), "setup.cfg": "[options\n"}, None, id="unreadable-setup-cfg"),
])
def test_the_declarations_decide_the_library(tmp_path, files, name):
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    assert project_library(tmp_path).name == name


def test_unreadable_declarations_say_why(tmp_path):
    (tmp_path / "setup.cfg").write_text("[options\n")
    answer = project_library(tmp_path)
    assert answer.name is None
    assert answer.reason.startswith("not known: cannot read setup.cfg: ")


@pytest.mark.parametrize(("code", "module", "expected"), [
    pytest.param("import time\n", "app.helpers", ("trio", False), id="says-nothing"),
    pytest.param("import asyncio\n", "app.helpers", ("asyncio", True), id="own-import-first"),
    pytest.param("from aiohttp import web\n", "app.web", (None, False), id="asyncio-only-import-disagrees"),
    pytest.param("import asyncio\nimport trio\n", "app.bridge", (None, False), id="both-imported"),
    pytest.param("import time\n", "trio._core._run", (None, False), id="the-library-itself"),
])
def test_the_module_speaks_before_its_project(tmp_path, code, module, expected):
    import libcst as cst

    from asynclint.checks.shared.library import library
    from asynclint.lint.context import FileContext

    (tmp_path / "pyproject.toml").write_text(_pyproject('["trio"]'))
    context = FileContext("example.py", code, cst.parse_module(code), Settings(root=tmp_path), module)
    found = library(context)
    assert (found.name, found.direct) == expected


def test_a_requirements_link_loop_is_unreadable_not_a_crash(tmp_path, write, run):
    (tmp_path / "requirements.txt").symlink_to("requirements.txt")
    write("pyproject.toml", _pyproject('["trio"]'))
    write("app/helpers.py", HELPER)
    code, out, err = run("--no-cache", "--fix", "--unsafe-fixes", "app")
    assert (code, err) == (1, "Found 1 finding.\n")
    assert out.splitlines() == [f"app/helpers.py:6:9: {SLEEP.format('asyncio')}"]  # no fix: not known
    assert (tmp_path / "app/helpers.py").read_text() == HELPER
    assert project_library(tmp_path).reason.startswith("not known: cannot read requirements.txt: ")


# -- what the command line makes of it ------------------------------------------------------------


def test_a_module_without_imports_gets_the_trio_fix_of_a_trio_project(tmp_path, write, run):
    write("pyproject.toml", _pyproject('["trio>=0.25"]'))
    helper = write("app/helpers.py", HELPER)
    code, out, _ = run("--no-cache", "app")
    assert code == 1
    assert out.splitlines() == [f"app/helpers.py:6:9: {SLEEP.format('trio')}"]
    # It adds an import of trio to a module that has none: unsafe, so plain --fix leaves it.
    run("--no-cache", "--fix", "app")
    assert helper.read_text() == HELPER
    run("--no-cache", "--fix", "--unsafe-fixes", "app")
    assert helper.read_text() == TRIO_FIXED
    code, out, _ = run("--no-cache", "--fix", "--unsafe-fixes", "app")  # settled
    assert (code, out, helper.read_text()) == (0, "", TRIO_FIXED)


def test_a_module_without_imports_gets_the_anyio_fix_of_an_anyio_project(tmp_path, write, run):
    write("pyproject.toml", _pyproject('["anyio>=4"]'))
    helper = write("app/helpers.py", HELPER)
    _, out, _ = run("--no-cache", "app")
    assert out.splitlines() == [f"app/helpers.py:6:9: {SLEEP.format('anyio')}"]
    run("--no-cache", "--fix", "--unsafe-fixes", "app")
    assert helper.read_text() == TRIO_FIXED.replace("trio", "anyio")


def test_conflicting_declarations_offer_no_fix(tmp_path, write, run):
    write("requirements.txt", "trio==0.25\naiohttp==3.9\n")
    helper = write("app/helpers.py", HELPER)
    _, out, _ = run("--no-cache", "app")
    assert out.splitlines() == [f"app/helpers.py:6:9: {SLEEP.format('asyncio')}"]
    run("--no-cache", "--fix", "--unsafe-fixes", "app")
    assert helper.read_text() == HELPER


def test_an_asyncio_only_import_in_a_trio_project_gets_no_fix(tmp_path, write, run):
    write("pyproject.toml", _pyproject('["trio"]'))
    text = "import time\n\nfrom aiohttp import web\n\n\nasync def handler(request):\n    time.sleep(1)\n    return web.Response()\n"
    handler = write("app/web.py", text)
    run("--no-cache", "--fix", "--unsafe-fixes", "app")
    assert handler.read_text() == text


def test_asyncio_only_rules_stay_silent_in_trio_projects(tmp_path, write, run):
    write("app/relay.py", SWALLOWS)
    _, out, _ = run("--no-cache", "--select", "ASL503", "app")
    assert [line.split(": ")[1][:6] for line in out.splitlines()] == ["ASL503"]  # asyncio's semantics by default
    for declared in ('["trio"]', '["trio", "aiohttp"]'):  # trio, or possibly trio
        write("pyproject.toml", _pyproject(declared))
        _, out, _ = run("--no-cache", "--select", "ASL503", "app")
        assert out == ""
    write("pyproject.toml", _pyproject('["anyio", "trio"]'))  # anyio code: cancelled either way
    _, out, _ = run("--no-cache", "--select", "ASL503", "app")
    assert out.splitlines() == [
        "app/relay.py:5:9: ASL503 `except BaseException` around an await swallows the task's cancellation and "
        "carries on: re-raise `CancelledError` after cleaning up, or the task cannot be cancelled",
    ]


def test_cached_findings_follow_the_declarations(tmp_path, write, run):
    write("pyproject.toml", _pyproject('["trio"]'))
    write("app/helpers.py", HELPER)
    _, out, _ = run("app")
    assert out.splitlines() == [f"app/helpers.py:6:9: {SLEEP.format('trio')}"]
    assert (tmp_path / ".asynclint_cache").is_dir()
    write("pyproject.toml", _pyproject('["anyio"]'))
    _, out, _ = run("app")
    assert out.splitlines() == [f"app/helpers.py:6:9: {SLEEP.format('anyio')}"]
    (tmp_path / "pyproject.toml").unlink()
    write("requirements-dev.txt", "pytest-trio\n")
    _, out, _ = run("app")
    assert out.splitlines() == [f"app/helpers.py:6:9: {SLEEP.format('trio')}"]


def test_the_settings_stamp_holds_the_declared_library(tmp_path):
    (tmp_path / "pyproject.toml").write_text(_pyproject('["trio"]'))
    trio = settings_stamp(Settings(root=tmp_path))
    assert settings_stamp(Settings(root=tmp_path)) == trio
    (tmp_path / "pyproject.toml").write_text(_pyproject('["anyio"]'))
    assert settings_stamp(Settings(root=tmp_path)) != trio


def test_show_settings_names_the_async_library(tmp_path, write, run):
    write("pyproject.toml", _pyproject('["trio", "httpx"]'))
    code, out, _ = run("--show-settings", ".")
    assert code == 0
    assert out.splitlines()[3] == "# async library: trio: declares trio"


def test_stdin_gets_the_project_library(tmp_path, write, run):
    write("pyproject.toml", _pyproject('["trio"]'))
    code, out, _ = run("--stdin-filename", "app/helpers.py", "--fix", "--unsafe-fixes", "-", stdin=HELPER.encode())
    assert out == TRIO_FIXED


@pytest.mark.slow
def test_flake8_gets_the_project_library(tmp_path):
    (tmp_path / "pyproject.toml").write_text(_pyproject('["trio"]'))
    (tmp_path / "helpers.py").write_text(HELPER)
    for args, stdin in ((["helpers.py"], None), (["--stdin-display-name", "helpers.py", "-"], HELPER)):
        proc = subprocess.run(
            [sys.executable, "-m", "flake8", "--select", "ASL", *args],
            cwd=tmp_path, capture_output=True, text=True, input=stdin,
        )
        assert proc.stdout.splitlines() == [f"helpers.py:6:9: {SLEEP.format('trio')}"], proc.stderr

