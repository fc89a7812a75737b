"""`--set NAME=VALUE` and `incdsl.graph(spec, NAME=VALUE)`: network parameters from outside."""

from __future__ import annotations

from incdsl.elaborate.expr import evaluate
from incdsl.errors import SpecError, UsageError
from incdsl.ops.args import Value
from incdsl.syntax.parser import parse_expression


def parse_overrides(pairs) -> dict[str, Value]:
    """`["classes=5", "width=0.5"]` -> {"classes": 5, "width": 0.5}, values parsed as spec
    expressions (constants only: a spec is data, so is the command line)."""
    out: dict[str, Value] = {}
    for pair in pairs or ():
        if isinstance(pair, tuple):
            key, value = pair
        else:
            if "=" not in pair:
                raise UsageError(f"--set {pair}: expected NAME=VALUE, like --set classes=5")
            key, text = (s.strip() for s in pair.split("=", 1))
            try:
                value = evaluate(parse_expression(text, f"--set {key}"), {})
            except SpecError as e:
                hints = "".join(f"; {n}" for n in e.diagnostics[0].notes)
                raise UsageError(f"--set {pair}: {e.message}{hints}") from None
        if not key.isidentifier():
            raise UsageError(f"--set {key}: not a parameter name")
        out[key] = value
    return out
