"""Jupyter notebooks (`.ipynb`): their code cells as one Python module, and the module back.

The code cells, joined in order, make a *virtual module* that the engine checks like any file;
`Notebook.starts` maps its lines back to (cell, line in the cell). The cell number is the cell's
1-based place among all the notebook's cells, markdown included, as ruff numbers them.

Three things make a cell's code differ from the virtual module's, each without moving a line:
- IPython's own syntax (line magics `%time`, shell escapes `!ls` and `x = !ls`, help `obj?`)
  is hidden behind a placeholder comment (`pass` plus the comment when indented, so that a block
  whose only statement was a magic still parses); a cell magic (`%%bash`) hides the whole cell.
  Lines are hidden only when the cell does not parse as written, so valid Python (a `%` at the
  start of a continuation line, a `!` inside a string) is never touched. `%time`, `%timeit` and
  `%prun` run the statement they are given: it stays, after a `pass;` as wide as the magic
  (`pass; f()`), so it is checked at its own columns and can be fixed.
- A cell that does not parse even so is hidden whole and reported as a syntax error at its
  own cell and line; the other cells are checked all the same (a cell that parses alone still
  parses after any other: each one ends with every bracket, string and block closed).
- Top-level `await`, `async for` and `async with` stay: notebooks run their cells in a running
  event loop, and the parsers accept them at module level (the compiler check in --fix is told).

Writing back (`Notebook.rebuilt`) changes the JSON text only inside the `source` values of the
cells whose code changed, each re-serialised in the layout it had (a list of lines or one
string, the same indentation, the same raw JSON for each line kept): key order, indentation,
outputs, metadata and the final newline stay byte for byte. Hidden lines come back as they were.
When a change cannot be placed in the cells with certainty, nothing is written (NotebookError).
"""

from __future__ import annotations

import ast
import bisect
import difflib
import hashlib
import json
import os
import re
import warnings
from dataclasses import dataclass, field

from asynclint.engine.diagnostics import ErrorKind, FileError
from asynclint.engine.source import SourceError
from asynclint.engine.textedits import split_lines

SUFFIX = ".ipynb"


def is_notebook(path: str) -> bool:
    return path.lower().endswith(SUFFIX)


