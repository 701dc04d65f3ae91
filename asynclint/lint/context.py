"""What a rule sees of the file being checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import libcst as cst

from asynclint.config.options import Settings, relative_to_root
from asynclint.engine.diagnostics import Fix
from asynclint.engine.notebook import is_notebook
from asynclint.engine.semantic import BindingKind, ScopeKind, SemanticModel
from asynclint.resolve import library
from asynclint.resolve.blocking import BlockingCalls
from asynclint.resolve.facts import TypeFacts
from asynclint.resolve.names import Ref, is_test_module, ref_name
from asynclint.resolve.project import NameFilter, ProjectIndex, SummaryCollector
from asynclint.resolve.spawns import TaskSpawns

if TYPE_CHECKING:
    from asynclint.lint.rule import Lazy, Rule


class Service:
    """What several rules of one file need, worked out once per file (`FileContext.service`)
    instead of by each rule, or by one "leader" rule for the others.

    Like a rule, a service may follow the walk (`visit_<Node>`/`leave_<Node>`, libcst's naming):
    the walker calls every service before any rule for the same node, so the rules read its state
    up to date. Ask for such a service in the rule's `__init__` (the walker builds its dispatch
    tables once the rules are made). A service that fails fails the file's check (an internal
    error), since every rule reading it would be wrong."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.model = context.model


S = TypeVar("S", bound=Service)


@dataclass
class Report:
    rule: type[Rule]
    node: cst.CSTNode
    message: str
    fix: Fix | None
    condition: Ref | None = None  # the finding stands only if this names a coroutine function
    # The statements being walked when the report was made, innermost first: the simple statement
    # line, the function or class, the module-level statement. Where the node most likely is
    # (positions.py verifies it), so that only the smallest of them has its code generated.
    statements: tuple[cst.BaseStatement, ...] = ()


class FileContext:
    def __init__(
        self, path: str, text: str, module: cst.Module, settings: Settings,
        module_name: str = "", is_package: bool = False,
        names: NameFilter | None = None,
    ) -> None:
        self.path = path
        self.text = text
        self.module = module
        self.settings = settings
        self.module_name = module_name
        self.is_package = is_package
        self.names = names  # None: not known, so no call is ruled out by its name
        self.index: ProjectIndex | None = None  # at hand when conditions are decided in this pass
        self.is_test = is_test_module(relative_to_root(path, settings.root))
        # A notebook runs its cells in an event loop: `await` is valid at its top level.
        self.top_level_await = is_notebook(path)
        self.model = SemanticModel()
        # Services every rule of the file shares, made once per file: what values hold and what
        # calls refer to (resolve/facts.py), which calls spawn tasks (resolve/spawns.py), and
        # which calls block (resolve/blocking.py, with the configuration's extra entries).
        self.library = library.for_settings(settings)
        self.facts = TypeFacts(self.model, module_name, is_package, self.library)
        self.spawns = TaskSpawns(self.facts, settings.extend_task_spawners)
        self.blocking = BlockingCalls(self.facts, settings.extend_blocking_calls)
        self.summary = SummaryCollector(
            self.model, module_name, is_package, settings.extend_task_spawners, self.is_test,
            self.facts, self.spawns,
        )
        self.reports: list[Report] = []
        self.services: dict[type[Service], Service] = {}
        self.top_statement: cst.BaseStatement | None = None  # set by the walker
        self._library_method_names: frozenset[str] | None = None
        # Names ruled out by the name filter alone: a cached result for this file holds only
        # while no file of the project defines them (see asynclint/run/runner.py).
        self.rejected_coroutines: set[str] = set()
        self.rejected_wrappers: set[str] = set()

    def service(self, kind: type[S]) -> S:
        """The file's one instance of a service (see `Service`), made on first use."""
        found = self.services.get(kind)
        if found is None:
            found = self.services[kind] = kind(self)
        return found  # type: ignore[return-value]  # keyed by its own class

    def report(
        self, rule: Rule, node: cst.CSTNode, message: Lazy[str], fix: Lazy[Fix | None], condition: Ref | None = None
    ) -> None:
        """Keep a finding (see `Rule.report`). A conditional one is decided now when the project
        index is at hand; without it only its condition is kept (no message, fix or position is
        made for a finding that will most likely not stand: 12 of about 4,900 conditions in
        aiohttp)."""
        if condition is not None:
            if self.index is None:
                self.reports.append(Report(type(rule), node, "", None, condition))
                return
            if not self.index.check(condition):
                return
        text = message() if callable(message) else message
        made = fix() if callable(fix) else fix
        self.reports.append(Report(type(rule), node, text, made, condition, self._walked()))

    def _walked(self) -> tuple[cst.BaseStatement, ...]:
        top = self.top_statement
        if top is None:
            return ()
        found = []
        if self.model.statement is not None:
            found.append(self.model.statement)
        scope = self.model.scope
        while scope is not None and scope.kind is not ScopeKind.MODULE:
            if isinstance(scope.node, (cst.FunctionDef, cst.ClassDef)):
                found.append(scope.node)
                break
            scope = scope.parent
        if not found or found[-1] is not top:
            found.append(top)
        return tuple(found)

    @property
    def library_method_names(self) -> frozenset[str]:
        """Method names worth asking about on a receiver whose library type the index may tell:
        the catalogue's coroutine methods and those the packages this file imports declare."""
        if self._library_method_names is None:
            scope = self.model.module_scope
            imported = {
                binding.qualified.split(".", 1)[0]
                for bindings in (scope.bindings.values() if scope is not None else ())
                for binding in bindings
                if binding.kind is BindingKind.IMPORT and binding.qualified and not binding.qualified.startswith(".")
            }
            self._library_method_names = self.library.coroutine_method_names(imported)
        return self._library_method_names

    def reference(self, func: cst.BaseExpression, found: Ref | None = None) -> Ref | None:
        """What a callee refers to, for a condition resolved against the project index; None when
        nothing can be said, or when no `async def` of the project has the callee's name.
        `found`: the callee's reference, when the caller has it already."""
        found = self.facts.reference(func) if found is None else found
        if found is None or self.names is None:
            return found
        name = ref_name(found)
        if name in self.names.coroutines or (found.kind in ("attr", "held") and name in self.library_method_names):
            return found
        if found.kind == "method":
            # `self.app(scope)` may call what the attribute `app` holds: an instance whose class
            # has an async `__call__` (asynclint/resolve/project.py)
            if "__call__" in self.names.coroutines:
                return found
            self.rejected_coroutines.add("__call__")
        self.rejected_coroutines.add(name)
        return None

    def may_be_task_wrapper(self, ref: Ref) -> bool:
        """Whether a reference's name could be a project function that returns a new task."""
        if self.names is None or ref_name(ref) in self.names.wrappers:
            return True
        self.rejected_wrappers.add(ref_name(ref))
        return False
