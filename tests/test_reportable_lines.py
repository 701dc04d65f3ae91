"""scripts/reportable_lines.py: the lines a rule could report in, by file, statement and function."""

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "reportable_lines.py"
_spec = importlib.util.spec_from_file_location("reportable_lines", SCRIPT)
reportable_lines = importlib.util.module_from_spec(_spec)
sys.modules["reportable_lines"] = reportable_lines
_spec.loader.exec_module(reportable_lines)

SERVICE = """\
import json


class Store:
    def load(self, path):
        with open(path) as f:
            return json.load(f)

    async def save(self, data):
        return data


def encode(data):
    return json.dumps(data)


def flush(store):
    store.save({})
"""
PLAIN = """\
TABLE = {
    "a": 1,
}


def double(x):
    return 2 * x
"""


def test_units_a_rule_can_report_in_are_counted_by_grain(tmp_path):
    (tmp_path / "pkg").mkdir()
    service = tmp_path / "pkg" / "service.py"
    service.write_text(SERVICE)
    plain = tmp_path / "pkg" / "plain.py"
    plain.write_text(PLAIN)
    test = tmp_path / "tests" / "test_plain.py"
    test.parent.mkdir()
    test.write_text("def test_double():\n    assert True\n")
    totals = reportable_lines.measure([service, plain, test], libraries=False)
    # service.py: 19 lines (the last newline starts one more); plain.py 8; the test module 3.
    assert totals["lines"] == 19 + 8 + 3
    # Files: service.py has an `async def`; plain.py nothing; a test module counts whole.
    assert totals["file"] == 19 + 3
    # Statements: the class (lines 4-10) and `flush` (17-18), which calls `save`, an async def of
    # the project; not the import, `encode` or plain.py.
    assert totals["statement"] == 7 + 2 + 3
    # Functions: in the class, `save` (9-10) only; `flush` (17-18).
    assert totals["function"] == 2 + 2 + 3
