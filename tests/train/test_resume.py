"""Runs that survive: an interrupted run continues bit for bit, a signal leaves a loadable
checkpoint, and a diverging loss stops with the last good checkpoint kept."""

from __future__ import annotations

import json
import signal
import time

import pytest
import torch

from incdsl.train import loop
from incdsl.train.config import TrainConfig
from incdsl.train.distributed import Context
from tests.train.conftest import TINY, incdsl_process

# The tiny network on the digits at 16x16 with dropout, light distortions and an EMA: every
# source of randomness a resumed run has to reproduce.
RUN = ["--set", "size=16", "--batch-size", 64, "--epochs", 2, "--ema-decay", 0.9,
       "--log-every", 1, "--progress", "false"]


def load(run_dir):
    return torch.load(run_dir / "checkpoint.pt", weights_only=True)


def assert_same_weights(a, b):
    for name in ("model", "ema"):
        assert a[name].keys() == b[name].keys()
        for key in a[name]:
            assert torch.equal(a[name][key], b[name][key]), f"{name} {key}"


def wait_for_rows(path, count, process, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    raise AssertionError("the run did not get going")


def test_resume_after_sigterm_is_bit_for_bit(cli, tmp_path):
    straight = tmp_path / "straight"
    assert cli("train", TINY, *RUN, "--out", straight)[0] == 0

    broken = tmp_path / "broken"
    process = incdsl_process("train", TINY, *RUN, "--out", broken)
    wait_for_rows(broken / "metrics.jsonl", 5, process)  # well into the first epoch
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "stopped by SIGTERM" in err and "--resume" in err and "Traceback" not in err
    stopped = load(broken)
    assert stopped["epoch"] == 0 and 0 < stopped["step_in_epoch"] < 22

    # Resumed with another number of loader workers: the distortions do not depend on it.
    code, out, err = cli("train", TINY, *RUN, "--out", broken, "--resume", "--workers", 1)
    assert code == 0, err
    assert f"resuming at epoch 1, step {stopped['step']}" in out
    assert_same_weights(load(straight), load(broken))
    rows = [json.loads(r) for r in (broken / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["kind"] == "eval" and rows[-1]["epoch"] == 1


def test_diverging_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    config = TrainConfig(spec=str(TINY), set={"size": 16}, epochs=3, batch_size=64)
    trainer = loop.Trainer(config, tmp_path, Context(0, 1, 0, torch.device("cpu")),
                           log=lambda *a, **k: None)
    real_step = trainer.train_step

    def poisoned(images, labels):  # from the second epoch on, the input is NaN
        if trainer.epoch >= 1:
            images = images * float("nan")
        return real_step(images, labels)

    monkeypatch.setattr(trainer, "train_step", poisoned)
    with pytest.raises(loop.Diverged) as info:
        trainer.run()
    message = str(info.value)
    assert "epoch 2, step 23" in message and "is kept" in message and "nan" in message
    kept = load(tmp_path)
    assert kept["epoch"] == 1 and kept["step"] == 22
    assert all(torch.isfinite(t).all() for t in kept["model"].values()
               if t.is_floating_point())


def test_diverging_run_from_the_command_line(cli, tmp_path):
    code, _, err = cli("train", TINY, "--set", "size=16", "--epochs", 1, "--batch-size", 64,
                       "--lr", 1e30, "--momentum", 0, "--warmup-epochs", 0,
                       "--progress", "false", "--out", tmp_path / "r")
    assert code == 1 and "Traceback" not in err
    assert "the gradient norm became" in err and "lower learning rate" in err
    assert not (tmp_path / "r" / "checkpoint.pt").exists()
