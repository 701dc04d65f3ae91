"""A lean semantic model kept during the one traversal: scopes, bindings, loads and imports.

libcst's ScopeProvider + QualifiedNameProvider cost about nine times the parse itself (see
DESIGN.md §5), so the engine keeps its own pyflakes-style scope stack instead. It answers what the
rules ask, and no more:

* which function encloses a node, and whether it is a coroutine (a stack, never a boolean flag, so
  a nested `def` does not end the coroutine's checks);
* what a name is bound to at this point of the walk (the latest binding, looked up through the
  enclosing scopes the way Python does: class bodies are skipped from inside methods);
* the dotted name an expression refers to through imports (`aio.create_task` -> `asyncio.create_task`);
* which names a scope (and the scopes nested in it) ever reads, so a rule can tell at scope exit
  that a binding is never used. `del name` counts as a read: it says the drop is deliberate.

Comprehensions do not get scopes of their own: a name read inside one counts as read in the
enclosing scope. That can only hide a finding, never invent one.
"""

from __future__ import annotations

import builtins
import enum
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use

_BUILTINS = frozenset(dir(builtins))
# Calls through which a function may read any of its locals without naming them.
_DYNAMIC_NAMES = frozenset({"locals", "vars", "eval", "exec"})


class ScopeKind(enum.Enum):
    MODULE = "module"
    CLASS = "class"
    FUNCTION = "function"
    LAMBDA = "lambda"


class BindingKind(enum.Enum):
    IMPORT = "import"
    ASSIGN = "assign"  # `x = value`, `x: T = value`, `(x := value)`
    PARAM = "param"
    FUNCTION = "function"
    CLASS = "class"
    OTHER = "other"  # for/with/except targets, tuple unpacking, augmented assignment, match


@dataclass(eq=False)
class Binding:
    name: str
    kind: BindingKind
    node: cst.CSTNode  # the Name that is bound (the node a finding about it points at)
    value: cst.BaseExpression | None = None  # what was assigned, when it is one whole value
    qualified: str | None = None  # for imports: the dotted name imported
    annotation: cst.BaseExpression | None = None
    definition: cst.CSTNode | None = None  # FunctionDef / ClassDef / Param / the assignment
    statement: cst.BaseStatement | None = None  # the statement line holding the binding
    # `a, b = value`: the whole value and this name's position in the flat target tuple, so that
    # `reader, writer = await asyncio.open_connection()` can tell what `writer` is.
    unpacked: tuple[cst.BaseExpression, int] | None = None
    # `async with value as name`: the expression entered (what `name` is depends on its
    # `__aenter__`; rules/coroutines.toml lists the types that enter as themselves)
    entered: cst.BaseExpression | None = None


@dataclass(eq=False)
class Scope:
    kind: ScopeKind
    node: cst.CSTNode
    parent: Scope | None
    is_async: bool = False
    is_generator: bool = False  # a `yield` in its own body (an async generator is not awaitable)
    qualname: str = ""  # dotted path of classes and functions from the module, e.g. "Client.spawn"
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    loads: set[str] = field(default_factory=set)
    declared: set[str] = field(default_factory=set)  # names declared global or nonlocal here
    dynamic: bool = False  # locals()/vars()/eval()/exec() seen: any local may be read
    star_import: bool = False

    def bind(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)

    def names(self) -> set[str]:
        """Every name this scope binds or reads (nested scopes' reads included once they end)."""
        return self.loads | self.bindings.keys()

    @property
    def addressable(self) -> bool:
        """Whether the scope is the module or a class reached from it by a dotted name
        (`Outer.Inner`): what a module summary records, and its methods with it."""
        scope: Scope | None = self
        while scope is not None and scope.kind is ScopeKind.CLASS:
            scope = scope.parent
        return scope is not None and scope.kind is ScopeKind.MODULE


