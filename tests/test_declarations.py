"""What libraries declare (asynclint/knowledge/declarations.py), where their environment is found
(asynclint/knowledge/environment.py), and the findings both give through the CLI."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from asynclint.config.options import Settings
from asynclint.knowledge.declarations import Declarations, declarations
from asynclint.knowledge.environment import find_environment
from asynclint.resolve import library
from asynclint.run import library_cache
from asynclint.run.cache import settings_stamp

FAKEDB = {
    "fakedb/__init__.py": """
        from .client import Client as Client, connect
        from .pool import *
    """,
    "fakedb/client.py": """
        import contextlib
        from typing import Optional, Self

        from fakedb.pool import Pool


        class Cursor:
            async def fetchall(self) -> list: ...
            def close(self) -> None: ...


        class Client:
            timeout: float

            async def query(self, sql: str) -> "Cursor": ...
            def cursor(self) -> Cursor: ...
            def copy(self) -> Self: ...

            @property
            def pool(self) -> Optional[Pool]: ...

            @contextlib.asynccontextmanager
            async def transaction(self): ...

            async def rows(self):
                yield 1


        async def connect(dsn: str) -> Client: ...
    """,
    "fakedb/pool.py": """
        __all__ = ["Pool"]


        class Base:
            async def acquire(self) -> "Pool": ...


        class Pool(Base):
            def release(self) -> None: ...


        async def hidden() -> None: ...
    """,
}


def _site(tmp_path: Path, files: dict[str, str], env: str = "env") -> Path:
    site = tmp_path / env / "lib" / "python3.11" / "site-packages"
    for name, text in files.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    return site


@pytest.fixture
def fakedb(tmp_path) -> Declarations:
    return Declarations((_site(tmp_path, FAKEDB),))


def test_functions_methods_and_classes_through_re_exports(fakedb):
    assert fakedb.find("fakedb.connect") == ["def", "async", "fakedb.client.Client"]
    assert fakedb.find("fakedb.Client") == ["class", "fakedb.client.Client"]
    assert fakedb.kind("fakedb.Client.query") == "async"
    assert fakedb.awaited("fakedb.Client.query") == "fakedb.client.Cursor"  # a string annotation
    assert fakedb.returns("fakedb.Client.cursor") == "fakedb.client.Cursor"
    assert fakedb.kind("fakedb.client.Cursor.fetchall") == "async"
    assert fakedb.kind("fakedb.client.Cursor.close") == "sync"


def test_what_is_not_a_coroutine_function(fakedb):
    assert fakedb.kind("fakedb.Client.transaction") == "?"  # a decorator may make it anything
    assert fakedb.kind("fakedb.Client.rows") == "?"  # an async generator
    assert fakedb.kind("fakedb.Client.missing") is None
    assert fakedb.kind("fakedb.nothing") is None
    assert fakedb.kind("otherlib.fetch") is None


def test_star_imports_follow_all_and_bases(fakedb):
    assert fakedb.find("fakedb.Pool") == ["class", "fakedb.pool.Pool"]
    assert fakedb.find("fakedb.hidden") is None  # not in pool's __all__
    assert fakedb.kind("fakedb.Pool.acquire") == "async"  # from its base
    assert fakedb.returns("fakedb.Pool.release") is None  # `-> None`


def test_attributes_properties_and_self(fakedb):
    assert fakedb.attribute("fakedb.Client", "pool") == "fakedb.pool.Pool"
    assert fakedb.attribute("fakedb.Client", "timeout") is None  # a builtin type
    assert fakedb.returns("fakedb.Client.copy") == "@self"


def test_stubs_come_before_sources(tmp_path):
    site = _site(tmp_path, {
        "lib1/__init__.py": "def get(): ...\n",
        "lib1/__init__.pyi": "async def get() -> None: ...\n",
        "lib2/__init__.py": "def get(): ...\n",
        "lib2-stubs/__init__.pyi": "async def get() -> None: ...\n",
    })
    found = Declarations((site,))
    assert found.kind("lib1.get") == "async"
    assert found.kind("lib2.get") == "async"


def test_definitions_that_disagree_across_branches_are_unknown(tmp_path):
    site = _site(tmp_path, {"lib3.pyi": """
        import sys

        if sys.version_info >= (3, 12):
            async def changed() -> None: ...
            async def same() -> None: ...
            async def newer() -> None: ...
        else:
            def changed() -> None: ...
            async def same() -> None: ...
    """})
    found = Declarations((site,))
    assert (found.kind("lib3.changed"), found.kind("lib3.same"), found.kind("lib3.newer")) == ("?", "async", "async")


def test_the_standard_library_comes_from_typeshed():
    stdlib = declarations()
    assert stdlib.kind("asyncio.sleep") == "async"
    assert stdlib.kind("asyncio.TaskGroup.__aenter__") == "async"
    assert stdlib.kind("asyncio.Condition.wait_for") == "async"
    assert stdlib.kind("asyncio.create_task") == "sync"
    assert stdlib.returns("asyncio.get_running_loop") == "asyncio.events.AbstractEventLoop"
    assert stdlib.awaited("asyncio.create_subprocess_exec") == "asyncio.subprocess.Process"
    assert {"drain", "sleep"} <= stdlib.coroutine_names("asyncio")


def test_a_broken_library_file_is_not_a_declaration(tmp_path):
    site = _site(tmp_path, {"broken.py": "async def f(:\n", "binary.py": ""})
    (site / "binary.py").write_bytes(b"\xff\xfe\x00async def")
    found = Declarations((site,))
    assert found.kind("broken.f") is None
    assert found.kind("binary.f") is None


# -- where the environment is found ---------------------------------------------------------------


def test_environment_order(tmp_path):
    given = _site(tmp_path, {"a.py": ""}, "given")
    virtual = _site(tmp_path, {"a.py": ""}, "virtual")
    project = tmp_path / "project"
    local = _site(project, {"a.py": ""}, ".venv")
    interpreter = tmp_path / "given" / "bin" / "python"
    interpreter.parent.mkdir(parents=True)
    interpreter.write_text("")
    environ = {"VIRTUAL_ENV": str(tmp_path / "virtual")}
    assert find_environment(str(interpreter), project, environ).search_path == (given,)
    assert find_environment(str(tmp_path / "given"), project, environ).search_path == (given,)
    assert find_environment("", project, environ).search_path == (virtual,)
    assert find_environment("", project, {}).search_path == (local,)
    running = find_environment("", tmp_path, {})
    assert running.source.startswith("the running interpreter")


def test_pth_files_add_source_folders_but_run_nothing(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    site = _site(tmp_path, {
        "editable.pth": f"# a comment\n{source}\nimport os; os.remove('x')\nmissing-folder\n",
    })
    assert find_environment(str(tmp_path / "env"), tmp_path, {}).search_path == (site, source)


def test_installing_a_distribution_invalidates_cached_findings(tmp_path):
    site = _site(tmp_path, {"a.py": ""})
    settings = Settings(root=tmp_path, python="env")
    before = settings_stamp(settings)
    assert settings_stamp(settings) == before
    (site / "fakedb-1.0.dist-info").mkdir()
    assert settings_stamp(settings) != before


# -- findings -------------------------------------------------------------------------------------

APP = """
    import asyncio
    import fakedb


    async def main(client: fakedb.Client, lock: asyncio.Condition):
        fakedb.connect("db://")
        client.query("select 1")
        client.cursor()
        lock.wait_for(lambda: True)


    class Service:
        def __init__(self, client: fakedb.Client) -> None:
            self.client = client

        async def run(self):
            self.client.query("select 2")
