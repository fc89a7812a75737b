"""Every pass keeps what the network computes: on every shipped network, the model of the
graph after each pass of a mode (the passes before it included) gives the unoptimised
model's outputs within 1e-5 relative, float32, eval mode; and its state_dict is the spec's."""

from __future__ import annotations

import pytest
import torch

from incdsl.nn import build_module
from incdsl.passes import PASSES, optimize
from incdsl.resources import shipped_architectures
from tests.passes.conftest import SMALL, TOLERANCE, graph_of, image, reference, relative_error

# Nothing to rewrite for training here: ResNet's sibling 1x1 convolutions (the body's first and
# the projection shortcut) differ in their ReLU, and Xception's BatchNorm only folds in inference.
UNCHANGED = {("training", "ResNet50"), ("training", "SEResNet50"), ("training", "Xception")}


def test_every_shipped_network_is_covered():
    assert set(SMALL) == set(shipped_architectures())


def prefixes(g, mode):
    """The graph after each pass of `mode`, in order: (pass name, graph)."""
    for rewrite in PASSES[mode]:
        g = rewrite(g)
        g.graph["optimized"] = mode
        yield getattr(rewrite, "func", rewrite).__name__, g


def check(g, stages, mode):
    """Each (name, graph) of `stages`, built and loaded with the spec's weights, gives the
    spec's outputs and state_dict."""
    ref_model, state = reference(g)
    x = image(g)
    with torch.no_grad():
        expected = ref_model.eval()(x)
    for pass_name, optimised in stages:
        model = build_module(optimised, canonical=g)
        model.load_state_dict(state)
        with torch.no_grad():
            error = relative_error(model.eval()(x), expected)
        assert error < TOLERANCE, (pass_name, error)
        saved = model.state_dict()
        assert list(saved) == list(state), pass_name
        assert all(torch.equal(saved[k], state[k]) for k in state), pass_name
    changed = set(optimised) != set(g) or any(
        (optimised.nodes[n].op, optimised.nodes[n].attrs) != (g.nodes[n].op, g.nodes[n].attrs)
        for n in g)
    assert changed == ((mode, g.graph["name"]) not in UNCHANGED), "what the passes changed"


@pytest.mark.parametrize("mode", ["inference", "training"])
@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_network_computes_the_same(name, mode):
    g = graph_of(name)
    check(g, [(mode, optimize(g, mode))], mode)


@pytest.mark.parametrize("mode", ["inference", "training"])
@pytest.mark.parametrize("name", ["irv2", "v3"])
def test_after_each_pass(name, mode):
    """Pass by pass, so a failure names the pass (v3 without its head, at 75x75: its pools
    count their padding; irv2's do not, and it has residual scales)."""
    g = graph_of(name, **({"aux_logits": False, "size": 75} if name == "v3" else {}))
    check(g, prefixes(g, mode), mode)
