"""The command line: formats, exit codes, selection, config, fixes, stdin, and bad input."""

import io
import json
import os
import sys
from pathlib import Path

import jsonschema
import pytest

from asynclint import __version__
from asynclint.checks import ALL_RULES

DROP = """
import asyncio


async def main():
    asyncio.create_task(work())
"""
DROP_FINDING = (
    "a.py:5:5: ASL301 task from `asyncio.create_task()` is dropped; keep a reference until it "
    "finishes (the event loop holds tasks only weakly)\n"
)
FIXED_DROP = """import asyncio

# Strong references to background tasks: the event loop keeps only weak ones.
_background_tasks = set()


async def main():
    task = asyncio.create_task(work())
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
"""
CLEAN = """
import asyncio


async def main():
    await asyncio.create_task(work())
"""


def test_concise_output_and_exit_code_one(write, run):
    write("a.py", DROP)
    code, out, err = run("a.py")
    assert (code, out) == (1, DROP_FINDING)
    assert err == "Found 1 finding (1 fixable with --fix --unsafe-fixes).\n"


def test_clean_code_exit_zero(write, run):
    write("a.py", CLEAN)
    assert run(".") == (0, "", "All checks passed.\n")


def test_directory_walk_default_path(write, run):
    write("pkg/a.py", DROP)
    write("pkg/notes.txt", "asyncio.create_task(x())")
    code, out, _ = run()
    assert code == 1
    assert out == DROP_FINDING.replace("a.py", "pkg/a.py")


def test_exit_zero(write, run):
    write("a.py", DROP)
    code, out, _ = run("--exit-zero", "a.py")
    assert (code, out) == (0, DROP_FINDING)


def test_full_format_shows_source_and_caret(write, run):
    write("a.py", DROP)
    code, out, _ = run("--output-format", "full", "a.py")
    assert code == 1
    assert out == (
        DROP_FINDING
        + "  |\n"
        + "5 |     asyncio.create_task(work())\n"
        + "  |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        + "  = unsafe fix: keep a strong reference to the task until it is done\n"
        + "  = docs: https://github.com/asynclint/asynclint/blob/main/docs/rules/ASL301.md\n\n"
    )


def test_json_format(write, run):
    write("a.py", DROP)
    code, out, err = run("--output-format", "json", "a.py")
    assert code == 1 and err == ""
    assert json.loads(out) == [
        {
            "code": "ASL301",
            "name": "dropped-task",
            "message": DROP_FINDING.split(" ASL301 ")[1].rstrip("\n"),
            "filename": "a.py",
            "cell": None,
            "location": {"row": 5, "column": 5},
            "end_location": {"row": 5, "column": 32},
            "fix": {
                "applicability": "unsafe",
                "message": "keep a strong reference to the task until it is done",
                "edits": [
                    {
                        "content": "\n# Strong references to background tasks: the event loop keeps only weak ones.\n"
                        "_background_tasks = set()\n",
                        "location": {"row": 2, "column": 1},
                        "end_location": {"row": 2, "column": 1},
                    },
                    {
                        "content": "task = asyncio.create_task(work())\n    _background_tasks.add(task)\n"
                        "    task.add_done_callback(_background_tasks.discard",
                        "location": {"row": 5, "column": 5},
                        "end_location": {"row": 5, "column": 31},
                    },
                ],
            },
            "noqa_row": 5,
            "url": "https://github.com/asynclint/asynclint/blob/main/docs/rules/ASL301.md",
            "severity": "warning",
        }
    ]


GET_LOOP = """
import asyncio


async def main():
    loop = asyncio.get_event_loop()
    return loop
"""


def _apply_json_edits(text: str, finding: dict) -> str:
    from asynclint.engine.diagnostics import TextEdit
    from asynclint.engine.textedits import apply_edits

    edits = [
        TextEdit(e["location"]["row"], e["location"]["column"], e["end_location"]["row"], e["end_location"]["column"], e["content"])
        for e in finding["fix"]["edits"]
    ]
    return apply_edits(text, edits)


@pytest.mark.parametrize(
    ("source", "flags"), [(GET_LOOP, ["--fix"]), (DROP, ["--fix", "--unsafe-fixes"])], ids=["safe", "unsafe"],
)
def test_json_fix_edits_give_what_fix_writes(write, run, tmp_path, source, flags):
    path = write("a.py", source)
    original = path.read_text()
    outputs = [run("--output-format", "json", "a.py")[1] for _ in range(2)]  # the second from the cache
    assert outputs[0] == outputs[1]
    assert (tmp_path / ".asynclint_cache").is_dir()
    [finding] = json.loads(outputs[0])
    assert finding["noqa_row"] == 5
    expected = _apply_json_edits(original, finding)
    run(*flags, "a.py")
    assert path.read_text() == expected != original


def test_json_fix_edits_cross_worker_processes(write, run):
    for name in "abcd":
        write(f"{name}.py", GET_LOOP)
    _, out, _ = run("--no-cache", "--jobs", "2", "--output-format", "json", ".")
    found = json.loads(out)
    assert [f["filename"] for f in found] == ["a.py", "b.py", "c.py", "d.py"]
    for f in found:
        assert f["fix"]["edits"] == [
            {"content": "get_running_loop", "location": {"row": 5, "column": 20}, "end_location": {"row": 5, "column": 34}}
        ]


