"""ASL515: asyncio names kept only as aliases of builtins (`asyncio.TimeoutError`).

Which names, and since which Python, is data (`[aliases]` in rules/misuse.toml); the rule reads
`target-version`, and is silent below it: there the names are classes of their own.
"""

from __future__ import annotations

import libcst as cst

from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid

_BUILTIN = "TimeoutError"


def _dotted(node: cst.BaseExpression | None) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


class AsyncioTimeoutErrorAlias(Rule):
    """`asyncio.TimeoutError` is used where the builtin `TimeoutError` is meant.

    ## What it does
    Flags, when `target-version` is py311 or later, every use of `asyncio.TimeoutError` (or
    `asyncio.exceptions.TimeoutError`, however `asyncio` was imported): in `except` clauses,
    `raise`, `isinstance()`, `pytest.raises()` and anywhere else, and `from asyncio import
    TimeoutError`. Below py311 the rule is silent: there `asyncio.TimeoutError` is a class of its
    own, which `except TimeoutError` does not catch (`asyncio.wait_for` raised it until 3.11).

    ## Why is this bad?
    Since Python 3.11 `asyncio.TimeoutError` is the builtin `TimeoutError`, kept as an alias for
    old code; `asyncio.timeout()` and `asyncio.wait_for()` document that they raise
    `TimeoutError`. Spelling it through asyncio suggests a separate exception that does not
    exist, and invites `except (asyncio.TimeoutError, TimeoutError)` pairs that catch the same
    class twice. `from asyncio import TimeoutError` also shadows the builtin for the whole module.

    ## Example
    ```python
    try:
        async with asyncio.timeout(5):
            await conn.read()
    except asyncio.TimeoutError:
        log.warning("read timed out")
    ```

    ## Use instead
    ```python
    try:
        async with asyncio.timeout(5):
            await conn.read()
    except TimeoutError:
        log.warning("read timed out")
    ```

    ## Fix safety
    Replacing `asyncio.TimeoutError` with `TimeoutError` is safe when the target version is
    py311 or later: both names denote the same class. It is offered only where `TimeoutError`
    is the builtin (no import or assignment in the module rebinds it), and an `except` tuple that
    then names `TimeoutError` twice keeps it once (unsafe when the tuple holds comments, which
    the rewrite drops). Removing `from asyncio import TimeoutError` is unsafe: another module may
    import `TimeoutError` from this one. Imports under another name (`as AsyncTimeout`) get no
    fix.

    ## Options
    - `target-version` (default: the lower bound of `requires-python` in the project's
      pyproject.toml, else py310).
    """

    code = "ASL515"
    requires = ("TimeoutError",)
    name = "asyncio-timeout-error-alias"
    message = "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11: use `TimeoutError`"
    fix = Applicability.SAFE

    valid = (
        Valid("builtin", """
            import asyncio
            async def read(conn):
                try:
                    async with asyncio.timeout(5):
                        return await conn.read()
                except TimeoutError:
                    return None
        """, options={"target-version": "py311"}),
        Valid("before-3.11-a-class-of-its-own", """
            import asyncio
            async def read(conn):
                try:
                    return await asyncio.wait_for(conn.read(), 5)
                except asyncio.TimeoutError:
                    return None
        """, options={"target-version": "py310"}),
        Valid("other-libraries", """
            import concurrent.futures
            from async_timeout import TimeoutError as Expired
            def wait(future):
                try:
                    return future.result(5)
                except (concurrent.futures.TimeoutError, Expired):
                    return None
        """, options={"target-version": "py312"}),
        Valid("an-attribute-of-something-else", """
            class Client:
                def check(self, exc):
                    return isinstance(exc, self.asyncio.TimeoutError)
        """, options={"target-version": "py312"}),
    )
    invalid = (
        Invalid(
            "except-raise-isinstance",
            """
            import asyncio
            import asyncio as aio

            async def read(conn):
                try:
                    async with asyncio.timeout(5):
                        return await conn.read()
                except asyncio.TimeoutError:
                    raise aio.TimeoutError("read") from None

            def is_timeout(exc):
                return isinstance(exc, (asyncio.exceptions.TimeoutError, OSError))
            """,
            (
                (8, 12, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11: use `TimeoutError`"),
                (9, 15, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11: use `TimeoutError`"),
                (12, 29, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11: use `TimeoutError`"),
            ),
            fixed="""
            import asyncio
            import asyncio as aio

            async def read(conn):
                try:
                    async with asyncio.timeout(5):
                        return await conn.read()
                except TimeoutError:
                    raise TimeoutError("read") from None

            def is_timeout(exc):
                return isinstance(exc, (TimeoutError, OSError))
            """,
            options={"target-version": "py311"},
        ),
        Invalid(
            "except-tuple-with-the-builtin",
            """
            import asyncio

            async def read(conn):
                try:
                    return await asyncio.wait_for(conn.read(), 5)
                except (asyncio.TimeoutError, TimeoutError):
                    return None
                except (ConnectionError, TimeoutError, asyncio.TimeoutError) as exc:
                    raise RuntimeError from exc
            """,
            (
                (6, 13, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11: use `TimeoutError`"),
                (8, 44, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11: use `TimeoutError`"),
            ),
            fixed="""
            import asyncio

            async def read(conn):
                try:
                    return await asyncio.wait_for(conn.read(), 5)
                except TimeoutError:
                    return None
                except (ConnectionError, TimeoutError) as exc:
                    raise RuntimeError from exc
            """,
            options={"target-version": "py312"},
        ),
        Invalid(
            "imported-from-asyncio",
            """
            from asyncio import TimeoutError
            from asyncio import sleep, TimeoutError as Expired

            async def read(conn):
                try:
                    await sleep(1)
                except (TimeoutError, Expired):
                    pass
            """,
            (
                (1, 21, "`from asyncio import TimeoutError` shadows the builtin `TimeoutError`, the same class since Python 3.11: remove the import"),
                (2, 28, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11: use `TimeoutError`"),
            ),
            fixed="""
            from asyncio import sleep, TimeoutError as Expired

            async def read(conn):
                try:
                    await sleep(1)
                except (TimeoutError, Expired):
                    pass
            """,
            options={"target-version": "py311"},
        ),
        Invalid(
            "builtin-shadowed-no-fix",
            """
            import asyncio
            from concurrent.futures import TimeoutError

            async def read(conn):
                try:
                    await conn.read()
                except asyncio.TimeoutError:
                    pass
            """,
            (
                (7, 12, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11 (a name this module rebinds, or may through `import *`): use `builtins.TimeoutError`"),
            ),
            options={"target-version": "py311"},
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        known = catalogue.misuse()
        self.aliases = known.timeout_error_aliases
        self.on = context.settings.target >= known.timeout_error_since
        self.done: set[int] = set()  # alias nodes already reported with their `except` tuple

    def _builtin_visible(self) -> bool:
        return self.model.qualified_name(cst.Name(_BUILTIN)) == f"builtins.{_BUILTIN}"

    def _is_alias(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Attribute) and self.model.qualified_name(node) in self.aliases

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self.on or id(node) in self.done or not self._is_alias(node):
            return
        if not self._builtin_visible():
            self.report(node, "`asyncio.TimeoutError` is the builtin `TimeoutError` since Python 3.11 (a name "
                        "this module rebinds, or may through `import *`): use `builtins.TimeoutError`")
            return
        replacement = cst.Name(_BUILTIN, lpar=node.lpar, rpar=node.rpar)
        self.report(node, fix=Fix(Applicability.SAFE, "use the builtin `TimeoutError`", (Edit(node, replacement),)))

    def visit_ExceptHandler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> None:
        if not self.on or not isinstance(node.type, cst.Tuple):
            return
        elements = node.type.elements
        aliases = [e for e in elements if self._is_alias(e.value)]
        builtins = [e for e in elements if self.model.qualified_name(e.value) == f"builtins.{_BUILTIN}"]
        if not aliases or len(aliases) + len(builtins) < 2:
            return  # one name for the class: the plain replacement in visit_Attribute does
        same = {id(e) for e in aliases} | {id(e) for e in builtins}  # nodes compare by value: use ids
        kept = []
        seen = False
        for element in elements:
            if id(element) in same:
                if seen:
                    continue
                seen = True
                element = element.with_changes(value=cst.Name(_BUILTIN))
            kept.append(element)
        tuple_ = node.type
        replacement: cst.BaseExpression
        if len(kept) == 1:
            replacement = cst.Name(_BUILTIN)
            if not node.whitespace_after_except.value:  # `except(a, b):` needs its parentheses
                replacement = replacement.with_changes(lpar=tuple_.lpar, rpar=tuple_.rpar)
        else:
            last = elements[-1].comma
            kept[-1] = kept[-1].with_changes(comma=last)
            replacement = tuple_.with_changes(elements=kept)
        comments = "#" in self.context.module.code_for_node(tuple_)
        fix = Fix(
            Applicability.UNSAFE if comments else Applicability.SAFE,
            "catch the builtin `TimeoutError` once",
            (Edit(tuple_, replacement),),
        )
        for element in aliases:
            self.done.add(id(element.value))
            self.report(element.value, fix=fix)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self.visit_ExceptHandler(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not self.on or node.relative or isinstance(node.names, cst.ImportStar):
            return
        module = _dotted(node.module)
        names = node.names
        for alias in names:
            if not isinstance(alias.name, cst.Name) or f"{module}.{alias.name.value}" not in self.aliases:
                continue
            bound = alias.asname.name if alias.asname is not None else alias.name
            if not isinstance(bound, cst.Name) or bound.value != _BUILTIN:
                self.report(
                    alias,
                    f"`{module}.{alias.name.value}` is the builtin `TimeoutError` since Python 3.11: "
                    "use `TimeoutError`",
                )
                continue
            self.report(
                alias,
                f"`from {module} import TimeoutError` shadows the builtin `TimeoutError`, the same "
                "class since Python 3.11: remove the import",
                self._remove(node, alias),
            )

    def _remove(self, node: cst.ImportFrom, alias: cst.ImportAlias) -> Fix | None:
        assert not isinstance(node.names, cst.ImportStar)  # checked by the caller
        rest = [other for other in node.names if other is not alias]
        if rest:
            rest[-1] = rest[-1].with_changes(comma=node.names[-1].comma)
            edit = Edit(node, node.with_changes(names=rest))
        else:
            line = self.model.statement
            # Only a module-level line of its own can go: elsewhere a block could be left empty.
            if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1 or line is not self.context.top_statement:
                return None
            edit = Edit(line, cst.RemovalSentinel.REMOVE)
        return Fix(Applicability.UNSAFE, "remove the import (the builtin is the same class)", (edit,))
