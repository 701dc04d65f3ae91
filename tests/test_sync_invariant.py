"""The invariant that async-free code gives no findings where a rule no longer applies.

Every rule's examples are rewritten from async to sync (`async def` -> `def`, `await x` -> `x`,
`async with`/`async for` -> `with`/`for`, `Coroutine[...]` in annotations -> `Generator[...]`)
with a libcst transformer, and checked again:

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

from asynclint.knowledge import catalogue
from asynclint.knowledge.declarations import Declarations, declarations
from asynclint.resolve import library
from asynclint.checks import ALL_RULES
from asynclint.lint.walker import lint_alone
from asynclint.config.options import Settings

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

    def leave_Name(self, original_node, updated_node):
        # `Callable[..., Coroutine[...]]` declares a coroutine function as `async def` does.
        return updated_node.with_changes(value="Generator") if updated_node.value == "Coroutine" else updated_node

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
    assert {rule.code[:4] for rule in ALL_RULES} <= {"ASL1", "ASL2", "ASL3", "ASL4", "ASL5"}


# ASL2xx (blocking calls in coroutines), ASL4xx (async tests, untested async functions) and ASL5xx
# (asyncio misuse) are about what coroutines do: with no `async` left, their invalid examples give
# none of their findings, except for rules whose subject exists in sync code too.
SYNC_TOO = {
    "ASL404": "its subject is a sync test (marked pytest.mark.asyncio, or returning a coroutine)",
    "ASL505": "a plain `with` on an asyncio lock fails in sync code as well",
    "ASL509": "deprecated and removed asyncio APIs are so in sync code too",
    "ASL513": "`asyncio.wait_for()` given a list is a mistake in any function",
    "ASL515": "`asyncio.TimeoutError` is an alias of the builtin in any function",
    "ASL517": "a function run in a thread touches the loop wrongly whichever function hands it over",
    "ASL518": "an async client made and never closed leaks from a sync function too",
    "ASL519": "a member of an exception group is rewritten when raised from any function",
    "ASL520": "an `except*` handler binds a group in any function",
    "ASL530": "a noqa code that silences nothing does so in sync code too",
}


@pytest.mark.parametrize(
    ("rule", "example"),
    [
        p for family in ("ASL2", "ASL4", "ASL5") for p in _examples(family, ("invalid",))
        if p.values[0].code not in SYNC_TOO
    ],
)
def test_coroutine_bound_rules_are_silent_on_sync_code(rule, example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples with project files (pytest config) write them here
    for name, content in example.files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    code = to_sync(example.code)
    settings = Settings(root=tmp_path, cache_dir="").updated(example.options, example.id)
    result = lint_alone(code, example.path, settings, (rule,))
    assert result.errors == []
    assert [(f.line, f.column, f.code) for f in result.findings] == []


@pytest.fixture
def no_library_coroutines(monkeypatch):
    # Everything the catalogue knows of library coroutines, futures and async context managers:
    # those stay what they are in sync code.
    real = catalogue.coroutines()
    empty = dataclasses.replace(
        real, functions=frozenset(), methods=frozenset(), method_names=frozenset(),
        future_functions=frozenset(), loop_future_methods=frozenset(), returned_future_functions=frozenset(),
        async_context_managers=frozenset(),
    )
    monkeypatch.setattr(catalogue, "coroutines", lambda: empty)
    # and what libraries declare (typeshed's `async def sleep`): no coroutine function at all
    monkeypatch.setattr(Declarations, "kind", lambda self, dotted: None)
    library._library.cache_clear()
    yield
    library._library.cache_clear()


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
    known = catalogue.coroutines()
    names = {
        name.rpartition(".")[2]
        for name in known.functions | known.future_functions | known.async_context_managers | known.methods
    } | known.loop_future_methods | declarations().coroutine_names("asyncio")
    lines = code.splitlines()
    for finding in result.findings:
        line = lines[finding.line - 1]
        # the line calls one of them (or, for `with self._session:`, holds an attribute assigned one)
        assert any(f"{name}(" in line for name in names) or (
            finding.code == "ASL104" and line.strip().startswith("with self.")
        ), (finding, line)


# ASL3xx rules whose subject is itself an async construct: the rewrite removes what they flag.
ASYNC_ONLY = {
    "ASL303": "leaving an `async with TaskGroup()` block early: a plain `with` is no task group",
    "ASL304": "an awaited gather's discarded results: unawaited, the gather is ASL106's dropped future",
    "ASL305": "a task group's `async with` block: a plain `with` is no task group",
    "ASL306": "a task group's `async with` block: a plain `with` is no task group",
}


@pytest.mark.parametrize(
    ("rule", "example"), [p for p in _examples("ASL3", ("invalid",)) if p.values[0].code not in ASYNC_ONLY]
)
def test_task_rules_do_not_depend_on_async(rule, example):
    before = lint_alone(example.code, "example.py", SETTINGS, ALL_RULES)
    after = lint_alone(to_sync(example.code), "example.py", SETTINGS, ALL_RULES)
    assert after.errors == []
    assert [(f.line, f.code) for f in after.findings if f.code.startswith("ASL3")] == [
        (f.line, f.code) for f in before.findings if f.code.startswith("ASL3")
    ]
