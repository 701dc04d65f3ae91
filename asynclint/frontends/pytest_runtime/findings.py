"""What a test is failed for: one record per problem, and the text pytest shows for them."""

from __future__ import annotations

import ast
import linecache
from collections.abc import Callable
from dataclasses import dataclass, field

from asynclint.frontends.pytest_runtime.frames import Origin, display_path

# The static family each kind of problem belongs to: a finding of the family on the origin line
# is the static check seeing the same bug.
COROUTINE, TASK, FUTURE, HANDLER, SLOW = "coroutine", "task", "future", "handler", "slow"
FAMILIES = {COROUTINE: "ASL1", TASK: "ASL3", FUTURE: "ASL1", SLOW: "ASL2"}


@dataclass
class RuntimeFinding:
    kind: str
    code: str | None  # the rule that names it; None when no static rule covers it
    summary: str
    origin: Origin | None = None  # the user's frame that made the coroutine, task or call
    details: list[str] = field(default_factory=list)
    # Why the static check cannot see it, when it does not: set where the cause is known
    # (a dynamic call); otherwise a generic reason for the kind is given.
    unseen_reason: str = ""
    category: str = ""  # a slow step's catalogued blocking call: its rule is named when shown


# (line, code) of asynclint's own findings in a file, or None when it could not check it.
StaticLookup = Callable[[str], "tuple[tuple[int, str], ...] | None"]


def _call_is_dynamic(origin: Origin) -> bool:
    """The origin line's outermost call goes through something other than a dotted name
    (`getattr(obj, name)()`, `handlers[key]()`, `factory()()`): no static resolution reaches it."""
    text = linecache.getline(origin.filename, origin.lineno).strip()
    for candidate in (text, text.rstrip(":"), text.partition("=")[2].strip()):
        try:
            tree = ast.parse(candidate)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                while isinstance(func, ast.Attribute):
                    func = func.value
                if not isinstance(func, ast.Name):
                    return True
        return False
    return False


_UNSEEN = {
    COROUTINE: "the callee is not known to be a coroutine function without running the code, or "
    "the coroutine is handed on before it is lost",
    TASK: "the task is stored or handed on before it is lost, which only running the code shows",
    FUTURE: "the future is stored or handed on before it is lost, which only running the code shows",
    SLOW: "the blocking call is reached through code the static check does not follow",
}


def static_verdict(finding: RuntimeFinding, lookup: StaticLookup) -> str | None:
    family = FAMILIES.get(finding.kind)
    if family is None or finding.origin is None:
        return None
    origin = finding.origin
    found = lookup(origin.filename)
    if found is None:
        return f"asynclint could not check {display_path(origin.filename)} statically"
    codes = sorted({code for line, code in found if line == origin.lineno and code.startswith(family)})
    if codes:
        return f"asynclint reports this statically: {display_path(origin.filename)}:{origin.lineno} {', '.join(codes)}"
    reason = finding.unseen_reason
    if not reason and finding.kind != SLOW and _call_is_dynamic(origin):
        reason = "created through a dynamic call"
    return f"asynclint does not report this statically: {reason or _UNSEEN[finding.kind]}"


def render(nodeid: str, findings: list[RuntimeFinding], lookup: StaticLookup) -> str:
    count = len(findings)
    lines = [f"asynclint runtime: {count} problem{'s' if count != 1 else ''} in {nodeid}"]
    # By where they were made: coroutine warnings are only gathered at teardown, and a reader
    # follows the test's code top to bottom.
    def place(finding: RuntimeFinding) -> tuple[bool, str, int]:
        origin = finding.origin
        return (origin is None, origin.filename if origin else "", origin.lineno if origin else 0)

    for finding in sorted(findings, key=place):
        lines.append(f"{finding.code or 'asyncio'} {finding.summary}")
        if finding.origin is not None:
            lines.append(f"    made at {finding.origin.where()}")
        lines.extend(f"    {line}" for line in finding.details)
        verdict = static_verdict(finding, lookup)
        if verdict:
            lines.append(f"    {verdict}")
    lines.append("(disable for one test with @pytest.mark.asynclint_runtime_off)")
    return "\n".join(lines)
