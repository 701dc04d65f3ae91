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
    task_groups: frozenset[str]
    structured_groups: frozenset[str]
    group_spawn_methods: frozenset[str]
    gather: frozenset[str]
    cleanup_words: tuple[str, ...]


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
        task_groups=frozenset(data["groups"]["task-groups"]),
        structured_groups=frozenset(data["groups"]["structured"]),
        group_spawn_methods=frozenset(data["groups"]["spawn-methods"]),
        gather=frozenset(data["gather"]["functions"]),
        cleanup_words=tuple(data["gather"]["cleanup-words"]),
    )


@dataclass(frozen=True)
class CoroutineCatalogue:
    functions: frozenset[str]
    preserving_decorators: frozenset[str]
    overload_decorators: frozenset[str]
    common_sync_methods: frozenset[str]
    methods: frozenset[str]  # "asyncio.Lock.acquire": coroutine methods of library types
    method_names: frozenset[str]  # their bare names, for the cheap name filter
    future_functions: frozenset[str]
    loop_future_methods: frozenset[str]
    returned_future_functions: frozenset[str]
    # ASL105: callable-taking APIs -> (position, keyword) of the callable
    callback_functions: dict[str, tuple[int, str]]
    callback_loop_methods: dict[str, tuple[int, str]]
    callback_methods: dict[str, tuple[int, str]]
    # ASL104
    value_consumers: frozenset[str]
    logger_factories: frozenset[str]
    logger_methods: frozenset[str]
    coroutine_attributes: frozenset[str]
    async_context_managers: frozenset[str]
    enters_as_self: frozenset[str]  # types whose `async with X() as x` gives x the same object
    enters_as: dict[str, str]  # calls whose `async with f() as x` gives x other than `await f()` would


@functools.cache
def coroutines() -> CoroutineCatalogue:
    data = load("coroutines")
    methods = frozenset(f"{cls}.{name}" for cls, names in data["methods"].items() for name in names)
    return CoroutineCatalogue(
        functions=frozenset(data["functions"]),
        preserving_decorators=frozenset(data["preserving-decorators"]),
        overload_decorators=frozenset(data["overload-decorators"]),
        common_sync_methods=frozenset(data["common-sync-methods"]),
        methods=methods,
        method_names=frozenset(name for names in data["methods"].values() for name in names),
        future_functions=frozenset(data["future-functions"]),
        loop_future_methods=frozenset(data["loop-future-methods"]),
        returned_future_functions=frozenset(data["returned-future-functions"]),
        callback_functions={k: tuple(v) for k, v in data["sync-callbacks"]["functions"].items()},
        callback_loop_methods={k: tuple(v) for k, v in data["sync-callbacks"]["loop-methods"].items()},
        callback_methods={k: tuple(v) for k, v in data["sync-callbacks"]["methods"].items()},
        value_consumers=frozenset(data["value-consumers"]),
        logger_factories=frozenset(data["logger-factories"]),
        logger_methods=frozenset(data["logger-methods"]),
        coroutine_attributes=frozenset(data["coroutine-attributes"]),
        async_context_managers=frozenset(data["async-context-managers"]),
        enters_as_self=frozenset(data["enters-as-self"]),
        enters_as=dict(data["enters-as"]),
    )


@dataclass(frozen=True)
class TestingCatalogue:
    sync_bases: frozenset[str]
    async_bases: frozenset[str]
    neutral_bases: frozenset[str]
    runner_methods: frozenset[str]
    transparent_decorators: frozenset[str]
    asyncio_markers: frozenset[str]
    other_markers: frozenset[str]
    runner_fixtures: frozenset[str]
    asyncio_plugin: str
    marker_plugins: frozenset[str]
    unmarked_runners: tuple[str, ...]
    auto_mode_options: tuple[str, ...]
    known_plugins: frozenset[str]
    known_distributions: frozenset[str]
    builtin_fixtures: frozenset[str]
    hooks: frozenset[str]
    fixture_decorators: frozenset[str]
    async_fixture_decorator: str
    untested_skip_folders: frozenset[str]


