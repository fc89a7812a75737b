"""Every view of every shipped network, rendered to SVG by Graphviz and read back."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

import incdsl
from incdsl.draw.labels import label, shape_text
from incdsl.draw.views import block_names, render_view
from incdsl.errors import UsageError
from tests.draw.svg import parse

NETWORKS = ("v3", "v4", "irv1", "irv2", "irv2_paper")

pytestmark = pytest.mark.usefixtures("needs_dot")


@cache
def graph(spec, **overrides):
    return incdsl.graph(spec, **overrides)


def svg(dot):
    return parse(dot.pipe(format="svg"))


# ---- network view --------------------------------------------------------------------------

# The paper's stage list (Figs. 9 and 15), with the tensor shape entering each stage.
STAGES = {
    "v3": [("InceptionV3Stem", "299x299x3"), ("3 x InceptionA", "35x35x192"),
           ("InceptionB", "35x35x288"), ("4 x InceptionC", "17x17x768"),
           ("InceptionD", "17x17x768"), ("2 x InceptionE", "8x8x1280")],
    "v4": [("InceptionV4Stem\n(figure_order=false)", "299x299x3"), ("4 x InceptionA", "35x35x384"),
           ("ReductionA\n(k=192, l=224, m=256, n=384)", "35x35x384"),
           ("7 x InceptionB", "17x17x1024"), ("ReductionB", "17x17x1024"),
           ("3 x InceptionC", "8x8x1536")],
    "irv1": [("Stem", "299x299x3"), ("5 x Block35", "35x35x256"),
             ("ReductionA\n(k=192, l=192, m=256, n=384)", "35x35x256"),
             ("10 x Block17", "17x17x896"), ("ReductionB", "17x17x896"),
             ("6 x Block8", "8x8x1792")],
    "irv2": [("InceptionV3Stem", "299x299x3"), ("Mixed5b", "35x35x192"),
             ("10 x Block35", "35x35x320"),
             ("ReductionA\n(k=256, l=256, m=384, n=384)", "35x35x320"),
             ("20 x Block17", "17x17x1088"), ("ReductionB", "17x17x1088"),
             ("10 x Block8", "8x8x2080")],
    "irv2_paper": [("InceptionV4Stem\n(figure_order=true)", "299x299x3"), ("5 x Block35", "35x35x384"),
                   ("ReductionA\n(k=256, l=256, m=384, n=384)", "35x35x384"),
                   ("10 x Block17", "17x17x1152"), ("ReductionB", "17x17x1152"),
                   ("5 x Block8", "8x8x2144")],
}


@pytest.mark.parametrize("spec", NETWORKS)
def test_network_view_has_one_box_per_stage_with_shapes_on_its_input_edge(spec):
    d = svg(render_view(graph(spec), "network"))
    by_label = {text: node for node, text in d.nodes.items()}
    previous = None
    for stage, shape in STAGES[spec]:
        assert stage in by_label, f"{stage!r} not among {d.labels()}"
        entering = {edge: text for edge, text in d.edges.items() if edge[1] == by_label[stage]}
        assert list(entering.values()) == [shape]
        if previous is not None:
            assert list(entering) == [(by_label[previous], by_label[stage])]
        previous = stage
    assert d.nodes["input"] == "Input (299x299x3)"
    assert d.nodes["output"] == "Output: 1000"


def test_network_view_counts_and_heads():
    d = svg(render_view(graph("v3"), "network"))
    # input, 6 stages, pool, dropout, linear, aux head, output
    assert len(d.nodes) == 12
    aux = [n for n, text in d.nodes.items() if text.startswith("Auxiliary head")]
    assert len(aux) == 1 and d.nodes[aux[0]] == "Auxiliary head (aux_logits)\n1000 outputs"
    # The aux head branches off the last 17x17 stage (Mixed_6e) with its shape.
    stage = next(n for n, text in d.nodes.items() if text == "4 x InceptionC")
    assert [(e, t) for e, t in d.edges.items() if e[1] == aux[0]] == \
        [((stage, aux[0]), "17x17x768")]
    assert "Linear (1000)" in d.labels() and "Dropout (keep 0.5)" in d.labels()


def test_network_view_follows_overrides():
    d = svg(render_view(graph("irv2", blocks_a=3, classes=10, size=139), "network"))
    assert "3 x Block35" in d.labels()
    assert d.nodes["output"] == "Output: 10"
    assert d.nodes["input"] == "Input (139x139x3)"


def test_no_aux_head_without_aux_logits():
    d = svg(render_view(graph("v3", aux_logits=False), "network"))
    assert not any(text.startswith("Auxiliary") for text in d.labels())


# ---- block view ----------------------------------------------------------------------------

ALL_BLOCKS = [(spec, name) for spec in NETWORKS for name in block_names(graph(spec))]


def _first_instance_layers(g, block):
    path = next(p for p, inst in g.graph["blocks"].items() if inst.block == block)
    return [d for _, d in g.nodes(data=True) if path in d["blocks"]]


@pytest.mark.parametrize("spec,block", ALL_BLOCKS, ids=[f"{s}-{b}" for s, b in ALL_BLOCKS])
def test_block_view_draws_every_layer_of_the_block(spec, block):
    g = graph(spec)
    d = svg(render_view(g, "block", block))
    assert d.title.startswith(block)
    layers = _first_instance_layers(g, block)
    # No block nests another in the shipped specs: one box per layer, each in the paper's words.
    expected = Counter(label(data["op"], data["attrs"]) for data in layers)
    expected["Relu activation"] += sum(1 for data in layers
                                       if data["op"] == "add" and data["attrs"]["relu"])
    drawn = Counter(text for node, text in d.nodes.items()
                    if not text.startswith(("Previous layer", "Input\n", "Output")))
    assert drawn == expected
    out = next(text for text in d.labels() if text.startswith("Output"))
    assert out == "Output\n" + shape_text(layers[-1]["shape"])


def test_block35_reads_like_figure_16():
    d = svg(render_view(graph("irv2"), "block", "Block35"))
    assert d.title == "Block35(scale=0.17, relu=true)"
    assert Counter(d.labels()) >= Counter({
        "1x1 Conv (32)": 3, "3x3 Conv (32)": 1, "3x3 Conv (48)": 1, "3x3 Conv (64)": 1,
        "Filter concat": 1, "1x1 Conv (320 Linear)": 1, "+ (x0.17)": 1, "Relu activation": 1,
        "Previous layer\n35x35x320": 1})
    by_label = {text: node for node, text in d.nodes.items()}
    # The trunk goes straight from the input to the scaled sum; the sum feeds the ReLU.
    assert (by_label["Previous layer\n35x35x320"], by_label["+ (x0.17)"]) in d.edges
    assert (by_label["+ (x0.17)"], by_label["Relu activation"]) in d.edges
    assert (by_label["Filter concat"], by_label["1x1 Conv (320 Linear)"]) in d.edges


def test_last_block8_has_no_relu_and_scale_one():
    g = graph("irv2")
    layers = [d for _, d in g.nodes(data=True) if "block8_last" in d["blocks"]]
    adds = [d["attrs"] for d in layers if d["op"] == "add"]
    assert [(a.scale, a.relu) for a in adds] == [(1.0, False)]
    assert label("add", adds[0]) == "+"


def test_a_stem_starts_at_the_input():
    d = svg(render_view(graph("irv1"), "block", "Stem"))
    assert "Input\n299x299x3" in d.labels()
    assert not any(text.startswith("Previous layer") for text in d.labels())


def test_reduction_a_labels_stride_and_valid_padding():
    d = svg(render_view(graph("v4"), "block", "ReductionA"))
    assert Counter(d.labels()) >= Counter({
        "3x3 Conv (384 stride 2 V)": 1, "3x3 MaxPool (stride 2 V)": 1,
        "3x3 Conv (256 stride 2 V)": 1, "3x3 Conv (224)": 1, "1x1 Conv (192)": 1,
        "Filter concat": 1})


def test_block_view_puts_branch_heads_on_one_row():
    dot = render_view(graph("v3"), "block", "InceptionE")
    row = dot.source.split("subgraph row0 {", 1)[1].split("}", 1)[0].split()
    assert row == ["rank=same", '"mixed_7b.branch0"', '"mixed_7b.branch1.conv"',
                   '"mixed_7b.branch2.conv1"', '"mixed_7b.branch3.pool"']


# ---- full view -----------------------------------------------------------------------------

SMALL_IRV2 = {"blocks_a": 2, "blocks_b": 1, "blocks_c": 2}


def test_full_view_draws_every_layer_in_block_clusters():
    g = graph("irv2", **SMALL_IRV2)
    dot = render_view(g, "full")
    d = svg(dot)
    assert len(d.nodes) == g.number_of_nodes()
    # One edge per distinct IR edge, each labelled with its tensor's shape.
    assert len(d.edges) == g.number_of_edges()
    assert all(text for text in d.edges.values())
    clusters = dot.source.count("subgraph cluster_")
    assert clusters == len(g.graph["blocks"])


@pytest.mark.parametrize("spec", NETWORKS)
def test_full_view_depth_zero_is_one_box_per_block_instance(spec):
    g = graph(spec)
    d = svg(render_view(g, "full", depth=0))
    top_level = [n for n, data in g.nodes(data=True) if not data["blocks"]]
    instances = [p for p, inst in g.graph["blocks"].items() if inst.parent is None]
    assert len(d.nodes) == len(top_level) + len(instances)


def test_full_view_refuses_negative_depth():
    with pytest.raises(UsageError, match="--depth"):
        render_view(graph("v3"), "full", depth=-1)


def test_unknown_view():
    with pytest.raises(UsageError, match="views: network, block, full"):
        render_view(graph("v3"), "side")


def test_full_view_starts_each_blocks_branches_on_one_row():
    source = render_view(graph("v3"), "full").source
    row = source.split("subgraph row0 {", 1)[1].split("}", 1)[0].split()
    assert row == ["rank=same", '"mixed_5b.branch0"', '"mixed_5b.branch1.conv1"',
                   '"mixed_5b.branch2.conv1"', '"mixed_5b.branch3.pool"']
