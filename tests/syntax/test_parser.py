"""The grammar and the syntax tree: what parses, into what, and how syntax errors read."""

import pytest

from incdsl.errors import SpecError
from incdsl.syntax import ast
from incdsl.syntax.parser import parse, parse_expression

SPEC = '''\
# a comment
use "lib/reductions.inc"

block A(k, l=2*k):   # trailing comment
    concat:
        maxpool 3x3 /2 valid
        conv k 1x1 -> conv l 3x3 -> conv(l + 1) 3x3 /2 valid, no bias
    residual scale=0.17 relu:
        conv trunk 1x1 bias no bn no relu as proj

network N(classes=10,
          aux=true):
    input(3, 32, 32)
    defaults conv eps=0.001
    A(k=8) x3 as stage
    if aux:
        aux logits2:
            global avgpool -> linear classes
    else:
        relu
    global avgpool -> dropout 0.2 -> linear classes
'''


def test_parses_definitions_uses_and_positions():
    module = parse(SPEC, "t.inc")
    assert [u.path for u in module.uses] == ["lib/reductions.inc"]
    block, network = module.definitions
    assert (block.kind, block.name, network.kind, network.name) == ("block", "A", "network", "N")
    assert [p.name for p in block.params] == ["k", "l"]
    assert (block.name_loc.line, block.name_loc.column) == (4, 7)
    assert isinstance(block.params[1].default, ast.Binary)


def test_chains_compounds_and_arguments():
    block = parse(SPEC, "t.inc").definitions[0]
    concat, residual = block.body
    assert isinstance(concat, ast.Compound) and concat.name == "concat"
    pool, chain = concat.body
    assert pool.name == "maxpool"
    assert isinstance(pool.args[0].value, ast.Dims) and pool.args[0].value.value == (3, 3)
    assert isinstance(pool.args[1], ast.Stride)
    assert isinstance(chain, ast.Chain) and [l.name for l in chain.layers] == ["conv"] * 3
    last = chain.layers[2]
    assert isinstance(last.args[0].value, ast.Binary)  # conv(l + 1): the call form
    assert isinstance(last.args[-1], ast.Negated) and last.args[-1].name == "bias"
    assert residual.name == "residual" and isinstance(residual.args[0], ast.Keyword)
    assert residual.body[0].alias == "proj"


def test_repeat_alias_if_and_multiline_parameters():
    network = parse(SPEC, "t.inc").definitions[1]
    assert [p.name for p in network.params] == ["classes", "aux"]
    stage = network.body[2]
    assert stage.name == "A" and stage.alias == "stage" and stage.repeat.value == 3
    cond = network.body[3]
    assert isinstance(cond, ast.If) and cond.then[0].name == "aux" and cond.orelse[0].name == "relu"


def test_repeat_takes_an_expression():
    module = parse("network N(n=2):\n    input 3x8x8\n    relu x(n + 1)\n")
    layer = module.definitions[0].body[1]
    assert isinstance(layer.repeat, ast.Binary)


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", ast.Binary), ("-(a)", ast.Unary), ("max(1, k)", ast.Call),
    ("(1, 7)", ast.Tuple), ("3x3", ast.Dims), ("a and not b or c", ast.Binary),
])
def test_expressions(text, expected):
    assert isinstance(parse_expression(text), expected)


@pytest.mark.parametrize("text, line, column, message", [
    ("block A(:\n", 1, 9, "unexpected ':'"),
    ("block A:\n    conv 3x3 ->\n", 2, 16, "the line ends too early"),
    ("block A:\nconv\n", 2, 1, "expected an indented body"),
    ("block A:\n    conv\n  relu\n", 3, 3, "indentation matches no enclosing block"),
    ("network N:\n    conv 3 @\n", 2, 12, "unexpected character '@'"),
    ("block A:\n    conv 3\n        relu\n", 3, 9, "unexpected indentation"),
    ("block A:\n    conv 3 3x3 as\n", 2, 18, "the line ends too early"),
    ("block\n", 1, 6, "the line ends too early"),
])
def test_syntax_errors_are_located(text, line, column, message):
    with pytest.raises(SpecError) as info:
        parse(text, "bad.inc")
    loc = info.value.location
    assert (loc.line, loc.column) == (line, column)
    assert message in info.value.message
    rendered = info.value.render()
    assert rendered.startswith(f"bad.inc:{line}:{column}: error: ")
    # the source line and a caret under the column
    _source_line, caret = rendered.split("\n")[1:3]
    assert caret.index("^") == column - 1 + 4


def test_syntax_error_says_what_was_expected():
    with pytest.raises(SpecError) as info:
        parse("network N:\n    input 3x8x8\n    conv 3 1x1 ->\n")
    assert "expected a name" in info.value.render()


def test_strings_have_no_escapes():
    # The grammar has none: a backslash in a path is a backslash, never a newline.
    module = parse('use "lib\\new.inc"\n', "t.inc")
    assert module.uses[0].path == "lib\\new.inc"
