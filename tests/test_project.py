"""Cross-module resolution through the project index, in both front ends, with and without cache."""

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES

EXPECTED = [
    ("pkg/app.py", 11, 9, "`save()`"),  # re-exported from pkg/__init__.py
    ("pkg/app.py", 12, 9, "`store.save()`"),  # module imported under an alias
    ("pkg/app.py", 14, 9, "`fetch()`"),  # a module-level alias `fetch = save`
    ("pkg/app.py", 15, 9, "`self.flush()`"),  # a base class in another module
    ("pkg/app.py", 17, 9, "`Repo().load()`"),  # a method on a fresh instance
    ("pkg/app.py", 20, 9, "`self.flush()`"),  # in a sync method: reported, not fixed
    ("pkg/jobs.py", 9, 5, "task"),  # ASL301: a wrapper in another module drops its new task
    ("pkg/jobs.py", 11, 5, "task"),  # ASL301: the loop from an unannotated helper in another module
    ("pkg/service.py", 10, 9, "`super().flush()`"),  # the base class's method, in another module
    ("pkg/service.py", 11, 9, "`self._lock.acquire()`"),  # an asyncio.Lock assigned in the base
    ("pkg/service.py", 12, 14, "an"),  # ASL505: `with` on that lock ("an asyncio lock needs...")
    ("pkg/service.py", 13, 13, "`save()`"),  # ASL102: bound to a name never used
    ("pkg/service.py", 14, 15, "`fetch()`"),  # ASL104: printed, not awaited
    ("pkg/service.py", 15, 20, "`rows()`"),  # ASL104: an async generator in a plain `for`
    ("pkg/service.py", 17, 46, "`save`"),  # ASL105: handed to call_soon
    ("pkg/sessions.py", 7, 9, "`self.Session().close()`"),  # a class nested in a base in another module
    ("pkg/sessions.py", 8, 9, "`Client.Session().close()`"),  # the same through the package's re-export
    ("pkg/sessions.py", 10, 9, "`self.session().close()`"),  # annotated `-> "Direct.Session"`
]


@pytest.fixture
def project(tmp_path):
    target = tmp_path / "crossmod"
    shutil.copytree(FIXTURES / "crossmod", target)
    return target


def _cli(project, *args):
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", "--output-format", "json", *args],
        cwd=project, capture_output=True, text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return [(f["filename"], f["location"]["row"], f["location"]["column"], f["message"].split()[0]) for f in json.loads(proc.stdout)]


def test_cross_module_findings(project):
    assert _cli(project, "--no-cache", "pkg") == EXPECTED


def test_only_the_named_file_is_reported_but_the_project_is_indexed(project):
    # pre-commit passes only changed files; calls into the others still resolve.
    assert _cli(project, "--no-cache", "pkg/app.py") == [f for f in EXPECTED if f[0] == "pkg/app.py"]


def test_cache_gives_the_same_findings_across_cross_file_edits(project):
    assert _cli(project, "pkg") == EXPECTED  # cold: fills the cache
    assert (project / ".asynclint_cache" / "summaries").is_dir()
    assert _cli(project, "pkg") == EXPECTED  # warm
    # Turn save() sync in its own module: the findings that depend on it go, in both modes.
    store = project / "pkg" / "store.py"
    store.write_text(store.read_text().replace("async def save", "def save"))
    after = [f for f in EXPECTED if f[3] not in ("`save()`", "`store.save()`", "`fetch()`", "`save`")]
    assert _cli(project, "pkg") == after
    assert _cli(project, "--no-cache", "pkg") == after


def test_warm_run_follows_what_a_helper_in_another_module_now_returns(project):
    assert _cli(project, "pkg") == EXPECTED
    # The helper no longer returns the running loop: the unchanged caller's finding goes.
    helpers = project / "pkg" / "spawning.py"
    helpers.write_text(helpers.read_text().replace("return asyncio.get_running_loop()", "return asyncio.TaskGroup()"))
    after = [f for f in EXPECTED if f[:2] != ("pkg/jobs.py", 11)]
    assert _cli(project, "pkg") == after
    assert _cli(project, "--no-cache", "pkg") == after


def test_tampered_cache_is_not_trusted(project):
    _cli(project, "pkg")
    for entry in (project / ".asynclint_cache" / "summaries").rglob("*.json"):
        entry.write_text('{"module": "pkg.store", "evil": true}')
    assert _cli(project, "pkg") == EXPECTED


@pytest.mark.slow
def test_flake8_finds_the_cross_module_findings_too(project):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--format", "%(path)s:%(row)d:%(col)d: %(text)s", "pkg"],
        cwd=project, capture_output=True, text=True,
    )
    got = [(path, int(row), int(col), text.split()[0]) for path, row, col, text in (l.split(":", 3) for l in proc.stdout.splitlines())]
    assert sorted(got) == EXPECTED


