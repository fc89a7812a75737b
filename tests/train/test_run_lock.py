"""One run per run directory: while a process holds `--out`, a second `incdsl train` into it
(plain, --force or --resume, or a torchrun worker started directly) is refused with one line
that names the holder; when the holder dies, even by kill -9, the directory is free again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from incdsl.train import launch
from tests.train.conftest import TINY
from tests.train.test_bad_input import one_line_error

ARGS = ["--set", "size=16", "--epochs", 1, "--batch-size", 64, "--progress", "false"]


@pytest.fixture
def held(tmp_path):
    """A run directory with an earlier run's files, locked by another process."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.yaml").write_text("epochs: 1\n")
    (out / "checkpoint.pt").write_bytes(b"the earlier run's checkpoint")
    code = ("import sys; from pathlib import Path; from incdsl.train.lock import take;"
            "held = take(Path(sys.argv[1])); print('held', flush=True); sys.stdin.read()")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout.readline() == "held\n"
    yield out, holder
    holder.kill()
    holder.wait()


@pytest.mark.parametrize("how", [[], ["--force"], ["--resume"]])
def test_a_second_run_is_refused_and_told_who_holds_it(cli, held, how):
    out, holder = held
    code, _, err = cli("train", TINY, *ARGS, "--out", out, *how)
    one_line_error(code, err, f"--out {out} is in use by another incdsl train",
                   f"pid {holder.pid} on {socket.gethostname()}")
    assert (out / "checkpoint.pt").read_bytes() == b"the earlier run's checkpoint"
    assert (out / "config.yaml").read_text() == "epochs: 1\n"


def test_a_worker_started_by_torchrun_directly_takes_the_lock(held, capsys, monkeypatch):
    from incdsl.train import lock, worker

    out, holder = held
    monkeypatch.delenv(lock.HELD_BY_LAUNCHER, raising=False)
    assert worker.main([str(out), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert f"is in use by another incdsl train (pid {holder.pid}" in err
    assert "Traceback" not in err


def test_a_lock_left_by_a_killed_run_is_taken(held):
    from incdsl.train import lock

    out, holder = held
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert f"pid {holder.pid}" in (out / ".lock").read_text()  # the dead run's note stays...
    with lock.take(out):  # ...but the kernel released its lock
        assert f"pid {os.getpid()}" in (out / ".lock").read_text()


def test_incdsl_train_holds_the_lock_while_it_runs(cli, tmp_path, monkeypatch):
    out, seen = tmp_path / "run", {}

    def run_in_process(*_, **__):  # instead of training: try a second run meanwhile
        seen["second"] = cli("train", TINY, *ARGS, "--out", out, "--force")
        return 0

    monkeypatch.setattr(launch, "run_in_process", run_in_process)
    assert cli("train", TINY, *ARGS, "--out", out)[0] == 0
    code, _, err = seen["second"]
    one_line_error(code, err, "is in use by another incdsl train", f"pid {os.getpid()}")
    from incdsl.train import lock

    with lock.take(out):  # released when the first one ended
        pass


def test_a_worker_dies_with_the_launcher_that_holds_its_lock(tmp_path):
    # launcher -> worker, as torch.distributed.run starts them (the worker in a session of its
    # own); kill -9 the launcher, and its lock goes: the worker must not go on writing.
    worker = ("import os, sys, time; from incdsl.train.worker import die_with;"
              "die_with(int(sys.argv[1])); print(os.getpid(), flush=True); time.sleep(60)")
    launcher = ("import os, subprocess, sys; subprocess.Popen([sys.executable, '-c', sys.argv[1],"
                " str(os.getpid())], start_new_session=True); sys.stdin.read()")
    parent = subprocess.Popen([sys.executable, "-c", launcher, worker], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(100):
        if not alive(child):
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the worker outlived its launcher")


def alive(pid: int) -> bool:
    """Running (a zombie, dead but not yet reaped by whoever adopted it, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
