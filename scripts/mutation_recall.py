#!/usr/bin/env python3
"""Missing-await recall: remove one `await` per function in a real project and see who notices.

    python scripts/mutation_recall.py --project aiosqlite            # from the ecosystem cache
    python scripts/mutation_recall.py --path ../myproject --tools asynclint,mypy
    python scripts/mutation_recall.py --project aiohttp --json mutants.json --seed 3

For each outermost function of the project's non-test source (a top-level function, or a method
of a class that isn't inside a function) that awaits a call, one `await` is picked at random
(seeded: the same seed gives the same mutants) and its `await` keyword is deleted. Every mutant
is a real bug: a coroutine that never runs or a coroutine object used as its result.

Each tool runs on an untouched copy and on the mutated copy. A mutant counts as caught by a tool
when the mutated copy has a diagnostic the untouched copy doesn't, from the mutated statement's
first line to the end of its function: a type checker often reports the use of the coroutine a
line or two later (`x = f(); x.attr`), and that is a catch. Mutants go in batches (`--batches`,
several mutants per copy keeps it fast); functions are disjoint, so a diagnostic can be charged
to one mutant only, though in a rare case another mutant's change of an inferred return type
shows up in this function: `--batches` with a larger number reduces that.

Mutants are classed by what the awaited call names, which is what decides who can know it:
  same-module   a function or class defined in the same module: `helper()`, `Klass.make()`
  self-method   a method on self/cls/super(): `self.m()`, `cls.m()`, `super().m()`
  imported      something imported from the project itself: `from .x import f; f()`, `mod.f()`
  attribute     a typed attribute chain or a parameter: `self.x.m()`, `param.m()`, `param()`
  library       something imported from outside the project: `asyncio.sleep()`, `aiofiles.open()`
  dynamic       the rest: locals, call results, subscripts: `conn.m()`, `get_x().m()`, `d[k]()`
and by the context the call stands in: statement, assignment, return, condition, argument, other.

Tools: asynclint (the one installed with the interpreter running this script, or --asynclint),
and mypy, pyright and ty when they are found on PATH or given with --mypy/--pyright/--ty. They
see the project alone (no dependencies installed) unless --python names an environment with
them, which every tool is then pointed at (asynclint reads its packages' declarations).

Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

CLASSES = ("same-module", "self-method", "imported", "attribute", "library", "dynamic")
CONTEXTS = ("statement", "assignment", "return", "condition", "argument", "other")
TOOLS = ("asynclint", "mypy", "pyright", "ty")
SKIP_DIRS = {".git", ".hg", ".tox", ".nox", ".venv", "venv", "node_modules", "build", "dist",
             "__pycache__", "docs", "doc", "examples", "example", "benchmarks", "bench"}
ECOSYSTEM_CACHE = Path.home() / ".cache" / "asynclint-ecosystem" / "src"


# --- which files -------------------------------------------------------------------------------


def is_test_path(relative: Path) -> bool:
    parts = relative.parts
    name = parts[-1]
    return (
        any(part in ("test", "tests", "testing") for part in parts[:-1])
        or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    )


def source_files(root: Path, include_tests: bool) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                relative = (Path(folder) / name).relative_to(root)
                if include_tests or not is_test_path(relative):
                    found.append(relative)
    return found


def project_roots(root: Path, files: list[Path]) -> set[str]:
    """The import names the project itself provides: its top-level packages and modules.

    A file's import root is its first folder (or its own name at the top), after `src/` or
    `lib/` when the project keeps its code there."""
    roots = set()
    for relative in files:
        parts = list(relative.parts)
        if parts[0] in ("src", "lib") and len(parts) > 1:
            parts = parts[1:]
        roots.add(parts[0][:-3] if parts[0].endswith(".py") else parts[0])
    return roots


# --- mutants ------------------------------------------------------------------------------------


@dataclass
class Mutant:
    path: str
    function: str
    line: int  # of the `await`
    column: int  # 1-based, of the `await`
    statement_line: int  # first line of the statement holding it
    end_line: int  # last line of the function
    callee: str  # the awaited call's callee, as written
    kind: str  # one of CLASSES
    context: str  # one of CONTEXTS
    caught: dict[str, bool] = field(default_factory=dict)
    by: dict[str, list[str]] = field(default_factory=dict)  # tool: the diagnostics that caught it


def outermost_functions(tree: ast.Module) -> list[tuple[str, ast.AST]]:
    """Top-level functions, and methods of classes at any depth outside functions."""
    found: list[tuple[str, ast.AST]] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((prefix + node.name, node))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, (ast.If, ast.Try, ast.With)):  # version or import guards
                for name in ("body", "orelse", "finalbody"):
                    visit(getattr(node, name, []), prefix)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, prefix)

    visit(tree.body, "")
    return found


class Scope:
    """What names mean in one module: its own definitions, imports and a function's parameters."""

    def __init__(self, tree: ast.Module, roots: set[str], package: str) -> None:
        self.defined: set[str] = set()  # module-level def/class
        self.assigned: set[str] = set()  # module-level assignments (instances, aliases)
        self.imports: dict[str, bool] = {}  # bound name -> from the project itself
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.asname or alias.name.split(".")[0]
                    self.imports[bound] = alias.name.split(".")[0] in roots
            elif isinstance(node, ast.ImportFrom):
                own = node.level > 0 or (node.module or "").split(".")[0] in roots
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = own
        for node in tree.body:
            for inner in _module_level(node):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    self.defined.add(inner.name)
                elif isinstance(inner, (ast.Assign, ast.AnnAssign)):
                    targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                    self.assigned.update(t.id for t in targets if isinstance(t, ast.Name))


