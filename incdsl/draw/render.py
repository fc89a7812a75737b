"""Write a view to a file: the format comes from the extension. `.dot` is the graphviz
source; svg, png and pdf need Graphviz's `dot` program. Files are written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import graphviz

from incdsl.errors import IncdslError, UsageError
from incdsl.fileio import write_bytes_atomically

FORMATS = ("svg", "png", "pdf", "dot")

INSTALL_HINT = ("install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
                "'brew install graphviz' (macOS), or see https://graphviz.org/download/")


class DotMissing(IncdslError):
    """Graphviz's `dot` is not installed; the DOT source was written instead."""


def format_of(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "gv":
        fmt = "dot"
    if fmt not in FORMATS:
        raise UsageError(f"{path}: unknown format '{path.suffix or '(none)'}'; "
                         f"use one of: {', '.join('.' + f for f in FORMATS)}")
    return fmt


def render(dot: graphviz.Digraph, path: Path) -> Path:
    """Write `dot` to `path` in the format its extension names. Returns the path written."""
    fmt = format_of(path)
    source = dot.source.encode()
    if fmt == "dot":
        write_bytes_atomically(path, source)
        return path
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        fallback = path.with_suffix(".dot")
        write_bytes_atomically(fallback, source)
        raise DotMissing(f"Graphviz's 'dot' program was not found, so {path} was not drawn; "
                         f"wrote the graph's source to {fallback} instead. "
                         f"To draw it, {INSTALL_HINT}, then run: dot -T{fmt} {fallback} -o {path}"
                         ) from None
    except graphviz.CalledProcessError as e:  # a dot that fails on our own output is a bug
        raise RuntimeError(f"dot failed: {e.stderr.decode(errors='replace')}") from None
    write_bytes_atomically(path, data)
    return path
