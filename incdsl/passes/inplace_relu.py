"""Inference: a ReLU whose input nothing else reads (and that is no view of another tensor,
nor the network's input or an output) writes over it instead of allocating."""

from __future__ import annotations

from dataclasses import replace

from incdsl.ir.graph import Graph
from incdsl.ops import OPS
from incdsl.passes.edit import only_reader, rebuild


def inplace_relu(g: Graph) -> Graph:
    nodes, count = [], 0
    for node, data in g.nodes(data=True):
        variant = OPS[data.op].inplace_variant
        if variant is not None:
            src = data.inputs[0]
            if (src != g.graph["input"] and only_reader(g, src) == node
                    and not OPS[g.nodes[src].op].view):
                data, count = replace(data, op=variant), count + 1
        nodes.append((node, data))
    return rebuild(g, nodes, f"inplace_relu: {count} ReLU(s) made in place")
