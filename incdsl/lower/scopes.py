"""Group the graph IR's nodes by module: the shape of the module tree and of each `forward`.

A `Scope` is one module with a forward of its own: the network, a block instance, a branch of
several layers, an auxiliary head. Its `items`, in spec order, are its own nodes (node ids) and
the scopes directly inside it; consecutive instances of one `x count` (of a block or a layer)
are gathered into a `Repeat`. A scope reads `inputs` (node ids outside it) and hands `outputs`
(node ids inside it) on. Both the in-memory builder and the code generator read the graph
through this view only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import networkx as nx

from incdsl.ir.graph import BlockInstance, Container
from incdsl.ops import OPS


@dataclass(eq=False)
class Scope:
    path: str | None  # graph path, None for the network
    module: str  # module path ('' for the network)
    instance: BlockInstance | None = None  # when it is a block instance
    container: Container | None = None  # when it is a branch or a head
    items: list = field(default_factory=list)  # node ids, Scopes and Repeats
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    nodes: set[str] = field(default_factory=set)  # every node inside, nested ones included
    sequence: bool = False  # a container whose items each feed the next: an nn.Sequential

    @property
    def name(self) -> str:
        """The module's attribute name in its parent (`branch1`, `mixed_5b`, `3`)."""
        return self.module.rsplit(".", 1)[-1]


@dataclass(eq=False)
class Repeat:
    """The instances of one `x count` (scopes of a block, or nodes of a layer): module path
    `name.0`, `name.1`, ... in an nn.Sequential. When each feeds only the next (`chain`), the
    parent calls the Sequential once."""

    module: str  # the Sequential's module path, e.g. `block35`
    members: list  # Scopes or node ids
    chain: bool = False

    @property
    def name(self) -> str:
        return self.module.rsplit(".", 1)[-1]


def scope_tree(g: nx.DiGraph) -> Scope:
    root = Scope(None, "")
    scopes: dict[str | None, Scope] = {None: root}
    blocks, containers = g.graph["blocks"], g.graph["containers"]

    def parent_of(path: str) -> str | None:
        while "/" in path:
            path = path.rsplit("/", 1)[0]
            if path in blocks or path in containers:
                return path
        return None

    def scope(path: str | None) -> Scope:
        if path not in scopes:
            instance, container = blocks.get(path), containers.get(path)
            module = (instance or container).module
            s = scopes[path] = Scope(path, module, instance, container)
            scope(parent_of(path)).items.append(s)
        return scopes[path]

    for node, data in g.nodes(data=True):
        own = scope(data["scope"])
        own.items.append(node)
        path = data["scope"]
        while path is not None:
            scopes[path].nodes.add(node)
            path = parent_of(path)
        root.nodes.add(node)

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
        s.sequence = s.container is not None and _is_sequence(g, s)
    return root


def _group_repeats(g: nx.DiGraph, items: list) -> list:
    grouped: list = []
    for item in items:
        container = _repeat_container(g, item)
        if container is None:
            grouped.append(item)
            continue
        last = grouped[-1] if grouped else None
        if isinstance(last, Repeat) and last.module == container:
            last.members.append(item)
        else:
            grouped.append(Repeat(container, [item]))
    for item in grouped:
        if isinstance(item, Repeat):
            item.chain = _is_chain(g, [_ends(g, m) for m in item.members]) and all(
                isinstance(m, Scope) or plain_call(g, m) for m in item.members)
    return grouped


def _repeat_container(g: nx.DiGraph, item) -> str | None:
    """The Sequential an item is one element of (`block35` for `block35.3`), if any."""
    if isinstance(item, Scope):
        if item.instance is None or item.instance.repeat is None:
            return None
        return item.module.rsplit(".", 1)[0]
    module = g.nodes[item]["module"]
    if module is None or not module.rsplit(".", 1)[-1].isdigit():
        return None
    return module.rsplit(".", 1)[0]


def _ends(g: nx.DiGraph, item) -> tuple[list[str], list[str], set[str]]:
    """(inputs, outputs, nodes) of an item."""
    if isinstance(item, Scope):
        return item.inputs, item.outputs, item.nodes
    return g.nodes[item]["inputs"], [item], {item}


def _is_chain(g: nx.DiGraph, ends: list[tuple[list[str], list[str], set[str]]]) -> bool:
    """Whether each item reads one tensor, the previous item's only output, which nothing
    else reads: then calling them in turn is one call of a Sequential."""
    if any(len(i) != 1 or len(o) != 1 for i, o, _ in ends):
        return False
    graph_outputs = set(g.graph["outputs"].values())
    for (_, (out,), _), ((nxt,), _, inside) in pairwise(ends):
        if nxt != out or out in graph_outputs or any(d not in inside for d in g.successors(out)):
            return False
    return True


def plain_call(g: nx.DiGraph, node: str) -> bool:
    """Whether a node's forward is just its module called on its one input."""
    data = g.nodes[node]
    op = OPS[data["op"]]
    if not op.has_module or len(data["inputs"]) != 1:
        return False
    text = op.forward(data["attrs"], ["x"], "m", lambda attr: repr(data["attrs"][attr]))
    return text == "m(x)"


def _is_sequence(g: nx.DiGraph, scope: Scope) -> bool:
    """A container whose items, each a module called plainly, feed one another in order."""
    if len(scope.inputs) != 1 or len(scope.outputs) != 1:
        return False
    for item in scope.items:
        if isinstance(item, Repeat) and not item.chain:
            return False
        if isinstance(item, str) and not plain_call(g, item):
            return False
    ends = [_item_ends(g, item) for item in scope.items]
    return ends[0][0] == scope.inputs and ends[-1][1] == scope.outputs and _is_chain(g, ends)


def _item_ends(g: nx.DiGraph, item) -> tuple[list[str], list[str], set[str]]:
    if isinstance(item, Repeat):
        ends = [_ends(g, m) for m in item.members]
        return ends[0][0], ends[-1][1], set().union(*(nodes for _, _, nodes in ends))
    return _ends(g, item)
