#!/usr/bin/env python3
"""Ecosystem check: run asynclint over pinned releases of real async projects.

    python scripts/ecosystem.py                                   # all projects, report in the cache
    python scripts/ecosystem.py --projects aiohttp,httpx --output new.json
    python scripts/ecosystem.py --compare bench/ecosystem-report.json
    python scripts/ecosystem.py --report-only new.json --compare old.json
    python scripts/ecosystem.py --local mine=../myproject         # a local folder, no download

Each project in scripts/ecosystem_projects.toml is downloaded once with pip (sdist or wheel, no
dependencies) into a cache folder outside the repository, unpacked once, and checked with
`python -m asynclint` (the interpreter running this script, so the asynclint installed there).
The JSON report holds, per project: version, files, lines, seconds, findings per code, every
finding with its source line, files that could not be checked (E902/E999: real projects ship
deliberately broken files) and internal errors (ASL000). Internal errors fail the script (exit 1).

Comparing two reports matches findings by project, path, code, message and the stripped source
line, not by line number, so edits elsewhere in a file do not show up as changes.

Standard library only, so it runs before anything but asynclint is installed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from collections import Counter
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: asynclint itself depends on tomli there, so it is installed
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
PROJECTS_FILE = HERE / "ecosystem_projects.toml"
DEFAULT_CACHE = Path.home() / ".cache" / "asynclint-ecosystem"
FILE_ERRORS = ("E902", "E999")  # files that cannot be checked: counted, but not a failure
INTERNAL_ERROR = "ASL000"  # asynclint itself failed: always a bug, fails the script


# --- fetching ---------------------------------------------------------------------------------


def load_projects(path: Path = PROJECTS_FILE) -> dict[str, dict]:
    with open(path, "rb") as file:
        return tomllib.load(file)["projects"]


def download(name: str, version: str, archive: str, cache: Path) -> Path:
    """The archive of name==version, fetched with pip the first time only."""
    folder = cache / "downloads" / f"{name}-{version}"
    if not folder.is_dir():
        # Download into a scratch folder and rename it, so an interrupted download is retried.
        scratch = folder.with_name(folder.name + ".part")
        shutil.rmtree(scratch, ignore_errors=True)
        binary = ["--no-binary", ":all:"] if archive == "sdist" else ["--only-binary", ":all:"]
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            # We read the code, never install it: a release needing a newer Python is still fine.
            "--ignore-requires-python", *binary, "--dest", str(scratch), f"{name}=={version}",
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(scratch, ignore_errors=True)
            raise RuntimeError(f"pip download {name}=={version} failed:\n{result.stderr.strip()}")
        scratch.rename(folder)
    (archive_path,) = folder.iterdir()  # --no-deps: exactly one file
    return archive_path


def unpack(archive_path: Path, destination: Path) -> Path:
    """Unpack an sdist or wheel into `destination` (once) and return it."""
    if destination.is_dir():
        return destination
    scratch = destination.with_name(destination.name + ".part")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    if archive_path.name.endswith(".whl"):
        with zipfile.ZipFile(archive_path) as wheel:
            wheel.extractall(scratch)  # zipfile drops absolute paths and ".." itself
        root = scratch
    else:
        with tarfile.open(archive_path) as sdist:
            # The "data" filter refuses links and paths outside the folder; older Pythons lack it.
            extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            sdist.extractall(scratch, **extra)
        children = list(scratch.iterdir())
        # An sdist holds one top folder (name-version/); paths in the report start below it.
        root = children[0] if len(children) == 1 and children[0].is_dir() else scratch
    root.rename(destination)
    shutil.rmtree(scratch, ignore_errors=True)
    return destination


# --- checking ---------------------------------------------------------------------------------


def count_python(folder: Path) -> tuple[int, int]:
    """(files, lines) of the *.py files under `folder`.

    All of them: the pinned archives hold none of the folders asynclint skips by default (build/,
    .venv/...), so this is the set it checks (verified for the pinned versions)."""
    files = lines = 0
    for path in folder.rglob("*.py"):
        if path.is_file():
            files += 1
            lines += len(path.read_bytes().splitlines())
    return files, lines


def source_line(folder: Path, path: str, line: int, cache: dict[str, list[str]]) -> str:
    """The stripped text of a line, to show findings and to match them across reports."""
    if path not in cache:
        try:
            # bytes.splitlines breaks only at \n, \r and \r\n, as Python numbers lines (str's
            # also breaks at form feeds and others). Lenient decoding: the text is only shown.
            data = (folder / path).read_bytes().splitlines()
            cache[path] = [line.decode("utf-8", errors="replace") for line in data]
        except OSError:
            cache[path] = []
    lines = cache[path]
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def check(folder: Path, jobs: int) -> tuple[dict, float]:
    """Run asynclint over `folder`; return its findings split by kind, and the seconds it took."""
    start = time.perf_counter()
    # Run from inside the folder so paths come out relative to it, as the report wants them.
    result = subprocess.run(
        [sys.executable, "-m", "asynclint", "--output-format", "json", "--exit-zero",
         "--jobs", str(jobs), "."],
        cwd=folder, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - start
    kinds: dict[str, list[dict]] = {"findings": [], "file_errors": [], "internal_errors": []}
    try:
        entries = json.loads(result.stdout)
    except json.JSONDecodeError:
        entries = None
    # Exit 2 is expected when some file could not be checked; anything else without JSON is a crash.
    if entries is None or result.returncode not in (0, 2):
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-20:])
        kinds["internal_errors"].append(
            {"path": ".", "line": 0, "column": 0, "code": INTERNAL_ERROR,
             "message": f"asynclint exited {result.returncode}: {tail}", "source": ""}
        )
        return kinds, seconds
    lines_cache: dict[str, list[str]] = {}
    for entry in entries:
        path = os.path.relpath(folder / entry["filename"], folder).replace(os.sep, "/")
        line, column = entry["location"]["row"], entry["location"]["column"]
        finding = {
            "path": path, "line": line, "column": column, "code": entry["code"],
            "message": entry["message"], "source": source_line(folder, path, line, lines_cache),
        }
        kind = ("internal_errors" if entry["code"] == INTERNAL_ERROR
                else "file_errors" if entry["code"] in FILE_ERRORS else "findings")
        kinds[kind].append(finding)
    for found in kinds.values():
        found.sort(key=lambda f: (f["path"], f["line"], f["column"], f["code"]))
    return kinds, seconds


def check_project(folder: Path, version: str, archive: str, jobs: int) -> dict:
    files, lines = count_python(folder)
    kinds, seconds = check(folder, jobs)
    return {
        "version": version,
        "archive": archive,
        "files": files,
        "lines": lines,
        "seconds": round(seconds, 2),
        "counts": dict(sorted(Counter(f["code"] for f in kinds["findings"]).items())),
        **kinds,
    }


def _asynclint(code: str) -> str:
    # From the scripts folder: `-m` and `-c` put the current folder first on sys.path, and the
    # repository root would shadow an asynclint installed elsewhere.
    result = subprocess.run([sys.executable, "-c", code], cwd=HERE, capture_output=True, text=True)
    return result.stdout.strip()


def provenance() -> dict:
    """Which asynclint produced a report: its version, and the commit when it runs from this checkout."""
    version = _asynclint("import asynclint; print(asynclint.__version__)")
    location = Path(_asynclint("import asynclint; print(asynclint.__file__)") or ".").resolve()
    checkout = HERE.parent
    if checkout not in location.parents:
        return {"asynclint": version, "commit": None}
    git = ["git", "-C", str(checkout)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    # Uncommitted edits to the code or the rule data change findings: say so in the report.
    edited = subprocess.run([*git, "status", "--porcelain", "--", "asynclint", "rules"],
                            capture_output=True, text=True).stdout.strip()
    return {"asynclint": version, "commit": (commit + "+uncommitted" if edited else commit) or None}


# --- reading reports ----------------------------------------------------------------------------


def all_entries(project: dict) -> list[dict]:
    return project["findings"] + project["file_errors"] + project["internal_errors"]


def table(report: dict, markdown: bool = False) -> str:
    """Per project: version, files, lines, seconds, findings per code, file and internal errors."""
    projects = report["projects"]
    codes = sorted({code for p in projects.values() for code in p["counts"]})
    header = ["project", "version", "files", "lines", "seconds", *codes, "E902/E999", "ASL000"]
    rows = []
    for name, p in projects.items():
        rows.append([name, p["version"], p["files"], p["lines"], f"{p['seconds']:.1f}",
                     *(p["counts"].get(code, 0) for code in codes),
                     len(p["file_errors"]), len(p["internal_errors"])])
    total = ["total", "", *(sum(row[i] for row in rows) for i in (2, 3)),
             f"{sum(p['seconds'] for p in projects.values()):.1f}",
             *(sum(row[5 + i] for row in rows) for i in range(len(codes) + 2))]
    rows = [[str(cell) for cell in row] for row in [*rows, total]]
    if markdown:
        lines = [header, ["---"] * 2 + ["--:"] * (len(header) - 2), *rows]
        return "\n".join("| " + " | ".join(row) + " |" for row in lines)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row):  # names left-aligned, numbers right-aligned
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    return "\n".join([fmt(header), fmt(["-" * w for w in widths]), *map(fmt, rows)])


def sample(report: dict, per_code: int) -> str:
    """A few findings per code, taken in turn from each project so one big project does not fill it."""
    by_code: dict[str, dict[str, list[dict]]] = {}
    for name, p in report["projects"].items():
        for finding in p["findings"]:
            by_code.setdefault(finding["code"], {}).setdefault(name, []).append(finding)
    out = []
    for code in sorted(by_code):
        out.append(f"{code}:")
        in_turn = itertools.chain.from_iterable(
            itertools.zip_longest(*([(n, f) for f in fs] for n, fs in by_code[code].items())))
        for name, f in itertools.islice((item for item in in_turn if item), per_code):
            out.append(f"  {name}: {f['path']}:{f['line']}:{f['column']}: {f['message']}")
            out.append(f"      {f['source']}")
    return "\n".join(out)


def _key(entry: dict) -> tuple:
    # No line or column: a finding that only moved is the same finding.
    return entry["path"], entry["code"], entry["message"], entry["source"]


def compare(old: dict, new: dict) -> dict:
    """New and gone findings per project and code, for the projects both reports checked."""
    changes: dict[str, dict[str, dict[str, list[dict]]]] = {}
    for name in old["projects"].keys() & new["projects"].keys():
        before = Counter(map(_key, all_entries(old["projects"][name])))
        after = Counter(map(_key, all_entries(new["projects"][name])))
        per_code: dict[str, dict[str, list[dict]]] = {}
        # Counters, not sets: two identical lines in one file carry two findings with one key.
        for kind, extra, entries in (("new", after - before, all_entries(new["projects"][name])),
                                     ("gone", before - after, all_entries(old["projects"][name]))):
            for entry in entries:
                if extra[_key(entry)] > 0:
                    extra[_key(entry)] -= 1
                    code = per_code.setdefault(entry["code"], {"new": [], "gone": []})
                    code[kind].append(entry)
        if per_code:
            changes[name] = dict(sorted(per_code.items()))
    return {
        "changes": dict(sorted(changes.items())),
        "only_old": sorted(old["projects"].keys() - new["projects"].keys()),
        "only_new": sorted(new["projects"].keys() - old["projects"].keys()),
        "versions": {name: (old["projects"][name]["version"], new["projects"][name]["version"])
                     for name in sorted(old["projects"].keys() & new["projects"].keys())
                     if old["projects"][name]["version"] != new["projects"][name]["version"]},
    }


def format_comparison(result: dict) -> str:
    changes = result["changes"]
    new = sum(len(c["new"]) for p in changes.values() for c in p.values())
    gone = sum(len(c["gone"]) for p in changes.values() for c in p.values())
    out = [f"Changes: {new} new, {gone} gone" + ("" if changes else " (no change)")]
    for name, (before, after) in result["versions"].items():
        out.append(f"note: {name} was {before}, now {after}: its own code changed too")
    for label, names in (("only in the old report", result["only_old"]),
                         ("only in the new report", result["only_new"])):
        if names:
            out.append(f"not compared ({label}): {', '.join(names)}")
    for name, codes in changes.items():
        out.append(f"{name}:")
        for code, change in codes.items():
            out.append(f"  {code}: +{len(change['new'])} -{len(change['gone'])}")
            for sign, kind in (("+", "new"), ("-", "gone")):
                for f in change[kind]:
                    out.append(f"    {sign} {f['path']}:{f['line']}:{f['column']}: {f['message']}")
                    out.append(f"          {f['source']}")
    return "\n".join(out)


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", help="comma-separated names from the pinned list (default: all)")
    parser.add_argument("--local", action="append", default=[], metavar="NAME=PATH",
                        help="also check a local folder (no download); alone, only local folders run")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"default: {DEFAULT_CACHE}")
    parser.add_argument("--output", type=Path, help="report file (default: CACHE/report.json)")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=3, metavar="N", help="findings shown per code")
    parser.add_argument("--compare", type=Path, metavar="OLD.json", help="print changes from this report")
    parser.add_argument("--report-only", type=Path, metavar="NEW.json",
                        help="read this report instead of running asynclint")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict:
    pinned = load_projects()
    if args.projects:
        names = [n.strip() for n in args.projects.split(",") if n.strip()]
        unknown = [n for n in names if n not in pinned]
        if unknown:
            raise SystemExit(f"unknown project(s): {', '.join(unknown)}; see {PROJECTS_FILE}")
    else:
        names = [] if args.local else list(pinned)
    # Fetch everything first: a failed download stops the run before the long part starts.
    folders: dict[str, tuple[Path, str, str]] = {}
    failed = []
    for name in names:
        version, archive = pinned[name]["version"], pinned[name]["archive"]
        try:
            path = download(name, version, archive, args.cache)
            folders[name] = (unpack(path, args.cache / "src" / f"{name}-{version}"), version, archive)
        except (RuntimeError, OSError, tarfile.TarError, zipfile.BadZipFile) as error:
            failed.append(f"{name}: {error}")
    if failed:
        raise SystemExit("could not fetch:\n" + "\n".join(failed))
    for item in args.local:
        name, _, path = item.partition("=")
        if not path or not Path(path).is_dir():
            raise SystemExit(f"--local wants NAME=FOLDER, got {item!r}")
        folders[name] = (Path(path).resolve(), "local", "local")

    report = {
        **provenance(),
        "python": platform.python_version(),
        "jobs": args.jobs,
        "projects": {},
    }
    for name, (folder, version, archive) in folders.items():
        print(f"checking {name} {version} ...", file=sys.stderr, flush=True)
        project = check_project(folder, version, archive, args.jobs)
        report["projects"][name] = project
        print(f"  {project['files']} files, {project['lines']} lines, {project['seconds']} s, "
              f"{len(project['findings'])} findings", file=sys.stderr, flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        report = json.loads(args.report_only.read_text(encoding="utf-8"))
    else:
        report = run(args)
        output = args.output or args.cache / "report.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"report written to {output}", file=sys.stderr)
    print(table(report, markdown=args.markdown))
    if args.sample > 0:
        print("\nSample findings:\n" + sample(report, args.sample))
    if args.compare:
        old = json.loads(args.compare.read_text(encoding="utf-8"))
        print(f"\nCompared with {args.compare}:\n" + format_comparison(compare(old, report)))
    internal = [(name, e) for name, p in report["projects"].items() for e in p["internal_errors"]]
    if internal:
        print(f"\n{len(internal)} internal error(s):")
        for name, e in internal:
            print(f"  {name}: {e['path']}:{e['line']}:{e['column']}: {e['code']} {e['message']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
