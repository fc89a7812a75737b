"""The three views of a network, as graphviz digraphs. Reads only the graph IR.

- network: one box per stage, consecutive uses of a block collapsed ("10 x Block35"), tensor
  shapes on the edges, the input at the bottom (as in the paper's Figs. 9 and 15);
- block NAME: one block's layers, branches side by side (Figs. 4-8, 10-14, 16-19);
- full: every layer, block instances as nested clusters, optionally collapsed below a depth.

Everything is emitted in the spec's order with ids taken from the graph, so the same spec
always gives the same DOT text and so the same rendered bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import graphviz
import networkx as nx

from incdsl.draw import style
from incdsl.draw.labels import label, shape_text
from incdsl.errors import UsageError, did_you_mean
from incdsl.ir.graph import main_path_nodes
from incdsl.ops import OPS

VIEWS = ("network", "block", "full")


@dataclass
class _Box:
    """One drawn node standing for one or more IR nodes."""

    id: str
    label: str
    attrs: dict
    last: str  # the IR node whose output leaves this box
    cluster: tuple[str, ...] = ()  # enclosing block instances to draw as clusters
    members: list[str] = field(default_factory=list)
    block: str | None = None  # network view: the block whose consecutive uses it collapses
    first: str | None = None  # ... the first of those instances
    count: int = 0  # ... and how many there are


def _digraph(name: str, **graph_attr) -> graphviz.Digraph:
    return graphviz.Digraph(name, graph_attr={**style.GRAPH, **graph_attr},
                            node_attr=style.NODE, edge_attr=style.EDGE)


def _dot_id(text: str) -> str:
    return text.replace("/", ".").replace("[", "_").replace("]", "")


def _instance_label(g: nx.DiGraph, path: str, count: int = 1) -> str:
    inst = g.graph["blocks"][path]
    head = f"{count} x {inst.block}" if count > 1 else inst.block
    if count == 1 and inst.args:
        args = ", ".join(f"{k}={_value(v)}" for k, v in inst.args.items())
        return f"{head}\n({args})"
    return head


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _input_box(g: nx.DiGraph) -> _Box:
    node = g.graph["input"]
    text = f"Input ({shape_text(g.nodes[node]['shape'])})"
    return _Box(_dot_id(node), text, style.for_op(g.nodes[node]["op"]), node, members=[node])


def _aux_nodes(g: nx.DiGraph) -> dict[str, set[str]]:
    """Output name -> the nodes only that auxiliary head needs."""
    main = main_path_nodes(g)
    out = {}
    for name in sorted(g.graph["aux"]):
        head = g.graph["outputs"][name]
        out[name] = (nx.ancestors(g, head) | {head}) - main
    return out


def _emit(dot: graphviz.Digraph, g: nx.DiGraph, boxes: list[_Box], *, shapes_on_edges: bool,
          clusters: bool = False) -> None:
    """Draw the boxes and the IR edges between them (deduplicated, in spec order)."""
    owner = {m: box for box in boxes for m in box.members}
    if clusters:
        _emit_clusters(dot, g, boxes)
    else:
        for box in boxes:
            dot.node(box.id, box.label, **box.attrs)
    seen = set()
    for box in boxes:
        for member in box.members:
            for src in g.nodes[member]["inputs"]:
                origin = owner.get(src)
                if origin is None or origin is box or (origin.id, box.id) in seen:
                    continue
                seen.add((origin.id, box.id))
                attrs = {}
                if shapes_on_edges:
                    attrs["label"] = " " + shape_text(g.nodes[src]["shape"])
                dot.edge(origin.id, box.id, **attrs)


def _align_branch_heads(dot: graphviz.Digraph, g: nx.DiGraph, boxes: list[_Box]) -> None:
    """The papers start a block's branches on one row just above its input: every box fed
    only by the same box goes on one rank (a residual add, fed by two, stays where it falls)."""
    owner = {m: box.id for box in boxes for m in box.members}
    heads: dict[str, list[str]] = {}
    for box in boxes:
        feeds = {owner.get(src) for m in box.members for src in g.nodes[m]["inputs"]}
        feeds.discard(box.id)
        if len(feeds) == 1 and None not in feeds:
            heads.setdefault(feeds.pop(), []).append(box.id)
    for index, row in enumerate(r for r in heads.values() if len(r) > 1):
        with dot.subgraph(name=f"row{index}") as same:
            same.attr(rank="same")
            for head in row:
                same.node(head)


def _emit_clusters(dot: graphviz.Digraph, g: nx.DiGraph, boxes: list[_Box]) -> None:
    """Boxes inside nested `cluster_` subgraphs, one per block instance."""
    tree: dict[tuple, list] = {(): []}
    for box in boxes:
        for depth in range(1, len(box.cluster) + 1):
            key = box.cluster[:depth]
            if key not in tree:
                tree[key] = []
                tree[key[:-1]].append(key)
        tree[box.cluster].append(box)

    def fill(graph, key):
        for item in tree[key]:
            if isinstance(item, _Box):
                graph.node(item.id, item.label, **item.attrs)
            else:
                path = item[-1]
                with graph.subgraph(name=f"cluster_{_dot_id(path)}") as sub:
                    sub.attr(label=f"{path}: {g.graph['blocks'][path].block}", **style.CLUSTER)
                    fill(sub, item)

    fill(dot, ())


# ---- network view --------------------------------------------------------------------------


def network_view(g: nx.DiGraph) -> graphviz.Digraph:
    dot = _digraph(g.graph["name"], label=f"{g.graph['name']}", labelloc="t", fontsize="16")
    emit_network(dot, g, network_boxes(g))
    return dot


def network_boxes(g: nx.DiGraph) -> list[_Box]:
    """The network view's boxes: the input, one per run of one block, one per other layer,
    one per auxiliary head."""
    aux = _aux_nodes(g)
    aux_members = {n for nodes in aux.values() for n in nodes}
    # Where a head leaves the trunk, a run of equal blocks is cut, so the head is drawn
    # leaving from the block it follows.
    taps = {src for n in aux_members for src in g.nodes[n]["inputs"] if src not in aux_members}
    boxes = [_input_box(g)]
    blocks = g.graph["blocks"]
    for node, data in g.nodes(data=True):
        if node == g.graph["input"] or node in aux_members:
            continue
        top = data["blocks"][0] if data["blocks"] else None
        prev = boxes[-1]
        if top is not None:
            inst = blocks[top]
            prev_top = g.nodes[prev.last]["blocks"][0] if g.nodes[prev.last]["blocks"] else None
            if prev_top == top:
                prev.members.append(node)
                prev.last = node
                continue
            if prev.block == inst.block and prev.last not in taps:
                prev.members.append(node)
                prev.last = node
                prev.count += 1
                continue
            boxes.append(_Box(_dot_id(top), "", dict(style.BLOCK), node, members=[node],
                              block=inst.block, first=top, count=1))
        else:
            boxes.append(_Box(_dot_id(node), label(data["op"], data["attrs"]),
                              style.for_op(data["op"]), node, members=[node]))
    for box in boxes:
        if box.block is not None:
            box.label = _instance_label(g, box.first, box.count)
    for name, nodes in aux.items():
        out = g.graph["outputs"][name]
        ordered = [n for n in g.nodes if n in nodes]
        text = f"Auxiliary head ({name})\n{shape_text(g.nodes[out]['shape'])} outputs"
        boxes.append(_Box(_dot_id(name), text, dict(style.AUX), out, members=ordered))
    return boxes


def emit_network(dot: graphviz.Digraph, g: nx.DiGraph, boxes: list[_Box],
                 output: str = "output") -> None:
    """The boxes, the shapes on the edges between them, and the output below the last."""
    main_out = g.graph["outputs"]["logits"]
    _emit(dot, g, boxes, shapes_on_edges=True)
    dot.node(output, f"Output: {shape_text(g.nodes[main_out]['shape'])}", shape="plaintext",
             style="", fillcolor="white")
    owner = {m: box for box in boxes for m in box.members}
    dot.edge(owner[main_out].id, output)


# ---- block view ----------------------------------------------------------------------------


def block_names(g: nx.DiGraph) -> list[str]:
    """The blocks a network uses, in order of first use."""
    seen = []
    for inst in g.graph["blocks"].values():
        if inst.block not in seen:
            seen.append(inst.block)
    return seen


def block_view(g: nx.DiGraph, block: str) -> graphviz.Digraph:
    instances = [p for p, inst in g.graph["blocks"].items() if inst.block == block]
    if not instances:
        names = block_names(g)
        hint = did_you_mean(block, names)
        raise UsageError(f"{g.graph['name']} uses no block '{block}'"
                         + (f"; {hint[0]}" if hint else "") + f" (blocks: {', '.join(names)})")
    path = instances[0]
    inst = g.graph["blocks"][path]
    args = ", ".join(f"{k}={_value(v)}" for k, v in inst.args.items())
    title = f"{block}({args})" if args else block
    dot = _digraph(block, label=title, labelloc="t", fontsize="15", ordering="out")
    members = [n for n, d in g.nodes(data=True) if path in d["blocks"]]
    member_set = set(members)
    depth = g.nodes[members[0]]["blocks"].index(path)
    sources = []
    for n in members:
        for src in g.nodes[n]["inputs"]:
            if src not in member_set and src not in sources:
                sources.append(src)
    boxes = []
    for src in sources:
        where = "Input" if src == g.graph["input"] else "Previous layer"
        text = f"{where}\n{shape_text(g.nodes[src]['shape'])}"
        boxes.append(_Box("in_" + _dot_id(src), text, style.for_op(g.nodes[g.graph["input"]]["op"]),
                          src, members=[src]))
    after: list[tuple[str, str, str]] = []  # (box, its activation's box, the label)
    for n in members:
        data = g.nodes[n]
        nested = data["blocks"][depth + 1] if len(data["blocks"]) > depth + 1 else None
        if nested is not None:
            if boxes and boxes[-1].id == _dot_id(nested):
                boxes[-1].members.append(n)
                boxes[-1].last = n
            else:
                boxes.append(_Box(_dot_id(nested), _instance_label(g, nested), dict(style.BLOCK),
                                  n, members=[n]))
            continue
        boxes.append(_Box(_dot_id(n), label(data["op"], data["attrs"]),
                          style.for_op(data["op"]), n, members=[n]))
        activation = OPS[data.op].activation(data.attrs)
        if activation is not None:
            after.append((_dot_id(n), _dot_id(n) + "_act", activation))
    _emit(dot, g, boxes, shapes_on_edges=False)
    _align_branch_heads(dot, g, boxes)
    # The ReLU after a residual add is part of the add in the IR; the paper draws it.
    for box, act, text in after:
        dot.node(act, text, **style.ACTIVATION)
        dot.edge(box, act)
    last = members[-1]
    top = after[-1][1] if after and after[-1][0] == _dot_id(last) else \
        {m: b for b in boxes for m in b.members}[last].id
    dot.node("out", f"Output\n{shape_text(g.nodes[last]['shape'])}", shape="plaintext",
             style="", fillcolor="white")
    dot.edge(top, "out")
    return dot


# ---- full view -----------------------------------------------------------------------------


def full_view(g: nx.DiGraph, depth: int | None = None) -> graphviz.Digraph:
    if depth is not None and depth < 0:
        raise UsageError(f"--depth must be 0 or more, got {depth}")
    dot = _digraph(g.graph["name"], label=g.graph["name"], labelloc="t", fontsize="16")
    boxes: list[_Box] = []
    collapsed: dict[str, _Box] = {}
    for node, data in g.nodes(data=True):
        blocks = data["blocks"]
        if depth is not None and len(blocks) > depth:
            path = blocks[depth]
            box = collapsed.get(path)
            if box is None:
                box = collapsed[path] = _Box(_dot_id(path), _instance_label(g, path),
                                             dict(style.BLOCK), node, tuple(blocks[:depth]))
                boxes.append(box)
            box.members.append(node)
            box.last = node
            continue
        text = label(data["op"], data["attrs"])
        activation = OPS[data.op].activation(data.attrs)
        if node == g.graph["input"]:
            text = f"Input ({shape_text(data['shape'])})"
        elif activation is not None:
            text += f"\n+ {activation}"
        boxes.append(_Box(_dot_id(node), text, style.for_op(data["op"]), node, tuple(blocks),
                          [node]))
    _emit(dot, g, boxes, shapes_on_edges=True, clusters=True)
    _align_branch_heads(dot, g, boxes)
    return dot


def render_view(g: nx.DiGraph, view: str = "network", block: str | None = None,
                depth: int | None = None) -> graphviz.Digraph:
    if view == "network":
        return network_view(g)
    if view == "block":
        if not block:
            raise UsageError("the block view needs a block name: --view block --block NAME "
                             f"(blocks: {', '.join(block_names(g))})")
        return block_view(g, block)
    if view == "full":
        return full_view(g, depth)
    raise UsageError(f"unknown view '{view}'; views: {', '.join(VIEWS)}")
