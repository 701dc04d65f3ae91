"""`python -m asynclint.frontends.scaffold CODE NAME FAMILY MODULE`: start a new rule.

Writes `asynclint/checks/FAMILY/MODULE.py` (or appends to it) with one rule class: its code and
name, a docstring with the sections every rule page has, and empty example slots. The rule is
found as soon as the module exists (no registry to edit), and the suite fails until the TODOs
are filled in and the examples exist (`tests/test_rules.py`), and until its docs page is
generated (`python -m asynclint.frontends.docs`, `tests/test_docs.py`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asynclint.checks import FAMILIES, RULES_BY_CODE
from asynclint.lint.rule import CODE_RE, NAME_RE

CHECKS = Path(__file__).resolve().parents[1] / "checks"
# Which family a code belongs to, by its hundreds.
FAMILY_OF = {"1": "coroutines", "2": "blocking", "3": "tasks", "4": "testing", "5": "misuse"}

_MODULE_HEAD = '''"""TODO: what the rules of this module have in common."""

from __future__ import annotations

import libcst as cst

from asynclint.lint.rule import Invalid, Rule, Valid
'''

_RULE = '''

class {cls}(Rule):
    """TODO: one line, what the rule flags (the rules table shows it).

    ## What it does
    TODO: what exactly is flagged, and what is not.

    ## Why is this bad?
    TODO: what goes wrong at run time, with the asyncio docs' reasoning.

    ## Example
    ```python
    TODO
    ```

    ## Use instead
    ```python
    TODO
    ```

    ## Fix safety
    TODO: the fix and why it is safe or unsafe, or why there is none.
    """

    code = "{code}"
    name = "{name}"
    message = "TODO: the message of a finding"
    valid = (
        # Valid("an-id", """code it must stay silent on"""),
    )
    invalid = (
        # Invalid("an-id", """code it must flag""", ((line, column, "message"),), fixed="""the whole fixed file"""),
    )

    def visit_Call(self, node: cst.Call) -> None:
        pass  # TODO: report with self.report(node)
'''


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def render(code: str, name: str, existing: str | None) -> str:
    """The module's new text: `existing` with the rule appended, or a new module."""
    return (existing if existing is not None else _MODULE_HEAD) + _RULE.format(cls=class_name(name), code=code, name=name)


def problems(code: str, name: str, family: str, module: str) -> list[str]:
    found = []
    if not CODE_RE.match(code):
        found.append(f"{code!r} is not a rule code (ASL1xx to ASL5xx)")
    elif FAMILY_OF[code[3]] != family:
        found.append(f"{code} belongs to the {FAMILY_OF[code[3]]} family, not {family}")
    if code in RULES_BY_CODE:
        found.append(f"{code} is taken by {RULES_BY_CODE[code].__qualname__}")
    if not NAME_RE.match(name):
        found.append(f"{name!r} is not a kebab-case name")
    if any(rule.name == name for rule in RULES_BY_CODE.values()):
        found.append(f"the name {name!r} is taken")
    if family not in FAMILIES:
        found.append(f"{family!r} is not a family ({', '.join(FAMILIES)})")
    if not module.isidentifier():
        found.append(f"{module!r} is not a module name")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asynclint.frontends.scaffold", description=__doc__.splitlines()[0])
    parser.add_argument("code", help="the new rule's code, e.g. ASL515")
    parser.add_argument("name", help="its stable kebab-case name, e.g. gather-results-dropped")
    parser.add_argument("family", help=f"its family folder: {', '.join(FAMILIES)}")
    parser.add_argument("module", help="the module of that folder to put it in (created if new)")
    args = parser.parse_args(argv)
    found = problems(args.code, args.name, args.family, args.module)
    if found:
        for problem in found:
            print(f"scaffold: error: {problem}", file=sys.stderr)
        return 2
    path = CHECKS / args.family / f"{args.module}.py"
    existing = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(render(args.code, args.name, existing), encoding="utf-8")
    print(f"wrote {class_name(args.name)} ({args.code}) in {path}; fill in the TODOs and the examples, then run "
          "`python -m asynclint.frontends.docs`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
