"""What a run leaves behind: the resolved settings, metrics.jsonl, TensorBoard events."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.train.conftest import TINY


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from incdsl.cli import main

    out = tmp_path_factory.mktemp("run") / "r"
    config = out.parent / "run.yaml"
    config.write_text("preset: paper\nepochs: 2\nset: {size: 16}\nlog_every: 5\n")
    assert main(["train", str(TINY), "--config", str(config), "--batch-size", "64",
                 "--progress", "false", "--out", str(out)]) == 0
    return out


def test_the_resolved_settings_are_saved(run_dir):
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["preset"] == "paper" and saved["optimizer"] == "rmsprop"  # from the preset
    assert saved["epochs"] == 2 and saved["set"] == {"size": 16}  # from the file
    assert saved["batch_size"] == 64  # from the flag
    assert saved["ema_decay"] == 0.9999 and saved["spec"] == str(TINY)


def test_metrics_rows(run_dir):
    rows = [json.loads(r) for r in (run_dir / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["kind"] == "train"]
    evals = [r for r in rows if r["kind"] == "eval"]
    assert [r["step"] for r in train] == [5, 10, 15, 20, 22, 25, 30, 35, 40, 44]
    assert all(r["images_per_s"] > 0 and r["lr"] > 0 for r in train)
    # the paper's moving average is evaluated beside the weights themselves
    assert [(r["epoch"], r["weights"]) for r in evals] == [
        (0, "model"), (0, "ema"), (1, "model"), (1, "ema")]


def test_tensorboard_events(run_dir):
    from tensorboard.backend.event_processing import event_accumulator as accumulator
    events = accumulator.EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"train/loss", "train/lr", "eval/model/top1", "eval/ema/top5"} <= tags
    assert [e.step for e in events.Scalars("eval/model/top1")] == [22, 44]


def test_plot_of_the_run(run_dir, tmp_path):
    from incdsl.cli import main

    assert main(["plot", str(run_dir), "-o", str(tmp_path / "c.svg")]) == 0
    assert "eval (EMA)" in (tmp_path / "c.svg").read_text()
