"""`folded_conv`: one spec convolution as a plain `nn.Conv2d` whose weights and bias the
passes compute from the spec layer's: its BatchNorm folded in and a residual scale multiplied
in (inference), or without the BatchNorm that a pool/1x1 commutation moved behind the pool."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ops import origin, window
from incdsl.ops.base import register
from incdsl.ops.conv import Conv, ConvAttrs


@dataclass(frozen=True)
class FoldedConvAttrs(ConvAttrs):
    origin: origin.Origin
    layers: tuple[str, ...]  # the spec layers it holds, for comments


@register
class FoldedConv(origin.Rebuilt, Conv):
    name = "folded_conv"
    kind = "conv"
    doc = "a spec convolution with its BatchNorm and scale folded into weights and bias"
    helpers = ()

    def origins(self, a):
        return (a.origin,)

    def module(self, a):
        from torch import nn

        return nn.Conv2d(a.in_channels, a.out_channels, a.kernel, a.stride, a.padding,
                         bias=a.bias)

    def init(self, module, a, generator):
        """Nothing: its tensors are computed from the canonical model's."""

    def load(self, a, get):
        return origin.conv_tensors([a.origin], get, has_bias=a.bias, bn=False)

    def save(self, a, own):
        return origin.split([a.origin], own, {"weight": "weight", "bias": "bias"})

    def note(self, a):
        o = a.origin
        what = ["BatchNorm folded in"] if o.fold else []
        what += [f"scale {o.scale:g} folded in"] if o.scale != 1.0 else []
        what += ["bias added after the pool"] if not o.shift else []
        return f"{', '.join(a.layers)} of the spec" + (f" ({', '.join(what)})" if what else "")

    def label(self, a):
        size, extra = window.figure_text(a)
        return f"{size} Conv ({' '.join([str(a.out_channels), *extra])}, folded)"

    def describe(self, a):
        return window.summary_text("conv", a) + (" folded" if a.origin.fold else " linear")
