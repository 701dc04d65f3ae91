from pathlib import Path

from asynclint.checks import ALL_RULES
from asynclint.docs import DOCS_RULES, expected_pages


def test_every_rule_has_a_page_and_pages_are_current():
    pages = expected_pages()
    for rule in ALL_RULES:
        assert f"{rule.code}.md" in pages
    for name, text in pages.items():
        path = DOCS_RULES / name
        assert path.is_file(), f"missing {path}; run `python -m asynclint.docs`"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale; run `python -m asynclint.docs`"


def test_no_page_without_a_rule():
    pages = set(expected_pages())
    on_disk = {p.name for p in DOCS_RULES.glob("*.md")}
    assert on_disk == pages


def test_readme_and_docs_name_every_rule():
    root = Path(__file__).resolve().parent.parent
    index = (root / "docs" / "rules" / "index.md").read_text()
    for rule in ALL_RULES:
        assert f"[{rule.code}]" in index
