"""Syntax tree -> graph IR."""

from __future__ import annotations


def spec_graph(spec, network: str | None = None, overrides=None):
    """A spec file (or shipped name) -> its checked, shaped graph: the static checks of every
    definition first (so every entry point reports what `incdsl check` reports), then
    elaboration of the chosen network."""
    from incdsl.elaborate.elaborate import elaborate
    from incdsl.elaborate.validate import validate
    from incdsl.syntax.program import load

    program = load(spec)
    validate(program)
    return elaborate(program, network, overrides or {})
