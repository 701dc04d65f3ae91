"""ASL506, ASL507, ASL508, ASL514: `async def` where the definition itself is the mistake."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from asynclint.engine.semantic import Scope, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid


def _decorator_target(decorator: cst.Decorator) -> cst.BaseExpression:
    return decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator


class CachedCoroutineFunction(Rule):
    """A cache decorator is applied to an `async def`.

    ## What it does
    Flags `@functools.lru_cache`, `@functools.cache` and `@functools.cached_property` on an
    `async def`.

    ## Why is this bad?
    Calling an `async def` returns a new coroutine object; the cache stores that object, not the
    result. The second call with the same arguments gets the same coroutine back, already awaited,
    and awaiting it raises `RuntimeError: cannot reuse already awaited coroutine`.

    ## Example
    ```python
    @functools.lru_cache
    async def get_config(name):
        return await load(name)
    ```

    ## Use instead
    Cache the result yourself (a dict of results or of tasks), or use an async-aware cache such as
    `async_lru.alru_cache`.
    """

    code = "ASL506"
    requires = ("async",)
    name = "cached-coroutine-function"
    message = "a cache on an `async def` stores the coroutine, which can be awaited only once"

    valid = (
        Valid("sync-function", """
            import functools
            @functools.lru_cache
            def get_config(name): ...
        """),
        Valid("async-aware-cache", """
            from async_lru import alru_cache
            @alru_cache
            async def get_config(name): ...
        """),
    )
    invalid = (
        Invalid(
            "cache-decorators",
            """
            import functools
            from functools import cache, cached_property

            @functools.lru_cache(maxsize=16)
            async def get_config(name): ...

            @cache
            async def get_user(name): ...

            class Client:
                @cached_property
                async def session(self): ...
            """,
            (
                (4, 2, "`@lru_cache` on an `async def` caches the coroutine object, which can be awaited only once (RuntimeError on the second use)"),
                (7, 2, "`@cache` on an `async def` caches the coroutine object, which can be awaited only once (RuntimeError on the second use)"),
                (11, 6, "`@cached_property` on an `async def` caches the coroutine object, which can be awaited only once (RuntimeError on the second use)"),
            ),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        caches = catalogue.misuse().caches
        for decorator in node.decorators:
            qualified = self.model.qualified_name(_decorator_target(decorator))
            if qualified in caches:
                self.report(
                    decorator.decorator,
                    f"`@{qualified.rpartition('.')[2]}` on an `async def` caches the coroutine object, which "
                    "can be awaited only once (RuntimeError on the second use)",
                )


class AsyncProperty(Rule):
    """`@property` is applied to an `async def`.

    ## What it does
    Flags `@property` on an `async def`.

    ## Why is this bad?
    Reading the attribute returns a new coroutine object instead of a value: `if obj.ready:` is
    always true, `obj.count + 1` raises `TypeError`, and every read that is not awaited leaves a
    "coroutine was never awaited" warning. A property reads as cheap attribute access; work that
    needs awaiting belongs in a method the caller visibly awaits.

    ## Example
    ```python
    class Device:
        @property
        async def state(self):
            return await self._client.get_state()
    ```

    ## Use instead
    ```python
    class Device:
        async def get_state(self):
            return await self._client.get_state()
    ```
    """

    code = "ASL507"
    requires = ("async",)
    name = "async-property"
    message = "`@property` on an `async def`: reading the attribute gives a coroutine, not a value"

    valid = (
        Valid("sync-property", """
            class Device:
                @property
                def state(self):
                    return self._state
        """),
    )
    invalid = (
        Invalid(
            "async-property",
            """
            class Device:
                @property
                async def state(self):
                    return await self._client.get_state()
            """,
            (
                (2, 6, "`@property` on an `async def`: reading the attribute gives a coroutine, not a value"),
            ),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is None:
            return
        properties = catalogue.misuse().properties
        for decorator in node.decorators:
            if self.model.qualified_name(_decorator_target(decorator)) in properties:
                self.report(decorator.decorator)


_NEVER_ASYNC = {
    "__init__": "`__init__` must return None; as a coroutine function it returns a coroutine and "
    "creating the object raises TypeError",
    "__del__": "`__del__` is called by the garbage collector, which never awaits the coroutine: the "
    "finaliser's body never runs",
}


class AsyncInitOrDel(Rule):
    """`__init__` or `__del__` is an `async def`.

    ## What it does
    Flags `async def __init__` and `async def __del__` in a class body.

    ## Why is this bad?
    Python calls these methods itself and never awaits them. An async `__init__` makes every
    instantiation raise `TypeError: __init__() should return None, not 'coroutine'`; an async
    `__del__` creates a coroutine nobody awaits, so the clean-up never happens.

    ## Example
    ```python
    class Client:
        async def __init__(self, url):
            self.conn = await connect(url)
    ```

    ## Use instead
    ```python
    class Client:
        def __init__(self, conn):
            self.conn = conn

        @classmethod
        async def create(cls, url):
            return cls(await connect(url))
    ```
    """

    code = "ASL508"
    requires = ("async",)
    name = "async-init-or-del"
    message = "`__init__` and `__del__` are never awaited; they cannot be `async def`"

    valid = (
        Valid("async-factory", """
            class Client:
                def __init__(self, conn):
                    self.conn = conn
                @classmethod
                async def create(cls, url):
                    return cls(await connect(url))
                async def __aenter__(self):
                    return self
        """),
        Valid("module-level-function", """
            async def __init__():
                pass
        """),
    )
    invalid = (
        Invalid(
            "async-init-and-del",
            """
            class Client:
                async def __init__(self, url):
                    self.conn = await connect(url)

                async def __del__(self):
                    await self.conn.close()
            """,
            (
                (2, 15, "`__init__` must return None; as a coroutine function it returns a coroutine and creating the object raises TypeError"),
                (5, 15, "`__del__` is called by the garbage collector, which never awaits the coroutine: the finaliser's body never runs"),
            ),
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        own = self.model.scope
        assert own is not None  # the walk has entered the function's own scope already
        scope = own.parent
        if node.asynchronous is None or scope is None or scope.kind is not ScopeKind.CLASS:
            return
        reason = _NEVER_ASYNC.get(node.name.value)
        if reason is not None:
            self.report(node.name, reason)


# -- ASL514 -----------------------------------------------------------------------------------

_ASYNC_DEF = re.compile(r"^[ \t]*async[ \t]+def[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
_TEST_PATH = re.compile(r"(^|[/\\])(tests?|testing)[/\\]|(^|[/\\])(test_[^/\\]*|[^/\\]*_test|conftest)\.py$")


@dataclass
class _Candidate:
    node: cst.FunctionDef
    name: str
    owner: str | None  # the class of a method


def _is_stub(body: cst.BaseSuite) -> bool:
    """A body that only documents or refuses: docstring, `pass`, `...`, `raise ...`."""
    for statement in body.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, (cst.Pass, cst.Raise)):
                    continue
                if isinstance(small, cst.Expr) and isinstance(small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
                    continue
                return False
        else:
            return False
    return True


class UnusedAsync(Rule):
    """An `async def` never awaits (opt-in).

    ## What it does
    Flags an `async def` whose own body has no `await`, `async for` or `async with` (nested
    functions do not count), and that is not an async generator. Off by default: select `ASL514`
    by its exact code to run it.

    Not flagged, because something else may need the function to be a coroutine function:
    - decorated functions (framework handlers, fixtures, overloads, abstract methods);
    - public functions and methods (a name without a leading underscore): other modules, a
      framework that finds them by name, subclasses or a library's users may need a coroutine
      function there; functions nested in functions are judged whatever their name;
    - methods of classes with base classes, and of classes that another class of the module
      derives from (they may override, or be overridden with code that awaits), and stubs (a body
      of only a docstring, `pass`, `...` or `raise`);
    - test functions (`test*`) and any function in a test file (`test_*.py`, `*_test.py`,
      `conftest.py`, folders `test`/`tests`/`testing`);
    - functions this module never calls, calls without awaiting the result right away (the
      coroutine is handed to `gather`, `create_task`, `run_coroutine_threadsafe`, returned...), or
      whose name it uses other than by calling it: a
      framework, a scheduler or another module may call them and require a coroutine function
      (Home Assistant's `async_setup_entry`, a web handler registered elsewhere). Only a function
      its own module calls by name (a method: through `self.` or `cls.`), and only calls, is
      flagged.

    ## Why is this bad?
    A coroutine function that never suspends still costs a coroutine object and an event loop
    round trip per call, forces every caller to be async, and suggests to readers that it does
    I/O. Often it marks a forgotten `await` inside.

    ## Example
    ```python
    async def total(items):
        return sum(item.price for item in items)
    ```

    ## Use instead
    ```python
    def total(items):
        return sum(item.price for item in items)
    ```
    (and drop the `await` at its call sites).
    """

    code = "ASL514"
    requires = ("async",)
    name = "unused-async"
    message = "`async def` never awaits: make it a plain `def`"
    opt_in = True

    valid = (
        Valid("public-function", """
            async def total(items):
                return sum(items)
            async def main():
                print(await total([]))
        """),
        Valid("awaits", """
            async def fetch(conn):
                return await conn.read()
        """),
        Valid("async-generator", """
            async def numbers():
                yield 1
        """),
        Valid("decorated-handler", """
            @app.get("/")
            async def index():
                return {"ok": True}
        """),
        Valid("override", """
            class Handler(Base):
                async def handle(self, request):
                    return request
        """),
        Valid("public-method-may-be-a-hook", """
            class HelpCommand:
                async def send_bot_help(self, mapping):
                    return None
                async def run(self):
                    await self.send_bot_help({})
        """),
        Valid("base-class-in-module", """
            class Identity:
                async def _compress(self, body):
                    return body
                async def send(self, body):
                    await self.write(await self._compress(body))
            class Gzip(Identity):
                async def _compress(self, body):
                    return await self.pool.run(body)
        """),
        Valid("stub", """
            class Store:
                async def load(self):
                    raise NotImplementedError
        """),
        Valid("passed-as-callback", """
            async def on_message(msg):
                print(msg)
            client.subscribe("topic", on_message)
        """),
        Valid("async-comprehension", """
            async def collect(stream):
                return [x async for x in stream]
        """),
        Valid("never-called-here", """
            async def async_setup_entry(hass, entry):
                hass.data[entry.entry_id] = entry
                return True
        """),
        Valid("coroutine-handed-on", """
            import asyncio
            def schedule(loop):
                async def _set():
                    EVENT.set()
                asyncio.run_coroutine_threadsafe(_set(), loop)
        """),
        Valid("test-function", """
            async def test_total():
                assert total([]) == 0
        """),
    )
    invalid = (
        Invalid(
            "never-awaits",
            """
            async def _total(items):
                return sum(items)

            class Cart:
                async def _price(self):
                    def inner():
                        return 1
                    return inner()

                async def show(self):
                    print(await _total([]), await self._price())
            """,
            (
                (1, 11, "`async def _total` never awaits, so it need not be a coroutine function: make it a plain `def`"),
                (5, 15, "`async def _price` never awaits, so it need not be a coroutine function: make it a plain `def`"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.suspending: set[int] = set()  # function node ids whose body suspends
        self.candidates: list[_Candidate] = []
        self.names = set(_ASYNC_DEF.findall(context.text))
        self.used_as_value: set[str] = set()
        self.called: set[str] = set()
        self.awaited_calls: set[int] = set()  # ids of calls that are awaited right away
        self.callees: set[int] = set()  # ids of Name / Attribute nodes that are called
        self.not_loads: set[int] = set()
        self.base_names: set[str] = set()  # names used as base classes in this module
        self.test_file = bool(_TEST_PATH.search(context.path.replace("\\", "/")))

    def _suspends_here(self) -> None:
        scope = self.model.function_scope()
        if scope is not None:
            self.suspending.add(id(scope.node))

    def visit_Await(self, node: cst.Await) -> None:
        self._suspends_here()
        if isinstance(node.expression, cst.Call):
            self.awaited_calls.add(id(node.expression))

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self._suspends_here()

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self._suspends_here()

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self._suspends_here()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.not_loads.add(id(node.name))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            value = base.value
            if isinstance(value, cst.Subscript):  # Generic[T]-style bases
                value = value.value
            if isinstance(value, (cst.Name, cst.Attribute)):
                self.base_names.add(value.value if isinstance(value, cst.Name) else value.attr.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.callees.add(id(node.func))
        func = node.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
        if name is None or name not in self.names:
            return
        if id(node) not in self.awaited_calls:
            # The coroutine object is handed on (to gather, create_task, run_coroutine_threadsafe,
            # a return): its consumer needs a coroutine.
            self.used_as_value.add(name)
        elif isinstance(func, cst.Name):
            self.called.add(name)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            self.called.add(f".{name}")

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self.not_loads.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self.not_loads.add(id(node.attr))
        if node.attr.value in self.names and id(node) not in self.callees:
            self.used_as_value.add(node.attr.value)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value in self.names and id(node) not in self.callees and id(node) not in self.not_loads:
            self.used_as_value.add(node.value)

    def scope_exit(self, scope: Scope) -> None:
        node = scope.node
        if (
            scope.kind is not ScopeKind.FUNCTION
            or not scope.is_async
            or scope.is_generator
            or id(node) in self.suspending
            or self.test_file
            or not isinstance(node, cst.FunctionDef)  # (a function scope is always a def's)
            or node.decorators
        ):
            return
        name = node.name.value
        if name.startswith("test") or (name.startswith("__") and name.endswith("__")) or _is_stub(node.body):
            return
        parent = scope.parent
        owner = None
        if parent is not None and parent.kind in (ScopeKind.MODULE, ScopeKind.CLASS) and not name.startswith("_"):
            # A public function or method is an interface: other modules, a framework that looks
            # it up by name, subclasses or users of a library may need it to be a coroutine
            # function. Only private names (and functions nested in functions) are judged.
            return
        if parent is not None and parent.kind is ScopeKind.CLASS:
            klass = parent.node
            assert isinstance(klass, cst.ClassDef)  # a class scope is a class statement's
            bases = [arg for arg in klass.bases if not (isinstance(arg.value, cst.Name) and arg.value.value == "object")]
            if bases or klass.keywords:
                return
            owner = klass.name.value
        self.candidates.append(_Candidate(node, name, owner))

    def module_end(self) -> None:
        for candidate in self.candidates:
            if candidate.owner in self.base_names:
                continue  # a subclass in this module may override it
            call = f".{candidate.name}" if candidate.owner else candidate.name
            if call in self.called and candidate.name not in self.used_as_value:
                self.report(
                    candidate.node.name,
                    f"`async def {candidate.name}` never awaits, so it need not be a coroutine function: "
                    "make it a plain `def`",
                )
