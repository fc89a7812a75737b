"""`moved_bn`: a spec convolution's BatchNorm (then its ReLU) on its own, behind the pool that
a pool/1x1 commutation put between it and its convolution (training)."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops import origin
from incdsl.ops.base import CONV, Op, register


@dataclass(frozen=True)
class MovedBatchNormAttrs(Attrs):
    channels: int
    eps: float
    momentum: float
    relu: bool
    origin: origin.Origin
    layers: tuple[str, ...]


@register
class MovedBatchNorm(origin.Rebuilt, Op):
    name = "moved_bn"
    kind = "bn"
    doc = "a spec convolution's BatchNorm (and ReLU), moved behind a pool"
    style = CONV
    per_channel = True

    def infer(self, a, inputs):
        return inputs[0], 2 * a.channels, 0

    def origins(self, a):
        return (a.origin,)

    def module(self, a):
        from torch import nn

        return nn.BatchNorm2d(a.channels, eps=a.eps, momentum=a.momentum)

    def load(self, a, get):
        return origin.bn_tensors([a.origin], get)

    def save(self, a, own):
        return origin.split([a.origin], own, {t: f"bn.{t}" for t in origin.BN_TENSORS})

    def forward(self, a, inputs, call, value):
        return f"F.relu({call}({inputs[0]}), inplace=True)" if a.relu else \
            f"{call}({inputs[0]})"

    def code(self, a, in_channels, value):
        args = [str(a.channels)] + ([] if a.eps == 1e-5 else [f"eps={a.eps!r}"])
        return "nn.BatchNorm2d", args + ([] if a.momentum == 0.1 else [f"momentum={a.momentum!r}"])

    def label(self, a):
        return "BatchNorm" + (" + Relu" if a.relu else "")

    def describe(self, a):
        return "moved_bn" + (" +relu" if a.relu else "")
