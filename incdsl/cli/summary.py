"""`incdsl summary SPEC [--json] [--depth N] [--set k=v]`: the per-layer table."""

from __future__ import annotations

import json

from incdsl.cli import add_optimize_argument, add_spec_arguments, load_graph


def add_parser(sub) -> None:
    p = sub.add_parser("summary", help="per-layer shapes, parameters and MACs of a network",
                       description="Print a network's layers with output shape, parameters "
                       "and multiply-accumulates, the totals and the grid sizes.")
    add_spec_arguments(p)
    add_optimize_argument(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--depth", type=int, metavar="N",
                   help="collapse blocks nested deeper than N (0: one row per top-level block)")
    p.set_defaults(run=run)


def run(args) -> int:
    from incdsl.report.summary import format_table, summary

    g = load_graph(args)
    if args.json:
        print(json.dumps(summary(g, args.depth), indent=2))
    else:
        print(format_table(g, args.depth))
    return 0
