"""Hover, definition, references, completion, outline and formatting through a real client,
each checked against the spec files themselves or incdsl's own commands."""

from __future__ import annotations

import textwrap

from lsprotocol import types

from incdsl.cli import main
from incdsl.ops import STATEMENTS, layers
from incdsl.resources import architectures_dir

ARCH = architectures_dir()
IRV2, BLOCKS = ARCH / "irv2.inc", ARCH / "lib" / "irv2_blocks.inc"


def line_of(path, text: str) -> int:
    """0-based number of the first line of a file holding `text`."""
    return next(i for i, line in enumerate(path.read_text().splitlines()) if text in line)


def hover_text(lsp, uri, line, char):
    result = lsp.hover(uri, line, char)
    return result.contents.value if result else None


def test_hover_on_a_conv_line_of_block35_gives_its_shapes_where_irv2_uses_it(lsp):
    uri = lsp.open(BLOCKS)
    line = line_of(BLOCKS, "conv 32 1x1 -> conv 32 3x3")
    text = hover_text(lsp, uri, line, line and 30)
    assert "35x35" in text
    assert "**conv**" in text and layers()["conv"].doc in text
    # irv2 uses Block35 ten times on the 35x35x320 grid, irv2_paper five times on 35x35x384
    assert "InceptionResNetV2: Block35 x10 at 35x35x320" in text
    assert "InceptionResNetV2Paper: Block35 x5 at 35x35x384" in text
    assert "→ 35x35x32; 9,280 params" in text  # 32 * 32 * 3 * 3 weights + BatchNorm's 2 * 32


def test_hover_in_a_network_line_and_on_a_block_name(lsp):
    uri = lsp.open(IRV2)
    line = line_of(IRV2, "Block35(scale=0.17)")
    text = hover_text(lsp, uri, line, 6)
    assert "block Block35(scale=0.17, relu=true)" in text
    assert "Inception-ResNet-A, 35x35 (Fig. 16)." in text  # its doc comment
    assert "Block35 x10 at 35x35x320 → 35x35x320" in text
    text = hover_text(lsp, uri, line_of(IRV2, "conv 1536 1x1"), 6)
    # 2080 * 1536 weights + 2 * 1536 for BatchNorm, on the 8x8 grid
    assert f"→ 8x8x1536; {2080 * 1536 + 2 * 1536:,} params, " \
           f"{2080 * 1536 * 64 / 1e6:.2f} M MACs" in text


def test_hover_inside_a_block_of_the_same_file(lsp, tmp_path):
    path = tmp_path / "t.inc"
    path.write_text(textwrap.dedent("""\
        # Two convolutions.
        block B(c=16):
            conv c 3x3
            conv c 1x1
        network N:
            input 3x8x8
            B x2
            B(c=8)
        """))
    uri = lsp.open(path)
    text = hover_text(lsp, uri, 3, 6)
    lines = [x for x in text.splitlines() if x.startswith("- ")]
    assert lines == [
        f"- N: B x2 at 8x8x3 ({path}:7:5) → 8x8x16; 288 params, 16.38 k MACs each (x2)",
        f"- N: B x1 at 8x8x16 ({path}:8:5) → 8x8x8; 80 params, 4.10 k MACs",
    ]
    header = hover_text(lsp, uri, 1, 7)
    assert "block B(c=16)" in header and "Two convolutions." in header


def test_definition_of_reduction_a_lands_on_its_line_in_the_library(lsp):
    uri = lsp.open(IRV2)
    line = line_of(IRV2, "ReductionA(k=256")
    (target,) = [lsp.definition(uri, line, 8)]
    lib = ARCH / "lib" / "reductions.inc"
    assert target.uri == lib.resolve().as_uri()
    assert target.range.start.line == line_of(lib, "block ReductionA")
    assert target.range.start.character == len("block ")
    use = lsp.definition(uri, line_of(IRV2, 'use "lib/stems.inc"'), 8)
    assert use.uri == (ARCH / "lib" / "stems.inc").resolve().as_uri()


