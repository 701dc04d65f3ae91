"""`target-version`: inferred from `requires-python`, overridden by config and command line; and
opt-in rules, which only an exact code turns on."""

import json
import subprocess
import sys

import pytest

from asynclint.config.options import target_from_requires

MODULE_LOOP = "import asyncio\n\nloop = asyncio.get_event_loop()\n"
UNUSED_ASYNC = "async def _total(items):\n    return sum(items)\n\n\nasync def main():\n    await _total([])\n"


@pytest.mark.parametrize(
    ("requires", "target"),
    [
        (">=3.11", "py311"),
        (">3.9", "py310"),
        ("~=3.8", "py38"),
        (">=3.9, <4", "py39"),
        (">=3.9,!=3.10.*,>=3.10", "py310"),
        ("==3.12.*", "py312"),
        (">=2.7", "py37"),
        (">=3.20", "py314"),
        ("<4", None),
        ("", None),
        (3.11, None),
    ],
)
def test_target_from_requires_python(requires, target):
    assert target_from_requires(requires) == target


def _codes(run, *args):
    code, out, err = run("--output-format", "json", *args)
    assert code in (0, 1), err
    return [f["code"] for f in json.loads(out)]


@pytest.mark.parametrize(
    ("pyproject", "args", "codes"),
    [
        ("", (), []),  # no pyproject: py310, before the 3.12 deprecation
        ('[project]\nrequires-python = ">=3.12"\n', (), ["ASL509"]),
        ('[project]\nrequires-python = ">=3.11"\n', (), []),
        ('[project]\nrequires-python = ">=3.11"\n[tool.asynclint]\ntarget-version = "py313"\n', (), ["ASL509"]),
        ('[project]\nrequires-python = ">=3.12"\n[tool.asynclint]\nselect = ["ASL5"]\n', (), ["ASL509"]),
        ('[project]\nrequires-python = ">=3.12"\n', ("--target-version", "py311"), []),
    ],
    ids=["default", "inferred-312", "inferred-311", "config-wins", "inferred-with-config-table", "command-line-wins"],
)
def test_target_version_sources(write, run, pyproject, args, codes):
    if pyproject:
        write("pyproject.toml", pyproject)
    write("a.py", MODULE_LOOP)
    assert _codes(run, *args, "a.py") == codes


def test_bad_target_version_is_a_clear_error(write, run):
    write("pyproject.toml", '[tool.asynclint]\ntarget-version = "3.12"\n')
    write("a.py", MODULE_LOOP)
    code, out, err = run("a.py")
    assert code == 2 and out == ""
    assert "target-version: expected one of py37, py38" in err and "got '3.12'" in err


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        ((), []),
        (("--select", "ASL5"), []),
        (("--select", "ALL"), []),
        (("--select", "ASL514"), ["ASL514"]),
        (("--extend-select", "ASL514"), ["ASL514"]),
        (("--extend-select", "ASL514", "--ignore", "ASL514"), []),
    ],
    ids=["default", "prefix", "all", "exact-select", "exact-extend-select", "ignored"],
)
def test_opt_in_rule_needs_its_exact_code(write, run, args, codes):
    write("a.py", UNUSED_ASYNC)
    assert _codes(run, *args, "a.py") == codes


@pytest.mark.slow
def test_flake8_target_version_option(tmp_path):
    (tmp_path / "a.py").write_text(MODULE_LOOP)

    def flake8(*args):
        proc = subprocess.run(
            [sys.executable, "-m", "flake8", "--select", "ASL", *args, "a.py"],
            cwd=tmp_path, capture_output=True, text=True,
        )
        assert "Traceback" not in proc.stderr
        return [line.split()[1] for line in proc.stdout.splitlines()]

    assert flake8() == []
    assert flake8("--asynclint-target-version", "py312") == ["ASL509"]
