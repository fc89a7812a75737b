"""`adaptive avgpool HxW` / `adaptive maxpool HxW`: pool any map to a fixed grid (PyTorch's
AdaptiveAvgPool2d), as GoogLeNet's auxiliary heads do (4x4); `adaptive avgpool 1x1` keeps the
pooled channels as a 1x1 map, as squeeze-and-excitation does."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops.base import POOL, Op, ShapeError, Signature, register
from incdsl.ops.window import pair_text

_MODES = {"avg": ("nn.AdaptiveAvgPool2d", "Avg"), "max": ("nn.AdaptiveMaxPool2d", "Max")}


@dataclass(frozen=True)
class AdaptiveAttrs(Attrs):
    mode: str  # "avg" or "max"
    size: tuple[int, int]


@register
class AdaptivePool(Op):
    name = "adaptive"
    kind = "pool"
    doc = "pool any map to a fixed grid: `adaptive avgpool 4x4`"
    example = "adaptive avgpool 4x4"
    signature = Signature(positional=("mode", "size"),
                          words={"avgpool": ("mode", "avg"), "maxpool": ("mode", "max")},
                          required=("mode", "size"),
                          wants={"mode": "avgpool or maxpool", "size": "an output size like 4x4"})
    style = POOL

    def make(self, args, inputs, cx):
        return AdaptiveAttrs(args["mode"], args.pair("size", "output size")), {}

    def infer(self, a, inputs):
        shape = inputs[0]
        if len(shape) != 3:
            raise ShapeError(f"adaptive {a.mode}pool needs a C x H x W feature map, got a vector "
                             f"of {shape[0]}")
        return (shape[0], *a.size), 0, 0

    def module(self, a):
        from torch import nn

        return getattr(nn, _MODES[a.mode][0][3:])(a.size)

    def code(self, a, in_channels, value):
        size = pair_text(a.size)
        return _MODES[a.mode][0], [size if "(" in size else f"({size}, {size})"]

    def label(self, a):
        return f"Adaptive {_MODES[a.mode][1]} Pooling ({a.size[0]}x{a.size[1]})"

    def describe(self, a):
        return f"adaptive {a.mode} {a.size[0]}x{a.size[1]}"
