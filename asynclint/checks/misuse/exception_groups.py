"""ASL519, ASL520: exception groups handled as if they were the exceptions they hold.

`TaskGroup` (and anyio's and trio's task groups) raise a `BaseExceptionGroup` of their tasks'
failures, which `except*` takes apart. What a group is, and which attributes it has, is data
(`[exception-groups]` in rules/misuse.toml).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asynclint.checks.shared import awaits
from asynclint.engine.semantic import Binding, BindingKind, Scope
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid

_MEMBERS = "exceptions"
_CHAIN = frozenset({"__cause__", "__context__"})


@dataclass
class _Handler:
    node: cst.ExceptHandler | cst.ExceptStarHandler
    scope: Scope | None  # the function whose code the handler is


class _GroupHandlers(Rule):
    """Shared walk: the handlers being walked whose `as` name holds an exception group."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.groups = catalogue.misuse().exception_groups
        self.open: list[_Handler] = []

    def _holds_group(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        raise NotImplementedError

    def _is_group_type(self, expr: cst.BaseExpression) -> bool:
        name = self.model.qualified_name(expr)
        if name is None and isinstance(expr, cst.Name) and self.model.lookup(expr.value) is None:
            name = f"builtins.{expr.value}"  # a Python older than 3.11 runs asynclint: no such builtin
        return name in self.groups

    def _enter(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name) and self._holds_group(node):
            self.open.append(_Handler(node, self.model.function_scope()))

    def _leave(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        if self.open and self.open[-1].node is node:
            self.open.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._enter(node)

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._leave(node)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._enter(node)

    def leave_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._leave(node)

    def group_binding(self, expr: cst.BaseExpression) -> Binding | None:
        """The binding of `expr` when it is the `as` name of a handler being walked (and not
        rebound since)."""
        if not self.open or not isinstance(expr, cst.Name):
            return None
        binding = self.model.lookup(expr.value)
        if binding is None or not any(handler.node is binding.definition for handler in self.open):
            return None
        return binding


class RaisedGroupMember(_GroupHandlers):
    """One exception of an exception group is raised on its own from the handler of the group.

    ## What it does
    Flags `raise` of a member of the exception group a handler caught, inside that handler:
    `except* E as eg:` (or `except ExceptionGroup as eg:`, `except BaseExceptionGroup as eg:`,
    and the `exceptiongroup` backport's) followed by `raise eg.exceptions[i]`, by `raise exc`
    where `exc = eg.exceptions[i]`, or by `raise exc` in `for exc in eg.exceptions:`.

    Not flagged: raising the group itself (`raise`, `raise eg`), a new exception (`raise
    Error(...) from eg`), a copy (`raise copy.copy(eg.exceptions[0])`), a member raised with its
    own chain put back (`raise exc from exc.__cause__ or exc.__context__`, the careful way to
    collapse a group of one), and a member raised in the body of a `try` with `except` clauses
    inside the handler (raised there to be caught again by its type, the usual way to dispatch
    on the members).

    ## Why is this bad?
    Raising an exception that already ran its course rewrites it. Raised inside the handler, the
    member's `__context__` becomes the group (its own context is lost, and with `from` its
    `__cause__` too), and the handler's frame is grafted onto the traceback it had in its task,
    so the report reads as if the handler had called the code that failed. The other members of
    the group are dropped without a trace. flake8-async reports it as ASYNC123.

    ## Example
    ```python
    async def fetch_both(a, b):
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(a.fetch())
                tg.create_task(b.fetch())
        except* OSError as eg:
            raise eg.exceptions[0]
    ```

    ## Use instead
    ```python
    async def fetch_both(a, b):
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(a.fetch())
                tg.create_task(b.fetch())
        except* OSError as eg:
            raise FetchError("could not fetch") from eg
    ```

    ## Fix safety
    No fix is offered: which exception callers should see is the author's decision.
    """

    code = "ASL519"
    requires = ("raise", "exceptions")
    name = "raised-group-member"
    message = (
        "raising a member of an exception group rewrites it (its `__context__`, its traceback) and "
        "drops the others: raise a new exception `from` the group, or the group itself"
    )

    valid = (
        Valid("group-reraised-or-wrapped", """
            import asyncio
            async def fetch_both(a, b):
                try:
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(a.fetch())
                        tg.create_task(b.fetch())
                except* OSError as eg:
                    if len(eg.exceptions) > 1:
                        raise
                    raise FetchError(str(eg.exceptions[0])) from eg
        """),
        Valid("dispatch-by-type", """
            def classify(group):
                try:
                    raise group
                except* ValueError as eg:
                    for exc in eg.exceptions:
                        try:
                            raise exc
                        except KeyError:
                            log(exc)
        """),
        Valid("copied-member", """
            import copy
            def first(job):
                try:
                    job()
                except ExceptionGroup as eg:
                    raise copy.copy(eg.exceptions[0]) from eg
        """),
        Valid("chain-put-back", """
            from contextlib import asynccontextmanager
            import anyio
            @asynccontextmanager
            async def collapsing_task_group():
                try:
                    async with anyio.create_task_group() as tg:
                        yield tg
                except BaseExceptionGroup as excs:
                    if len(excs.exceptions) != 1:
                        raise
                    exc = excs.exceptions[0]
                    context = None if exc.__suppress_context__ else exc.__context__
                    raise exc from exc.__cause__ or context
        """),
        Valid("not-a-group", """
            def first(job):
                try:
                    job()
                except ValueError as exc:
                    raise exc.exceptions[0]
        """),
        Valid("name-rebound", """
            def first(job, errors):
                try:
                    job()
                except* ValueError as eg:
                    eg = errors
                    raise eg.exceptions[0]
        """),
    )
    invalid = (
        Invalid(
            "members-raised",
            """
            import asyncio
            from exceptiongroup import BaseExceptionGroup

            async def fetch_both(a, b):
                try:
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(a.fetch())
                        tg.create_task(b.fetch())
                except* OSError as eg:
                    raise eg.exceptions[0]

            def unwrap(job):
                try:
                    job()
                except (BaseExceptionGroup, KeyError) as group:
                    first = group.exceptions[0]
                    raise first from None
                except ExceptionGroup as eg:
                    for exc in eg.exceptions:
                        if isinstance(exc, KeyError):
                            raise exc
            """,
            (
                (10, 9, "raising a member of an exception group rewrites it (its `__context__`, its traceback) and drops the others: raise a new exception `from` the group, or the group itself"),
                (17, 9, "raising a member of an exception group rewrites it (its `__context__`, its traceback) and drops the others: raise a new exception `from` the group, or the group itself"),
                (21, 17, "raising a member of an exception group rewrites it (its `__context__`, its traceback) and drops the others: raise a new exception `from` the group, or the group itself"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.guarded: set[int] = set()  # ids of try bodies, inside a group handler, that catch
        self.in_guarded = 0

    def _holds_group(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        if isinstance(node, cst.ExceptStarHandler):
            return True
        kind = node.type
        types = [element.value for element in kind.elements] if isinstance(kind, cst.Tuple) else [kind]
        return any(t is not None and self._is_group_type(t) for t in types)

    def visit_Try(self, node: cst.Try) -> None:
        if self.open and node.handlers:
            self.guarded.add(id(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self.guarded:
            self.in_guarded += 1

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self.guarded:
            self.in_guarded -= 1

    def _is_member(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Subscript):
            members = expr.value
            return (
                isinstance(members, cst.Attribute) and members.attr.value == _MEMBERS
                and self.group_binding(members.value) is not None
            )
        if isinstance(expr, cst.Name):
            binding = self.model.lookup(expr.value)
            if binding is None:
                return False
            if binding.kind is BindingKind.ASSIGN and binding.value is not None and binding.value is not expr:
                return isinstance(binding.value, cst.Subscript) and self._is_member(binding.value)
            loop = binding.definition
            return (
                isinstance(loop, cst.For) and loop.target is binding.node
                and isinstance(loop.iter, cst.Attribute) and loop.iter.attr.value == _MEMBERS
                and self.group_binding(loop.iter.value) is not None
            )
        return False

    def visit_Raise(self, node: cst.Raise) -> None:
        if not self.open or self.in_guarded or node.exc is None:
            return
        if self.open[-1].scope is not self.model.function_scope():
            return  # a nested function: it runs when called, maybe after the handler
        if self._is_member(node.exc) and not _keeps_chain(node):
            self.report(node)


def _keeps_chain(node: cst.Raise) -> bool:
    """`raise exc from exc.__cause__ or exc.__context__`: the member's own chain is put back on
    purpose (a group collapsed to its single member)."""
    return node.cause is not None and awaits.any_node(
        node.cause.item, lambda n: isinstance(n, cst.Attribute) and n.attr.value in _CHAIN
    )


class MissingGroupAttribute(_GroupHandlers):
    """An `except*` handler reads an attribute that exception groups do not have.

    ## What it does
    Flags `eg.attr` in the handler of `except* E as eg:` when `attr` is not an attribute of
    `BaseExceptionGroup`: `exceptions`, `message`, `subgroup`, `split`, `derive`, `args`,
    `with_traceback`, `add_note` and dunder attributes (`__notes__`, `__traceback__`,
    `__cause__`, `__context__`...) are. Attributes the handler itself assigns (`eg.handled =
    True`) are left alone, and so is a name rebound in the handler.

    ## Why is this bad?
    `except* E as eg` binds an exception group holding the matching exceptions, never one `E`,
    even when a single exception was raised (it is wrapped in a group). Code written for a plain
    `except E as e`, say `e.errno` or `e.status`, raises `AttributeError` inside the handler,
    and that replaces the error being handled. The members are in `eg.exceptions`. flake8-async
    reports it as ASYNC400.

    ## Example
    ```python
    async def fetch_all(urls):
        try:
            async with asyncio.TaskGroup() as tg:
                for url in urls:
                    tg.create_task(fetch(url))
        except* OSError as eg:
            log.warning("network error %s", eg.errno)
    ```

    ## Use instead
    ```python
    async def fetch_all(urls):
        try:
            async with asyncio.TaskGroup() as tg:
                for url in urls:
                    tg.create_task(fetch(url))
        except* OSError as eg:
            for exc in eg.exceptions:
                log.warning("network error %s", exc.errno)
    ```

    ## Fix safety
    No fix is offered: whether one member or every member is meant is the author's decision.
    """

    code = "ASL520"
    requires = ("except",)  # `except *E` is spelt with a space too
    name = "missing-group-attribute"
    message = "an `except*` handler binds an exception group, which has no such attribute: read it from `.exceptions`"

    valid = (
        Valid("group-attributes", """
            def run(job):
                try:
                    job()
                except* OSError as eg:
                    eg.add_note("while running the job")
                    log(eg.message, eg.args[0], len(eg.exceptions), eg.__traceback__, eg.__notes__)
                    matched, rest = eg.split(ConnectionError)
                    eg.handled = True
                    if eg.handled:
                        raise
        """),
        Valid("plain-except", """
            def run(job):
                try:
                    job()
                except OSError as exc:
                    log(exc.errno)
        """),
        Valid("members", """
            def run(job):
                try:
                    job()
                except* OSError as eg:
                    for exc in eg.exceptions:
                        log(exc.errno)
                    eg = eg.exceptions[0]
                    log(eg.errno)
        """),
    )
    invalid = (
        Invalid(
            "attributes-of-a-member",
            """
            import asyncio

            async def fetch_all(urls):
                try:
                    async with asyncio.TaskGroup() as tg:
                        for url in urls:
                            tg.create_task(fetch(url))
                except* OSError as eg:
                    log.warning("network error %s", eg.errno)
                except* HTTPError as errors:
                    if errors.response.status == 404:
                        return None
            """,
            (
                (9, 41, "`eg` holds an exception group, which has no attribute `errno`: read it from `eg.exceptions`"),
                (11, 12, "`errors` holds an exception group, which has no attribute `response`: read it from `errors.exceptions`"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.attributes = catalogue.misuse().exception_group_attributes
        self.assigned: set[tuple[int, str]] = set()  # (binding id, attribute) the handler assigns

    def _holds_group(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        return isinstance(node, cst.ExceptStarHandler)

    def _assigned(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute):
            binding = self.group_binding(target.value)
            if binding is not None:
                self.assigned.add((id(binding), target.attr.value))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._assigned(element.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assigned(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._assigned(node.target)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        if attr in self.attributes or (attr.startswith("__") and attr.endswith("__")):
            return
        binding = self.group_binding(node.value)
        if binding is None or (id(binding), attr) in self.assigned:
            return
        group = binding.name
        self.report(
            node,
            f"`{group}` holds an exception group, which has no attribute `{attr}`: read it from `{group}.exceptions`",
        )