"""


def test_missing_awaits_on_what_the_environment_declares(tmp_path, write, run):
    _site(tmp_path, FAKEDB)
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\nextend-exclude = ["env"]\n')
    write("app.py", APP)
    code, out, _ = run("--select", "ASL101", "app.py")
    assert out.splitlines() == [
        "app.py:6:5: ASL101 `fakedb.connect()` returns a coroutine that is never awaited, so it never runs",
        "app.py:7:5: ASL101 `client.query()` returns a coroutine that is never awaited, so it never runs",
        "app.py:9:5: ASL101 `lock.wait_for()` returns a coroutine that is never awaited, so it never runs",
        "app.py:17:9: ASL101 `self.client.query()` returns a coroutine that is never awaited, so it never runs",
    ]
    assert code == 1


def test_without_the_environment_only_the_standard_library_is_known(tmp_path, write, run):
    write("pyproject.toml", '[tool.asynclint]\npython = "no-such-env"\n')
    write("app.py", APP)
    _, out, _ = run("--select", "ASL101", "app.py")
    assert out.splitlines() == ["app.py:9:5: ASL101 `lock.wait_for()` returns a coroutine that is never awaited, so it never runs"]


def test_the_fix_awaits_what_the_environment_declares(tmp_path, write, run):
    _site(tmp_path, FAKEDB)
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\nextend-exclude = ["env"]\n')
    app = write("app.py", APP)
    run("--select", "ASL101", "--fix", "app.py")
    fixed = textwrap.dedent(APP).lstrip()
    for call in ('fakedb.connect("db://")', 'client.query("select 1")', "lock.wait_for(", 'self.client.query('):
        fixed = fixed.replace(f" {call}", f" await {call}", 1)
    assert app.read_text() == fixed
    run("--select", "ASL101", "--fix", "app.py")
    assert app.read_text() == fixed


def test_the_project_own_package_is_never_read_from_the_environment(tmp_path, write, run):
    # An installed, older copy of the project says `fetch` is a coroutine function; the code
    # being checked says it is not.
    _site(tmp_path, {"mypkg/__init__.py": "async def fetch(): ...\n"})
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\nextend-exclude = ["env"]\n')
    write("mypkg/__init__.py", "def fetch():\n    return 1\n")
    write("mypkg/use.py", "from mypkg import fetch\n\n\nasync def main():\n    fetch()\n")
    _, out, _ = run("--select", "ASL101", "mypkg")
    assert out == ""


def test_show_settings_names_the_environment(tmp_path, write, run):
    site = _site(tmp_path, {"a.py": ""})
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\n')
    code, out, _ = run("--show-settings", ".")
    assert code == 0
    assert out.splitlines()[2] == f"# environment: python = env: {site}"
    assert 'python = "env"' in out.splitlines()


# -- library summaries kept between runs ----------------------------------------------------------

KEPT_APP = "import fakedb\n\n\nasync def main():\n    fakedb.connect('db://')\n"
CONNECT = "app.py:5:5: ASL101 `fakedb.connect()` returns a coroutine that is never awaited, so it never runs"


def _installed(tmp_path: Path, version: str, connect: str) -> Path:
    """fakedb==version installed as pip installs it (a dist-info folder with its RECORD)."""
    site = _site(tmp_path, {"fakedb/__init__.py": connect})
    for old in site.glob("fakedb-*.dist-info"):
        shutil.rmtree(old)
    info = site / f"fakedb-{version}.dist-info"
    info.mkdir()
    (info / "RECORD").write_text(f"fakedb/__init__.py,,\nfakedb-{version}.dist-info/RECORD,,\n")
    return site


def _checked_again(run) -> str:
    """A run as a new process makes it: nothing in memory, no cached findings, and the library
    summaries kept on disk."""
    library._library.cache_clear()
    declarations.cache_clear()
    library_cache._stores.clear()
    for kept in (Path.cwd() / ".asynclint_cache").glob("files-*.json"):
        kept.unlink()
    shutil.rmtree(Path.cwd() / ".asynclint_cache" / "results", ignore_errors=True)
    return run("--select", "ASL101", "app.py")[1]


def test_library_summaries_are_kept_per_distribution_and_version(tmp_path, write, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\nextend-exclude = ["env"]\n')
    write("app.py", KEPT_APP)
    site = _installed(tmp_path, "1.0", "async def connect(dsn): ...\n")
    assert run("--select", "ASL101", "app.py")[1].splitlines() == [CONNECT]
    document = json.loads((tmp_path / ".asynclint_cache" / "libraries" / "fakedb-1.0.json").read_text())
    assert document["distribution"] == "fakedb==1.0"
    assert document["modules"]["fakedb"] == [
        "fakedb/__init__.py", {"names": {}, "defs": {"connect": ["async", None]}, "classes": {}, "star": [], "all": None},
    ]
    # The same version's files are not read again: what was kept answers (an edit in place,
    # which pip never makes, goes unseen) ...
    (site / "fakedb" / "__init__.py").write_text("def connect(dsn): ...\n")
    assert _checked_again(run).splitlines() == [CONNECT]
    # ... and another version is read afresh.
    _installed(tmp_path, "2.0", "def connect(dsn): ...\n")
    assert _checked_again(run) == ""
    assert (tmp_path / ".asynclint_cache" / "libraries" / "fakedb-2.0.json").is_file()


@pytest.mark.parametrize("document", [
    "not json",
    '{"format": 1, "distribution": "fakedb==1.0", "modules": {}, "names": {}}',  # no code stamp
    None,  # a summary of the wrong shape, under the right stamp: see below
])
def test_a_damaged_library_document_is_read_afresh(tmp_path, write, run, monkeypatch, document):
    monkeypatch.chdir(tmp_path)
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\nextend-exclude = ["env"]\n')
    write("app.py", KEPT_APP)
    _installed(tmp_path, "1.0", "async def connect(dsn): ...\n")
    run("--select", "ASL101", "app.py")
    path = tmp_path / ".asynclint_cache" / "libraries" / "fakedb-1.0.json"
    if document is None:
        stored = json.loads(path.read_text())
        stored["modules"]["fakedb"][1]["defs"] = {"connect": ["async"]}  # one value short
        document = json.dumps(stored)
    path.write_text(document)
    assert _checked_again(run).splitlines() == [CONNECT]
    assert json.loads(path.read_text())["modules"]["fakedb"][1]["defs"] == {"connect": ["async", None]}


def test_files_of_no_distribution_are_not_kept(tmp_path, write, run, monkeypatch):
    # A source folder a `.pth` file adds (an editable install) changes without a new version.
    monkeypatch.chdir(tmp_path)
    site = _site(tmp_path, {"editable.pth": str(tmp_path / "checkout") + "\n"})
    (tmp_path / "checkout" / "fakedb").mkdir(parents=True)
    (tmp_path / "checkout" / "fakedb" / "__init__.py").write_text("async def connect(dsn): ...\n")
    assert site.is_dir()
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\nextend-exclude = ["env", "checkout"]\n')
    write("app.py", KEPT_APP)
    assert run("--select", "ASL101", "app.py")[1].splitlines() == [CONNECT]
    assert list((tmp_path / ".asynclint_cache" / "libraries").glob("fakedb*")) == []


def test_decorators_that_declare_they_return_what_they_are_given(tmp_path):
    site = _site(tmp_path, {
        "ki.py": """
            from typing import Callable, TypeVar

            F = TypeVar("F", bound=Callable)

            def protect(f: F, /) -> F: ...
            def register(f: Callable) -> Callable: ...
        """,
        "chan.py": """
            import functools
            from functools import wraps as _wraps
            from ki import protect, register

            class Channel:
                @protect
                async def send(self, value) -> None: ...

                @register
                async def receive(self): ...

                @functools.wraps(print)
                async def close(self): ...

                @_wraps(print, assigned=())
                def fileno(self) -> int: ...

                @protect
                @register
                async def both(self): ...
        """,
    })
    found = Declarations((site,))
    assert found.method("chan.Channel", "send") == ["def", "async", None]
    assert found.method("chan.Channel", "receive") == ["def", "?", None]
    assert found.method("chan.Channel", "close") == ["def", "async", None]
    assert found.method("chan.Channel", "fileno") == ["def", "sync", None]  # `int`: a builtin
    assert found.method("chan.Channel", "both") == ["def", "?", None]
    assert found.returns("ki.protect") is None  # what it returns is what it is given


def test_what_each_worker_reads_is_kept_in_one_run(tmp_path, write, run, monkeypatch):
    # Workers of the pool each read some of a distribution's modules and save at exit together:
    # the document keeps them all (the save is locked and merges what is on disk), and a module
    # only the main process reads (deciding the index) is kept as well.
    monkeypatch.chdir(tmp_path)
    write("pyproject.toml", '[tool.asynclint]\npython = "env"\nextend-exclude = ["env"]\n')
    modules = [f"part{n}" for n in range(8)]
    site = _installed(tmp_path, "1.0", "")
    for name in modules:
        (site / "fakedb" / f"{name}.py").write_text("async def connect(dsn): ...\n")
        write(f"app_{name}.py", f"from fakedb import {name}\n\n\nasync def main():\n    {name}.connect('db://')\n")
    code, out, _ = run("--select", "ASL101", "--jobs", "2", ".")
    assert code == 1 and len(out.splitlines()) == len(modules)
    document = json.loads((tmp_path / ".asynclint_cache" / "libraries" / "fakedb-1.0.json").read_text())
    assert {f"fakedb.{name}" for name in modules} <= set(document["modules"])
