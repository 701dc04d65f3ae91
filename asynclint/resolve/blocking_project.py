"""Blocking calls across modules: what each summary records, and how the index decides.

A summary records, besides what asynclint/resolve/project.py keeps:

* "constants": module-level names bound once to a value of a known type (`DATA_DIR = Path(...)`);
* "returns" / "properties": the return annotation of functions and of `@property` methods, when
  it names a type (`def path_tmp(self) -> Path`); without one, the type every `return` of the
  function gives, when they agree (`return asyncio.get_running_loop()`, `return Client(url)`;
  `return None` says nothing), as the index finishes it;
* "blocking": for each sync function (module-level, or a method of a class the summary records), the
  first catalogued blocking call in its own body (not in nested functions or lambdas);
* "calls": the project functions each sync function calls in its own body, as references.

The index then answers the conditions of the ASL2xx rules: what type a deferred receiver has
(`self.config.path_tmp` through attributes and properties: asynclint/resolve/deferred.py, shared
with the coroutine rules), and whether a sync project function blocks, directly or through more
sync helpers (ASL209), with the chain of calls that does.
"""

from __future__ import annotations

from asynclint.engine.libcst_access import libcst as cst  # loaded on first use
from asynclint.engine.semantic import BindingKind, Scope, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.resolve import deferred
from asynclint.resolve.blocking import BlockingCalls, Deferred, display
from asynclint.resolve.facts import TypeFacts, stored
from asynclint.resolve.names import PROJECT_REFS, SYNC, Ref

KEYS = ("constants", "returns", "properties", "blocking", "calls", "params")
# Annotations that name a plain value: a coroutine object passed there is a mistake.
PLAIN_BUILTINS = frozenset(f"builtins.{name}" for name in (
    "int", "float", "complex", "str", "bytes", "bytearray", "bool",
))
MAX_CHAIN = 4  # sync helpers followed from the coroutine's call (the chain shows at most 5 calls)
MAX_CALLS = 40  # project calls recorded per function
_ANY = frozenset({"typing.Any", "typing_extensions.Any"})
_PROPERTIES = frozenset({"builtins.property", "functools.cached_property"})


def _parameters(scope: Scope) -> frozenset[str]:
    """A function's parameters, but `self` and `cls` (a test of the object is not the caller's)."""
    return frozenset(
        name for name, bindings in scope.bindings.items()
        if bindings[0].kind is BindingKind.PARAM and name not in ("self", "cls")
    )


def _names_any(expr: cst.BaseExpression, names: frozenset[str]) -> bool:
    if not names:
        return False
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value in names:
            return True
        stack.extend(node.children)
    return False


def _without_none(annotation: cst.BaseExpression) -> cst.BaseExpression:
    """`int` for `int | None` and `Optional[int]`; the annotation itself otherwise."""
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        sides = [side for side in (annotation.left, annotation.right) if not (isinstance(side, cst.Name) and side.value == "None")]
        return sides[0] if len(sides) == 1 else annotation
    if (
        isinstance(annotation, cst.Subscript) and isinstance(annotation.value, (cst.Name, cst.Attribute))
        and len(annotation.slice) == 1 and isinstance(annotation.slice[0].slice, cst.Index)
        and (annotation.value.value if isinstance(annotation.value, cst.Name) else annotation.value.attr.value) == "Optional"
    ):
        return annotation.slice[0].slice.value
    return annotation


def _stored(given) -> str | None:
    if isinstance(given, str):
        return given
    if isinstance(given, Deferred) and given.kind == "type" and not given.steps:
        return given.target
    return None


def declared_type(facts: TypeFacts, annotation: cst.BaseExpression) -> str | None:
    """The one type an annotation names, as the index reads it (`ProjectIndex._plain`): a
    builtin such as `builtins.int` (`int | None` included) or a class by its dotted name
    (`Client`, `Optional[Client]`); None for anything else."""
    named = facts.qualified(_without_none(annotation))
    if named in PLAIN_BUILTINS:
        return named
    if named in _ANY:
        return None  # a class in typeshed's stubs, yet any value at all
    given = _stored(facts.annotation(annotation))
    return given if given and "," not in given and "=" not in given else None


