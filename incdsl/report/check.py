"""`incdsl check`: every error of a spec file, or a one-line account of what it defines."""

from __future__ import annotations

from incdsl.elaborate import elaborate, parse_overrides, resolve
from incdsl.ir.graph import format_shape, total_macs, total_params
from incdsl.syntax.program import load


def check_file(spec: str, network: str | None = None, overrides=()) -> str:
    """Raise SpecError with all static errors (or the first shape error); else describe."""
    program = load(spec)
    resolution = resolve(program)
    path = program.main.path
    networks = [d for d in program.networks if network is None or d.name == network]
    if not program.networks:
        return f"{path}: ok, a library of {len(program.blocks)} block(s)"
    lines = []
    for d in networks or [None]:
        g = elaborate(program, d.name if d else network, parse_overrides(overrides), resolution)
        inp = format_shape(g.nodes[g.graph["input"]]["shape"])
        out = format_shape(g.nodes[g.graph["outputs"]["logits"]]["shape"])
        lines.append(f"{path}: ok, {g.graph['name']}: {total_params(g):,} params, "
                     f"{total_macs(g, with_aux=False) / 1e9:.2f} G MACs, {inp} -> {out}")
    return "\n".join(lines)
