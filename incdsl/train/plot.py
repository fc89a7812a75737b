"""Loss and accuracy curves of a training run, read from the `metrics.jsonl` its runner appends.

Each line is one JSON object: a `train` row every few steps, and after each epoch an `eval` row
per set of weights (`model`, and `ema` when the run keeps an average). A resumed run appends to
the same file and repeats the steps done after its last checkpoint; the later row wins.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from incdsl.errors import UsageError
from incdsl.fileio import write_atomically
from incdsl.train.metrics import METRICS

FORMATS = ("png", "svg", "pdf")

_NUMBER = (int, float)
_TYPE_NAMES = {int: "an integer", str: "a string", _NUMBER: "a number"}
# The fields each kind of row must have, and their types. Other fields are allowed.
_FIELDS = {
    "train": {"epoch": int, "step": int, "loss": _NUMBER, "top1": _NUMBER},
    "eval": {"epoch": int, "step": int, "weights": str, "loss": _NUMBER, "top1": _NUMBER,
             "top5": _NUMBER},
}
_WEIGHTS = ("model", "ema")


def format_of(path: str | Path) -> str:
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError(f"{path}: unknown format '{path.suffix or '(none)'}'; "
                         f"use one of: {', '.join('.' + f for f in FORMATS)}")
    return fmt


def _check(row, where: str) -> dict:
    if not isinstance(row, dict):
        raise UsageError(f"{where}: expected a JSON object, got {type(row).__name__}")
    kind = row.get("kind")
    if kind not in _FIELDS:
        raise UsageError(f"{where}: 'kind' is {json.dumps(kind)}; expected \"train\" or \"eval\"")
    for name, types in _FIELDS[kind].items():
        if name not in row:
            raise UsageError(f"{where}: {kind} rows need '{name}'")
        value = row[name]
        # bool is an int to Python but never a step or a loss.
        if isinstance(value, bool) or not isinstance(value, types):
            raise UsageError(f"{where}: '{name}' is {json.dumps(value)}, not {_TYPE_NAMES[types]}")
    if row["step"] < 1 or row["epoch"] < 0:
        raise UsageError(f"{where}: step counts from 1 and epoch from 0 "
                         f"(got step {row['step']}, epoch {row['epoch']})")
    if kind == "eval" and row["weights"] not in _WEIGHTS:
        raise UsageError(f"{where}: 'weights' is {json.dumps(row['weights'])}; "
                         f"expected \"model\" or \"ema\"")
    return row


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The rows of `run_dir/metrics.jsonl`, validated, one per (kind, weights, step) with the
    later row winning, in order of step."""
    run_dir = Path(run_dir)
    path = run_dir / METRICS
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such directory; give the run directory that "
                         f"`incdsl train` writes (it holds {METRICS})")
    if not path.is_file():
        raise UsageError(f"{path}: no such file; {run_dir} is not a training run's directory, "
                         f"or its run has not started yet")
    # Undecodable bytes become U+FFFD, so their line is reported as not JSON.
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    rows = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            if number == len(lines):  # no newline yet: a row the runner is still writing
                continue
            raise UsageError(f"{where}: not JSON ({e.msg}, column {e.colno})") from None
        row = _check(row, where)
        key = (row["kind"], row.get("weights"), row["step"])
        rows.pop(key, None)  # re-inserting keeps the winner in the later row's place
        rows[key] = row
    if not rows:
        raise UsageError(f"{path}: no rows yet; plot again once training has logged a step")
    return sorted(rows.values(), key=lambda r: r["step"])  # stable: file order within a step


def _series(rows, kind, field, weights=None):
    picked = [r for r in rows if r["kind"] == kind and r.get("weights") == weights]
    return [r["step"] for r in picked], [r[field] for r in picked]