def test_json_fix_edits_drop_an_import_only_when_that_fix_alone_leaves_it_unused(write, run):
    """Each fix's edits are what applying it alone writes: with two `time.sleep` calls neither
    fix alone leaves `import time` unused (edits in place); with one, its fix takes the import out."""
    head = "import asyncio\nimport time\n\n\nasync def a():\n    time.sleep(1)\n"
    write("two.py", head + "\n\nasync def b():\n    time.sleep(2)\n")
    write("one.py", head)
    _, out, _ = run("--no-cache", "--output-format", "json", "one.py", "two.py")
    edits = [(f["filename"], f["location"]["row"], f["fix"]["edits"]) for f in json.loads(out)]

    def edit(row, column, end_row, end_column, content):
        return {"content": content, "location": {"row": row, "column": column}, "end_location": {"row": end_row, "column": end_column}}

    assert edits == [
        ("one.py", 6, [edit(2, 1, 3, 1, ""), edit(6, 5, 6, 9, "await asyncio")]),
        ("two.py", 6, [edit(6, 5, 6, 9, "await asyncio")]),
        ("two.py", 10, [edit(10, 5, 10, 9, "await asyncio")]),
    ]


def test_json_noqa_row_past_multi_line_strings_and_continuations(write, run):
    write("a.py", """
        import asyncio


        async def main():
            x = f\"\"\"{asyncio.get_event_loop()}
            \"\"\"
            y = asyncio.get_event_loop() + \\
                1
            z = (asyncio.get_event_loop(),
                 1)  # noqa: E501
        """)
    _, out, _ = run("--output-format", "json", "a.py")
    assert [(f["location"]["row"], f["noqa_row"]) for f in json.loads(out)] == [(5, 6), (7, 8), (9, 10)]


def test_sarif_is_valid_against_the_schema(write, run):
    write("a.py", DROP)
    write("broken.py", "def f(:\n")
    code, out, _ = run("--output-format", "sarif", ".")
    assert code == 2
    log = json.loads(out)
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    run_ = log["runs"][0]
    assert [r["ruleId"] for r in run_["results"]] == ["ASL301"]
    region = run_["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 5, "startColumn": 5, "endLine": 5, "endColumn": 32}
    assert run_["invocations"][0]["executionSuccessful"] is False
    assert run_["invocations"][0]["toolExecutionNotifications"][0]["descriptor"]["id"] == "E999"
    assert {r["id"] for r in run_["tool"]["driver"]["rules"]} >= {"ASL301", "ASL302"}


def test_github_annotations(write, run):
    write("a.py", DROP)
    code, out, _ = run("--output-format", "github", "a.py")
    assert code == 1
    assert out == (
        "::warning title=asynclint (ASL301),file=a.py,line=5,col=5,endLine=5,endColumn=32::"
        + DROP_FINDING.split(": ", 1)[1]
    )


def test_statistics(write, run):
    write("a.py", DROP + "\n\ndef f():\n    t = asyncio.ensure_future(x())\n")
    code, out, _ = run("--statistics", "a.py")
    assert code == 1
    assert out == "    1  ASL301  [-] dropped-task\n    1  ASL302  [-] unused-task-binding\n"


def test_statistics_as_json(write, run):
    write("a.py", DROP + "\n\ndef f():\n    t = asyncio.ensure_future(x())\n    asyncio.ensure_future(x())\n")
    code, out, _ = run("--statistics", "--output-format", "json", "a.py")
    assert code == 1
    assert json.loads(out) == [
        {"code": "ASL301", "name": "dropped-task", "count": 2, "fixable": True, "fix": "unsafe"},
        {"code": "ASL302", "name": "unused-task-binding", "count": 1, "fixable": True, "fix": "unsafe"},
    ]


def test_no_python_files_is_warned_about(write, run, tmp_path):
    (tmp_path / "src").mkdir()
    write("src/notes.txt", "not python\n")
    code, out, err = run("srcc", "src")
    assert err.splitlines()[-2:] == [
        "asynclint: warning: no Python files found under the given paths",
        "1 file could not be checked fully (see above).",
    ]
    code, out, err = run("src")
    assert (code, out) == (0, "")
    assert err == "asynclint: warning: no Python files found under the given paths\nAll checks passed.\n"


@pytest.mark.parametrize(
    ("args", "codes"),
    [
        ((), ["ASL301", "ASL302"]),
        (("--select", "ASL302"), ["ASL302"]),
        (("--ignore", "ASL3"), []),
        (("--ignore", "ASL3", "--extend-select", "ASL301"), ["ASL301"]),
        (("--select", "ASL3", "--ignore", "ASL302"), ["ASL301"]),
        (("--per-file-ignores", "a.py:ASL301"), ["ASL302"]),
    ],
    ids=["default", "select", "ignore-prefix", "more-specific-select-wins", "ignore-specific", "per-file"],
)
def test_selection(write, run, args, codes):
    write("a.py", DROP + "\n\ndef f():\n    t = asyncio.ensure_future(x())\n")
    _, out, _ = run("--output-format", "json", *args, "a.py")
    assert [f["code"] for f in json.loads(out)] == codes


def test_pyproject_config_is_read(write, run):
    write("pyproject.toml", '[tool.asynclint]\nignore = ["ASL301"]\nextend-exclude = ["skipped/"]\n')
    write("a.py", DROP + "\n\ndef f():\n    t = asyncio.ensure_future(x())\n")
    write("skipped/b.py", DROP)
    _, out, _ = run("--output-format", "json")
    assert [(f["filename"], f["code"]) for f in json.loads(out)] == [("a.py", "ASL302")]


def test_exclude_applies_to_explicit_files(write, run):
    write("pyproject.toml", '[tool.asynclint]\nextend-exclude = ["gen_*.py"]\n')
    write("gen_a.py", DROP)
    assert run("gen_a.py")[0] == 0


def test_gitignore_respected_on_walk(write, run):
    write(".gitignore", "ignored/\n")
    write("ignored/a.py", DROP)
    write("kept/a.py", CLEAN)
    assert run(".")[0] == 0
    assert run("--no-respect-gitignore", ".")[0] == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('[tool.asynclint]\nselct = ["ASL3"]\n', "unknown option 'selct' (did you mean 'select'?)"),
        ('[tool.asynclint]\nselect = ["ASL999"]\n', "select: unknown rule code or prefix 'ASL999'"),
        ('[tool.asynclint]\nselect = "ASL3"\nunsafe-fixes = "yes"\n', "unsafe-fixes: expected true or false, got 'yes'"),
        ('[tool.asynclint]\noutput-format = "xml"\n', "output-format: expected one of concise, full, json, sarif, github, gitlab, junit, pylint, got 'xml'"),
        ("[tool.asynclint\n", "invalid TOML"),
    ],
    ids=["unknown-key", "unknown-code", "bad-bool", "bad-choice", "bad-toml"],
)
def test_bad_config_is_a_clear_error(write, run, config, message):
    write("pyproject.toml", config)
    write("a.py", CLEAN)
    code, out, err = run("a.py")
    assert code == 2 and out == ""
    assert err.startswith("asynclint: error: ") and message in err
    assert "Traceback" not in err


