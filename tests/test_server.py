"""`asynclint server` driven through a real LSP client (pytest-lsp) over stdio.

Every test starts `python -m asynclint server` as a subprocess on a workspace of its own and
speaks JSON-RPC to it; nothing of the client or the server is mocked.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest.importorskip("pytest_lsp")

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from asynclint.engine.diagnostics import DOCS_URL

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]
TIMEOUT = 60.0
SERVER = [sys.executable, "-m", "asynclint", "server"]
ASL101_FETCH = "`fetch()` returns a coroutine that is never awaited, so it never runs"


class Client:
    """A pytest-lsp client plus what the tests ask of it: every diagnostics notification in
    order (with its version), waiting for conditions, and editing documents."""

    def __init__(self, lsp: LanguageClient, root: Path) -> None:
        self.lsp = lsp
        self.root = root
        self.published: list[types.PublishDiagnosticsParams] = []
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}

        def published(ls: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
            self.published.append(params)

        def register(ls: LanguageClient, params: types.RegistrationParams) -> None:
            self.registrations.extend(params.registrations)

        self.registrations: list[types.Registration] = []
        register_lsp_features(lsp, {
            **DEFAULT_CLIENT_FEATURES,
            types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: published,
            types.CLIENT_REGISTER_CAPABILITY: register,
        })

    def uri(self, name: str) -> str:
        return (self.root / name).as_uri()

    async def until(self, condition: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError("timed out waiting for the server")

    def latest(self, name: str) -> types.PublishDiagnosticsParams | None:
        uri = self.uri(name)
        return next((p for p in reversed(self.published) if p.uri == uri), None)

    async def diagnostics(self, name: str, version: int | None = None, after: int = 0) -> list[types.Diagnostic]:
        """The first diagnostics for `name` published after the `after`-th notification (for
        `version`, when given)."""
        uri = self.uri(name)

        def found() -> list[types.Diagnostic] | None:
            for p in self.published[after:]:
                if p.uri == uri and (version is None or p.version == version):
                    return list(p.diagnostics) or [None]  # type: ignore[list-item]
            return None

        result = await self.until(found)
        return [d for d in result if d is not None]

    def open(self, name: str, text: str | None = None) -> None:
        uri = self.uri(name)
        text = (self.root / name).read_text() if text is None else text
        self.versions[uri], self.texts[uri] = 1, text
        self.lsp.text_document_did_open(types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)))

    def change(self, name: str, text: str) -> int:
        """Replace the buffer's whole text (unsaved); the new version."""
        uri = self.uri(name)
        self.versions[uri] += 1
        self.texts[uri] = text
        self.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [types.TextDocumentContentChangeWholeDocument(text=text)]))
        return self.versions[uri]

    def edit_line(self, name: str, row: int, text: str) -> int:
        """An incremental change replacing line `row` (0-based) of the buffer."""
        uri = self.uri(name)
        lines = self.texts[uri].split("\n")
        old = lines[row]
        lines[row] = text
        self.versions[uri] += 1
        self.texts[uri] = "\n".join(lines)
        self.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(row, 0), types.Position(row, len(old))), text=text)]))
        return self.versions[uri]

    async def actions(self, name: str, diagnostics: list[types.Diagnostic], only: list[str] | None = None,
                      line: int = 0) -> list[types.CodeAction]:
        rng = diagnostics[0].range if diagnostics else types.Range(types.Position(line, 0), types.Position(line, 0))
        result = await self.lsp.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(self.uri(name)), rng,
            types.CodeActionContext(diagnostics=diagnostics, only=only)))
        return [a for a in result or [] if isinstance(a, types.CodeAction)]

    def applied(self, name: str, action: types.CodeAction) -> str:
        """The buffer's text with the action's edit applied, as an editor would."""
        assert action.edit is not None and action.edit.changes is not None
        return apply_edits(self.texts[self.uri(name)], action.edit.changes[self.uri(name)])

    def progress_ends(self) -> list[types.WorkDoneProgressEnd]:
        return [v for values in self.lsp.progress_reports.values() for v in values if isinstance(v, types.WorkDoneProgressEnd)]

    async def warm(self, count: int = 1) -> None:
        await self.until(lambda: len(self.progress_ends()) >= count)


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        # Positions count UTF-16 code units (the client's encoding), not characters.
        line, units, column = lines[p.line] if p.line < len(lines) else "", 0, 0
        while units < p.character and column < len(line):
            units += len(line[column].encode("utf-16-le")) // 2
            column += 1
        return offsets[p.line] + column

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


