"""`relu`: max(x, 0), as a function in forward (no module)."""

from __future__ import annotations

from incdsl.ops.base import PLAIN, Op, register


@register
class Relu(Op):
    name = "relu"
    kind = "relu"
    doc = "max(x, 0)"
    example = "relu"
    style = PLAIN
    has_module = False
    per_channel = True
    inplace_variant = "relu_inplace"

    def forward(self, attrs, inputs, call, value):
        return f"F.relu({inputs[0]})"

    def label(self, attrs):
        return "Relu activation"