def test_bad_command_line_value(write, run):
    write("a.py", CLEAN)
    code, _, err = run("--select", "XYZ1", "a.py")
    assert code == 2
    assert "command line: select: unknown rule code or prefix 'XYZ1'" in err


def test_unparsable_file_is_reported_and_run_goes_on(write, run):
    write("bad.py", "def broken(:\n    pass\n")
    write("good.py", DROP)
    code, out, err = run(".")
    assert code == 2
    assert out.splitlines() == [
        "bad.py:1:12: E999 SyntaxError: invalid syntax",
        DROP_FINDING.replace("a.py", "good.py").rstrip("\n"),
    ]
    assert "Traceback" not in err


def test_non_utf8_file_without_cookie(write, run):
    write("latin.py", "", raw=b"x = '\xe9t\xe9'\n")
    code, out, _ = run("latin.py")
    assert code == 2
    assert out == (
        "latin.py:1:6: E902 cannot decode: byte 0xe9 is not valid utf-8 "
        "(declare the encoding with a PEP 263 coding comment)\n"
    )


def test_unreadable_file(write, run, tmp_path):
    os.symlink(tmp_path / "nowhere.py", tmp_path / "dangling.py")
    code, out, _ = run("dangling.py")
    assert code == 2
    assert out == "dangling.py:1:1: E902 cannot read: No such file or directory\n"


def test_missing_path(run):
    code, out, _ = run("nope.py")
    assert (code, out) == (2, "nope.py:1:1: E902 no such file or directory\n")


def test_fix_writes_and_is_idempotent(write, run):
    path = write("a.py", DROP)
    code, out, err = run("--fix", "a.py")
    assert code == 1 and path.read_text() == DROP.lstrip("\n")  # unsafe fixes need opt-in
    code, out, err = run("--fix", "--unsafe-fixes", "a.py")
    assert (code, out) == (0, "")
    assert err == "Fixed 1 finding. All checks passed.\n"
    assert path.read_text() == FIXED_DROP
    assert run("--fix", "--unsafe-fixes", "a.py")[0] == 0
    assert path.read_text() == FIXED_DROP


def test_diff_previews_and_writes_nothing(write, run):
    path = write("a.py", DROP)
    code, out, _ = run("--diff", "--unsafe-fixes", "a.py")
    assert code == 1
    assert out.startswith("--- a/a.py\n+++ b/a.py\n")
    assert "+    task = asyncio.create_task(work())\n" in out
    assert path.read_text() == DROP.lstrip("\n")
    assert run("--diff", "a.py") == (0, "", "")  # nothing safe to fix


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("crlf.py", DROP.lstrip("\n").replace("\n", "\r\n").encode()),
        ("bom.py", b"\xef\xbb\xbf" + DROP.lstrip("\n").encode()),
        ("latin1.py", b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + DROP.lstrip("\n").encode()),
    ],
)
def test_fix_keeps_line_endings_bom_and_encoding(write, run, name, raw):
    path = write(name, "", raw=raw)
    assert run("--fix", "--unsafe-fixes", name)[0] == 0
    data = path.read_bytes()
    if name == "crlf.py":
        assert data == FIXED_DROP.replace("\n", "\r\n").encode()
    elif name == "bom.py":
        assert data == b"\xef\xbb\xbf" + FIXED_DROP.encode()
    else:
        assert data.startswith(b"# -*- coding: latin-1 -*-\n# caf\xe9\n")
        assert data.decode("latin-1").endswith(FIXED_DROP.split("\n", 1)[1])


