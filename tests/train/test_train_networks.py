"""A few steps of training for every shipped network at a small size, through the CLI."""

from __future__ import annotations

import json

import pytest
import torch

from incdsl.resources import shipped_architectures

# Width 1/8 keeps each network to a few hundred thousand parameters; 75x75 is the smallest
# input the Inception networks accept (v3's auxiliary head needs the full 299).
SMALL = {
    "v3": ["--set", "width=0.125", "--set", "size=299"],
    "v4": ["--set", "width=0.125", "--set", "size=75"],
    "irv1": ["--set", "width=0.125", "--set", "size=75", "--set", "blocks_a=1",
             "--set", "blocks_b=1", "--set", "blocks_c=1"],
    "irv2": ["--set", "width=0.125", "--set", "size=75", "--set", "blocks_a=1",
             "--set", "blocks_b=1", "--set", "blocks_c=1"],
    "irv2_paper": ["--set", "width=0.125", "--set", "size=75"],
    "v1": ["--set", "width=0.125", "--set", "size=64"],
    # The Caffe port's 7x7 average pool before the classifier takes only 224.
    "bn_inception": ["--set", "width=0.125", "--set", "size=224"],
    "xception": ["--set", "width=0.125", "--set", "size=75"],
    "resnet50": ["--set", "width=0.125", "--set", "size=64"],
    "resnet50_v2": ["--set", "width=0.125", "--set", "size=64"],
    "se_resnet50": ["--set", "width=0.125", "--set", "size=64"],
}


def test_every_shipped_network_is_covered():
    assert sorted(SMALL) == shipped_architectures()


@pytest.mark.parametrize("spec", sorted(SMALL))
def test_a_few_steps_of_every_network(spec, cli, image_folder, tmp_path):
    data = image_folder(classes=3, train=4, val=2)  # 12 images: three steps of 4
    out = tmp_path / "run"
    code, stdout, err = cli("train", spec, *SMALL[spec], "--data", data, "--epochs", 1,
                            "--batch-size", 4, "--log-every", 1, "--out", out,
                            "--progress", "false")
    assert code == 0, err
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in rows if r["kind"] == "train"]
    assert [r["step"] for r in train] == [1, 2, 3]
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in train)
    (evaluation,) = [r for r in rows if r["kind"] == "eval"]
    assert evaluation["images"] == 6 and 0 <= evaluation["top1"] <= 100
    saved = torch.load(out / "checkpoint.pt", weights_only=True)
    assert saved["epoch"] == 1 and saved["step"] == 3
    assert "epoch 1/1" in stdout
