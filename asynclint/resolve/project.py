"""The project index: what every module of the project defines, for resolving calls across files.

Each file's walk leaves a *summary* (plain JSON data): its module-level functions and the methods
of its module-level classes and of the classes nested in them (`Outer.Inner`) with their kind (`async`, `sync`, `asyncgen`, or `unknown` when a
decorator or an overload leaves it open), class bases, imports and `name = other` aliases.
`ProjectIndex` joins the summaries and answers whether a symbolic reference (`Ref`) made during a
walk names a coroutine function. Rules report such calls with the reference as a condition; the
runner resolves the conditions once every file has been summarised, so no file is parsed twice.
When the index cannot tell, the answer is None and the finding is dropped: precision first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use
from asynclint.engine.semantic import BindingKind, Scope, ScopeKind, SemanticModel
from asynclint.knowledge import catalogue
from asynclint.resolve import deferred
from asynclint.resolve.blocking_project import PLAIN_BUILTINS, BlockingSummary
from asynclint.resolve.blocking_project import check as check_blocking
from asynclint.resolve.facts import TypeFacts, stored
from asynclint.resolve.library import Library
from asynclint.resolve.names import (
    ASYNC,
    ASYNCGEN,
    CLASS,
    DECORATED,
    ITERATED_AWAITABLE,
    LOOP,
    PLAIN_PARAMETER,
    PLAIN_TYPE,
    PROJECT_REFS,
    SYNC,
    UNKNOWN,
    Ref,
    absolute_name,
    plain_parameter_parts,
)
from asynclint.resolve.spawns import TaskSpawns

# Bumped whenever what a summary records changes, so cached summaries of older runs miss.
SUMMARY_FORMAT = 13


_ASYNC_DEF = re.compile(rb"^[ \t]*async[ \t]+def[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_ALIAS = re.compile(rb"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*([A-Za-z_][A-Za-z0-9_.]*)[ \t]*(?:#.*)?$", re.MULTILINE)


_DEF = re.compile(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


@dataclass(frozen=True)
class NameFilter:
    """Names a call must have to be worth a condition, found with regular expressions over the
    project's files before any parsing: a cheap superset, so most call statements cost nothing
    (no condition, no position, no fix). Matches inside strings only let a few more calls through
    to the exact check."""

    coroutines: frozenset[str]  # defined with `async def`, or aliased to such a name
    wrappers: frozenset[str]  # functions of files that spawn tasks at all (ASL301's wrappers)


def _with_aliases(names: set[str], aliases: list[list[str]]) -> frozenset[str]:
    # Module-level `fetch = save` (or `= impl.save`) gives the function another name.
    for _ in range(3):
        grown = {left for left, right in aliases if right.rpartition(".")[2] in names} - names
        if not grown:
            break
        names |= grown
    return frozenset(names)


def spawner_tokens(spawners: Iterable[str] = ()) -> tuple[bytes, ...]:
    """Words whose presence makes a file's functions candidate task wrappers."""
    return (b"create_task", b"ensure_future", *(s.rpartition(".")[2].encode() for s in spawners))


def file_names(data: bytes, tokens: tuple[bytes, ...]) -> list[list]:
    """One file's part of the name filter, as plain JSON data (it is cached with the file):
    [its `async def` names, its def names if it spawns tasks, its `a = b` aliases]."""
    def text(name: bytes) -> str:
        return name.decode("ascii", "replace")

    return [
        [text(n) for n in _ASYNC_DEF.findall(data)] if b"async" in data else [],
        [text(n) for n in _DEF.findall(data)] if any(t in data for t in tokens) else [],
        [[text(a), text(b)] for a, b in _ALIAS.findall(data)],
    ]


def combine_names(parts: Iterable[list[list]]) -> NameFilter:
    coroutines: set[str] = set()
    wrappers: set[str] = set()
    aliases: list[list[str]] = []
    for async_defs, defs, file_aliases in parts:
        coroutines.update(async_defs)
        wrappers.update(defs)
        aliases.extend(file_aliases)
    return NameFilter(_with_aliases(coroutines, aliases), _with_aliases(wrappers, aliases))


def project_names(paths: Iterable[str], spawners: Iterable[str] = (), max_bytes: int | None = None) -> NameFilter:
    from asynclint.engine.notebook import python_of
    from asynclint.engine.source import SourceError, read_bytes

    tokens = spawner_tokens(spawners)
    parts = []
    for path in paths:
        try:
            # never blocks on a FIFO, nor reads a huge file
            parts.append(file_names(python_of(path, read_bytes(path, max_bytes)), tokens))
        except SourceError:
            continue
    return combine_names(parts)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# -- building a summary during the walk -----------------------------------------------------------


def _decorated(decorator: cst.Decorator) -> cst.BaseExpression:
    """What a decorator names: `functools.wraps(f)` names `functools.wraps`."""
    expr = decorator.decorator
    return expr.func if isinstance(expr, cst.Call) else expr


MAX_WRAPPER_DEPTH = 6  # wrappers of wrappers followed (`_chain_wrappers`)
MAX_UNION = 4  # classes an attribute may hold, one per assignment (`A()` here, `B()` there)


def _joined(previous: str | None, held: str | None) -> str:
    """What an attribute holds after one more assignment: the same type, a union of classes
    (`A|B`, whose method the index knows when it is the same kind in each), or "?" (unknown)."""
    if held is None or previous == "?":
        return "?"
    if previous is None or previous == held:
        return held
    if ":" in previous or ":" in held:  # deferred types and class objects are not joined
        return "?"
    classes = sorted({*previous.split("|"), held})
    return "|".join(classes) if len(classes) <= MAX_UNION else "?"


