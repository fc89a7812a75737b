"""`bn [no relu] [eps=E] [momentum=M]`: BatchNorm on its own, then ReLU: the pre-activation of
ResNet-v2 (`residual preact:` makes one), and the last normalisation before its head."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops.base import CONV, Op, ShapeError, Signature, register, with_relu


@dataclass(frozen=True)
class BatchNormAttrs(Attrs):
    channels: int
    relu: bool
    eps: float
    momentum: float


@register
class BatchNorm(Op):
    name = "bn"
    kind = "bn"
    doc = "BatchNorm, then ReLU unless `no relu`"
    example = "bn eps=0.001"
    signature = Signature(keywords=("eps", "momentum"), flags={"relu": True},
                          defaults={"eps": 1e-5, "momentum": 0.1})
    style = CONV
    per_channel = True

    def make(self, args, inputs, cx):
        attrs = BatchNormAttrs(inputs[0][0], args.flag("relu"),
                               args.number("eps", "eps", 0.0, 1.0),
                               args.number("momentum", "momentum", 0.0, 1.0))
        return attrs, {"relu": args.expr("relu")}

    def infer(self, a, inputs):
        shape = inputs[0]
        if len(shape) != 3:
            raise ShapeError(f"bn needs a C x H x W feature map, got a vector of {shape[0]}")
        return shape, 2 * shape[0], 0

    def module(self, a):
        from torch import nn

        return nn.BatchNorm2d(a.channels, eps=a.eps, momentum=a.momentum)

    def init(self, module, a, generator):
        from torch import nn

        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)

    def forward(self, a, inputs, call, value):
        return with_relu(f"{call}({inputs[0]})", value("relu"))

    def code(self, a, in_channels, value):
        args = [in_channels]
        if a.eps != 1e-5:
            args.append(f"eps={a.eps!r}")
        if a.momentum != 0.1:
            args.append(f"momentum={a.momentum!r}")
        return "nn.BatchNorm2d", args

    def label(self, a):
        return "BatchNorm + ReLU" if a.relu else "BatchNorm"

    def describe(self, a):
        return "bn +relu" if a.relu else "bn"
