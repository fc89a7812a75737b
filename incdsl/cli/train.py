"""`incdsl train SPEC [--gpus N | --nproc N] [--config run.yaml] [--set k=v] [flags]`.

Every setting of incdsl.train.config.TrainConfig is a flag (`--batch-size 32`) and a key of
the `--config` YAML file (`batch_size: 32`); flags win over the file, the file over the
preset.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from incdsl.cli import add_spec_arguments
from incdsl.errors import UsageError

# Settings set otherwise (the positional SPEC, --set, --network) or not from the command line.
_NOT_FLAGS = {"spec", "set", "network"}

_METAVARS = {"data": "DATA", "data_root": "DIR", "init": "FILE"}

HELP = {
    "data": "digits (built in, the default), a directory with train/ and val/ of class "
            "folders, or torchvision:NAME (e.g. torchvision:Flowers102)",
    "data_root": "where torchvision datasets are kept",
    "download": "let torchvision download the dataset (needs the internet)",
    "augment": "training distortions: inception (the paper's), light, none; auto: light "
               "for digits, inception otherwise",
    "workers": "data loader processes per training process (-1: automatic)",
    "preset": "default (converges on small data) or paper (RMSProp 0.045, x0.94 every 2 "
              "epochs, clipping 2.0, EMA 0.9999, ...)",
    "batch_size": "images per step per process",
    "optimizer": "sgd (Nesterov), rmsprop (TensorFlow's, as in the paper) or adamw",
    "schedule": "cosine, step (x decay_rate every decay_epochs) or constant; after warm-up",
    "clip_grad_norm": "clip the gradient norm to this (0: off)",
    "aux_weight": "weight of the auxiliary heads' loss",
    "ema_decay": "evaluate an exponential moving average of the weights too (0: off)",
    "amp": "bf16 autocast: auto (on GPUs), bf16, off",
    "channels_last": "channels_last memory format",
    "compile": "torch.compile the model",
    "sync_bn": "BatchNorm statistics over all processes",
    "init": "start from these weights (a checkpoint or a state_dict from incdsl weights "
            "import); a classifier of another width starts fresh",
    "exclude": "with --init: start the modules under this path fresh (repeatable)",
    "trainable": "train only the parameters under this module path (repeatable)",
    "seed": "seed of the initialisation, the shuffling and the distortions",
    "log_every": "steps between rows of metrics.jsonl",
    "save_every": "steps between checkpoints within an epoch (0: at the end of epochs)",
}


def add_parser(sub) -> None:
    from incdsl.train.config import CHOICES, FIELDS, kind_of

    p = sub.add_parser("train", help="train a network (one CPU to many GPUs)",
                       description="Train the network a spec describes. One process by "
                       "default (on the GPU if there is one); --gpus N or --nproc N start "
                       "that many through torch.distributed.run (DDP).")
    add_spec_arguments(p)
    launch = p.add_argument_group("processes")
    launch.add_argument("--gpus", type=int, metavar="N", help="one process per GPU (NCCL)")
    launch.add_argument("--nproc", type=int, metavar="N", help="N CPU processes (gloo)")
    launch.add_argument("--nnodes", type=int, default=1, metavar="M",
                        help="machines in the run (each runs the same command)")
    launch.add_argument("--node-rank", type=int, default=0, metavar="R")
    launch.add_argument("--master-addr", default="127.0.0.1", metavar="HOST",
                        help="address of node 0, reachable from every node")
    launch.add_argument("--master-port", type=int, default=29500, metavar="PORT")

    run = p.add_argument_group("run")
    run.add_argument("--out", type=Path, metavar="DIR",
                     help="run directory (default: runs/SPEC_NAME)")
    run.add_argument("--config", metavar="FILE.yaml", help="settings from a YAML file")
    run.add_argument("--resume", action="store_true",
                     help="continue the run in --out from its checkpoint")
    run.add_argument("--force", action="store_true",
                     help="start over in an --out that holds a run")
    run.add_argument("--progress", choices=("auto", "true", "false"), default="auto",
                     help="progress bar (auto: when stderr is a terminal)")

    settings = p.add_argument_group("settings (also keys of --config)")
    for name in FIELDS:
        if name in _NOT_FLAGS:
            continue
        kind = kind_of(name)
        flag = "--" + name.replace("_", "-")
        extra = {"help": HELP.get(name), "dest": f"setting_{name}", "default": None}
        if kind is bool:
            settings.add_argument(flag, action=argparse.BooleanOptionalAction, **extra)
        elif kind is list:
            settings.add_argument(flag, action="append", metavar="MODULE", **extra)
        else:
            metavar = None if name in CHOICES else _METAVARS.get(name) or {
                int: "N", float: "X"}.get(kind, "TEXT")
            settings.add_argument(flag, type=kind, choices=CHOICES.get(name), metavar=metavar,
                                  **extra)
    p.set_defaults(run=run_command)


def config_of(args):
    """The resolved TrainConfig: preset < --config file < flags."""
    from incdsl.elaborate import parse_overrides
    from incdsl.train.config import load_file, resolve

    file_settings = load_file(args.config) if args.config else {}
    flags = {k.removeprefix("setting_"): v for k, v in vars(args).items()
             if k.startswith("setting_") and v is not None}
    flags["spec"] = args.spec
    if args.network:
        flags["network"] = args.network
    overrides = {**file_settings.get("set", {}), **parse_overrides(args.overrides)}
    if overrides:
        flags["set"] = overrides
    return resolve(file_settings, flags)


def run_command(args) -> int:
    from incdsl.train import launch, lock, rundir

    config = config_of(args)
    p = launch.plan(args.gpus, args.nproc, args.nnodes, args.node_rank, args.master_addr,
                    args.master_port)
    out = args.out or Path("runs") / Path(config.spec).stem
    progress = {"true": True, "false": False}.get(args.progress, sys.stderr.isatty())
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    if args.resume and not out.is_dir():
        raise UsageError(f"--resume: {out} holds no run (no such directory); start the run "
                         "without --resume")
    # A bad spec, data or --init is reported before anything is written.
    if p.in_process:
        trainer = launch.trainer_here(config, out, p.device, progress=progress)
    else:
        launch.validate(config, p)
    # The first node owns the run directory; on a shared file system the others' launchers
    # only save config.yaml in it, and must not be refused by node 0's lock.
    first_node = p.node_rank == 0
    with lock.take(out) if first_node else contextlib.nullcontext():
        start = rundir.prepare(out, config, resume=args.resume, force=args.force,
                               first_node=first_node)
        if p.in_process:
            return launch.run_in_process(trainer, start)
        if p.nnodes > 1:
            print(f"node {p.node_rank} of {p.nnodes}: waiting for the others at "
                  f"{p.master_addr}:{p.master_port}", file=sys.stderr)
        return launch.launch(p, out, resume=start.resume, progress=progress)