@contextlib.asynccontextmanager
async def started(root: Path, options: dict | None = None, command: list[str] | None = None,
                  watch: bool = True, settings: dict | None = None) -> AsyncIterator[Client]:
    lsp = LanguageClient(converter_factory=default_converter)
    if settings is not None:  # what the client answers to workspace/configuration
        lsp.set_configuration(settings, section="asynclint")
    client = Client(lsp, root)
    await lsp.start_io(*(command or SERVER), cwd=str(root))
    capabilities = client_capabilities("visual-studio-code")
    if not watch:
        capabilities.workspace.did_change_watched_files = None
    await lsp.initialize_session(types.InitializeParams(
        capabilities=capabilities,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"jobs": 1, **(options or {})},
    ))
    try:
        yield client
    finally:
        await asyncio.wait_for(lsp.shutdown_session(), TIMEOUT)
        await lsp.stop()


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


CALLER = """
import asyncio
from a import fetch


async def main():
    fetch()
"""


# -- the subcommand ---------------------------------------------------------------------------


async def test_without_the_extra_one_line_and_exit_2(tmp_path):
    code = "import sys; sys.modules['pygls'] = None\nfrom asynclint.frontends.cli import main\nsys.exit(main(['server']))"
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", code], check=False, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "asynclint: error: the language server needs its extra: pip install 'asynclint[server]'\n"


# -- diagnostics ------------------------------------------------------------------------------


async def test_cross_module_fact_from_an_unsaved_buffer(tmp_path):
    write(tmp_path, "a.py", "def fetch():\n    return 1\n")
    write(tmp_path, "b.py", CALLER)
    async with started(tmp_path) as client:
        await client.warm()
        client.open("a.py")
        client.open("b.py")
        assert await client.diagnostics("b.py", version=1) == []
        mark = len(client.published)
        client.change("a.py", "async def fetch():\n    return 1\n")  # never saved
        [diag] = await client.diagnostics("b.py", after=mark)
        assert (diag.code, diag.message, diag.source) == ("ASL101", ASL101_FETCH, "asynclint")
        assert diag.range == types.Range(types.Position(5, 4), types.Position(5, 11))
        assert diag.severity == types.DiagnosticSeverity.Warning
        assert diag.code_description == types.CodeDescription(href=DOCS_URL.format(code="ASL101"))
        assert (tmp_path / "a.py").read_text() == "def fetch():\n    return 1\n"
        # Closing the unsaved buffer: the disk's sync `fetch` is what counts again.
        mark = len(client.published)
        client.lsp.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(client.uri("a.py"))))
        assert await client.diagnostics("b.py", after=mark) == []


async def test_positions_are_in_utf16_code_units(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", 'from a import fetch\n\n\nasync def main():\n    print("\U0001f600"); fetch()\n')
    async with started(tmp_path) as client:
        await client.warm()
        client.open("b.py")
        [diag] = await client.diagnostics("b.py")
        # The emoji is one character but two UTF-16 code units, the client's default encoding.
        assert (diag.code, diag.range) == ("ASL101", types.Range(types.Position(4, 17), types.Position(4, 24)))
        [fix] = await client.actions("b.py", [diag], only=[types.CodeActionKind.QuickFix + ".x"]) or [None]
        assert fix is None  # nothing of ours is a sub-kind of `quickfix.x`
        fix, _ = await client.actions("b.py", [diag], only=[types.CodeActionKind.QuickFix])
        assert client.applied("b.py", fix) == 'from a import fetch\n\n\nasync def main():\n    print("\U0001f600"); await fetch()\n'


async def test_diagnostics_on_open_change_and_save_with_debounce(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", "from a import fetch\n\n\nasync def main():\n    await fetch()\n")
    async with started(tmp_path, {"debounce": 300}) as client:
        await client.warm()
        client.open("b.py")
        assert await client.diagnostics("b.py", version=1) == []
        # Five quick changes: only the last one is checked.
        for n in range(5):
            version = client.edit_line("b.py", 4, "    fetch()" if n % 2 == 0 else "    await fetch()")
        [diag] = await client.diagnostics("b.py", version=version)
        assert (diag.code, diag.range.start, diag.message) == ("ASL101", types.Position(4, 4), ASL101_FETCH)
        assert {p.version for p in client.published if p.uri == client.uri("b.py")} == {1, version}
        # Saved: checked again (a fresh notification, at once).
        mark = len(client.published)
        (tmp_path / "b.py").write_text(client.texts[client.uri("b.py")])
        client.lsp.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(client.uri("b.py"))))
        [diag] = await client.diagnostics("b.py", after=mark)
        assert diag.code == "ASL101"


