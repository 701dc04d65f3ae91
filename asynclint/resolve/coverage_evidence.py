"""Coverage data as evidence for ASL405: which async functions' bodies no test executed.

Read through coverage.py's own API (`CoverageData` for the executed lines, the Python file
reporter's `code_regions()` for where each function's body is), never by parsing its database
ourselves. coverage.py is an optional dependency: it is imported only when a data file is used.

A file the data does not mention (not measured, or measured at another path) and a function the
regions do not name give no evidence: the function is not reported.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from asynclint.config.options import ConfigError, Settings

if TYPE_CHECKING:
    from coverage import CoverageData

DEFAULT_FILE = ".coverage"


class CoverageEvidence:
    def __init__(self, data_file: Path) -> None:
        self.data_file = data_file
        self.label = f"coverage data in {data_file.name}"
        self._data: CoverageData | None = None
        self._measured: dict[str, str] | None = None
        self._regions: dict[str, dict[str, set[int]]] = {}

    def __getstate__(self) -> dict:  # sent to worker processes: the path only, read there again
        return {"data_file": self.data_file, "label": self.label}

    def __setstate__(self, state: dict) -> None:
        CoverageEvidence.__init__(self, state["data_file"])

    def read(self) -> None:
        """Open the data now, so a bad file is a clear error before any file is checked."""
        if self._data is not None:
            return
        try:
            from coverage import CoverageData
        except ImportError:
            raise ConfigError(
                f"{self.data_file}: reading coverage data needs coverage.py "
                "(pip install 'asynclint[coverage]'), or set `coverage-file` to another file"
            ) from None
        data = CoverageData(basename=str(self.data_file))
        try:
            data.read()
        except Exception as exc:  # noqa: BLE001 - coverage raises its own DataError, sqlite errors, OSError
            raise ConfigError(f"{self.data_file}: cannot read coverage data: {exc}") from None
        self._data = data
        self._measured = {os.path.realpath(name): name for name in data.measured_files()}

    def _body_lines(self, path: str, qualname: str) -> set[int] | None:
        if path not in self._regions:
            from coverage.python import PythonFileReporter

            try:
                regions = PythonFileReporter(path).code_regions()
            except Exception:  # noqa: BLE001 - a file coverage cannot parse: no evidence
                regions = []
            self._regions[path] = {r.name: set(r.lines) for r in regions if r.kind == "function"}
        return self._regions[path].get(qualname)

    def unexecuted(self, path: str, qualname: str) -> bool:
        """Whether the data shows that no line of the function's body ran."""
        self.read()
        assert self._measured is not None and self._data is not None  # read() has set both
        measured = self._measured.get(os.path.realpath(path))
        if measured is None:
            return False
        executed = self._data.lines(measured)
        body = self._body_lines(path, qualname)
        if executed is None or not body:
            return False
        return not (body & set(executed))


def evidence_for(settings: Settings) -> CoverageEvidence | None:
    """The coverage data to judge ASL405 by: `coverage-file`, else `.coverage` at the project
    root when it exists, else None (references from test modules are the evidence)."""
    if settings.coverage_file:
        path = settings.root / settings.coverage_file
        if not path.is_file():
            raise ConfigError(f"coverage-file: {path}: no such file")
    else:
        path = settings.root / DEFAULT_FILE
        if not path.is_file():
            return None
    evidence = CoverageEvidence(path)
    evidence.read()
    return evidence
