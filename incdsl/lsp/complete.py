"""Completion from the op registry and the program's blocks: at the start of a line item the
layers, statements and blocks (with their parameters as a snippet); after a layer's name the
options of that layer (`valid`, `no bn`, `eps=`), after a block's its parameters."""

from __future__ import annotations

import re

from lsprotocol import types

from incdsl.elaborate.bind import source_text
from incdsl.elaborate.naming import DEFAULTS
from incdsl.ops import STATEMENTS, layers
from incdsl.ops.base import Signature
from incdsl.syntax import ast

_HEAD = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)?$")
_WORDS = re.compile(r"(?<![\w.])[A-Za-z_][A-Za-z_0-9]*")  # names, not the x of 3x3
TOP_LEVEL = ("block", "network", "use")  # the grammar's words that start a file's lines
BODY = ("if", "else")


def _segment(prefix: str) -> str | None:
    """The line item the cursor is in: the text after the last `->` outside parentheses, or
    None inside a comment or a string."""
    depth, start, quoted = 0, 0, False
    for i, c in enumerate(prefix):
        if c == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif c == "#":
            return None
        elif c == "(":
            depth += 1
        elif c == ")":
            depth = max(depth - 1, 0)
        elif prefix.startswith("->", i) and depth == 0:
            start = i + 2
    return None if quoted else prefix[start:]


def complete(prefix: str, blocks: dict[str, ast.Definition]) -> list[types.CompletionItem]:
    """Items for the text of a line before the cursor."""
    segment = _segment(prefix)
    if segment is None:
        return []
    if _HEAD.match(segment):
        top = segment == prefix and not prefix[:1].isspace()
        return _heads(blocks, top)
    words = _WORDS.findall(segment)
    if not words:
        return []
    head = words[0]
    if head == DEFAULTS:
        if len(words) == 1 or (len(words) == 2 and not segment[-1].isspace()):
            return [_layer(name) for name, op in layers().items() if op.takes_input]
        op = layers().get(words[1])
        return _options(op.signature, set(words)) if op else []
    if head in layers():
        return _options(layers()[head].signature, set(words))
    if head in STATEMENTS:
        return _options(STATEMENTS[head].signature, set(words))
    if head in blocks:
        given = set(re.findall(r"([A-Za-z_]\w*)\s*=", segment))
        return [types.CompletionItem(f"{p.name}=", kind=types.CompletionItemKind.Field,
                                     detail=f"{head} parameter", insert_text=f"{p.name}=")
                for p in blocks[head].params if p.name not in given]
    return []


def _layer(name: str) -> types.CompletionItem:
    op = layers()[name]
    return types.CompletionItem(name, kind=types.CompletionItemKind.Function,
                                detail=op.signature.usage(name), documentation=op.doc)


def _heads(blocks, top: bool) -> list[types.CompletionItem]:
    items = [_layer(name) for name in layers()]
    for name, statement in STATEMENTS.items():
        slots = [f"${{{i}:{slot}}}" for i, slot in enumerate(statement.signature.required, 1)]
        items.append(types.CompletionItem(
            f"{name}:", kind=types.CompletionItemKind.Keyword, detail=statement.doc,
            insert_text=" ".join([name, *slots]) + ":",
            insert_text_format=types.InsertTextFormat.Snippet))
    items.append(types.CompletionItem(DEFAULTS, kind=types.CompletionItemKind.Keyword,
                                      detail="defaults OP options: for every OP line below"))
    for name, d in blocks.items():
        items.append(types.CompletionItem(
            name, kind=types.CompletionItemKind.Class, detail=_signature(d),
            insert_text=_snippet(d), insert_text_format=types.InsertTextFormat.Snippet))
    for word in TOP_LEVEL if top else BODY:
        items.append(types.CompletionItem(word, kind=types.CompletionItemKind.Keyword))
    return items


def _signature(d: ast.Definition) -> str:
    params = [p.name + (f"={source_text(p.default)}" if p.default else "") for p in d.params]
    return f"block {d.name}({', '.join(params)})"


def _snippet(d: ast.Definition) -> str:
    if not d.params:
        return d.name
    args = [f"{p.name}=${{{i}:{source_text(p.default) if p.default else p.name}}}"
            for i, p in enumerate(d.params, 1)]
    return f"{d.name}({', '.join(args)})"


def _options(sig: Signature, used: set[str]) -> list[types.CompletionItem]:
    """The words a line of this signature may still take."""
    items = []
    for word, (slot, value) in sig.words.items():
        if word not in used:
            items.append(types.CompletionItem(word, kind=types.CompletionItemKind.EnumMember,
                                              detail=f"{slot} = {value}"))
    for flag, on in sig.flags.items():
        if flag not in used:
            label = f"no {flag}" if on else flag
            items.append(types.CompletionItem(label, kind=types.CompletionItemKind.Property,
                                              detail=f"{flag} (default {str(on).lower()})"))
    for slot in sig.keywords:
        if slot not in used:
            text = "/" if slot == "stride" else f"{slot}="
            items.append(types.CompletionItem(text, kind=types.CompletionItemKind.Field,
                                              detail=slot, insert_text=text))
    return items
