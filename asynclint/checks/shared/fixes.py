"""Fix builders shared by the checks. Each returns a `Fix` (node replacements) or None."""

from __future__ import annotations

import itertools

import libcst as cst

from asynclint.engine.diagnostics import Applicability, Edit, Fix, ModuleStatement
from asynclint.engine.semantic import Binding, BindingKind, Scope, ScopeKind
from asynclint.lint.context import FileContext

_TASK_SET = "_background_tasks"
_TASK_SET_CODE = (
    "# Strong references to background tasks: the event loop keeps only weak ones.\n"
    "{name} = set()\n"
)
_KEEP = "keep a strong reference to the task until it is done"


def fresh_name(base: str, taken: set[str]) -> str:
    for candidate in itertools.chain([base], (f"{base}_{n}" for n in itertools.count(1))):
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def _is_empty_set_call(value: cst.BaseExpression | None) -> bool:
    return (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Name)
        and value.func.value == "set"
        and not value.args
    )


def _task_set_name(context: FileContext, scope: Scope) -> str:
    """The module-level set to keep tasks in: an existing `_background_tasks = set()`, or a new one."""
    module = context.model.module_scope
    for n in itertools.count():
        name = _TASK_SET if n == 0 else f"{_TASK_SET}_{n}"
        if scope is not module and name in scope.names():
            continue  # a local of that name would shadow the module-level set
        bindings = module.bindings.get(name) if module is not None else None
        if not bindings and (module is None or name not in module.loads):
            return name
        if bindings and all(
            b.kind is BindingKind.ASSIGN and _is_empty_set_call(b.value) for b in bindings
        ):
            return name
    raise AssertionError("unreachable")


def _simple_line(code: str) -> cst.SimpleStatementLine:
    statement = cst.parse_statement(code)
    assert isinstance(statement, cst.SimpleStatementLine)  # the code is one simple statement
    return statement


def _tracking_lines(task: str, task_set: str) -> list[cst.SimpleStatementLine]:
    return [
        _simple_line(f"{task_set}.add({task})\n"),
        _simple_line(f"{task}.add_done_callback({task_set}.discard)\n"),
    ]


def _names_in_reach(scope: Scope) -> set[str]:
    """Names a new local of `scope` could collide with: the scope's own, those it declares
    `global` or `nonlocal` (binding one would overwrite the program's variable), and those of the
    function scopes around it (a closure's free variable)."""
    taken = scope.names() | scope.declared
    outer = scope.parent
    while outer is not None and outer.kind is not ScopeKind.MODULE:
        taken |= outer.names() | outer.declared
        outer = outer.parent
    return taken


def keep_task_reference(
    context: FileContext,
    statement: cst.SimpleStatementLine,
    value: cst.BaseExpression,
    scope: Scope,
) -> Fix:
    """`spawn(...)` as a statement -> bind it, add it to the task set, discard it when done."""
    task_set = _task_set_name(context, scope)
    task = fresh_name("task", _names_in_reach(scope) | {task_set})
    bind = statement.with_changes(
        body=[cst.Assign(targets=[cst.AssignTarget(cst.Name(task))], value=value)]
    )
    return Fix(
        Applicability.UNSAFE,
        _KEEP,
        (Edit(statement, cst.FlattenSentinel([bind, *_tracking_lines(task, task_set)])),),
        (ModuleStatement(task_set, _TASK_SET_CODE.format(name=task_set)),),
    )


def track_bound_task(context: FileContext, binding: Binding) -> Fix | None:
    """`t = spawn(...)` never used -> add `t` to the task set after the assignment."""
    statement = binding.statement
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    if not isinstance(statement.body[0], (cst.Assign, cst.AnnAssign)):
        return None  # a walrus inside a larger statement: no clean place to add lines
    scope = context.model.scope
    assert scope is not None  # the binding's statement is being walked, inside its scope
    task_set = _task_set_name(context, scope)
    return Fix(
        Applicability.UNSAFE,
        _KEEP,
        (Edit(statement, cst.FlattenSentinel([statement, *_tracking_lines(binding.name, task_set)])),),
        (ModuleStatement(task_set, _TASK_SET_CODE.format(name=task_set)),),
    )
