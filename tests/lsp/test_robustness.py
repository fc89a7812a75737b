"""The server keeps answering whatever the text: 1,000 random edits of a shipped network and
a library, each sent as an incremental change, with requests at random places between them.
The fixture fails the test if the server logged an error; the server's copy of the text must
end up as the client's."""

from __future__ import annotations

import random
import shutil

from incdsl.resources import architectures_dir
from tests.test_mutations import TOKENS

EDITS = 1000
EVERY = 50  # edits between rounds of requests


def position(text: str, rnd: random.Random) -> tuple[int, int]:
    lines = text.split("\n")
    line = rnd.randrange(len(lines))
    return line, rnd.randint(0, len(lines[line]))


def offset(text: str, line: int, char: int) -> int:
    return sum(len(x) + 1 for x in text.split("\n")[:line]) + char


def random_edit(text: str, rnd: random.Random):
    """((line, char), (line, char), new text), and the text after it."""
    start = position(text, rnd)
    a = offset(text, *start)
    kind = rnd.choice(["insert", "delete", "replace"])
    b = a if kind == "insert" else min(len(text), a + rnd.randint(1, 12))
    new = "" if kind == "delete" else rnd.choice([" ", ""]) + rnd.choice(TOKENS)
    before = text[:b]
    end = (before.count("\n"), len(before.rsplit("\n", 1)[-1]))
    return (start, end, new), text[:a] + new + text[b:]


def requests(lsp, uri, text, rnd):
    for _ in range(2):
        line, char = position(text, rnd)
        lsp.hover(uri, line, char)
        lsp.completion(uri, line, char)
        lsp.definition(uri, line, char)
        lsp.references(uri, line, char)
    lsp.symbols(uri)
    lsp.formatting(uri)


def test_the_server_survives_random_edits(lsp, tmp_path):
    rnd = random.Random(12)
    (tmp_path / "lib").mkdir()
    for name in ("irv2.inc", "lib/irv2_blocks.inc", "lib/stems.inc", "lib/reductions.inc"):
        shutil.copy(architectures_dir() / name, tmp_path / name)
    docs = {}
    for name in ("irv2.inc", "lib/irv2_blocks.inc"):
        path = tmp_path / name
        docs[lsp.open(path)] = path.read_text()
    uris = list(docs)
    for i in range(EDITS):
        uri = uris[i % 2]
        edit, docs[uri] = random_edit(docs[uri], rnd)
        lsp.change(uri, edit=edit)
        if i % EVERY == EVERY - 1:
            requests(lsp, uri, docs[uri], rnd)
    for uri, text in docs.items():
        got = lsp.wait_diagnostics(uri)
        fresh = tmp_path / f"fresh{uris.index(uri)}.inc"
        fresh.write_text(text)  # the same text, sent whole, beside the same libraries
        if "lib/" in uri:
            fresh = tmp_path / "lib" / fresh.name
            fresh.write_text(text)
        want = lsp.wait_diagnostics(lsp.open(fresh))
        assert [(d.range, d.message) for d in got] == [(d.range, d.message) for d in want]
    pristine = lsp.open(architectures_dir() / "irv2.inc")  # and still answers right
    assert "8x8x1536" in lsp.hover(pristine, 30, 6).contents.value
