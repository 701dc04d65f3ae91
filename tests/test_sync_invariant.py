"""The invariant that async-free code gives no findings where a rule no longer applies.

Every rule's examples are rewritten from async to sync (`async def` -> `def`, `await x` -> `x`,
`async with`/`async for` -> `with`/`for`) with a libcst transformer, and checked again:

- ASL1xx (coroutines never awaited) need a coroutine function. Once no `async def` is left, the
  only coroutine functions are the catalogue's library APIs (`asyncio.sleep`): a call to one of
  those in sync code is still a coroutine never awaited, so the invariant is stated with the
  library catalogue emptied: then no ASL1xx finding may remain, in invalid and valid examples.
- ASL3xx (tasks) flag spawning calls (`asyncio.create_task`, `loop.create_task`), which are plain
  sync functions and are flagged in sync code on purpose (a dropped task is as dropped from a
  `def`): for them the rewrite must change nothing, the same findings on the same lines. Their
  valid examples are not used: there `await create_task(...)` keeps the task, and the rewrite
  drops that `await`, which really makes a dropped task.
"""

from __future__ import annotations

import dataclasses
import re

import libcst as cst
import pytest

from asynclint import catalogue
from asynclint.checks import ALL_RULES
from asynclint.engine import lint_alone
from asynclint.options import Settings

SETTINGS = Settings()


class _ToSync(cst.CSTTransformer):
    def leave_FunctionDef(self, original_node, updated_node):
        return updated_node.with_changes(asynchronous=None)

    def leave_With(self, original_node, updated_node):
        return updated_node.with_changes(asynchronous=None)

    def leave_For(self, original_node, updated_node):
        return updated_node.with_changes(asynchronous=None)

    def leave_CompFor(self, original_node, updated_node):
        return updated_node.with_changes(asynchronous=None)

    def leave_Await(self, original_node, updated_node):
        # Keep the await's own parentheses around what it awaited: `(await x).y` -> `(x).y`.
        expression = updated_node.expression
        if updated_node.lpar:
            expression = expression.with_changes(
                lpar=[*updated_node.lpar, *expression.lpar], rpar=[*expression.rpar, *updated_node.rpar]
            )
        return expression


def to_sync(code: str) -> str:
    return cst.parse_module(code).visit(_ToSync()).code


def _examples(prefix: str, kinds: tuple[str, ...]):
    return [
        pytest.param(rule, example, id=f"{rule.code}-{kind}-{example.id}")
        for rule in ALL_RULES
        if rule.code.startswith(prefix)
        for kind in kinds
        for example in getattr(rule, kind)
    ]


def test_rewrite_removes_every_async_construct():
    code = (
        "async def f(s):\n"
        "    async with s as t:\n"
        "        async for x in t:\n"
        "            y = (await x).y + await g()\n"
        "    return [await z async for z in s]\n"
    )
    assert to_sync(code) == (
        "def f(s):\n"
        "    with s as t:\n"
        "        for x in t:\n"
        "            y = (x).y + g()\n"
        "    return [z for z in s]\n"
    )


def test_every_rule_family_is_covered():
    # A new family must decide here how the invariant applies to it.
    assert {rule.code[:4] for rule in ALL_RULES} <= {"ASL1", "ASL3"}


@pytest.fixture
def no_library_coroutines(monkeypatch):
    real = catalogue.coroutines()
    monkeypatch.setattr(catalogue, "coroutines", lambda: dataclasses.replace(real, functions=frozenset()))


@pytest.mark.parametrize(("rule", "example"), _examples("ASL1", ("invalid", "valid")))
def test_coroutine_rules_are_silent_on_sync_code(rule, example, no_library_coroutines):
    code = to_sync(example.code)
    assert not re.search(r"\b(async|await)\b", code)
    result = lint_alone(code, "example.py", SETTINGS, ALL_RULES)
    assert result.errors == []
    assert [(f.line, f.column, f.code) for f in result.findings if f.code.startswith("ASL1")] == []


@pytest.mark.parametrize(("rule", "example"), _examples("ASL1", ("invalid",)))
def test_library_coroutines_stay_flagged_in_sync_code(rule, example):
    # The other half of the statement above: with the real catalogue, what remains is exactly
    # the calls to library coroutine functions, whatever kind of function they stand in.
    code = to_sync(example.code)
    result = lint_alone(code, "example.py", SETTINGS, (rule,))
    library = catalogue.coroutines().functions
    lines = code.splitlines()
    for finding in result.findings:
        called = lines[finding.line - 1][finding.column - 1:].split("(", 1)[0]
        assert any(name.endswith(called) for name in library), (finding, called)


@pytest.mark.parametrize(("rule", "example"), _examples("ASL3", ("invalid",)))
def test_task_rules_do_not_depend_on_async(rule, example):
    before = lint_alone(example.code, "example.py", SETTINGS, ALL_RULES)
    after = lint_alone(to_sync(example.code), "example.py", SETTINGS, ALL_RULES)
    assert after.errors == []
    assert [(f.line, f.code) for f in after.findings if f.code.startswith("ASL3")] == [
        (f.line, f.code) for f in before.findings if f.code.startswith("ASL3")
    ]
