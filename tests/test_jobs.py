"""How many processes a run uses when --jobs is not given (issue #23): chosen from the work."""

from concurrent.futures import Future
from typing import ClassVar

import pytest

from asynclint.frontends import cli
from asynclint.run import runner
from asynclint.run.runner import PROCESS_BYTES, jobs_for

KB = 1000


@pytest.mark.parametrize(
    ("sizes", "cpus", "expected"),
    [
        ([], 8, 1),  # nothing to read
        ([50 * KB] * 10, 2, 1),  # aiosqlite's size: far below one process's worth
        ([PROCESS_BYTES - 1], 4, 1),
        ([PROCESS_BYTES // 2] * 3, 4, 1),  # 1.5 processes' worth: still one
        ([PROCESS_BYTES // 2] * 4, 4, 2),  # exactly two processes' worth
        ([PROCESS_BYTES] * 3, 2, 2),  # capped by the CPUs
        ([PROCESS_BYTES] * 3, 1, 1),
        ([PROCESS_BYTES * 10, 10], 8, 2),  # never more than the files
        ([PROCESS_BYTES] * 100, 8, 8),
        ([PROCESS_BYTES * 5 // 2] * 2, 8, 2),  # two big files: two processes
        ([PROCESS_BYTES] * 5, 8, 5),
    ],
)
def test_jobs_for(sizes, cpus, expected):
    assert jobs_for(sizes, cpus) == expected


class _Pool:
    """A stand-in for ProcessPoolExecutor that runs tasks in this process and records how it was
    asked to start (no process is forked, no time is measured)."""

    started: ClassVar[list[int]] = []

    def __init__(self, max_workers, initializer, initargs):
        self.started.append(max_workers)
        initializer(*initargs)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, function, *args):
        future: Future = Future()
        future.set_result(function(*args))
        return future


@pytest.fixture
def pools(monkeypatch):
    started: ClassVar[list[int]] = []
    monkeypatch.setattr(_Pool, "started", started)
    monkeypatch.setattr(runner, "ProcessPoolExecutor", _Pool)
    monkeypatch.setattr(runner, "default_jobs", lambda: 4)  # as if on four CPUs
    return started


def _project(tmp_path, monkeypatch, count):
    (tmp_path / "pyproject.toml").write_text("")
    for n in range(count):
        (tmp_path / f"m{n}.py").write_text("import asyncio\n\nasync def f():\n    asyncio.create_task(f())\n")
    monkeypatch.chdir(tmp_path)


def test_default_stays_in_one_process_for_a_small_project(tmp_path, monkeypatch, capsys, pools):
    _project(tmp_path, monkeypatch, 8)
    assert cli.main(["--no-cache", "."]) == 1
    assert capsys.readouterr().out.count("ASL301") == 8
    assert pools == []  # no pool: read in this process


def test_explicit_jobs_is_obeyed_for_a_small_project(tmp_path, monkeypatch, capsys, pools):
    _project(tmp_path, monkeypatch, 8)
    assert cli.main(["--no-cache", "--jobs", "3", "."]) == 1
    assert capsys.readouterr().out.count("ASL301") == 8
    assert pools == [3]


def test_default_uses_processes_when_the_work_pays_for_them(tmp_path, monkeypatch, capsys, pools):
    _project(tmp_path, monkeypatch, 8)
    size = (tmp_path / "m0.py").stat().st_size
    monkeypatch.setattr(runner, "PROCESS_BYTES", size * 3)  # 8 files: two processes' worth and some
    assert cli.main(["--no-cache", "."]) == 1
    assert capsys.readouterr().out.count("ASL301") == 8
    assert pools == [2]


def test_files_read_only_for_the_index_count_for_less(tmp_path, monkeypatch, capsys, pools):
    _project(tmp_path, monkeypatch, 8)
    size = (tmp_path / "m0.py").stat().st_size
    monkeypatch.setattr(runner, "PROCESS_BYTES", size * 3)
    # One file checked and seven read for the index: 1 + 7 * 0.6 = 5.2 files' worth, one process.
    assert cli.main(["--no-cache", "m0.py"]) == 1
    assert capsys.readouterr().out.count("ASL301") == 1
    assert pools == []
    # Checked, the same eight files are two processes' worth (the test above).
    cli.main(["--no-cache", *(f"m{n}.py" for n in range(8))])
    assert pools == [2]


@pytest.mark.parametrize(("auto", "n_jobs", "expected"), [(True, 0, None), (False, 3, 3), (False, 1, 1)])
def test_flake8_jobs(tmp_path, monkeypatch, auto, n_jobs, expected):
    """flake8's default `--jobs auto` lets asynclint choose; a number is obeyed."""
    from types import SimpleNamespace

    from asynclint.config.options import Settings
    from asynclint.frontends import flake8_plugin

    seen = []
    monkeypatch.setattr(flake8_plugin, "_project_of", lambda settings, path, jobs: seen.append(jobs))
    monkeypatch.setattr(flake8_plugin.gc, "freeze", lambda: None)
    monkeypatch.setattr(flake8_plugin.AsyncLintPlugin, "active", True)
    monkeypatch.setattr(flake8_plugin.AsyncLintPlugin, "settings", Settings(root=tmp_path))
    jobs = SimpleNamespace(is_auto=auto, n_jobs=n_jobs)
    flake8_plugin.AsyncLintPlugin._check_ahead(SimpleNamespace(jobs=jobs, filenames=[str(tmp_path)]))
    assert seen == [expected]
