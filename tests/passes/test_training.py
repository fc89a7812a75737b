"""The training passes are exact: a training-mode step of the optimised model gives the
spec model's loss and gradients (mapped back to the spec's keys), and a few optimizer steps
leave the same weights and BatchNorm statistics.

In float64: a BatchNorm over a batch of four 1x1 maps (v3's auxiliary head at this size)
magnifies float32 rounding to percents, which would hide a real difference; in float64
rounding stays near 1e-12 and anything else stands out."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from incdsl.nn import build_module
from incdsl.nn.canonical import canonical_of
from incdsl.passes import optimize
from tests.passes.conftest import graph_of, image, reference

CASES = {"irv2": {}, "v3": {}}  # v3 with its auxiliary head (returned in training mode)


def loss_of(model, x, labels):
    torch.manual_seed(0)  # the same dropout masks for both models
    out = model(x)
    if isinstance(out, tuple):
        return F.cross_entropy(out[0], labels) + 0.4 * F.cross_entropy(out[1], labels)
    return F.cross_entropy(out, labels)


def pair(name):
    g = graph_of(name, **CASES[name])
    ref, state = reference(g)
    fused = build_module(optimize(g, "training"), canonical=g)
    fused.load_state_dict(state)
    return g, ref.train().double(), fused.train().double()


def close(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    """Equal up to float64 rounding (convolutions of other widths sum in another order; a
    bias right before a BatchNorm has a gradient of zero plus rounding: hence the floor)."""
    scale = b.abs().max().item()
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9 * scale + 1e-14, msg=what)


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_step_gives_the_same_loss_and_gradients(name):
    g, ref, fused = pair(name)
    x, labels = image(g, batch=4).double(), torch.tensor([0, 1, 2, 3])
    losses = []
    for model in (ref, fused):
        loss = loss_of(model, x, labels)
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    theirs = {k: p.grad for k, p in ref.named_parameters()}
    ours = canonical_of(fused).to_canonical({k: p.grad for k, p in fused.named_parameters()})
    assert list(ours) == list(theirs)
    for key, grad in theirs.items():
        close(ours[key], grad, key)
    assert len(list(fused.parameters())) < len(list(ref.parameters()))  # layers were fused


def test_a_few_optimizer_steps_leave_the_same_weights():
    g, ref, fused = pair("irv2")
    x, labels = image(g, batch=4).double(), torch.tensor([0, 1, 2, 3])
    for model in (ref, fused):
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
        for _ in range(3):
            opt.zero_grad()
            loss_of(model, x, labels).backward()
            opt.step()
    theirs, ours = ref.state_dict(), fused.state_dict()
    assert list(ours) == list(theirs)
    for key in theirs:
        if theirs[key].is_floating_point():
            close(ours[key], theirs[key], key)
        else:  # the BatchNorm batch counters
            assert torch.equal(ours[key], theirs[key]), key
