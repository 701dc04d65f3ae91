"""How pytest would treat a project's async tests, read statically from its files.

Nothing is imported or run, conftest.py included: the config file is found the way pytest finds
it (going up from the test's folder: pytest.toml, .pytest.toml, pytest.ini, .pytest.ini,
pyproject.toml with a `[tool.pytest]` or `[tool.pytest.ini_options]` table, tox.ini with
`[pytest]`, setup.cfg with `[tool:pytest]`), dependencies are read from the project's own
declarations (pyproject tables, requirements*.txt, setup.cfg, tox.ini), and conftest.py files
are parsed with `ast`.

The answer is deliberately three-valued. ASL402/ASL403 report only when the setup is clear:
pytest-asyncio declared and in strict mode, or no async plugin declared anywhere while pytest
itself is. Anything that might run or mark tests another way (a conftest hook, an unknown plugin
in `pytest_plugins` or `-p`, `asyncio-mode` set outside the config file, a plugin that runs
unmarked tests) makes the answer "unknown", and the rules stay silent.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import functools
import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from asynclint.config.roots import find_root
from asynclint.knowledge import catalogue

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

STRICT = "strict"  # pytest-asyncio in strict mode: unmarked async tests do not run
MISSING = "missing"  # no async test plugin declared: no async test runs at all

_DEFAULT_FILES = ("test_*.py", "*_test.py")
_DEFAULT_CLASSES = ("Test",)
_DEFAULT_FUNCTIONS = ("test",)
# Files that may set the asyncio mode, pass `-p plugin` or install plugins outside the config.
_RUN_FILES = ("tox.ini", "noxfile.py", "Makefile", "setup.py", "Pipfile", "environment.yml", "environment.yaml", "hatch.toml")
_MODE_ON_COMMAND_LINE = re.compile(r"--asyncio-mode")  # in tox.ini, noxfile.py, CI workflows...
_MODE_IN_CODE = re.compile(r"asyncio[-_]mode")  # a conftest.py setting it
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;#]*)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class PytestSetup:
    """What the project's pytest setup means for the async tests of one folder."""

    config: Path | None  # the config file pytest would read, None when there is none
    python_files: tuple[str, ...] = _DEFAULT_FILES
    python_classes: tuple[str, ...] = _DEFAULT_CLASSES
    python_functions: tuple[str, ...] = _DEFAULT_FUNCTIONS
    testpaths: tuple[Path, ...] = ()
    unmarked: str | None = None  # STRICT, MISSING, or None (they may run, or nobody can tell)
    strict_fixtures: bool = False  # async `@pytest.fixture`s are not run (pytest-asyncio strict)
    conftest_pytestmark: bool = False  # a conftest.py sets an asyncio `pytestmark` (no effect)
    # Fixtures the folder's conftest.py files define; None when one of them cannot be read.
    conftest_fixtures: frozenset[str] | None = frozenset()

    def collects_file(self, path: str) -> bool:
        name = os.path.basename(path)
        if name == "conftest.py" or not any(fnmatch.fnmatch(name, p) for p in self.python_files):
            return False
        if self.testpaths:
            absolute = Path(os.path.abspath(path))
            return any(absolute == p or p in absolute.parents for p in self.testpaths)
        return True

    def is_test_class(self, name: str) -> bool:
        return _matches(name, self.python_classes)

    def is_test_function(self, name: str) -> bool:
        return _matches(name, self.python_functions)


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    # pytest's rule: a pattern with glob characters is matched as a glob, otherwise as a prefix.
    return any(
        fnmatch.fnmatch(name, p) if any(c in p for c in "*?[") else name.startswith(p) for p in patterns
    )


# -- reading config files -------------------------------------------------------------------------


class Unreadable(Exception):
    """A file that pytest would read but we cannot: the answer becomes unknown."""


