"""The definition of faithful: with the reference's weights copied in by `import_weights`,
`incdsl.build()` computes what torchvision / timm / facenet-pytorch / pretrainedmodels compute,
in eval mode at the network's own input size and at a smaller legal one, and one training step
gives the same loss and gradients.

Padding, count_include_pad, BatchNorm eps, concat order, residual scales and the ReLU after
each add all have to be right for these to pass."""

from __future__ import annotations

import pytest
import torch

import incdsl
from incdsl.weights import import_weights
from incdsl.weights.match import ordered_states
from tests.weights.reference_cases import (
    CASES,
    by_name,
    loss_of,
    our_outputs,
    randomised_reference,
    reference_outputs,
)

TOLERANCE = 1e-4


@pytest.fixture(scope="module", params=list(CASES))
def pair(request):
    case = CASES[request.param]
    reference = randomised_reference(case)
    ours = incdsl.build(case.spec, **case.overrides)
    shape = (3, case.sizes[0], case.sizes[0])
    left = import_weights(ours, reference, skip=case.skip, skip_reference=case.skip_reference,
                          input_shape=shape)
    assert all(any(k.startswith(s + ".") for s in case.skip) for k in left)
    return case, ours, reference


def _paired_parameters(case, ours, reference):
    """(our name, reference name) of each parameter, paired as import_weights pairs them."""
    mine, theirs = ordered_states(ours, reference, (3, case.sizes[0], case.sizes[0]))
    mine = [k for k in mine if not any(k.startswith(s + ".") for s in case.skip)]
    theirs = [k for k in theirs if not any(k.startswith(s + ".") for s in case.skip_reference)]
    params = dict(ours.named_parameters())
    return [(a, b) for a, b in zip(mine, theirs) if a in params]


def test_eval_outputs_equal(pair):
    case, ours, reference = pair
    ours.eval(), reference.eval()
    for size in case.sizes:
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size))
        with torch.no_grad():
            got, want = our_outputs(case, ours, x), reference_outputs(case, reference, x)
        assert got.shape == want.shape
        assert want.abs().max() > 0.1  # a comparison of zeros would prove nothing
        assert (got - want).abs().max().item() <= TOLERANCE, size


def test_training_step_equal(pair):
    case, ours, reference = pair
    ours.train(), reference.train()
    size = case.small
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    losses = []
    for model, run in ((ours, our_outputs), (reference, reference_outputs)):
        model.zero_grad()
        torch.manual_seed(0)  # the same dropout masks
        loss = loss_of(run(case, model, x))
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)

    pairs = _paired_parameters(case, ours, reference)
    ours_by_name, theirs_by_name = dict(ours.named_parameters()), dict(reference.named_parameters())
    assert len(pairs) == len(theirs_by_name) - sum(
        1 for n in theirs_by_name if any(n.startswith(s + ".") for s in case.skip_reference))
    for name, ref_name in pairs:
        p, q = ours_by_name[name], theirs_by_name[ref_name]
        scale = q.grad.abs().max().item() + 1e-12
        diff = (p.grad - q.grad).abs().max().item()
        assert diff <= 1e-4 * scale + 1e-7, (name, ref_name, diff, scale)
    if case.spec == "v3" and "aux_logits" not in case.overrides:
        ours.train()
        with torch.no_grad():
            out = ours(x if size == 299 else torch.randn(2, 3, 299, 299))
        assert out._fields == ("logits", "aux_logits")  # torchvision's InceptionOutputs


def test_training_outputs_have_the_reference_names(pair):
    """In training mode every output of the reference, by name (the aux heads included)."""
    case, ours, reference = pair
    if case.reference.startswith("facenet:"):
        return  # the trunks are compared, not the heads
    ours.train(), reference.train()
    x = torch.randn(2, 3, case.small, case.small, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(0)
    mine = by_name(our_outputs(case, ours, x))
    torch.manual_seed(0)
    theirs = by_name(reference_outputs(case, reference, x))
    assert sorted(mine) == sorted(theirs)
