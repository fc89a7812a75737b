"""`incdsl plot RUN_DIR [-o FILE]`: a training run's loss and accuracy curves."""

from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("plot", help="draw a training run's loss and accuracy curves",
                       description="Draw loss and accuracy against step from RUN_DIR/metrics.jsonl"
                       ", training and evaluation (and the EMA weights' evaluation when the run "
                       "keeps them). The format comes from the file's extension: .png, .svg or "
                       ".pdf.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the training run's directory")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write the figure (.png, .svg or .pdf; default "
                   "RUN_DIR/curves.png)")
    p.set_defaults(run=run)


def run(args) -> int:
    from incdsl.train.plot import plot_run

    out = Path(args.output) if args.output else Path(args.run_dir) / "curves.png"
    written = plot_run(args.run_dir, out)
    print(f"wrote {written}")
    return 0
