"""Checkpoints: everything a run needs to continue exactly where it stopped, written
atomically (temporary file, fsync, rename) and read with `weights_only=True`."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from incdsl.errors import UsageError
from incdsl.fileio import write_atomically
from incdsl.weights.match import shape_text

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


def save(path: Path, state: dict[str, Any]) -> None:
    write_atomically(path, lambda tmp: torch.save({"format": FORMAT, **state}, tmp))


def load(path: str | Path) -> dict[str, Any]:
    """A training checkpoint, or a plain state_dict (from `incdsl weights import`) wrapped
    as {"model": state_dict}."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such checkpoint file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 (pickle, zip and torch each fail their own way)
        raise UsageError(f"{path}: not a readable PyTorch checkpoint ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else 'no detail'})") from None
    if isinstance(data, Mapping) and data.get("format") == FORMAT:
        return dict(data)
    if isinstance(data, Mapping) and data and all(isinstance(v, torch.Tensor)
                                                  for v in data.values()):
        return {"model": dict(data)}
    raise UsageError(f"{path}: neither an incdsl checkpoint nor a state_dict")


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
