"""Faults from the hostile-input audit: odd file names, a checked project's own modules, crashes.

Each runs the real command in a subprocess, as a user or CI does.
"""

import os
import subprocess
import sys

import pytest

DROP = b"import asyncio\n\nasync def main():\n    asyncio.sleep(1)\n"
FINDING = "ok.py:4:5: ASL101 `asyncio.sleep()` returns a coroutine that is never awaited, so it never runs\n"


def asynclint(cwd, *args: str, env=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", *args],
        capture_output=True, cwd=cwd, timeout=timeout, env=env,
    )


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8")
def test_file_and_folder_names_that_are_not_utf8_are_reported_and_the_run_goes_on(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "ok.py").write_bytes(DROP)
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"d\xff"))
    with open(os.path.join(os.fsencode(tmp_path), b"caf\xe9.py"), "wb") as handle:
        handle.write(DROP)
    for cache in ((), ("--no-cache",)):
        done = asynclint(tmp_path, *cache, ".")
        assert done.stdout.decode() == (
            "caf\\xe9.py:1:1: E902 not checked: the file name is not valid UTF-8; rename it\n"
            "d\\xff:1:1: E902 not checked: the file name is not valid UTF-8; rename it\n"
            + FINDING
        )
        assert done.returncode == 2
        assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("shadow", ["pathspec", "csv", "zipfile", "libcst", "flake8"])
def test_python_m_never_imports_the_checked_projects_modules(tmp_path, shadow):
    # `python -m` puts the current folder first on sys.path; the project's module must not run.
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "ok.py").write_bytes(DROP)
    (tmp_path / f"{shadow}.py").write_text("raise SystemExit('the checked project ran code')\n")
    done = asynclint(tmp_path, "--no-cache", "ok.py")
    assert done.stdout.decode() == FINDING
    assert done.returncode == 1
    assert b"the checked project ran code" not in done.stderr


def test_an_internal_error_exits_2_not_1(tmp_path):
    probe = (
        "from asynclint.frontends import cli\n"
        "def broken(argv=None):\n    raise LookupError('simulated bug')\n"
        "cli.main = broken\n"
        "cli.entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "asynclint: internal error: LookupError: simulated bug (this is a bug in asynclint; please report it)"
    )


def test_a_path_that_does_not_exist_is_an_error_and_walks_nothing(tmp_path):
    done = asynclint(tmp_path, "--no-cache", "/nonexistent/asynclint-probe.py")
    assert done.stdout.decode() == "/nonexistent/asynclint-probe.py:1:1: E902 no such file or directory\n"
    assert done.returncode == 2


def test_without_project_markers_the_index_reads_only_the_given_files_folders(tmp_path):
    # A scratch file with no pyproject.toml, setup.cfg, setup.py or .git above it: the folders
    # below it are not read (they may be a whole home directory).
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "ok.py").write_bytes(DROP)
    deep = scratch / "big" / "tree"
    deep.mkdir(parents=True)
    (deep / "broken.py").write_bytes(b"\xff\xfe not python")
    from asynclint.config.discovery import project_files
    from asynclint.config.options import Settings

    assert project_files([str(scratch / "ok.py")], Settings(root=scratch)) == [str(scratch / "ok.py")]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("tool = 1\n", "pyproject.toml: `tool` must be a table, got 1"),
        ("[tool]\nasynclint = 3\n", "pyproject.toml: [tool.asynclint] must be a table"),
        ("[tool.asynclint]\nmax-file-size = 1e308\n",
         "pyproject.toml [tool.asynclint]: max-file-size: expected a number from 0 to 1e+09 (0 for no limit), got 1e+308"),
        ('[tool.asynclint]\ncache-dir = "a\\u0000b"\n',
         "pyproject.toml [tool.asynclint]: cache-dir: a NUL character is not allowed, got 'a\\x00b'"),
        ('[project]\nrequires-python = ">=3.10"\n[tool.asynclint]\nper-file-timeout = -1\n',
         "pyproject.toml [tool.asynclint]: per-file-timeout: expected a number from 0 to 1e+09 (0 for no limit), got -1"),
    ],
    ids=["tool-not-a-table", "asynclint-not-a-table", "huge-limit", "nul-in-path", "negative-limit"],
)
def test_bad_config_is_one_line_and_exit_2_in_the_cli_and_under_flake8(tmp_path, config, message):
    (tmp_path / "pyproject.toml").write_text(config)
    (tmp_path / "ok.py").write_bytes(DROP)
    done = asynclint(tmp_path, "ok.py")
    assert done.stderr.decode() == f"asynclint: error: {tmp_path / message}\n"
    assert done.returncode == 2
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "ok.py"], capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )
    assert flake8.stdout == f"ok.py:1:1: ASL000 configuration error: {tmp_path / message}\n"
    assert "Traceback" not in flake8.stderr


def test_project_that_is_not_a_table_only_loses_the_target_version(tmp_path):
    (tmp_path / "pyproject.toml").write_text('project = "x"\n')
    (tmp_path / "ok.py").write_bytes(DROP)
    done = asynclint(tmp_path, "--no-cache", "ok.py")
    assert done.stdout.decode() == FINDING
    assert done.returncode == 1


