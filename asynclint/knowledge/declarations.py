"""What libraries declare about their functions and classes, read as text: whether a function or
method is a coroutine function, and what calling (or awaiting) it gives.

The standard library is read from typeshed's stubs as the `typeshed_client` package ships them
(a maintained, dependency-light copy of typeshed, updated monthly, with typeshed's `VERSIONS`
table; only its files are used, located without importing it). Modules are found in PEP 561's
order: typeshed, then `<name>-stubs` packages, then a package's own `.pyi` files, then its `.py`
sources, in the installed packages of the environment that asynclint/knowledge/environment.py
finds. Files are parsed with `ast` (about ten times faster than libcst, and only declarations are
wanted); nothing is imported or run.

A module's summary keeps, per name: a function's kind ("async", "sync", or "?" when a decorator
or conflicting definitions leave it unknown) and its declared return type as a dotted name; a
class's bases, methods and attribute types; what imports and assignments make the name stand
for; and its star imports. Both branches of every `if` are read (`sys.version_info`,
`sys.platform`): code that calls a function runs where it exists, and definitions that disagree
between versions or platforms make the name unknown. Summaries are kept per process
(`functools.cache` on the search path) and, when the run gives a `Store`, between runs by the
installed distribution and version a file belongs to (asynclint/run/library_cache.py).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from asynclint.knowledge.environment import Distributions

ASYNC, SYNC, UNKNOWN = "async", "sync", "?"
SELF = "@self"  # a return or attribute type `Self`: the class of the receiver it was reached on
# The standard library's modules as of this version (typeshed's VERSIONS): a module removed
# since then is not read.
NEWEST = (3, 14)
MAX_DEPTH = 12  # re-export chains and base classes: give up rather than loop
MAX_PACKAGE_FILES = 3000  # a package scanned for its coroutine method names

# Decorators that leave what a `def` is as it is. Any other may make it anything.
_NEUTRAL_DECORATORS = frozenset({
    "overload", "staticmethod", "classmethod", "abstractmethod", "override", "final", "deprecated",
    "abstractproperty",
})
_PROPERTIES = frozenset({"property", "cached_property"})
_OPTIONAL = frozenset({"Optional", "Union"})
_COROUTINE = frozenset({"typing.Coroutine", "collections.abc.Coroutine", "typing_extensions.Coroutine"})
_TYPE_VARIABLES = frozenset({"TypeVar", "ParamSpec", "TypeVarTuple", "NewType"})
_SELF = frozenset({"typing.Self", "typing_extensions.Self"})


# The return type of a decorator declared to give back what it is given (`def deco(f: T) -> T`):
# the function it decorates stays what it was (trio's `@enable_ki_protection async def send`).
SAME = "@same"
# `functools.wraps(wrapped)` makes a decorator whose result calls the wrapper and returns what it
# returns (typeshed's `_Wrapped.__call__`): the decorated function stays what it was.
_WRAPS = frozenset({"functools.wraps"})


def _merge(old: list | None, new: list) -> list:
    """Two definitions of one function (overloads, version or platform branches)."""
    if old is None:
        return new
    if len(old) == 3 or len(new) == 3:  # decorated: only the very same definition agrees
        return old if old == new else [UNKNOWN, None]
    return [old[0] if old[0] == new[0] else UNKNOWN, old[1] if old[1] == new[1] else None]


def _has_yield(node: ast.AST) -> bool:
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(child))
    return False


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


class _Summarizer:
    """One module's summary (see the module's docstring), as plain JSON-able data."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.names: dict[str, str] = {}
        self.defs: dict[str, list] = {}
        self.classes: dict[str, dict] = {}
        self.star: list[str] = []
        self.exports: set[str] | None = None
        self.local: set[str] = set()  # names the module binds itself (classes, defs, assignments)
        self.type_variables: set[str] = set()

    def summary(self, tree: ast.Module) -> dict:
        self._prescan(tree.body)
        self._body(tree.body, None)
        return {
            "names": self.names, "defs": self.defs, "classes": self.classes, "star": self.star,
            "all": sorted(self.exports) if self.exports is not None else None,
        }

    # -- statements -----------------------------------------------------------------------------

    def _prescan(self, body: Iterable[ast.stmt]) -> None:
        """The module's own names before any annotation is read (a class may be used before it
        is defined), and its type variables, which name no class."""
        for node in body:
            if isinstance(node, ast.If):
                self._prescan([*node.body, *node.orelse])
            elif isinstance(node, ast.Try):
                self._prescan([*node.body, *node.orelse, *node.finalbody])
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                self.local.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.local.add(target.id)
                        value = node.value
                        if isinstance(value, ast.Call) and _decorator_name(value.func) in _TYPE_VARIABLES:
                            self.type_variables.add(target.id)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self.local.update((a.asname or a.name).split(".", 1)[0] for a in node.names if a.name != "*")

    def _body(self, body: Iterable[ast.stmt], cls: dict | None) -> None:
        for node in body:
            if isinstance(node, ast.If):
                self._body(node.body, cls)
                self._body(node.orelse, cls)
            elif isinstance(node, ast.Try):
                for block in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                    self._body(block, cls)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(node, cls)
            elif isinstance(node, ast.ClassDef) and cls is None:
                self._class(node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)) and cls is None:
                self._import(node)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self._annotated(node, cls)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self._assigned(node.targets[0].id, node.value, cls)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.names[alias.asname] = alias.name
                else:
                    head = alias.name.split(".", 1)[0]
                    self.names[head] = head
            return
        base = self._absolute(node.module, node.level)
        if base is None:
            return
        for alias in node.names:
            if alias.name == "*":
                self.star.append(base)
            else:
                self.names[alias.asname or alias.name] = f"{base}.{alias.name}"

    def _absolute(self, module: str | None, level: int) -> str | None:
        if not level:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
        if module:
            parts.append(module)
        return ".".join(parts) or None

    def _assigned(self, name: str, value: ast.expr, cls: dict | None) -> None:
        if name == "__all__" and cls is None:
            if isinstance(value, (ast.List, ast.Tuple)):
                found = {e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                self.exports = found | (self.exports or set())
            return
        if cls is None and isinstance(value, (ast.Name, ast.Attribute)):
            target = self._dotted(value)
            if target is not None:
                self.names[name] = target  # `open = io.open`, `AbstractEventLoopPolicy = _Policy`
            return
        if cls is not None and isinstance(value, ast.Name) and value.id in cls["defs"]:
            cls["defs"][name] = cls["defs"][value.id]  # `__aenter__ = acquire` in a class body

    def _annotated(self, node: ast.AnnAssign, cls: dict | None) -> None:
        assert isinstance(node.target, ast.Name)
        name = node.target.id
        text = ast.unparse(node.annotation) if isinstance(node.annotation, (ast.Name, ast.Attribute)) else ""
        if text in ("TypeAlias", "typing.TypeAlias", "typing_extensions.TypeAlias"):
            if node.value is not None and cls is None:
                self._assigned(name, node.value, None)
            return
        held = self._type(node.annotation, cls)
        if held is None:
            return
        if cls is not None:
            cls["attrs"][name] = held

    def _class(self, node: ast.ClassDef) -> None:
        cls: dict = {"bases": [], "defs": {}, "attrs": {}, "name": f"{self.module}.{node.name}"}
        for base in node.bases:
            if isinstance(base, ast.Subscript):
                base = base.value  # `Base[T]`
            dotted = self._dotted(base)
            if dotted is not None and dotted not in ("typing.Generic", "typing.Protocol", "typing_extensions.Protocol"):
                cls["bases"].append(dotted)
        previous = self.classes.get(node.name)
        self._body(node.body, cls)
        if previous is not None:  # defined in two branches: members that agree stay known
            for name, entry in previous["defs"].items():
                cls["defs"][name] = _merge(cls["defs"].get(name), entry)
        self.classes[node.name] = cls

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, cls: dict | None) -> None:
        names = [_decorator_name(d) for d in node.decorator_list]
        if cls is not None and any(n in _PROPERTIES for n in names):
            held = self._type(node.returns, cls) if node.returns is not None else None
            if held is not None:
                cls["attrs"][node.name] = held
            return
        if any(n.endswith(("setter", "deleter")) for n in names):
            return
        kind = SYNC
        returns = self._type(node.returns, cls) if node.returns is not None else None
        if isinstance(node, ast.AsyncFunctionDef):
            kind = UNKNOWN if _has_yield(node) else ASYNC  # an async generator is no coroutine
        elif isinstance(node.returns, ast.Subscript) and self._dotted(node.returns.value) in _COROUTINE:
            kind = ASYNC  # `def f() -> Coroutine[Any, Any, T]`
            items = node.returns.slice.elts if isinstance(node.returns.slice, ast.Tuple) else []
            returns = self._type(items[-1], cls) if len(items) == 3 else None
        elif self._returns_its_argument(node):
            returns = SAME
        entry: list = [kind, returns]
        others = [d for d, n in zip(node.decorator_list, names, strict=True) if n not in _NEUTRAL_DECORATORS]
        if others:
            # Kept by dotted name: the lookup asks what each decorator declares (asynclint
            # reads the module that defines it only then)
            dotted = [self._decorator(d) for d in others]
            kept = [d for d in dotted if d not in _WRAPS]
            entry = [kind, returns, kept] if kept and all(kept) and None not in dotted else (
                entry if not kept and None not in dotted else [UNKNOWN, None]
            )
        table = cls["defs"] if cls is not None else self.defs
        table[node.name] = _merge(table.get(node.name), entry)

    def _decorator(self, node: ast.expr) -> str | None:
        """A decorator's dotted name (`functools.wraps` for `@wraps(f)`); None for any other
        call or expression, whose result cannot be told."""
        if isinstance(node, ast.Call):
            func = self._dotted(node.func)
            return func if func in _WRAPS else None
        return self._dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None

    def _returns_its_argument(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """`def deco(f: T) -> T` with `T` a type variable of the module."""
        arguments = [*node.args.posonlyargs, *node.args.args]
        if not arguments or not isinstance(node.returns, ast.Name) or node.returns.id not in self.type_variables:
            return False
        first = arguments[0].annotation
        return isinstance(first, ast.Name) and first.id == node.returns.id

    # -- expressions ----------------------------------------------------------------------------

    def _dotted(self, node: ast.expr) -> str | None:
        """The absolute dotted name an expression names, through this module's imports."""
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in self.type_variables:
                return None
            # Not bound here: a builtin (`int`), or a star-imported name, whose class is not known.
            return f"{self.module}.{node.id}" if node.id in self.local else f"builtins.{node.id}"
        if isinstance(node, ast.Attribute):
            head = self._dotted(node.value)
            return f"{head}.{node.attr}" if head is not None else None
        return None

    def _type(self, node: ast.expr | None, cls: dict | None, depth: int = 0) -> str | None:
        """An annotation's class by dotted name (`Optional[T]`, `T | None`, `"T"`, `Self`)."""
        if node is None or depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                parsed = ast.parse(node.value.strip(), mode="eval").body
            except SyntaxError:
                return None
            return self._type(parsed, cls, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [s for s in (node.left, node.right) if not (isinstance(s, ast.Constant) and s.value is None)]
            return self._type(sides[0], cls, depth + 1) if len(sides) == 1 else None
        if isinstance(node, ast.Subscript):
            wrapper = self._dotted(node.value) or ""
            if wrapper.rpartition(".")[2] in _OPTIONAL:
                items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                items = [i for i in items if not (isinstance(i, ast.Constant) and i.value is None)]
                return self._type(items[0], cls, depth + 1) if len(items) == 1 else None
            return None
        dotted = self._dotted(node) if isinstance(node, (ast.Name, ast.Attribute)) else None
        if dotted in _SELF:
            return SELF if cls is not None else None
        if dotted is None or dotted.startswith(("builtins.", "typing.", "typing_extensions.", "collections.")):
            return None
        return dotted


def _find(root: Path, parts: list[str], suffix: str) -> Path | None:
    """`root/a/b.pyi` or `root/a/b/__init__.pyi` for the parts `a`, `b` (and `suffix`)."""
    if not parts:
        init = root / f"__init__{suffix}"
        return init if init.is_file() else None
    base = root.joinpath(*parts)
    for candidate in (base.with_name(base.name + suffix), base / f"__init__{suffix}"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _typeshed() -> tuple[Path | None, dict[str, tuple[tuple[int, int], tuple[int, int] | None]]]:
    """typeshed's standard-library stubs as typeshed_client ships them, and its VERSIONS table
    (module -> first and last version with it). Found without importing the package."""
    try:
        spec = importlib.util.find_spec("typeshed_client")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None, {}
    folder = Path(next(iter(spec.submodule_search_locations))) / "typeshed"
    versions: dict[str, tuple[tuple[int, int], tuple[int, int] | None]] = {}
    try:
        lines = (folder / "VERSIONS").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None, {}
    for line in lines:
        name, _, span = line.partition("#")[0].partition(":")
        low, _, high = span.strip().partition("-")
        try:
            first = _version(low)
            last = _version(high) if high.strip() else None
        except ValueError:
            continue
        versions[name.strip()] = (first, last)
    return folder, versions


def is_stdlib(top: str) -> bool:
    """Whether a top-level module is the standard library's, as typeshed's VERSIONS lists it."""
    return top in _typeshed()[1]


def _version(text: str) -> tuple[int, int]:
    major, minor = text.strip().split(".")[:2]
    return int(major), int(minor)


def _stdlib_file(folder: Path, versions: dict, parts: list[str]) -> Path | None:
    # A module typeshed marks as removed before NEWEST (`asynchat: 3.0-3.11`) is not read.
    for cut in range(1, len(parts) + 1):
        span = versions.get(".".join(parts[:cut]))
        if span is not None and span[1] is not None and span[1] < NEWEST:
            return None
    return _find(folder, parts, ".pyi")


class Store(Protocol):
    """Summaries kept between runs, by installed distribution (asynclint/run/library_cache.py)."""

    def summary(self, distribution: str, module: str, file: str) -> dict | None: ...
    def keep_summary(self, distribution: str, module: str, file: str, summary: dict) -> None: ...
    def package_names(self, distribution: str, package: str) -> list[str] | None: ...
    def keep_package_names(self, distribution: str, package: str, names: list[str]) -> None: ...
    def save(self) -> None: ...


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _name_table(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _def_table(value: object) -> bool:
    return isinstance(value, dict) and all(
        isinstance(name, str) and isinstance(entry, list) and len(entry) in (2, 3)
        and entry[0] in (ASYNC, SYNC, UNKNOWN) and (entry[1] is None or isinstance(entry[1], str))
        and (len(entry) == 2 or _strings(entry[2]))
        for name, entry in value.items()
    )


def summary_ok(value: object) -> bool:
    """Whether a kept summary has the shape `_Summarizer.summary` gives (a damaged or edited
    cache document must not crash a lookup)."""
    if not isinstance(value, dict) or set(value) != {"names", "defs", "classes", "star", "all"}:
        return False
    classes = value["classes"]
    return (
        _name_table(value["names"]) and _def_table(value["defs"]) and _strings(value["star"])
        and (value["all"] is None or _strings(value["all"]))
        and isinstance(classes, dict)
        and all(
            isinstance(name, str) and isinstance(cls, dict) and set(cls) == {"bases", "defs", "attrs", "name"}
            and _strings(cls["bases"]) and _def_table(cls["defs"]) and _name_table(cls["attrs"])
            and isinstance(cls["name"], str)
            for name, cls in classes.items()
        )
    )


def package_names_ok(value: object) -> bool:
    return _strings(value)


class Declarations:
    """The declarations of one environment's libraries (see the module's docstring). Lookups
    are by absolute dotted name, as asynclint/resolve/facts.py gives them."""

    def __init__(self, search_path: tuple[Path, ...]) -> None:
        self.search_path = search_path
        self._modules: dict[str, dict | None] = {}
        self._found: dict[str, list | None] = {}
        self._package_names: dict[str, frozenset[str]] = {}
        self._distributions = Distributions()
        # Where summaries are kept between runs, by distribution and version (set by the run:
        # asynclint/run/library_cache.py); None: read every time.
        self.store: Store | None = None

    def _distribution(self, path: Path) -> tuple[str, str] | None:
        """The installed distribution a file belongs to, and the file's name within it."""
        folder, _ = _typeshed()
        roots = [*self.search_path, folder.parent.parent] if folder is not None else self.search_path
        for root in roots:
            try:
                relative = path.relative_to(root)
            except ValueError:
                continue
            distribution = self._distributions.of(path, [root])
            return (distribution, relative.as_posix()) if distribution is not None else None
        return None

    # -- finding and reading modules ------------------------------------------------------------

    def _file(self, module: str) -> Path | None:
        """Where a module is declared, in PEP 561's order: typeshed for the standard library,
        then a `<name>-stubs` package, then `.pyi` files beside the sources, then the sources."""
        parts = module.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        folder, versions = _typeshed()
        if folder is not None and parts[0] in versions:
            return _stdlib_file(folder, versions, parts)
        for root in self.search_path:
            found = _find(root / f"{parts[0]}-stubs", parts[1:], ".pyi")
            if found is not None:
                return found
        for suffix in (".pyi", ".py"):
            for root in self.search_path:
                found = _find(root, parts, suffix)
                if found is not None:
                    return found
        return None

    def module(self, module: str) -> dict | None:
        """A module's summary, or None when it can't be found or read."""
        if module in self._modules:
            return self._modules[module]
        self._modules[module] = None  # also guards against a module that star-imports itself
        path = self._file(module)
        if path is None:
            return None
        kept = self._distribution(path) if self.store is not None else None
        if kept is not None and self.store is not None:
            summary = self.store.summary(kept[0], module, kept[1])
            if summary is None:
                summary = self._read(path, module)
                if summary is not None:
                    self.store.keep_summary(kept[0], module, kept[1], summary)
        else:
            summary = self._read(path, module)
        self._modules[module] = summary
        return summary

    def _read(self, path: Path, module: str) -> dict | None:
        try:
            data = path.read_bytes()
            if len(data) > 5_000_000:
                return None
            tree = ast.parse(data, filename=str(path))
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            return None
        return _Summarizer(module, path.stem == "__init__").summary(tree)

    # -- lookups --------------------------------------------------------------------------------

    def find(self, dotted: str, depth: int = 0) -> list | None:
        """What a dotted name declares: ["def", kind, returns], ["class", dotted name], or None."""
        if depth > MAX_DEPTH:
            return None
        if depth == 0 and dotted in self._found:
            return self._found[dotted]
        parts = dotted.split(".")
        found = None
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            summary = self.module(module)
            if summary is not None:
                found = self._member(module, summary, parts[cut:], depth)
                break
        if depth == 0:
            self._found[dotted] = found
        return found

    def _member(self, module: str, summary: dict, rest: list[str], depth: int) -> list | None:
        head = rest[0]
        if head in summary["defs"]:
            return self._def(summary["defs"][head], depth) if len(rest) == 1 else None
        if head in summary["classes"]:
            if len(rest) == 1:
                return ["class", f"{module}.{head}"]
            if len(rest) == 2:
                return self.method(f"{module}.{head}", rest[1], depth + 1)
            return None
        target = summary["names"].get(head)
        if target is not None:
            return self.find(".".join([target, *rest[1:]]), depth + 1)
        if len(rest) == 1 and self.module(f"{module}.{head}") is not None:
            return ["module", f"{module}.{head}"]
        if len(rest) > 1 and self.module(f"{module}.{head}") is not None:
            return self.find(".".join([module, *rest]), depth + 1)
        for star in summary["star"]:
            other = self.module(star)
            if other is None or head.startswith("_"):
                continue
            exported = other["all"]
            if exported is not None and head not in exported:
                continue
            found = self._member(star, other, rest, depth + 1)
            if found is not None:
                return found
        return None

    def _def(self, entry: list, depth: int) -> list:
        """["def", kind, returns] for a definition, through decorators that declare they give
        back what they are given (see SAME); any other decorator makes it unknown."""
        if len(entry) == 3:
            for decorator in entry[2]:
                found = self.find(decorator, depth + 1)
                if found is None or found[0] != "def" or found[1] != SYNC or found[2] != SAME:
                    return ["def", UNKNOWN, None]
        return ["def", entry[0], entry[1]]

    def _class(self, dotted: str, depth: int) -> dict | None:
        found = self.find(dotted, depth + 1)
        if found is None or found[0] != "class":
            return None
        module, _, name = found[1].rpartition(".")
        summary = self.module(module)
        return summary["classes"].get(name) if summary is not None else None

    def method(self, cls: str, name: str, depth: int = 0) -> list | None:
        """A method of a library class, through its bases (depth first; bases outside what can be
        read end the search: the method is unknown)."""
        if depth > MAX_DEPTH:
            return None
        entry = self._class(cls, depth)
        if entry is None:
            return None
        if name in entry["defs"]:
            return self._def(entry["defs"][name], depth)
        if name in entry["attrs"]:
            return ["attr", entry["attrs"][name]]
        for base in entry["bases"]:
            if base == "builtins.object":
                continue
            found = self.method(base, name, depth + 1)
            if found is not None:
                return found
        return None

    def kind(self, dotted: str) -> str | None:
        """"async", "sync" or "?" for a declared function or method; None if not declared."""
        found = self.find(dotted)
        return found[1] if found is not None and found[0] == "def" else None

    def returns(self, dotted: str) -> str | None:
        """The class calling `dotted` gives: a sync function's declared return type, or an
        instance of the class `dotted` names."""
        found = self.find(dotted)
        if found is None:
            return None
        if found[0] == "class":
            return found[1]
        return found[2] if found[0] == "def" and found[1] == SYNC and found[2] != SAME else None

    def awaited(self, dotted: str) -> str | None:
        """What awaiting a call of the coroutine function `dotted` gives, when it declares it."""
        found = self.find(dotted)
        return found[2] if found is not None and found[0] == "def" and found[1] == ASYNC else None

    def attribute(self, cls: str, name: str) -> str | None:
        """The declared type of an attribute or property of a library class."""
        found = self.method(cls, name)
        return found[1] if found is not None and found[0] == "attr" else None

    def coroutine_names(self, package: str) -> frozenset[str]:
        """The names of every function and method `package` declares with `async def`: which
        method names may be worth asking the project index about at all."""
        cached = self._package_names.get(package)
        if cached is not None:
            return cached
        top = self._file(package) if self.store is not None else None
        kept = self._distribution(top) if top is not None else None
        if kept is not None and self.store is not None:
            stored = self.store.package_names(kept[0], package)
            if stored is not None:
                self._package_names[package] = frozenset(stored)
                return self._package_names[package]
        names: set[str] = set()
        for module in self._package_modules(package):
            summary = self.module(module)
            if summary is None:
                continue
            for table in (summary["defs"], *(cls["defs"] for cls in summary["classes"].values())):
                names.update(n for n, entry in table.items() if entry[0] == ASYNC)
        self._package_names[package] = frozenset(names)
        if kept is not None and self.store is not None:
            self.store.keep_package_names(kept[0], package, sorted(names))
        return self._package_names[package]

    def _package_modules(self, package: str) -> list[str]:
        top = self._file(package)
        if top is None or top.stem != "__init__":
            return [package] if top is not None else []
        modules = []
        for folder, dirs, files in os.walk(top.parent):
            dirs[:] = sorted(d for d in dirs if d.isidentifier())
            relative = Path(folder).relative_to(top.parent).parts
            for file in sorted(files):
                stem, _, suffix = file.partition(".")
                if suffix not in ("py", "pyi") or not stem.isidentifier():
                    continue
                parts = (package, *relative) if stem == "__init__" else (package, *relative, stem)
                modules.append(".".join(parts))
                if len(modules) >= MAX_PACKAGE_FILES:
                    return list(dict.fromkeys(modules))
        return list(dict.fromkeys(modules))


@functools.cache
def declarations(search_path: tuple[Path, ...] = ()) -> Declarations:
    """One `Declarations` per environment, per process (no search path: the standard library)."""
    return Declarations(search_path)
