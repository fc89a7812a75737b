"""What a figure says: each op names itself in the papers' own words ("1x1 Conv (32)",
"3x3 Conv (320 stride 2 V)", "3x3 MaxPool (stride 2 V)", "Filter concat"); here only the
shapes, which the papers write as height x width x channels."""

from __future__ import annotations

from incdsl.ops import OPS


def label(op: str, attrs) -> str:
    return OPS[op].label(attrs)


def shape_text(shape: tuple) -> str:
    """The papers write feature maps as height x width x channels: 35x35x320."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}x{c}"
    return "x".join(str(s) for s in shape)
