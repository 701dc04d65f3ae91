"""ASL401-ASL404: async tests that never run (ASL405, untested async code, is in untested.py).

Everything is static: the pytest configuration, the declared dependencies and conftest.py files
are read as text (asynclint/config/pytest_config.py), and test case hierarchies and test references come
from the project index. Whenever a plugin, hook, decorator or base class could run a test some
other way, the rules stay silent.
"""

from __future__ import annotations

import functools
import os
import re

import libcst as cst

from asynclint.checks.shared import awaits
from asynclint.checks.shared.awaitables import KNOWN, CoroutineCalls, callee_text
from asynclint.checks.testing.support import (
    MARKED,
    PLAIN,
    UNKNOWN,
    decorator_target,
    decorators_kind,
    import_statement,
    module_binding_is,
    pytestmark_kind,
    top_level_function,
)
from asynclint.config import pytest_config
from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.engine.semantic import Scope, ScopeKind
from asynclint.knowledge import catalogue
from asynclint.lint.rule import Invalid, Rule, Valid
from asynclint.resolve.names import Ref

_STRICT_PYPROJECT = (
    "pyproject.toml",
    """
    [project]
    name = "shop"
    version = "1"

    [project.optional-dependencies]
    test = ["pytest", "pytest-asyncio"]

    [tool.pytest.ini_options]
    asyncio_mode = "strict"
    """,
)
_AUTO_PYPROJECT = (
    "pyproject.toml",
    """
    [project]
    name = "shop"
    version = "1"

    [dependency-groups]
    test = ["pytest>=8", "pytest-asyncio>=0.23"]

    [tool.pytest.ini_options]
    asyncio_mode = "auto"
    """,
)


def _config_name(setup: pytest_config.PytestSetup) -> str:
    return setup.config.name if setup.config is not None else "no pytest config file"


# -- ASL401 -------------------------------------------------------------------------------------