def test_stdin(run):
    code, out, _ = run("-", "--stdin-filename", "svc/a.py", stdin=DROP.lstrip("\n").encode())
    assert code == 1
    assert out == DROP_FINDING.replace("a.py", "svc/a.py")


def test_stdin_fix_prints_fixed_code(run):
    code, out, err = run("--fix", "--unsafe-fixes", "-", stdin=DROP.lstrip("\n").encode())
    assert code == 0
    assert out == FIXED_DROP


def test_noqa(write, run):
    write(
        "a.py",
        """
        import asyncio


        async def main():
            asyncio.create_task(work())  # noqa
            asyncio.create_task(work())  # noqa: ASL301
            asyncio.create_task(work())  # noqa: ASL302
            asyncio.create_task(  # noqa: ASL3
                work()
            )
            asyncio.create_task(
                work()
            )  # NOQA:ASL301
        """,
    )
    _, out, _ = run("--output-format", "json", "a.py")
    # ASL302 silences nothing on line 7, which ASL530 says.
    assert [(f["code"], f["location"]["row"]) for f in json.loads(out)] == [("ASL301", 7), ("ASL530", 7)]


def test_rule_command(run):
    code, out, _ = run("rule", "ASL301")
    assert code == 0
    assert out.startswith("# ASL301: dropped-task\n")
    assert run("rule", "asl302")[1].startswith("# ASL302: unused-task-binding\n")
    code, out, err = run("rule", "ASL999")
    assert code == 2 and "unknown rule code 'ASL999'" in err
    code, out, _ = run("rule", "--all")
    assert out.splitlines()[0].startswith("ASL101  unawaited-coroutine: ")
    assert [line.split()[0] for line in out.splitlines()] == sorted(rule.code for rule in ALL_RULES)
    assert [line for line in out.splitlines() if "[opt-in]" in line] == [
        line for line in out.splitlines() if line.split()[0] in {r.code for r in ALL_RULES if r.opt_in}
    ]


def test_version(run, capsys):
    with pytest.raises(SystemExit) as exc:
        run("--version")
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"asynclint {__version__}\n"


def test_internal_error_in_one_rule_is_isolated(write, run, monkeypatch):
    from asynclint.checks.tasks.references import UnusedTaskBinding

    def boom(self, node):
        raise RuntimeError("boom")

    monkeypatch.setattr(UnusedTaskBinding, "visit_Assign", boom)
    write("a.py", DROP + "\n\ndef f():\n    t = 1\n")
    code, out, _ = run("a.py")
    assert code == 2
    assert out.splitlines() == [
        "a.py:1:1: ASL000 rule ASL302 (unused-task-binding) failed on this file and was skipped "
        "for it: RuntimeError: boom (this is a bug in asynclint; please report it)",
        DROP_FINDING.rstrip("\n"),
    ]


