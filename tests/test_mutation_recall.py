"""scripts/mutation_recall.py: which awaits it removes, how it classes them, and one real run of
asynclint over a small project (a subprocess per batch: marked slow)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mutation_recall.py"
_spec = importlib.util.spec_from_file_location("mutation_recall", SCRIPT)
mutation_recall = importlib.util.module_from_spec(_spec)
sys.modules["mutation_recall"] = mutation_recall  # dataclasses look their module up
_spec.loader.exec_module(mutation_recall)

CLIENT = """\
class Client:
    async def fetch(self):
        return 1

    async def run(self):
        value = await self.fetch()
        return value + 1


async def helper(client: Client):
    await client.fetch()
"""

TESTS = """\
async def test_it(client):
    await client.fetch()
"""


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "shop"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "client.py").write_text(CLIENT)
    (root / "tests").mkdir()
    (root / "tests" / "test_client.py").write_text(TESTS)
    return root


def test_one_await_per_outermost_function_outside_tests(project):
    files = mutation_recall.source_files(project, include_tests=False)
    assert [f.as_posix() for f in files] == ["shop/__init__.py", "shop/client.py"]
    mutants = mutation_recall.find_mutants(project, files, mutation_recall.project_roots(project, files), 0)
    found = sorted((m.function, m.line, m.column, m.callee, m.kind, m.context) for m in mutants)
    assert found == [
        ("Client.run", 6, 17, "self.fetch", "self-method", "assignment"),
        ("helper", 11, 5, "client.fetch", "attribute", "statement"),
    ]


@pytest.mark.slow
def test_asynclint_finds_both_removed_awaits(project, tmp_path):
    out = tmp_path / "mutants.json"
    code = mutation_recall.main(["--path", str(project), "--tools", "asynclint", "--batches", "1",
                                 "--json", str(out)])
    assert code == 0
    mutants = json.loads(out.read_text())
    caught = sorted((m["function"], m["caught"]["asynclint"], m["by"]["asynclint"]) for m in mutants)
    assert caught == [
        ("Client.run", True, [
            "ASL102 `self.fetch()` returns a coroutine bound to `value`, which is only used in arithmetic, "
            "never awaited: it never runs",
        ]),
        ("helper", True, ["ASL101 `client.fetch()` returns a coroutine that is never awaited, so it never runs"]),
    ]
