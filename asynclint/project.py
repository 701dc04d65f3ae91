"""The project index: what every module of the project defines, for resolving calls across files.

Each file's walk leaves a *summary* (plain JSON data): its module-level functions and the methods
of its module-level classes with their kind (`async`, `sync`, `asyncgen`, or `unknown` when a
decorator or an overload leaves it open), class bases, imports and `name = other` aliases.
`ProjectIndex` joins the summaries and answers whether a symbolic reference (`Ref`) made during a
walk names a coroutine function. Rules report such calls with the reference as a condition; the
runner resolves the conditions once every file has been summarised, so no file is parsed twice.
When the index cannot tell, the answer is None and the finding is dropped: precision first.
"""

from __future__ import annotations

import functools
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import libcst as cst

from asynclint import catalogue
from asynclint.semantic import BindingKind, Scope, ScopeKind, SemanticModel
from asynclint.spawns import TaskSpawns

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
ASYNC, SYNC, ASYNCGEN, UNKNOWN, CLASS = "async", "sync", "asyncgen", "unknown", "class"


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` holding a project marker, else `start` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return start


@functools.lru_cache(maxsize=4096)
def _is_package(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "__init__.py"))


def module_name(path: str) -> tuple[str, bool]:
    """Dotted module name of a file, from the packages (folders with __init__.py) around it."""
    absolute = Path(os.path.abspath(path))
    stem = absolute.name.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts = [] if is_package else [stem]
    folder = absolute.parent
    while _is_package(str(folder)) and folder != folder.parent:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or stem, is_package


def absolute_name(qualified: str, module: str, is_package: bool) -> str:
    """Resolve a relative import (`.x.y`, `..z`) against the importing module."""
    if not qualified.startswith("."):
        return qualified
    level = len(qualified) - len(qualified.lstrip("."))
    rest = qualified[level:]
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, rest] if rest else base)


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


def _with_aliases(names: set[bytes], aliases: list[tuple[bytes, bytes]]) -> frozenset[str]:
    # Module-level `fetch = save` (or `= impl.save`) gives the function another name.
    for _ in range(3):
        grown = {left for left, right in aliases if right.rpartition(b".")[2] in names} - names
        if not grown:
            break
        names |= grown
    return frozenset(name.decode("ascii", "replace") for name in names)


def project_names(paths: Iterable[str], spawners: Iterable[str] = (), max_bytes: int | None = None) -> NameFilter:
    from asynclint.source import SourceError, read_bytes

    tokens = {b"create_task", b"ensure_future", *(s.rpartition(".")[2].encode() for s in spawners)}
    coroutines: set[bytes] = set()
    wrappers: set[bytes] = set()
    aliases: list[tuple[bytes, bytes]] = []
    for path in paths:
        try:
            data = read_bytes(path, max_bytes)  # never blocks on a FIFO, nor reads a huge file
        except SourceError:
            continue
        coroutines.update(_ASYNC_DEF.findall(data))
        if any(token in data for token in tokens):
            wrappers.update(_DEF.findall(data))
        aliases.extend(_ALIAS.findall(data))
    return NameFilter(_with_aliases(coroutines, aliases), _with_aliases(wrappers, aliases))


def ref_name(ref: "Ref") -> str:
    """The function or method name a reference ends in."""
    return (ref.name or ref.target).rpartition(".")[2]


@dataclass(frozen=True)
class Ref:
    """A call target as far as one file can tell: resolved against the index afterwards.

    kind: "global" (a dotted name: module function, class method, re-export), "method" (`self.m`
    in a method of class `target`), "duck" (`x.m` on a receiver of unknown type).
    """

    kind: str
    target: str
    name: str = ""
    # What the finding needs the target to be: a coroutine function (ASYNC), or a project function
    # that returns a fresh task without keeping it, called plainly ("task:sync") or awaited
    # ("task:async").
    expect: str = "async"


# -- building a summary during the walk -----------------------------------------------------------


class SummaryCollector:
    def __init__(
        self, model: SemanticModel, module: str, is_package: bool, extra_spawners: tuple[str, ...] = ()
    ) -> None:
        self.model = model
        self.spawns = TaskSpawns(model, extra_spawners)
        self._returns: dict[int, str] = {}  # id(FunctionDef) -> "task" while it only returns new tasks
        self.wrappers: dict[str, str] = {}
        self.module = module
        self.is_package = is_package
        self.functions: dict[str, str] = {}
        self.classes: dict[str, list[str]] = {}
        self.attributes: dict[str, dict[str, str]] = {}  # class -> attribute -> class it holds
        self.coroutines = catalogue.coroutines()

    def absolute(self, qualified: str | None) -> str | None:
        return absolute_name(qualified, self.module, self.is_package) if qualified else None

    def _decorated_kind(self, node: cst.FunctionDef, kind: str) -> str:
        for decorator in node.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            name = self.absolute(self.model.qualified_name(target))
            if name in self.coroutines.overload_decorators:
                return UNKNOWN
            if name not in self.coroutines.preserving_decorators:
                return UNKNOWN  # an unknown decorator may return anything
        return kind

    def assignment(self, target: cst.BaseExpression, value: cst.BaseExpression | None, annotation) -> None:
        """`self.x = Cls(...)` or `self.x: Cls` in a method: remember what `x` holds."""
        if not (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == "self"
        ):
            return
        owner = _enclosing_class(self.model)
        if owner is None:
            return
        held = None
        if annotation is not None and isinstance(annotation, (cst.Name, cst.Attribute)):
            qualified = self.absolute(self.model.qualified_name(annotation))
            held = qualified or (f"{self.module}.{annotation.value}" if isinstance(annotation, cst.Name) else None)
        elif value is not None:  # `self.x = Cls()`, or `self.x = param` with `param: Cls`
            held = _instance_class(self.model, value, self.module, self.is_package)
        attributes = self.attributes.setdefault(owner, {})
        name = target.attr.value
        if held is None or attributes.get(name, held) != held:
            attributes[name] = "?"  # assigned something else too: unknown
        else:
            attributes[name] = held

    def returned(self, node: cst.Return) -> None:
        """Note whether a function hands back a task it just spawned (and nothing else)."""
        function = self.model.function_scope()
        if function is None or function.kind is not ScopeKind.FUNCTION or node.value is None:
            return
        key = id(function.node)
        if self.spawns.is_spawn(node.value):
            self._returns.setdefault(key, "task")
        elif not (isinstance(node.value, cst.Name) and node.value.value == "None"):
            self._returns[key] = "other"

    def scope_exit(self, scope: Scope) -> None:
        parent = scope.parent
        if parent is None:
            return
        top_level = parent.kind is ScopeKind.MODULE
        in_top_class = parent.kind is ScopeKind.CLASS and parent.parent is not None and parent.parent.kind is ScopeKind.MODULE
        if scope.kind is ScopeKind.FUNCTION and (top_level or in_top_class):
            node = scope.node
            assert isinstance(node, cst.FunctionDef)
            if node.asynchronous is not None:
                kind = ASYNCGEN if scope.is_generator else ASYNC
            else:
                kind = SYNC
            kind = self._decorated_kind(node, kind)
            previous = self.functions.get(scope.qualname)
            self.functions[scope.qualname] = kind if previous in (None, kind) else UNKNOWN
            if self._returns.get(id(node)) == "task" and kind in (SYNC, ASYNC):
                self.wrappers[scope.qualname] = kind
        elif scope.kind is ScopeKind.CLASS and top_level:
            node = scope.node
            assert isinstance(node, cst.ClassDef)
            self.classes[scope.qualname] = [self._base(arg.value) for arg in node.bases if arg.keyword is None]

    def _base(self, expr: cst.BaseExpression) -> str:
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
        }


def reference(
    model: SemanticModel, func: cst.BaseExpression, module: str, is_package: bool, depth: int = 0
) -> Ref | None:
    """What a call's callee refers to, symbolically; None when nothing can be said."""
    if depth > 4:  # `x = x.f()` chains: give up rather than loop
        return None
    if isinstance(func, cst.Name):
        binding = model.lookup(func.value)
        if binding is None:
            return None if model.qualified_name(func) else Ref("global", f"{module}.{func.value}")
        if binding.kind is BindingKind.IMPORT and binding.qualified:
            return Ref("global", absolute_name(binding.qualified, module, is_package))
        if binding.kind in (BindingKind.FUNCTION, BindingKind.CLASS) and model.module_scope is not None:
            if model.module_scope.bindings.get(func.value, [None])[-1] is binding:
                return Ref("global", f"{module}.{func.value}")
        return None
    if isinstance(func, cst.Attribute):
        value = func.value
        if isinstance(value, cst.Name) and value.value in ("self", "cls"):
            owner = _enclosing_class(model)
            return Ref("method", f"{module}.{owner}", func.attr.value) if owner else None
        if (
            isinstance(value, cst.Attribute)
            and isinstance(value.value, cst.Name)
            and value.value.value == "self"
        ):
            # `self._client.fetch()`: what `_client` holds is recorded per class in the summary.
            owner = _enclosing_class(model)
            return Ref("attr", f"{module}.{owner}", f"{value.attr.value}.{func.attr.value}") if owner else None
        qualified = model.qualified_name(value)
        if qualified is not None:
            if qualified.startswith("builtins."):
                return None
            return Ref("global", f"{absolute_name(qualified, module, is_package)}.{func.attr.value}")
        instance_of = _instance_class(model, value, module, is_package, depth + 1)
        if instance_of is not None:
            # `Repo().load()`, `repo = Repo(); repo.load()`, `def f(repo: Repo)`: the index
            # answers only if the class is a project class.
            return Ref("global", f"{instance_of}.{func.attr.value}")
        if isinstance(value, cst.Name):
            binding = model.lookup(value.value)
            if binding is not None and binding.kind is BindingKind.CLASS and model.module_scope is not None:
                return Ref("global", f"{module}.{value.value}.{func.attr.value}")
            if binding is not None and binding.kind is BindingKind.IMPORT:
                return None
        return Ref("duck", "", func.attr.value)
    return None


def _enclosing_class(model: SemanticModel) -> str | None:
    """The top-level class whose method is being walked, if any."""
    function = model.function_scope()
    if (
        function is not None and function.parent is not None
        and function.parent.kind is ScopeKind.CLASS
        and function.parent.parent is not None
        and function.parent.parent.kind is ScopeKind.MODULE
    ):
        return function.parent.qualname
    return None


def _instance_class(
    model: SemanticModel, value: cst.BaseExpression, module: str, is_package: bool, depth: int = 0
) -> str | None:
    """The dotted name of the class `value` is an instance of, when this file says so."""
    if depth > 4:
        return None
    if isinstance(value, cst.Call):
        ref = reference(model, value.func, module, is_package, depth + 1)
        return ref.target if ref is not None and ref.kind == "global" else None
    if isinstance(value, cst.Name):
        binding = model.lookup(value.value)
        if binding is None:
            return None
        if binding.annotation is not None and isinstance(binding.annotation, (cst.Name, cst.Attribute)):
            qualified = model.qualified_name(binding.annotation)
            if qualified is not None and not qualified.startswith("builtins."):
                return absolute_name(qualified, module, is_package)
            if isinstance(binding.annotation, cst.Name):
                return f"{module}.{binding.annotation.value}"
            return None
        if binding.kind is BindingKind.ASSIGN and isinstance(binding.value, cst.Call):
            return _instance_class(model, binding.value, module, is_package, depth + 1)
    return None


# -- the index ----------------------------------------------------------------------------------


class ProjectIndex:
    def __init__(self, summaries: Iterable[dict], by_method_name: bool = False) -> None:
        self.by_method_name = by_method_name
        self.modules: dict[str, dict | None] = {}
        for summary in summaries:
            name = summary["module"]
            # Two files claiming one module name (scripts, several projects side by side):
            # nothing about that name can be trusted.
            self.modules[name] = None if name in self.modules else summary
        self.classes: dict[str, list[str]] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self.defining: dict[str, list[tuple[str, str]]] = defaultdict(list)  # method -> (class, kind)
        self._mro: dict[str, list[str]] = {}
        for name, summary in self.modules.items():
            if summary is None:
                continue
            for qualname, held in summary["attributes"].items():
                self.attributes[f"{name}.{qualname}"] = held
            for qualname, kind in summary["functions"].items():
                if "." in qualname:
                    owner, method = qualname.rsplit(".", 1)
                    self.defining[method].append((f"{name}.{owner}", kind))
            for qualname, bases in summary["classes"].items():
                self.classes[f"{name}.{qualname}"] = bases
        self.common = catalogue.coroutines().common_sync_methods

    def _split(self, qualified: str) -> tuple[str, list[str]] | None:
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                return module, parts[cut:]
        return None

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
            return summary[table].get(head)
        if head in summary["classes"]:
            if len(rest) == 1:
                return CLASS if table == "functions" else None
            if len(rest) == 2:
                return self.method(f"{module}.{head}", rest[1], table)
            return None
        for names in ("imports", "aliases"):
            target = summary[names].get(head)
            if target:
                return self.lookup(".".join([target, *rest[1:]]), depth + 1, table)
        return None

    def _class_name(self, qualified: str, depth: int = 0) -> str | None:
        """Follow re-exports to the module that defines a class."""
        if qualified in self.classes or depth > 8:
            return qualified if qualified in self.classes else None
        split = self._split(qualified)
        if split is None:
            return None
        module, rest = split
        summary = self.modules[module]
        if summary is None or len(rest) != 1:
            return None
        for table in ("imports", "aliases"):
            target = summary[table].get(rest[0])
            if target:
                return self._class_name(target, depth + 1)
        return None

    def mro(self, cls: str) -> list[str]:
        """Project classes in method resolution order (depth-first, left to right), ending in
        "?" when a base outside the project is reached, since it may define anything."""
        cached = self._mro.get(cls)
        if cached is None:
            cached = self._mro[cls] = self._linearize(cls)
        return cached

    def _linearize(self, cls: str) -> list[str]:
        order: list[str] = []

        def visit(name: str, depth: int) -> bool:
            if depth > 30:
                return False
            if name in order:
                return True
            order.append(name)
            for base in self.classes[name]:
                if base == "builtins.object":
                    continue
                resolved = self._class_name(base) if base != "?" else None
                if resolved is None:
                    order.append("?")
                    return False
                if not visit(resolved, depth + 1):
                    return False
            return True

        visit(cls, 0)
        return order

    def method(self, cls: str, name: str, table: str = "functions") -> str | None:
        cls = self._class_name(cls) or cls
        if cls not in self.classes:
            return None
        found = entry = None
        for klass in self.mro(cls):
            if klass == "?":
                return None  # an outside base may define it first
            module, _, qualname = klass.rpartition(".")
            summary = self.modules.get(module)
            kind = summary["functions"].get(f"{qualname}.{name}") if summary else None
            if kind is not None:
                found, entry = kind, summary[table].get(f"{qualname}.{name}")
                break
        if found is None:
            return None
        # A subclass overriding the method with another kind makes `self.m()` ambiguous.
        for other, kind in self.defining.get(name, ()):
            if other != cls and kind != found and other in self.classes and cls in self.mro(other):
                return None
        return entry

    def attribute(self, cls: str, attribute: str) -> str | None:
        """The project class an attribute of `cls` holds, as assigned in its methods."""
        cls = self._class_name(cls) or cls
        if cls not in self.classes:
            return None
        for klass in self.mro(cls):
            if klass == "?":
                return None
            held = self.attributes.get(klass, {}).get(attribute)
            if held is not None:
                return None if held == "?" else held
        return None

    def check(self, ref: Ref) -> bool:
        """Whether the index confirms what the reference's finding needs."""
        if ref.expect.startswith("task:"):
            return self.resolve(ref, "wrappers") == ref.expect[5:]
        return self.resolve(ref) == ASYNC

    def resolve(self, ref: Ref, table: str = "functions") -> str | None:
        if ref.kind == "global":
            return self.lookup(ref.target, table=table)
        if ref.kind == "method":
            return self.method(ref.target, ref.name, table)
        if ref.kind == "attr":
            attribute, _, method = ref.name.partition(".")
            held = self.attribute(ref.target, attribute)
            return self.method(held, method, table) if held else None
        if table != "functions":
            return None
        if ref.kind == "duck":
            # Measured on real projects, the method name alone misfires (file objects' `seek`,
            # pathlib's `write_bytes`, device libraries' `set_brightness`), so it is opt-in.
            name = ref.name
            if not self.by_method_name or name.startswith("__") or name in self.common:
                return None
            return ASYNC if {kind for _, kind in self.defining.get(name, ())} == {ASYNC} else None
        return None
