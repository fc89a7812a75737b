"""An optimised model loads and saves the spec's own state_dict (incdsl.nn.canonical): round
trips give identical tensors, partial and wrong state_dicts are reported in the spec's keys,
and the tools that read state_dicts (weights import, --init) work across both."""

from __future__ import annotations

import copy
import io

import pytest
import torch

import incdsl
from incdsl.errors import UsageError
from incdsl.nn.canonical import canonical_of, own_state_dict
from incdsl.weights import import_weights

SMALL = {"width": 0.125, "size": 75, "blocks_a": 1, "blocks_b": 1, "blocks_c": 2,
         "classes": 10}


def equal(a: dict, b: dict) -> bool:
    return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def spec_model():
    model = incdsl.build("irv2", seed=3, **SMALL)
    state = model.state_dict()
    gen = torch.Generator().manual_seed(0)
    for key, tensor in state.items():  # statistics a trained model would have
        if key.endswith(("running_mean", "running_var")):
            tensor.copy_(torch.rand(tensor.shape, generator=gen) + 0.5)
    return model


@pytest.mark.parametrize("mode", ["inference", "training"])
def test_round_trip_gives_identical_tensors(spec_model, mode):
    state = spec_model.state_dict()
    optimised = incdsl.build("irv2", optimize=mode, **SMALL)
    optimised.load_state_dict(state)
    back = incdsl.build("irv2", **SMALL)
    back.load_state_dict(optimised.state_dict())
    assert equal(back.state_dict(), state)


@pytest.mark.parametrize("mode", ["inference", "training"])
def test_the_same_seed_gives_the_same_weights(mode):
    a = incdsl.build("irv2", seed=5, **SMALL).state_dict()
    assert equal(incdsl.build("irv2", seed=5, optimize=mode, **SMALL).state_dict(), a)


def test_partial_and_wrong_state_dicts_name_the_spec_keys(spec_model):
    state = spec_model.state_dict()
    model = incdsl.build("irv2", optimize="training", **SMALL)
    part = {k: v for k, v in state.items() if k.startswith("block35.0.")}
    result = model.load_state_dict(part, strict=False)
    assert "fc.weight" in result.missing_keys and not any(
        k.startswith("block35.0.") for k in result.missing_keys)
    saved = model.state_dict()
    assert all(torch.equal(saved[k], v) for k, v in part.items())  # the rest as it was
    with pytest.raises(RuntimeError, match="Missing key.*fc.weight"):
        model.load_state_dict(part)
    bad = dict(state, **{"block35.0.branch0.conv.weight": torch.zeros(1, 2, 3, 4)})
    with pytest.raises(RuntimeError, match=r"size mismatch for block35.0.branch0.conv.weight"):
        model.load_state_dict(bad)


def test_weights_import_matches_by_the_spec_order(spec_model):
    model = incdsl.build("irv2", optimize="training", **SMALL)
    import_weights(model, spec_model.state_dict())
    assert equal(model.state_dict(), spec_model.state_dict())


def test_train_init_loads_a_spec_checkpoint_into_the_fused_model(spec_model, tmp_path):
    from incdsl.train.config import TrainConfig
    from incdsl.train.model import build

    path = tmp_path / "spec.pt"
    torch.save(spec_model.state_dict(), path)
    config = TrainConfig(spec="irv2", set=SMALL, init=str(path), optimize="training")
    model, notes = build(incdsl.graph("irv2", **SMALL), config)
    assert canonical_of(model) is not None and notes == []
    assert equal(model.state_dict(), spec_model.state_dict())


def test_inference_model_runs_in_eval_mode_only(spec_model):
    model = incdsl.build("irv2", optimize="inference", **SMALL)
    assert not model.training
    with pytest.raises(UsageError, match="eval mode only"):
        model.train()
    with pytest.raises(UsageError, match="cannot be mapped back"):
        canonical_of(model).to_canonical(own_state_dict(model))


@pytest.mark.parametrize("mode", ["inference", "training"])
def test_pickle_and_deepcopy_keep_the_canonical_state_dict(spec_model, mode):
    model = incdsl.build("irv2", optimize=mode, **SMALL).eval()
    model.load_state_dict(spec_model.state_dict())
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    x = torch.randn(1, 3, 75, 75)
    with torch.no_grad():
        expected = model(x)
        for twin in (loaded, copy.deepcopy(model)):
            assert torch.equal(twin(x), expected)
            assert equal(twin.state_dict(), spec_model.state_dict())