def test_references_of_a_block_across_the_files_that_use_it(lsp):
    uri = lsp.open(BLOCKS)
    found = {(r.uri, r.range.start.line) for r in
             lsp.references(uri, line_of(BLOCKS, "block Block35"), 8)}
    want = {(BLOCKS.resolve().as_uri(), line_of(BLOCKS, "block Block35"))}
    for spec in ARCH.glob("*.inc"):
        if 'use "lib/irv2_blocks.inc"' not in spec.read_text():
            continue  # irv1.inc has a Block35 of its own
        for i, line in enumerate(spec.read_text().splitlines()):
            if line.strip().startswith("Block35"):
                want.add((spec.resolve().as_uri(), i))
    assert len(want) == 3 and found == want


def labels(result):
    return [item.label for item in result.items]


def test_completion_after_a_conv_offers_its_options(lsp, tmp_path):
    path = tmp_path / "t.inc"
    path.write_text('use "lib/reductions.inc"\nnetwork N:\n    input 3x8x8\n    conv 32 3x3 \n')
    uri = lsp.open(path)
    got = labels(lsp.completion(uri, 3, 16))
    assert "valid" in got and "same" in got
    assert {"no bn", "no relu", "bias", "eps=", "momentum=", "/"} <= set(got)
    assert "conv" not in got


def test_completion_of_line_heads_comes_from_the_registry_and_the_blocks(lsp, tmp_path):
    path = tmp_path / "t.inc"
    path.write_text('use "lib/reductions.inc"\nnetwork N:\n    input 3x8x8\n    \n')
    uri = lsp.open(path)
    result = lsp.completion(uri, 3, 4)
    got = labels(result)
    assert set(layers()) <= set(got)
    assert {f"{name}:" for name in STATEMENTS} <= set(got)
    (item,) = [i for i in result.items if i.label == "ReductionA"]
    assert item.insert_text == "ReductionA(k=${1:k}, l=${2:l}, m=${3:m}, n=${4:n})"
    assert item.insert_text_format == types.InsertTextFormat.Snippet
    lsp.change(uri, edit=((3, 4), (3, 4), "ReductionA(k=1, "))
    assert labels(lsp.completion(uri, 3, 20)) == ["l=", "m=", "n="]
    lsp.change(uri, edit=((3, 4), (3, 20), "maxpool 3x3 -> defaults "))
    assert "conv" in labels(lsp.completion(uri, 3, 28))


def test_outline_lists_blocks_and_networks(lsp):
    uri = lsp.open(IRV2)
    outline = lsp.symbols(uri)
    assert [(s.name, s.kind) for s in outline] == [
        ("Mixed5b", types.SymbolKind.Class), ("InceptionResNetV2", types.SymbolKind.Module)]
    network = outline[1]
    assert network.selection_range.start.line == line_of(IRV2, "network InceptionResNetV2")
    assert network.range.end.line == line_of(IRV2, "global avgpool")
    assert [c.name for c in network.children][:3] == [
        "input(3, size, size)", "defaults conv eps=0.001", "defaults avgpool no count_include_pad"]


def test_formatting_gives_what_incdsl_fmt_writes(lsp, tmp_path, capsys):
    messy = "block A( k ):\n  concat :\n     conv k 1x1   # one\n     relu\n\n\n\nblock B:\n relu\n"
    path, copy = tmp_path / "t.inc", tmp_path / "copy.inc"
    path.write_text(messy)
    copy.write_text(messy)
    uri = lsp.open(path)
    (edit,) = lsp.formatting(uri)
    assert main(["fmt", str(copy)]) == 0
    assert edit.new_text == copy.read_text() != messy
    assert (edit.range.start.line, edit.range.start.character) == (0, 0)
    assert edit.range.end.line >= len(messy.splitlines())
    lsp.change(uri, copy.read_text())
    assert list(lsp.formatting(uri)) == []
    lsp.change(uri, "block A:\n    conv ->\n")
    assert lsp.formatting(uri) is None  # does not parse: no edit
