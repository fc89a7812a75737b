"""`relu_inplace`: max(x, 0) written over its input, which nothing else reads (the passes
decide that)."""

from __future__ import annotations

from incdsl.ops.base import PLAIN, Op, register


@register
class ReluInplace(Op):
    name = "relu_inplace"
    kind = "relu"
    doc = "max(x, 0), in place"
    style = PLAIN
    has_module = False
    is_layer = False
    per_channel = True

    def forward(self, attrs, inputs, call, value):
        return f"F.relu({inputs[0]}, inplace=True)"

    def label(self, attrs):
        return "Relu activation"

    def describe(self, attrs):
        return "relu (in place)"
