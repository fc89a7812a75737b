"""Inference: layers that pass their input on unchanged in eval mode (dropout) go; whatever
read them reads their input."""

from __future__ import annotations

from incdsl.ir.graph import Graph
from incdsl.ops import OPS
from incdsl.passes.edit import rebuild


def drop_dropout(g: Graph) -> Graph:
    alias, kept = {}, []
    for node, data in g.nodes(data=True):
        if OPS[data.op].eval_identity:
            alias[node] = data.inputs[0]
        else:
            kept.append((node, data))
    return rebuild(g, kept, f"drop_dropout: {len(alias)} layer(s) removed", alias=alias)
