"""The built wheel carries the rule catalogue, and an installed copy loads it from site-packages."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_rules_and_loads_them(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = dist.glob("asynclint-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "asynclint/rules/tasks.toml" in names
    assert any(n.endswith("entry_points.txt") for n in names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[flake8.extension]\nASL = asynclint.frontends.flake8_plugin:AsyncLintPlugin" in entry_points
    # Every module of the source tree is in the wheel (a layer folder missing from the
    # package list in pyproject.toml would be left out silently).
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "asynclint").rglob("*.py")}
    assert sources <= set(names), sorted(sources - set(names))
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT\n" in metadata
    assert "License-File: LICENSE\n" in metadata
    assert "Classifier: Programming Language :: Python :: 3.10\n" in metadata

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )
    probe = (
        "import asynclint, asynclint.knowledge.catalogue as c; "
        "print(asynclint.__file__); print(sorted(c.tasks().functions)[0])"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith(str(target))
    assert out[1] == "asyncio.create_task"
