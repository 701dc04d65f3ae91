"""What the ASL2xx rules share: one matcher per file, where a call counts, and the fixes.

A call counts when it runs in the coroutine itself: the innermost function is an `async def`
(`model.in_coroutine` is false inside a nested sync `def` or a `lambda`), it is not under
`if TYPE_CHECKING:` (never run), and not in the decorators or default values of a `def` (they
run where the `def` statement is). A function passed uncalled (`asyncio.to_thread(time.sleep, 1)`)
is no call at all, so it is never seen.
"""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst

from asynclint.checks.shared import library
from asynclint.checks.shared.awaitables import callee_text
from asynclint.engine.diagnostics import Applicability, Edit, Fix, ModuleStatement
from asynclint.engine.semantic import BindingKind, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.knowledge.catalogue import BlockingEntry
from asynclint.lint.context import Service
from asynclint.lint.rule import Rule
from asynclint.resolve.blocking import Match

_TYPE_CHECKING = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})
# Context managers that expect the code inside to fail: a blocking call there is what a test of a
# blocking-call detector is about, and rewriting it would break the test.
_EXPECTING = frozenset({"pytest.raises", "pytest.warns"})
_EXPECTING_METHODS = frozenset({"assertRaises", "assertRaisesRegex", "assertWarns", "assertWarnsRegex"})
# A noqa comment naming ASYNC2xx (flake8-async's and ruff's codes for blocking calls, as in
# "noqa: ASYNC251"): the line blocks on purpose (a test that cancellation waits for it, say), so
# rewriting it would change the test.
_MEANT_TO_BLOCK = re.compile(r"#\s*noqa\s*:[^#]*\bASYNC2\d\d\b", re.IGNORECASE)


class BlockingWalk(Service):
    """What the ASL2xx rules of one file share: the matcher, the match of the call being visited
    (computed once for all rules), and where the walk is (under `if TYPE_CHECKING:`, in
    decorators and parameter lists, in generator expressions, in `with pytest.raises(...)`)."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.blocking
        self.hidden_blocks: set[int] = set()
        self.hidden = 0  # depth in `if TYPE_CHECKING:` bodies, decorators and parameter lists
        self.generators = 0  # depth in generator expressions (no `await` fix there)
        self.expecting = 0  # depth in `with pytest.raises(...)` and the like (no fix there)
        self.bare: set[int] = set()  # expressions an `await` can replace without parentheses
        self._node: cst.Call | None = None
        self._found: list[Match] = []
        self._counted: cst.CSTNode | None = None
        self._counts = False

    def counts(self, node: cst.CSTNode) -> bool:
        """Whether `node` (being visited) runs in the coroutine's own body."""
        if node is not self._counted:
            self._counted, self._counts = node, not self.hidden and self.model.in_coroutine
        return self._counts

    def matches(self, call: cst.Call) -> list[Match]:
        if call is not self._node:
            self._node, self._found = call, self.calls.match(call)
            for arg in call.args:  # `f(await g())` needs no parentheses
                if not arg.star:
                    self.bare.add(id(arg.value))
        return self._found

    def visit_If(self, node: cst.If) -> None:
        test = node.test
        if isinstance(test, (cst.Name, cst.Attribute)):
            name = self.model.qualified_name(test)
            if name in _TYPE_CHECKING or (isinstance(test, cst.Name) and test.value == "TYPE_CHECKING"):
                self.hidden_blocks.add(id(node.body))
        self.bare.add(id(test))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self.hidden_blocks:
            self.hidden += 1

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        if id(node) in self.hidden_blocks:
            self.hidden -= 1

    visit_SimpleStatementSuite = visit_IndentedBlock
    leave_SimpleStatementSuite = leave_IndentedBlock

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.generators += 1

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self.generators -= 1

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self.bare.add(id(node.item))

    def visit_With(self, node: cst.With) -> None:
        if any(self._expects_failure(item.item) for item in node.items):
            self.expecting += 1

    def leave_With(self, node: cst.With) -> None:
        if any(self._expects_failure(item.item) for item in node.items):
            self.expecting -= 1

    def _expects_failure(self, item: cst.BaseExpression) -> bool:
        if not isinstance(item, cst.Call):
            return False
        func = item.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self":
            return func.attr.value in _EXPECTING_METHODS
        return self.model.qualified_name(func) in _EXPECTING

    def visit_While(self, node: cst.While) -> None:
        self.bare.add(id(node.test))

    # Decorators and default values run where the `def` is, not in the function's body.
    def visit_Decorator(self, node: cst.Decorator) -> None:
        self.hidden += 1

    def leave_Decorator(self, node: cst.Decorator) -> None:
        self.hidden -= 1

    visit_Parameters = visit_Decorator
    leave_Parameters = leave_Decorator


