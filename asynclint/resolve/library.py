"""What is known of libraries: the catalogue's entries (rules/*.toml), then what the libraries
themselves declare (asynclint/knowledge/declarations.py: typeshed's stubs for the standard
library, the environment's installed packages for the rest).

The catalogue comes first: it keeps what declarations can't say in a form the rules use (what an
awaitable such as `session.get()` gives when awaited, the public names of types), and serves when
no environment is found. Names of the project's own packages are never looked up in the
environment: an installed copy of the project may be older than the code being checked.
"""

from __future__ import annotations

import functools
import os
from importlib import metadata
from pathlib import Path

from asynclint.knowledge import catalogue
from asynclint.knowledge.declarations import ASYNC, SAME, SELF, Declarations, declarations, is_stdlib
from asynclint.knowledge.environment import Environment, find_environment


class Library:
    def __init__(self, root: Path | None = None, found: Declarations | None = None) -> None:
        self.root = root
        self.declared = found if found is not None else declarations()
        self.types = catalogue.types()
        known = catalogue.coroutines()
        self.functions = known.functions
        self.methods = known.methods
        self.method_names = known.method_names
        self._own: dict[str, bool] = {}
        self._canonical: dict[str, dict[str, str]] = {}

    def _outside(self, dotted: str) -> bool:
        """Whether a dotted name's top-level package is not one of the project's own (nor
        `builtins`, which declares no coroutine function and whose stub is the largest)."""
        top = dotted.split(".", 1)[0]
        if top == "builtins":
            return False
        own = self._own.get(top)
        if own is None:
            root = self.root
            own = self._own[top] = root is not None and any(
                os.path.exists(os.path.join(root, *where))
                for where in ((top,), (f"{top}.py",), ("src", top), ("src", f"{top}.py"))
            )
        return not own

    def coroutine(self, dotted: str) -> bool:
        """Whether calling the library function or method `dotted` makes a coroutine."""
        if dotted in self.functions or dotted in self.methods:
            return True
        return self._outside(dotted) and self.declared.kind(dotted) == ASYNC

    def returns(self, dotted: str) -> str | tuple[str, ...] | None:
        """What calling `dotted` gives (the catalogue's entry, else a sync function's declared
        return type by its public name); None for a class (its instance is the class itself)."""
        given = self.types.returns.get(dotted)
        if given is not None or not self._outside(dotted):
            return given
        found = self.declared.find(dotted)
        if found is None or found[0] != "def" or found[1] != "sync" or found[2] in (None, SAME):
            return None  # SAME: a decorator's, whose result is what it is given
        return self._public(found[2], dotted)

    def awaited(self, dotted: str) -> str | tuple[str, ...] | None:
        """What awaiting a call of `dotted` gives."""
        given = self.types.awaited.get(dotted)
        if given is not None or not self._outside(dotted):
            return given
        found = self.declared.awaited(dotted)
        return self._public(found, dotted) if found is not None else None

    def attribute(self, cls: str, name: str) -> str | None:
        """The type a library class declares an attribute or property of it holds."""
        if not self._outside(cls):
            return None
        found = self.declared.attribute(cls, name)
        return self._public(found, f"{cls}.{name}") if found is not None else None

    def _public(self, name: str, reached: str) -> str:
        # `Self`: the receiver's own type, as the caller named it (`Path.with_suffix` gives a Path)
        return reached.rpartition(".")[0] if name == SELF else self.public(name)

    def public(self, name: str) -> str:
        """A declared type by the name the catalogue knows it under (`asyncio.events.AbstractEventLoop`
        -> `asyncio.AbstractEventLoop`), else as declared."""
        top = name.split(".", 1)[0]
        canonical = self._canonical.get(top)
        if canonical is None:  # resolved per top-level package, on first use
            canonical = self._canonical[top] = {}
            for known in _catalogue_types():
                if known.split(".", 1)[0] == top:
                    found = self.declared.find(known)
                    if found is not None and found[0] == "class" and found[1] != known:
                        canonical.setdefault(found[1], known)
        return canonical.get(name, name)

    def is_stdlib(self, top: str) -> bool:
        """Whether a top-level module is the standard library's (typeshed's VERSIONS)."""
        return is_stdlib(top)

    def coroutine_method_names(self, packages: set[str]) -> frozenset[str]:
        """Method names declared `async def` by classes of these packages and of asyncio (whose
        objects a project attribute may hold in any module), and the catalogue's."""
        names = set(self.method_names)
        for package in sorted(packages | {"asyncio"}):
            if self._outside(package):
                names |= self.declared.coroutine_names(package)
        return frozenset(names)


@functools.cache
def _catalogue_types() -> tuple[str, ...]:
    """Type names the catalogue's tables use (its keys are matched against declared types)."""
    types = catalogue.types()
    names: set[str] = set(types.aliases.values()) | types.thread_locks | types.asyncio_locks
    for table in (types.returns, types.awaited):
        for value in table.values():
            names.update([value] if isinstance(value, str) else value)
    names.update(method.rpartition(".")[0] for method in catalogue.coroutines().methods)
    names.update(catalogue.tasks().loop_types)
    names.discard("?")
    return tuple(sorted(names))


@functools.cache
def _library(python: str, root: Path, virtual_env: str) -> Library:
    environment = find_environment(python, root, {"VIRTUAL_ENV": virtual_env} if virtual_env else {})
    return Library(root, declarations(environment.search_path))


def environment_of(settings) -> Environment:
    return find_environment(settings.python, Path(settings.root))


@functools.cache
def _typeshed_version() -> str:
    try:
        return metadata.version("typeshed_client")
    except metadata.PackageNotFoundError:
        return ""


def stamp(settings) -> str:
    """What the declarations read under these settings depend on (see settings_stamp)."""
    return f"{_typeshed_version()}:{environment_of(settings).stamp()}"


def for_settings(settings) -> Library:
    """The library knowledge for a run's settings (one per environment and target, per process)."""
    return _library(settings.python, Path(settings.root), os.environ.get("VIRTUAL_ENV", ""))
