"""incdsl.build(): the module tree, initialisation, aux heads, and the PyTorch tools it must
work with (torch.compile, fx, channels_last, autocast, export, ONNX)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import incdsl
from incdsl.errors import SpecError
from incdsl.ir.graph import total_params

SMALL = {"width": 0.25, "size": 75, "blocks_a": 1, "blocks_b": 1, "blocks_c": 2, "classes": 10}


@pytest.fixture(scope="module")
def irv2_small():
    return incdsl.build("irv2", seed=0, **SMALL).eval()


def test_parameter_counts_match_the_graph():
    for spec, overrides in (("v3", {}), ("v3", {"aux_logits": False}), ("irv2", {})):
        model = incdsl.build(spec, **overrides)
        graph = incdsl.graph(spec, **overrides)
        assert sum(p.numel() for p in model.parameters()) == total_params(graph)


def test_module_tree_mirrors_the_spec(irv2_small):
    names = dict(irv2_small.named_children())
    assert list(names)[:3] == ["inception_v3_stem", "mixed5b", "block35"]
    assert type(names["mixed5b"]).__name__ == "Mixed5b"
    assert isinstance(names["block17"], nn.Sequential)
    assert type(irv2_small.block8[0]).__name__ == "Block8"
    keys = list(irv2_small.state_dict())
    assert "block35.0.branch1.conv2.conv.weight" in keys
    assert "block35.0.branch1.conv2.bn.running_var" in keys
    assert "block35.0.conv.bias" in keys  # the projection: a plain conv with bias, no BN
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    bn = irv2_small.block35[0].branch0.bn
    assert bn.eps == 0.001


def test_generated_forward_is_straight_line_python(irv2_small):
    import inspect

    source = inspect.getsource(type(irv2_small.block35[0]).forward)
    assert "torch.cat([branch0, branch1, branch2], 1)" in source
    assert "* 0.17" in source and "F.relu(" in source
    root = inspect.getsource(type(irv2_small).forward)
    assert "x = self.block17(x)" in root  # the x(blocks_b) instances run as one Sequential


def test_seed_makes_initialisation_reproducible():
    a = incdsl.build("irv2", seed=1, **SMALL).state_dict()
    b = incdsl.build("irv2", seed=1, **SMALL).state_dict()
    c = incdsl.build("irv2", seed=2, **SMALL).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["fc.weight"], c["fc.weight"])


def test_initialisation_is_truncated_normal_with_spec_std():
    model = incdsl.build("v3", seed=0)
    w = model.mixed_6e.branch1.conv2.conv.weight
    assert w.abs().max() <= 0.2 and 0.07 < w.std() < 0.1  # std 0.1 truncated at 2 std
    aux = model.aux_logits.head.fc.weight  # init_std=0.001 in the spec
    assert aux.abs().max() <= 0.002
    assert torch.all(model.mixed_6e.branch0.bn.weight == 1)
    assert torch.all(model.aux_logits.head.fc.bias == 0)


def test_aux_head_returns_like_torchvision_and_switches_off():
    x = torch.randn(2, 3, 299, 299)
    model = incdsl.build("v3", classes=10, width=0.25, seed=0)
    model.train()
    out = model(x)
    assert out._fields == ("logits", "aux_logits")
    assert out.logits.shape == out.aux_logits.shape == (2, 10)
    model.eval()
    assert model(x).shape == (2, 10)
    off = incdsl.build("v3", classes=10, width=0.25, aux_logits=False).train()
    assert isinstance(off(x), torch.Tensor)
    assert not any(k.startswith("aux_logits") for k in off.state_dict())


def test_channels_last_and_bf16_autocast(irv2_small):
    x = torch.randn(2, 3, 75, 75)
    with torch.no_grad():
        want = irv2_small(x)
        cl = irv2_small.to(memory_format=torch.channels_last)
        got = cl(x.to(memory_format=torch.channels_last))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = cl(x.to(memory_format=torch.channels_last))
    irv2_small.to(memory_format=torch.contiguous_format)
    assert (got - want).abs().max() < 1e-4
    assert low.dtype == torch.bfloat16
    assert (low.float() - want).abs().max() < 0.1 * want.abs().max()


def test_fx_symbolic_trace(irv2_small):
    traced = torch.fx.symbolic_trace(irv2_small)
    x = torch.randn(2, 3, 75, 75)
    with torch.no_grad():
        assert torch.equal(traced(x), irv2_small(x))
    targets = {n.target for n in traced.graph.nodes if n.op == "call_module"}
    assert "block35.0.branch1.conv2.conv" in targets


def test_torch_compile_captures_one_graph(irv2_small):
    compiled = torch.compile(irv2_small, backend="aot_eager", fullgraph=True)
    x = torch.randn(2, 3, 75, 75)
    with torch.no_grad():
        assert (compiled(x) - irv2_small(x)).abs().max() < 1e-5


def test_torch_export(irv2_small):
    x = torch.randn(2, 3, 75, 75)
    exported = torch.export.export(irv2_small, (x,))
    with torch.no_grad():
        assert (exported.module()(x) - irv2_small(x)).abs().max() < 1e-5


def test_onnx_export(irv2_small, tmp_path):
    path = tmp_path / "irv2.onnx"
    torch.onnx.export(irv2_small, (torch.randn(1, 3, 75, 75),), str(path))
    assert path.stat().st_size > 100_000


def test_shape_breaking_override_is_the_located_check_error():
    with pytest.raises(SpecError) as info:
        incdsl.build("v3", size=160)
    assert "v3.inc:" in info.value.render() and "larger than its" in info.value.render()


def test_whole_module_pickles_and_deepcopies(irv2_small, tmp_path):
    """torch.save(model) works although the classes exist only in memory: the pickle
    carries their forward code (the class cache is emptied to load it as a new process
    would)."""
    import copy

    from incdsl.nn import build as build_module_file

    x = torch.randn(2, 3, 75, 75)
    path = tmp_path / "model.pt"
    torch.save(irv2_small, path)
    build_module_file._class_cache.clear()
    loaded = torch.load(path, weights_only=False).eval()
    assert type(loaded) is not type(irv2_small)  # made again from the pickled source
    twin = copy.deepcopy(irv2_small)
    with torch.no_grad():
        assert torch.equal(loaded(x), irv2_small(x))
        assert torch.equal(twin(x), irv2_small(x))
