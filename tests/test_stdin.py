"""Code read from stdin: the editor pipe (`--fix --stdin-filename PATH -`) and checks of a buffer.

An editor replaces its buffer with what the pipe prints, so with nothing to fix the pipe must
print the input back byte for byte. These run the real command in a subprocess, as an editor does.
"""

import subprocess
import sys

import pytest

DROP = b"import asyncio\n\nasync def main():\n    asyncio.sleep(1)\n"
FIXED = b"import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n"


def pipe(cwd, data: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "asynclint", "--no-cache", *args],
        input=data, capture_output=True, cwd=cwd, timeout=60,
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n", id="clean"),
        pytest.param(b"import asyncio\r\n\r\nasync def main():\r\n    await asyncio.sleep(1)", id="crlf-no-final-newline"),
        pytest.param(b"# -*- coding: latin-1 -*-\nname = '\xe9'\n", id="latin-1"),
        pytest.param(b"\xef\xbb\xbfx = 1\n", id="bom"),
        pytest.param(b"x = 1\ry = 2\r", id="cr-only"),
        pytest.param(b"", id="empty"),
    ],
)
def test_fix_pipe_gives_clean_input_back_byte_for_byte(tmp_path, data):
    done = pipe(tmp_path, data, "--fix", "--stdin-filename", "app.py", "-")
    assert done.returncode == 0, done.stderr
    assert done.stdout == data


def test_fix_pipe_gives_input_back_when_findings_have_no_fix(tmp_path):
    data = b"import time\n\nclass C:\n    @property\n    async def value(self):\n        return 1\n"
    done = pipe(tmp_path, data, "--fix", "--stdin-filename", "app.py", "-")
    assert done.stdout == data
    assert done.returncode == 1
    assert done.stderr.startswith(b"app.py:4:6: ASL507 `@property` on an `async def`")


def test_fix_pipe_gives_input_back_on_a_syntax_error(tmp_path):
    data = b"def f(:\r\n    pass\r\n"
    done = pipe(tmp_path, data, "--fix", "--stdin-filename", "bad.py", "-")
    assert done.stdout == data
    assert done.returncode == 2
    assert done.stderr.startswith(b"bad.py:1:7: E999 SyntaxError")


def test_fix_pipe_gives_input_back_when_it_cannot_be_decoded(tmp_path):
    data = b"x = '\xff'\n"
    done = pipe(tmp_path, data, "--fix", "--stdin-filename", "odd.py", "-")
    assert done.stdout == data
    assert done.returncode == 2
    assert b"odd.py:1:6: E902 cannot decode: byte 0xff is not valid utf-8" in done.stderr


def test_fix_pipe_gives_input_back_when_it_is_too_large(tmp_path):
    data = b"x = 1\n" * 100
    done = pipe(tmp_path, data, "--fix", "--max-file-size", "0.0001", "--stdin-filename", "big.py", "-")
    assert done.stdout == data
    assert done.returncode == 2


def test_fix_pipe_prints_the_fixed_code_and_a_second_pass_changes_nothing(tmp_path):
    crlf = DROP.replace(b"\n", b"\r\n")
    done = pipe(tmp_path, crlf, "--fix", "--stdin-filename", "app.py", "-")
    assert done.returncode == 0, done.stderr
    assert done.stdout == FIXED.replace(b"\n", b"\r\n")
    again = pipe(tmp_path, done.stdout, "--fix", "--stdin-filename", "app.py", "-")
    assert again.stdout == done.stdout
    assert again.returncode == 0


def test_stdin_filename_alone_reads_stdin(tmp_path):
    # Without `-`, the code still comes from stdin (as with ruff), not from a walk of the folder.
    (tmp_path / "other.py").write_bytes(DROP)
    done = pipe(tmp_path, DROP, "--stdin-filename", "svc/app.py")
    assert done.stdout == (
        b"svc/app.py:4:5: ASL101 `asyncio.sleep()` returns a coroutine that is never awaited, so it never runs\n"
    )
    assert done.returncode == 1


def test_stdin_filename_alone_fixes_through_the_pipe(tmp_path):
    done = pipe(tmp_path, DROP, "--fix", "--stdin-filename", "app.py")
    assert done.stdout == FIXED


def test_stdin_cannot_be_mixed_with_paths(tmp_path):
    done = pipe(tmp_path, DROP, "--stdin-filename", "app.py", "src")
    assert done.returncode == 2
    assert done.stderr == b"asynclint: error: code read from stdin (--stdin-filename or -) cannot be mixed with other paths\n"


@pytest.fixture
def project(store_project):
    (store_project / "pkg" / "app.py").write_text("x = 1\n")  # on disk: not what the buffer holds
    return store_project


BUFFER = b"from pkg.store import save\n\n\nasync def handle(record):\n    save(record)\n"


def test_stdin_resolves_calls_into_the_project(project):
    done = pipe(project, BUFFER, "--stdin-filename", "pkg/app.py", "-")
    assert done.stdout == (
        b"pkg/app.py:5:5: ASL101 `save()` returns a coroutine that is never awaited, so it never runs\n"
    )
    assert done.returncode == 1


def test_stdin_fixes_calls_into_the_project_and_writes_no_file(project):
    done = pipe(project, BUFFER, "--fix", "--stdin-filename", "pkg/app.py", "-")
    assert done.stdout == BUFFER.replace(b"    save(record)", b"    await save(record)")
    assert (project / "pkg" / "app.py").read_text() == "x = 1\n"
