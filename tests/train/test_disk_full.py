"""A disk that fills up or will not be written: one line that names the path (and, for lack
of space, how much is needed and free), exit code 2, the previous checkpoint intact and no
temporary file left. A patched writer stands in for the full disk; where the tests run as
root, a small tmpfs is the real thing."""

from __future__ import annotations

import errno
import os
import re
import subprocess

import pytest
import torch

from incdsl import fileio
from incdsl.train import checkpoint, metrics
from tests.train.conftest import TINY
from tests.train.test_bad_input import one_line_error

STATE = {"model": {"w": torch.zeros(1000)}, "epoch": 1}  # 4 kB of tensors
NO_SPACE = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
# What torch's zip writer raises when the disk fills under it.
TORN_ZIP = RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 2720640 "
                        "vs 2720560")


def writer_that_fails_with(error, after_bytes=1000):
    """torch.save that writes part of the file, then fails as a full disk makes it fail."""

    def save(obj, path):
        with open(path, "wb") as f:
            f.write(b"\0" * after_bytes)
        raise error

    return save


def temporary_files(folder):
    return sorted(p.name for p in folder.glob(".*.tmp"))


@pytest.mark.parametrize("error, reason", [
    (NO_SPACE, "No space left on device"),
    (TORN_ZIP, "the write failed (unexpected pos 2720640 vs 2720560), most likely for lack"),
], ids=["ENOSPC", "torch-zip-writer"])
def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch, error, reason):
    path = tmp_path / "checkpoint.pt"
    checkpoint.save(path, STATE)
    before = path.read_bytes()
    monkeypatch.setattr(checkpoint.torch, "save", writer_that_fails_with(error))
    with pytest.raises(fileio.CannotWrite) as info:
        checkpoint.save(path, {**STATE, "epoch": 2})
    # The space needed: the checkpoint's tensors, or the previous one's size if larger.
    assert re.fullmatch(rf"cannot write {re.escape(str(path))}: {re.escape(reason)}.*; about "
                        r"[\d.]+ kB needed, [\d.]+ [kMG]?B free; the previous checkpoint.pt "
                        r"is kept", str(info.value)), info.value
    assert path.read_bytes() == before and temporary_files(tmp_path) == []


def test_too_little_space_is_seen_before_writing(tmp_path, monkeypatch):
    usage = fileio.shutil.disk_usage(tmp_path)._replace(free=3000)
    monkeypatch.setattr(fileio.shutil, "disk_usage", lambda _: usage)
    monkeypatch.setattr(checkpoint.torch, "save", lambda *a: pytest.fail("written anyway"))
    with pytest.raises(fileio.CannotWrite, match=r"not enough space \(4.\d kB needed, 3.0 kB "
                                                 r"free\)"):
        checkpoint.save(tmp_path / "checkpoint.pt", STATE)


def test_a_full_disk_under_metrics_jsonl(tmp_path):
    recorder = metrics.Recorder(tmp_path)

    class Full:
        def write(self, text):
            raise NO_SPACE

    recorder.file, recorder.board = Full(), None
    with pytest.raises(fileio.CannotWrite, match="metrics.jsonl: No space left on device"):
        recorder.write("train", epoch=0, step=1, loss=1.0)


def run(out, data, *more):
    return ["train", TINY, "--data", data, "--set", "size=16", "--workers", 0, "--batch-size",
            4, "--epochs", 1, "--save-every", 5, "--progress", "false", "--out", out, *more]


def test_incdsl_train_on_a_full_disk(cli, image_folder, tmp_path, monkeypatch):
    data, out = image_folder(classes=2, train=12, val=1, size=20), tmp_path / "run"
    real_save, calls = torch.save, []

    def full_on_the_second_write(obj, path):
        calls.append(path)
        return (real_save if len(calls) == 1 else writer_that_fails_with(NO_SPACE))(obj, path)

    monkeypatch.setattr(checkpoint.torch, "save", full_on_the_second_write)
    code, _, err = cli(*run(out, data))
    one_line_error(code, err, f"cannot write {out / 'checkpoint.pt'}: No space left on device",
                   "needed", "the previous checkpoint.pt is kept")
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 5
    assert temporary_files(out) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 320 kB tmpfs: room for one checkpoint of the tiny network, not for two."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=320k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("mounting a tmpfs needs root (the patched writer above runs anywhere)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_incdsl_train_on_a_small_tmpfs(cli, image_folder, small_disk):
    data, out = image_folder(classes=2, train=12, val=1, size=20), small_disk / "run"
    code, _, err = cli(*run(out, data, "--ema-decay", 0.9))  # model and EMA: 2 x 150 kB
    one_line_error(code, err, f"cannot write {out / 'checkpoint.pt'}: ", "needed", "free",
                   "the previous checkpoint.pt is kept")
    assert torch.load(out / "checkpoint.pt", weights_only=True)["step"] == 5
    assert temporary_files(out) == []


def test_incdsl_train_on_a_read_only_file_system(cli, small_disk):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    code, _, err = cli("train", TINY, "--set", "size=16", "--out", small_disk / "run")
    one_line_error(code, err, "cannot be used as a run directory: Read-only file system")
