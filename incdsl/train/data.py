"""Training and validation data: the built-in digits, an ImageFolder directory, or a
torchvision dataset; Inception-style distortions; loaders that survive bad images.

Two choices make a run reproducible and resumable bit for bit:
- the sampler yields `(epoch, index)` pairs and each sample's distortions are drawn from a
  generator seeded with (seed, epoch, index), so they do not depend on the number of loader
  workers or on where in the epoch a resumed run starts;
- the sampler is torch's DistributedSampler (seeded shuffling per epoch, one shard per
  process), skipping the batches a resumed run has already done.
"""

from __future__ import annotations

import inspect
import os
import signal
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Sampler, default_collate
from torchvision import datasets as tv_datasets
from torchvision import tv_tensors
from torchvision.transforms import v2

from incdsl.errors import UsageError, did_you_mean
from incdsl.train.folders import UNREADABLE, ImageFolder, Unreadable

# Inception networks take input in [-1, 1] (TF-Slim's preprocessing), not ImageNet-normalised.
MEAN = STD = (0.5, 0.5, 0.5)
EVAL_CROP = 0.875  # evaluation: the central 87.5% of the image


def train_transform(size: tuple[int, int], augment: str) -> v2.Transform:
    """The paper's distortions (TF-Slim's inception_preprocessing): a random crop covering
    5-100% of the area with aspect 3/4-4/3, a flip, and colour distortions in random order.
    `light` keeps only a milder crop, for data where a flip changes the meaning (digits)."""
    if augment == "none":
        return eval_transform(size)
    if augment == "light":
        steps = [v2.RandomResizedCrop(size, scale=(0.6, 1.0), ratio=(3 / 4, 4 / 3))]
    else:
        steps = [v2.RandomResizedCrop(size, scale=(0.05, 1.0), ratio=(3 / 4, 4 / 3)),
                 v2.RandomHorizontalFlip(),
                 v2.ColorJitter(brightness=32 / 255, contrast=0.5, saturation=0.5, hue=0.2)]
    return v2.Compose([v2.ToImage(), v2.RGB(), *steps, v2.ToDtype(torch.float32, scale=True),
                       v2.Normalize(MEAN, STD)])


def eval_transform(size: tuple[int, int]) -> v2.Transform:
    margin = tuple(round(s / EVAL_CROP) for s in size)
    return v2.Compose([v2.ToImage(), v2.RGB(), v2.Resize(margin), v2.CenterCrop(size),
                       v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])


@dataclass
class Splits:
    train: Dataset
    val: Dataset
    classes: list[str]
    name: str
    in_memory: bool  # small tensors: loader workers would cost more than they save
    warnings: list[str] = field(default_factory=list)  # for the log, said once per run


def open_data(data: str, root: str = "~/.cache/incdsl/datasets",
              download: bool = False) -> Splits:
    """`digits`, a directory with train/ and val/, or `torchvision:NAME`."""
    if data == "digits":
        return _digits()
    if data.startswith("torchvision:"):
        return _torchvision(data.split(":", 1)[1], os.path.expanduser(root), download)
    return _image_folder(Path(data))


