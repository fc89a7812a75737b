"""What `incdsl bench` measures: models called on the same input in turns (ours, reference,
ours, ...), so that a machine whose speed drifts (other work, clocks, caches) slows both
alike; each figure is the median over the timed turns after warm-up ones."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Setup:
    device: torch.device
    amp: bool  # bf16 autocast
    channels_last: bool
    compile: bool
    warmup: int
    repeat: int

    def autocast(self):
        if not self.amp:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def place(self, model: torch.nn.Module) -> torch.nn.Module:
        model.to(self.device)
        if self.channels_last:
            model.to(memory_format=torch.channels_last)
        return model

    def batch(self, size: int, shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
        x = torch.randn(size, *shape, generator=torch.Generator().manual_seed(seed))
        x = x.to(self.device)
        return x.to(memory_format=torch.channels_last) if self.channels_last else x


@dataclass
class Timing:
    ms: float  # median milliseconds per call
    spread: float  # (max - min) / median of the timed calls
    peak_mib: float | None  # peak CUDA memory during the timed calls


def logits_of(out) -> torch.Tensor:
    return out[0] if isinstance(out, tuple) else out


def inference_step(model, x, setup: Setup) -> Callable[[], None]:
    model.eval()
    runner = torch.compile(model) if setup.compile else model

    def step():
        with torch.inference_mode(), setup.autocast():
            runner(x)

    return step


def training_step(model, x, setup: Setup, classes: int) -> Callable[[], None]:
    """Forward, cross-entropy on fixed labels, backward and an SGD update."""
    model.train()
    runner = torch.compile(model) if setup.compile else model
    labels = torch.arange(x.shape[0], device=x.device) % classes
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=1e-4, momentum=0.9)

    def step():
        with setup.autocast():
            loss = F.cross_entropy(logits_of(runner(x)).float(), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def alternate(steps: list[Callable[[], None]], setup: Setup) -> list[Timing]:
    """Time each step in turns; warm-up turns first (compilation happens there)."""
    for _ in range(setup.warmup):
        for step in steps:
            step()
    setup.sync()
    times: list[list[float]] = [[] for _ in steps]
    peaks: list[float | None] = [None] * len(steps)
    for _ in range(setup.repeat):
        for i, step in enumerate(steps):
            if setup.device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(setup.device)
            setup.sync()
            start = time.perf_counter()
            step()
            setup.sync()
            times[i].append(time.perf_counter() - start)
            if setup.device.type == "cuda":
                peak = torch.cuda.max_memory_allocated(setup.device) / 2**20
                peaks[i] = max(peaks[i] or 0.0, peak)
    out = []
    for t, peak in zip(times, peaks):
        median = statistics.median(t)
        out.append(Timing(median * 1e3, (max(t) - min(t)) / median, peak))
    return out
