"""`shift`: a spec convolution's (folded) bias added on its own, then its ReLU, behind an
average pool that counts the padding: the pool would scale a bias inside the convolution at
the border, so a pool/1x1 commutation adds it after the pool (inference)."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops import origin
from incdsl.ops.base import PLAIN, Helper, Op, register, with_relu

SHIFT = Helper("Shift", '''
class Shift(nn.Module):
    """x + bias, per channel."""

    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return x + self.bias.to(x.dtype).view(-1, 1, 1)
''')


@dataclass(frozen=True)
class ShiftAttrs(Attrs):
    channels: int
    relu: bool
    origin: origin.Origin
    layers: tuple[str, ...]


@register
class ShiftOp(origin.Rebuilt, Op):
    name = "shift"
    kind = "shift"
    doc = "a spec convolution's bias, added behind a pool"
    style = PLAIN
    helpers = (SHIFT,)
    per_channel = True

    def infer(self, a, inputs):
        return inputs[0], a.channels, 0

    def origins(self, a):
        return (a.origin,)

    def module(self, a):
        from incdsl.ops.helpers import helper_class

        return helper_class(SHIFT)(a.channels)

    def load(self, a, get):
        return {"bias": origin.bias(a.origin.with_(shift=True), get)}

    def save(self, a, own):
        return origin.split([a.origin.with_(shift=True)], own, {"bias": "bias"})

    def forward(self, a, inputs, call, value):
        return with_relu(f"{call}({inputs[0]})", repr(a.relu))

    def code(self, a, in_channels, value):
        return "Shift", [str(a.channels)]

    def label(self, a):
        return "+ bias" + (", Relu" if a.relu else "")

    def describe(self, a):
        return "shift" + (" +relu" if a.relu else "")
