"""Diagnostics through a real client: for every kind of error `incdsl check` reports, the
server shows the same message on the span `incdsl check` underlines (its caret), read from
the command's own output."""

from __future__ import annotations

import re
import textwrap

import pytest

from incdsl.cli import main
from incdsl.resources import architectures_dir

CASES = {
    "unexpected token": "network N:\n    input 3x8x8\n    conv 8 3x3 )\n",
    "line ends early": "block A:\n    conv 1 1x1 ->\n",
    "bad dedent": "block A:\n    concat:\n        relu\n      relu\n",
    "unexpected character": "block A:\n    conv 1 1x1 $\n",
    "end of file": "block A(k:\n",
    "unknown name": "network N:\n    input 3x8x8\n    conv 8 3x3 valdi\n",
    "unknown layer": "block B35:\n    relu\nnetwork N:\n    input 3x8x8\n    Blok35\n",
    "unknown option": "network N:\n    input 3x8x8\n    maxpool 3x3 bias\n",
    "wrong arguments": """\
        use "lib/reductions.inc"
        network N:
            input 3x35x35
            ReductionA(k=1, l=2, m=3)
            conv 32
            conv 32 3x3 4
            dropout 1.5
            conv 3 3x3 /0
        """,
    "defined twice": "block A:\n    relu\nblock A:\n    relu\n",
    "missing use": 'use "nowhere.inc"\nblock A:\n    relu\n',
    "used inside itself": "block A:\n    B\nblock B:\n    A\n",
    "no input": "network N:\n    conv 8 3x3\n",
    "concat sizes": """\
        block Bad:
            concat:
                conv 32 3x3 /2 valid
                conv 32 1x1
        network N:
            input 3x35x35
            Bad
        """,
    "residual width": """\
        block R:
            residual scale=0.1 relu:
                conv 32 1x1
        network N:
            input 3x35x35
            conv 64 1x1
            R
        """,
    "parameter twice": "block A(k, k):\n    conv k 1x1\n",
    "repeat or name": "block A(x2):\n    A x2\n",
    "glued stride": "block A(k):\n    conv k/2 3x3\n",
    "unknown function": "block A(k):\n    conv (sqrt(k)) 3x3\n",
    "defaults misplaced": "network N:\n    input 3x8x8\n    relu -> defaults conv eps=0.1\n",
    "statement without body": "network N:\n    input 3x8x8\n    concat\n",
    "kernel too large": "network N:\n    input 3x4x4\n    conv 8 7x7 valid\n",
}

LINE = re.compile(r"^(.*?):(\d+):(\d+): error: (.*)$")


def check_output(capsys, path):
    """(line, start, end, message) for each error `incdsl check` prints, 1-based columns,
    and the notes of each."""
    assert main(["check", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    found = []
    for i, line in enumerate(lines):
        m = LINE.match(line)
        if m:
            caret = lines[i + 2]
            start = caret.index("^") - 4 + 1
            notes = []
            for rest in lines[i + 3:]:
                if not rest.startswith("  note: "):
                    break
                notes.append(rest[len("  note: "):])
            found.append((m.group(1), int(m.group(2)), start, start + caret.count("^"),
                          m.group(4), notes))
    assert found
    return found


def seen(diagnostic):
    r = diagnostic.range
    assert r.start.line == r.end.line
    return (r.start.line + 1, r.start.character + 1, r.end.character + 1,
            diagnostic.message.split("\n")[0])


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_error_where_check_puts_it(lsp, capsys, tmp_path, case):
    path = tmp_path / "t.inc"
    path.write_text(textwrap.dedent(CASES[case]))
    want = check_output(capsys, path)
    got = lsp.wait_diagnostics(lsp.open(path))
    assert all(d.severity == 1 and d.source == "incdsl" for d in got)
    assert sorted(seen(d) for d in got) == sorted(w[1:5] for w in want)
    for w, d in zip(sorted(want, key=lambda w: w[1:5]), sorted(got, key=seen)):
        related = {r.message for r in d.related_information or ()}
        assert d.message.split("\n")[1:] == [n for n in w[5] if n not in related]
        assert related <= set(w[5])
    lsp.close(lsp.open(path))


def test_notes_that_point_somewhere_are_related_information(lsp, capsys, tmp_path):
    path = tmp_path / "t.inc"
    path.write_text(textwrap.dedent(CASES["concat sizes"]))
    (_, _line, _col, _, _, notes), = check_output(capsys, path)
    (d,) = lsp.wait_diagnostics(lsp.open(path))
    (related,) = d.related_information
    assert notes[-1] == related.message == f"in Bad, used at {path}:7:5"
    assert related.location.uri == path.as_uri()
    assert (related.location.range.start.line, related.location.range.start.character) == (6, 4)


def test_an_error_inside_a_used_file_is_shown_where_this_file_uses_it(lsp, capsys, tmp_path):
    path = tmp_path / "t.inc"
    path.write_text('use "lib/reductions.inc"\nnetwork N:\n    input 3x2x2\n'
                    '    ReductionA(k=1, l=2, m=3, n=4)\n')
    (where, line, col, _end, message, notes), = check_output(capsys, path)
    lib = architectures_dir() / "lib" / "reductions.inc"
    assert where.endswith("lib/reductions.inc")  # check points into the library...
    used = re.fullmatch(r"in ReductionA, used at (.*):(\d+):(\d+)", notes[-1])
    (d,) = lsp.wait_diagnostics(lsp.open(path))
    # ... the editor, at the use that check's note names, with the library's place related
    assert used.group(1) == str(path)
    assert (d.range.start.line + 1, d.range.start.character + 1) == \
        (int(used.group(2)), int(used.group(3)))
    assert d.message.split("\n")[0] == message
    first = d.related_information[0]
    assert first.location.uri == lib.resolve().as_uri()
    assert (first.location.range.start.line + 1, first.location.range.start.character + 1) == \
        (line, col)


def test_a_network_that_needs_a_value_is_an_error_on_its_name(lsp, capsys, tmp_path):
    path = tmp_path / "t.inc"
    path.write_text("network N(classes):\n    input 3x8x8\n    linear classes\n")
    assert main(["check", str(path)]) == 2
    assert "N needs a value for 'classes'" in capsys.readouterr().err
    (d,) = lsp.wait_diagnostics(lsp.open(path))
    assert seen(d) == (1, 9, 10, "N needs a value for 'classes': --set classes=...")


@pytest.mark.parametrize("spec", sorted(p.name for p in architectures_dir().glob("*.inc")))
def test_the_shipped_specs_show_none(lsp, spec):
    uri = lsp.open(architectures_dir() / spec)
    assert lsp.wait_diagnostics(uri) == []
    lsp.close(uri)


def test_errors_follow_the_edits(lsp, tmp_path):
    path = tmp_path / "t.inc"
    path.write_text("network N:\n    input 3x8x8\n    conv 8 3x3\n")
    uri = lsp.open(path)
    assert lsp.wait_diagnostics(uri) == []
    lsp.change(uri, edit=((2, 14), (2, 14), " valdi"))
    assert [seen(d) for d in lsp.wait_diagnostics(uri)] == [(3, 16, 21, "unknown name 'valdi'")]
    lsp.change(uri, edit=((2, 14), (2, 20), ""))
    assert lsp.wait_diagnostics(uri) == []
    lsp.close(uri)
