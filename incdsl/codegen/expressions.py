"""IR expressions -> Python source. Every operator is parenthesised, so precedence never has to
be reasoned about twice; `floor` and `ceil` come from `math`; a parameter becomes the
constructor argument of that name; a tensor's channel count becomes whatever text the class
has for it (`in_channels` for the block's input)."""

from __future__ import annotations

import keyword
from collections.abc import Callable

from incdsl.ir import expr as ir

_MATH = {"floor", "ceil"}
_TAKEN = {"self", "in_channels", "torch", "F", "nn", "math", "super", "OrderedDict"}


def param_name(name: str) -> str:
    """A spec parameter as a Python argument name: keywords and names the generated code
    uses itself get a trailing underscore."""
    if keyword.iskeyword(name) or name in _TAKEN:
        return name + "_"
    return name


class Unrenderable(Exception):
    """The expression reads something the class has no text for."""


def to_python(expr: ir.Expr, channels: Callable[[str], str | None]) -> str:
    """`channels(node)` gives the text of a tensor's channel count, or None."""
    if isinstance(expr, ir.Const):
        return repr(expr.value)
    if isinstance(expr, ir.Param):
        return param_name(expr.name)
    if isinstance(expr, ir.Channels):
        text = channels(expr.node)
        if text is None:
            raise Unrenderable(expr.node)
        return text
    if isinstance(expr, ir.Tuple):
        items = [to_python(item, channels) for item in expr.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(expr, ir.Call):
        func = f"math.{expr.func}" if expr.func in _MATH else expr.func
        return f"{func}({', '.join(to_python(a, channels) for a in expr.args)})"
    if isinstance(expr, ir.Unary):
        operand = _operand(expr.operand, channels)
        return f"not {operand}" if expr.op == "not" else f"-{operand}"
    assert isinstance(expr, ir.Binary)
    return f"{_operand(expr.left, channels)} {expr.op} {_operand(expr.right, channels)}"


def _operand(expr: ir.Expr, channels) -> str:
    text = to_python(expr, channels)
    return f"({text})" if isinstance(expr, (ir.Binary, ir.Unary)) else text
