"""incdsl's own expression evaluator: a spec is data, so its arithmetic never reaches `eval`.

Values are ints, floats, bools, strings and tuples of them. The operators and the few
functions below are all there is; anything else is a located error.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping

from incdsl.errors import SpecError, did_you_mean
from incdsl.ir import expr as ir
from incdsl.ops.args import Value, describe
from incdsl.syntax import ast

CONSTANTS: dict[str, Value] = {"true": True, "false": False}

_LIMIT = 10**15  # no size in a network comes near this; bigger numbers are typos or attacks


def _int(x):
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError("cannot convert a non-finite number to an integer")
    return int(x)


FUNCTIONS = {
    "min": (min, 1, None),
    "max": (max, 1, None),
    "int": (_int, 1, 1),
    "float": (float, 1, 1),
    "round": (lambda x: round(x), 1, 1),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "abs": (abs, 1, 1),
}

_ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}
_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate(expr: ast.Expr, env: Mapping[str, Value]) -> Value:
    """The value of `expr` with the names in `env` (and true/false) bound."""
    if isinstance(expr, (ast.Number, ast.String, ast.Dims)):
        return expr.value
    if isinstance(expr, ast.Name):
        if expr.id in env:
            return env[expr.id]
        if expr.id in CONSTANTS:
            return CONSTANTS[expr.id]
        raise SpecError.at(
            expr.loc, f"unknown name '{expr.id}'", *did_you_mean(expr.id, [*env, *CONSTANTS])
        )
    if isinstance(expr, ast.Tuple):
        return tuple(evaluate(item, env) for item in expr.items)
    if isinstance(expr, ast.Call):
        return _call(expr, [evaluate(a, env) for a in expr.args])
    if isinstance(expr, ast.Unary):
        value = evaluate(expr.operand, env)
        if expr.op == "not":
            return not _truth(value, expr.operand)
        _number(value, expr.operand, "-")
        return -value
    if isinstance(expr, ast.Binary):
        if expr.op in ("and", "or"):
            left = _truth(evaluate(expr.left, env), expr.left)
            if (expr.op == "and") != left:
                return left
            return _truth(evaluate(expr.right, env), expr.right)
        left, right = evaluate(expr.left, env), evaluate(expr.right, env)
        if expr.op in _COMPARE:
            return _compare(expr, left, right)
        return _arithmetic(expr, left, right)
    raise SpecError.at(expr.loc, "not an expression")  # unreachable for parsed input


def _truth(value: Value, where: ast.Expr) -> bool:
    if isinstance(value, bool):
        return value
    raise SpecError.at(where.loc, f"expected true or false, got {describe(value)}")


def _number(value: Value, where: ast.Expr, op: str):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError.at(where.loc, f"'{op}' needs numbers, got {describe(value)}")


def _compare(expr: ast.Binary, left: Value, right: Value) -> bool:
    if expr.op in ("==", "!="):
        return _COMPARE[expr.op](left, right)
    _number(left, expr.left, expr.op)
    _number(right, expr.right, expr.op)
    return _COMPARE[expr.op](left, right)


def _arithmetic(expr: ast.Binary, left: Value, right: Value) -> Value:
    _number(left, expr.left, expr.op)
    _number(right, expr.right, expr.op)
    if expr.op in ("/", "//", "%") and right == 0:
        raise SpecError.at(expr.right.loc, "division by zero")
    if expr.op == "**" and (abs(right) > 64 or (abs(left) > 1 and abs(right) * math.log2(abs(left)) > 60)):
        raise SpecError.at(expr.loc, "number too large")
    result = _ARITHMETIC[expr.op](left, right)
    if isinstance(result, complex) or abs(result) > _LIMIT:
        raise SpecError.at(expr.loc, "number too large" if not isinstance(result, complex)
                           else "result is not a real number")
    return result


def _call(expr: ast.Call, args: list[Value]) -> Value:
    if expr.func not in FUNCTIONS:
        raise SpecError.at(expr.loc, f"unknown function '{expr.func}'",
                           *did_you_mean(expr.func, FUNCTIONS),
                           f"functions: {', '.join(sorted(FUNCTIONS))}")
    fn, lo, hi = FUNCTIONS[expr.func]
    if len(args) < lo or (hi is not None and len(args) > hi):
        count = f"{lo}" if lo == hi else f"at least {lo}"
        raise SpecError.at(expr.loc, f"{expr.func}() takes {count} argument(s), got {len(args)}")
    for arg, node in zip(args, expr.args):
        _number(arg, node, f"{expr.func}()")
    try:
        return fn(*args)
    except (ValueError, OverflowError) as e:
        raise SpecError.at(expr.loc, f"{expr.func}(): {e}") from None


def names_in(expr: ast.Expr) -> set[str]:
    """Every name an expression reads."""
    if isinstance(expr, ast.Name):
        return {expr.id}
    return set().union(*(names_in(c) for c in children(expr)))


def calls_in(expr: ast.Expr) -> list[ast.Call]:
    """Every function call in an expression."""
    own = [expr] if isinstance(expr, ast.Call) else []
    return own + [c for child in children(expr) for c in calls_in(child)]


def names_of(expr: ast.Expr) -> list[ast.Name]:
    """Every name node in an expression, in order."""
    if isinstance(expr, ast.Name):
        return [expr]
    return [n for child in children(expr) for n in names_of(child)]


def children(expr: ast.Expr) -> tuple[ast.Expr, ...]:
    if isinstance(expr, ast.Tuple):
        return expr.items
    if isinstance(expr, ast.Call):
        return expr.args
    if isinstance(expr, ast.Unary):
        return (expr.operand,)
    if isinstance(expr, ast.Binary):
        return (expr.left, expr.right)
    return ()


def to_ir(expr: ast.Expr, symbols: Mapping[str, ir.Expr]) -> ir.Expr:
    """The expression as an IR tree, its names replaced by what they stand for (`symbols`:
    a parameter, the trunk's channels); constants become `Const`."""
    if isinstance(expr, (ast.Number, ast.String, ast.Dims)):
        return ir.Const(expr.value)
    if isinstance(expr, ast.Name):
        if expr.id in symbols:
            return symbols[expr.id]
        return ir.Const(CONSTANTS[expr.id])
    if isinstance(expr, ast.Tuple):
        return ir.Tuple(tuple(to_ir(i, symbols) for i in expr.items))
    if isinstance(expr, ast.Call):
        return ir.Call(expr.func, tuple(to_ir(a, symbols) for a in expr.args))
    if isinstance(expr, ast.Unary):
        return ir.Unary(expr.op, to_ir(expr.operand, symbols))
    assert isinstance(expr, ast.Binary)
    return ir.Binary(expr.op, to_ir(expr.left, symbols), to_ir(expr.right, symbols))
