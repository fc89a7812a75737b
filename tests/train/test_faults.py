"""Fault injection: a real `incdsl train` process killed with SIGKILL at the moments a crash
can hit (before the first checkpoint, in a step, half-way through a checkpoint, between a
checkpoint and the epoch's rows, half-way through a row of metrics.jsonl), then started
again; the run that results equals an uninterrupted one: the same weights, bit for bit, and
the same metrics.jsonl, row for row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from incdsl.cli import main
from tests.train.conftest import TINY, make_image_folder

FAULTY = Path(__file__).with_name("faulty.py")

# 24 training images in batches of 4: 6 steps an epoch. A checkpoint every 5 steps and at
# the end of each epoch (steps 5, 6, 10, 12); a train row every 2 steps. An EMA and dropout,
# so that the moving average and the random state have to come back too.
def run_args(data, out):
    return ["train", TINY, "--data", data, "--set", "size=16", "--workers", 0,
            "--batch-size", 4, "--epochs", 2, "--ema-decay", 0.9, "--log-every", 2,
            "--save-every", 5, "--progress", "false", "--out", out]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_image_folder(tmp_path_factory.mktemp("faults") / "images", classes=2,
                             train=12, val=3, size=20)


@pytest.fixture(scope="module")
def straight(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight") / "run"
    assert main([str(a) for a in run_args(data, out)]) == 0
    return out


@pytest.fixture(scope="module")
def crashes():
    """faulty.py --serve: one process that forks a crashing `incdsl train` on request."""
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    server = subprocess.Popen([sys.executable, FAULTY, "--serve"], env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    yield server
    server.stdin.close()
    server.wait(timeout=60)


@pytest.fixture
def killed_at(crashes, tmp_path):
    """killed_at(WHERE, N, *ARGS): run `incdsl ARGS` in a process that gets SIGKILL at the
    N-th WHERE (see faulty.py); returns what it printed."""

    def run(where: str, n: int, *args) -> str:
        log = tmp_path / f"{where}-{n}.log"
        crashes.stdin.write(json.dumps([where, n, str(log), *map(str, args)]) + "\n")
        crashes.stdin.flush()
        ended = json.loads(crashes.stdout.readline())
        output = log.read_text()
        assert ended == {"signal": signal.SIGKILL}, output
        return output

    return run


def rows(run_dir: Path) -> list[dict]:
    """metrics.jsonl without what depends on the clock."""
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in ("time", "images_per_s")}
            for line in lines]


def saved(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoint.pt", weights_only=True)


def temporary_files(run_dir: Path) -> list[str]:
    return sorted(p.name for p in run_dir.glob(".*.tmp"))


def test_a_run_killed_again_and_again_ends_as_if_it_never_was(data, straight, killed_at,
                                                              tmp_path, cli):
    out = tmp_path / "run"
    args = run_args(data, out)

    # 1. Killed in step 3, before the first checkpoint: nothing to continue from, and a
    # plain restart is not refused ("already holds a run") but starts over.
    killed_at("step", 3, *args)
    assert not (out / "checkpoint.pt").exists() and (out / "config.yaml").exists()

    # 2. Started again without --resume, killed half-way through its first checkpoint (step
    # 5): the temporary file is left behind, and still no checkpoint.
    output = killed_at("checkpoint-write", 1, *args)
    assert "starting it over" in output
    assert not (out / "checkpoint.pt").exists()
    assert len(temporary_files(out)) == 1

    # 3. --resume with no checkpoint starts from the beginning too (no ping-pong between
    # "start without --resume" and "--resume continues it"); it removes the half file and
    # is killed just after the end-of-epoch checkpoint, before the epoch's rows.
    output = killed_at("after-checkpoint", 2, *args, "--resume")
    assert "holds no checkpoint" in output and "starting from the beginning" in output
    assert temporary_files(out) == []
    assert (saved(out)["epoch"], saved(out)["step"]) == (1, 6)
    assert not any(r["kind"] == "eval" for r in rows(out))  # the epoch's rows were not written

    # 4. Resumed (the end-of-epoch rows come from the checkpoint), killed in step 9.
    killed_at("step", 3, *args, "--resume")
    assert [r["kind"] for r in rows(out)].count("eval") == 2  # model and EMA, once each

    # 5. Resumed from the end of epoch 1 again, killed half-way through the row of step 10.
    killed_at("metrics-row", 2, *args, "--resume")
    assert not (out / "metrics.jsonl").read_text().endswith("\n")  # a torn last line

    # `incdsl plot` reads a run with a torn last line.
    code, _, err = cli("plot", out, "-o", tmp_path / "torn.svg")
    assert code == 0, err

    # 6. Resumed to the end.
    code, _, err = cli(*args, "--resume")
    assert code == 0, err
    assert rows(out) == rows(straight)
    finished, expected = saved(out), saved(straight)
    for part in ("model", "ema"):
        for key, tensor in expected[part].items():
            assert torch.equal(finished[part][key], tensor), f"{part} {key}"
    assert temporary_files(out) == []
    code, _, err = cli("plot", out, "-o", tmp_path / "curves.svg")
    assert code == 0, err
