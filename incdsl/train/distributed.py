"""This process's place in a run: rank, world size, device, and the few collectives the
loop needs. Outside `torchrun` (one process) there is no process group and they are no-ops."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    rank: int
    world: int
    local_rank: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def start(device_type: str) -> Context:
    """Join the process group `torchrun` set up the environment for, if any."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    return Context(rank, world, local_rank, device)


def stop() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def sum_(ctx: Context, values: torch.Tensor) -> torch.Tensor:
    """Element-wise sum over all processes (a copy; the input is left alone)."""
    if not ctx.distributed:
        return values.detach().clone()
    on_device = values.detach().to(ctx.device, copy=True)  # NCCL reduces GPU tensors only
    dist.all_reduce(on_device)
    return on_device.to(values.device)


def any_(ctx: Context, *flags: bool) -> list[bool]:
    """Whether any process raised each flag: every process takes the same decision."""
    if not ctx.distributed:
        return list(flags)
    t = torch.tensor([float(f) for f in flags], device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def barrier(ctx: Context) -> None:
    if ctx.distributed:
        dist.barrier()
