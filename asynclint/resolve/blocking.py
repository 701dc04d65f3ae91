"""Which calls block the event loop: the catalogue (rules/blocking.toml) matched against calls.

Shared by the ASL2xx rules (calls inside a coroutine) and the project summary (calls inside sync
functions, for ASL209's chains). A call blocks when it names a catalogued function through the
imports (`time.sleep`, `from time import sleep as zzz`, `sp.run` after `import subprocess as sp`),
or when it calls a catalogued method on a receiver whose type this file can tell (what a value
holds is asynclint/resolve/facts.py's answer, shared with every family: constructors, declared
returns such as `f = open(p)`, pure path steps, annotations, `with` targets, module constants).

What other modules decide (an attribute a class assigns in its methods, a constant imported from
another module, a property `-> Path` of a project class, chains of those such as
`self.config.path_tmp.exists()`) is a *deferred type* (`Deferred`). Calls on one are reported with a condition (`Ref` with expect "blocking:<category>")
that the project index decides once every file is summarised (see asynclint/resolve/blocking_project.py).
When nothing can be said, nothing is reported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use
from asynclint.engine.semantic import BindingKind
from asynclint.knowledge import catalogue
from asynclint.knowledge.catalogue import BlockingEntry
from asynclint.resolve.facts import PATH, Deferred, Held, TypeFacts, top_package
from asynclint.resolve.names import Ref

__all__ = ["PATH", "BlockingCalls", "Deferred", "Match", "display", "top_package"]

MAX_DEPTH = 6  # how far a bounded queue's construction is looked for


@dataclass(frozen=True)
class Match:
    """A blocking call: `entry` when this file knows it, else a `condition` for the index."""

    category: str
    entry: BlockingEntry | None
    condition: Ref | None = None


def is_false(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "False"


def _is_zero(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, (cst.Integer, cst.Float)) and expr.evaluated_value == 0


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


class BlockingCalls:
    """Matches calls of one file against the blocking catalogue."""

    def __init__(self, facts: TypeFacts, extra: tuple[tuple[str, str], ...] = ()) -> None:
        self.facts = facts
        self.model = facts.model
        self.module = facts.module
        self.is_package = facts.is_package
        self.catalogue = catalogue.blocking(extra)
        self.types = self.catalogue.types
        self._names = self.catalogue.method_names
        self._with_nonblocking, self._categories = _method_tables(extra)

    # -- names ----------------------------------------------------------------------------------

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        return self.facts.qualified(expr)

    def in_project(self, name: str) -> bool:
        """Whether a dotted name may belong to this project (shares the top-level package)."""
        return self.facts.in_project(name)

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
        if entry.zero_timeout is not None and _is_zero(argument(call, *entry.zero_timeout)):
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
        name = catalogue.types().type_name(name)
        return name if name in self.types else None

    def _catalogued(self, held: Held | None) -> str | Deferred | None:
        """A type of the blocking catalogue, a Deferred type, or None: the part of what a value
        holds (asynclint/resolve/facts.py) that says whether a method of it blocks."""
        return self._known(held) if isinstance(held, str) else held

    def annotation_type(self, annotation: cst.BaseExpression) -> str | Deferred | None:
        """`Path`, `pathlib.Path`, `Path | None`, `Optional[Path]`: the type; else None."""
        return self._catalogued(self.facts.annotation(annotation))

    def type_of(self, expr: cst.BaseExpression) -> str | Deferred | None:
        """A catalogued type name, a Deferred type, or None (unknown)."""
        return self._catalogued(self.facts.held(expr))


@functools.cache
def _method_tables(extra: tuple[tuple[str, str], ...]) -> tuple[dict, dict]:
    """Per method name: the entries with a non-blocking argument, and for each category the
    types on which it blocks ("T1,T2", what a condition for a deferred receiver lists)."""
    with_nonblocking: dict[str, list[BlockingEntry]] = {}
    categories: dict[str, dict[str, str]] = {}
    for name, entry in sorted(catalogue.blocking(extra).methods.items()):
        owner, _, method = name.rpartition(".")
        if entry.nonblocking or entry.zero_timeout:
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
