"""The graph IR: a `networkx.DiGraph` in which every node is one tensor operation with its shape.

Node ids are paths through the spec, like `block35[3]/branch1/conv2`: instance names
separated by `/`, repeats indexed in brackets. Every node has these attributes:

    op       'input' | 'conv' | 'maxpool' | 'avgpool' | 'global_avgpool' | 'global_maxpool'
             | 'concat' | 'add' | 'relu' | 'dropout' | 'linear' | 'flatten'
    attrs    the op's settings (see below), plain Python values
    inputs   ordered list of input node ids (concat order, add's [trunk, residual])
    shape    output shape: (C, H, W) for feature maps, (C,) for vectors
    params   number of trainable parameters
    macs     multiply-accumulates for one image
    module   dotted module path for the torch backend (`block35.3.branch1.conv2`),
             or None for ops that own no module (concat, add)
    blocks   tuple of enclosing block-instance paths, outermost first
    loc      the spec Location of the statement that made it
    exprs    attr name -> spec text, for attrs the spec computed from parameters rather than
             wrote as numbers (`{"out_channels": "pool"}`): what code generation needs to
             turn an instance back into a class with constructor arguments

attrs by op:
    input    {}
    conv     in_channels, out_channels, kernel (kh, kw), stride (sh, sw), padding (ph, pw),
             bias, bn, eps, momentum, relu, init_std (float or None)
    maxpool  kernel, stride, padding
    avgpool  kernel, stride, padding, count_include_pad
    add      scale (float), relu (bool): relu(trunk + scale * residual) or without relu
    dropout  p
    linear   in_features, out_features, bias, init_std
    others   {}

Graph attributes (`graph.graph`): `name` (network name), `params` (the resolved network
parameters), `input` (node id), `outputs` (dict: output name -> node id, `logits` first;
auxiliary heads after it), `aux` (set of output names that are auxiliary heads),
`blocks` (dict: instance path -> BlockInstance), `source` (file path).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from incdsl.errors import Location

FEATURE_OPS = {"conv", "maxpool", "avgpool"}
PARAMETRIC_OPS = {"conv", "linear"}


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
    arg_exprs: dict = field(default_factory=dict)  # parameter -> spec text where not a number


def new_graph(name: str, source: str) -> nx.DiGraph:
    g = nx.DiGraph()
    g.graph.update(name=name, source=source, params={}, input=None, outputs={}, aux=set(),
                   blocks={})
    return g


def add_node(g: nx.DiGraph, node_id: str, op: str, inputs: list[str], **data) -> str:
    assert node_id not in g, node_id
    g.add_node(node_id, op=op, inputs=list(inputs), **data)
    for index, src in enumerate(inputs):
        g.add_edge(src, node_id, index=index)
    return node_id


def nodes_in_order(g: nx.DiGraph) -> list[str]:
    """Nodes in the order the spec wrote them (a topological order)."""
    return list(g.nodes)


def total_params(g: nx.DiGraph) -> int:
    return sum(d["params"] for _, d in g.nodes(data=True))


def total_macs(g: nx.DiGraph, *, with_aux: bool = True) -> int:
    nodes = g.nodes if with_aux else main_path_nodes(g)
    return sum(g.nodes[n]["macs"] for n in nodes)


def main_path_nodes(g: nx.DiGraph) -> set[str]:
    """Nodes that the main output depends on (auxiliary heads excluded)."""
    out = g.graph["outputs"]["logits"]
    return nx.ancestors(g, out) | {out}


def format_shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)
