"""Speed benchmark: asynclint against the parse floor and other tools, side by side in one run.

    python bench/run.py                    # the "main" corpus, 3 interleaved rounds
    python bench/run.py --corpus quick --repeat 5
    python bench/run.py --json bench/results.json
    python bench/run.py --corpus quick --only cold --baseline /tmp/venv-old/bin/python

Each measurement runs as its own process (so peak memory is its own), the measurements are
interleaved round by round (so machine noise hits all of them alike), and the table reports
medians. `--baseline PYTHON` adds, next to each asynclint measurement, the same one run by another
interpreter (another install of asynclint: the commit before a change), so a change is measured
before and after in one run. The floor is reading every file and parsing it with libcst on one core: no tool that
parses every file with libcst can be faster without skipping files. Only public timers are used
(time.perf_counter; peak memory from os.wait4's resource usage).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
PY = sys.executable

PARSE_ALL = """
import sys
{imports}
for path in open(sys.argv[1]).read().splitlines():
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        {parse}
    except Exception:
        pass
"""


def fetch(spec: str, cache: Path) -> Path:
    """Download and unpack one `name==version` sdist once; return its folder."""
    name, version = spec.split("==")
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_").replace(".", "_").lower()
    archives = [p for p in downloads.glob("*.tar.gz") if p.name.lower().replace("-", "_").replace(".", "_").startswith(f"{norm}_{version}".replace(".", "_"))]
    if not archives:
        subprocess.run(
            [PY, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q", "-d", str(downloads), spec],
            check=True,
        )
        archives = sorted(downloads.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)[-1:]
    target = cache / "src" / f"{norm}-{version}"
    if not target.exists():
        with tarfile.open(archives[0]) as archive:
            tmp = target.with_suffix(".tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            archive.extractall(tmp, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(tmp)
            tmp.rename(target)
    return target


def python_files(folders: list[Path]) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py") if p.is_file())


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one process."""
    start = time.perf_counter()
    # As installed tools run: bytecode cached (an environment may switch that off for everything).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if code not in (0, 1):
        raise SystemExit(f"benchmark command failed ({code}): {' '.join(command[:4])} ...\n{stderr[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


PROBE = "\n\nasync def _asynclint_bench_probe():\n    pass\n"


def toggle_probe(path: Path) -> None:
    """Add, or take back out, a new `async def` at the end of `path`: an edit the index sees."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: -len(PROBE)] if text.endswith(PROBE) else text + PROBE, encoding="utf-8")


def changed_file(folders: list[Path]) -> Path:
    """What pre-commit hands asynclint after a small edit: one file of the first project, with
    async code in it (the first such file in path order, so every run picks the same)."""
    for path in python_files(folders[:1]):
        if b"async def" in path.read_bytes():
            return path
    raise SystemExit("no file with async code in the corpus")


# The cache folder of the "libraries cached" rows: emptied before each of their runs but for
# its tag and `libraries/`, the summaries of the installed distributions' declarations (keyed by name and
# version: asynclint/run/library_cache.py), which any run after the first finds there. The
# baseline gets a folder of its own, as its documents are stamped with its own code.
LIBRARIES_CACHED = "libraries-cached"


def commands(folders: list[str], file_list: Path, one_file: Path, cache: Path) -> dict[str, list[str] | None]:
    cached = [PY, "-m", "asynclint", "--exit-zero", "-q", "--output-format", "json",
              "--no-respect-gitignore", "--exclude", ""]
    asynclint = [*cached, "--no-cache"]
    flake8 = [PY, "-m", "flake8", "--exit-zero", "--exclude", "", "-j", "1"]
    found = {
        "read + ast.parse": [PY, "-c", PARSE_ALL.format(imports="import ast", parse="ast.parse(data)"), str(file_list)],
        "read + libcst parse (floor)": [PY, "-c", PARSE_ALL.format(imports="import libcst", parse="libcst.parse_module(data)"), str(file_list)],
        # The same parse as asynclint calls it: libcst's parser without the revalidation of every
        # node it builds (asynclint/lint/walker.py), so the floor's share of a run is plain to see.
        "read + libcst parse, as asynclint does": [
            PY, "-c", PARSE_ALL.format(imports="from asynclint.engine.libcst_access import parse_module", parse="parse_module(data)"),
            str(file_list),
        ],
        "asynclint cold, 1 process": [*asynclint, "--jobs", "1", *folders],
        # Cold for the project, with the libraries' summaries kept from an earlier run (issue
        # #16's measure: the environment read, its summaries cached).
        "asynclint cold, 1 process, libraries cached": [
            *cached, "--cache-dir", str(cache / LIBRARIES_CACHED), "--jobs", "1", *folders,
        ],
        "asynclint cold, 2 processes, libraries cached": [
            *cached, "--cache-dir", str(cache / LIBRARIES_CACHED), "--jobs", "2", *folders,
        ],
        "asynclint cold, 2 processes": [*asynclint, "--jobs", "2", *folders],
        # No --jobs: as many processes as the amount of source pays for (asynclint/run/runner.py).
        "asynclint cold, default processes": [*asynclint, *folders],
        # The cache full from the run before: nothing changed, then one file edited so that what
        # it defines changes (an `async def` added or removed, which the index sees).
        "asynclint warm, nothing changed": [*cached, "--jobs", "2", *folders],
        "asynclint warm, one file edited": [*cached, "--jobs", "2", *folders],
        "flake8 + asynclint plugin, 1 process": [*flake8, "--select", "ASL", *folders],
        # flake8 runs pyflakes and pycodestyle whatever --select says; with only their codes
        # selected the plugin stands down, so the difference to the line above is the plugin's cost.
        "flake8 alone (plugin off), 1 process": [*flake8, "--select", "E,F,W,C90", *folders],
        # One file checked, as pre-commit does: the whole project is still indexed (the first
        # pass records every module's definitions), from scratch or from the summary cache.
        "asynclint one file, index cold, 2 processes": [*cached, "--jobs", "2", str(one_file)],
        "asynclint one file, index warm": [*cached, "--jobs", "2", str(one_file)],
        "flake8-async, 1 process": None,
        "ruff (ASYNC, RUF006)": None,
    }
    probe = subprocess.run([PY, "-m", "flake8", "--version"], capture_output=True, text=True)
    if "flake8-async" in probe.stdout or "flake8_async" in probe.stdout:
        found["flake8-async, 1 process"] = [*flake8, "--select", "ASYNC", *folders]
    ruff = shutil.which("ruff")
    if ruff:
        found["ruff (ASYNC, RUF006)"] = [ruff, "check", "--no-cache", "--exit-zero", "--select", "ASYNC,RUF006", *folders]
    return {name: cmd for name, cmd in found.items() if cmd is not None}


def plugin_cost(results: list[dict]) -> dict:
    """What the plugin adds to a flake8 run, next to what the command line takes for the same
    work in one process (issue #7's criterion: the plugin within 1.3x of the CLI)."""
    by_name = {row["name"]: row["median_s"] for row in results}
    try:
        plugin = by_name["flake8 + asynclint plugin, 1 process"] - by_name["flake8 alone (plugin off), 1 process"]
        cli = by_name["asynclint cold, 1 process"]
    except KeyError:
        return {}
    return {"plugin_s": round(plugin, 3), "ratio_to_cli_cold_1p": round(plugin / cli, 3)}


def with_baseline(todo: dict[str, list[str]], python: str) -> dict[str, list[str]]:
    """Each asynclint measurement followed by its twin run by `python` (named "... [baseline]")."""
    out: dict[str, list[str]] = {}
    for name, command in todo.items():
        out[name] = command
        if command and command[0] == PY and command[1:3] == ["-m", "asynclint"]:
            own = [arg.replace(LIBRARIES_CACHED, f"{LIBRARIES_CACHED}-baseline") for arg in command[1:]]
            out[f"{name} [baseline]"] = [python, *own]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="main", help="a corpus of bench/corpus.toml (default: main)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (median reported; default 3)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "asynclint-bench")
    parser.add_argument("--only", help="comma-separated measurement names to run (substring match)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--baseline", help="a Python whose asynclint is measured next to this one's (before/after)")
    args = parser.parse_args()

    specs = tomllib.loads((HERE / "corpus.toml").read_text())["corpora"][args.corpus]
    folders = [fetch(spec, args.cache) for spec in specs]
    files = python_files(folders)
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    file_list = args.cache / f"files-{args.corpus}.txt"
    file_list.write_text("\n".join(map(str, files)) + "\n")
    one_file = changed_file(folders)
    todo = commands([str(f) for f in folders], file_list, one_file, args.cache)
    if args.only:
        wanted = [w.strip() for w in args.only.split(",")]
        todo = {n: c for n, c in todo.items() if any(w in n for w in wanted) or "floor" in n}
    if args.baseline:
        todo = with_baseline(todo, args.baseline)
    print(f"corpus {args.corpus}: {len(files)} files, {lines} lines; {args.repeat} rounds; {os.cpu_count()} CPUs", flush=True)

    warm = [name for name in todo if "warm" in name]
    if warm:
        print(f"one file: {one_file}", flush=True)
    original = one_file.read_bytes()
    times: dict[str, list[float]] = {name: [] for name in todo}
    memory: dict[str, float] = {name: 0.0 for name in todo}
    for round_ in range(args.repeat):
        for name, command in todo.items():
            if name in warm:
                measure(command)  # fills the cache (a no-op when the last warm run did)
                if "edited" in name:
                    toggle_probe(one_file)
            else:
                for folder in folders:  # cold means cold: no summary cache left by an earlier run
                    for cache in folder.rglob(".asynclint_cache"):
                        shutil.rmtree(cache, ignore_errors=True)
                if "libraries cached" in name:
                    kept = Path(command[command.index("--cache-dir") + 1])
                    if not (kept / "libraries").is_dir():
                        measure(command)  # the first run writes the libraries' summaries
                    for entry in kept.iterdir():  # the tag too stays: it makes the folder asynclint's
                        if entry.name not in ("libraries", "CACHEDIR.TAG"):
                            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            seconds, rss = measure(command)
            times[name].append(seconds)
            memory[name] = max(memory[name], rss)
            print(f"  round {round_ + 1}: {name}: {seconds:.2f}s", flush=True)

    one_file.write_bytes(original)  # the probe edit leaves no trace in the corpus
    floor = statistics.median(times["read + libcst parse (floor)"])
    results = []
    print(f"\n{'measurement':<40} {'median s':>9} {'lines/s':>9} {'× floor':>8} {'peak MiB':>9}")
    for name in todo:
        median = statistics.median(times[name])
        row = {"name": name, "median_s": round(median, 3), "runs_s": [round(t, 3) for t in times[name]],
               "lines_per_s": round(lines / median), "ratio_to_floor": round(median / floor, 3),
               "peak_mib": round(memory[name], 1)}
        results.append(row)
        print(f"{name:<40} {median:>9.2f} {row['lines_per_s']:>9} {row['ratio_to_floor']:>8.2f} {row['peak_mib']:>9.0f}")
    derived = plugin_cost(results)
    if derived:
        print(f"\nflake8 plugin's own cost (with it minus without it): {derived['plugin_s']:.2f}s,"
              f" {derived['ratio_to_cli_cold_1p']:.2f}x asynclint cold with 1 process")
    if args.json:
        args.json.write_text(json.dumps({"corpus": args.corpus, "files": len(files), "lines": lines,
                                         "repeat": args.repeat, "results": results, "derived": derived},
                                        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