class SummaryCollector:
    def __init__(
        self, model: SemanticModel, module: str, is_package: bool, extra_spawners: tuple[str, ...] = (),
        is_test: bool = False, facts: TypeFacts | None = None, spawns: TaskSpawns | None = None,
    ) -> None:
        self.model = model
        # What values hold and which calls spawn tasks: the file's shared services when the
        # walker gives them (lint/context.py), else this summary's own.
        self.facts = facts if facts is not None else TypeFacts(model, module, is_package)
        self.is_test = is_test
        # In test modules, every identifier used (names, attributes, words in strings): what
        # the tests reference, for ASL405. A superset on purpose: a name seen counts as tested.
        self.test_names: set[str] = set()
        self.special: set[str] = set()  # classes with decorators or keywords (a metaclass)
        self.spawns = spawns if spawns is not None else TaskSpawns(self.facts, extra_spawners)
        self._returns: dict[int, str] = {}  # id(FunctionDef) -> "task" while it only returns new tasks
        # id(FunctionDef) -> the project calls it returns, when each return is a new task or such
        # a call: a wrapper if the index finds each callee one (`self.spawn()` returning
        # `self.core.create_task()`)
        self._chained: dict[int, list[list[str]]] = {}
        self.chains: dict[str, list] = {}  # qualname -> [kind, [[ref kind, target, name], ...]]
        # id(FunctionDef) -> "wrapper" while it only returns a nested `async def` (a decorator
        # whose wrapper is async), "factory" while it only returns such a decorator
        self._wraps: dict[int, str | None] = {}
        self.decorators: dict[str, str] = {}  # qualname -> "wrapper" | "factory"
        self.decorated: dict[str, list[list]] = {}  # qualname -> [[decorator, called], ...]
        self.wrappers: dict[str, str] = {}
        self.module = module
        self.is_package = is_package
        self.functions: dict[str, str] = {}
        self.classes: dict[str, list[str]] = {}
        self.attributes: dict[str, dict[str, str]] = {}  # class -> attribute -> class it holds
        self._declared: dict[str, set[str]] = {}  # class -> attributes with an annotation
        self.coroutines = catalogue.coroutines()
        self.blocking = BlockingSummary(self.facts)

    def absolute(self, qualified: str | None) -> str | None:
        return absolute_name(qualified, self.module, self.is_package) if qualified else None

    def _decorated_kind(self, node: cst.FunctionDef, kind: str, qualname: str) -> str:
        project: list[list] = []  # decorators that may be the project's own, outermost first
        for decorator in node.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            name = self.absolute(self.model.qualified_name(target))
            if name in self.coroutines.overload_decorators:
                return UNKNOWN
            if name in self.coroutines.preserving_decorators:
                continue
            ref = self.facts.reference(target)
            if ref is None or ref.kind != "global":
                return UNKNOWN  # an unknown decorator may return anything
            project.append([ref.target, isinstance(expr, cst.Call)])
        if not project:
            return kind
        self.decorated[qualname] = project  # the index tells whether they return async wrappers
        return DECORATED

    def assignment(self, target: cst.BaseExpression, value: cst.BaseExpression | None, annotation) -> None:
        """What an attribute of a class the summary records holds: `self.x = Cls(...)` or `self.x: Cls`
        in a method, or `x: Cls` in the class body. A declared type (an annotation) stands for
        every assignment; `None` (what `__init__` often sets first) says nothing; two different
        types make it unknown."""
        name, owner = self._attribute_target(target)
        if owner is None:
            return
        attributes = self.attributes.setdefault(owner, {})
        declared = self._declared.setdefault(owner, set())
        if annotation is not None:
            # `stream: HTTPStream | WSStream | None`: a union of classes, as assignments make one
            union = self.facts.union(annotation)
            held = "|".join(union) if union and len(union) <= MAX_UNION else stored(self.facts.annotation(annotation))
            if name in declared and attributes.get(name) != held:
                held = None
            declared.add(name)
            attributes[name] = "?" if held is None else held
            return
        if name in declared or value is None or (isinstance(value, cst.Name) and value.value == "None"):
            return
        # `self.x = Cls()`, `self.x = open(p)`, `self.x = param` with `param: Cls`, or a type only
        # the index can finish (`self.x = self.context.event_class()`)
        held = stored(self.facts.held(value))
        attributes[name] = _joined(attributes.get(name), held)

    def _attribute_target(self, target: cst.BaseExpression) -> tuple[str, str | None]:
        """(attribute, class) for `self.x` in a method or `x` in the body of a class the summary
        records (module-level, or nested in such classes)."""
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            return target.attr.value, self.facts.enclosing_class()
        scope = self.model.scope
        if isinstance(target, cst.Name) and scope is not None and scope.kind is ScopeKind.CLASS and scope.addressable:
            return target.value, scope.qualname
        return "", None

    def returned(self, node: cst.Return) -> None:
        """Note whether a function hands back a task it just spawned (and nothing else)."""
        function = self.model.function_scope()
        if function is None or function.kind is not ScopeKind.FUNCTION or node.value is None:
            return
        self.blocking.returned(function, node.value)
        key = id(function.node)
        if self.spawns.is_spawn(node.value):
            self._returns.setdefault(key, "task")
        elif (chained := self._chained_call(node.value)) is not None and self._returns.get(key) != "other":
            self._returns[key] = "chain"
            calls = self._chained.setdefault(key, [])
            if chained not in calls:
                calls.append(chained)
        elif not (isinstance(node.value, cst.Name) and node.value.value == "None"):
            self._returns[key] = "other"
        kind = self._wrapper_kind(node.value)
        # Every return must agree: `return func` on some path makes it no async decorator.
        self._wraps[key] = kind if self._wraps.get(key, kind) == kind else None

    def _chained_call(self, value: cst.BaseExpression) -> list[str] | None:
        """`[kind, target, name]` of a returned call that makes a new task if the index finds it
        a project wrapper, or `["loop", target, name]` for a held reference's `create_task`,
        which does if the index finds its receiver an event loop (`return
        self._loop().create_task(coro)`) or the method a project wrapper."""
        loop = self.spawns.loop_condition(value)
        if loop is not None:
            return [LOOP, loop.target, loop.name]
        return self._project_call(value)

    def _project_call(self, value: cst.BaseExpression) -> list[str] | None:
        """`[kind, target, name]` of a call the index can follow to a project function."""
        if not isinstance(value, cst.Call):
            return None
        ref = self.facts.reference(value.func)
        if ref is None or ref.kind not in PROJECT_REFS:
            return None
        return [ref.kind, ref.target, ref.name]

    def _wrapper_kind(self, value: cst.BaseExpression) -> str | None:
        """"wrapper" when `value` names a nested `async def`, "factory" when it names a nested
        decorator whose wrapper is async (`def retry(n): def deco(f): ...; return deco`)."""
        if not isinstance(value, cst.Name):
            return None
        binding = self.model.lookup(value.value)
        node = binding.definition if binding is not None and binding.kind is BindingKind.FUNCTION else None
        if not isinstance(node, cst.FunctionDef):
            return None
        # A decorator on the nested function (other than the ones that keep it as it is, such as
        # `functools.wraps`) decides what is returned: asyncssh's `@asynctest` turns the `async
        # def` into a sync function that runs it.
        kept = self.coroutines.preserving_decorators
        if any(self.absolute(self.model.qualified_name(_decorated(d))) not in kept for d in node.decorators):
            return None
        if node.asynchronous is not None:
            return "wrapper"
        return "factory" if self._wraps.get(id(node)) == "wrapper" else None

    def call(self, node: cst.Call) -> None:
        self.blocking.call(node)

    def scope_exit(self, scope: Scope) -> None:
        self.blocking.scope_exit(scope)
        parent = scope.parent
        if parent is None:
            return
        top_level = parent.kind is ScopeKind.MODULE
        # Module-level functions and classes, classes nested in classes (`Outer.Inner`, reached
        # by a dotted name) and their methods: what other modules can name.
        if scope.kind is ScopeKind.FUNCTION and parent.addressable:
            node = scope.node
            assert isinstance(node, cst.FunctionDef)
            kind = (ASYNCGEN if scope.is_generator else ASYNC) if node.asynchronous is not None else SYNC
            kind = self._decorated_kind(node, kind, scope.qualname)
            previous = self.functions.get(scope.qualname)
            self.functions[scope.qualname] = kind if previous in (None, kind) else UNKNOWN
            returns = self._returns.get(id(node))
            if returns == "task" and kind in (SYNC, ASYNC):
                self.wrappers[scope.qualname] = kind
            elif returns == "chain" and kind in (SYNC, ASYNC):
                self.chains[scope.qualname] = [kind, self._chained[id(node)]]
            wraps = self._wraps.get(id(node))
            if wraps is not None and kind == SYNC and top_level:
                self.decorators[scope.qualname] = wraps
        elif scope.kind is ScopeKind.CLASS and parent.addressable:
            node = scope.node
            assert isinstance(node, cst.ClassDef)
            self.classes[scope.qualname] = [self._base(arg.value) for arg in node.bases if arg.keyword is None]
            if node.decorators or node.keywords:
                self.special.add(scope.qualname)

    def seen(self, node: cst.CSTNode) -> None:
        """A Name, Attribute or string of a test module."""
        if isinstance(node, cst.Name):
            self.test_names.add(node.value)
        elif isinstance(node, cst.Attribute):
            self.test_names.add(node.attr.value)
        elif isinstance(node, cst.SimpleString):
            self.test_names.update(_WORD.findall(node.value))

    def _base(self, expr: cst.BaseExpression) -> str:
        if isinstance(expr, cst.Subscript):  # `Generic[T]`, `Repo[Model]`: the class subscripted
            expr = expr.value
        qualified = self.absolute(self.model.qualified_name(expr))
        if qualified is not None and not qualified.startswith("builtins."):
            return qualified
        if isinstance(expr, cst.Name):
            binding = self.model.lookup(expr.value)
            if binding is not None and binding.kind is BindingKind.CLASS:
                return f"{self.module}.{expr.value}"
            if qualified == "builtins.object":
                return "builtins.object"
        return "?"

    def summary(self) -> dict:
        scope = self.model.module_scope
        imports, aliases = {}, {}
        if scope is not None:
            for name, bindings in scope.bindings.items():
                last = bindings[-1]
                if last.kind is BindingKind.IMPORT and last.qualified:
                    imports[name] = self.absolute(last.qualified)
                elif last.kind is BindingKind.ASSIGN and len(bindings) == 1:
                    # `fetch = save` or `fetch = impl.save`, bound once: another name for it.
                    if isinstance(last.value, cst.Name):
                        aliases[name] = f"{self.module}.{last.value.value}"
                    elif isinstance(last.value, cst.Attribute):
                        target = self.absolute(self.model.qualified_name(last.value))
                        if target:
                            aliases[name] = target
        return {
            "module": self.module,
            "package": self.is_package,
            "functions": self.functions,
            "classes": self.classes,
            "imports": imports,
            "aliases": aliases,
            "attributes": self.attributes,
            "wrappers": self.wrappers,
            "chains": self.chains,
            "decorators": self.decorators,
            "decorated": self.decorated,
            "special": sorted(self.special),
            "test": sorted(self.test_names) if self.is_test else None,
            **self.blocking.tables,
        }


