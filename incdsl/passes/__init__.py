"""Optimising passes on the graph IR: each a plain function from graph to graph, each in its
own module. `optimize(g, "inference" | "training")` runs the passes of a mode in order; the
result records what each did (`g.graph["passes"]`). The rewritten layers are ops of their
own (`fused_conv`, `folded_conv`, `slice`, ...) that know which spec layers they hold, so the
optimised model loads and saves the spec's own state_dict (`incdsl.nn.canonical`)."""

from __future__ import annotations

from functools import partial

from incdsl.errors import UsageError
from incdsl.ir.graph import Graph
from incdsl.passes.commute_pool import commute_pool
from incdsl.passes.concat_views import concat_views
from incdsl.passes.drop_dropout import drop_dropout
from incdsl.passes.fold_bn import fold_bn
from incdsl.passes.fold_scale import fold_scale
from incdsl.passes.fuse_siblings import fuse_siblings
from incdsl.passes.inplace_relu import inplace_relu

PASSES = {
    # Exact in training mode too: the model trains as the spec's would.
    "training": (partial(commute_pool, training=True), partial(fuse_siblings, training=True),
                 concat_views),
    # Eval mode only: BatchNorm folded, dropout gone.
    "inference": (drop_dropout, fold_bn, fold_scale, partial(commute_pool, training=False),
                  partial(fuse_siblings, training=False), concat_views, inplace_relu),
}
MODES = tuple(PASSES)


def optimize(g: Graph, mode: str) -> Graph:
    if mode not in PASSES:
        raise UsageError(f"unknown optimisation '{mode}': choose {' or '.join(MODES)}")
    if g.graph["optimized"]:
        raise UsageError(f"this graph is already optimised for {g.graph['optimized']}")
    for rewrite in PASSES[mode]:
        g = rewrite(g)
    g.graph["optimized"] = mode
    return g


__all__ = ["MODES", "PASSES", "commute_pool", "concat_views", "drop_dropout", "fold_bn",
           "fold_scale", "fuse_siblings", "inplace_relu", "optimize"]
