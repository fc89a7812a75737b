"""A real LSP client (pygls's) talking to `incdsl lsp` in a subprocess, over stdio. The client
runs on an event loop in a thread of its own; tests call it synchronously."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


class Client:
    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.lsp = BaseLanguageClient("incdsl-tests", "0")
        self.diagnostics: dict[str, types.PublishDiagnosticsParams] = {}
        self.errors: list[str] = []  # error messages the server logged
        self.versions: dict[str, int] = {}

        @self.lsp.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams):
            self.diagnostics[params.uri] = params

        @self.lsp.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams):
            if params.type == types.MessageType.Error:
                self.errors.append(params.message)

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT)

    def call(self, fn, *args):
        async def go():
            return fn(*args)
        return self.run(go())

    def start(self):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.run(self.lsp.start_io(sys.executable, "-m", "incdsl", "lsp", "--debounce",
                                   "0.05", env=env, cwd=str(ROOT)))
        self.run(self.lsp.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri())))
        self.call(self.lsp.initialized, types.InitializedParams())

    def stop(self):
        try:
            self.run(self.lsp.shutdown_async(None))
            self.call(self.lsp.exit, None)
            self.run(self.lsp.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)

    # ---- documents -------------------------------------------------------------------------

    def open(self, path: Path, text: str | None = None) -> str:
        uri = Path(path).resolve().as_uri()
        self.versions[uri] = 1
        self.diagnostics.pop(uri, None)
        self.call(self.lsp.text_document_did_open, types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri, "incdsl", 1,
                                   Path(path).read_text() if text is None else text)))
        return uri

    def change(self, uri: str, text: str | None = None, edit=None) -> None:
        """Replace the whole text, or apply one edit: ((line, char), (line, char), text)."""
        self.versions[uri] += 1
        if edit is None:
            change = types.TextDocumentContentChangeWholeDocument(text)
        else:
            (l1, c1), (l2, c2), new = edit
            change = types.TextDocumentContentChangePartial(
                types.Range(types.Position(l1, c1), types.Position(l2, c2)), new)
        self.call(self.lsp.text_document_did_change, types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]), [change]))

    def close(self, uri: str) -> None:
        self.call(self.lsp.text_document_did_close,
                  types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))

    def wait_diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The diagnostics published for the document's current version."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            got = self.diagnostics.get(uri)
            if got is not None and got.version == self.versions[uri]:
                return list(got.diagnostics)
            time.sleep(0.02)
        raise TimeoutError(f"no diagnostics for version {self.versions[uri]} of {uri}")

    # ---- requests --------------------------------------------------------------------------

    def _at(self, uri, line, char):
        return types.TextDocumentIdentifier(uri), types.Position(line, char)

    def hover(self, uri, line, char):
        return self.run(self.lsp.text_document_hover_async(
            types.HoverParams(*self._at(uri, line, char))))

    def definition(self, uri, line, char):
        return self.run(self.lsp.text_document_definition_async(
            types.DefinitionParams(*self._at(uri, line, char))))

    def references(self, uri, line, char, declaration=True):
        return self.run(self.lsp.text_document_references_async(types.ReferenceParams(
            context=types.ReferenceContext(declaration), text_document=types.
            TextDocumentIdentifier(uri), position=types.Position(line, char))))

    def completion(self, uri, line, char):
        return self.run(self.lsp.text_document_completion_async(
            types.CompletionParams(*self._at(uri, line, char))))

    def symbols(self, uri):
        return self.run(self.lsp.text_document_document_symbol_async(
            types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))))

    def formatting(self, uri):
        return self.run(self.lsp.text_document_formatting_async(types.DocumentFormattingParams(
            types.TextDocumentIdentifier(uri), types.FormattingOptions(4, True))))


@pytest.fixture(scope="module")
def lsp():
    client = Client()
    client.start()
    yield client
    errors = list(client.errors)
    client.stop()
    assert not errors, "the server logged errors:\n" + "\n".join(errors)
