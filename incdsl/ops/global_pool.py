"""`global avgpool` / `global maxpool`: the whole map pooled to a vector of its channels."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops.base import HEAD, Helper, Op, ShapeError, Signature, register

_POOLS = {
    "avg": Helper("GlobalAvgPool", '''
class GlobalAvgPool(nn.Module):
    """(N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
'''),
    "max": Helper("GlobalMaxPool", '''
class GlobalMaxPool(nn.Module):
    """(N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(F.adaptive_max_pool2d(x, 1), 1)
'''),
}


@dataclass(frozen=True)
class GlobalAttrs(Attrs):
    mode: str  # "avg" or "max"


@register
class GlobalPool(Op):
    name = "global"
    kind = "pool"
    doc = "pool the whole map to a vector of C: `global avgpool`, `global maxpool`"
    example = "global avgpool"
    signature = Signature(positional=("mode",),
                          words={"avgpool": ("mode", "avg"), "maxpool": ("mode", "max")},
                          required=("mode",), wants={"mode": "avgpool or maxpool"})
    style = HEAD
    helpers = tuple(_POOLS.values())

    def make(self, args, inputs, cx):
        return GlobalAttrs(args["mode"]), {}

    def infer(self, a, inputs):
        shape = inputs[0]
        if len(shape) != 3:
            raise ShapeError(f"global {a.mode}pool needs a C x H x W feature map, "
                             f"got a vector of {shape[0]}")
        return (shape[0],), 0, 0

    def module(self, a):
        from incdsl.ops.helpers import helper_class

        return helper_class(_POOLS[a.mode])()

    def code(self, a, in_channels, value):
        return _POOLS[a.mode].name, []

    def label(self, a):
        return "Average Pooling" if a.mode == "avg" else "Max Pooling"

    def describe(self, a):
        return f"global {a.mode}"
