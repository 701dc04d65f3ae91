"""Which calls block the event loop: the catalogue (rules/blocking.toml) matched against calls.

Shared by the ASL2xx rules (calls inside a coroutine) and the project summary (calls inside sync
functions, for ASL209's chains). A call blocks when it names a catalogued function through the
imports (`time.sleep`, `from time import sleep as zzz`, `sp.run` after `import subprocess as sp`),
or when it calls a catalogued method on a receiver whose type this file can tell:

* a constructor or a catalogued sync call (`p = Path(x)`, `f = open(p)`, `conn = sqlite3.connect()`),
  also as a `with` target (`with open(p) as f`) and through pure path steps
  (`Path(x).parent / "y"`, `base.with_suffix(".z")`);
* an annotated parameter or variable (`p: Path`, `p: Path | None`);
* module-level constants (`DATA_DIR = Path(...)`), seen through `lookup`.

What other modules decide (an attribute a class assigns in its methods, a constant imported from
another module, a property `-> Path` of a project class, chains of those such as
`self.config.path_tmp.exists()`) becomes a *deferred type*: a root (`Deferred`) and the attribute
steps from it. Calls on one are reported with a condition (`Ref` with expect "blocking:<category>")
that the project index decides once every file is summarised (see asynclint/resolve/blocking_project.py).
When nothing can be said, nothing is reported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use
from asynclint.engine.semantic import BindingKind, SemanticModel
from asynclint.knowledge import catalogue
from asynclint.knowledge.catalogue import BlockingEntry
from asynclint.resolve.facts import enclosing_class
from asynclint.resolve.names import Ref, absolute_name

PATH = "pathlib.Path"
MAX_DEPTH = 6


@dataclass(frozen=True)
class Deferred:
    """A type only the project index can tell: `kind` "type" (an instance of the class `target`),
    "global" (the module-level constant `target`) or "returns" (what calling `target` gives),
    then attribute `steps` from it ("/" for a path join, "m()" for a method call)."""

    kind: str
    target: str
    steps: tuple[str, ...] = ()

    def step(self, name: str) -> Deferred:
        return Deferred(self.kind, self.target, (*self.steps, name))


@dataclass(frozen=True)
class Match:
    """A blocking call: `entry` when this file knows it, else a `condition` for the index."""

    category: str
    entry: BlockingEntry | None
    condition: Ref | None = None


def is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


def names_flag(expr: cst.BaseExpression | None, flag: str) -> bool:
    """Whether `expr` is the flag `flag` (`AI_NUMERICHOST`, `socket.AI_NUMERICHOST`) or a bitwise
    or of flags holding it."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
        return names_flag(expr.left, flag) or names_flag(expr.right, flag)
    if isinstance(expr, cst.Attribute):
        return expr.attr.value == flag
    return isinstance(expr, cst.Name) and expr.value == flag


def argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None]
    for arg in positional[: position + 1]:
        if arg.star:
            return None
    return positional[position].value if position < len(positional) else None


def top_package(name: str) -> str:
    return name.split(".", 1)[0]


