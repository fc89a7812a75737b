"""Initialisation as TF-Slim and torchvision's inception_v3 do it: conv and linear weights from
a normal truncated at two standard deviations (std 0.1 unless the spec says `init_std=`),
biases zero, BatchNorm scale one and shift zero. A seed makes it reproducible without
touching torch's global generator."""

from __future__ import annotations

import networkx as nx
import torch
from torch import nn

DEFAULT_STD = 0.1


def init_weights(root: nn.Module, g: nx.DiGraph, seed: int | None = None) -> None:
    generator = None
    if seed is not None:
        generator = torch.Generator().manual_seed(seed)
    for _, data in g.nodes(data=True):
        if data["op"] not in ("conv", "linear"):
            continue
        module = root.get_submodule(data["module"])
        layer = module.conv if data["op"] == "conv" and data["attrs"]["bn"] else module
        std = data["attrs"].get("init_std") or DEFAULT_STD
        with torch.no_grad():
            nn.init.trunc_normal_(layer.weight, 0.0, std, -2 * std, 2 * std, generator=generator)
            if layer.bias is not None:
                layer.bias.zero_()
        if data["op"] == "conv" and data["attrs"]["bn"]:
            nn.init.ones_(module.bn.weight)
            nn.init.zeros_(module.bn.bias)