def module_name(path: str) -> str:
    """The project index's name for a notebook: unique per file and no dotted name an import
    can spell (`import analysis` must not resolve to analysis.ipynb, which nothing can import)."""
    absolute = os.path.abspath(path)
    stem = os.path.basename(absolute)[: -len(SUFFIX)].replace(".", "_")
    digest = hashlib.sha256(absolute.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"<notebook:{stem}:{digest}>"


def python_of(path: str, data: bytes) -> bytes:
    """What the cheap name scans (resolve/project.py's `file_names`) read of a file: a
    notebook's code cells one after the other (JSON hides their lines from a line-anchored
    pattern), or the bytes as they are (a Python file, or a notebook that cannot be read)."""
    if not is_notebook(path):
        return data
    try:
        cells = json.loads(data.decode("utf-8-sig"))["cells"]
        return "\n".join(_joined(c.get("source")) or "" for c in cells if c.get("cell_type") == "code").encode("utf-8", "surrogatepass")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return data


class NotebookError(SourceError):
    """The file is not a notebook asynclint can read (or write back); the message says why, and
    the line and column are in the JSON text."""


@dataclass
class _Cell:
    number: int  # 1-based place among all cells
    source: str  # the code as the notebook holds it
    span: tuple[int, int]  # where the `source` value is in the JSON text
    items: list[tuple[str, str]] | None  # a list-form source: each line's (value, raw JSON)


@dataclass
class Notebook:
    text: str  # the notebook's JSON text
    cells: list[_Cell]  # its code cells
    python: str = ""  # the virtual module
    starts: list[tuple[int, int]] = field(default_factory=list)  # (cell number, first virtual line), in order
    errors: list[FileError] = field(default_factory=list)  # cells that do not parse (virtual positions)
    hidden: dict[int, str] = field(default_factory=dict)  # 0-based virtual line -> the cell's own line
    owners: list[int] = field(default_factory=list)  # 0-based virtual line -> index into `cells`
    opaque: set[int] = field(default_factory=set)  # indexes into `cells` of those hidden whole
    # 0-based virtual line -> (what stands for the magic, the magic): `%time f()` as `pass; f()`
    timed: dict[int, tuple[str, str]] = field(default_factory=dict)

    def rebuilt(self, python: str) -> tuple[str, list[str]]:
        """The notebook's JSON text with the virtual module changed to `python`, and each code
        cell's new source. Raises NotebookError when a change cannot be placed with certainty."""
        sources = _split_back(self, python)
        return _spliced(self, sources), sources

    def diff(self, sources: list[str], path: str) -> str:
        """A unified diff per changed cell, named `path:cell N` as ruff names them."""
        out: list[str] = []
        for cell, new in zip(self.cells, sources, strict=True):
            if new != cell.source:
                old_lines = _with_final_newline(split_lines(cell.source))
                new_lines = _with_final_newline(split_lines(new))
                out.extend(difflib.unified_diff(
                    old_lines, new_lines, fromfile=f"a/{path}:cell {cell.number}", tofile=f"b/{path}:cell {cell.number}",
                ))
        return "".join(out)


def _with_final_newline(lines: list[str]) -> list[str]:
    # A cell's last line has no newline; a diff line must end with one.
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    return lines


def locate(starts: list[tuple[int, int]], line: int) -> tuple[int, int]:
    """A virtual module's line as (cell number, line in that cell)."""
    firsts = [first for _, first in starts]
    at = max(bisect.bisect_right(firsts, line) - 1, 0)
    cell, first = starts[at]
    return cell, line - first + 1


# -- reading ------------------------------------------------------------------------------------


def read_notebook(text: str) -> Notebook:
    """The notebook in `text` with its virtual module; NotebookError when it is not one."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not a valid notebook: the file is not JSON ({exc.msg})", exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotebookError("not a valid notebook: the JSON is nested too deeply") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        raise NotebookError("not a valid notebook: no `cells` list at the top (asynclint reads nbformat 4)")
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"not a valid notebook: cell {number} is not an object")
        source = cell.get("source", "")
        if cell.get("cell_type") == "code" and not (
            isinstance(source, str) or (isinstance(source, list) and all(isinstance(s, str) for s in source))
        ):
            raise NotebookError(f"not a valid notebook: the source of cell {number} is neither text nor a list of lines")
    if not _is_python(document.get("metadata")):
        return Notebook(text, [])  # an R or Julia notebook: nothing of it is Python
    notebook = Notebook(text, _code_cells(text, document["cells"]))
    _build(notebook)
    return notebook


def _is_python(metadata: object) -> bool:
    """Whether the notebook's language is Python (or unstated, as in hand-written notebooks)."""
    if not isinstance(metadata, dict):
        return True
    for key, name in (("language_info", "name"), ("kernelspec", "language")):
        info = metadata.get(key)
        if isinstance(info, dict) and isinstance(info.get(name), str):
            return info[name].lower() == "python"
    return True


def _code_cells(text: str, cells: list[dict]) -> list[_Cell]:
    spans = _source_spans(text)
    found = []
    for number, (cell, span) in enumerate(zip(cells, spans, strict=True), start=1):
        if cell.get("cell_type") != "code" or span is None:
            continue  # a code cell with no `source` key has no code to check (nor to fix)
        source = cell["source"]
        start, end = span
        items = _list_items(text, start, end) if isinstance(source, list) else None
        found.append(_Cell(number, "".join(source) if isinstance(source, list) else source, span, items))
    return found


# The JSON text is valid here (json.loads read it): the scan below only finds where things are,
# with the standard library's own decoder for the values it steps over.
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _skip(text: str, at: int) -> int:
    return _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]  # matches the empty string


def _value_end(text: str, at: int) -> int:
    return _DECODER.raw_decode(text, at)[1]


def _object(text: str, at: int) -> dict[str, tuple[int, int]]:
    """Where each member's value is in the object at `at`: key -> (start, end), the last of a
    repeated key (as json.loads keeps it)."""
    members = {}
    at = _skip(text, at + 1)  # past "{"
    while text[at] != "}":
        key, at = json.decoder.scanstring(text, at + 1)  # type: ignore[attr-defined]
        at = _skip(text, _skip(text, at) + 1)  # past ":"
        end = _value_end(text, at)
        members[key] = (at, end)
        at = _skip(text, end)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return members


def _array(text: str, at: int) -> list[tuple[int, int]]:
    """Where each item of the array at `at` is: (start, end)."""
    items = []
    at = _skip(text, at + 1)  # past "["
    while text[at] != "]":
        end = _value_end(text, at)
        items.append((at, end))
        at = _skip(text, end)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return items


def _source_spans(text: str) -> list[tuple[int, int] | None]:
    """For each cell, where its `source` value is in the JSON text (None when it has none)."""
    cells_at, _ = _object(text, _skip(text, 0))["cells"]
    return [_object(text, start).get("source") for start, _ in _array(text, cells_at)]


def _list_items(text: str, start: int, end: int) -> list[tuple[str, str]]:
    items = []
    at = _skip(text, start + 1)
    while text[at] != "]":
        value, after = _DECODER.raw_decode(text, at)
        items.append((value, text[at:after]))
        at = _skip(text, after)
        if text[at] == ",":
            at = _skip(text, at + 1)
    return items


# -- the virtual module ---------------------------------------------------------------------------

