"""ASL4xx on whole projects: pytest's configuration read statically from every source, a fixture
project in strict and auto mode, opt-in selection, and ASL405 judged by references and by real
coverage data."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from asynclint.config import pytest_config
from asynclint.config.options import Settings
from asynclint.config.pytest_config import MISSING, STRICT
from asynclint.run.selection import rules_for
from tests.conftest import FIXTURES


def _project(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    pytest_config.locate.cache_clear()
    pytest_config.setup_for.cache_clear()
    pytest_config.declared_dependencies.cache_clear()
    pytest_config.read_conftest.cache_clear()
    pytest_config._toml_version.cache_clear()
    pytest_config._ini_version.cache_clear()
    return pytest_config.setup_for_file(str(root / "tests" / "test_x.py"))


STRICT_DEPS = {"requirements.txt": "pytest\npytest-asyncio\n"}


@pytest.mark.parametrize(
    ("files", "config", "unmarked"),
    [
        pytest.param({"pytest.toml": "[pytest]\nasyncio_mode = 'strict'\n", **STRICT_DEPS}, "pytest.toml", STRICT, id="pytest-toml"),
        pytest.param({".pytest.ini": "[pytest]\n", **STRICT_DEPS}, ".pytest.ini", STRICT, id="dot-pytest-ini"),
        pytest.param({"pyproject.toml": "[tool.pytest]\nasyncio_mode = 'auto'\n", **STRICT_DEPS}, "pyproject.toml", None, id="tool-pytest-native-auto"),
        pytest.param({"setup.cfg": "[tool:pytest]\nasyncio_mode = auto\n", **STRICT_DEPS}, "setup.cfg", None, id="setup-cfg-auto"),
        pytest.param({"tox.ini": "[pytest]\n", "setup.cfg": "[tool:pytest]\nasyncio_mode = auto\n", **STRICT_DEPS}, "tox.ini", STRICT, id="tox-ini-before-setup-cfg"),
        pytest.param(
            {"pytest.ini": "[pytest]\naddopts = --asyncio-mode=auto\n", "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'strict'\n", **STRICT_DEPS},
            "pytest.ini", None, id="pytest-ini-wins-over-pyproject",
        ),
        pytest.param({"pyproject.toml": "[project]\nname = 'x'\n", **STRICT_DEPS}, "pyproject.toml", STRICT, id="pyproject-without-table-is-the-fallback"),
        pytest.param(
            {"pyproject.toml": "[tool.poetry.group.test.dependencies]\npytest = '*'\npytest-asyncio = '*'\n[tool.pytest.ini_options]\n"},
            "pyproject.toml", STRICT, id="poetry-groups",
        ),
        pytest.param(
            {"pyproject.toml": "[dependency-groups]\ndev = ['pytest', 'pytest-asyncio==0.18.3']\n[tool.pytest.ini_options]\n"},
            "pyproject.toml", None, id="old-pytest-asyncio-was-not-strict-by-default",
        ),
        pytest.param(
            {"pyproject.toml": "[dependency-groups]\ndev = ['pytest']\n[tool.pytest.ini_options]\n"},
            "pyproject.toml", MISSING, id="no-async-plugin",
        ),
        pytest.param(
            {"pyproject.toml": "[dependency-groups]\ndev = ['pytest']\n[tool.pytest.ini_options]\n", "noxfile.py": "session.install('pytest-asyncio')\n"},
            "pyproject.toml", STRICT, id="plugin-installed-by-nox-counts",
        ),
        pytest.param({"pytest.ini": "[pytest]\n"}, "pytest.ini", None, id="dependencies-unknown"),
        pytest.param({"pytest.ini": "[pytest\n", **STRICT_DEPS}, None, None, id="unreadable-config"),
        pytest.param({"pytest.ini": "[pytest]\naddopts = -p myplugin\n", **STRICT_DEPS}, "pytest.ini", None, id="unknown-plugin-in-addopts"),
        pytest.param({"pytest.ini": "[pytest]\ntrio_mode = true\n", **STRICT_DEPS}, "pytest.ini", None, id="trio-mode"),
        pytest.param({"pyproject.toml": "[tool.pytest.ini_options]\nanyio_mode = 'auto'\n", **STRICT_DEPS}, "pyproject.toml", None, id="anyio-auto-mode"),
        pytest.param(
            {"pytest.ini": "[pytest]\n", "tox.ini": "[testenv]\ncommands = pytest --asyncio-mode=auto\n", **STRICT_DEPS},
            "pytest.ini", None, id="mode-on-a-command-line-elsewhere",
        ),
        pytest.param(
            {"pytest.ini": "[pytest]\n", "tests/conftest.py": "pytest_plugins = ['aiohttp.pytest_plugin']\n", **STRICT_DEPS},
            "pytest.ini", None, id="unknown-plugin-in-conftest",
        ),
        pytest.param(
            {"pytest.ini": "[pytest]\n", "conftest.py": "def pytest_pyfunc_call(pyfuncitem):\n    pass\n", **STRICT_DEPS},
            "pytest.ini", None, id="hook-in-root-conftest",
        ),
        pytest.param(
            {"pytest.ini": "[pytest]\n", "requirements.txt": "pytest\npytest-aiohttp\n"},
            "pytest.ini", None, id="plugin-running-unmarked-tests",
        ),
    ],
)
def test_config_sources(tmp_path, files, config, unmarked):
    setup = _project(tmp_path, files)
    assert (setup.config.name if setup.config else None) == config
    assert setup.unmarked == unmarked


def test_odd_config_values_are_no_traceback(tmp_path):
    setup = _project(tmp_path, {
        "pyproject.toml": """
            tool = 3
            project = {optional-dependencies = ["pytest"], dependencies = "pytest-asyncio"}
            dependency-groups = []
        """,
        "pytest.ini": "[pytest]\npython_files =\naddopts = '-p\n",
        "tests/conftest.py": "def broken(:\n",
    })
    assert setup.unmarked is None and setup.python_files == ("test_*.py", "*_test.py")
    setup = _project(tmp_path / "b", {
        "pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = ['auto']\ntestpaths = {a = 1}\naddopts = 3\n",
        "requirements.txt": "pytest\npytest-asyncio\n",
    })
    assert setup.unmarked is None and setup.testpaths == ()


def test_collection_patterns_come_from_the_config(tmp_path):
    setup = _project(tmp_path, {
        "pytest.ini": "[pytest]\npython_files = check_*.py\npython_classes = *Suite\npython_functions = check\ntestpaths = tests\n",
        **STRICT_DEPS,
    })
    assert setup.collects_file(str(tmp_path / "tests" / "check_api.py"))
    assert not setup.collects_file(str(tmp_path / "tests" / "test_api.py"))
    assert not setup.collects_file(str(tmp_path / "other" / "check_api.py"))  # outside testpaths
    assert setup.is_test_class("ApiSuite") and not setup.is_test_class("TestApi")
    assert setup.is_test_function("check_it") and not setup.is_test_function("test_it")


def test_conftest_is_never_executed(tmp_path):
    marker = tmp_path / "ran"
    setup = _project(tmp_path, {
        "pytest.ini": "[pytest]\n",
        "tests/conftest.py": f"open({str(marker)!r}, 'w').write('ran')\npytestmark = __import__('pytest').mark.asyncio\n",
        **STRICT_DEPS,
    })
    assert not marker.exists()
    assert setup.unmarked == STRICT and setup.conftest_pytestmark


# -- the fixture project, in strict and auto mode -----------------------------------------------

COMMON = [
    ("shop/api.py", 14, 11, "ASL405"),  # cancel: no test names it
    ("shop/api.py", 20, 15, "ASL405"),  # Cart.checkout
    ("tests/test_api.py", 19, 12, "ASL404"),
    ("tests/test_api.py", 23, 15, "ASL401"),
]
STRICT_ONLY = [("tests/conftest.py", 6, 1, "ASL403"), ("tests/test_api.py", 9, 11, "ASL402")]


def _cli(project, *args):
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", "--no-cache", "--output-format", "json", *args],
        cwd=project, capture_output=True, text=True,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return sorted(
        (f["filename"], f["location"]["row"], f["location"]["column"], f["code"]) for f in json.loads(proc.stdout)
    )


def _shop(tmp_path, mode="strict"):
    """The fixture project (strict mode), or the same in auto mode."""
    project = tmp_path / mode
    shutil.copytree(FIXTURES / "shop_tests", project)
    auto = project / "auto-mode.pyproject.toml"
    if mode == "auto":
        auto.replace(project / "pyproject.toml")
    else:
        auto.unlink()
    return project


@pytest.mark.parametrize(("mode", "expected"), [("strict", sorted(COMMON + STRICT_ONLY)), ("auto", COMMON)])
def test_fixture_project(tmp_path, mode, expected):
    assert _cli(_shop(tmp_path, mode), ".") == expected


def test_fix_marks_tests_and_swaps_fixture_decorators(tmp_path):
    project = _shop(tmp_path)
    subprocess.run([sys.executable, "-m", "asynclint", "--jobs", "1", "--no-cache", "--fix", "."], cwd=project, capture_output=True)
    test = (project / "tests" / "test_api.py").read_text()
    assert "@pytest.mark.asyncio\nasync def test_fetch():" in test
    assert "class CartTest(unittest.IsolatedAsyncioTestCase):" in test
    conftest = (project / "tests" / "conftest.py").read_text()
    assert "import pytest\nimport pytest_asyncio\n" in conftest and "@pytest_asyncio.fixture\nasync def cart" in conftest
    # What remains has no fix: the sync test returning a coroutine, the untested functions.
    assert [code for *_, code in _cli(project, ".")] == ["ASL405", "ASL405", "ASL404"]


def test_asl405_is_opt_in():
    def codes(**options):
        return {rule.code for rule in rules_for(Settings(**options), "x.py")}

    assert "ASL405" not in codes()
    assert "ASL405" not in codes(select=("ALL",))
    assert "ASL405" not in codes(select=("ASL4",))
    assert "ASL405" in codes(extend_select=("ASL405",))
    assert "ASL405" not in codes(extend_select=("ASL405",), ignore=("ASL405",))
    assert {"ASL401", "ASL402", "ASL403", "ASL404"} <= codes()


# -- ASL405 with real coverage data -------------------------------------------------------------

E2E = {
    "pyproject.toml": """
        [project]
        name = "shop"
        version = "0.1.0"
        optional-dependencies = {test = ["pytest", "pytest-asyncio"]}

        [tool.pytest.ini_options]
        asyncio_mode = "auto"

        [tool.asynclint]
        extend-select = ["ASL405"]
    """,
    "shop/__init__.py": "",
    "shop/api.py": """
        import asyncio


        async def fetch(order_id):
            return await load(order_id)


        async def load(order_id):
            await asyncio.sleep(0)
            return order_id


        async def cancel(order):
            await asyncio.sleep(0)
            return None


        class Cart:
            async def checkout(self):
                await asyncio.sleep(0)
                return 1
    """,
    "tests/test_api.py": """
        from shop.api import cancel, fetch


        async def test_fetch():
            assert await fetch(1) == 1


        def test_cancel_exists():
            assert callable(cancel)
    """,
}
BY_REFERENCE = [("shop/api.py", 8, 11, "ASL405"), ("shop/api.py", 19, 15, "ASL405")]  # load, Cart.checkout
BY_COVERAGE = [("shop/api.py", 13, 11, "ASL405"), ("shop/api.py", 19, 15, "ASL405")]  # cancel, Cart.checkout


@pytest.mark.slow
def test_asl405_with_and_without_coverage_data(tmp_path):
    pytest.importorskip("coverage")
    pytest.importorskip("pytest_asyncio")
    _project(tmp_path, E2E)
    proc = subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / ".coverage").is_file()

    assert _cli(tmp_path, ".") == BY_COVERAGE
    out = subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", "--no-cache", "."], cwd=tmp_path, capture_output=True, text=True,
    ).stdout
    assert "`cancel` is never executed by the tests (coverage data in .coverage)" in out

    (tmp_path / ".coverage").rename(tmp_path / "cov.data")
    assert _cli(tmp_path, ".") == BY_REFERENCE
    assert _cli(tmp_path, "--coverage-file", "cov.data", ".") == BY_COVERAGE

    (tmp_path / "broken.data").write_text("not a database")
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", "--no-cache", "--coverage-file", "broken.data", "."],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "cannot read coverage data" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "asynclint", "--jobs", "1", "--coverage-file", "missing.data", "."],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert proc.returncode == 2 and "missing.data: no such file" in proc.stderr


def test_missing_coverage_module_is_a_clear_error(tmp_path, monkeypatch):
    from asynclint.resolve.coverage_evidence import evidence_for
    from asynclint.config.options import ConfigError

    (tmp_path / ".coverage").write_text("")
    monkeypatch.setitem(sys.modules, "coverage", None)  # as if coverage.py were not installed
    with pytest.raises(ConfigError, match=r"needs coverage.py \(pip install 'asynclint\[coverage\]'\)"):
        evidence_for(Settings(root=tmp_path))


@pytest.mark.slow
def test_flake8_reports_asl405_like_the_cli(tmp_path):
    project = _shop(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "--format", "%(path)s:%(row)d:%(col)d: %(code)s", "."],
        cwd=project, capture_output=True, text=True,
    )
    got = sorted(
        (path.removeprefix("./"), int(row), int(col), code.strip())
        for path, row, col, code in (line.split(":", 3) for line in proc.stdout.splitlines())
    )
    assert got == sorted(COMMON + STRICT_ONLY)


def test_a_config_file_is_read_again_once_it_changes(tmp_path):
    # Config files are read once per version, for every folder below them: an edit is seen.
    _project(tmp_path, {"pyproject.toml": "[tool.pytest.ini_options]\nasyncio_mode = 'auto'\n"})
    first = pytest_config.locate(tmp_path / "a")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\nasyncio_mode = 'strict'  # now\n")
    pytest_config.locate.cache_clear()  # the per-folder answer, as a new run starts with
    second = pytest_config.locate(tmp_path / "a")
    assert first[1]["asyncio_mode"] == "auto" and second[1]["asyncio_mode"] == "strict"