class BlockingSummary:
    """Collects the tables above during the walk of one file."""

    def __init__(self, facts: TypeFacts) -> None:
        self.model = facts.model
        self.module = facts.module
        self.facts = facts
        # The catalogue alone, without the configuration's extend-blocking-calls: a summary is
        # cached by content, whatever the settings.
        self.calls = BlockingCalls(facts)
        self.tables: dict[str, dict] = {key: {} for key in KEYS}
        # id(FunctionDef) -> what the `return`s of an unannotated function give, while they agree
        self._inferred: dict[int, str | None] = {}
        self.header = 0  # depth in decorators and parameter lists (run where the def is)
        # `if` statements of sync functions being walked, and whether each tests a parameter
        # (`if host and port:`): what runs under one depends on the caller's arguments.
        self._ifs: list[bool] = []
        self.guarded = 0

    def _sync_function(self) -> Scope | None:
        """The sync module-level function or method (of a class the summary records: module-level
        or nested in such classes) whose own body is walked."""
        scope = self.model.function_scope()
        if scope is None or scope.kind is not ScopeKind.FUNCTION or scope.is_async:
            return None
        parent = scope.parent
        return scope if parent is None or parent.addressable else None

    def call(self, node: cst.Call) -> None:
        scope = self._sync_function()
        if scope is None or self.header or self.guarded:
            # Under a test of a parameter, whether the call runs depends on the caller's
            # arguments, which the chain does not follow: say nothing rather than guess.
            return
        qualname = scope.qualname
        blocking = self.tables["blocking"]
        if qualname in blocking:
            return  # it blocks directly: that ends every chain through it
        for match in self.calls.match(node):
            if match.entry is not None:
                blocking[qualname] = [display(match.entry), match.category]
                self.tables["calls"].pop(qualname, None)
                return
        ref = self.facts.reference(node.func)
        if ref is None or ref.kind not in PROJECT_REFS:
            return
        if ref.kind == "global" and not self.calls.in_project(ref.target):
            return  # a library call: nothing of the project's to follow
        recorded = self.tables["calls"].setdefault(qualname, [])
        entry = [ref.kind, ref.target, ref.name]
        if entry not in recorded and len(recorded) < MAX_CALLS:
            recorded.append(entry)

    def returned(self, function: Scope, value: cst.BaseExpression) -> None:
        """Note what a `return` of an unannotated function gives (see "returns" above)."""
        node = function.node
        if not isinstance(node, cst.FunctionDef) or node.returns is not None or not (function.parent and function.parent.addressable):
            return  # annotated, or a function the summary does not record (nested in another)
        if isinstance(value, cst.Name) and value.value == "None":
            return  # an Optional result: what a call gives when it is used is the other type
        key = id(node)
        if key in self._inferred and self._inferred[key] is None:
            return  # already two types, or one unknown
        held = self.facts.held(value)
        if isinstance(held, Deferred) and held.kind == "returns" and not held.steps:
            given: str | None = f"returns:{held.target}:"  # what that call gives, not a class of that name
        else:
            given = stored(held)
        self._inferred[key] = given if self._inferred.get(key, given) == given else None

    def enter_if(self, node: cst.If) -> None:
        scope = self._sync_function()
        tests = scope is not None and _names_any(node.test, _parameters(scope))
        self._ifs.append(tests)
        self.guarded += tests

    def leave_if(self, node: cst.If) -> None:
        self.guarded -= self._ifs.pop()

    def scope_exit(self, scope: Scope) -> None:
        if scope.kind is ScopeKind.MODULE:
            self._constants(scope)
            return
        if scope.kind is not ScopeKind.FUNCTION or not isinstance(scope.node, cst.FunctionDef):
            return
        if scope.is_generator:  # calling it runs none of its body
            self.tables["blocking"].pop(scope.qualname, None)
            self.tables["calls"].pop(scope.qualname, None)
        parent = scope.parent
        assert parent is not None  # a function scope is always inside another
        top = parent.addressable  # a module-level function or a method of a class the summary has
        node = scope.node
        if top:
            parameters = self._signature(node.params)
            if parameters:
                self.tables["params"][scope.qualname] = parameters
        inferred = self._inferred.pop(id(node), None)
        if not top:
            return
        if node.returns is not None:
            given = _stored(self.facts.annotation(node.returns.annotation))
        else:  # what every `return` gives; a generator's call gives a generator, whatever it returns
            given = None if scope.is_generator else inferred
        if given is None:
            return
        decorators = {self.calls.qualified(d.decorator) for d in node.decorators}
        self.tables["properties" if decorators & _PROPERTIES else "returns"][scope.qualname] = given

    def _signature(self, params: cst.Parameters) -> str:
        """A function's parameters as the index reads them (ProjectIndex.plain_parameter):
        positional ones in order, then `*` (or `*name` for `*args`) and the keyword-only ones,
        each `name` or `name=Type` when its annotation names one type (`int`, `Client`,
        `Optional[Client]`); empty when no parameter is annotated so."""
        entries = []
        for param in (*params.posonly_params, *params.params):
            entries.append(self._parameter(param))
        star = params.star_arg
        if isinstance(star, cst.Param):
            entries.append(f"*{star.name.value}")
        elif params.kwonly_params:
            entries.append("*")
        entries += [self._parameter(param) for param in params.kwonly_params]
        return ",".join(entries) if any("=" in entry for entry in entries) else ""

    def _parameter(self, param: cst.Param) -> str:
        name = param.name.value
        declared = declared_type(self.facts, param.annotation.annotation) if param.annotation else None
        return f"{name}={declared}" if declared else name

    def _constants(self, scope: Scope) -> None:
        for name, bindings in scope.bindings.items():
            last = bindings[-1]
            if len(bindings) == 1 and last.kind is BindingKind.ASSIGN and last.value is not None:
                given = _stored(self.facts.held(last.value)) if last.annotation is None else None
                if given is None and last.annotation is not None:
                    given = _stored(self.facts.annotation(last.annotation))
                if given is not None:
                    self.tables["constants"][name] = given


