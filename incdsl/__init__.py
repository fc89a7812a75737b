"""incdsl: a declarative architecture language and graph compiler for Inception networks.

    import incdsl
    graph = incdsl.graph("irv2", classes=10)     # the shaped networkx graph
"""

from __future__ import annotations

__version__ = "0.1.0"


def graph(spec, network: str | None = None, **overrides):
    """Parse a spec (a path or a shipped name like "irv2") and elaborate it to the graph IR."""
    from incdsl.elaborate.elaborate import elaborate
    from incdsl.syntax.program import load

    return elaborate(load(spec), network, overrides)