async def test_a_file_that_does_not_parse_gets_e999_and_the_server_goes_on(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", CALLER)
    async with started(tmp_path) as client:
        client.open("bad.py", "def broken(:\n    pass\n")
        [diag] = await client.diagnostics("bad.py")
        assert diag.code == "E999"
        assert diag.severity == types.DiagnosticSeverity.Error
        assert diag.range.start == types.Position(0, 11)
        assert diag.message.startswith("SyntaxError")
        await client.warm()
        client.open("b.py")
        [diag] = await client.diagnostics("b.py")
        assert (diag.code, diag.message) == ("ASL101", ASL101_FETCH)


FAULTY = [sys.executable, "-c", textwrap.dedent("""
    import sys
    import asynclint.lint.walker as engine

    real = engine.lint_text

    def lint_text(text, path, *args, **kwargs):
        if path.endswith("boom.py"):
            raise KeyError("planted fault")
        return real(text, path, *args, **kwargs)

    engine.lint_text = lint_text
    from asynclint.frontends.cli import main
    sys.exit(main(["server"]))
""")]


async def test_an_exception_in_one_file_is_reported_and_the_server_goes_on(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", CALLER)
    async with started(tmp_path, command=FAULTY) as client:
        await client.warm()
        client.open("boom.py", "x = 1\n")
        [diag] = await client.diagnostics("boom.py")
        assert diag.code == "ASL000"
        assert diag.message == "internal error: KeyError: 'planted fault' (this is a bug in asynclint; please report it)"
        await client.until(lambda: any("planted fault" in m.message for m in client.lsp.log_messages))
        client.open("b.py")
        [diag] = await client.diagnostics("b.py")
        assert (diag.code, diag.range.start) == ("ASL101", types.Position(5, 4))


# -- the warm index ---------------------------------------------------------------------------


async def test_index_built_in_the_background_with_progress(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", CALLER)
    for n in range(6):
        write(tmp_path, f"pkg/m{n}.py", f"async def f{n}():\n    return {n}\n")
    write(tmp_path, "pkg/__init__.py", "")
    async with started(tmp_path) as client:
        await client.warm()
        [values] = client.lsp.progress_reports.values()
        assert isinstance(values[0], types.WorkDoneProgressBegin)
        assert values[0].title == f"asynclint: indexing {tmp_path.name}"
        assert isinstance(values[-1], types.WorkDoneProgressEnd)
        assert values[-1].message.startswith(f"asynclint: indexed 9 files of {tmp_path} in ")
    cache = tmp_path / ".asynclint_cache"
    manifests = sorted(p.name for p in cache.glob("files-*.json"))
    assert len(manifests) == 1
    # The command line run from the folder finds the same manifest (the same settings).
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "asynclint", "--jobs", "1", "."], check=False, capture_output=True, text=True,
        cwd=tmp_path, timeout=120)
    assert done.returncode == 1
    assert "b.py:6:5: ASL101" in done.stdout
    assert sorted(p.name for p in cache.glob("files-*.json")) == manifests


async def test_a_folder_the_command_line_checked_starts_warm(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", CALLER)
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "asynclint", "--jobs", "1", "."], check=False, capture_output=True, text=True,
        cwd=tmp_path, timeout=120)
    assert done.returncode == 1
    [manifest] = (tmp_path / ".asynclint_cache").glob("files-*.json")
    before = manifest.read_bytes()
    async with started(tmp_path) as client:
        await client.warm()
        client.open("b.py")
        [diag] = await client.diagnostics("b.py")
        assert (diag.code, diag.message) == ("ASL101", ASL101_FETCH)
    # Every summary came from the manifest: no file was read again, nothing was rewritten.
    assert manifest.read_bytes() == before
    assert list((tmp_path / ".asynclint_cache").glob("files-*.json")) == [manifest]


