"""`linear OUT [no bias] [init_std=S]`: a fully connected layer on a vector."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs, format_shape
from incdsl.ops.args import MAX_LAYER_PARAMS
from incdsl.ops.base import HEAD, Op, ShapeError, Signature, register
from incdsl.ops.conv import truncated_normal


@dataclass(frozen=True)
class LinearAttrs(Attrs):
    in_features: int
    out_features: int
    bias: bool
    init_std: float | None


@register
class Linear(Op):
    name = "linear"
    kind = "fc"
    doc = "fully connected, with a bias unless `no bias`"
    example = "global avgpool -> linear 10"
    signature = Signature(positional=("out",), keywords=("init_std",), flags={"bias": True},
                          defaults={"init_std": None}, required=("out",),
                          wants={"out": "an output size"})
    style = HEAD
    classifier = True

    def make(self, args, inputs, cx):
        attrs = LinearAttrs(inputs[0][0], args.whole("out", "output features"),
                            args.flag("bias"),
                            args.optional_float("init_std", "init_std", 0.0, 10.0))
        return attrs, {"out_features": args.expr("out")}

    def infer(self, a, inputs):
        shape = inputs[0]
        if len(shape) != 1:
            raise ShapeError(f"linear needs a vector, got a {format_shape(shape)} feature map",
                             "put `global avgpool` or `flatten` before it")
        params = shape[0] * a.out_features + (a.out_features if a.bias else 0)
        if params > MAX_LAYER_PARAMS:
            raise ShapeError(f"this linear layer would have {params:,} parameters")
        return (a.out_features,), params, shape[0] * a.out_features

    def module(self, a):
        from torch import nn

        return nn.Linear(a.in_features, a.out_features, bias=a.bias)

    def init(self, module, a, generator):
        from torch import nn

        truncated_normal(module.weight, a.init_std, generator)
        if module.bias is not None:
            nn.init.zeros_(module.bias)

    def code(self, a, in_channels, value):
        return "nn.Linear", [in_channels, value("out_features")] + ([] if a.bias else ["bias=False"])

    def channels(self, a, inputs, value, shape):
        return value("out_features")

    def label(self, a):
        return f"Linear ({a.out_features})"

    def describe(self, a):
        return "linear"
