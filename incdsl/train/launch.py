"""From `incdsl train` to running processes: the run directory, the device plan, and either
the loop in this process or one worker per GPU (or CPU process) through torch's own
elastic launcher, `torch.distributed.run` (what `torchrun` runs)."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from incdsl.errors import UsageError
from incdsl.train.config import TrainConfig
from incdsl.train.lock import HELD_BY_LAUNCHER


@dataclass(frozen=True)
class Plan:
    device: str  # "cuda" or "cpu"
    nproc: int  # processes on this node
    nnodes: int = 1
    node_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = 29500

    @property
    def in_process(self) -> bool:
        return self.nproc == 1 and self.nnodes == 1


def plan(gpus: int | None, nproc: int | None, nnodes: int = 1, node_rank: int = 0,
         master_addr: str = "127.0.0.1", master_port: int = 29500) -> Plan:
    """--gpus N: N GPU processes (NCCL); --nproc N: N CPU processes (gloo); neither: one
    process, on the GPU if there is one."""
    available = torch.cuda.device_count()
    if gpus is not None and nproc is not None:
        raise UsageError("--gpus and --nproc do not go together: --gpus N starts one process "
                         "per GPU, --nproc N that many CPU processes")
    if gpus is not None and gpus < 0 or nproc is not None and nproc < 1 or nnodes < 1:
        raise UsageError("--gpus must be 0 or more, --nproc and --nnodes 1 or more")
    if not 0 <= node_rank < nnodes:
        raise UsageError(f"--node-rank {node_rank}: must be in 0..{nnodes - 1}")
    if not 0 < master_port < 65536:
        raise UsageError(f"--master-port {master_port}: must be in 1..65535")
    if gpus is None:
        gpus = 1 if available and nproc is None else 0
    if gpus > available:
        raise UsageError(f"--gpus {gpus}: this machine has {available} GPU"
                         f"{'' if available == 1 else 's'} that PyTorch can use"
                         + ("" if available else "; --nproc N runs N CPU processes instead"))
    if gpus:
        return Plan("cuda", gpus, nnodes, node_rank, master_addr, master_port)
    return Plan("cpu", nproc or 1, nnodes, node_rank, master_addr, master_port)


def validate(config: TrainConfig, p: Plan) -> None:
    """What each worker would find wrong, found once here, before anything is written.
    (A run in this process needs none of it: building its Trainer checks the same.)"""
    from incdsl.train import checkpoint, data, model

    splits = data.open_data(config.data, config.data_root, config.download)
    model.network_graph(config, len(splits.classes))
    if config.init:
        checkpoint.load(config.init)
    data.steps_per_epoch(len(splits.train), config.batch_size, p.nproc * p.nnodes)


def trainer_here(config: TrainConfig, run_dir: Path, device: str, *, progress: bool):
    """The loop of a run in this process. Building it opens the data, elaborates the spec and
    reads --init, so it checks what validate() checks, and writes nothing."""
    from incdsl.train.distributed import start
    from incdsl.train.loop import Trainer

    return Trainer(config, run_dir, start(device), progress=progress)


def run_in_process(trainer, start) -> int:
    """Run `trainer` from `start` (incdsl.train.rundir.Start); returns the exit code."""
    from incdsl.train.loop import Stopped

    try:
        trainer.run(resume=start.state if start.resume else False)
    except Stopped as stop:
        return 128 + stop.signum
    return 0


def launch(p: Plan, run_dir: Path, *, resume: bool, progress: bool) -> int:
    """One worker per process through torch.distributed.run; returns the exit code."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    argv = [f"--nproc-per-node={p.nproc}", f"--nnodes={p.nnodes}", "--max-restarts=0"]
    if p.nnodes == 1:
        argv.append("--standalone")
    else:
        argv += [f"--node-rank={p.node_rank}", f"--master-addr={p.master_addr}",
                 f"--master-port={p.master_port}"]
    argv += ["--module", "incdsl.train.worker", str(run_dir), "--device", p.device]
    argv += ["--resume"] * resume + ["--progress"] * progress
    # torchrun would set one thread per process, and warn; share this machine's cores.
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // p.nproc)))
    # The workers inherit this: their launcher holds the run directory's lock for them.
    os.environ[HELD_BY_LAUNCHER] = str(os.getpid())
    try:
        run(parse_args(argv))
    except ChildFailedError as e:
        codes = [f.exitcode for f in e.failures.values()]
        stopped = [c for c in codes if c in (128 + signal.SIGTERM, 128 + signal.SIGINT)]
        return stopped[0] if stopped else (codes[0] if codes and codes[0] > 0 else 1)
    except SignalException as e:  # the launcher itself was told to stop; workers saved
        print(f"incdsl: stopped by {signal.Signals(e.sigval).name}", file=sys.stderr)
        return 128 + e.sigval
    finally:
        os.environ.pop(HELD_BY_LAUNCHER, None)
    return 0
