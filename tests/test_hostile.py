"""Odd and hostile input: a clear message and the right exit code, never a crash."""

import pytest

from asynclint.checks import ALL_RULES, fixes
from asynclint.diagnostics import Applicability, Edit, Fix
from asynclint.fixer import MAX_ROUNDS, fix_text
from asynclint.options import Settings

import libcst as cst


@pytest.mark.parametrize(
    ("raw", "expected", "code"),
    [
        (b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "a.py:1:205: E999 SyntaxError: too many nested parentheses\n", 2),
        (b"x = 1\x00\n", "a.py:1:1: E999 SyntaxError: source code string cannot contain null bytes\n", 2),
        (b'print "hello"\n', "a.py:1:1: E999 SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?\n", 2),
        (b"# -*- coding: nonsense -*-\nx = 1\n", "a.py:1:1: E902 cannot decode: unknown encoding: nonsense\n", 2),
        (b"", "", 0),
        (b"# only a comment", "", 0),
        (b"x = " + b"[" * 200 + b"]" * 200 + b"\n", "", 0),
        (b"import asyncio\nasync def f():\n\tasyncio.create_task(g())\n", "a.py:3:2: ASL301", 1),
    ],
    ids=["too-deep", "null-byte", "python2", "bad-cookie", "empty", "comment-only", "deep-but-legal", "tabs"],
)
def test_odd_input(write, run, raw, expected, code):
    write("a.py", "", raw=raw)
    got_code, out, err = run("a.py")
    assert got_code == code
    assert out.startswith(expected) if expected else out == ""
    assert "Traceback" not in err


@pytest.mark.slow
def test_long_operator_chain_does_not_crash(write, run):
    # 1,000 terms on one line overflowed the C stack of libcst's parser on the main thread.
    write("a.py", "", raw=b"x = 1" + b" + 1" * 1000 + b"\n")
    assert run("a.py") == (0, "", "All checks passed.\n")


@pytest.mark.parametrize(
    "raw",
    [
        b"x = 1" + b" + 1" * 3000 + b"\n",
        b"x = a" + b".b" * 20000 + b"\n",
        b"x = f" + b"()" * 20000 + b"\n",
        b"x = " + b"-" * 20000 + b"1\n",
        b"x = (a\n" + b"    + a\n" * 20000 + b")\n",
    ],
    ids=["plus-3000", "attributes", "calls", "unary", "one-link-a-line"],
)
def test_chains_cpython_refuses_are_refused_quickly(write, run, raw):
    # libcst's parser is super-linear on such chains (20,000 links: hours, holding the GIL, so
    # no timeout could stop it); CPython refuses them in milliseconds, and its verdict stands.
    write("a.py", "", raw=raw)
    code, out, err = run("a.py")
    assert code == 2
    assert out.startswith("a.py:1:1: E999 SyntaxError: ")
    assert "Traceback" not in err


def test_mixed_line_endings_survive_a_fix(write, run):
    path = write("a.py", "", raw=b"import asyncio\r\nasync def f():\n    asyncio.create_task(g())\r\n")
    assert run("--fix", "--unsafe-fixes", "a.py")[0] == 0
    data = path.read_bytes()
    assert data.startswith(b"import asyncio\r\n")
    assert b"async def f():\n" in data and b"    task = asyncio.create_task(g())\r\n" in data


def test_read_only_file_is_not_fixed(write, run):
    path = write("a.py", "import asyncio\nasync def f():\n    asyncio.create_task(g())\n")
    path.chmod(0o444)
    code, out, _ = run("--fix", "--unsafe-fixes", "a.py")
    assert code == 2
    assert "a.py:1:1: E902 not fixed: the file is read-only\n" in out
    assert path.read_text() == "import asyncio\nasync def f():\n    asyncio.create_task(g())\n"


def _broken_fix(context, statement, value, scope):
    # Replaces the statement with `await` in a sync function: parses, but does not compile.
    bad = cst.parse_statement("await g()\n")
    return Fix(Applicability.UNSAFE, "broken", (Edit(statement, bad),))


def test_fix_that_would_not_compile_is_refused(monkeypatch):
    monkeypatch.setattr(fixes, "keep_task_reference", _broken_fix)
    source = "import asyncio\ndef f():\n    asyncio.create_task(g())\n"
    outcome = fix_text(source, "a.py", Settings(), ALL_RULES, unsafe=True)
    assert outcome.text == source
    assert [e.message for e in outcome.errors] == [
        "a fix would have produced code that does not compile, so it was not applied "
        "(ASL301; this is a bug in asynclint, please report it)"
    ]


def _endless_fix(context, statement, value, scope):
    # Keeps the finding and adds a line each round: never settles.
    return Fix(Applicability.UNSAFE, "endless", (Edit(statement, cst.FlattenSentinel([cst.parse_statement("pass\n"), statement])),))


def test_fixes_that_never_settle_stop_loudly(monkeypatch):
    monkeypatch.setattr(fixes, "keep_task_reference", _endless_fix)
    source = "import asyncio\ndef f():\n    asyncio.create_task(g())\n"
    outcome = fix_text(source, "a.py", Settings(), ALL_RULES, unsafe=True)
    assert outcome.text.count("pass\n") == MAX_ROUNDS
    assert [e.code for e in outcome.errors] == ["ASL000"]
    assert "did not settle after 10 rounds" in outcome.errors[0].message


def test_file_changed_during_the_run_is_not_overwritten(write, monkeypatch, tmp_path):
    from asynclint import runner, source as source_module

    path = write("a.py", "import asyncio\nasync def f():\n    asyncio.create_task(g())\n")
    real_read = source_module.read_source

    def read_then_edit(p, max_bytes=None):
        src = real_read(p, max_bytes)
        path.write_text("# edited meanwhile\n")
        return src

    monkeypatch.setattr(runner, "read_source", read_then_edit)
    report = runner.process_file(str(path), Settings(unsafe_fixes=True, root=tmp_path), runner.Mode.FIX)
    assert [e.message for e in report.errors] == ["not fixed: the file changed on disk while it was being checked"]
    assert path.read_text() == "# edited meanwhile\n"