def test_parallel_run_matches_serial(write, run):
    for n in range(8):
        write(f"m{n}.py", DROP if n % 2 else CLEAN)
    serial = run("--jobs", "1", ".")
    parallel = run("--jobs", "2", ".")
    assert serial == parallel
    assert serial[1].count("ASL301") == 4


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_line_only_in_a_terminal(tmp_path, monkeypatch):
    from asynclint.frontends import cli
    from asynclint.run import progress

    for n in range(6):
        (tmp_path / f"m{n}.py").write_text("async def f():\n    pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "INTERVAL", 0.0)
    for argv, shown in ((["--jobs", "1", "."], True), (["--jobs", "1", "-q", "."], False)):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        cli.main(["--no-cache", *argv])
        text = terminal.getvalue()
        assert ("asynclint: read 6/6 files" in text) is shown
        if shown:  # the line is erased before anything else is written
            assert text.index("\r\033[K", text.rindex("6/6 files")) > 0
    piped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", piped)
    cli.main(["--no-cache", "--jobs", "1", "."])
    assert "files" not in piped.getvalue().replace("Found", "")


def test_sarif_locations_resolve_from_any_folder_the_run_starts_in(write, run, tmp_path, monkeypatch):
    write("pyproject.toml", "[tool.asynclint]\n")
    write("svc/my app#1.py", DROP)
    monkeypatch.chdir(tmp_path / "svc")
    code, out, _ = run("--output-format", "sarif", ".")
    log = json.loads(out)
    run_ = log["runs"][0]
    assert run_["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}
    location = run_["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "svc/my%20app%231.py", "uriBaseId": "%SRCROOT%"}
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows file names cannot hold control characters")
def test_control_characters_in_file_names_are_escaped(write, run):
    write("odd\nname\x1b[31m.py", DROP)
    code, out, _ = run("--no-cache", ".")
    assert out == DROP_FINDING.replace("a.py", "odd\\x0aname\\x1b[31m.py")
    code, out, _ = run("--no-cache", "--output-format", "full", ".")
    assert out.splitlines()[0] == DROP_FINDING.replace("a.py", "odd\\x0aname\\x1b[31m.py").rstrip("\n")


@pytest.mark.parametrize("marker", ["pyproject.toml", "setup.cfg"])
def test_command_line_patterns_are_relative_to_the_project_root(write, run, tmp_path, marker):
    # How pre-commit runs it: `args: [--per-file-ignores, "tests/*:ASL301"]`, then the changed
    # files; the project has no [tool.asynclint] table.
    write(marker, "")
    write("tests/test_x.py", DROP)
    write("src/app.py", DROP)
    code, out, _ = run("--per-file-ignores", "tests/*:ASL301", "tests/test_x.py", "src/app.py")
    assert out == DROP_FINDING.replace("a.py", "src/app.py")
    code, out, _ = run("--extend-exclude", "src/", "tests/test_x.py", "src/app.py")
    assert out == DROP_FINDING.replace("a.py", "tests/test_x.py")


def test_without_a_project_marker_patterns_are_relative_to_the_current_folder(write, run, tmp_path):
    write("tests/test_x.py", DROP)
    code, out, _ = run("--per-file-ignores", "tests/*:ASL301", "tests/test_x.py")
    assert (code, out) == (0, "")


def test_each_file_gets_its_nearest_config_whatever_the_order_of_paths(write, run):
    write("pyproject.toml", "")
    write("svc_a/pyproject.toml", '[tool.asynclint]\nignore = ["ASL301"]\n')
    write("svc_a/a.py", DROP)
    write("svc_b/pyproject.toml", '[tool.asynclint]\nper-file-ignores = { "legacy/*" = ["ASL301"] }\n')
    write("svc_b/b.py", DROP)
    write("svc_b/legacy/old.py", DROP)
    write("svc_c/c.py", DROP)  # no table of its own: the defaults
    expected = DROP_FINDING.replace("a.py", "svc_b/b.py") + DROP_FINDING.replace("a.py", "svc_c/c.py")
    for order in (("svc_a", "svc_b", "svc_c"), ("svc_c", "svc_b", "svc_a"), ("svc_b", "svc_a", "svc_c")):
        code, out, _ = run("--no-cache", *order)
        assert (code, out) == (1, expected), order
    code, out, _ = run("--no-cache", "svc_a/a.py", "svc_c/c.py")
    assert out == DROP_FINDING.replace("a.py", "svc_c/c.py")


def test_show_files_lists_what_would_be_checked(write, run):
    write("pyproject.toml", '[tool.asynclint]\nextend-exclude = ["gen/"]\n')
    write("a.py", DROP)
    write("gen/b.py", DROP)
    write("pkg/c.py", "x = 1\n")
    code, out, _ = run("--show-files", ".")
    assert (code, out) == (0, "a.py\npkg/c.py\n")


def test_show_settings_gives_the_resolved_settings_of_the_nearest_config(write, run, tmp_path):
    write("pyproject.toml", "")
    write("svc/pyproject.toml", '[tool.asynclint]\nignore = ["ASL302"]\ntarget-version = "py311"\n')
    write("svc/a.py", DROP)
    code, out, _ = run("--show-settings", "--extend-select", "ASL514", "svc/a.py")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == [f"# config file: {tmp_path / 'svc' / 'pyproject.toml'}", f"# project root: {tmp_path / 'svc'}"]
    assert 'ignore = ["ASL302"]' in lines
    assert 'extend-select = ["ASL514"]' in lines
    assert 'target-version = "py311"' in lines


TWO_DROPS = "import asyncio\n\nasync def main():\n    asyncio.create_task(work())\n    asyncio.create_task(work())\n"
ODD_NAMES = ['a&<"b>.py', "new\nline.py"]
DROP_MESSAGE = DROP_FINDING.split(" ASL301 ")[1].rstrip("\n")


def test_pylint_format(write, run):
    for name in ODD_NAMES:
        write(name, TWO_DROPS)
    write("broken.py", "def f(:\n")
    code, out, err = run("--output-format", "pylint", ".")
    assert (code, err) == (2, "")
    assert out == (
        f'a&<"b>.py:4: [ASL301] {DROP_MESSAGE}\n'
        f'a&<"b>.py:5: [ASL301] {DROP_MESSAGE}\n'
        "broken.py:1: [E999] SyntaxError: invalid syntax\n"
        f"new\\x0aline.py:4: [ASL301] {DROP_MESSAGE}\n"
        f"new\\x0aline.py:5: [ASL301] {DROP_MESSAGE}\n"
    )


def test_junit_format_is_well_formed_with_odd_file_names(write, run):
    import xml.dom.minidom

    for name in ODD_NAMES:
        write(name, TWO_DROPS)
    write("broken.py", "def f(:\n")
    code, out, _ = run("--output-format", "junit", ".")
    assert code == 2
    case = (
        '    <testcase name="asynclint.ASL301" classname="{cls}" line="{line}" column="5">\n'
        f'      <failure message="{DROP_MESSAGE}" type="ASL301">line {{line}}, col 5, ASL301 {DROP_MESSAGE}</failure>\n'
        "    </testcase>\n"
    )
    suite = '  <testsuite name="{name}" tests="2" failures="2" errors="0">\n{cases}  </testsuite>\n'
    assert out == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="asynclint" tests="5" failures="4" errors="1">\n'
        + suite.format(name="a&amp;&lt;&quot;b&gt;.py", cases="".join(case.format(cls="a&amp;&lt;&quot;b&gt;", line=n) for n in (4, 5)))
        + '  <testsuite name="broken.py" tests="1" failures="0" errors="1">\n'
        '    <testcase name="asynclint.E999" classname="broken" line="1" column="7">\n'
        '      <error message="SyntaxError: invalid syntax" type="E999">line 1, col 7, E999 SyntaxError: invalid syntax</error>\n'
        "    </testcase>\n"
        "  </testsuite>\n"
        + suite.format(name="new&#10;line.py", cases="".join(case.format(cls="new&#10;line", line=n) for n in (4, 5)))
        + "</testsuites>\n"
    )
    document = xml.dom.minidom.parseString(out.encode())
    assert [s.getAttribute("name") for s in document.getElementsByTagName("testsuite")] == ['a&<"b>.py', "broken.py", "new\nline.py"]


def test_junit_format_clean_run_and_unrepresentable_characters(write, run):
    from asynclint.output.junit import render
    from asynclint.output.entries import Entry

    write("a.py", CLEAN)
    _, out, _ = run("--output-format", "junit", "a.py")
    assert out == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="asynclint" tests="1" failures="0" errors="0">\n'
        '  <testsuite name="asynclint" tests="1" failures="0" errors="0">\n'
        '    <testcase name="All checks passed" classname="asynclint"/>\n'
        "  </testsuite>\n"
        "</testsuites>\n"
    )
    odd = Entry("b\x1b[0m\udcff.py", 1, 1, 1, 2, "ASL101", "n", "m\x00", None, None, None, False)
    text = render([odd])
    assert 'name="b\\x1b[0m\\xff.py"' in text and 'message="m\\x00"' in text
    import xml.dom.minidom

    xml.dom.minidom.parseString(text.encode())


def test_gitlab_format_paths_from_the_root_and_stable_fingerprints(write, run, tmp_path):
    import hashlib

    write("pyproject.toml", "[tool.asynclint]\n")
    write("pkg/a.py", TWO_DROPS)
    code, out, _ = run("--output-format", "gitlab", "pkg/a.py")
    assert code == 1

    def fingerprint(n):
        return hashlib.sha256(f"pkg/a.py\0ASL301\0{DROP_MESSAGE}\0{n}".encode()).hexdigest()

    assert json.loads(out) == [
        {
            "description": f"ASL301: {DROP_MESSAGE}",
            "check_name": "ASL301",
            "fingerprint": fingerprint(n),
            "severity": "major",
            "location": {"path": "pkg/a.py", "lines": {"begin": line, "end": line}},
        }
        for n, line in ((0, 4), (1, 5))
    ]
    # Run from a subfolder, with lines added above: the same paths and fingerprints.
    write("pkg/a.py", "# a comment\n\n" + TWO_DROPS)
    os.chdir(tmp_path / "pkg")
    _, moved, _ = run("--output-format", "gitlab", "a.py")
    assert [(i["location"]["path"], i["fingerprint"]) for i in json.loads(moved)] == [
        ("pkg/a.py", fingerprint(0)), ("pkg/a.py", fingerprint(1))
    ]


PAINTED_DROP = (
    "\x1b[1ma.py\x1b[0m\x1b[36m:\x1b[0m5\x1b[36m:\x1b[0m5\x1b[36m:\x1b[0m \x1b[1;31mASL301\x1b[0m "
    + DROP_MESSAGE + "\n"
)


@pytest.mark.parametrize(
    ("env", "args", "painted"),
    [
        ({}, [], False),  # a pipe or a file: plain
        ({"FORCE_COLOR": "1"}, [], True),
        ({"FORCE_COLOR": ""}, [], False),  # empty counts as unset
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, [], False),  # NO_COLOR wins
        ({"NO_COLOR": "1"}, ["--color", "always"], True),  # the flag wins over both
        ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ],
    ids=["pipe", "force", "force-empty", "no-color-wins", "always", "never"],
)
def test_color(write, run, monkeypatch, env, args, painted):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    write("a.py", DROP)
    code, out, err = run(*args, "a.py")
    assert code == 1
    assert out == (PAINTED_DROP if painted else DROP_FINDING)
    assert err == "Found 1 finding (1 fixable with --fix --unsafe-fixes).\n"  # the summary stays plain