def _version(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None  # the read says why
    return status.st_mtime_ns, status.st_size


# Every folder's setup reads the config files above it: in a project of a thousand folders the
# same pyproject.toml would be parsed a thousand times (measured on Home Assistant: 5% of a run).
# Each file is read once per version; what is read is never modified.
def _toml(path: Path) -> dict:
    return _toml_version(path, _version(path))


def _ini(path: Path) -> configparser.ConfigParser:
    return _ini_version(path, _version(path))


@functools.lru_cache(maxsize=64)
def _toml_version(path: Path, version: tuple[int, int] | None) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Unreadable(str(exc)) from None


@functools.lru_cache(maxsize=64)
def _ini_version(path: Path, version: tuple[int, int] | None) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise Unreadable(str(exc)) from None
    return parser


def _ini_section(path: Path, section: str, always: bool = False) -> dict | None:
    parser = _ini(path)
    if parser.has_section(section):
        return dict(parser.items(section))
    return {} if always else None


def _toml_table(path: Path, pyproject: bool) -> dict | None:
    document = _toml(path)
    if not pyproject:
        table = document.get("pytest")
        return table if isinstance(table, dict) else {}
    tool = _table(document, "tool").get("pytest")
    if not isinstance(tool, dict):
        return None
    values = {k: v for k, v in tool.items() if k != "ini_options"}
    ini = tool.get("ini_options")
    if isinstance(ini, dict):
        values.update(ini)
    return values


_LOADERS = (
    ("pytest.toml", lambda p: _toml_table(p, False)),
    (".pytest.toml", lambda p: _toml_table(p, False)),
    ("pytest.ini", lambda p: _ini_section(p, "pytest", always=True)),
    (".pytest.ini", lambda p: _ini_section(p, "pytest", always=True)),
    ("pyproject.toml", lambda p: _toml_table(p, True)),
    ("tox.ini", lambda p: _ini_section(p, "pytest")),
    ("setup.cfg", lambda p: _ini_section(p, "tool:pytest")),
)


@functools.lru_cache(maxsize=256)
def locate(folder: Path) -> tuple[Path | None, dict]:
    """The config file pytest reads when run on `folder`, and its options (pytest's order; a
    pyproject.toml without a pytest table is the fallback, with no options)."""
    fallback = None
    for base in (folder, *folder.parents):
        for name, loader in _LOADERS:
            candidate = base / name
            if candidate.is_file():
                if name == "pyproject.toml" and fallback is None:
                    fallback = candidate
                values = loader(candidate)
                if values is not None:
                    return candidate, values
    return fallback, {}


def _words(value) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, str):
        return tuple(value.split())
    return ()


