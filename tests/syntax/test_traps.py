"""The grammar's traps: text that parses as something other than what its writer meant is a
located error that says both readings, never a silent reinterpretation."""

from __future__ import annotations

import pytest

import incdsl
from incdsl.errors import SpecError
from incdsl.syntax.parser import parse


@pytest.mark.parametrize("line, written, suggestion", [
    ("conv k/2 3x3", "k/2", "write '(k/2)' for a division, or 'k /2' for a stride"),
    ("conv 64/2 3x3", "64/2", "write '(64/2)' for a division, or '64 /2' for a stride"),
    ("conv (k)/2 3x3", "(k)/2", "'(k) /2' for a stride"),
    ("conv 32 3x3/2 valid", "3x3/2", "'3x3 /2' for a stride"),
    ("conv 32 3x3 stride=1/2", "stride=1/2", "'stride=1 /2' for a stride"),
])
def test_a_slash_glued_to_a_value_is_refused(line, written, suggestion):
    text = f"block A(k=8):\n    {line}\n"
    with pytest.raises(SpecError) as info:
        parse(text, "t.inc")
    e = info.value
    column = line.index(written) + 5
    assert (e.location.line, e.location.column) == (2, column)
    assert e.location.end_column == column + len(written)
    assert e.message == f"'{written}' reads as '{written.split('/')[0]}' with stride " \
                        f"{written.split('/')[1]}"
    assert suggestion in e.render()


@pytest.mark.parametrize("stride, want", [
    ("/2", (2, 2)), ("/ 2", (2, 2)), ("/s", (2, 2)), ("/(s)", (2, 2)), ("/(s + 1)", (3, 3)),
    ("/(2, 1)", (2, 1)),
])
def test_a_stride_is_a_number_a_name_or_a_parenthesised_expression(graph_of, stride, want):
    g = graph_of(f"""
        network N(s=2):
            input 3x16x16
            conv 8 3x3 {stride} valid
    """)
    assert g.nodes["conv"]["attrs"]["stride"] == want


def test_a_spaced_stride_still_reads_after_a_name(graph_of):
    g = graph_of("""
        network N(k=8):
            input 3x16x16
            conv k /2 3x3
    """)
    assert g.nodes["conv"]["shape"] == (8, 8, 8)


def test_a_repeat_marker_that_is_also_a_parameter_is_refused(error_of):
    e = error_of("""
        block B(x2=1):
            conv 8 1x1
        network N(x2=3):
            input 3x8x8
            B x2
    """)
    assert (e.location.line, e.location.column) == (5, 7)
    assert e.message == "'x2' reads as a repeat count (2 times), but 'x2' is also a " \
                        "parameter here"
    assert "write '(x2)' to pass the parameter, or 'x(2)' to repeat" in e.render()


def test_the_parameter_and_the_repeat_each_written_unambiguously(graph_of):
    g = graph_of("""
        block B(n=1):
            conv 8 1x1 x(n)
        network N(x2=3):
            input 3x8x8
            B (x2)
            B x(2) as again
    """)
    assert g.graph["blocks"]["b"].args == {"n": 3}  # the parameter, passed
    assert sum(1 for n in g if n.startswith("b/conv")) == 3
    assert sorted(p for p in g.graph["blocks"] if p.startswith("again")) == ["again[0]",
                                                                             "again[1]"]


def test_a_name_read_as_a_repeat_in_the_middle_of_a_line_says_so():
    with pytest.raises(SpecError) as info:
        parse("block A(x2=8):\n    conv x2 3x3\n", "t.inc")
    e = info.value
    assert (e.location.line, e.location.column) == (2, 13)
    assert "'x2' reads as a repeat count (2 times), which ends the line; write '(x2)' for a " \
           "name" in e.render()


def test_a_parameter_named_like_a_repeat_works_where_it_cannot_be_one(graph_of):
    g = graph_of("""
        block B(x2):
            conv x2 1x1 as wide   # here it is an argument of the block, in parentheses below
        network N:
            input 3x8x8
            B(x2=4)
            B(x2=6) as other
    """.replace("conv x2 1x1", "conv (x2) 1x1"))
    assert g.nodes["b/wide"]["shape"] == (4, 8, 8) and g.nodes["other/wide"]["shape"] == (6, 8, 8)
    assert incdsl  # the public API reads the same graph
