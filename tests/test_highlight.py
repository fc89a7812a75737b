"""The Pygments lexer: every token of every shipped spec and of the docs' spec blocks gets a
type other than Error, and the types agree with the parser's own tokens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from incdsl.highlight import IncdslLexer
from incdsl.ops import STATEMENTS, layers
from incdsl.resources import architectures_dir
from incdsl.syntax.parser import parse_tokens

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted(architectures_dir().rglob("*.inc"))
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def lexed(text: str) -> dict[int, tuple]:
    return {index: (kind, value) for index, kind, value in
            IncdslLexer().get_tokens_unprocessed(text)}


def doc_blocks() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for i, block in enumerate(re.findall(r"```incdsl\n(.*?)```", doc.read_text(), re.DOTALL)):
            found.append((f"{doc.name}[{i}]", block))
    return found


@pytest.mark.parametrize("name,text", [(p.name, p.read_text()) for p in SPECS] + doc_blocks(),
                         ids=[p.name for p in SPECS] + [n for n, _ in doc_blocks()])
def test_no_token_is_an_error(name, text):
    errors = [(value, text[:i].count("\n") + 1) for i, (kind, value) in lexed(text).items()
              if kind in Error]
    assert not errors


def test_the_docs_mark_their_spec_blocks():
    assert len(doc_blocks()) >= 3


@pytest.mark.parametrize("spec", SPECS, ids=[p.name for p in SPECS])
def test_types_agree_with_the_parser(spec):
    text = spec.read_text()
    _, tokens = parse_tokens(text)
    ours = lexed(text)
    head = True
    for tok in tokens:
        if tok.type == "_NL":
            for m in re.finditer(r"#[^\n]*", tok.value):
                assert ours[tok.start_pos + m.start()][0] in Comment
            head = True
            continue
        kind = ours[tok.start_pos][0]
        assert ours[tok.start_pos][1] == tok.value or tok.type == "NAME", tok
        if tok.type in ("NUMBER", "DIMS"):
            assert kind in Number, tok
        elif tok.type == "STRING":
            assert kind in String, tok
        elif tok.type == "REPEAT":
            assert kind in Operator, tok
        elif tok.value.isalpha() and tok.type != "NAME":
            assert kind in Keyword, tok  # the grammar's keywords
        elif tok.type == "NAME" and head and tok.value in layers():
            assert kind in Name.Builtin, tok
        elif tok.type == "NAME" and head and tok.value in STATEMENTS:
            assert kind in Keyword, tok
        head = tok.value == "->"
