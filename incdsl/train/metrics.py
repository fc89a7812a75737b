"""What a run records: `metrics.jsonl` (one JSON object per line, appended and flushed, the
format `incdsl plot` reads) and TensorBoard event files when tensorboard is installed."""

from __future__ import annotations

import json
import time
from pathlib import Path

METRICS = "metrics.jsonl"
TENSORBOARD = "tensorboard"  # the folder of event files


class Recorder:
    """Rows for metrics.jsonl: `{"kind": "train", "epoch", "step", "loss", "top1", "lr",
    "images_per_s", "time"}` every few steps and `{"kind": "eval", "epoch", "step",
    "weights": "model" | "ema", "loss", "top1", "top5", "time"}` after each epoch."""

    def __init__(self, run_dir: Path):
        path = run_dir / METRICS
        # A run killed mid-line and then resumed must not glue its next row onto the torn one.
        torn = path.exists() and path.stat().st_size > 0 and _last_byte(path) != b"\n"
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115
        if torn:
            self.file.write("\n")
        self.board = None
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is optional
            return
        self.board = SummaryWriter(str(run_dir / TENSORBOARD))

    def write(self, kind: str, **values) -> None:
        row = {"kind": kind, **values, "time": round(time.time(), 3)}
        self.file.write(json.dumps(row) + "\n")
        self.file.flush()
        if self.board is not None:
            prefix = kind if kind == "train" else f"{kind}/{values.get('weights', 'model')}"
            for name, value in values.items():
                if isinstance(value, float) and name not in ("epoch", "step"):
                    self.board.add_scalar(f"{prefix}/{name}", value, values["step"])

    def close(self) -> None:
        self.file.close()
        if self.board is not None:
            self.board.close()


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as f:
        f.seek(-1, 2)
        return f.read(1)
