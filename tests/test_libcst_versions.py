"""asynclint on the lowest libcst pyproject.toml declares and on the newest: the same findings.

asynclint uses a private piece of libcst (asynclint/engine/libcst_access.py), so the bound in
pyproject.toml is only as good as this test. Each case installs that libcst in a fresh virtual
environment (from PyPI, as .ci/run installs everything) and checks the bundled examples.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _lowest_declared() -> str:
    pyproject = (ROOT / "pyproject.toml").read_text()
    return re.search(r'"libcst>=([0-9.]+),<', pyproject).group(1)


def _other_dependencies() -> list[str]:
    """pyproject.toml's runtime dependencies but libcst, so the case installs what a user gets."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [dependency for dependency in declared if not dependency.startswith("libcst")]


@pytest.mark.slow
@pytest.mark.parametrize("requirement", [f"libcst=={_lowest_declared()}", "libcst"], ids=["lowest", "newest"])
def test_examples_give_the_expected_findings(tmp_path, requirement):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, requirement, *_other_dependencies()], check=True, capture_output=True)
    subprocess.run([*pip, "--no-deps", str(ROOT)], check=True, capture_output=True)
    for plain in ("", "1"):  # with asynclint's libcst tricks, and without them
        done = subprocess.run(
            [str(python), "-m", "asynclint", "--no-cache", "--jobs", "1", "."],
            capture_output=True, text=True, cwd=ROOT / "examples",
            env={"PATH": "/usr/bin:/bin", "ASYNCLINT_PLAIN_LIBCST": plain},
        )
        assert done.stdout == (ROOT / "examples" / "EXPECTED.txt").read_text(), done.stderr