class BlockingCalls:
    """Matches calls of one file against the blocking catalogue."""

    def __init__(
        self, model: SemanticModel, module: str, is_package: bool, extra: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.model = model
        self.module = module
        self.is_package = is_package
        self.catalogue = catalogue.blocking(extra)
        self.types = self.catalogue.types
        self._names = self.catalogue.method_names
        self._with_nonblocking, self._categories = _method_tables(extra)

    # -- names ----------------------------------------------------------------------------------

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        name = self.model.qualified_name(expr)
        return absolute_name(name, self.module, self.is_package) if name else None

    def in_project(self, name: str) -> bool:
        """Whether a dotted name may belong to this project (shares the top-level package)."""
        return top_package(name) == top_package(self.module)

    # -- matching -------------------------------------------------------------------------------

    def match(self, call: cst.Call) -> list[Match]:
        """How `call` blocks: one known match, conditions for the index, or nothing."""
        func = call.func
        if isinstance(func, cst.Name):
            name = self.qualified(func)
            entry = self.catalogue.functions.get(name) if name else None
            return [Match(entry.category, entry)] if entry and self._blocks(call, entry) else []
        if not isinstance(func, cst.Attribute):
            return []
        name = self.qualified(func)
        if name is not None:
            entry = self.catalogue.functions.get(name)
            if entry is not None:
                return [Match(entry.category, entry)] if self._blocks(call, entry) else []
        method = func.attr.value
        if method not in self._names:
            return []
        held = self.type_of(func.value)
        if isinstance(held, str):
            entry = self.catalogue.methods.get(f"{held}.{method}")
            if entry is not None and entry.bounded is not None and not self._bounded(func.value, held, entry.bounded):
                return []
            return [Match(entry.category, entry)] if entry and self._blocks(call, entry) else []
        if isinstance(held, Deferred):
            if any(self._nonblocking(call, e) for e in self._entries_named(method)):
                return []
            if method not in self._categories:
                return []
            # The condition lists the types on which the method blocks in each category.
            return [
                Match(category, None, Ref(held.kind, held.target, ".".join((*held.steps, method)), f"blocking:{types}"))
                for category, types in sorted(self._categories[method].items())
            ]
        return []

    def lock(self, expr: cst.BaseExpression) -> Match | None:
        """`with lock:` on a thread lock (known, or a condition on what an attribute holds)."""
        held = self.type_of(expr)
        if isinstance(held, str) and held in self.catalogue.lock_types:
            return Match("threads", self.catalogue.methods[f"{held}.acquire"])
        if isinstance(held, Deferred) and held.steps:
            return Match("threads", None, Ref(held.kind, held.target, ".".join(held.steps), "blocking-lock"))
        return None

    def _entries_named(self, method: str) -> list[BlockingEntry]:
        """Entries of that method name with a non-blocking argument (few: queues and locks)."""
        return self._with_nonblocking.get(method, [])

    def _nonblocking(self, call: cst.Call, entry: BlockingEntry) -> bool:
        if entry.nonblocking is not None and is_false(argument(call, *entry.nonblocking)):
            return True
        if entry.nonblocking_flag is not None:
            position, keyword, flag = entry.nonblocking_flag
            return names_flag(argument(call, position, keyword), flag)
        return False

    def _bounded(self, expr: cst.BaseExpression, held: str, bound: tuple[int, str]) -> bool:
        """Whether the receiver is constructed in view (`q = queue.Queue(10)`) with its bounding
        argument a positive literal. Unbounded, or a bound this file cannot read: False."""
        for _ in range(MAX_DEPTH):
            if isinstance(expr, cst.Name):
                binding = self.model.lookup(expr.value)
                if binding is None or binding.kind is not BindingKind.ASSIGN or binding.value is None:
                    return False
                expr = binding.value
                continue
            break
        if not isinstance(expr, cst.Call) or self._known(self.qualified(expr.func)) != held:
            return False
        value = argument(expr, *bound)
        return isinstance(value, cst.Integer) and value.evaluated_value > 0

    def _blocks(self, call: cst.Call, entry: BlockingEntry) -> bool:
        return not self._nonblocking(call, entry)

    # -- types ----------------------------------------------------------------------------------

    def _known(self, name: str | None) -> str | None:
        name = self.catalogue.type_name(name)
        return name if name in self.types else None

    def annotation_type(self, annotation: cst.BaseExpression) -> str | Deferred | None:
        """`Path`, `pathlib.Path`, `Path | None`, `Optional[Path]`: the type; else None."""
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [annotation.left, annotation.right]
            others = [s for s in sides if not (isinstance(s, cst.Name) and s.value == "None")]
            return self.annotation_type(others[0]) if len(others) == 1 else None
        if isinstance(annotation, cst.Subscript) and len(annotation.slice) == 1:
            if self.qualified(annotation.value) in ("typing.Optional", "typing_extensions.Optional"):
                inner = annotation.slice[0].slice
                return self.annotation_type(inner.value) if isinstance(inner, cst.Index) else None
            return None
        if not isinstance(annotation, (cst.Name, cst.Attribute)):
            return None
        name = self.qualified(annotation)
        if name is None:
            if isinstance(annotation, cst.Name):
                binding = self.model.lookup(annotation.value)
                if binding is not None and binding.kind is BindingKind.CLASS:
                    return Deferred("type", f"{self.module}.{annotation.value}")
            return None
        known = self._known(name)
        if known is not None:
            return known
        return Deferred("type", name) if self.in_project(name) else None

    def type_of(self, expr: cst.BaseExpression, depth: int = 0) -> str | Deferred | None:
        """A catalogued type name, a Deferred type, or None (unknown)."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call):
            return self._call_type(expr, depth)
        if isinstance(expr, cst.Attribute):
            return self._attribute_type(expr, depth)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            left = self.type_of(expr.left, depth + 1)
            if left == PATH:
                return PATH
            return left.step("/") if isinstance(left, Deferred) else None
        if isinstance(expr, cst.Name):
            return self._name_type(expr, depth)
        return None

    def _returned(self, call: cst.Call, depth: int) -> str | tuple[str, ...] | None:
        """What [returns] says a catalogued call gives (`sqlite3.connect`, `sock.accept()`)."""
        name = self.qualified(call.func)
        if name is None and isinstance(call.func, cst.Attribute):
            owner = self.type_of(call.func.value, depth + 1)
            name = f"{owner}.{call.func.attr.value}" if isinstance(owner, str) else None
        return self.catalogue.returns.get(name) if name else None

    def _call_type(self, call: cst.Call, depth: int) -> str | Deferred | None:
        returns = self.catalogue.returns
        name = self.qualified(call.func)
        if name is not None:
            given = returns.get(name)
            if given is not None:
                return given if isinstance(given, str) else None
            known = self._known(name)
            if known is not None:
                return known  # a constructor
            return Deferred("returns", name) if self.in_project(name) else None
        if isinstance(call.func, cst.Attribute):
            owner = self.type_of(call.func.value, depth + 1)
            method = call.func.attr.value
            if isinstance(owner, str):
                given = returns.get(f"{owner}.{method}")
                if isinstance(given, str):
                    return given
                return owner if method in self.catalogue.pure.get(owner, ()) else None
            # `self.paths.cache().exists()`: what the method returns, for the index to tell
            return owner.step(f"{method}()") if isinstance(owner, Deferred) else None
        if isinstance(call.func, cst.Name):
            binding = self.model.lookup(call.func.value)
            module_scope = self.model.module_scope
            if (
                binding is not None
                and module_scope is not None
                and module_scope.bindings.get(call.func.value, [None])[-1] is binding
            ):
                if binding.kind is BindingKind.CLASS:
                    return Deferred("type", f"{self.module}.{call.func.value}")
                if binding.kind is BindingKind.FUNCTION:
                    return Deferred("returns", f"{self.module}.{call.func.value}")
        return None

    def _attribute_type(self, expr: cst.Attribute, depth: int) -> str | Deferred | None:
        attr = expr.attr.value
        name = self.qualified(expr)
        if name is not None:
            # `config.DATA_DIR` after `import config` (a constant of a project module)
            return Deferred("global", name) if self.in_project(name) else None
        owner = self.type_of(expr.value, depth + 1)
        if isinstance(owner, str):
            return owner if attr in self.catalogue.pure.get(owner, ()) else None
        if isinstance(owner, Deferred):
            return owner.step(attr)
        return None

    def _name_type(self, expr: cst.Name, depth: int) -> str | Deferred | None:
        binding = self.model.lookup(expr.value)
        if binding is None:
            return None
        if expr.value == "self" and binding.kind is BindingKind.PARAM:
            owner = enclosing_class(self.model)  # a method of a module-level class
            return Deferred("type", f"{self.module}.{owner}") if owner is not None else None
        if binding.kind is BindingKind.IMPORT:
            name = self.qualified(expr)
            return Deferred("global", name) if name and self.in_project(name) else None
        if binding.annotation is not None:
            return self.annotation_type(binding.annotation)
        if binding.kind is BindingKind.ASSIGN and binding.value is not None:
            if isinstance(binding.value, cst.Name) and binding.value.value == expr.value:
                return None
            return self.type_of(binding.value, depth + 1)
        if binding.unpacked is not None:
            whole, index = binding.unpacked
            given = self._returned(whole, depth) if isinstance(whole, cst.Call) else None
            if isinstance(given, tuple) and index < len(given) and given[index] != "?":
                return given[index]
            return None
        if binding.kind is BindingKind.OTHER and isinstance(binding.definition, cst.WithItem):
            item = binding.definition
            if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name is binding.node:
                held = self.type_of(item.item, depth + 1)
                return held if isinstance(held, str) else None
        return None


@functools.cache
def _method_tables(extra: tuple[tuple[str, str], ...]) -> tuple[dict, dict]:
    """Per method name: the entries with a non-blocking argument, and for each category the
    types on which it blocks ("T1,T2", what a condition for a deferred receiver lists)."""
    with_nonblocking: dict[str, list[BlockingEntry]] = {}
    categories: dict[str, dict[str, str]] = {}
    for name, entry in sorted(catalogue.blocking(extra).methods.items()):
        owner, _, method = name.rpartition(".")
        if entry.nonblocking:
            with_nonblocking.setdefault(method, []).append(entry)
        if entry.bounded:
            continue  # whether it waits depends on a construction the index does not keep
        by_category = categories.setdefault(method, {})
        by_category[entry.category] = f"{by_category[entry.category]},{owner}" if entry.category in by_category else owner
    return with_nonblocking, categories


def display(entry: BlockingEntry) -> str:
    """How a blocking call is named in messages: `open()`, `time.sleep()`, `Path.exists()`."""
    if entry.method:
        owner, _, method = entry.name.rpartition(".")
        return f"{owner.rpartition('.')[2]}.{method}()"
    return f"{entry.name.removeprefix('builtins.')}()"
