"""Go to definition (blocks, `use` paths), references of a block, and the outline."""

from __future__ import annotations

from lsprotocol import types

from incdsl.errors import Location
from incdsl.lsp.analysis import Analysis, key, use_target, users
from incdsl.lsp.convert import location_of, range_of, uri_of
from incdsl.lsp.places import end_line, source_line, statements, word_at
from incdsl.syntax import ast


def _use_at(analysis: Analysis, line: int, column: int) -> ast.Use | None:
    for use in analysis.program.main.uses:
        text = use.loc.source.line(use.loc.line)
        quote = text.find('"')
        if use.loc.line == line and 0 <= quote < column <= text.rfind('"') + 2:
            return use
    return None


def _block_at(analysis: Analysis, line: int, column: int) -> ast.Definition | None:
    text = analysis.text.splitlines()[line - 1] if line <= len(analysis.text.splitlines()) \
        else ""
    word = word_at(text, column - 1)
    if word is None:
        return None
    return analysis.program.blocks.get(word[0])


def definition(analysis: Analysis, line: int, column: int, codec) -> types.Location | None:
    if analysis.program is None:
        return None
    use = _use_at(analysis, line, column)
    if use is not None:
        target = use_target(use, analysis.path)
        return types.Location(uri_of(str(target)), types.Range(types.Position(0, 0),
                                                                types.Position(0, 0))) \
            if target else None
    block = _block_at(analysis, line, column)
    return location_of(block.name_loc, codec) if block else None


def references(analysis: Analysis, opened: list[Analysis], line: int, column: int,
               declaration: bool, codec) -> list[types.Location]:
    """Every line that uses the block under the cursor: in this program's files and in the
    specs that use the file that defines it."""
    if analysis.program is None:
        return []
    block = _block_at(analysis, line, column)
    if block is None:
        return []
    modules = list(analysis.program.modules)
    for user in users(block.name_loc.source.path, opened):
        modules += user.program.modules
    found, seen = [], set()
    if declaration:
        found.append(block.name_loc)
    for module in modules:
        for d in module.definitions:
            for stmt in statements(d.body):
                if isinstance(stmt, ast.Layer) and stmt.name == block.name:
                    found.append(stmt.name_loc)
    out = []
    for loc in found:
        if key(loc) not in seen:
            seen.add(key(loc))
            out.append(location_of(loc, codec))
    return out


def symbols(analysis: Analysis, codec) -> list[types.DocumentSymbol]:
    """Blocks and networks, each with the lines of its body."""
    if analysis.program is None:
        return []
    out = []
    for d in analysis.program.main.definitions:
        last = end_line(d)
        span = types.Range(types.Position(d.loc.line - 1, 0),
                           types.Position(last - 1, len(d.loc.source.line(last))))
        children = [_line_symbol(stmt, codec) for stmt in d.body]
        kind = types.SymbolKind.Class if d.kind == "block" else types.SymbolKind.Module
        params = ", ".join(p.name for p in d.params)
        out.append(types.DocumentSymbol(d.name, kind, span, range_of(d.name_loc, codec),
                                        detail=f"{d.kind}({params})" if params else d.kind,
                                        children=children))
    return out


def _line_symbol(stmt: ast.Stmt, codec) -> types.DocumentSymbol:
    loc: Location = stmt.loc
    line = types.Range(types.Position(loc.line - 1, 0),
                       types.Position(loc.line - 1, len(loc.source.line(loc.line))))
    name = source_line(loc).split("#")[0].strip() or "?"
    return types.DocumentSymbol(name.rstrip(":"), types.SymbolKind.Field, line, line)


__all__ = ["definition", "references", "symbols"]
