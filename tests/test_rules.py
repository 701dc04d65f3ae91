"""Every rule's declared examples, run as tests: exact findings, exact fixes, fixes that settle."""

from pathlib import Path

import pytest

from asynclint.checks import ALL_RULES
from asynclint.engine.diagnostics import Applicability
from asynclint.lint.walker import lint_text as lint_one
from asynclint.lint.fixer import fix_text as fix_one
from asynclint.config.options import Settings
from asynclint.resolve.project import ProjectIndex
from asynclint.lint.rule import CODE_RE, NAME_RE


@pytest.fixture(autouse=True)
def project(tmp_path, monkeypatch):
    """Each example is a project of its own in an empty folder: its file, its declared `files`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _index(example, text, settings, rules):
    """The project index of the example's project: the example's text and its other files."""
    for name, content in example.files:
        target = settings.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    summaries = [lint_one(content, name, settings, ()).summary for name, content in example.files]
    summaries.append(lint_one(text, example.path, settings, rules).summary)
    return ProjectIndex([s for s in summaries if s is not None])


def _settings(example):
    return Settings(root=Path.cwd(), cache_dir="").updated(example.options, f"example {example.id}")


def lint_text(example, rules, text=None):
    settings = _settings(example)
    text = example.code if text is None else text
    return lint_one(text, example.path, settings, rules, index=_index(example, text, settings, rules))


def fix_text(example, rules, unsafe, text=None):
    settings = _settings(example)
    text = example.code if text is None else text
    index = _index(example, text, settings, rules)
    return fix_one(text, example.path, settings, rules, unsafe=unsafe, index=index)


VALID = [pytest.param(rule, ex, id=f"{rule.code}-{ex.id}") for rule in ALL_RULES for ex in rule.valid]
INVALID = [pytest.param(rule, ex, id=f"{rule.code}-{ex.id}") for rule in ALL_RULES for ex in rule.invalid]
FIXED = [p for p in INVALID if p.values[1].fixed is not None]


@pytest.mark.parametrize(("rule", "example"), VALID)
def test_valid_example_gives_no_finding(rule, example):
    result = lint_text(example, (rule,))
    assert result.errors == []
    assert [(f.line, f.column, f.code) for f in result.findings] == []


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_example_gives_exact_findings(rule, example):
    result = lint_text(example, (rule,))
    assert result.errors == []
    got = [(f.line, f.column, f.code) for f in result.findings]
    assert got == [(line, col, rule.code) for line, col in example.findings]


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_offered_fix_matches_declaration(rule, example):
    result = lint_text(example, (rule,))
    fixes = [f.fix for f in result.findings if f.fix is not None]
    if example.fixed is None:
        # Without a declared fixed text, no finding in the example may offer a fix.
        assert fixes == []
    else:
        # No fix may be graded safer than the rule declares as its best.
        allowed = {Applicability.SAFE, Applicability.UNSAFE} if rule.fix is Applicability.SAFE else {rule.fix}
        assert fixes and all(fix.applicability in allowed for fix in fixes)


@pytest.mark.parametrize(("rule", "example"), FIXED)
def test_fix_gives_expected_text_and_settles(rule, example):
    outcome = fix_text(example, (rule,), unsafe=True)
    assert outcome.errors == []
    assert outcome.text == example.fixed
    assert [f for f in outcome.result.findings if f.fix] == []  # only unfixable ones remain
    again = fix_text(example, ALL_RULES, unsafe=True, text=outcome.text)
    assert again.text == outcome.text


@pytest.mark.parametrize(("rule", "example"), FIXED)
def test_unsafe_fix_not_applied_without_opt_in(rule, example):
    result = lint_text(example, (rule,))
    if any(f.fix.applicability is Applicability.SAFE for f in result.findings if f.fix):
        pytest.skip("has safe fixes")
    outcome = fix_text(example, (rule,), unsafe=False)
    assert outcome.text == example.code


def test_rule_declarations_are_well_formed():
    codes = [rule.code for rule in ALL_RULES]
    names = [rule.name for rule in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for rule in ALL_RULES:
        assert CODE_RE.match(rule.code), rule.code
        assert NAME_RE.match(rule.name), rule.name
        assert rule.valid and rule.invalid, f"{rule.code} needs valid and invalid examples"
        assert rule.summary(), f"{rule.code} needs a docstring"
        ids = [ex.id for ex in (*rule.valid, *rule.invalid)]
        assert len(set(ids)) == len(ids), f"{rule.code} has duplicate example ids"
