"""Colours and shapes: convolutions, pools, merges and heads are told apart at a glance."""

from __future__ import annotations

GRAPH = {"rankdir": "BT", "nodesep": "0.25", "ranksep": "0.35", "fontname": "Helvetica",
         "bgcolor": "white", "newrank": "true"}
NODE = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "12",
        "penwidth": "1.2", "margin": "0.12,0.05"}
EDGE = {"fontname": "Helvetica", "fontsize": "10", "arrowsize": "0.7", "color": "#444444"}

_BY_OP = {
    "conv": {"fillcolor": "#fff2cc", "color": "#b58900"},
    "maxpool": {"fillcolor": "#dae8fc", "color": "#3a6ea5"},
    "avgpool": {"fillcolor": "#dae8fc", "color": "#3a6ea5"},
    "global_avgpool": {"fillcolor": "#f8cecc", "color": "#a33a36"},
    "global_maxpool": {"fillcolor": "#f8cecc", "color": "#a33a36"},
    "dropout": {"fillcolor": "#f8cecc", "color": "#a33a36"},
    "linear": {"fillcolor": "#f8cecc", "color": "#a33a36"},
    "flatten": {"fillcolor": "#f8cecc", "color": "#a33a36"},
    "concat": {"fillcolor": "#d5e8d4", "color": "#3d7a3a", "shape": "box", "style": "filled"},
    "add": {"fillcolor": "#d5e8d4", "color": "#3d7a3a", "shape": "circle", "fixedsize": "false",
            "margin": "0.02"},
    "relu": {"fillcolor": "#ffffff", "color": "#666666"},
    "input": {"fillcolor": "#eeeeee", "color": "#666666", "shape": "box"},
}
BLOCK = {"fillcolor": "#e1d5e7", "color": "#7b5a8c", "fontsize": "13"}
AUX = {"fillcolor": "#fde9d9", "color": "#c0504d", "style": "rounded,filled,dashed"}
CLUSTER = {"style": "rounded,dashed", "color": "#999999", "fontname": "Helvetica",
           "fontsize": "11", "labeljust": "l"}


def for_op(op: str) -> dict:
    return dict(_BY_OP.get(op, {}))