def _digits() -> Splits:
    """scikit-learn's bundled handwritten digits (1,797 8x8 images, 10 classes): real images
    that need no download. A fixed 80/20 split, the same for every run and seed."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    pixels = torch.tensor(digits.images * (255 / 16), dtype=torch.uint8)
    images = pixels.unsqueeze(1).expand(-1, 3, -1, -1).contiguous()  # grey as RGB
    labels = torch.tensor(digits.target)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
    cut = int(0.8 * len(labels))
    classes = [str(d) for d in range(10)]
    return Splits(_Tensors(images[order[:cut]], labels[order[:cut]]),
                  _Tensors(images[order[cut:]], labels[order[cut:]]), classes, "digits", True)


class _Tensors(Dataset):
    def __init__(self, images: torch.Tensor, labels: torch.Tensor):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return tv_tensors.Image(self.images[i]), int(self.labels[i])


def _image_folder(root: Path) -> Splits:
    if not root.is_dir():
        raise UsageError(f"--data {root}: no such directory (expected {root}/train and "
                         f"{root}/val with one folder of images per class)")
    splits = {}
    for part in ("train", "val"):
        folder = root / part
        if not folder.is_dir():
            raise UsageError(f"--data {root}: no '{part}' folder; an ImageFolder dataset has "
                             f"{root}/train/CLASS/*.jpg and {root}/val/CLASS/*.jpg")
        try:
            splits[part] = ImageFolder(str(folder))
        except FileNotFoundError as e:  # torchvision's words for an empty class folder
            raise UsageError(f"--data {folder}: {e}") from None
    train, val = splits["train"], splits["val"]
    if train.classes != val.classes:
        only = sorted(set(train.classes) ^ set(val.classes))
        raise UsageError(f"--data {root}: train/ and val/ have different classes "
                         f"(only in one of them: {', '.join(only[:5])})")
    return Splits(train, val, train.classes, str(root), False, train.warnings + val.warnings)


def _torchvision(name: str, root: str, download: bool) -> Splits:
    cls = getattr(tv_datasets, name, None)
    if not isinstance(cls, type) or not issubclass(cls, Dataset):
        known = [n for n in dir(tv_datasets) if n[0].isupper()]
        hint = "".join(f"; {n}" for n in did_you_mean(name, known))
        raise UsageError(f"--data torchvision:{name}: torchvision has no dataset '{name}'{hint}")
    accepts = inspect.signature(cls).parameters
    if "split" in accepts:  # Flowers102 has train/val/test, others only train/test
        splits = [("train",), ("val", "test")]
    elif "train" in accepts:
        splits = [(True,), (False,)]
    else:
        raise UsageError(f"--data torchvision:{name}: incdsl does not know this dataset's splits;"
                         " save it as an ImageFolder directory and pass --data DIR")
    train, val = (_open_split(cls, name, root, download, choices) for choices in splits)
    classes = getattr(train, "classes", None) or [
        str(c) for c in range(_count_classes(train))]
    return Splits(train, val, list(classes), name, False)


def _open_split(cls, name: str, root: str, download: bool, choices: tuple) -> Dataset:
    """The first of `choices` (split names, or train=True/False) that the dataset has."""
    for choice in choices:
        key = "train" if isinstance(choice, bool) else "split"
        try:
            return cls(root, **{key: choice}, download=download)
        except ValueError:
            continue  # no such split in this dataset: try the next
        except RuntimeError as e:  # torchvision: "Dataset not found or corrupted"
            raise UsageError(f"--data torchvision:{name}: {e} (in {root}; pass --download "
                             "to fetch it, which needs the internet)") from None
    raise UsageError(f"--data torchvision:{name}: none of the splits {choices} exists")


def _count_classes(dataset) -> int:
    labels = getattr(dataset, "_labels", None) or getattr(dataset, "targets", None)
    if labels is None:
        raise UsageError("cannot tell how many classes this dataset has; use an ImageFolder")
    return int(max(labels)) + 1


class Distorted(Dataset):
    """A split with its transform, taking `(epoch, index)` from EpochSampler: each sample's
    random distortions come from a generator seeded by (seed, epoch, index)."""

    def __init__(self, dataset: Dataset, transform, seed: int):
        self.dataset, self.transform, self.seed = dataset, transform, seed

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, key):
        epoch, index = key if isinstance(key, tuple) else (0, key)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                item = self.dataset[index]
        except UNREADABLE:  # a torchvision dataset opens its images itself
            return Unreadable(f"image {index} of {type(self.dataset).__name__}")
        if isinstance(item, Unreadable):
            return item
        image, label = item
        # torchvision's transforms draw from torch's global generator; seed it for this
        # sample only and leave it as it was (it also drives dropout in the main process).
        with torch.random.fork_rng(devices=[]):
            # The CPU generator only: torch.manual_seed would also queue seeds for every
            # accelerator backend, each recording a stack trace, for every sample.
            torch.default_generator.manual_seed(hash((self.seed, epoch, index)) & (2**63 - 1))
            try:
                return self.transform(image), label
            except UNREADABLE:  # a truncated image fails here, when first decoded
                return Unreadable(getattr(image, "filename", str(index)))


class EpochSampler(Sampler):
    """DistributedSampler's shard of one epoch as `(epoch, index)` pairs, from `start` on."""

    def __init__(self, size: int, *, shuffle: bool, seed: int, rank: int, world: int):
        self.inner = DistributedSampler(range(size), num_replicas=world, rank=rank,
                                        shuffle=shuffle, seed=seed, drop_last=shuffle)
        self.epoch, self.start = 0, 0

    def set_position(self, epoch: int, start: int = 0) -> None:
        self.epoch, self.start = epoch, start
        self.inner.set_epoch(epoch)

    def __iter__(self):
        for n, index in enumerate(self.inner):
            if n >= self.start:
                yield self.epoch, index

    def __len__(self):
        return len(self.inner) - self.start


@dataclass
class Batch:
    images: torch.Tensor
    labels: torch.Tensor
    skipped: list[str]  # paths of images that could not be read


def collate(items) -> Batch:
    good = [item for item in items if not isinstance(item, Unreadable)]
    skipped = [item.path for item in items if isinstance(item, Unreadable)]
    if not good:
        return Batch(torch.empty(0), torch.empty(0, dtype=torch.long), skipped)
    images, labels = default_collate(good)
    return Batch(images, labels, skipped)


def _ignore_interrupts(_worker_id: int) -> None:
    # Ctrl-C reaches the whole process group; the main process saves a checkpoint and
    # stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def loader(dataset: Dataset, sampler: Sampler, batch_size: int, workers: int,
           pin_memory: bool, *, train: bool) -> DataLoader:
    # Its own generator: a loader draws a seed for its workers from the global generator
    # otherwise, which would shift dropout's random numbers when a run resumes mid-epoch.
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                      generator=torch.Generator().manual_seed(0),
                      collate_fn=collate, pin_memory=pin_memory, drop_last=train,
                      persistent_workers=workers > 0, worker_init_fn=_ignore_interrupts,
                      prefetch_factor=4 if workers > 0 else None)


def held_out(splits: Splits, size: tuple[int, int], batch_size: int, workers: int,
             pin_memory: bool, rank: int = 0, world: int = 1) -> DataLoader:
    """The held-out split, central crops, this process's share: every `world`-th image from
    `rank` on, with no padding, so that summed counts over processes are exact."""
    val = Distorted(splits.val, eval_transform(size), seed=0)  # no randomness to seed
    shard = range(rank, len(val), world)
    return loader(val, shard, batch_size, workers, pin_memory, train=False)


def steps_per_epoch(images: int, batch_size: int, processes: int) -> int:
    """Full batches per process in an epoch: each process gets images // processes of them
    (DistributedSampler with drop_last) and the last partial batch is dropped."""
    steps = images // processes // batch_size
    if steps == 0:
        raise UsageError(f"the training set has {images} images: fewer than one batch of "
                         f"{batch_size} per process ({processes} process(es)); lower "
                         "--batch-size")
    return steps


def default_workers(splits: Splits) -> int:
    if splits.in_memory:
        return 0
    return min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)
