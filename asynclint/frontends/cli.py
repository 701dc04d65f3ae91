"""The `asynclint` command line.

Exit codes: 0 no findings, 1 findings (or, with --diff, changes to show), 2 a usage, config or
internal error, or a file that could not be checked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from asynclint import __version__
from asynclint.config.options import OPTIONS, ConfigError, Settings, find_config, load_settings
from asynclint.engine import deepstack
from asynclint.engine.notebook import locate
from asynclint.output import entries, render
from asynclint.output.json_format import statistics as statistics_json
from asynclint.output.text import COLOR_CHOICES, shown, statistics, use_color
from asynclint.run.progress import for_terminal
from asynclint.run.runner import FileReport, Mode, run

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors exit 2 with one clear line, as argparse does
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"asynclint: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="asynclint",
        description="Find asyncio misuse: missing awaits, blocking calls, dropped tasks, untested async code.",
        epilog="`asynclint rule CODE` explains a rule; `asynclint rule --all` lists them.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to check (default: .); - reads stdin")
    parser.add_argument("--version", action="version", version=f"asynclint {__version__}")
    parser.add_argument("--config", type=Path, metavar="FILE", help="pyproject.toml to read (default: the nearest with [tool.asynclint])")
    for option in OPTIONS:
        if option.flag:
            parser.add_argument(f"--{option.name}", action="store_true", default=None, help=option.help)
        elif option.parse.__name__ == "_bool":
            parser.add_argument(f"--{option.name}", action=argparse.BooleanOptionalAction, default=None, help=option.help)
        else:
            parser.add_argument(f"--{option.name}", action="append", metavar=option.metavar or "VALUE", help=option.help)
    parser.add_argument("--fix", action="store_true", help="apply fixes (safe ones; unsafe too with --unsafe-fixes)")
    parser.add_argument("--diff", action="store_true", help="show the fixes as a unified diff; write nothing")
    parser.add_argument("--add-noqa", action="store_true", help="add a `# noqa: CODE` comment for every finding (keeping the codes already there), then stop")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--statistics", action="store_true", help="print counts per rule instead of each finding")
    parser.add_argument("--stdin-filename", metavar="PATH", help="the path to report (and match config against) for code read from stdin")
    parser.add_argument(
        "--jobs", "-j", type=int, metavar="N",
        help="processes to use (default: from the amount of source to read, one process per MB up to the CPUs available)",
    )
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    parser.add_argument(
        "--color", choices=COLOR_CHOICES, default="auto",
        help="colour the concise and full formats: auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it), always, never",
    )
    parser.add_argument("--watch", action="store_true", help="check again whenever a file or the config changes, until Ctrl-C")
    parser.add_argument("--show-files", action="store_true", help="list the files that would be checked, then stop")
    parser.add_argument("--show-settings", action="store_true", help="print the settings that apply to the first path, then stop")
    return parser


def _cli_values(args: argparse.Namespace) -> dict:
    values = {}
    for option in OPTIONS:
        raw = getattr(args, option.attr)
        if raw is None:
            continue
        if isinstance(raw, list):  # repeated flags: "--select ASL3 --select ASL1" or commas
            raw = " ".join(raw) if option.name != "per-file-ignores" else raw
        values[option.name] = raw
    return values


def settings_from(args: argparse.Namespace, folder: Path | None = None) -> Settings:
    """The settings for files in `folder` (default: the first path's): the nearest config (or
    --config), with the command line's options over it."""
    if folder is None:
        start = Path(args.paths[0]) if args.paths and args.paths[0] != "-" else Path.cwd()
        if args.stdin_filename:
            start = Path(args.stdin_filename)
        folder = start if start.is_dir() else start.parent
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such config file")
    settings = load_settings(args.config, folder if folder.exists() else Path.cwd())
    values = _cli_values(args)
    extend = {name: values.pop(name) for name in ("extend-select", "extend-exclude", "extend-task-spawners", "extend-blocking-calls") if name in values}
    user_cache = os.environ.get("ASYNCLINT_CACHE_DIR")
    if "cache-dir" in values:
        user_cache = values.pop("cache-dir")
    if args.no_cache:
        user_cache = ""
    settings = settings.updated(values, "command line")
    if user_cache is not None:  # the user's own choice: relative to where they stand, and trusted
        settings = settings.updated({"cache-dir": user_cache}, "command line")
        settings = replace(settings, cache_dir=os.path.abspath(settings.cache_dir) if settings.cache_dir else "", cache_dir_from_user=True)
    if extend:  # extend-* on the command line adds to what the config file extends
        added = Settings().updated(extend, "command line")
        attrs = [name.replace("-", "_") for name in extend]
        settings = replace(settings, **{a: getattr(settings, a) + getattr(added, a) for a in attrs})
    return settings