def _nice(n: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least n."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= n:
                return step * scale
        scale *= 10


def _mark_epochs(axes, rows) -> None:
    """Epoch ends (the steps of the eval rows) as a top axis and faint lines, thinned to at most
    about ten labels so a long run stays readable."""
    ends = sorted({(r["epoch"], r["step"]) for r in rows if r["kind"] == "eval"})
    if not ends:
        return
    every = _nice(math.ceil(len(ends) / 10))
    shown = [(epoch, step) for epoch, step in ends if (epoch + 1) % every == 0] or ends[-1:]
    for ax in axes:
        for _, step in shown:
            ax.axvline(step, color="0.85", linewidth=0.8, zorder=0)
        top = ax.secondary_xaxis("top")
        # Labelled with epochs completed: the end of epoch 0 is "1".
        top.set_xticks([s for _, s in shown], [str(e + 1) for e, _ in shown])
        top.set_xlabel("epoch")


def _curve(ax, rows, gid, label, kind, field, weights=None, **style):
    steps, values = _series(rows, kind, field, weights)
    if not steps:
        return
    if len(steps) == 1:  # a line through one point draws nothing
        style.setdefault("marker", "o")
    (line,) = ax.plot(steps, values, label=label, **style)
    line.set_gid(gid)  # names the curve in an SVG (the tests find them by it)


def _figure(rows, title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    loss, acc = fig.subplots(1, 2)
    fig.suptitle(title)
    # Colour is the metric, a dashed line the EMA weights; training is thin and pale because
    # it is noisy and many points.
    train = {"color": "C0", "linewidth": 1, "alpha": 0.7}
    epochs = sum(r["kind"] == "eval" and r["weights"] == "model" for r in rows)
    evals = {"marker": "o", "markersize": 3} if epochs <= 30 else {}  # dots, while few
    ema = {**evals, "linestyle": "--"}
    _curve(loss, rows, "train-loss", "train", "train", "loss", **train)
    _curve(loss, rows, "eval-loss", "eval", "eval", "loss", "model", color="C1", **evals)
    _curve(loss, rows, "ema-loss", "eval (EMA)", "eval", "loss", "ema", color="C1", **ema)
    _curve(acc, rows, "train-top1", "train top-1", "train", "top1", **train)
    _curve(acc, rows, "eval-top1", "eval top-1", "eval", "top1", "model", color="C1", **evals)
    _curve(acc, rows, "eval-top5", "eval top-5", "eval", "top5", "model", color="C3", **evals)
    _curve(acc, rows, "ema-top1", "EMA top-1", "eval", "top1", "ema", color="C1", **ema)
    _curve(acc, rows, "ema-top5", "EMA top-5", "eval", "top5", "ema", color="C3", **ema)
    loss.set_ylabel("loss")
    # Early evaluation losses (BatchNorm statistics not yet settled) can be 1000x later ones.
    losses = [r["loss"] for r in rows if r["loss"] > 0]
    if losses and max(losses) > 20 * min(losses):
        loss.set_yscale("log")
    acc.set_ylabel("accuracy (%)")
    for ax in (loss, acc):
        ax.set_xlabel("step")
        ax.grid(True, axis="y", color="0.92")
        ax.legend(fontsize="small")
    _mark_epochs((loss, acc), rows)
    return fig


def plot_run(run_dir: str | Path, output: str | Path) -> Path:
    """Draw `run_dir`'s loss and accuracy curves to `output` (.png, .svg or .pdf). Returns the
    path written."""
    output = Path(output)
    fmt = format_of(output)
    rows = read_metrics(run_dir)
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        raise UsageError("plotting needs matplotlib: pip install 'matplotlib>=3.7'") from None

    fig = _figure(rows, Path(run_dir).resolve().name)
    FigureCanvasAgg(fig)  # Agg for this figure only; pyplot's backend is left alone
    # No dates and a fixed hash salt, so the same metrics give the same bytes. SVG text stays
    # text (searchable, and small) rather than glyph outlines.
    metadata = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    rc = {"svg.hashsalt": "incdsl", "svg.fonttype": "none"}
    with matplotlib.rc_context(rc):
        write_atomically(output, lambda tmp: fig.savefig(tmp, format=fmt, dpi=100,
                                                         metadata=metadata))
    return output
