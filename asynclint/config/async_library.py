"""Which async library a project runs on, from the dependencies it declares: asyncio, trio,
anyio, or not known.

A module that imports none of asyncio, trio and anyio (a helper with `async def f():
time.sleep(1)`) does not say which event loop runs it; its project does. The declarations are
read as text (pytest_config.py's reader: pyproject.toml's `[project]` dependencies and extras,
PEP 735 dependency groups, Poetry, PDM, uv and hatch tables, setup.cfg, requirements*.txt at the
root), never by importing or installing anything. The answer, for the project root of the
settings:

- anyio among what installing the project installs: anyio. Its functions run under every
  backend anyio runs on, asyncio and trio alike, so an anyio fix is right whichever one it is.
- trio or pytest-trio declared (runtime or development), and no library that runs only on
  asyncio declared at all: trio.
- a library that runs only on asyncio (aiohttp, asyncpg, pytest-asyncio, ...) declared, and no
  trio at all: asyncio.
- both, another event loop (curio, twisted, gevent, trio-asyncio), anyio only as an extra or
  for development (the program's own code may not have it), nothing, or declarations that cannot
  be read: not known. Precision first: the rules then know no more than the module says.

A backend named only in an extra (`[project.optional-dependencies] trio = ["trio"]`) is a
backend the program may run on, not one it does: it does not decide, but it does make the
other answer doubtful. Extras named like `test` or `dev` count as development.

Project-level knowledge is never the module's own (asynclint/checks/shared/library.py keeps it
apart): a safe fix never adds an import of an event-loop library the module does not use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from asynclint.config import pytest_config
from asynclint.config.pytest_config import DEVELOPMENT, EXTRA, RUNTIME

ASYNCIO, TRIO, ANYIO = "asyncio", "trio", "anyio"

# Distributions (PEP 503 names) that make a program a trio program, an anyio one, or one whose
# event loop is asyncio's, and those that bring another event loop (checks/shared/library.py
# holds the same libraries by import name, for what a module imports).
_TRIO = frozenset({"trio", "pytest-trio", "trio-websocket"})
_ANYIO = frozenset({"anyio"})
_ASYNCIO_ONLY = frozenset({
    "aiohttp", "aiofiles", "aiosqlite", "asyncpg", "aiomysql", "aiopg", "aioredis", "aiokafka",
    "aio-pika", "aiobotocore", "motor", "discord-py", "aiogram", "uvloop", "pytest-asyncio",
    "pytest-aiohttp",
})
_OTHER_LOOPS = frozenset({"curio", "twisted", "gevent", "eventlet", "trio-asyncio"})


@dataclass(frozen=True)
class ProjectLibrary:
    name: str | None  # ASYNCIO, TRIO or ANYIO; None when the declarations do not tell
    reason: str  # what decided it, for --show-settings
    # The libraries the declarations name at all (in any tier): trio here with `name` None says
    # a module that imports nothing may be trio code.
    candidates: frozenset[str] = frozenset()

    def stamp(self) -> str:
        """What of the answer changes findings (the findings cache key holds it)."""
        return f"{self.name}:{','.join(sorted(self.candidates))}"


def _named(names: set[str], family: frozenset[str]) -> list[str]:
    return sorted(names & family)


def decide(tiers: dict[str, set[str]]) -> ProjectLibrary:
    """The answer for declarations sorted by tier (RUNTIME, EXTRA, DEVELOPMENT -> names)."""
    runtime, extra, development = tiers[RUNTIME], tiers[EXTRA], tiers[DEVELOPMENT]
    decided = runtime | development  # what the program (or its tests) does run with
    every = decided | extra
    candidates = frozenset(
        library for library, family in ((TRIO, _TRIO), (ANYIO, _ANYIO), (ASYNCIO, _ASYNCIO_ONLY))
        if every & family
    )
    if other := _named(every, _OTHER_LOOPS):
        return ProjectLibrary(None, f"not known: declares {', '.join(other)}, another event loop", candidates)
    if runtime & _ANYIO:
        return ProjectLibrary(ANYIO, "anyio: a declared dependency (it runs under asyncio and trio alike)", candidates)
    trio, asyncio_only = _named(decided, _TRIO), _named(decided, _ASYNCIO_ONLY)
    if (trio and every & _ASYNCIO_ONLY) or (asyncio_only and every & _TRIO):
        both = ", ".join(_named(every, _TRIO) + _named(every, _ASYNCIO_ONLY))
        return ProjectLibrary(None, f"not known: declares both trio and libraries that run only on asyncio ({both})", candidates)
    if trio:
        return ProjectLibrary(TRIO, f"trio: declares {', '.join(trio)}", candidates)
    if asyncio_only:
        runs = "runs" if len(asyncio_only) == 1 else "run"
        return ProjectLibrary(ASYNCIO, f"asyncio: declares {', '.join(asyncio_only)}, which {runs} only on asyncio", candidates)
    if every & (_TRIO | _ANYIO | _ASYNCIO_ONLY):
        named = ", ".join(_named(every, _TRIO | _ANYIO | _ASYNCIO_ONLY))
        return ProjectLibrary(None, f"not known: {named} only as an extra or for development", candidates)
    return ProjectLibrary(None, "not known: no async library declared", candidates)


def project_library(root: Path) -> ProjectLibrary:
    """The answer for the project at `root`, read now (Settings keeps it for a run)."""
    declared = pytest_config.read_declared(root)
    if declared.unreadable:
        # Half-read declarations could hide the library that contradicts the other half.
        return ProjectLibrary(None, f"not known: cannot read {'; '.join(dict.fromkeys(declared.unreadable))}")
    return decide(declared.tiers)
