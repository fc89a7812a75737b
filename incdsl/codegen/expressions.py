"""Spec expressions -> Python source, through the parsed expression (never by eval).

The spec's expression language is Python-like, so the translation is mostly direct: `true` and
`false` become `True` and `False`, `floor`/`ceil` come from `math`, `trunk` (a block's input
width) becomes the constructor argument `in_channels`. Every operator is parenthesised, so
precedence never has to be reasoned about twice.
"""

from __future__ import annotations

import keyword

from incdsl.elaborate.expr import CONSTANTS, evaluate, names_in
from incdsl.errors import IncdslError
from incdsl.syntax import ast
from incdsl.syntax.parser import parse_expression

_NAMES = {"true": "True", "false": "False", "trunk": "in_channels"}
_MATH = {"floor", "ceil"}
_TAKEN = {"self", "in_channels", "torch", "F", "nn", "math", "super"}


def param_name(name: str) -> str:
    """A spec parameter as a Python argument name: keywords and names the generated code
    uses itself get a trailing underscore."""
    if keyword.iskeyword(name) or name in _TAKEN:
        return name + "_"
    return name


def to_python(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Number):
        return repr(expr.value)
    if isinstance(expr, ast.String):
        return repr(expr.value)
    if isinstance(expr, ast.Name):
        return _NAMES.get(expr.id) or param_name(expr.id)
    if isinstance(expr, ast.Dims):
        return "(" + ", ".join(str(v) for v in expr.value) + ")"
    if isinstance(expr, ast.Tuple):
        items = [to_python(item) for item in expr.items]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(expr, ast.Call):
        func = f"math.{expr.func}" if expr.func in _MATH else expr.func
        return f"{func}({', '.join(to_python(a) for a in expr.args)})"
    if isinstance(expr, ast.Unary):
        operand = _operand(expr.operand)
        return f"not {operand}" if expr.op == "not" else f"-{operand}"
    if isinstance(expr, ast.Binary):
        return f"{_operand(expr.left)} {expr.op} {_operand(expr.right)}"
    raise AssertionError(f"unknown expression {expr!r}")


def _operand(expr: ast.Expr) -> str:
    text = to_python(expr)
    return f"({text})" if isinstance(expr, (ast.Binary, ast.Unary)) else text


def translate(text: str, env: dict, value) -> tuple[str, set[str]] | None:
    """The spec text `text` as Python and the parameters it reads, if evaluating it with `env`
    (the instance's arguments) gives `value`, the number the graph holds; None when it does
    not (a width multiplier scaled it) or it reads a name outside `env`."""
    try:
        expr = parse_expression(text)
        names = names_in(expr)
        if not names <= set(env) | set(CONSTANTS):
            return None
        if evaluate(expr, {**CONSTANTS, **env}) != value:
            return None
    except IncdslError:
        return None
    return to_python(expr), names - set(CONSTANTS)


def uses_math(text: str) -> bool:
    return "math." in text
