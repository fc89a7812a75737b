"""The constructs the family's neighbours need: each against PyTorch (shapes, parameters,
outputs) and each of its mistakes located."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

import incdsl
from incdsl.ops.window import out_size


def test_ceil_rounding_is_pytorchs():
    # Every small window: the shape rule against PyTorch's own pooling.
    for size, k, s, p, ceil in itertools.product(range(1, 24), range(1, 6), range(1, 4),
                                                  range(3), (False, True)):
        if p > k // 2 or k > size + 2 * p:
            continue
        want = F.max_pool2d(torch.zeros(1, 1, size, size), k, s, p, ceil_mode=ceil).shape[-1]
        assert out_size(size, k, s, p, ceil) == want, (size, k, s, p, ceil)


def test_ceil_pools_build_what_the_graph_says(graph_of, spec_file):
    text = """
        network N:
            input 3x112x112
            maxpool 3x3 /2 valid ceil
            avgpool 3x3 /2 ceil no count_include_pad
            adaptive avgpool 4x4
    """
    g = graph_of(text)
    assert [g.nodes[n]["shape"] for n in ("pool1", "pool2", "pool3")] == [
        (3, 56, 56), (3, 29, 29), (3, 4, 4)]  # (56 + 2 - 3) / 2 = 27.5, up: 28 + 1
    x = torch.randn(2, 3, 112, 112)
    want = F.adaptive_avg_pool2d(F.avg_pool2d(F.max_pool2d(x, 3, 2, ceil_mode=True), 3, 2, 1,
                                              ceil_mode=True, count_include_pad=False), 4)
    with torch.no_grad():
        assert torch.equal(incdsl.build(spec_file(text)).eval()(x), want)


def test_grouped_and_depthwise_convolutions(graph_of, spec_file):
    text = """
        block Separable(out):
            conv 3x3 depthwise no bn no relu
            conv out 1x1 no bn no relu
        network N:
            input 3x8x8
            conv 32 3x3 no bn no relu
            conv 64 3x3 groups=8 no bn no relu
            Separable(48)
            conv 96 3x3 depthwise no bn no relu
    """
    g = graph_of(text)
    model = incdsl.build(spec_file(text))
    for node, want in [("conv2", (64, 32 // 8, 3, 3)), ("separable/conv1", (32 * 2, 1, 3, 3)),
                       ("conv3", (96, 1, 3, 3))]:
        weight = model.get_submodule(g.nodes[node]["module"]).weight
        if node == "separable/conv1":
            want = (64, 1, 3, 3)  # depthwise on the 64 channels that reach it
        assert tuple(weight.shape) == want
        assert g.nodes[node]["params"] == weight.numel()
    assert g.nodes["conv3"]["shape"] == (96, 8, 8) and g.nodes["conv3"]["attrs"]["groups"] == 48


@pytest.mark.parametrize("line, message", [
    ("conv 60 3x3 groups=8", "groups=8 does not divide the output's 60 channels"),
    ("conv 64 3x3 groups=5", "groups=5 does not divide the input's 32 channels"),
    ("conv 3x3", "conv needs an output size"),
    ("conv 3x3 depthwise groups=2", "depthwise sets the groups"),
])
def test_grouping_mistakes_are_located(error_of, line, message):
    e = error_of(f"""
        network N:
            input 3x8x8
            conv 32 1x1
            {line}
    """)
    assert e.location.line == 4 and message in e.message


def test_in_channels_is_the_width_a_block_is_applied_to(graph_of):
    g = graph_of("""
        block Keep:
            conv in_channels 3x3
        network N:
            input 3x8x8
            conv 24 1x1
            Keep
    """)
    assert g.nodes["keep/conv"]["shape"] == (24, 8, 8)


def test_projection_shortcut_and_preactivation(graph_of, spec_file):
    text = """
        block Down(out):
            residual preact:
                shortcut:
                    conv out 1x1 /2 no bn no relu
                conv out 3x3 /2 no bn no relu
        network N:
            input 4x8x8
            Down(6)
    """
    g = graph_of(text)
    assert g.nodes["down/add"]["inputs"] == ["down/shortcut/conv", "down/conv"]
    assert g.nodes["down/preact"]["op"] == "bn"
    model = incdsl.build(spec_file(text)).eval()
    x = torch.randn(2, 4, 8, 8)
    d = model.down
    pre = F.relu(d.preact(x))
    with torch.no_grad():
        assert torch.allclose(model(x), d.shortcut.conv(pre) + d.conv(pre))


@pytest.mark.parametrize("body, message, note", [
    ("conv 8 3x3 /2", "residual add of 8x4x4 to a trunk of 8x8x8",
     "the body changes the grid from 8x8 to 4x4; a `shortcut:` must change the trunk"),
    ("conv 16 1x1", "residual add of 16x8x8 to a trunk of 8x8x8",
     "or a `shortcut:` must make 16 of the trunk's"),
    ("conv 16 1x1\n                shortcut:\n                    conv 16 1x1 /2",
     "residual add of 16x8x8 to a trunk of 16x4x4", "the body changes the grid"),
])
def test_residual_shape_mistakes_say_what_to_do(error_of, body, message, note):
    e = error_of(f"""
        block R:
            residual:
                {body}
        network N:
            input 3x8x8
            conv 8 1x1
            R
    """)
    assert e.message == message and note in e.render() and e.location.line == 2


def test_a_shortcut_belongs_in_a_residual_and_there_is_one(error_of):
    e = error_of("""
        network N:
            input 3x8x8
            shortcut:
                conv 3 1x1
    """)
    assert e.message == "'shortcut:' belongs directly inside `residual:`"
    e = error_of("""
        network N:
            input 3x8x8
            residual:
                shortcut:
                    relu
                shortcut:
                    relu
                relu
    """)
    assert e.message == "a residual has one shortcut" and e.location.line == 6


def test_squeeze_and_excitation_gate(graph_of, spec_file):
    text = """
        network N:
            input 16x8x8
            gate as se:
                adaptive avgpool 1x1
                conv (trunk // 4) 1x1 bias no bn
                conv trunk 1x1 bias no bn no relu
                sigmoid
    """
    g = graph_of(text)
    assert g.nodes["se/conv2"]["shape"] == (16, 1, 1) and g.nodes["mul"]["shape"] == (16, 8, 8)
    model = incdsl.build(spec_file(text)).eval()
    x = torch.randn(2, 16, 8, 8)
    se = model.se
    weights = torch.sigmoid(se.conv2(F.relu(se.conv1(x.mean((2, 3), keepdim=True)))))
    with torch.no_grad():
        assert torch.allclose(model(x), x * weights, atol=1e-6)


def test_a_gate_of_the_wrong_width_is_located(error_of):
    e = error_of("""
        network N:
            input 16x8x8
            gate:
                adaptive avgpool 1x1
                conv 8 1x1 bias no bn no relu
    """)
    assert e.message == "a gate of 8x1x1 for a tensor of 16x8x8" and e.location.line == 3
    assert "`conv trunk 1x1` takes its width" in e.render()


def test_use_of_a_network_file_lends_its_blocks(graph_of):
    g = graph_of("""
        use "v3.inc"
        network Mine(classes=10):
            input 3x35x35
            conv 192 1x1
            InceptionA(pool=32)
            global avgpool -> linear classes
    """)
    assert g.graph["name"] == "Mine" and g.nodes["inception_a/concat"]["shape"] == (256, 35, 35)


def test_a_failing_aux_head_names_the_head_and_the_switch(capsys):
    from incdsl.cli import main

    code = main(["summary", "v3", "--set", "width=0.5", "--set", "size=149"])
    err = capsys.readouterr().err
    assert code == 2
    assert "in the auxiliary head 'aux_logits'; `--set aux_logits=false` leaves it out" in err
    assert main(["summary", "v3", "--set", "width=0.5", "--set", "size=149",
                 "--set", "aux_logits=false"]) == 0
