"""Two network views side by side (`incdsl diff --draw`), the stages that differ outlined."""

from __future__ import annotations

from dataclasses import replace

import graphviz
import networkx as nx

from incdsl.draw import style
from incdsl.draw.views import _digraph, emit_network, network_boxes


def side_by_side(a: nx.DiGraph, b: nx.DiGraph, changed_a: set[str],
                 changed_b: set[str]) -> graphviz.Digraph:
    """`changed_*`: the nodes of each network whose boxes to highlight."""
    dot = _digraph("diff", label=f"{a.graph['name']}  |  {b.graph['name']}", labelloc="t",
                   fontsize="16")
    for side, g, changed in (("A", a, changed_a), ("B", b, changed_b)):
        boxes = []
        for box in network_boxes(g):
            box = replace(box, id=f"{side}.{box.id}", attrs=dict(box.attrs))
            if changed & set(box.members):
                box.attrs.update(style.CHANGED)
            boxes.append(box)
        with dot.subgraph(name=f"cluster_{side}") as sub:
            sub.attr(label=f"{side}: {g.graph['name']} ({g.graph['source']})", **style.CLUSTER)
            emit_network(sub, g, boxes, output=f"{side}.output")
    return dot
