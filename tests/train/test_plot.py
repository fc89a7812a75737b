"""`incdsl plot` as a user runs it on a run directory's metrics.jsonl: the figure written, its
curves, and one-line errors (exit code 2, no traceback, no file) for bad input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from incdsl.cli import main
from incdsl.train.plot import read_metrics

SVG = "{http://www.w3.org/2000/svg}"


def train(epoch, step, loss, top1):
    return {"kind": "train", "epoch": epoch, "step": step, "loss": loss, "top1": top1,
            "lr": 0.05, "images_per_s": 812.5, "time": 1764000000.0 + step}


def evaluation(epoch, step, weights, loss, top1, top5):
    return {"kind": "eval", "epoch": epoch, "step": step, "weights": weights, "loss": loss,
            "top1": top1, "top5": top5, "time": 1764000000.0 + step}


# Three epochs of 10 steps, logged every 5, with EMA evaluation. The run was interrupted in
# epoch 2 after step 25 and resumed from the checkpoint at step 20: steps 25 and 30 of the
# resumed run follow the stale step 25.
ROWS = [
    train(0, 5, 2.2, 15.0), train(0, 10, 2.0, 25.0),
    evaluation(0, 10, "model", 1.9, 30.0, 70.0), evaluation(0, 10, "ema", 2.1, 20.0, 60.0),
    train(1, 15, 1.7, 40.0), train(1, 20, 1.5, 50.0),
    evaluation(1, 20, "model", 1.4, 55.0, 85.0), evaluation(1, 20, "ema", 1.5, 50.0, 80.0),
    train(2, 25, 9.9, 1.0),  # stale
    train(2, 25, 1.2, 60.0), train(2, 30, 1.0, 70.0),
    evaluation(2, 30, "model", 1.0, 72.0, 93.0), evaluation(2, 30, "ema", 0.9, 75.0, 95.0),
]
CURVES = ["train-loss", "eval-loss", "ema-loss", "train-top1", "eval-top1", "eval-top5",
          "ema-top1", "ema-top5"]


@pytest.fixture
def run_dir(tmp_path):
    d = tmp_path / "run-7"
    d.mkdir()
    (d / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return d


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_png_by_default_in_the_run_directory(capsys, run_dir):
    from matplotlib.image import imread

    code, out, err = run(capsys, "plot", run_dir)
    path = run_dir / "curves.png"
    assert (code, out, err) == (0, f"wrote {path}\n", "")
    pixels = imread(path)
    height, width = pixels.shape[:2]
    assert 800 <= width <= 2000 and 300 <= height <= width  # two panels side by side
    assert pixels.std() > 0.05  # something is drawn


def test_svg_has_every_curve_and_its_label(capsys, run_dir, tmp_path):
    out = tmp_path / "curves.svg"
    assert run(capsys, "plot", run_dir, "-o", out)[0] == 0
    root = ET.parse(out).getroot()
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g")}
    for curve in CURVES:
        assert groups[curve].find(f"{SVG}path") is not None, curve
    texts = {"".join(t.itertext()).strip() for t in root.iter(f"{SVG}text")}
    assert {"run-7", "step", "epoch", "loss", "accuracy (%)"} <= texts
    assert {"train", "eval", "eval (EMA)", "train top-1", "eval top-1", "eval top-5",
            "EMA top-1", "EMA top-5"} <= texts


def test_svg_without_ema_and_before_the_first_eval(capsys, run_dir, tmp_path):
    (run_dir / "metrics.jsonl").write_text(json.dumps(train(0, 5, 2.2, 15.0)) + "\n")
    out = tmp_path / "one.svg"
    assert run(capsys, "plot", run_dir, "-o", out)[0] == 0
    ids = {g.get("id") for g in ET.parse(out).getroot().iter(f"{SVG}g")}
    assert {"train-loss", "train-top1"} <= ids and not ids & {"eval-loss", "ema-loss"}


def test_same_metrics_give_the_same_bytes(capsys, run_dir, tmp_path):
    for ext in ("svg", "pdf"):
        first, second = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
        assert run(capsys, "plot", run_dir, "-o", first)[0] == 0
        assert run(capsys, "plot", run_dir, "-o", second)[0] == 0
        assert first.read_bytes() == second.read_bytes(), ext
    assert first.read_bytes().startswith(b"%PDF")


def test_later_row_wins_for_a_repeated_step(run_dir):
    rows = read_metrics(run_dir)
    assert len(rows) == len(ROWS) - 1
    assert [r["step"] for r in rows] == sorted(r["step"] for r in rows)
    (at25,) = [r for r in rows if r["step"] == 25]
    assert (at25["loss"], at25["top1"]) == (1.2, 60.0)
    evals = [(r["weights"], r["step"]) for r in rows if r["kind"] == "eval"]
    assert evals == [("model", 10), ("ema", 10), ("model", 20), ("ema", 20), ("model", 30),
                     ("ema", 30)]


def test_a_row_still_being_written_is_left_out(run_dir):
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write('{"kind": "train", "epoch": 3, "st')
    assert len(read_metrics(run_dir)) == len(ROWS) - 1


def _write(run_dir, text):
    (run_dir / "metrics.jsonl").write_text(text)


GOOD = json.dumps(train(0, 5, 2.2, 15.0)) + "\n"


@pytest.mark.parametrize("setup,message", [
    (lambda d: d.joinpath("metrics.jsonl").unlink() or d.rmdir(),
     "{d}: no such directory; give the run directory that `incdsl train` writes"),
    (lambda d: d.joinpath("metrics.jsonl").unlink(), "{d}/metrics.jsonl: no such file"),
    (lambda d: _write(d, "\n"), "{d}/metrics.jsonl: no rows yet"),
    (lambda d: _write(d, GOOD + "{oops\n" + GOOD), "{d}/metrics.jsonl:2: not JSON"),
    (lambda d: _write(d, GOOD + "[1, 2]\n"), "{d}/metrics.jsonl:2: expected a JSON object"),
    (lambda d: _write(d, GOOD + '{"kind": "test"}\n'), "{d}/metrics.jsonl:2: 'kind' is \"test\""),
    (lambda d: _write(d, GOOD.replace('"loss": 2.2', '"loss": "low"')),
     "{d}/metrics.jsonl:1: 'loss' is \"low\", not a number"),
    (lambda d: _write(d, GOOD.replace('"step": 5', '"step": 0')),
     "{d}/metrics.jsonl:1: step counts from 1"),
    (lambda d: _write(d, json.dumps({**evaluation(0, 5, "swa", 1, 2, 3)}) + "\n"),
     "{d}/metrics.jsonl:1: 'weights' is \"swa\""),
    (lambda d: _write(d, json.dumps({k: v for k, v in evaluation(0, 5, "ema", 1, 2, 3).items()
                                     if k != "top5"}) + "\n"),
     "{d}/metrics.jsonl:1: eval rows need 'top5'"),
], ids=["no-dir", "no-file", "empty", "not-json", "not-object", "kind", "type", "step",
        "weights", "missing"])
def test_bad_run_directory(capsys, run_dir, setup, message):
    setup(run_dir)
    code, out, err = run(capsys, "plot", run_dir)
    assert (code, out) == (2, "")
    assert err.startswith("incdsl: error: " + message.format(d=run_dir))
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (run_dir / "curves.png").exists()


def test_unknown_extension_is_refused_before_any_work(capsys, run_dir):
    code, out, err = run(capsys, "plot", run_dir, "-o", run_dir / "curves.jpg")
    assert (code, out) == (2, "")
    assert err == f"incdsl: error: {run_dir}/curves.jpg: unknown format '.jpg'; " \
        "use one of: .png, .svg, .pdf\n"
    assert sorted(p.name for p in run_dir.iterdir()) == ["metrics.jsonl"]


def test_a_failed_write_leaves_the_old_figure(capsys, run_dir, monkeypatch):
    from matplotlib.figure import Figure

    assert run(capsys, "plot", run_dir)[0] == 0
    before = (run_dir / "curves.png").read_bytes()

    def half_then_fail(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        main(["plot", str(run_dir)])
    assert (run_dir / "curves.png").read_bytes() == before
    assert sorted(p.name for p in run_dir.iterdir()) == ["curves.png", "metrics.jsonl"]
