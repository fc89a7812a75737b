"""`residual [scale=S] [relu]:` runs its body from the trunk and returns
`trunk + S * body`, then a ReLU when asked (the Inception-ResNet blocks). Inside the body,
`trunk` is the trunk's channel count, so a block's projection back can say `conv trunk 1x1`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from incdsl.ir.graph import Attrs, format_shape
from incdsl.ops.base import MERGE, Op, ShapeError, Signature, Statement, Statements, register


@dataclass(frozen=True)
class AddAttrs(Attrs):
    scale: float
    relu: bool


@register
class Add(Op):
    name = "add"
    kind = "add"
    doc = "trunk + scale * residual, then ReLU if asked"
    style = replace(MERGE, extra=(("shape", "circle"), ("fixedsize", "false"),
                                 ("margin", "0.02")))
    has_module = False
    is_layer = False
    scaled_sum = True

    def infer(self, a, inputs):
        trunk, residual = inputs
        if trunk != residual:
            raise ShapeError(
                f"residual add of {format_shape(residual)} to a trunk of {format_shape(trunk)}",
                f"the residual branch must end with the trunk's {trunk[0]} channels"
                " (`conv trunk 1x1` takes the trunk's width)",
            )
        return trunk, 0, 0

    def forward(self, a, inputs, call, value):
        scale, relu = value("scale"), value("relu")
        total = f"{inputs[0]} + {inputs[1]}"
        if scale != "1.0":
            total += f" * {scale}"
        if relu == "False":
            return total
        if relu == "True":
            return f"F.relu({total}, inplace=True)"
        return Statements((f"{{out}} = {total}", f"if {relu}:",
                           "    {out} = F.relu({out}, inplace=True)"))

    def label(self, a):
        return "+" if a.scale == 1 else f"+ (x{a.scale:g})"

    def describe(self, a):
        return f"add x{a.scale:g}" + (" +relu" if a.relu else "")

    def activation(self, a):
        return "Relu activation" if a.relu else None


@register
class Residual(Statement):
    name = "residual"
    doc = "runs its body and returns trunk + scale * body (then ReLU if `relu`)"
    signature = Signature(positional=("scale",), flags={"relu": False}, defaults={"scale": 1.0})
    body_names = ("trunk",)

    def count(self, stmt, counts, count_body):
        count_body(stmt.body)
        counts[stmt.alias or "add"] += 1

    def elaborate(self, stmt, args, cur, here):
        attrs = AddAttrs(args.number("scale", "scale", -1e6, 1e6), args.flag("relu"))
        out = here.run(stmt.body, cur, names={"trunk": here.channels(cur)})
        return here.emit("add", attrs, [cur, out], stmt,
                         exprs={"scale": args.expr("scale"), "relu": args.expr("relu")})
