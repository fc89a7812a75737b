"""`incdsl fmt` as a user runs it: files rewritten or checked, exit codes, the shipped specs."""

from incdsl.cli import main
from incdsl.resources import architectures_dir

UGLY = "block A:\n  conv 1  1x1\n"
TIDY = "block A:\n    conv 1 1x1\n"


def run(capsys, *argv):
    code = main(["fmt", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_shipped_specs_are_formatted(capsys):
    code, out, err = run(capsys, "--check", architectures_dir())
    assert (code, out) == (0, ""), out
    specs = list(architectures_dir().rglob("*.inc"))  # every one, the library's included
    assert len(specs) == 15 and err == f"{len(specs)} files already formatted\n"


def test_rewrites_in_place_and_says_so(capsys, tmp_path):
    ugly, tidy = tmp_path / "ugly.inc", tmp_path / "sub" / "tidy.inc"
    tidy.parent.mkdir()
    ugly.write_text(UGLY)
    tidy.write_text(TIDY)
    code, out, err = run(capsys, tmp_path)
    assert (code, out) == (0, f"reformatted {ugly}\n")
    assert err == "1 file reformatted, 1 file left unchanged\n"
    assert ugly.read_text() == TIDY and tidy.read_text() == TIDY


def test_check_and_diff_change_nothing_and_exit_1(capsys, tmp_path):
    ugly = tmp_path / "ugly.inc"
    ugly.write_text(UGLY)
    assert run(capsys, "--check", ugly)[:2] == (1, f"would reformat {ugly}\n")
    code, out, _ = run(capsys, "--diff", ugly)
    assert code == 1
    assert out.splitlines()[2:] == ["@@ -1,2 +1,2 @@", " block A:", "-  conv 1  1x1",
                                    "+    conv 1 1x1"]
    assert ugly.read_text() == UGLY


def test_a_file_that_does_not_parse_is_reported_and_left_alone(capsys, tmp_path):
    bad, ugly = tmp_path / "bad.inc", tmp_path / "ugly.inc"
    bad.write_text("block A:\n  conv 1 1x1 ->\n")
    ugly.write_text(UGLY)
    code, _, err = run(capsys, bad, ugly)
    assert code == 2
    assert f"{bad}:2:16: error: the line ends too early" in err and "Traceback" not in err
    assert bad.read_text() == "block A:\n  conv 1 1x1 ->\n"
    assert ugly.read_text() == TIDY  # the others are still formatted


def test_bad_paths_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, tmp_path / "nope.inc")
    assert code == 2 and "nope.inc: no such file or folder" in err
    binary = tmp_path / "b.inc"
    binary.write_bytes(b"\xff\xfe\x00")
    code, _, err = run(capsys, binary)
    assert code == 2 and "not a text file" in err
