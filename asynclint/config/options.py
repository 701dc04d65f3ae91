"""The one options table: it feeds the command line, `[tool.asynclint]` and flake8's options.

Every option is declared once here with its kind, default and help. `Settings` is the resolved,
immutable result that is passed explicitly to the engine and every rule (no global state).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asynclint.config.patterns import compile_patterns

if TYPE_CHECKING:
    from asynclint.config.async_library import ProjectLibrary

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(Exception):
    """A bad option name or value; the message names the option and where it came from."""


DEFAULT_EXCLUDE = (
    ".asynclint_cache", ".bzr", ".direnv", ".eggs", ".git", ".hg", ".mypy_cache", ".nox",
    ".pants.d", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv", "__pypackages__", "_build",
    "buck-out", "build", "dist", "node_modules", "site-packages", "venv",
)
OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab", "junit", "pylint")
_TARGET_MINORS = range(7, 15)  # Python 3.7 ... 3.14
TARGET_VERSIONS = tuple(f"py3{minor}" for minor in _TARGET_MINORS)
DEFAULT_TARGET_VERSION = "py310"
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _codes(value: Any, where: str) -> tuple[str, ...]:
    from asynclint.config.codes import CODES  # plain data: importing the rules would load libcst

    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes, got {value!r}")
    known = list(CODES)
    for code in value:
        if code != "ALL" and not any(k.startswith(code) for k in known):
            hint = difflib.get_close_matches(code, known, n=1)
            extra = f" (did you mean {hint[0]}?)" if hint else ""
            raise ConfigError(f"{where}: unknown rule code or prefix {code!r}{extra}")
    return tuple(value)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _string(value: Any, where: str) -> str:
    if isinstance(value, list) and len(value) == 1:  # flake8 hands over every value as a list
        value = value[0]
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if "\0" in value:  # no file name can hold one: refuse it here, not in the OS call later
        raise ConfigError(f"{where}: a NUL character is not allowed, got {value!r}")
    return value


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    patterns = _strings(value, where)
    try:
        compile_patterns(patterns)
    except Exception as exc:  # noqa: BLE001 - pathspec raises several types for malformed patterns
        raise ConfigError(f"{where}: invalid pattern: {exc}") from None
    return patterns


def _dotted_names(value: Any, where: str) -> tuple[str, ...]:
    names = _strings(value, where)
    for name in names:
        if not _DOTTED.match(name):
            raise ConfigError(f"{where}: {name!r} is not a dotted name like 'package.module.function'")
    return names


BLOCKING_CATEGORIES = ("sleep", "http", "subprocess", "file", "network", "database", "console", "threads")


def _blocking_calls(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """`{"pkg.fetch" = "http"}` in TOML, "pkg.fetch=http,pkg.Client.query=database" elsewhere."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):  # flake8's form
        value = ",".join(value)
    if isinstance(value, str):
        pairs = {}
        for part in (p for p in re.split(r"[\s,]+", value) if p):
            name, sep, category = part.partition("=")
            if not sep:
                raise ConfigError(f"{where}: expected 'dotted.name=category', got {part!r}")
            pairs[name] = category
        value = pairs
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of dotted name = category, got {value!r}")
    for name, category in value.items():
        if not _DOTTED.match(name):
            raise ConfigError(f"{where}: {name!r} is not a dotted name like 'package.module.function'")
        if category not in BLOCKING_CATEGORIES:
            raise ConfigError(
                f"{where}: {name!r}: unknown category {category!r}; expected one of {', '.join(BLOCKING_CATEGORIES)}"
            )
    return tuple(value.items())


