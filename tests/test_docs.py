"""Generated docs are current, every rule has a page, and README/.ci tell the truth."""

import re
from pathlib import Path

from asynclint.checks import ALL_RULES
from asynclint.frontends.docs import DOCS, DOCS_RULES, expected_pages

ROOT = Path(__file__).resolve().parent.parent


def test_generated_pages_are_current():
    for name, text in expected_pages().items():
        path = DOCS / name
        assert path.is_file(), f"missing {path}; run `python -m asynclint.frontends.docs`"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale; run `python -m asynclint.frontends.docs`"


def test_generated_code_list_is_current():
    from asynclint.frontends.docs import CODES, codes_module

    assert CODES.read_text(encoding="utf-8") == codes_module(), "asynclint/config/codes.py is stale; run `python -m asynclint.frontends.docs`"


def test_every_rule_has_a_page_and_no_page_lacks_a_rule():
    on_disk = {p.name for p in DOCS_RULES.glob("*.md")}
    assert on_disk == {f"{rule.code}.md" for rule in ALL_RULES} | {"index.md"}


def test_readme_rule_table_is_current():
    from asynclint.frontends.docs import readme_text

    readme = (ROOT / "README.md").read_text()
    assert readme_text(readme) == readme, "the README's rules table is stale; run `python -m asynclint.frontends.docs`"


def test_readme_rule_table_matches_the_rules():
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(r"^\| \[(ASL\d+)\]\(docs/rules/\1\.md\) \| `([a-z-]+)` \| (.+?) \| (\w+) \|$", readme, re.M)
    assert rows == [
        (rule.code, rule.name, rule.summary(), rule.fix.value if rule.fix else "none") for rule in ALL_RULES
    ]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert '.venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest' in readme
    assert '/bin/pip" install -q -e ".[test,lint]"' in ci and '/bin/python" -m pytest' in ci
    # ...after the linters, configured in pyproject.toml.
    assert ci.index('/bin/ruff" check asynclint') < ci.index('/bin/mypy"') < ci.index('/bin/python" -m pytest')


def test_pre_commit_hooks():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    hooks = re.findall(r"^- id: (\S+)\n(?:  .+\n)+", text, re.M)
    assert hooks == ["asynclint", "asynclint-fix"]
    blocks = text.split("- id: ")[1:]
    assert "entry: asynclint\n" in blocks[0] and "entry: asynclint --fix\n" in blocks[1]
    for block in blocks:
        assert "types_or: [python, jupyter]" in block and "language: python" in block


def test_pre_commit_snippet_names_the_current_release_tag():
    # docs/releasing.md: the version lives in pyproject.toml, and a release is the tag v<version>.
    version = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    snippet = (ROOT / "docs" / "integrations.md").read_text()
    assert re.findall(r"^    rev: (\S+)$", snippet, re.M) == [f"v{version}"]


def _toml_snippets(text: str) -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", text, re.M | re.S)


def test_config_snippets_in_the_docs_load_as_they_are_pasted(tmp_path):
    # A snippet a user pastes into pyproject.toml must load, and must not lint .venv.
    from asynclint.config.discovery import discover
    from asynclint.config.options import load_settings

    snippets = [
        snippet
        for page in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
        for snippet in _toml_snippets(page.read_text(encoding="utf-8"))
        if "[tool.asynclint" in snippet
    ]
    assert len(snippets) >= 2
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "site.py").write_text("x = 1\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    for snippet in snippets:
        (tmp_path / "pyproject.toml").write_text(snippet)
        settings = load_settings(start=tmp_path)  # raises ConfigError on a bad key or value
        assert settings.config_file == tmp_path / "pyproject.toml"
        files = discover([str(tmp_path)], settings).files
        assert [f for f in files if ".venv" in f] == [], snippet
