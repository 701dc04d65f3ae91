"""`--add-noqa`: silence every finding of a checked file with a `# noqa: CODE` comment, so a
legacy codebase can adopt asynclint and be held to it from then on.

The comments go where flake8 reads them (see engine/noqa.py's `add_noqa`); the file is written
through the same atomic writer as --fix, and only when it still holds what was checked. The new
text is checked before it is written: it must still compile (when the old one did) and every
comment must silence what it was added for; otherwise the file is left alone and the run says so.
In a notebook the comments go on the cells' lines (the checked lines are those of its virtual
module, engine/notebook.py), and only the changed cells' sources are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from asynclint.config.options import Settings
from asynclint.engine.diagnostics import ErrorKind, FileError, Finding
from asynclint.engine.noqa import NoqaMap, add_noqa
from asynclint.engine.notebook import NotebookError, is_notebook, read_notebook
from asynclint.engine.source import SourceError, read_source, write_atomically
from asynclint.run.runner import FileReport, read_limit


@dataclass
class Added:
    path: str
    added: int = 0  # findings silenced
    skipped: list[Finding] = field(default_factory=list)  # findings no comment could silence
    error: FileError | None = None


def add_noqa_comments(report: FileReport, settings: Settings) -> Added:
    """Add the comments for one checked file's findings, and write it."""
    done = Added(report.path)
    if not report.findings:
        return done
    try:
        source = read_source(report.path, read_limit(report.path, settings))
    except SourceError as exc:
        done.error = FileError(ErrorKind.IO, str(exc))
        return done
    notebook = None
    code = source.text
    if is_notebook(report.path):
        try:
            notebook = read_notebook(source.text)
        except NotebookError as exc:
            done.error = FileError(ErrorKind.IO, str(exc), exc.line, exc.column)
            return done
        code = notebook.python
    lines = code.splitlines()
    if any(number > len(lines) or lines[number - 1] != text for number, text in report.lines.items()):
        done.error = FileError(ErrorKind.IO, "noqa comments not added: the file changed on disk while it was being checked")
        return done
    pairs = sorted({(f.line, f.code) for f in report.findings})
    new_code, left = add_noqa(code, pairs)
    done.skipped = [f for f in report.findings if (f.line, f.code) in set(left)]
    if new_code == code:
        return done
    silenced = NoqaMap(new_code)
    wrong = [p for p in pairs if p not in left and not silenced.suppresses(*p)]
    from asynclint.lint.fixer import compiles  # loads libcst: only when comments are written

    if wrong or (compiles(code, report.path) and not compiles(new_code, report.path)):
        done.error = FileError(
            ErrorKind.INTERNAL,
            "noqa comments not added: the result would not have silenced the findings or compiled "
            "(this is a bug in asynclint; please report it)",
        )
        return done
    try:
        new_text = new_code if notebook is None else notebook.rebuilt(new_code)[0]
        write_atomically(report.path, source, new_text, within=settings.root)
    except NotebookError as exc:
        done.error = FileError(ErrorKind.INTERNAL, str(exc).replace("not fixed:", "noqa comments not added:", 1))
        return done
    except SourceError as exc:
        done.error = FileError(ErrorKind.IO, str(exc).replace("not fixed:", "noqa comments not added:", 1))
        return done
    done.added = len(report.findings) - len(done.skipped)
    return done
