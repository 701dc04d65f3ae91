"""The flake8 front end: the same engine, the same findings, reported through flake8.

flake8 reads the file, applies `# noqa`, select/ignore and its own per-file-ignores. The plugin
also honours `[tool.asynclint]` in the nearest pyproject.toml (rule choice, excludes, rule
options), so a project configured once gets the same findings from `asynclint` and `flake8`.
Options marked `flake8=True` in the options table are registered as `--asynclint-<name>`.
"""

from __future__ import annotations

import ast
import functools
import gc
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from asynclint import __version__
from asynclint.config.discovery import discover
from asynclint.config.options import OPTIONS, ConfigError, Settings, load_settings, relative_to_root
from asynclint.config.roots import find_root
from asynclint.engine import deepstack
from asynclint.engine.diagnostics import ErrorKind
from asynclint.engine.notebook import is_notebook
from asynclint.engine.source import SourceError, TooLarge, read_source
from asynclint.resolve.project import ProjectIndex
from asynclint.run import library_cache
from asynclint.run.runner import FileReport, check_project, timeout_error
from asynclint.run.selection import rules_for

if TYPE_CHECKING:
    from asynclint.lint.walker import LintResult


@dataclass
class _Project:
    index: ProjectIndex
    reports: dict[str, FileReport]  # by absolute path


class AsyncLintPlugin:
    name = "asynclint"
    version = __version__
    settings: ClassVar[Settings | None] = None
    projects: ClassVar[dict[Path, _Project]] = {}
    disable_noqa: ClassVar[bool] = False
    config_error: ClassVar[str | None] = None
    active: ClassVar[bool] = True  # False when flake8's --select leaves no ASL code

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
        cls.disable_noqa = bool(getattr(options, "disable_noqa", False))
        cls.active = _selects_asl(options)
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
            return
        cls._check_ahead(options)

    @classmethod
    def _check_ahead(cls, options: Any) -> None:
        """Check the projects of the paths flake8 was given now, in flake8's main process, with as
        many processes as flake8's --jobs: its workers are forked after this and inherit the
        reports, instead of each checking the whole project again (where workers are spawned,
        they re-run this and find the cache just filled)."""
        if not cls.active or cls.settings is None:
            return
        jobs = getattr(options, "jobs", None)
        count: int | None = 1
        if jobs is not None and getattr(jobs, "is_auto", False):
            count = None  # flake8's default: as many as the work pays for, up to the CPUs
        elif jobs is not None:
            count = max(1, int(getattr(jobs, "n_jobs", 1)))
        for name in getattr(options, "filenames", None) or ["."]:
            if name == "-" or not os.path.exists(name):
                continue
            try:
                _project_of(cls.settings, os.path.abspath(name), jobs=count)
            except ConfigError:
                return  # reported per file by run()
        # The reports and indexes live until flake8 ends: keep them out of the cycle collector's
        # reach, which would otherwise rescan them through all of flake8's own work
        # (measured: a quarter more time for flake8's own checks on a 570k-line corpus).
        gc.collect()
        gc.freeze()

    def _project(self, settings: Settings) -> _Project:
        if self.filename in ("stdin", "-"):
            return _project_of(settings, os.getcwd(), jobs=1)
        path = os.path.abspath(self.filename)
        for project in self.projects.values():  # checked ahead, from a folder flake8 was given
            if path in project.reports:
                return project
        return _project_of(settings, path, jobs=1)

    def _checked(self, project: _Project) -> FileReport | None:
        """The project run's report on this file, if it saw the very text flake8 hands over (and
        flake8 applies `# noqa` the way the runner did)."""
        if self.disable_noqa or self.filename in ("stdin", "-"):
            return None
        report = project.reports.get(os.path.abspath(self.filename))
        if report is None:
            return None
        try:
            text = read_source(self.filename).text
        except SourceError:
            return None
        return report if text == "".join(self.lines) else None

    def _excluded(self, settings: Settings) -> bool:
        import pathspec

        spec = pathspec.GitIgnoreSpec.from_lines(settings.exclude + settings.extend_exclude)
        return spec.match_file(relative_to_root(self.filename, settings.root))

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        if not self.active:
            return
        if self.config_error is not None:
            yield 1, 0, f"ASL000 configuration error: {self.config_error}", type(self)
            return
        if is_notebook(self.filename):
            return  # flake8 reads a notebook's JSON as Python; `asynclint` checks notebooks
        settings = self.settings or Settings()
        if self.filename not in ("stdin", "-") and self._excluded(settings):
            return
        try:
            project = self._project(settings)
        except ConfigError as exc:  # a coverage data file that cannot be read
            yield 1, 0, f"ASL000 configuration error: {exc}", type(self)
            return
        result: FileReport | LintResult | None = self._checked(project)
        if result is None:  # stdin, an edited buffer, or --disable-noqa: check this text
            from asynclint.lint.walker import lint_text

            text = "".join(self.lines)
            limit = settings.size_limit()
            if limit is not None and len(text) > limit:  # characters: close enough, never fewer than bytes
                yield 1, 0, f"{ErrorKind.SKIPPED.code} {TooLarge(len(text), limit)}", type(self)
                return
            rules = rules_for(settings, relative_to_root(self.filename, settings.root))
            libraries = library_cache.attach(settings)
            try:
                result = deepstack.call(
                    lint_text, text, self.filename, settings, rules, noqa=False, index=project.index,
                    timeout=settings.time_limit(),
                )
            except deepstack.Timeout as exc:
                error = timeout_error(exc)
                yield error.line, error.column - 1, f"{error.code} {error.message}", type(self)
                return
            finally:
                if libraries is not None:
                    libraries.save()
        for error in result.errors:
            if error.kind not in (ErrorKind.INTERNAL, ErrorKind.SKIPPED):
                continue  # flake8 reports unreadable and unparsable files itself (E902, E999)
            yield error.line, error.column - 1, f"{error.code} {error.message}", type(self)
        judges = _noqa_judges()
        for finding in result.findings:
            if finding.code in judges:
                continue  # about noqa comments (ASL530): flake8 applies noqa itself, its own way
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)


