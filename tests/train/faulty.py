"""`python faulty.py WHERE N ARGS...`: run `incdsl ARGS` and kill -9 the process at the N-th
occurrence of WHERE, a moment a real crash can hit:

  step              on entering a training step (the batch is loaded, no update yet)
  checkpoint-write  half-way through writing a checkpoint (its temporary file half written)
  after-checkpoint  just after a checkpoint is renamed into place, before anything else
  metrics-row       half-way through writing a row of metrics.jsonl

SIGKILL cannot be caught, so the run gets no chance to clean up: what it leaves is what a
power cut or the OOM killer would leave.

`python faulty.py --serve` imports incdsl and torch once, then for each line of stdin
(JSON: [WHERE, N, LOG, ARGS...]) forks a process that runs as above with its output in LOG,
and answers with a line: how it ended ({"signal": 9} or {"exit": code}). The tests use it to
pay for the imports once rather than once per crash. (Nothing has run a torch operation
when it forks, so the children start with fresh thread pools.)"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def at(n: int, wrapped, before=None, after=None):
    """`wrapped` with a call counter: the n-th call runs `before`/`after` around it."""
    count = 0

    def call(*args, **kwargs):
        nonlocal count
        count += 1
        if count == n and before is not None:
            return before(*args, **kwargs)
        result = wrapped(*args, **kwargs)
        if count == n and after is not None:
            after()
        return result

    return call


def crash(where: str, n: int, args: list[str]) -> None:
    """Run `incdsl ARGS` in this process, set to die at the n-th `where`."""
    import torch

    from incdsl.cli import main as incdsl
    from incdsl.train import checkpoint, loop, metrics

    if where == "step":
        loop.Trainer.train_step = at(n, loop.Trainer.train_step, before=lambda *a: die())
    elif where == "checkpoint-write":
        real_save = torch.save

        def half_then_die(obj, path):
            real_save(obj, path)
            os.truncate(path, Path(path).stat().st_size // 2)
            die()

        checkpoint.torch.save = at(n, real_save, before=half_then_die)
    elif where == "after-checkpoint":
        checkpoint.save = at(n, checkpoint.save, after=die)
    elif where == "metrics-row":
        real_write = metrics.Recorder.write

        def torn(self, kind, **values):
            line = metrics.json.dumps({"kind": kind, **values})
            self.file.write(line[: len(line) // 2])
            self.file.flush()
            die()

        metrics.Recorder.write = at(n, real_write, before=torn)
    else:
        raise SystemExit(f"faulty.py: unknown moment {where!r}")
    sys.exit(incdsl(args))


def serve() -> None:
    import json

    # Imported once, for every child: what a run imports, TensorBoard's writer included.
    import torch.utils.tensorboard  # noqa: F401

    import incdsl.cli
    import incdsl.train.loop  # noqa: F401

    for line in sys.stdin:
        where, n, log, *args = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the child: output to LOG, and never back into this loop
            code = 1
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                crash(where, int(n), args)
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        ended = ({"signal": os.WTERMSIG(status)} if os.WIFSIGNALED(status)
                 else {"exit": os.WEXITSTATUS(status)})
        print(json.dumps(ended), flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        crash(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
