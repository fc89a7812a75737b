"""Values and files that used to get through the checks or end in a traceback: every one is
now a single line with exit code 2, before anything is written."""

from __future__ import annotations

import errno
import os
import random
from pathlib import Path

import pytest
import torch

from tests.train.conftest import TINY
from tests.train.test_bad_input import one_line_error


@pytest.mark.parametrize("flag, value, phrase", [
    ("--lr", "nan", "lr must be a finite number, got nan"),
    ("--lr", "inf", "lr must be a finite number, got inf"),
    ("--weight-decay", "inf", "weight_decay must be a finite number"),
    ("--clip-grad-norm", "nan", "clip_grad_norm must be a finite number"),
    ("--warmup-epochs", "nan", "warmup_epochs must be a finite number"),
    ("--warmup-epochs", "inf", "warmup_epochs must be a finite number"),
    ("--seed", "99999999999999999999999", "seed must be in 0.."),
    ("--seed", "-1", "seed must be in 0.."),
    ("--workers", "-2", "workers must be -1 (automatic) or 0 or more"),
    ("--rmsprop-eps", "-1", "rmsprop_eps must not be negative"),
    ("--master-port", "70000", "--master-port 70000: must be in 1..65535"),
])
def test_flag_values_are_checked_up_front(cli, tmp_path, flag, value, phrase):
    code, _, err = cli("train", TINY, flag, value, "--out", tmp_path / "r")
    one_line_error(code, err, phrase)
    assert not (tmp_path / "r").exists()


def test_a_config_file_that_is_not_utf8(cli, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_bytes("epochs: 2\n# réglages\n".encode("latin-1"))
    code, _, err = cli("train", TINY, "--config", config, "--out", tmp_path / "r")
    one_line_error(code, err, f"--config {config}: not UTF-8 text (byte 0xe9")


def test_out_under_a_file(cli, tmp_path):
    (tmp_path / "file").write_text("")
    code, _, err = cli("train", TINY, "--set", "size=16", "--out", tmp_path / "file" / "run")
    one_line_error(code, err, "cannot be used as a run directory: Not a directory")


def test_out_under_proc(cli):
    code, _, err = cli("train", TINY, "--set", "size=16", "--out", "/proc/incdsl/run")
    one_line_error(code, err, "--out /proc/incdsl/run: cannot be used as a run directory")


def test_out_on_a_read_only_file_system(cli, tmp_path, monkeypatch):
    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    code, _, err = cli("train", TINY, "--set", "size=16", "--out", tmp_path / "r")
    one_line_error(code, err, f"--out {tmp_path / 'r'}: cannot be used as a run directory: "
                   "Read-only file system")


def test_out_in_a_directory_without_write_permission(cli, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    if os.geteuid() == 0:  # the kernel lets root write anyway: give the answer it gives others
        mkdir = Path.mkdir

        def refused(self, *args, **kwargs):
            if locked in self.parents:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            return mkdir(self, *args, **kwargs)

        monkeypatch.setattr(Path, "mkdir", refused)
    code, _, err = cli("train", TINY, "--set", "size=16", "--out", tmp_path / "locked" / "r")
    one_line_error(code, err, "cannot be used as a run directory: Permission denied")


def a_run_directory(tmp_path, *flags) -> Path:
    """A run directory whose config.yaml is what `incdsl train TINY FLAGS` resolves to."""
    from incdsl.cli import parser
    from incdsl.cli.train import config_of
    from incdsl.train import rundir

    out = tmp_path / "run"
    args = parser().parse_args(["train", str(TINY), *map(str, flags), "--out", str(out)])
    rundir.prepare(out, config_of(args), resume=False, force=False)
    return out


def test_a_corrupt_config_yaml_on_resume(cli, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.yaml").write_text("epochs: [3\nlr: 0.1\n")
    code, _, err = cli("train", TINY, "--set", "size=16", "--out", out, "--resume")
    one_line_error(code, err, f"{out / 'config.yaml'}:2:3: not valid YAML")


@pytest.mark.parametrize("content, phrase", [
    ("state_dict", "a state_dict (weights only), not a training checkpoint"),
    ("no optimizer", "an incomplete training checkpoint (no 'config', 'optimizer'"),
])
def test_resume_from_what_is_not_a_whole_checkpoint(cli, tmp_path, content, phrase):
    import incdsl

    out = a_run_directory(tmp_path, "--set", "size=16")
    weights = incdsl.build(TINY, size=16).state_dict()
    saved = weights if content == "state_dict" else {"format": "incdsl-checkpoint-1",
                                                     "model": weights}
    torch.save(saved, out / "checkpoint.pt")
    code, _, err = cli("train", TINY, "--set", "size=16", "--out", out, "--resume")
    one_line_error(code, err, phrase, "--init")


@pytest.mark.parametrize("content, phrase", [
    (random.Random(0).randbytes(4096), "its contents are not a pickle of tensors"),
    (None, "it holds Python objects, not only tensors"),
], ids=["random-bytes", "pickled-module"])
def test_a_checkpoint_that_is_not_one_gets_no_advice_to_unpickle_it(cli, tmp_path, content,
                                                                   phrase):
    bad = tmp_path / "bad.pt"
    if content is None:
        torch.save(torch.nn.Linear(2, 2), bad)  # a whole pickled module
    else:
        bad.write_bytes(content)
    code, _, err = cli("eval", TINY, "--checkpoint", bad)
    one_line_error(code, err, "not a readable PyTorch checkpoint", phrase)
    assert "weights_only" not in err


def test_any_random_bytes_are_said_to_be_no_pickle_of_tensors(tmp_path):
    # Bytes outside a zip archive are read as a bare pickle, and fail in whatever way their
    # opcodes lead to (CI once drew bytes that raised IndexError): every way is the same line.
    from incdsl.errors import UsageError
    from incdsl.train.checkpoint import load

    gen = random.Random(0)
    bad = tmp_path / "bad.pt"
    for size in [1, 2, 16, 4096] * 50:
        bad.write_bytes(gen.randbytes(size))
        with pytest.raises(UsageError) as e:
            load(bad)
        assert "its contents are not a pickle of tensors" in str(e.value), str(e.value)
