"""Applying fixes: non-overlapping node replacements, re-lint, repeat to a fixed point.

A round applies every fix whose edits do not overlap an earlier one's, then the file is checked
again; fixes skipped for overlapping come back in the next round. The result must still compile
(when the original did), or the last good text is kept. More than `MAX_ROUNDS` rounds means two
fixes undo each other: the run says so loudly instead of looping.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import libcst as cst
from libcst.metadata import CodeRange

from asynclint.config.options import Settings
from asynclint.engine.deepstack import checkpoint
from asynclint.engine.diagnostics import ErrorKind, FileError, Finding, Fix, ModuleStatement, TextEdit, is_applicable
from asynclint.engine.libcst_access import CodegenState
from asynclint.engine.noqa import CommentPlaces
from asynclint.engine.notebook import is_notebook
from asynclint.engine.positions import Whole
from asynclint.engine.textedits import Offsets, diff_edits, diff_spans
from asynclint.engine.traverse import ignore, walk
from asynclint.lint.rule import Rule
from asynclint.lint.walker import LintResult, lint_alone, lint_text
from asynclint.resolve import library
from asynclint.resolve.project import ProjectIndex

MAX_ROUNDS = 10


@dataclass
class FixOutcome:
    text: str
    applied: list[Finding] = field(default_factory=list)
    result: LintResult = field(default_factory=LintResult)
    # What the text as given holds: the findings to report when the fixed text cannot be written.
    initial: LintResult = field(default_factory=LintResult)
    errors: list[FileError] = field(default_factory=list)


class _Replace(cst.CSTTransformer):
    def __init__(self, replacements: dict[int, object]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node, updated_node):
        return self.replacements.get(id(original_node), updated_node)

    def on_visit_attribute(self, node, attribute) -> None:
        pass

    def on_leave_attribute(self, original_node, attribute) -> None:
        pass


def _overlaps(a: CodeRange, b: CodeRange) -> bool:
    return (a.start.line, a.start.column) < (b.end.line, b.end.column) and (
        b.start.line,
        b.start.column,
    ) < (a.end.line, a.end.column)


def _top_level_names(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, cst.AnnAssign):
                    targets = [small.target]
                names.update(t.value for t in targets if isinstance(t, cst.Name))
    return names


def _is_preamble(statement: cst.BaseStatement, index: int) -> bool:
    """Docstring, `from __future__` and other imports: what module-level additions go after."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    body = statement.body
    if index == 0 and len(body) == 1 and isinstance(body[0], cst.Expr):
        return isinstance(body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    return all(isinstance(small, (cst.Import, cst.ImportFrom)) for small in body)


def add_module_statements(module: cst.Module, statements: Iterable[ModuleStatement]) -> cst.Module:
    bound = _top_level_names(module)
    new = []
    for statement in statements:
        if statement.name not in bound:
            bound.add(statement.name)
            new.append(cst.parse_statement(statement.code))
    if not new:
        return module
    index = 0
    while index < len(module.body) and _is_preamble(module.body[index], index):
        index += 1
    # Imports join the file's imports; anything else is set apart from them by a blank line.
    imports = [s for s in new if _is_preamble(s, 1)]
    others = [s for s in new if not _is_preamble(s, 1)]
    if others and (index > 0 or imports):
        others[0] = others[0].with_changes(leading_lines=[cst.EmptyLine(), *others[0].leading_lines])
    # `import x` goes after the file's last plain `import` (where isort would put it), if any.
    plain = [n for n, s in enumerate(module.body[:index]) if _is_plain_import(s)]
    at = plain[-1] + 1 if plain else index
    body = [*module.body[:at], *imports, *module.body[at:index], *others, *module.body[index:]]
    return module.with_changes(body=body)


def _plain_import_binds(alias: cst.ImportAlias, name: str) -> bool:
    """Whether `import m` / `import m as name` binds `name` to a module of a plain name."""
    if alias.asname is not None:
        return isinstance(alias.asname.name, cst.Name) and alias.asname.name.value == name
    return isinstance(alias.name, cst.Name) and alias.name.value == name


@functools.lru_cache(maxsize=64)
def _word(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")


def _mentions(node: object, name: str) -> int:
    """How often a module (or a node) names `name` anywhere but in plain imports of it: as a
    name (loads, stores, `del`, `global`, attributes and keywords too), or as a word in a string
    (`__all__`, string annotations, `getattr(module, "name")`). The lean read-only walk, not
    libcst's visitor, which rebuilds every node of the module on the way back up: counting this
    way was most of what making fixes cost."""
    if isinstance(node, cst.FlattenSentinel):
        return sum(_mentions(each, name) for each in node.nodes)
    if not isinstance(node, cst.CSTNode):
        return 0  # a RemovalSentinel
    word = _word(name)
    count = 0

    def enter(each: cst.CSTNode) -> bool:
        nonlocal count
        kind = type(each)
        if kind is cst.Name:
            count += each.value == name  # type: ignore[attr-defined]
        elif kind is cst.SimpleString or kind is cst.FormattedStringText:
            count += len(word.findall(each.value))  # type: ignore[attr-defined]
        elif kind is cst.Import:
            for alias in each.names:  # type: ignore[attr-defined]
                if not _plain_import_binds(alias, name):
                    walk(alias, enter, ignore, leaves=())
            return False
        elif kind is cst.ImportFrom:
            names = each.names  # type: ignore[attr-defined]
            if not isinstance(names, cst.ImportStar):  # `from time import sleep` names no `time`
                for alias in names:
                    walk(alias, enter, ignore, leaves=())
            return False
        return True

    walk(node, enter, ignore, leaves=())
    return count


def _keeps_imports(module: cst.Module, fix: Fix, counts: dict[str, int]) -> bool:
    """Whether applying `fix` alone leaves every import it may make unused still named, so that
    it drops none (`counts` caches the module's own count of each name)."""
    for name in fix.unused_imports:
        if name not in counts:
            counts[name] = _mentions(module, name)
        left = counts[name] + sum(_mentions(e.replacement, name) - _mentions(e.target, name) for e in fix.edits)
        if left <= 0:
            return False
    return True


def drop_unused_imports(module: cst.Module, names: Iterable[str]) -> cst.Module:
    """Remove the module-level plain imports binding each of `names` (`import time`, `import
    time as t`) that nothing in the module names any more. An import line with a comment, or one
    not at the module's top level (under `try:` or `if`), is left alone, and so is every `from m
    import x`."""
    for name in sorted(set(names)):
        if _mentions(module, name):
            continue
        body: list[cst.BaseStatement] = []
        dropped_first: cst.SimpleStatementLine | None = None  # the file's first statement, removed
        for statement in module.body:
            kept = _without_import(statement, name)
            if not kept and not body and isinstance(statement, cst.SimpleStatementLine):
                dropped_first = dropped_first or statement
            elif kept and dropped_first is not None and not body:
                # What follows becomes the first statement: no blank lines above it, as before.
                first = kept[0]
                if isinstance(first, (cst.SimpleStatementLine, cst.BaseCompoundStatement)) and all(
                    line.comment is None for line in first.leading_lines
                ):
                    kept[0] = first.with_changes(leading_lines=dropped_first.leading_lines)
            body.extend(kept)
        module = module.with_changes(body=body)
    return module


def _without_import(statement: cst.BaseStatement, name: str) -> list[cst.BaseStatement]:
    if not isinstance(statement, cst.SimpleStatementLine):
        return [statement]
    smalls: list[cst.BaseSmallStatement] = []
    changed = False
    for small in statement.body:
        if isinstance(small, cst.Import) and any(_plain_import_binds(a, name) for a in small.names):
            kept = [a for a in small.names if not _plain_import_binds(a, name)]
            changed = True
            if kept:
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                smalls.append(small.with_changes(names=kept))
            continue
        smalls.append(small)
    if not changed:
        return [statement]
    if smalls:
        smalls[-1] = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return [statement.with_changes(body=smalls)]
    commented = statement.trailing_whitespace.comment is not None or any(
        line.comment is not None for line in statement.leading_lines
    )
    return [statement] if commented else []


def _is_plain_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(isinstance(s, cst.Import) for s in statement.body)


def apply_fixes(
    module: cst.Module, findings: list[Finding], positions: dict[int, CodeRange]
) -> tuple[cst.Module, list[Finding]]:
    """Apply the fixes of `findings` whose edits do not overlap; return the new module and those used."""
    taken: list[CodeRange] = []
    replacements: dict[int, object] = {}
    used: list[Finding] = []
    statements: list[ModuleStatement] = []
    unused: list[str] = []
    for finding in findings:
        fix = finding.fix
        assert fix is not None
        found = [positions.get(id(edit.target)) for edit in fix.edits]
        spans = [span for span in found if span is not None]
        if len(spans) < len(found) or any(
            _overlaps(span, other) for span in spans for other in taken
        ):
            continue
        taken.extend(spans)
        for edit in fix.edits:
            replacements[id(edit.target)] = edit.replacement
        statements.extend(fix.module_statements)
        unused.extend(fix.unused_imports)
        used.append(finding)
    if replacements:
        module = module.visit(_Replace(replacements))
    module = add_module_statements(module, statements)
    if unused:
        module = drop_unused_imports(module, unused)
    return module, used


def code_of(module: cst.Module, parsed: str) -> str:
    """The module's code, for a module parsed from `parsed`. libcst takes a final lone `\r` (a
    file with old Mac line endings, or a stray one at the end) for no final newline and drops it:
    it is put back, so a fix changes nothing but what it means to."""
    if parsed.endswith("\r") and not module.has_trailing_newline:
        module = module.with_changes(has_trailing_newline=True)
    return module.code


def _code(module: cst.Module, node: object, indents: tuple[str, ...]) -> str | None:
    """The code of a node (or what a sentinel stands for) generated under `indents`."""
    if isinstance(node, cst.RemovalSentinel):
        return ""
    nodes = node.nodes if isinstance(node, cst.FlattenSentinel) else (node,)
    state = CodegenState(default_indent=module.default_indent, default_newline=module.default_newline)
    state.indent_tokens = list(indents)
    for each in nodes:
        if not isinstance(each, cst.CSTNode):
            return None
        each._codegen(state)
    return "".join(state.tokens)


def _inserted(module: cst.Module, statements: tuple[ModuleStatement, ...]) -> list[tuple[int, int, str]] | None:
    """The module-level statements a fix adds, as insertions (offset, offset, code); None when
    they cannot be placed that way (they would go at the very end of the file)."""
    added = add_module_statements(module, statements)
    old = {id(statement) for statement in module.body}
    runs: list[tuple[int, str]] = []  # (index in the old body of the statement they precede, code)
    position, pending = 0, list[str]()
    for statement in added.body:
        if id(statement) in old:
            if pending:
                runs.append((position, "".join(pending)))
                pending = []
            position += 1
        else:
            pending.append(module.code_for_node(statement))
    if pending:
        return None
    out = []
    offset, done = sum(len(module.code_for_node(line)) for line in module.header), 0
    for index, code in runs:  # the preamble's code only: imports and a docstring, short
        offset += sum(len(module.code_for_node(statement)) for statement in module.body[done:index])
        done = index
        out.append((offset, offset, code))
    return out


def text_edits(
    text: str, module: cst.Module, finding: Finding, positions: dict[int, CodeRange], whole: dict[int, Whole] | None = None,
    shared: _PerFile | None = None,
) -> tuple[TextEdit, ...]:
    """The finding's fix as text edits against `text` (the text `module` was parsed from): what
    applying that fix alone changes. Each edited node's code is generated alone, where the walk
    found it (`whole`); a node whose own code, generated so, is not the text found there (a
    parent that shapes its code: separators, the end of the file) falls back to generating
    the whole fixed module once, as --fix does. Made only for findings that have a fix."""
    fix = finding.fix
    if fix is None or (not fix.edits and not fix.module_statements):
        return ()
    # A fix that also takes out an import it leaves unused is made on the whole module (rare:
    # the last `time.sleep` of a module); one that leaves the import named is made in place.
    drops = bool(fix.unused_imports) and (
        bool(fix.module_statements) or not _keeps_imports(module, fix, shared.counts if shared else {})
    )
    spans: list[tuple[int, int, str]] | None = None if drops else []
    for edit in fix.edits:
        found = (whole or {}).get(id(edit.target))
        if spans is None or found is None:
            spans = None
            break
        start, end, indents = found
        if _code(module, edit.target, indents) != text[start:end]:
            spans = None
            break
        content = _code(module, edit.replacement, indents)
        if content is None:
            spans = None
            break
        spans.extend((start + a, start + b, c) for a, b, c in diff_spans(text[start:end], content))
    if spans is not None and fix.module_statements:
        inserted = _inserted(module, fix.module_statements)
        spans = None if inserted is None else [*inserted, *spans]
    if spans is None:
        if any(id(edit.target) not in positions for edit in fix.edits):
            return ()  # --fix cannot apply it either
        fixed, used = apply_fixes(module, [finding], positions)
        return diff_edits(text, fixed.code) if used else ()
    spans.sort(key=lambda span: (span[0], span[1]))
    if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)):
        return ()  # edits of one fix that overlap: --fix would not apply them as given
    offsets = shared.offsets(text) if shared else Offsets(text)
    return tuple(TextEdit(*offsets.position(a), *offsets.position(b), c) for a, b, c in spans)


