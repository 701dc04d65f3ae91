"""scripts/ecosystem.py: report comparison and summary on synthetic reports, unpacking, and one run
over a local folder. No network."""

import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ecosystem.py"
_spec = importlib.util.spec_from_file_location("ecosystem", SCRIPT)
ecosystem = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ecosystem)


def finding(path, line, code="ASL301", message="task dropped", source="asyncio.create_task(f())"):
    return {"path": path, "line": line, "column": 5, "code": code, "message": message, "source": source}


def project(findings=(), file_errors=(), internal_errors=(), version="1.0"):
    findings = list(findings)
    counts = {}
    for f in findings:
        counts[f["code"]] = counts.get(f["code"], 0) + 1
    return {"version": version, "archive": "sdist", "files": 3, "lines": 120, "seconds": 0.5,
            "counts": counts, "findings": findings, "file_errors": list(file_errors),
            "internal_errors": list(internal_errors)}


def report(**projects):
    return {"asynclint": "asynclint 0.1.0", "commit": None, "python": "3.11", "jobs": 1,
            "projects": projects}


def test_moved_findings_are_not_changes():
    old = report(a=project([finding("x.py", 10), finding("y.py", 3, source="loop.create_task(g())")]))
    new = report(a=project([finding("x.py", 14), finding("y.py", 9, source="loop.create_task(g())")]))
    result = ecosystem.compare(old, new)
    assert result["changes"] == {}
    assert "0 new, 0 gone (no change)" in ecosystem.format_comparison(result)


def test_new_and_gone_per_project_and_code():
    kept = finding("x.py", 10)
    gone = finding("x.py", 20, source="asyncio.ensure_future(h())")
    new_301 = finding("z.py", 1, source="asyncio.create_task(k())")
    new_302 = finding("x.py", 30, code="ASL302", message="unused binding", source="t = asyncio.create_task(f())")
    old = report(a=project([kept, gone]), b=project([finding("b.py", 1)]))
    new = report(a=project([kept, new_301, new_302]), b=project([finding("b.py", 1)]))
    changes = ecosystem.compare(old, new)["changes"]
    assert list(changes) == ["a"]
    assert changes["a"]["ASL301"] == {"new": [new_301], "gone": [gone]}
    assert changes["a"]["ASL302"] == {"new": [new_302], "gone": []}
    text = ecosystem.format_comparison(ecosystem.compare(old, new))
    assert "Changes: 2 new, 1 gone" in text
    assert "ASL301: +1 -1" in text and "ASL302: +1 -0" in text
    assert "+ z.py:1:5: task dropped" in text and "asyncio.ensure_future(h())" in text


def test_identical_lines_are_counted_not_merged():
    # The same statement twice in a file: two findings with one key; losing one is a change.
    old = report(a=project([finding("x.py", 1), finding("x.py", 2)]))
    new = report(a=project([finding("x.py", 1)]))
    changes = ecosystem.compare(old, new)["changes"]
    assert len(changes["a"]["ASL301"]["gone"]) == 1 and changes["a"]["ASL301"]["new"] == []


def test_errors_are_compared_and_unshared_projects_skipped():
    syntax = finding("bad.py", 1, code="E999", message="SyntaxError: invalid syntax", source="def f(:")
    old = report(a=project(), gone_project=project([finding("x.py", 1)]), b=project(version="1.0"))
    new = report(a=project(file_errors=[syntax]), b=project(version="2.0"))
    result = ecosystem.compare(old, new)
    assert result["changes"]["a"]["E999"]["new"] == [syntax]
    assert result["only_old"] == ["gone_project"] and result["versions"] == {"b": ("1.0", "2.0")}
    text = ecosystem.format_comparison(result)
    assert "not compared (only in the old report): gone_project" in text
    assert "b was 1.0, now 2.0" in text


