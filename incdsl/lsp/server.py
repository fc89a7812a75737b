"""`incdsl lsp`: the language server, over stdio, on pygls.

Each open document is analysed as `incdsl check` would (`analysis.analyse`): on open at once,
after each change once the typing pauses (`debounce` seconds), and on demand when a request
finds the analysis older than the text. No request may take the server down: a handler that
fails logs the error to the client (window/logMessage) and answers nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import traceback

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from incdsl.errors import SpecError
from incdsl.lsp.analysis import Analysis, analyse
from incdsl.lsp.complete import complete
from incdsl.lsp.convert import path_of, whole_file
from incdsl.lsp.diagnostics import diagnostics
from incdsl.lsp.hover import hover
from incdsl.lsp.navigate import definition, references, symbols

DEBOUNCE = 0.3  # seconds of quiet after a change before the errors are recomputed


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("incdsl")
    except PackageNotFoundError:
        return "unknown"


class IncdslServer(LanguageServer):
    def __init__(self, debounce: float = DEBOUNCE):
        super().__init__("incdsl", _version(),
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.debounce = debounce
        self.analyses: dict[str, tuple[int | None, Analysis]] = {}  # uri -> (version, ...)
        self.last_good: dict[str, Analysis] = {}  # uri -> the last analysis with a program
        self.pending: dict[str, asyncio.TimerHandle] = {}

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document's current text."""
        doc = self.workspace.get_text_document(uri)
        cached = self.analyses.get(uri)
        if cached is None or cached[0] != doc.version or cached[1].text != doc.source:
            result = analyse(doc.source, path_of(uri))
            self.analyses[uri] = (doc.version, result)
            if result.program is not None:
                self.last_good[uri] = result
        return self.analyses[uri][1]

    def opened(self, uri: str) -> list[Analysis]:
        return [a for u, (_, a) in self.analyses.items() if u != uri]

    def publish(self, uri: str) -> None:
        self.pending.pop(uri, None)
        if uri not in self.workspace.text_documents:
            return
        found = diagnostics(self.analysis(uri), self.workspace.position_codec)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=found, version=self.workspace.get_text_document(uri).version))

    def later(self, uri: str) -> None:
        if uri in self.pending:
            self.pending[uri].cancel()
        self.pending[uri] = asyncio.get_running_loop().call_later(
            self.debounce, guarded(self, "diagnostics")(self.publish), uri)

    def position(self, uri: str, position: types.Position) -> tuple[int, int]:
        """An LSP position as incdsl's 1-based line and code-point column."""
        doc = self.workspace.get_text_document(uri)
        at = doc.position_codec.position_from_client_units(doc.lines, position)
        return at.line + 1, at.character + 1


def guarded(server: LanguageServer, what: str, default=None):
    """A handler that logs its failure to the client instead of failing the request."""

    def wrap(handler):
        @functools.wraps(handler)
        def run(*args):
            try:
                return handler(*args)
            except Exception as e:  # noqa: BLE001 - the server must keep answering
                message = f"incdsl lsp: {what} failed: {e!r}\n{traceback.format_exc()}"
                logging.getLogger("incdsl.lsp").error(message)
                server.window_log_message(types.LogMessageParams(types.MessageType.Error,
                                                                 message))
                return default
        return run
    return wrap


def make_server(debounce: float = DEBOUNCE) -> IncdslServer:
    server = IncdslServer(debounce)

    def feature(name, what, default=None, **options):
        def register(handler):
            server.feature(name, **options)(guarded(server, what, default)(handler))
            return handler
        return register

    @feature(types.TEXT_DOCUMENT_DID_OPEN, "open")
    def did_open(ls: IncdslServer, params: types.DidOpenTextDocumentParams):
        ls.publish(params.text_document.uri)

    @feature(types.TEXT_DOCUMENT_DID_CHANGE, "change")
    def did_change(ls: IncdslServer, params: types.DidChangeTextDocumentParams):
        ls.later(params.text_document.uri)

    @feature(types.TEXT_DOCUMENT_DID_SAVE, "save")
    def did_save(ls: IncdslServer, params: types.DidSaveTextDocumentParams):
        ls.later(params.text_document.uri)  # files that this one uses may have changed

    @feature(types.TEXT_DOCUMENT_DID_CLOSE, "close")
    def did_close(ls: IncdslServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        if uri in ls.pending:
            ls.pending.pop(uri).cancel()
        ls.analyses.pop(uri, None)
        ls.last_good.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    @feature(types.TEXT_DOCUMENT_HOVER, "hover")
    def on_hover(ls: IncdslServer, params: types.HoverParams):
        uri = params.text_document.uri
        line, column = ls.position(uri, params.position)
        text = hover(ls.analysis(uri), ls.opened(uri), line, column)
        if text is None:
            return None
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text))

    @feature(types.TEXT_DOCUMENT_DEFINITION, "definition")
    def on_definition(ls: IncdslServer, params: types.DefinitionParams):
        uri = params.text_document.uri
        line, column = ls.position(uri, params.position)
        return definition(ls.analysis(uri), line, column, ls.workspace.position_codec)

    @feature(types.TEXT_DOCUMENT_REFERENCES, "references", default=[])
    def on_references(ls: IncdslServer, params: types.ReferenceParams):
        uri = params.text_document.uri
        line, column = ls.position(uri, params.position)
        return references(ls.analysis(uri), ls.opened(uri), line, column,
                          params.context.include_declaration, ls.workspace.position_codec)

    @feature(types.TEXT_DOCUMENT_COMPLETION, "completion", default=[],
             options=types.CompletionOptions(trigger_characters=[" "]))
    def on_completion(ls: IncdslServer, params: types.CompletionParams):
        uri = params.text_document.uri
        line, column = ls.position(uri, params.position)
        doc = ls.workspace.get_text_document(uri)
        prefix = doc.lines[line - 1][: column - 1] if line <= len(doc.lines) else ""
        current = ls.analysis(uri)
        good = current if current.program is not None else ls.last_good.get(uri)
        blocks = good.program.blocks if good else {}
        return types.CompletionList(is_incomplete=False, items=complete(prefix, blocks))

    @feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL, "symbols", default=[])
    def on_symbols(ls: IncdslServer, params: types.DocumentSymbolParams):
        uri = params.text_document.uri
        return symbols(ls.analysis(uri), ls.workspace.position_codec)

    @feature(types.TEXT_DOCUMENT_FORMATTING, "formatting")
    def on_formatting(ls: IncdslServer, params: types.DocumentFormattingParams):
        from incdsl.fmt import format_text

        doc = ls.workspace.get_text_document(params.text_document.uri)
        try:
            formatted = format_text(doc.source, path_of(doc.uri))
        except SpecError:
            return None  # the errors are shown as diagnostics already
        if formatted == doc.source:
            return []
        return [types.TextEdit(whole_file(doc.source), formatted)]

    return server


def serve(debounce: float = DEBOUNCE) -> None:
    make_server(debounce).start_io()


__all__ = ["IncdslServer", "make_server", "serve"]