def test_color_full_format_and_machine_formats_stay_plain(write, run, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    write("a.py", DROP)
    _, out, _ = run("--output-format", "full", "a.py")
    assert out == (
        PAINTED_DROP
        + "  \x1b[36m|\x1b[0m\n"
        + "\x1b[36m5\x1b[0m \x1b[36m|\x1b[0m     asyncio.create_task(work())\n"
        + "  \x1b[36m|\x1b[0m     \x1b[31m^^^^^^^^^^^^^^^^^^^^^^^^^^^\x1b[0m\n"
        + "  \x1b[36m=\x1b[0m \x1b[1munsafe fix\x1b[0m: keep a strong reference to the task until it is done\n"
        + "  \x1b[36m=\x1b[0m \x1b[1mdocs\x1b[0m: https://github.com/asynclint/asynclint/blob/main/docs/rules/ASL301.md\n\n"
    )
    for fmt in ("json", "pylint", "github", "junit", "gitlab", "sarif"):
        assert "\x1b" not in run("--output-format", fmt, "a.py")[1]
    assert "\x1b" not in run("--statistics", "a.py")[1]


def test_bad_color_choice_is_one_line(write, run, capsys):
    with pytest.raises(SystemExit) as exit_:
        run("--color", "sometimes", "a.py")
    assert exit_.value.code == 2
    assert "asynclint: error: argument --color: invalid choice: 'sometimes' (choose from 'auto', 'always', 'never')\n" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(("env", "painted"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)], ids=["tty", "no-color", "dumb"])
