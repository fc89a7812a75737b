"""What no person writes is refused early, located, in time proportional to the text; several
syntax errors are reported at once; `use` reads spec files only."""

from __future__ import annotations

import pytest

from incdsl.errors import SpecError
from incdsl.syntax.limits import MAX_LINE_ITEMS, MAX_NESTING
from incdsl.syntax.parser import parse


@pytest.mark.parametrize("line, message, column", [
    # the first item past the limit: `conv`, `8`, `3x3`, then the 254th `bias`
    ("conv 8 3x3" + " bias" * 32_000, f"this line has more than {MAX_LINE_ITEMS} items",
     4 + len("conv 8 3x3") + 5 * (MAX_LINE_ITEMS - 3) + 2),
    ("conv (" + "+".join(["1"] * 20_000) + ") 3x3", "this line has more than", None),
    # the 33rd parenthesis, after the indent and `conv `
    ("conv " + "(" * 1000 + "1" + ")" * 1000 + " 3x3", f"nested more than {MAX_NESTING} deep",
     4 + len("conv ") + MAX_NESTING + 1),
], ids=["options", "terms", "parentheses"])
def test_absurd_lines_are_refused_where_they_go_wrong(line, message, column):
    with pytest.raises(SpecError) as info:
        parse(f"network N:\n    input 3x8x8\n    {line}\n", "t.inc")
    e = info.value
    assert message in e.message and e.location.line == 3
    if column is not None:
        assert e.location.column == column
    assert len(e.render().splitlines()[1]) < 120  # a window of the line, not all of it


def test_a_backslash_joined_line_counts_as_one():
    items = " bias" * (MAX_LINE_ITEMS // 2)
    with pytest.raises(SpecError, match="more than"):
        parse(f"network N:\n    input 3x8x8\n    conv 8 3x3{items} \\\n{items}\n", "t.inc")


def test_every_definition_reports_its_first_syntax_error():
    text = ("block A:\n    conv 3 3x3 ->\n"       # line 2: ends too early
            "block B:\n    relu\n"                # fine
            "network N:\n    input 3x8x8\n    conv 3 @\n")  # line 7: a stray character
    with pytest.raises(SpecError) as info:
        parse(text, "t.inc")
    found = [(d.location.line, d.location.column, d.message) for d in info.value.diagnostics]
    assert found == [(2, 18, "the line ends too early"), (7, 12, "unexpected character '@'")]


def test_use_reads_spec_files_only(error_of):
    e = error_of('use "/etc/passwd"\nnetwork N:\n    input 3x8x8\n')
    assert e.message == 'use takes spec files (.inc), not "/etc/passwd"'
    assert "root:" not in e.render()  # the file was not read
