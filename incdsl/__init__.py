"""incdsl: a declarative architecture language and graph compiler for Inception networks.

    import incdsl
    graph = incdsl.graph("irv2", classes=10)     # the shaped networkx graph
    model = incdsl.build("irv2", classes=10)     # a torch.nn.Module
"""

from __future__ import annotations

__version__ = "0.1.0"


def graph(spec, network: str | None = None, **overrides):
    """Parse a spec (a path or a shipped name like "irv2") and elaborate it to the graph IR."""
    from incdsl.elaborate import spec_graph

    return spec_graph(spec, network, overrides)


def build(spec, network: str | None = None, *, seed: int | None = None,
          optimize: str | None = None, **overrides):
    """The spec as a `torch.nn.Module` whose module tree and state_dict keys follow the spec.

    `seed` makes the initialisation reproducible. Networks with auxiliary heads return
    `(logits, aux_logits)` in training mode and logits in eval mode, as torchvision does;
    `aux_logits=False` (a network parameter) leaves the head out.

    `optimize="inference"` or `"training"` runs the compiler's passes (incdsl.passes: sibling
    fusion, pool/1x1 commutation, and for inference BatchNorm and scale folding): the model
    computes the same, faster, and still loads and saves the spec's own state_dict. An
    inference model runs in eval mode only.
    """
    from incdsl.nn import build_module  # torch is imported only here, so `incdsl check` stays fast

    g = graph(spec, network, **overrides)
    if optimize is None:
        return build_module(g, seed=seed)
    from incdsl.passes import optimize as run_passes

    return build_module(run_passes(g, optimize), seed=seed, canonical=g)