_CELL_MAGIC = re.compile(r"\s*%%")
_LINE_MAGIC = re.compile(r"(\s*)(?:[%!]|[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!])")
_HELP = re.compile(r"(\s*)(?:\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")
# Magics that run the Python statement they are given (without options, which need IPython to read)
_TIMED = re.compile(r"[ \t]*%(?:time|timeit|prun)[ \t]+(?![-\s])")


def _timed(line: str) -> str | None:
    """What stands for a `%time f()` line: the statement itself, after `pass;` padded to the
    magic's width (`pass; f()`), so that the code keeps its columns and is checked and fixed."""
    found = _TIMED.match(line)
    if found is None:
        return None
    magic = found.group()
    indent = magic[: len(magic) - len(magic.lstrip(" \t"))]
    return indent + "pass;".ljust(len(magic) - len(indent))


def _placeholder(line: str, number: int, statement: bool = False) -> str:
    """What stands for a hidden line: a comment naming it (unique, so that lines are matched
    back without doubt); with `statement`, after a `pass` where the line is indented, for a
    magic that is all its block holds."""
    indent = line[: len(line) - len(line.lstrip(" \t"))] if statement else ""
    newline = line[len(line.rstrip("\r\n")):]
    return f"{indent}{'pass  ' if indent else ''}# asynclint: hidden line {number}{newline}"


