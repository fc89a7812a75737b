"""Initialisation, each op its own (TF-Slim's truncated normal for convolutions and linear
layers, BatchNorm scale one and shift zero), in the spec's order, so that a seed makes it
reproducible without touching torch's global generator."""

from __future__ import annotations

import networkx as nx
import torch
from torch import nn

from incdsl.ops import OPS


def init_weights(root: nn.Module, g: nx.DiGraph, seed: int | None = None) -> None:
    generator = None if seed is None else torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _, data in g.nodes(data=True):
            if data["module"] is not None:
                OPS[data["op"]].init(root.get_submodule(data["module"]), data["attrs"],
                                     generator)
