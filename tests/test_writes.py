"""What --fix and the cache write, and where: nothing lost, nothing written outside the project.

Each test reproduces a failure seen in the fault and hostile-repository audit.
"""

import os
import subprocess
import sys

import pytest

from asynclint.config.options import Settings
from asynclint.run.runner import Mode, check_source
from asynclint.engine.source import read_source

APP = "from pkg.store import save\n\n\nasync def handle(record):\n    save(record)\n"
APP_FIXED = APP.replace("    save(record)", "    await save(record)")
FINDING = "pkg/app.py:5:5: ASL101 `save()` returns a coroutine that is never awaited, so it never runs\n"


@pytest.fixture
def project(store_project):
    (store_project / "pkg" / "app.py").write_text(APP)
    return store_project


def asynclint(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", *args],
        capture_output=True, text=True, cwd=cwd, timeout=60,
    )


# --- a fix that cannot be written keeps the findings ------------------------------------------


def test_read_only_file_keeps_its_cross_module_finding(project):
    app = project / "pkg" / "app.py"
    app.chmod(0o444)
    done = asynclint(project, "--fix", "--no-cache", "pkg/app.py")
    assert done.stdout == "pkg/app.py:1:1: E902 not fixed: the file is read-only\n" + FINDING
    assert done.returncode == 2
    assert app.read_text() == APP


def test_file_changed_meanwhile_keeps_its_cross_module_finding(project):
    from asynclint.run.runner import check_project

    settings = Settings(root=project, cache_dir="")
    path = str(project / "pkg" / "app.py")
    _, index = check_project([path], settings, jobs=1, project_files=[str(project / "pkg" / "store.py")])
    source = read_source(path)
    (project / "pkg" / "app.py").write_text(APP + "# edited in the editor meanwhile\n")
    report = check_source(path, source, settings, Mode.FIX, write=True, index=index)
    assert [(f.code, f.line, f.column) for f in report.findings] == [("ASL101", 5, 5)]
    assert [e.message for e in report.errors] == ["not fixed: the file changed on disk while it was being checked"]
    assert report.fixed == []
    assert (project / "pkg" / "app.py").read_text().endswith("# edited in the editor meanwhile\n")


# --- links --------------------------------------------------------------------------------------


def test_fix_writes_through_a_symlink_and_keeps_the_link(project):
    real = project / "pkg" / "real_app.py"
    (project / "pkg" / "app.py").rename(real)
    (project / "pkg" / "app.py").symlink_to("real_app.py")
    done = asynclint(project, "--fix", "--no-cache", "pkg/app.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (project / "pkg" / "app.py").is_symlink()
    assert real.read_text() == APP_FIXED


def test_fix_refuses_a_symlink_out_of_the_project(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("elsewhere") / "victim.py"
    outside.write_text(APP)
    (project / "pkg" / "app.py").unlink()
    (project / "pkg" / "app.py").symlink_to(outside)
    done = asynclint(project, "--fix", "--no-cache", "pkg/app.py")
    assert done.stdout == (
        f"pkg/app.py:1:1: E902 not fixed: the file is a symbolic link to {outside.resolve()}, outside the project\n"
    ) + FINDING
    assert done.returncode == 2
    assert outside.read_text() == APP


def test_fix_keeps_hard_links(project):
    app = project / "pkg" / "app.py"
    twin = project / "twin.py"
    os.link(app, twin)
    done = asynclint(project, "--fix", "--no-cache", "pkg/app.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert twin.read_text() == APP_FIXED
    assert os.stat(app).st_ino == os.stat(twin).st_ino


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_fix_keeps_the_owner(project):
    app = project / "pkg" / "app.py"
    os.chown(app, 4321, 4321)
    done = asynclint(project, "--fix", "--no-cache", "pkg/app.py")
    assert done.returncode == 0, done.stdout + done.stderr
    info = os.stat(app)
    assert (info.st_uid, info.st_gid) == (4321, 4321)
    assert app.read_text() == APP_FIXED


# --- the cache stays where it belongs -------------------------------------------------------------


def test_cache_dir_holding_the_sources_is_refused(project):
    (project / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = "."\n')
    first = asynclint(project, ".")
    assert "asynclint: warning: not using the cache folder" in first.stderr
    assert not (project / ".gitignore").exists()
    second = asynclint(project, ".")
    assert second.stdout == FINDING
    assert second.returncode == 1


def test_cache_dir_pointing_at_a_source_folder_is_refused(project):
    (project / "pyproject.toml").write_text('[tool.asynclint]\ncache-dir = "pkg"\n')
    asynclint(project, ".")
    assert not (project / "pkg" / ".gitignore").exists()
    assert asynclint(project, ".").stdout == FINDING


@pytest.mark.parametrize("absolute", [False, True], ids=["climbing-out", "absolute"])
def test_repository_config_cannot_put_the_cache_outside_the_project(project, tmp_path_factory, absolute):
    target = tmp_path_factory.mktemp("outside") / "cache"
    cache_dir = str(target) if absolute else os.path.relpath(target, project)
    (project / "pyproject.toml").write_text(f'[tool.asynclint]\ncache-dir = "{cache_dir}"\n')
    done = asynclint(project, ".")
    assert done.stdout == FINDING
    assert "it is not inside the project" in done.stderr
    assert not target.exists()


def test_committed_cache_symlink_is_not_followed(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (project / ".asynclint_cache").symlink_to(elsewhere)
    done = asynclint(project, ".")
    assert done.stdout == FINDING
    assert "a symbolic link is on its way" in done.stderr or "it is not a folder" in done.stderr
    assert list(elsewhere.iterdir()) == []


def test_dangling_gitignore_symlink_in_the_cache_is_not_followed(project, tmp_path_factory):
    victim = tmp_path_factory.mktemp("elsewhere") / "created"
    cache = project / ".asynclint_cache"
    cache.mkdir()
    (cache / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    (cache / ".gitignore").symlink_to(victim)
    done = asynclint(project, ".")
    assert done.stdout == FINDING
    assert not victim.exists()


def test_cache_dir_from_the_command_line_may_be_outside(project, tmp_path_factory):
    outside = tmp_path_factory.mktemp("user-cache") / "cache"
    done = asynclint(project, "--cache-dir", str(outside), ".")
    assert done.stdout == FINDING
    assert (outside / "CACHEDIR.TAG").is_file()
    assert (outside / ".gitignore").read_text() == "# created by asynclint\n*\n"


def test_cache_dir_from_the_environment_may_be_outside(project, tmp_path_factory, monkeypatch):
    outside = tmp_path_factory.mktemp("env-cache") / "cache"
    monkeypatch.setenv("ASYNCLINT_CACHE_DIR", str(outside))
    assert asynclint(project, ".").stdout == FINDING
    assert (outside / "CACHEDIR.TAG").is_file()


def test_failed_cache_writes_leave_no_temporary_files(project, monkeypatch):
    # A full disk: every write of a cache document fails after its temporary file was made.
    import json

    from asynclint.run import cache
    from asynclint.run.runner import check_project

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dump", full)
    settings = Settings(root=project)
    files = [str(p) for p in sorted(project.rglob("*.py"))]
    reports, _ = check_project(files, settings, jobs=1)
    assert [f.code for r in reports for f in r.findings] == ["ASL101"]
    left = [p for p in (project / ".asynclint_cache").rglob("*") if p.name.endswith(".tmp")]
    assert left == []
    assert cache.TAG_NAME in os.listdir(project / ".asynclint_cache")
