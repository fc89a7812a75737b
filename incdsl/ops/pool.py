"""`maxpool KERNEL [/S] [valid|same|padding=P] [ceil]` and `avgpool ... [no count_include_pad]`:
pooling windows that keep the channels. `ceil` rounds the output size up, as Caffe did and
PyTorch's `ceil_mode=True` does (GoogLeNet, BN-Inception)."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ops import window
from incdsl.ops.base import POOL, Op, Signature, register


@dataclass(frozen=True)
class PoolAttrs(window.Window):
    ceil: bool


@dataclass(frozen=True)
class AvgPoolAttrs(PoolAttrs):
    count_include_pad: bool


def _signature(**flags: bool) -> Signature:
    return Signature(positional=("kernel",), keywords=("stride", "padding"),
                     flags={"ceil": False, **flags}, words=window.WORDS,
                     defaults=dict(window.DEFAULTS), required=("kernel",), wants=window.WANTS)


@register
class MaxPool(Op):
    name = "maxpool"
    kind = "pool"
    doc = "max pooling"
    example = "maxpool 3x3 /2 valid"
    signature = _signature()
    style = POOL
    torch_class = "nn.MaxPool2d"
    title = "MaxPool"
    per_channel = True

    def make(self, args, inputs, cx):
        return PoolAttrs(**window.window(args, "pool size"), ceil=args.flag("ceil")), {}

    def infer(self, a, inputs):
        ho, wo = window.slide(self.name, a, inputs[0], ceil=a.ceil)
        return (inputs[0][0], ho, wo), 0, 0

    def module(self, a):
        from torch import nn

        return nn.MaxPool2d(a.kernel, a.stride, a.padding, ceil_mode=a.ceil)

    def code(self, a, in_channels, value):
        args = [window.pair_text(a.kernel), f"stride={window.pair_text(a.stride)}"]
        if a.padding != (0, 0):
            args.append(f"padding={window.pair_text(a.padding)}")
        return self.torch_class, args + (["ceil_mode=True"] if a.ceil else [])

    def label(self, a):
        size, extra = window.figure_text(a)
        return f"{size} {self.title}" + (f" ({' '.join(extra)})" if extra else "")

    def describe(self, a):
        return window.summary_text(self.name, a) + (" ceil" if a.ceil else "")


@register
class AvgPool(MaxPool):
    name = "avgpool"
    doc = "average pooling; `no count_include_pad` leaves the padding out (TF's SAME)"
    example = "avgpool 3x3 no count_include_pad"
    signature = _signature(count_include_pad=True)
    torch_class = "nn.AvgPool2d"
    title = "Avg Pooling"
    linear = True

    def make(self, args, inputs, cx):
        return AvgPoolAttrs(**window.window(args, "pool size"), ceil=args.flag("ceil"),
                            count_include_pad=args.flag("count_include_pad")), {}

    def module(self, a):
        from torch import nn

        return nn.AvgPool2d(a.kernel, a.stride, a.padding, ceil_mode=a.ceil,
                            count_include_pad=a.count_include_pad)

    def code(self, a, in_channels, value):
        head, args = super().code(a, in_channels, value)
        return head, args + ([] if a.count_include_pad else ["count_include_pad=False"])

    def describe(self, a):
        return super().describe(a) + ("" if a.count_include_pad else " excl-pad")
