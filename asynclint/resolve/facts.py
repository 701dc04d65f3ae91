"""What an expression holds, as far as one file can tell: the one answer every rule family and
the project summary share (`TypeFacts`, one per file, on the file context).

A file tells what a value is through:

* the call that made it: a constructor (`Path(x)`, `aiohttp.ClientSession()`), a library call
  whose result the catalogue declares (rules/types.toml: `open(p)`, `await asyncpg.connect()`),
  a pure step (`Path(x).parent / "y"`);
* an annotation (`p: Path`, `c: Client | None`, `Optional[Client]`) on a parameter or variable;
* an `async with` or `with` target (`async with pool.acquire() as conn`), a tuple unpacked from
  a declared call (`reader, writer = await asyncio.open_connection()`);
* `self` in a method of a module-level class, or of a class nested in one.

What only the project can tell (what a project class is, what a project function returns, an
attribute a class assigns, a module constant of another module) is a `Deferred` type: a root
and the attribute steps from it, for the project index to finish once every file is summarised
(asynclint/resolve/project.py and blocking_project.py).

Each family asks its own question of the answer: the blocking rules whether the type is one of
the blocking catalogue's, the coroutine rules whether a method of it is a coroutine function,
the lock rules whether it is a thread or an asyncio lock.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use
from asynclint.engine.semantic import BindingKind, ScopeKind, SemanticModel
from asynclint.knowledge import catalogue
from asynclint.resolve.deferred import MAPPING, SEQUENCE, element
from asynclint.resolve.library import Library
from asynclint.resolve.names import Ref, absolute_name

PATH = "pathlib.Path"
MAX_DEPTH = 8  # `x = x.f()` chains and long attribute chains: give up rather than loop


@dataclass(frozen=True)
class Deferred:
    """A type only the project index can tell: `kind` "type" (an instance of the class `target`),
    "class" (the class `target` itself, as `type[T]` annotates it), "global" (the module-level
    constant `target`), "returns" (what calling `target` gives) or "either" (`a or b`: the
    type both of `target`'s two stored sides, joined by "||", have),
    then attribute `steps` from it ("/" for a path join, "m()" for a method call, "await" for
    awaiting it); asynclint/resolve/deferred.py finishes it."""

    kind: str
    target: str
    steps: tuple[str, ...] = ()

    def step(self, name: str) -> Deferred:
        return Deferred(self.kind, self.target, (*self.steps, name))


# What a value holds: a library type by its dotted name (through the catalogue's aliases), or a
# type the project index tells.
Held = str | Deferred


_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_TYPE = frozenset({"builtins.type", "typing.Type", "typing_extensions.Type"})
_MAPPINGS = frozenset({
    "builtins.dict", "typing.Dict", "typing.Mapping", "typing.MutableMapping", "typing.DefaultDict",
    "typing.OrderedDict", "collections.abc.Mapping", "collections.abc.MutableMapping",
    "collections.defaultdict", "collections.OrderedDict",
})
_SEQUENCES = frozenset({
    "builtins.list", "typing.List", "typing.Sequence", "typing.MutableSequence", "typing.Deque",
    "collections.abc.Sequence", "collections.abc.MutableSequence", "collections.deque",
})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_UNSET: Any = object()  # no answer remembered yet (None is an answer)
_TUPLES = frozenset({"builtins.tuple", "typing.Tuple"})
_TYPE_VARIABLES = frozenset({"typing.TypeVar", "typing_extensions.TypeVar"})
_SELF_TYPES = frozenset({"typing.Self", "typing_extensions.Self"})
_CALLABLE = frozenset({"typing.Callable", "collections.abc.Callable", "typing_extensions.Callable"})
_COROUTINE = frozenset({"typing.Coroutine", "collections.abc.Coroutine", "typing_extensions.Coroutine"})
# What a value annotated `Callable[..., Coroutine[...]]` holds: a function whose call makes a
# coroutine. (`Callable[..., Awaitable[T]]` may as well give a future: not this.)
COROUTINE_FUNCTION = "<coroutine function>"
# Subscripted names that are no class of whose instance the value is (`Callable[...]`,
# `Awaitable[T]`, `Literal[...]`, `list[T]` beyond the containers above)
_SPECIAL_FORMS = ("typing.", "typing_extensions.", "collections.abc.", "builtins.", "types.")


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _forward_reference(annotation: cst.SimpleString) -> cst.BaseExpression | None:
    """The expression a string annotation holds (`"Client"`, `"asyncio.AbstractEventLoop"`)."""
    text = annotation.evaluated_value
    if not isinstance(text, str) or len(text) > 200:
        return None
    return _expression(text.strip())


@functools.lru_cache(maxsize=4096)
def _expression(text: str) -> cst.BaseExpression | None:
    # Parsed once per text (the same forward references recur in every file of a project); a
    # syntax tree is immutable, so one parse may stand for each of them.
    try:
        return cst.parse_expression(text)
    except Exception:  # noqa: BLE001 - not an expression libcst can read: no type
        return None


def class_name(held: Held | None) -> str | None:
    """The class a value is an instance of, by dotted name, when no step is left to follow (what
    calling a project function gives is taken for its name: the index places only classes)."""
    if isinstance(held, str):
        return held
    if held is not None and not held.steps and held.kind in ("type", "returns"):
        return held.target
    return None


def stored(held: Held | None) -> str | None:
    """How a summary keeps what a value holds, as plain text: a class or type by its dotted name,
    a class object as `class:T`, any other Deferred type as `kind:target:steps` (the steps joined
    by dots) for asynclint/resolve/deferred.py to finish."""
    name = class_name(held)
    if name is not None or not isinstance(held, Deferred) or held.kind == "either":
        return name  # "either" holds stored text itself: it is not stored again
    if held.kind == "class" and not held.steps:
        return f"class:{held.target}"
    return f"{held.kind}:{held.target}:{'.'.join(held.steps)}"


def top_package(name: str) -> str:
    return name.split(".", 1)[0]


def enclosing_class(model: SemanticModel) -> str | None:
    """The class whose method is being walked, if the summary records it (module-level, or
    nested in such classes: "Outer.Inner"): also from a function or lambda
    nested in the method that binds neither `self` nor `cls` itself, for which they are the
    method's (a closure: `async def _self(): return await self.__aenter__()`)."""
    function = model.function_scope()
    while (
        function is not None and function.parent is not None
        and function.parent.kind in (ScopeKind.FUNCTION, ScopeKind.LAMBDA)
        and "self" not in function.bindings and "cls" not in function.bindings
    ):
        function = function.parent
    if function is not None and function.parent is not None and function.parent.kind is ScopeKind.CLASS:
        return function.parent.qualname if function.parent.addressable else None
    return None


class TypeFacts:
    """What calls refer to and what values hold in one file (see the module's docstring)."""

    def __init__(self, model: SemanticModel, module: str, is_package: bool, library: Library | None = None) -> None:
        self.model = model
        self.module = module
        self.is_package = is_package
        self.known = catalogue.types()
        # the catalogue, then what libraries declare (asynclint/resolve/library.py)
        self.library = library if library is not None else Library()
        coroutines = catalogue.coroutines()
        self.enters_as_self = coroutines.enters_as_self
        self.enters_as = coroutines.enters_as
        self._answers: dict[tuple[str, int, int], object] = {}
        self._memo_state = -1

    # -- names ----------------------------------------------------------------------------------

    def _remembered(self, question: str, node: cst.BaseExpression, depth: int, answer) -> Any:
        """`answer(node, depth)`, asked once for the model's current state: several rules ask
        the same of one call, and `held` asks again of each part of a chain. What the model
        answers changes only when it moves (a binding, a scope: `SemanticModel.state`)."""
        if self._memo_state != self.model.state:
            self._answers.clear()
            self._memo_state = self.model.state
        key = (question, id(node), depth)
        found = self._answers.get(key, _UNSET)
        if found is _UNSET:
            found = self._answers[key] = answer(node, depth)
        return found

    def qualified(self, expr: cst.BaseExpression) -> str | None:
        """The absolute dotted name `expr` denotes through the imports."""
        return self._remembered("qualified", expr, 0, self._qualified)

    def _qualified(self, expr: cst.BaseExpression, _depth: int) -> str | None:
        name = self.model.qualified_name(expr)
        if name is None:
            return None
        name = absolute_name(name, self.module, self.is_package)
        return self._alternative(expr, name) or name

    def _alternative(self, expr: cst.BaseExpression, name: str) -> str | None:
        """For a name the module imports more than once (`try: from asyncio import TaskGroup`
        / `except ImportError: from taskgroup import TaskGroup`), the one import whose target
        can be found, in the project or the environment; None when that is not one."""
        head = expr
        while isinstance(head, cst.Attribute):
            head = head.value
        scope = self.model.module_scope
        if not isinstance(head, cst.Name) or scope is None:
            return None
        bindings = scope.bindings.get(head.value, ())
        if len(bindings) < 2:  # most names: asked for every call, so answered first
            return None
        imported = [b.qualified for b in bindings if b.kind is BindingKind.IMPORT and b.qualified]
        if len(imported) != len(bindings):
            return None
        if self.model.lookup(head.value) is not bindings[-1]:
            return None  # a local name of the same spelling
        targets = [absolute_name(one, self.module, self.is_package) for one in imported]
        if not name.startswith(targets[-1]):
            return None
        rest = name[len(targets[-1]):]
        found = {
            target + rest for target in targets
            if self.in_project(target + rest) or self.library.declared.find(target + rest) is not None
        }
        return found.pop() if len(found) == 1 else None

    def in_project(self, name: str) -> bool:
        """Whether a dotted name may belong to this project (shares the top-level package)."""
        return top_package(name) == top_package(self.module)

    def enclosing_class(self) -> str | None:
        return enclosing_class(self.model)

    def _module_level(self, name: cst.Name) -> str | None:
        """`module.name` for a name that is this module's own top-level `def` or class, or that
        nothing binds yet (defined further down); None for anything else."""
        binding = self.model.lookup(name.value)
        if binding is None:
            return None if self.model.qualified_name(name) else f"{self.module}.{name.value}"
        if (
            binding.kind in (BindingKind.FUNCTION, BindingKind.CLASS)
            and self.model.module_scope is not None
            and self.model.module_scope.bindings.get(name.value, [None])[-1] is binding
        ):
            return f"{self.module}.{name.value}"
        return None

    def _local_class_path(self, expr: cst.BaseExpression) -> str | None:
        """`module.Outer.Inner` for `Outer.Inner` (or `module.Outer` for `Outer`): a dotted path
        from a module-level class of this module. The index confirms what the rest names (a
        nested class, a method)."""
        parts = []
        while isinstance(expr, cst.Attribute):
            parts.append(expr.attr.value)
            expr = expr.value
        if not isinstance(expr, cst.Name):
            return None
        binding = self.model.lookup(expr.value)
        if binding is None or binding.kind is not BindingKind.CLASS:
            return None
        local = self._module_level(expr)
        return ".".join([local, *reversed(parts)]) if local is not None else None

    # -- what a callee refers to ----------------------------------------------------------------

    def reference(self, func: cst.BaseExpression, depth: int = 0) -> Ref | None:
        """What a call's callee refers to, symbolically; None when nothing can be said."""
        return self._remembered("reference", func, depth, self._reference)

    def _annotated_self(self, name: str) -> bool:
        """Whether `self` (or `cls`) is a parameter annotated with its type (a mixin's method)."""
        binding = self.model.lookup(name)
        return binding is not None and binding.kind is BindingKind.PARAM and binding.annotation is not None

    def _reference(self, func: cst.BaseExpression, depth: int) -> Ref | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(func, cst.Name):
            if (local := self._module_level(func)) is not None:
                return Ref("global", local)
            binding = self.model.lookup(func.value)
            if binding is not None and binding.kind is BindingKind.IMPORT and binding.qualified:
                return Ref("global", absolute_name(binding.qualified, self.module, self.is_package))
            if (
                binding is not None and binding.kind is BindingKind.ASSIGN and isinstance(binding.value, cst.Attribute)
                and self.model.scope is not None and self.model.scope.bindings.get(func.value) == [binding]
            ):
                # `check = self.check_x`, then `check()`: the method the name was bound to once
                found = self.reference(binding.value, depth + 1)
                if found is not None:
                    return found
            # `app(scope)` with `app: AppWrapper`, an instance: its class's `__call__`
            held = self._name(func, depth + 1) if binding is not None else None
            instance = class_name(held)
            if instance is not None and instance != COROUTINE_FUNCTION:
                return Ref("global", f"{instance}.__call__")
            if isinstance(held, Deferred) and held.kind == "type":
                return Ref("held", f"{held.kind} {held.target}", ".".join((*held.steps, "__call__")))
            return None
        if not isinstance(func, cst.Attribute):
            return None
        value, attr = func.value, func.attr.value
        if (
            isinstance(value, cst.Call) and not value.args
            and isinstance(value.func, cst.Name) and self.model.qualified_name(value.func) == "builtins.super"
        ):
            # `super().m()`: the first definition after the enclosing class in its MRO.
            owner = self.enclosing_class()
            return Ref("super", f"{self.module}.{owner}", attr) if owner else None
        if isinstance(value, cst.Name) and value.value in ("self", "cls") and not self._annotated_self(value.value):
            owner = self.enclosing_class()
            return Ref("method", f"{self.module}.{owner}", attr) if owner else None
        if (
            isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == "self"
            and not self._annotated_self("self")
        ):
            # `self._client.fetch()`: what `_client` holds is recorded per class in the summary.
            owner = self.enclosing_class()
            return Ref("attr", f"{self.module}.{owner}", f"{value.attr.value}.{attr}") if owner else None
        qualified = self.qualified(value)
        if qualified is not None:
            return None if qualified.startswith("builtins.") else Ref("global", f"{qualified}.{attr}")
        held = self.held(value, depth + 1)
        # What a project call gives (`make_client().fetch()`) is for the index to tell: a class's
        # instance, or what the function returns.
        owner_type = class_name(held) if not (isinstance(held, Deferred) and held.kind == "returns") else None
        if owner_type is not None:
            # `Repo().load()`, `repo = Repo(); repo.load()`, `def f(repo: Repo)`: the index
            # answers only if the class is a project class.
            return Ref("global", f"{owner_type}.{attr}")
        if isinstance(held, Deferred):
            # `self.db.client.query()`, `ctx = cls.context(); ctx.close()`, `(await
            # self.connect()).send()`: the index finishes the type (asynclint/resolve/deferred.py).
            return Ref("held", f"{held.kind} {held.target}", ".".join((*held.steps, attr)))
        path = self._local_class_path(value)
        if path is not None:  # `Outer.create()`, `Outer.Inner.create()`: a class of this module
            return Ref("global", f"{path}.{attr}")
        if isinstance(value, cst.Name):
            binding = self.model.lookup(value.value)
            if binding is not None and binding.kind in (BindingKind.IMPORT, BindingKind.CLASS):
                return None
        return Ref("duck", "", attr)

    def instance_class(self, value: cst.BaseExpression, depth: int = 0) -> str | None:
        """The dotted name of the class `value` is an instance of, when it is a library type or a
        project class named here (no steps for the index to follow)."""
        return class_name(self.held(value, depth))

    def annotated_class(self, annotation: cst.BaseExpression) -> str | None:
        """As `instance_class`, for a value annotated with `annotation`."""
        return class_name(self.annotation(annotation))

    # -- what a value holds ---------------------------------------------------------------------

    def held(self, expr: cst.BaseExpression, depth: int = 0) -> Held | None:
        """What `expr` holds: a library type's dotted name, a Deferred type, or None (unknown)."""
        return self._remembered("held", expr, depth, self._held)

    def _held(self, expr: cst.BaseExpression, depth: int) -> Held | None:
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, cst.Call):
            return self._called(expr, depth)
        if isinstance(expr, cst.Await):
            given = self._awaited(expr, depth)
            if given is not None:
                return given if isinstance(given, str) else None
            # `await self.connect()`: what the project's `async def` is annotated to return
            inner = self.held(expr.expression, depth + 1)
            return inner.step("await") if isinstance(inner, Deferred) else None
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, depth)
        if isinstance(expr, cst.Subscript):
            return self._item(expr, depth)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            left = self.held(expr.left, depth + 1)
            if left == PATH:
                return PATH
            return left.step("/") if isinstance(left, Deferred) else None
        if isinstance(expr, cst.Name):
            return self._name(expr, depth)
        if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or):
            # `db = using_db or self._choose_db()`: one of the two, when both are one type
            left, right = self.held(expr.left, depth + 1), self.held(expr.right, depth + 1)
            if left is None or right is None or left == right:
                return left if left == right else None
            first, second = stored(left), stored(right)
            return Deferred("either", f"{first}||{second}") if first and second else None
        return None

    def annotation(self, annotation: cst.BaseExpression, depth: int = 0) -> Held | None:
        """`Path`, `pathlib.Path`, `Client | None`, `Optional[Client]`, `Union[Client, None]`,
        `"Client"` (a forward reference): the type; else None."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [annotation.left, annotation.right]
            others = [s for s in sides if not _is_none(s)]
            return self.annotation(others[0], depth + 1) if len(others) == 1 else None
        if isinstance(annotation, cst.Subscript):
            wrapper = self.qualified(annotation.value)
            inner = [
                element.slice.value for element in annotation.slice if isinstance(element.slice, cst.Index)
            ]
            if wrapper in _OPTIONAL and len(inner) == 1:
                return self.annotation(inner[0], depth + 1)
            if (wrapper in _MAPPINGS and len(inner) == 2) or (wrapper in _SEQUENCES and len(inner) == 1):
                # `dict[int, Stream]`, `list[Client]`: what an item is
                of = class_name(self.annotation(inner[-1], depth + 1))
                return f"{MAPPING if len(inner) == 2 else SEQUENCE}{of}" if of is not None else None
            if wrapper in _TYPE and len(inner) == 1:
                # `event_class: type[Event]`: the class itself, whose call makes an instance
                of = class_name(self.annotation(inner[0], depth + 1))
                return Deferred("class", of) if of is not None else None
            if wrapper in _UNION:
                others = [value for value in inner if not _is_none(value)]
                return self.annotation(others[0], depth + 1) if len(others) == 1 else None
            if wrapper in _CALLABLE and len(inner) == 2:
                # `Callable[..., Coroutine[Any, Any, T]]`: calling it makes a coroutine
                returned = inner[1]
                if isinstance(returned, cst.Subscript) and self.qualified(returned.value) in _COROUTINE:
                    return COROUTINE_FUNCTION
                return None
            if wrapper in _ANNOTATED and inner:
                return self.annotation(inner[0], depth + 1)  # `Annotated[Client, Depends(...)]`
            if (wrapper is None and isinstance(annotation.value, cst.Name)) or (
                wrapper is not None and not wrapper.startswith(_SPECIAL_FORMS)
            ):
                # A generic class (`asyncio.Queue[int]`, `Repo[T]` of this module): an instance
                return self.annotation(annotation.value, depth + 1)
            return None
        if isinstance(annotation, cst.SimpleString):
            parsed = _forward_reference(annotation)
            return self.annotation(parsed, depth + 1) if parsed is not None else None
        if not isinstance(annotation, (cst.Name, cst.Attribute)):
            return None
        alias = self._alias(annotation)
        if alias is not None:  # `FuncType = Callable[..., Coroutine[None, None, T]]`
            return self.annotation(alias, depth + 1)
        name = self.qualified(annotation)
        if name is None:
            # A class of this module, or one only the index can place (defined further down, or
            # a name it re-binds): the index confirms only real classes.
            if isinstance(annotation, cst.Name):
                return Deferred("type", f"{self.module}.{annotation.value}")
            path = self._local_class_path(annotation)  # `Outer.Inner`
            return Deferred("type", path) if path is not None else None
        if name.startswith("builtins."):
            return None
        if name in _SELF_TYPES:  # `-> Self` in a method: the class it is defined in
            owner = self.enclosing_class()
            return Deferred("type", f"{self.module}.{owner}") if owner else None
        return Deferred("type", name) if self.in_project(name) else self.known.type_name(name)

    def _alias(self, annotation: cst.BaseExpression) -> cst.BaseExpression | None:
        """What a module-level type alias of this module stands for (`Handler = Callable[...]`,
        `Handler: TypeAlias = ...`): a subscripted or `|` form only, as a plain `A = B` of a
        class is a class the index places."""
        scope = self.model.module_scope
        if not isinstance(annotation, cst.Name) or scope is None:
            return None
        bindings = scope.bindings.get(annotation.value)
        if not bindings or len(bindings) != 1 or bindings[0].kind is not BindingKind.ASSIGN:
            return None
        value = bindings[0].value
        if isinstance(value, cst.Subscript) or (isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.BitOr)):
            return value
        if isinstance(value, cst.Call) and self.qualified(value.func) in _TYPE_VARIABLES:
            # `M = TypeVar("M", bound="Model")`: whatever `M` stands for is a `Model`, as a
            # parameter annotated `Model` may hold a subclass
            return next((arg.value for arg in value.args if arg.keyword is not None and arg.keyword.value == "bound"), None)
        return None

    def union(self, annotation: cst.BaseExpression) -> tuple[str, ...] | None:
        """The classes of a union annotation of two or more (`A | B | None`, `Union[A, B]`,
        `Optional[Union[A, B]]`), by dotted name; None unless each member names a class."""
        members: list[cst.BaseExpression] = []
        pending = [annotation]
        while pending and len(members) <= 8:
            expr = pending.pop()
            if isinstance(expr, cst.SimpleString):
                parsed = _forward_reference(expr)
                if parsed is None:
                    return None
                expr = parsed
            if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
                pending += [expr.right, expr.left]
            elif isinstance(expr, cst.Subscript) and self.qualified(expr.value) in _UNION | _OPTIONAL:
                pending += [e.slice.value for e in reversed(expr.slice) if isinstance(e.slice, cst.Index)]
            elif not _is_none(expr):
                members.append(expr)
        names = {class_name(self.annotation(member)) for member in members}
        if len(members) < 2 or None in names or any(":" in name for name in names if name):
            return None
        return tuple(sorted(name for name in names if name))

    def callee(self, call: cst.Call, depth: int = 0) -> str | None:
        """The dotted name of what `call` calls: a function by its imports, or `Type.method` on a
        receiver whose library type is known."""
        name = self.qualified(call.func)
        if name is None and isinstance(call.func, cst.Attribute):
            owner = self.held(call.func.value, depth + 1)
            name = f"{owner}.{call.func.attr.value}" if isinstance(owner, str) else None
        return name

    def returned(self, value: cst.BaseExpression, depth: int = 0) -> str | tuple[str, ...] | None:
        """What the catalogue declares `f(...)` or `await f(...)` gives (a tuple to unpack)."""
        if isinstance(value, cst.Await):
            return self._awaited(value, depth)
        if not isinstance(value, cst.Call):
            return None
        name = self.callee(value, depth + 1)
        return self.library.returns(name) if name is not None else None

    def _awaited(self, node: cst.Await, depth: int) -> str | tuple[str, ...] | None:
        call = node.expression
        if not isinstance(call, cst.Call):
            return None
        name = self.callee(call, depth + 1)
        return self.library.awaited(name) if name is not None else None

    def _called(self, call: cst.Call, depth: int) -> Held | None:
        name = self.qualified(call.func)
        if name is not None:
            given = None if self.in_project(name) else self.library.returns(name)
            if given is not None:
                return given if isinstance(given, str) else None
            # A project class or function (the index tells what calling it gives); a library
            # callable: an instance of it when it is a class.
            return Deferred("returns", name) if self.in_project(name) else self.known.type_name(name)
        if isinstance(call.func, cst.Attribute):
            owner = self.held(call.func.value, depth + 1)
            method = call.func.attr.value
            if isinstance(owner, str):
                given = self.library.returns(f"{owner}.{method}")
                if isinstance(given, str):
                    return given
                if method in self.known.pure.get(owner, ()):
                    return owner
                return element(owner, f"{method}()")  # `clients.get(key)`
            if isinstance(owner, Deferred):
                # `self.paths.cache().exists()`: what the method returns, for the index to tell
                return owner.step(f"{method}()")
            path = self._local_class_path(call.func)  # `Outer.Inner()`, `Outer.create()`
            return Deferred("returns", path) if path is not None else None
        if isinstance(call.func, cst.Name):
            local = self._module_level(call.func)
            if local is not None:
                binding = self.model.lookup(call.func.value)
                kind = "type" if binding is not None and binding.kind is BindingKind.CLASS else "returns"
                return Deferred(kind, local)
            made = self._name(call.func, depth + 1)
            if isinstance(made, Deferred) and made.kind == "class" and not made.steps:
                # `event_class()` with `event_class: type[Event]`
                return Deferred("type", made.target) if self.in_project(made.target) else made.target
        return None

    def _item(self, expr: cst.Subscript, depth: int) -> Held | None:
        """`self.streams[key]` with `streams: dict[int, Stream]`: a Stream (not for a slice)."""
        if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
            return None
        owner = self.held(expr.value, depth + 1)
        if isinstance(owner, str):
            return element(owner, "[]")
        return owner.step("[]") if isinstance(owner, Deferred) else None

    def _attribute(self, expr: cst.Attribute, depth: int) -> Held | None:
        attr = expr.attr.value
        name = self.qualified(expr)
        if name is not None:
            # `config.DATA_DIR` after `import config` (a constant of a project module)
            return Deferred("global", name) if self.in_project(name) else None
        owner = self.held(expr.value, depth + 1)
        if isinstance(owner, str):
            return owner if attr in self.known.pure.get(owner, ()) else None
        if isinstance(owner, Deferred):
            return owner.step(attr)
        return None

    def _name(self, expr: cst.Name, depth: int) -> Held | None:
        binding = self.model.lookup(expr.value)
        if binding is None:
            return None
        if expr.value in ("self", "cls") and binding.kind is BindingKind.PARAM:
            if binding.annotation is not None:
                # `def go(self: "Service")` in a mixin: the class it is mixed into
                return self.annotation(binding.annotation, depth)
            owner = self.enclosing_class()  # a method of a class the summary records
            if owner is None:
                return None
            # `self` is an instance; `cls` the class, whose call makes one (`cls(**kwargs)`)
            return Deferred("type" if expr.value == "self" else "class", f"{self.module}.{owner}")
        if binding.kind is BindingKind.IMPORT:
            name = self.qualified(expr)
            return Deferred("global", name) if name and self.in_project(name) else None
        if binding.entered is not None:  # `async with Client() as client`, `... pool.acquire() as conn`
            return self._entered(binding.entered, depth)
        if binding.annotation is not None:
            return self.annotation(binding.annotation)
        if binding.kind is BindingKind.ASSIGN and binding.value is not None:
            if isinstance(binding.value, cst.Name) and binding.value.value == expr.value:
                return None
            return self.held(binding.value, depth + 1)
        if binding.unpacked is not None:
            whole, index = binding.unpacked
            if isinstance(whole, cst.Name):
                # `to_attr, queryset = related` with `related: tuple[str, QuerySet]`
                return self._tuple_element(whole, index, depth)
            given = self.returned(whole, depth)
            if isinstance(given, tuple) and index < len(given) and given[index] != "?":
                return given[index]
            return None
        if (
            binding.kind is BindingKind.OTHER and isinstance(binding.definition, (cst.For, cst.CompFor))
            and binding.definition.asynchronous is None and binding.definition.target is binding.node
        ):
            # `for buffer in self.buffers.values()` with `buffers: dict[int, StreamBuffer]`
            iterated = self.held(binding.definition.iter, depth + 1)
            if isinstance(iterated, str):
                return element(iterated, "in")
            return iterated.step("in") if isinstance(iterated, Deferred) else None
        if binding.kind is BindingKind.OTHER and isinstance(binding.definition, cst.WithItem):
            item = binding.definition
            if item.asname is not None and isinstance(item.asname.name, cst.Name) and item.asname.name is binding.node:
                held = self.held(item.item, depth + 1)  # `with open(p) as f`
                return held if isinstance(held, str) else None
        return None

    def _tuple_element(self, name: cst.Name, index: int, depth: int) -> Held | None:
        """The type at `index` of what a name annotated `tuple[A, B]` holds; None for any other
        annotation (`tuple[A, ...]` included)."""
        binding = self.model.lookup(name.value)
        annotation = binding.annotation if binding is not None else None
        if not isinstance(annotation, cst.Subscript) or self.qualified(annotation.value) not in _TUPLES:
            return None
        inner = [element.slice.value for element in annotation.slice if isinstance(element.slice, cst.Index)]
        if len(inner) != len(annotation.slice) or index >= len(inner) or any(isinstance(i, cst.Ellipsis) for i in inner):
            return None
        return self.annotation(inner[index], depth + 1)

    def _entered(self, item: cst.BaseExpression, depth: int) -> Held | None:
        """What `async with item as name` binds: the object itself for the types that enter as
        themselves, else what the catalogue says entering (or awaiting) the call gives; for a
        project class, what its `__aenter__` is annotated to return (the index finishes it)."""
        if isinstance(item, cst.Call):
            name = self.callee(item, depth + 1)
            if name is None:
                ref = self.reference(item.func, depth + 1)
                name = ref.target if ref is not None and ref.kind == "global" else None
        else:
            name = self.instance_class(item, depth + 1)
        if name is None or name in self.enters_as_self:
            return name
        if isinstance(item, cst.Call) and (self.in_project(name) or name.startswith(f"{self.module}.")):
            # `async with TortoiseContext() as ctx`: awaiting `__aenter__()` of the instance
            return Deferred("returns", name, ("__aenter__()", "await"))
        given = self.enters_as.get(name) or self.library.awaited(name)
        return given if isinstance(given, str) else None  # not a tuple to unpack
