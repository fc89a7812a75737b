"""What the pass tests share: the shipped networks at small sizes, models with weights whose
BatchNorm statistics, scales and biases are far from their initial values (so that folding
them is not trivially right), and the relative error the checks allow."""

from __future__ import annotations

import pytest
import torch

import incdsl
from incdsl.nn import build_module

# Width 1/8 keeps each network small; v3's auxiliary head needs the full 299.
SMALL = {
    "v3": {"width": 0.125, "size": 299},
    "v4": {"width": 0.125, "size": 75},
    "irv1": {"width": 0.125, "size": 75, "blocks_a": 1, "blocks_b": 1, "blocks_c": 2},
    "irv2": {"width": 0.125, "size": 75, "blocks_a": 1, "blocks_b": 1, "blocks_c": 2},
    "irv2_paper": {"width": 0.125, "size": 75},
    "v1": {"width": 0.125, "size": 64},
    "bn_inception": {"width": 0.125, "size": 224},  # its 7x7 average pool takes only 224
    "xception": {"width": 0.125, "size": 75},
    "resnet50": {"width": 0.125, "size": 64},
    "resnet50_v2": {"width": 0.125, "size": 64},
    "se_resnet50": {"width": 0.125, "size": 64},
}
TOLERANCE = 1e-5  # relative to the largest output, float32


@pytest.fixture(autouse=True)
def _two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(min(2, before))
    yield
    torch.set_num_threads(before)


def graph_of(name: str, **extra):
    return incdsl.graph(name, classes=10, **{**SMALL[name], **extra})


def perturbed(model: torch.nn.Module, seed: int = 0) -> dict:
    """A state_dict of `model` with BatchNorm statistics, affine terms and biases drawn at
    random, loaded into it and returned."""
    gen = torch.Generator().manual_seed(seed)
    state = model.state_dict()
    for key, tensor in state.items():
        if not tensor.is_floating_point():
            continue
        if key.endswith(("running_var", "bn.weight")):
            tensor.copy_(torch.rand(tensor.shape, generator=gen) * 1.5 + 0.5)
        elif key.endswith(("running_mean", "bias")):
            tensor.copy_(torch.randn(tensor.shape, generator=gen) * 0.3)
    model.load_state_dict(state)
    return state


def reference(g, seed: int = 0) -> tuple[torch.nn.Module, dict]:
    model = build_module(g, seed=seed)
    return model, perturbed(model, seed)


def image(g, batch: int = 2, seed: int = 1) -> torch.Tensor:
    shape = g.nodes[g.graph["input"]]["shape"]
    return torch.randn(batch, *shape, generator=torch.Generator().manual_seed(seed))


def relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return ((out - ref).abs().max() / ref.abs().max()).item()
