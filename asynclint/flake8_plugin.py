"""The flake8 front end: the same engine, the same findings, reported through flake8.

flake8 reads the file, applies `# noqa`, select/ignore and its own per-file-ignores. The plugin
also honours `[tool.asynclint]` in the nearest pyproject.toml (rule choice, excludes, rule
options), so a project configured once gets the same findings from `asynclint` and `flake8`.
Options marked `flake8=True` in the options table are registered as `--asynclint-<name>`.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any, ClassVar, Iterator

from asynclint import __version__, deepstack
from asynclint.diagnostics import ErrorKind
from asynclint.engine import lint_text
from asynclint.options import OPTIONS, ConfigError, Settings, load_settings, relative_to_root
from asynclint.discovery import discover
from asynclint.project import ProjectIndex, find_root
from asynclint.runner import Mode, process_file, timeout_error
from asynclint.selection import rules_for
from asynclint.source import TooLarge


class AsyncLintPlugin:
    name = "asynclint"
    version = __version__
    settings: ClassVar[Settings | None] = None
    indexes: ClassVar[dict[Path, ProjectIndex]] = {}
    config_error: ClassVar[str | None] = None

    def __init__(self, tree: ast.AST, lines: list[str], filename: str) -> None:
        # flake8 hands over its ast tree too; the engine works on the same lines with libcst.
        self.lines = lines
        self.filename = filename

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for option in OPTIONS:
            if option.flake8:
                manager.add_option(
                    f"--asynclint-{option.name}",
                    default=None,
                    parse_from_config=True,
                    comma_separated_list=True,
                    help=option.help,
                )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        try:
            settings = load_settings(start=Path.cwd())
            values = {}
            for option in OPTIONS:
                raw = getattr(options, f"asynclint_{option.attr}", None) if option.flake8 else None
                if raw:
                    values[option.name] = list(raw)
            cls.settings = settings.updated(values, "flake8 options")
            cls.config_error = None
        except ConfigError as exc:
            cls.settings, cls.config_error = None, str(exc)

    def _project_index(self, settings: Settings) -> ProjectIndex:
        """The project index, built once per flake8 process from the summary cache (shared with
        the command line) and whatever files it lacks."""
        if self.filename in ("stdin", "-"):
            start = Path.cwd()
        else:
            start = Path(os.path.abspath(self.filename)).parent
        root = settings.root if settings.config_file else find_root(start)
        index = self.indexes.get(root)
        if index is None:
            files = discover([str(root)], settings).files
            reports = [process_file(path, settings, Mode.CHECK, summary_only=True) for path in files]
            index = ProjectIndex((r.summary for r in reports if r.summary), settings.infer_by_method_name)
            self.indexes[root] = index
        return index

    def _excluded(self, settings: Settings) -> bool:
        import pathspec

        spec = pathspec.GitIgnoreSpec.from_lines(settings.exclude + settings.extend_exclude)
        return spec.match_file(relative_to_root(self.filename, settings.root))

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        if self.config_error is not None:
            yield 1, 0, f"ASL000 configuration error: {self.config_error}", type(self)
            return
        settings = self.settings or Settings()
        if self.filename not in ("stdin", "-") and self._excluded(settings):
            return
        rules = rules_for(settings, relative_to_root(self.filename, settings.root))
        index = self._project_index(settings)
        text = "".join(self.lines)
        limit = settings.size_limit()
        if limit is not None and len(text) > limit:  # characters: close enough, and never fewer than bytes
            yield 1, 0, f"{ErrorKind.SKIPPED.code} {TooLarge(len(text), limit)}", type(self)
            return
        try:
            result = deepstack.call(
                lint_text, text, self.filename, settings, rules, noqa=False, index=index,
                timeout=settings.time_limit(),
            )
        except deepstack.Timeout as exc:
            error = timeout_error(exc)
            yield error.line, error.column - 1, f"{error.code} {error.message}", type(self)
            return
        for error in result.errors:
            # Syntax errors never get here (flake8 reports E999 first); internal ones do.
            code = ErrorKind.INTERNAL.code if error.kind is ErrorKind.INTERNAL else error.code
            yield error.line, error.column - 1, f"{code} {error.message}", type(self)
        for finding in result.findings:
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)
