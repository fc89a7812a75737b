"""The data pipeline: the built-in digits, distortions drawn per sample, ImageFolder
directories, and images that cannot be read."""

from __future__ import annotations

import pytest
import torch

from incdsl.errors import UsageError
from incdsl.train import data
from tests.train.conftest import TINY


def test_digits_are_a_fixed_split_of_real_images():
    splits = data.open_data("digits")
    assert (len(splits.train), len(splits.val), len(splits.classes)) == (1437, 360, 10)
    image, label = splits.train[0]
    assert image.shape == (3, 8, 8) and image.dtype == torch.uint8 and 0 <= label < 10
    again = data.open_data("digits")
    assert torch.equal(splits.val.images, again.val.images)  # the held-out set never moves


@pytest.mark.parametrize("augment", ["inception", "light", "none"])
def test_training_images_come_out_in_the_networks_range(augment):
    splits = data.open_data("digits")
    dataset = data.Distorted(splits.train, data.train_transform((75, 75), augment), seed=0)
    image, _ = dataset[(0, 5)]
    assert image.shape == (3, 75, 75) and image.dtype == torch.float32
    assert -1 <= image.min() and image.max() <= 1  # Inception input is [-1, 1]


def test_distortions_depend_on_seed_epoch_and_index_only():
    splits = data.open_data("digits")
    make = lambda seed: data.Distorted(splits.train, data.train_transform((32, 32), "inception"),
                                       seed)
    a, b = make(0), make(0)
    torch.manual_seed(123)
    first = a[(2, 7)][0]
    torch.manual_seed(456)  # the global generator does not matter...
    assert torch.equal(first, b[(2, 7)][0])
    before = torch.get_rng_state()
    assert not torch.equal(first, a[(3, 7)][0])  # ...the epoch does
    assert not torch.equal(first, make(1)[(2, 7)][0])  # ...and so does the seed
    assert torch.equal(before, torch.get_rng_state())  # and it is left as it was


def test_epoch_sampler_shards_and_resumes():
    whole = data.EpochSampler(20, shuffle=True, seed=0, rank=0, world=1)
    whole.set_position(3)
    order = [i for _, i in whole]
    shards = []
    for rank in (0, 1):
        s = data.EpochSampler(20, shuffle=True, seed=0, rank=rank, world=2)
        s.set_position(3)
        shards.append([i for _, i in s])
    assert sorted(shards[0] + shards[1]) == sorted(order) == list(range(20))
    later = data.EpochSampler(20, shuffle=True, seed=0, rank=0, world=1)
    later.set_position(3, start=8)
    assert [i for _, i in later] == order[8:] and len(later) == 12
    assert all(epoch == 3 for epoch, _ in later)


def test_image_folder_and_its_classes(image_folder):
    splits = data.open_data(str(image_folder(classes=3, train=2, val=1)))
    assert splits.classes == ["class_0", "class_1", "class_2"]
    assert (len(splits.train), len(splits.val)) == (6, 3)


def test_class_folders_must_agree(image_folder):
    root = image_folder(classes=2)
    (root / "val" / "class_1").rename(root / "val" / "class_x")
    with pytest.raises(UsageError, match="different classes"):
        data.open_data(str(root))


def test_unknown_torchvision_dataset_suggests_one():
    with pytest.raises(UsageError, match="did you mean 'Flowers102'"):
        data.open_data("torchvision:Flowers12")


def test_torchvision_dataset_missing_offline_says_how(tmp_path):
    with pytest.raises(UsageError, match="--download"):
        data.open_data("torchvision:Flowers102", str(tmp_path))


def test_unreadable_images_are_skipped_and_counted(cli, image_folder, tmp_path):
    root = image_folder(classes=2, train=8, val=2)
    (root / "train" / "class_0" / "garbage.jpg").write_bytes(b"this is not a jpeg")
    whole = (root / "train" / "class_1" / "0.jpg").read_bytes()
    (root / "train" / "class_1" / "truncated.jpg").write_bytes(whole[: len(whole) // 3])
    code, out, err = cli("train", TINY, "--data", root, "--epochs", 2, "--batch-size", 6,
                         "--progress", "false", "--out", tmp_path / "r")
    assert code == 0, err
    assert "garbage.jpg" in err and "truncated.jpg" in err
    assert out.count("2 unreadable image(s) skipped") == 2  # once per epoch


def test_torchvision_dataset_splits(monkeypatch):
    # A stand-in with Flowers102's signature: train / val / test splits, PIL images.
    from PIL import Image
    from torchvision import datasets

    class Flowers(torch.utils.data.Dataset):
        def __init__(self, root, split="train", download=False):
            if split not in ("train", "val", "test"):
                raise ValueError(split)
            self.split, self._labels = split, [0, 1, 2] * (4 if split == "train" else 1)

        def __len__(self):
            return len(self._labels)

        def __getitem__(self, i):
            return Image.new("L", (20, 20), 40 * i), self._labels[i]

    monkeypatch.setattr(datasets, "FakeFlowers", Flowers, raising=False)
    splits = data.open_data("torchvision:FakeFlowers")
    assert (splits.train.split, splits.val.split) == ("train", "val")
    assert splits.classes == ["0", "1", "2"] and len(splits.train) == 12
    image, _ = data.Distorted(splits.val, data.eval_transform((16, 16)), 0)[0]
    assert image.shape == (3, 16, 16)  # grey images come out as RGB
