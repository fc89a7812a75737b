"""Sibling fusion: convolutions that read the same tensor with the same kernel, stride and
padding become one convolution (`fused_conv`) whose output channels are theirs side by side;
each former layer becomes a `slice` of it (a view), under its own id, so its readers read
the same name. Every Inception block's 1x1 reductions are such siblings.

Exact in training as well: BatchNorm and ReLU act per channel, so one BatchNorm over all the
channels is each layer's own side by side (only layers with the same eps and momentum, and
in training the same ReLU and bias, are put together). Grouped convolutions stay as they are.
The fused layer lives in the innermost scope around all of its parts and is computed before
the first of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from incdsl.ir.graph import Graph, Node
from incdsl.ops import OPS
from incdsl.ops.fused_conv import FusedConvAttrs
from incdsl.ops.origin import Origin, Rebuilt
from incdsl.ops.slice import SliceAttrs
from incdsl.passes.edit import (
    ancestors,
    fresh,
    groups_of,
    in_training_only,
    modules,
    rebuild,
    scope_module,
)

FUSED, SLICE = "fused_conv", "slice"


def _origin(g: Graph, node: str) -> Origin:
    data = g.nodes[node]
    if isinstance(OPS[data.op], Rebuilt):
        return data.attrs.origin
    a = data.attrs
    return Origin(data.module, a.out_channels, a.bn, a.bias, a.eps)


def _key(g: Graph, node: str, training: bool, aux: set[str]):
    """Siblings with equal keys fuse; None: this one does not."""
    data = g.nodes[node]
    a = data.attrs
    if not OPS[data.op].convolution or groups_of(a) != 1 or len(data.inputs) != 1:
        return None
    if OPS[data.op].view or (isinstance(OPS[data.op], Rebuilt) and not hasattr(a, "origin")):
        return None
    if data.exprs.get("relu") is not None:
        return None
    key = (a.kernel, a.stride, a.padding, a.bn, node in aux)
    if a.bn:
        key += (a.eps, a.momentum, a.relu)
    if training:  # a bias of zeros for some parts would be trained; in inference it is not
        key += (a.bias, a.relu)
    return key


def _groups(g: Graph, training: bool) -> list[list[str]]:
    aux = in_training_only(g)
    order = {n: i for i, n in enumerate(g.nodes)}
    out = []
    for tensor in g.nodes:
        buckets = defaultdict(list)
        for reader in sorted(set(g.successors(tensor)), key=order.get):
            key = _key(g, reader, training, aux)
            if key is not None:
                buckets[key].append(reader)
        out += [parts for parts in buckets.values() if len(parts) > 1]
    return out


def _placement(g: Graph, parts: list[str], first: dict) -> tuple[str | None, int]:
    """The innermost scope around all parts, and the position (in node order) before which
    the fused layer must be computed: before any part, and before the scopes that hold them
    start (their forward reads it)."""
    chains = [ancestors(g, g.nodes[p].scope) for p in parts]
    common = next(s for s in chains[0] if all(s in c for c in chains[1:]))
    order = {n: i for i, n in enumerate(g.nodes)}
    at = min(order[p] for p in parts)
    for chain in chains:
        for scope in chain[:chain.index(common)]:
            at = min(at, first[scope])
    return common, at


def fuse_siblings(g: Graph, *, training: bool) -> Graph:
    groups = _groups(g, training)
    first: dict = {}
    for index, (node, data) in enumerate(g.nodes(data=True)):
        for scope in ancestors(g, data.scope):
            first.setdefault(scope, index)
    order = {n: i for i, n in enumerate(g.nodes)}
    ids, paths = set(g.nodes), modules(g)
    before: dict[int, list[tuple[str, Node]]] = defaultdict(list)  # position -> new nodes
    slices: dict[str, Node] = {}
    fused_count = 0
    for parts in groups:
        scope, at = _placement(g, parts, first)
        source = g.nodes[parts[0]].inputs[0]
        if order[source] >= at:
            continue
        datas = [g.nodes[p] for p in parts]
        a = datas[0].attrs
        attrs = FusedConvAttrs(
            kernel=a.kernel, stride=a.stride, padding=a.padding, in_channels=a.in_channels,
            widths=tuple(d.attrs.out_channels for d in datas),
            relu=tuple(d.attrs.relu for d in datas),
            bias=any(d.attrs.bias for d in datas), bn=a.bn, eps=a.eps, momentum=a.momentum,
            origins=tuple(_origin(g, p) for p in parts),
            layers=tuple(lay for p, d in zip(parts, datas)
                         for lay in getattr(d.attrs, "layers", (p,))))
        fused = fresh(ids, scope, "fused")
        outer = next((b for b in datas[0].blocks if b == scope or scope and
                      scope.startswith(b + "/")), None)
        blocks = datas[0].blocks[:datas[0].blocks.index(outer) + 1] if outer else ()
        before[at].append((fused, Node(
            op=FUSED, attrs=attrs, inputs=[source], blocks=blocks, scope=scope,
            module=fresh(paths, scope_module(g, scope), "fused", "."), loc=datas[0].loc)))
        start = 0
        for p, d in zip(parts, datas):
            stop = start + d.attrs.out_channels
            slices[p] = replace(d, op=SLICE, attrs=SliceAttrs(start, stop), inputs=[fused],
                                module=None, exprs={}, shape=(), params=0, macs=0)
            start = stop
        fused_count += len(parts)
    nodes = []
    for index, (node, data) in enumerate(g.nodes(data=True)):
        nodes += before.get(index, [])
        nodes.append((node, slices.get(node, data)))
    made = sum(len(v) for v in before.values())
    return rebuild(g, nodes, f"fuse_siblings: {fused_count} convolution(s) fused into {made}")
