"""How `incdsl train` maps its process flags onto torch.distributed.run, including the
multi-node ones that cannot be run on one machine, and on GPUs when there are some."""

from __future__ import annotations

import pytest
import torch

from incdsl.errors import UsageError
from incdsl.train import launch


def launched_args(monkeypatch, p: launch.Plan, **kwargs):
    from torch.distributed import run

    seen = {}
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # launch() sets it when unset: keep ours
    monkeypatch.setattr(run, "run", lambda args: seen.setdefault("args", args))
    assert launch.launch(p, "runs/x", resume=kwargs.get("resume", False), progress=False) == 0
    return seen["args"]


def test_one_node_is_a_standalone_rendezvous(monkeypatch):
    args = launched_args(monkeypatch, launch.plan(None, 2), resume=True)
    assert args.nproc_per_node == "2" and args.nnodes == "1" and args.standalone
    assert args.module and args.training_script == "incdsl.train.worker"
    assert args.training_script_args == ["runs/x", "--device", "cpu", "--resume"]
    assert args.max_restarts == 0


def test_several_nodes_meet_at_node_zero(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 8)
    p = launch.plan(8, None, nnodes=2, node_rank=1, master_addr="10.0.0.1", master_port=29400)
    args = launched_args(monkeypatch, p)
    assert (args.nproc_per_node, args.nnodes, args.node_rank) == ("8", "2", 1)
    assert (args.master_addr, args.master_port, args.standalone) == ("10.0.0.1", 29400, False)
    assert args.training_script_args[-2:] == ["--device", "cuda"]


def test_plan_defaults(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert launch.plan(None, None) == launch.Plan("cpu", 1)
    assert launch.plan(None, None).in_process
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert launch.plan(None, None) == launch.Plan("cuda", 1)  # a GPU when there is one
    assert launch.plan(0, None).device == "cpu"
    with pytest.raises(UsageError, match="--node-rank 2"):
        launch.plan(1, None, nnodes=2, node_rank=2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_training_on_a_gpu_with_bf16(cli, tmp_path):
    from tests.train.conftest import TINY

    code, out, err = cli("train", TINY, "--set", "size=32", "--epochs", 1, "--progress", "false",
                         "--channels-last", "--out", tmp_path / "r")
    assert code == 0, err
    assert "on cuda" in out


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_two_gpus_with_sync_bn(tmp_path):
    from tests.train.conftest import TINY, incdsl_process

    process = incdsl_process("train", TINY, "--set", "size=32", "--epochs", 1, "--gpus", 2,
                             "--sync-bn", "--progress", "false", "--out", tmp_path / "r")
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    assert "x 2 process(es) on cuda" in out


def test_other_nodes_share_the_first_nodes_run_directory(tmp_path):
    from incdsl.train import rundir
    from incdsl.train.config import TrainConfig

    out, config = tmp_path / "run", TrainConfig(epochs=3)
    rundir.prepare(out, config, resume=False, force=False)  # node 0
    (out / "metrics.jsonl").write_text("{}\n")  # node 0's run has begun
    (out / "checkpoint.pt").write_bytes(b"")  # and has saved
    rundir.prepare(out, config, resume=False, force=False, first_node=False)
    assert (out / "metrics.jsonl").exists()  # node 1 neither refused nor cleared it
    assert rundir.read_config(out) == config
    with pytest.raises(UsageError, match="already holds a run"):
        rundir.prepare(out, config, resume=False, force=False)  # node 0 again
