"""The rule catalogue: library knowledge kept as data in rules/*.toml, shipped inside the wheel."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from importlib import resources

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@functools.cache
def load(name: str) -> dict:
    """One catalogue file (`rules/<name>.toml`), parsed once per process."""
    text = resources.files("asynclint.rules").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class TaskCatalogue:
    functions: frozenset[str]
    loop_spawn_methods: frozenset[str]
    loop_getters: frozenset[str]
    loop_types: frozenset[str]
    loop_names: frozenset[str]
    loop_suffixes: tuple[str, ...]
    chained_methods: frozenset[str]


@functools.cache
def tasks(extra_spawners: tuple[str, ...] = ()) -> TaskCatalogue:
    data = load("tasks")
    loop = data["loop"]
    return TaskCatalogue(
        functions=frozenset(data["functions"]) | frozenset(extra_spawners),
        loop_spawn_methods=frozenset(loop["spawn-methods"]),
        loop_getters=frozenset(loop["getters"]),
        loop_types=frozenset(loop["types"]),
        loop_names=frozenset(loop["names"]),
        loop_suffixes=tuple(loop["suffixes"]),
        chained_methods=frozenset(loop["chained-methods"]),
    )


@dataclass(frozen=True)
class CoroutineCatalogue:
    functions: frozenset[str]
    preserving_decorators: frozenset[str]
    overload_decorators: frozenset[str]
    common_sync_methods: frozenset[str]


@functools.cache
def coroutines() -> CoroutineCatalogue:
    data = load("coroutines")
    return CoroutineCatalogue(
        functions=frozenset(data["functions"]),
        preserving_decorators=frozenset(data["preserving-decorators"]),
        overload_decorators=frozenset(data["overload-decorators"]),
        common_sync_methods=frozenset(data["common-sync-methods"]),
    )


@dataclass(frozen=True)
class Deprecation:
    name: str
    deprecated: tuple[int, int]
    removed: tuple[int, int]
    instead: str = ""


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


@dataclass(frozen=True)
class MisuseCatalogue:
    get_event_loop: frozenset[str]
    running_loop: str
    run_functions: frozenset[str]
    run_methods: frozenset[str]
    cancelled: frozenset[str]
    broad: frozenset[str]
    suppress: frozenset[str]
    thread_locks: frozenset[str]
    asyncio_locks: frozenset[str]
    caches: frozenset[str]
    properties: frozenset[str]
    cancel_scopes: frozenset[str]
    timeouts: frozenset[str]
    sleeps: frozenset[str]
    wait: frozenset[str]
    wait_for: frozenset[str]
    task_makers: frozenset[str]
    deprecated: dict[str, Deprecation]
    loop_argument: Deprecation  # `name` unused: `loop_argument_functions` lists the callees
    loop_argument_functions: frozenset[str]
    module_get_event_loop: Deprecation


@functools.cache
def misuse() -> MisuseCatalogue:
    data = load("misuse")
    loop, cancel, locks, decorators = data["event-loop"], data["cancellation"], data["locks"], data["decorators"]
    scopes, waiting, loop_arg, module_gel = data["scopes"], data["waiting"], data["loop-argument"], data["module-get-event-loop"]
    return MisuseCatalogue(
        get_event_loop=frozenset(loop["get-event-loop"]),
        running_loop=loop["running-loop"],
        run_functions=frozenset(loop["run-functions"]),
        run_methods=frozenset(loop["run-methods"]),
        cancelled=frozenset(cancel["cancelled"]),
        broad=frozenset(cancel["broad"]),
        suppress=frozenset(cancel["suppress"]),
        thread_locks=frozenset(locks["thread"]),
        asyncio_locks=frozenset(locks["asyncio"]),
        caches=frozenset(decorators["caches"]),
        properties=frozenset(decorators["properties"]),
        cancel_scopes=frozenset(scopes["cancel-scopes"]),
        timeouts=frozenset(scopes["timeouts"]),
        sleeps=frozenset(data["polling"]["sleeps"]),
        wait=frozenset(waiting["wait"]),
        wait_for=frozenset(waiting["wait-for"]),
        task_makers=frozenset(waiting["task-makers"]),
        deprecated={
            entry["name"]: Deprecation(
                entry["name"], _version(entry["deprecated"]), _version(entry["removed"]), entry.get("instead", "")
            )
            for entry in data["deprecated"]
        },
        loop_argument=Deprecation("loop=", _version(loop_arg["deprecated"]), _version(loop_arg["removed"])),
        loop_argument_functions=frozenset(loop_arg["functions"]),
        module_get_event_loop=Deprecation(
            "asyncio.get_event_loop", _version(module_gel["deprecated"]), _version(module_gel["removed"])
        ),
    )
