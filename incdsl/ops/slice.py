"""`slice`: channels start..stop of a tensor, a view (no copy). The passes read the pieces of
a fused convolution's output with it."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops.base import PLAIN, Op, register


@dataclass(frozen=True)
class SliceAttrs(Attrs):
    start: int
    stop: int


@register
class Slice(Op):
    name = "slice"
    kind = "slice"
    doc = "channels start..stop of its input, as a view"
    style = PLAIN
    has_module = False
    is_layer = False
    view = True

    def infer(self, a: SliceAttrs, inputs):
        return (a.stop - a.start, *inputs[0][1:]), 0, 0

    def forward(self, a, inputs, call, value):
        return f"{inputs[0]}[:, {a.start}:{a.stop}]"

    def channels(self, a, inputs, value, shape):
        return str(a.stop - a.start)

    def label(self, a):
        return f"Channels {a.start}-{a.stop - 1}"

    def describe(self, a):
        return f"slice {a.start}:{a.stop}"
