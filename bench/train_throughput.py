"""Training throughput (images/s) of `incdsl train`'s runner against a plain PyTorch loop on
the timm / torchvision reference of the same network, in one process.

    python bench/train_throughput.py [NETWORK ...] [--device cpu|cuda] [--batch N] [--size N]
        [--steps N] [--rounds N] [--workers N] [--amp] [--channels-last] [--compile]
        [--data synthetic|real|both] [--optimize training] [--peak-tflops X]

synthetic: both loops train on one batch already in memory, so the figure is the step alone
(ours: incdsl's Trainer.train_step, with its loss, gradient-norm check and schedule).
real: both loops read JPEG files from an ImageFolder written to a temporary directory,
decoded and distorted by DataLoader workers: ours through the runner's own loader (per-sample
seeded distortions), the plain loop through torchvision's ImageFolder with the same
transforms. Rounds alternate (ours, reference, ours, ...); each figure is the median over
rounds. ratio = ours / reference images/s: the target is >= 0.95. When the real-data figure
is well below the synthetic one, the data pipeline is the bottleneck.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from incdsl.train.config import TrainConfig
from incdsl.train.distributed import Context
from incdsl.train.loop import Trainer

NETWORKS = {  # name -> (spec, overrides, reference); the aux head needs 299x299 input
    "v3": ("v3", {"aux_logits": False, "drop_rate": 0.0}, "timm:inception_v3"),
    "v3-aux": ("v3", {}, "torchvision:inception_v3"),
    "v4": ("v4", {}, "timm:inception_v4"),
    "irv2": ("irv2", {}, "timm:inception_resnet_v2"),
}
CLASSES = 10


def write_images(root: Path, count: int, size: int) -> Path:
    """An ImageFolder of `count` JPEGs in CLASSES folders, a little larger than the crop."""
    from PIL import Image

    gen = torch.Generator().manual_seed(0)
    for split in ("train", "val"):
        for i in range(count if split == "train" else CLASSES):
            folder = root / split / f"c{i % CLASSES}"
            folder.mkdir(parents=True, exist_ok=True)
            pixels = torch.randint(0, 256, (size, size, 3), dtype=torch.uint8, generator=gen)
            Image.fromarray(pixels.numpy()).save(folder / f"{i}.jpg", quality=90)
    return root


def reference(name: str, device: torch.device) -> nn.Module:
    _, _, ref_name = NETWORKS[name]
    library, model = ref_name.split(":")
    if library == "timm":
        import timm

        return timm.create_model(model, num_classes=CLASSES).to(device)
    import torchvision

    return torchvision.models.inception_v3(num_classes=CLASSES, aux_logits=True,
                                           init_weights=False).to(device)


class PlainLoop:
    """What one writes by hand: SGD, cross-entropy with label smoothing, the auxiliary head
    weighted 0.4, bf16 autocast when asked."""

    def __init__(self, model: nn.Module, args, device: torch.device):
        self.model, self.device, self.args = model, device, args
        self.opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True,
                                   weight_decay=5e-5)
        self.ce = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.runner = torch.compile(model) if args.compile else model

    def step(self, images, labels):
        images = images.to(self.device, non_blocking=True)
        labels = labels.to(self.device, non_blocking=True)
        if self.args.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        autocast = (torch.autocast(self.device.type, torch.bfloat16) if self.args.amp
                    else contextlib.nullcontext())
        with autocast:
            out = self.runner(images)
            if isinstance(out, tuple):
                loss = self.ce(out[0], labels) + 0.4 * self.ce(out[1], labels)
            else:
                loss = self.ce(out, labels)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()


def plain_loader(folder: Path, size: int, args):
    from torchvision import datasets

    from incdsl.train import data

    transform = data.train_transform((size, size), "inception")
    dataset = datasets.ImageFolder(str(folder / "train"), transform=transform)
    return torch.utils.data.DataLoader(dataset, batch_size=args.batch, shuffle=True,
                                       num_workers=args.workers, drop_last=True,
                                       pin_memory=args.device == "cuda",
                                       persistent_workers=args.workers > 0)


def forever(loader):
    while True:
        yield from loader


def timed_round(step, batches, steps: int, batch: int, sync) -> float:
    sync()
    start = time.perf_counter()
    for images, labels in itertools.islice(batches, steps):
        step(images, labels)
    sync()
    return steps * batch / (time.perf_counter() - start)


def measure(name: str, args, folder: Path | None) -> dict[str, tuple[float, float]]:
    spec, overrides, _ = NETWORKS[name]
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    config = TrainConfig(spec=spec, set={**overrides, "size": args.size},
                         data=str(folder) if folder else "digits", batch_size=args.batch,
                         workers=args.workers, amp="bf16" if args.amp else "off",
                         channels_last=args.channels_last, compile=args.compile,
                         optimize=args.optimize,
                         epochs=1000, warmup_epochs=0, log_every=10**9)
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(config, Path(run_dir), Context(0, 1, 0, device),
                          log=lambda *a, **k: None)
        trainer.net.train()
        ref = reference(name, device)
        if args.channels_last:
            ref = ref.to(memory_format=torch.channels_last)
        plain = PlainLoop(ref.train(), args, device)

        x = torch.randn(args.batch, 3, args.size, args.size)
        y = torch.randint(0, CLASSES, (args.batch,))
        results = {}
        kinds = {"synthetic": (itertools.repeat((x, y)), itertools.repeat((x, y)))}
        if folder is not None:
            ours_batches = ((b.images, b.labels) for b in forever(trainer.train_loader))
            kinds["real"] = (ours_batches, forever(plain_loader(folder, args.size, args)))
        for kind, (ours_batches, ref_batches) in kinds.items():
            if args.data not in (kind, "both"):
                continue
            loops = [(trainer.train_step, ours_batches), (plain.step, ref_batches)]
            for step, batches in loops:  # warm-up (and compilation)
                timed_round(step, batches, args.warmup, args.batch, sync)
            rates = [[], []]
            for _ in range(args.rounds):
                for i, (step, batches) in enumerate(loops):
                    rates[i].append(timed_round(step, batches, args.steps, args.batch, sync))
            results[kind] = (statistics.median(rates[0]), statistics.median(rates[1]))
    return results


def image_flops(name: str, size: int) -> float:
    """Training FLOPs per image: forward and backward, 3 x 2 x the spec's MACs."""
    import incdsl
    from incdsl.ir.graph import total_macs

    spec, overrides, _ = NETWORKS[name]
    g = incdsl.graph(spec, **{**overrides, "size": size, "classes": CLASSES})
    return 6 * total_macs(g, with_aux=False)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("networks", nargs="*", metavar="NETWORK",
                   help=f"some of {', '.join(NETWORKS)} (default: all)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--size", type=int, default=139)
    p.add_argument("--steps", type=int, default=5, help="steps per timed round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--amp", action="store_true", help="bf16 autocast")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--data", choices=("synthetic", "real", "both"), default="both")
    p.add_argument("--optimize", choices=("none", "training"), default="none",
                   help="ours with the compiler's training passes (incdsl train --optimize)")
    p.add_argument("--peak-tflops", type=float, default=0.0,
                   help="the device's peak TFLOP/s: adds model FLOP utilisation columns")
    args = p.parse_args()
    unknown = [n for n in args.networks if n not in NETWORKS]
    if unknown:
        p.error(f"unknown network {unknown[0]!r}: choose from {', '.join(NETWORKS)}")
    torch.manual_seed(0)
    print(f"device={args.device} batch={args.batch} size={args.size} amp={args.amp} "
          f"channels_last={args.channels_last} compile={args.compile} workers={args.workers} "
          f"threads={torch.get_num_threads()} optimize={args.optimize}; median of "
          f"{args.rounds} rounds of {args.steps} steps")
    mfu = "  incdsl MFU   plain MFU" if args.peak_tflops else ""
    print(f"{'network':8} {'data':10} {'incdsl img/s':>13} {'plain img/s':>12} {'ratio':>6}"
          + mfu)
    with tempfile.TemporaryDirectory() as tmp:
        folder = None
        if args.data != "synthetic":
            count = args.batch * (args.steps * (args.rounds + 1) + args.warmup)
            folder = write_images(Path(tmp), count, round(args.size * 1.15))
        for name in args.networks or list(NETWORKS):
            flops = image_flops(name, args.size)
            for kind, (ours, ref) in measure(name, args, folder).items():
                line = f"{name:8} {kind:10} {ours:13.1f} {ref:12.1f} {ours / ref:6.3f}"
                if args.peak_tflops:  # 3x the forward's FLOPs per trained image
                    line += "".join(f"  {rate * flops / args.peak_tflops / 1e12:10.1%}"
                                    for rate in (ours, ref))
                print(line, flush=True)


if __name__ == "__main__":
    main()