def _module_level(node: ast.stmt) -> list[ast.stmt]:
    if isinstance(node, (ast.If, ast.Try)):
        inner = [node]
        for name in ("body", "orelse", "finalbody"):
            for child in getattr(node, name, []):
                inner.extend(_module_level(child))
        for handler in getattr(node, "handlers", []):
            for child in handler.body:
                inner.extend(_module_level(child))
        return inner
    return [node]


def parameters(function: ast.AST) -> set[str]:
    args = function.args  # type: ignore[attr-defined]
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def classify(call: ast.Call, scope: Scope, params: set[str]) -> str:
    func = call.func
    chain = []
    while isinstance(func, ast.Attribute):
        chain.append(func.attr)
        func = func.value
    if isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "super":
        return "self-method"
    if not isinstance(func, ast.Name):
        return "dynamic"  # a call result, a subscript, an await...
    root = func.id
    if root in ("self", "cls"):
        return "self-method" if len(chain) == 1 else "attribute"
    if root in params:
        return "attribute"
    if root in scope.imports:
        return "imported" if scope.imports[root] else "library"
    if root in scope.defined:
        return "same-module"
    if root in scope.assigned:
        return "attribute" if chain else "dynamic"
    return "dynamic"  # locals, builtins


def context_of(await_node: ast.Await, parents: dict[ast.AST, ast.AST]) -> str:
    parent = parents.get(await_node)
    while isinstance(parent, (ast.Starred,)):
        parent = parents.get(parent)
    if isinstance(parent, ast.Expr):
        return "statement"
    if isinstance(parent, ast.Return):
        return "return"
    if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        return "assignment"
    if isinstance(parent, ast.Tuple) and isinstance(parents.get(parent), ast.Assign):
        return "assignment"
    if isinstance(parent, ast.Call) or isinstance(parent, ast.keyword):
        return "argument"
    node: ast.AST = await_node
    while parent is not None and not isinstance(parent, ast.stmt):
        if isinstance(parent, ast.IfExp) and node is parent.test:
            return "condition"
        if not isinstance(parent, (ast.BoolOp, ast.UnaryOp, ast.Compare)):
            return "other"
        node, parent = parent, parents.get(parent)
    if isinstance(parent, (ast.If, ast.While, ast.Assert)) and node is parent.test:
        return "condition"
    return "other"


def find_mutants(root: Path, files: list[Path], roots: set[str], seed: int) -> list[Mutant]:
    mutants = []
    for relative in files:
        try:
            source = (root / relative).read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = source.splitlines()
        scope = Scope(tree, roots, str(relative))
        for name, function in outermost_functions(tree):
            parents: dict[ast.AST, ast.AST] = {}
            statements: dict[ast.AST, ast.stmt] = {}
            candidates = []
            for node in ast.walk(function):
                for child in ast.iter_child_nodes(node):
                    parents[child] = node
            for node in ast.walk(function):
                if not (isinstance(node, ast.Await) and isinstance(node.value, ast.Call)):
                    continue
                line = lines[node.lineno - 1]
                start = _column(line, node.col_offset)
                # only a plain `await <space>`: a line break after the keyword would leave a
                # statement that no longer parses
                if not re.match(r"await[ \t]+\S", line[start:]):
                    continue
                statement = node
                while not isinstance(statement, ast.stmt):
                    statement = parents[statement]
                statements[node] = statement
                candidates.append(node)
            if not candidates:
                continue
            rng = random.Random(f"{seed}:{relative}:{name}")
            chosen = rng.choice(candidates)
            line = lines[chosen.lineno - 1]
            mutants.append(Mutant(
                path=relative.as_posix(), function=name, line=chosen.lineno,
                column=_column(line, chosen.col_offset) + 1,
                statement_line=statements[chosen].lineno,
                end_line=function.end_lineno or chosen.lineno,  # type: ignore[attr-defined]
                callee=ast.unparse(chosen.value.func)[:80],  # type: ignore[attr-defined]
                kind=classify(chosen.value, scope, parameters(function)),  # type: ignore[arg-type]
                context=context_of(chosen, parents),
            ))
    return mutants


