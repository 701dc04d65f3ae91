"""Which Python environment's installed packages asynclint reads declarations from, found without
running its interpreter.

In order: the `python` option (an interpreter, or an environment's folder), then `VIRTUAL_ENV`,
then a `.venv` folder at the project root, then the interpreter running asynclint. An environment
is read as folders of files (its site-packages, and the source folders its `.pth` files add, as
editable installs do); nothing in it is imported or run.
"""

from __future__ import annotations

import hashlib
import os
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Environment:
    search_path: tuple[Path, ...]  # where installed modules are looked for, in order
    source: str  # how it was found, for --show-settings and messages

    def stamp(self) -> str:
        """What changes when a distribution is installed, upgraded or removed: the names of the
        `*.dist-info` folders (name and version), for the cache of findings to notice."""
        digest = hashlib.sha256()
        for folder in self.search_path:
            digest.update(f"{folder}\0".encode())
            try:
                names = sorted(n for n in os.listdir(folder) if n.endswith((".dist-info", ".egg-info")))
            except OSError:
                continue
            digest.update("\0".join(names).encode())
        return digest.hexdigest()


def _site_packages(prefix: Path) -> list[Path]:
    """An environment folder's site-packages (POSIX `lib/pythonX.Y/`, Windows `Lib/`)."""
    found = sorted(prefix.glob("lib/python3*/site-packages"), reverse=True)
    found += [p for p in (prefix / "Lib" / "site-packages",) if p.is_dir()]
    return [p for p in found if p.is_dir()]


def _with_pth_folders(folders: list[Path]) -> tuple[Path, ...]:
    """The folders and what their `.pth` files add (a line naming a folder; `import` lines are
    code, never run)."""
    result: list[Path] = []
    for folder in folders:
        result.append(folder)
        try:
            pth = sorted(p for p in folder.iterdir() if p.suffix == ".pth")
        except OSError:
            continue
        for path in pth:
            try:
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[:50]
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue
                added = Path(line) if os.path.isabs(line) else folder / line
                if added.is_dir() and added not in result:
                    result.append(added)
    return tuple(result)


def _prefix_of(python: Path) -> Path:
    """The environment folder of an interpreter (`env/bin/python` -> `env`), or the folder given."""
    if python.is_dir():
        return python
    parent = python.parent
    return parent.parent if parent.name in ("bin", "Scripts") else parent


def find_environment(python: str, root: Path, environ: dict[str, str] | None = None) -> Environment:
    """The environment to read (see the module's docstring); `python` is the option's value."""
    environ = dict(os.environ) if environ is None else environ
    if python:
        given = Path(python) if os.path.isabs(python) else root / python
        return Environment(_with_pth_folders(_site_packages(_prefix_of(given))), f"python = {python}")
    virtual = environ.get("VIRTUAL_ENV")
    if virtual and Path(virtual).is_dir():
        return Environment(_with_pth_folders(_site_packages(Path(virtual))), f"VIRTUAL_ENV ({virtual})")
    local = root / ".venv"
    if local.is_dir():
        return Environment(_with_pth_folders(_site_packages(local)), f".venv ({local})")
    paths = sysconfig.get_paths()
    folders = list(dict.fromkeys(Path(paths[k]) for k in ("purelib", "platlib") if k in paths))
    return Environment(
        _with_pth_folders([f for f in folders if f.is_dir()]), f"the running interpreter ({sys.executable})"
    )


def _normalized(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


class Distributions:
    """Which installed distribution, at which version, a file in a site-packages folder belongs
    to: what makes a library summary cacheable (a distribution's files change only with its
    version). Files in no distribution's folder (a source folder a `.pth` adds, as editable
    installs do) belong to none, and their summaries are never kept."""

    def __init__(self) -> None:
        self._infos: dict[Path, list[tuple[str, Path]]] = {}  # folder -> ("name==version", info)
        self._tops: dict[Path, dict[str, str | None]] = {}  # folder -> top-level name -> the above
        self._read: set[Path] = set()

    def of(self, path: Path, roots: Iterable[Path]) -> str | None:
        """`"aiohttp==3.9.5"` for `site-packages/aiohttp/client.py`; None when not known."""
        for root in roots:
            try:
                relative = path.relative_to(root)
            except ValueError:
                continue
            if not relative.parts:
                return None
            top = relative.parts[0].removesuffix(".pyi").removesuffix(".py")
            return self._distribution(root, top)
        return None

    def _distribution(self, root: Path, top: str) -> str | None:
        tops = self._tops.setdefault(root, {})
        if top in tops:
            return tops[top]
        infos = self._infos.get(root)
        if infos is None:
            try:
                names = sorted(n for n in os.listdir(root) if n.endswith(".dist-info"))
            except OSError:
                names = []
            infos = self._infos[root] = []
            for folder_name in names:
                name, _, version = folder_name.removesuffix(".dist-info").partition("-")
                if name and version:
                    infos.append((f"{_normalized(name)}=={version}", root / folder_name))
        # The distribution named like the module first (`aiohttp`, `types_requests` for
        # `requests-stubs`): reading every RECORD is left for the rare module named otherwise.
        wanted = _normalized(top.removesuffix("-stubs"))
        ordered = sorted(infos, key=lambda item: wanted not in item[0].partition("==")[0])
        for distribution, info in ordered:
            if info in self._read:
                continue
            self._read.add(info)
            for name in self._top_names(info):
                tops.setdefault(name, distribution)
            if top in tops:
                return tops[top]
        tops[top] = None
        return None

    @staticmethod
    def _top_names(info: Path) -> set[str]:
        """The top-level folders and modules a distribution installed, from its RECORD (every
        file it installed; `top_level.txt` is setuptools' only and may be missing)."""
        try:
            lines = (info / "RECORD").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return set()
        found = set()
        for line in lines:
            first = line.split(",", 1)[0].split("/", 1)[0]
            if not first or first.startswith(".") or first.endswith((".dist-info", ".data", ".pth")):
                continue
            found.add(first.removesuffix(".pyi").removesuffix(".py"))
        return found