# -- deciding, once every summary is read ---------------------------------------------------------


def check(index, ref: Ref) -> bool:
    """Whether the index confirms a blocking condition (see `BlockingCalls.match`)."""
    if ref.expect == "blocks":
        return chain(index, ref) is not None
    steps = ref.name.split(".")
    if ref.expect == "blocking-lock":
        return deferred.resolve(index, ref.kind, ref.target, steps) in catalogue.blocking().lock_types
    *steps, _method = steps
    held = deferred.resolve(index, ref.kind, ref.target, steps)
    return held is not None and held in ref.expect.partition(":")[2].split(",")


def _label(ref: Ref) -> str:
    return f"{(ref.name or ref.target).rpartition('.')[2]}()"


def chain(index, ref: Ref) -> list[str] | None:
    """`["load_config()", "read_file()", "open()"]` when `ref` names a sync project function that
    blocks directly or through sync helpers (at most MAX_CHAIN of them); else None."""
    memo = index.__dict__.setdefault("_blocking_chains", {})
    return _chain(index, ref, 0, set(), memo)


def _chain(index, ref: Ref, depth: int, visiting: set, memo: dict) -> list[str] | None:
    key = (ref.kind, ref.target, ref.name)
    if key in memo:
        return memo[key]
    if key in visiting or index.resolve(ref) != SYNC:
        return None
    found = None
    direct = index.resolve(ref, "blocking")
    if direct:
        found = [_label(ref), direct[0]]
    elif depth < MAX_CHAIN:
        visiting.add(key)
        for kind, target, name in index.resolve(ref, "calls") or ():
            deeper = _chain(index, Ref(kind, target, name), depth + 1, visiting, memo)
            if deeper is not None:
                found = [_label(ref), *deeper]
                break
        visiting.discard(key)
    if found is not None or depth == 0:
        memo[key] = found  # a miss below the top may only be the depth bound
    return found