def _per_file_ignores(value: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if isinstance(value, (str, list)):
        # Command line / flake8 form: "pattern:CODE,CODE pattern2:CODE".
        entries = value if isinstance(value, list) else re.split(r"\s+", value.strip())
        mapping: dict[str, Any] = {}
        for entry in entries:
            if not entry:
                continue
            pattern, sep, codes = entry.rpartition(":")
            if not sep or not pattern:
                raise ConfigError(f"{where}: expected 'pattern:CODES', got {entry!r}")
            mapping[pattern] = codes
        value = mapping
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of pattern = [codes], got {value!r}")
    return tuple(
        (_patterns([pattern], f"{where}.{pattern}")[0], _codes(codes, f"{where}.{pattern!r}"))
        for pattern, codes in value.items()
    )


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


_LIMIT_MAX = 1e9  # megabytes or seconds: beyond any real file or wait, and still an int once scaled


def _limit(value: Any, where: str) -> float:
    """A non-negative number (from TOML, or a string on the command line); 0 means no limit."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= _LIMIT_MAX:
        raise ConfigError(f"{where}: expected a number from 0 to {_LIMIT_MAX:g} (0 for no limit), got {value!r}")
    return float(value)


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def parse(value: Any, where: str) -> str:
        if value not in choices:
            raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    return parse


def _target_version(value: Any, where: str) -> str:
    if isinstance(value, list) and len(value) == 1:  # flake8 hands over a comma-separated list
        value = value[0]
    return _choice(TARGET_VERSIONS)(value, where)


def version_of(target: str) -> tuple[int, int]:
    """`"py312"` -> (3, 12)."""
    return 3, int(target[3:])


_REQUIRES = re.compile(r"(>=|~=|==|>)\s*(\d+)\.(\d+)")


def target_from_requires(requires: Any) -> str | None:
    """The oldest Python a `requires-python` specifier allows, as a target version (`">=3.11"` ->
    `"py311"`); None when it names no lower bound we know."""
    if not isinstance(requires, str):
        return None
    bounds = []
    for op, major, minor in _REQUIRES.findall(requires):
        minor = int(minor) if major == "3" else (0 if int(major) < 3 else 99)
        bounds.append(minor + 1 if op == ">" else minor)
    if not bounds:
        return None
    oldest = max(bounds)  # several clauses (">=3.9,>3.10") narrow the range
    return f"py3{min(max(oldest, _TARGET_MINORS[0]), _TARGET_MINORS[-1])}"


@dataclass(frozen=True)
class Option:
    name: str  # kebab-case: the pyproject key and the long command-line flag
    parse: Callable[[Any, str], Any]
    help: str
    metavar: str = ""
    flag: bool = False  # a command-line switch without a value
    flake8: bool = False  # also registered as `--asynclint-<name>` in flake8 (rule behaviour)

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


OPTIONS: tuple[Option, ...] = (
    Option("select", _codes, "Rule codes or prefixes to enable (default: all ASL rules).", "CODES"),
    Option("ignore", _codes, "Rule codes or prefixes to disable.", "CODES"),
    Option("extend-select", _codes, "Rule codes or prefixes to enable on top of `select`.", "CODES"),
    Option(
        "per-file-ignores", _per_file_ignores,
        "Codes to ignore in files matching a pattern: 'tests/*:ASL302'.", "PATTERN:CODES",
    ),
    Option("exclude", _patterns, "Gitignore-style patterns of paths to skip (replaces the defaults).", "PATTERNS"),
    Option("extend-exclude", _patterns, "Patterns of paths to skip on top of `exclude`.", "PATTERNS"),
    Option("respect-gitignore", _bool, "Skip files that .gitignore files ignore (default: true)."),
    Option("output-format", _choice(OUTPUT_FORMATS), "How findings are printed: " + ", ".join(OUTPUT_FORMATS) + ".", "FORMAT"),
    Option("unsafe-fixes", _bool, "Also apply fixes that may change behaviour beyond the bug.", flag=True),
    Option("show-fixes", _bool, "List the fixes applied by --fix.", flag=True),
    Option(
        "infer-by-method-name", _bool,
        "ASL101: also take `x.m()` on a receiver of unknown type for a coroutine when the project "
        "defines `m` only as `async def` (imprecise on real code; off by default).",
    ),
    Option(
        "target-version", _target_version,
        "The oldest Python the checked code supports (py37 ... py314), for the deprecated and "
        "removed APIs of ASL509. Default: the lower bound of `requires-python` in the project's "
        "pyproject.toml, else py310.",
        "VERSION", flake8=True,
    ),
    Option(
        "python", _string,
        "The Python environment whose installed packages' declarations are read (an interpreter or "
        "an environment folder, relative to the project root). Default: VIRTUAL_ENV, then .venv "
        "at the project root, then the interpreter running asynclint.",
        "PATH", flake8=True,
    ),
    Option(
        "cache-dir", _string,
        "Folder for the cache, relative to the project root (on the command line or in ASYNCLINT_CACHE_DIR: "
        "to the current folder); empty for none.", "DIR",
    ),
    Option(
        "per-file-timeout", _limit,
        "Seconds one file may take; a file that takes longer is reported (ASL001) and skipped, "
        "so one pathological file cannot hang a run. 0 for no limit.",
        "SECONDS",
    ),
    Option(
        "max-file-size", _limit,
        "Size in megabytes above which a file is reported (ASL001) and skipped rather than "
        "parsed (libcst needs about 800 bytes of memory per byte of source); for a notebook, the "
        "size of its code cells (the file, outputs included, may be 50 times as large). 0 for no limit.",
        "MB",
    ),
    Option(
        "extend-task-spawners", _dotted_names,
        "Dotted names of project or library functions that return a task the caller must keep "
        "(ASL301/ASL302).",
        "NAMES", flake8=True,
    ),
    Option(
        "coverage-file", _string,
        "ASL405: coverage.py data file to judge by, relative to the project root (default: "
        "`.coverage` there when it exists; without one, references from test modules are used).",
        "FILE", flake8=True,
    ),
    Option(
        "extend-blocking-calls", _blocking_calls,
        "Blocking calls to flag in coroutines (ASL201-ASL208), each with its category (sleep, http, "
        "subprocess, file, network, database, console, threads): a function "
        "'pkg.fetch=http', or a method of a class 'pkg.Client.query=database'.",
        "NAME=CATEGORY", flake8=True,
    ),
)
OPTIONS_BY_NAME = {option.name: option for option in OPTIONS}


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("ASL",)
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    output_format: str = "concise"
    unsafe_fixes: bool = False
    show_fixes: bool = False
    extend_task_spawners: tuple[str, ...] = ()
    extend_blocking_calls: tuple[tuple[str, str], ...] = ()
    infer_by_method_name: bool = False
    coverage_file: str = ""
    target_version: str = DEFAULT_TARGET_VERSION
    python: str = ""  # empty: found as asynclint/knowledge/environment.py says
    cache_dir: str = ".asynclint_cache"  # empty: no cache
    # Whether cache-dir came from the user (command line, environment) rather than from a file of
    # the repository: only the user may put the cache outside the project (see cache.py).
    cache_dir_from_user: bool = False
    per_file_timeout: float = 60.0  # seconds; 0: no limit
    max_file_size: float = 2.0  # megabytes; 0: no limit
    root: Path = field(default_factory=Path.cwd)  # paths in patterns are relative to this folder
    config_file: Path | None = None

    @property
    def target(self) -> tuple[int, int]:
        return version_of(self.target_version)

    @functools.cached_property
    def async_library(self) -> ProjectLibrary:
        """The async library the project at `root` declares it runs on (config/async_library.py):
        read once per settings, so a run's files, its cache key and its workers agree, and a copy
        with another root (`replace(settings, root=...)`) reads that project's own."""
        from asynclint.config.async_library import project_library

        return project_library(self.root)

    def time_limit(self) -> float | None:
        return self.per_file_timeout or None

    def size_limit(self) -> int | None:
        return int(self.max_file_size * 1_000_000) or None

    def cache_folder(self) -> Path | None:
        """Where cache-dir points (not yet vetted: asynclint/run/cache.py's `cache_root` decides)."""
        return Path(os.path.join(self.root, self.cache_dir)) if self.cache_dir else None

    def updated(self, values: dict[str, Any], where: str) -> Settings:
        """A copy with `values` (option name -> raw value) parsed and applied; unknown names fail."""
        changes = {}
        for name, raw in values.items():
            option = OPTIONS_BY_NAME.get(name)
            if option is None:
                hint = difflib.get_close_matches(name, OPTIONS_BY_NAME, n=1)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ConfigError(f"{where}: unknown option {name!r}{extra}")
            changes[option.attr] = option.parse(raw, f"{where}: {name}")
        return replace(self, **changes)


def _pyprojects(start: Path) -> Iterator[Path]:
    """The pyproject.toml files at and above `start`, nearest first."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            yield candidate


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.asynclint] table."""
    for nearest, candidate in enumerate(_pyprojects(start)):
        try:
            tool = _tool_table(candidate, candidate.stat().st_mtime_ns)
        except ConfigError as exc:
            if nearest == 0:
                raise  # the project's own pyproject.toml: a broken one is the user's to fix
            # A folder above the project (a home folder, a parent checkout) is not ours to
            # judge: say so and look further up.
            print(f"asynclint: warning: {exc}; ignoring it", file=sys.stderr)
            continue
        if "asynclint" in tool:
            return candidate
    return None


@functools.lru_cache(maxsize=256)
def _tool_table(path: Path, mtime: int) -> dict:
    """The `[tool]` table of a pyproject.toml, read once per version of the file (every folder
    of a run asks for its nearest config)."""
    return _table(_read_toml(path), "tool", path)


def _table(data: dict, key: str, path: Path) -> dict:
    """`data[key]` when it is a table (empty when missing); a ConfigError otherwise."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: `{key}` must be a table, got {value!r}")
    return value


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def _project_root(start: Path) -> Path | None:
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "pyproject.toml").is_file() or (folder / "setup.cfg").is_file():
            return folder
    return None


def load_settings(config: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from an explicit config file, or the nearest pyproject.toml with [tool.asynclint]."""
    if config is None:
        config = find_config(start or Path.cwd())
        if config is None:
            # Patterns given on the command line (pre-commit's `args:`) are relative to the
            # project root: the folder of the nearest pyproject.toml or setup.cfg, else the
            # current folder, never the folder of the first file given.
            root = _project_root(start or Path.cwd()) or Path.cwd().resolve()
            return Settings(root=root, target_version=_inferred_target(root))
    data = _read_toml(config)
    table = _table(data, "tool", config).get("asynclint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{config}: [tool.asynclint] must be a table")
    root = config.resolve().parent
    target = target_from_requires(_table(data, "project", config).get("requires-python")) or DEFAULT_TARGET_VERSION
    settings = Settings(root=root, config_file=config, target_version=target)
    return settings.updated(table, f"{config} [tool.asynclint]")


def _inferred_target(start: Path) -> str:
    """The target version from `requires-python` of the nearest pyproject.toml (only that one:
    a folder above it belongs to another project)."""
    for candidate in _pyprojects(start):
        try:
            data = _read_toml(candidate)
        except ConfigError:
            return DEFAULT_TARGET_VERSION  # not ours to complain about when it is not our config
        project = data.get("project", {})
        return target_from_requires(project.get("requires-python") if isinstance(project, dict) else None) or DEFAULT_TARGET_VERSION
    return DEFAULT_TARGET_VERSION


def relative_to_root(path: str | os.PathLike, root: Path) -> str:
    """The posix path of `path` relative to `root` when inside it, else as given."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()
