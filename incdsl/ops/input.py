"""`input CxHxW` or `input(C, H, W)`: the first line of every network."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.errors import SpecError
from incdsl.ir.graph import Attrs, Shape
from incdsl.ops.args import MAX_CHANNELS, MAX_SPATIAL, check_int, describe
from incdsl.ops.base import Op, Signature, Style, register


@dataclass(frozen=True)
class InputAttrs(Attrs):
    shape: Shape


@register
class Input(Op):
    name = "input"
    kind = "input"
    doc = "the image a network takes, channels x height x width"
    example = "input 3x299x299"
    signature = Signature(positional=("shape", "height", "width"), required=("shape",),
                          wants={"shape": "a shape like 3x299x299"})
    style = Style("#eeeeee", "#666666", (("shape", "box"),))
    has_module = False
    takes_input = False

    def make(self, args, inputs, cx):
        value, loc = args["shape"], args.loc("shape")
        if args.given("height") or args.given("width"):  # input(3, size, size)
            value = (value, args.get("height"), args.get("width"))
        if not isinstance(value, tuple) or len(value) != 3:
            raise SpecError.at(loc, f"input needs a shape C x H x W, like 3x299x299, got "
                               f"{describe(value)}")
        shape = (check_int(value[0], loc, "input channels", 1, MAX_CHANNELS),
                 check_int(value[1], loc, "input height", 1, MAX_SPATIAL),
                 check_int(value[2], loc, "input width", 1, MAX_SPATIAL))
        return InputAttrs(shape), {}

    def infer(self, a, inputs):
        return a.shape, 0, 0

    def label(self, a):
        return "Input"
