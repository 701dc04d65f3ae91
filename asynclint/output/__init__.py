"""Output formats. Each formatter turns the run's reports into text for stdout."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from asynclint.output import github, gitlab, json_format, junit, pylint, sarif, text
from asynclint.output.entries import Entry, entries
from asynclint.run.runner import FileReport

__all__ = ["Entry", "entries", "render"]


def _formatters(root: Path | None, color: bool) -> dict[str, Callable[[list[Entry]], str]]:
    return {
        "concise": functools.partial(text.concise, color=color),
        "full": functools.partial(text.full, color=color),
        "json": json_format.render,
        "sarif": functools.partial(sarif.render, root=root),
        "github": github.render,
        "gitlab": functools.partial(gitlab.render, root=root),
        "junit": junit.render,
        "pylint": pylint.render,
    }


def render(output_format: str, reports: list[FileReport], root: Path | None = None, color: bool = False) -> str:
    """The reports in a format; `root` is the project root that SARIF and GitLab locations are
    relative to; `color` paints the `concise` and `full` formats for a terminal."""
    return _formatters(root, color)[output_format](entries(reports))
