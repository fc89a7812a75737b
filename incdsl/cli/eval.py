"""`incdsl eval SPEC --checkpoint FILE [--data ...] [--weights model|ema]`: top-1 / top-5 on
the held-out split, as the training runner measures them after each epoch."""

from __future__ import annotations

import json
import sys

from incdsl.cli import add_spec_arguments


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="top-1/top-5 of a checkpoint on held-out data",
                       description="Evaluate a checkpoint (from incdsl train, or a state_dict "
                       "from incdsl weights import) on the held-out split: central crop, "
                       "top-1 and top-5. The data and --set of a training checkpoint are "
                       "used unless given here.")
    add_spec_arguments(p)
    p.add_argument("--checkpoint", required=True, metavar="FILE")
    p.add_argument("--data", help="digits, a directory with val/, or torchvision:NAME "
                   "(default: the checkpoint's, else digits)")
    p.add_argument("--data-root", help="where torchvision datasets are kept")
    p.add_argument("--weights", choices=("model", "ema"), default=None,
                   help="which weights of a training checkpoint (default: ema if it has them)")
    p.add_argument("--batch-size", type=int, default=64, metavar="N")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    import torch

    import incdsl
    from incdsl.elaborate import parse_overrides
    from incdsl.errors import UsageError
    from incdsl.train import checkpoint, data, model
    from incdsl.train.config import TrainConfig
    from incdsl.train.distributed import Context
    from incdsl.train.evaluation import evaluate

    if args.batch_size < 1:
        raise UsageError("--batch-size must be 1 or more")
    saved = checkpoint.load(args.checkpoint)
    trained = saved.get("config") or {}
    name = incdsl.graph(args.spec, args.network).graph["name"]
    if saved.get("network") not in (None, name):
        raise UsageError(f"{args.checkpoint} holds {saved['network']} weights; "
                         f"{args.spec} is {name}")
    config = TrainConfig(spec=args.spec, network=args.network,
                         set={**trained.get("set", {}), **parse_overrides(args.overrides)},
                         data=args.data or trained.get("data", "digits"),
                         data_root=args.data_root or trained.get("data_root",
                                                                 TrainConfig.data_root))
    splits = data.open_data(config.data, config.data_root)
    g = model.network_graph(config, len(splits.classes))
    weights = args.weights or ("ema" if saved.get("ema") is not None else "model")
    state = saved.get(weights)
    if state is None:
        raise UsageError(f"{args.checkpoint} has no '{weights}' weights")
    net, _ = model.build(g, config)
    checkpoint.check_fits(net.state_dict(), state, args.checkpoint)
    net.load_state_dict(state)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: PyTorch sees no GPU here")
    device = torch.device("cuda" if args.device == "cuda" or (
        args.device == "auto" and torch.cuda.is_available()) else "cpu")
    net.to(device)
    ctx = Context(0, 1, 0, device)
    loader = data.held_out(splits, model.input_size(g), args.batch_size,
                           data.default_workers(splits), device.type == "cuda")
    result = evaluate(net, loader, ctx, torch.nn.CrossEntropyLoss(), on_skipped=lambda paths:
                      print(f"skipped unreadable image(s): {', '.join(paths)}", file=sys.stderr))
    result = {"checkpoint": str(args.checkpoint), "weights": weights, "data": splits.name,
              **result}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{g.graph['name']} ({weights} weights of {args.checkpoint}) on {splits.name}: "
              f"top-1 {result['top1']:.2f}%, top-5 {result['top5']:.2f}%, loss "
              f"{result['loss']:.4f} over {result['images']} images"
              + (f" ({result['unreadable']} unreadable image(s) skipped)"
                 if result["unreadable"] else ""))
    return 0
