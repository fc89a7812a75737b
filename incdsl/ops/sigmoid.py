"""`sigmoid`: 1 / (1 + exp(-x)), as a function in forward (no module); the gate of
squeeze-and-excitation."""

from __future__ import annotations

from incdsl.ops.base import PLAIN, Op, register


@register
class Sigmoid(Op):
    name = "sigmoid"
    kind = "sigmoid"
    doc = "1 / (1 + exp(-x))"
    example = "sigmoid"
    style = PLAIN
    has_module = False

    def forward(self, attrs, inputs, call, value):
        return f"torch.sigmoid({inputs[0]})"

    def label(self, attrs):
        return "Sigmoid"
