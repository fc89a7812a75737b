"""Pool/1x1 commutation: `avgpool -> conv 1x1` becomes `conv 1x1 -> avgpool` when the
convolution has fewer output channels than the pool has (so the pool does less work) and the
pool keeps the grid size (so the convolution does not do more).

Both are linear, so the swap is exact for the convolution proper; what follows it (BatchNorm,
ReLU) must stay after the pool, so it becomes a layer of its own there: a `moved_bn` in
training, a `shift` (the folded bias) or an in-place ReLU in inference. A bias commutes with
an average pool only where every window's weights sum to one: not when the pool counts its
zero padding, so then the bias is added after the pool. The convolution now reads what the
pool read, which makes it a sibling of that tensor's other 1x1 convolutions.
"""

from __future__ import annotations

from dataclasses import fields, replace

from incdsl.ir.graph import Graph, Node
from incdsl.ops import OPS
from incdsl.ops.folded_conv import FoldedConvAttrs
from incdsl.ops.moved_bn import MovedBatchNormAttrs
from incdsl.ops.origin import Origin, Rebuilt
from incdsl.ops.shift import ShiftAttrs
from incdsl.passes.edit import fresh, groups_of, modules, only_reader, rebuild, scope_module

FOLDED, BATCHNORM, SHIFT, RELU = "folded_conv", "moved_bn", "shift", "relu_inplace"


def _candidate(g: Graph, pool: str, training: bool) -> str | None:
    """The 1x1 convolution that may move in front of this pool, if any."""
    p = g.nodes[pool]
    if not (OPS[p.op].linear and OPS[p.op].per_channel):
        return None
    conv = only_reader(g, pool)
    if conv is None:
        return None
    c = g.nodes[conv]
    a = c.attrs
    if not (OPS[c.op].convolution and groups_of(a) == 1 and a.kernel == (1, 1)
            and a.stride == (1, 1) and a.padding == (0, 0) and c.scope == p.scope):
        return None
    if p.shape[1:] != g.nodes[p.inputs[0]].shape[1:] or a.out_channels >= p.shape[0]:
        return None
    if c.exprs.get("relu") is not None:  # a ReLU a parameter switches stays where it is
        return None
    if training and isinstance(OPS[c.op], Rebuilt):
        return None
    if training and a.bias and _counts_padding(p):  # the bias would need a layer to train
        return None
    return conv


def _counts_padding(p: Node) -> bool:
    return p.attrs.padding != (0, 0) and p.attrs.get("count_include_pad", True)


def commute_pool(g: Graph, *, training: bool) -> Graph:
    moved = {}  # pool -> conv
    for node in g.nodes:
        conv = _candidate(g, node, training)
        if conv is not None:
            moved[node] = conv
    convs = set(moved.values())
    ids, paths = set(g.nodes), modules(g)
    nodes, alias = [], {}
    for node, data in g.nodes(data=True):
        if node in convs:
            continue  # made where its pool was
        if node not in moved:
            nodes.append((node, data))
            continue
        conv = moved[node]
        c = g.nodes[conv]
        a = c.attrs
        if isinstance(OPS[c.op], Rebuilt):  # inference: already folded
            origin = a.origin
        else:
            origin = Origin(c.module, a.out_channels, a.bn, a.bias, a.eps)
        late_bias = _counts_padding(data) and a.bias and not training
        same = {f.name: getattr(a, f.name) for f in fields(a)}
        same.update(bias=a.bias and not late_bias, bn=False,
                    relu=False, origin=origin.with_(shift=not late_bias),
                    layers=getattr(a, "layers", (conv,)))
        linear_id = fresh(ids, c.scope, conv.rsplit("/", 1)[-1] + "_linear")
        linear = Node(op=FOLDED, attrs=FoldedConvAttrs(**same), inputs=list(data.inputs),
                      module=c.module, blocks=c.blocks, scope=c.scope, loc=c.loc,
                      exprs={"out_channels": c.exprs.get("out_channels")})
        nodes.append((linear_id, linear))
        nodes.append((node, replace(data, inputs=[linear_id], shape=())))
        after = _after(a, origin, training, late_bias, getattr(a, "layers", (conv,)))
        if after is None:
            alias[conv] = node
            continue
        op, attrs, stem = after  # takes the convolution's id: its readers stay as they are
        module = fresh(paths, scope_module(g, c.scope), stem, ".") if OPS[op].has_module \
            else None
        nodes.append((conv, Node(op=op, attrs=attrs, inputs=[node], module=module,
                                 blocks=c.blocks, scope=c.scope, loc=c.loc)))
    return rebuild(g, nodes, f"commute_pool: {len(moved)} average pool(s) moved behind their "
                   "1x1 convolution", alias=alias)


def _after(a, origin: Origin, training: bool, late_bias: bool, layers):
    """What must follow the pool: (op, attrs, name stem), or None."""
    if training and a.bn:
        return BATCHNORM, MovedBatchNormAttrs(a.out_channels, a.eps, a.momentum, a.relu, origin,
                                               layers), "bn"
    if late_bias:
        return SHIFT, ShiftAttrs(a.out_channels, a.relu, origin.with_(shift=False), layers), \
            "shift"
    if a.relu:
        return RELU, None, "relu"
    return None

