"""`moved_bn`: a spec convolution's BatchNorm (then its ReLU) on its own, behind the pool that
a pool/1x1 commutation put between it and its convolution (training)."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops import origin
from incdsl.ops.base import register
from incdsl.ops.batchnorm import BatchNorm


@dataclass(frozen=True)
class MovedBatchNormAttrs(Attrs):
    channels: int
    eps: float
    momentum: float
    relu: bool
    origin: origin.Origin
    layers: tuple[str, ...]


@register
class MovedBatchNorm(origin.Rebuilt, BatchNorm):
    """The spec's `bn` (its module, forward and code), with tensors that are a convolution's."""

    name = "moved_bn"
    doc = "a spec convolution's BatchNorm (and ReLU), moved behind a pool"

    def infer(self, a, inputs):
        return inputs[0], 2 * a.channels, 0

    def origins(self, a):
        return (a.origin,)

    def load(self, a, get):
        return origin.bn_tensors([a.origin], get)

    def save(self, a, own):
        return origin.split([a.origin], own, {t: f"bn.{t}" for t in origin.BN_TENSORS})

    def label(self, a):
        return "BatchNorm" + (" + Relu" if a.relu else "")

    def describe(self, a):
        return "moved_bn" + (" +relu" if a.relu else "")
