"""`github`: GitHub Actions workflow commands, shown as annotations on the pull request.

A notebook's finding is an annotation of the whole file (its lines are JSON, not the cell's
code) with the cell, line and column at the start of its message."""

from __future__ import annotations

from asynclint.output.entries import Entry


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(items: list[Entry]) -> str:
    out = []
    for e in items:
        level = "error" if e.is_error else "warning"
        props = f"title={_property(f'asynclint ({e.code})')},file={_property(e.path)}"
        message = f"{e.code} {e.message}"
        if e.cell is None:
            props += f",line={e.line},col={e.column},endLine={e.end_line},endColumn={e.end_column}"
        else:
            message = f"{e.place}: {message}"
        out.append(f"::{level} {props}::{_data(message)}\n")
    return "".join(out)
