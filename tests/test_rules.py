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


def _rules(example, rules, settings):
    """A rule about the other rules' findings (ASL530) runs with the rules the settings enable
    for the example's file; the others alone."""
    if len(rules) == 1 and rules[0].with_all_rules:
        from asynclint.run.selection import rules_for

        return rules_for(settings, example.path)
    return rules


def lint_text(example, rules, text=None):
    settings = _settings(example)
    rules = _rules(example, rules, settings)
    text = example.code if text is None else text
    return lint_one(text, example.path, settings, rules, index=_index(example, text, settings, rules))


def fix_text(example, rules, unsafe, text=None):
    settings = _settings(example)
    rules = _rules(example, rules, settings)
    text = example.code if text is None else text
    index = _index(example, text, settings, rules)
    return fix_one(text, example.path, settings, rules, unsafe=unsafe, index=index)


VALID = [pytest.param(rule, ex, id=f"{rule.code}-{ex.id}") for rule in ALL_RULES for ex in rule.valid]
INVALID = [pytest.param(rule, ex, id=f"{rule.code}-{ex.id}") for rule in ALL_RULES for ex in rule.invalid]
FIXED = [p for p in INVALID if p.values[1].fixed is not None]


def _only_unsafe_fixes(rule, example) -> bool:
    """Whether every fix the example's findings offer is unsafe (decided at collection, in a
    folder of its own, since an example's project is written to the current folder)."""
    import os
    import tempfile

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            result = lint_text(example, (rule,))
        finally:
            os.chdir(here)
    return not any(f.fix.applicability is Applicability.SAFE for f in result.findings if f.fix)


UNSAFE_ONLY = [p for p in FIXED if _only_unsafe_fixes(*p.values)]


@pytest.mark.parametrize(("rule", "example"), VALID)
def test_valid_example_gives_no_finding(rule, example):
    result = lint_text(example, (rule,))
    assert result.errors == []
    assert [(f.line, f.column, f.code) for f in result.findings if f.code == rule.code] == []


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_invalid_example_gives_exact_findings(rule, example):
    result = lint_text(example, (rule,))
    assert result.errors == []
    got = [(f.line, f.column, f.code, f.message) for f in result.findings if f.code == rule.code or not rule.with_all_rules]
    assert got == [(line, col, rule.code, message) for line, col, message in example.findings]


@pytest.mark.parametrize(("rule", "example"), INVALID)
def test_offered_fix_matches_declaration(rule, example):
    result = lint_text(example, (rule,))
    fixes = [f.fix for f in result.findings if f.fix is not None and f.code == rule.code]
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


@pytest.mark.parametrize(("rule", "example"), UNSAFE_ONLY)
def test_unsafe_fix_not_applied_without_opt_in(rule, example):
    outcome = fix_text(example, (rule,), unsafe=False)
    assert outcome.text == example.code


def declaration_problems(rule) -> list[str]:
    """What is missing or malformed in a rule's declaration (what a scaffolded rule lacks)."""
    found = []
    if not CODE_RE.match(rule.code):
        found.append(f"{rule.code}: not a rule code")
    if not NAME_RE.match(rule.name):
        found.append(f"{rule.code}: {rule.name!r} is not a kebab-case name")
    if not (rule.valid and rule.invalid):
        found.append(f"{rule.code} needs valid and invalid examples")
    if not rule.summary():
        found.append(f"{rule.code} needs a docstring")
    if "TODO" in (rule.__doc__ or "") or "TODO" in rule.message:
        found.append(f"{rule.code} has TODOs left in its docstring or message")
    ids = [ex.id for ex in (*rule.valid, *rule.invalid)]
    if len(set(ids)) != len(ids):
        found.append(f"{rule.code} has duplicate example ids")
    return found


def test_rule_declarations_are_well_formed():
    codes = [rule.code for rule in ALL_RULES]
    names = [rule.name for rule in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert [problem for rule in ALL_RULES for problem in declaration_problems(rule)] == []


def test_a_scaffolded_rule_is_found_and_fails_until_filled_in():
    import types

    from asynclint.checks import collect
    from asynclint.frontends.scaffold import problems, render

    assert problems("ASL599", "sample-rule", "misuse", "sample") == []
    assert problems("ASL301", "dropped-task", "misuse", "x-y") == [
        "ASL301 belongs to the tasks family, not misuse",
        "ASL301 is taken by DroppedTask",
        "the name 'dropped-task' is taken",
        "'x-y' is not a module name",
    ]
    module = types.ModuleType("asynclint.checks.misuse.sample")
    exec(compile(render("ASL599", "sample-rule", None), "sample.py", "exec"), module.__dict__)
    (rule,) = collect([module])
    assert (rule.__name__, rule.code, rule.name) == ("SampleRule", "ASL599", "sample-rule")
    assert declaration_problems(rule) == [
        "ASL599 needs valid and invalid examples",
        "ASL599 has TODOs left in its docstring or message",
    ]

def test_an_invalid_example_names_the_message_of_each_finding():
    from asynclint.lint.rule import Invalid

    with pytest.raises(TypeError, match=r"example no-message: a finding is \(line, column, message\), not \(1, 1\)"):
        Invalid("no-message", "x = 1\n", ((1, 1),))
    assert Invalid("named", "x = 1\n", ((1, 1, "what the user reads"),)).findings == ((1, 1, "what the user reads"),)


@pytest.mark.parametrize(("rule", "example"), FIXED)
def test_fix_text_edits_are_what_the_fix_changes(rule, example):
    """Each finding's fix as text edits (what JSON gives, made node by node) turns the text into
    exactly what applying that fix alone to the whole module gives."""
    from asynclint.engine.textedits import apply_edits
    from asynclint.lint.fixer import apply_fixes, detach

    result = lint_text(example, (rule,))
    detached = detach(result, example.code)
    assert [f.fix is not None for f in detached] == [f.fix is not None for f in result.findings]
    checked = 0
    for finding, plain in zip(result.findings, detached, strict=True):
        if finding.fix is None:
            continue
        fixed, used = apply_fixes(result.module, [finding], result.positions)
        assert used == [finding]
        assert plain.fix.text_edits
        assert apply_edits(example.code, plain.fix.text_edits) == fixed.code
        checked += 1
    assert checked