class AsyncTestOnSyncTestCase(Rule):
    """An `async def` test method on a `unittest.TestCase` that never awaits it.

    ## What it does
    Flags `async def test*` methods of classes that derive (directly or through the project's own
    base classes, in any module) from `unittest.TestCase` and not from a test case that runs
    coroutines: `unittest.IsolatedAsyncioTestCase`, `aiohttp.test_utils.AioHTTPTestCase`,
    `asynctest.TestCase`, Django's test cases and the others listed in the catalogue
    (`rules/testing.toml`).

    ## Why is this bad?
    `unittest.TestCase` calls the test method, gets a coroutine object back and throws it away:
    the body never runs, nothing can fail, and the test is reported as passed. Python only warns
    that a test returned a value, if warnings are shown at all.

    A class is left alone when any base outside the project is not in the catalogue, when it or a
    project base has a class decorator or a metaclass, or overrides how tests are called (`run`,
    `_callTestMethod`, ...), and when the test method has a decorator other than the
    `unittest.skip*`/`mock.patch*` family (it may wrap the coroutine into a sync function).

    ## Example
    ```python
    import unittest

    class ClientTest(unittest.TestCase):
        async def test_fetch(self):
            self.assertEqual(await fetch(), 1)
    ```

    ## Use instead
    ```python
    import unittest

    class ClientTest(unittest.IsolatedAsyncioTestCase):
        async def test_fetch(self):
            self.assertEqual(await fetch(), 1)
    ```

    ## Fix safety
    The fix changes the base class to `unittest.IsolatedAsyncioTestCase`, spelled the way the file
    imports `unittest` (adding `IsolatedAsyncioTestCase` to a `from unittest import TestCase`). It is
    offered only when the class names `unittest.TestCase` itself as a base: changing a shared
    project base would change every class that uses it. The sync tests of the class keep running
    as before.
    """

    code = "ASL401"
    requires = ("async",)
    name = "async-test-on-sync-test-case"
    message = "async test method on a `unittest.TestCase`: the coroutine is never awaited, so the test passes without running"
    fix = Applicability.SAFE

    valid = (
        Valid("isolated-asyncio-test-case", """
            import unittest
            class ClientTest(unittest.IsolatedAsyncioTestCase):
                async def test_fetch(self):
                    self.assertTrue(await fetch())
        """),
        Valid("aiohttp-test-case", """
            from aiohttp.test_utils import AioHTTPTestCase
            class AppTest(AioHTTPTestCase):
                async def test_index(self):
                    await self.client.get("/")
        """),
        Valid("unknown-outside-base", """
            import unittest
            from somewhere import AsyncMixin
            class ClientTest(AsyncMixin, unittest.TestCase):
                async def test_fetch(self):
                    await fetch()
        """),
        Valid("wrapping-decorator", """
            import unittest
            from helpers import run_async
            class ClientTest(unittest.TestCase):
                @run_async
                async def test_fetch(self):
                    await fetch()
        """),
        Valid("base-overrides-run", """
            import unittest
            class AsyncCase(unittest.TestCase):
                def run(self, result=None):
                    return run_coroutines(self, result)
            class ClientTest(AsyncCase):
                async def test_fetch(self):
                    await fetch()
        """),
        Valid("base-wraps-tests-in-init", """
            import unittest
            class AsyncIOTestCase(unittest.TestCase):
                def __init__(self, methodName="runTest"):
                    super().__init__(methodName)
                    setattr(self, methodName, refuse_coroutines(getattr(self, methodName)))
            class CursorTest(AsyncIOTestCase):
                async def test_next(self):
                    await fetch()
        """),
        Valid("async-helper-not-a-test", """
            import unittest
            class ClientTest(unittest.TestCase):
                async def fetch_all(self):
                    return 1
        """),
        Valid(
            "async-base-in-another-module",
            """
            from tests.base import AsyncCase
            class ClientTest(AsyncCase):
                async def test_fetch(self):
                    await fetch()
            """,
            path="tests/test_client.py",
            files=(
                ("tests/__init__.py", ""),
                ("tests/base.py", """
                    import unittest
                    class AsyncCase(unittest.IsolatedAsyncioTestCase):
                        pass
                """),
            ),
        ),
    )
    invalid = (
        Invalid(
            "import-unittest",
            """
            import unittest

            class ClientTest(unittest.TestCase):
                async def test_fetch(self):
                    self.assertEqual(await fetch(), 1)

                def test_sync(self):
                    self.assertTrue(True)

                @unittest.skipIf(False, "never")
                async def test_other(self):
                    await fetch()
            """,
            (
                (4, 15, "async test `test_fetch` of `ClientTest`, a `unittest.TestCase`: the coroutine is never awaited, so the test passes without running; use `unittest.IsolatedAsyncioTestCase`"),
                (11, 15, "async test `test_other` of `ClientTest`, a `unittest.TestCase`: the coroutine is never awaited, so the test passes without running; use `unittest.IsolatedAsyncioTestCase`"),
            ),
            fixed="""
            import unittest

            class ClientTest(unittest.IsolatedAsyncioTestCase):
                async def test_fetch(self):
                    self.assertEqual(await fetch(), 1)

                def test_sync(self):
                    self.assertTrue(True)

                @unittest.skipIf(False, "never")
                async def test_other(self):
                    await fetch()
            """,
        ),
        Invalid(
            "from-import",
            """
            from unittest import TestCase

            class ClientTest(TestCase):
                async def test_fetch(self):
                    await fetch()

            class OtherTest(TestCase):
                async def test_other(self):
                    await fetch()
            """,
            (
                (4, 15, "async test `test_fetch` of `ClientTest`, a `unittest.TestCase`: the coroutine is never awaited, so the test passes without running; use `unittest.IsolatedAsyncioTestCase`"),
                (8, 15, "async test `test_other` of `OtherTest`, a `unittest.TestCase`: the coroutine is never awaited, so the test passes without running; use `unittest.IsolatedAsyncioTestCase`"),
            ),
            fixed="""
            from unittest import TestCase, IsolatedAsyncioTestCase

            class ClientTest(IsolatedAsyncioTestCase):
                async def test_fetch(self):
                    await fetch()

            class OtherTest(IsolatedAsyncioTestCase):
                async def test_other(self):
                    await fetch()
            """,
        ),
        Invalid(
            "test-files-sharing-a-module-name",
            """
            import unittest

            class ClientTest(unittest.TestCase):
                async def test_fetch(self):
                    await fetch()
            """,
            (
                (4, 15, "async test `test_fetch` of `ClientTest`, a `unittest.TestCase`: the coroutine is never awaited, so the test passes without running; use `unittest.IsolatedAsyncioTestCase`"),
            ),
            fixed="""
            import unittest

            class ClientTest(unittest.IsolatedAsyncioTestCase):
                async def test_fetch(self):
                    await fetch()
            """,
            path="tests/integration/test_client.py",
            files=(("tests/unit/test_client.py", "def test_client():\n    pass\n"),),
        ),
        Invalid(
            "project-base-in-another-module",
            """
            import pytest
            from tests.base import DatabaseCase

            class StoreTest(DatabaseCase):
                @pytest.mark.asyncio  # pytest-asyncio does not run unittest methods either
                async def test_save(self):
                    await save()
            """,
            (
                (6, 15, "async test `test_save` of `StoreTest`, a `unittest.TestCase`: the coroutine is never awaited, so the test passes without running; use `unittest.IsolatedAsyncioTestCase`"),
            ),
            path="tests/test_store.py",
            files=(
                ("tests/__init__.py", ""),
                ("tests/base.py", """
                    import unittest
                    class DatabaseCase(unittest.TestCase):
                        def setUp(self):
                            self.db = connect()
                """),
            ),
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        scope = self.model.scope
        if not node.bases or scope is None or scope.parent is None or scope.parent.kind is not ScopeKind.MODULE:
            return
        methods = [
            statement for statement in node.body.body
            if isinstance(statement, cst.FunctionDef)
            and statement.asynchronous is not None
            and statement.name.value.startswith("test")
            and decorators_kind(self.model, statement.decorators) != UNKNOWN
        ]
        if not methods:
            return
        condition = None
        if not self._plain_test_case(node):  # its project bases are for the index to follow
            condition = Ref("global", f"{self.context.module_name}.{scope.qualname}", expect="sync-testcase")
        fix = functools.cache(lambda: self._fix(node))  # one fix for every method of the class
        for method in methods:
            message = (
                f"async test `{method.name.value}` of `{node.name.value}`, a `unittest.TestCase`: the "
                "coroutine is never awaited, so the test passes without running; use "
                "`unittest.IsolatedAsyncioTestCase`"
            )
            self.report(method.name, message, fix, condition)

    def _plain_test_case(self, node: cst.ClassDef) -> bool:
        """Whether the class alone shows it is a plain unittest case: every base a catalogued sync
        test case (or a neutral base), no decorator, keyword or method that changes how tests run.
        Decided without the index, so test files that share a module name (common without
        __init__.py files, and ambiguous in the index) are checked too."""
        testing = catalogue.testing()
        if node.decorators or any(arg.keyword is not None for arg in node.bases):
            return False
        bases = [self.model.qualified_name(arg.value) for arg in node.bases]
        if not any(b in testing.sync_bases for b in bases):
            return False
        if not all(b in testing.sync_bases or b in testing.neutral_bases for b in bases):
            return False
        defined = {s.name.value for s in node.body.body if isinstance(s, cst.FunctionDef)}
        return not defined & testing.runner_methods

    def _fix(self, node: cst.ClassDef) -> Fix | None:
        for arg in node.bases:
            if arg.keyword is not None or self.model.qualified_name(arg.value) != "unittest.TestCase":
                continue
            value = arg.value
            edits: tuple[Edit, ...]
            if isinstance(value, cst.Attribute):
                edits = (Edit(value, value.with_changes(attr=cst.Name("IsolatedAsyncioTestCase"))),)
            elif isinstance(value, cst.Name):
                edits = (Edit(value, cst.Name("IsolatedAsyncioTestCase")),)
                bound = module_binding_is(self.model, "IsolatedAsyncioTestCase", "unittest.IsolatedAsyncioTestCase")
                if bound is False:
                    return None
                if bound is None:
                    binding = self.model.lookup(value.value)
                    statement = binding.definition if binding is not None else None
                    if not isinstance(statement, cst.ImportFrom) or isinstance(statement.names, cst.ImportStar):
                        return None
                    names = list(statement.names)
                    names[-1] = names[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                    names.append(cst.ImportAlias(cst.Name("IsolatedAsyncioTestCase")))
                    edits += (Edit(statement, statement.with_changes(names=names)),)
            else:
                return None
            return Fix(Applicability.SAFE, "derive from `unittest.IsolatedAsyncioTestCase`", edits)
        return None


# -- pytest: which tests a file holds -----------------------------------------------------------


class _PytestRule(Rule):
    """Finds the async (or sync) test functions and fixtures of a file pytest collects."""

    def __init__(self, context) -> None:
        super().__init__(context)
        self._setup: pytest_config.PytestSetup | None = None

    @property
    def setup(self) -> pytest_config.PytestSetup:
        if self._setup is None:
            self._setup = pytest_config.setup_for_file(self.context.path)
        return self._setup

    def test_of(self, scope: Scope) -> tuple[cst.FunctionDef, cst.ClassDef | None] | None:
        """The test function (and its class) this scope defines, as pytest would collect it."""
        found = top_level_function(scope)
        if found is None:
            return None
        node, cls = found
        setup = self.setup
        if not setup.is_test_function(node.name.value):
            return None
        if cls is not None:
            if not setup.is_test_class(cls.name.value):
                return None
            if any(self.model.qualified_name(arg.value) != "builtins.object" for arg in cls.bases):
                return None  # a unittest case, or a base we would have to resolve
            if any(isinstance(s, cst.FunctionDef) and s.name.value == "__init__" for s in cls.body.body):
                return None  # pytest does not collect classes with an __init__
        return node, cls


def _fixture_names(node: cst.FunctionDef) -> list[str]:
    """The fixture name a function defines, when a decorator spelled `...fixture` marks it one."""
    for decorator in node.decorators:
        target = decorator_target(decorator)
        spelled = target.attr.value if isinstance(target, cst.Attribute) else target.value if isinstance(target, cst.Name) else ""
        if not spelled.endswith("fixture"):
            continue
        if isinstance(decorator.decorator, cst.Call):
            for arg in decorator.decorator.args:
                if arg.keyword is not None and arg.keyword.value == "name":
                    value = arg.value
                    if isinstance(value, cst.SimpleString) and isinstance(value.evaluated_value, str):
                        return [value.evaluated_value]
                    return []
        return [node.name.value]
    return []


def _parametrized_names(model, decorators) -> list[str]:
    """Argument names given by `@pytest.mark.parametrize("a, b", ...)` decorators."""
    names: list[str] = []
    for decorator in decorators:
        call = decorator.decorator
        if not isinstance(call, cst.Call) or model.qualified_name(call.func) != "pytest.mark.parametrize":
            continue
        argnames = next((a.value for a in call.args if a.keyword is None or a.keyword.value == "argnames"), None)
        if isinstance(argnames, cst.SimpleString) and isinstance(argnames.evaluated_value, str):
            names += [n.strip() for n in argnames.evaluated_value.split(",") if n.strip()]
        elif isinstance(argnames, (cst.List, cst.Tuple)):
            names += [
                e.value.evaluated_value for e in argnames.elements
                if isinstance(e.value, cst.SimpleString) and isinstance(e.value.evaluated_value, str)
            ]
    return names


def runs_itself(model, module: cst.Module) -> bool:
    """A script-style test module: it ends with `asyncio.run(...)` at module level, or has an
    `if __name__ == "__main__":` block that calls `asyncio.run`. Its async tests may be meant to
    be run by the script, not by pytest."""

    def is_run(node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Call) and model.qualified_name(node.func) == "asyncio.run"

    body = module.body
    if body and isinstance(body[-1], cst.SimpleStatementLine) and any(
        isinstance(small, cst.Expr) and is_run(small.value) for small in body[-1].body
    ):
        return True
    for statement in body:
        if isinstance(statement, cst.If) and _is_main_check(statement.test) and awaits.any_node(statement.body, is_run):
            return True
    return False


def _is_main_check(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [s for s in sides if isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__"]
    return bool(names and strings) and isinstance(test.comparisons[0].operator, cst.Equal)


# -- ASL402 -------------------------------------------------------------------------------------


class UnmarkedAsyncTest(_PytestRule):
    """An async test that pytest will not run under the project's configuration.

    ## What it does
    Reads the project's pytest setup statically: the config file pytest would use
    (`pytest.toml`, `pytest.ini`, `[tool.pytest.ini_options]` in pyproject.toml, `[pytest]` in
    tox.ini, `[tool:pytest]` in setup.cfg), its `asyncio_mode` (or `--asyncio-mode` in `addopts`),
    the declared dependencies (pyproject's dependencies, optional dependencies and dependency
    groups, requirements*.txt, setup.cfg) and the conftest.py files on the way. It then flags
    `async def` tests (functions, and methods of `Test*` classes, as the config names them) that
    nothing will run:
    - pytest-asyncio is declared and runs in strict mode (its default), and the test has no
      `@pytest.mark.asyncio` on itself or its class, no `pytestmark` in its module or class, and
      no anyio or trio marker (nor the `anyio_backend` fixture);
    - or no async test plugin (pytest-asyncio, anyio, pytest-trio) is declared at all while pytest
      is, and the test has no async marker.

    ## Why is this bad?
    pytest cannot run a coroutine function by itself. Before pytest 8.4 such a test was skipped
    with a warning, easy to miss in a green run; since 8.4 it fails. Either way its body never
    runs. A `pytestmark` in conftest.py has no effect on tests: it is a common cause.

    When anything could run the test another way (`asyncio_mode = "auto"`, `trio_mode = true`,
    `anyio_mode = "auto"`, a
    conftest hook such as `pytest_pyfunc_call` or `pytest_collection_modifyitems`, a plugin in
    `pytest_plugins` or `-p` that asynclint does not know, `asyncio-mode` on a command line in
    tox.ini or a CI workflow, a decorator on the test), the rule stays silent.

    The pytest plugins asynclint knows to run coroutines are pytest-asyncio, anyio, pytest-trio,
    pytest-aiohttp, aiomisc-pytest (aiomisc), pytest-tornasync, pytest-twisted and
    pytest-asyncio-cooperative; it also knows common plugins that never call test functions
    themselves (pytest-cov, pytest-mock, pytest-xdist, pytest-timeout, ...: the list is
    `known-distributions` in `rules/testing.toml`). Any other declared dependency named `pytest-*`
    or `*-pytest` may run coroutines its own way, and the rule stays silent for the project.

    A script-style test module, one that ends with `asyncio.run(...)` at module level or has an
    `if __name__ == "__main__":` block calling `asyncio.run`, runs its coroutines itself: it is
    left alone too.

    ## Example
    ```python
    # pyproject.toml: test = ["pytest", "pytest-asyncio"]
    async def test_fetch():
        assert await fetch() == 1
    ```

    ## Use instead
    ```python
    import pytest

    @pytest.mark.asyncio
    async def test_fetch():
        assert await fetch() == 1
    ```
    or `asyncio_mode = "auto"` in the pytest configuration.

    ## Fix safety
    In strict mode the fix adds `@pytest.mark.asyncio` (and `import pytest` when the file lacks
    it). It is safe: the test now runs, which is its purpose. It is offered only when every
    parameter of the test is surely a fixture (pytest's own, one defined with a `...fixture`
    decorator in the module, its class or a conftest.py on the way) or a `parametrize`d name: a
    parameter from anywhere else may be a plugin's fixture or not a fixture at all, and running
    the test may not be what its author meant. No fix is offered when no plugin is declared: the
    dependency has to be added first.
    """

    code = "ASL402"
    requires = ("async",)
    name = "async-test-not-run"
    message = "async test that pytest does not run under this project's configuration"
    fix = Applicability.SAFE

    valid = (
        Valid(
            "marked", """
            import pytest

            @pytest.mark.asyncio
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "auto-mode", """
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py", files=(_AUTO_PYPROJECT,),
        ),
        Valid(
            "auto-mode-in-addopts-of-pytest-ini", """
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py",
            files=(
                ("requirements-test.txt", "pytest\npytest-asyncio==0.24.0\n"),
                ("pytest.ini", "[pytest]\naddopts = -ra --asyncio-mode=auto\n"),
            ),
        ),
        Valid(
            "module-pytestmark-and-class-marker", """
            import pytest
            pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

            async def test_fetch():
                assert await fetch()

            @pytest.mark.asyncio
            class TestClient:
                async def test_get(self):
                    assert await fetch()
            """,
            path="tests/test_fetch.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "anyio-marker-and-fixture", """
            import pytest

            @pytest.mark.anyio
            async def test_fetch():
                assert await fetch()

            async def test_backend(anyio_backend):
                assert await fetch()
            """,
            path="tests/test_fetch.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "anyio-runs-every-async-test", """
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py",
            files=(
                ("pyproject.toml", """
                    [project]
                    name = "shop"
                    version = "1"
                    optional-dependencies = {test = ["pytest", "pytest-asyncio", "anyio"]}

                    [tool.pytest.ini_options]
                    anyio_mode = "auto"
                """),
            ),
        ),
        Valid(
            "conftest-hook-may-run-it", """
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py",
            files=(
                _STRICT_PYPROJECT,
                ("tests/conftest.py", """
                    import inspect, pytest
                    def pytest_collection_modifyitems(items):
                        for item in items:
                            if inspect.iscoroutinefunction(item.obj):
                                item.add_marker(pytest.mark.asyncio)
                """),
            ),
        ),
        Valid(
            "not-a-test-file", """
            async def test_fetch():
                assert await fetch()
            """,
            path="shop/helpers.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "dependencies-unknown", """
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py",
            files=(("setup.py", "from setuptools import setup\nsetup(name='shop')\n"), ("tox.ini", "[pytest]\n")),
        ),
        Valid(
            "unknown-pytest-plugin-declared", """
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py",
            files=(
                ("pytest.ini", "[pytest]\nasyncio_mode = strict\n"),
                ("requirements-test.txt", "pytest\npytest-asyncio\npytest-cov\npytest-kiwi-runner\n"),
            ),
        ),
        Valid(
            "script-style-module", """
            import asyncio

            async def test_fetch():
                assert await fetch()

            asyncio.run(test_fetch())
            """,
            path="tests/test_fetch.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "main-block-runs-the-tests", """
            import asyncio

            async def test_fetch():
                assert await fetch()

            if __name__ == "__main__":
                asyncio.run(test_fetch())
            """,
            path="tests/test_fetch.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "unittest-class-is-asl401s", """
            import unittest
            class TestClient(unittest.TestCase):
                async def test_get(self):
                    assert await fetch()
            """,
            path="tests/test_fetch.py", files=(_STRICT_PYPROJECT,),
        ),
    )
    invalid = (
        Invalid(
            "strict-mode-pyproject",
            """
            import pytest

            async def test_fetch():
                assert await fetch()

            class TestClient:
                async def test_get(self):
                    assert await fetch()

                @pytest.mark.parametrize("n", [1, 2])
                async def test_many(self, n):
                    assert await fetch(n)

            async def helper():
                return 1
            """,
            (
                (3, 11, "async test `test_fetch` has no asyncio marker and pytest-asyncio runs in strict mode (pyproject.toml): pytest does not run it; add `@pytest.mark.asyncio`"),
                (7, 15, "async test `test_get` has no asyncio marker and pytest-asyncio runs in strict mode (pyproject.toml): pytest does not run it; add `@pytest.mark.asyncio`"),
                (11, 15, "async test `test_many` has no asyncio marker and pytest-asyncio runs in strict mode (pyproject.toml): pytest does not run it; add `@pytest.mark.asyncio`"),
            ),
            fixed="""
            import pytest

            @pytest.mark.asyncio
            async def test_fetch():
                assert await fetch()

            class TestClient:
                @pytest.mark.asyncio
                async def test_get(self):
                    assert await fetch()

                @pytest.mark.asyncio
                @pytest.mark.parametrize("n", [1, 2])
                async def test_many(self, n):
                    assert await fetch(n)

            async def helper():
                return 1
            """,
            path="tests/test_fetch.py", files=(_STRICT_PYPROJECT,),
        ),
        Invalid(
            "default-mode-setup-cfg-and-import-added",
            """
            async def test_fetch():
                assert await fetch()
            """,
            (
                (1, 11, "async test `test_fetch` has no asyncio marker and pytest-asyncio runs in strict mode (setup.cfg): pytest does not run it; add `@pytest.mark.asyncio`"),
            ),
            fixed="""
            import pytest
            @pytest.mark.asyncio
            async def test_fetch():
                assert await fetch()
            """,
            path="test_fetch.py",
            files=(
                ("setup.cfg", """
                    [options.extras_require]
                    test =
                        pytest
                        pytest-asyncio>=0.21

                    [tool:pytest]
                    python_files = test_*.py
                """),
            ),
        ),
        Invalid(
            "tox-ini-and-requirements-conftest-pytestmark",
            """
            async def test_fetch():
                assert await fetch()
            """,
            (
                (1, 11, "async test `test_fetch` has no asyncio marker and pytest-asyncio runs in strict mode (tox.ini): pytest does not run it (a `pytestmark` in conftest.py applies to no test); add `@pytest.mark.asyncio`"),
            ),
            fixed="""
            import pytest
            @pytest.mark.asyncio
            async def test_fetch():
                assert await fetch()
            """,
            path="tests/test_fetch.py",
            files=(
                ("requirements-dev.txt", "-r requirements-test.txt\n"),
                ("requirements-test.txt", "pytest>=8\npytest-asyncio\n"),
                ("tox.ini", "[tox]\nenvlist = py3\n\n[pytest]\ntestpaths = tests\n"),
                ("tests/conftest.py", "import pytest\npytestmark = pytest.mark.asyncio\n"),
            ),
        ),
        Invalid(
            "fix-only-when-parameters-are-fixtures",
            """
            import pytest

            @pytest.fixture
            def user():
                return "ann"

            async def test_fetch(db, user, tmp_path):
                assert await fetch(db, user)

            async def test_mocked(mocker):
                assert await fetch(mocker)
            """,
            (
                (7, 11, "async test `test_fetch` has no asyncio marker and pytest-asyncio runs in strict mode (pytest.ini): pytest does not run it; add `@pytest.mark.asyncio`"),
                (10, 11, "async test `test_mocked` has no asyncio marker and pytest-asyncio runs in strict mode (pytest.ini): pytest does not run it; add `@pytest.mark.asyncio`"),
            ),
            fixed="""
            import pytest

            @pytest.fixture
            def user():
                return "ann"

            @pytest.mark.asyncio
            async def test_fetch(db, user, tmp_path):
                assert await fetch(db, user)

            async def test_mocked(mocker):
                assert await fetch(mocker)
            """,
            path="tests/test_fetch.py",
            files=(
                ("pytest.ini", "[pytest]\nasyncio_mode = strict\n"),
                ("requirements-test.txt", "pytest\npytest-asyncio\npytest-cov\npytest-mock\n"),
                ("tests/conftest.py", """
                    import pytest
                    @pytest.fixture(name="db")
                    def database():
                        return {}
                """),
            ),
        ),
        Invalid(
            "no-async-plugin-declared",
            """
            async def test_fetch():
                assert await fetch()
            """,
            (
                (1, 11, "async test `test_fetch` cannot run: the project declares no async test plugin (pytest-asyncio, anyio, pytest-trio), and pytest does not run coroutines itself"),
            ),
            path="tests/test_fetch.py",
            files=(
                ("pyproject.toml", """
                    [project]
                    name = "shop"
                    version = "1"
                    optional-dependencies = {test = ["pytest"]}

                    [tool.pytest.ini_options]
                    testpaths = ["tests"]
                """),
            ),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.candidates: list[tuple[cst.FunctionDef, cst.ClassDef | None]] = []

    def scope_exit(self, scope: Scope) -> None:
        # Names are resolved while their scopes are still open: the module's own exit decides.
        node = scope.node
        if (
            scope.kind is ScopeKind.FUNCTION
            and isinstance(node, cst.FunctionDef)  # (a function scope is always a def's)
            and node.asynchronous is not None
            and not scope.is_generator
        ):
            found = self.test_of(scope)
            if found is not None and self._marked(*found) == PLAIN:
                self.candidates.append(found)
        elif scope.kind is ScopeKind.MODULE:
            self._decide()

    def _marked(self, node: cst.FunctionDef, cls: cst.ClassDef | None) -> str:
        kinds = [decorators_kind(self.model, node.decorators)]
        if cls is not None:
            kinds += [decorators_kind(self.model, cls.decorators), pytestmark_kind(self.model, cls.body.body)]
        runner_fixtures = catalogue.testing().runner_fixtures
        if any(param.name.value in runner_fixtures for param in node.params.params):
            return MARKED
        return MARKED if MARKED in kinds else UNKNOWN if UNKNOWN in kinds else PLAIN

    def _decide(self) -> None:
        if not self.candidates:
            return
        setup = self.setup
        if setup.unmarked is None or not setup.collects_file(self.context.path):
            return
        if pytestmark_kind(self.model, self.context.module.body) != PLAIN:
            return
        if runs_itself(self.model, self.context.module):
            return
        for node, cls in self.candidates:
            name = node.name.value
            if setup.unmarked == pytest_config.STRICT:
                note = " (a `pytestmark` in conftest.py applies to no test)" if setup.conftest_pytestmark else ""
                message = (
                    f"async test `{name}` has no asyncio marker and pytest-asyncio runs in strict mode "
                    f"({_config_name(setup)}): pytest does not run it{note}; add `@pytest.mark.asyncio`"
                )
                fix = self._fix(node) if self._fixtures_known(node, cls) else None
                self.report(node.name, message, fix)
            else:
                message = (
                    f"async test `{name}` cannot run: the project declares no async test plugin "
                    "(pytest-asyncio, anyio, pytest-trio), and pytest does not run coroutines itself"
                )
                self.report(node.name, message)

    def _fixtures_known(self, node: cst.FunctionDef, cls: cst.ClassDef | None) -> bool:
        """Whether every parameter the test requests is surely a fixture (pytest's own, one of
        the module, its class or a conftest.py pytest_config reads) or a parametrized name: a
        parameter from elsewhere (a plugin's fixture, a typo) may mean the test is not what it
        seems, so the marker is not added blindly."""
        conftest = self.setup.conftest_fixtures
        if conftest is None:
            return False
        known = set(catalogue.testing().builtin_fixtures) | conftest
        for block in (self.context.module.body, cls.body.body if cls is not None else ()):
            for statement in block:
                if isinstance(statement, cst.FunctionDef):
                    known.update(_fixture_names(statement))
        for decorators in (node.decorators, cls.decorators if cls is not None else ()):
            known.update(_parametrized_names(self.model, decorators))
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        if cls is not None and params:
            params = params[1:]  # self
        return all(param.default is not None or param.name.value in known for param in params)

    def _fix(self, node: cst.FunctionDef) -> Fix | None:
        imports = import_statement(self.model, "pytest")
        if imports is None:
            return None
        marker = cst.Decorator(cst.parse_expression("pytest.mark.asyncio"))
        return Fix(
            Applicability.SAFE,
            "mark the test with `@pytest.mark.asyncio`",
            (Edit(node, node.with_changes(decorators=[marker, *node.decorators])),),
            imports,
        )


# -- ASL403 -------------------------------------------------------------------------------------

_ANYIO_OR_TRIO = re.compile(r"(?<![A-Za-z])(anyio|trio)")


class AsyncFixtureInStrictMode(_PytestRule):
    """An async fixture declared with `@pytest.fixture` while pytest-asyncio runs in strict mode.

    ## What it does
    Flags `@pytest.fixture` (with or without arguments) on an `async def` in test files and
    conftest.py when the project declares pytest-asyncio, its mode is strict (the default), and
    nothing suggests the fixture is meant for anyio or trio tests (no such plugin declared, no
    mention of them in the file or its conftest.py files), read as ASL402 reads the configuration.
    As for ASL402, a declared `pytest-*` or `*-pytest` plugin that asynclint does not know, or a
    script-style test module that runs itself with `asyncio.run`, keeps the rule silent.

    ## Why is this bad?
    In strict mode pytest-asyncio only handles fixtures declared with `@pytest_asyncio.fixture`.
    A test requesting the fixture gets a coroutine object (or an async generator) instead of its
    value, and the setup code never runs; recent pytest versions turn this into a warning or an
    error.

    ## Example
    ```python
    import pytest

    @pytest.fixture
    async def client():
        return await connect()
    ```

    ## Use instead
    ```python
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def client():
        return await connect()
    ```

    ## Fix safety
    The fix swaps the decorator for `pytest_asyncio.fixture`, keeping its arguments, and adds
    `import pytest_asyncio` when needed. It is safe: the fixture now provides its value.
    """

    code = "ASL403"
    requires = ("async",)
    name = "async-fixture-in-strict-mode"
    message = "async fixture declared with `@pytest.fixture` under pytest-asyncio's strict mode: it never runs"
    fix = Applicability.SAFE

    valid = (
        Valid(
            "pytest-asyncio-fixture", """
            import pytest_asyncio

            @pytest_asyncio.fixture
            async def client():
                return await connect()
            """,
            path="tests/conftest.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "auto-mode", """
            import pytest

            @pytest.fixture
            async def client():
                return await connect()
            """,
            path="tests/conftest.py", files=(_AUTO_PYPROJECT,),
        ),
        Valid(
            "anyio-project", """
            import pytest

            @pytest.fixture
            def anyio_backend():
                return "asyncio"

            @pytest.fixture
            async def client():
                return await connect()
            """,
            path="tests/conftest.py", files=(_STRICT_PYPROJECT,),
        ),
        Valid(
            "unknown-pytest-plugin-declared", """
            import pytest

            @pytest.fixture
            async def client():
                return await connect()
            """,
            path="tests/conftest.py",
            files=(("pytest.ini", "[pytest]\nasyncio_mode = strict\n"), ("requirements.txt", "pytest\npytest-asyncio\npytest-kiwi-runner\n")),
        ),
        Valid(
            "sync-fixture", """
            import pytest

            @pytest.fixture
            def client():
                return connect()
            """,
            path="tests/conftest.py", files=(_STRICT_PYPROJECT,),
        ),
    )
    invalid = (
        Invalid(
            "conftest-fixtures",
            """
            import pytest

            @pytest.fixture
            async def client():
                return await connect()

            @pytest.fixture(scope="module")
            async def server():
                yield await start()
            """,
            (
                (3, 1, "async fixture declared with `@pytest.fixture` under pytest-asyncio's strict mode: it never runs"),
                (7, 1, "async fixture declared with `@pytest.fixture` under pytest-asyncio's strict mode: it never runs"),
            ),
            fixed="""
            import pytest
            import pytest_asyncio

            @pytest_asyncio.fixture
            async def client():
                return await connect()

            @pytest_asyncio.fixture(scope="module")
            async def server():
                yield await start()
            """,
            path="tests/conftest.py", files=(_STRICT_PYPROJECT,),
        ),
        Invalid(
            "from-import-in-test-file",
            """
            import pytest_asyncio
            from pytest import fixture, mark

            @fixture
            async def client():
                return await connect()

            @mark.asyncio
            async def test_get(client):
                assert await client.get()
            """,
            (
                (4, 1, "async fixture declared with `@pytest.fixture` under pytest-asyncio's strict mode: it never runs"),
            ),
            fixed="""
            import pytest_asyncio
            from pytest import fixture, mark

            @pytest_asyncio.fixture
            async def client():
                return await connect()

            @mark.asyncio
            async def test_get(client):
                assert await client.get()
            """,
            path="tests/test_client.py",
            files=(("pytest.ini", "[pytest]\nasyncio_mode = strict\n"), ("requirements.txt", "pytest\npytest-asyncio\n")),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.candidates: list[cst.Decorator] = []

    def scope_exit(self, scope: Scope) -> None:
        node = scope.node
        if (
            scope.kind is not ScopeKind.FUNCTION
            or not isinstance(node, cst.FunctionDef)  # (a function scope is always a def's)
            or node.asynchronous is None
            or top_level_function(scope) is None
        ):
            return
        fixtures = catalogue.testing().fixture_decorators
        for decorator in node.decorators:
            if self.model.qualified_name(decorator_target(decorator)) in fixtures:
                self.candidates.append(decorator)

    def module_end(self) -> None:
        if not self.candidates:
            return
        setup = self.setup
        path = self.context.path
        if not setup.strict_fixtures or _ANYIO_OR_TRIO.search(self.context.text):
            return
        if runs_itself(self.model, self.context.module):
            return
        if os.path.basename(path) != "conftest.py" and not setup.collects_file(path):
            return
        replacement = cst.parse_expression(catalogue.testing().async_fixture_decorator)
        # The catalogue names it `module.fixture`.
        assert isinstance(replacement, cst.Attribute) and isinstance(replacement.value, cst.Name)
        imports = import_statement(self.model, replacement.value.value)
        for decorator in self.candidates:
            fix = None
            if imports is not None:
                target = decorator_target(decorator)
                fix = Fix(
                    Applicability.SAFE, "declare it with `@pytest_asyncio.fixture`",
                    (Edit(target, replacement),), imports,
                )
            self.report(decorator, fix=fix)


# -- ASL404 -------------------------------------------------------------------------------------


class SyncTestWithCoroutine(_PytestRule):
    """A sync test that returns a coroutine, or is marked `pytest.mark.asyncio`.

    ## What it does
    In files pytest collects, flags a sync test function or method that returns the coroutine of
    a call (`return fetch()` where `fetch` is an `async def` of the project or a library coroutine
    function, resolved as ASL101 resolves calls), and a sync test decorated with
    `@pytest.mark.asyncio`.

    A coroutine dropped as a statement inside a test is reported by ASL101 (in any function), so it
    is not reported here again.

    ## Why is this bad?
    A sync test that returns a coroutine passes without running it (recent pytest versions fail
    instead, with a message about missing async support). `@pytest.mark.asyncio` on a sync test
    does nothing: pytest-asyncio warns about it, and it usually means the test was meant to be
    `async def` and await something.

    ## Example
    ```python
    def test_fetch():
        return fetch()
    ```

    ## Use instead
    ```python
    @pytest.mark.asyncio
    async def test_fetch():
        assert await fetch()
    ```
    """

    code = "ASL404"
    name = "sync-test-with-coroutine"
    message = "sync test that returns a coroutine or is marked `pytest.mark.asyncio`"

    valid = (
        Valid("returns-plain-value", """
            def fetch():
                return 1
            def test_fetch():
                return fetch()
        """, path="test_fetch.py"),
        Valid("not-a-test", """
            async def fetch(): ...
            def make_fetch():
                return fetch()
        """, path="test_fetch.py"),
        Valid("not-a-test-file", """
            async def fetch(): ...
            def test_fetch():
                return fetch()
        """, path="helpers.py"),
        Valid("async-test-marked", """
            import pytest
            @pytest.mark.asyncio
            async def test_fetch():
                assert await fetch()
        """, path="test_fetch.py"),
    )
    invalid = (
        Invalid(
            "returns-coroutine",
            """
            import asyncio

            async def fetch(): ...

            def test_fetch():
                return fetch()

            class TestClient:
                def test_sleep(self):
                    return asyncio.sleep(0)
            """,
            (
                (6, 12, "sync test returns the coroutine of `fetch()` without running it: make the test `async def` and await it"),
                (10, 16, "sync test returns the coroutine of `asyncio.sleep()` without running it: make the test `async def` and await it"),
            ),
            path="tests/test_fetch.py",
        ),
        Invalid(
            "sync-test-marked-asyncio",
            """
            import pytest

            @pytest.mark.asyncio
            def test_fetch():
                assert fetch()
            """,
            (
                (3, 1, "sync test `test_fetch` is marked `pytest.mark.asyncio`, which has no effect on a sync function (pytest-asyncio warns about it): make the test `async def`, or remove the marker"),
            ),
            path="test_fetch.py",
        ),
        Invalid(
            "returns-coroutine-of-another-module",
            """
            from shop.api import fetch

            def test_fetch():
                return fetch()
            """,
            (
                (4, 12, "sync test returns the coroutine of `fetch()` without running it: make the test `async def` and await it"),
            ),
            path="tests/test_api.py",
            files=(("shop/__init__.py", ""), ("shop/api.py", "async def fetch():\n    return 1\n")),
        ),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.calls = context.service(CoroutineCalls)

    def _sync_test(self) -> cst.FunctionDef | None:
        scope = self.model.function_scope()
        if (
            scope is None
            or scope.kind is not ScopeKind.FUNCTION
            or not isinstance(scope.node, cst.FunctionDef)  # (a function scope is always a def's)
            or scope.node.asynchronous is not None
        ):
            return None
        found = top_level_function(scope)
        if found is None or not self.setup.is_test_function(found[0].name.value):
            return None
        if found[1] is not None and not self.setup.is_test_class(found[1].name.value):
            return None
        return found[0] if self.setup.collects_file(self.context.path) else None

    def visit_Return(self, node: cst.Return) -> None:
        value = node.value
        if not isinstance(value, cst.Call) or self._sync_test() is None:
            return
        found = self.calls.classify(value)
        if found is None:
            return
        condition = None if found is KNOWN else found
        if condition is not None and condition.kind == "duck":
            return
        self.report(
            value,
            lambda: (
                f"sync test returns the coroutine of `{callee_text(self.context, value)}()` without "
                "running it: make the test `async def` and await it"
            ),
            condition=condition,
        )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None or not node.decorators:
            return
        markers = catalogue.testing().asyncio_markers
        marked = [d for d in node.decorators if self.model.qualified_name(decorator_target(d)) in markers]
        if not marked:
            return
        scope = self.model.scope  # the function's own scope is pushed before rules visit it
        found = top_level_function(scope) if scope is not None else None
        if found is None:
            return
        setup = self.setup
        cls = found[1]
        if not setup.is_test_function(node.name.value) or not setup.collects_file(self.context.path):
            return
        if cls is not None and not setup.is_test_class(cls.name.value):
            return
        for decorator in marked:
            self.report(
                decorator,
                f"sync test `{node.name.value}` is marked `pytest.mark.asyncio`, which has no effect on a "
                "sync function (pytest-asyncio warns about it): make the test `async def`, or remove the marker",
            )
