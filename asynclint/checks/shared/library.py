"""Which async library a module runs under: asyncio, trio or anyio, or not known.

Fixes that call into an event-loop library (`await asyncio.sleep(x)`, `await
asyncio.to_thread(f)`) must call the program's own library: `asyncio.sleep` in a trio program
raises `RuntimeError: no running event loop`. Every such fix asks here, and so does every rule
whose semantics are asyncio's only (ASL503's `CancelledError`).

The module speaks first (its imports and its pytest markers):

- A module that imports anyio (or marks tests `@pytest.mark.anyio`) runs anyio's functions, which
  work under every backend anyio runs on, plain asyncio and trio included: anyio.
- Otherwise one of asyncio and trio, imported or named by a pytest marker (`@pytest.mark.trio`, `pytestmark = pytest.mark.asyncio`,
  `import pytest_asyncio`): that one.
- Both asyncio and trio (trio-asyncio), or another event loop (curio, twisted, gevent): not known,
  whatever the project declares.
- None of them, but a library that runs only on asyncio (aiohttp, asyncpg, ...): asyncio, `direct`
  false; not known when the project declares trio (the two disagree).
- A module of one of those libraries' own packages: not known.

A module that says nothing at all gets its project's answer, from the dependencies the project
declares (asynclint/config/async_library.py: trio declared, asyncio-only libraries declared, anyio
a dependency), with `direct` false; not known when the project does not tell either. The
project's answer is part of the settings (`Settings.async_library`) and of the findings cache key,
as findings are cached per file keyed by the file's content and the settings.

A safe fix never adds an import of an event-loop library the module does not already use: a fix
whose library is not `direct` is offered as unsafe, and no fix that needs the library is offered
when it is not known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from asynclint.config.async_library import ProjectLibrary
from asynclint.lint.context import FileContext

ASYNCIO, TRIO, ANYIO = "asyncio", "trio", "anyio"
_LIBRARIES = frozenset({ASYNCIO, TRIO, ANYIO})

# Event loops whose coroutines asyncio's, trio's and anyio's functions do not (all) run under.
_OTHER_LOOPS = frozenset({"curio", "twisted", "gevent", "eventlet", "trio_asyncio", "asyncio_trio"})
# Libraries that run only on an asyncio event loop: a module using them is an asyncio program.
# By import name; config/async_library.py holds the same libraries by distribution name.
_ASYNCIO_ONLY = frozenset({
    "aiohttp", "aiofiles", "aiosqlite", "asyncpg", "aiomysql", "aiopg", "aioredis", "aiokafka",
    "aio_pika", "aiobotocore", "motor", "discord", "aiogram", "uvloop",
})
# `@pytest.mark.trio` on a test, or `pytestmark = pytest.mark.trio` (alone or in a list)
_MARKER = re.compile(
    r"^[ \t]*(?:@|pytestmark\s*=.*?)(?:pytest\.)?mark\.(asyncio|trio|anyio)\b", re.MULTILINE
)


@dataclass(frozen=True)
class Library:
    name: str | None  # "asyncio", "trio" or "anyio"; None when it cannot be told
    direct: bool = False  # the module itself imports it or marks its tests for it

    def sleep(self) -> str | None:
        return f"{self.name}.sleep" if self.name else None

    def to_thread(self) -> str | None:
        """The function that runs a sync call in a worker thread and awaits it."""
        if self.name == ASYNCIO:
            return "asyncio.to_thread"
        return f"{self.name}.to_thread.run_sync" if self.name else None

    @property
    def passes_keywords(self) -> bool:
        """Whether its to-thread function hands keyword arguments on to the call (trio's and
        anyio's `run_sync` take their own keywords only)."""
        return self.name == ASYNCIO


# The fields of statements, suites and clauses that hold further statements or clauses. The
# walk reads them directly: a node's `children` builds its list with a visitor of every child,
# which on the statements of a whole module costs about as much as a tenth of the parse.
_BODY_FIELDS = ("body", "orelse", "handlers", "finalbody", "cases")


def imported_roots(module: cst.Module) -> set[str]:
    """The top-level packages the module imports anywhere (`import trio.lowlevel` -> "trio")."""
    found: set[str] = set()

    def dotted(node: cst.BaseExpression) -> str:
        while isinstance(node, cst.Attribute):
            node = node.value
        return node.value if isinstance(node, cst.Name) else ""

    stack: list[object] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Import):
            found.update(dotted(alias.name) for alias in node.names)
        elif isinstance(node, cst.ImportFrom):
            if not node.relative and node.module is not None:
                found.add(dotted(node.module))
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif isinstance(node, cst.CSTNode) and not isinstance(node, cst.BaseExpression):
            stack.extend(value for field in _BODY_FIELDS if (value := getattr(node, field, None)) is not None)
    return found


def _decide(roots: set[str], text: str) -> Library | None:
    """What the module itself says; None when it says nothing (its project may)."""
    used = roots & _LIBRARIES
    if "pytest_asyncio" in roots:
        used.add(ASYNCIO)
    used.update(marker.group(1) for marker in _MARKER.finditer(text))
    if roots & _OTHER_LOOPS:
        return Library(None)
    if ANYIO in used:
        return Library(ANYIO, True)
    if len(used) == 1:
        return Library(used.pop(), True)
    if used:
        return Library(None)  # asyncio and trio together
    if roots & _ASYNCIO_ONLY:
        return Library(ASYNCIO, False)
    return None


def _combined(module: Library | None, project: ProjectLibrary) -> Library:
    if module is None:
        return Library(project.name, False)  # never direct: the module does not import it
    if module.name == ASYNCIO and not module.direct and project.name == TRIO:
        return Library(None)  # an asyncio-only library in a trio project: trio-asyncio, say
    return module


def imports(context: FileContext) -> set[str]:
    """`imported_roots` of the file, computed once per file."""
    found = getattr(context, "_imported_roots", None)
    if found is None:
        found = context._imported_roots = imported_roots(context.module)  # type: ignore[attr-defined]
    return found


def library(context: FileContext) -> Library:
    """The async library of the file being checked, computed once per file."""
    found = getattr(context, "_async_library", None)
    if found is None:
        package = context.module_name.partition(".")[0]
        # The library's own code is not told: what it may call depends on its internals (anyio's
        # asyncio backend, trio's tests that reach trio through relative imports).
        own = package in _LIBRARIES or package in _OTHER_LOOPS
        project = context.settings.async_library
        found = Library(None) if own else _combined(_decide(imports(context), context.text), project)
        context._async_library = found  # type: ignore[attr-defined]
    return found


def asyncio_semantics(context: FileContext) -> bool:
    """Whether asyncio's semantics (cancellation as `CancelledError` at an await) may be assumed:
    not in trio code, which is a module that imports trio and not asyncio, one whose tests are
    marked for trio, or one that says nothing in a project that declares trio (even alongside
    asyncio-only libraries: it may be trio code) and not anyio, whose code runs on either."""
    roots = imports(context)
    if "asyncio" in roots:
        return True
    if "trio" in roots:
        return False
    said = _decide(roots, context.text)
    if said is not None:
        return said.name != TRIO
    project = context.settings.async_library
    return not (TRIO in project.candidates and project.name != ANYIO)
