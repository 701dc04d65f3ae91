"""What a check produces: findings, their fixes, and errors that stopped a file from being checked."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    import libcst as cst

# One place for the docs link every finding carries (JSON, SARIF helpUri, `asynclint rule`).
DOCS_URL = "https://github.com/asynclint/asynclint/blob/main/docs/rules/{code}.md"


class Applicability(enum.Enum):
    """How safe a fix is to apply without a human reading it (ruff's grading)."""

    SAFE = "safe"  # keeps the program's meaning apart from removing the bug
    UNSAFE = "unsafe"  # may change behaviour beyond the bug; opt in with --unsafe-fixes


Replacement = Union["cst.CSTNode", "cst.FlattenSentinel", "cst.RemovalSentinel"]


@dataclass(frozen=True)
class Edit:
    """Replace one node of the parsed module (compared by identity) with another."""

    target: cst.CSTNode
    replacement: Replacement


@dataclass(frozen=True)
class ModuleStatement:
    """A top-level statement a fix needs, inserted after the imports unless `name` is bound already."""

    name: str
    code: str


@dataclass(frozen=True)
class TextEdit:
    """A fix's change as text: replace `line:column` up to `end_line:end_column` (1-based, in
    characters, the end excluded) with `content`. Plain data: it survives the cache and the
    trip back from a worker process, which the node edits do not."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    description: str
    edits: tuple[Edit, ...]
    module_statements: tuple[ModuleStatement, ...] = ()
    # Names bound by a module-level `import x` (or `import x as y`) that the fix may leave unused:
    # the import goes too when nothing in the module names them any more.
    unused_imports: tuple[str, ...] = ()
    # The same change as text edits against the checked text, in order and not overlapping;
    # filled in when the finding is detached (the node edits are then gone).
    text_edits: tuple[TextEdit, ...] = ()


def is_applicable(fix: Fix | None, unsafe: bool) -> bool:
    """Whether --fix applies `fix` (unsafe fixes only with --unsafe-fixes)."""
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


@dataclass
class Finding:
    code: str
    name: str
    message: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    end_line: int
    end_column: int
    fix: Fix | None = field(default=None, compare=False)
    # The line a noqa comment for this finding goes on (or is on): its own line, or the line
    # a multi-line string or a backslash continuation ends on; 0 when not worked out.
    noqa_row: int = field(default=0, compare=False)

    def detached(self, text_edits: tuple[TextEdit, ...] | None = None) -> Finding:
        """A copy without the fix's tree nodes: small, and safe to send to another process. It
        keeps the fix's `text_edits` (or those given)."""
        if self.fix is None:
            return self
        kept = self.fix.text_edits if text_edits is None else text_edits
        fix = Fix(self.fix.applicability, self.fix.description, (), text_edits=kept)
        return replace(self, fix=fix)

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line, self.column, self.code)

    @property
    def url(self) -> str:
        return DOCS_URL.format(code=self.code)


class ErrorKind(enum.Enum):
    """Why a file could not be (fully) checked. The codes mirror flake8's own where flake8 has one."""

    IO = ("E902", "io-error")
    SYNTAX = ("E999", "syntax-error")
    INTERNAL = ("ASL000", "internal-error")
    SKIPPED = ("ASL001", "file-skipped")  # over max-file-size or per-file-timeout: a limit, not a bug

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]


@dataclass
class FileError:
    kind: ErrorKind
    message: str
    line: int = 1
    column: int = 1

    @property
    def code(self) -> str:
        return self.kind.code


def internal_error(exc: BaseException, what: str = "internal error") -> FileError:
    """A bug of asynclint met while checking a file, worded for a bug report."""
    return FileError(ErrorKind.INTERNAL, f"{what}: {type(exc).__name__}: {exc} (this is a bug in asynclint; please report it)")
