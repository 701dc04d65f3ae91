"""What the ASL4xx rules share: reading decorators and markers, finding tests, small fix builders."""

from __future__ import annotations

import libcst as cst

from asynclint.engine.diagnostics import ModuleStatement
from asynclint.engine.semantic import BindingKind, Scope, ScopeKind, SemanticModel
from asynclint.knowledge import catalogue

MARKED, PLAIN, UNKNOWN = "marked", "plain", "unknown"
_METHOD_DECORATORS = frozenset({"builtins.staticmethod", "builtins.classmethod"})


def decorator_target(decorator: cst.Decorator) -> cst.BaseExpression:
    expr = decorator.decorator
    return expr.func if isinstance(expr, cst.Call) else expr


def _strings_in(call: cst.Call) -> list[str]:
    return [
        arg.value.evaluated_value for arg in call.args
        if isinstance(arg.value, cst.SimpleString) and isinstance(arg.value.evaluated_value, str)
    ]


def mark_kind(model: SemanticModel, expr: cst.BaseExpression) -> str:
    """Whether a marker expression (a decorator, or a `pytestmark` value) makes async tests run
    (MARKED: asyncio, anyio or trio marker, or the anyio fixture), is another pytest marker (PLAIN),
    or cannot be read (UNKNOWN)."""
    testing = catalogue.testing()
    if isinstance(expr, (cst.List, cst.Tuple)):
        kinds = [mark_kind(model, element.value) for element in expr.elements]
        if MARKED in kinds:
            return MARKED
        return UNKNOWN if UNKNOWN in kinds else PLAIN
    target = expr.func if isinstance(expr, cst.Call) else expr
    qualified = model.qualified_name(target)
    if qualified is None:
        return UNKNOWN
    if qualified in testing.asyncio_markers or qualified in testing.other_markers:
        return MARKED
    if (
        qualified == "pytest.mark.usefixtures"
        and isinstance(expr, cst.Call)
        and any(name in testing.runner_fixtures for name in _strings_in(expr))
    ):
        return MARKED
    if qualified.startswith("pytest.mark."):
        return PLAIN
    return UNKNOWN


def decorators_kind(model: SemanticModel, decorators) -> str:
    """MARKED, PLAIN or UNKNOWN for a function's or class's decorators together. A decorator that is
    neither a pytest marker nor known to leave the function alone may wrap it into anything."""
    testing = catalogue.testing()
    result = PLAIN
    for decorator in decorators:
        qualified = model.qualified_name(decorator_target(decorator))
        if qualified in testing.transparent_decorators or qualified in _METHOD_DECORATORS:
            continue
        kind = mark_kind(model, decorator.decorator)
        if kind == UNKNOWN:
            return UNKNOWN
        if kind == MARKED:
            result = MARKED
    return result


def pytestmark_kind(model: SemanticModel, body) -> str:
    """What a module's or class's `pytestmark` assignments say (PLAIN when there is none)."""
    result = PLAIN
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                value = small.value
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                targets = [small.target]
                value = small.value
            if any(isinstance(t, cst.Name) and t.value == "pytestmark" for t in targets):
                if value is None:
                    continue
                kind = mark_kind(model, value)
                if kind != PLAIN:
                    result = kind if result != MARKED else result
    return result


def top_level_function(scope: Scope) -> tuple[cst.FunctionDef, cst.ClassDef | None] | None:
    """A function scope's definition when it is module-level or a method of a module-level class,
    with that class."""
    parent = scope.parent
    if scope.kind is not ScopeKind.FUNCTION or parent is None:
        return None
    node = scope.node
    assert isinstance(node, cst.FunctionDef)  # a function scope is a def's
    if parent.kind is ScopeKind.MODULE:
        return node, None
    if parent.kind is ScopeKind.CLASS and parent.parent is not None and parent.parent.kind is ScopeKind.MODULE:
        assert isinstance(parent.node, cst.ClassDef)  # a class scope is a class statement's
        return node, parent.node
    return None


def module_binding_is(model: SemanticModel, name: str, qualified: str) -> bool | None:
    """True when `name` is bound at module level to an import of `qualified`, None when unbound,
    False when bound to anything else."""
    scope = model.module_scope
    bindings = scope.bindings.get(name) if scope is not None else None
    if not bindings:
        return None
    last = bindings[-1]
    return last.kind is BindingKind.IMPORT and last.qualified == qualified


def import_statement(model: SemanticModel, module: str) -> tuple[ModuleStatement, ...] | None:
    """What a fix must add so that `module` names the module: nothing, `import module`, or None
    when the name is taken by something else (no fix then)."""
    bound = module_binding_is(model, module, module)
    if bound is None:
        return (ModuleStatement(module, f"import {module}\n"),)
    return () if bound else None


def is_stub(node: cst.FunctionDef) -> bool:
    """A body of only a docstring, `...`, `pass` or `raise NotImplementedError`."""
    body = node.body
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        smalls = statement.body if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else None
        if smalls is None:
            return False
        for small in smalls:
            if isinstance(small, cst.Pass):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Ellipsis, cst.SimpleString, cst.ConcatenatedString)):
                continue
            if isinstance(small, cst.Raise) and small.exc is not None and "NotImplementedError" in cst.Module([]).code_for_node(small.exc):
                continue
            return False
    return True
