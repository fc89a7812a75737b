"""The optimisation recipe: optimizer, learning-rate schedule, loss, moving average."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.swa_utils import AveragedModel

from incdsl.train.config import TrainConfig


class TFRMSprop(torch.optim.Optimizer):
    """RMSProp as TensorFlow defines it, which is what the paper's "decay 0.9, epsilon 1.0"
    means: epsilon inside the square root and the mean square starting at one.

        ms  = decay * ms + (1 - decay) * g^2          (ms starts at 1)
        mom = momentum * mom + lr * g / sqrt(ms + eps)
        p  -= mom

    torch.optim.RMSprop adds epsilon outside the root and starts at zero; with epsilon 1.0
    that is a much smaller step, not the paper's optimizer. Weight decay is added to the
    gradient, as TF-Slim's L2 regulariser adds it to the loss.
    """

    def __init__(self, params, lr: float, decay: float = 0.9, eps: float = 1.0,
                 momentum: float = 0.9, weight_decay: float = 0.0):
        defaults = {"lr": lr, "decay": decay, "eps": eps, "momentum": momentum,
                    "weight_decay": weight_decay}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"]:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if not state:
                    state["square_avg"] = torch.ones_like(p)
                    state["momentum"] = torch.zeros_like(p)
                ms, mom = state["square_avg"], state["momentum"]
                ms.mul_(group["decay"]).addcmul_(grad, grad, value=1 - group["decay"])
                step = grad / (ms + group["eps"]).sqrt_()
                mom.mul_(group["momentum"]).add_(step, alpha=group["lr"])
                p.sub_(mom)
        return loss


def optimizer(config: TrainConfig, params) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if config.optimizer == "rmsprop":
        return TFRMSprop(params, config.lr, config.rmsprop_decay, config.rmsprop_eps,
                         config.momentum, config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, config.lr, momentum=config.momentum,
                           weight_decay=config.weight_decay, nesterov=config.momentum > 0)


def schedule(config: TrainConfig, opt: torch.optim.Optimizer, steps_per_epoch: int) -> LambdaLR:
    """A factor on the base learning rate for every optimizer step: a linear warm-up, then
    cosine to zero, TF-Slim's staircase decay (x0.94 every 2 epochs), or constant."""
    return LambdaLR(opt, Factor(config, steps_per_epoch))


class Factor:
    """The schedule's factor at each step. An object, not a closure, so that LambdaLR's
    state_dict keeps its attributes (plain numbers): a resumed run has its run's schedule."""

    def __init__(self, config: TrainConfig, steps_per_epoch: int):
        self.kind = config.schedule
        self.total = config.epochs * steps_per_epoch
        self.warmup = round(config.warmup_epochs * steps_per_epoch)
        self.every = max(1, round(config.decay_epochs * steps_per_epoch))
        self.decay_rate = config.decay_rate
        self.tail: list | None = None  # [from step, factor there]: a cosine stretched there

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        if self.kind == "cosine":
            start, scale = self.tail or (self.warmup, 1.0)
            return scale * _half_cosine((step - start) / max(1, self.total - start))
        if self.kind == "step":
            return self.decay_rate ** ((step - self.warmup) // self.every)
        return 1.0

    def extend(self, total: int, at_step: int) -> None:
        """A resumed run with another number of epochs: from `at_step` on, the cosine runs
        from the factor it has there down to zero at the new end, so the learning rate goes
        on from where it was instead of jumping. Warm-up, step and constant schedules do not
        depend on the length."""
        if total == self.total:
            return
        if self.kind == "cosine" and at_step > self.warmup:
            self.tail = [at_step, self(at_step)]
        self.total = total


def _half_cosine(progress: float) -> float:
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class Loss(nn.Module):
    """Cross-entropy with label smoothing; auxiliary heads weighted (0.4 in TF-Slim)."""

    def __init__(self, label_smoothing: float, aux_weight: float):
        super().__init__()
        self.ce = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        self.aux_weight = aux_weight

    def forward(self, outputs, labels):
        if isinstance(outputs, tuple):  # (logits, aux_logits, ...) in training mode
            main, *aux = outputs
            loss = self.ce(main, labels)
            for head in aux:
                loss = loss + self.aux_weight * self.ce(head, labels)
            return loss, main
        return self.ce(outputs, labels), outputs


def moving_average(model: nn.Module, decay: float) -> AveragedModel:
    """TensorFlow's ExponentialMovingAverage with num_updates, as TF-Slim uses it: the decay
    is min(decay, (1 + n) / (10 + n)), so early averages are not dominated by the random
    initial weights. BatchNorm statistics are averaged too (use_buffers)."""

    @torch.no_grad()
    def update(averaged: list[torch.Tensor], current: list[torch.Tensor], n: torch.Tensor):
        if not averaged[0].is_floating_point():  # num_batches_tracked: a count, not averaged
            torch._foreach_copy_(averaged, current)
            return
        d = min(decay, (1 + int(n)) / (10 + int(n)))
        torch._foreach_lerp_(averaged, current, 1 - d)

    return AveragedModel(model, multi_avg_fn=update, use_buffers=True)
