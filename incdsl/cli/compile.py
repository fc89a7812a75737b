"""`incdsl compile SPEC -o FILE.py [--set k=v]`: a standalone PyTorch module for the spec."""

from __future__ import annotations

import sys
from pathlib import Path

from incdsl.cli import add_optimize_argument, add_spec_arguments, load_graph
from incdsl.fileio import write_atomically


def add_parser(sub) -> None:
    p = sub.add_parser("compile", help="write the network as a standalone PyTorch module",
                       description="Generate a Python module that needs only torch: one class "
                       "per block, the network class with its parameters as keyword defaults. "
                       "Its state_dict keys and outputs equal those of incdsl.build().")
    add_spec_arguments(p)
    add_optimize_argument(p)
    p.add_argument("-o", "--output", metavar="FILE.py",
                   help="where to write it (default: standard output)")
    p.set_defaults(run=run)


def run(args) -> int:
    from incdsl.codegen import generate

    source = generate(load_graph(args))
    if args.output is None:
        sys.stdout.write(source)
        return 0
    write_atomically(args.output, lambda tmp: Path(tmp).write_text(source))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
