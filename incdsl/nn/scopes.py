"""Group the graph IR's nodes by block instance: the shape of the module tree and of each
module's `forward`.

A `Scope` is the network or one block instance. Its `items`, in spec order, are its own nodes
(node ids) and its child instances (Scopes); consecutive instances made by one `x count` are
gathered into a `Repeat`. A scope reads `inputs` (node ids outside it) and hands `outputs`
(node ids inside it) to the rest of the network. Both the in-memory builder and the code
generator read the graph through this view only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import networkx as nx

from incdsl.ir.graph import BlockInstance, main_path_nodes


@dataclass
class Scope:
    path: str | None  # block-instance path, None for the network
    module: str  # module path ('' for the network)
    instance: BlockInstance | None
    items: list = field(default_factory=list)  # node ids, Scopes and Repeats
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    nodes: set[str] = field(default_factory=set)  # every node inside, nested ones included


@dataclass
class Repeat:
    """Instances of one block made by `x count`: module path `name.0`, `name.1`, ... When each
    feeds only the next (`chain`), the parent calls them as one `nn.Sequential`."""

    module: str  # the container's module path, e.g. `block35`
    scopes: list[Scope]
    chain: bool = False


def scope_tree(g: nx.DiGraph) -> Scope:
    root = Scope(None, "", None)
    scopes: dict[str | None, Scope] = {None: root}
    blocks: dict[str, BlockInstance] = g.graph["blocks"]

    def scope(path: str | None) -> Scope:
        if path not in scopes:
            instance = blocks[path]
            s = scopes[path] = Scope(path, instance.module, instance)
            scope(instance.parent).items.append(s)
        return scopes[path]

    for node, data in g.nodes(data=True):
        inner = data["blocks"][-1] if data["blocks"] else None
        scope(inner).items.append(node)
        for path in (*data["blocks"], None):
            scopes[path].nodes.add(node)

    graph_outputs = set(g.graph["outputs"].values())
    for s in scopes.values():
        if s.path is None:
            continue
        for node in g.nodes:
            if node not in s.nodes:
                continue
            for src in g.nodes[node]["inputs"]:
                if src not in s.nodes and src not in s.inputs:
                    s.inputs.append(src)
            if node in graph_outputs or any(dst not in s.nodes for dst in g.successors(node)):
                s.outputs.append(node)
    for s in scopes.values():
        s.items = _group_repeats(g, s.items)
    return root


def _group_repeats(g: nx.DiGraph, items: list) -> list:
    grouped: list = []
    for item in items:
        instance = item.instance if isinstance(item, Scope) else None
        if instance is None or instance.repeat is None:
            grouped.append(item)
            continue
        container = instance.module.rsplit(".", 1)[0]
        last = grouped[-1] if grouped else None
        if isinstance(last, Repeat) and last.module == container:
            last.scopes.append(item)
        else:
            grouped.append(Repeat(container, [item]))
    for item in grouped:
        if isinstance(item, Repeat):
            item.chain = _is_chain(g, item.scopes)
    return grouped


def _is_chain(g: nx.DiGraph, scopes: list[Scope]) -> bool:
    if any(len(s.inputs) != 1 or len(s.outputs) != 1 for s in scopes):
        return False
    graph_outputs = set(g.graph["outputs"].values())
    for prev, nxt in pairwise(scopes):
        out = prev.outputs[0]
        if nxt.inputs[0] != out or out in graph_outputs:
            return False
        if any(dst not in nxt.nodes for dst in g.successors(out)):
            return False
    return True


def training_only(g: nx.DiGraph) -> set[str]:
    """Nodes only auxiliary heads need: computed in training mode only, as torchvision does."""
    return set(g.nodes) - main_path_nodes(g)
