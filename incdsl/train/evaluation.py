"""Loss, top-1 and top-5 over the held-out split, summed over all processes; held-out images
that cannot be read are skipped and counted, as training images are."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from incdsl.train.distributed import Context, sum_


def correct_top(logits: torch.Tensor, labels: torch.Tensor, ks=(1, 5)) -> torch.Tensor:
    """How many of the batch have their label among the top-k logits, for each k."""
    top = logits.topk(min(max(ks), logits.shape[1]), dim=1).indices
    hits = top == labels[:, None]
    return torch.stack([hits[:, :k].any(dim=1).sum() for k in ks])


@torch.no_grad()
def evaluate(net: nn.Module, loader, ctx: Context, criterion, channels_last: bool = False,
             on_skipped: Callable[[list[str]], None] | None = None) -> dict[str, float]:
    """Loss, top-1 and top-5 (percent) over the whole held-out split, all processes summed,
    with `images` evaluated and `unreadable` skipped. `on_skipped` hears of this process's
    unreadable images by path."""
    was_training = net.training
    net.eval()
    totals = torch.zeros(5, dtype=torch.float64)  # loss sum, top-1, top-5, images, unreadable
    for item in loader:
        if item.skipped:
            totals[4] += len(item.skipped)
            if on_skipped is not None:
                on_skipped(item.skipped)
        if len(item.labels) == 0:
            continue
        images = item.images.to(ctx.device, non_blocking=True)
        labels = item.labels.to(ctx.device, non_blocking=True)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        logits = net(images).float()
        top1, top5 = correct_top(logits, labels).tolist()
        totals[:4] += torch.tensor([float(criterion(logits, labels)) * len(labels), top1, top5,
                                    len(labels)], dtype=torch.float64)
    net.train(was_training)
    totals = sum_(ctx, totals)
    n = max(1.0, float(totals[3]))
    return {"loss": round(float(totals[0]) / n, 5), "top1": round(100 * float(totals[1]) / n, 3),
            "top5": round(100 * float(totals[2]) / n, 3), "images": int(totals[3]),
            "unreadable": int(totals[4])}
