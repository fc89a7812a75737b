"""The shipped networks: the parameter and MAC counts of the reference implementations,
shapes and MACs against a forward pass, and the grid sizes and channel counts of every stage."""

import re
from dataclasses import asdict

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import incdsl
from incdsl import resources
from incdsl.report.summary import grid_sizes, rows
from tests.weights.reference_cases import reference_macs, reference_parameters

NETWORKS = ("v3", "v4", "irv1", "irv2", "irv2_paper")


def params_of(g) -> int:
    return sum(data["params"] for _, data in g.nodes(data=True))


def macs_of(g) -> int:
    return sum(data["macs"] for _, data in g.nodes(data=True))


@pytest.mark.parametrize("spec, overrides, reference, kwargs", [
    ("v3", {}, "torchvision:inception_v3", {"aux_logits": True, "init_weights": False}),
    ("v3", {"aux_logits": False}, "timm:inception_v3", {}),
    ("v3", {"aux_logits": False, "classes": 5}, "timm:inception_v3", {"num_classes": 5}),
    ("v4", {}, "timm:inception_v4", {}),
    ("irv2", {}, "timm:inception_resnet_v2", {}),
])
def test_parameters_and_macs_equal_the_references(spec, overrides, reference, kwargs):
    g = incdsl.graph(spec, **overrides)
    assert params_of(g) == reference_parameters(reference, **kwargs)
    assert macs_of(g) == reference_macs(reference, **kwargs)  # aux head included


def test_irv1_is_the_facenet_pytorch_trunk_with_the_papers_head():
    g = incdsl.graph("irv1")
    head = g.nodes["fc"]
    # the paper's head: a linear layer from the 1792 pooled features to 1000 classes
    assert (head["params"], head["macs"]) == (1792 * 1000 + 1000, 1792 * 1000)
    # facenet-pytorch's InceptionResnetV1 up to its pooled features (its 512-d embedding left out)
    facenet = "facenet:InceptionResnetV1"
    trunk = reference_parameters(facenet, classify=False,
                                 without=("last_linear", "last_bn", "logits"))
    assert params_of(g) - head["params"] == trunk
    assert macs_of(g) - head["macs"] == reference_macs(facenet, classify=False)


def module_path(node: str) -> str:
    """docs/language.md, Names: `block35[3]/branch1/conv2` is the module block35.3.branch1.conv2."""
    return re.sub(r"\[(\d+)\]", r".\1", node).replace("/", ".")


# Cheap variants for a forward pass: a quarter of the channels, one block of each kind (two
# Block8: the repeated one and the last), and an odd input size other than 299 so that every
# rounding of the shape rules shows; v3 at 299, the only size its aux head takes.
SMALL = {"width": 0.25, "classes": 10, "size": 139}
RESNET = {"blocks_a": 1, "blocks_b": 1, "blocks_c": 2}
FORWARD = {"v3": {"width": 0.25, "classes": 10}, "v4": SMALL, "irv1": {**SMALL, **RESNET},
           "irv2": {**SMALL, **RESNET}, "irv2_paper": SMALL}


@pytest.mark.parametrize("spec", NETWORKS)
def test_shapes_and_macs_equal_a_forward_pass(spec):
    """Every layer's shape is what PyTorch computes, and its MACs are half the FLOPs torch's
    own counter counts for it (2 per multiply-accumulate of a conv or linear layer)."""
    overrides = FORWARD[spec]
    size = overrides.get("size", 299)
    g = incdsl.graph(spec, **overrides)
    model = incdsl.build(spec, seed=0, **overrides).train()  # training mode: aux heads run too
    modules = dict(model.named_modules())
    layers = [n for n, data in g.nodes(data=True) if data["op"] not in ("input", "concat", "add")]
    seen = {}

    def record(node):
        def hook(module, inputs, out):
            seen[node] = (inputs[0].shape, out.shape)
        return hook

    handles = [modules[module_path(n)].register_forward_hook(record(n)) for n in layers]
    batch = 2
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randn(batch, 3, size, size))
    for handle in handles:
        handle.remove()
    assert {n: tuple(seen[n][1]) for n in layers} == \
        {n: (batch, *g.nodes[n]["shape"]) for n in layers}
    # What enters each layer is the shape of its input node (concat and add outputs included).
    for n in layers:
        (source,) = g.nodes[n]["inputs"]
        assert tuple(seen[n][0]) == (batch, *g.nodes[source]["shape"]), n

    flops = counter.get_flop_counts()
    root = type(model).__name__
    for n in layers:
        if g.nodes[n]["op"] in ("conv", "linear"):
            counted = sum(flops[f"{root}.{module_path(n)}"].values())
            assert counted == 2 * batch * g.nodes[n]["macs"], n
    assert counter.get_total_flops() == 2 * batch * macs_of(g)


def stages(spec, **overrides):
    """(name, C, H) of each top-level block instance and layer, in order."""
    g = incdsl.graph(spec, **overrides)
    return [(r.name, r.shape[0], r.shape[1]) for r in rows(g, depth=0) if len(r.shape) == 3]


