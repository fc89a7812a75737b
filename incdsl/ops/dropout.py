"""`dropout P`: zero each value with probability P while training."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ir.graph import Attrs
from incdsl.ops.base import HEAD, Op, Signature, register


@dataclass(frozen=True)
class DropoutAttrs(Attrs):
    p: float


@register
class Dropout(Op):
    name = "dropout"
    kind = "dropout"
    doc = "dropout with probability P"
    example = "dropout 0.2"
    signature = Signature(positional=("p",), required=("p",),
                          wants={"p": "a dropout probability"})
    style = HEAD
    eval_identity = True

    def make(self, args, inputs, cx):
        return DropoutAttrs(args.number("p", "dropout probability", 0.0, 0.999)), \
            {"p": args.expr("p")}

    def module(self, a):
        from torch import nn

        return nn.Dropout(a.p)

    def code(self, a, in_channels, value):
        return "nn.Dropout", [value("p")]

    def label(self, a):
        return f"Dropout (keep {1 - a.p:g})"

    def describe(self, a):
        return f"dropout {a.p:g}"