def test_table_and_sample():
    r = report(
        big=project([finding(f"big{i}.py", i) for i in range(1, 6)]
                    + [finding("u.py", 1, code="ASL302", message="unused", source="t = spawn()")],
                    file_errors=[finding("bad.py", 1, code="E999")]),
        small=project([finding("s.py", 7, source="asyncio.create_task(small())")],
                      internal_errors=[finding("boom.py", 1, code="ASL000", message="crash")]),
    )
    lines = ecosystem.table(r).splitlines()
    assert lines[0].split() == ["project", "version", "files", "lines", "seconds", "ASL301", "ASL302",
                                "E902/E999", "ASL000"]
    assert lines[2].split() == ["big", "1.0", "3", "120", "0.5", "5", "1", "1", "0"]
    assert lines[3].split() == ["small", "1.0", "3", "120", "0.5", "1", "0", "0", "1"]
    assert lines[4].split() == ["total", "6", "240", "1.0", "6", "1", "1", "1"]
    assert ecosystem.table(r, markdown=True).splitlines()[2] == "| big | 1.0 | 3 | 120 | 0.5 | 5 | 1 | 1 | 0 |"
    text = ecosystem.sample(r, 2)
    # Two per code, taken from each project in turn, each with its source line.
    assert text.splitlines() == [
        "ASL301:",
        "  big: big1.py:1:5: task dropped",
        "      asyncio.create_task(f())",
        "  small: s.py:7:5: task dropped",
        "      asyncio.create_task(small())",
        "ASL302:",
        "  big: u.py:1:5: unused",
        "      t = spawn()",
    ]


def test_report_only_fails_on_internal_errors(tmp_path, capsys):
    clean, broken = tmp_path / "clean.json", tmp_path / "broken.json"
    clean.write_text(json.dumps(report(a=project(file_errors=[finding("bad.py", 1, code="E999")]))))
    broken.write_text(json.dumps(report(a=project(internal_errors=[finding("x.py", 1, code="ASL000", message="boom")]))))
    assert ecosystem.main(["--report-only", str(clean), "--compare", str(clean)]) == 0
    assert ecosystem.main(["--report-only", str(broken)]) == 1
    assert "a: x.py:1:5: ASL000 boom" in capsys.readouterr().out


def test_unpack_sdist_and_wheel(tmp_path):
    sdist = tmp_path / "demo-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tar:
        data = b"import asyncio\n"
        info = tarfile.TarInfo("demo-1.0/demo/__init__.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    root = ecosystem.unpack(sdist, tmp_path / "src" / "demo-1.0")
    assert (root / "demo" / "__init__.py").read_bytes() == b"import asyncio\n"  # top folder dropped
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/__init__.py", "x = 1\n")
    root = ecosystem.unpack(wheel, tmp_path / "src" / "demo-wheel")
    assert (root / "demo" / "__init__.py").read_text() == "x = 1\n"
    assert ecosystem.count_python(root) == (1, 1)


@pytest.mark.slow
def test_end_to_end_on_a_local_folder(tmp_path):
    project_dir = tmp_path / "fake"
    (project_dir / "pkg").mkdir(parents=True)
    (project_dir / "pkg" / "app.py").write_text(
        "import asyncio\n\n\nasync def main():\n    asyncio.create_task(main())\n"
    )
    (project_dir / "pkg" / "broken.py").write_text("def f(:\n")
    output = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--local", f"fake={project_dir}", "--jobs", "1",
         "--cache", str(tmp_path / "cache"), "--output", str(output)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    fake = json.loads(output.read_text())["projects"]["fake"]
    assert (fake["version"], fake["files"], fake["lines"], fake["counts"]) == ("local", 2, 6, {"ASL301": 1})
    assert fake["findings"][0] == {
        "path": "pkg/app.py", "line": 5, "column": 5, "code": "ASL301",
        "message": fake["findings"][0]["message"], "source": "asyncio.create_task(main())",
    }
    assert [e["code"] for e in fake["file_errors"]] == ["E999"] and fake["internal_errors"] == []
    assert "fake" in result.stdout and "asyncio.create_task(main())" in result.stdout
    # Comparing the report with itself shows no change.
    again = subprocess.run([sys.executable, str(SCRIPT), "--report-only", str(output), "--compare", str(output)],
                           capture_output=True, text=True)
    assert again.returncode == 0 and "0 new, 0 gone (no change)" in again.stdout
