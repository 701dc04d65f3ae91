"""Measure `asynclint server` through a real LSP client over stdio.

    python bench/server.py PROJECT_FOLDER [--file REL/PATH.py] [--rounds 20] [--cold] [--debounce MS]

Reports, for the folder as one workspace folder:
- the time from `initialize` to the end of the index's `$/progress` (a warm index), cold when
  `--cold` removes the folder's `.asynclint_cache/` first;
- didChange -> publishDiagnostics latency for one-line edits inside a function body of the
  opened file (median, min, max over the rounds), and for edits that change what the module
  defines (a function made `async` and back: the index is rebuilt, open files re-checked), with
  the server's CPU time for each (on a shared machine the wall time includes waiting for a core);
- peak resident memory of the server process (VmHWM) and of the server with its index worker
  processes (sampled).

Needs `pip install 'asynclint[server]'`. Home Assistant, as in the report:
`pip download --no-deps --no-binary :all: homeassistant -d /tmp/scratch && tar xzf ...`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    """User and system time of the process so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class Bench:
    def __init__(self, root: Path, debounce: int | None) -> None:
        self.root = root
        self.debounce = debounce
        self.client = LanguageClient("asynclint-bench", "1")
        self.published: dict[str, tuple[int | None, float, int]] = {}
        self.event = asyncio.Event()
        self.index_done: float | None = None
        self.index_message = ""
        self.peak_total_kib = 0

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = (params.version, time.perf_counter(), len(params.diagnostics))
            self.event.set()

        @self.client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def create(params: types.WorkDoneProgressCreateParams) -> None:
            return None

        @self.client.feature(types.PROGRESS)
        def progress(params: types.ProgressParams) -> None:
            value = params.value
            if isinstance(value, dict) and value.get("kind") == "end":
                self.index_done = time.perf_counter()
                self.index_message = str(value.get("message", ""))
                self.event.set()

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams) -> None:
            print(f"  server: {params.message}", file=sys.stderr)

        @self.client.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register(params: types.RegistrationParams) -> None:
            return None

    async def _sample(self, pid: int) -> None:
        while True:
            total = sum(_rss_kib(p) for p in _descendants(pid))
            self.peak_total_kib = max(self.peak_total_kib, total)
            await asyncio.sleep(0.25)

    async def wait(self, condition, timeout: float = 600.0) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            self.event.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError("the server did not answer in time")
            try:
                await asyncio.wait_for(self.event.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def run(self, target: Path, rounds: int) -> dict:
        await self.client.start_io(sys.executable, "-m", "asynclint", "server", cwd=str(self.root))
        server = self.client._server  # the subprocess pygls started
        assert server is not None
        sampler = asyncio.ensure_future(self._sample(server.pid))
        options: dict = {} if self.debounce is None else {"debounce": self.debounce}
        capabilities = types.ClientCapabilities(
            window=types.WindowClientCapabilities(work_done_progress=True),
            text_document=types.TextDocumentClientCapabilities(
                publish_diagnostics=types.PublishDiagnosticsClientCapabilities(version_support=True)),
        )
        start = time.perf_counter()
        await self.client.initialize_async(types.InitializeParams(
            capabilities=capabilities, process_id=os.getpid(),
            workspace_folders=[types.WorkspaceFolder(self.root.as_uri(), self.root.name)],
            initialization_options=options,
        ))
        self.client.initialized(types.InitializedParams())
        await self.wait(lambda: self.index_done is not None, 3600)
        assert self.index_done is not None
        warm_index = self.index_done - start

        uri = target.as_uri()
        # A module-level function to toggle between `def` and `async def`: an edit that changes
        # what the module defines (the index is rebuilt, the buffer checked again with it).
        text = target.read_text(encoding="utf-8").rstrip("\n") + "\n\n\ndef _bench_probe(): return 0\n"
        lines = text.split("\n")
        probe = len(lines) - 2
        row = _body_line(lines)
        original = lines[row]
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))
        await self.wait(lambda: self.published.get(uri, (None,))[0] == 1)
        version = 1
        results: dict[str, tuple[list[float], list[float]]] = {"body": ([], []), "summary": ([], [])}
        edits = [("body", row, original + (f"  # edit {n}" if n % 2 == 0 else "")) for n in range(rounds)]
        edits += [("summary", probe, f"{'async ' if n % 2 == 0 else ''}def _bench_probe(): return {n}") for n in range(rounds)]
        for kind, at, new in edits:
            version += 1
            cpu = _cpu_seconds(server.pid)
            sent = time.perf_counter()
            self.client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(at, 0), types.Position(at, len(lines[at]))), text=new)]))
            lines[at] = new
            await self.wait(lambda v=version: self.published.get(uri, (None,))[0] == v)
            results[kind][0].append(self.published[uri][1] - sent)
            results[kind][1].append(_cpu_seconds(server.pid) - cpu)
        peak_server = _rss_kib(server.pid, "VmHWM")
        sampler.cancel()
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await server.wait()
        await self.client.stop()
        return {
            "folder": str(self.root),
            "index": self.index_message,
            "warm_index_s": round(warm_index, 2),
            "file": str(target.relative_to(self.root)),
            "file_lines": len(text.split("\n")),
            "debounce_ms": self.debounce if self.debounce is not None else "default",
            "body_edit_ms": _stats(results["body"][0]),
            "body_edit_server_cpu_ms": _stats(results["body"][1]),
            "summary_edit_ms": _stats(results["summary"][0]),
            "summary_edit_server_cpu_ms": _stats(results["summary"][1]),
            "load_average": os.getloadavg()[0],
            "peak_server_mib": round(peak_server / 1024, 1),
            "peak_with_workers_mib": round(self.peak_total_kib / 1024, 1),
        }


def _body_line(lines: list[str]) -> int:
    """A line inside a function body: editing it leaves the module's summary alone."""
    for n, line in enumerate(lines):
        stripped = line.strip()
        if line.startswith("        ") and stripped and not stripped.startswith(("#", '"', "'", ")", "]", "}")) \
                and not line.rstrip().endswith(("(", "[", "{", ",", "\\", ":")) and n > 0 \
                and not lines[n - 1].rstrip().endswith(("(", "[", "{", ",", "\\")):
            return n
    raise SystemExit("no function body line found in the file")


def _stats(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {"median": round(statistics.median(ms), 1), "min": round(min(ms), 1), "max": round(max(ms), 1), "n": len(ms)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--file", help="the file to open and edit, relative to the folder (default: the largest)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cold", action="store_true", help="remove the folder's .asynclint_cache first")
    parser.add_argument("--debounce", type=int, help="the server's debounce in ms (default: the server's)")
    args = parser.parse_args()
    root = args.folder.resolve()
    if args.cold:
        shutil.rmtree(root / ".asynclint_cache", ignore_errors=True)
    if args.file:
        target = root / args.file
    else:
        target = max((p for p in root.rglob("*.py") if ".asynclint_cache" not in p.parts), key=lambda p: p.stat().st_size)
    result = asyncio.run(Bench(root, args.debounce).run(target, args.rounds))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