def _column(line: str, byte_offset: int) -> int:
    """ast gives UTF-8 byte offsets; text edits need character offsets."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace"))


def apply(copy: Path, originals: dict[str, str], batch: list[Mutant]) -> None:
    by_file: dict[str, list[Mutant]] = defaultdict(list)
    for mutant in batch:
        by_file[mutant.path].append(mutant)
    for path, text in originals.items():
        lines = text.splitlines(keepends=True)
        for mutant in sorted(by_file.get(path, []), key=lambda m: (m.line, m.column), reverse=True):
            line = lines[mutant.line - 1]
            start = mutant.column - 1
            end = re.match(r"await[ \t]+", line[start:]).end() + start  # type: ignore[union-attr]
            lines[mutant.line - 1] = line[:start] + line[end:]
        (copy / path).write_text("".join(lines), encoding="utf-8")


# --- tools --------------------------------------------------------------------------------------

Diagnostic = tuple[str, int, str]  # path, line, what (code and message)


def run_asynclint(command: list[str], copy: Path, files: list[str], python: str | None) -> list[Diagnostic]:
    out = subprocess.run(
        [*command, "--no-cache", "--exit-zero", "-q", "--output-format", "json", *(["--python", python] if python else []), "."],
        cwd=copy, capture_output=True, text=True, check=False)
    found = []
    for item in json.loads(out.stdout or "[]"):
        found.append((_relative(item["filename"], copy), item["location"]["row"],
                      f'{item["code"]} {item["message"]}'))
    return found


def run_mypy(command: list[str], copy: Path, files: list[str], python: str | None) -> list[Diagnostic]:
    # an empty config: the project's own mypy settings may name plugins that aren't installed
    config = copy / ".mutation-mypy.ini"
    config.write_text("[mypy]\n")
    extra = ["--python-executable", python] if python else []
    out = subprocess.run(
        [*command, "--config-file", str(config), "--check-untyped-defs", "--ignore-missing-imports",
         "--follow-imports=silent", "--show-error-codes", "--no-error-summary",
         "--hide-error-context", "--no-incremental", "--cache-dir", os.devnull, *extra, *files],
        cwd=copy, capture_output=True, text=True, check=False)
    found = []
    for line in out.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): error: (.*)", line)
        if match:
            found.append((_relative(match[1], copy), int(match[2]), match[3]))
    return found


def run_pyright(command: list[str], copy: Path, files: list[str], python: str | None) -> list[Diagnostic]:
    extra = ["--pythonpath", python] if python else []
    out = subprocess.run([*command, "--outputjson", *extra, *files], cwd=copy,
                         capture_output=True, text=True, check=False)
    try:
        report = json.loads(out.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"pyright printed no report: {out.stderr[-500:]}") from None
    found = []
    for item in report.get("generalDiagnostics", []):
        if item.get("severity") == "error":
            found.append((_relative(item["file"], copy), item["range"]["start"]["line"] + 1,
                          f'{item.get("rule", "")} {item["message"]}'))
    return found


def run_ty(command: list[str], copy: Path, files: list[str], python: str | None) -> list[Diagnostic]:
    extra = ["--python", python] if python else []
    out = subprocess.run([*command, "check", "--output-format", "concise", *extra, *files],
                         cwd=copy, capture_output=True, text=True, check=False)
    found = []
    for line in out.stdout.splitlines():
        match = re.match(r"(.+?):(\d+):\d+: (error|warning)(.*)", line)
        if match:
            found.append((_relative(match[1], copy), int(match[2]), match[3] + match[4]))
    return found


RUNNERS = {"asynclint": run_asynclint, "mypy": run_mypy, "pyright": run_pyright, "ty": run_ty}


def _relative(path: str, copy: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.resolve().relative_to(copy.resolve())
        except ValueError:
            pass
    return candidate.as_posix().removeprefix("./")


def tool_commands(args: argparse.Namespace) -> dict[str, list[str]]:
    found = {}
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    for tool in wanted:
        if tool not in TOOLS:
            raise SystemExit(f"unknown tool {tool!r}: choose from {', '.join(TOOLS)}")
        given = getattr(args, tool)
        if tool == "asynclint":
            found[tool] = given.split() if given else [sys.executable, "-m", "asynclint"]
            continue
        path = given or shutil.which(tool) or _beside_python(tool)
        if path:
            found[tool] = [path]
        else:
            print(f"{tool}: not installed, left out", file=sys.stderr)
    return found


def _beside_python(tool: str) -> str | None:
    candidate = Path(sys.executable).parent / tool
    return str(candidate) if candidate.exists() else None


# --- measuring ----------------------------------------------------------------------------------


def measure(root: Path, mutants: list[Mutant], files: list[Path], commands: dict[str, list[str]],
            batches: int, python: str | None) -> dict[str, float]:
    seconds: dict[str, float] = Counter()
    with tempfile.TemporaryDirectory(prefix="mutation-recall-") as scratch:
        copy = Path(scratch) / root.name
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.pyc"))
        names = [f.as_posix() for f in files]
        originals = {m.path: (copy / m.path).read_text(encoding="utf-8") for m in mutants}
        before = {}
        for tool, command in commands.items():
            started = time.perf_counter()
            before[tool] = Counter(RUNNERS[tool](command, copy, names, python))
            seconds[tool] += time.perf_counter() - started
        for number in range(batches):
            batch = mutants[number::batches]
            apply(copy, originals, batch)
            for tool, command in commands.items():
                started = time.perf_counter()
                after = Counter(RUNNERS[tool](command, copy, names, python))
                seconds[tool] += time.perf_counter() - started
                new = after - before[tool]
                for mutant in batch:
                    hits = [what for (path, line, what) in new.elements()
                            if path == mutant.path and mutant.statement_line <= line <= mutant.end_line]
                    mutant.caught[tool] = bool(hits)
                    mutant.by[tool] = hits[:3]
            print(f"batch {number + 1}/{batches} done", file=sys.stderr)
        apply(copy, originals, [])
    return dict(seconds)


def table(mutants: list[Mutant], tools: list[str]) -> str:
    columns = [*tools, "type checkers together"] if len(tools) > 1 else tools
    checkers = [t for t in tools if t != "asynclint"]

    def caught(group: list[Mutant], column: str) -> str:
        if not group:
            return "-"
        if column == "type checkers together":
            hits = sum(any(m.caught.get(t) for t in checkers) for m in group)
        else:
            hits = sum(bool(m.caught.get(column)) for m in group)
        return f"{100 * hits / len(group):.0f}%"

    rows = [("all mutants", mutants)]
    rows += [(f"callee: {kind}", [m for m in mutants if m.kind == kind]) for kind in CLASSES]
    rows += [(f"context: {ctx}", [m for m in mutants if m.context == ctx]) for ctx in CONTEXTS]
    header = "| | mutants | " + " | ".join(columns) + " |"
    lines = [header, "|---|--:|" + "--:|" * len(columns)]
    for label, group in rows:
        if group or label == "all mutants":
            lines.append(f"| {label} | {len(group)} | "
                         + " | ".join(caught(group, c) for c in columns) + " |")
    return "\n".join(lines)


def resolve_root(args: argparse.Namespace) -> list[Path]:
    if args.path:
        return [Path(p).resolve() for p in args.path]
    roots = []
    for name in args.project:
        found = sorted(ECOSYSTEM_CACHE.glob(f"{name}-*"))
        found = [f for f in found if f.name[len(name) + 1:][:1].isdigit()]
        if not found:
            raise SystemExit(f"{name}: not in {ECOSYSTEM_CACHE}; run scripts/ecosystem.py "
                             f"--projects {name} first, or give --path")
        roots.append(found[-1])
    return roots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--project", action="append", help="a project of the ecosystem cache")
    where.add_argument("--path", action="append", help="a project folder")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated (default: all)")
    parser.add_argument("--asynclint", help="command running asynclint (default: this Python's)")
    parser.add_argument("--mypy")
    parser.add_argument("--pyright")
    parser.add_argument("--ty")
    parser.add_argument("--python", help="an environment with the project's dependencies")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batches", type=int, default=4, help="mutated copies per project")
    parser.add_argument("--limit", type=int, help="at most this many mutants per project")
    parser.add_argument("--include-tests", action="store_true", help="mutate test code too")
    parser.add_argument("--json", help="write every mutant, with who caught it, to this file")
    args = parser.parse_args(argv)

    commands = tool_commands(args)
    everything: list[Mutant] = []
    for root in resolve_root(args):
        files = source_files(root, args.include_tests)
        mutants = find_mutants(root, files, project_roots(root, files), args.seed)
        if args.limit and len(mutants) > args.limit:
            mutants = random.Random(args.seed).sample(mutants, args.limit)
        print(f"{root.name}: {len(files)} files, {len(mutants)} mutants", file=sys.stderr)
        seconds = measure(root, mutants, files, commands, max(1, args.batches), args.python)
        print(f"{root.name}: " + ", ".join(f"{t} {s:.0f}s" for t, s in seconds.items()),
              file=sys.stderr)
        for mutant in mutants:
            mutant.path = f"{root.name}/{mutant.path}"
        everything.extend(mutants)
    print(table(everything, list(commands)))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(m) for m in everything], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
