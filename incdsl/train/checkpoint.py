"""Checkpoints: everything a run needs to continue exactly where it stopped, written
atomically (temporary file, fsync, rename) and read with `weights_only=True`."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from incdsl.errors import UsageError
from incdsl.fileio import CannotWrite, write_atomically
from incdsl.weights.match import shape_text
from incdsl.weights.sources import load_tensors

FORMAT = "incdsl-checkpoint-1"


def rng_state() -> dict[str, Any]:
    state = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(_as_tuples(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuples(value):
    # random.setstate wants the tuples it gave; a round trip may hand back lists.
    return tuple(_as_tuples(v) for v in value) if isinstance(value, (list, tuple)) else value


# What --resume needs of a checkpoint, besides the model.
TRAINING_KEYS = ("config", "optimizer", "schedule", "epoch", "step_in_epoch", "step", "running",
                 "rng")


def save(path: Path, state: dict[str, Any]) -> None:
    """Write the checkpoint atomically. When the disk cannot take it (checked first against
    the free space, then by the write itself), a CannotWrite names the path and the space
    needed; the previous checkpoint is left as it was and the temporary file is removed."""
    need = max(size_estimate(state), path.stat().st_size if path.is_file() else 0)
    CannotWrite.check_space(path, need)
    try:
        write_atomically(path, lambda tmp: torch.save({"format": FORMAT, **state}, tmp))
    except (OSError, RuntimeError) as e:
        # torch's zip writer reports a full disk as "unexpected pos ..." or "failed writing"
        raise CannotWrite.because(path, e, need) from None


def size_estimate(state) -> int:
    """Bytes a checkpoint of `state` takes: its tensors' bytes plus room for the rest."""
    if isinstance(state, torch.Tensor):
        return state.nelement() * state.element_size()
    if isinstance(state, Mapping):
        return sum(size_estimate(v) for v in state.values()) + 64 * len(state)
    if isinstance(state, (list, tuple)):
        return sum(size_estimate(v) for v in state) + 8 * len(state)
    return 64


def load(path: str | Path) -> dict[str, Any]:
    """A training checkpoint, or a plain state_dict (from `incdsl weights import`) wrapped
    as {"model": state_dict}."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such checkpoint file")
    data = load_tensors(path)
    if isinstance(data, Mapping) and data.get("format") == FORMAT:
        return dict(data)
    if isinstance(data, Mapping) and data and all(isinstance(v, torch.Tensor)
                                                  for v in data.values()):
        return {"model": dict(data)}
    raise UsageError(f"{path}: neither an incdsl checkpoint nor a state_dict")


def load_training(path: Path) -> dict[str, Any]:
    """A checkpoint that `--resume` can continue from: incdsl's, with every part."""
    data = load(path)
    if "format" not in data:
        raise UsageError(f"{path}: a state_dict (weights only), not a training checkpoint; "
                         "--resume continues from the checkpoint.pt that incdsl train writes "
                         "(--init FILE starts a new run from these weights)")
    missing = [k for k in ("model", *TRAINING_KEYS) if k not in data]
    if missing:
        raise UsageError(f"{path}: an incomplete training checkpoint (no "
                         f"{', '.join(repr(k) for k in missing)}); --resume cannot continue "
                         "from it (--init FILE starts a new run from its weights)")
    return data


def check_fits(ours: Mapping[str, torch.Tensor], theirs: Mapping[str, torch.Tensor],
               source: str) -> None:
    """Same tensors, same shapes; otherwise a UsageError naming the first that differs."""
    for key, tensor in ours.items():
        if key not in theirs:
            raise UsageError(f"{source} is for another network: it has no tensor '{key}' "
                             f"{shape_text(tensor)}; nothing was loaded")
        if theirs[key].shape != tensor.shape:
            raise UsageError(f"{source} is for another network: '{key}' is "
                             f"{shape_text(theirs[key])} there and {shape_text(tensor)} here; "
                             "nothing was loaded")
    extra = [k for k in theirs if k not in ours]
    if extra:
        raise UsageError(f"{source} is for another network: its tensor '{extra[0]}' has no "
                         f"place here ({len(extra)} such); nothing was loaded")
