"""The bundled example shows every rule, and its expected output is kept exact."""

import subprocess
import sys
from pathlib import Path

from asynclint.checks import ALL_RULES

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_example_output_is_exactly_expected():
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", "-q", "."],
        cwd=EXAMPLES, capture_output=True, text=True,
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == (EXAMPLES / "EXPECTED.txt").read_text()


def test_example_covers_every_rule():
    expected = (EXAMPLES / "EXPECTED.txt").read_text()
    for rule in ALL_RULES:
        assert f": {rule.code} " in expected, f"examples/ has no case for {rule.code}"
