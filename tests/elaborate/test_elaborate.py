"""Elaboration: blocks, repeats, branches, residuals, defaults, naming and overrides."""

from dataclasses import asdict

import pytest

from incdsl.errors import UsageError
from incdsl.ir import expr as ir
from incdsl.ir.graph import total_params

RESIDUAL_NET = """
    block R(scale=0.17, relu=true):
        residual scale=scale relu=relu:
            concat:
                conv 32 1x1
                conv 32 1x1 -> conv 32 3x3
            conv trunk 1x1 bias no bn no relu

    network N(classes=10, blocks=3):
        input 3x35x35
        defaults conv eps=0.001
        conv 64 3x3
        R x(blocks)
        R(scale=1.0, relu=false) as last
        global avgpool -> dropout 0.2 -> linear classes
"""


def test_names_follow_the_spec(graph_of):
    g = graph_of(RESIDUAL_NET)
    assert "r[2]/branch1/conv2" in g and "last/conv" in g and "fc" in g
    assert g.nodes["r[2]/branch1/conv2"]["module"] == "r.2.branch1.conv2"
    assert g.nodes["r[0]/branch0"]["op"] == "conv"  # a one-layer branch is the layer itself
    assert g.nodes["r[1]/add"]["module"] is None
    assert g.nodes["r[1]/add"]["blocks"] == ("r[1]",)
    assert g.graph["blocks"]["r[1]"].repeat == (1, 3)
    assert g.graph["outputs"] == {"logits": "fc"}


def test_residual_and_defaults(graph_of):
    g = graph_of(RESIDUAL_NET)
    add = g.nodes["r[0]/add"]
    assert asdict(add["attrs"]) == {"scale": 0.17, "relu": True}
    assert add["inputs"] == ["conv", "r[0]/conv"]
    assert asdict(g.nodes["last/add"]["attrs"]) == {"scale": 1.0, "relu": False}
    proj = g.nodes["r[0]/conv"]["attrs"]
    assert (proj["out_channels"], proj["bias"], proj["bn"], proj["relu"]) == (64, True, False, False)
    assert g.nodes["conv"]["attrs"]["eps"] == 0.001


def test_parameters_and_macs_per_node(graph_of):
    g = graph_of(RESIDUAL_NET)
    conv = g.nodes["r[0]/branch1/conv2"]
    assert conv["params"] == 32 * 32 * 9 + 2 * 32
    assert conv["macs"] == 32 * 32 * 9 * 35 * 35
    assert g.nodes["fc"]["params"] == 64 * 10 + 10


def test_overrides_change_repeats_and_classes(graph_of):
    g = graph_of(RESIDUAL_NET, blocks=1, classes=5)
    assert "r[0]/add" in g and "r[1]/add" not in g
    assert g.nodes["fc"]["shape"] == (5,)


def test_unknown_override_is_a_usage_error(graph_of):
    with pytest.raises(UsageError, match="did you mean 'classes'"):
        graph_of(RESIDUAL_NET, clases=5)


def test_width_multiplier_keeps_the_trunk_consistent(graph_of):
    full = graph_of(RESIDUAL_NET)
    half = graph_of(RESIDUAL_NET, width=0.5)
    assert half.nodes["conv"]["shape"][0] == 32
    assert half.nodes["r[0]/branch0"]["shape"][0] == 16
    # the projection takes the trunk's (already scaled) width, so the add still fits
    assert half.nodes["r[0]/conv"]["shape"][0] == 32
    assert half.nodes["fc"]["shape"] == (10,)  # the classifier is not scaled
    assert total_params(half) < total_params(full) / 3


def test_width_multiplier_respects_min_depth(graph_of):
    g = graph_of(RESIDUAL_NET, width=0.1, min_depth=8)
    assert g.nodes["r[0]/branch0"]["shape"][0] == 8


def test_if_and_aux_outputs(graph_of):
    text = """
        network N(aux=true):
            input 3x16x16
            conv 8 3x3
            if aux:
                aux side:
                    global avgpool -> linear 3
            global avgpool -> linear 2
    """
    g = graph_of(text)
    assert g.graph["outputs"] == {"logits": "fc", "side": "side/fc"}
    assert g.graph["aux"] == {"side"}
    assert g.nodes["side/fc"]["inputs"] == ["side/pool"]
    assert g.nodes["side/pool"]["inputs"] == ["conv"]
    g = graph_of(text, aux=False)
    assert g.graph["outputs"] == {"logits": "fc"}


def test_nested_concat_and_branch_names(graph_of):
    g = graph_of("""
        block E:
            concat:
                conv 8 1x1
                branch:
                    conv 8 1x1
                    concat:
                        conv 4 1x3
                        conv 4 3x1
                avgpool 3x3 -> conv 8 1x1
        network N:
            input 3x8x8
            E
    """)
    assert g.nodes["e/concat"]["shape"] == (24, 8, 8)
    assert g.nodes["e/branch1/concat"]["inputs"] == ["e/branch1/branch0", "e/branch1/branch1"]
    assert g.nodes["e/branch1/branch0"]["attrs"]["padding"] == (0, 1)
    assert g.nodes["e/branch2/pool"]["attrs"]["count_include_pad"] is True


def test_block_parameter_defaults_may_use_earlier_parameters(graph_of):
    g = graph_of("""
        block A(k, l=2*k):
            conv l 1x1
        network N:
            input 3x8x8
            A(4)
    """)
    assert g.nodes["a/conv"]["shape"] == (8, 8, 8)


def test_avgpool_count_include_pad_default_can_be_changed(graph_of):
    g = graph_of("""
        network N:
            input 3x8x8
            defaults avgpool no count_include_pad
            avgpool 3x3
            avgpool 3x3 count_include_pad
    """)
    assert g.nodes["pool1"]["attrs"]["count_include_pad"] is False
    assert g.nodes["pool2"]["attrs"]["count_include_pad"] is True


def test_symbolic_attributes_are_kept_for_code_generation(graph_of):
    g = graph_of(RESIDUAL_NET)
    # `trunk` is the channel count of the tensor the residual adds to; parameters are named.
    assert g.nodes["r[0]/conv"]["exprs"] == {"out_channels": ir.Channels("conv")}
    assert g.nodes["r[0]/add"]["exprs"] == {"scale": ir.Param("scale"), "relu": ir.Param("relu")}
    assert g.graph["blocks"]["last"].args == {"scale": 1.0, "relu": False}