async def test_files_changed_on_disk_reach_the_index_through_watched_files(tmp_path):
    write(tmp_path, "a.py", "def fetch():\n    return 1\n")
    write(tmp_path, "b.py", CALLER)
    async with started(tmp_path) as client:
        await client.warm()
        [registration] = client.registrations
        assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        assert [w["globPattern"] for w in registration.register_options["watchers"]] == [
            "**/*.py", "**/pyproject.toml", "**/setup.cfg", "**/*requirements*.txt", "**/*requirements*.in",
        ]
        client.open("b.py")
        assert await client.diagnostics("b.py") == []
        mark = len(client.published)
        (tmp_path / "a.py").write_text("async def fetch():\n    return 1\n")
        client.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(client.uri("a.py"), types.FileChangeType.Changed)]))
        [diag] = await client.diagnostics("b.py", after=mark)
        assert (diag.code, diag.message) == ("ASL101", ASL101_FETCH)
        mark = len(client.published)
        (tmp_path / "a.py").unlink()
        client.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(client.uri("a.py"), types.FileChangeType.Deleted)]))
        assert await client.diagnostics("b.py", after=mark) == []


# -- code actions -----------------------------------------------------------------------------


FIXABLE = """
import asyncio
from a import fetch


async def main():
    fetch()
    asyncio.create_task(fetch())  # noqa: E501
    asyncio.get_event_loop()
"""


