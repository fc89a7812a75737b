"""Forward and forward+backward time of incdsl.build() against the reference implementation
of the same network, in one process.

    python bench/speed.py [--device cpu|cuda] [--dtype float32|bfloat16] [--channels-last]
                          [--compile] [--batch N] [--size N] [--repeat N] [NETWORK ...]

For each network both models get the same weights (imported by structure), the same batch,
dtype (bf16 through autocast) and memory format. Timed steps alternate between the two models
(ours, reference, ours, ...) so drifting clocks and caches hit both alike; each figure is the
median over --repeat steps after warm-up. ratio = reference time / our time: above 1 we are
faster, the target is >= 0.98.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

import torch

import incdsl
from incdsl.weights import import_weights, reference_model

NETWORKS = {  # name -> (spec, overrides, reference)
    "v3": ("v3", {}, "torchvision:inception_v3"),
    "v3-timm": ("v3", {"aux_logits": False, "drop_rate": 0.0}, "timm:inception_v3"),
    "v4": ("v4", {}, "timm:inception_v4"),
    "irv2": ("irv2", {}, "timm:inception_resnet_v2"),
}


def step_fn(model, x, train: bool, autocast):
    def forward():
        with torch.no_grad(), autocast():
            model(x)

    def forward_backward():
        with autocast():
            out = model(x)
        logits = out[0] if isinstance(out, tuple) else out
        logits.float().sum().backward()
        model.zero_grad(set_to_none=True)

    return forward_backward if train else forward


def timed(fn, sync) -> float:
    sync()
    start = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - start


def measure(args, name):
    spec, overrides, ref_name = NETWORKS[name]
    device = torch.device(args.device)
    ref = reference_model(ref_name)
    ours = incdsl.build(spec, **overrides)
    import_weights(ours, ref)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    models = [m.to(device, memory_format=fmt) for m in (ours, ref)]
    x = torch.randn(args.batch, 3, args.size, args.size, device=device).to(memory_format=fmt)
    if args.dtype == "bfloat16":
        def autocast():
            return torch.autocast(device.type, dtype=torch.bfloat16)
    else:
        autocast = contextlib.nullcontext
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    rows = {}
    for mode, train in (("forward", False), ("fwd+bwd", True)):
        for m in models:
            m.train(train)
        runners = [torch.compile(m) if args.compile else m for m in models]
        steps = [step_fn(r, x, train, autocast) for r in runners]
        for _ in range(args.warmup):
            for s in steps:
                s()
        times = [[], []]
        for _ in range(args.repeat):
            for i, s in enumerate(steps):
                times[i].append(timed(s, sync))
        rows[mode] = [statistics.median(t) * 1e3 for t in times]
    return ref_name, rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("networks", nargs="*", metavar="NETWORK",
                   help=f"some of {', '.join(NETWORKS)} (default: all)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--compile", action="store_true", help="torch.compile both models")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--size", type=int, default=299)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    args = p.parse_args()
    unknown = [n for n in args.networks if n not in NETWORKS]
    if unknown:
        p.error(f"unknown network {unknown[0]!r}: choose from {', '.join(NETWORKS)}")
    args.networks = args.networks or list(NETWORKS)
    torch.manual_seed(0)
    print(f"device={args.device} dtype={args.dtype} channels_last={args.channels_last} "
          f"compile={args.compile} batch={args.batch} size={args.size} "
          f"threads={torch.get_num_threads()} median of {args.repeat}")
    print(f"{'network':9} {'reference':27} {'mode':8} {'incdsl ms':>10} {'ref ms':>10} "
          f"{'ratio':>6}")
    for name in args.networks:
        ref_name, rows = measure(args, name)
        for mode, (ours, ref) in rows.items():
            print(f"{name:9} {ref_name:27} {mode:8} {ours:10.1f} {ref:10.1f} {ref / ours:6.3f}",
                  flush=True)


if __name__ == "__main__":
    main()
