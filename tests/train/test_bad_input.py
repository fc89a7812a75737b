"""Every user mistake around `incdsl train` and `incdsl eval`: one clear line, exit code 2,
no traceback, and nothing of an earlier run overwritten."""

from __future__ import annotations

import pytest

from tests.train.conftest import TINY

FAST = ["--epochs", 1, "--batch-size", 64, "--progress", "false"]


def one_line_error(code, err, *phrases):
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("incdsl: error: "), err
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def test_missing_data_directory(cli, tmp_path):
    code, _, err = cli("train", TINY, "--data", tmp_path / "nowhere", "--out", tmp_path / "r")
    one_line_error(code, err, "nowhere", "no such directory")
    assert not (tmp_path / "r").exists()


def test_data_directory_without_val(cli, image_folder, tmp_path):
    data = image_folder()
    import shutil

    shutil.rmtree(data / "val")
    code, _, err = cli("train", TINY, "--data", data, "--out", tmp_path / "r")
    one_line_error(code, err, "no 'val' folder")


def test_empty_class_folder(cli, image_folder, tmp_path):
    data = image_folder()
    (data / "train" / "class_9").mkdir()
    code, _, err = cli("train", TINY, "--data", data, "--out", tmp_path / "r")
    one_line_error(code, err, "class_9")


def test_more_gpus_than_the_machine_has(cli, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    code, _, err = cli("train", TINY, "--gpus", 4, "--out", tmp_path / "r")
    one_line_error(code, err, "--gpus 4", "0 GPUs", "--nproc")


def test_unknown_config_key_is_located(cli, tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text("epochs: 2\nlearning_rat: 0.1\n")
    code, _, err = cli("train", TINY, "--config", config, "--out", tmp_path / "r")
    one_line_error(code, err, f"{config}:2:1", "unknown setting 'learning_rat'")


@pytest.mark.parametrize("text, phrase", [
    ("epochs: ten\n", "expected an integer"),
    ("optimizer: adam\n", "not one of sgd, rmsprop, adamw"),
    ("lr: -1\n", "lr must be positive"),
    ("- 1\n- 2\n", "expected a mapping"),
    ("epochs: [1\n", "not valid YAML"),
    # a key set twice (PyYAML keeps the last one silently), and a value that is no number
    ("epochs: 2\nlr: 0.1\nepochs: 3\n", ":3:1: 'epochs' is set twice (first on line 1)"),
    ("set:\n  width: 0.5\n  width: 0.25\n", ":3:3: 'width' is set twice (first on line 2)"),
    ("lr: .nan\n", "lr must be a finite number"),
])
def test_bad_config_values(cli, tmp_path, text, phrase):
    config = tmp_path / "run.yaml"
    config.write_text(text)
    code, _, err = cli("train", TINY, "--config", config, "--out", tmp_path / "r")
    one_line_error(code, err, phrase)


def test_bad_spec_gives_the_located_error(cli, tmp_path):
    spec = tmp_path / "bad.inc"
    spec.write_text("network N(classes=10):\n    input(3, 32, 32)\n    conv 8 3x3 valdi\n")
    code, _, err = cli("train", spec, "--out", tmp_path / "r")
    assert code == 2 and f"{spec}:3:16: error" in err and "^" in err
    assert not (tmp_path / "r").exists()


def test_classes_that_disagree_with_the_data(cli, tmp_path):
    code, _, err = cli("train", TINY, "--set", "classes=5", "--out", tmp_path / "r")
    one_line_error(code, err, "classes=5", "10 classes")


def test_an_existing_run_is_not_overwritten_without_force(cli, tmp_path):
    out = tmp_path / "r"
    assert cli("train", TINY, "--set", "size=16", *FAST, "--out", out)[0] == 0
    before = (out / "checkpoint.pt").read_bytes()
    code, _, err = cli("train", TINY, "--set", "size=16", *FAST, "--out", out)
    one_line_error(code, err, "already holds a run", "--resume", "--force")
    assert (out / "checkpoint.pt").read_bytes() == before
    assert cli("train", TINY, "--set", "size=16", *FAST, "--out", out, "--force")[0] == 0


def test_resume_needs_a_run(cli, tmp_path):
    code, _, err = cli("train", TINY, "--out", tmp_path / "r", "--resume")
    one_line_error(code, err, "--resume", "holds no run")
    assert not (tmp_path / "r").exists()


def test_resume_with_other_settings_is_refused(cli, tmp_path):
    out = tmp_path / "r"
    assert cli("train", TINY, "--set", "size=16", *FAST, "--out", out)[0] == 0
    code, _, err = cli("train", TINY, "--set", "size=16", *FAST, "--lr", 0.5, "--out", out,
                       "--resume")
    one_line_error(code, err, "other settings", "lr (0.1 there, 0.5 now)")


def test_checkpoint_of_another_network(cli, tmp_path):
    out = tmp_path / "r"
    assert cli("train", TINY, "--set", "size=16", *FAST, "--out", out)[0] == 0
    code, _, err = cli("eval", "irv2", "--checkpoint", out / "checkpoint.pt")
    one_line_error(code, err, "holds Tiny weights", "InceptionResNetV2")
    code, _, err = cli("train", "v4", "--set", "width=0.125", "--set", "size=75", "--init",
                       out / "checkpoint.pt", "--out", tmp_path / "r2")
    one_line_error(code, err, "--init", "nothing was loaded")


def test_eval_of_a_file_that_is_not_a_checkpoint(cli, tmp_path):
    bad = tmp_path / "model.pt"
    bad.write_text("not a checkpoint")
    code, _, err = cli("eval", TINY, "--checkpoint", bad)
    one_line_error(code, err, "not a readable PyTorch checkpoint")


def test_unknown_trainable_module_suggests_one(cli, tmp_path):
    code, _, err = cli("train", TINY, "--set", "size=16", *FAST, "--trainable", "fcc",
                       "--out", tmp_path / "r")
    one_line_error(code, err, "--trainable fcc", "did you mean 'fc'")


def test_gpus_and_nproc_together(cli, tmp_path):
    code, _, err = cli("train", TINY, "--gpus", 0, "--nproc", 2, "--out", tmp_path / "r")
    one_line_error(code, err, "do not go together")


def test_bad_flag_value_is_argparse_exit_2(cli, tmp_path):
    with pytest.raises(SystemExit) as e:
        cli("train", TINY, "--epochs", "many")
    assert e.value.code == 2