async def test_quick_fixes_labelled_safe_and_unsafe(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", FIXABLE)
    async with started(tmp_path) as client:
        await client.warm()
        client.open("b.py")
        diags = await client.diagnostics("b.py")
        assert [(d.code, d.range.start.line) for d in diags] == [("ASL101", 5), ("ASL301", 6), ("ASL501", 7)]
        text = client.texts[client.uri("b.py")]

        fix, noqa = await client.actions("b.py", [diags[0]], only=[types.CodeActionKind.QuickFix])
        assert fix.title == "ASL101: await the coroutine (safe fix)"
        assert (fix.kind, fix.is_preferred, list(fix.diagnostics)) == (types.CodeActionKind.QuickFix, True, [diags[0]])
        assert client.applied("b.py", fix) == text.replace("    fetch()\n", "    await fetch()\n")
        assert noqa.title == "ASL101: silence with `# noqa: ASL101` on this line"
        assert client.applied("b.py", noqa) == text.replace("    fetch()\n", "    fetch()  # noqa: ASL101\n")

        fix, noqa, fix_all = await client.actions("b.py", [diags[1]])
        assert fix_all.kind == "source.fixAll.asynclint"
        assert fix.title == "ASL301: keep a strong reference to the task until it is done (unsafe fix)"
        assert not fix.is_preferred
        assert client.applied("b.py", fix) == text.replace(
            "from a import fetch\n",
            "from a import fetch\n\n"
            "# Strong references to background tasks: the event loop keeps only weak ones.\n"
            "_background_tasks = set()\n",
        ).replace(
            "    asyncio.create_task(fetch())  # noqa: E501\n",
            "    task = asyncio.create_task(fetch())  # noqa: E501\n"
            "    _background_tasks.add(task)\n"
            "    task.add_done_callback(_background_tasks.discard)\n",
        )
        # The codes already on the line stay.
        assert client.applied("b.py", noqa) == text.replace("# noqa: E501", "# noqa: E501, ASL301")


async def test_noqa_goes_where_a_comment_can_and_silences_the_finding(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    text = 'from a import fetch\n\n\nasync def main():\n    print(fetch(), """\n    text\n    """)\n'
    async with started(tmp_path) as client:
        await client.warm()
        client.open("c.py", text)
        [diag] = await client.diagnostics("c.py")
        assert (diag.code, diag.range.start) == ("ASL104", types.Position(4, 10))
        _, noqa = await client.actions("c.py", [diag], only=[types.CodeActionKind.QuickFix])
        # Not inside the string: after it, still on the statement's logical line.
        silenced = client.applied("c.py", noqa)
        assert silenced == text.replace('    """)\n', '    """)  # noqa: ASL104\n')
        version = client.change("c.py", silenced)
        assert await client.diagnostics("c.py", version=version) == []


async def test_fix_all_applies_the_safe_fixes_and_twice_changes_nothing(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", FIXABLE)
    async with started(tmp_path) as client:
        await client.warm()
        client.open("b.py")
        await client.diagnostics("b.py")
        [action] = await client.actions("b.py", [], only=["source.fixAll"])
        assert action.kind == "source.fixAll.asynclint"
        fixed = client.applied("b.py", action)
        expected = textwrap.dedent(FIXABLE).lstrip("\n").replace("    fetch()\n", "    await fetch()\n").replace(
            "get_event_loop()", "get_running_loop()")
        assert fixed == expected  # the unsafe ASL301 fix is left alone
        version = client.change("b.py", fixed)
        [diag] = await client.diagnostics("b.py", version=version)
        assert diag.code == "ASL301"
        assert await client.actions("b.py", [], only=["source.fixAll.asynclint"]) == []
        assert await client.actions("b.py", [], only=[types.CodeActionKind.QuickFix]) == []


# -- configuration ----------------------------------------------------------------------------


async def test_nearest_config_per_file_reloaded_when_it_changes(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", CALLER)
    write(tmp_path, "sub/pyproject.toml", '[tool.asynclint]\nignore = ["ASL101"]\n')
    write(tmp_path, "sub/c.py", "async def fetch():\n    return 1\n\n\nasync def main():\n    fetch()\n")
    async with started(tmp_path) as client:
        await client.warm()
        client.open("b.py")
        client.open("sub/c.py")
        assert [d.code for d in await client.diagnostics("b.py")] == ["ASL101"]
        assert await client.diagnostics("sub/c.py") == []
        mark = len(client.published)
        write(tmp_path, "sub/pyproject.toml", '[tool.asynclint]\nignore = []\n')
        client.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(client.uri("sub/pyproject.toml"), types.FileChangeType.Changed)]))
        [diag] = await client.diagnostics("sub/c.py", after=mark)
        assert (diag.code, diag.range.start) == ("ASL101", types.Position(5, 4))
        assert len(client.progress_ends()) == 1  # a config below the folder's leaves the index be
        # The folder's own config changes what is indexed: the index is built again.
        mark = len(client.published)
        write(tmp_path, "pyproject.toml", '[tool.asynclint]\nextend-exclude = ["a.py"]\n')
        client.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(client.uri("pyproject.toml"), types.FileChangeType.Created)]))
        await client.warm(2)
        assert client.progress_ends()[-1].message.startswith(f"asynclint: indexed 2 files of {tmp_path} in ")
        # Without a.py in the index, `fetch` is unknown: nothing to say about b.py.
        await client.until(lambda: len(client.published) > mark and not client.latest("b.py").diagnostics)


async def test_a_changed_declaration_of_the_async_library_rechecks_open_files(tmp_path):
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\nversion = "1"\n')
    write(tmp_path, "helpers.py", "import time\n\n\nasync def pause():\n    time.sleep(1)\n")
    async with started(tmp_path) as client:
        await client.warm()
        client.open("helpers.py")
        [diag] = await client.diagnostics("helpers.py")
        assert diag.message.endswith("use `await asyncio.sleep()`")
        mark = len(client.published)
        write(tmp_path, "requirements.txt", "trio==0.25.0\n")
        client.lsp.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(client.uri("requirements.txt"), types.FileChangeType.Created)]))
        [diag] = await client.diagnostics("helpers.py", after=mark)
        assert (diag.code, diag.range.start) == ("ASL201", types.Position(4, 4))
        assert diag.message == "`time.sleep()` blocks the event loop (sleep): use `await trio.sleep()`"


