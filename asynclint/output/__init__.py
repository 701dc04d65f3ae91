"""Output formats. Each formatter turns the run's reports into text for stdout."""

from __future__ import annotations

from collections.abc import Callable

from asynclint.output import github, json_format, sarif, text
from asynclint.output.entries import Entry, entries
from asynclint.run.runner import FileReport

__all__ = ["Entry", "entries", "render"]


def _formatters() -> dict[str, Callable[[list[Entry]], str]]:
    return {
        "concise": text.concise,
        "full": text.full,
        "json": json_format.render,
        "sarif": sarif.render,
        "github": github.render,
    }


def render(output_format: str, reports: list[FileReport]) -> str:
    return _formatters()[output_format](entries(reports))
