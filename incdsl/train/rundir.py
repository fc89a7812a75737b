"""The run directory before a run starts: whether `--out` may be used (a new run, `--force`,
`--resume`), what an interrupted run left there, and the resolved settings saved in it.

The rule for a run directory, by what it holds (the lock file and temporary files aside):
- nothing: a new run starts; `--resume` is refused (there is no run to continue);
- `config.yaml` but no checkpoint (a run stopped before its first checkpoint): no work can
  be lost, so a plain start and `--resume` both start it from the beginning, clearing the
  rows it left (`--resume` still asks for the same settings);
- a checkpoint: `--resume` continues it; a plain start is refused and `--force` starts over;
- other files: refused without `--force`.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from incdsl.errors import UsageError
from incdsl.fileio import write_atomically
from incdsl.train import checkpoint
from incdsl.train.config import TrainConfig, as_dict, differences, load_file
from incdsl.train.lock import LOCK, unusable
from incdsl.train.metrics import METRICS, TENSORBOARD

CHECKPOINT = "checkpoint.pt"
CONFIG = "config.yaml"
RUN_FILES = (CHECKPOINT, CONFIG, METRICS, "curves.png")


@dataclass(frozen=True)
class Start:
    """How the run starts: from the beginning, or from a checkpoint (`state`, loaded on the
    node that checked it; the workers of other nodes load their own)."""

    resume: bool
    state: dict | None = None


def prepare(out: Path, config: TrainConfig, *, resume: bool, force: bool,
            first_node: bool = True) -> Start:
    """Check `out` (on the first node), clear what a new run replaces, and save the resolved
    config the workers read. Call it holding the run's lock (incdsl.train.lock.take). Other
    nodes only save the config: on a shared file system the first node's run is theirs too."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory")
    start = Start(resume and (out / CHECKPOINT).is_file())
    if first_node:
        remove_temporary_files(out)
        start = _check(out, config, resume=resume, force=force)
    text = yaml.safe_dump(as_dict(config), sort_keys=False)
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_atomically(out / CONFIG, lambda tmp: Path(tmp).write_text(text))
    except OSError as e:
        raise unusable(out, e) from None
    return start


def _check(out: Path, config: TrainConfig, *, resume: bool, force: bool) -> Start:
    has_checkpoint, has_config = (out / CHECKPOINT).is_file(), (out / CONFIG).is_file()
    if resume:
        if not has_config and not has_checkpoint:
            raise UsageError(f"--resume: {out} holds no run ({out / CONFIG} and "
                             f"{out / CHECKPOINT} are missing); start the run without --resume")
        if has_config:
            _refuse_other_settings(out, config)
        if not has_checkpoint:
            _note(f"{out} holds no checkpoint (its run stopped before the first one); "
                  "starting from the beginning")
            clear(out)
            return Start(False)
        state = checkpoint.load_training(out / CHECKPOINT)
        if not has_config:
            _refuse_other_settings(out, config, state["config"])
        refuse_fewer_epochs(out, config, state)
        if config.epochs == state["epoch"]:
            _note(f"the run in {out} has finished its {config.epochs} epochs: nothing to do "
                  f"(--epochs N with N > {config.epochs} continues it)")
        return Start(True, state)
    if has_checkpoint and not force:
        raise UsageError(f"--out {out} already holds a run; --resume continues it, "
                         "--force starts over in it, or choose another --out")
    if has_config and not has_checkpoint:
        _note(f"{out} holds a run that stopped before its first checkpoint; starting it over")
    elif _holds_other_files(out) and not force:
        raise UsageError(f"--out {out} is not empty and holds no incdsl run; --force uses it "
                         "anyway (removing only a run's files), or choose another --out")
    clear(out)
    return Start(False)


def _refuse_other_settings(out: Path, config: TrainConfig, saved: dict | None = None) -> None:
    saved = read_settings(out) if saved is None else saved
    changed = differences(saved, config)
    if changed:
        what = ", ".join(f"{k} ({saved.get(k)!r} there, {getattr(config, k)!r} now)"
                         for k in changed)
        raise UsageError(f"--resume: the run in {out} was started with other settings: "
                         f"{what}; resume it with the same ones, or start a new run")


def refuse_fewer_epochs(out: Path, config: TrainConfig, state: dict) -> None:
    """A run cannot be resumed with fewer epochs than it has done (as many: it is finished)."""
    done, within = state["epoch"], state["step_in_epoch"]
    if config.epochs < done or (config.epochs == done and within):
        reached = f"epoch {done + 1}, step {state['step']}" if within else f"{done} epochs"
        raise UsageError(f"--resume --epochs {config.epochs}: the run in {out} has already "
                         f"reached {reached}; resume with --epochs {done + bool(within)} or more")


def _holds_other_files(out: Path) -> bool:
    return out.is_dir() and any(p.name != LOCK and not _is_temporary(p) for p in out.iterdir())


def clear(out: Path) -> None:
    """Remove a run's files (and only those) for a run that starts over in `out`."""
    for name in RUN_FILES:
        (out / name).unlink(missing_ok=True)
    shutil.rmtree(out / TENSORBOARD, ignore_errors=True)


def _is_temporary(path: Path) -> bool:
    # incdsl.fileio.write_atomically's names: .NAME.RANDOM.tmp
    return path.name.startswith(".") and path.name.endswith(".tmp")


def remove_temporary_files(out: Path) -> None:
    """Temporary checkpoints a killed run left (up to a checkpoint's size each). Safe only
    for the lock's holder: no other process of this run directory is writing."""
    if out.is_dir():
        for path in out.glob(f".{CHECKPOINT}.*.tmp"):
            path.unlink(missing_ok=True)


def read_settings(run_dir: Path) -> dict:
    """The settings saved in RUN/config.yaml, checked as a --config file is."""
    return load_file(str(run_dir / CONFIG), what="the run's settings")


def read_config(run_dir: Path) -> TrainConfig:
    return TrainConfig(**read_settings(run_dir))


def _note(text: str) -> None:
    print(f"incdsl: note: {text}", file=sys.stderr)
