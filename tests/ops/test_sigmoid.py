"""`sigmoid`, added through the registry: one module (incdsl/ops/sigmoid.py), this test and
one line of docs/language.md."""

from __future__ import annotations

import torch

import incdsl
from incdsl.draw.labels import label
from incdsl.report.summary import rows

SPEC = """
network Gate:
    input 3x8x8
    conv 4 1x1 no bn no relu as logits
    sigmoid
"""


def test_sigmoid_is_torch_sigmoid_of_its_input(spec_file):
    path = spec_file(SPEC)
    g = incdsl.graph(path)
    assert g.nodes["sigmoid"]["shape"] == (4, 8, 8) and g.nodes["sigmoid"]["params"] == 0
    model = incdsl.build(path, seed=0).eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(model(x), torch.sigmoid(model.logits(x)))


def test_sigmoid_in_figures_and_summaries(spec_file):
    g = incdsl.graph(spec_file(SPEC))
    assert label("sigmoid", g.nodes["sigmoid"]["attrs"]) == "Sigmoid"
    assert [r.op for r in rows(g)][-1] == "sigmoid"
