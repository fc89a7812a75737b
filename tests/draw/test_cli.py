"""`incdsl draw` as a user runs it: files written, exit codes, messages, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from incdsl.cli import main
from tests.draw.svg import parse


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("ext,magic", [("svg", b"<?xml"), ("png", b"\x89PNG"),
                                       ("pdf", b"%PDF"), ("dot", b"digraph")])
def test_format_comes_from_the_extension(capsys, tmp_path, needs_dot, ext, magic):
    out = tmp_path / f"irv2.{ext}"
    code, stdout, err = run(capsys, "draw", "irv2", "-o", str(out))
    assert (code, err) == (0, "")
    assert stdout == f"wrote {out}\n"
    assert out.read_bytes().startswith(magic)


def test_block_flag_draws_the_block_view(capsys, tmp_path, needs_dot):
    out = tmp_path / "b.svg"
    assert run(capsys, "draw", "irv2", "--block", "Block17", "-o", str(out))[0] == 0
    d = parse(out.read_bytes())
    assert d.title == "Block17(scale=0.1, relu=true)"
    assert "1x7 Conv (160)" in d.labels() and "7x1 Conv (192)" in d.labels()
    assert "1x1 Conv (1088 Linear)" in d.labels() and "+ (x0.1)" in d.labels()


def test_full_view_with_overrides_and_depth(capsys, tmp_path, needs_dot):
    out = tmp_path / "full.svg"
    code, _, _ = run(capsys, "draw", "irv2", "--view", "full", "--depth", "0",
                     "--set", "blocks_a=2", "-o", str(out))
    assert code == 0
    labels = parse(out.read_bytes()).labels()
    assert labels.count("Block35\n(scale=0.17, relu=true)") == 2


def test_same_spec_gives_the_same_bytes(tmp_path, needs_dot):
    """Two separate processes (different hash seeds) write identical files."""
    outputs = []
    for seed in ("1", "2"):
        for ext in ("svg", "dot"):
            path = tmp_path / f"{seed}.{ext}"
            env = {**os.environ, "PYTHONHASHSEED": seed}
            subprocess.run([sys.executable, "-m", "incdsl", "draw", "v3", "--view", "full",
                            "--depth", "1", "-o", str(path)], env=env, check=True,
                           capture_output=True)
            outputs.append(path.read_bytes())
    assert outputs[0] == outputs[2] and outputs[1] == outputs[3]


def test_invalid_spec_gives_the_same_located_error_as_check(capsys, tmp_path):
    bad = tmp_path / "bad.inc"
    bad.write_text("network N:\n    input 3x8x8\n    conv 8 3x3 valdi\n")
    out = tmp_path / "n.svg"
    draw_code, _, draw_err = run(capsys, "draw", str(bad), "-o", str(out))
    check_code, _, check_err = run(capsys, "check", str(bad))
    assert draw_code == check_code == 2
    assert draw_err == check_err
    assert f"{bad}:3:16: error: unknown name 'valdi'" in draw_err
    assert not out.exists()


def test_failed_draw_keeps_the_previous_file(capsys, tmp_path):
    out = tmp_path / "keep.svg"
    out.write_text("old figure")
    assert run(capsys, "draw", "irv2", "--block", "Nope", "-o", str(out))[0] == 2
    assert out.read_text() == "old figure"


def test_missing_dot_writes_the_source_and_says_how_to_install(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no `dot` anywhere on PATH
    out = tmp_path / "irv2.png"
    code, _, err = run(capsys, "draw", "irv2", "-o", str(out))
    assert code == 2
    assert "Graphviz's 'dot' program was not found" in err
    assert "apt-get install graphviz" in err
    assert f"dot -Tpng {tmp_path / 'irv2.dot'} -o {out}" in err
    assert "Traceback" not in err
    assert not out.exists()
    assert (tmp_path / "irv2.dot").read_text().startswith("digraph InceptionResNetV2 {")


def test_dot_output_needs_no_graphviz(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "irv2.dot"
    assert run(capsys, "draw", "irv2", "-o", str(out))[0] == 0
    assert "10 x Block35" in out.read_text()


@pytest.mark.parametrize("argv,message", [
    (["--view", "block"], "the block view needs a block name"),
    (["--view", "full", "--depth", "-1"], "--depth must be 0 or more"),
    (["--set", "blocks_a=zero"], "blocks_a"),
    (["--block", "Block35", "--view", "full"], "--block draws the block view"),
    (["--depth", "1"], "--depth is for the full view"),
])
def test_bad_command_lines(capsys, tmp_path, argv, message):
    out = tmp_path / "x.svg"
    code, _, err = run(capsys, "draw", "irv2", "-o", str(out), *argv)
    assert code == 2 and message in err
    assert not out.exists()


def test_without_output_the_figure_is_named_after_the_spec(capsys, tmp_path, monkeypatch,
                                                            needs_dot):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(capsys, "draw", "irv2")
    assert (code, err) == (0, "")
    assert stdout == f"wrote irv2.svg (in {tmp_path})\n"
    assert parse((tmp_path / "irv2.svg").read_bytes()).title == "InceptionResNetV2"
    code, stdout, _ = run(capsys, "draw", "irv2", "--block", "Block35")
    assert code == 0 and stdout == f"wrote Block35.svg (in {tmp_path})\n"
    assert parse((tmp_path / "Block35.svg").read_bytes()).title.startswith("Block35(")
    spec = tmp_path / "sub" / "tiny.inc"
    spec.parent.mkdir()
    spec.write_text("network T:\n    input 3x8x8\n    conv 4 3x3\n")
    assert run(capsys, "draw", str(spec))[0] == 0
    assert (tmp_path / "tiny.svg").is_file() and not (spec.parent / "tiny.svg").exists()


def test_without_output_a_bad_spec_writes_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run(capsys, "draw", "nosuch")
    assert code == 2 and stdout == "" and "no such file or shipped architecture" in err
    assert list(tmp_path.iterdir()) == []