def test_a_broken_pyproject_in_a_parent_folder_is_skipped_with_a_warning(tmp_path):
    (tmp_path / "pyproject.toml").write_text("not toml [\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    (project / "ok.py").write_bytes(DROP)
    done = asynclint(project, "--no-cache", "ok.py")
    assert done.stdout.decode() == FINDING
    assert done.stderr.decode().startswith(
        f"asynclint: warning: {tmp_path / 'pyproject.toml'}: invalid TOML: Expected '=' after a key in a key/value pair"
        " (at line 1, column 5); ignoring it\n"
    )
    assert done.returncode == 1


@pytest.mark.slow
@pytest.mark.parametrize("packages", [False, True], ids=["folders", "packages"])
def test_folders_a_thousand_levels_deep(tmp_path, packages):
    (tmp_path / "pyproject.toml").write_text("")
    folder = os.fsencode(tmp_path)
    for _ in range(1000):  # os.makedirs itself recurses once per level: build it level by level
        folder = os.path.join(folder, b"d")
        os.mkdir(folder)
        if packages:
            open(os.path.join(folder, b"__init__.py"), "wb").close()
    with open(os.path.join(folder, b"ok.py"), "wb") as handle:
        handle.write(DROP)
    try:
        for cache in ((), ()):  # cold, then answered from the cache
            done = asynclint(tmp_path, *cache, ".", timeout=600)  # a 2,000-character path, a thousand times over
            assert done.stdout.decode() == "d/" * 1000 + FINDING
            assert done.returncode == 1, done.stderr
    finally:
        remove_deep_tree(os.path.join(os.fsencode(tmp_path), b"d"))


def remove_deep_tree(top: bytes) -> None:
    """Remove a folder tree without recursion (shutil.rmtree, and so pytest's own clean-up of old
    temporary folders, recurses once per level and fails on this one)."""
    pending, folders = [top], []
    while pending:
        folder = pending.pop()
        folders.append(folder)
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                else:
                    os.unlink(entry.path)
    for folder in reversed(folders):
        os.rmdir(folder)


# --- a file that exhausts memory costs that file only (issue 22, item 17) ---------------------

_SLEEPER = "import asyncio\nimport time\n\n\nasync def main():\n    time.sleep(1)\n"


@pytest.mark.slow
def test_out_of_memory_in_the_parser_costs_one_file_without_workers(tmp_path):
    """libcst's native parser aborts the process when an allocation fails: with `-j1` that was the
    whole run, with no output. A file that big is parsed in a process of its own."""
    import resource

    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "big.py").write_text("x = 1\n" * 400_000)  # 2.4 MB: about 2 GB to parse
    (tmp_path / "app.py").write_text(_SLEEPER)

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    done = subprocess.run(
        [sys.executable, "-m", "asynclint", "--no-cache", "--max-file-size", "0", "-j1", "."],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, preexec_fn=limit_memory,
    )
    assert done.stdout == (
        "app.py:6:5: ASL201 `time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`\n"
        "big.py:1:1: ASL001 not checked: the process parsing the file died (SIGABRT), most likely out of "
        "memory (libcst needs about 800 bytes per byte of source); lower max-file-size or exclude the file\n"
    ), done.stderr
    assert done.returncode == 2
    assert "memory allocation" not in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def isolate_everything(monkeypatch):
    from asynclint.run import isolation

    monkeypatch.setattr(isolation, "threshold", lambda: 10)  # every file in a process of its own


def test_a_file_checked_alone_gives_the_same_report_and_fix(tmp_path, isolate_everything):
    from asynclint.config.options import Settings
    from asynclint.run.runner import Mode, run

    (tmp_path / "app.py").write_text(_SLEEPER)
    settings = Settings(root=tmp_path, cache_dir="")
    [report] = run([str(tmp_path / "app.py")], settings, Mode.CHECK, jobs=1)
    assert [(f.code, f.line, f.column) for f in report.findings] == [("ASL201", 6, 5)]
    [report] = run([str(tmp_path / "app.py")], settings, Mode.FIX, jobs=1)
    assert [f.code for f in report.fixed] == ["ASL201"]
    assert (tmp_path / "app.py").read_text() == "import asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n"


def test_a_file_whose_process_dies_is_reported_and_the_run_goes_on(tmp_path, isolate_everything, monkeypatch):
    from asynclint.config.options import Settings
    from asynclint.run import runner

    for name in ("a.py", "b.py", "c.py", "d.py", "e.py"):
        (tmp_path / name).write_text(_SLEEPER if name != "c.py" else "x = 1\n" * 3)
    real = runner._task

    def crash_on_c(task):
        if task[0].endswith("c.py"):
            os.abort()  # as libcst's parser does when an allocation fails
        return real(task)

    monkeypatch.setattr(runner, "_task", crash_on_c)
    reports = runner.run(sorted(str(p) for p in tmp_path.glob("*.py")), Settings(root=tmp_path, cache_dir=""), runner.Mode.CHECK, jobs=2)
    assert [(os.path.basename(r.path), [f.code for f in r.findings], [e.code for e in r.errors]) for r in reports] == [
        ("a.py", ["ASL201"], []), ("b.py", ["ASL201"], []), ("c.py", [], ["ASL001"]),
        ("d.py", ["ASL201"], []), ("e.py", ["ASL201"], []),
    ]
    assert reports[2].errors[0].message.startswith("not checked: the process parsing the file died (SIGABRT)")


def test_the_isolation_threshold_follows_the_memory_limit(monkeypatch):
    import resource

    from asynclint.run import isolation

    monkeypatch.setattr(resource, "getrlimit", lambda which: (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    assert isolation.threshold() == isolation.ISOLATE_BYTES == 1_000_000
    monkeypatch.setattr(resource, "getrlimit", lambda which: (800_000_000, resource.RLIM_INFINITY))
    assert isolation.threshold() == 500_000  # 800 bytes per byte of source, twice over
