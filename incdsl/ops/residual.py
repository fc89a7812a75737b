"""`residual [scale=S] [relu] [preact]:` runs its body from the trunk and returns
`shortcut + S * body`, then a ReLU when asked: the Inception-ResNet blocks, and ResNet's.

- The shortcut is the trunk itself, or what a `shortcut:` in the body makes of it (ResNet's
  projection: `shortcut: conv 256 1x1 /2 no relu`, perhaps under an `if`). Lines run in the
  order written, so a shortcut may come first or last, as the reference it follows orders
  its layers.
- `preact` runs BatchNorm and ReLU on the trunk first (ResNet-v2's pre-activation, a `bn` node
  named `preact`); body and `shortcut:` read its output, the identity shortcut the trunk.
- Inside the body, `trunk` is the trunk's channel count, so a projection back says
  `conv trunk 1x1`.
"""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.errors import SpecError
from incdsl.ir.graph import Attrs, format_shape
from incdsl.ops.base import MERGE_SIGN, Op, ShapeError, Signature, Statement, register, with_relu
from incdsl.syntax import ast


@dataclass(frozen=True)
class AddAttrs(Attrs):
    scale: float
    relu: bool


@register
class Add(Op):
    name = "add"
    kind = "add"
    doc = "shortcut + scale * residual, then ReLU if asked"
    style = MERGE_SIGN
    has_module = False
    is_layer = False
    scaled_sum = True

    def infer(self, a, inputs):
        trunk, residual = inputs
        if trunk[0] != residual[0]:
            raise ShapeError(
                f"residual add of {format_shape(residual)} to a trunk of {format_shape(trunk)}",
                f"the residual branch must end with the trunk's {trunk[0]} channels"
                " (`conv trunk 1x1` takes the trunk's width), or a `shortcut:` must make "
                f"{residual[0]} of the trunk's")
        if trunk != residual:
            raise ShapeError(
                f"residual add of {format_shape(residual)} to a trunk of {format_shape(trunk)}",
                f"the body changes the grid from {trunk[1]}x{trunk[2]} to "
                f"{residual[1]}x{residual[2]}; a `shortcut:` must change the trunk the same way"
                f" (e.g. `shortcut: conv {trunk[0]} 1x1 /{trunk[1] // residual[1] or 1} "
                "no relu`)")
        return trunk, 0, 0

    def forward(self, a, inputs, call, value):
        scale = value("scale")
        total = f"{inputs[0]} + {inputs[1]}" + ("" if scale == "1.0" else f" * {scale}")
        return with_relu(total, value("relu"))

    def label(self, a):
        return "+" if a.scale == 1 else f"+ (x{a.scale:g})"

    def describe(self, a):
        return f"add x{a.scale:g}" + (" +relu" if a.relu else "")

    def activation(self, a):
        return "Relu activation" if a.relu else None


@dataclass
class _Frame:
    """What a residual shares with the `shortcut:` in its body."""

    start: str  # the tensor body and shortcut read: the trunk, or its pre-activation
    shortcut: str | None = None


def _preact(stmt) -> bool:
    """Whether a residual line says `preact` (for naming, before any value is known)."""
    return any(isinstance(arg, ast.Positional) and isinstance(arg.value, ast.Name)
               and arg.value.id == "preact" for arg in stmt.args)


@register
class Residual(Statement):
    name = "residual"
    doc = "runs its body and returns shortcut + scale * body (then ReLU if `relu`)"
    signature = Signature(positional=("scale",), flags={"relu": False, "preact": False},
                          defaults={"scale": 1.0})
    body_names = ("trunk",)

    def count(self, stmt, counts, count_body):
        if _preact(stmt):
            counts["preact"] += 1
        count_body(stmt.body)
        counts[stmt.alias or "add"] += 1

    def elaborate(self, stmt, args, cur, here):
        attrs = AddAttrs(args.number("scale", "scale", -1e6, 1e6), args.flag("relu"))
        start = here.layer("bn", cur, stmt, kind="preact") if args.flag("preact") else cur
        frame = _Frame(start)
        out = here.run(stmt.body, start, {"trunk": here.channels(cur)}, ("residual", frame))
        return here.emit("add", attrs, [frame.shortcut or cur, out], stmt,
                         exprs={"scale": args.expr("scale"), "relu": args.expr("relu")})


@register
class Shortcut(Statement):
    name = "shortcut"
    doc = "inside `residual:`, what the trunk goes through before the sum (a projection)"
    parent = "residual"

    def count(self, stmt, counts, count_body):
        counts[stmt.alias or "shortcut"] += 1

    def elaborate(self, stmt, args, cur, here):
        frame = here.frame("residual")
        if frame.shortcut is not None:
            raise SpecError.at(stmt.name_loc, "a residual has one shortcut")
        scope = here.child("shortcut", stmt.alias, stmt.loc, stmt.body)
        frame.shortcut = scope.run(stmt.body, frame.start)
        return cur  # the body goes on from where it was
