"""`gate:` multiplies the tensor by what its body makes of it, channel by channel:
squeeze-and-excitation (Hu et al. 2018),

    gate as se:
        adaptive avgpool 1x1
        conv (trunk // 16) 1x1 bias no bn
        conv trunk 1x1 bias no bn no relu
        sigmoid

The body is a module of its own (`se.conv1`); inside it `trunk` is the gated tensor's channel
count. Its output is one value per channel (C x 1 x 1) or a whole map (C x H x W).
"""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs, format_shape
from incdsl.ops.base import MERGE_SIGN, Op, ShapeError, Statement, register


@dataclass(frozen=True)
class MulAttrs(Attrs):
    pass


@register
class Mul(Op):
    name = "mul"
    kind = "mul"
    doc = "the gated tensor times its gate, channel by channel"
    style = MERGE_SIGN
    has_module = False
    is_layer = False

    def infer(self, a, inputs):
        trunk, gate = inputs
        if len(gate) != 3 or gate[0] != trunk[0] or gate[1:] not in ((1, 1), trunk[1:]):
            raise ShapeError(
                f"a gate of {format_shape(gate)} for a tensor of {format_shape(trunk)}",
                f"the gate must end with the tensor's {trunk[0]} channels, as a "
                f"{trunk[0]}x1x1 map or the tensor's own size (`conv trunk 1x1` takes its "
                "width)")
        return trunk, 0, 0

    def forward(self, a, inputs, call, value):
        return f"{inputs[0]} * {inputs[1]}"

    def label(self, a):
        return "x"

    def describe(self, a):
        return "mul"


@register
class Gate(Statement):
    name = "gate"
    doc = "multiplies the tensor by what its body computes from it (squeeze-and-excitation)"
    body_names = ("trunk",)

    def count(self, stmt, counts, count_body):
        counts[stmt.alias or "gate"] += 1
        counts["mul"] += 1

    def elaborate(self, stmt, args, cur, here):
        body = here.child("gate", stmt.alias, stmt.loc, stmt.body)
        gate = body.run(stmt.body, cur, {"trunk": here.channels(cur)})
        return here.emit("mul", MulAttrs(), [cur, gate], stmt, alias=False)
