"""The engine: parse once with libcst, run every enabled rule in one traversal, collect findings.

Failures are isolated: a file that cannot be parsed becomes a syntax error for that file, and a
rule that raises is switched off for the rest of that file and reported as an internal error;
neither stops the run.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange

from asynclint.config.options import Settings
from asynclint.engine import layoutfree
from asynclint.engine.deepstack import checkpoint, cpython_limits, has_long_chain, too_deep
from asynclint.engine.diagnostics import ErrorKind, FileError, Finding, internal_error
from asynclint.engine.libcst_access import parse_module
from asynclint.engine.noqa import NoqaMap, file_is_exempt
from asynclint.engine.positions import Whole, positions
from asynclint.engine.traverse import walk
from asynclint.lint.context import FileContext, Service
from asynclint.lint.rule import NoqaUse, Rule
from asynclint.resolve import library
from asynclint.resolve.names import Ref
from asynclint.resolve.names import module_name as project_module_name
from asynclint.resolve.project import NameFilter, ProjectIndex, needs_index


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    # Conditions of findings that await the project index: references that must name coroutine
    # functions. Their positions are not computed (that would cost a code generation pass in
    # most files); a file whose condition the index confirms is checked again with the index.
    pending: list[Ref] = field(default_factory=list)
    summary: dict | None = None  # what this module defines, for the project index
    module: cst.Module | None = None
    positions: dict[int, CodeRange] = field(default_factory=dict)  # by id() of the node
    # The whole code span and indentation of the nodes fixes replace (positions.Whole), by id
    whole: dict[int, Whole] = field(default_factory=dict)
    # Callee names the project name filter ruled out (coroutine functions, task wrappers): the
    # result would change if a file of the project came to define one.
    rejected: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    # A noqa code was not judged (ASL530) because the findings it may silence await the index:
    # the file is to be checked again with it, whatever the index answers.
    noqa_doubt: bool = False


class Walker:
    """One traversal for all rules: the semantic model first, then each subscribed rule.

    Dispatch goes through tables built once per file from the rules' `visit_<Node>`/
    `leave_<Node>` methods (libcst's naming), instead of per-node attribute lookups.
    """

    def __init__(self, context: FileContext, rules: Iterable[type[Rule]]) -> None:
        self.context = context
        self.model = context.model
        words = _Words(context.text)
        self.rules: list[Rule] = [rule(context) for rule in rules if rule_applies(rule, words)]
        self.errors: list[FileError] = []
        self.visited = 0
        self._build_tables()
        self.test_module = context.is_test
        self.model.scope_exit_hooks.append(context.summary.scope_exit)
        self.model.scope_exit_hooks.append(self._scope_exit)
        self.model_enter, self.model_leave = self.model.handlers()
        self.summary_hooks = self._summary_hooks()
        # The node types anything acts on when leaving them (a superset once a failed rule is
        # dropped, which only costs a call).
        self.leaves = frozenset((*self.leave_table, *self.model_leave, cst.Decorator, cst.Parameters, cst.If))
        self.enters = frozenset((*self.visit_table, *self.model_enter, *self.summary_hooks))

    def _build_tables(self) -> None:
        self.visit_table: dict[type, list[tuple[Rule | Service, Callable]]] = {}
        self.leave_table: dict[type, list[tuple[Rule | Service, Callable]]] = {}
        # Services first: rules read the state they keep for the node being visited.
        subscribers: list[Rule | Service] = [*self.context.services.values(), *self.rules]
        for subscriber in subscribers:
            # mypy checks a class against Hashable through its instances' unbound __hash__
            for leave, node_type, attr in _callbacks(type(subscriber)):  # type: ignore[arg-type]
                table = self.leave_table if leave else self.visit_table
                table.setdefault(node_type, []).append((subscriber, getattr(subscriber, attr)))

    def _summary_hooks(self) -> dict[type, Callable[[cst.CSTNode], None]]:
        """What the project summary records, by node type (looked up once per node)."""
        summary = self.context.summary

        def assign(node: cst.Assign) -> None:
            for target in node.targets:
                summary.assignment(target.target, node.value, None)

        def annotated(node: cst.AnnAssign) -> None:
            summary.assignment(node.target, node.value, node.annotation.annotation)

        def header(node: cst.CSTNode) -> None:
            summary.blocking.header += 1  # evaluated where the def is, not in its body

        hooks: dict[type, Callable] = {
            cst.Assign: assign, cst.AnnAssign: annotated, cst.Return: summary.returned,
            cst.Call: summary.call, cst.Decorator: header, cst.Parameters: header,
            cst.If: summary.blocking.enter_if,
        }
        if self.test_module:  # test modules record the names they use (ASL405)
            hooks.update(dict.fromkeys((cst.Name, cst.Attribute, cst.SimpleString), summary.seen))
        return hooks

    def _fail(self, rule: Rule | Service, exc: BaseException) -> None:
        if isinstance(rule, Service):
            raise exc  # every rule reading it would be wrong: the file's check fails
        if rule not in self.rules:
            return  # failed already, while its callbacks for this node were under way
        self.rules.remove(rule)
        self._build_tables()
        self.errors.append(internal_error(exc, f"rule {rule.code} ({rule.name}) failed on this file and was skipped for it"))

    def call(self, rule: Rule, callback: Callable, *args) -> None:
        try:
            callback(*args)
        except Exception as exc:  # noqa: BLE001 - isolate one rule's bug from the others and from the run
            self._fail(rule, exc)

    # on_visit and on_leave run for most nodes of every file: the dispatch is inlined (no helper
    # calls, one dictionary lookup per table) because it is a visible part of a cold run.
    def on_visit(self, node: cst.CSTNode) -> bool:
        self.visited += 1
        if not self.visited & 4095:  # now and then: is the file out of time (per-file-timeout)?
            checkpoint()
        kind = type(node)
        enter = self.model_enter.get(kind)
        descend = enter(node) if enter is not None else True
        hook = self.summary_hooks.get(kind)
        if hook is not None:
            hook(node)
        callbacks = self.visit_table.get(kind)
        if callbacks:
            for rule, callback in callbacks:
                try:
                    callback(node)
                except Exception as exc:  # noqa: BLE001 - isolate one rule's bug from the others and the run
                    self._fail(rule, exc)
        return descend

    def on_leave(self, node: cst.CSTNode) -> None:
        kind = type(node)
        callbacks = self.leave_table.get(kind)
        if callbacks:
            for rule, callback in callbacks:
                try:
                    callback(node)
                except Exception as exc:  # noqa: BLE001 - isolate one rule's bug from the others and the run
                    self._fail(rule, exc)
        if kind is cst.Decorator or kind is cst.Parameters:
            self.context.summary.blocking.header -= 1
        elif kind is cst.If:
            self.context.summary.blocking.leave_if(node)
        leave = self.model_leave.get(kind)
        if leave is not None:
            leave(node)

    def _scope_exit(self, scope) -> None:
        for rule in list(self.rules):
            self.call(rule, rule.scope_exit, scope)

    def finish(self) -> None:
        for rule in list(self.rules):
            self.call(rule, rule.module_end)

    def close(self) -> None:
        """Drop the references that tie the walker, the rules, the semantic model and the syntax
        tree into reference cycles, so that the tree is freed as soon as the file is done
        instead of waiting for (and costing) a pass of the cycle collector over every node."""
        self.model.close()
        self.visit_table.clear()
        self.leave_table.clear()
        self.summary_hooks.clear()
        for subscriber in (*self.rules, *self.context.services.values()):
            vars(subscriber).clear()  # each holds the context, and helpers that point back at it
        self.rules = []
        self.context.services.clear()


class _Words:
    """`word in text`, each word searched for once per file (the rules share a few words)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: dict[str, bool] = {}

    def __contains__(self, word: str) -> bool:
        found = self.found.get(word)
        if found is None:
            found = self.found[word] = word in self.text
        return found


def rule_applies(rule: type[Rule], text: str | _Words) -> bool:
    """Whether `text` holds every word the rule requires (see `Rule.requires`)."""
    return all(word in text for word in rule.requires)


@functools.cache
def _callbacks(rule: type[Rule]) -> tuple[tuple[bool, type, str], ...]:
    """A rule class's `visit_<Node>`/`leave_<Node>` methods: (is a leave, node type, method
    name). Found once per class, not once per file (`dir()` of every rule costs ~1 ms a file)."""
    found = []
    for attr in dir(rule):
        prefix, _, node_name = attr.partition("_")
        if prefix in ("visit", "leave") and node_name:
            node_type = getattr(cst, node_name, None)
            if isinstance(node_type, type) and issubclass(node_type, cst.CSTNode):
                found.append((prefix == "leave", node_type, attr))
    return tuple(found)


def _cpython_refusal(exc: Exception) -> str:
    # CPython's parser raises MemoryError without a message on some over-long chains.
    return str(exc) or "the code is too deeply nested or too complex for CPython's parser"


def _cpython_error(text: str) -> FileError | None:
    """CPython's own wording of the file's syntax error; None when CPython accepts the file."""
    try:
        ast.parse(text)
    except SyntaxError as py_exc:
        return FileError(
            ErrorKind.SYNTAX,
            f"SyntaxError: {py_exc.msg}",
            py_exc.lineno or 1,
            py_exc.offset or 1,
        )
    except (ValueError, RecursionError, MemoryError) as py_exc:
        return FileError(ErrorKind.SYNTAX, f"SyntaxError: {_cpython_refusal(py_exc)}")
    return None


# Code CPython accepts that libcst (asynclint's parser) cannot read, such as a parenthesized
# annotated target (`(x): int = 1`): say whose limitation it is, so nobody hunts for a syntax error.
LIBCST_LIMITATION = "libcst cannot parse this file, though Python accepts it (a libcst limitation; the file is not checked)"


def syntax_error(text: str, exc: cst.ParserSyntaxError) -> FileError:
    """Prefer CPython's own wording of a syntax error; when CPython accepts the file, say that
    libcst is what cannot read it, with libcst's reason."""
    found = _cpython_error(text)
    if found is not None:
        return found
    return FileError(
        ErrorKind.SYNTAX,
        f"{LIBCST_LIMITATION}: {exc.message.strip()}",
        exc.raw_line,
        exc.raw_column + 1,
    )


def parse(text: str) -> cst.Module | FileError:
    if too_deep(text) or has_long_chain(text):
        try:
            with cpython_limits():  # CPython has the last word on what is too deep or too complex
                ast.parse(text)
        except SyntaxError as exc:
            return FileError(ErrorKind.SYNTAX, f"SyntaxError: {exc.msg}", exc.lineno or 1, exc.offset or 1)
        except (ValueError, RecursionError, MemoryError) as exc:
            return FileError(ErrorKind.SYNTAX, f"SyntaxError: {_cpython_refusal(exc)}")
    try:
        return parse_module(text)
    except cst.ParserSyntaxError as exc:
        return syntax_error(text, exc)
    except RecursionError:
        return FileError(ErrorKind.SYNTAX, "the code is nested too deeply to be parsed")
    except (ValueError, TypeError) as exc:  # e.g. null bytes; or libcst failing on valid code
        found = _cpython_error(text)
        return found or FileError(ErrorKind.SYNTAX, f"{LIBCST_LIMITATION}: {type(exc).__name__}: {exc}")


def lint_text(
    text: str,
    path: str,
    settings: Settings,
    rules: Iterable[type[Rule]],
    *,
    noqa: bool = True,
    index: ProjectIndex | None = None,
    module_name: tuple[str, bool] | None = None,
    names: NameFilter | None = None,
    layout_free: bool = False,
) -> LintResult:
    """Check one file's text. `noqa=False` leaves `# noqa` to the caller (flake8 applies it).

    With `index`, findings that depend on other modules are decided now; without it they are
    returned as `pending`, with the file's summary, for the caller to resolve once every file of
    the project has been read. `layout_free` walks the tree engine/layoutfree.py builds from
    CPython's `ast` when it can (a third of libcst's parse): only for a walk that reports
    nothing, since findings need the exact code (positions, fixes, quoted text).
    """
    result = LintResult()
    rules = tuple(rules)
    if noqa and file_is_exempt(text):
        return result
    built = layoutfree.build(text) if layout_free and not rules else None
    parsed = built if built is not None else parse(text)
    if isinstance(parsed, FileError):
        result.errors.append(parsed)
        return result
    checkpoint()  # parsing a large file may have used up the time
    result.module = parsed
    name, is_package = module_name if module_name is not None else project_module_name(path)
    context = FileContext(path, text, parsed, settings, name, is_package, names)
    context.index = index
    walker = Walker(context, rules)
    try:
        # The module's statements one by one, so that each report knows the statement it was
        # made in (positions are then found by generating that statement's code alone).
        if walker.on_visit(parsed):
            for statement in parsed.body:
                context.top_statement = statement
                walk(statement, walker.on_visit, walker.on_leave, walker.leaves, walker.enters)
            context.top_statement = None
        walker.on_leave(parsed)
        walker.finish()
    except RecursionError:
        result.errors.append(FileError(ErrorKind.INTERNAL, "the code is nested too deeply to be analysed"))
        return result
    except Exception as exc:  # noqa: BLE001 - a bug in the engine itself: report it for this file, go on
        result.errors.append(internal_error(exc))
        return result
    finally:
        walker.close()
    result.errors.extend(walker.errors)
    result.summary = context.summary.summary()
    result.rejected = (frozenset(context.rejected_coroutines), frozenset(context.rejected_wrappers))
    pending_codes: frozenset[str] = frozenset()
    noqa_map: NoqaMap | None = None
    if index is None:  # keep only the conditions; the caller decides them once the index exists
        pending_codes = frozenset(r.rule.code for r in context.reports if r.condition is not None)
        result.pending = [r.condition for r in context.reports if r.condition is not None]
        context.reports = [r for r in context.reports if r.condition is None]
    if context.reports:
        hints: dict[int, tuple[cst.BaseStatement, ...]] = {}
        wanted = []
        for report in context.reports:
            edits = report.fix.edits if report.fix else ()
            for node in (report.node, *(edit.target for edit in edits)):
                wanted.append(node)
                if report.statements:
                    hints.setdefault(id(node), report.statements)
        result.positions = positions(parsed, wanted, text, hints, result.whole)
        if noqa and "noqa" in text.lower():
            noqa_map = NoqaMap(text)
        for report in context.reports:
            span = result.positions.get(id(report.node))
            start, end = (span.start, span.end) if span else (None, None)
            finding = Finding(
                report.rule.code,
                report.rule.name,
                report.message,
                start.line if start else 1,
                start.column + 1 if start else 1,
                end.line if end else 1,
                end.column + 1 if end else 1,
                report.fix,
            )
            if noqa_map is None or not noqa_map.suppresses(finding.line, finding.code):
                result.findings.append(finding)
    judges = [rule for rule in rules if "judge_noqa" in vars(rule) and rule_applies(rule, text)] if noqa else []
    if judges and not result.errors and not walker.errors:
        _judge_noqa(result, context, judges, noqa_map or NoqaMap(text), rules, pending_codes)
    result.findings.sort(key=Finding.sort_key)
    return result


def _judge_noqa(
    result: LintResult, context: FileContext, judges: list[type[Rule]], noqa_map: NoqaMap,
    rules: tuple[type[Rule], ...], pending: frozenset[str],
) -> None:
    """The findings of rules about the noqa comments themselves (ASL530), once noqa was applied
    to every other finding; they are subject to noqa too."""
    use = NoqaUse(noqa_map, frozenset(rule.code for rule in rules), pending)
    for rule in judges:
        try:
            found = rule.judge_noqa(context, use)
        except Exception as exc:  # noqa: BLE001 - isolate one rule's bug from the others and the run
            result.errors.append(internal_error(exc, f"rule {rule.code} ({rule.name}) failed on this file and was skipped for it"))
            continue
        result.findings.extend(f for f in found if not noqa_map.suppresses(f.line, f.code))
    result.positions.update(use.positions)
    result.whole.update(use.whole)
    result.noqa_doubt = use.doubt


def lint_alone(text: str, path: str, settings: Settings, rules: Iterable[type[Rule]], **options) -> LintResult:
    """Check a file as a project of its own (stdin, tests): its own summary is the index."""
    rules = tuple(rules)
    result = lint_text(text, path, settings, rules, **options)
    if result.summary is not None:
        index = ProjectIndex([result.summary], settings.infer_by_method_name, library=library.for_settings(settings))
        if needs_index(result.pending, index) or result.noqa_doubt:
            result = lint_text(text, path, settings, rules, index=index, **options)
    return result
