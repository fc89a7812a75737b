"""`incdsl lsp`: the language server for editors, over stdin and stdout."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("lsp", help="the language server for editors (LSP over stdio)",
                       description="Run the Language Server Protocol server on stdin and "
                       "stdout: errors as you type, shapes on hover, go to definition, "
                       "references, completion, outline and formatting.")
    p.add_argument("--debounce", type=float, default=None, metavar="SECONDS",
                   help="quiet time after an edit before the errors are recomputed "
                   "(default 0.3)")
    p.set_defaults(run=run)


def run(args) -> int:
    from incdsl.errors import UsageError
    from incdsl.lsp.server import DEBOUNCE, serve

    debounce = DEBOUNCE if args.debounce is None else args.debounce
    if not 0 <= debounce <= 60:
        raise UsageError(f"--debounce must be between 0 and 60 seconds, got {debounce}")
    serve(debounce)
    return 0
