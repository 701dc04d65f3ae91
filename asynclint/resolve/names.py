"""Names and symbolic references: what one file can say about a call's target before the
project index answers (module names from file paths, relative imports, `Ref`, kinds of function)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from asynclint.engine.notebook import is_notebook
from asynclint.engine.notebook import module_name as notebook_module_name

ASYNC, SYNC, ASYNCGEN, UNKNOWN, CLASS = "async", "sync", "asyncgen", "unknown", "class"
# A function with project decorators: its kind is what the index makes of them (see `decorated`).
DECORATED = "decorated"


@functools.lru_cache(maxsize=4096)
def _package_prefix(folder: str) -> tuple[str, ...]:
    """The dotted package path of `folder`: its name and its parents' while they hold __init__.py
    (memoised per folder, since every file of a folder asks; a loop, not recursion, for packages
    nested deeper than the interpreter's recursion limit)."""
    names: list[str] = []
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        names.append(os.path.basename(folder))
        folder = parent
    return tuple(reversed(names))


def module_name(path: str) -> tuple[str, bool]:
    """Dotted module name of a file, from the packages (folders with __init__.py) around it. A
    notebook gets a name no import can spell (engine/notebook.py's `module_name`)."""
    if is_notebook(path):
        return notebook_module_name(path), False
    folder, name = os.path.split(os.path.abspath(path))
    stem = name.rsplit(".", 1)[0]
    is_package = stem == "__init__"
    parts = [*_package_prefix(folder), *([] if is_package else [stem])]
    return ".".join(parts) or stem, is_package


def absolute_name(qualified: str, module: str, is_package: bool) -> str:
    """Resolve a relative import (`.x.y`, `..z`) against the importing module."""
    if not qualified.startswith("."):
        return qualified
    level = len(qualified) - len(qualified.lstrip("."))
    rest = qualified[level:]
    base = module.split(".") if is_package else module.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, rest] if rest else base)


_TEST_DIRS = frozenset({"tests", "test", "testing"})


def is_test_module(relative: str) -> bool:
    """Whether a file (posix path relative to the project root) is test code: under a tests/,
    test/ or testing/ folder or a test-support package (`test_utils/`, `_testbase/`), or named
    test_*.py, *_test.py or conftest.py. A notebook never is: pytest does not collect it."""
    *folders, name = relative.split("/")
    if is_notebook(name):
        return False
    return (
        name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py")
        or any(folder in _TEST_DIRS or folder.startswith(("test_", "_test")) for folder in folders)
    )


# The start of a Ref's `expect` when a coroutine bound to a name is passed to a project callee:
# "plain-param:<callee kind>|<target>|<name>|<position or k:keyword>", for the index to confirm
# both that the call makes a coroutine (unless the Ref's kind is "known") and that the callee
# declares a plain value there (ProjectIndex.plain_parameter).
PLAIN_PARAMETER = "plain-param:"

# The `expect` of a condition on a sync project function whose call is iterated with a plain
# `for`: the index confirms that what it is annotated to return is an instance of a project
# class that is awaitable (`__await__`) but not iterable (no `__iter__`), such as an ORM's
# query set, which gives its rows only when awaited.
ITERATED_AWAITABLE = "iterated-awaitable"
# The kinds of reference the index can follow to a project function (for what it returns: a
# task, an awaitable).
# Condition: the receiver of `create_task` (a held reference's steps) is an event loop.
LOOP = "loop"
PROJECT_REFS = frozenset({"global", "method", "super", "attr", "held"})


def plain_parameter(found: Ref | None, callee: Ref, where: str) -> Ref:
    """The condition of a finding about a coroutine passed to `callee` at `where`: `found` (the
    coroutine's own reference, None when it is known already) must hold, and the callee must
    declare a plain value there."""
    code = f"{PLAIN_PARAMETER}{callee.kind}|{callee.target}|{callee.name}|{where}"
    return Ref(found.kind, found.target, found.name, code) if found is not None else Ref("known", "", "", code)


# The start of a Ref's `expect` when a coroutine is stored in a name declared a plain type
# (`node_id: int | None = None`, then `node_id = self.find(...)`): "plain-type:<type>", for the
# index to confirm the coroutine (unless the Ref's kind is "known") and that the type is plain.
PLAIN_TYPE = "plain-type:"


def plain_declared(found: Ref | None, declared: str) -> Ref:
    """The condition of a finding about a coroutine stored where `declared` is the type."""
    code = f"{PLAIN_TYPE}{declared}"
    return Ref(found.kind, found.target, found.name, code) if found is not None else Ref("known", "", "", code)


def plain_parameter_parts(ref: Ref) -> tuple[Ref, str]:
    """The callee and the argument's place that `plain_parameter` put in `ref`."""
    kind, target, name, where = ref.expect[len(PLAIN_PARAMETER):].split("|")
    return Ref(kind, target, name), where


def ref_name(ref: Ref) -> str:
    """The function or method name a reference ends in."""
    return (ref.name or ref.target).rpartition(".")[2]


@dataclass(frozen=True)
class Ref:
    """A call target as far as one file can tell: resolved against the index afterwards.

    kind: "global" (a dotted name: module function, class method, re-export), "method" (`self.m`
    in a method of class `target`), "super" (`super().m` there), "attr" (`self.a.m`: name is
    "a.m"), "held" (a method of a deferred type: target "<kind> <root>", name the steps and the
    method joined by dots), "duck" (`x.m` on a receiver of unknown type), "definition" (a function defined at
    `target`, in the file `name`: for facts about the function itself).
    """

    kind: str
    target: str
    name: str = ""
    # What the finding needs the target to be: a coroutine function (ASYNC), an async generator
    # function (ASYNCGEN), or a project function
    # that returns a fresh task without keeping it, called plainly ("task:sync") or awaited
    # ("task:async"), a test case class whose async test methods are never awaited
    # ("sync-testcase"), or a function no test references or executes ("untested");
    # for ASL2xx (asynclint/resolve/blocking_project.py), a receiver of one of the types
    # listed ("blocking:pathlib.Path,io.IOBase"), a thread lock ("blocking-lock"), or a sync
    # function that blocks ("blocks").
    expect: str = "async"
