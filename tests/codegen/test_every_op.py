"""Build and compile agree for every op of the registry: small specs that together use each op
and statement (the ops the optimising passes make among them), compiled, loaded with
build()'s state_dict and run in eval and train mode."""

from __future__ import annotations

import pytest
import torch

import incdsl
from incdsl.codegen import generate
from incdsl.nn.canonical import own_state_dict
from incdsl.ops import OPS, STATEMENTS
from incdsl.passes import optimize
from tests.codegen.test_generate import assert_computes_the_same, load_generated

MODES = ("inference", "training")
SPECS = {
    # flatten -> linear: the generated Linear must take C*H*W inputs, not C.
    "flatten": """
network Flat(classes=10):
    input 3x8x8
    conv 4 3x3
    flatten
    linear classes
""",
    "layers": """
network Layers(classes=5, drop=0.3):
    input 3x16x16
    conv 8 3x3 /2 padding=1 bias eps=0.01 momentum=0.3
    conv 8 3x3 no bn            # a ReLU around the convolution, in forward
    conv 8 1x1 no bn no relu x2
    conv 8 1x1 no bn x2         # each with a ReLU around it
    conv 8 3x3 x3               # a repeated layer: an nn.Sequential
    maxpool 3x3 /2 valid
    avgpool 3x3 no count_include_pad
    relu
    sigmoid
    global maxpool
    dropout drop
    linear classes no bias init_std=0.01
""",
    "structure": """
block Gate(act=true, s=0.5):
    residual scale=s relu=act:
        concat:
            conv 4 1x1
            branch:
                conv 4 1x1
                concat:
                    conv 2 1x3
                    conv 2 3x1
            avgpool 3x3 -> conv 4 1x1 relu=act
        conv trunk 1x1 bias no bn relu=act

block Head(classes):
    avgpool 2x2 /2 valid
    conv 8 1x1
    flatten
    dropout 0.5
    linear classes

network Net(classes=4, size=8):
    input(3, size, size)
    conv 8 3x3
    Gate x2
    Gate(act=false, s=1.0) as last
    aux aux_logits:
        Head(classes) as head
    global avgpool -> linear classes
""",
    # The family's neighbours: ceil pooling, grouped and depthwise convolutions, BatchNorm on
    # its own, a projection shortcut, pre-activation and a squeeze-and-excitation gate.
    "family": """
block Unit(planes, stride=1):
    residual preact:
        shortcut:
            conv planes 1x1 /stride no relu
        conv planes 3x3 /stride groups=2
        conv planes 3x3 depthwise no relu
        gate:
            adaptive avgpool 1x1
            conv (trunk // 2) 1x1 bias no bn
            conv trunk 1x1 bias no bn no relu
            sigmoid

network Family(classes=3):
    input 3x17x17
    conv 8 3x3 no bn no relu
    maxpool 3x3 /2 ceil
    bn
    Unit(8)
    Unit(16, 2)
    bn no relu
    adaptive avgpool 2x2
    flatten
    linear classes
""",
}


SPECS["passes"] = """
network Passes(classes=4):
    input 3x12x12
    conv 16 3x3
    concat:
        conv 4 1x1
        avgpool 3x3 -> conv 4 1x1        # commuted: a moved_bn, or a shift, after the pool
        conv 4 3x3 no bn no relu -> relu # a ReLU in place, in inference
    global avgpool -> linear classes
"""


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("every_op")
    out = {}
    for name, text in SPECS.items():
        path = folder / f"{name}.inc"
        path.write_text(text.lstrip("\n"))
        out[name] = (path, incdsl.graph(path))
    return out


def test_the_specs_use_every_op_and_statement(graphs):
    used = {data["op"] for _, g in graphs.values() for mode in (None, *MODES)
            for _, data in (optimize(g, mode) if mode else g).nodes(data=True)}
    assert used == set(OPS)
    words = " ".join(SPECS.values()).split()
    assert all(f"{name}:" in words or name in words for name in STATEMENTS)


@pytest.mark.parametrize("name", list(SPECS))
def test_compiled_module_computes_what_build_builds(name, graphs, tmp_path):
    path, g = graphs[name]
    source = tmp_path / f"{name}.py"
    source.write_text(generate(g))
    network = getattr(load_generated(source, f"every_op_{name}"), g.graph["name"])()
    built = incdsl.build(path, seed=0)
    assert list(network.state_dict()) == list(built.state_dict())
    network.load_state_dict(built.state_dict())
    x = torch.randn(3, *g.nodes[g.graph["input"]]["shape"])
    assert_computes_the_same(built, network, x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(SPECS))
def test_compiled_optimised_module_computes_what_build_builds(name, mode, graphs, tmp_path):
    path, g = graphs[name]
    source = tmp_path / f"{name}_{mode}.py"
    source.write_text(generate(optimize(g, mode)))
    network = getattr(load_generated(source, f"every_op_{name}_{mode}"), g.graph["name"])()
    built = incdsl.build(path, seed=0, optimize=mode)
    network.load_state_dict(own_state_dict(built))
    x = torch.randn(3, *g.nodes[g.graph["input"]]["shape"])
    assert_computes_the_same(built, network, x, (False, True) if mode == "training" else (False,))


def test_a_flag_from_a_parameter_is_a_constructor_argument(graphs, tmp_path):
    source = tmp_path / "structure.py"
    source.write_text(generate(graphs["structure"][1]))
    text = source.read_text()
    assert text.count("class Gate(nn.Module):") == 1 and "Variant" not in text
    assert "def __init__(self, in_channels, act, s):" in text
    assert "self.last = Gate(8, act=False, s=1.0)" in text
