"""What a run records: `metrics.jsonl` (one JSON object per line, appended and flushed, the
format `incdsl plot` reads) and TensorBoard event files when tensorboard is installed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from incdsl.fileio import CannotWrite

METRICS = "metrics.jsonl"
TENSORBOARD = "tensorboard"  # the folder of event files


class Recorder:
    """Rows for metrics.jsonl: `{"kind": "train", "epoch", "step", "loss", "top1", "lr",
    "images_per_s", "time"}` every few steps and `{"kind": "eval", "epoch", "step",
    "weights": "model" | "ema", "loss", "top1", "top5", "images", "unreadable", "time"}`
    after each epoch.

    A resumed run passes `resume`, what its checkpoint says of the file: its `size` then and
    the `rows` that were still to be written. The file is cut back to that size (the rows of
    steps the run is about to redo, and any line torn by a kill, go) and the rows are
    written, so that it reads as if the run had not stopped."""

    def __init__(self, run_dir: Path, resume: dict | None = None, step: int = 0):
        self.path = run_dir / METRICS
        try:
            _cut(self.path, resume["size"] if resume else None)
            self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        except OSError as e:
            raise CannotWrite.because(self.path, e) from None
        self.board = _board(run_dir, step + 1 if resume is not None else None)
        for row in (resume or {}).get("rows", ()):
            self.write(**row)

    def write(self, kind: str, **values) -> None:
        row = {"kind": kind, **values, "time": round(time.time(), 3)}
        try:
            self.file.write(json.dumps(row) + "\n")
            self.file.flush()
        except OSError as e:
            raise CannotWrite.because(self.path, e) from None
        if self.board is not None:
            prefix = kind if kind == "train" else f"{kind}/{values.get('weights', 'model')}"
            for name, value in values.items():
                if isinstance(value, float) and name not in ("epoch", "step"):
                    self.board.add_scalar(f"{prefix}/{name}", value, values["step"])

    def size(self) -> int:
        """Bytes written so far (all flushed)."""
        return self.file.tell()

    def close(self) -> None:
        try:
            self.file.close()
        except OSError:  # a full disk was reported when the row was written
            pass
        if self.board is not None:
            self.board.close()


def _board(run_dir: Path, purge_step: int | None):
    """A TensorBoard writer, when tensorboard is installed. A resumed run passes the first
    step it will redo: the events from there on are hidden, as the run writes them again."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(run_dir / TENSORBOARD), purge_step=purge_step)


def _cut(path: Path, size: int | None) -> None:
    """Cut `path` back to `size` bytes when it is at least that long; otherwise only drop a
    last line without its newline (torn by a kill), which the next row would be glued to."""
    if not path.exists():
        return
    length = path.stat().st_size
    if size is None or length < size:
        size = _end_of_last_line(path, length)
    if size < length:
        os.truncate(path, size)


def _end_of_last_line(path: Path, length: int, chunk: int = 1 << 16) -> int:
    """The offset just past the file's last newline (0 if it has none)."""
    with open(path, "rb") as f:
        end = length
        while end > 0:
            start = max(0, end - chunk)
            f.seek(start)
            found = f.read(end - start).rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0
