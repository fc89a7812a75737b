"""Colours and shapes: convolutions, pools, merges and heads are told apart at a glance."""

from __future__ import annotations

from incdsl.ops import OPS
from incdsl.ops.base import PLAIN

GRAPH = {"rankdir": "BT", "nodesep": "0.25", "ranksep": "0.35", "fontname": "Helvetica",
         "bgcolor": "white", "newrank": "true"}
NODE = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "12",
        "penwidth": "1.2", "margin": "0.12,0.05"}
EDGE = {"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7", "color": "#444444"}

BLOCK = {"fillcolor": "#e1d5e7", "color": "#7b5a8c", "fontsize": "13"}
AUX = {"fillcolor": "#fde9d9", "color": "#c0504d", "style": "rounded,filled,dashed"}
CLUSTER = {"style": "rounded,dashed", "color": "#999999", "fontname": "Helvetica",
           "fontsize": "11", "labeljust": "l"}


# An activation a node applies after itself, drawn as a box of its own.
ACTIVATION = PLAIN.attrs()


def for_op(op: str) -> dict:
    """Each op chooses its own colours (`Op.style`)."""
    return OPS[op].style.attrs()

# `incdsl diff --draw`: the stages that differ between the two networks.
CHANGED = {"color": "#d62728", "penwidth": "3"}
