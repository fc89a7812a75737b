"""Shared pieces of the training tests: a tiny spec, small image folders, and a way to run
`incdsl` as a user does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from incdsl.cli import main

TINY = Path(__file__).with_name("tiny.inc")


@pytest.fixture(autouse=True)
def _two_threads():
    # CI has two cores; more threads than cores only slows the many small steps down.
    before = torch.get_num_threads()
    torch.set_num_threads(min(2, before))
    yield
    torch.set_num_threads(before)


@pytest.fixture
def cli(capsys):
    """cli(*args) -> (exit code, stdout, stderr) of `incdsl ARGS` in this process."""

    def run(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def incdsl_process(*args, **kwargs) -> subprocess.Popen:
    """`incdsl ARGS` as a separate process (for signals and torchrun)."""
    # As many threads as this process uses: results then agree to the bit.
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads()),
           "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "incdsl", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def make_image_folder(root: Path, classes: int = 2, train: int = 8, val: int = 4,
                      size: int = 40) -> Path:
    """root/{train,val}/class_k/*.jpg: class k is an image whose colour and stripes tell k
    apart, with per-image noise, so that a network can learn it in a few steps."""
    gen = torch.Generator().manual_seed(0)
    for part, count in (("train", train), ("val", val)):
        for k in range(classes):
            folder = root / part / f"class_{k}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                base = torch.zeros(3, size, size)
                base[k % 3] = 0.8
                base[:, :, k::classes + 1] += 0.5
                pixels = (base + 0.1 * torch.rand(3, size, size, generator=gen)).clamp(0, 1)
                array = (pixels.permute(1, 2, 0) * 255).to(torch.uint8).numpy()
                Image.fromarray(array).save(folder / f"{i}.jpg", quality=95)
    return root


@pytest.fixture
def image_folder(tmp_path):
    def make(**kwargs) -> Path:
        return make_image_folder(tmp_path / "images", **kwargs)

    return make
