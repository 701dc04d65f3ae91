"""ASL530: `# noqa` codes of asynclint that silence nothing, or name no rule."""

from __future__ import annotations

import libcst as cst

from asynclint.engine.diagnostics import Applicability, Edit, Finding, Fix
from asynclint.engine.noqa import Directive, without_codes
from asynclint.engine.positions import positions
from asynclint.lint.context import FileContext
from asynclint.lint.rule import Invalid, NoqaUse, Rule, Valid

_CODE = "ASL530"


def _known_codes() -> frozenset[str]:
    from asynclint.checks import ALL_RULES  # here: the rules are being collected when this loads

    return frozenset(rule.code for rule in ALL_RULES)


class UnusedNoqa(Rule):
    """A `# noqa` comment lists an asynclint code that silences nothing, or that is no rule's.

    ## What it does
    Flags the `ASL` codes of a `# noqa: …` comment that no finding on that line (or statement)
    needed, and `ASL` codes that match no rule (a typo such as `ASL3011`, or a code that does
    not exist). Codes of other tools (`E501`, `F401`, `BLE001`) are left alone, and so are:
    codes whose rules do not run on the file (not selected, or ignored for it), codes of
    findings that wait for the project index (when the run cannot tell yet), codes covering
    this rule itself (`ASL`, `ASL5`, `ASL53`, `ASL530`) and bare `# noqa` comments. Under
    flake8, which applies `# noqa` itself, the rule is silent.

    ## Why is this bad?
    A stale `# noqa` hides the next real finding on that line: the bug it was written for is
    gone, but a new one there would be silenced too. A mistyped code silences nothing, so the
    finding it was meant for is still reported, or the comment only looks like it does
    something.

    ## Example
    ```python
    async def main():
        loop = asyncio.get_running_loop()  # noqa: ASL501
    ```

    ## Use instead
    ```python
    async def main():
        loop = asyncio.get_running_loop()
    ```

    ## Fix safety
    Safe: it takes the codes out of the comment, and the whole `# noqa` part when none is
    left; the other codes and any other comment on the line stay.

    ## Options
    None. flake8 reads only the first `# noqa` comment of a statement spread over several lines;
    the codes of any later one silence nothing and are flagged.
    """

    code = _CODE
    name = "unused-noqa"
    message = "`# noqa` lists codes that silence nothing"
    fix = Applicability.SAFE
    requires = ("noqa", "ASL")
    with_all_rules = True

    valid = (
        Valid(
            "used",
            """
            import asyncio

            async def main():
                return asyncio.get_event_loop()  # noqa: ASL501
            """,
        ),
        Valid(
            "prefix-used",
            """
            import asyncio

            async def main():
                return asyncio.get_event_loop()  # noqa: ASL50
            """,
        ),
        Valid("other-tools-codes", "import os  # noqa: F401, E501\n"),
        Valid("bare-noqa", "x = 1  # noqa\n"),
        Valid("covers-this-rule", "x = 1  # noqa: ASL5\n"),
        Valid(
            "rule-not-run",
            """
            x = 1  # noqa: ASL301
            """,
            options={"ignore": ["ASL301"]},
        ),
    )
    invalid = (
        Invalid(
            "unused",
            """
            import asyncio

            async def main():
                return asyncio.get_running_loop()  # noqa: ASL501
            """,
            findings=(
                (4, 40, "`# noqa` lists codes that silence nothing (unused: `ASL501`)"),
            ),
            fixed="""
            import asyncio

            async def main():
                return asyncio.get_running_loop()
            """,
        ),
        Invalid(
            "unused-among-others",
            """
            import asyncio

            async def main():
                return asyncio.get_event_loop()  # noqa: E501,ASL301 ASL501 keep this
            """,
            findings=(
                (4, 38, "`# noqa` lists codes that silence nothing (unused: `ASL301`)"),
            ),
            fixed="""
            import asyncio

            async def main():
                return asyncio.get_event_loop()  # noqa: E501, ASL501 keep this
            """,
        ),
        Invalid(
            "mistyped",
            """
            x = 1  # type: ignore  # noqa: ASL999
            """,
            findings=(
                (1, 24, "`# noqa` lists codes that silence nothing (no such rule: `ASL999`)"),
            ),
            fixed="""
            x = 1  # type: ignore
            """,
        ),
        Invalid(
            "own-line",
            """
            # noqa: ASL101
            x = 1
            """,
            findings=(
                (1, 1, "`# noqa` lists codes that silence nothing (unused: `ASL101`)"),
            ),
            fixed="""
            x = 1
            """,
        ),
    )

    @classmethod
    def judge_noqa(cls, context: FileContext, use: NoqaUse) -> list[Finding]:
        known = _known_codes()
        judged: list[tuple[Directive, list[str], list[str]]] = []
        for directive in use.noqa.directives():
            unused, unknown = [], []
            for code in directive.codes:
                if not code.startswith("ASL") or _CODE.startswith(code):
                    continue  # another tool's code, or one that covers this rule too
                covered = [c for c in known if c.startswith(code)]
                if not covered:
                    unknown.append(code)
                    continue
                if not any(c in use.enabled for c in covered):
                    continue  # its rules did not run here
                if any(c.startswith(code) for c in use.pending):
                    use.doubt = True  # their findings are not decided yet: the index will tell
                    continue
                if not directive.read or (directive.line, code) not in use.noqa.used:
                    unused.append(code)
            if unused or unknown:
                judged.append((directive, unused, unknown))
        if not judged:
            return []
        owners = _comment_owners(context.module, {d.comment for d, _, _ in judged})
        found = positions(context.module, owners, None, None, use.whole)
        by_line = {span.start.line: node for node in owners if (span := found.get(id(node))) is not None}
        out = []
        for directive, unused, unknown in judged:
            owner = by_line.get(directive.line)
            if owner is None or owner.comment is None or owner.comment.value != directive.comment:
                continue  # not where the tokens put it: stay silent
            parts = []
            if unused:
                parts.append(f"unused: {', '.join(f'`{c}`' for c in unused)}")
            if unknown:
                parts.append(f"no such rule: {', '.join(f'`{c}`' for c in unknown)}")
            use.positions[id(owner)] = found[id(owner)]
            column = directive.column + directive.match.start() + 1
            out.append(Finding(
                cls.code, cls.name, f"{cls.message} ({'; '.join(parts)})",
                directive.line, column, directive.line, directive.column + len(directive.comment) + 1,
                _fix(owner, without_codes(directive.comment, directive.match, {*unused, *unknown})),
            ))
        return out


