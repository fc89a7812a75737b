"""The training loop: epochs of steps, evaluation after each, checkpoints, and the ways a
run ends early (a signal, a non-finite loss), each leaving a checkpoint that `--resume`
continues from exactly."""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from incdsl.errors import IncdslError
from incdsl.train import checkpoint, data, model, recipe
from incdsl.train.config import TrainConfig, as_dict
from incdsl.train.distributed import Context, any_, sum_
from incdsl.train.evaluation import evaluate
from incdsl.train.metrics import Recorder
from incdsl.train.rundir import CHECKPOINT, refuse_fewer_epochs
from incdsl.train.syncbn import convert_sync_batchnorm


class Diverged(IncdslError):
    """The loss stopped being a number. Not a bad input, but the run cannot go on."""

    exit_code = 1


class Stopped(Exception):
    """A signal asked the run to stop; its checkpoint is saved."""

    def __init__(self, signum: int):
        self.signum = signum


class Trainer:
    def __init__(self, config: TrainConfig, run_dir: Path, ctx: Context, *,
                 progress: bool = False, log=print):
        self.config, self.run_dir, self.ctx, self.progress = config, run_dir, ctx, progress
        self.log = log if ctx.main else (lambda *a, **k: None)
        torch.manual_seed(config.seed)

        self.splits = data.open_data(config.data, config.data_root, config.download)
        for warning in self.splits.warnings:
            self.log(f"incdsl: warning: {warning}", file=sys.stderr)
        self.graph = model.network_graph(config, len(self.splits.classes))
        self._make_loaders(model.input_size(self.graph))
        self._make_model()
        self.optimizer = recipe.optimizer(config, self.net.parameters())
        self.schedule = recipe.schedule(config, self.optimizer, self.steps_per_epoch)
        self.loss = recipe.Loss(config.label_smoothing, config.aux_weight)
        amp = config.amp == "bf16" or (config.amp == "auto" and ctx.device.type == "cuda")
        self.autocast = (lambda: torch.autocast(ctx.device.type, torch.bfloat16)) if amp else (
            contextlib.nullcontext)

        self.epoch, self.step_in_epoch, self.step = 0, 0, 0
        self.running = torch.zeros(4, dtype=torch.float64)  # loss sum, correct, images, skipped
        self.window = torch.zeros(4, dtype=torch.float64)  # the same since the last train row
        self.recorder: Recorder | None = None
        self.resume_notes: list[str] = []
        self.stop_signal: int | None = None

    def _make_loaders(self, size: tuple[int, int]) -> None:
        c, ctx, splits = self.config, self.ctx, self.splits
        augment = c.augment
        if augment == "auto":
            augment = "light" if splits.name == "digits" else "inception"
        self.train_set = data.Distorted(splits.train, data.train_transform(size, augment), c.seed)
        workers = data.default_workers(splits) if c.workers < 0 else c.workers
        pin = ctx.device.type == "cuda"
        self.sampler = data.EpochSampler(len(self.train_set), shuffle=True, seed=c.seed,
                                         rank=ctx.rank, world=ctx.world)
        self.train_loader = data.loader(self.train_set, self.sampler, c.batch_size, workers, pin,
                                        train=True)
        self.val_loader = data.held_out(splits, size, c.batch_size, workers, pin, ctx.rank,
                                        ctx.world)
        self.steps_per_epoch = data.steps_per_epoch(len(self.train_set), c.batch_size,
                                                    ctx.world)

    def _make_model(self) -> None:
        """`net` is the network itself (what is saved and averaged); `model` is what the
        steps call: `net` wrapped in DDP and compiled, as asked."""
        c, ctx = self.config, self.ctx
        net, self.init_notes = model.build(self.graph, c)
        self.net = model.prepare(net, c, ctx.device)
        if c.sync_bn and ctx.distributed:
            self.net = convert_sync_batchnorm(self.net)
        self.ema = recipe.moving_average(self.net, c.ema_decay) if c.ema_decay else None
        self.model: nn.Module = self.net
        if ctx.distributed:
            ids = [ctx.device.index] if ctx.device.type == "cuda" else None
            self.model = DistributedDataParallel(self.net, device_ids=ids)
        if c.compile:
            self.model = torch.compile(self.model)

    # -- one step ---------------------------------------------------------------------------

    def train_step(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Forward, backward, clip, update. Returns (loss, correct top-1, gradient norm); the
        update is skipped when the gradient is not finite (the caller then stops)."""
        images = images.to(self.ctx.device, non_blocking=True)
        labels = labels.to(self.ctx.device, non_blocking=True)
        if self.config.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            loss, logits = self.loss(self.model(images), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        # After DDP's all-reduce every process has the same gradients, so the same norm: all
        # take the same decision about a non-finite one without talking.
        norm = nn.utils.clip_grad_norm_(self.net.parameters(),
                                        self.config.clip_grad_norm or math.inf)
        if torch.isfinite(norm):
            self.optimizer.step()
            self.schedule.step()
            if self.ema is not None:
                self.ema.update_parameters(self.net)
        correct = (logits.argmax(1) == labels).sum()
        return loss.detach(), correct, norm

    # -- the run ----------------------------------------------------------------------------

    def run(self, resume: bool | dict = False) -> dict:
        """Train to the last epoch. `resume`: True continues from the run directory's
        checkpoint, a dict from that checkpoint already loaded."""
        metrics_at = None
        if resume is not False:
            state = resume if isinstance(resume, dict) else checkpoint.load_training(
                self.run_dir / CHECKPOINT)
            metrics_at = self._restore(state)
        self._announce(resume is not False)
        if self.ctx.main:
            self.recorder = Recorder(self.run_dir, resume=metrics_at, step=self.step)
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        results: dict = {}
        try:
            while self.epoch < self.config.epochs:
                self._train_epoch()
                results, rows, line = self._evaluate_all()
                self.epoch, self.step_in_epoch = self.epoch + 1, 0
                self.running.zero_()
                # The checkpoint first, then the epoch's rows: a run killed in between
                # resumes with them (they travel in the checkpoint), one killed before
                # redoes the epoch, whose rows metrics.jsonl does not have yet.
                self._save(pending=rows)
                self._record(rows)
                self.log(line)
        except Stopped as stop:
            self._save()
            self.log(f"stopped by {signal.Signals(stop.signum).name} at epoch {self.epoch + 1}, "
                     f"step {self.step}; checkpoint saved in {self.run_dir / CHECKPOINT}. "
                     "Run the same command with --resume to continue.", file=sys.stderr)
            raise
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if self.recorder is not None:
                self.recorder.close()
        return results

    def _on_signal(self, signum, _frame) -> None:
        if self.stop_signal is not None:  # asked twice: stop now
            raise KeyboardInterrupt
        self.stop_signal = signum
        self.log(f"\n{signal.Signals(signum).name}: saving a checkpoint after this step "
                 "(again to stop at once)", file=sys.stderr)

    def _train_epoch(self) -> None:
        c, batch = self.config, self.config.batch_size * self.ctx.world
        self.net.train()
        self.sampler.set_position(self.epoch, self.step_in_epoch * c.batch_size)
        bar = self._progress_bar()
        since = time.perf_counter()
        for item in self.train_loader:
            stop, empty = any_(self.ctx, self.stop_signal is not None, len(item.labels) == 0)
            if stop:
                raise Stopped(self.stop_signal or signal.SIGTERM)
            if item.skipped:
                self.log(f"skipped unreadable image(s): {', '.join(item.skipped)}",
                         file=sys.stderr)
            if empty:  # every image of some process's batch was unreadable
                self.running[3] += len(item.skipped)
                self.step_in_epoch += 1
                continue
            loss, correct, norm = self.train_step(item.images, item.labels)
            if not torch.isfinite(norm):  # the same on every process, unlike the loss
                self._diverged(float(loss), float(norm))
            self.step_in_epoch += 1
            self.step += 1
            stats = torch.tensor([float(loss) * len(item.labels), float(correct),
                                  len(item.labels), len(item.skipped)], dtype=torch.float64)
            self.running += stats
            self.window += stats
            if bar is not None:
                bar.update(batch)
                bar.set_postfix(loss=f"{float(loss):.3f}", lr=f"{self._lr():.3g}")
            if self.step % c.log_every == 0 or self.step_in_epoch == self.steps_per_epoch:
                totals = sum_(self.ctx, self.window)
                elapsed = time.perf_counter() - since
                if totals[2] > 0:
                    self._record([{"kind": "train", "epoch": self.epoch, "step": self.step,
                                   "loss": float(totals[0] / totals[2]),
                                   "top1": float(100 * totals[1] / totals[2]), "lr": self._lr(),
                                   "images_per_s": round(float(totals[2]) / elapsed, 1)}])
                since = time.perf_counter()
                self.window.zero_()
            if c.save_every and self.step % c.save_every == 0:
                self._save()
        if bar is not None:
            bar.close()

    def _progress_bar(self):
        if not (self.progress and self.ctx.main):
            return None
        from tqdm import tqdm

        batch = self.config.batch_size * self.ctx.world
        return tqdm(total=self.steps_per_epoch * batch, initial=self.step_in_epoch * batch,
                    unit="img", unit_scale=True, dynamic_ncols=True, leave=False,
                    desc=f"epoch {self.epoch + 1}/{self.config.epochs}", file=sys.stderr)

    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _diverged(self, loss: float, norm: float) -> None:
        where = self.run_dir / CHECKPOINT
        kept = (f"the last good checkpoint, {where}, is kept" if where.exists()
                else "no checkpoint had been written yet")
        raise Diverged(f"the gradient norm became {norm} (loss {loss}) at epoch "
                       f"{self.epoch + 1}, step {self.step + 1}; stopping ({kept}). A lower "
                       "learning rate (--lr), gradient clipping (--clip-grad-norm) or warm-up "
                       "usually help")

    # -- evaluation -------------------------------------------------------------------------

    def _evaluate_all(self) -> tuple[dict, list[dict], str]:
        """The held-out results of each set of weights, their metrics rows, and the epoch's
        line for the log; written by the caller once the checkpoint is."""
        started = time.perf_counter()
        named = {"model": self.net} | ({"ema": self.ema.module} if self.ema is not None else {})
        results = {weights: evaluate(net, self.val_loader, self.ctx, self.loss.ce,
                                     self.config.channels_last,
                                     self._skipped_held_out if weights == "model" else None)
                   for weights, net in named.items()}
        train = sum_(self.ctx, self.running)
        seen = max(1.0, float(train[2]))
        line = (f"epoch {self.epoch + 1}/{self.config.epochs}: train loss "
                f"{float(train[0]) / seen:.4f}, top-1 {100 * float(train[1]) / seen:.2f}%")
        rows = []
        for weights, r in results.items():
            label = "val" if weights == "model" else "val (EMA)"
            line += f"; {label} top-1 {r['top1']:.2f}%, top-5 {r['top5']:.2f}%"
            rows.append({"kind": "eval", "epoch": self.epoch, "step": self.step,
                         "weights": weights, **r})
        line += f" ({time.perf_counter() - started:.1f} s eval)"
        if train[3]:
            line += f"; {int(train[3])} unreadable image(s) skipped"
        if results["model"]["unreadable"]:
            line += f"; {results['model']['unreadable']} unreadable held-out image(s) skipped"
        return results, rows, line

    def _skipped_held_out(self, paths: list[str]) -> None:
        self.log(f"skipped unreadable held-out image(s): {', '.join(paths)}",
                     file=sys.stderr)

    def _record(self, rows: list[dict]) -> None:
        if self.recorder is not None:
            for row in rows:
                self.recorder.write(**row)

    # -- checkpoints ------------------------------------------------------------------------

    def _save(self, pending: list[dict] = ()) -> None:
        """Checkpoint the run. `pending`: the metrics rows that belong to this checkpoint but
        are written after it; with the size metrics.jsonl has now, they let a resumed run
        make the file what an uninterrupted run's would be."""
        if not self.ctx.main:
            return
        state = {
            "config": as_dict(self.config),
            "network": self.graph.graph["name"],
            "model": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "ema": self.ema.module.state_dict() if self.ema is not None else None,
            "ema_count": int(self.ema.n_averaged) if self.ema is not None else 0,
            "epoch": self.epoch,
            "step_in_epoch": self.step_in_epoch,
            "step": self.step,
            "running": self.running,
            "window": self.window,
            "metrics": {"size": self.recorder.size() if self.recorder else 0,
                        "rows": list(pending)},
            "rng": checkpoint.rng_state(),
            "classes": self.splits.classes,
        }
        checkpoint.save(self.run_dir / CHECKPOINT, state)

    def _restore(self, state: dict) -> dict | None:
        """Continue from a checkpoint; returns where metrics.jsonl stood at it, if it says."""
        where = str(self.run_dir / CHECKPOINT)
        refuse_fewer_epochs(self.run_dir, self.config, state)
        checkpoint.check_fits(self.net.state_dict(), state["model"], where)
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self._fit_schedule(state)
        if self.ema is not None and state.get("ema") is not None:
            self.ema.module.load_state_dict(state["ema"])
            self.ema.n_averaged.fill_(state["ema_count"])
        self.epoch, self.step_in_epoch = state["epoch"], state["step_in_epoch"]
        self.step = state["step"]
        self.running = state["running"].clone()
        if state.get("window") is not None:
            self.window = state["window"].clone()
        checkpoint.set_rng_state(state["rng"])
        return state.get("metrics")

    def _fit_schedule(self, state: dict) -> None:
        """A resume with another --epochs: the schedule is stretched from where it is (see
        recipe.Factor.extend), and the log says so."""
        factor = self.schedule.lr_lambdas[0]
        if state["schedule"]["lr_lambdas"][0] is None:  # saved before the schedule was a Factor
            factor.total = state["config"]["epochs"] * self.steps_per_epoch
        total, before = self.config.epochs * self.steps_per_epoch, factor.total
        if total == before:
            return
        at = self.schedule.last_epoch
        factor.extend(total, at)
        base = self.schedule.base_lrs[0]
        what = {"cosine": f"the cosine schedule goes on from lr {base * factor(at):.4g} at "
                          f"step {at} to 0 at step {total}",
                "step": "the step schedule goes on as it was",
                "constant": "the learning rate stays constant"}[factor.kind]
        if factor.kind == "cosine" and factor(at) == 0:
            what += (" (the run had finished its schedule, so the extra epochs train at lr 0; "
                     "--init with this checkpoint starts a new run with a new schedule)")
        self.resume_notes.append(f"--epochs {self.config.epochs} (the run had "
                                 f"{before // self.steps_per_epoch}): {what}")

    def _announce(self, resume: bool) -> None:
        c, ctx, g = self.config, self.ctx, self.graph
        total = model.parameter_count(self.net)
        trained = model.parameter_count(self.net, trainable_only=True)
        params = f"{total:,} parameters" + (f", {trained:,} trained" if trained < total else "")
        shape = "x".join(map(str, g.nodes[g.graph["input"]]["shape"]))
        self.log(f"{g.graph['name']} ({params}), input {shape}, on {self.splits.name}: "
                 f"{len(self.train_set)} training / {len(self.splits.val)} held-out images, "
                 f"{len(self.splits.classes)} classes")
        self.log(f"batch {c.batch_size} x {ctx.world} process(es) on {ctx.device.type}, "
                 f"{c.epochs} epochs of {self.steps_per_epoch} steps, {c.optimizer} lr {c.lr} "
                 f"({c.schedule}); run directory {self.run_dir}")
        for note in self.init_notes:
            self.log(f"--init: {note}")
        if resume:
            self.log(f"resuming at epoch {self.epoch + 1}, step {self.step}")
        for note in self.resume_notes:
            self.log(note)
