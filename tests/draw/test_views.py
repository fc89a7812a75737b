"""`incdsl draw`: each view of each shipped network, read back from the rendered SVG."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import incdsl
from incdsl.cli import main
from incdsl.draw.render import render
from incdsl.draw.views import block_names, render_view

SHIPPED = ["v3", "v4", "irv1", "irv2", "irv2_paper"]
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.usefixtures("needs_dot")  # tests/conftest.py


def svg_of(tmp_path, g, **view):
    path = render(render_view(g, **view), tmp_path / "out.svg")
    root = ET.parse(path).getroot()
    nodes = [el for el in root.iter(f"{SVG}g") if el.get("class") == "node"]
    edges = [el for el in root.iter(f"{SVG}g") if el.get("class") == "edge"]

    def texts(elements):
        return [" ".join(t.text or "" for t in el.iter(f"{SVG}text")) for el in elements]

    return texts(nodes), texts(edges)


@needs_dot
def test_network_view_of_irv2(tmp_path):
    nodes, edges = svg_of(tmp_path, incdsl.graph("irv2"))
    assert nodes == ["Input (299x299x3)", "InceptionV3Stem", "Mixed5b", "10 x Block35",
                     "ReductionA (k=256, l=256, m=384, n=384)", "20 x Block17", "ReductionB",
                     "10 x Block8", "1x1 Conv (1536)", "Average Pooling", "Dropout (keep 1)",
                     "Linear (1000)", "Output: 1000"]
    shapes = [e.strip() for e in edges if e.strip()]
    assert shapes == ["299x299x3", "35x35x192", "35x35x320", "35x35x320", "17x17x1088",
                      "17x17x1088", "8x8x2080", "8x8x2080", "8x8x1536", "1536", "1536"]


@needs_dot
def test_network_view_draws_the_aux_head_as_a_side_branch(tmp_path):
    nodes, edges = svg_of(tmp_path, incdsl.graph("v3"))
    assert "3 x InceptionA" in nodes and "4 x InceptionC" in nodes and "2 x InceptionE" in nodes
    assert "Auxiliary head (aux_logits) 1000 outputs" in nodes
    assert edges.count(" 17x17x768") == 3  # into InceptionD, into the aux head, into 6b-e's box


@needs_dot
@pytest.mark.parametrize("spec", SHIPPED)
def test_every_network_view_and_every_block_view_renders(tmp_path, spec):
    g = incdsl.graph(spec)
    nodes, _ = svg_of(tmp_path, g)
    assert nodes[0] == "Input (299x299x3)" and nodes[-1] == "Output: 1000"
    for block in block_names(g):
        nodes, _ = svg_of(tmp_path, g, view="block", block=block)
        assert nodes[0].startswith(("Previous layer", "Input"))  # a stem starts at the input
        assert nodes[-1].startswith("Output")
        assert any("Conv (" in n for n in nodes), block


@needs_dot
def test_block_view_in_the_papers_words(tmp_path):
    nodes, edges = svg_of(tmp_path, incdsl.graph("irv2"), view="block", block="Block35")
    assert sorted(nodes) == sorted([
        "Previous layer 35x35x320", "1x1 Conv (32)", "1x1 Conv (32)", "3x3 Conv (32)",
        "1x1 Conv (32)", "3x3 Conv (48)", "3x3 Conv (64)", "Filter concat",
        "1x1 Conv (320 Linear)", "+ (x0.17)", "Relu activation", "Output 35x35x320"])
    # Fig. 16's arrows: previous layer -> 3 branch heads (3), within the towers 1x1 -> 3x3 and
    # 1x1 -> 3x3 -> 3x3 (3), branches -> concat (3), concat -> 1x1 linear (1), 1x1 linear -> +
    # (1), previous layer -> + (the trunk, 1), + -> relu (1), relu -> output (1): 14
    assert len(edges) == 3 + 3 + 3 + 1 + 1 + 1 + 1 + 1


@needs_dot
def test_reduction_view_shows_strides_and_valid_padding(tmp_path):
    nodes, _ = svg_of(tmp_path, incdsl.graph("v4"), view="block", block="ReductionA")
    assert "3x3 Conv (384 stride 2 V)" in nodes
    assert "3x3 MaxPool (stride 2 V)" in nodes
    assert "3x3 Conv (256 stride 2 V)" in nodes


@needs_dot
def test_full_view_clusters_and_depth(tmp_path):
    g = incdsl.graph("v4")
    everything, _ = svg_of(tmp_path, g, view="full")
    assert len(everything) == len(g)  # one box per layer
    top, _ = svg_of(tmp_path, g, view="full", depth=0)
    assert "ReductionA (k=192, l=224, m=256, n=384)" in top
    assert len(top) == 1 + 1 + 4 + 1 + 7 + 1 + 3 + 3  # input, blocks, head layers
    path = render(render_view(g, view="full"), tmp_path / "full.svg")
    assert 'class="cluster"' in path.read_text()


def test_dot_source_and_determinism(tmp_path):
    g = incdsl.graph("irv2")
    a = render(render_view(g), tmp_path / "a.dot").read_bytes()
    b = render(render_view(incdsl.graph("irv2")), tmp_path / "b.dot").read_bytes()
    assert a == b
    assert re.search(rb'label="10 x Block35"', a)


@needs_dot
def test_rendered_bytes_are_deterministic(tmp_path):
    a = render(render_view(incdsl.graph("v3")), tmp_path / "a.svg").read_bytes()
    b = render(render_view(incdsl.graph("v3")), tmp_path / "b.svg").read_bytes()
    assert a == b


@pytest.mark.parametrize("argv, message", [
    (["draw", "irv2", "--block", "Blok35", "-o", "{tmp}/x.svg"], "did you mean 'Block35'"),
    (["draw", "irv2", "-o", "{tmp}/x.jpg"], "unknown format '.jpg'; use one of: .svg, .png"),
    (["draw", "irv2", "--view", "block", "-o", "{tmp}/x.svg"], "needs a block name"),
    (["draw", "irv2", "-o", "{tmp}/no/such/folder/x.svg"], "no directory"),
])
def test_bad_requests(capsys, tmp_path, argv, message):
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code == 2 and message in err
    assert not list(tmp_path.glob("x.*"))


def test_invalid_spec_gives_the_located_error(capsys, tmp_path):
    bad = tmp_path / "bad.inc"
    bad.write_text("network N:\n    input 3x8x8\n    conv 8 3x3 valdi\n")
    assert main(["draw", str(bad), "-o", str(tmp_path / "x.svg")]) == 2
    assert f"{bad}:3:16: error: unknown name 'valdi'" in capsys.readouterr().err


def test_without_dot_the_source_is_written_and_install_explained(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # no `dot` on this PATH
    out = tmp_path / "irv2.svg"
    result = subprocess.run([sys.executable, "-m", "incdsl", "draw", "irv2", "-o", str(out)],
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "apt-get install graphviz" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    assert "10 x Block35" in (tmp_path / "irv2.dot").read_text()
