"""Inference: a residual block's scale (`trunk + 0.17 * branch`) multiplied into the weights
and bias of the linear projection that makes `branch`, when nothing else reads it."""

from __future__ import annotations

from dataclasses import replace

from incdsl.ir.graph import Graph
from incdsl.ops import OPS
from incdsl.ops.origin import Rebuilt
from incdsl.passes.edit import only_reader, rebuild


def fold_scale(g: Graph) -> Graph:
    changed: dict[str, object] = {}
    for node, data in g.nodes(data=True):
        if not OPS[data.op].scaled_sum or data.attrs.scale == 1.0:
            continue
        branch = data.inputs[1]
        b = g.nodes[branch]
        op = OPS[b.op]
        if not (isinstance(op, Rebuilt) and op.convolution and not b.attrs.relu
                and only_reader(g, branch) == node):
            continue
        origin = b.attrs.origin.with_(scale=b.attrs.origin.scale * data.attrs.scale)
        changed[branch] = replace(b, attrs=replace(b.attrs, origin=origin))
        exprs = {k: v for k, v in data.exprs.items() if k != "scale"}
        changed[node] = replace(data, attrs=replace(data.attrs, scale=1.0), exprs=exprs)
    nodes = [(n, changed.get(n, d)) for n, d in g.nodes(data=True)]
    return rebuild(g, nodes, f"fold_scale: {len(changed) // 2} residual scale(s) folded into "
                   "their projections")