def describe_settings(settings: Settings) -> str:
    """The resolved settings, one `name = value` line per option (TOML values), with where they
    come from: what `--show-settings` prints."""
    import json

    from asynclint.resolve.library import environment_of

    environment = environment_of(settings)
    lines = [
        f"# config file: {settings.config_file or 'none (defaults)'}", f"# project root: {settings.root}",
        f"# environment: {environment.source}: {', '.join(map(str, environment.search_path)) or 'no site-packages found'}",
        # for modules that import no async library themselves (docs/configuration.md)
        f"# async library: {settings.async_library.reason}",
    ]
    for option in OPTIONS:
        value = getattr(settings, option.attr)
        if isinstance(value, tuple):
            value = [list(v) if isinstance(v, tuple) else v for v in value]
        lines.append(f"{option.name} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def by_nearest_config(files: list[str], args: argparse.Namespace, first: Settings) -> list[tuple[Settings, list[str]]]:
    """The files grouped by the settings that apply to each: those of its nearest
    `[tool.asynclint]` table (a monorepo's services each have their own), whatever the order of
    the paths given. Tables do not merge: the nearest applies alone, under the command line."""
    if args.config is not None:
        return [(first, files)]
    nearest: dict[str, Path | None] = {}
    chosen: dict[Path | None, Settings] = {first.config_file: first}
    groups: dict[Path | None, list[str]] = {}
    for path in files:
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in nearest:
            nearest[folder] = find_config(Path(folder))
        config = nearest[folder]
        if config not in chosen:
            chosen[config] = settings_from(args, Path(folder))
        groups.setdefault(config, []).append(path)
    return [(chosen[config], group) for config, group in groups.items()]


def _rule_command(argv: Sequence[str]) -> int:
    parser = _Parser(prog="asynclint rule", description="Explain a rule.")
    parser.add_argument("code", nargs="?", help="a rule code such as ASL301")
    parser.add_argument("--all", action="store_true", help="list every rule")
    args = parser.parse_args(argv)
    from asynclint.checks import ALL_RULES, RULES_BY_CODE
    from asynclint.frontends.docs import rule_page

    if args.all or args.code is None:
        for each in ALL_RULES:
            fix = f" [{each.fix.value} fix]" if each.fix else ""
            opt_in = " [opt-in]" if each.opt_in else ""
            print(f"{each.code}  {each.name}: {each.summary()}{fix}{opt_in}")
        return EXIT_CLEAN
    rule = RULES_BY_CODE.get(args.code.upper())
    if rule is None:
        print(f"asynclint: error: unknown rule code {args.code!r} (see `asynclint rule --all`)", file=sys.stderr)
        return EXIT_ERROR
    print(rule_page(rule), end="")
    return EXIT_CLEAN


def _summary(reports: list[FileReport], mode: Mode, unsafe: bool) -> str:
    findings = [f for r in reports for f in r.findings]
    errors = sum(len(r.errors) for r in reports)
    fixed = sum(len(r.fixed) for r in reports)
    parts = []
    if mode is Mode.FIX and fixed:
        parts.append(f"Fixed {fixed} finding{'s' * (fixed != 1)}.")
    if findings:
        safe = sum(1 for f in findings if f.fix and f.fix.applicability.value == "safe")
        unsafe_only = sum(1 for f in findings if f.fix and f.fix.applicability.value == "unsafe")
        line = f"Found {len(findings)} finding{'s' * (len(findings) != 1)}"
        hints = []
        if safe and mode is Mode.CHECK:
            hints.append(f"{safe} fixable with --fix")
        if unsafe_only and not unsafe:
            hints.append(f"{unsafe_only} {'more with --unsafe-fixes' if hints else 'fixable with --fix --unsafe-fixes'}")
        parts.append(line + (f" ({'; '.join(hints)})" if hints else "") + ".")
    elif not errors:
        parts.append("All checks passed.")
    if errors:
        parts.append(f"{errors} file{'s' * (errors != 1)} could not be checked fully (see above).")
    return " ".join(parts)


def _report_added(added: list, reports: list[FileReport], quiet: bool, exit_zero: bool) -> int:
    """What --add-noqa did: findings it could not silence on stdout (concise), errors on
    stderr, and a count. Exit 0 when every finding is silenced now, 1 when some are left, 2
    when a file could not be checked or written (`--exit-zero` turns 1 into 0)."""
    left = {a.path: a.skipped for a in added if a.skipped}
    failed = {a.path: a.error for a in added if a.error is not None}
    remaining = [FileReport(r.path, findings=left.get(r.path, []), lines=r.lines, cells=r.cells) for r in reports if left.get(r.path)]
    sys.stdout.write(render("concise", remaining))
    errors = [FileReport(r.path, errors=r.errors, cells=r.cells) for r in reports if r.errors]
    errors += [FileReport(path, errors=[error]) for path, error in sorted(failed.items())]
    sys.stderr.write(render("concise", errors))
    count = sum(a.added for a in added)
    files = sum(1 for a in added if a.added)
    if not quiet:
        line = f"Added {count} noqa comment{'s' * (count != 1)} in {files} file{'s' * (files != 1)}."
        skipped = sum(len(s) for s in left.values())
        if skipped:
            line += f" {skipped} finding{'s' * (skipped != 1)} could not be silenced (listed above)."
        print(line, file=sys.stderr)
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if left and not exit_zero else EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rule"]:
        return _rule_command(argv[1:])
    if argv[:1] == ["server"]:
        from asynclint.frontends.server import main as server_main

        return server_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.fix and args.diff:
        args.fix = False  # --diff previews the fixes; it never writes
    try:
        settings = settings_from(args)
    except ConfigError as exc:
        print(f"asynclint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    mode = Mode.DIFF if args.diff else Mode.FIX if args.fix else Mode.CHECK
    paths = args.paths or ["."]

    stdin = args.stdin_filename is not None or paths == ["-"]
    if stdin and args.paths not in ([], ["-"]):
        print("asynclint: error: code read from stdin (--stdin-filename or -) cannot be mixed with other paths", file=sys.stderr)
        return EXIT_ERROR
    if not stdin and "-" in paths:
        print("asynclint: error: '-' (stdin) cannot be mixed with other paths", file=sys.stderr)
        return EXIT_ERROR
    if args.add_noqa and (stdin or mode is not Mode.CHECK):
        what = "code read from stdin" if stdin else "--diff" if mode is Mode.DIFF else "--fix"
        print(f"asynclint: error: --add-noqa writes files; it cannot be combined with {what}", file=sys.stderr)
        return EXIT_ERROR
    if args.show_settings:
        sys.stdout.write(describe_settings(settings))
        return EXIT_CLEAN
    if args.watch:
        if stdin or args.add_noqa or mode is Mode.DIFF or args.show_files:
            what = "code read from stdin" if stdin else "--add-noqa" if args.add_noqa else "--diff" if mode is Mode.DIFF else "--show-files"
            print(f"asynclint: error: --watch cannot be combined with {what}", file=sys.stderr)
            return EXIT_ERROR
        return _watch(args, settings, mode, paths)
    return _check(args, settings, mode, paths, stdin)


WATCH_INTERVAL = 0.5  # seconds between two looks at the files


def _snapshot(args: argparse.Namespace, settings: Settings, paths: list[str]) -> dict[str, tuple[int, int] | None]:
    """What --watch compares: size and mtime of every file checked or read for the project
    index, and of the config files, and of where one could appear (None for a missing file)."""
    from asynclint.config.discovery import discover, project_files

    named = [*discover(paths, settings).files, *project_files(paths, settings)]
    named += [str(p) for p in (args.config, settings.config_file) if p is not None]
    named += paths  # a path given that does not exist yet, or a folder whose entries change
    # and where a config could appear: each folder of those files, up to the project root
    top = os.path.abspath(settings.root)
    folders = {os.path.dirname(os.path.abspath(path)) for path in named} | {os.getcwd()}
    for folder in sorted(folders):
        while True:
            named.append(os.path.join(folder, "pyproject.toml"))
            parent = os.path.dirname(folder)
            if folder == top or parent == folder or not folder.startswith(top):
                break
            folder = parent
    watched = {os.path.relpath(os.path.abspath(path)) for path in named}  # each file once
    state: dict[str, tuple[int, int] | None] = {}
    for path in watched:
        try:
            info = os.stat(path)
        except OSError:
            state[path] = None
            continue
        state[path] = (info.st_size, info.st_mtime_ns)
    return state


def _watch(args: argparse.Namespace, settings: Settings, mode: Mode, paths: list[str]) -> int:
    """Check, then check again whenever a checked file, a project file or the config changes
    (polled with os.stat, no dependency), until interrupted (Ctrl-C: exit 0)."""
    import time

    try:
        while True:
            try:
                settings = settings_from(args)  # the config may have changed too
                before = _snapshot(args, settings, paths)
                _check(args, settings, mode, paths, False)
                if mode is Mode.FIX:  # what the fixes wrote is no change to check again for
                    before = _snapshot(args, settings, paths)
            except ConfigError as exc:  # say so, and wait for the config to be mended
                print(f"asynclint: error: {exc}", file=sys.stderr)
                before = _snapshot(args, Settings(), paths)
            sys.stdout.flush()  # this run's findings before the line that says it is over
            print("asynclint: watching for changes (Ctrl-C to stop)", file=sys.stderr, flush=True)
            while True:
                time.sleep(WATCH_INTERVAL)
                try:
                    now = _snapshot(args, settings_from(args), paths)
                except ConfigError:
                    now = _snapshot(args, Settings(), paths)
                changed = sorted(path for path in {*before, *now} if before.get(path) != now.get(path))
                if changed:
                    what = shown(changed[0]) if len(changed) == 1 else f"{len(changed)} files"
                    print(f"asynclint: {what} changed; checking again", file=sys.stderr, flush=True)
                    break
    except KeyboardInterrupt:
        return EXIT_CLEAN


def _check(args: argparse.Namespace, settings: Settings, mode: Mode, paths: list[str], stdin: bool) -> int:
    """One run: check (or fix) the paths or stdin, print, and give the exit code."""
    from asynclint.config.discovery import discover, project_files
    from asynclint.engine.diagnostics import ErrorKind, FileError

    data = b""
    buffers: dict[str, bytes] = {}
    if stdin:
        # Read once, and kept: with nothing to fix the editor pipe gets these very bytes back.
        data = sys.stdin.buffer.read()
        display = args.stdin_filename or "-"
        files, reports = [display], []
        buffers[display] = data
        # The buffer stands for the file at that path in its project, so calls into the rest
        # of the project resolve as they do for the file on disk.
        project = project_files([display], settings) if args.stdin_filename else []
    else:
        found = discover(paths, settings)
        files = found.files
        if not files:  # a mistyped CI path must not pass silently
            print("asynclint: warning: no Python files found under the given paths", file=sys.stderr)
        reports = [FileReport(path, errors=[FileError(ErrorKind.IO, reason)]) for path, reason in found.missing]
        reports += [FileReport(path, errors=[FileError(ErrorKind.SKIPPED, reason)]) for path, reason in found.cut_short]
        if args.show_files:
            for group_settings, group in by_nearest_config(files, args, settings):
                kept = group if group_settings is settings else discover(group, group_settings).files
                sys.stdout.write("".join(f"{shown(path)}\n" for path in sorted(kept)))
            return EXIT_CLEAN
        project = project_files(paths, settings)
    progress = None if stdin else for_terminal(sys.stderr, args.quiet)
    added = []
    try:
        groups = [(settings, files)] if stdin else by_nearest_config(files, args, settings)
        for group_settings, group in groups:
            if group_settings is not settings:  # its own excludes, and its own project
                group = discover(group, group_settings).files
                # A table's folder is a project; files under no table are checked among
                # themselves (the nearest marker above them may be far off: a `.git` above a
                # whole interpreter installation).
                project = project_files(group, group_settings) if group_settings.config_file else group
            checked = run(group, group_settings, mode, args.jobs, project, progress, buffers)
            if args.add_noqa:
                from asynclint.run.add_noqa import add_noqa_comments

                added += [add_noqa_comments(report, group_settings) for report in checked if report.findings]
            reports += checked
    except ConfigError as exc:  # e.g. a coverage data file that cannot be read
        print(f"asynclint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        if progress is not None:
            progress.close()
    reports.sort(key=lambda r: r.path)
    if args.add_noqa:
        return _report_added(added, reports, args.quiet, args.exit_zero)

    out = sys.stdout
    if mode is Mode.DIFF:
        out.write("".join(r.diff for r in reports))
        errors = [r for r in reports if r.errors]
        if errors:
            sys.stderr.write(render("concise", [FileReport(r.path, errors=r.errors, cells=r.cells) for r in errors]))
    elif mode is Mode.FIX and stdin:
        # The editor pipe: stdout is the buffer's new content, always, byte for byte the input
        # when nothing was fixed (clean code, only unfixable findings, a syntax error).
        report = reports[0]
        out.flush()
        out.buffer.write(report.fixed_data if report.fixed_data is not None else data)
        out.flush()
        sys.stderr.write(render("concise", reports))
    elif args.statistics:
        counted = [e for e in entries(reports) if not e.is_error]
        out.write(statistics_json(counted) if settings.output_format == "json" else statistics(counted))
        sys.stderr.write(render("concise", [FileReport(r.path, errors=r.errors, cells=r.cells) for r in reports if r.errors]))
    else:
        out.write(render(settings.output_format, reports, settings.root, color=use_color(args.color, out)))
    if mode is Mode.FIX and settings.show_fixes:
        for report in reports:
            for f in report.fixed:
                assert f.fix is not None  # a fixed finding is one whose fix was applied
                line, cell = f.line, ""
                if report.fixed_cells:  # a notebook: its cell, and the line in it (as read)
                    number, line = locate(report.fixed_cells, f.line)
                    cell = f"cell {number}:"
                sys.stderr.write(f"fixed {report.path}:{cell}{line}:{f.column}: {f.code} ({f.fix.description})\n")
    if not args.quiet and settings.output_format in ("concise", "full") and mode is not Mode.DIFF:
        print(_summary(reports, mode, settings.unsafe_fixes), file=sys.stderr)

    if any(r.errors for r in reports):
        return EXIT_ERROR
    if mode is Mode.DIFF:
        return EXIT_FINDINGS if any(r.diff for r in reports) and not args.exit_zero else EXIT_CLEAN
    if any(r.findings for r in reports) and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def entry() -> None:
    """The `asynclint` command: `main`, then an exit that a stuck file cannot turn into a crash.
    Whatever escapes `main` is a bug of asynclint: exit 2 (an error), never 1 ("findings")."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence; the traceback helps a bug report
        import traceback

        traceback.print_exc(file=sys.stderr)
        from asynclint.engine.diagnostics import internal_error

        print(f"asynclint: {internal_error(exc).message}", file=sys.stderr)
        code = EXIT_ERROR
    if deepstack.still_running(wait=5.0):
        # A file given up for per-file-timeout is still inside libcst's native parser; finalizing
        # the interpreter under it would abort the process. Everything is reported: end now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
