"""Whether a call makes a coroutine: the resolution every ASL1xx rule shares.

It is decided without a type checker: a library coroutine function, as the library declares it
(typeshed's stubs, the environment's packages: asynclint/resolve/library.py) or the catalogue
lists it (rules/coroutines.toml), a coroutine method of a library type whose instance is known
locally (`asyncio.Lock().acquire`, `writer.drain()` after `asyncio.open_connection`), an event
loop's coroutine methods, an `async def` of this module or of another module of the project (through
imports and re-exports), a method of the enclosing class or its project bases (`self.m()`,
`super().m()`), a name or attribute holding an instance whose class has an async `__call__`,
a parameter annotated `Callable[..., Coroutine[...]]` (directly or through a type alias of the
module; `Callable[..., Awaitable[...]]` may give a future, so it does not count), and, for
receivers of unknown type, a method name that the project defines only
as `async def` (opt-in; see asynclint/resolve/project.py). Cross-module answers are conditions (`Ref`)
that the project index decides once every file has been read.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Final, Literal

import libcst as cst

from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.engine.semantic import BindingKind
from asynclint.engine.traverse import ignore, walk
from asynclint.knowledge import catalogue
from asynclint.lint.context import Service
from asynclint.lint.rule import Rule
from asynclint.resolve.facts import COROUTINE_FUNCTION
from asynclint.resolve.names import ITERATED_AWAITABLE, PROJECT_REFS, Ref
from asynclint.resolve.spawns import TaskSpawns


def placed_arguments(call: cst.Call):
    """The call's arguments with their place as the index names it ("0", "1", ... for positional
    ones, "k:name" for keywords), up to the first `*args` or `**kwargs` (after which positions
    cannot be told)."""
    position = 0
    for arg in call.args:
        if arg.star:
            return
        yield arg, (f"k:{arg.keyword.value}" if arg.keyword is not None else str(position))
        position += arg.keyword is None


def callee_text(context, call: cst.BaseExpression) -> str:
    code = context.module.code_for_node(call.func if isinstance(call, cst.Call) else call)
    return code if len(code) <= 40 else code[:37] + "..."


class _Known(enum.Enum):
    KNOWN = "known"


KNOWN: Final = _Known.KNOWN  # a call known, from this file alone, to make a coroutine
# What a classification gives: KNOWN, a condition for the index to decide, or None (cannot tell).
Classified = Ref | Literal[_Known.KNOWN] | None


class CoroutineCalls(Service):
    """Classifies calls: known coroutine now, a condition for the index, or nothing. One per
    file (`context.service(CoroutineCalls)`), shared by every rule that asks."""

    def __init__(self, context) -> None:
        super().__init__(context)
        known = catalogue.coroutines()
        self.spawns: TaskSpawns = context.spawns
        self.consumers = known.value_consumers
        self.logger_factories = known.logger_factories
        self.logger_methods = known.logger_methods
        # class name -> the methods a class of this file deriving from it defines with a plain
        # `def` (see `_overridden_sync`); found once per file, when first asked
        self._sync_overrides: dict[str, set[str]] | None = None
        self._sync_defs: dict[str, bool] = {}

    def report(
        self, rule: Rule, call: cst.BaseExpression, message: str, *,
        found: Classified = None, at: cst.CSTNode | None = None,
        in_coroutine: bool | None = None, edit: Edit | None = None, title: str = "await the coroutine",
        fixable: bool = True,
    ) -> None:
        """Report `call` if it makes a coroutine; offer a fix inside a coroutine (and at a
        notebook's top level).

        `message` is formatted with `callee` (the called expression) and `how` (a note when the
        callee was inferred from its name alone). `found` is `classify(call)` when the caller has
        it already; `at` is where the finding points (the call by default); `edit` is the fix
        (`await` before the call by default); `in_coroutine` says whether the call sits in an
        `async def` when the report comes after the walk has left it.
        """
        if found is None:
            if not isinstance(call, cst.Call):
                return
            found = self.classify(call)
            if found is None:
                return
        at = call if at is None else at
        condition = None if found is KNOWN else found
        coroutine = self.model.in_coroutine if in_coroutine is None else in_coroutine
        if in_coroutine is None and self.context.top_level_await and self.model.scope is self.model.module_scope:
            coroutine = True  # a notebook's top level runs in the event loop: it may await too

        def guessed() -> bool:
            # Asked only when the finding stands, with the index at hand (lint/context.py).
            index = self.context.index
            return condition is not None and index is not None and index.guessed(condition)

        def fix() -> Fix | None:
            if not (fixable and coroutine):
                return None
            return Fix(
                Applicability.UNSAFE if guessed() else Applicability.SAFE,
                title,
                (edit or Edit(call, cst.Await(expression=call)),),
            )

        def text() -> str:
            how = " (inferred from the method name: the project defines it only as `async def`)" if guessed() else ""
            return message.format(callee=callee_text(self.context, call), how=how)

        rule.report(at, text, fix, condition)

    def iterated_awaitable(self, call: cst.Call) -> Ref | None:
        """The condition that `call` gives an awaitable that is not iterable (an ORM's query
        set), for a call iterated without `await`: the index confirms a sync project function
        annotated to return such a class (ProjectIndex.awaitable_only)."""
        ref = self.context.facts.reference(call.func)
        if ref is None or ref.kind not in PROJECT_REFS:
            return None
        return dataclasses.replace(ref, expect=ITERATED_AWAITABLE)

    def only_formats(self, func: cst.BaseExpression) -> bool:
        """Whether calling `func` only prints, formats or logs its arguments (`print`, `str`,
        `logger.info` on a logger from `logging.getLogger`): a coroutine given to it is used as
        a plain value, never run."""
        if self.model.qualified_name(func) in self.consumers:
            return True
        if not (isinstance(func, cst.Attribute) and func.attr.value in self.logger_methods):
            return False
        logger = func.value
        if isinstance(logger, cst.Call):  # `logging.getLogger(__name__).info(...)`
            return self.model.qualified_name(logger.func) in self.logger_factories
        if isinstance(logger, cst.Name):
            binding = self.model.lookup(logger.value)
            return (
                binding is not None and isinstance(binding.value, cst.Call)
                and self.model.qualified_name(binding.value.func) in self.logger_factories
            )
        return False

    def classify(self, call: cst.Call) -> Classified:
        """KNOWN when the call makes a coroutine, a condition (`Ref`) for the index when it may,
        None when it cannot be told."""
        return self.classify_function(call.func)

    def classify_function(self, func: cst.BaseExpression) -> Classified:
        """As `classify`, for the expression naming the function (`save`, `self.flush`)."""
        qualified = self.model.qualified_name(func)
        if qualified is not None and self.context.library.coroutine(qualified):
            return KNOWN  # `asyncio.sleep(1)`, `aiofiles.os.remove(p)`
        if isinstance(func, cst.Name):
            binding = self.model.lookup(func.value)
            if (
                binding is not None and binding.kind is BindingKind.FUNCTION
                and binding.definition is not None
                and self.model.module_scope is not None
                and func.value not in self.model.module_scope.bindings
            ):
                # A function nested in this one: its definition is right here.
                node = binding.definition
                nested_async = isinstance(node, cst.FunctionDef) and node.asynchronous is not None
                if nested_async and not node.decorators and not is_generator(node):
                    return KNOWN
                return None
            if binding is not None and self.context.facts.held(func) == COROUTINE_FUNCTION:
                return KNOWN  # `func: Callable[..., Coroutine[Any, Any, T]]`, then `func()`
        if isinstance(func, cst.Attribute):
            if (
                self.context.library.coroutine(f"asyncio.AbstractEventLoop.{func.attr.value}")
                and self.spawns.is_loop(func.value)
            ):
                return KNOWN  # `loop.sock_recv(...)`, `loop.getaddrinfo(...)`
            # `lock = asyncio.Lock(); lock.acquire()`, `writer.drain()` after
            # `reader, writer = await asyncio.open_connection()`, `session.close()` with
            # `session: aiohttp.ClientSession`
            ref = self.context.facts.reference(func)
            if (
                ref is not None and ref.kind == "global" and qualified is None
                and self.context.library.coroutine(ref.target)
            ):
                return None if self._overridden_sync(ref.target) else KNOWN
            return self.context.reference(func, ref)
        return self.context.reference(func)

    def _overridden_sync(self, target: str) -> bool:
        """Whether a class of this file derives from the library class owning the method
        `target` and defines that method with a plain `def`: a value declared of the library's
        class may then be one of this class (aiohttp's tests pass `response_class=` a
        `ClientResponse` whose `read()` is sync), so the declaration cannot tell. Bases are
        matched by their last name, which errs towards silence."""
        owner, _, method = target.rpartition(".")
        known = self._sync_defs.get(method)
        if known is None:  # a plain `def` of that name at all: most files have none
            known = self._sync_defs[method] = re.search(
                rf"^[ \t]*def[ \t]+{re.escape(method)}\b", self.context.text, re.MULTILINE,
            ) is not None
        if not known:
            return False
        if self._sync_overrides is None:
            self._sync_overrides = _sync_overrides(self.context.module)
        return method in self._sync_overrides.get(owner.rpartition(".")[2], ())


def _base_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Subscript):  # `Base[T]`
        expr = expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else None


def _sync_overrides(module: cst.Module) -> dict[str, set[str]]:
    """For each base class name, the methods the classes of `module` deriving from it (at any
    depth: in functions too) define with a plain `def`."""
    found: dict[str, set[str]] = {}

    def enter(node: cst.CSTNode) -> bool:
        if isinstance(node, cst.ClassDef):
            plain = {
                statement.name.value for statement in node.body.body
                if isinstance(statement, cst.FunctionDef) and statement.asynchronous is None
            }
            if plain:
                for base in node.bases:
                    name = _base_name(base.value)
                    if name is not None:
                        found.setdefault(name, set()).update(plain)
        return not isinstance(node, cst.BaseExpression)  # classes stand in statements only

    walk(module, enter, ignore, leaves=())
    return found


def is_generator(node: cst.FunctionDef) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Yield(self, _node) -> bool:
            nonlocal found
            found = True
            return False

        def visit_FunctionDef(self, _node) -> bool:
            return False  # a nested function's yield is its own

        def visit_Lambda(self, _node) -> bool:
            return False

    node.body.visit(Finder())
    return found
