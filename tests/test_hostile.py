"""Odd and hostile input: a clear message and the right exit code, never a crash."""

import subprocess
import sys
import time

import pytest

from asynclint.checks import ALL_RULES

from asynclint.checks.shared import fixes
from asynclint.engine.diagnostics import Applicability, Edit, Fix
from asynclint.lint.fixer import MAX_ROUNDS, fix_text
from asynclint.config.options import Settings

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
    from asynclint.run import runner
    from asynclint.engine import source as source_module

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


# --- encodings, line endings and indentation kept by --fix ---------------------------------

_TASK = b"import asyncio\nasync def f():\n    asyncio.create_task(g())\n"
_FIXED = b"    task = asyncio.create_task(g())\n"


def test_syntax_error_names_the_place(write, run):
    write("a.py", "def f(:\n    pass\n")
    code, out, err = run("a.py")
    assert (code, out) == (2, "a.py:1:7: E999 SyntaxError: invalid syntax\n")
    assert "Traceback" not in err


def test_non_utf8_without_a_cookie(write, run):
    write("a.py", "", raw=b"x = 1\nname = '\xe9t\xe9'\n")
    code, out, _ = run("a.py")
    assert (code, out) == (
        2,
        "a.py:2:9: E902 cannot decode: byte 0xe9 is not valid utf-8 "
        "(declare the encoding with a PEP 263 coding comment)\n",
    )


_TASK_FIXED = (
    b"import asyncio\n\n# Strong references to background tasks: the event loop keeps only weak ones.\n"
    b"_background_tasks = set()\nasync def f():\n    task = asyncio.create_task(g())\n"
    b"    _background_tasks.add(task)\n    task.add_done_callback(_background_tasks.discard)\n"
)


@pytest.mark.parametrize(
    "change",
    [
        lambda code: b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + code,
        lambda code: b"\xef\xbb\xbf" + code,
        lambda code: code.replace(b"\n", b"\r\n"),
        lambda code: code.replace(b"    ", b"\t"),
        lambda code: code.replace(b"\n", b"\r"),  # libcst drops a final lone CR: it is kept
        lambda code: code + b"\r",
    ],
    ids=["latin-1-cookie", "bom", "crlf", "tabs", "cr", "stray-final-cr"],
)
def test_fix_keeps_encoding_endings_and_indentation(write, run, change):
    path = write("a.py", "", raw=change(_TASK))
    assert run("--fix", "--unsafe-fixes", "--no-cache", "a.py")[0] == 0
    assert path.read_bytes() == change(_TASK_FIXED)
    assert run("--fix", "--unsafe-fixes", "--no-cache", "a.py")[0] == 0
    assert path.read_bytes() == change(_TASK_FIXED)


# --- size and time limits --------------------------------------------------------------------


def test_huge_file_is_skipped_with_the_reason(write, run):
    import time

    write("a.py", "", raw=b"x = 1\n" * 3_500_000)  # 21 MB
    start = time.monotonic()
    code, out, err = run("a.py")
    assert time.monotonic() - start < 5
    assert (code, out) == (
        2, "a.py:1:1: ASL001 not checked: the file is 21.0 MB, over max-file-size (2 MB); "
           "raise the limit or exclude the file\n",
    )
    assert run("--max-file-size", "0.000001", "-", stdin=b"x = 1\n")[1] == (
        "-:1:1: ASL001 not checked: the file is 0.0 MB, over max-file-size (1e-06 MB); "
        "raise the limit or exclude the file\n"
    )


def _slow_for(name: str, seconds: float):
    from asynclint.lint.walker import Walker

    real = Walker.finish

    def finish(self):
        if self.context.path.endswith(name):
            time.sleep(seconds)  # a rule stuck on this file
        real(self)

    return finish


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["one-process", "process-pool"])
def test_slow_file_is_reported_and_skipped(write, run, monkeypatch, jobs):
    from asynclint.lint.walker import Walker

    monkeypatch.setattr(Walker, "finish", _slow_for("slow.py", 3))
    for name in ("a.py", "b.py", "c.py", "slow.py"):
        write(name, "import asyncio\nasync def f():\n    asyncio.create_task(g())\n")
    start = time.monotonic()
    code, out, err = run("--jobs", jobs, "--per-file-timeout", "0.5", "--no-cache", ".")
    assert time.monotonic() - start < 3
    assert code == 2
    assert out.splitlines()[-1] == (
        "slow.py:1:1: ASL001 not checked: the file took longer than per-file-timeout (0.5 s) "
        "and was skipped; raise the limit or exclude the file"
    )
    assert [line.split(":")[0] for line in out.splitlines()[:-1]] == ["a.py", "b.py", "c.py"]
    assert "Traceback" not in err


