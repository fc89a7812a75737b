"""`incdsl bench SPEC`: inference latency and throughput at chosen batch sizes, training
images/s, peak CUDA memory and achieved TFLOP/s (from the spec's MAC count), optionally
against a hand-written reference measured in the same process, in turns.

    incdsl bench irv2 --batch 1,8 --optimize inference --against timm:inception_resnet_v2
    incdsl bench v3 --device cuda --amp bf16 --channels-last --compile --json
"""

from __future__ import annotations

import json
import sys

from incdsl.cli import add_spec_arguments, load_graph
from incdsl.errors import UsageError

TRAIN_FLOPS = 3  # forward + backward (twice the forward's work): the usual convention


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="measure speed, against a reference if asked",
                       description="Time inference (latency, images/s) at each batch size "
                       "and a training step (images/s), with peak CUDA memory and achieved "
                       "TFLOP/s from the spec's multiply-accumulates. With --against, the "
                       "reference gets the same weights and input and is timed in turns "
                       "with ours; speedup = reference ms / our ms.")
    add_spec_arguments(p)
    p.add_argument("--batch", default="1,8", metavar="N[,N...]",
                   help="inference batch sizes (default 1,8)")
    p.add_argument("--train-batch", type=int, default=8, metavar="N",
                   help="training batch size (default 8; 0: no training row)")
    p.add_argument("--optimize", dest="variant", choices=("inference", "training"),
                   metavar="inference|training",
                   help="our model with the compiler's passes: inference rows use this mode, "
                   "training rows the training passes")
    p.add_argument("--against", metavar="LIB:NAME",
                   help="a reference to time beside ours, e.g. timm:inception_resnet_v2 or "
                   "torchvision:inception_v3")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    p.add_argument("--amp", choices=("off", "bf16"), default="off", help="bf16 autocast")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--compile", action="store_true", help="torch.compile both models")
    p.add_argument("--repeat", type=int, default=5, metavar="N", help="timed turns (median)")
    p.add_argument("--warmup", type=int, default=2, metavar="N", help="untimed turns first")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=run)


