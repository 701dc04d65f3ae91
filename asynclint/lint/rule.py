"""How a rule is declared: code, stable name, message, fix applicability, and its own examples.

A rule is one class. Its docstring is its documentation page (sections in ruff's order); its
`valid` and `invalid` examples are run as tests and rendered into `docs/rules/<code>.md`, so adding
a rule touches one module. Rules subscribe to node types with libcst's naming (`visit_Call`,
`leave_FunctionDef`); the engine calls every rule from one traversal.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, TypeVar

import libcst as cst

from asynclint.engine.diagnostics import Applicability, Finding, Fix

if TYPE_CHECKING:
    from libcst.metadata import CodeRange

    from asynclint.engine.noqa import NoqaMap
    from asynclint.engine.positions import Whole
    from asynclint.engine.semantic import Scope
    from asynclint.lint.context import FileContext
    from asynclint.resolve.names import Ref

T = TypeVar("T")
Lazy: TypeAlias = T | Callable[[], T]  # a value, or a function that makes it when it is needed

CODE_RE = re.compile(r"^ASL[1-5][0-9]{2}$")
NAME_RE = re.compile(r"^[a-z]+(-[a-z]+)*$")


def _dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def _dedent_files(files: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, _dedent(text)) for name, text in files)


@dataclass(frozen=True)
class Valid:
    """Code the rule must stay silent on. `id` names the case in test output.

    `path` is the example's file name in a project of its own; `files` are the other files of that
    project ((relative path, text) pairs), for rules that read the project's configuration or tests;
    `options` are `[tool.asynclint]` values the example is checked with (say
    `{"target-version": "py312"}`).
    """

    id: str
    code: str
    path: str = "example.py"
    files: tuple[tuple[str, str], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _dedent(self.code))
        object.__setattr__(self, "files", _dedent_files(self.files))


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag with exactly `findings`: (line, column, message) each, line and
    column 1-based, the message as the user reads it.

    `fixed` is the whole file after `asynclint --fix --unsafe-fixes`; None when the rule offers no
    fix for this case.
    """

    id: str
    code: str
    findings: tuple[tuple[int, int, str], ...]
    fixed: str | None = None
    path: str = "example.py"
    files: tuple[tuple[str, str], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _dedent(self.code))
        object.__setattr__(self, "files", _dedent_files(self.files))
        if self.fixed is not None:
            object.__setattr__(self, "fixed", _dedent(self.fixed))
        for finding in self.findings:  # every finding names its message too
            if not (
                isinstance(finding, tuple) and len(finding) == 3
                and isinstance(finding[0], int) and isinstance(finding[1], int)
                and isinstance(finding[2], str) and finding[2]
            ):
                raise TypeError(f"example {self.id}: a finding is (line, column, message), not {finding!r}")


@dataclass
class NoqaUse:
    """What a file's `# noqa` comments did once every other finding was made: the input of a
    rule about the comments themselves (see `Rule.judge_noqa`)."""

    noqa: NoqaMap  # its `used` says which comment and code silenced a finding
    enabled: frozenset[str]  # codes of the rules run on the file
    pending: frozenset[str]  # codes of findings that wait for the project index: undecided
    # Filled by the rule: where the nodes its fixes replace are (as LintResult has them).
    positions: dict[int, CodeRange] = field(default_factory=dict)
    whole: dict[int, Whole] = field(default_factory=dict)
    # Set by the rule when it said nothing of a code because of `pending`: the file must then be
    # checked again with the project index, even if the index confirms none of its conditions.
    doubt: bool = False


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]  # stable kebab-case name, used in docs, JSON and SARIF
    message: ClassVar[str]  # the default message; a report may pass a more specific one
    fix: ClassVar[Applicability | None] = None  # the best fix it offers, None when it has none
    # Opt-in rules run only when `select` or `extend-select` names their exact code (a prefix
    # such as `ASL5` or `ALL` is not enough): checks that are useful to some projects and noise
    # to others.
    opt_in: ClassVar[bool] = False
    # Words the file's text must all contain for the rule to have anything to find (a rule that
    # reports only inside an `async def` requires "async"): a file without them skips the rule's
    # walk altogether. Only what is certain belongs here; `tests/test_engine.py` checks that
    # leaving it out changes no finding on real code.
    requires: ClassVar[tuple[str, ...]] = ()
    valid: ClassVar[tuple[Valid, ...]] = ()
    invalid: ClassVar[tuple[Invalid, ...]] = ()
    # A rule about the other rules' findings: its examples are checked with every rule running
    # (only its own findings compared).
    with_all_rules: ClassVar[bool] = False

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.model = context.model

    def report(
        self, node: cst.CSTNode, message: Lazy[str] | None = None, fix: Lazy[Fix | None] = None,
        condition: Ref | None = None,
    ) -> None:
        """Report a finding at `node`. With a `condition`, it stands only if the project index
        confirms that reference (a coroutine function, a blocking helper, ...).

        `message` and `fix` may be given as functions that make them: they are called, right
        away, only when the finding stands. A rule need not know whether the index is at hand:
        without it, a conditional finding keeps only its condition for the caller to decide
        once every file is read (asynclint/lint/walker.py)."""
        self.context.report(self, node, message or self.message, fix, condition)

    # Optional hooks besides visit_<Node>/leave_<Node>:
    def scope_exit(self, scope: Scope) -> None:  # a scope's bindings and reads are complete
        pass

    def module_end(self) -> None:  # the whole module has been walked
        pass

    @classmethod
    def judge_noqa(cls, context: FileContext, use: NoqaUse) -> list[Finding]:
        """Findings about the file's `# noqa` comments, made after `# noqa` was applied to every
        other finding (only with the engine applying it, never under flake8)."""
        return []

    @classmethod
    def summary(cls) -> str:
        """The docstring's first line: what the rule flags."""
        return (cls.__doc__ or "").strip().splitlines()[0]
