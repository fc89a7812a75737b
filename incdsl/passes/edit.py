"""What the passes share: a graph rebuilt from a list of nodes in order (the order is the
forward's), shapes inferred for the nodes a pass made, fresh names in a scope, the scopes
around a node.

A pass never edits the graph it is given: it lists the nodes of the new one, in order, and
`rebuild` makes it. A node whose `shape` is `()` is new; its op infers its shape, parameters
and multiply-accumulates from its inputs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import replace

import networkx as nx

from incdsl.ir.graph import Graph, Node, add_node, main_path_nodes
from incdsl.ops import OPS


def rebuild(g: Graph, nodes: Iterable[tuple[str, Node]], note: str, *,
            alias: dict[str, str] | None = None) -> Graph:
    """A new graph of `nodes` (in order) with g's network record; `alias` maps removed nodes
    to the ones that now compute their value (inputs and outputs are rewired); `note` says
    what the pass did. Nodes no output needs any more are dropped."""
    alias = alias or {}

    def follow(n: str) -> str:
        while n in alias:
            n = alias[n]
        return n

    new = Graph()
    for key in g.graph:
        new.graph[key] = copy.copy(g.graph[key])
    new.graph["outputs"] = {k: follow(v) for k, v in g.graph["outputs"].items()}
    new.graph["passes"] = [*g.graph["passes"], note]
    for node_id, node in nodes:
        node = replace(node, inputs=[follow(i) for i in node.inputs])
        if node.shape == ():
            op = OPS[node.op]
            shape, params, macs = op.infer(node.attrs, [new.nodes[i]["shape"]
                                                        for i in node.inputs])
            node = replace(node, shape=shape, params=params, macs=macs)
        add_node(new, node_id, node)
    return _pruned(new)


def _pruned(g: Graph) -> Graph:
    needed = {g.graph["input"]}
    for out in g.graph["outputs"].values():
        needed |= nx.ancestors(g, out) | {out}
    g.remove_nodes_from([n for n in list(g.nodes) if n not in needed])
    return g


def fresh(taken: set[str], scope: str | None, stem: str, sep: str = "/") -> str:
    """`scope/stem`, or `scope/stem_2`, ... : a name not taken yet (added to `taken`)."""
    base = f"{scope}{sep}{stem}" if scope else stem
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def modules(g: Graph) -> set[str]:
    """Every module path in use (a new module must not take one)."""
    paths = {d["module"] for _, d in g.nodes(data=True) if d["module"]}
    paths |= {b.module for b in g.graph["blocks"].values()}
    return paths | {c.module for c in g.graph["containers"].values()}


def scope_module(g: Graph, scope: str | None) -> str | None:
    if scope is None:
        return None
    found = g.graph["blocks"].get(scope) or g.graph["containers"].get(scope)
    return found.module


def ancestors(g: Graph, scope: str | None) -> list[str | None]:
    """The scope and those around it, innermost first, ending with None (the network)."""
    out = [scope]
    path = scope
    while path is not None:
        parent = None
        while "/" in path:
            path = path.rsplit("/", 1)[0]
            if path in g.graph["blocks"] or path in g.graph["containers"]:
                parent = path
                break
        else:
            path = None
        out.append(parent)
        path = parent
    return out


def only_reader(g: Graph, node: str) -> str | None:
    """The one node that reads `node`, if exactly one does and it is no output."""
    readers = list(g.successors(node))
    if len(readers) != 1 or node in g.graph["outputs"].values():
        return None
    return readers[0]


def in_training_only(g: Graph) -> set[str]:
    return set(g.nodes) - main_path_nodes(g)


def groups_of(attrs) -> int:
    """Grouped convolutions are never rewritten (the ops the passes make have no groups)."""
    return attrs.get("groups", 1)
