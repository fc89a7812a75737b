"""incdsl's locations (1-based lines and code-point columns, file paths) as LSP ranges and
URIs (0-based, in the client's position encoding)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace.position_codec import PositionCodec

from incdsl.errors import Location


def uri_of(path: str) -> str:
    if ":" in path and not Path(path).exists() and not path.startswith("/"):
        return path  # a document that is not a file (`untitled:...`) is named by its URI
    return from_fs_path(str(Path(path).resolve())) or path


def path_of(uri: str) -> str:
    """A document's file system path, or its URI when it has none."""
    return (to_fs_path(uri) if uri.startswith("file:") else None) or uri


def range_of(loc: Location, codec: PositionCodec) -> types.Range:
    """The span `incdsl check` underlines: the location's columns, at least one character
    (past the end of the line for "the line ends too early", which LSP allows)."""
    line = max(loc.line - 1, 0)
    text = loc.source.line(loc.line)
    start = loc.column - 1
    end = loc.end_column - 1 if loc.end_column and loc.end_column > loc.column else start + 1

    def units(column: int) -> int:
        return codec.client_num_units(text[:column]) + max(0, column - len(text))

    return types.Range(types.Position(line, units(start)), types.Position(line, units(end)))


def location_of(loc: Location, codec: PositionCodec) -> types.Location:
    return types.Location(uri_of(loc.source.path), range_of(loc, codec))


def whole_file(text: str) -> types.Range:
    return types.Range(types.Position(0, 0), types.Position(len(text.splitlines()) + 1, 0))
