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
    # incdsl weights import writes a plain state_dict; --init takes it as it is.
    imported = tmp_path / "irv2.pt"
    spec = ["--set", "width=0.125", "--set", "size=75", "--set", "blocks_a=1", "--set",
            "blocks_b=1", "--set", "blocks_c=1"]
    import incdsl

    torch.save(incdsl.build("irv2", width=0.125, size=75, blocks_a=1, blocks_b=1, blocks_c=1,
                            seed=3).state_dict(), imported)
    data = image_folder(classes=2, train=4, val=2)
    code, out, err = cli("train", "irv2", *spec, "--data", data, "--batch-size", 4,
                         "--epochs", 1, "--lr", 1e-9, "--progress", "false",
                         "--init", imported, "--out", tmp_path / "r")
    assert code == 0, err
    assert "--init: fc.weight: new classifier (2, 192)" in out


def test_module_paths_match_whole_names():
    from incdsl.train.model import under

    assert under("fc.weight", ["fc"]) and under("block8.0.conv.weight", ["block8"])
    assert not under("fc2.weight", ["fc"]) and not under("block8_last.bn.bias", ["block8"])
