"""Real multi-process training: `incdsl train --nproc 2` runs two gloo processes through
torch.distributed.run, and with --sync-bn one step of the pair equals one step of a single
process on the same global batch."""

from __future__ import annotations

import signal

import pytest
import torch

from tests.train.conftest import TINY, incdsl_process
from tests.train.test_resume import wait_for_rows

# One step: eight training images, a global batch of eight. No dropout and no distortions,
# so the only differences left are where the BatchNorm statistics come from.
ONE_STEP = ["--set", "size=32", "--set", "drop_rate=0", "--augment", "none", "--epochs", 1,
            "--progress", "false", "--lr", 0.5]


def run(*args):
    process = incdsl_process("train", *args)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return out, err


def weights(run_dir):
    return torch.load(run_dir / "checkpoint.pt", weights_only=True)["model"]


@pytest.fixture(scope="module")
def one_step_runs(tmp_path_factory):
    from tests.train.conftest import make_image_folder

    root = tmp_path_factory.mktemp("ddp")
    data = make_image_folder(root / "images", classes=2, train=4, val=2)
    single, synced, unsynced = root / "single", root / "synced", root / "unsynced"
    run(TINY, *ONE_STEP, "--data", data, "--batch-size", 8, "--out", single)
    out, _ = run(TINY, *ONE_STEP, "--data", data, "--batch-size", 4, "--nproc", 2,
                 "--sync-bn", "--out", synced)
    assert "batch 4 x 2 process(es)" in out
    run(TINY, *ONE_STEP, "--data", data, "--batch-size", 4, "--nproc", 2, "--out", unsynced)
    return weights(single), weights(synced), weights(unsynced)


def test_two_processes_with_sync_bn_equal_one_process(one_step_runs):
    single, synced, _ = one_step_runs
    assert single.keys() == synced.keys()
    for key in single:
        if single[key].is_floating_point():
            torch.testing.assert_close(synced[key], single[key], rtol=1e-4, atol=1e-5,
                                       msg=lambda m, key=key: f"{key}: {m}")
        else:
            assert torch.equal(synced[key], single[key]), key


def test_without_sync_bn_the_statistics_are_per_process(one_step_runs):
    single, _, unsynced = one_step_runs
    differs = [k for k in single if "running_mean" in k
               and not torch.allclose(single[k], unsynced[k], atol=1e-5)]
    assert differs  # so the equality above is the synchronisation's doing


def test_sigterm_under_torchrun_saves_and_resume_continues(tmp_path):
    out = tmp_path / "r"
    args = [TINY, "--set", "size=16", "--batch-size", 32, "--epochs", 2, "--log-every", 1,
            "--progress", "false", "--nproc", 2, "--out", out]
    process = incdsl_process("train", *args)
    wait_for_rows(out / "metrics.jsonl", 3, process, timeout=240)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "checkpoint saved" in err
    stopped = torch.load(out / "checkpoint.pt", weights_only=True)
    assert stopped["step"] >= 3
    stdout, _ = run(*args, "--resume")
    assert f"resuming at epoch {stopped['epoch'] + 1}, step {stopped['step']}" in stdout
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 2
