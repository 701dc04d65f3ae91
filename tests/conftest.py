import textwrap
from pathlib import Path

import pytest

from asynclint.frontends.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
# Fixture projects hold tests of their own (inputs for asynclint), not tests of asynclint.
collect_ignore = ["fixtures"]


@pytest.fixture(autouse=True)
def _no_color_from_the_environment(monkeypatch):
    """Output is compared byte for byte: a developer's FORCE_COLOR must not paint it."""
    for name in ("FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def write(tmp_path):
    """Write a dedented file under tmp_path and return its path."""

    def _write(name: str, text: str, *, encoding: str = "utf-8", raw: bytes | None = None) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if raw is not None:
            path.write_bytes(raw)
        else:
            path.write_bytes(textwrap.dedent(text).lstrip("\n").encode(encoding))
        return path

    return _write


@pytest.fixture
def run(tmp_path, monkeypatch, capsys):
    """Run the CLI in tmp_path; return (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def _run(*args: str, stdin: bytes | None = None):
        if stdin is not None:
            import io
            import sys

            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(["--jobs", "1", *args]) if args[:1] != ("rule",) else main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


STORE = "async def save(record):\n    return record\n"


@pytest.fixture
def store_project(tmp_path):
    """A project whose `pkg.store.save` is a coroutine function, for calls across modules."""
    (tmp_path / "pyproject.toml").write_text("")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "store.py").write_text(STORE)
    return tmp_path
