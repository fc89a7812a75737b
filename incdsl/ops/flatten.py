"""`flatten`: a C x H x W map to a vector of C*H*W, as a function in forward (no module)."""

from __future__ import annotations

from incdsl.ops.base import HEAD, Op, ShapeError, register


@register
class Flatten(Op):
    name = "flatten"
    kind = "flatten"
    doc = "a C x H x W map to a vector of C*H*W"
    example = "flatten"
    style = HEAD
    has_module = False

    def infer(self, attrs, inputs):
        shape = inputs[0]
        if len(shape) != 3:
            raise ShapeError(f"flatten needs a C x H x W feature map, got a vector of {shape[0]}")
        c, h, w = shape
        return (c * h * w,), 0, 0

    def forward(self, attrs, inputs, call, value):
        return f"torch.flatten({inputs[0]}, 1)"

    def channels(self, attrs, inputs, value, shape):
        return str(shape[0])  # what a linear layer after it takes

    def label(self, attrs):
        return "Flatten"
