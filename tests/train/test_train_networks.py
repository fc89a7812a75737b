"""A few steps of training for every shipped network at a small size, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from PIL import Image
from torchvision.transforms.v2 import functional as TF

import incdsl
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


def held_out_logits(state: dict, spec: str, sets: list[str], val: Path, batch_size: int):
    """(logits, labels) of a network with these weights on an ImageFolder's val/ split,
    computed here: each image's central 87.5% resized to the input size and scaled to [-1, 1]
    (README: "evaluation takes the central 87.5%"), the classes in sorted folder order, the
    network in eval mode."""
    overrides = {k: float(v) if "." in v else int(v) for k, v in
                 (s.split("=") for s in sets[1::2])}
    size = overrides["size"]
    margin = round(size / 0.875)
    images, labels = [], []
    for label, folder in enumerate(sorted(p for p in val.iterdir() if p.is_dir())):
        for path in sorted(folder.iterdir()):
            pixels = TF.pil_to_tensor(Image.open(path).convert("RGB"))
            pixels = TF.center_crop(TF.resize(pixels, [margin, margin], antialias=True), [size])
            images.append(pixels.float() / 255 * 2 - 1)
            labels.append(label)
    model = incdsl.build(spec, classes=max(labels) + 1, **overrides)
    model.load_state_dict(state)
    model.eval()
    x = torch.stack(images)
    with torch.no_grad():  # in the loader's batches, so the arithmetic is the run's own
        logits = torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    return logits, torch.tensor(labels)


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
    assert evaluation["images"] == 6
    saved = torch.load(out / "checkpoint.pt", weights_only=True)
    # The evaluation is what the saved network computes on the held-out images (the loss with
    # the run's label smoothing, as in training); three classes put every label in the top 5.
    # After three steps BatchNorm's running statistics are still mostly the initial ones, so
    # in eval mode some networks' logits are huge, and v4's overflow to NaN: NaN both ways.
    logits, labels = held_out_logits(saved["model"], spec, SMALL[spec], data / "val", 4)
    smoothing = yaml.safe_load((out / "config.yaml").read_text())["label_smoothing"]
    loss = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=smoothing)
    assert evaluation["loss"] == pytest.approx(loss.item(), rel=1e-5, nan_ok=True)
    assert evaluation["top1"] == round(100 * (logits.argmax(1) == labels).float().mean().item(), 3)
    assert evaluation["top5"] == 100.0
    assert saved["epoch"] == 1 and saved["step"] == 3
    assert "epoch 1/1" in stdout
