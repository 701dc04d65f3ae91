"""Jupyter notebooks through the command line: findings name their cell, `# noqa` works on a
cell's line, IPython magics and top-level `await` are accepted, a broken cell or notebook gets a
clear error, and --fix writes the notebook back untouched apart from the fixed cells."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

NOTEBOOK = """\
{
 "cells": [
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": [
    "# Fetching pages"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {},
   "outputs": [],
   "source": [
    "import asyncio\\n",
    "%matplotlib inline\\n",
    "import time"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 2,
   "metadata": {
    "tags": ["slow"]
   },
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "took 1e-05 s \\u00e9\\n"
     ]
    }
   ],
   "source": [
    "async def main():\\n",
    "    time.sleep(1)\\n",
    "    asyncio.sleep(1)\\n",
    "\\n",
    "await main()"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": null,
   "metadata": {},
   "outputs": [],
   "source": "asyncio.sleep(2)\\n"
  }
 ],
 "metadata": {
  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
"""

SLEEP = "`time.sleep()` blocks the event loop (sleep): use `await asyncio.sleep()`"
UNAWAITED = "`asyncio.sleep()` returns a coroutine that is never awaited, so it never runs"


def notebook(*cells: str | list[str], language: str = "python") -> str:
    """A notebook as nbformat writes it (sorted keys, one-space indent), with these code cells."""
    document = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
            for source in cells
        ],
        "metadata": {"language_info": {"name": language}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def write_raw(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def test_findings_name_the_cell_and_the_line_in_it(tmp_path, run):
    write_raw(tmp_path, "nb.ipynb", NOTEBOOK)
    code, out, err = run("nb.ipynb")
    assert code == 1
    assert out == (
        f"nb.ipynb:cell 3:2:5: ASL201 {SLEEP}\n"
        f"nb.ipynb:cell 3:3:5: ASL101 {UNAWAITED}\n"
        f"nb.ipynb:cell 4:1:1: ASL101 {UNAWAITED}\n"
    )
    assert err == "Found 3 findings (3 fixable with --fix).\n"


def test_fix_writes_only_the_fixed_cells_back_and_fixing_again_changes_nothing(tmp_path, run):
    path = write_raw(tmp_path, "nb.ipynb", NOTEBOOK)
    code, out, err = run("--fix", "nb.ipynb")
    assert (code, out, err) == (0, "", "Fixed 3 findings. All checks passed.\n")
    expected = (
        NOTEBOOK
        .replace('"    time.sleep(1)\\n",\n    "    asyncio.sleep(1)\\n"', '"    await asyncio.sleep(1)\\n",\n    "    await asyncio.sleep(1)\\n"')
        .replace('"source": "asyncio.sleep(2)\\n"', '"source": "await asyncio.sleep(2)\\n"')
    )
    assert expected != NOTEBOOK
    # The magic, the outputs (their `\u00e9` and `1e-05` as written), the key order, the
    # indentation and the final newline are the bytes they were.
    assert path.read_text(encoding="utf-8") == expected
    assert run("--fix", "nb.ipynb") == (0, "", "All checks passed.\n")
    assert path.read_text(encoding="utf-8") == expected


def test_diff_shows_each_changed_cell(tmp_path, run):
    path = write_raw(tmp_path, "nb.ipynb", NOTEBOOK)
    code, out, _ = run("--diff", "nb.ipynb")
    assert code == 1
    assert out == (
        "--- a/nb.ipynb:cell 3\n"
        "+++ b/nb.ipynb:cell 3\n"
        "@@ -1,5 +1,5 @@\n"
        " async def main():\n"
        "-    time.sleep(1)\n"
        "-    asyncio.sleep(1)\n"
        "+    await asyncio.sleep(1)\n"
        "+    await asyncio.sleep(1)\n"
        " \n"
        " await main()\n"
        "--- a/nb.ipynb:cell 4\n"
        "+++ b/nb.ipynb:cell 4\n"
        "@@ -1 +1 @@\n"
        "-asyncio.sleep(2)\n"
        "+await asyncio.sleep(2)\n"
    )
    assert path.read_text(encoding="utf-8") == NOTEBOOK


def test_top_level_await_async_for_and_async_with_are_valid_in_a_notebook(write, run, tmp_path):
    code = "import asyncio\n\nasync with lock:\n    await asyncio.sleep(1)\nasync for item in feed():\n    print(item)\nresult = await main()\n"
    write_raw(tmp_path, "nb.ipynb", notebook(lines(code)))
    assert run("nb.ipynb") == (0, "", "All checks passed.\n")
    write("mod.py", code)  # the same code in a module does not compile
    status, out, _ = run("--select", "ASL108", "mod.py")
    assert status == 1
    assert [line.split(" ")[:2] for line in out.splitlines()] == [
        ["mod.py:3:1:", "ASL108"], ["mod.py:4:5:", "ASL108"], ["mod.py:5:1:", "ASL108"], ["mod.py:7:10:", "ASL108"],
    ]


def test_noqa_on_a_cell_line(tmp_path, run):
    write_raw(tmp_path, "nb.ipynb", notebook(
        ["import asyncio\n", "asyncio.sleep(1)  # noqa: ASL101\n", "asyncio.sleep(2)  # noqa: ASL201"],
        ["asyncio.sleep(3)  # noqa\n"],
    ))
    code, out, _ = run("nb.ipynb")
    assert (code, out) == (1, (
        f"nb.ipynb:cell 1:3:1: ASL101 {UNAWAITED}\n"
        "nb.ipynb:cell 1:3:19: ASL530 `# noqa` lists codes that silence nothing (unused: `ASL201`)\n"
    ))


def test_add_noqa_comments_cell_lines(tmp_path, run):
    original = notebook(["import asyncio\n", "%time x = 1\n", "asyncio.sleep(1)"], "async def f():\n    asyncio.sleep(2)\n")
    path = write_raw(tmp_path, "nb.ipynb", original)
    assert run("--add-noqa", "nb.ipynb") == (0, "", "Added 2 noqa comments in 1 file.\n")
    assert path.read_text(encoding="utf-8") == notebook(
        ["import asyncio\n", "%time x = 1\n", "asyncio.sleep(1)  # noqa: ASL101"],
        "async def f():\n    asyncio.sleep(2)  # noqa: ASL101\n",
    )
    assert run("nb.ipynb") == (0, "", "All checks passed.\n")


def test_magics_are_hidden_without_moving_lines_and_come_back_after_a_fix(tmp_path, run):
    cell = [
        "import asyncio\n",
        "%load_ext autoreload\n",
        "files = !ls\n",
        "!pip install aiohttp\n",
        "asyncio.sleep?\n",
        "async def main():\n",
        "    if True:\n",
        "        %time asyncio.sleep(1)\n",
        "    asyncio.sleep(2)\n",
    ]
    magic = ["%%bash\n", "echo asyncio.sleep(1)\n"]
    path = write_raw(tmp_path, "nb.ipynb", notebook(cell, magic))
    # `%time` runs the statement it is given: that statement is checked, at its own columns.
    assert run("nb.ipynb") == (1, (
        f"nb.ipynb:cell 1:8:15: ASL101 {UNAWAITED}\n"
        f"nb.ipynb:cell 1:9:5: ASL101 {UNAWAITED}\n"
    ), "Found 2 findings (2 fixable with --fix).\n")
    assert run("--fix", "nb.ipynb")[0] == 0
    fixed = [*cell[:7], "        %time await asyncio.sleep(1)\n", "    await asyncio.sleep(2)\n"]
    assert path.read_text(encoding="utf-8") == notebook(fixed, magic)


def test_valid_python_that_looks_like_a_magic_is_left_alone(tmp_path, run):
    cell = ["import asyncio\n", "x = (1\n", "% 2)\n", "asyncio.sleep(1)\n"]
    write_raw(tmp_path, "nb.ipynb", notebook(cell))
    assert run("nb.ipynb") == (1, f"nb.ipynb:cell 1:4:1: ASL101 {UNAWAITED}\n", "Found 1 finding (1 fixable with --fix).\n")


def test_a_broken_cell_is_a_syntax_error_at_its_cell_and_the_others_are_checked(tmp_path, run):
    broken = ["def f(:\n", "    pass\n"]
    path = write_raw(tmp_path, "nb.ipynb", notebook(["import asyncio\n"], broken, ["asyncio.sleep(1)\n"]))
    code, out, err = run("nb.ipynb")
    assert code == 2
    assert out == "nb.ipynb:cell 2:1:7: E999 SyntaxError: invalid syntax\n" f"nb.ipynb:cell 3:1:1: ASL101 {UNAWAITED}\n"
    assert "could not be checked fully" in err
    run("--fix", "nb.ipynb")
    assert path.read_text(encoding="utf-8") == notebook(["import asyncio\n"], broken, ["await asyncio.sleep(1)\n"])


def test_a_file_that_is_not_a_notebook_gets_a_clear_error(tmp_path, run):
    write_raw(tmp_path, "a.ipynb", "{not json\n")
    write_raw(tmp_path, "b.ipynb", '{"cells": 3}\n')
    write_raw(tmp_path, "c.ipynb", '{"cells": [{"cell_type": "code", "source": 7}]}\n')
    code, out, err = run(".")
    assert code == 2
    assert out == (
        "a.ipynb:1:2: E902 not a valid notebook: the file is not JSON (Expecting property name enclosed in double quotes)\n"
        "b.ipynb:1:1: E902 not a valid notebook: no `cells` list at the top (asynclint reads nbformat 4)\n"
        "c.ipynb:1:1: E902 not a valid notebook: the source of cell 1 is neither text nor a list of lines\n"
    )
    assert "Traceback" not in err


def test_a_notebook_in_another_language_is_not_checked(tmp_path, run):
    write_raw(tmp_path, "r.ipynb", notebook(["library(x)\n", "f <- function() x\n"], language="R"))
    assert run("r.ipynb") == (0, "", "All checks passed.\n")


def test_json_gives_the_cell_and_rows_in_it(tmp_path, run):
    write_raw(tmp_path, "nb.ipynb", notebook(["import asyncio\n", "\n", "asyncio.sleep(1)\n"]))
    code, out, _ = run("--output-format", "json", "nb.ipynb")
    assert code == 1
    [finding] = json.loads(out)
    assert finding["filename"] == "nb.ipynb"
    assert (finding["cell"], finding["location"], finding["end_location"], finding["noqa_row"]) == (
        1, {"row": 3, "column": 1}, {"row": 3, "column": 17}, 3,
    )
    assert finding["fix"]["edits"] == [{"content": "await asyncio", "location": {"row": 3, "column": 1}, "end_location": {"row": 3, "column": 8}}]


def test_sarif_and_github_point_at_the_notebook_not_at_a_wrong_line(tmp_path, run):
    write_raw(tmp_path, "nb.ipynb", notebook(["import asyncio\n"], ["\n", "asyncio.sleep(1)\n"]))
    code, out, _ = run("--output-format", "sarif", "nb.ipynb")
    assert code == 1
    log = json.loads(out)
    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(log)
    [result] = log["runs"][0]["results"]
    assert result["message"] == {"text": f"cell 2, line 2, column 1: {UNAWAITED}"}
    assert result["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "nb.ipynb", "uriBaseId": "%SRCROOT%"}}}]
    assert result["properties"] == {"cell": 2, "cellLine": 2, "cellColumn": 1}
    assert run("--output-format", "github", "nb.ipynb")[1] == f"::warning title=asynclint (ASL101),file=nb.ipynb::cell 2, line 2, column 1: ASL101 {UNAWAITED}\n"
    assert run("--output-format", "pylint", "nb.ipynb")[1] == f"nb.ipynb:cell 2:2: [ASL101] {UNAWAITED}\n"


def test_folders_are_searched_for_notebooks_with_the_same_excludes(write, run, tmp_path):
    write("pyproject.toml", '[tool.asynclint]\nextend-exclude = ["drafts/"]\n')
    write(".gitignore", "scratch.ipynb\n")
    for name in ("a.ipynb", "pkg/b.ipynb", "drafts/c.ipynb", "scratch.ipynb"):
        write_raw(tmp_path, name, notebook(["x = 1\n"]))
    write("pkg/c.py", "x = 1\n")
    assert run("--show-files", ".") == (0, "a.ipynb\npkg/b.ipynb\npkg/c.py\n", "")


def test_a_notebook_cannot_be_imported_by_the_project(write, run, tmp_path):
    code = "async def fetch():\n    pass\n"
    use = "import helpers\n\n\nasync def main():\n    helpers.fetch()\n"
    write("main.py", use)
    write("helpers.py", code)
    assert run("main.py")[1].startswith("main.py:5:5: ASL101 ")  # a module's coroutine is known
    (tmp_path / "helpers.py").unlink()
    write_raw(tmp_path, "helpers.ipynb", notebook(lines(code)))
    assert run("main.py") == (0, "", "All checks passed.\n")


def test_stdin_notebook_is_fixed_to_stdout(run):
    original = notebook(["import asyncio\n", "asyncio.sleep(1)"])
    code, out, _ = run("--fix", "--stdin-filename", "nb.ipynb", "-", stdin=original.encode())
    assert (code, out) == (0, notebook(["import asyncio\n", "await asyncio.sleep(1)"]))


def test_cached_findings_keep_their_cells(tmp_path, run):
    write_raw(tmp_path, "nb.ipynb", NOTEBOOK)
    first = run("--cache-dir", str(tmp_path / "cache"), "nb.ipynb")
    assert first[1].startswith("nb.ipynb:cell 3:2:5: ASL201")
    assert run("--cache-dir", str(tmp_path / "cache"), "nb.ipynb") == first


@pytest.mark.slow
def test_flake8_leaves_notebooks_to_the_command_line(tmp_path):
    # flake8 reads the JSON as Python (it parses: a dict display); the plugin reports nothing on
    # it rather than the virtual module's lines, which are not the file's.
    write_raw(tmp_path, "nb.ipynb", NOTEBOOK)
    write_raw(tmp_path, "a.py", "import asyncio\n\n\nasync def main():\n    asyncio.sleep(1)\n")
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "ASL", "nb.ipynb", "a.py"], cwd=tmp_path, capture_output=True, text=True,
    )
    assert (proc.returncode, proc.stdout) == (1, f"a.py:5:5: ASL101 {UNAWAITED}\n"), proc.stderr


def test_writing_back_keeps_each_source_layout():
    from asynclint.engine.notebook import read_notebook

    text = (
        '{"cells": [\n'
        '  {"cell_type": "code", "source": []},\n'
        '  {"cell_type": "code", "source": ["x = 1\\n", "y = 2"]},\n'
        '  {"cell_type": "code", "source": "z = 3"}\n'
        "]}\n"
    )
    found = read_notebook(text)
    assert found.python == "x = 1\ny = 2\nz = 3\n"
    assert found.starts == [(2, 1), (3, 3)]
    # A line added between two cells goes to the earlier one (an import after the imports).
    written, sources = found.rebuilt("x = 1\ny = 2\nw = 0\nz = 3\n")
    assert sources == ["", "x = 1\ny = 2\nw = 0", "z = 3"]
    assert written == text.replace('"y = 2"]', '"y = 2\\n", "w = 0"]')
    assert found.rebuilt("x = 1\ny = 2\nz = 4\n")[0] == text.replace('"z = 3"', '"z = 4"')
    written, _ = read_notebook(text.replace('"source": []', '"source": ["u = 0"]')).rebuilt("u = 1\nx = 1\ny = 2\nz = 3\n")
    assert written == text.replace('"source": []', '"source": ["u = 1"]')


def test_writing_back_refuses_what_it_cannot_place():
    from asynclint.engine.notebook import NotebookError, read_notebook

    found = read_notebook(notebook(["%load_ext x\n", "y = 2\n"]))
    assert found.python == "# asynclint: hidden line 1\ny = 2\n"  # the magic, hidden
    with pytest.raises(NotebookError, match=r"^not fixed: a fix would change a line asynclint does not read"):
        found.rebuilt("x = 0\ny = 2\n")
    found = read_notebook(notebook(["%time x = 1\n", "y = 2\n"]))
    assert found.python == "pass; x = 1\ny = 2\n"  # `%time` as a statement of the same width
    assert found.rebuilt("pass; x = 0\ny = 2\n")[1] == ["%time x = 0\ny = 2\n"]
    with pytest.raises(NotebookError, match=r"^not fixed: a fix would move a line that runs under an IPython magic"):
        found.rebuilt("x = 0\ny = 2\n")
    found = read_notebook(notebook(["a = 1\n", "b = 2\n"], ["c = 3\n"]))
    with pytest.raises(NotebookError, match=r"^not fixed: a fix would span two cells"):
        found.rebuilt("a = 1\nbc = 5\n")


def test_max_file_size_applies_to_the_code_cells_not_to_the_outputs(write, run, tmp_path):
    write("pyproject.toml", "[tool.asynclint]\nmax-file-size = 0.001\n")  # 1000 bytes
    small = json.loads(notebook(["import asyncio\n", "asyncio.sleep(1)\n"]))
    small["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x" * 5000]}]
    write_raw(tmp_path, "plots.ipynb", json.dumps(small, indent=1))
    write_raw(tmp_path, "big.ipynb", notebook(["x = 1\n" * 200]))
    code, out, _ = run(".")
    assert code == 2
    assert out == (
        "big.ipynb:1:1: ASL001 not checked: the notebook's code cells hold 0.0 MB, over max-file-size (0.001 MB); "
        "raise the limit or exclude the file\n"
        f"plots.ipynb:cell 1:2:1: ASL101 {UNAWAITED}\n"
    )


def test_a_cell_runs_in_the_notebook_event_loop(tmp_path, run):
    write_raw(tmp_path, "nb.ipynb", notebook(
        ["import asyncio\n", "loop = asyncio.get_event_loop()\n"],
        ["asyncio.run(main())\n", "def sync():\n", "    asyncio.run(main())\n"],
    ))
    code, out, _ = run("--select", "ASL502,ASL509", "--target-version", "py312", "nb.ipynb")
    assert (code, out) == (1, (
        "nb.ipynb:cell 2:1:1: ASL502 `asyncio.run()` in a notebook cell: it raises RuntimeError while a loop runs; "
        "await the coroutine instead\n"
    ))
    write_raw(tmp_path, "nb.ipynb", notebook(["import asyncio, nest_asyncio\n", "nest_asyncio.apply()\n", "asyncio.run(main())\n"]))
    assert run("--select", "ASL502", "nb.ipynb")[:2] == (0, "")


def test_show_fixes_names_the_cell(tmp_path, run):
    write_raw(tmp_path, "nb.ipynb", notebook(["import asyncio\n"], ["\n", "asyncio.sleep(1)\n"]))
    code, _, err = run("--fix", "--show-fixes", "nb.ipynb")
    assert (code, err) == (0, "fixed nb.ipynb:cell 2:2:1: ASL101 (await the coroutine)\nFixed 1 finding. All checks passed.\n")


def test_lines_added_next_to_a_cell_magic_go_to_a_cell_of_code():
    from asynclint.engine.notebook import NotebookError, read_notebook

    found = read_notebook(notebook(["%%bash\n", "ls\n"], ["x = 1\n"]))
    assert found.opaque == {0}
    assert found.rebuilt(found.python.replace("x = 1\n", "y = 0\nx = 1\n"))[1] == ["%%bash\nls\n", "y = 0\nx = 1\n"]
    found = read_notebook(notebook(["%%bash\n", "ls\n"]))
    with pytest.raises(NotebookError, match=r"^not fixed: a fix would add code to a cell asynclint does not read"):
        found.rebuilt("y = 0\n" + found.python)
