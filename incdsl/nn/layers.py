"""The few module classes the graph IR needs beyond torch.nn's own."""

from __future__ import annotations

from collections import namedtuple

import torch
import torch.nn.functional as F
from torch import nn

# What torchvision's inception_v3 returns in training mode.
InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])


class ConvBN(nn.Module):
    """conv (no bias) -> BatchNorm -> ReLU, TF-Slim's layer; keys `conv.weight`, `bn.*`."""

    def __init__(self, in_channels, out_channels, kernel, stride=1, padding=0, *, eps=1e-3,
                 momentum=0.1, relu=True):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=eps, momentum=momentum)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x, inplace=True) if self.relu else x


class GlobalAvgPool(nn.Module):
    """(N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class GlobalMaxPool(nn.Module):
    """(N, C, H, W) -> (N, C)."""

    def forward(self, x):
        return torch.flatten(F.adaptive_max_pool2d(x, 1), 1)


def outputs_type(names: tuple[str, ...]):
    """The namedtuple a network with auxiliary heads returns in training mode."""
    if names == InceptionOutputs._fields:
        return InceptionOutputs
    return namedtuple("Outputs", names)
