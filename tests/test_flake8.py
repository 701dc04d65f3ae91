"""The flake8 plugin and the CLI give identical findings from the same engine."""

import shutil
import subprocess
import sys

import pytest

from tests.conftest import FIXTURES

PROJECT = FIXTURES / "project"


def _flake8(args, cwd):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--format", "%(path)s:%(row)d:%(col)d: %(code)s %(text)s", *args],
        cwd=cwd, capture_output=True, text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    return sorted(line.removeprefix("./") for line in proc.stdout.splitlines())


def _cli(args, cwd, *, unused_noqa=False):
    """The command line's findings, sorted; without ASL530 (unused noqa codes) unless asked:
    flake8 applies noqa itself, so the plugin leaves that rule out on purpose."""
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", *args], cwd=cwd, capture_output=True, text=True
    )
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(line for line in proc.stdout.splitlines() if unused_noqa or ": ASL530 " not in line)


@pytest.mark.slow
def test_flake8_and_cli_agree_on_fixture_project(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    from_flake8 = _flake8(["pkg"], project)
    from_cli = _cli(["pkg"], project)
    assert from_flake8 == from_cli
    # The command line also says the ASL302 of service.py's noqa comment silences nothing.
    assert [line for line in _cli(["pkg"], project, unused_noqa=True) if line not in from_cli] == [
        "pkg/service.py:22:49: ASL530 `# noqa` lists codes that silence nothing (unused: `ASL302`)"
    ]
    # The fixture covers noqa, per-file-ignores from pyproject, and a clean file.
    assert [line.split(": ")[1].split()[0] for line in from_cli] == ["ASL301", "ASL301", "ASL302", "ASL301", "ASL301"]
    assert from_cli[0].startswith("pkg/ignored.py:6:5: ASL301")
    assert not any("clean.py" in line for line in from_cli)


@pytest.mark.slow
def test_flake8_config_accepts_asl_codes(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    (project / "setup.cfg").write_text("[flake8]\nextend-ignore = ASL301\nper-file-ignores =\n    pkg/ignored.py:ASL302\n")
    lines = _flake8(["pkg"], project)
    assert lines and all(" ASL302 " in line for line in lines)


@pytest.mark.slow
def test_flake8_option_from_the_options_table(tmp_path):
    (tmp_path / "a.py").write_text("import mylib\n\n\nasync def main():\n    mylib.spawn(work())\n")
    assert _flake8(["a.py"], tmp_path) == []
    lines = _flake8(["--asynclint-extend-task-spawners", "mylib.spawn", "a.py"], tmp_path)
    assert [line.split(": ")[1][:6] for line in lines] == ["ASL301"]
    assert _cli(["--extend-task-spawners", "mylib.spawn", "a.py"], tmp_path) == lines


@pytest.mark.slow
def test_flake8_reports_bad_asynclint_config_without_crashing(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\nselect = ['NOPE']\n")
    (tmp_path / "a.py").write_text("x = 1\n")
    lines = _flake8(["a.py"], tmp_path)
    assert lines == ["a.py:1:1: ASL000 configuration error: " + str(tmp_path / "pyproject.toml") + " [tool.asynclint]: select: unknown rule code or prefix 'NOPE'"]


@pytest.mark.slow
def test_flake8_disable_noqa_and_stdin_check_the_text_itself(tmp_path):
    # The plugin takes each file's report from the project run, except when flake8 must see what
    # `# noqa` hides (--disable-noqa) or checks text that is not the file on disk (stdin).
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    source = "async def save():\n    ...\n\n\nasync def main():\n    save()  # noqa: ASL101\n"
    (tmp_path / "app.py").write_text(source)
    assert _flake8(["app.py"], tmp_path) == []
    assert [line.split(": ")[1][:6] for line in _flake8(["--disable-noqa", "app.py"], tmp_path)] == ["ASL101"]
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--stdin-display-name", "app.py", "-"],
        cwd=tmp_path, input=source.replace("  # noqa: ASL101", ""), capture_output=True, text=True,
    )
    assert [line.split(": ")[0] for line in proc.stdout.splitlines()] == ["app.py:6:5"], proc.stderr


@pytest.mark.slow
def test_flake8_and_cli_agree_on_blocking_calls(tmp_path):
    # The example project's ASL2xx findings depend on other modules (an imported constant, a
    # property of a class in another module, a helper chain): both front ends see them.
    project = tmp_path / "examples"
    shutil.copytree(FIXTURES.parent.parent / "examples", project)
    from_flake8 = _flake8(["--select", "ASL2", "chat_service"], project)
    # (the example's own config extends the selection with opt-in rules: compare the ASL2 part)
    assert from_flake8 == [line for line in _cli(["--select", "ASL2", "chat_service"], project) if ": ASL2" in line]
    assert any(" ASL209 " in line for line in from_flake8)
    assert any("self.paths.archive.exists()" in line for line in from_flake8)


@pytest.mark.slow
def test_flake8_extend_blocking_calls(tmp_path):
    (tmp_path / "a.py").write_text("import legacy\n\n\nasync def main():\n    legacy.fetch()\n")
    assert _flake8(["a.py"], tmp_path) == []
    lines = _flake8(["--asynclint-extend-blocking-calls", "legacy.fetch=http", "a.py"], tmp_path)
    assert [line.split(": ")[1][:6] for line in lines] == ["ASL202"]
    assert _cli(["--extend-blocking-calls", "legacy.fetch=http", "a.py"], tmp_path) == lines


@pytest.mark.slow
def test_flake8_parallel_workers_agree_with_the_cli(tmp_path):
    # With -j 2 the project is checked once in flake8's main process (with two processes of our
    # own) and flake8's forked workers look the reports up.
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    assert _flake8(["-j", "2", "pkg"], project) == _cli(["pkg"], project)


@pytest.mark.slow
def test_flake8_selecting_other_codes_costs_nothing(tmp_path):
    # `flake8 --select E` leaves the plugin nothing to report: it checks nothing, so it writes no
    # cache either; selecting any ASL prefix turns it back on.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "app.py").write_text("async def save():\n    ...\n\n\nasync def main():\n    save()\nx=1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "E225", "--format", "%(code)s", "app.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert proc.stdout.split() == ["E225"], proc.stderr
    assert not (tmp_path / ".asynclint_cache").exists()
    assert [line.split(": ")[1].split()[0] for line in _flake8(["--select", "E225,AS", "app.py"], tmp_path)] == ["ASL101", "E225"]
    assert (tmp_path / ".asynclint_cache").exists()


@pytest.mark.slow
def test_flake8_leaves_unused_noqa_alone(tmp_path):
    # flake8 applies noqa itself: ASL530 (unused noqa codes), which the command line reports from
    # the same project run, is never handed to flake8, nor made on the --disable-noqa path.
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "app.py").write_text("x = 1  # noqa: ASL501, ASL999\n")
    assert [line.split(": ")[1][:6] for line in _cli(["app.py"], tmp_path, unused_noqa=True)] == ["ASL530"]
    assert _flake8(["app.py"], tmp_path) == []
    assert _flake8(["--disable-noqa", "app.py"], tmp_path) == []
