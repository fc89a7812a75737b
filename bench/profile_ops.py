"""Where the time goes: torch.profiler's table of one network's inference (or training step),
ours (optionally optimised) and the reference, with the same weights and input.

    python bench/profile_ops.py [irv2|v4|v3] [--batch N] [--optimize inference|training]
                            [--train] [--calls N] [--rows N]
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch.profiler import ProfilerActivity, profile

import incdsl
from incdsl.weights import import_weights, reference_model

NETWORKS = {
    "v3": ("v3", {"aux_logits": False, "drop_rate": 0.0}, "timm:inception_v3"),
    "v4": ("v4", {}, "timm:inception_v4"),
    "irv2": ("irv2", {}, "timm:inception_resnet_v2"),
}


def models(name: str, optimize: str | None):
    spec, overrides, ref_name = NETWORKS[name]
    ref = reference_model(ref_name)
    plain = incdsl.build(spec, seed=0, **overrides)
    import_weights(plain, ref)
    ours = plain
    if optimize:
        ours = incdsl.build(spec, seed=0, optimize=optimize, **overrides)
        ours.load_state_dict(plain.state_dict())
    return {"incdsl" + (f" optimize={optimize}" if optimize else ""): ours, ref_name: ref}


def run(model, x, train: bool) -> None:
    if train:
        model.train()
        F.cross_entropy(model(x), torch.zeros(len(x), dtype=torch.long)).backward()
        model.zero_grad(set_to_none=True)
        return
    model.eval()
    with torch.inference_mode():
        model(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("network", nargs="?", default="irv2", choices=list(NETWORKS))
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--optimize", choices=("inference", "training"))
    p.add_argument("--train", action="store_true", help="a training step, not inference")
    p.add_argument("--calls", type=int, default=3, help="profiled calls after one warm-up")
    p.add_argument("--rows", type=int, default=12)
    args = p.parse_args()
    x = torch.randn(args.batch, 3, 299, 299)
    for label, model in models(args.network, args.optimize).items():
        run(model, x, args.train)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(args.calls):
                run(model, x, args.train)
        print(f"\n{label}: {args.network}, batch {args.batch}, "
              f"{'training step' if args.train else 'inference'}, {args.calls} calls, "
              f"{torch.get_num_threads()} threads")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows,
                                        max_name_column_width=28))


if __name__ == "__main__":
    main()