def test_time_limit_from_the_config_file(write, run, monkeypatch):
    from asynclint.lint.walker import Walker

    monkeypatch.setattr(Walker, "finish", _slow_for("a.py", 2))
    write("pyproject.toml", "[tool.asynclint]\nper-file-timeout = 0.3\n")
    write("a.py", "x = 1\n")
    assert run("a.py")[1].startswith("a.py:1:1: ASL001 not checked: the file took longer than per-file-timeout (0.3 s)")
    write("pyproject.toml", "[tool.asynclint]\nper-file-timeout = 'soon'\n")
    code, _, err = run("a.py")
    assert code == 2 and "per-file-timeout: expected a number from 0 to 1e+09 (0 for no limit), got 'soon'" in err


# --- files that cannot be read, or vanish -----------------------------------------------------


def test_unreadable_file(write, run, monkeypatch):
    from asynclint.engine import source

    write("a.py", "x = 1\n")
    write("b.py", "import asyncio\nasync def f():\n    asyncio.create_task(g())\n")
    real_open = open

    def deny(path, *args, **kwargs):
        if str(path).endswith("a.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(source, "open", deny, raising=False)  # works when tests run as root too
    code, out, _ = run("--no-cache", ".")
    assert code == 2
    assert out.splitlines() == [
        "a.py:1:1: E902 cannot read: Permission denied",
        "b.py:3:5: ASL301 task from `asyncio.create_task()` is dropped; keep a reference until "
        "it finishes (the event loop holds tasks only weakly)",
    ]


def test_unreadable_directory(write, run, monkeypatch):
    import os

    write("locked/a.py", "x = 1\n")
    write("b.py", "x = 1\n")
    real_scandir = os.scandir

    def deny(path="."):
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    code, out, _ = run("--no-cache", ".")
    assert (code, out) == (2, "locked:1:1: E902 cannot read: Permission denied\n")


def test_symlink_loops(write, run, tmp_path):
    import os

    write("a.py", "x = 1\n")
    os.symlink("loop2.py", tmp_path / "loop1.py")
    os.symlink("loop1.py", tmp_path / "loop2.py")
    os.symlink(".", tmp_path / "again")  # a directory loop: links to folders are not followed
    code, out, _ = run("--no-cache", ".")
    assert (code, out) == (
        2,
        "loop1.py:1:1: E902 cannot read: Too many levels of symbolic links\n"
        "loop2.py:1:1: E902 cannot read: Too many levels of symbolic links\n",
    )


def test_fifo_is_not_read(write, run, tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.py")  # opening it would block forever
    assert run("--no-cache", "pipe.py")[:2] == (2, "pipe.py:1:1: E902 cannot read: not a regular file\n")


def test_file_deleted_during_the_run(write, run, monkeypatch, tmp_path):
    from asynclint.config import discovery

    write("a.py", "x = 1\n")
    write("gone.py", "x = 1\n")
    real = discovery.discover

    def discover_then_delete(paths, settings):
        found = real(paths, settings)
        (tmp_path / "gone.py").unlink(missing_ok=True)
        return found

    monkeypatch.setattr(discovery, "discover", discover_then_delete)
    code, out, err = run("--no-cache", ".")
    assert (code, out) == (2, "gone.py:1:1: E902 cannot read: No such file or directory\n")
    assert "Traceback" not in err


# --- --fix writes atomically ------------------------------------------------------------------


def test_fix_replaces_the_file_keeping_its_permissions(write, run, tmp_path):
    import os

    path = write("a.py", "", raw=_TASK)
    path.chmod(0o640)
    inode = path.stat().st_ino
    assert run("--fix", "--unsafe-fixes", "--no-cache", "a.py")[0] == 0
    assert _FIXED in path.read_bytes()
    assert path.stat().st_mode & 0o7777 == 0o640
    assert path.stat().st_ino != inode  # a new file renamed over the old one, not rewritten in place
    assert sorted(os.listdir(tmp_path)) == ["a.py"]  # no temporary file left behind


def test_failed_write_leaves_the_file_whole(write, run, monkeypatch, tmp_path):
    import os

    from asynclint.engine import source

    path = write("a.py", "", raw=_TASK)

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(source.os, "replace", full_disk)
    code, out, _ = run("--fix", "--unsafe-fixes", "--no-cache", "a.py")
    assert code == 2
    assert "a.py:1:1: E902 cannot write the fix: No space left on device\n" in out
    assert path.read_bytes() == _TASK
    assert sorted(os.listdir(tmp_path)) == ["a.py"]


def test_flake8_plugin_applies_the_limits(tmp_path, monkeypatch):
    from asynclint.lint.walker import Walker
    from asynclint.frontends.flake8_plugin import AsyncLintPlugin
    from asynclint.config.options import Settings

    monkeypatch.setattr(Walker, "finish", _slow_for("a.py", 2))
    path = tmp_path / "a.py"
    path.write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text("[tool.asynclint]\n")

    def messages(**limits):
        settings = Settings(root=tmp_path, cache_dir="", **limits)
        monkeypatch.setattr(AsyncLintPlugin, "settings", settings)
        monkeypatch.setattr(AsyncLintPlugin, "projects", {})  # one project run per settings
        return [m for _, _, m, _ in AsyncLintPlugin(None, ["x = 1\n"], str(path)).run()]

    assert messages(per_file_timeout=0.3) == [
        "ASL001 not checked: the file took longer than per-file-timeout (0.3 s) and was skipped; "
        "raise the limit or exclude the file"
    ]
    assert messages(max_file_size=0.000001) == [
        "ASL001 not checked: the file is 0.0 MB, over max-file-size (1e-06 MB); raise the limit or exclude the file"
    ]


def test_fix_does_not_echo_the_compilers_warnings(tmp_path):
    # A fix is checked by compiling the fixed text; CPython's SyntaxWarnings about the user's own
    # code (`...()` here) are not asynclint's to print.
    (tmp_path / "a.py").write_text("import asyncio\n\n\nasync def f():\n    x = ...()\n    asyncio.sleep(1)\n")
    proc = subprocess.run(
        [sys.executable, "-W", "default", "-m", "asynclint", "--no-cache", "--fix", "a.py"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr
    assert "    await asyncio.sleep(1)\n" in (tmp_path / "a.py").read_text()


# --- code CPython accepts that libcst cannot parse ----------------------------------------------

_PARENTHESIZED_TARGET = b"import asyncio\n\n(ready): bool = True\n"  # as in CPython's test_grammar.py


def test_code_only_libcst_refuses_is_named_a_libcst_limitation(write, run):
    import ast

    try:
        cst.parse_module(_PARENTHESIZED_TARGET.decode())
    except cst.ParserSyntaxError:
        pass
    else:
        pytest.skip("this libcst parses a parenthesized annotated target")
    ast.parse(_PARENTHESIZED_TARGET)  # valid Python
    write("a.py", "", raw=_PARENTHESIZED_TARGET)
    code, out, err = run("a.py")
    assert code == 2
    assert out.startswith(
        "a.py:3:1: E999 libcst cannot parse this file, though Python accepts it (a libcst limitation; "
        "the file is not checked): parser error: error at 3:9: expected one of "
    ), out
    assert out.count("\n") == 1 and "Traceback" not in err


def test_libcst_failing_oddly_on_valid_code_is_named_a_libcst_limitation(monkeypatch):
    from asynclint.lint import walker

    def broken(text):
        raise TypeError("super(type, obj): obj must be an instance or subtype of type")

    monkeypatch.setattr(walker, "parse_module", broken)
    error = walker.parse("x = () if 0 else(lambda: ())\n")
    assert error.message == (
        "libcst cannot parse this file, though Python accepts it (a libcst limitation; the file is not "
        "checked): TypeError: super(type, obj): obj must be an instance or subtype of type"
    )
    assert walker.parse("x = 1\x00\n").message == "SyntaxError: source code string cannot contain null bytes"