@functools.cache
def _noqa_judges() -> frozenset[str]:
    """Codes of the rules about noqa comments, which the command line's run (shared with
    flake8's) may have reported."""
    from asynclint.checks import ALL_RULES

    return frozenset(rule.code for rule in ALL_RULES if "judge_noqa" in vars(rule))


def _project_of(settings: Settings, path: str, jobs: int | None) -> _Project:
    """The project holding `path` (a file or a folder), checked as a whole once per flake8
    process through the same runner and cache as the command line: the index, and every file's
    report, so each file flake8 hands over is looked up rather than parsed again."""
    start = Path(path) if os.path.isdir(path) else Path(path).parent
    if settings.config_file and _inside(start, settings.root):
        root = settings.root
    else:  # a file of another project than the configured one: its own root
        root = find_root(start)
        settings = replace(settings, root=root)
    project = AsyncLintPlugin.projects.get(root)
    if project is None:
        files = discover([str(root)], settings).files
        reports, index = check_project(files, settings, jobs=jobs)
        project = _Project(index, {os.path.abspath(r.path): r for r in reports})
        AsyncLintPlugin.projects[root] = project
    return project


def _selects_asl(options: Any) -> bool:
    """Whether flake8 can report any ASL code: not when `--select` names only other codes (as in
    `flake8 --select E,F`), so the plugin costs nothing there. A selected prefix counts both ways:
    `A` and `ASL` select every ASL code, `ASL2` some."""
    chosen = list(getattr(options, "select", None) or [])
    if not chosen:
        return True
    chosen += list(getattr(options, "extend_select", None) or [])
    return any(code.startswith("ASL") or "ASL".startswith(code) for code in chosen)


def _inside(folder: Path, root: Path) -> bool:
    folder = folder.resolve()
    return folder == root or root in folder.parents
