"""The network a run trains: the spec's graph with the data's class count, its module, the
weights it starts from (`--init`) and the parameters it trains (`--trainable`)."""

from __future__ import annotations

import networkx as nx
import torch
from torch import nn

from incdsl.elaborate import spec_graph
from incdsl.errors import UsageError, did_you_mean
from incdsl.nn import build_module
from incdsl.ops import OPS
from incdsl.passes import optimize
from incdsl.train import checkpoint
from incdsl.train.config import TrainConfig


def network_graph(config: TrainConfig, classes: int) -> nx.DiGraph:
    """The spec elaborated with the run's overrides; `classes` from the data unless set."""
    overrides = dict(config.set)
    given = overrides.setdefault("classes", classes)
    if given != classes:
        raise UsageError(f"--set classes={given}, but the data has {classes} classes")
    g = spec_graph(config.spec, config.network, overrides)
    shape = g.nodes[g.graph["input"]]["shape"]
    if len(shape) != 3 or shape[0] != 3:
        raise UsageError(f"{g.graph['name']} takes input {shape}; training needs RGB images "
                         "(3, H, W)")
    return g


def input_size(g: nx.DiGraph) -> tuple[int, int]:
    _, h, w = g.nodes[g.graph["input"]]["shape"]
    return h, w


def head_modules(g: nx.DiGraph) -> set[str]:
    """Module paths of the classifiers: linear layers, whose width follows `classes`."""
    return {d["module"] for _, d in g.nodes(data=True) if OPS[d["op"]].classifier}


def build(g: nx.DiGraph, config: TrainConfig) -> tuple[nn.Module, list[str]]:
    """The module, initialised from `config.init` when given, with only the `--trainable`
    parameters left trainable. Returns it and a note per tensor left as initialised."""
    if config.optimize == "training":  # exact: fused layers, the spec's state_dict
        model = build_module(optimize(g, "training"), seed=config.seed, canonical=g)
    else:
        model = build_module(g, seed=config.seed)
    notes = _load_init(model, g, config) if config.init else []
    _freeze(model, config.trainable)
    return model, notes


def _load_init(model: nn.Module, g: nx.DiGraph, config: TrainConfig) -> list[str]:
    """Fine-tuning: tensors by name from a checkpoint or state_dict. A classifier whose width
    differs (a new `--set classes=`) starts fresh; any other difference is an error."""
    data = checkpoint.load(config.init)
    theirs = data.get("ema") or data["model"]
    ours = model.state_dict()
    heads = head_modules(g)
    loaded, notes = {}, []
    for key, tensor in ours.items():
        if under(key, config.exclude):
            notes.append(f"{key}: excluded")
            continue
        if key not in theirs:
            raise UsageError(f"--init {config.init}: no tensor '{key}' there, so it is for "
                             "another network; nothing was loaded (--exclude MODULE starts a "
                             "module fresh)")
        if theirs[key].shape != tensor.shape:
            if under(key, heads):
                notes.append(f"{key}: new classifier {tuple(tensor.shape)}")
                continue
            raise UsageError(f"--init {config.init}: '{key}' is {tuple(theirs[key].shape)} "
                             f"there and {tuple(tensor.shape)} here; nothing was loaded")
        loaded[key] = theirs[key]
    model.load_state_dict(loaded, strict=False)
    return notes


def _freeze(model: nn.Module, trainable: list[str]) -> None:
    """TF-Slim's trainable_scopes: only parameters under these module paths are trained.
    BatchNorm statistics of frozen layers still follow the data in training mode, as there."""
    if not trainable:
        return
    names = [n for n, _ in model.named_parameters()]
    for prefix in trainable:
        if not any(under(n, [prefix]) for n in names):
            modules = [m for m, _ in model.named_modules() if m]
            hint = "".join(f"; {n}" for n in did_you_mean(prefix, modules))
            raise UsageError(f"--trainable {prefix}: no parameters under that module{hint}")
    for name, p in model.named_parameters():
        p.requires_grad_(under(name, trainable))


def under(name: str, modules) -> bool:
    """Whether a parameter or tensor name lies under one of these module paths (`fc` holds
    `fc.weight`, not `fc2.weight`)."""
    return any(name == m or name.startswith(m + ".") for m in modules)


def parameter_count(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def prepare(model: nn.Module, config: TrainConfig, device: torch.device) -> nn.Module:
    model.to(device)
    if config.channels_last:
        model.to(memory_format=torch.channels_last)
    return model
