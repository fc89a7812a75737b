"""Concat of consecutive pieces of one tensor: `cat([x[:, 0:64], x[:, 64:96]])` is
`x[:, 0:96]`, a view, no copy. Adjacent slices of one source in a concat merge into one; a
concat left with a single slice becomes that slice, or the source itself when the slice is
all of it."""

from __future__ import annotations

from dataclasses import replace

from incdsl.ir.graph import Graph, Node
from incdsl.ops import OPS
from incdsl.ops.slice import SliceAttrs
from incdsl.passes.edit import fresh, rebuild

SLICE = "slice"


def _merged(g: Graph, inputs: list[str]) -> list[tuple[str, int, int] | str]:
    """The concat's inputs with runs of adjacent slices as (source, start, stop)."""
    out: list = []
    for i in inputs:
        d = g.nodes[i]
        if not OPS[d.op].view:
            out.append(i)
            continue
        piece = (d.inputs[0], d.attrs.start, d.attrs.stop)
        last = out[-1] if out else None
        if isinstance(last, tuple) and last[0] == piece[0] and last[2] == piece[1]:
            out[-1] = (last[0], last[1], piece[2])
        else:
            out.append(piece if piece[2] - piece[1] else i)
    return out


def concat_views(g: Graph) -> Graph:
    ids = set(g.nodes)
    nodes, alias, count = [], {}, 0
    for node, data in g.nodes(data=True):
        if not OPS[data.op].channel_concat:
            nodes.append((node, data))
            continue
        merged = _merged(g, data.inputs)
        if len(merged) == len(data.inputs):
            nodes.append((node, data))
            continue
        count += 1
        if len(merged) == 1:
            source, start, stop = merged[0]
            if start == 0 and stop == g.nodes[source].shape[0]:
                alias[node] = source
            else:
                nodes.append((node, replace(data, op=SLICE, attrs=SliceAttrs(start, stop),
                                            inputs=[source], exprs={}, shape=())))
            continue
        inputs = []
        for item in merged:
            if isinstance(item, str):
                inputs.append(item)
                continue
            source, start, stop = item
            view = fresh(ids, data.scope, "view")
            nodes.append((view, Node(op=SLICE, attrs=SliceAttrs(start, stop), inputs=[source],
                                     blocks=data.blocks, scope=data.scope, loc=data.loc)))
            inputs.append(view)
        nodes.append((node, replace(data, inputs=inputs, shape=())))
    return rebuild(g, nodes, f"concat_views: {count} concat(s) of adjacent pieces made views",
                   alias=alias)
