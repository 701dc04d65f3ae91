"""ASL405: async functions of the package that no test references, or, with coverage data, runs.

A project-level rule: it reports at a function's definition with a condition (`Ref`, expecting
"untested") that the project index decides once every file's summary is in, from the names the
test modules use or from coverage.py's data (asynclint/resolve/coverage_evidence.py). Opt-in.
"""

from __future__ import annotations

import os

from asynclint.checks.testing.support import decorator_target, is_stub, top_level_function
from asynclint.config.options import relative_to_root
from asynclint.engine.semantic import Scope, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.names import Ref


class UntestedAsyncFunction(Rule):
    """An async function of the package that no test references (or, with coverage data, runs).

    ## What it does
    Flags, at its definition, each public `async def` of the package (a module-level function or a
    method of a module-level class, outside test modules) that:
    - without coverage data: no test module (files under `tests/`, `test/`, `testing/` or a
      test-support package such as `_testbase/`, `test_*.py`, `*_test.py`, `conftest.py`) refers to, by name, by import (through re-exports and aliases),
      as an attribute, or inside a string (`mock.patch("pkg.mod.fetch")`);
    - with coverage data (`.coverage` at the project root, or the `coverage-file` option): no test
      executed any line of its body, read with coverage.py's own API.

    The message says which evidence was used. Functions whose name starts with `_`, stubs (a body
    of `...`, `pass` or `raise NotImplementedError`), functions with decorators (a framework may
    call them), and methods of classes with a base outside the project (they may implement an
    interface that outside code calls) are left alone; so are modules under top-level folders such
    as `examples/`, `benchmarks/`, `docs/` and `scripts/` (listed in `rules/testing.toml`), and
    everything when the project has no test modules, or when coverage did not measure the file.

    This rule is opt-in: it runs only when selected by its full code (`--select ASL405` or
    `extend-select = ["ASL405"]`; for flake8, in `[tool.asynclint]`). It is noisy by nature on
    libraries whose public API is tested through other functions, and meaningless on a checkout
    that lacks most of its tests.

    ## Why is this bad?
    Async code fails in ways a quick read misses (a missing `await`, a blocking call, a task
    dropped); a function no test runs ships those bugs unseen.

    ## Example
    ```python
    # shop/api.py; no test mentions `refund`
    async def refund(order): ...
    ```

    ## Use instead
    A test that calls it:
    ```python
    async def test_refund(order):
        assert await refund(order)
    ```

    ## Options
    - `coverage-file`: the coverage.py data file to judge by (default: `.coverage` at the root).
    """

    code = "ASL405"
    requires = ("async",)
    name = "untested-async-function"
    message = "async function that no test references"
    opt_in = True

    valid = (
        Valid(
            "called-by-a-test", """
            async def refund(order):
                return order
            """,
            path="shop/api.py",
            files=(
                ("shop/__init__.py", ""),
                ("tests/test_api.py", "from shop.api import refund\nasync def test_refund():\n    await refund(1)\n"),
            ),
        ),
        Valid(
            "method-used-on-a-fixture", """
            class Client:
                async def close(self):
                    self.closed = True
            """,
            path="shop/client.py",
            files=(
                ("shop/__init__.py", ""),
                ("tests/conftest.py", "import pytest\n@pytest.fixture\ndef client():\n    return make()\n"),
                ("tests/test_client.py", "async def test_close(client):\n    await client.close()\n"),
            ),
        ),
        Valid(
            "imported-through-a-re-export-under-another-name", """
            async def refund(order):
                return order
            """,
            path="shop/api.py",
            files=(
                ("shop/__init__.py", "from shop.api import refund as give_back\n"),
                ("tests/test_api.py", "from shop import give_back as gb\nasync def test_it():\n    await gb(1)\n"),
            ),
        ),
        Valid(
            "private-stub-decorated-or-outside-interface", """
            import asyncio
            from shop.web import routes

            async def _helper():
                return 1

            async def stub():
                ...

            @routes.get("/")
            async def index(request):
                return 1

            class Echo(asyncio.Protocol):
                async def serve(self):
                    return 1
            """,
            path="shop/api.py",
            files=(("shop/__init__.py", ""), ("tests/test_other.py", "def test_x():\n    pass\n")),
        ),
        Valid(
            "called-from-test-files-sharing-a-name", """
            async def refund(order):
                return order
            """,
            path="shop/api.py",
            files=(
                ("shop/__init__.py", ""),
                ("tests/unit/test_api.py", "from shop.api import refund\nasync def test_refund():\n    await refund(1)\n"),
                ("tests/e2e/test_api.py", "def test_up():\n    pass\n"),
            ),
        ),
        Valid(
            "no-tests-in-the-project", """
            async def refund(order):
                return order
            """,
            path="shop/api.py", files=(("shop/__init__.py", ""),),
        ),
        Valid(
            "test-support-package-of-the-project", """
            async def serve_fuzzing_proxy(port):
                return port
            """,
            path="shop/_testbase/proxy.py",
            files=(("shop/__init__.py", ""), ("shop/_testbase/__init__.py", ""), ("tests/test_shop.py", "def test_x():\n    pass\n")),
        ),
    )
    invalid = (
        Invalid(
            "nothing-in-the-tests-names-it",
            """
            async def refund(order):
                return order

            class Cart:
                async def checkout(self):
                    return 1

                async def total(self):
                    return 2
            """,
            (
                (1, 11, "async function `refund` is not referenced by any test module (no coverage data: judged by the names the tests use)"),
                (5, 15, "async function `Cart.checkout` is not referenced by any test module (no coverage data: judged by the names the tests use)"),
            ),
            path="shop/api.py",
            files=(
                ("shop/__init__.py", ""),
                ("tests/test_cart.py", """
                    from shop.api import Cart
                    def test_total():
                        assert Cart().total
                """),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        in_package = "." in context.module_name or context.is_package
        top = relative_to_root(context.path, context.settings.root).split("/")[0]
        skipped = top in catalogue.testing().untested_skip_folders
        self.active = in_package and not context.is_test and not skipped
        self.preserving = catalogue.coroutines().preserving_decorators - {"abc.abstractmethod"}

    def scope_exit(self, scope: Scope) -> None:
        if not self.active or scope.kind is not ScopeKind.FUNCTION or not scope.is_async:
            return
        found = top_level_function(scope)
        if found is None:
            return
        node, cls = found
        if node.name.value.startswith("_") or (cls is not None and cls.name.value.startswith("_")):
            return
        if any(self.model.qualified_name(decorator_target(d)) not in self.preserving for d in node.decorators):
            return
        if is_stub(node):
            return
        qualname = scope.qualname
        condition = Ref(
            "definition", f"{self.context.module_name}.{qualname}", os.path.abspath(self.context.path),
            expect="untested",
        )

        def message() -> str:  # made only once the index has decided (with coverage data, if any)
            evidence = self.context.index.evidence if self.context.index is not None else None
            if evidence is not None:
                return f"async function `{qualname}` is never executed by the tests ({evidence.label})"
            return (
                f"async function `{qualname}` is not referenced by any test module (no coverage data: "
                "judged by the names the tests use)"
            )

        self.report(node.name, message, condition=condition)