def test_color_on_a_terminal(write, tmp_path, env, painted):
    import pty
    import subprocess

    write("a.py", DROP)
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "asynclint.frontends.cli", "--no-cache", "-q", "a.py"],
        cwd=tmp_path, stdout=follower, stderr=subprocess.PIPE, env=environ, timeout=120,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed once its output is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 1
    out = b"".join(chunks).decode().replace("\r\n", "\n")  # the terminal's own newline translation
    assert out == (PAINTED_DROP if painted else DROP_FINDING)


NOQA_BEFORE = '''import asyncio
import time


async def main():
    asyncio.create_task(work())
    time.sleep(1)  # noqa:W291 E501 keep this note
    x = f"""{asyncio.get_event_loop()}
    """
    y = asyncio.get_event_loop() + \\
        1
    z = (asyncio.get_event_loop(),
         1)  # type: ignore
    u = asyncio.get_event_loop()  # noqa
'''
NOQA_AFTER = '''import asyncio
import time


async def main():
    asyncio.create_task(work())  # noqa: ASL301
    time.sleep(1)  # noqa:ASL201, E501, W291 keep this note
    x = f"""{asyncio.get_event_loop()}
    """  # noqa: ASL501
    y = asyncio.get_event_loop() + \\
        1  # noqa: ASL501
    z = (asyncio.get_event_loop(),  # noqa: ASL501
         1)  # type: ignore
    u = asyncio.get_event_loop()  # noqa
'''


def test_add_noqa_puts_comments_where_python_and_flake8_allow(write, run):
    path = write("a.py", NOQA_BEFORE)
    assert run("--add-noqa", "a.py") == (0, "", "Added 5 noqa comments in 1 file.\n")
    assert path.read_text() == NOQA_AFTER
    assert run("--add-noqa", "a.py") == (0, "", "Added 0 noqa comments in 0 files.\n")  # twice: no change
    assert path.read_text() == NOQA_AFTER
    assert run("a.py") == (0, "", "All checks passed.\n")


def test_add_noqa_keeps_line_endings_and_skips_what_no_comment_can_silence(write, run):
    crlf = write("crlf.py", "", raw=b"import asyncio\r\n\r\nasync def main():\r\n    asyncio.get_event_loop()  \r\n")
    # flake8 reads the first "# noqa" of the line, here inside a string: no comment can help.
    stuck = write("stuck.py", 'import asyncio\n\nasync def main():\n    s = ("# noqa: E501", asyncio.get_event_loop())\n')
    before = stuck.read_bytes()
    code, out, err = run("--add-noqa", ".")
    assert code == 1
    assert out == "stuck.py:4:26: ASL501 `get_event_loop()` in a coroutine: use `asyncio.get_running_loop()`\n"
    assert err == "Added 1 noqa comment in 1 file. 1 finding could not be silenced (listed above).\n"
    assert crlf.read_bytes() == b"import asyncio\r\n\r\nasync def main():\r\n    asyncio.get_event_loop()  # noqa: ASL501\r\n"
    assert stuck.read_bytes() == before
    assert run("--add-noqa", "--exit-zero", "stuck.py")[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--fix"], "--fix"), (["--diff"], "--diff"), (["--stdin-filename", "a.py"], "code read from stdin")],
    ids=["fix", "diff", "stdin"],
)
def test_add_noqa_refuses_other_writers(write, run, args, message):
    write("a.py", DROP)
    code, out, err = run("--add-noqa", *args, stdin=b"" if "--stdin-filename" in args else None)
    assert (code, out) == (2, "")
    assert err == f"asynclint: error: --add-noqa writes files; it cannot be combined with {message}\n"


def test_add_noqa_leaves_a_read_only_file_and_says_why(write, run, tmp_path):
    path = write("a.py", DROP)
    path.chmod(0o444)
    try:
        code, out, err = run("--add-noqa", "a.py")
    finally:
        path.chmod(0o644)
    assert (code, out) == (2, "")
    assert err == "a.py:1:1: E902 noqa comments not added: the file is read-only\nAdded 0 noqa comments in 0 files.\n"


UNUSED_NOQA = '''import asyncio
import os  # noqa: F401


async def main():
    loop = asyncio.get_running_loop()  # noqa: ASL501
    asyncio.get_event_loop()  # noqa: E501,ASL301 ASL501 keep this
    return loop  # type: ignore  # noqa: ASL3011
'''
UNUSED_NOQA_FIXED = '''import asyncio
import os  # noqa: F401


async def main():
    loop = asyncio.get_running_loop()
    asyncio.get_event_loop()  # noqa: E501, ASL501 keep this
    return loop  # type: ignore
'''


