"""`incdsl check SPEC...`: parse and shape-check specs; one line per file, or its errors."""

from __future__ import annotations

import sys

from incdsl.cli import add_spec_arguments
from incdsl.errors import IncdslError, SpecError


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="check specs: syntax, names, arguments and shapes",
                       description="Check each spec and print its parameter count, or every "
                       "error found with file:line:col. Exit code 2 if any spec has errors.")
    add_spec_arguments(p, many=True)
    p.set_defaults(run=run)


def run(args) -> int:
    from incdsl.report.check import check_file

    status = 0
    for spec in args.specs:
        try:
            print(check_file(spec, args.network, args.overrides))
        except SpecError as e:
            print(e.render(), file=sys.stderr)
            status = 2
        except IncdslError as e:
            print(f"incdsl: error: {e}", file=sys.stderr)
            status = 2
    return status
