"""What each op is called in a figure, in the papers' own words: "1x1 Conv (32)",
"3x3 Conv (320 stride 2 V)", "3x3 MaxPool (stride 2 V)", "Filter concat"."""

from __future__ import annotations


def _window(attrs: dict) -> tuple[str, list[str]]:
    kh, kw = attrs["kernel"]
    extra = []
    sh, sw = attrs["stride"]
    if (sh, sw) != (1, 1):
        extra.append(f"stride {sh}" if sh == sw else f"stride {sh}x{sw}")
    if attrs["padding"] == (0, 0) and (kh, kw) != (1, 1):
        extra.append("V")
    return f"{kh}x{kw}", extra


def label(op: str, attrs: dict) -> str:
    if op == "conv":
        size, extra = _window(attrs)
        inside = [str(attrs["out_channels"]), *extra]
        if not attrs["bn"] and not attrs["relu"]:
            inside.append("Linear")
        return f"{size} Conv ({' '.join(inside)})"
    if op in ("maxpool", "avgpool"):
        size, extra = _window(attrs)
        name = "MaxPool" if op == "maxpool" else "Avg Pooling"
        return f"{size} {name}" + (f" ({' '.join(extra)})" if extra else "")
    if op == "global_avgpool":
        return "Average Pooling"
    if op == "global_maxpool":
        return "Max Pooling"
    if op == "dropout":
        return f"Dropout (keep {1 - attrs['p']:g})"
    if op == "linear":
        return f"Linear ({attrs['out_features']})"
    if op == "concat":
        return "Filter concat"
    if op == "add":
        return "+" if attrs["scale"] == 1 else f"+ (x{attrs['scale']:g})"
    if op == "relu":
        return "Relu activation"
    if op == "flatten":
        return "Flatten"
    return op


def shape_text(shape: tuple) -> str:
    """The papers write feature maps as height x width x channels: 35x35x320."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}x{w}x{c}"
    return "x".join(str(s) for s in shape)
