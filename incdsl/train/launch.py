"""From `incdsl train` to running processes: the run directory, the device plan, and either
the loop in this process or one worker per GPU (or CPU process) through torch's own
elastic launcher, `torch.distributed.run` (what `torchrun` runs)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

from incdsl.errors import UsageError
from incdsl.fileio import write_atomically
from incdsl.train.config import TrainConfig, as_dict, differences
from incdsl.train.loop import CHECKPOINT
from incdsl.train.metrics import METRICS, TENSORBOARD

CONFIG = "config.yaml"
RUN_FILES = (CHECKPOINT, CONFIG, METRICS, "curves.png")


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


def prepare_run_dir(out: Path, config: TrainConfig, *, resume: bool, force: bool,
                    first_node: bool = True) -> None:
    """Save the resolved config, which the workers read, after checking (on the first node)
    that a new run will not overwrite an old one or that a resumed run asks for what the
    saved one did. Other nodes only save it: on a shared file system the first node's run
    directory is theirs too, and they must not find it "already holding a run"."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if first_node:
        _check_run_dir(out, config, resume=resume, force=force)
    out.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(as_dict(config), sort_keys=False)
    write_atomically(out / CONFIG, lambda tmp: Path(tmp).write_text(text))


def _check_run_dir(out: Path, config: TrainConfig, *, resume: bool, force: bool) -> None:
    if resume:
        if not (out / CHECKPOINT).is_file():
            raise UsageError(f"--resume: {out} holds no checkpoint ({out / CHECKPOINT} is "
                             "missing); start the run without --resume")
        saved = yaml.safe_load((out / CONFIG).read_text()) if (out / CONFIG).is_file() else {}
        changed = differences(saved or {}, config)
        if changed:
            what = ", ".join(f"{k} ({saved.get(k)!r} there, {getattr(config, k)!r} now)"
                             for k in changed)
            raise UsageError(f"--resume: the run in {out} was started with other settings: "
                             f"{what}; resume it with the same ones, or start a new run")
    elif out.is_dir() and any(out.iterdir()):
        if not force:
            raise UsageError(f"--out {out} already holds a run; --resume continues it, "
                             "--force starts over in it, or choose another --out")
        for name in RUN_FILES:
            (out / name).unlink(missing_ok=True)
        shutil.rmtree(out / TENSORBOARD, ignore_errors=True)


def read_config(run_dir: Path) -> TrainConfig:
    return TrainConfig(**yaml.safe_load((run_dir / CONFIG).read_text()))


def trainer_here(config: TrainConfig, run_dir: Path, device: str, *, progress: bool):
    """The loop of a run in this process. Building it opens the data, elaborates the spec and
    reads --init, so it checks what validate() checks, and writes nothing."""
    from incdsl.train.distributed import start
    from incdsl.train.loop import Trainer

    return Trainer(config, run_dir, start(device), progress=progress)


def run_in_process(trainer, *, resume: bool) -> int:
    from incdsl.train.loop import Stopped

    try:
        trainer.run(resume=resume)
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
    try:
        run(parse_args(argv))
    except ChildFailedError as e:
        codes = [f.exitcode for f in e.failures.values()]
        stopped = [c for c in codes if c in (128 + signal.SIGTERM, 128 + signal.SIGINT)]
        return stopped[0] if stopped else (codes[0] if codes and codes[0] > 0 else 1)
    except SignalException as e:  # the launcher itself was told to stop; workers saved
        print(f"incdsl: stopped by {signal.Signals(e.sigval).name}", file=sys.stderr)
        return 128 + e.sigval
    return 0
