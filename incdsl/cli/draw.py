"""`incdsl draw SPEC [-o FILE] [--view network|block|full] [--block NAME] [--depth N]`.

Without `-o` the figure is NAME.svg in the current directory: the spec file's name, or the
block's with `--block`."""

from __future__ import annotations

from pathlib import Path

from incdsl.cli import add_spec_arguments, load_graph
from incdsl.errors import UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("draw", help="draw a network or a block as the paper's figures do",
                       description="Draw a schematic diagram with Graphviz. The output format "
                       "comes from the file's extension: .svg, .png, .pdf, or .dot for the "
                       "graphviz source.")
    add_spec_arguments(p)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="where to write the figure (.svg, .png, .pdf or .dot); default: "
                   "NAME.svg here, NAME being the spec file's name or the --block's")
    p.add_argument("--view", choices=("network", "block", "full"),
                   help="network (default): one box per stage; block: one block's layers; "
                   "full: every layer, blocks as clusters")
    p.add_argument("--block", metavar="NAME", help="the block to draw (implies --view block)")
    p.add_argument("--depth", type=int, metavar="N",
                   help="full view: collapse block instances nested deeper than N")
    p.set_defaults(run=run)


def run(args) -> int:
    from incdsl.draw.render import format_of, render
    from incdsl.draw.views import render_view
    from incdsl.syntax.program import resolve_spec

    out = Path(args.output) if args.output else \
        Path(f"{args.block or resolve_spec(args.spec).stem}.svg")
    format_of(out)  # a bad extension is refused before any work
    g = load_graph(args)
    view = args.view or ("block" if args.block else "network")
    if args.block and view != "block":
        raise UsageError(f"--block draws the block view; it does not go with --view {view}")
    if args.depth is not None and view != "full":
        raise UsageError(f"--depth is for the full view (--view full), not the {view} view")
    written = render(render_view(g, view, args.block, args.depth), out)
    print(f"wrote {written}" if args.output else f"wrote {written} (in {Path.cwd()})")
    return 0
