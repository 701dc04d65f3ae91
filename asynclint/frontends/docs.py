"""Rule pages generated from the rules' own declarations: `python -m asynclint.frontends.docs` writes them.

`docs/rules/<CODE>.md` holds the docstring, the declared facts and every example; a test fails
when a page is stale or missing. `asynclint rule CODE` prints the same text.
"""

from __future__ import annotations

import inspect
import sys
import tempfile
from pathlib import Path

from asynclint.checks import ALL_RULES
from asynclint.config.options import OPTIONS, Option, Settings
from asynclint.engine.diagnostics import Applicability
from asynclint.lint.rule import Rule
from asynclint.lint.walker import lint_alone

DOCS = Path(__file__).resolve().parents[2] / "docs"
DOCS_RULES = DOCS / "rules"


def _fix_line(rule: type[Rule]) -> str:
    if rule.fix is None:
        return "none"
    if rule.fix is Applicability.SAFE:
        return "safe where the fix safety section says so (applied by `asynclint --fix`), unsafe otherwise"
    return "unsafe (applied by `asynclint --fix --unsafe-fixes`)"


def _block(code: str, language: str = "python") -> str:
    return f"```{language}\n{code.rstrip()}\n```\n"


def _example(example) -> str:
    """The example's code; in a project of its own (other files shown first) when it has one."""
    if not example.files and example.path == "example.py":
        return _block(example.code)
    parts = []
    for name, text in example.files:
        language = "toml" if name.endswith(".toml") else "ini" if name.endswith((".ini", ".cfg")) else "python" if name.endswith(".py") else "text"
        parts.append(f"`{name}`:\n\n```{language}\n{text.rstrip()}\n```\n\n")
    parts.append(f"`{example.path}`:\n\n")
    parts.append(_block(example.code))
    return "".join(parts)


def _with(example) -> str:
    """` with target-version = "py312"` for an example checked with options."""
    if not example.options:
        return ""
    return " with " + ", ".join(f"`{name} = {value!r}`".replace("'", '"') for name, value in example.options.items())


def _needs_unsafe(rule: type[Rule], example) -> bool:
    """Whether one of the example's fixes is unsafe, checked in a project of the example's own:
    its files and nothing else, not the folder the command runs in (whose declared dependencies,
    say, would choose the library of a fix)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        for name, text in example.files:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        (root / example.path).parent.mkdir(parents=True, exist_ok=True)
        settings = Settings(root=root, cache_dir="").updated(example.options, f"example {example.id}")
        result = lint_alone(example.code, str(root / example.path), settings, (rule,))
    return any(f.fix.applicability is Applicability.UNSAFE for f in result.findings if f.fix)


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
        *([f"- Default: off; runs only when `select` or `extend-select` names `{rule.code}` itself\n"]
          if rule.opt_in else []),
        "\n",
        body.strip() + "\n",
        "\n## Examples (tested)\n",
    ]
    for example in rule.invalid:
        out.append(f"\n### Flagged: {example.id}\n\n")
        if example.options:
            out.append(f"Checked{_with(example)}.\n\n")
        out.append(_example(example))
        out.append("\nReports:\n\n")
        out.append(_block("".join(f"{example.path}:{line}:{col}: {rule.code} {message}\n" for line, col, message in example.findings), "text"))
        if example.fixed is not None:
            flags = "--fix --unsafe-fixes" if _needs_unsafe(rule, example) else "--fix"
            out.append(f"\nAfter `asynclint {flags}`:\n\n")
            out.append(_block(example.fixed))
    for valid_example in rule.valid:
        out.append(f"\n### Not flagged: {valid_example.id}\n\n")
        if valid_example.options:
            out.append(f"Checked{_with(valid_example)}.\n\n")
        out.append(_example(valid_example))
    return "".join(out)


def rule_table(link: str = "{code}.md") -> str:
    """The table of every rule (code linked to its page, name, summary, fix), for the rules
    index and the README."""
    rows = ["| Code | Name | What it flags | Fix |\n|---|---|---|---|\n"]
    for rule in ALL_RULES:
        fix = rule.fix.value if rule.fix else "none"
        rows.append(f"| [{rule.code}]({link.format(code=rule.code)}) | `{rule.name}` | {rule.summary()} | {fix} |\n")
    return "".join(rows)


def index_page() -> str:
    return (
        "# Rules\n\nGenerated from the rule declarations by `python -m asynclint.frontends.docs`.\n\n"
        + rule_table()
    )


README = DOCS.parent / "README.md"
_TABLE_START = "<!-- rules table: generated by `python -m asynclint.frontends.docs` -->\n"
_TABLE_END = "<!-- end of rules table -->\n"


def readme_text(current: str) -> str:
    """The README with its rules table regenerated between the markers."""
    start = current.index(_TABLE_START) + len(_TABLE_START)
    end = current.index(_TABLE_END, start)
    return current[:start] + rule_table("docs/rules/{code}.md") + current[end:]


def _default(option: Option) -> str:
    value = getattr(Settings(), option.attr)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, float):
        return f"`{value:g}`"
    if not value:
        return "empty"
    if option.name == "exclude":
        return ", ".join(f"`{v}`" for v in value)
    return f"`{list(value)}`"


def options_page() -> str:
    rows = [
        "# Options\n\n",
        "Generated from the options table (`asynclint/config/options.py`) by `python -m asynclint.frontends.docs`. ",
        "Each option is a key of `[tool.asynclint]` and a command-line flag of the same name; ",
        "those marked flake8 are also flake8 options named `asynclint-<name>`.\n\n",
        "| Option | Meaning | Default | flake8 |\n|---|---|---|---|\n",
    ]
    for option in OPTIONS:
        flake8 = f"`--asynclint-{option.name}`" if option.flake8 else ""
        rows.append(f"| `{option.name}` | {option.help} | {_default(option)} | {flake8} |\n")
    return "".join(rows)


def expected_pages() -> dict[str, str]:
    """Generated pages by path relative to docs/."""
    pages = {f"rules/{rule.code}.md": rule_page(rule) for rule in ALL_RULES}
    pages["rules/index.md"] = index_page()
    pages["options.md"] = options_page()
    return pages


CODES = Path(__file__).resolve().parents[1] / "config" / "codes.py"


def codes_module() -> str:
    """asynclint/config/codes.py: the rule codes as plain data, so that validating `select = [...]`
    needs no rule module (and so no libcst) on a run answered from the cache."""
    lines = ['"""Generated by `python -m asynclint.frontends.docs` from the rule registry; a test keeps it current."""', "",
             "CODES = ("]
    lines += [f'    "{rule.code}",' for rule in ALL_RULES]
    lines += [")", ""]
    return "\n".join(lines)


def main() -> int:
    CODES.write_text(codes_module(), encoding="utf-8")
    DOCS_RULES.mkdir(parents=True, exist_ok=True)
    pages = expected_pages()
    for name, text in pages.items():
        (DOCS / name).write_text(text, encoding="utf-8")
    for stale in DOCS_RULES.glob("*.md"):
        if f"rules/{stale.name}" not in pages:
            stale.unlink()
    README.write_text(readme_text(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {len(pages)} pages under {DOCS} and the README's rules table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
