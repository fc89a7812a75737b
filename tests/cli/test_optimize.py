"""`--optimize` on `incdsl summary` and `incdsl compile`: the passes and what they did are
listed; a bad mode exits 2 with a one-line message."""

from __future__ import annotations

import json

from incdsl.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_lists_the_passes(capsys):
    code, out, _ = run(capsys, "summary", "irv2", "--optimize", "inference", "--depth", "0")
    assert code == 0
    assert "Optimised for inference, passes in order:" in out
    assert "fuse_siblings: 97 convolution(s) fused into 42" in out
    assert "fold_bn: 204 BatchNorm layer(s) folded" in out
    code, out, _ = run(capsys, "summary", "v3", "--optimize", "training", "--json")
    data = json.loads(out)
    assert data["optimized"] == "training"
    assert [p.split(":")[0] for p in data["passes"]] == ["commute_pool", "fuse_siblings",
                                                         "concat_views"]
    assert any(row["op"].startswith("fused conv 1x1") for row in data["layers"])


def test_compile_writes_the_optimised_module(capsys, tmp_path):
    out_file = tmp_path / "v4.py"
    code, _, err = run(capsys, "compile", "v4", "--optimize", "training", "-o", str(out_file))
    assert code == 0 and "wrote" in err
    assert "class FusedConv(nn.Module):" in out_file.read_text()


def test_a_bad_mode_exits_2(capsys):
    try:
        main(["summary", "irv2", "--optimize", "fast"])
    except SystemExit as e:
        assert e.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'fast'" in err and "Traceback" not in err
