"""Property tests: for generated programs, linting never fails and every fix is sound.

Two sources of programs:
- hypothesmith's grammar-based generator: arbitrary valid Python, which almost never contains
  asyncio misuse; it exercises the parser, the scope model and every rule's visitors on odd code.
- `programs()` below: modules composed from asyncio snippets (coroutine definitions, calls with
  and without `await`, `create_task` statements, boolean tests, nested functions, compound
  statements around them), so that most programs have findings with fixes to check.

For every program: no exception and no internal error (ASL000); with `--fix --unsafe-fixes`, the
fixed code parses, compiles, has no fixable finding left, and fixing it again changes nothing.
Each test asserts how many programs it ran and, for the composed ones, how many had fixes.
"""

from __future__ import annotations

import textwrap
from collections import Counter

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asynclint.engine import deepstack
from asynclint.checks import ALL_RULES
from asynclint.engine.diagnostics import ErrorKind
from asynclint.lint.walker import lint_alone
from asynclint.lint.fixer import compiles, fix_text, is_applicable
from asynclint.config.options import Settings

SETTINGS = Settings()
GRAMMAR_EXAMPLES = 200
COMPOSED_EXAMPLES = 300

# Start the big-stack thread now: it raises the recursion limit, which hypothesis would warn
# about if it happened during a test.
deepstack.call(lambda: None)


def check_program(source: str, stats: Counter) -> None:
    """The invariants for one program; counts what it exercised in `stats`."""
    stats["programs"] += 1
    result = deepstack.call(lint_alone, source, "generated.py", SETTINGS, ALL_RULES)
    assert [e for e in result.errors if e.kind is ErrorKind.INTERNAL] == []
    fixable = [f for f in result.findings if is_applicable(f.fix, unsafe=True)]
    stats["findings"] += len(result.findings)
    if not fixable:
        return
    stats["with fixable findings"] += 1
    outcome = deepstack.call(fix_text, source, "generated.py", SETTINGS, ALL_RULES, unsafe=True)
    assert outcome.errors == [], outcome.errors
    stats["fixes applied"] += len(outcome.applied)
    assert outcome.text != source
    cst.parse_module(outcome.text)  # raises if the fixed code does not parse
    assert compiles(outcome.text, "generated.py")
    assert [f for f in outcome.result.findings if is_applicable(f.fix, unsafe=True)] == []
    again = deepstack.call(fix_text, outcome.text, "generated.py", SETTINGS, ALL_RULES, unsafe=True)
    assert again.text == outcome.text
    assert again.applied == [] and again.errors == []