_STR = {str}
# Every key a summary has (`SummaryCollector.summary`), no more and no fewer.
SUMMARY_KEYS = frozenset({
    "module", "package", "functions", "classes", "imports", "aliases", "attributes", "wrappers", "chains",
    "decorators", "decorated", "special", "test", "constants", "returns", "properties", "blocking", "calls",
    "params",
})


def _strings(value, depth: int) -> bool:
    """A dict of str keys whose values are str (depth 1), or such dicts (depth 2)."""
    if type(value) is not dict or not {type(k) for k in value} <= _STR:
        return False
    if depth == 1:
        return {type(v) for v in value.values()} <= _STR
    return all(_strings(v, depth - 1) for v in value.values())


_DECORATOR_KINDS = {"wrapper", "factory"}


def is_summary(value) -> bool:
    """Whether `value` (read back from a cache) has exactly the shape `summary()` makes, so that
    the index can use it without further checks."""
    return (
        isinstance(value, dict)
        and set(value) == SUMMARY_KEYS
        and type(value["special"]) is list and {type(v) for v in value["special"]} <= _STR
        and (value["test"] is None or (type(value["test"]) is list and {type(v) for v in value["test"]} <= _STR))
        and all(_strings(value[k], 1) for k in ("constants", "returns", "properties", "params"))
        and type(value["blocking"]) is dict
        and all(type(v) is list and len(v) == 2 and {type(x) for x in v} <= _STR for v in value["blocking"].values())
        and type(value["calls"]) is dict
        and type(value["chains"]) is dict
        and all(
            type(v) is list and len(v) == 2 and v[0] in (SYNC, ASYNC) and type(v[1]) is list
            and all(type(c) is list and len(c) == 3 and {type(x) for x in c} <= _STR for c in v[1])
            for v in value["chains"].values()
        )
        and all(
            type(v) is list and all(type(c) is list and len(c) == 3 and {type(x) for x in c} <= _STR for c in v)
            for v in value["calls"].values()
        )
        and isinstance(value["module"], str) and isinstance(value["package"], bool)
        and all(_strings(value[k], 1) for k in ("functions", "imports", "aliases", "wrappers", "decorators"))
        and _strings(value["attributes"], 2)
        and type(value["classes"]) is dict
        and {type(k) for k in value["classes"]} <= _STR
        and all(type(v) is list and {type(b) for b in v} <= _STR for v in value["classes"].values())
        and set(value["decorators"].values()) <= _DECORATOR_KINDS
        and isinstance(value["decorated"], dict)
        and all(
            isinstance(k, str) and isinstance(v, list) and v
            and all(isinstance(d, list) and len(d) == 2 and isinstance(d[0], str) and isinstance(d[1], bool) for d in v)
            for k, v in value["decorated"].items()
        )
    )


