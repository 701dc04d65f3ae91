"""The `asynclint` command line.

Exit codes: 0 no findings, 1 findings (or, with --diff, changes to show), 2 a usage, config or
internal error, or a file that could not be checked.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
import sys
from pathlib import Path
from typing import Sequence

from asynclint import __version__, deepstack
from asynclint.options import OPTIONS, ConfigError, Settings, load_settings
from asynclint.output import entries, render
from asynclint.progress import for_terminal
from asynclint.project import find_root
from asynclint.output.text import statistics
from asynclint.runner import FileReport, Mode, default_jobs, process_stdin, run

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
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--statistics", action="store_true", help="print counts per rule instead of each finding")
    parser.add_argument("--stdin-filename", metavar="PATH", help="the path to report (and match config against) for code read from stdin")
    parser.add_argument("--jobs", "-j", type=int, default=default_jobs(), metavar="N", help="processes to use (default: the CPUs available)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
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


def settings_from(args: argparse.Namespace) -> Settings:
    start = Path(args.paths[0]) if args.paths and args.paths[0] != "-" else Path.cwd()
    if args.stdin_filename:
        start = Path(args.stdin_filename)
    if args.config is not None and not args.config.is_file():
        raise ConfigError(f"{args.config}: no such config file")
    start = start if start.is_dir() else start.parent
    settings = load_settings(args.config, start if start.exists() else Path.cwd())
    values = _cli_values(args)
    extend = {name: values.pop(name) for name in ("extend-select", "extend-exclude", "extend-task-spawners", "extend-blocking-calls") if name in values}
    if args.no_cache:
        values["cache-dir"] = ""
    settings = settings.updated(values, "command line")
    if extend:  # extend-* on the command line adds to what the config file extends
        added = Settings().updated(extend, "command line")
        attrs = [name.replace("-", "_") for name in extend]
        settings = replace(settings, **{a: getattr(settings, a) + getattr(added, a) for a in attrs})
    return settings


def _rule_command(argv: Sequence[str]) -> int:
    parser = _Parser(prog="asynclint rule", description="Explain a rule.")
    parser.add_argument("code", nargs="?", help="a rule code such as ASL301")
    parser.add_argument("--all", action="store_true", help="list every rule")
    args = parser.parse_args(argv)
    from asynclint.checks import ALL_RULES, RULES_BY_CODE
    from asynclint.docs import rule_page

    if args.all or args.code is None:
        for rule in ALL_RULES:
            fix = f" [{rule.fix.value} fix]" if rule.fix else ""
            opt_in = " [opt-in]" if rule.opt_in else ""
            print(f"{rule.code}  {rule.name}: {rule.summary()}{fix}{opt_in}")
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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["rule"]:
        return _rule_command(argv[1:])
    if argv[:1] == ["server"]:
        from asynclint.server import main as server_main

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

    if paths == ["-"]:
        display = args.stdin_filename or "-"
        reports = [process_stdin(sys.stdin.buffer.read(), display, settings, mode)]
    else:
        if "-" in paths:
            print("asynclint: error: '-' (stdin) cannot be mixed with other paths", file=sys.stderr)
            return EXIT_ERROR
        from asynclint.discovery import discover
        from asynclint.diagnostics import ErrorKind, FileError

        found = discover(paths, settings)
        reports = [FileReport(path, errors=[FileError(ErrorKind.IO, reason)]) for path, reason in found.missing]
        # Every file of the project is read, even when only some are reported on (pre-commit
        # passes the changed files): calls into the others must resolve all the same.
        root = settings.root if settings.config_file else find_root(Path(paths[0]) if os.path.isdir(paths[0]) else Path(paths[0]).parent)
        project = discover([str(root)], settings).files if root.is_dir() else []
        progress = for_terminal(sys.stderr, args.quiet)
        try:
            reports += run(found.files, settings, mode, args.jobs, project, progress)
        except ConfigError as exc:  # e.g. a coverage data file that cannot be read
            print(f"asynclint: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        finally:
            if progress is not None:
                progress.close()
    reports.sort(key=lambda r: r.path)

    out = sys.stdout
    if mode is Mode.DIFF:
        out.write("".join(r.diff for r in reports))
        errors = [r for r in reports if r.errors]
        if errors:
            sys.stderr.write(render("concise", [FileReport(r.path, errors=r.errors) for r in errors]))
    elif mode is Mode.FIX and paths == ["-"]:
        report = reports[0]
        out.write(report.fixed_text if report.fixed_text is not None else sys.stdin.read())
        sys.stderr.write(render("concise", reports))
    elif args.statistics:
        out.write(statistics([e for e in entries(reports) if not e.is_error]))
        sys.stderr.write(render("concise", [FileReport(r.path, errors=r.errors) for r in reports if r.errors]))
    else:
        out.write(render(settings.output_format, reports))
    if mode is Mode.FIX and settings.show_fixes:
        for report in reports:
            for f in report.fixed:
                sys.stderr.write(f"fixed {report.path}:{f.line}:{f.column}: {f.code} ({f.fix.description})\n")
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
    """The `asynclint` command: `main`, then an exit that a stuck file cannot turn into a crash."""
    code = main()
    if deepstack.still_running(wait=5.0):
        # A file given up for per-file-timeout is still inside libcst's native parser; finalizing
        # the interpreter under it would abort the process. Everything is reported: end now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
