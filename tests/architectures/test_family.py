"""The family's neighbours: exact parameter counts, against the reference models themselves
(counted here) and the figures the issue gives, and the grids each stage works on."""

from __future__ import annotations

import pytest

import incdsl
from incdsl.ir.graph import total_params
from incdsl.weights import reference_model
from tests.architectures.test_networks import stages

COUNTS = [
    ("v1", {}, "torchvision:googlenet", 13_004_888),
    ("bn_inception", {}, "pretrainedmodels:bninception", 11_295_240),
    ("xception", {}, "timm:legacy_xception", 22_855_952),
    ("resnet50", {}, "torchvision:resnet50", 25_557_032),
    ("resnet50_v2", {}, "timm:resnetv2_50", 25_549_352),
    ("se_resnet50", {}, "timm:seresnet50", 28_088_024),
]


@pytest.mark.parametrize("spec, overrides, reference, count", COUNTS,
                         ids=[c[0] for c in COUNTS])
def test_parameter_counts_equal_the_references(spec, overrides, reference, count):
    model = reference_model(reference)
    assert sum(p.numel() for p in model.parameters()) == count
    assert total_params(incdsl.graph(spec, **overrides)) == count


def test_googlenet_without_its_heads():
    # torchvision's googlenet(aux_logits=False, init_weights=False): 6,624,904
    assert total_params(incdsl.graph("v1", aux_logits=False)) == 6_624_904


def test_googlenet_heads_leave_after_4a_and_4d():
    g = incdsl.graph("v1")
    assert g.graph["outputs"] == {"logits": "fc", "aux_logits1": "aux_logits1/head/fc2",
                                  "aux_logits2": "aux_logits2/head/fc2"}
    assert g.nodes["aux_logits1/head/pool"]["inputs"] == ["inception4a/concat"]
    assert g.nodes["aux_logits2/head/pool"]["inputs"] == ["inception4d/concat"]
    # the heads' adaptive pools give 4x4 at any size
    assert g.nodes["aux_logits1/head/conv"]["shape"] == (128, 4, 4)


@pytest.mark.parametrize("spec, grid", [
    # (name, channels, height) of each stage at 224x224: the papers' tables
    ("v1", [("inception3b", 480, 28), ("inception4e", 832, 14), ("inception5b", 1024, 7)]),
    ("bn_inception", [("inception_3b", 320, 28), ("inception_3c", 576, 14),
                      ("inception_4e", 1056, 7), ("inception_5b", 1024, 7)]),
    ("resnet50", [("layer1", 256, 56), ("layer2", 512, 28), ("layer3", 1024, 14),
                  ("layer4", 2048, 7)]),
    ("resnet50_v2", [("stage1", 256, 56), ("stage2", 512, 28), ("stage3", 1024, 14),
                     ("stage4", 2048, 7)]),
    ("xception", [("block1", 128, 74), ("block3", 728, 19), ("block12", 1024, 10),
                  ("conv4", 2048, 10)]),
])
def test_stage_grids(spec, grid):
    s = stages(spec)
    assert all(stage in s for stage in grid), s
