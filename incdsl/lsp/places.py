"""Where things are in a syntax tree: the definition and the line under the cursor, the span
of a definition, the words of a line."""

from __future__ import annotations

import re

from incdsl.syntax import ast

_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def statements(body) -> list[ast.Stmt]:
    """Every line item of a body, nested ones too: layers (those of chains one by one),
    statements with a body, `if`s."""
    out: list[ast.Stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.Chain):
            out += stmt.layers
        elif isinstance(stmt, ast.Compound):
            out.append(stmt)
            out += statements(stmt.body)
        elif isinstance(stmt, ast.If):
            out.append(stmt)
            out += statements(stmt.then) + statements(stmt.orelse)
        else:
            out.append(stmt)
    return out


def end_line(d: ast.Definition) -> int:
    return max([d.loc.line, *(s.loc.line for s in statements(d.body))])


def definition_at(module: ast.Module, line: int) -> ast.Definition | None:
    """The definition whose lines hold `line` (1-based)."""
    for d in module.definitions:
        if d.loc.line <= line <= end_line(d):
            return d
    return None


def statement_at(d: ast.Definition, line: int, column: int) -> ast.Stmt | None:
    """The line item at a 1-based position: the one under the cursor, else the first on the
    line."""
    on_line = [s for s in statements(d.body) if s.loc.line == line]
    for s in on_line:
        end = s.loc.end_column or 1 << 30
        if s.loc.column <= column < end and not isinstance(s, (ast.Compound, ast.If)):
            return s
    return on_line[0] if on_line else None


def word_at(text: str, column: int) -> tuple[str, int] | None:
    """The name under a 0-based column of a line, and its start."""
    for m in _WORD.finditer(text):
        if m.start() <= column <= m.end():
            return m.group(), m.start()
    return None


def source_line(loc) -> str:
    return loc.source.line(loc.line).strip()
