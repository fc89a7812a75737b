"""The parser's tokens grouped as a person reads the file: code lines (a logical line, several
physical ones when it breaks inside parentheses), own-line comments and blank lines.

Everything here is decided from token types and the grammar's punctuation, never from op or
statement names, so that words the language gains later need no change here. Comments live in
the newline tokens (`_NL`), as the grammar defines them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lark import Token

NEWLINE = "_NL"
OPEN, CLOSE = "(", ")"
TAB = 8  # as the parser's indenter counts a tab
_PIECE = re.compile(r"#[^\n]*|\r?\n[\t ]*")


def width(indent: str) -> int:
    return indent.count(" ") + indent.count("\t") * TAB


@dataclass
class Break:
    """A line break inside a code line: inside parentheses (the comments of its newline token
    kept), or a backslash joining two lines."""

    trailing: str | None = None  # a comment ending the physical line before the break
    comments: list[str] = field(default_factory=list)  # own-line comments in the gap
    backslash: bool = False


@dataclass
class Code:
    items: list[Token | Break]  # the tokens, and the breaks among them
    indent: int  # its indentation, in columns as written
    trailing: str | None = None  # the comment at its end
    trailing_column: int = 0  # where that comment was written (0-based)
    level: int = 0  # its depth of indentation, found by `levels`

    @property
    def tokens(self) -> list[Token]:
        return [t for t in self.items if isinstance(t, Token)]

    def opens_body(self) -> bool:
        return self.tokens[-1].value == ":"


@dataclass
class Comment:
    text: str
    column: int  # as written
    level: int = 0


@dataclass
class Blank:
    pass


Row = Code | Comment | Blank


def _pieces(value: str, column: int):
    """A newline token -> ("comment", text, column) and ("newline", indentation) pieces."""
    for m in _PIECE.finditer(value):
        text = m.group()
        if text.startswith("#"):
            yield "comment", text.rstrip("\r\t "), column
        else:
            indent = text.lstrip("\r\n")
            column = width(indent)
            yield "newline", indent, column


def rows(tokens: list[Token]) -> list[Row]:
    """The file as rows, in order. Trailing comments stay with their code line."""
    out: list[Row] = []
    current: Code | None = None
    depth, indent = 0, 0
    previous: Token | None = None
    for tok in tokens:
        if tok.type == NEWLINE:
            gap = Break() if depth > 0 else None
            line_open = current is not None  # the newline token starts on a line of code
            for index, (kind, text, column) in enumerate(_pieces(tok.value, tok.column - 1)):
                if kind == "newline":
                    if not line_open and gap is None:
                        out.append(Blank())
                    line_open, indent = False, column
                    continue
                if index == 0 and current is not None:  # after code, on its line
                    if gap is not None:
                        gap.trailing = text
                    else:
                        current.trailing, current.trailing_column = text, column
                elif gap is not None:
                    gap.comments.append(text)
                else:
                    out.append(Comment(text, column))
                line_open = True
            if gap is not None:
                current.items.append(gap)
            else:
                current = None
            previous = tok
            continue
        if current is None:
            current = Code([], indent)
            out.append(current)
        elif previous is not None and previous.type != NEWLINE and tok.line > previous.end_line:
            current.items.append(Break(backslash=depth == 0))  # `\` joined these lines
        current.items.append(tok)
        depth += {OPEN: 1, CLOSE: -1}.get(tok.value, 0)
        previous = tok
    return out


def levels(out: list[Row]) -> None:
    """The depth of each code line, as the parser's indenter finds it, and of each own-line
    comment: the deepest level open around it whose column the comment reaches (so a comment
    written at a body's indentation stays in that body)."""
    stack = [0]
    pending: list[Comment] = []
    for row in out + [Code([], 0)]:
        if isinstance(row, Comment):
            pending.append(row)
            continue
        if not isinstance(row, Code):
            continue
        before = list(stack)
        if row.indent > stack[-1]:
            stack.append(row.indent)
        while row.indent < stack[-1]:
            stack.pop()
        row.level = len(stack) - 1
        columns = before if len(stack) <= len(before) else before + [row.indent]
        for comment in pending:
            comment.level = max(i for i, c in enumerate(columns) if c <= comment.column)
        pending = []
