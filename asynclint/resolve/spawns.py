"""Which calls spawn a task the caller must keep: shared by the ASL3xx rules and the project
summary (which records project functions that hand such a task back)."""

from __future__ import annotations

from typing import TypeGuard

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use
from asynclint.engine.semantic import BindingKind
from asynclint.knowledge import catalogue
from asynclint.resolve.facts import Deferred, TypeFacts
from asynclint.resolve.names import LOOP, Ref


class TaskSpawns:
    """Answers: does this call create a task the caller must keep a reference to?"""

    def __init__(self, facts: TypeFacts, extra: tuple[str, ...]) -> None:
        self.facts = facts
        self.model = facts.model
        self.catalogue = catalogue.tasks(extra)
        self._short_types = {t.rpartition(".")[2] for t in self.catalogue.loop_types}

    def is_spawn(self, node: cst.BaseExpression) -> TypeGuard[cst.Call]:
        if not isinstance(node, cst.Call):
            return False
        func = node.func
        if self.model.qualified_name(func) in self.catalogue.functions:
            return True
        if isinstance(func, cst.Attribute) and func.attr.value in self.catalogue.loop_spawn_methods:
            return self.is_loop(func.value)
        return False

    def loop_condition(self, node: cst.BaseExpression) -> Ref | None:
        """For `helper().create_task(coro)` whose receiver only the index can place (what a
        project function or method returns, `def running_loop(): return
        asyncio.get_running_loop()`, or an attribute holds), the reference for which the index
        must find an event loop."""
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
            return None
        method = node.func.attr.value
        if method not in self.catalogue.loop_spawn_methods:
            return None
        held = self.facts.held(node.func.value)
        if not isinstance(held, Deferred) or held.kind not in ("type", "returns"):
            return None
        return Ref("held", f"{held.kind} {held.target}", ".".join((*held.steps, method)), expect=LOOP)

    def _conventional(self, name: str) -> bool:
        return name in self.catalogue.loop_names or name.endswith(self.catalogue.loop_suffixes)

    def _loop_annotation(self, annotation: cst.BaseExpression) -> bool:
        """`loop: AbstractEventLoop`, `Optional[asyncio.AbstractEventLoop]`, `"uvloop.Loop"`; a
        string naming the type alone counts too (`"AbstractEventLoop"`, imported only for type
        checking)."""
        if self.facts.annotated_class(annotation) in self.catalogue.loop_types:
            return True
        if isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            return isinstance(text, str) and text.rpartition(".")[2] in self._short_types
        return False

    def is_loop(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        if isinstance(expr, cst.Call):
            if self.model.qualified_name(expr.func) in self.catalogue.loop_getters:
                return True
            # a library call its declarations say returns a loop (`uvloop.new_event_loop()`)
            return self.facts.instance_class(expr) in self.catalogue.loop_types
        if isinstance(expr, cst.Attribute):  # self._loop, self.hass.loop, bot.loop
            return self._conventional(expr.attr.value)
        if not isinstance(expr, cst.Name):
            return False
        binding = self.model.lookup(expr.value)
        if binding is None:
            return self._conventional(expr.value)
        if binding.annotation is not None:
            return self._loop_annotation(binding.annotation)
        if binding.kind is BindingKind.ASSIGN and binding.value is not None and depth < 3:
            value = binding.value
            if self.is_loop(value, depth + 1):
                return True
            if isinstance(value, cst.Call):
                called = self.model.qualified_name(value.func)
                if called is not None:  # a known library call: a loop only if it says so
                    return "loop" in called.rpartition(".")[2]
            return self._conventional(expr.value)
        if binding.kind in (BindingKind.PARAM, BindingKind.ASSIGN):
            return self._conventional(expr.value)
        return False  # an import, a with/for target, a def: not taken for a loop