@pytest.mark.slow
def test_flake8_run_from_another_configured_project(project, tmp_path):
    # flake8 started in a folder with its own [tool.asynclint] (say, an editor's workspace) on
    # files of another project indexes that other project, not the folder it was started in.
    here = tmp_path / "elsewhere"
    here.mkdir()
    (here / "pyproject.toml").write_text("[tool.asynclint]\nextend-exclude = ['build/']\n")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--format", "%(row)d:%(col)d: %(text)s", str(project / "pkg")],
        cwd=here, capture_output=True, text=True,
    )
    got = sorted((int(row), int(col), text.split()[0]) for row, col, text in (l.split(":", 2) for l in proc.stdout.splitlines()))
    assert got == sorted((row, col, code) for _, row, col, code in EXPECTED), proc.stderr


@pytest.mark.slow
def test_flake8_given_a_folder_above_the_project(project, tmp_path):
    # flake8 handed a folder that holds the project (its root, with pyproject.toml, one level
    # down): each file is answered from that one check, cross-module findings included.
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--format", "%(path)s:%(row)d:%(col)d: %(text)s", project.parent.name],
        cwd=project.parent.parent, capture_output=True, text=True,
    )
    prefix = f"{project.parent.name}/{project.name}/"
    got = [(path.removeprefix(prefix), int(row), int(col), text.split()[0]) for path, row, col, text in (l.split(":", 3) for l in proc.stdout.splitlines())]
    assert sorted(got) == EXPECTED, proc.stderr


def test_fix_awaits_in_coroutines_only(project):
    proc = subprocess.run([sys.executable, "-m", "asynclint", "--jobs", "1", "--fix", "pkg"], cwd=project, capture_output=True, text=True)
    assert proc.returncode == 1  # the sync method's finding remains
    text = (project / "pkg" / "app.py").read_text()
    for line in ("await save(1)", "await store.save(2)", "await fetch(3)", "await self.flush()", "await Repo().load()"):
        assert f"        {line}\n" in text
    assert "    def stop(self):\n        self.flush()\n" in text
    assert (project / "pkg" / "service.py").read_text().split("\n", 8)[8] == (
        "    async def flush(self):\n"
        "        await super().flush()\n"
        "        await self._lock.acquire()\n"
        "        async with self._lock:\n"
        "            pending = await save(1)\n"
        "        print(await fetch(2))\n"
        "        async for row in rows():\n"
        "            pass\n"
        "        asyncio.get_running_loop().call_soon(save)\n"
    )
    assert proc.stdout.splitlines() == [
        "pkg/app.py:20:9: ASL101 `self.flush()` returns a coroutine that is never awaited, so it never runs",
        "pkg/jobs.py:9:5: ASL301 task from `spawn()` (a project function returning a new task) is dropped; "
        "keep a reference until it finishes (the event loop holds tasks only weakly)",
        "pkg/jobs.py:11:5: ASL301 task from `running_loop().create_task()` is dropped; "
        "keep a reference until it finishes (the event loop holds tasks only weakly)",
        "pkg/service.py:17:46: ASL105 `save` is an async function, and `asyncio.get_running_loop().call_soon()` "
        "calls it without awaiting: its body never runs",
    ]


def test_async_def_names_include_aliases(tmp_path):
    from asynclint.resolve.project import project_names

    (tmp_path / "a.py").write_text("async def save():\n    pass\nfetch = save\nget = fetch  # alias of an alias\nx = 1\n")
    (tmp_path / "b.py").write_text("class C:\n    async def load(self): ...\n    def sync(self): ...\n")
    names = project_names([str(tmp_path / "a.py"), str(tmp_path / "b.py")])
    assert names.coroutines == {"save", "fetch", "get", "load"}


def test_wrapper_names_come_from_files_that_spawn_tasks(tmp_path):
    from asynclint.resolve.project import project_names

    (tmp_path / "a.py").write_text("import asyncio\ndef spawn(c):\n    return asyncio.ensure_future(c)\nlaunch = spawn\n")
    (tmp_path / "b.py").write_text("def unrelated():\n    pass\n")
    (tmp_path / "c.py").write_text("def go(c):\n    return mylib.start_soon(c)\n")
    names = project_names([str(tmp_path / n) for n in ("a.py", "b.py", "c.py")], ("mylib.start_soon",))
    assert names.wrappers == {"spawn", "launch", "go"}
    assert names.coroutines == frozenset()


def test_warm_run_parses_nothing_and_gives_the_same_reports(project, monkeypatch):
    from asynclint.lint import walker as engine
    from asynclint.config.options import load_settings
    from asynclint.run.runner import Mode, run

    monkeypatch.chdir(project)
    settings = load_settings(start=project)
    files = sorted(str(p.relative_to(project)) for p in (project / "pkg").glob("*.py"))
    cold = run(files, settings, Mode.CHECK, jobs=1, project_files=files)
    parsed = []
    real_parse = engine.parse
    monkeypatch.setattr(engine, "parse", lambda text: parsed.append(text) or real_parse(text))
    warm = run(files, settings, Mode.CHECK, jobs=1, project_files=files)
    assert parsed == []
    assert [(r.path, r.findings, r.lines) for r in warm] == [(r.path, r.findings, r.lines) for r in cold]
    assert sum(len(r.findings) for r in warm) == len(EXPECTED)