def _args(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError:
            raise Unreadable("addopts") from None
    return []


# -- dependencies -----------------------------------------------------------------------------------


# How a project depends on a declared distribution: installing the project installs it
# (RUNTIME), an extra of it does (EXTRA: `optional-dependencies`, `extras_require`), or only its
# development does (DEVELOPMENT: dependency groups, dev and test requirements, tool environments,
# and extras named like `test` or `dev`, which projects use for the same).
RUNTIME, EXTRA, DEVELOPMENT = "runtime", "extra", "development"
_DEVELOPMENT_EXTRAS = re.compile(r"^(tests?|testing|dev|develop|development|ci|lint|typing|docs?)$", re.IGNORECASE)
# Requirements files at the root that list what the application itself runs with.
_RUNTIME_REQUIREMENTS = ("requirements.txt", "requirements.in")


@dataclass
class Declared:
    names: set[str]  # normalised distribution names found in parsed declarations
    versions: dict[str, str]  # name -> its version specifier (as written)
    text: str  # every dependency and run file's text, for mentions in formats not parsed
    # RUNTIME, EXTRA, DEVELOPMENT -> the names declared that way (a name may be in several)
    tiers: dict[str, set[str]] = field(default_factory=lambda: {RUNTIME: set(), EXTRA: set(), DEVELOPMENT: set()})
    unreadable: list[str] = field(default_factory=list)  # declaration files that could not be read, and why


def _add(name: str, spec: str, tier: str, declared: Declared) -> None:
    name = normalise(name)
    declared.names.add(name)
    declared.versions.setdefault(name, spec)
    declared.tiers[tier].add(name)


def _requirement(line: str, declared: Declared, tier: str) -> None:
    match = _REQUIREMENT.match(line)
    if match and not line.lstrip().startswith(("-", "#")):
        _add(match.group(1), match.group(3).strip(), tier, declared)


def _table(data, *keys) -> dict:
    """`data[k1][k2]...` when every level is a table, else an empty table (configs can be odd)."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _extra_tier(name: object) -> str:
    return DEVELOPMENT if isinstance(name, str) and _DEVELOPMENT_EXTRAS.match(name) else EXTRA


def _pyproject_dependencies(data: dict, declared: Declared) -> None:
    project = _table(data, "project")
    tool = _table(data, "tool")
    groups = [(project.get("dependencies"), RUNTIME), (_table(tool, "uv").get("dev-dependencies"), DEVELOPMENT)]
    groups += [(g, _extra_tier(name)) for name, g in _table(project, "optional-dependencies").items()]
    groups += [(g, DEVELOPMENT) for g in _table(data, "dependency-groups").values()]
    groups += [(g, DEVELOPMENT) for g in _table(tool, "pdm", "dev-dependencies").values()]
    for env in _table(tool, "hatch", "envs").values():
        if isinstance(env, dict):
            groups += [(env.get("dependencies"), DEVELOPMENT), (env.get("extra-dependencies"), DEVELOPMENT)]
    for group, tier in groups:
        if isinstance(group, list):
            for item in group:
                if isinstance(item, str):  # not `{include-group = "test"}` (PEP 735)
                    _requirement(item, declared, tier)
    poetry = _table(tool, "poetry")
    tables = [(_table(poetry, "dependencies"), RUNTIME), (_table(poetry, "dev-dependencies"), DEVELOPMENT)]
    tables += [(_table(g, "dependencies"), DEVELOPMENT) for g in _table(poetry, "group").values()]
    for table, tier in tables:
        for name, spec in table.items():
            if name.lower() == "python" and tier == RUNTIME:
                continue  # Poetry's way of saying requires-python
            # `aiohttp = { version = "^3", optional = true }`: installed by an extra only
            optional = isinstance(spec, dict) and spec.get("optional") is True
            _add(name, spec if isinstance(spec, str) else "", EXTRA if optional else tier, declared)


def _text(path: Path, declared: Declared, declares: bool = True) -> str:
    """The file's text; "" when it cannot be read, noted when it is a declaration of dependencies
    (not a run file that is only searched for mentions)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        if declares:
            declared.unreadable.append(f"{path.name}: {exc.strerror or exc}")
        return ""


def _requirements_file(path: Path, declared: Declared, seen: set[Path], tier: str) -> None:
    try:
        path = path.resolve()
    except (OSError, RuntimeError) as exc:  # a link loop (RuntimeError before Python 3.13)
        declared.unreadable.append(f"{path.name}: {exc}")
        return
    if path in seen or len(seen) > 50:
        return
    seen.add(path)
    if not path.is_file():
        return
    text = _text(path, declared)
    declared.text += text
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(("-r", "-c", "--requirement", "--constraint")):
            parts = stripped.split(None, 1)
            if len(parts) == 2:
                # a constraints file pins versions; it installs nothing
                included_tier = tier if stripped.startswith(("-r", "--requirement")) else DEVELOPMENT
                _requirements_file(path.parent / parts[1].strip(), declared, seen, included_tier)
        else:
            _requirement(stripped, declared, tier)


def read_declared(root: Path) -> Declared:
    """What the project at `root` declares it depends on, read now (see `declared_dependencies`
    for a run's cached copy)."""
    declared = Declared(set(), {}, "")
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = _toml(pyproject)
        except Unreadable as exc:
            declared.unreadable.append(f"pyproject.toml: {exc}")
            data = {}
        _pyproject_dependencies(data, declared)
        declared.text += _text(pyproject, declared, declares=False)  # its parse above says when it cannot be read
    setup_cfg = root / "setup.cfg"
    if setup_cfg.is_file():
        try:
            parser = _ini(setup_cfg)
        except Unreadable as exc:
            declared.unreadable.append(f"setup.cfg: {exc}")
            parser = None
        if parser is not None:
            chunks = []
            if parser.has_option("options", "install_requires"):
                chunks.append((parser.get("options", "install_requires"), RUNTIME))
            if parser.has_option("options", "tests_require"):
                chunks.append((parser.get("options", "tests_require"), DEVELOPMENT))
            if parser.has_section("options.extras_require"):
                chunks += [(v, _extra_tier(k)) for k, v in parser.items("options.extras_require")]
            for chunk, tier in chunks:
                for line in chunk.splitlines():
                    _requirement(line, declared, tier)
        declared.text += _text(setup_cfg, declared, declares=False)  # its parse above says when it cannot be read
    seen: set[Path] = set()
    # The application's own requirements first: a file they include is what it runs with too.
    for name in _RUNTIME_REQUIREMENTS:
        _requirements_file(root / name, declared, seen, RUNTIME)
    candidates = sorted(root.glob("*requirements*.txt")) + sorted(root.glob("requirements*/*.txt"))
    candidates += sorted(root.glob("*requirements*.in")) + sorted(root.glob("requirements*/*.in"))
    for path in candidates:
        _requirements_file(path, declared, seen, DEVELOPMENT)
    for name in _RUN_FILES:
        path = root / name
        if path.is_file():
            declared.text += _text(path, declared, declares=False)
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        for path in sorted(workflows.glob("*.y*ml")):
            declared.text += _text(path, declared, declares=False)
    return declared


# pytest's setup of every folder reads the same declarations: once per root and process.
declared_dependencies = functools.lru_cache(maxsize=64)(read_declared)


def unknown_distributions(declared: Declared) -> set[str]:
    """Declared distributions that look like pytest plugins (`pytest-*`, `*-pytest`) and that the
    catalogue does not know: any of them may run coroutines its own way."""
    known = catalogue.testing().known_distributions
    return {
        name for name in declared.names
        if (name.startswith("pytest-") or name.endswith("-pytest")) and name not in known
    }


def _upper_bound_below(spec: str, limit: tuple[int, ...]) -> bool:
    """Whether a version specifier caps the version below `limit` (e.g. `==0.18.3`, `<0.19`)."""
    for operator, version in re.findall(r"(===|==|<=|<|~=)\s*([0-9][0-9.]*)", spec):
        parts = tuple(int(p) for p in version.strip(".").split(".") if p.isdigit())
        if operator == "<" and parts <= limit:
            return True
        if operator != "<" and parts < limit:
            return True
    return False


# -- conftest.py --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conftest:
    hooks: bool = False  # defines a hook through which it may run or mark tests
    plugins: frozenset[str] = frozenset()  # `pytest_plugins` entries
    unknown_plugins: bool = False  # `pytest_plugins` not a literal
    asyncio_pytestmark: bool = False
    mentions_mode: bool = False  # sets the asyncio mode itself
    mentions_anyio_or_trio: bool = False
    fixtures: frozenset[str] = frozenset()  # names of the fixtures it defines at top level


def _strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        found = []
        for element in node.elts:
            inner = _strings(element)
            if inner is None:
                return None
            found += inner
        return found
    return None


@functools.lru_cache(maxsize=256)
def read_conftest(path: Path) -> Conftest | None:
    """What a conftest.py says, from its syntax alone; None when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    cat = catalogue.testing()
    hooks = unknown = mark = False
    plugins: list[str] = []
    fixtures: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in cat.hooks:
            hooks = True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            fixtures += fixture_names(node)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        value = getattr(node, "value", None)
        for target in targets:
            if isinstance(target, ast.Name) and target.id == "pytest_plugins" and value is not None:
                found = _strings(value)
                if found is None:
                    unknown = True
                else:
                    plugins += found
            if isinstance(target, ast.Name) and target.id == "pytestmark" and value is not None:
                mark = mark or "asyncio" in ast.unparse(value)
    return Conftest(
        hooks=hooks,
        plugins=frozenset(plugins),
        unknown_plugins=unknown,
        asyncio_pytestmark=mark,
        mentions_mode=bool(_MODE_IN_CODE.search(text)),
        mentions_anyio_or_trio=bool(re.search(r"(?<![A-Za-z])(anyio|trio)", text)),
        fixtures=frozenset(fixtures),
    )


def fixture_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The fixture names a function defines, when a decorator spelled `...fixture` marks it one
    (`@pytest.fixture`, `@pytest_asyncio.fixture(name="db")`)."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        spelled = target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""
        if not spelled.endswith("fixture"):
            continue
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "name" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    return [keyword.value.value]
        return [node.name]
    return []


def _conftests(top: Path, folder: Path) -> list[Path]:
    """conftest.py files pytest loads for tests in `folder`: from `top` down to `folder`."""
    chain = [folder, *folder.parents]
    chain = chain[:chain.index(top) + 1] if top in chain else [folder]
    return [d / "conftest.py" for d in reversed(chain) if (d / "conftest.py").is_file()]


# -- putting it together --------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def setup_for(folder: Path) -> PytestSetup:
    """The setup for test files in `folder` (absolute)."""
    try:
        return _setup(folder)
    except Unreadable:
        return PytestSetup(None)


def setup_for_file(path: str) -> PytestSetup:
    return setup_for(Path(os.path.abspath(path)).parent)


def _setup(folder: Path) -> PytestSetup:
    cat = catalogue.testing()
    config, values = locate(folder)
    top = config.parent if config is not None else find_root(folder)
    base = PytestSetup(
        config,
        _words(values.get("python_files")) or _DEFAULT_FILES,
        _words(values.get("python_classes")) or _DEFAULT_CLASSES,
        _words(values.get("python_functions")) or _DEFAULT_FUNCTIONS,
        tuple((top / p).resolve() for p in _words(values.get("testpaths"))),
    )
    conftests = [read_conftest(p) for p in _conftests(top, folder)]
    read = [c for c in conftests if c is not None]
    fixtures = None if len(read) < len(conftests) else frozenset(n for c in read for n in c.fixtures)
    base = _with(base, conftest_fixtures=fixtures)
    pytestmark = any(c is not None and c.asyncio_pytestmark for c in conftests)
    if config is None or any(c is None or c.hooks or c.unknown_plugins or c.mentions_mode for c in conftests):
        return base
    plugins = {p for c in conftests for p in c.plugins}  # type: ignore[union-attr]
    if plugins - cat.known_plugins:
        return base  # a plugin we do not know may run async tests its own way
    args = _args(values.get("addopts"))
    mode = values.get("asyncio_mode")
    for n, arg in enumerate(args):
        if arg == "-p" or arg.startswith("-p"):
            name = arg[2:] or (args[n + 1] if n + 1 < len(args) else "")
            if name and not name.startswith("no:") and name not in cat.known_plugins:
                return base
        if arg.startswith("--asyncio-mode"):
            mode = arg.partition("=")[2] or (args[n + 1] if n + 1 < len(args) else None)
    if any(str(values.get(option, "")).lower() in ("true", "1", "yes", "auto") for option in cat.auto_mode_options):
        return base  # trio or anyio runs every async test
    root = find_root(top)
    declared = declared_dependencies(root)
    text = declared.text.lower()
    if any(runner.lower() in text for runner in cat.unmarked_runners):
        return base
    if unknown_distributions(declared):
        return base  # a plugin we do not know may run async tests its own way
    if mode is None and _MODE_ON_COMMAND_LINE.search(text):
        return base  # the mode may be set on a command line we cannot see
    asyncio_plugin = cat.asyncio_plugin
    has_asyncio = (
        asyncio_plugin in declared.names
        or "pytest_asyncio" in plugins
        or asyncio_plugin in text
        or "pytest_asyncio" in text
    )
    anyio_or_trio = any(p in declared.names for p in cat.marker_plugins) or any(
        c.mentions_anyio_or_trio for c in conftests if c is not None
    )
    if has_asyncio:
        spec = declared.versions.get(asyncio_plugin, "")
        if mode is None and _upper_bound_below(spec, (0, 19)):
            return base  # before 0.19 the default mode was not strict
        if (mode or STRICT) != STRICT:
            return base
        return _with(base, unmarked=STRICT, strict_fixtures=not anyio_or_trio, conftest_pytestmark=pytestmark)
    if mode is not None or "pytest" not in declared.names or plugins:
        return base  # a mode without the plugin, or test dependencies we cannot see
    if any(plugin in text for plugin in cat.marker_plugins):
        return base  # anyio or trio around: the project may mean its tests for them
    return _with(base, unmarked=MISSING, conftest_pytestmark=pytestmark)


def _with(base: PytestSetup, **changes) -> PytestSetup:
    from dataclasses import replace

    return replace(base, **changes)