class _PerFile:
    """What the text edits of one file's findings share: the text's line offsets and the
    module's count of each name a fix may leave unused."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._offsets: Offsets | None = None

    def offsets(self, text: str) -> Offsets:
        if self._offsets is None:
            self._offsets = Offsets(text)
        return self._offsets


def detach(result: LintResult, text: str) -> list[Finding]:
    """The result's findings as plain data, each fix with its text edits and each finding with
    the line its noqa comment goes on."""
    if not result.findings:
        return []
    places = CommentPlaces(text)
    shared = _PerFile()
    out = []
    for finding in result.findings:
        edits: tuple[TextEdit, ...] = ()
        if finding.fix is not None and result.module is not None:
            edits = text_edits(text, result.module, finding, result.positions, result.whole, shared)
        out.append(replace(finding.detached(edits), noqa_row=places.row(finding.line) or finding.line))
    return out


def compiles(text: str, path: str) -> bool:
    """Whether CPython compiles the text. Nothing is executed, and the compiler's own
    SyntaxWarnings about the user's code (`...()`, `is` with a literal) are not printed: they are
    not ours to report."""
    # A notebook's cells run in an event loop: top-level await compiles there.
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if is_notebook(path) else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", flags, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def fix_text(
    text: str,
    path: str,
    settings: Settings,
    rules: tuple[type[Rule], ...],
    *,
    unsafe: bool,
    index: ProjectIndex | None = None,
) -> FixOutcome:
    """Fix `text` to a fixed point. Without a project `index`, the file is its own project."""
    outcome = FixOutcome(text)
    if index is None:
        result = lint_alone(text, path, settings, rules)
        index = ProjectIndex(
            [result.summary] if result.summary else [], settings.infer_by_method_name,
            library=library.for_settings(settings),
        )
    else:
        result = lint_text(text, path, settings, rules, index=index)
    outcome.initial = result
    original_compiles = None
    for _ in range(MAX_ROUNDS):
        checkpoint()
        fixable = [f for f in result.findings if is_applicable(f.fix, unsafe)]
        if not fixable or result.module is None:
            break
        module, used = apply_fixes(result.module, fixable, result.positions)
        new_text = code_of(module, outcome.text)
        if new_text == outcome.text:
            break
        if original_compiles is None:
            original_compiles = compiles(text, path)
        if original_compiles and not compiles(new_text, path):
            outcome.errors.append(
                FileError(
                    ErrorKind.INTERNAL,
                    "a fix would have produced code that does not compile, so it was not applied "
                    f"({', '.join(sorted({f.code for f in used}))}; this is a bug in asynclint, please report it)",
                )
            )
            break
        new_result = lint_text(new_text, path, settings, rules, index=index)
        if new_result.module is None:
            outcome.errors.append(
                FileError(ErrorKind.INTERNAL, "a fix produced code libcst cannot parse; it was not applied")
            )
            break
        outcome.applied.extend(used)
        outcome.text, result = new_text, new_result
    else:
        outcome.errors.append(
            FileError(
                ErrorKind.INTERNAL,
                f"fixes did not settle after {MAX_ROUNDS} rounds; the file holds the last round's "
                "result (this is a bug in asynclint; please report it)",
            )
        )
    outcome.result = result
    return outcome