def test_v3_stages():
    s = {n: (c, h) for n, c, h in stages("v3", aux_logits=False)}
    assert s["inception_v3_stem"] == (192, 35)
    assert [s[f"mixed_5{x}"] for x in "bcd"] == [(256, 35), (288, 35), (288, 35)]
    assert [s[f"mixed_6{x}"] for x in "abcde"] == [(768, 17)] * 5
    assert [s[f"mixed_7{x}"] for x in "abc"] == [(1280, 8), (2048, 8), (2048, 8)]


def test_v3_aux_head_taps_the_17x17_grid():
    g = incdsl.graph("v3")
    assert g.graph["outputs"] == {"logits": "fc", "aux_logits": "aux_logits/head/fc"}
    assert g.nodes["aux_logits/head/pool1"]["inputs"] == ["mixed_6e/concat"]
    assert g.nodes["aux_logits/head/conv2"]["shape"] == (768, 1, 1)


def test_v4_stages():
    s = stages("v4")
    assert s[1] == ("inception_v4_stem", 384, 35)
    assert [x[1:] for x in s if x[0].startswith("inception_a")] == [(384, 35)] * 4
    assert ("reduction_a", 1024, 17) in s
    assert [x[1:] for x in s if x[0].startswith("inception_b")] == [(1024, 17)] * 7
    assert ("reduction_b", 1536, 8) in s
    assert [x[1:] for x in s if x[0].startswith("inception_c")] == [(1536, 8)] * 3


def test_irv2_stages():
    s = stages("irv2")
    names = [x[0] for x in s]
    assert s[1:3] == [("inception_v3_stem", 192, 35), ("mixed5b", 320, 35)]
    assert sum(n.startswith("block35[") for n in names) == 10
    assert ("reduction_a", 1088, 17) in s
    assert sum(n.startswith("block17[") for n in names) == 20
    assert ("reduction_b", 2080, 8) in s
    assert sum(n.startswith("block8") for n in names) == 10
    assert s[-1] == ("conv", 1536, 8)


def test_irv2_released_details():
    g = incdsl.graph("irv2")
    scales = {p: asdict(g.nodes[f"{p}/add"]["attrs"])
              for p in ("block35[0]", "block17[0]", "block8[0]", "block8_last")}
    assert scales == {"block35[0]": {"scale": 0.17, "relu": True},
                      "block17[0]": {"scale": 0.10, "relu": True},
                      "block8[0]": {"scale": 0.20, "relu": True},
                      "block8_last": {"scale": 1.0, "relu": False}}
    assert g.nodes["mixed5b/branch3/pool"]["attrs"]["count_include_pad"] is False
    assert g.nodes["block35[0]/conv"]["attrs"]["bias"] is True


def test_irv1_stages():
    s = stages("irv1")
    assert s[1] == ("stem", 256, 35)
    assert ("reduction_a", 896, 17) in s and ("reduction_b", 1792, 8) in s


def test_irv2_paper_stages():
    s = stages("irv2_paper")
    names = [x[0] for x in s]
    assert s[1] == ("inception_v4_stem", 384, 35)
    assert (sum(n.startswith("block35") for n in names), sum(n.startswith("block17") for n in names),
            sum(n.startswith("block8") for n in names)) == (5, 10, 5)
    assert ("reduction_a", 1152, 17) in s and ("reduction_b", 2144, 8) in s


def test_irv2_paper_uses_the_figure_order_of_the_v4_stem():
    paper, v4 = incdsl.graph("irv2_paper"), incdsl.graph("v4")
    tower = "inception_v4_stem/branch3"
    assert paper.nodes[f"{tower}/conv2"]["attrs"]["kernel"] == (7, 1)
    assert v4.nodes[f"{tower}/conv2"]["attrs"]["kernel"] == (1, 7)


@pytest.mark.parametrize("spec", NETWORKS)
def test_grid_sizes(spec):
    assert grid_sizes(incdsl.graph(spec))[:1] == [299]
    assert grid_sizes(incdsl.graph(spec))[-3:] == [35, 17, 8]
    if spec in ("v3", "irv2"):
        assert grid_sizes(incdsl.graph(spec)) == [299, 149, 147, 73, 71, 35, 17, 8]


def test_reduction_a_is_shared_with_the_table_1_arguments():
    table = {"v4": (192, 224, 256, 384), "irv1": (192, 192, 256, 384),
             "irv2": (256, 256, 384, 384), "irv2_paper": (256, 256, 384, 384)}
    for spec, klmn in table.items():
        inst = incdsl.graph(spec).graph["blocks"]["reduction_a"]
        assert inst.block == "ReductionA"
        assert str(inst.definition.source.path).endswith("lib/reductions.inc")
        assert tuple(inst.args[k] for k in "klmn") == klmn


def test_small_variants_for_a_laptop():
    g = incdsl.graph("irv2", width=0.25, size=75, blocks_a=1, blocks_b=1, blocks_c=1, classes=10)
    assert g.nodes["fc"]["shape"] == (10,)
    assert params_of(g) < 2_000_000


def test_shipped_names():
    assert resources.shipped_architectures() == [
        "bn_inception", "irv1", "irv2", "irv2_paper", "resnet50", "resnet50_v2", "se_resnet50",
        "v1", "v3", "v4", "xception"]
