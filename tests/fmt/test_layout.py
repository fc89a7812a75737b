"""The formatter's layout, written out by hand for a file that breaks every rule once."""

import textwrap

import pytest

from incdsl.errors import SpecError
from incdsl.fmt import format_text

MESSY = '''\
# header


use   "lib/reductions.inc"
block A( k , l = 2 ):   # doc of A
  concat :
      conv k 3x3  /2 valid   # one
      conv (2*k) 3x3 -> conv l  1x1 # two
      branch :

         conv  k 1x1
         # inside branch
         maxpool 3x3 /(1 + 1) valid
  # end of A
block B:
    A( k = 1 , l=max( 2,3 ) ) x( 1 + 1 ) as a
    if 1 / 2 > -1 and not true :
        relu
    else:
        relu
network N(classes=10,
    size=8,  # the size
        # own line
    width2=3):
    input(3, size,\\
      size)
    defaults conv \\
        eps=0.001
    B
    global avgpool -> linear classes


'''

TIDY = '''\
# header

use "lib/reductions.inc"

block A(k, l=2):  # doc of A
    concat:
        conv k 3x3 /2 valid  # one
        conv (2 * k) 3x3 -> conv l 1x1  # two
        branch:
            conv k 1x1
            # inside branch
            maxpool 3x3 /(1 + 1) valid
    # end of A

block B:
    A(k=1, l=max(2, 3)) x(1 + 1) as a
    if 1 / 2 > -1 and not true:
        relu
    else:
        relu

network N(classes=10,
          size=8,  # the size
          # own line
          width2=3):
    input(3, size,
          size)
    defaults conv \\
            eps=0.001
    B
    global avgpool -> linear classes
'''


def test_every_rule_once():
    assert format_text(MESSY) == TIDY
    assert format_text(TIDY) == TIDY


def test_aligned_comments_stay_aligned_and_others_sit_two_spaces_after():
    text = textwrap.dedent("""\
        block A:
            conv 32 3x3 /2 valid      # 149x149
            conv 32 3x3  valid        # 147x147
            relu
            conv 64 3x3               # 147x147
            maxpool 3x3 /2 valid   # 73x73
        """)
    assert format_text(text) == textwrap.dedent("""\
        block A:
            conv 32 3x3 /2 valid      # 149x149
            conv 32 3x3 valid         # 147x147
            relu
            conv 64 3x3               # 147x147
            maxpool 3x3 /2 valid  # 73x73
        """)
    # code that the layout lengthens past the shared column pushes the whole run right
    grown = "block A(k):\n    conv (k*2*2*2) 1x1  # a\n    conv k 1x1          # b\n"
    assert format_text(grown) == ("block A(k):\n    conv (k * 2 * 2 * 2) 1x1  # a\n"
                                  "    conv k 1x1                # b\n")


def test_the_space_between_a_layer_and_its_parentheses_is_kept():
    text = "block A(k):\n    conv (2*k) 3x3\n    conv(k, 1x1)\n    A (k=1)\n"
    assert format_text(text) == \
        "block A(k):\n    conv (2 * k) 3x3\n    conv(k, 1x1)\n    A (k=1)\n"


def test_blank_lines_between_definitions_and_none_at_the_ends():
    text = "\n\nblock A:\n    relu\n\n\n\n# B's comment\nblock B:\n\n    relu\n\n\n"
    assert format_text(text) == "block A:\n    relu\n\n# B's comment\nblock B:\n    relu\n"


def test_tabs_and_odd_indentation_become_four_spaces():
    text = "block A:\n\tconcat:\n\t  relu\n\t  relu\n"
    assert format_text(text) == "block A:\n    concat:\n        relu\n        relu\n"


def test_comments_only_and_empty_files():
    assert format_text("") == ""
    assert format_text("# just a note   \n\n\n# another\n") == "# just a note\n\n# another\n"


def test_text_that_does_not_parse_is_refused_with_its_location():
    with pytest.raises(SpecError) as info:
        format_text("block A:\n    conv 1 1x1 ->\n", "bad.inc")
    assert str(info.value.location) == "bad.inc:2:18"