def _batches(text: str) -> list[int]:
    try:
        sizes = [int(b) for b in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise UsageError(f"--batch {text}: give batch sizes like 1,8 (whole numbers >= 1)")
    return sizes


def _check(args):
    import torch

    batches = _batches(args.batch)
    if args.train_batch < 0 or args.repeat < 1 or args.warmup < 0:
        raise UsageError("--train-batch and --warmup must be >= 0, --repeat >= 1")
    try:
        device = torch.device(args.device)
    except RuntimeError:
        raise UsageError(f"--device {args.device}: not a device (cpu, cuda, cuda:N)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: CUDA is not available on this machine")
    if device.type not in ("cpu", "cuda"):
        raise UsageError(f"--device {args.device}: incdsl bench runs on cpu or cuda")
    return batches, device


def _models(args, g, device):
    """(name, inference model, training model) for ours and the reference: ours get the
    reference's weights when there is one, so both compute the same."""
    import torch

    from incdsl.nn import build_module
    from incdsl.passes import optimize
    from incdsl.weights import import_weights, reference_model

    spec = build_module(g, seed=0)
    ref = None
    if args.against:
        ref = reference_model(args.against)
        import_weights(spec, ref)
    state = spec.state_dict()

    def variant(mode):
        if mode is None:
            return spec
        model = build_module(optimize(g, mode), canonical=g)
        model.load_state_dict(state)
        return model

    infer = variant(args.variant)
    train = variant("training" if args.variant else None)
    name = f"incdsl optimize={args.variant}" if args.variant else "incdsl"
    ours = (name, infer, train)
    pairs = [ours] + ([(args.against, ref, ref)] if ref is not None else [])
    with torch.no_grad():
        for _, a, b in pairs:
            for m in {id(a): a, id(b): b}.values():
                m.to(device)
    return pairs


def measure(args) -> dict:
    from incdsl.cli.timing import Setup, alternate, inference_step, training_step
    from incdsl.ir.graph import total_macs

    batches, device = _check(args)
    g = load_graph(args)
    shape = g.nodes[g.graph["input"]]["shape"]
    classes = g.nodes[g.graph["outputs"]["logits"]]["shape"][0]
    setup = Setup(device, args.amp == "bf16", args.channels_last, args.compile, args.warmup,
                  args.repeat)
    pairs = _models(args, g, device)
    for _, a, b in pairs:
        setup.place(a), setup.place(b)
    macs = total_macs(g, with_aux=False)
    tasks = [("inference", b) for b in batches]
    tasks += [("training", args.train_batch)] if args.train_batch else []
    rows = []
    for task, batch in tasks:
        x = setup.batch(batch, shape)
        if task == "inference":
            steps = [inference_step(m, x, setup) for _, m, _ in pairs]
            flops = 2 * macs * batch
        else:
            steps = [training_step(m, x, setup, classes) for _, _, m in pairs]
            flops = 2 * TRAIN_FLOPS * macs * batch
        timings = alternate(steps, setup)
        row = {"task": task, "batch": batch}
        for (name, _, _), t in zip(pairs, timings):
            key = "ours" if name.startswith("incdsl") else "reference"
            row[key] = {"ms": t.ms, "images_per_s": batch / t.ms * 1e3,
                        "tflops": flops / t.ms / 1e9, "spread": t.spread,
                        "peak_mib": t.peak_mib}
        if "reference" in row:
            row["speedup"] = row["reference"]["ms"] / row["ours"]["ms"]
        rows.append(row)
    import torch

    return {"spec": g.graph["name"], "source": g.graph["source"], "input": list(shape),
            "macs_per_image": macs, "device": str(device),
            "device_name": torch.cuda.get_device_name(device) if device.type == "cuda"
            else "cpu", "threads": torch.get_num_threads(), "torch": torch.__version__,
            "ours": pairs[0][0], "reference": args.against, "amp": args.amp,
            "channels_last": args.channels_last, "compile": args.compile,
            "repeat": args.repeat, "warmup": args.warmup, "rows": rows}


def table(result: dict) -> str:
    head = (f"{result['spec']} ({result['macs_per_image'] / 1e9:.2f} G MACs/image, input "
            f"{'x'.join(map(str, result['input']))}) on {result['device_name']}, "
            f"{result['threads']} threads, amp={result['amp']}, "
            f"channels_last={result['channels_last']}, compile={result['compile']}, "
            f"median of {result['repeat']}")
    sides = [("ours", result["ours"])] + ([("reference", result["reference"])]
                                          if result["reference"] else [])
    lines = [head, "; ".join(f"{k}: {v}" for k, v in sides)]
    cols = f"{'task':9} {'batch':>5}"
    for key, _ in sides:
        short = "ref" if key == "reference" else "ours"
        cols += f" {short + ' ms':>10} {short + ' img/s':>10} {short + ' TFLOP/s':>12}" \
                f" {short + ' MiB':>9}"
    lines.append(cols + (f" {'speedup':>8}" if len(sides) > 1 else ""))
    for row in result["rows"]:
        text = f"{row['task']:9} {row['batch']:>5}"
        for key, _ in sides:
            r = row[key]
            peak = f"{r['peak_mib']:.0f}" if r["peak_mib"] is not None else "-"
            text += f" {r['ms']:10.1f} {r['images_per_s']:10.1f} {r['tflops']:12.4f} {peak:>9}"
        if "speedup" in row:
            text += f" {row['speedup']:8.3f}"
        lines.append(text)
    return "\n".join(lines)


def run(args) -> int:
    result = measure(args)
    print(json.dumps(result, indent=2) if args.json else table(result))
    sys.stdout.flush()
    return 0
