"""The engine's shortcuts change nothing but the time a run takes."""

import asyncio
import json
from pathlib import Path

import pytest

import asynclint.engine.libcst_access as access
import asynclint.lint.walker as engine
from asynclint.frontends.cli import main

ROOT = Path(__file__).parent.parent
STDLIB = Path(asyncio.__file__).parent.parent


def _findings(paths, capsys):
    code = main([
        "--jobs", "1", "--no-cache", "--exit-zero", "--output-format", "json",
        "--extend-select", "ASL405,ASL514", "--no-respect-gitignore", *map(str, paths),
    ])
    out = capsys.readouterr().out
    assert code == 0
    return sorted((f["filename"], f["location"]["row"], f["location"]["column"], f["code"]) for f in json.loads(out))


@pytest.mark.slow
def test_rules_skipped_for_lack_of_a_word_would_have_found_nothing(capsys, monkeypatch):
    # `Rule.requires` lets a file without, say, "async" skip the rules that report only inside an
    # `async def`. Checked on the examples, the fixture projects and asyncio's own sources and
    # tests (when this Python ships them): with the shortcut off, not one finding more.
    paths = [ROOT / "examples", ROOT / "tests" / "fixtures", STDLIB / "asyncio"]
    if (STDLIB / "test" / "test_asyncio").is_dir():
        paths.append(STDLIB / "test" / "test_asyncio")
    with_shortcut = _findings(paths, capsys)
    monkeypatch.setattr(engine, "rule_applies", lambda rule, text: True)
    assert _findings(paths, capsys) == with_shortcut
    assert len(with_shortcut) > 50  # the corpus does give findings of many rules
    assert len({code for *_, code in with_shortcut}) >= 10


def test_every_required_word_is_in_the_rule_own_invalid_examples():
    # A required word missing from a rule's own invalid examples would silence them; the example
    # tests would fail too, but this says why.
    from asynclint.checks import ALL_RULES

    assert any(rule.requires for rule in ALL_RULES)
    for rule in ALL_RULES:
        for example in rule.invalid:
            assert all(word in example.code for word in rule.requires), (rule.code, example.id)


def test_the_parse_without_revalidation_builds_the_same_trees():
    # engine.parse skips libcst's per-node validation while libcst's own parser builds the tree:
    # on asyncio's sources and the examples, the trees are equal node for node and give back
    # the same code.
    import libcst as cst

    engine.parse("x = 1\n")
    assert access._SKIPPABLE  # the installed libcst is the one the shortcut knows
    paths = sorted((STDLIB / "asyncio").glob("*.py")) + sorted((ROOT / "examples").rglob("*.py"))
    assert len(paths) > 30
    for path in paths:
        text = path.read_text(encoding="utf-8")
        fast = engine.parse(text)
        assert isinstance(fast, cst.Module)
        validated = cst.parse_module(text)
        assert fast.deep_equals(validated), path
        assert fast.code == text


def test_nodes_built_after_a_parse_are_validated_again():
    import libcst as cst

    for text in ("x = 1\n", "def (:\n"):  # a parse that succeeds, one that fails
        engine.parse(text)
        assert cst.CSTNode.__post_init__ is access._POST_INIT
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_plain_libcst_switch_turns_every_trick_off_and_changes_no_finding(tmp_path):
    import subprocess
    import sys

    probe = (
        "import sys; from asynclint.engine import libcst_access as a; from asynclint.lint.walker import parse; "
        "parse('x = 1\\n'); print(type(sys.modules['libcst']).__name__, a._SKIPPABLE)"
    )
    for plain, expected in (("1", "module False"), ("", "module True")):
        env = {**__import__("os").environ, "ASYNCLINT_PLAIN_LIBCST": plain}
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
        assert done.stdout.strip() == expected
    outputs = []
    for plain in ("1", ""):
        env = {**__import__("os").environ, "ASYNCLINT_PLAIN_LIBCST": plain}
        done = subprocess.run(
            [sys.executable, "-m", "asynclint", "--no-cache", "--jobs", "1", "."],
            capture_output=True, text=True, env=env, cwd=ROOT / "examples",
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == (ROOT / "examples" / "EXPECTED.txt").read_text()
