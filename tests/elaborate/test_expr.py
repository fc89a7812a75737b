"""The spec's own evaluator: arithmetic, names, functions, and refusals (never Python's eval)."""

import pytest

from incdsl.elaborate.expr import evaluate
from incdsl.errors import SpecError
from incdsl.syntax.parser import parse_expression


def value(text, **env):
    return evaluate(parse_expression(text), env)


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", 7), ("7 // 2", 3), ("7 / 2", 3.5), ("2 ** 10", 1024), ("-3 + 1", -2),
    ("max(32, int(64 * 0.25))", 32), ("min(1, 2, 3)", 1), ("round(2.6)", 3), ("ceil(2.1)", 3),
    ("true and not false", True), ("1 < 2", True), ("3x3", (3, 3)), ("(1, 7)", (1, 7)),
    ('"a"', "a"), ("k * 2", 16),
])
def test_values(text, expected):
    assert value(text, k=8) == expected


@pytest.mark.parametrize("text, message", [
    ("kk + 1", "unknown name 'kk'"),
    ("1 / 0", "division by zero"),
    ("10 ** 100", "number too large"),
    ('__import__("os")', "unknown function '__import__'"),
    ("open(1)", "unknown function 'open'"),
    ("max()", "takes at least 1"),
    ("1 + true", "needs numbers"),
    ("1 and 2", "expected true or false"),
    ("99999999 * 99999999 * 99999999", "number too large"),
])
def test_refusals_are_located(text, message):
    with pytest.raises(SpecError) as info:
        value(text, k=8)
    assert message in info.value.message
    assert info.value.location is not None


def test_unknown_name_suggests_the_closest():
    with pytest.raises(SpecError) as info:
        value("clases", classes=10)
    assert "did you mean 'classes'?" in info.value.render()
