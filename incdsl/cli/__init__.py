"""The `incdsl` command. Each subcommand lives in its own module of this package with two
functions: `add_parser(subparsers)` and `run(args) -> int`.

User mistakes (IncdslError) are printed as located messages with exit code 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys

from incdsl import __version__
from incdsl.errors import IncdslError, report

# In the order `incdsl --help` lists them.
COMMANDS = ("check", "summary", "draw", "diff", "fmt", "lsp", "compile", "export", "weights",
            "train", "eval", "plot", "bench")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit code for bad flags is already 2
        self.print_usage(sys.stderr)
        self.exit(2, f"incdsl: error: {message}\n")


def _modules():
    for name in COMMANDS:
        if importlib.util.find_spec(f"incdsl.cli.{name}") is not None:
            yield importlib.import_module(f"incdsl.cli.{name}")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="incdsl", description="Inception-family networks as text: check, "
                "summarise, draw, compile to PyTorch and train.")
    p.add_argument("--version", action="version", version=f"incdsl {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in _modules():
        module.add_parser(sub)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except IncdslError as e:
        report(e)
        return e.exit_code
    except KeyboardInterrupt:
        print("incdsl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `incdsl summary irv2 | head`
        return 0


def add_spec_arguments(p: argparse.ArgumentParser, *, many: bool = False) -> None:
    """The arguments every command that reads a spec shares."""
    from incdsl.resources import shipped_architectures

    names = ", ".join(shipped_architectures())
    if many:
        p.add_argument("specs", nargs="+", metavar="SPEC",
                       help=f"spec files or shipped names ({names})")
    else:
        p.add_argument("spec", metavar="SPEC", help=f"a spec file or a shipped name ({names})")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                   help="override a network parameter, e.g. --set classes=5 --set width=0.5")
    p.add_argument("--network", metavar="NAME",
                   help="which network of the file, if it defines several")


def add_optimize_argument(p: argparse.ArgumentParser, modes=("inference", "training")) -> None:
    p.add_argument("--optimize", choices=modes, metavar="|".join(modes),
                   help="run the compiler's passes for this mode first (incdsl.passes)")


def load_graph(args, spec=None):
    """The shaped graph for a command's SPEC, --set and --network (and --optimize)."""
    from incdsl.elaborate import parse_overrides, spec_graph

    g = spec_graph(spec or args.spec, args.network, parse_overrides(args.overrides))
    if getattr(args, "optimize", None):
        from incdsl.passes import optimize

        g = optimize(g, args.optimize)
    return g


if __name__ == "__main__":
    sys.exit(main())
