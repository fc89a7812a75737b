"""Weight import: by structure with a shape check at every tensor, a clear error naming the
first tensor that does not fit, nothing loaded then, checkpoints read with weights_only."""

from __future__ import annotations

import random

import pytest
import torch
from torch import nn

import incdsl
from incdsl.cli import main
from incdsl.errors import UsageError
from incdsl.weights import import_weights, match_state_dicts

SMALL = {"width": 0.25, "size": 75, "classes": 10}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_matches_by_order_whatever_the_names():
    ours = {"a.weight": torch.zeros(2, 3), "a.bias": torch.zeros(2)}
    theirs = {"x.w": torch.ones(2, 3), "x.b": torch.full((2,), 2.0)}
    mapped = match_state_dicts(ours, theirs)
    assert list(mapped) == ["a.weight", "a.bias"]
    assert torch.equal(mapped["a.bias"], theirs["x.b"])


def test_wrong_architecture_names_the_first_misfit_and_loads_nothing():
    ours = incdsl.build("v4", seed=0, **SMALL)
    other = incdsl.build("irv2", seed=1, **SMALL)
    before = {k: v.clone() for k, v in ours.state_dict().items()}
    with pytest.raises(UsageError) as info:
        import_weights(ours, other)
    message = str(info.value)
    assert "tensor #" in message and "would go to 'inception_v4_stem." in message
    assert "nothing was loaded" in message
    assert all(torch.equal(before[k], v) for k, v in ours.state_dict().items())


def test_count_mismatch_names_the_first_extra_tensor():
    ours = incdsl.build("v4", seed=0, **SMALL)
    theirs = dict(ours.state_dict())
    theirs["head.weight"] = torch.zeros(5, 5)
    with pytest.raises(UsageError, match=r"the reference has 1 more tensor .*'head.weight'"):
        import_weights(ours, theirs)
    del theirs["head.weight"], theirs["fc.bias"]
    with pytest.raises(UsageError, match=r"the network has 1 more tensor .*'fc.bias' \(10\)"):
        import_weights(ours, theirs)


def test_round_trip_through_a_checkpoint_file(tmp_path):
    source = incdsl.build("irv2", seed=3, blocks_a=1, blocks_b=1, blocks_c=1, **SMALL)
    path = tmp_path / "w.pt"
    torch.save(source.state_dict(), path)
    target = incdsl.build("irv2", seed=4, blocks_a=1, blocks_b=1, blocks_c=1, **SMALL)
    assert import_weights(target, str(path)) == []
    assert all(torch.equal(a, b) for a, b in zip(source.state_dict().values(),
                                                 target.state_dict().values()))


class _NotWeights:
    pass


def test_checkpoints_load_with_weights_only(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"obj": _NotWeights()}, path)  # unpickling it would need to run our code
    model = incdsl.build("v4", **SMALL)
    with pytest.raises(UsageError, match="not a readable PyTorch checkpoint .it holds Python"):
        import_weights(model, str(path))


def test_random_bytes_are_one_line_without_advice_to_unpickle(tmp_path):
    # Outside a zip archive torch reads a bare pickle; random bytes fail there in many ways
    # (IndexError, unsupported opcodes, ...), each the same message, never a traceback.
    gen = random.Random(1)
    path = tmp_path / "noise.pt"
    for size in [1, 3, 64, 4096] * 25:
        path.write_bytes(gen.randbytes(size))
        with pytest.raises(UsageError) as e:
            import_weights(nn.Linear(1, 1), str(path))
        assert "its contents are not a pickle of tensors" in str(e.value)
        assert "weights_only" not in str(e.value)


def test_unknown_reference_and_missing_file():
    model = nn.Linear(1, 1)
    with pytest.raises(UsageError, match="timm has no model 'inception_v9'"):
        import_weights(model, "timm:inception_v9")
    with pytest.raises(UsageError, match="no checkpoint file"):
        import_weights(model, "missing.pt")


def test_cli_import_writes_the_references_tensors_under_our_keys(capsys, tmp_path):
    import timm

    out = tmp_path / "v4.pt"
    torch.manual_seed(0)  # the CLI makes timm's model (random weights) before anything random
    code, _, err = run(capsys, "weights", "import", "v4", "--from", "timm:inception_v4",
                       "-o", str(out))
    assert code == 0, err
    assert "wrote" in err
    state = torch.load(out, weights_only=True)
    with torch.device("meta"):  # the structure only, without the cost of initialising it
        keys = list(incdsl.build("v4").state_dict())
    assert list(state) == keys  # our keys, every one
    torch.manual_seed(0)
    reference = timm.create_model("inception_v4").state_dict()
    assert len(state) == len(reference)
    for (key, ours), (ref_key, theirs) in zip(state.items(), reference.items()):
        assert torch.equal(ours, theirs), (key, ref_key)


def test_cli_wrong_architecture_exits_2_and_writes_nothing(capsys, tmp_path):
    out = tmp_path / "bad.pt"
    code, _, err = run(capsys, "weights", "import", "v4", "--set", "width=0.25", "--from",
                       "timm:inception_v4", "-o", str(out))
    assert code == 2
    assert "error: the weights do not fit" in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_file_that_cannot_be_read_is_not_called_a_bad_pickle(tmp_path):
    from incdsl.weights.sources import load_tensors

    with pytest.raises(UsageError, match=r"not a readable PyTorch checkpoint \(IsADirectoryError"):
        load_tensors(tmp_path)  # an OSError, whatever the bytes would have been
