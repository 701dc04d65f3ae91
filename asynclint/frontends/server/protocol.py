"""The LSP side of `asynclint server`: documents in, diagnostics and code actions out.

Built on pygls (with lsprotocol's types): it is the maintained, typed Python LSP framework
(the Open Law Library's, used by the Python tools' own VS Code extensions and by esbonio), it
speaks JSON-RPC over stdio itself, tracks open documents with incremental sync and negotiates
position encodings, and pytest-lsp drives a pygls server as a real client would. The other
choices were worse fits: python-lsp-server is a server with plugins, not a library, and
writing JSON-RPC by hand would re-implement what pygls already tests.

Threads: pygls runs the protocol on an asyncio loop. Analysis runs on one worker thread (checks
are serialised, so a check never sees an index half rebuilt); each folder's index is built on
another thread, whose own worker processes do the parsing. Everything sent to the client is sent
from the loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from asynclint.frontends.server import convert
from asynclint.frontends.server.workspace import (
    VERSION,
    Applicability,
    Checked,
    ConfigError,
    Engine,
    ErrorKind,
    FindingKey,
    FolderIndex,
    internal_error,
    is_applicable,
)

T = TypeVar("T")
FIX_ALL = "source.fixAll.asynclint"
DEBOUNCE = 0.05  # seconds of quiet after a change before it is checked
CONFIG_FILES = ("pyproject.toml",)
# Files that declare the project's dependencies, which tell the async library of modules that
# import none (asynclint/config/async_library.py): a change re-reads the settings as well.
_DECLARATIONS = re.compile(r"^(setup\.cfg|.*requirements.*\.(txt|in))$")
WATCHED = ("**/*.py", "**/pyproject.toml", "**/setup.cfg", "**/*requirements*.txt", "**/*requirements*.in")


def is_config(path: str) -> bool:
    name = os.path.basename(path)
    return name in CONFIG_FILES or bool(_DECLARATIONS.match(name))
PARENT_POLL = 2.0  # seconds between checks that the client's process is still there


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether the process exists is checked
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (someone else's), or this platform cannot tell: assume alive
    return True


def _matches(kind: str, only: Sequence[str] | None) -> bool:
    """Whether a code action of `kind` is asked for: LSP kinds are hierarchical."""
    return only is None or any(kind == o or kind.startswith(o + ".") for o in only)


def _client_settings(value: Any) -> dict[str, Any]:
    """asynclint's option names from what a client sends: `{"asynclint": {...}}` or the table
    itself, with camelCase or kebab-case keys."""
    if isinstance(value, dict) and isinstance(value.get("asynclint"), dict):
        value = value["asynclint"]
    if not isinstance(value, dict):
        return {}
    names = {"select": "select", "ignore": "ignore", "extendSelect": "extend-select",
             "extend-select": "extend-select", "unsafeFixes": "unsafe-fixes", "unsafe-fixes": "unsafe-fixes"}
    return {names[k]: v for k, v in value.items() if k in names}


class Session:
    """The state of one client connection."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.engine = Engine()
        self.analysis = ThreadPoolExecutor(1, thread_name_prefix="asynclint-analysis")
        self.indexing = ThreadPoolExecutor(1, thread_name_prefix="asynclint-index")
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.findings: dict[str, Checked] = {}  # the last check of each open document
        self.debounce = DEBOUNCE
        self.jobs: int | None = None
        self.initial: dict[str, Any] = {}  # client settings from the initialization options
        self._tokens = 0
        # Background work in flight: the event loop holds tasks only weakly (ASL301's point), so
        # the session keeps each one until it is done.
        self.tasks: set[asyncio.Task[Any]] = set()

    # -- helpers ------------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` in the background, keeping a reference until it finishes."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.server.window_log_message(types.LogMessageParams(kind, message))

    async def _run(self, pool: ThreadPoolExecutor, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, function, *args)

    def _encoding(self) -> str:
        return str(self.server.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def _open_uris(self) -> list[str]:
        return list(self.server.workspace.text_documents)

    @staticmethod
    def _path(uri: str) -> str | None:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return os.path.abspath(path) if path else None

    @staticmethod
    def _is_python(uri: str, language: str | None) -> bool:
        # Stubs are not checked, as on the command line; nor notebooks, which only the command
        # line reads (their cells are documents of their own in an editor).
        return not uri.endswith((".pyi", ".ipynb")) and (language == "python" or uri.endswith(".py"))

    # -- lifecycle ----------------------------------------------------------------------------

    def initialize(self, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict):
            debounce = options.get("debounce")
            if isinstance(debounce, (int, float)) and debounce >= 0:
                self.debounce = debounce / 1000  # milliseconds, as editors count
            jobs = options.get("jobs")
            if isinstance(jobs, int) and jobs > 0:
                self.jobs = jobs
        self.initial = _client_settings(options)
        self._apply_settings({})
        folders = [f.uri for f in params.workspace_folders or []] or ([params.root_uri] if params.root_uri else [])
        for uri in folders:
            path = self._path(uri)
            if path is not None:
                self.engine.add_folder(Path(path))

    def _apply_settings(self, settings: dict[str, Any]) -> bool:
        """The client's settings (over its initialization options); False when one is invalid,
        which the user is told and which keeps the settings in force."""
        try:
            self.engine.set_overrides({**self.initial, **settings})
        except ConfigError as exc:
            self.server.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"asynclint: {exc}"))
            return False
        return True

    async def _pull_settings(self) -> bool:
        """Ask the client for its `asynclint` settings (the clients that keep them server-side
        do not push them); whether they were applied."""
        workspace = self.server.client_capabilities.workspace
        if not (workspace and workspace.configuration):
            return False
        try:
            [pulled] = await self.server.workspace_configuration_async(
                types.ConfigurationParams([types.ConfigurationItem(section="asynclint")]))
        except Exception as exc:  # noqa: BLE001 - a client that cannot answer keeps what it pushed
            self.log(f"asynclint: could not read the client's settings: {exc}", types.MessageType.Warning)
            return False
        return self._apply_settings(_client_settings(pulled))

    async def _watch_client(self, pid: int) -> None:
        """End the server when the client's process is gone, even if something else still
        holds the pipes open (a child the editor started, say), so stdin never closes."""
        while _alive(pid):
            await asyncio.sleep(PARENT_POLL)
        sys.stderr.write(f"asynclint: the client (process {pid}) is gone; exiting\n")
        sys.stderr.flush()
        os._exit(1)

    async def initialized(self, params: types.InitializedParams) -> None:
        pid = self.server.process_id
        # POSIX only: on Windows os.kill terminates the process it is given.
        if os.name == "posix" and isinstance(pid, int) and pid > 0 and pid != os.getpid():
            self.spawn(self._watch_client(pid))
        await self._pull_settings()
        capabilities = self.server.client_capabilities
        watch = capabilities.workspace and capabilities.workspace.did_change_watched_files
        if watch and watch.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
            registration = types.Registration(
                id="asynclint-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
            )
            try:
                await self.server.client_register_capability_async(types.RegistrationParams([registration]))
            except Exception as exc:  # noqa: BLE001 - a client that refuses: the index then follows buffers only
                self.log(f"asynclint: could not watch files: {exc}", types.MessageType.Warning)
        for folder in self.engine.folders:
            self.spawn(self.build(folder))

    # -- the warm index -----------------------------------------------------------------------

    async def _progress_start(self, title: str) -> str | None:
        window = self.server.client_capabilities.window
        if not (window and window.work_done_progress):
            return None
        self._tokens += 1
        token = f"asynclint-index-{self._tokens}"
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception:  # noqa: BLE001 - a client without progress still gets its index
            return None
        self.server.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, percentage=0))
        return token

    async def build(self, folder: FolderIndex) -> None:
        """Build (or rebuild) a folder's index in the background, then re-check its documents."""
        token = await self._progress_start(f"asynclint: indexing {folder.root.name}")
        loop = asyncio.get_running_loop()
        last = [0.0]

        def report(done: int, total: int, what: str) -> None:  # on the indexing thread
            now = time.monotonic()
            if token is None or now - last[0] < 0.2:
                return
            last[0] = now
            value = types.WorkDoneProgressReport(message=f"{what} {done}/{total} files", percentage=100 * done // max(total, 1))
            loop.call_soon_threadsafe(self.server.work_done_progress.report, token, value)

        start = time.monotonic()
        try:
            count = await self._run(self.indexing, folder.build, report, self.jobs)
            message = f"asynclint: indexed {count} files of {folder.root} in {time.monotonic() - start:.1f} s"
            self.log(message)
        except Exception as exc:  # noqa: BLE001 - the buffers are then checked as projects of their own
            message = f"asynclint: could not index {folder.root}: {type(exc).__name__}: {exc}"
            self.log(message, types.MessageType.Error)
        if token is not None:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))
        self.recheck(lambda path: folder.contains(path), delay=0)

    # -- diagnostics --------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float) -> None:
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self.timers[uri] = self.loop.call_later(delay, lambda: self.spawn(self.check(uri)))

    def recheck(self, which: Callable[[str], bool], delay: float, skip: str | None = None) -> None:
        for uri in self._open_uris():
            path = self._path(uri)
            if uri != skip and path is not None and which(path) and uri in self.findings:
                self.schedule(uri, delay)

    async def check(self, uri: str) -> None:
        self.timers.pop(uri, None)
        if uri not in self.server.workspace.text_documents:
            return  # closed meanwhile
        document = self.server.workspace.get_text_document(uri)
        path, version, text = self._path(uri), document.version, document.source
        if path is None:
            return
        try:
            checked = await self._run(self.analysis, self.engine.check, path, text)
        except Exception as exc:  # noqa: BLE001 - Engine.check reports its own failures; this is a last guard
            checked = Checked(errors=[internal_error(exc)])
        current = self.server.workspace.text_documents.get(uri)
        if current is None or current.version != version:
            return  # a newer text is scheduled already
        self.findings[uri] = checked
        self.publish(uri, version, text, checked)
        if checked.index_changed:
            self.recheck(lambda _: True, self.debounce, skip=uri)

    def publish(self, uri: str, version: int | None, text: str, checked: Checked) -> None:
        lines = text.splitlines()
        encoding = self._encoding()
        diagnostics = [convert.error_diagnostic(e, lines, encoding) for e in checked.errors]
        diagnostics += [convert.diagnostic(f, lines, encoding) for f in checked.findings]
        for error in checked.errors:
            if error.kind is ErrorKind.INTERNAL:
                self.log(f"asynclint: {self._path(uri)}: {error.message}", types.MessageType.Error)
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, diagnostics, version))

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        if self._is_python(document.uri, document.language_id):
            self.findings[document.uri] = Checked()
            self.schedule(document.uri, 0)

    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri in self.findings:
            self.schedule(params.text_document.uri, self.debounce)

    def did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = self._path(uri)
        if path is not None and is_config(path):
            self.config_changed([path])
        if uri in self.findings:
            self.schedule(uri, 0)
            if path is not None:  # the disk now holds the buffer: keep the index's disk side current
                self.spawn(self._refresh([path], []))

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        if self.findings.pop(uri, None) is None:
            return
        path = self._path(uri)
        self.server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
        if path is not None:
            self.spawn(self._closed(path))

    async def _closed(self, path: str) -> None:
        # The disk's summary takes over again (the buffer may have been closed unsaved).
        if await self._run(self.analysis, self.engine.close, path):
            self.recheck(lambda _: True, self.debounce)

    # -- files and settings changing ----------------------------------------------------------

    def config_changed(self, paths: list[str]) -> None:
        self.engine.config_changed()
        for folder in self.engine.folders:
            if any(folder.contains(p) or Path(folder.root).is_relative_to(Path(p).parent) for p in paths):
                self.spawn(self._rebuild_if_needed(folder))
        self.recheck(lambda _: True, 0)

    async def _rebuild_if_needed(self, folder: FolderIndex) -> None:
        # Only the folder's own settings shape its index: a config further down changes the
        # findings of its files (re-checked already), not what the project defines.
        try:
            changed = await self._run(self.indexing, folder.settings_changed)
        except ConfigError as exc:
            self.log(f"asynclint: {exc}", types.MessageType.Error)
            return
        if changed:
            await self.build(folder)  # re-checks its documents when done

    def did_change_watched_files(self, params: types.DidChangeWatchedFilesParams) -> None:
        configs: list[str] = []
        changed: list[str] = []
        deleted: list[str] = []
        for event in params.changes:
            path = self._path(event.uri)
            if path is None:
                continue
            if is_config(path):
                configs.append(path)
            elif path.endswith(".py"):
                (deleted if event.type == types.FileChangeType.Deleted else changed).append(path)
        if configs:
            self.config_changed(configs)
        if changed or deleted:
            self.spawn(self._refresh(changed, deleted))

    async def _refresh(self, changed: list[str], deleted: list[str]) -> None:
        touched = False
        for folder in self.engine.folders:
            mine = [p for p in changed if folder.contains(p)]
            gone = [p for p in deleted if folder.contains(p)]
            if (mine or gone) and folder.ready:
                try:
                    touched |= await self._run(self.indexing, folder.refresh, mine, gone)
                except Exception as exc:  # noqa: BLE001 - reported to the client, the server goes on
                    self.log(f"asynclint: could not re-read changed files: {type(exc).__name__}: {exc}", types.MessageType.Error)
        if touched:
            self.recheck(lambda _: True, self.debounce)

    async def did_change_configuration(self, params: types.DidChangeConfigurationParams) -> None:
        pushed = _client_settings(params.settings)
        # An empty notification means "settings changed, ask for them" (the pull model).
        applied = self._apply_settings(pushed) if pushed or not await self._pull_settings() else True
        if applied:
            self.recheck(lambda _: True, 0)

    def did_change_folders(self, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for removed in params.event.removed:
            path = self._path(removed.uri)
            if path is not None:
                self.engine.remove_folder(Path(path))
        for added in params.event.added:
            path = self._path(added.uri)
            if path is not None:
                self.spawn(self.build(self.engine.add_folder(Path(path))))

    # -- code actions -------------------------------------------------------------------------

    async def code_action(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        path = self._path(uri)
        if path is None or uri not in self.findings or uri not in self.server.workspace.text_documents:
            return None
        text = self.server.workspace.get_text_document(uri).source
        encoding = self._encoding()
        only = params.context.only
        actions: list[types.CodeAction] = []
        if _matches(types.CodeActionKind.QuickFix, only):
            for diag in params.context.diagnostics:
                key = convert.key_of(diag)
                if key is None:
                    continue
                actions += await self._quick_fixes(uri, path, text, diag, key, encoding)
        if _matches(FIX_ALL, only) and self._has_fixes(uri):
            try:
                fixed = await self._run(self.analysis, self.engine.fix_all, path, text)
            except Exception as exc:  # noqa: BLE001 - reported to the client, the server goes on
                self.log(f"asynclint: fix-all failed on {path}: {type(exc).__name__}: {exc}", types.MessageType.Error)
                fixed = text
            if fixed != text:
                actions.append(types.CodeAction(
                    title="asynclint: fix all auto-fixable problems",
                    kind=FIX_ALL,
                    edit=types.WorkspaceEdit(changes={uri: [convert.replace_edit(text, fixed, encoding)]}),
                ))
        return actions

    def _has_fixes(self, uri: str) -> bool:
        checked = self.findings.get(uri)
        if checked is None or checked.settings is None:
            return False
        return any(is_applicable(f.fix, checked.settings.unsafe_fixes) for f in checked.findings)

    async def _quick_fixes(
        self, uri: str, path: str, text: str, diag: types.Diagnostic, key: FindingKey, encoding: str,
    ) -> list[types.CodeAction]:
        actions = []
        data = diag.data if isinstance(diag.data, dict) else {}
        fix = data.get("fix")
        if isinstance(fix, dict):
            try:
                fixed = await self._run(self.analysis, self.engine.fix_one, path, text, key)
            except Exception as exc:  # noqa: BLE001 - reported to the client, the server goes on
                self.log(f"asynclint: fix failed on {path}: {type(exc).__name__}: {exc}", types.MessageType.Error)
                fixed = None
            if fixed is not None:
                safe = fix.get("applicability") == Applicability.SAFE.value
                actions.append(types.CodeAction(
                    title=f"{key[0]}: {fix.get('description')} ({'safe' if safe else 'unsafe'} fix)",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag],
                    is_preferred=safe,
                    edit=types.WorkspaceEdit(changes={uri: [convert.replace_edit(text, fixed, encoding)]}),
                ))
        edit = convert.noqa_edit(text, key[1], key[0], encoding)
        if edit is not None:
            actions.append(types.CodeAction(
                title=f"{key[0]}: silence with `# noqa: {key[0]}` on this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diag],
                edit=types.WorkspaceEdit(changes={uri: [edit]}),
            ))
        return actions


def _plain(method: Callable[..., Any]) -> Callable[..., Any]:
    """A function calling a bound method: pygls marks its handlers with attributes, which a
    bound method cannot carry."""
    if asyncio.iscoroutinefunction(method):
        async def handler_async(params: Any) -> Any:
            return await method(params)

        return handler_async

    def handler(params: Any) -> Any:
        return method(params)

    return handler


def make_server() -> LanguageServer:
    server = LanguageServer("asynclint", VERSION, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
    session = Session(server)
    server.feature(types.INITIALIZE)(_plain(session.initialize))
    server.feature(types.INITIALIZED)(_plain(session.initialized))
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(_plain(session.did_open))
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(_plain(session.did_change))
    server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))(_plain(session.did_save))
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(_plain(session.did_close))
    server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)(_plain(session.did_change_watched_files))
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(_plain(session.did_change_configuration))
    server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(_plain(session.did_change_folders))
    server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]),
    )(_plain(session.code_action))
    return server


def serve() -> int:
    """Speak LSP on stdin/stdout until the client goes; the process's exit code."""
    # The protocol owns the real stdout; anything else printing there (a warning, a stray
    # print in a worker process, which inherits fd 1) would corrupt the stream, so fd 1 becomes
    # stderr for everyone else.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    import multiprocessing

    # The index is built from a thread: forking a threaded process can deadlock the children.
    # (Where there is no forkserver, the default is spawn, which is safe already.)
    if "forkserver" in multiprocessing.get_all_start_methods():
        multiprocessing.set_start_method("forkserver", force=True)
    server = make_server()
    server.start_io(sys.stdin.buffer, channel)  # returns on `exit` and on stdin EOF
    # As the LSP spec asks: 0 when `shutdown` came first, 1 otherwise (the client vanished).
    code = 0 if getattr(server.protocol, "_shutdown", False) else 1
    sys.stderr.flush()
    # In-flight analysis or index threads are not waited for: the client is gone.
    os._exit(code)