def _fix(owner: cst.TrailingWhitespace | cst.EmptyLine, comment: str) -> Fix:
    replacement: cst.CSTNode | cst.RemovalSentinel
    if comment:
        replacement = owner.with_changes(comment=cst.Comment(comment))
    elif isinstance(owner, cst.EmptyLine):
        replacement = cst.RemovalSentinel.REMOVE
    else:
        replacement = owner.with_changes(whitespace=cst.SimpleWhitespace(""), comment=None)
    return Fix(Applicability.SAFE, "remove the unused noqa codes", (Edit(owner, replacement),))


class _Comments(cst.CSTVisitor):
    def __init__(self, wanted: set[str]) -> None:
        super().__init__()
        self.wanted = wanted
        self.found: list[cst.TrailingWhitespace | cst.EmptyLine] = []

    def visit_TrailingWhitespace(self, node: cst.TrailingWhitespace) -> None:
        if node.comment is not None and node.comment.value in self.wanted:
            self.found.append(node)

    def visit_EmptyLine(self, node: cst.EmptyLine) -> None:
        if node.comment is not None and node.comment.value in self.wanted:
            self.found.append(node)


def _comment_owners(module: cst.Module, wanted: set[str]) -> list[cst.TrailingWhitespace | cst.EmptyLine]:
    """The whitespace nodes holding the comments (a full walk, layout included: only for a file
    with a noqa code to flag)."""
    visitor = _Comments(wanted)
    module.visit(visitor)
    return visitor.found
