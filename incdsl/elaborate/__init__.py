"""Syntax tree -> graph IR: `resolve` decides what every line is (the one validation pass),
`elaborate` evaluates the chosen network into the shaped graph."""

from __future__ import annotations

from incdsl.elaborate.elaborate import elaborate, select_network
from incdsl.elaborate.overrides import parse_overrides
from incdsl.elaborate.resolve import resolve


def spec_graph(spec, network: str | None = None, overrides=None):
    """A spec file (or shipped name) -> its checked, shaped graph: the static checks of every
    definition first (so every entry point reports what `incdsl check` reports), then
    elaboration of the chosen network."""
    from incdsl.syntax.program import load

    program = load(spec)
    return elaborate(program, network, overrides or {}, resolve(program))


__all__ = ["elaborate", "parse_overrides", "resolve", "select_network", "spec_graph"]
