"""Inference: every convolution's BatchNorm folded into its weights and bias (eval-mode
BatchNorm is x * scale + shift per channel, and so is a convolution's last step). The layer
keeps its module path; its tensors are computed from the spec layer's (`Origin.fold`)."""

from __future__ import annotations

from dataclasses import fields, replace

from incdsl.ir.graph import Graph
from incdsl.ops import OPS
from incdsl.ops.folded_conv import FoldedConvAttrs
from incdsl.ops.origin import Origin, Rebuilt
from incdsl.passes.edit import groups_of, rebuild

FOLDED = "folded_conv"


def fold_bn(g: Graph) -> Graph:
    nodes, count = [], 0
    for node, data in g.nodes(data=True):
        op, a = OPS[data.op], data.attrs
        if op.convolution and not isinstance(op, Rebuilt) and groups_of(a) == 1:
            origin = Origin(data.module, a.out_channels, a.bn, a.bias, a.eps, fold=a.bn)
            same = {f.name: getattr(a, f.name) for f in fields(a)}
            attrs = FoldedConvAttrs(**{**same, "bias": a.bias or a.bn, "bn": False},
                                    origin=origin, layers=(node,))
            data = replace(data, op=FOLDED, attrs=attrs, shape=())
            count += a.bn
        nodes.append((node, data))
    return rebuild(g, nodes, f"fold_bn: {count} BatchNorm layer(s) folded into their "
                   "convolutions")