def test_cached_result_misses_when_a_ruled_out_name_becomes_async(project):
    # `helper()` is no coroutine anywhere, so the name filter rules it out without a condition;
    # the cached result for app2.py must not outlive `async def helper` appearing elsewhere.
    (project / "pkg" / "app2.py").write_text("from pkg.util import helper\n\n\nasync def main():\n    helper()\n")
    (project / "pkg" / "util.py").write_text("def helper():\n    ...\n")
    assert [f for f in _cli(project, "pkg") if f[0] == "pkg/app2.py"] == []
    (project / "pkg" / "util.py").write_text("async def helper():\n    ...\n")
    assert [f for f in _cli(project, "pkg") if f[0] == "pkg/app2.py"] == [("pkg/app2.py", 5, 5, "`helper()`")]


def test_cached_results_follow_the_settings(project):
    assert _cli(project, "pkg") == EXPECTED
    assert _cli(project, "--select", "ASL301", "pkg") == [f for f in EXPECTED if f[0] == "pkg/jobs.py"]
    assert _cli(project, "pkg") == EXPECTED


def test_tampered_manifest_is_not_trusted(project):
    _cli(project, "pkg")
    [manifest] = (project / ".asynclint_cache").glob("files-*.json")
    good = json.loads(manifest.read_text())
    assert good["files"]
    forged = [
        "not json",
        "[]",
        json.dumps({**good, "files": {path: {**entry, "report": {"findings": 1}} for path, entry in good["files"].items()}}),
        json.dumps({**good, "files": {path: {**entry, "names": "x", "summary": 3} for path, entry in good["files"].items()}}),
        json.dumps({**good, "files": {path: {**entry, "decided": [1]} for path, entry in good["files"].items()}}),
        json.dumps({**good, "files": {path: {**entry, "summary": {**entry["summary"], "functions": {"f": 1}}} for path, entry in good["files"].items()}}),
        json.dumps({**good, "files": {path: {**entry, "summary": {**entry["summary"], "classes": {"C": "x"}}} for path, entry in good["files"].items()}}),
        json.dumps({**good, "files": {path: {**entry, "report": {**(entry["report"] or {}), "findings": [["ASL101", "x", "forged", "a", 1, 1, 1, None, None]]}} for path, entry in good["files"].items()}}),
    ]
    for text in forged:
        manifest.write_text(text)
        assert _cli(project, "pkg") == EXPECTED


def test_warm_run_never_loads_libcst(project):
    # A run answered from the cache needs no syntax tree; importing libcst is most of its time.
    _cli(project, "--select", "ASL1,ASL3,ASL5", "pkg")  # codes given: validated without the rules too
    probe = (
        "import sys; from asynclint.frontends import cli; "
        "code = cli.main(['--jobs', '1', '-q', '--select', 'ASL1,ASL3,ASL5', 'pkg']); "
        "print(type(sys.modules['libcst']).__name__)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=project, capture_output=True, text=True)
    assert proc.stdout.splitlines()[-1] == "_LazyModule", proc.stderr
    assert proc.stdout.count("ASL") == len(EXPECTED)


def test_a_confirmed_file_is_parsed_twice_to_check_and_three_times_to_fix(tmp_path, monkeypatch):
    """Pass 1, then with the index (checking); under --fix the second parse is the fix's own, and
    the third checks the fixed text: no separate re-check before fixing."""
    from asynclint.config.options import load_settings
    from asynclint.lint import walker as engine
    from asynclint.run.runner import Mode, run

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "pkg"\n[tool.asynclint]\ncache-dir = ""\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "store.py").write_text("async def save(x):\n    return x\n")
    (tmp_path / "pkg" / "api.py").write_text("from pkg.store import save\n\nasync def handler():\n    save(1)\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings(start=tmp_path)
    files = ["pkg/__init__.py", "pkg/api.py", "pkg/store.py"]
    parsed: list[str] = []
    real_parse = engine.parse
    monkeypatch.setattr(engine, "parse", lambda text: parsed.append(text) or real_parse(text))

    reports = run(files, settings, Mode.CHECK, jobs=1)
    assert [(f.line, f.column, f.code) for f in reports[1].findings] == [(4, 5, "ASL101")]
    assert sum("handler" in text for text in parsed) == 2
    parsed.clear()
    reports = run(files, settings, Mode.FIX, jobs=1)
    assert [(f.line, f.code) for f in reports[1].fixed] == [(4, "ASL101")]
    assert (tmp_path / "pkg" / "api.py").read_text() == "from pkg.store import save\n\nasync def handler():\n    await save(1)\n"
    assert sum("handler" in text for text in parsed) == 3