@functools.cache
def testing() -> TestingCatalogue:
    data = load("testing")
    unit, py = data["unittest"], data["pytest"]
    return TestingCatalogue(
        sync_bases=frozenset(unit["sync-bases"]),
        async_bases=frozenset(unit["async-bases"]),
        neutral_bases=frozenset(unit["neutral-bases"]),
        runner_methods=frozenset(unit["runner-methods"]),
        transparent_decorators=frozenset(unit["transparent-decorators"]),
        asyncio_markers=frozenset(py["asyncio-markers"]),
        other_markers=frozenset(py["other-markers"]),
        runner_fixtures=frozenset(py["runner-fixtures"]),
        asyncio_plugin=py["asyncio-plugin"],
        marker_plugins=frozenset(py["marker-plugins"]),
        unmarked_runners=tuple(py["unmarked-runners"]),
        auto_mode_options=tuple(py["auto-mode-options"]),
        known_plugins=frozenset(py["known-plugins"]),
        known_distributions=frozenset(py["known-distributions"]),
        builtin_fixtures=frozenset(py["builtin-fixtures"]),
        hooks=frozenset(py["hooks"]),
        fixture_decorators=frozenset(py["fixture-decorators"]),
        async_fixture_decorator=py["async-fixture-decorator"],
        untested_skip_folders=frozenset(data["untested"]["skip-folders"]),
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
class Resource:
    """An async client or pool (ASL518): the methods that close it, the advised one first, and
    whether one is meant to be shared (made once, not per loop iteration)."""

    close: tuple[str, ...]
    shared: bool


@dataclass(frozen=True)
class MisuseCatalogue:
    get_event_loop: frozenset[str]
    running_loop: str
    run_functions: frozenset[str]
    run_methods: frozenset[str]
    cancelled: frozenset[str]
    broad: frozenset[str]
    suppress: frozenset[str]
    caches: frozenset[str]
    properties: frozenset[str]
    cancel_scopes: frozenset[str]
    shielding_scopes: frozenset[str]
    shield: frozenset[str]
    timeouts: frozenset[str]
    timeout_error_aliases: frozenset[str]
    timeout_error_since: tuple[int, int]
    exception_groups: frozenset[str]
    exception_group_attributes: frozenset[str]
    sleeps: frozenset[str]
    wait: frozenset[str]
    wait_for: frozenset[str]
    task_makers: frozenset[str]
    deprecated: dict[str, Deprecation]
    loop_argument: Deprecation  # `name` unused: `loop_argument_functions` lists the callees
    loop_argument_functions: frozenset[str]
    module_get_event_loop: Deprecation
    resources: dict[str, Resource]  # ASL518: by the callee that makes one
    raises: frozenset[str]  # ASL518: context managers that expect their block to raise
    raises_methods: frozenset[str]  # the same, as methods (unittest's `self.assertRaises`)
    # ASL517: callee -> (position, keyword) of the function it runs in another thread
    thread_handoffs: dict[str, tuple[int, str | None]]
    thread_loop_methods: dict[str, int]  # loop method -> position of the function
    thread_unsafe: dict[str, frozenset[str]]  # asyncio type ("loop": any loop) -> its methods
    future_makers: frozenset[str]  # loop methods that give an asyncio future


@functools.cache
def misuse() -> MisuseCatalogue:
    data = load("misuse")
    loop, cancel, decorators = data["event-loop"], data["cancellation"], data["decorators"]
    scopes, waiting, loop_arg, module_gel = data["scopes"], data["waiting"], data["loop-argument"], data["module-get-event-loop"]
    return MisuseCatalogue(
        get_event_loop=frozenset(loop["get-event-loop"]),
        running_loop=loop["running-loop"],
        run_functions=frozenset(loop["run-functions"]),
        run_methods=frozenset(loop["run-methods"]),
        cancelled=frozenset(cancel["cancelled"]),
        broad=frozenset(cancel["broad"]),
        suppress=frozenset(cancel["suppress"]),
        caches=frozenset(decorators["caches"]),
        properties=frozenset(decorators["properties"]),
        cancel_scopes=frozenset(scopes["cancel-scopes"]),
        shielding_scopes=frozenset(scopes["shielding-scopes"]),
        shield=frozenset(scopes["shield"]),
        timeouts=frozenset(scopes["timeouts"]),
        timeout_error_aliases=frozenset(data["aliases"]["timeout-error"]),
        timeout_error_since=_version(data["aliases"]["timeout-error-since"]),
        exception_groups=frozenset(data["exception-groups"]["types"]),
        exception_group_attributes=frozenset(data["exception-groups"]["attributes"]),
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
        resources={
            name: Resource(tuple(entry["close"]), entry.get("shared", False))
            for name, entry in data["resources"]["makers"].items()
        },
        raises=frozenset(data["resources"]["raises"]),
        raises_methods=frozenset(data["resources"]["raises-methods"]),
        thread_handoffs={
            name: (entry["position"], entry.get("keyword"))
            for name, entry in data["thread-handoffs"].items() if name != "loop-methods"
        },
        thread_loop_methods=dict(data["thread-handoffs"]["loop-methods"]),
        thread_unsafe={
            name: frozenset(methods) for name, methods in data["thread-unsafe"].items() if name != "future-makers"
        },
        future_makers=frozenset(data["thread-unsafe"]["future-makers"]),
    )


@dataclass(frozen=True)
class BlockingEntry:
    """One blocking call: a function ("time.sleep") or a method of a type ("pathlib.Path.exists")."""

    name: str
    category: str
    hint: str
    fix: str  # "replace" (with `replacement`), "to-thread" or "none"
    # the awaitable to call instead, per async library: (("asyncio", "asyncio.sleep"), ...)
    replacements: tuple[tuple[str, str], ...] = ()
    nonblocking: tuple[int, str] | None = None  # the argument that, False, makes it return at once
    method: bool = False  # a method of a type, rather than a function
    # (position, keyword, flag): the call returns at once when that argument names the flag
    # (`getaddrinfo(..., flags=socket.AI_NUMERICHOST)` looks nothing up)
    nonblocking_flag: tuple[int, str, str] | None = None
    # (position, keyword) of the receiver's constructor argument that bounds it: the method waits
    # only when the receiver is constructed in view with that argument a positive literal
    # (`queue.Queue(maxsize=10).put(x)`); an unbounded queue's `put` never waits
    bounded: tuple[int, str] | None = None
    # (position, keyword) of the timeout argument: given as a literal 0, the call returns at once
    # (`thread.join(timeout=0)`, `event.wait(0)`)
    zero_timeout: tuple[int, str] | None = None

    def replacement_for(self, library: str) -> str | None:
        """The awaitable to call instead in a program of that async library, if any."""
        return dict(self.replacements).get(library)


def _replacements(value: object) -> tuple[tuple[str, str], ...]:
    """`replacement = "asyncio.sleep"` (asyncio's alone) or `{ asyncio = "...", trio = "..." }`."""
    if isinstance(value, str):
        return (("asyncio", value),)
    if isinstance(value, dict):
        return tuple(sorted((str(k), str(v)) for k, v in value.items()))
    return ()


@dataclass(frozen=True)
class BlockingCatalogue:
    categories: tuple[str, ...]
    functions: dict[str, BlockingEntry]
    methods: dict[str, BlockingEntry]  # "Type.method"
    method_names: frozenset[str]  # their bare names, for the cheap filter
    lock_types: frozenset[str]  # thread locks: `with lock:` blocks too
    # every type that matters here: with blocking methods, pure steps, or sync calls giving one
    types: frozenset[str]
    # ASL210: infinite iterators -> the position of the argument that bounds them (None: none)
    endless_iterators: dict[str, int | None]


def _looks_like_method(name: str) -> bool:
    """A user entry "pkg.Client.query" is a method pattern: its owner is capitalized, as classes are."""
    parts = name.split(".")
    return len(parts) >= 3 and parts[-2][:1].isupper()


@functools.cache
def blocking(extra: tuple[tuple[str, str], ...] = ()) -> BlockingCatalogue:
    """rules/blocking.toml, plus `extend-blocking-calls` entries (name, category) from config."""
    data = load("blocking")
    categories = tuple(k for k, v in data.items() if isinstance(v, dict) and "hint" in v)
    functions: dict[str, BlockingEntry] = {}
    methods: dict[str, BlockingEntry] = {}

    def entry(name: str, category: str, method: bool) -> BlockingEntry:
        table = data[category]
        override = table.get("entries", {}).get(name, {})
        nonblocking = override.get("nonblocking")
        flag = override.get("nonblocking-flag")
        bounded = override.get("bounded")
        zero = override.get("zero-timeout")
        return BlockingEntry(
            name, category, override.get("hint", table["hint"]), override.get("fix", table["fix"]),
            _replacements(override.get("replacement")), tuple(nonblocking) if nonblocking else None, method,
            tuple(flag) if flag else None, tuple(bounded) if bounded else None, tuple(zero) if zero else None,
        )

    for category in categories:
        for name in data[category]["functions"]:
            functions[name] = entry(name, category, False)
        for owner, names in data[category].get("methods", {}).items():
            for name in names:
                methods[f"{owner}.{name}"] = entry(f"{owner}.{name}", category, True)
    for name, category in extra:
        method = _looks_like_method(name)
        table = methods if method else functions
        table[name] = BlockingEntry(name, category, data[category]["hint"], "to-thread", method=method)
    known = types()
    names = {name.rpartition(".")[0] for name in methods} | set(known.pure)
    # The types sync calls of rules/types.toml are made on (`sqlite3.Connection.cursor`): their
    # results are followed too.
    names |= {name.rpartition(".")[0] for name in known.returns if name.rpartition(".")[0].rpartition(".")[2][:1].isupper()}
    return BlockingCatalogue(
        categories=categories,
        functions=functions,
        methods=methods,
        method_names=frozenset(name.rpartition(".")[2] for name in methods),
        # `with lock:` blocks as `acquire()` does, for the thread locks with a blocking `acquire`
        lock_types=frozenset(t for t in known.thread_locks if f"{t}.acquire" in methods),
        types=frozenset(names),
        endless_iterators={name: spec.get("bound") for name, spec in data["endless-loops"].items()},
    )


@dataclass(frozen=True)
class TypeCatalogue:
    """rules/types.toml: what library calls give and which library types are locks."""

    returns: dict[str, str | tuple[str, ...]]  # callee -> the type(s) the call gives
    awaited: dict[str, str | tuple[str, ...]]  # callee -> the type(s) awaiting the call gives
    pure: dict[str, frozenset[str]]  # type -> methods/properties giving the same type, no I/O
    aliases: dict[str, str]  # other names of known types
    thread_locks: frozenset[str]
    asyncio_locks: frozenset[str]

    def type_name(self, name: str | None) -> str | None:
        return self.aliases.get(name, name) if name else None


@functools.cache
def types() -> TypeCatalogue:
    data = load("types")

    def given(value) -> str | tuple[str, ...]:
        return tuple(value) if isinstance(value, list) else value

    table = data["returns"]
    return TypeCatalogue(
        returns={k: given(v) for k, v in table.items() if not isinstance(v, dict)},
        awaited={k: given(v["awaited"]) for k, v in table.items() if isinstance(v, dict)},
        pure={k: frozenset(v) for k, v in data["pure"].items()},
        aliases=dict(data["aliases"]),
        thread_locks=frozenset(data["locks"]["thread"]),
        asyncio_locks=frozenset(data["locks"]["asyncio"]),
    )
