"""What an expression holds, as far as one file can tell: the callee a call refers to, the class a
value is an instance of (constructors, annotations, `async with` and `await` results, the
catalogue's declared returns), the class whose method is being walked.

This is the one place that answers "what does this hold" for every rule family and for the
summaries; the project index completes the answer across files.
"""

from __future__ import annotations

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use
from asynclint.engine.semantic import BindingKind, ScopeKind, SemanticModel
from asynclint.knowledge import catalogue
from asynclint.resolve.names import Ref, absolute_name


def reference(
    model: SemanticModel, func: cst.BaseExpression, module: str, is_package: bool, depth: int = 0
) -> Ref | None:
    """What a call's callee refers to, symbolically; None when nothing can be said."""
    if depth > 8:  # `x = x.f()` chains: give up rather than loop
        return None
    if isinstance(func, cst.Name):
        binding = model.lookup(func.value)
        if binding is None:
            return None if model.qualified_name(func) else Ref("global", f"{module}.{func.value}")
        if binding.kind is BindingKind.IMPORT and binding.qualified:
            return Ref("global", absolute_name(binding.qualified, module, is_package))
        if (
            binding.kind in (BindingKind.FUNCTION, BindingKind.CLASS)
            and model.module_scope is not None
            and model.module_scope.bindings.get(func.value, [None])[-1] is binding
        ):
            return Ref("global", f"{module}.{func.value}")
        return None
    if isinstance(func, cst.Attribute):
        value = func.value
        if (
            isinstance(value, cst.Call) and not value.args
            and isinstance(value.func, cst.Name) and model.qualified_name(value.func) == "builtins.super"
        ):
            # `super().m()`: the first definition after the enclosing class in its MRO.
            owner = enclosing_class(model)
            return Ref("super", f"{module}.{owner}", func.attr.value) if owner else None
        if isinstance(value, cst.Name) and value.value in ("self", "cls"):
            owner = enclosing_class(model)
            return Ref("method", f"{module}.{owner}", func.attr.value) if owner else None
        if (
            isinstance(value, cst.Attribute)
            and isinstance(value.value, cst.Name)
            and value.value.value == "self"
        ):
            # `self._client.fetch()`: what `_client` holds is recorded per class in the summary.
            owner = enclosing_class(model)
            return Ref("attr", f"{module}.{owner}", f"{value.attr.value}.{func.attr.value}") if owner else None
        qualified = model.qualified_name(value)
        if qualified is not None:
            if qualified.startswith("builtins."):
                return None
            return Ref("global", f"{absolute_name(qualified, module, is_package)}.{func.attr.value}")
        instance_of = instance_class(model, value, module, is_package, depth + 1)
        if instance_of is not None:
            # `Repo().load()`, `repo = Repo(); repo.load()`, `def f(repo: Repo)`: the index
            # answers only if the class is a project class.
            return Ref("global", f"{instance_of}.{func.attr.value}")
        if isinstance(value, cst.Name):
            binding = model.lookup(value.value)
            if binding is not None and binding.kind is BindingKind.CLASS and model.module_scope is not None:
                return Ref("global", f"{module}.{value.value}.{func.attr.value}")
            if binding is not None and binding.kind is BindingKind.IMPORT:
                return None
        return Ref("duck", "", func.attr.value)
    return None


def enclosing_class(model: SemanticModel) -> str | None:
    """The top-level class whose method is being walked, if any."""
    function = model.function_scope()
    if (
        function is not None and function.parent is not None
        and function.parent.kind is ScopeKind.CLASS
        and function.parent.parent is not None
        and function.parent.parent.kind is ScopeKind.MODULE
    ):
        return function.parent.qualname
    return None


def instance_class(
    model: SemanticModel, value: cst.BaseExpression, module: str, is_package: bool, depth: int = 0
) -> str | None:
    """The dotted name of the class `value` is an instance of, when this file says so."""
    if depth > 8:
        return None
    if isinstance(value, cst.Await):
        # `await f()` gives a known type only for library coroutines listed as returning one.
        given = _awaited_type(model, value, module, is_package, depth)
        return given if isinstance(given, str) else None
    if isinstance(value, cst.Call):
        ref = reference(model, value.func, module, is_package, depth + 1)
        return ref.target if ref is not None and ref.kind == "global" else None
    if isinstance(value, cst.Name):
        binding = model.lookup(value.value)
        if binding is None:
            return None
        if binding.entered is not None:  # `async with Client() as client`, `... pool.acquire() as conn`
            entered = instance_class(model, binding.entered, module, is_package, depth + 1)
            known = catalogue.coroutines()
            if entered is None or entered in known.enters_as_self:
                return entered
            given = known.enters_as.get(entered) or known.returns.get(entered)
            return given if isinstance(given, str) else None  # not a tuple to unpack
        if binding.unpacked is not None:
            whole, index = binding.unpacked
            given = _awaited_type(model, whole, module, is_package, depth) if isinstance(whole, cst.Await) else None
            return given[index] if isinstance(given, tuple) and index < len(given) else None
        if binding.annotation is not None and isinstance(binding.annotation, (cst.Name, cst.Attribute)):
            qualified = model.qualified_name(binding.annotation)
            if qualified is not None and not qualified.startswith("builtins."):
                return absolute_name(qualified, module, is_package)
            if isinstance(binding.annotation, cst.Name):
                return f"{module}.{binding.annotation.value}"
            return None
        if binding.kind is BindingKind.ASSIGN and isinstance(binding.value, (cst.Call, cst.Await)):
            return instance_class(model, binding.value, module, is_package, depth + 1)
    return None


def _awaited_type(
    model: SemanticModel, node: cst.Await, module: str, is_package: bool, depth: int
) -> str | tuple[str, ...] | None:
    call = node.expression
    if not isinstance(call, cst.Call):
        return None
    returns = catalogue.coroutines().returns
    qualified = model.qualified_name(call.func)
    if qualified is not None:
        return returns.get(qualified)
    if isinstance(call.func, cst.Attribute):  # `await session.get(url)` on a receiver of known type
        ref = reference(model, call.func, module, is_package, depth + 1)
        if ref is not None and ref.kind == "global":
            return returns.get(ref.target)
    return None
