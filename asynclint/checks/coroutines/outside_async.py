"""ASL108: `await`, `async for` and `async with` where no coroutine runs them.

The parser accepts them anywhere; the compiler refuses them outside an async function. Where an
expression is evaluated decides it, not where it is written: a decorator, a parameter's default,
a class's bases and a comprehension's first iterable are evaluated in the enclosing frame; a
function's, lambda's or class's body and a comprehension's other parts in a frame of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from asynclint.lint.rule import Invalid, Rule, Valid

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# A comprehension's frame (or a lambda's, a class's...) stops the search for the awaits that its
# first iterable evaluates in the enclosing frame.
_FRAMES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, *_COMPREHENSIONS)


@dataclass(frozen=True)
class _Frame:
    """Where code runs: `allows` says whether it may await; `where` names it in messages."""

    allows: bool
    where: str


def _first_iter_awaits(comprehension: cst.BaseComp | cst.DictComp) -> list[cst.Await]:
    """The awaits of a comprehension's first iterable that run in the enclosing frame (those of
    lambdas and comprehensions inside it run in frames of their own)."""
    found: list[cst.Await] = []
    todo: list[cst.CSTNode] = [comprehension.for_in.iter]
    while todo:
        node = todo.pop()
        if isinstance(node, cst.Await):
            found.append(node)
        if isinstance(node, _FRAMES):
            continue
        todo.extend(node.children)
    return found


class AwaitOutsideAsync(Rule):
    """`await`, `async for` or `async with` is used outside an async function.

    ## What it does
    Flags `await`, `async for`, `async with` and asynchronous comprehensions (`[x async for x
    in xs]`, `[await f(x) for x in xs]`) whose code runs outside an `async def`: at module
    level, in a class body, in a plain `def`, in a `lambda` (lambdas cannot be async, even inside
    an `async def`), and in a list, set or dict comprehension that is itself outside an `async
    def`.

    What counts is where the code runs: a decorator, a parameter's default value, a class's bases
    and a comprehension's first iterable are evaluated in the enclosing function, so they may
    await inside an `async def`. Generator expressions may contain `await` and `async for`
    anywhere (they make an asynchronous generator). Annotations are not checked.

    ## Why is this bad?
    The parser accepts these constructs anywhere, so editors and many tools let them through, but
    the compiler refuses the whole module: `SyntaxError: 'await' outside function` (or `'async
    with' outside async function`, `asynchronous comprehension outside of an asynchronous
    function`). The module cannot be imported at all; usually a `def` was meant to be an `async
    def`, or a callback written as a lambda awaits. Top-level `await` works only in the asyncio
    REPL (`python -m asyncio`) and in notebooks, never in a `.py` module.

    ## Example
    ```python
    def refresh(cache):
        data = await cache.load()

    handlers = {"ping": lambda conn: await conn.pong()}
    ```

    ## Use instead
    ```python
    async def refresh(cache):
        data = await cache.load()

    async def pong(conn):
        await conn.pong()

    handlers = {"ping": pong}
    ```

    ## Fix safety
    No fix is offered: making the function `async def` changes what every caller gets back.
    """

    code = "ASL108"
    name = "await-outside-async"
    message = "`await` outside an async function: the module does not compile (SyntaxError)"

    valid = (
        Valid("inside-async-def", """
            async def main(session, urls):
                async with session:
                    async for chunk in session.stream():
                        await chunk.read()
                return [await session.get(url) for url in urls]
        """),
        Valid("generator-expressions-anywhere", """
            def lines(stream):
                return (line async for line in stream)

            def pages(urls, fetch):
                return (await fetch(url) for url in urls)
        """),
        Valid("evaluated-in-the-enclosing-coroutine", """
            async def main(make, items):
                @(await make())
                def handler(value=await make()):
                    return value

                class Model(await make()):
                    pass

                callback = lambda default=await make(): default
                return (x for x in await items())
        """),
        Valid("nested-comprehensions-in-async-def", """
            async def main(groups):
                return [[await item for item in group] for group in groups]
        """),
        Valid("nested-async-def", """
            def make_handler(conn):
                async def handler():
                    await conn.send()
                class Session:
                    async def close(self):
                        await conn.close()
                return handler, Session
        """),
    )
    invalid = (
        Invalid(
            "sync-function",
            """
            def refresh(cache, items):
                data = await cache.load()
                async with cache.lock:
                    pass
                async for item in items:
                    pass
                return [x async for x in items]
            """,
            (
                (2, 12, "`await` in `def refresh`, which is not async: the module does not compile (SyntaxError)"),
                (3, 5, "`async with` in `def refresh`, which is not async: the module does not compile (SyntaxError)"),
                (5, 5, "`async for` in `def refresh`, which is not async: the module does not compile (SyntaxError)"),
                (7, 15, "`async for` in a comprehension in `def refresh`, which is not async: the module does not compile (SyntaxError)"),
            ),
        ),
        Invalid(
            "module-level-and-class-body",
            """
            import asyncio

            config = await asyncio.sleep(0)

            class Settings:
                value = await asyncio.sleep(0)
                items = [await asyncio.sleep(0) for _ in range(3)]
            """,
            (
                (3, 10, "`await` at module level: the module does not compile (SyntaxError)"),
                (6, 13, "`await` in the body of class `Settings`: the module does not compile (SyntaxError)"),
                (7, 14, "`await` in a comprehension in the body of class `Settings`: the module does not compile (SyntaxError)"),
            ),
        ),
        Invalid(
            "lambda-in-coroutine",
            """
            async def main(conn, register):
                register(lambda: await conn.pong())
            """,
            (
                (2, 22, "`await` in a lambda, which cannot be async: the module does not compile (SyntaxError)"),
            ),
        ),
        Invalid(
            "evaluated-outside-the-coroutine",
            """
            async def handler(value=await make()):
                return value

            def pages(urls, fetch):
                return (await fetch(url) for url in await urls())
            """,
            (
                (1, 25, "`await` at module level: the module does not compile (SyntaxError)"),
                (5, 41, "`await` in `def pages`, which is not async: the module does not compile (SyntaxError)"),
            ),
        ),
        Invalid(
            "comprehension-in-sync-function-in-coroutine",
            """
            async def main(items):
                def collect():
                    return {x: await x for x in items}
                return collect()
            """,
            (
                (3, 20, "`await` in a comprehension in `def collect`, which is not async: the module does not compile (SyntaxError)"),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        text = context.text
        self.active = "await" in text or "async" in text
        self.frames: list[_Frame] = []
        self.bodies: dict[int, _Frame] = {}  # id of a def's or class's body -> the frame it runs in
        self.lambda_params: dict[int, cst.Lambda] = {}  # id of a lambda's parameters -> the lambda
        self.pushed: set[int] = set()  # ids of the nodes whose leaving pops a frame
        self.outer: dict[int, _Frame] = {}  # id of an await -> the enclosing frame it runs in
        self.annotations = 0

    def _push(self, node: cst.CSTNode, frame: _Frame) -> None:
        self.frames.append(frame)
        self.pushed.add(id(node))

    def _pop(self, node: cst.CSTNode) -> None:
        if id(node) in self.pushed:
            self.pushed.discard(id(node))
            self.frames.pop()

    def visit_Module(self, node: cst.Module) -> None:
        # Notebooks run their cells in a running loop: top-level await is theirs.
        self.frames.append(_Frame(self.context.path.endswith(".ipynb"), "at module level"))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None:
            self.bodies[id(node.body)] = _Frame(True, "")
        else:
            self.bodies[id(node.body)] = _Frame(False, f"in `def {node.name.value}`, which is not async")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.bodies[id(node.body)] = _Frame(False, f"in the body of class `{node.name.value}`")

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        frame = self.bodies.pop(id(node), None)
        if frame is not None:
            self._push(node, frame)

    def leave_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._pop(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.visit_IndentedBlock(node)  # type: ignore[arg-type]  # the same bookkeeping

    def leave_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._pop(node)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.lambda_params[id(node.params)] = node  # defaults run outside, the body inside

    def leave_Parameters(self, node: cst.Parameters) -> None:
        owner = self.lambda_params.pop(id(node), None)
        if owner is not None:
            self._push(owner, _Frame(False, "in a lambda, which cannot be async"))

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self._pop(node)

    def _enter_comprehension(self, node: cst.BaseComp | cst.DictComp) -> None:
        if not self.active:
            return
        parent = self.frames[-1]
        for awaited in _first_iter_awaits(node):
            self.outer.setdefault(id(awaited), parent)
        if isinstance(node, cst.GeneratorExp):
            frame = _Frame(True, "")  # an asynchronous generator expression is fine anywhere
        elif parent.allows:
            frame = parent
        else:
            frame = _Frame(False, f"in a comprehension {parent.where}")
        self._push(node, frame)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._enter_comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._enter_comprehension(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._enter_comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._enter_comprehension(node)

    def leave_ListComp(self, node: cst.ListComp) -> None:
        self._pop(node)

    def leave_SetComp(self, node: cst.SetComp) -> None:
        self._pop(node)

    def leave_DictComp(self, node: cst.DictComp) -> None:
        self._pop(node)

    def leave_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._pop(node)

    def visit_Annotation(self, node: cst.Annotation) -> None:
        self.annotations += 1

    def leave_Annotation(self, node: cst.Annotation) -> None:
        self.annotations -= 1

    def _check(self, node: cst.CSTNode, what: str, frame: _Frame | None = None) -> None:
        if not self.active or self.annotations or not self.frames:
            return
        frame = frame or self.frames[-1]
        if not frame.allows:
            self.report(node, f"`{what}` {frame.where}: the module does not compile (SyntaxError)")

    def visit_Await(self, node: cst.Await) -> None:
        self._check(node, "await", self.outer.pop(id(node), None))

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is not None:
            self._check(node, "async for")

    def visit_With(self, node: cst.With) -> None:
        if node.asynchronous is not None:
            self._check(node, "async with")

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self._check(node.asynchronous, "async for")  # the node itself starts with a space
