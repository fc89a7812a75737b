"""BatchNorm synchronised across a process group on any device, CPU with gloo included.

`torch.nn.SyncBatchNorm` refuses CPU tensors ("SyncBatchNorm expected input tensor to be on
GPU"), yet `incdsl train --nproc 2 --sync-bn` must work on CPU with the gloo backend, and the
tests run real multi-process DDP there. `CpuSyncBatchNorm` takes the batch statistics over
every rank with one differentiable all-reduce per layer; `convert_sync_batchnorm` swaps it in
for `nn.BatchNorm2d` and leaves CUDA models to `nn.SyncBatchNorm`.
"""

from __future__ import annotations

import itertools

import torch
import torch.distributed as dist
from torch import nn


class CpuSyncBatchNorm(nn.BatchNorm2d):
    """`nn.BatchNorm2d` whose training-mode statistics cover every rank of `process_group`
    (the default group when None).

    In eval mode, or without an initialised group of two or more ranks, it is exactly
    `nn.BatchNorm2d`. Gradients flow through the all-reduced statistics to every rank's
    input, as with `nn.SyncBatchNorm`; ranks may hold different batch sizes.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)
        self.process_group = process_group

    def _syncs(self) -> bool:
        return (self.training and dist.is_available() and dist.is_initialized()
                and dist.get_world_size(self.process_group) > 1)

    def forward(self, x):
        if not self._syncs():
            return super().forward(x)
        self._check_input_dim(x)
        c = x.shape[1]
        # Sum and sum of squares, so that one all-reduce suffices (a Welford/Chan combine of
        # per-rank means and M2 needs a gather or a second collective). E[x²] - E[x]² cancels
        # when |mean| >> std: in float64 it keeps float32's precision up to |mean| ~ 1e4 std.
        x64 = x.double()
        local = torch.cat([x64.sum((0, 2, 3)), (x64 * x64).sum((0, 2, 3)),
                           x64.new_full((1,), x.numel() // c)])
        total = _AllReduceSum.apply(local, self.process_group)
        n = int(total[-1].item())
        if n <= 1:  # nn.BatchNorm2d's own refusal, on the global count
            raise ValueError(f"Expected more than 1 value per channel when training, "
                             f"got {n} over the process group")
        mean = total[:c] / n
        var = (total[c:2 * c] / n - mean * mean).clamp(min=0)

        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                if self.momentum is None:  # cumulative moving average, as nn.BatchNorm2d
                    factor = 1.0 / float(self.num_batches_tracked)
                else:
                    factor = self.momentum
                for running, batch in ((self.running_mean, mean),
                                       (self.running_var, var * n / (n - 1))):
                    running.mul_(1 - factor).add_(factor * batch.to(running.dtype))

        scale = torch.rsqrt(var + self.eps)
        if self.weight is not None:
            scale = scale * self.weight
        shape = (1, c, 1, 1)
        y = (x - mean.to(x.dtype).view(shape)) * scale.to(x.dtype).view(shape)
        return y if self.bias is None else y + self.bias.view(shape)


class _AllReduceSum(torch.autograd.Function):
    """Differentiable sum over the group: each rank's statistics feed every rank's loss, so
    the gradient is the sum of all ranks' gradients, as in nn.SyncBatchNorm's backward.

    Not torch.distributed.nn.functional.all_reduce, which does the same but is deprecated
    (a FutureWarning per process) and, when first imported after init_process_group, keeps
    the default group alive in its default arguments: gloo then tears it down during
    interpreter exit, which sometimes aborts the process.
    """

    @staticmethod
    def forward(ctx, tensor, group):
        ctx.group = group
        tensor = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(tensor, group=group)
        return tensor

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(grad, group=ctx.group)
        return grad, None


def convert_sync_batchnorm(module: nn.Module, process_group=None) -> nn.Module:
    """Swap every `nn.BatchNorm2d` in `module` for a `CpuSyncBatchNorm` sharing its
    parameters and buffers (state_dict keys unchanged); return the module, which is new
    only if `module` itself was a BatchNorm2d.

    Modules with CUDA tensors go to `nn.SyncBatchNorm.convert_sync_batchnorm` instead.
    Other BatchNorm kinds (1d, 3d) are left as they are on CPU.
    """
    if any(t.is_cuda for t in itertools.chain(module.parameters(), module.buffers())):
        return nn.SyncBatchNorm.convert_sync_batchnorm(module, process_group)
    return _convert(module, process_group)


def _convert(module, process_group):
    if isinstance(module, nn.BatchNorm2d) and not isinstance(module, CpuSyncBatchNorm):
        sync = CpuSyncBatchNorm(module.num_features, module.eps, module.momentum,
                                module.affine, module.track_running_stats, process_group,
                                device="meta")
        # Built on "meta" (nothing allocated), then given the very Parameter objects, so an
        # optimizer built before the conversion still steps them, and the same buffers.
        for name in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            setattr(sync, name, getattr(module, name))
        return sync.train(module.training)
    for name, child in module.named_children():
        converted = _convert(child, process_group)
        if converted is not child:
            setattr(module, name, converted)
    return module