def test_unused_and_mistyped_noqa_codes_are_flagged_and_fixed(write, run):
    path = write("a.py", UNUSED_NOQA)
    code, out, _ = run("a.py")
    assert code == 1
    assert out == (
        "a.py:6:40: ASL530 `# noqa` lists codes that silence nothing (unused: `ASL501`)\n"
        "a.py:7:31: ASL530 `# noqa` lists codes that silence nothing (unused: `ASL301`)\n"
        "a.py:8:34: ASL530 `# noqa` lists codes that silence nothing (no such rule: `ASL3011`)\n"
    )
    assert run("--fix", "a.py") == (0, "", "Fixed 3 findings. All checks passed.\n")
    assert path.read_text() == UNUSED_NOQA_FIXED
    assert run("--fix", "a.py")[0] == 0 and path.read_text() == UNUSED_NOQA_FIXED  # twice: no change


def test_unused_noqa_is_silent_for_rules_not_run_and_when_the_index_cannot_tell(write, run):
    write("pyproject.toml", "[tool.asynclint]\nper-file-ignores = ['b.py:ASL501']\n")
    write("api.py", "async def save():\n    ...\n\n\ndef load():\n    ...\n")
    # The noqa comments stand for findings that depend on another module: judged once the
    # project index tells (`save` is a coroutine function, `load` is not), never before.
    write("a.py", "from api import load, save\n\n\ndef f():\n    save()  # noqa: ASL101\n    load()  # noqa: ASL101\n")
    write("c.py", "from api import load\n\n\ndef f():\n    load()  # noqa: ASL101\n")
    write("b.py", "x = 1  # noqa: ASL501\n")  # ASL501 does not run on b.py
    unused = "{}:{}:13: ASL530 `# noqa` lists codes that silence nothing (unused: `ASL101`)\n"
    for _ in range(2):  # the second run from the cache
        assert run(".")[:2] == (1, unused.format("a.py", 6) + unused.format("c.py", 5))
    write("a.py", "from api import save\n\n\ndef f():\n    save()  # noqa: ASL101\n")
    write("c.py", "x = 1\n")
    assert run(".") == (0, "", "All checks passed.\n")
    assert run("--select", "ASL3,ASL530", ".") == (0, "", "All checks passed.\n")  # ASL101 does not run


def _watching(tmp_path, *args):
    import queue
    import subprocess
    import threading
    import time

    import signal

    proc = subprocess.Popen(
        [sys.executable, "-m", "asynclint.frontends.cli", "--watch", "--no-cache", "--jobs", "1", *args],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")},
        # A suite started in the background (`nohup ... &`) ignores SIGINT, and a Python started
        # so keeps ignoring it: give the child the default, as a terminal's Ctrl-C would find.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    lines: queue.Queue = queue.Queue()
    for stream, name in ((proc.stdout, "out"), (proc.stderr, "err")):
        threading.Thread(target=lambda s=stream, n=name: [lines.put((n, line)) for line in s], daemon=True).start()

    def until_watching() -> list:
        seen = []
        while True:
            item = lines.get(timeout=60)
            seen.append(item)
            if item == ("err", "asynclint: watching for changes (Ctrl-C to stop)\n"):
                # stdout is another pipe, read by another thread: let what it had arrive
                time.sleep(0.5)
                while not lines.empty():
                    seen.append(lines.get())
                return seen

    return proc, until_watching


@pytest.mark.slow
def test_watch_checks_again_on_change_and_stops_on_ctrl_c(write, tmp_path):
    import signal
    import time

    path = write("a.py", DROP)
    proc, until_watching = _watching(tmp_path, "a.py")
    try:
        seen = until_watching()  # stdout and stderr are two pipes: in order within each
        assert [line for name, line in seen if name == "out"] == [DROP_FINDING]
        assert [line for name, line in seen if name == "err"] == [
            "Found 1 finding (1 fixable with --fix --unsafe-fixes).\n",
            "asynclint: watching for changes (Ctrl-C to stop)\n",
        ]
        time.sleep(0.1)
        path.write_text(CLEAN.lstrip("\n") + "\n")  # a new size, whatever the clock's resolution
        assert until_watching() == [
            ("err", "asynclint: a.py changed; checking again\n"),
            ("err", "All checks passed.\n"),
            ("err", "asynclint: watching for changes (Ctrl-C to stop)\n"),
        ]
        write("pyproject.toml", "[tool.asynclint]\nselect = ['NOPE']\n")  # a broken config: said, and watched
        seen = until_watching()
        assert seen[0] == ("err", "asynclint: pyproject.toml changed; checking again\n")
        assert seen[-2][1].startswith("asynclint: error: ") and "select: unknown rule code or prefix 'NOPE'" in seen[-2][1]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_watch_refuses_what_it_cannot_repeat(run):
    assert run("--watch", "--diff", ".") == (2, "", "asynclint: error: --watch cannot be combined with --diff\n")
    assert run("--watch", "--add-noqa", ".") == (2, "", "asynclint: error: --watch cannot be combined with --add-noqa\n")
