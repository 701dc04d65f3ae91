"""Every rule's declared examples, run as tests: exact findings, exact fixes, fixes that settle."""

import pytest

from asynclint.checks import ALL_RULES
from asynclint.diagnostics import Applicability
from asynclint.engine import lint_alone as lint_text
from asynclint.fixer import fix_text
from asynclint.options import Settings
from asynclint.rule import CODE_RE, NAME_RE

SETTINGS = Settings()


def settings_for(example):
    return SETTINGS.updated(example.options, f"example {example.id}")

VALID = [pytest.param(rule, ex, id=f"{rule.code}-{ex.id}") for rule in ALL_RULES for ex in rule.valid]
INVALID = [pytest.param(rule, ex, id=f"{rule.code}-{ex.id}") for rule in ALL_RULES for ex in rule.invalid]
FIXED = [p for p in INVALID if p.values[1].fixed is not None]


@pytest.mark.parametrize(("rule", "example"), VALID)
def test_valid_example_gives_no_finding(rule, example):
    result = lint_text(example.code, "example.py", settings_for(example), (rule,))
    assert result.errors == []
    assert [(f.line, f.column, f.code) for f in result.findings] == []


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_example_gives_exact_findings(rule, example):
    result = lint_text(example.code, "example.py", settings_for(example), (rule,))
    assert result.errors == []
    got = [(f.line, f.column, f.code) for f in result.findings]
    assert got == [(line, col, rule.code) for line, col in example.findings]


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_offered_fix_matches_declaration(rule, example):
    result = lint_text(example.code, "example.py", settings_for(example), (rule,))
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
    outcome = fix_text(example.code, "example.py", settings_for(example), (rule,), unsafe=True)
    assert outcome.errors == []
    assert outcome.text == example.fixed
    assert [f for f in outcome.result.findings if f.fix] == []  # only unfixable ones remain
    again = fix_text(outcome.text, "example.py", settings_for(example), ALL_RULES, unsafe=True)
    assert again.text == outcome.text


@pytest.mark.parametrize(("rule", "example"), FIXED)
def test_unsafe_fix_not_applied_without_opt_in(rule, example):
    result = lint_text(example.code, "example.py", settings_for(example), (rule,))
    if any(f.fix.applicability is Applicability.SAFE for f in result.findings if f.fix):
        pytest.skip("has safe fixes")
    outcome = fix_text(example.code, "example.py", settings_for(example), (rule,), unsafe=False)
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
