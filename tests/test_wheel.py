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


@pytest.mark.slow
def test_sdist_leaves_the_tests_out_on_purpose_and_builds_a_working_wheel(tmp_path):
    # The suite needs the whole repository (fixtures, examples, docs): the sdist holds none of
    # it, rather than test modules that fail for want of their files (MANIFEST.in says why).
    import tarfile

    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--sdist", "-o", str(dist), str(ROOT)], check=True, capture_output=True)
    (sdist,) = dist.glob("asynclint-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert not [name for name in names if name.startswith("tests")]
    assert {"README.md", "LICENSE", "pyproject.toml", "MANIFEST.in", "rules/tasks.toml"} <= names
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "asynclint").rglob("*.py")}
    assert sources <= names, sorted(sources - names)
    # What the sdist holds is enough to build the wheel, and that wheel runs.
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(sdist)],
        check=True, capture_output=True,
    )
    (wheel,) = wheels.glob("asynclint-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )
    (tmp_path / "a.py").write_text("import asyncio\n\n\nasync def main():\n    asyncio.create_task(work())\n")
    done = subprocess.run(
        [sys.executable, "-c", "from asynclint.frontends.cli import main; raise SystemExit(main(['--no-cache', '-q', 'a.py']))"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True,
    )
    assert (done.returncode, done.stdout[:18]) == (1, "a.py:5:5: ASL301 t"), done.stderr
