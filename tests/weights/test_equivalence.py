"""The definition of faithful: with the reference's weights copied in by `import_weights`,
`incdsl.build()` computes what torchvision / timm / facenet-pytorch compute, in eval mode at
299x299 and at a smaller legal size, and one training step gives the same loss and gradients.

Padding, count_include_pad, BatchNorm eps, concat order, residual scales and the ReLU after
each add all have to be right for these to pass."""

from __future__ import annotations

import pytest
import torch

import incdsl
from incdsl.weights import import_weights
from tests.weights.reference_cases import (
    CASES,
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
    left = import_weights(ours, reference, skip=case.skip, skip_reference=case.skip_reference)
    assert all(any(k.startswith(s + ".") for s in case.skip) for k in left)
    return case, ours, reference


def test_eval_outputs_equal(pair):
    case, ours, reference = pair
    ours.eval(), reference.eval()
    for size in (299, case.small):
        if size is None:
            continue
        x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(size))
        with torch.no_grad():
            got, want = our_outputs(case, ours, x), reference_outputs(case, reference, x)
        assert got.shape == want.shape
        assert want.abs().max() > 0.1  # a comparison of zeros would prove nothing
        assert (got - want).abs().max().item() <= TOLERANCE, size


def test_training_step_equal(pair):
    case, ours, reference = pair
    ours.train(), reference.train()
    size = case.small or 299
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    losses = []
    for model, run in ((ours, our_outputs), (reference, reference_outputs)):
        model.zero_grad()
        torch.manual_seed(0)  # the same dropout masks
        loss = loss_of(run(case, model, x))
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)

    skipped = case.skip_reference
    ref_params = [(n, p) for n, p in reference.named_parameters()
                  if not any(n.startswith(s + ".") for s in skipped)]
    our_params = [(n, p) for n, p in ours.named_parameters()
                  if not any(n.startswith(s + ".") for s in case.skip)]
    assert len(our_params) == len(ref_params)
    for (name, p), (ref_name, q) in zip(our_params, ref_params):
        scale = q.grad.abs().max().item() + 1e-12
        diff = (p.grad - q.grad).abs().max().item()
        assert diff <= 1e-4 * scale + 1e-7, (name, ref_name, diff, scale)
    if case.spec == "v3" and "aux_logits" not in case.overrides:
        ours.train()
        with torch.no_grad():
            out = ours(x if size == 299 else torch.randn(2, 3, 299, 299))
        assert out._fields == ("logits", "aux_logits")  # torchvision's InceptionOutputs
