"""Rule pages generated from the rules' own declarations: `python -m asynclint.docs` writes them.

`docs/rules/<CODE>.md` holds the docstring, the declared facts and every example; a test fails
when a page is stale or missing. `asynclint rule CODE` prints the same text.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

from asynclint.checks import ALL_RULES
from asynclint.diagnostics import Applicability
from asynclint.rule import Rule

DOCS_RULES = Path(__file__).resolve().parent.parent / "docs" / "rules"


def _fix_line(rule: type[Rule]) -> str:
    if rule.fix is None:
        return "none"
    if rule.fix is Applicability.SAFE:
        return "safe (applied by `asynclint --fix`)"
    return "unsafe (applied by `asynclint --fix --unsafe-fixes`)"


def _block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```\n"


def rule_page(rule: type[Rule]) -> str:
    doc = inspect.cleandoc(rule.__doc__ or "")
    summary, _, body = doc.partition("\n")
    out = [
        f"# {rule.code}: {rule.name}\n\n",
        f"{summary}\n\n",
        f"- Code: `{rule.code}`\n",
        f"- Name: `{rule.name}`\n",
        f"- Message: {rule.message}\n",
        f"- Fix: {_fix_line(rule)}\n",
        "\n",
        body.strip() + "\n",
        "\n## Examples (tested)\n",
    ]
    for example in rule.invalid:
        where = ", ".join(f"{line}:{col}" for line, col in example.findings)
        out.append(f"\n### Flagged: {example.id}\n\nFindings at line:column {where}.\n\n")
        out.append(_block(example.code))
        if example.fixed is not None:
            flags = "--fix" if rule.fix is Applicability.SAFE else "--fix --unsafe-fixes"
            out.append(f"\nAfter `asynclint {flags}`:\n\n")
            out.append(_block(example.fixed))
    for example in rule.valid:
        out.append(f"\n### Not flagged: {example.id}\n\n")
        out.append(_block(example.code))
    return "".join(out)


def index_page() -> str:
    rows = [
        "# Rules\n\n",
        "Generated from the rule declarations by `python -m asynclint.docs`.\n\n",
        "| Code | Name | What it flags | Fix |\n|---|---|---|---|\n",
    ]
    for rule in ALL_RULES:
        fix = rule.fix.value if rule.fix else "none"
        rows.append(f"| [{rule.code}]({rule.code}.md) | `{rule.name}` | {rule.summary()} | {fix} |\n")
    return "".join(rows)


def expected_pages() -> dict[str, str]:
    pages = {f"{rule.code}.md": rule_page(rule) for rule in ALL_RULES}
    pages["index.md"] = index_page()
    return pages


def main() -> int:
    DOCS_RULES.mkdir(parents=True, exist_ok=True)
    pages = expected_pages()
    for name, text in pages.items():
        (DOCS_RULES / name).write_text(text, encoding="utf-8")
    for stale in DOCS_RULES.glob("*.md"):
        if stale.name not in pages:
            stale.unlink()
    print(f"wrote {len(pages)} pages to {DOCS_RULES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
