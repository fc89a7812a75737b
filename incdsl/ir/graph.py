"""The graph IR: a `networkx.DiGraph` whose nodes are typed `Node`s, one tensor operation each.

Node ids are paths through the spec, like `block35[3]/branch1/conv2`: instance names separated
by `/`, repeats indexed in brackets. A node's payload is a `Node`: its op (a name in the op
registry, `incdsl.ops`), the op's typed attributes, the ordered inputs, the output shape, its
parameters and multiply-accumulates, its module path, the block instances around it and the
spec location that made it. For convenience it also reads like the dict networkx users know:
`g.nodes[n]["shape"]` is `g.nodes[n].shape`.

The graph's own payload (`g.graph`) is a `Network`: its name, source file, resolved parameters,
input node, outputs (`logits` first, auxiliary heads after), the block instances and the other
module scopes (multi-layer branches, auxiliary heads), by path.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from typing import Any

import networkx as nx

from incdsl.errors import Location
from incdsl.ir.expr import Expr

Shape = tuple[int, ...]  # (C, H, W) for feature maps, (C,) for vectors


@cache
def _field_names(cls: type) -> dict[str, None]:
    """A dataclass's field names, in order (asked on every item access, so kept per class)."""
    return dict.fromkeys(f.name for f in fields(cls))


class _Record(MutableMapping):
    """A dataclass that networkx can hold as an attribute dict: its fields are its keys, and
    no other key can be set, so a misspelt attribute fails instead of being stored."""

    def __getitem__(self, key: str) -> Any:
        if key not in _field_names(type(self)):
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in _field_names(type(self)):
            raise KeyError(f"{type(self).__name__} has no field '{key}'")
        setattr(self, key, value)

    def __delitem__(self, key: str) -> None:
        raise TypeError(f"{type(self).__name__} fields cannot be deleted")

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    @classmethod
    def _keys(cls) -> tuple[str, ...]:
        return tuple(_field_names(cls))

    def copy(self):
        return replace(self)


@dataclass(frozen=True)
class Attrs:
    """Base of every op's typed attributes (a frozen dataclass per op). They also read like a
    dict, `attrs["kernel"]`, for scripts written against plain graphs."""

    def __getitem__(self, key: str) -> Any:
        if key not in _field_names(type(self)):
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


@dataclass(eq=False)
class Node(_Record):
    op: str = ""  # the op's name in the registry: 'conv', 'concat', 'add', ...
    attrs: Attrs | None = None  # the op's typed attributes
    inputs: list[str] = field(default_factory=list)  # concat order; add's [trunk, residual]
    shape: Shape = ()
    params: int = 0
    macs: int = 0  # multiply-accumulates for one image
    module: str | None = None  # dotted module path (`block35.3.branch1.conv2`) or None
    blocks: tuple[str, ...] = ()  # enclosing block-instance paths, outermost first
    scope: str | None = None  # the innermost module scope (block instance, branch, head)
    loc: Location | None = None  # the statement that made it
    exprs: dict[str, Expr] = field(default_factory=dict)  # attr -> how parameters computed it


@dataclass(frozen=True)
class BlockInstance:
    """One use of a block: `Block35 x10` makes ten, `block35[0]` ... `block35[9]`."""

    path: str  # graph path, e.g. "block35[3]"
    module: str  # module path, e.g. "block35.3"
    block: str  # the block's name, e.g. "Block35"
    args: dict = field(default_factory=dict)  # resolved parameter values
    loc: Location | None = None  # where it was used
    definition: Location | None = None  # where the block is defined
    parent: str | None = None  # enclosing instance path, None at network level
    repeat: tuple[int, int] | None = None  # (index, count) when made by `x count`
    arg_exprs: dict[str, Expr] = field(default_factory=dict)  # parameter -> its expression


@dataclass(frozen=True)
class Container:
    """A module scope that is not a block instance: a branch of several layers in a concat
    (`branch1`), or an auxiliary head (`aux_logits`)."""

    path: str
    module: str
    kind: str  # "branch" or "aux"


@dataclass(eq=False)
class Network(_Record):
    name: str = ""
    source: str = ""
    params: dict = field(default_factory=dict)  # the resolved network parameters
    input: str | None = None  # the input node
    outputs: dict[str, str] = field(default_factory=dict)  # output name -> node, logits first
    aux: set[str] = field(default_factory=set)  # outputs that are auxiliary heads
    blocks: dict[str, BlockInstance] = field(default_factory=dict)  # by instance path
    containers: dict[str, Container] = field(default_factory=dict)  # by path
    optimized: str | None = None  # "inference" or "training" once incdsl.passes rewrote it
    passes: list[str] = field(default_factory=list)  # what each optimising pass did, in order


class Graph(nx.DiGraph):
    """A DiGraph whose node and graph payloads are the typed records above."""

    node_attr_dict_factory = Node
    graph_attr_dict_factory = Network

    def node(self, node_id: str) -> Node:
        return self._node[node_id]

    @property
    def info(self) -> Network:
        return self.graph


def new_graph(name: str, source: str) -> Graph:
    g = Graph()
    g.graph.update(name=name, source=source)
    return g


def add_node(g: Graph, node_id: str, node: Node) -> str:
    assert node_id not in g, node_id
    g.add_node(node_id, **node)
    for index, src in enumerate(node.inputs):
        g.add_edge(src, node_id, index=index)
    return node_id


def total_params(g: nx.DiGraph) -> int:
    return sum(d["params"] for _, d in g.nodes(data=True))


def total_macs(g: nx.DiGraph, *, with_aux: bool = True) -> int:
    nodes = g.nodes if with_aux else main_path_nodes(g)
    return sum(g.nodes[n]["macs"] for n in nodes)


def main_path_nodes(g: nx.DiGraph) -> set[str]:
    """Nodes that the main output depends on (auxiliary heads excluded)."""
    out = g.graph["outputs"]["logits"]
    return nx.ancestors(g, out) | {out}


def training_only(g: nx.DiGraph) -> set[str]:
    """Nodes only auxiliary heads need: computed in training mode only, as torchvision does."""
    return set(g.nodes) - main_path_nodes(g)


def format_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)