class InCoroutine(Rule):
    """Base of the ASL2xx rules: visits calls that run in a coroutine's own body."""

    requires = ("async",)  # it reports only in the body of an `async def`

    def __init__(self, context) -> None:
        super().__init__(context)
        self.shared = context.service(BlockingWalk)

    def counts(self, node: cst.CSTNode) -> bool:
        """Whether `node`, being visited, runs in the coroutine's own body."""
        return self.shared.counts(node)

    # -- fixes ---------------------------------------------------------------------------------

    def _await(self, call: cst.Call, replacement: cst.Call) -> cst.Await:
        statement = self.model.statement
        bare = id(call) in self.shared.bare or (
            isinstance(statement, cst.SimpleStatementLine)
            and any(getattr(small, "value", None) is call for small in statement.body)
        )
        if bare:
            return cst.Await(expression=replacement)
        return cst.Await(expression=replacement, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

    def _library(self, name: str) -> tuple[str, tuple[ModuleStatement, ...]] | None:
        """The name the library is reachable under here, and the import to add when it is not;
        None when the name is bound to something else."""
        binding = self.model.lookup(name)
        if binding is None:
            return name, (ModuleStatement(name, f"import {name}\n"),)
        if binding.kind is BindingKind.IMPORT and binding.qualified == name:
            return name, ()
        return None

    def fix_for(self, call: cst.Call, entry: BlockingEntry | None, kind: str) -> Fix | None:
        """`await <library>.sleep(x)` for a replacement, `await <library>.to_thread...(f, ...)` else,
        in the module's own async library (asynclint/checks/shared/library.py); no fix when it
        cannot be told. A fix that must import a library the module does not use is unsafe."""
        scope = self.model.scope
        assert scope is not None  # a call is always walked inside some scope
        if kind == "none" or self.shared.generators or self.shared.expecting or scope.kind is ScopeKind.CLASS:
            return None
        statement = self.model.statement
        if isinstance(statement, cst.SimpleStatementLine):
            comment = statement.trailing_whitespace.comment
            if comment is not None and _MEANT_TO_BLOCK.search(comment.value):
                return None
        used = library.library(self.context)
        if used.name is None:
            return None
        found = self._library(used.name)
        if found is None:
            return None
        name, imports = found
        replacement = entry.replacement_for(used.name) if entry is not None else None
        unused: tuple[str, ...] = ()
        if kind == "replace" and replacement and entry is not None:
            function = replacement.rpartition(".")[2]
            new = call.with_changes(func=cst.Attribute(cst.Name(name), cst.Name(function)))
            title = f"use `await {replacement}()`"
            applicability = Applicability.SAFE
            unused = self._import_left_unused(call, entry.name.rpartition(".")[0])
        elif kind in ("to-thread", "replace") and self._can_run_in_thread(call, used):
            first = cst.Arg(
                value=call.func,
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")) if call.args else cst.MaybeSentinel.DEFAULT,
            )
            to_thread = used.to_thread()
            assert to_thread is not None  # the library is known
            func: cst.BaseExpression = cst.Name(name)
            for part in to_thread.split(".")[1:]:
                func = cst.Attribute(func, cst.Name(part))
            new = call.with_changes(func=func, args=[first, *call.args])
            title = f"run it in a thread with `await {to_thread}()`"
            applicability = Applicability.UNSAFE
        else:
            return None
        if not used.direct:
            applicability = Applicability.UNSAFE  # it would add an event-loop library to the module
        return Fix(applicability, title, (Edit(call, self._await(call, new)),), imports, unused)

    def _import_left_unused(self, call: cst.Call, module: str) -> tuple[str, ...]:
        """`time` of `time.sleep(x)` when a module-level `import time` (or `import time as t`)
        binds it: the fixer drops that import once nothing in the module names it any more. Not in
        a package's `__init__.py`, whose imports may be re-exports."""
        func = call.func
        if self.context.is_package or not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return ()
        name = func.value.value
        binding = self.model.lookup(name)
        top = self.model.module_scope
        if (
            binding is None or binding.kind is not BindingKind.IMPORT or binding.qualified != module
            or top is None or binding not in top.bindings.get(name, ())
        ):
            return ()
        return (name,)

    def _can_run_in_thread(self, call: cst.Call, used: library.Library) -> bool:
        if used.name == library.ASYNCIO:
            return self.context.settings.target >= (3, 9)  # asyncio.to_thread is new in 3.9
        # trio's and anyio's run_sync take positional arguments for the call, keywords for itself
        return used.passes_keywords or all(arg.keyword is None and arg.star != "**" for arg in call.args)


class BlockingCategory(InCoroutine):
    """A rule for one category of rules/blocking.toml (thin subclasses set `category`)."""

    def _in_library(self, hint: str) -> str:
        """The catalogue's hint, naming the module's own library's sleep and thread functions."""
        used = library.library(self.context)
        if used.name in (library.TRIO, library.ANYIO):
            hint = hint.replace("asyncio.sleep", f"{used.name}.sleep")
            hint = hint.replace("asyncio.to_thread", f"{used.name}.to_thread.run_sync")
        return hint

    category: ClassVar[str]
    what: ClassVar[str]  # the category in a few words, for messages

    def visit_Call(self, node: cst.Call) -> None:
        if not self.counts(node):
            return
        for match in self.shared.matches(node):
            if match.category == self.category:
                self._report(node, match)

    def _report(self, node: cst.Call, match: Match) -> None:
        entry = match.entry
        if entry is not None:
            hint, kind = entry.hint, entry.fix
        else:  # decided by the index: the category's defaults
            table = catalogue.load("blocking")[self.category]
            hint, kind = table["hint"], table["fix"]
        self.report(
            node,
            lambda: f"`{callee_text(self.context, node)}()` blocks the event loop ({self.what}): {self._in_library(hint)}",
            lambda: self.fix_for(node, entry, kind),
            match.condition,
        )