async def test_client_settings_select_ignore_and_unsafe_fixes(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", FIXABLE)
    async with started(tmp_path, {"ignore": ["ASL1"]}) as client:
        await client.warm()
        client.open("b.py")
        assert [d.code for d in await client.diagnostics("b.py")] == ["ASL301", "ASL501"]
        mark = len(client.published)
        client.lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            {"asynclint": {"select": ["ASL3"], "unsafeFixes": True}}))
        [diag] = await client.diagnostics("b.py", after=mark)
        assert diag.code == "ASL301"
        # With unsafe fixes on, fix-all applies them too.
        [action] = await client.actions("b.py", [], only=["source.fixAll.asynclint"])
        assert client.applied("b.py", action) == client.texts[client.uri("b.py")].replace(
            "from a import fetch\n",
            "from a import fetch\n\n"
            "# Strong references to background tasks: the event loop keeps only weak ones.\n"
            "_background_tasks = set()\n",
        ).replace(
            "    asyncio.create_task(fetch())  # noqa: E501\n",
            "    task = asyncio.create_task(fetch())  # noqa: E501\n"
            "    _background_tasks.add(task)\n"
            "    task.add_done_callback(_background_tasks.discard)\n",
        )


async def test_settings_pulled_from_the_client(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    write(tmp_path, "b.py", FIXABLE)
    async with started(tmp_path, settings={"select": ["ASL5"]}) as client:
        await client.warm()
        client.open("b.py")
        assert [d.code for d in await client.diagnostics("b.py")] == ["ASL501"]
        # An empty didChangeConfiguration: the server asks again.
        client.lsp.set_configuration({"select": ["ASL1", "ASL5"]}, section="asynclint")
        mark = len(client.published)
        client.lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams(None))
        assert [d.code for d in await client.diagnostics("b.py", after=mark)] == ["ASL101", "ASL501"]
        # A setting that is not valid is refused with a message; the ones in force stay.
        mark = len(client.published)
        client.lsp.workspace_did_change_configuration(types.DidChangeConfigurationParams({"asynclint": {"select": ["ASL9"]}}))
        await client.until(lambda: client.lsp.messages)
        assert client.lsp.messages[-1].message == "asynclint: client settings: select: unknown rule code or prefix 'ASL9' (did you mean ASL519?)"
        client.change("b.py", client.texts[client.uri("b.py")] + "\n")
        assert [d.code for d in await client.diagnostics("b.py", after=mark)] == ["ASL101", "ASL501"]


# -- the client going away --------------------------------------------------------------------


async def _bare_server(root: Path, pid: int | None = None) -> tuple[LanguageClient, asyncio.subprocess.Process]:
    lsp = LanguageClient(converter_factory=default_converter)
    register_lsp_features(lsp)
    await lsp.start_io(*SERVER, cwd=str(root))
    await lsp.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), process_id=pid,
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)]))
    assert lsp._server is not None
    return lsp, lsp._server


async def test_exit_without_shutdown_ends_the_server_with_1(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    lsp, process = await _bare_server(tmp_path)
    lsp.exit(None)
    assert await asyncio.wait_for(process.wait(), TIMEOUT) == 1
    await lsp.stop()


async def test_stdin_closed_ends_the_server(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    lsp, process = await _bare_server(tmp_path)
    assert process.stdin is not None
    process.stdin.close()
    await asyncio.wait_for(process.wait(), TIMEOUT)
    assert process.returncode == 1
    await lsp.stop()



async def test_the_wheel_ships_the_server_and_its_extra(tmp_path):
    root = Path(__file__).resolve().parent.parent
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(root)],
        check=True, capture_output=True)
    [wheel] = tmp_path.glob("asynclint-*.whl")
    archive = zipfile.ZipFile(wheel)
    names = archive.namelist()
    assert {"asynclint/frontends/server/__init__.py", "asynclint/frontends/server/protocol.py", "asynclint/frontends/server/workspace.py",
            "asynclint/frontends/server/convert.py"} <= set(names)
    metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "Provides-Extra: server" in metadata
    assert 'Requires-Dist: pygls<3,>=2.0; extra == "server"' in metadata


@pytest.mark.skipif(os.name != "posix", reason="the client's process is watched on POSIX only")
async def test_the_server_ends_when_the_clients_process_is_gone(tmp_path):
    write(tmp_path, "a.py", "async def fetch():\n    return 1\n")
    # The "client" process named in initialize: a short-lived one, while the pipes stay open.
    editor = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(1)")
    lsp, process = await _bare_server(tmp_path, pid=editor.pid)
    await editor.wait()
    assert await asyncio.wait_for(process.wait(), TIMEOUT) == 1
    await lsp.stop()