class SemanticModel:
    """Tracks scopes during the walk. The walker calls `enter`/`leave` around every node."""

    def __init__(self) -> None:
        self.scope: Scope | None = None
        self.module_scope: Scope | None = None
        # Bumped whenever what a name lookup answers may change (a binding made, a scope entered
        # or left): answers derived from the model hold until it moves (resolve/facts.py memo).
        self.state = 0
        self._later_imports: dict[str, Binding] = {}  # see `module_imports`
        self._not_loads: set[int] = set()  # ids of Name nodes that are stores or plain labels
        self._statements: list[cst.BaseStatement] = []
        self._async_with = False  # whether the `with` whose items are being walked is `async with`
        self.scope_exit_hooks: list[Callable[[Scope], None]] = []
        # Each handler takes the node type it is filed under.
        self._enter: dict[type[cst.CSTNode], Callable[[Any], bool]] = {
            cst.Module: self._enter_module,
            cst.ClassDef: self._enter_class,
            cst.FunctionDef: self._enter_function,
            cst.Lambda: self._enter_lambda,
            cst.Param: self._enter_param,
            cst.Name: self._enter_name,
            cst.Attribute: self._enter_attribute,
            cst.Arg: self._enter_arg,
            cst.Assign: self._enter_assign,
            cst.AnnAssign: self._enter_ann_assign,
            cst.AugAssign: self._enter_aug_assign,
            cst.NamedExpr: self._enter_named_expr,
            cst.For: self._enter_for,
            cst.CompFor: self._enter_for,
            cst.With: self._enter_with,
            cst.WithItem: self._enter_with_item,
            cst.ExceptHandler: self._enter_except,
            cst.ExceptStarHandler: self._enter_except,
            cst.Global: self._enter_global,
            cst.Nonlocal: self._enter_global,
            cst.Import: self._enter_import,
            cst.ImportFrom: self._enter_import_from,
            cst.SimpleStatementLine: self._enter_statement,
            cst.SimpleStatementSuite: self._enter_statement,
            cst.MatchAs: self._enter_match_as,
            cst.MatchStar: self._enter_match_star,
            cst.MatchMapping: self._enter_match_mapping,
            cst.MatchKeywordElement: self._enter_match_keyword,
            cst.Yield: self._enter_yield,
        }
        self._leave: dict[type[cst.CSTNode], Callable[[Any], None]] = {
            cst.Module: self._pop_scope,
            cst.ClassDef: self._pop_scope,
            cst.FunctionDef: self._pop_scope,
            cst.Lambda: self._pop_scope,
            cst.SimpleStatementLine: self._leave_statement,
            cst.SimpleStatementSuite: self._leave_statement,
        }

    # -- what rules ask ---------------------------------------------------------------------

    def function_scope(self) -> Scope | None:
        """The innermost function or lambda whose body is being walked (class bodies skipped)."""
        scope = self.scope
        while scope is not None and scope.kind in (ScopeKind.CLASS,):
            scope = scope.parent
        if scope is None or scope.kind is ScopeKind.MODULE:
            return None
        return scope

    @property
    def in_coroutine(self) -> bool:
        scope = self.function_scope()
        return scope is not None and scope.kind is ScopeKind.FUNCTION and scope.is_async

    @property
    def statement(self) -> cst.BaseStatement | None:
        """The innermost simple statement line (or one-line suite) being walked."""
        return self._statements[-1] if self._statements else None

    def lookup(self, name: str) -> Binding | None:
        """The latest binding of `name` visible from the current scope, as Python resolves it.

        Inside a function, a module-level import that stands further down (or under `if`/`try`)
        is visible too: the body runs once the module is done."""
        scope = self.scope
        first = True
        deferred = False  # inside a function or lambda: run after the module, not during it
        while scope is not None:
            if first or scope.kind is not ScopeKind.CLASS:
                found = scope.bindings.get(name)
                if found:
                    return found[-1]
            if scope.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA):
                deferred = True
            first = False
            scope = scope.parent
        return self._later_imports.get(name) if deferred else None

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        """The dotted name `expr` denotes through imports (`builtins.open` for an unshadowed builtin).

        None when it is not a plain dotted reference to an imported or builtin name.
        """
        if isinstance(expr, cst.Name):
            binding = self.lookup(expr.value)
            if binding is None:
                if expr.value in _BUILTINS and not self._star_import_visible():
                    return f"builtins.{expr.value}"
                return None
            return binding.qualified if binding.kind is BindingKind.IMPORT else None
        if isinstance(expr, cst.Attribute):
            base = self.qualified_name(expr.value)
            return f"{base}.{expr.attr.value}" if base is not None else None
        return None

    def _star_import_visible(self) -> bool:
        scope = self.scope
        while scope is not None:
            if scope.star_import:
                return True
            scope = scope.parent
        return False

    # -- driven by the walker ---------------------------------------------------------------

    def close(self) -> None:
        """The walk is over: drop the bound-method tables and hooks (each a reference cycle
        through this model, its scopes and so the whole syntax tree)."""
        self.scope_exit_hooks.clear()
        self._enter.clear()
        self._leave.clear()

    def handlers(self) -> tuple[dict, dict]:
        """The enter and leave handlers by node type, for a walker that dispatches itself (what
        `enter` and `leave` do, without a call each)."""
        return self._enter, self._leave

    def enter(self, node: cst.CSTNode) -> bool:
        handler = self._enter.get(type(node))
        return handler(node) if handler is not None else True

    def leave(self, node: cst.CSTNode) -> None:
        handler = self._leave.get(type(node))
        if handler is not None:
            handler(node)

    # -- scopes -----------------------------------------------------------------------------

    def _push(self, kind: ScopeKind, node: cst.CSTNode, name: str = "", is_async: bool = False) -> None:
        self.state += 1
        parent = self.scope
        qualname = name
        if parent is not None and parent.qualname and name:
            qualname = f"{parent.qualname}.{name}"
        self.scope = Scope(kind, node, parent, is_async=is_async, qualname=qualname)

    def _pop_scope(self, node: cst.CSTNode) -> None:
        scope = self.scope
        assert scope is not None and scope.node is node, "scope stack out of step with the tree"
        for hook in self.scope_exit_hooks:
            hook(scope)
        parent = scope.parent
        self.state += 1
        if parent is not None:
            # A nested scope's reads of names it does not bind are reads of enclosing names.
            local = scope.bindings.keys() - scope.declared if scope.kind is not ScopeKind.CLASS else set()
            parent.loads.update(scope.loads - local)
            parent.dynamic = parent.dynamic or scope.dynamic
        self.scope = parent

    def _enter_module(self, node: cst.Module) -> bool:
        self._push(ScopeKind.MODULE, node)
        self.module_scope = self.scope
        self._later_imports = module_imports(node)
        return True

    def _enter_class(self, node: cst.ClassDef) -> bool:
        self._not_loads.add(id(node.name))
        self._bind(node.name, BindingKind.CLASS, definition=node)
        self._push(ScopeKind.CLASS, node, node.name.value)
        return True

    def _enter_function(self, node: cst.FunctionDef) -> bool:
        self._not_loads.add(id(node.name))
        self._bind(node.name, BindingKind.FUNCTION, definition=node)
        self._push(ScopeKind.FUNCTION, node, node.name.value, is_async=node.asynchronous is not None)
        return True

    def _enter_lambda(self, node: cst.Lambda) -> bool:
        self._push(ScopeKind.LAMBDA, node, "<lambda>")
        return True

    def _enter_param(self, node: cst.Param) -> bool:
        self._not_loads.add(id(node.name))
        annotation = node.annotation.annotation if node.annotation is not None else None
        self._bind(node.name, BindingKind.PARAM, annotation=annotation, definition=node)
        return True

    def _enter_statement(self, node: cst.BaseStatement) -> bool:
        self._statements.append(node)
        return True

    def _leave_statement(self, node: cst.BaseStatement) -> None:
        self._statements.pop()

    # -- names --------------------------------------------------------------------------------

    def _enter_name(self, node: cst.Name) -> bool:
        if id(node) not in self._not_loads and self.scope is not None:
            self.scope.loads.add(node.value)
            if node.value in _DYNAMIC_NAMES:
                self.scope.dynamic = True
        return True

    def _enter_attribute(self, node: cst.Attribute) -> bool:
        self._not_loads.add(id(node.attr))
        return True

    def _enter_arg(self, node: cst.Arg) -> bool:
        if node.keyword is not None:
            self._not_loads.add(id(node.keyword))
        return True

    def _bind(
        self,
        name: cst.Name,
        kind: BindingKind,
        value: cst.BaseExpression | None = None,
        qualified: str | None = None,
        annotation: cst.BaseExpression | None = None,
        definition: cst.CSTNode | None = None,
    ) -> None:
        if self.scope is None:
            return
        self.state += 1
        self.scope.bind(
            Binding(
                name.value, kind, name, value, qualified, annotation, definition, self.statement
            )
        )

    def _bind_targets(self, target: cst.BaseExpression, kind: BindingKind, value=None, definition=None) -> None:
        """Bind every plain name in an assignment target; attribute/subscript targets bind nothing."""
        if isinstance(target, cst.Name):
            self._not_loads.add(id(target))
            self._bind(target, kind, value, definition=definition)
        elif isinstance(target, (cst.Tuple, cst.List)):
            flat = all(isinstance(element.value, cst.Name) for element in target.elements)
            for index, element in enumerate(target.elements):
                self._bind_targets(element.value, BindingKind.OTHER, definition=definition)
                name = element.value
                if flat and kind is BindingKind.ASSIGN and value is not None and self.scope is not None and isinstance(name, cst.Name):
                    self.scope.bindings[name.value][-1].unpacked = (value, index)
                    self.state += 1
        elif isinstance(target, cst.StarredElement):
            self._bind_targets(target.value, BindingKind.OTHER, definition=definition)

    def _enter_assign(self, node: cst.Assign) -> bool:
        for target in node.targets:
            self._bind_targets(target.target, BindingKind.ASSIGN, node.value, node)
        return True

    def _enter_ann_assign(self, node: cst.AnnAssign) -> bool:
        if node.value is not None:  # a bare annotation binds nothing
            self._bind_targets(node.target, BindingKind.ASSIGN, node.value, node)
            if isinstance(node.target, cst.Name):
                assert self.scope is not None  # every node is walked inside the module's scope at least
                self.scope.bindings[node.target.value][-1].annotation = node.annotation.annotation
        return True

    def _enter_aug_assign(self, node: cst.AugAssign) -> bool:
        # `x += 1` reads x as well as rebinding it, so the Name stays a load.
        if isinstance(node.target, cst.Name):
            self._bind(node.target, BindingKind.OTHER, definition=node)
        return True

    def _enter_named_expr(self, node: cst.NamedExpr) -> bool:
        self._bind_targets(node.target, BindingKind.ASSIGN, node.value, node)
        return True

    def _enter_for(self, node: cst.For | cst.CompFor) -> bool:
        self._bind_targets(node.target, BindingKind.OTHER, definition=node)
        return True

    def _enter_with(self, node: cst.With) -> bool:
        self._async_with = node.asynchronous is not None  # for its items, visited next
        return True

    def _enter_with_item(self, node: cst.WithItem) -> bool:
        if node.asname is not None:
            self._bind_targets(node.asname.name, BindingKind.OTHER, definition=node)
            target = node.asname.name
            if self._async_with and isinstance(target, cst.Name) and self.scope is not None:
                self.scope.bindings[target.value][-1].entered = node.item
                self.state += 1
        return True

    def _enter_except(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
        if node.name is not None:
            self._bind_targets(node.name.name, BindingKind.OTHER, definition=node)
        return True

    def _enter_global(self, node: cst.Global | cst.Nonlocal) -> bool:
        for item in node.names:
            self._not_loads.add(id(item.name))
            if self.scope is not None:
                self.scope.declared.add(item.name.value)
        return True

    def _enter_match_as(self, node: cst.MatchAs) -> bool:
        if node.name is not None:
            self._bind_targets(node.name, BindingKind.OTHER, definition=node)
        return True

    def _enter_match_star(self, node: cst.MatchStar) -> bool:
        if node.name is not None:
            self._bind_targets(node.name, BindingKind.OTHER, definition=node)
        return True

    def _enter_match_mapping(self, node: cst.MatchMapping) -> bool:
        if node.rest is not None:
            self._bind_targets(node.rest, BindingKind.OTHER, definition=node)
        return True

    def _enter_yield(self, node: cst.Yield) -> bool:
        scope = self.function_scope()
        if scope is not None:
            scope.is_generator = True
        return True

    def _enter_match_keyword(self, node: cst.MatchKeywordElement) -> bool:
        self._not_loads.add(id(node.key))
        return True

    # -- imports (children are never loads, so the walk does not descend) --------------------

    def _enter_import(self, node: cst.Import) -> bool:
        for bound, qualified in _imported(node):
            self._bind(bound, BindingKind.IMPORT, qualified=qualified, definition=node)
        return False

    def _enter_import_from(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            if self.scope is not None:
                self.scope.star_import = True
                self.state += 1
            return False
        for bound, qualified in _imported(node):
            self._bind(bound, BindingKind.IMPORT, qualified=qualified, definition=node)
        return False


def _imported(node: cst.Import | cst.ImportFrom) -> Iterator[tuple[cst.Name, str]]:
    """The names an import statement binds, with the dotted name each is bound to."""
    if isinstance(node, cst.Import):
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                yield alias.asname.name, dotted
            else:
                # `import a.b.c` binds `a`; attribute access then spells out the rest.
                head: cst.BaseExpression = alias.name
                while isinstance(head, cst.Attribute):
                    head = head.value
                assert isinstance(head, cst.Name)  # a dotted name is names joined by dots
                yield head, dotted.split(".")[0]
        return
    if isinstance(node.names, cst.ImportStar):
        return
    module = "." * len(node.relative) + (_dotted(node.module) if node.module is not None else "")
    separator = "" if module.endswith(".") else "."
    for alias in node.names:
        if not isinstance(alias.name, cst.Name):
            continue
        bound = alias.asname.name if alias.asname is not None else alias.name
        if isinstance(bound, cst.Name):
            yield bound, f"{module}{separator}{alias.name.value}"


@functools.cache
def _blocks() -> tuple[type[cst.CSTNode], ...]:
    """Compound statements whose bodies still run at module level (made on first use: naming
    libcst's classes loads it)."""
    return (cst.If, cst.Else, cst.Try, cst.TryStar, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.With, cst.For, cst.While)


def module_imports(module: cst.Module) -> dict[str, Binding]:
    """The imports a module makes at its top level, wherever they stand (after the functions that
    use them, under `if`/`try`/`with`), for names that only imports bind there: a function body
    runs once the module is done, so it sees them (as pyflakes resolves function bodies last)."""
    found: dict[str, Binding] = {}
    other: set[str] = set()

    def statements(body) -> Iterator[cst.CSTNode]:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                yield from statement.body
            elif isinstance(statement, _blocks()):
                yield statement
                yield from statements(statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ())
                for part in (*getattr(statement, "handlers", ()), getattr(statement, "orelse", None), getattr(statement, "finalbody", None)):
                    if part is not None:
                        yield from statements([part])
            else:
                yield statement

    for node in statements(module.body):
        if isinstance(node, (cst.Import, cst.ImportFrom)):
            for bound, qualified in _imported(node):
                earlier = found.get(bound.value)
                if earlier is not None and earlier.qualified != qualified:
                    other.add(bound.value)  # imported as two things: which one holds is unknown
                found[bound.value] = Binding(bound.value, BindingKind.IMPORT, bound, qualified=qualified, definition=node)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            other.add(node.name.value)
        else:
            other.update(_bound_names(node))
    return {name: binding for name, binding in found.items() if name not in other}


def _bound_names(node: cst.CSTNode) -> set[str]:
    """Names a module-level statement other than an import or a definition may bind (a superset:
    any Name it stores to, including loop, `with` and `except` targets)."""
    names: set[str] = set()
    targets: list[cst.BaseExpression] = []
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.For)):
        targets = [node.target]
    elif isinstance(node, cst.With):
        targets = [item.asname.name for item in node.items if item.asname is not None]
    elif isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)) and node.name is not None:
        targets = [node.name.name]
    elif isinstance(node, (cst.Global, cst.Nonlocal, cst.Del)):
        return names
    for target in targets:
        stack = [target]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.Name):
                names.add(current.value)
            elif isinstance(current, (cst.Tuple, cst.List)):
                stack.extend(element.value for element in current.elements)
            elif isinstance(current, cst.StarredElement):
                stack.append(current.value)
    return names


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


