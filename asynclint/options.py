"""The one options table: it feeds the command line, `[tool.asynclint]` and flake8's options.

Every option is declared once here with its kind, default and help. `Settings` is the resolved,
immutable result that is passed explicitly to the engine and every rule (no global state).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import pathspec

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
OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _codes(value: Any, where: str) -> tuple[str, ...]:
    from asynclint.checks import ALL_RULES  # late: the rules import this module's Settings

    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes, got {value!r}")
    known = [rule.code for rule in ALL_RULES]
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
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    return value


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    patterns = _strings(value, where)
    try:
        pathspec.GitIgnoreSpec.from_lines(patterns)
    except Exception as exc:  # pathspec raises several types for malformed patterns
        raise ConfigError(f"{where}: invalid pattern: {exc}") from None
    return patterns


def _dotted_names(value: Any, where: str) -> tuple[str, ...]:
    names = _strings(value, where)
    for name in names:
        if not _DOTTED.match(name):
            raise ConfigError(f"{where}: {name!r} is not a dotted name like 'package.module.function'")
    return names


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


def _limit(value: Any, where: str) -> float:
    """A non-negative number (from TOML, or a string on the command line); 0 means no limit."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or value == float("inf"):
        raise ConfigError(f"{where}: expected a number >= 0 (0 for no limit), got {value!r}")
    return float(value)


def _choice(choices: tuple[str, ...]) -> Callable[[Any, str], str]:
    def parse(value: Any, where: str) -> str:
        if value not in choices:
            raise ConfigError(f"{where}: expected one of {', '.join(choices)}, got {value!r}")
        return value

    return parse


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
    Option("output-format", _choice(OUTPUT_FORMATS), "How findings are printed.", "FORMAT"),
    Option("unsafe-fixes", _bool, "Also apply fixes that may change behaviour beyond the bug.", flag=True),
    Option("show-fixes", _bool, "List the fixes applied by --fix.", flag=True),
    Option(
        "infer-by-method-name", _bool,
        "ASL101: also take `x.m()` on a receiver of unknown type for a coroutine when the project "
        "defines `m` only as `async def` (imprecise on real code; off by default).",
    ),
    Option("cache-dir", _string, "Folder for the cache, relative to the project root; empty for none.", "DIR"),
    Option(
        "per-file-timeout", _limit,
        "Seconds one file may take; a file that takes longer is reported (ASL001) and skipped, "
        "so one pathological file cannot hang a run. 0 for no limit.",
        "SECONDS",
    ),
    Option(
        "max-file-size", _limit,
        "Size in megabytes above which a file is reported (ASL001) and skipped rather than "
        "parsed (libcst needs about 800 bytes of memory per byte of source). 0 for no limit.",
        "MB",
    ),
    Option(
        "extend-task-spawners", _dotted_names,
        "Dotted names of project or library functions that return a task the caller must keep "
        "(ASL301/ASL302).",
        "NAMES", flake8=True,
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
    infer_by_method_name: bool = False
    cache_dir: str = ".asynclint_cache"  # empty: no cache
    per_file_timeout: float = 60.0  # seconds; 0: no limit
    max_file_size: float = 2.0  # megabytes; 0: no limit
    root: Path = field(default_factory=Path.cwd)  # paths in patterns are relative to this folder
    config_file: Path | None = None

    def time_limit(self) -> float | None:
        return self.per_file_timeout or None

    def size_limit(self) -> int | None:
        return int(self.max_file_size * 1_000_000) or None

    def cache_folder(self) -> Path | None:
        return self.root / self.cache_dir if self.cache_dir else None

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


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start` that has a [tool.asynclint] table."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = _read_toml(candidate)
            except ConfigError:
                raise
            if "asynclint" in data.get("tool", {}):
                return candidate
    return None


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_settings(config: Path | None = None, start: Path | None = None) -> Settings:
    """Settings from an explicit config file, or the nearest pyproject.toml with [tool.asynclint]."""
    if config is None:
        config = find_config(start or Path.cwd())
        if config is None:
            return Settings(root=(start or Path.cwd()).resolve())
    data = _read_toml(config)
    table = data.get("tool", {}).get("asynclint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{config}: [tool.asynclint] must be a table")
    settings = Settings(root=config.resolve().parent, config_file=config)
    return settings.updated(table, f"{config} [tool.asynclint]")


def relative_to_root(path: str | os.PathLike, root: Path) -> str:
    """The posix path of `path` relative to `root` when inside it, else as given."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()
