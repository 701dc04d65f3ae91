"""libcst as asynclint uses it: every trick played on libcst or on CPython's import system for
speed lives here, and `ASYNCLINT_PLAIN_LIBCST=1` in the environment turns them all off (for a
bug report, or to check that a new libcst still agrees).

- **Loaded late.** A run answered from the cache never touches a syntax tree, and importing
  libcst is a good part of such a run's time: modules on that path take `libcst` from here
  (`from asynclint.engine.libcst_access import libcst as cst`), an import that loads it on first
  attribute access. Modules that only run once a file is parsed import libcst plainly.
- **The late module looks loaded.** libcst's native parser imports `libcst` once per node it
  builds; for a lazily loaded module the import system looks for `__spec__._initializing`,
  which such a spec lacks, and every lookup failed: the parse took 19% longer. The spec is given
  what the import system gives every module it loads.
- **No revalidation of the parser's own output.** Every libcst node validates itself in its
  constructor (`CSTNode.__post_init__` calls `_validate`), the nodes libcst's parser builds from
  valid code included (libcst's own comment there says the check could move out of the parse):
  12-15% of the parse on the benchmark corpus. `parse_module` switches it off for the parse
  alone, and only when `__post_init__` is the function known to do nothing but validate; nodes
  built anywhere else (fixes, tests) are validated as usual.
- **Private pieces.** Positions of only the nodes that hold findings need libcst's code
  generation hook (`libcst._nodes.internal.CodegenState`, what libcst's own position providers
  use); pyproject.toml bounds libcst below 2 for it, and `tests/test_libcst_versions.py` runs the
  examples on the lowest libcst declared and on the newest.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

PLAIN = os.environ.get("ASYNCLINT_PLAIN_LIBCST", "") not in ("", "0")


def _late(name: str) -> ModuleType:
    """`name`, imported on first attribute access (at once when PLAIN)."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    if PLAIN:
        return importlib.import_module(name)
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"No module named {name!r}")
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    spec._initializing = False  # type: ignore[attr-defined]  # see the module docstring
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


libcst: Any = _late("libcst")

_POST_INIT: Any = None
_SKIPPABLE: bool | None = None  # decided on the first parse, when libcst is loaded anyway


def _no_validation(node: Any) -> None:
    pass


def _can_skip_validation() -> bool:
    global _POST_INIT, _SKIPPABLE
    if _SKIPPABLE is None:
        _POST_INIT = libcst.CSTNode.__dict__.get("__post_init__")
        code = getattr(_POST_INIT, "__code__", None)
        _SKIPPABLE = not PLAIN and code is not None and code.co_names == ("_validate",)
    return _SKIPPABLE and libcst.CSTNode.__dict__.get("__post_init__") is _POST_INIT


@contextlib.contextmanager
def unvalidated() -> Iterator[None]:
    """Nodes built meanwhile skip libcst's validation: for nodes made from code a parser has
    just accepted (libcst's, or CPython's for the layout-free tree, engine/layoutfree.py)."""
    if not _can_skip_validation():
        yield
        return
    libcst.CSTNode.__post_init__ = _no_validation
    try:
        yield
    finally:  # libcst's own function back, whatever happened meanwhile
        libcst.CSTNode.__post_init__ = _POST_INIT


def parse_module(text: str) -> Any:
    """`libcst.parse_module(text)`, without revalidating the nodes the parser builds."""
    with unvalidated():
        return libcst.parse_module(text)


def __getattr__(name: str) -> Any:
    # The private and metadata pieces, imported when asked for (they load libcst).
    if name == "CodegenState":
        return importlib.import_module("libcst._nodes.internal").CodegenState
    if name in ("CodePosition", "CodeRange"):
        return getattr(importlib.import_module("libcst.metadata"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
