"""Security: the checked project's code never runs, the cache is data only, no network."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from asynclint import cache

_PLANTED = "import pathlib\npathlib.Path({marker!r}).write_text('ran')\nimport asyncio\nasync def f():\n    asyncio.create_task(g())\n"
_FINDING = "ASL301 task from `asyncio.create_task()` is dropped"


@pytest.fixture
def planted(tmp_path):
    """A project whose every module writes a marker file when imported or run."""
    marker = tmp_path / "MARKER"
    for name in ("conftest.py", "setup.py", "pkg/__init__.py", "pkg/mod.py", "tests/conftest.py"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(_PLANTED.format(marker=str(marker)))
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\n")
    return marker


def test_cli_never_imports_the_checked_code(planted, run):
    before = set(sys.modules)
    code, out, _ = run("--fix", "--unsafe-fixes", ".")  # checking, fixing and compiling the fix
    assert code == 0
    assert not planted.exists()
    assert {m for m in set(sys.modules) - before if m.split(".")[0] in ("pkg", "conftest", "setup", "tests")} == set()
    code, out, _ = run("--no-cache", ".")
    assert code == 0 and not planted.exists()


@pytest.mark.slow
def test_flake8_never_imports_the_checked_code(planted, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "."],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert out.stdout.count(_FINDING) == 5, out
    assert not planted.exists()


# --- the cache ----------------------------------------------------------------------------------


def _entries(root: Path) -> list[Path]:
    return sorted((root / ".asynclint_cache" / "summaries").glob("*/*.json"))


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda entry: "not json {", "unreadable: JSONDecodeError"),
        (lambda entry: json.dumps([1, 2]), "not a module summary"),
        (lambda entry: json.dumps({**entry, "functions": {"save": ["async"]}}), "wrong type of functions"),
        (lambda entry: json.dumps({**entry, "module": "elsewhere"}), "describes module 'elsewhere', not 'api'"),
    ],
    ids=["not-json", "not-a-summary", "wrong-type", "other-module"],
)
def test_tampered_cache_entry_is_ignored_with_a_warning(write, run, tmp_path, monkeypatch, tamper, reason):
    write("pyproject.toml", "[tool.asynclint]\n")
    write("api.py", "async def save():\n    ...\n")
    write("a.py", "from api import save\ndef f():\n    save()\n")
    expected = run(".")  # fills the cache with both summaries
    assert expected[1].startswith("a.py:3:5: ASL101")
    [entry_path] = [p for p in _entries(tmp_path) if json.loads(p.read_text())["module"] == "api"]
    entry_path.write_text(tamper(json.loads(entry_path.read_text())))
    monkeypatch.setattr(cache, "_warned", False)
    # Only project files the run is not asked about come from the cache: check a.py alone.
    code, out, err = run("a.py")
    assert (code, out) == (1, expected[1])
    assert f"asynclint: warning: ignoring the invalid cache entry {entry_path} ({reason}); it is recomputed" in err
    assert json.loads(entry_path.read_text())["module"] == "api"  # rewritten with the true summary


def test_cache_holds_json_only(write, run, tmp_path):
    write("pyproject.toml", "[tool.asynclint]\n")
    write("a.py", "async def f():\n    ...\n")
    run(".")
    entries = _entries(tmp_path)
    assert entries
    for path in entries:
        assert isinstance(json.loads(path.read_text()), dict)


# --- the network --------------------------------------------------------------------------------


def test_no_network_access(planted, run, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access is not allowed in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    code, out, _ = run("--no-cache", "--output-format", "sarif", ".")
    assert code == 1 and out.count('"ruleId": "ASL301"') == 5
    assert attempts == []
