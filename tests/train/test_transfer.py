"""Evaluation and transfer learning: `incdsl eval`, `--init` with a new head, `--trainable`,
and starting from weights imported from a reference implementation."""

from __future__ import annotations

import json

import torch

from tests.train.conftest import TINY

BASE = ["--set", "size=16", "--batch-size", 64, "--progress", "false"]


def load(path):
    return torch.load(path, weights_only=True)


def test_eval_reproduces_the_runs_last_evaluation(cli, tmp_path):
    out = tmp_path / "r"
    assert cli("train", TINY, *BASE, "--epochs", 1, "--ema-decay", 0.9, "--out", out)[0] == 0
    rows = [json.loads(r) for r in (out / "metrics.jsonl").read_text().splitlines()]
    last = {r["weights"]: r for r in rows if r["kind"] == "eval"}
    for weights in ("model", "ema"):
        code, stdout, err = cli("eval", TINY, "--checkpoint", out / "checkpoint.pt",
                                "--weights", weights, "--json")
        assert code == 0, err
        result = json.loads(stdout)
        assert result["images"] == 360 and result["data"] == "digits"
        assert result["top1"] == last[weights]["top1"]
        assert result["top5"] == last[weights]["top5"]


def test_fine_tuning_a_new_head_on_other_data(cli, image_folder, tmp_path):
    first = tmp_path / "digits"
    assert cli("train", TINY, *BASE, "--epochs", 1, "--out", first)[0] == 0
    start = load(first / "checkpoint.pt")["model"]

    data = image_folder(classes=3, train=8, val=2)
    tuned = tmp_path / "tuned"
    code, out, err = cli("train", TINY, "--set", "size=16", "--set", "classes=3", "--data", data,
                         "--batch-size", 8, "--epochs", 1, "--progress", "false",
                         "--init", first / "checkpoint.pt", "--trainable", "fc",
                         "--trainable", "aux_logits", "--out", tuned)
    assert code == 0, err
    assert "fc.weight: new classifier (3, 32)" in out and "trained" in out
    after = load(tuned / "checkpoint.pt")["model"]
    assert after["fc.weight"].shape == (3, 32)
    assert not torch.equal(after["fc.bias"], torch.zeros(3))  # the new head learned
    for key, tensor in start.items():  # everything else is the digits network's, untouched
        if key.startswith(("conv", "mixed")) and tensor.is_floating_point() and "running" not in key:
            assert torch.equal(after[key], tensor), key


def test_init_from_weights_imported_from_a_reference(cli, image_folder, tmp_path):
    """timm's inception_v3 (random weights, the pretrained ones need the internet) through
    `incdsl weights import` into `--init` with a new 2-class head and only the head trained:
    the trunk's tensors are the reference's, and the trunk computes what timm's computes."""
    import timm

    import incdsl

    torch.manual_seed(0)
    reference = timm.create_model("inception_v3")  # no aux head: our v3 with aux_logits=false
    torch.save(reference.state_dict(), tmp_path / "timm.pt")
    spec = ["--set", "aux_logits=false"]
    imported = tmp_path / "v3.pt"
    code, _, err = cli("weights", "import", "v3", *spec, "--from", tmp_path / "timm.pt",
                       "-o", imported)
    assert code == 0, err
    start = load(imported)
    assert [t.shape for t in start.values()] == [t.shape for t in reference.state_dict().values()]
    assert all(torch.equal(a, b) for a, b in zip(start.values(), reference.state_dict().values()))

    data = image_folder(classes=2, train=4, val=2)
    out = tmp_path / "r"
    code, stdout, err = cli("train", "v3", *spec, "--set", "size=75", "--data", data,
                            "--batch-size", 4, "--epochs", 1, "--progress", "false",
                            "--init", imported, "--trainable", "fc", "--out", out)
    assert code == 0, err
    assert "--init: fc.weight: new classifier (2, 2048)" in stdout
    after = load(out / "checkpoint.pt")["model"]
    assert after["fc.weight"].shape == (2, 2048)  # fresh: timm's classifier is (1000, 2048)
    trunk = [k for k in after if not k.startswith("fc.")]
    assert trunk == [k for k in start if not k.startswith("fc.")]
    for key in trunk:  # frozen; BatchNorm's running statistics move in training
        if not key.endswith(("running_mean", "running_var", "num_batches_tracked")):
            assert torch.equal(after[key], start[key]), key

    # The trained network's trunk against timm's, both in training mode (BatchNorm on the
    # batch's statistics) on one batch: every tensor is in its place.
    with torch.device("meta"):
        ours = incdsl.build("v3", aux_logits=False, classes=2)
    ours.load_state_dict(after, assign=True)
    g = incdsl.graph("v3", aux_logits=False, classes=2)
    (pool,) = [n for n, d in g.nodes(data=True) if d["op"] == "global"]
    pooled = []
    getattr(ours, pool).register_forward_hook(lambda m, i, o: pooled.append(o))
    x = torch.randn(2, 3, 139, 139, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours.train()(x)
        want = reference.train().forward_head(reference.forward_features(x), pre_logits=True)
    assert want.shape == (2, 2048) and want.abs().max() > 0.1
    assert (pooled[0] - want).abs().max() <= 1e-4 * want.abs().max()


def test_module_paths_match_whole_names():
    from incdsl.train.model import under

    assert under("fc.weight", ["fc"]) and under("block8.0.conv.weight", ["block8"])
    assert not under("fc2.weight", ["fc"]) and not under("block8_last.bn.bias", ["block8"])
