"""`incdsl fmt`: one canonical layout for spec files, from the parser's own tokens.

    from incdsl.fmt import format_text
    format_text(text, "irv2.inc")   # the formatted text; SpecError if it does not parse

The result is parsed again and must give the same syntax tree (locations aside) as the input,
so formatting never changes what a spec means.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from incdsl.errors import Location
from incdsl.fmt.layout import layout
from incdsl.syntax.parser import parse, parse_tokens


class FormatterBug(Exception):
    """The formatted text would mean something else: a bug, never the user's mistake."""


def format_text(text: str, path: str = "<string>") -> str:
    tree, tokens = parse_tokens(text, path)
    result = layout(tokens)
    if meaning(parse(result, path)) != meaning(tree):
        raise FormatterBug(f"{path}: formatting would change the spec; left it as it is")
    return result


def meaning(node):
    """A syntax tree without its locations: what two layouts of one spec share."""
    if isinstance(node, Location):
        return None
    if is_dataclass(node):
        return (type(node).__name__,
                tuple(meaning(getattr(node, f.name)) for f in fields(node)))
    if isinstance(node, (tuple, list)):
        return tuple(meaning(n) for n in node)
    return node


__all__ = ["FormatterBug", "format_text", "meaning"]
