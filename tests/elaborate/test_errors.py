"""Every mistake in a spec is a located SpecError: file:line:col, the line, a caret, a message."""

import pytest

from incdsl.errors import SpecError, UsageError
from incdsl.report.check import check_file


def lines_of(error: SpecError):
    return [(d.location.line, d.location.column, d.message) for d in error.diagnostics]


def test_rendering_shows_file_line_column_source_and_caret(error_of):
    e = error_of("""
        network N:
            input 3x8x8
            conv 8 3x3 valdi
    """, "net.inc")
    text = e.render()
    first, source, caret = text.split("\n")[:3]
    assert first.endswith("net.inc:3:16: error: unknown name 'valdi'")
    assert source == "        conv 8 3x3 valdi"
    assert caret == "                   ^^^^^"
    assert "did you mean 'valid'?" in text


def test_unknown_block_suggests_the_closest(error_of):
    e = error_of("""
        block Block35:
            relu
        network N:
            input 3x8x8
            Blok35
    """)
    assert lines_of(e) == [(5, 5, "unknown layer or block 'Blok35'")]
    assert "did you mean 'Block35'?" in e.render()


def test_unknown_parameter_suggests_the_closest(error_of):
    e = error_of("""
        block A(pool):
            conv pool 1x1
        network N:
            input 3x8x8
            A(pol=3)
    """)
    assert "A has no parameter 'pol'" in e.message
    assert "did you mean 'pool'?" in e.render()


def test_all_static_errors_of_a_file_are_reported(error_of):
    e = error_of("""
        block A(k):
            conv k 3x3 valdi
            Blok
            conv 3 3x3 bais
        network N:
            input 3x32x32
            A(kk=3)
            conv trunk 1x1
    """)
    assert [(line, col) for line, col, _ in lines_of(e)] == [(2, 16), (3, 5), (4, 16), (7, 7), (8, 10)]


def test_wrong_arguments(error_of):
    e = error_of("""
        use "lib/reductions.inc"
        network N:
            input 3x35x35
            ReductionA(k=1, l=2, m=3)
            conv 32
            conv 32 3x3 4
            dropout 1.5
            conv 3 3x3 /0
            maxpool 3x3 bias
    """)
    messages = [m for _, _, m in lines_of(e)]
    assert messages[0] == "maxpool has no option 'bias'"  # static errors come first
    e = error_of("""
        use "lib/reductions.inc"
        network N:
            input 3x35x35
            ReductionA(k=1, l=2, m=3)
            conv 32
            conv 32 3x3 4
            dropout 1.5
            conv 3 3x3 /0
    """)
    assert lines_of(e) == [
        (4, 5, "ReductionA needs a value for 'n'"),
        (5, 5, "conv needs a kernel size like 3x3"),
        (6, 17, "conv takes 2 positional argument(s); '4' is one too many"),
        (7, 13, "dropout probability must be between 0.0 and 0.999, got 1.5"),
        (8, 16, "stride must be at least 1, got 0"),
    ]


def test_concat_of_mismatched_branches_names_both(error_of):
    e = error_of("""
        block Bad:
            concat:
                conv 32 3x3 /2 valid
                conv 32 1x1
        network N:
            input 3x35x35
            Bad
    """)
    assert lines_of(e)[0][:2] == (2, 5)
    assert "branch0 gives 32x17x17, branch1 gives 32x35x35" in e.message
    assert "in Bad, used at" in e.render()


def test_residual_add_with_other_channels(error_of):
    e = error_of("""
        block R:
            residual scale=0.1 relu:
                conv 32 1x1
        network N:
            input 3x35x35
            conv 64 1x1
            R
    """)
    assert "residual add of 32x35x35 to a trunk of 64x35x35" in e.message
    assert "conv trunk 1x1" in e.render()


def test_kernel_larger_than_its_input(error_of):
    e = error_of("""
        network N(size=5):
            input(3, size, size)
            conv 32 3x3 valid
            conv 32 7x7 valid
    """)
    assert lines_of(e) == [(4, 5, "7x7 conv is larger than its 3x3 input")]


def test_only_the_first_shape_error_is_reported(error_of):
    e = error_of("""
        network N:
            input 3x5x5
            conv 8 7x7 valid
            conv 8 9x9 valid
    """)
    assert len(e.diagnostics) == 1


@pytest.mark.parametrize("body, message", [
    ("    A\nblock A:\n    B\nblock B:\n    A\n", "is used inside itself"),
    ("    A\nblock A:\n    A\n", "is used inside itself"),
])
def test_a_block_that_uses_itself(spec_file, body, message):
    path = spec_file("network N:\n    input 3x8x8\n" + body)
    with pytest.raises(SpecError, match=message):
        check_file(str(path))


@pytest.mark.parametrize("line, message", [
    ("A x1000000", "the repeat count must be at most 10,000, got 1,000,000"),
    ("conv 1000000000 1x1", "output channels must be at most 1,048,576, got 1,000,000,000"),
    ("global avgpool -> linear 100000 -> linear 100000", "would have 10,000,100,000 parameters"),
    ("conv (2**70) 1x1", "number too large"),
])
def test_absurd_sizes_are_refused_before_memory_is_spent(error_of, line, message):
    e = error_of("""
        block A:
            conv 3 1x1
        network N:
            input 3x8x8
            global avgpool -> linear 1000000 -> linear 1000000
    """.replace("global avgpool -> linear 1000000 -> linear 1000000", line))
    assert message in e.render()


def test_huge_layer_is_refused(error_of):
    e = error_of("""
        network N:
            input 3x8x8
            global avgpool -> linear 1000000 -> linear 1000000
    """)
    assert "would have 1,000,001,000,000 parameters" in e.message


def test_missing_use(error_of):
    e = error_of('use "nope.inc"\nnetwork N:\n    input 3x8x8\n')
    assert lines_of(e) == [(1, 1, 'cannot find "nope.inc"')]


def test_circular_use(spec_file):
    spec_file('use "b.inc"\nblock X:\n    relu\n', "a.inc")
    spec_file('use "a.inc"\n', "b.inc")
    main = spec_file('use "a.inc"\nnetwork N:\n    input 3x8x8\n', "main.inc")
    with pytest.raises(SpecError, match=r"circular use: a.inc -> b.inc -> a.inc"):
        check_file(str(main))


def test_duplicate_definitions(error_of):
    e = error_of("block A:\n    relu\nblock A:\n    relu\nnetwork N:\n    input 3x8x8\n")
    assert "'A' is defined twice" in e.message


def test_network_must_start_with_input(error_of):
    e = error_of("network N:\n    conv 3 1x1\n")
    assert "starts with its input" in e.message


def test_linear_on_a_feature_map(error_of):
    e = error_of("network N:\n    input 3x8x8\n    linear 10\n")
    assert "put `global avgpool` or `flatten` before it" in e.render()


def test_missing_file_and_unknown_network_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file or shipped architecture"):
        check_file(str(tmp_path / "missing.inc"))
    with pytest.raises(UsageError, match="did you mean 'irv2'"):
        check_file("irv3")


def test_nested_repeats_stop_at_the_layer_limit(error_of):
    e = error_of("""
        block B:
            relu
        block A:
            B x10000
        network N:
            input 3x8x8
            A x10000
    """)
    assert len(e.diagnostics) == 1
    assert "more than 50,000 layers" in e.message
    assert "in A, used at" in e.render()