def _c3_merge(sequences: list[list[str]]) -> list[str] | None:
    """C3's merge: repeatedly take the first head that is in no other sequence's tail; None when
    none is (an inconsistent hierarchy)."""
    sequences = [list(seq) for seq in sequences if seq]
    merged: list[str] = []
    while sequences:
        for seq in sequences:
            head = seq[0]
            if not any(head in other[1:] for other in sequences):
                break
        else:
            return None
        merged.append(head)
        sequences = [rest for rest in (seq[1:] if seq[0] == head else seq for seq in sequences) if rest]
    return merged


# -- the index ----------------------------------------------------------------------------------


class ProjectIndex:
    def __init__(
        self, summaries: Iterable[dict], by_method_name: bool = False, evidence=None, library: Library | None = None,
    ) -> None:
        self.by_method_name = by_method_name
        # Coverage data (asynclint.resolve.coverage_evidence), when ASL405 is to judge by execution.
        self.evidence = evidence
        self.special: set[str] = set()
        self.test_modules: list[dict] = []
        self._tested: tuple[set[str], set[str]] | None = None
        self.modules: dict[str, dict | None] = {}
        for summary in summaries:
            name = summary["module"]
            # Two files claiming one module name (scripts, several projects side by side):
            # nothing about that name can be trusted.
            self.modules[name] = None if name in self.modules else summary
            if summary.get("test") is not None:
                # Test files often share a name (tests/unit/test_api.py, tests/e2e/test_api.py):
                # what they reference counts all the same.
                self.test_modules.append(summary)
        self.classes: dict[str, list[str]] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self.defining: dict[str, list[tuple[str, str]]] = defaultdict(list)  # method -> (class, kind)
        self._mro: dict[str, list[str]] = {}
        self._linear: dict[str, list[str]] = {}  # full C3 linearizations (see `mro`)
        self._neutral = catalogue.testing().neutral_bases
        self._loop_types = catalogue.tasks().loop_types
        self._checked: dict[Ref, bool] = {}
        # class -> (its module, its qualname there): "pkg.mod.Outer.Inner" -> ("pkg.mod", "Outer.Inner")
        self._owners: dict[str, tuple[str, str]] = {}
        for name, module_summary in self.modules.items():
            if module_summary is None:
                continue
            for qualname, held in module_summary["attributes"].items():
                self.attributes[f"{name}.{qualname}"] = held
            for qualname, kind in module_summary["functions"].items():
                if "." in qualname:
                    owner, method = qualname.rsplit(".", 1)
                    self.defining[method].append((f"{name}.{owner}", kind))
            for qualname, bases in module_summary["classes"].items():
                self.classes[f"{name}.{qualname}"] = bases
                self._owners[f"{name}.{qualname}"] = (name, qualname)
            self.special.update(f"{name}.{qualname}" for qualname in module_summary.get("special", ()))
        self.common = catalogue.coroutines().common_sync_methods
        # what a library type's method is (asynclint/resolve/library.py)
        self.library = library if library is not None else Library()
        self.async_context_managers = catalogue.coroutines().async_context_managers
        self._chain_wrappers()

    def _chain_wrappers(self) -> None:
        """Wrappers of wrappers, to a fixed point (at most MAX_WRAPPER_DEPTH levels): a function
        each of whose returns is a new task or a call of a project wrapper returns a new task
        (`self.spawn()` returning `self.core.create_task()` returning `loop.create_task()`)."""
        waiting = [
            (name, qualname, entry) for name, summary in self.modules.items() if summary is not None
            for qualname, entry in summary["chains"].items()
        ]
        copied: set[str] = set()
        for _ in range(MAX_WRAPPER_DEPTH):
            grown = False
            for name, qualname, (kind, calls) in waiting:
                summary = self.modules[name]
                assert summary is not None
                if qualname in summary["wrappers"]:
                    continue
                if all(self._makes_task(*call) for call in calls):
                    if name not in copied:  # the summary may be the cache's own: change a copy
                        summary = self.modules[name] = {**summary, "wrappers": dict(summary["wrappers"])}
                        copied.add(name)
                    summary["wrappers"][qualname] = kind
                    grown = True
            if not grown:
                break

    def _makes_task(self, kind: str, target: str, name: str) -> bool:
        """Whether a call a chain records makes a new task (see SummaryCollector._chained_call)."""
        if kind == LOOP:  # not remembered: the wrappers table is still growing
            return self._check(Ref("held", target, name, expect=LOOP))
        return bool(self.resolve(Ref(kind, target, name), "wrappers"))

    def _split(self, qualified: str) -> tuple[str, list[str]] | None:
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                return module, parts[cut:]
        return None

    def _where(self, cls: str) -> tuple[dict | None, str]:
        """The summary of the module defining a project class and the class's qualname there
        (nested classes have dotted ones: "Outer.Inner")."""
        found = self._owners.get(cls)
        if found is None:
            return None, cls
        return self.modules.get(found[0]), found[1]

    @staticmethod
    def _class_prefix(summary: dict, rest: list[str]) -> int:
        """How many leading parts of `rest` name a class of the module (`Outer.Inner.m`: 2), 0 if
        the first names none."""
        classes = summary["classes"]
        count = 0
        while count < len(rest) and ".".join(rest[: count + 1]) in classes:
            count += 1
        return count

    def lookup(self, qualified: str, depth: int = 0, table: str = "functions") -> str | None:
        """What a dotted name denotes: a function's kind, CLASS, or None if unknown. With
        table="wrappers", the function's entry there (whether it returns a fresh task)."""
        if depth > 8:
            return None
        split = self._split(qualified)
        if split is None:
            return None
        module, rest = split
        summary = self.modules[module]
        if summary is None:
            return None
        head = rest[0]
        if len(rest) == 1 and head in summary["functions"]:
            return self._entry(summary, head, table, depth)
        nested = self._class_prefix(summary, rest)
        if nested:  # a class (`Outer`, `Outer.Inner`) or one of its methods
            cls = ".".join(rest[:nested])
            if nested == len(rest):
                return CLASS if table == "functions" else None
            if nested == len(rest) - 1:
                return self.method(f"{module}.{cls}", rest[-1], table)
            return None
        for names in ("imports", "aliases"):
            target = summary[names].get(head)
            if target:
                return self.lookup(".".join([target, *rest[1:]]), depth + 1, table)
        return None

    def _entry(self, summary: dict, qualname: str, table: str, depth: int = 0) -> str | None:
        """A function's entry in `table`; for "functions", what its decorators make of it."""
        entry = summary[table].get(qualname)
        if table != "functions" or entry != DECORATED:
            return entry
        # The outermost decorator decides: a project decorator returning an `async def` wrapper
        # (or a factory of one, when called) makes a coroutine function; anything else, unknown.
        name, called = summary["decorated"][qualname][0]
        wanted = "factory" if called else "wrapper"
        return ASYNC if self.lookup(name, depth + 1, table="decorators") == wanted else UNKNOWN

    def _class_name(self, qualified: str, depth: int = 0) -> str | None:
        """Follow re-exports to the module that defines a class."""
        if qualified in self.classes or depth > 8:
            return qualified if qualified in self.classes else None
        split = self._split(qualified)
        if split is None:
            return None
        module, rest = split
        summary = self.modules[module]
        if summary is None:
            return None
        for table in ("imports", "aliases"):
            target = summary[table].get(rest[0])
            if target:  # `pkg.Outer.Inner` with `from pkg.mod import Outer` in pkg
                return self._class_name(".".join([target, *rest[1:]]), depth + 1)
        return None

    def mro(self, cls: str) -> list[str]:
        """Project classes in method resolution order (C3, as Python computes it), ending in "?"
        where a base outside the project comes, since it may define anything. Bases that define
        nothing a call could reach (`object`, `ABC`, `Generic[T]`, `Protocol`) are left out."""
        cached = self._mro.get(cls)
        if cached is None:
            full = self._linearize(cls, set())
            outside = next((n for n, klass in enumerate(full) if klass.startswith("?")), None)
            cached = self._mro[cls] = full if outside is None else [*full[:outside], "?"]
        return cached

    def _linearize(self, cls: str, visiting: set[str]) -> list[str]:
        """The C3 linearization of a project class, each base from outside the project standing
        as "?<name>" (its own MRO unknown); [cls, "?"] when the hierarchy is circular, too deep or
        inconsistent (Python would refuse it)."""
        cached = self._linear.get(cls)
        if cached is not None:
            return cached
        if cls in visiting or len(visiting) > 30:
            return [cls, "?"]
        visiting.add(cls)
        bases = []
        for base in self.classes[cls]:
            if base in self._neutral:
                continue
            resolved = self._class_name(base) if base != "?" else None
            bases.append(resolved if resolved is not None else f"?{base}")
        sequences = [[base] if base.startswith("?") else self._linearize(base, visiting) for base in bases]
        merged = _c3_merge([*sequences, bases])
        visiting.discard(cls)
        result = self._linear[cls] = [cls, *merged] if merged is not None else [cls, "?"]
        return result

    def method(self, cls: str, name: str, table: str = "functions", inherited: bool = False) -> str | None:
        """The kind (or `table` entry) of `cls.name`; with `inherited`, as `super().name` in
        `cls` finds it: from the classes after `cls` in its MRO. For a union of classes (what
        an attribute assigned several holds), the entry they all agree on."""
        if "|" in cls:
            # A member that provably has no such attribute would raise AttributeError: the call
            # is made on the others (`self._coordinator: GroupCoordinator | NoGroupCoordinator`
            # with `commit_offsets` on the first only).
            members = [one for one in cls.split("|") if not self._lacks(one, name)]
            entries = [self.method(one, name, table, inherited) for one in members]
            return entries[0] if entries and all(entry == entries[0] for entry in entries) else None
        cls = self._class_name(cls) or cls
        if cls not in self.classes:
            return None
        found = entry = where = None
        for klass in self.mro(cls)[1:] if inherited else self.mro(cls):
            if klass == "?":
                # An outside base may define it first: a library class, whose declarations say
                # (`class AsyncConnectionPool(psycopg_pool.AsyncConnectionPool)`, `self.getconn()`)
                base = self._library_base(cls) if table == "functions" else None
                if base is None or not self.library.coroutine(f"{base}.{name}"):
                    return None
                overridden = any(
                    other != cls and kind != ASYNC and other in self.classes and cls in self.mro(other)
                    for other, kind in self.defining.get(name, ())
                )
                return None if overridden else ASYNC
            summary, qualname = self._where(klass)
            kind = summary["functions"].get(f"{qualname}.{name}") if summary else None
            if kind is not None and summary is not None:
                found, entry, where = kind, self._entry(summary, f"{qualname}.{name}", table), klass
                break
        if found is None or inherited:
            return entry
        # A subclass overriding the method with another kind makes `self.m()` ambiguous; one
        # whose decorator keeps it a coroutine function (`@translate_exceptions async def`) is
        # of the same kind.
        assert where is not None
        found = self._kind_of(where, name, found)
        for other, kind in self.defining.get(name, ()):
            if (
                other != cls and kind != found and other in self.classes and cls in self.mro(other)
                and self._kind_of(other, name, kind) != found
            ):
                return None
        return entry

    def _library_base(self, cls: str) -> str | None:
        """The one base from outside the project that a project class's hierarchy has (its
        dotted name), or None when there are none or several (whose order would matter)."""
        outside = set()
        for klass in self.mro(cls):
            for base in self.classes.get(klass, ()):
                if base not in self._neutral and self._class_name(base) is None:
                    outside.add(base)
        return next(iter(outside)) if len(outside) == 1 and "?" not in outside else None

    def _lacks(self, cls: str, name: str, attributes: bool = True) -> bool:
        """Whether instances of a project class certainly have no attribute `name`: every class
        of its MRO is the project's, and none defines it, assigns it (unless `attributes` is
        false: then only methods and properties count) or has `__getattr__`."""
        cls = self._class_name(cls) or cls
        if cls not in self.classes:
            return False
        for klass in self.mro(cls):
            if klass == "?":
                return False
            summary, qualname = self._where(klass)
            if summary is None or (attributes and name in self.attributes.get(klass, {})):
                return False
            if f"{klass}.{name}" in self.classes:  # a nested class (`self.Inner()`)
                return False
            functions = summary["functions"]
            if any(f"{qualname}.{member}" in functions for member in (name, "__getattr__", "__getattribute__")):
                return False
            if any(key.startswith(f"{qualname}.{name}") for key in summary.get("properties", ())):
                return False
        return True

    def nested_class(self, cls: str, name: str) -> str | None:
        """The class `cls.name` names when it is a class nested in one of `cls`'s MRO
        (`self.Inner()`, `cls.Inner`); None when a method or attribute of that name comes first,
        or a base outside the project may define it."""
        cls = self._class_name(cls) or cls
        if cls not in self.classes:
            return None
        for klass in self.mro(cls):
            summary, qualname = self._where(klass)
            if klass == "?" or summary is None:
                return None
            if f"{klass}.{name}" in self.classes:
                return f"{klass}.{name}"
            if name in self.attributes.get(klass, {}) or f"{qualname}.{name}" in summary["functions"]:
                return None
        return None

    def _kind_of(self, cls: str, name: str, kind: str) -> str | None:
        """The kind of a method as its decorators make it (DECORATED resolved)."""
        if kind != DECORATED:
            return kind
        summary, qualname = self._where(cls)
        return self._entry(summary, f"{qualname}.{name}", "functions") if summary else None

    def attribute(self, cls: str, attribute: str) -> str | None:
        """The type an attribute of `cls` holds, as its methods assign it or its class body
        declares it; "A|B" when it is assigned instances of several project classes."""
        cls = self._class_name(cls) or cls
        if cls not in self.classes:
            return None
        for klass in self.mro(cls):
            if klass == "?":
                return None
            held = self.attributes.get(klass, {}).get(attribute)
            if held is not None:
                if held == "?" or "|" in held:
                    return None if held == "?" else held  # a union: see `method`
                return deferred.made(self, held)
        return None

    def check(self, ref: Ref) -> bool:
        """Whether the index confirms what the reference's finding needs."""
        known = self._checked.get(ref)
        if known is None:
            known = self._checked[ref] = self._check(ref)
        return known

    def _check(self, ref: Ref) -> bool:
        if ref.expect == "sync-testcase":
            return self.test_case_kind(ref.target) == SYNC
        if ref.expect == "untested":
            return self.untested(ref.target, ref.name)
        if ref.expect.startswith("task:"):
            return self.resolve(ref, "wrappers") == ref.expect[5:]
        if ref.expect.startswith("lock:"):  # ASL504/ASL505: `with self._lock:`, the lock inherited
            locks = catalogue.types()
            kinds = locks.thread_locks if ref.expect == "lock:thread" else locks.asyncio_locks
            return self.attribute(ref.target, ref.name) in kinds
        if ref.expect.startswith("block"):  # ASL2xx, see asynclint/resolve/blocking_project.py
            return check_blocking(self, ref)
        if ref.expect == "async-cm":  # `with self._session:`: what the attribute holds
            return self.attribute(ref.target, ref.name) in self.async_context_managers
        if ref.expect.startswith(PLAIN_PARAMETER):
            # ASL102: a coroutine bound to a name, then passed where the callee declares a plain
            # value; the coroutine's own reference comes first when the index must confirm it
            callee, argument = plain_parameter_parts(ref)
            if ref.kind != "known" and self.resolve(ref) != ASYNC:
                return False
            return self.plain_parameter(callee, argument)
        if ref.expect.startswith(PLAIN_TYPE):  # ASL102: a coroutine bound to a name declared plain
            if ref.kind != "known" and self.resolve(ref) != ASYNC:
                return False
            return self._plain(ref.expect[len(PLAIN_TYPE):])
        if ref.expect == LOOP:
            # `helper().create_task(coro)`: whether the helper gives an event loop, or the
            # method is a project one returning a new task (`self.core.create_task(coro)`)
            return self.held_type(ref) in self._loop_types or self.resolve(ref, "wrappers") == SYNC
        if ref.expect == ITERATED_AWAITABLE:
            if self.resolve(ref) != SYNC:
                return False  # a coroutine function's call is the coroutine rules' to judge
            returned = self.resolve(ref, "returns")
            return returned is not None and self.awaitable_only(returned)
        return self.resolve(ref) == ref.expect  # "async", or "asyncgen" for `for x in agen()`

    def awaitable_only(self, cls: str) -> bool:
        """Whether instances of `cls` are awaitable but not iterable: every class of its MRO is
        the project's, one defines `__await__`, and none defines or assigns `__iter__`."""
        cls = self._class_name(cls) or ""
        if cls not in self.classes:
            return False
        awaitable = False
        for klass in self.mro(cls):
            summary, qualname = self._where(klass)
            if klass == "?" or summary is None or "__iter__" in self.attributes.get(klass, {}):
                return False
            functions = summary["functions"]
            if f"{qualname}.__iter__" in functions:
                return False
            awaitable = awaitable or f"{qualname}.__await__" in functions
        return awaitable

    def plain_parameter(self, callee: Ref, argument: str) -> bool:
        """Whether the project function `callee` refers to declares a plain value (a number, a
        string, an instance of a class that is not awaitable) for `argument`: a position among
        the arguments the call passes ("0", "1", ...) or a keyword ("k:name")."""
        found = self._signature(callee)
        if found is None:
            return False
        entries, bound = found
        if bound:
            if not entries or entries[0].partition("=")[0] not in ("self", "cls"):
                return False  # a staticmethod, or what looked like a method is not one
            entries = entries[1:]
        declared = None
        if argument.startswith("k:"):
            for entry in entries:
                if entry.partition("=")[0] == argument[2:]:
                    declared = entry
        else:
            position = int(argument)
            positional = [entry for entry in entries[: next((n for n, e in enumerate(entries) if e.startswith("*")), len(entries))]]
            declared = positional[position] if position < len(positional) else None
        if declared is None or "=" not in declared:
            return False
        return self._plain(declared.partition("=")[2])

    def _signature(self, callee: Ref) -> tuple[list[str], bool] | None:
        """The callee's parameters (see BlockingSummary._signature) and whether the call binds
        its first one (a method called on an instance, or a class's `__init__`)."""
        if callee.kind == "method":
            owner, name, bound = callee.target, callee.name, True
        elif callee.kind == "global" and self.lookup(callee.target) == CLASS:
            owner, name, bound = callee.target, "__init__", True
        elif callee.kind == "global":
            split = self._split(callee.target)
            if split is None or len(split[1]) != 1:
                return None  # a method reached through its class or an instance: not told apart
            summary = self.modules[split[0]]
            text = summary["params"].get(split[1][0]) if summary else None
            return (text.split(","), False) if text else None
        else:
            return None
        owner = self._class_name(owner) or owner
        if owner not in self.classes:
            return None
        for klass in self.mro(owner):
            if klass == "?":
                return None
            summary, qualname = self._where(klass)
            if summary is not None and f"{qualname}.{name}" in summary["functions"]:
                text = summary["params"].get(f"{qualname}.{name}")
                return (text.split(","), bound) if text else None
        return None

    def _plain(self, declared: str) -> bool:
        if declared in PLAIN_BUILTINS:
            return True
        cls = self._class_name(declared)
        if cls is not None:  # a project class none of whose classes is awaitable or outside
            for klass in self.mro(cls):
                summary, qualname = self._where(klass)
                if klass == "?" or summary is None or f"{qualname}.__await__" in summary["functions"]:
                    return False
            return True
        # A standard-library class, whose stubs declare every base: not awaitable unless one
        # of them has `__await__` (`asyncio.Future`)
        top = declared.split(".", 1)[0]
        found = self.library.declared.find(declared)
        return (
            self._split(declared) is None and found is not None and found[0] == "class"
            and self.library.is_stdlib(top) and self.library.declared.method(declared, "__await__") is None
        )

    def resolve(self, ref: Ref, table: str = "functions") -> str | None:
        if ref.kind == "global":
            return self.lookup(ref.target, table=table)
        if ref.kind == "method":
            found = self.method(ref.target, ref.name, table)
            if found is None and table == "functions" and self._lacks(ref.target, ref.name, attributes=False):
                # `self.app(scope)`, no method `app` but `self.app = app` with `app: AppWrapper`:
                # the call is the held object's `__call__`
                held = deferred.member(self, ref.target, ref.name)
                if held is not None and self._library_coroutine(held, "__call__"):
                    return ASYNC
                return self.method(held, "__call__", table) if held else None
            return found
        if ref.kind == "super":
            return self.method(ref.target, ref.name, table, inherited=True)
        if ref.kind == "attr":
            # `self._client.m()`: what the attribute holds, or what the property returns
            attribute, _, method = ref.name.partition(".")
            held = deferred.member(self, ref.target, attribute)
            if held is not None:  # `self.remote.create()` with `remote: type[Model]`: a classmethod
                held = held.removeprefix(deferred.CLASS_OF)
            if held is not None and table == "functions" and self._library_coroutine(held, method):
                return ASYNC  # `self._lock = asyncio.Lock()` then `self._lock.acquire()`
            return self.method(held, method, table) if held else None
        if ref.kind == "held":
            held = self.held_type(ref)
            method = ref.name.rpartition(".")[2]
            if held is not None:
                if table == "functions" and self._library_coroutine(held, method):
                    return ASYNC  # `self.state.ready.wait()` with `ready: asyncio.Event`
                return self.method(held, method, table)
            return self._by_name(method) if table == "functions" else None
        if table != "functions":
            return None
        if ref.kind == "duck":
            return self._by_name(ref.name)
        return None

    def _library_coroutine(self, held: str, method: str) -> bool:
        return (
            "|" not in held and ":" not in held and self._class_name(held) is None
            and self.library.coroutine(f"{held}.{method}")
        )

    def held_type(self, ref: Ref) -> str | None:
        """The type a "held" reference's receiver has, when the index can finish it."""
        kind, _, root = ref.target.partition(" ")
        held = deferred.resolve(self, kind, root, ref.name.split(".")[:-1])
        return None if held is None or held.startswith(deferred.AWAITING) else held

    def guessed(self, ref: Ref) -> bool:
        """Whether the index answers `ref` from the method name alone (see `_by_name`)."""
        return ref.kind == "duck" or (ref.kind == "held" and self.held_type(ref) is None)

    def _by_name(self, name: str) -> str | None:
        # Measured on real projects, the method name alone misfires (file objects' `seek`,
        # pathlib's `write_bytes`, device libraries' `set_brightness`), so it is opt-in.
        if not self.by_method_name or name.startswith("__") or name in self.common:
            return None
        return ASYNC if {kind for _, kind in self.defining.get(name, ())} == {ASYNC} else None

    # -- test cases (ASL401) --------------------------------------------------------------------

    def test_case_kind(self, cls: str) -> str | None:
        """SYNC when every base of the class is known and they reach a unittest case that never
        awaits async test methods; ASYNC when they reach one that does; None when unknown (a base
        outside the project that the catalogue does not know, a class decorator or metaclass, or
        a project class overriding how test methods are called)."""
        testing = catalogue.testing()
        found: set[str] = set()
        stack, seen = [cls], set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in testing.async_bases:
                return ASYNC
            if name in testing.sync_bases:
                found.add(SYNC)
                continue
            if name in testing.neutral_bases:
                continue
            resolved = self._class_name(name)
            if resolved is None or resolved in self.special or len(seen) > 60:
                return None
            known, qualname = self._where(resolved)
            assert known is not None  # a class the index names is in a module it holds
            functions = known["functions"]
            if any(f"{qualname}.{method}" in functions for method in testing.runner_methods):
                return None
            for base in self.classes[resolved]:
                if base == "?":
                    return None
                stack.append(base)
        return SYNC if found else None

    # -- untested functions (ASL405) --------------------------------------------------------------

    def definition(self, qualified: str, depth: int = 0) -> str | None:
        """The dotted name where a function or method is defined, through re-exports, aliases and
        the class hierarchy; None when it is not a project function."""
        split = self._split(qualified)
        if split is None or depth > 8:
            return None
        module, rest = split
        summary = self.modules[module]
        if summary is None:
            return None
        head = rest[0]
        if len(rest) == 1 and head in summary["functions"]:
            return f"{module}.{head}"
        nested = self._class_prefix(summary, rest)
        if nested and nested == len(rest) - 1:
            for klass in self.mro(f"{module}.{'.'.join(rest[:nested])}"):
                if klass == "?":
                    return None
                defining, qualname = self._where(klass)
                assert defining is not None  # a class the index names is in a module it holds
                if f"{qualname}.{rest[-1]}" in defining["functions"]:
                    return f"{klass}.{rest[-1]}"
            return None
        for table in ("imports", "aliases"):
            target = summary[table].get(head)
            if target:
                return self.definition(".".join([target, *rest[1:]]), depth + 1)
        return None

    def _test_references(self) -> tuple[set[str], set[str]]:
        if self._tested is None:
            names: set[str] = set()
            defined: set[str] = set()
            for summary in self.test_modules:
                names.update(summary["test"])
                for target in summary["imports"].values():
                    found = self.definition(target)
                    if found:
                        defined.add(found)
            self._tested = names, defined
        return self._tested

    def outside_bases(self, cls: str) -> bool:
        """Whether a class has a base outside the project (other than neutral ones such as ABC)."""
        neutral = catalogue.testing().neutral_bases
        order = self.mro(cls)
        if "?" not in order:
            return False
        # mro() stops at the first outside base; look at every base of every project class.
        for klass in order:
            if klass == "?":
                continue
            for base in self.classes.get(klass, ()):
                if base in neutral:
                    continue
                if base == "?" or self._class_name(base) is None:
                    return True
        return False

    def untested(self, qualified: str, path: str) -> bool:
        """Whether no test references (or, with coverage data, executes) the function defined at
        `qualified` in the file `path`. False whenever that cannot be told."""
        split = self._split(qualified)
        if split is None or self.modules[split[0]] is None:
            return False
        module, rest = split
        if len(rest) == 2 and self.outside_bases(f"{module}.{rest[0]}"):
            return False  # may implement an interface that outside code calls
        if self.evidence is not None:
            return self.evidence.unexecuted(path, ".".join(rest))
        if not self.test_modules:
            return False  # no tests in sight: nothing to say
        names, defined = self._test_references()
        return rest[-1] not in names and qualified not in defined


def needs_index(pending: Iterable[Ref], index: ProjectIndex) -> bool:
    """Whether the index confirms any pending condition (the file must then be checked with it)."""
    return any(index.check(ref) for ref in pending)
