"""Resuming with another --epochs: more epochs stretch the cosine from where it was (no jump
back up), fewer than the run has done are refused without touching the run."""

from __future__ import annotations

import itertools
import shutil
import warnings

import pytest
import torch

from incdsl.train import loop
from incdsl.train.config import TrainConfig
from incdsl.train.distributed import Context
from tests.train.conftest import TINY, make_image_folder
from tests.train.test_bad_input import one_line_error

CPU = Context(0, 1, 0, torch.device("cpu"))


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("epochs") / "images", classes=2,
                             train=12, val=1, size=20)


def config(data, epochs: int) -> TrainConfig:  # 24 images in batches of 4: 6 steps an epoch
    return TrainConfig(spec=str(TINY), set={"size": 16}, data=str(data), workers=0,
                       batch_size=4, epochs=epochs)


def trainer(data, epochs: int, run_dir) -> loop.Trainer:
    return loop.Trainer(config(data, epochs), run_dir, CPU, log=lambda *a, **k: None)


def learning_rates(t: loop.Trainer, steps: int) -> list[float]:
    """The learning rate of each of the next `steps` steps."""
    rates = []
    with warnings.catch_warnings():  # stepping the schedule without the optimizer
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(steps):
            rates.append(t.optimizer.param_groups[0]["lr"])
            t.schedule.step()
    return rates


def test_more_epochs_stretch_the_cosine_from_where_it_was(data, tmp_path):
    first = trainer(data, 2, tmp_path)  # warm-up over steps 0-5, cosine to 0 at step 12
    before = learning_rates(first, 8)
    first._save()  # as a run stopped after step 8 saves it
    resumed = trainer(data, 4, tmp_path)  # now 24 steps
    resumed._restore(torch.load(tmp_path / "checkpoint.pt", weights_only=True))
    after = learning_rates(resumed, 17)
    lr_at_8 = learning_rates(trainer(data, 2, tmp_path / "x"), 9)[8]
    assert after[0] == pytest.approx(lr_at_8)  # goes on from where it was...
    assert all(a >= b for a, b in itertools.pairwise(after))  # ...down, never back up...
    assert after[-2] > 0 and after[-1] == 0  # ...to zero at step 24
    assert before[-1] > after[0]
    assert resumed.resume_notes == [
        (f"--epochs 4 (the run had 2): the cosine schedule goes on from lr {after[0]:.4g} at "
         "step 8 to 0 at step 24")]


@pytest.fixture(scope="module")
def finished(data, tmp_path_factory):
    from incdsl.cli import main

    out = tmp_path_factory.mktemp("finished") / "run"
    assert main(["train", str(TINY), "--data", str(data), "--set", "size=16", "--workers", "0",
                 "--batch-size", "4", "--epochs", "2", "--log-every", "2", "--progress",
                 "false", "--out", str(out)]) == 0
    return out


def args(data, out, epochs):
    return ["train", TINY, "--data", data, "--set", "size=16", "--workers", 0, "--batch-size",
            4, "--epochs", epochs, "--log-every", 2, "--progress", "false", "--out", out,
            "--resume"]


def test_fewer_epochs_than_done_are_refused_and_nothing_is_rewritten(cli, data, finished,
                                                                     tmp_path):
    out = shutil.copytree(finished, tmp_path / "run")
    config, saved = (out / "config.yaml").read_bytes(), (out / "checkpoint.pt").read_bytes()
    code, _, err = cli(*args(data, out, 1))
    one_line_error(code, err, f"--resume --epochs 1: the run in {out} has already reached 2 "
                   "epochs; resume with --epochs 2 or more")
    assert (out / "config.yaml").read_bytes() == config
    assert (out / "checkpoint.pt").read_bytes() == saved


def test_more_epochs_after_a_finished_cosine_say_what_they_do(cli, data, finished, tmp_path):
    out = shutil.copytree(finished, tmp_path / "run")
    code, stdout, err = cli(*args(data, out, 3))
    assert code == 0, err
    assert ("--epochs 3 (the run had 2): the cosine schedule goes on from lr 0 at step 12 to 0 "
            "at step 18 (the run had finished its schedule, so the extra epochs train at lr 0;"
            in stdout)
    rows = [r for r in (out / "metrics.jsonl").read_text().splitlines() if '"train"' in r]
    assert all('"lr": 0.0,' in r for r in rows[-3:])  # steps 14, 16, 18: no jump back up