@pytest.mark.slow
# hypothesmith compiles what it generates (`1()` and the like): CPython's warnings about those
# programs are not findings of ours
@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_arbitrary_programs_never_fail():
    stats: Counter = Counter()

    @settings(
        max_examples=GRAMMAR_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(hypothesmith.from_grammar())
    def check(source: str) -> None:
        check_program(source, stats)

    check()
    assert stats["programs"] >= GRAMMAR_EXAMPLES
    print(dict(stats))


# --- composed asyncio programs ----------------------------------------------------------------

# A call that makes a coroutine, in a function of the given kind ("async", "sync", "method").
_CORO_CALLS = ("fetch(x)", "fetch(1)", "work()", "asyncio.sleep(1)", "aio.sleep(0)")
_METHOD_CORO_CALLS = ("self.load()", "self.load(x)")
# A call that spawns a task from a coroutine expression {c}.
_SPAWNS = (
    "asyncio.create_task({c})",
    "asyncio.ensure_future({c})",
    "create_task({c})",
    "aio.create_task({c})",
    "asyncio.get_running_loop().create_task({c})",
    "loop.create_task({c})",
    "spawn({c})",
)
_METHOD_SPAWNS = ("self._loop.create_task({c})", "self.launch({c})")

# Simple statements: {c} a coroutine call, {t} a task spawn. `await` only in async functions.
_STATEMENTS = (
    "{c}",
    "{t}",
    "v = {c}",
    "v = {c}\nprint(v)",
    "_ = {c}",
    "task = {t}",
    "task = {t}\ntasks.add(task)",
    "_ = {t}",
    "t2: asyncio.Task = {t}",
    "if {c}:\n    pass",
    "while not {c}:\n    break",
    "assert {c}",
    "y = 1 if {c} else 2",
    "z = x and {c}",
    "print({c})",
    "{t}.add_done_callback(print)",
    "[{t_c} for c in coros]",
    "x = 1; {c}",
    "{c}  # a comment",
    "(\n    {c}\n)",
    "cb = lambda: {c}",
    "del x",
    "pass",
)
_ASYNC_STATEMENTS = (
    "await {c}",
    "v = await {c}",
    "v = {c}\nawait v",
    "task = {t}\nawait task",
    "await {t}",
    "return {c}",
    "async with lock:\n    {c}",
    "async for item in stream():\n    {c}",
)
_WRAPPERS = (
    "for i in range(3):\n{body}",
    "if x:\n{body}\nelse:\n    pass",
    "try:\n{body}\nexcept Exception:\n    pass",
    "with open('f') as fh:\n{body}",
    "def inner():\n{body}",
    "async def inner_async():\n{body}",
)

_HEADER = """\
import asyncio
import asyncio as aio
from asyncio import create_task

loop = asyncio.get_event_loop()
tasks = set()
coros = []


async def fetch(x):
    await asyncio.sleep(x)


async def work():
    return 1


def spawn(coro):
    return asyncio.create_task(coro)


class Base:
    async def load(self, x=None):
        return x

"""


@st.composite
def _statement(draw, kind: str, depth: int) -> str:
    is_async = kind in ("async", "method")
    templates = _STATEMENTS + (_ASYNC_STATEMENTS if is_async else ())
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        wrapper = draw(st.sampled_from(_WRAPPERS))
        inner_kind = "async" if wrapper.startswith("async def") else "sync" if wrapper.startswith("def") else kind
        body = draw(_body(inner_kind if kind != "method" or inner_kind != "async" else "method", depth + 1))
        return wrapper.format(body=textwrap.indent(body, "    "))
    template = draw(st.sampled_from(templates))
    calls = _CORO_CALLS + (_METHOD_CORO_CALLS if kind == "method" else ())
    spawns = _SPAWNS + (_METHOD_SPAWNS if kind == "method" else ())
    coro = draw(st.sampled_from(calls))
    spawn = draw(st.sampled_from(spawns)).format(c=coro)
    return template.format(c=coro, t=spawn, t_c=draw(st.sampled_from(spawns)).format(c="c"))


@st.composite
def _body(draw, kind: str, depth: int = 0) -> str:
    statements = draw(st.lists(_statement(kind, depth), min_size=1, max_size=4))
    returns = [i for i, s in enumerate(statements) if s.startswith("return")]
    if returns:  # code after a return is legal but pointless: cut it there
        statements = statements[: returns[0] + 1]
    return "\n".join(statements)


@st.composite
def programs(draw) -> str:
    parts = [_HEADER]
    for n in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("async", "sync", "method")))
        body = textwrap.indent(draw(_body(kind)), "    ")
        if kind == "method":
            parts.append(
                f"class Worker{n}(Base):\n"
                "    def __init__(self, loop):\n        self._loop = loop\n\n"
                "    def launch(self, coro):\n        return asyncio.ensure_future(coro)\n\n"
                f"    async def run(self, x, lock, stream):\n{textwrap.indent(body, '    ')}\n\n"
            )
        else:
            prefix = "async def" if kind == "async" else "def"
            parts.append(f"{prefix} f{n}(x, lock, stream):\n{body}\n\n")
    return "".join(parts)


@pytest.mark.slow
def test_composed_asyncio_programs_fix_soundly():
    stats: Counter = Counter()

    @settings(max_examples=COMPOSED_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(programs())
    def check(source: str) -> None:
        assert compiles(source, "generated.py"), source  # the generator's own contract
        check_program(source, stats)

    check()
    assert stats["programs"] >= COMPOSED_EXAMPLES
    # The point of composing snippets: most programs exercise the fixer.
    assert stats["with fixable findings"] >= COMPOSED_EXAMPLES // 2, stats
    print(dict(stats))
