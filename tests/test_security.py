"""Security: the checked project's code never runs, the cache is data only, no network."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from asynclint.run import cache

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


def _manifest(root: Path) -> Path:
    [found] = (root / ".asynclint_cache").glob("files-*.json")
    return found


def _api(manifest: dict) -> str:
    [path] = [p for p, entry in manifest["files"].items() if entry["module"][0] == "api"]
    return path


def _with_api(change):
    def tamper(manifest):
        path = _api(manifest)
        manifest["files"][path] = change(manifest["files"][path])
        return json.dumps(manifest)
    return tamper


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda manifest: "not json {", "unreadable: not JSON"),
        (lambda manifest: json.dumps([1, 2]), "not a manifest"),
        (_with_api(lambda entry: [1, 2]), "not a file entry"),
        (_with_api(lambda entry: {**entry, "summary": {**entry["summary"], "functions": {"save": ["async"]}}}),
         "wrong type of a value"),
        (_with_api(lambda entry: {**entry, "summary": {**entry["summary"], "module": "elsewhere"}}),
         "describes module 'elsewhere', not 'api'"),
        (_with_api(lambda entry: {**entry, "names": "save"}), "wrong type of names"),
    ],
    ids=["not-json", "not-a-manifest", "not-an-entry", "wrong-type", "other-module", "names"],
)
def test_tampered_cache_entry_is_ignored_with_a_warning(write, run, tmp_path, monkeypatch, tamper, reason):
    write("pyproject.toml", "[tool.asynclint]\n")
    write("api.py", "async def save():\n    ...\n")
    write("a.py", "from api import save\ndef f():\n    save()\n")
    expected = run(".")  # fills the cache: the manifest holds both files
    assert expected[1].startswith("a.py:3:5: ASL101")
    manifest = _manifest(tmp_path)
    manifest.write_text(tamper(json.loads(manifest.read_text())))
    monkeypatch.setattr(cache, "_warned", False)
    # Only project files the run is not asked about come from the cache: check a.py alone.
    code, out, err = run("a.py")
    assert (code, out) == (1, expected[1])
    assert "asynclint: warning: ignoring the invalid cache entry " in err and f"({reason}); it is recomputed" in err
    repaired = json.loads(manifest.read_text())
    assert repaired["files"][_api(repaired)]["summary"]["module"] == "api"  # rewritten with the true summary


def _a_line_of(manifest: dict, line) -> str:
    [path] = [p for p, entry in manifest["files"].items() if entry["module"][0] == "a"]
    manifest["files"][path]["decided"][1]["findings"][0][3] = "LINE"  # the finding the index confirmed
    return json.dumps(manifest).replace('"LINE"', line)


def _decorators(manifest: dict) -> str:
    path = _api(manifest)
    manifest["files"][path]["summary"]["decorators"] = {"api.save": "bogus"}
    return json.dumps(manifest)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda manifest: _a_line_of(manifest, "1e400"), "unreadable: number out of range: 1e400"),
        (lambda manifest: _a_line_of(manifest, "NaN"), "unreadable: not a number: NaN"),
        (lambda manifest: "[" * 100_000 + "]" * 100_000, "unreadable: nested too deeply"),
        (_decorators, "wrong type of a value"),
    ],
    ids=["huge-number", "nan", "deep-nesting", "decorator-kind"],
)
def test_damaged_cache_entries_never_crash_a_run(write, run, tmp_path, monkeypatch, tamper, reason):
    write("pyproject.toml", "[tool.asynclint]\n")
    write("api.py", "async def save():\n    ...\n")
    write("a.py", "from api import save\ndef f():\n    save()\n")
    expected = run(".")
    manifest = _manifest(tmp_path)
    manifest.write_text(tamper(json.loads(manifest.read_text())))
    for _ in range(2):  # and the run after it, from the rewritten cache
        monkeypatch.setattr(cache, "_warned", False)
        code, out, err = run(".")
        assert (code, out) == (1, expected[1])
    assert "Traceback" not in err


def test_a_fifo_in_place_of_the_manifest_does_not_hang_the_run(write, run, tmp_path, monkeypatch):
    write("pyproject.toml", "[tool.asynclint]\n")
    write("a.py", "import asyncio\nasync def f():\n    asyncio.sleep(1)\n")
    expected = run(".")
    manifest = _manifest(tmp_path)
    manifest.unlink()
    os.mkfifo(manifest)
    monkeypatch.setattr(cache, "_warned", False)
    code, out, err = run(".")
    assert (code, out) == (1, expected[1])
    assert f"ignoring the invalid cache entry {manifest} (unreadable: not a regular file)" in err


def test_tampered_summary_store_entry_is_ignored_with_a_warning(write, run, tmp_path, monkeypatch):
    # The summary store (shared with the flake8 plugin) is read when the manifest has no entry.
    write("pyproject.toml", "[tool.asynclint]\n")
    write("api.py", "async def save():\n    ...\n")
    write("a.py", "from api import save\ndef f():\n    save()\n")
    expected = run(".")
    [entry_path] = [p for p in _entries(tmp_path) if json.loads(p.read_text())["module"] == "api"]
    entry_path.write_text(json.dumps({**json.loads(entry_path.read_text()), "module": "elsewhere"}))
    _manifest(tmp_path).unlink()
    monkeypatch.setattr(cache, "_warned", False)
    code, out, err = run("a.py")
    assert (code, out) == (1, expected[1])
    assert f"ignoring the invalid cache entry {entry_path} (describes module 'elsewhere', not 'api')" in err


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
