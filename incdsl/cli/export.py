"""`incdsl export SPEC --format onnx|pt2 [--weights FILE] [--optimize inference] -o FILE`:
the network for deployment, in eval mode, with a dynamic batch size: an ONNX file (opset from
torch.onnx's exporter; run it with onnxruntime) or torch.export's `.pt2` (`torch.export.load`).
Both are made from one `torch.export` program of the model."""

from __future__ import annotations

import sys
from pathlib import Path

from incdsl.cli import add_optimize_argument, add_spec_arguments, load_graph
from incdsl.fileio import write_atomically

FORMATS = ("onnx", "pt2")
MAX_BATCH = 4096  # the dynamic batch dimension's upper bound


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="write the network as ONNX or torch.export's .pt2",
                       description="Export the network in eval mode with a dynamic batch "
                       "size, with build()'s weights or those of --weights (a state_dict or "
                       "checkpoint of the spec, e.g. from `incdsl weights import` or "
                       "`incdsl train`).")
    add_spec_arguments(p)
    add_optimize_argument(p, modes=("inference",))
    p.add_argument("--format", required=True, choices=FORMATS)
    p.add_argument("--weights", metavar="FILE", help="a state_dict or incdsl checkpoint")
    p.add_argument("-o", "--output", required=True, metavar="FILE")
    p.set_defaults(run=run)


def model_for(args):
    """The eval-mode model: the spec's or the optimised one, with the weights asked for."""
    from incdsl.nn import build_module

    g = load_graph(args)
    canonical = None
    if g.graph["optimized"]:
        args.optimize, optimize = None, args.optimize
        canonical = load_graph(args)
        args.optimize = optimize
    model = build_module(g, seed=0, canonical=canonical).eval()
    if args.weights:
        _load(model, args.weights)
    return g, model


def _load(model, path: str) -> None:
    from incdsl.train.checkpoint import check_fits, load

    data = load(path)
    state = data.get("ema") or data["model"]
    check_fits(model.state_dict(), state, f"--weights {path}")  # one line naming a tensor
    model.load_state_dict(state)


def exported(g, model):
    """torch.export's program of the model, batch size dynamic."""
    import torch

    shape = g.nodes[g.graph["input"]]["shape"]
    example = torch.randn(2, *shape)
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    with torch.no_grad():
        return torch.export.export(model, (example,), dynamic_shapes=({0: batch},))


def write(program, fmt: str, path: str) -> None:
    import torch

    if fmt == "pt2":
        write_atomically(path, lambda tmp: torch.export.save(program, tmp))
        return

    def onnx(tmp):
        onnx_program = torch.onnx.export(program, input_names=["images"],
                                         output_names=["logits"], verbose=False)
        onnx_program.save(tmp)

    write_atomically(path, onnx)


def run(args) -> int:
    if Path(args.output).suffix.lstrip(".") != args.format:
        print(f"incdsl: note: {args.output} does not end in .{args.format}", file=sys.stderr)
    g, model = model_for(args)
    write(exported(g, model), args.format, args.output)
    shape = "x".join(map(str, g.nodes[g.graph["input"]]["shape"]))
    print(f"wrote {args.output}: {g.graph['name']} ({args.format}, input Nx{shape}, "
          f"{'optimised for inference' if g.graph['optimized'] else 'as the spec'})",
          file=sys.stderr)
    return 0
