"""`incdsl bench` at tiny sizes: it runs, prints its columns, --json parses, a reference is
timed beside ours, and bad flags exit 2 with one line. Nothing here asserts a speed."""

from __future__ import annotations

import json

import pytest

from incdsl.cli import main

TINY = ["--set", "width=0.125", "--set", "size=75", "--set", "blocks_a=1", "--set",
        "blocks_b=1", "--set", "blocks_c=1", "--repeat", "1", "--warmup", "0"]


def run(capsys, *args):
    try:
        code = main(list(args))
    except SystemExit as e:  # argparse's own exit for unknown flags
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_table_has_its_columns(capsys):
    code, out, _ = run(capsys, "bench", "irv2", *TINY, "--batch", "1,2", "--train-batch", "2",
                       "--optimize", "inference")
    assert code == 0
    lines = out.splitlines()
    assert "on cpu" in lines[0] and "ours: incdsl optimize=inference" in lines[1]
    assert lines[2].split() == ["task", "batch", "ours", "ms", "ours", "img/s", "ours",
                                "TFLOP/s", "ours", "MiB"]
    assert [line.split()[:2] for line in lines[3:]] == [["inference", "1"], ["inference", "2"],
                                                       ["training", "2"]]


def test_json_against_a_reference(capsys):
    code, out, _ = run(capsys, "bench", "v3", "--set", "aux_logits=false", "--set",
                       "drop_rate=0", "--set", "size=75", "--against", "timm:inception_v3",
                       "--batch", "1", "--train-batch", "2", "--repeat", "1", "--warmup", "0",
                       "--optimize", "training", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["reference"] == "timm:inception_v3" and data["ours"] == "incdsl optimize=training"
    assert [(r["task"], r["batch"]) for r in data["rows"]] == [("inference", 1), ("training", 2)]
    for row in data["rows"]:
        assert row["speedup"] == pytest.approx(row["reference"]["ms"] / row["ours"]["ms"])
        assert row["ours"]["tflops"] > 0 and row["ours"]["peak_mib"] is None  # CPU: no peak


def test_a_reference_whose_modules_are_declared_out_of_order(capsys):
    # timm's Xception declares each block's skip convolution before its body; the weights are
    # paired in the order the forwards run, as `incdsl weights import` pairs them.
    code, out, err = run(capsys, "bench", "xception", "--set", "size=75", "--against",
                         "timm:legacy_xception", "--batch", "1", "--train-batch", "0",
                         "--repeat", "1", "--warmup", "0", "--json")
    assert code == 0, err
    assert [r["task"] for r in json.loads(out)["rows"]] == ["inference"]


@pytest.mark.parametrize("flags, message", [
    (["--batch", "0"], "--batch 0: give batch sizes"),
    (["--batch", "a,b"], "--batch a,b: give batch sizes"),
    (["--device", "cuda"], "CUDA is not available"),
    (["--device", "tpu"], "--device tpu"),
    (["--against", "nolib:x"], "unknown reference 'nolib:x'"),
    (["--amp", "fp8"], "invalid choice: 'fp8'"),
    (["--optimize", "fast"], "invalid choice: 'fast'"),
    (["--repeat", "0"], "--repeat >= 1"),
])
def test_bad_flags_exit_2_with_one_line(capsys, flags, message):
    code, _, err = run(capsys, "bench", "irv2", *TINY, *flags)
    assert code == 2
    assert message in err and "Traceback" not in err