def _parse_error(code: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the parser's warnings about the user's code are not ours
            compile(code, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes; too deep or complex
        return SyntaxError(str(exc) or "the cell is too deeply nested or too complex for CPython's parser")
    return None


def _build(notebook: Notebook) -> None:
    out: list[str] = []
    for index, cell in enumerate(notebook.cells):
        lines = split_lines(cell.source)
        if lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += "\n"  # the next cell starts on a line of its own
        first = len(out)
        if lines:
            notebook.starts.append((cell.number, first + 1))
        shown = list(lines)
        hide: set[int] = set()
        error = None
        if lines and _CELL_MAGIC.match(lines[0]):
            hide = set(range(len(lines)))  # %%bash, %%html...: not Python
        elif (error := _parse_error("".join(lines))) is not None:
            hide = {n for n, line in enumerate(lines) if _LINE_MAGIC.match(line) or _HELP.match(line)}
            timed = {n: stands for n in hide if (stands := _timed(lines[n])) is not None}
            hide -= timed.keys()
            # Comments first; a `pass` only where a magic is all a block holds (a block of just
            # `pass` reads as one that never awaits, say, in `async with asyncio.timeout()`).
            for statement in (False, True) if hide or timed else ():
                shown = [
                    _placeholder(line, first + n + 1, statement) if n in hide
                    else timed[n] + line[len(timed[n]):] if n in timed else line
                    for n, line in enumerate(lines)
                ]
                error = _parse_error("".join(shown))
                if error is None:
                    break
            if error is None:
                for n, stands in timed.items():
                    notebook.timed[first + n] = (stands, lines[n][: len(stands)])
        if error is not None:
            notebook.errors.append(FileError(
                ErrorKind.SYNTAX, f"SyntaxError: {error.msg}", first + (error.lineno or 1), error.offset or 1,
            ))
            hide = set(range(len(lines)))
        if hide and len(hide) == len(lines):  # nothing of the cell is read
            notebook.opaque.add(index)
            shown = [_placeholder(line, first + n + 1) for n, line in enumerate(lines)]
        for n in hide:
            notebook.hidden[first + n] = lines[n]
        out.extend(shown)
        notebook.owners.extend([index] * len(lines))
    notebook.python = "".join(out)


# -- writing back -----------------------------------------------------------------------------


def _split_back(notebook: Notebook, python: str) -> list[str]:
    """Each code cell's source once the virtual module reads `python`.

    The old and new lines are matched (difflib): kept lines stay in their cells; changed or
    added lines go to the cell of the lines they replace, and lines added between two cells to
    the earlier one (an import a fix adds after the imports belongs with them) unless that one is
    hidden whole. A change that spans cells, or touches a hidden line or cell, cannot be placed:
    NotebookError.
    """
    old = split_lines(notebook.python)
    new = split_lines(python)
    placed: list[list[str]] = [[] for _ in notebook.cells]
    last = 0
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i in range(i1, i2):
                owner = notebook.owners[i]
                line = notebook.hidden.get(i, old[i])
                if i in notebook.timed:
                    stands, magic = notebook.timed[i]
                    line = magic + line[len(stands):]
                placed[owner].append(line)
                last = owner
            continue
        if any(i in notebook.hidden for i in range(i1, i2)):
            raise NotebookError("not fixed: a fix would change a line asynclint does not read (an IPython magic or a cell that does not parse)")
        changed = new[j1:j2]
        if any(i in notebook.timed for i in range(i1, i2)):
            changed = _retimed(notebook, i1, i2, changed)
        owners = {notebook.owners[i] for i in range(i1, i2)} or {_insertion_cell(notebook, i1)}
        if len(owners) != 1 or min(owners) < last:
            raise NotebookError("not fixed: a fix would span two cells of the notebook")
        owner = owners.pop()
        if owner in notebook.opaque:  # a cell magic's first line must stay first, for one
            raise NotebookError("not fixed: a fix would add code to a cell asynclint does not read")
        placed[owner].extend(changed)
        last = owner
    sources = []
    for cell, lines in zip(notebook.cells, placed, strict=True):
        source = "".join(lines)
        if not cell.source.endswith(("\n", "\r")) and source.endswith("\n"):
            source = source[:-1]  # the newline that only the virtual module had
        sources.append(source)
    return sources


def _retimed(notebook: Notebook, i1: int, i2: int, changed: list[str]) -> list[str]:
    """Changed lines with their `%time` magics back, when each such line was changed in place
    (a fix inside its statement); NotebookError otherwise."""
    if len(changed) != i2 - i1:
        raise NotebookError("not fixed: a fix would move a line that runs under an IPython magic (`%time`)")
    out = []
    for i, line in zip(range(i1, i2), changed, strict=True):
        if i in notebook.timed:
            stands, magic = notebook.timed[i]
            if not line.startswith(stands):
                raise NotebookError("not fixed: a fix would move a line that runs under an IPython magic (`%time`)")
            line = magic + line[len(stands):]
        out.append(line)
    return out


def _insertion_cell(notebook: Notebook, at: int) -> int:
    """The cell that lines inserted before virtual line `at` go to: the earlier of the two
    around them, unless that one is not read (a cell magic, a broken cell)."""
    before = notebook.owners[at - 1] if at else None
    after = notebook.owners[at] if at < len(notebook.owners) else None
    if before is not None and (before not in notebook.opaque or after is None):
        return before
    if after is not None:
        return after
    raise NotebookError("not fixed: the notebook has no code cell for the fix")


def _ensure_ascii(text: str) -> bool:
    """Whether the notebook writes non-ASCII characters as `\\uXXXX` (nbformat does not)."""
    return text.isascii() and re.search(r"\\u[0-9a-fA-F]{4}", text) is not None


def _serialised(cell: _Cell, source: str, text: str, ascii_only: bool) -> str:
    start, end = cell.span
    if cell.items is None:
        return json.dumps(source, ensure_ascii=ascii_only)
    raw = {value: item for value, item in cell.items}  # the lines kept keep their JSON as written
    items = [raw.get(line) or json.dumps(line, ensure_ascii=ascii_only) for line in split_lines(source)]
    if not items:
        return "[]"
    old = text[start:end]
    opening = old[1: len(old) - len(old[1:].lstrip(" \t\r\n"))]
    closing = old[len(old[:-1].rstrip(" \t\r\n")): -1]
    if cell.items and "\n" not in opening:
        return "[" + ", ".join(items) + "]"  # written on one line
    if not cell.items:  # `[]` before: lay the lines out as nbformat does, one more level in
        line_start = text.rfind("\n", 0, start) + 1
        indent = text[line_start: line_start + len(text[line_start:]) - len(text[line_start:].lstrip(" \t"))]
        unit = _indent_unit(text)
        opening, closing = "\n" + indent + unit, "\n" + indent
    return "[" + opening + ("," + opening).join(items) + closing + "]"


def _indent_unit(text: str) -> str:
    second = text.split("\n", 2)[1] if text.count("\n") >= 1 else ""
    unit = second[: len(second) - len(second.lstrip(" \t"))]
    return unit or " "


def _spliced(notebook: Notebook, sources: list[str]) -> str:
    """The JSON text with the changed cells' sources replaced, everything else as it was."""
    text = notebook.text
    ascii_only = _ensure_ascii(text)
    pieces, at = [], 0
    for cell, source in zip(notebook.cells, sources, strict=True):
        if source == cell.source:
            continue
        start, end = cell.span
        pieces += [text[at:start], _serialised(cell, source, text, ascii_only)]
        at = end
    pieces.append(text[at:])
    new_text = "".join(pieces)
    # What is written must read back as meant: the same notebook with the new sources.
    try:
        cells = json.loads(new_text)["cells"]
        faithful = all(_joined(cells[cell.number - 1].get("source")) == source for cell, source in zip(notebook.cells, sources, strict=True))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        faithful = False
    if not faithful:
        raise NotebookError("not fixed: the notebook could not be written back faithfully (this is a bug in asynclint; please report it)")
    return new_text


def _joined(source: object) -> str | None:
    return "".join(source) if isinstance(source, list) else source if isinstance(source, str) else None
