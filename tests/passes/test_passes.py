"""Each pass on a small spec made to show it: what it rewrites, what it leaves alone, and
that the model still computes the spec's outputs."""

from __future__ import annotations

import pytest
import torch

import incdsl
from incdsl.nn import build_module
from incdsl.passes import (
    commute_pool,
    concat_views,
    drop_dropout,
    fold_bn,
    fold_scale,
    fuse_siblings,
    inplace_relu,
    optimize,
)
from tests.passes.conftest import TOLERANCE, image, reference, relative_error


def ops(g) -> dict[str, str]:
    return {n: d.op for n, d in g.nodes(data=True)}


def same_outputs(g, optimised) -> None:
    optimised.graph["optimized"] = optimised.graph["optimized"] or "inference"
    ref, state = reference(g)
    model = build_module(optimised, canonical=g)
    model.load_state_dict(state)
    x = image(g)
    with torch.no_grad():
        assert relative_error(model.eval()(x), ref.eval()(x)) < TOLERANCE


SIBLINGS = """
network N:
    input 3x12x12
    conv 16 3x3
    concat:
        conv 8 1x1
        conv 4 1x1 -> conv 8 3x3
        conv 4 1x1 eps=0.01
        conv 8 3x3
        conv 6 1x1 -> conv 6 1x1
"""


def test_sibling_fusion_joins_equal_convolutions_only(graph_of):
    g = graph_of(SIBLINGS)
    out = fuse_siblings(g, training=True)
    fused = [d for d in out.nodes.values() if d.op == "fused_conv"]
    assert len(fused) == 1
    a = fused[0].attrs
    assert a.widths == (8, 4, 6)  # the 1x1s with eps 0.001; not the eps=0.01 one, not 3x3
    assert a.layers == ("branch0", "branch1/conv1", "branch4/conv1")
    assert [o.module for o in a.origins] == ["branch0", "branch1.conv1", "branch4.conv1"]
    assert ops(out)["branch0"] == "slice" and ops(out)["branch2"] == "conv"
    assert out.nodes["branch4/conv2"].inputs == ["branch4/conv1"]  # its reader is unchanged
    same_outputs(g, out)


def test_grouped_convolutions_are_never_fused(graph_of):
    g = graph_of(SIBLINGS.replace("conv 8 1x1\n", "conv 8 1x1 groups=2\n", 1))
    assert g.nodes["branch0"].attrs.groups == 2
    widths = [d.attrs.widths for d in fuse_siblings(g, training=True).nodes.values()
              if d.op == "fused_conv"]
    assert widths == [(4, 6)]
    assert fuse_siblings(g, training=True).nodes["branch0"].op == "conv"


POOLS = """
network N:
    input 3x12x12
    conv 32 3x3
    concat:
        avgpool 3x3 -> conv 8 1x1
        avgpool 3x3 no count_include_pad -> conv 8 1x1
        avgpool 3x3 -> conv 48 1x1
        avgpool 3x3 valid -> conv 8 1x1 -> conv 8 3x3 padding=2
        conv 8 1x1
"""


@pytest.mark.parametrize("training", [True, False])
def test_pools_move_behind_narrower_1x1_convolutions(graph_of, training):
    g = graph_of(POOLS)
    start = g if training else fold_bn(g)
    out = commute_pool(start, training=training)
    moved = [n for n, d in out.nodes(data=True) if d.op == "avgpool" and
             out.nodes[d.inputs[0]].attrs.kernel == (1, 1)]
    assert len(moved) == 2  # not to 48 channels (more than 32), not the pool that shrinks
    after = {out.nodes[next(iter(out.successors(p)))].op for p in moved}
    # training: the BatchNorm follows the pool; inference: the bias of the pool that counts
    # its padding comes after it (`shift`), the other keeps it and only its ReLU follows
    assert after == ({"moved_bn"} if training else {"shift", "relu_inplace"})
    if training:
        out.graph["optimized"] = "training"
    same_outputs(g, out)
    same_outputs(g, fuse_siblings(out, training=training))  # now siblings of the last conv


def test_folding_batchnorm_scales_and_dropout(graph_of):
    g = graph_of("""
network N:
    input 3x12x12
    conv 16 3x3
    residual scale=0.3 relu:
        concat:
            conv 8 1x1
            conv 8 3x3
        conv trunk 1x1 bias no bn no relu
    global avgpool -> dropout 0.5 -> linear 5
""")
    out = fold_scale(fold_bn(drop_dropout(g)))
    assert "dropout" not in ops(out).values()
    assert {d.op for d in out.nodes.values()} >= {"folded_conv"} and "conv" not in ops(out).values()
    add = next(d for d in out.nodes.values() if d.op == "add")
    assert add.attrs.scale == 1.0 and add.attrs.relu
    assert out.nodes["conv2"].attrs.origin.scale == pytest.approx(0.3)
    same_outputs(g, out)


def test_relu_in_place_only_where_nothing_else_reads_its_input(graph_of):
    g = graph_of("""
network N:
    input 3x8x8
    conv 8 3x3 no relu -> relu
    concat:
        conv 8 3x3 no relu
        relu
""")
    out = inplace_relu(fold_bn(g))
    relus = {n: d.op for n, d in out.nodes(data=True) if d.op.startswith("relu")}
    assert relus == {"relu": "relu_inplace", "branch1": "relu"}  # its input feeds branch0 too
    same_outputs(g, out)


def test_concat_of_adjacent_pieces_is_a_view(graph_of):
    g = graph_of("""
network N:
    input 3x8x8
    conv 8 3x3
    concat:
        conv 8 1x1
        conv 8 1x1
    concat:
        conv 4 1x1
        conv 4 1x1
        conv 4 3x3
""")
    out = concat_views(fuse_siblings(g, training=True))
    assert "concat1" not in out  # all of the fused output: its readers read it directly
    concat = out.nodes["concat2"]
    assert [out.nodes[i].op for i in concat.inputs] == ["slice", "conv"]
    assert out.nodes[concat.inputs[0]].attrs.start == 0
    out.graph["optimized"] = "training"
    same_outputs(g, out)


def test_optimize_refuses_an_unknown_mode_and_a_second_run(graph_of):
    from incdsl.errors import UsageError

    g = graph_of(SIBLINGS)
    with pytest.raises(UsageError, match="unknown optimisation 'fast'"):
        optimize(g, "fast")
    with pytest.raises(UsageError, match="already optimised"):
        optimize(optimize(g, "training"), "inference")
    assert g.graph["optimized"] is None and g.graph["passes"] == []  # g itself is unchanged


def test_summary_and_build_agree_on_parameters():
    g = incdsl.graph("irv2", width=0.125, size=75, blocks_a=1, blocks_b=1, blocks_c=2)
    out = optimize(g, "training")
    model = build_module(out, canonical=g)
    assert sum(p.numel() for p in model.parameters()) == sum(
        d.params for d in out.nodes.values()) == sum(d.params for d in g.nodes.values())
