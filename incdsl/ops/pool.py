"""`maxpool KERNEL [/S] [valid|same|padding=P]` and `avgpool ... [no count_include_pad]`:
pooling windows that keep the channels."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ops import window
from incdsl.ops.base import POOL, Op, Signature, register

_STYLE = POOL


@register
class MaxPool(Op):
    name = "maxpool"
    kind = "pool"
    doc = "max pooling"
    example = "maxpool 3x3 /2 valid"
    signature = Signature(positional=("kernel",), keywords=("stride", "padding"),
                          words=window.WORDS, defaults=dict(window.DEFAULTS),
                          required=("kernel",), wants=window.WANTS)
    style = _STYLE
    per_channel = True

    def make(self, args, inputs, cx):
        return window.Window(**window.window(args, "pool size")), {}

    def infer(self, a, inputs):
        ho, wo = window.slide(self.name, a, inputs[0])
        return (inputs[0][0], ho, wo), 0, 0

    def module(self, a):
        from torch import nn

        return nn.MaxPool2d(a.kernel, a.stride, a.padding)

    def code(self, a, in_channels, value):
        return "nn.MaxPool2d", self._code_args(a)

    def _code_args(self, a) -> list[str]:
        args = [window.pair_text(a.kernel), f"stride={window.pair_text(a.stride)}"]
        if a.padding != (0, 0):
            args.append(f"padding={window.pair_text(a.padding)}")
        return args

    def label(self, a):
        size, extra = window.figure_text(a)
        return f"{size} MaxPool" + (f" ({' '.join(extra)})" if extra else "")

    def describe(self, a):
        return window.summary_text(self.name, a)


@dataclass(frozen=True)
class AvgPoolAttrs(window.Window):
    count_include_pad: bool


@register
class AvgPool(MaxPool):
    name = "avgpool"
    doc = "average pooling; `no count_include_pad` leaves the padding out (TF's SAME)"
    example = "avgpool 3x3 no count_include_pad"
    signature = Signature(positional=("kernel",), keywords=("stride", "padding"),
                          flags={"count_include_pad": True}, words=window.WORDS,
                          defaults=dict(window.DEFAULTS), required=("kernel",),
                          wants=window.WANTS)
    linear = True

    def make(self, args, inputs, cx):
        return AvgPoolAttrs(**window.window(args, "pool size"),
                            count_include_pad=args.flag("count_include_pad")), {}

    def module(self, a):
        from torch import nn

        return nn.AvgPool2d(a.kernel, a.stride, a.padding, count_include_pad=a.count_include_pad)

    def code(self, a, in_channels, value):
        extra = [] if a.count_include_pad else ["count_include_pad=False"]
        return "nn.AvgPool2d", self._code_args(a) + extra

    def label(self, a):
        size, extra = window.figure_text(a)
        return f"{size} Avg Pooling" + (f" ({' '.join(extra)})" if extra else "")

    def describe(self, a):
        text = window.summary_text(self.name, a)
        return text + ("" if a.count_include_pad else " excl-pad")
