"""Sizes no spec a person writes comes near, refused before the parser sees the text, so that
time and memory stay proportional to the input whatever it holds: a line of 30,000 options,
an expression of 10,000 terms or parentheses 1,000 deep would otherwise cost the parser and
every recursive walk of the syntax tree far more than their size."""

from __future__ import annotations

import re

from incdsl.errors import Location, Source, SpecError

MAX_LINE_ITEMS = 256  # words, numbers and symbols in one logical line (the longest shipped: ~30)
MAX_NESTING = 32  # parentheses inside parentheses

_TOKEN = re.compile(r'"[^"\n]*"|#[^\n]*|\\[\t \f]*\r?\n|\r?\n|[()]|[A-Za-z_0-9.]+|[^\sA-Za-z_0-9.()"#]+')


def check_limits(source: Source) -> None:
    """Raise a located SpecError at the first line too long or nesting too deep."""
    line, line_start, items, depth = 1, 0, 0, 0
    for match in _TOKEN.finditer(source.text):
        token = match.group()
        if token[0] == "#":
            continue
        if token[-1] == "\n":
            line, line_start = line + 1, match.end()
            if depth == 0 and token[0] != "\\":  # a logical line ends
                items = 0
            continue
        column = match.start() - line_start + 1
        items += 1
        if items > MAX_LINE_ITEMS:
            raise SpecError.at(Location(source, line, column),
                               f"this line has more than {MAX_LINE_ITEMS} items",
                               "a spec line is a layer, a block or a chain of them; split it")
        if token == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise SpecError.at(Location(source, line, column, column + 1),
                                   f"parentheses nested more than {MAX_NESTING} deep")
        elif token == ")":
            depth = max(depth - 1, 0)
