"""Random well-formed specs built from the language's constructs (not mutations of the shipped
files): a hypothesis strategy for the property tests, also used by bench/fuzz.py.

The generator tracks the shape as it writes, so every spec it makes is valid: convolutions of
every kind, pools (ceil, adaptive, global), BatchNorm, activations, concat with branches,
residuals with and without a projection shortcut or pre-activation, squeeze-and-excitation
gates, blocks with parameters, repeats, defaults and auxiliary heads.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass
class _Shape:
    c: int
    h: int


def _conv_line(draw, shape: _Shape, *, keep_size: bool) -> str:
    out = draw(st.sampled_from([4, 6, 8, 12, 16]))
    kernel = draw(st.sampled_from(["1x1", "3x3", "1x3", "3x1", "5x5"]))
    words = [f"conv {out} {kernel}"]
    if not keep_size and shape.h >= 4 and draw(st.booleans()):
        words.append("/2")
        shape.h = (shape.h - 1) // 2 + 1  # same padding
    if draw(st.integers(0, 3)) == 0 and out % 2 == 0 and shape.c % 2 == 0:
        words.append("groups=2")
    for flag in ("bias", "no bn", "no relu"):
        if draw(st.integers(0, 3)) == 0:
            words.append(flag)
    shape.c = out
    return " ".join(words)


def _layer(draw, shape: _Shape, *, keep_size: bool) -> str:
    kinds = ["conv", "conv", "relu", "sigmoid", "bn", "depthwise", "pool"]
    if not keep_size and shape.h >= 6:
        kinds += ["reduce"]
    kind = draw(st.sampled_from(kinds))
    if kind == "conv":
        return _conv_line(draw, shape, keep_size=keep_size)
    if kind == "depthwise":
        return "conv 3x3 depthwise no bn" + draw(st.sampled_from(["", " no relu"]))
    if kind == "bn":
        return "bn" + draw(st.sampled_from(["", " no relu", " eps=0.001"]))
    if kind == "pool":
        op = draw(st.sampled_from(["maxpool", "avgpool"]))
        extra = draw(st.sampled_from(["", " ceil", " no count_include_pad"]))
        if op == "maxpool" and "count" in extra:
            extra = ""
        return f"{op} 3x3{extra}"
    if kind == "reduce":
        op = draw(st.sampled_from(["maxpool", "avgpool"]))
        ceil = draw(st.booleans())
        shape.h = -(-(shape.h - 3) // 2) + 1 if ceil else (shape.h - 3) // 2 + 1
        return f"{op} 3x3 /2 valid" + (" ceil" if ceil else "")
    return kind


def _body(draw, shape: _Shape, depth: int, *, keep_size: bool, indent: str) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.sampled_from(["layer", "layer", "chain"] + (
            ["concat", "residual", "gate"] if depth < 2 else [])))
        if choice == "layer":
            lines.append(indent + _layer(draw, shape, keep_size=keep_size))
        elif choice == "chain":
            parts = [_layer(draw, shape, keep_size=keep_size) for _ in range(2)]
            lines.append(indent + " -> ".join(parts))
        elif choice == "concat":
            lines.append(indent + "concat:")
            width = 0
            for _ in range(draw(st.integers(2, 3))):
                branch = _Shape(shape.c, shape.h)
                body = _body(draw, branch, depth + 1, keep_size=True, indent=indent + "        ")
                lines += [indent + "    branch:", *body]
                width += branch.c
            shape.c = width
        elif choice == "residual":
            preact = draw(st.booleans())
            project = draw(st.booleans())
            head = "residual" + (" preact" if preact else "") + draw(
                st.sampled_from(["", " relu", " scale=0.5 relu"])) + ":"
            body = _body(draw, _Shape(shape.c, shape.h), depth + 1, keep_size=True,
                         indent=indent + "    ")
            lines += [indent + head, *body]
            if project:
                out = draw(st.sampled_from([4, 8, 16]))
                lines += [indent + f"    conv {out} 1x1 no relu",
                          indent + "    shortcut:", indent + f"        conv {out} 1x1 no relu"]
                shape.c = out
            else:
                lines.append(indent + "    conv trunk 1x1 bias no bn no relu")
        else:
            lines += [indent + "gate:", indent + "    adaptive avgpool 1x1",
                      indent + f"    conv {max(1, shape.c // 2)} 1x1 bias no bn",
                      indent + "    conv trunk 1x1 bias no bn no relu",
                      indent + "    sigmoid"]
    return lines


@st.composite
def specs(draw) -> str:
    """The text of a spec with one network (and perhaps a block and an auxiliary head)."""
    size = draw(st.integers(8, 20))
    shape = _Shape(3, size)
    lines = []
    block_uses = []
    if draw(st.booleans()):
        inner = _Shape(8, size)
        body = _body(draw, inner, 1, keep_size=True, indent="    ")
        lines += ["block B(k=8):", "    conv k 1x1", *body, ""]
        block_uses = [f"    B x{draw(st.integers(1, 2))}", "    conv 8 1x1"]
    lines += ["network N(classes=5):", f"    input 3x{size}x{size}"]
    if draw(st.booleans()):
        lines.append("    defaults conv eps=0.001")
    lines.append("    conv 8 3x3")
    shape.c = 8
    if block_uses:
        lines += block_uses
    lines += _body(draw, shape, 0, keep_size=False, indent="    ")
    if draw(st.booleans()):
        lines += ["    aux aux_logits:", "        adaptive avgpool 2x2 -> flatten -> linear classes"]
    tail = draw(st.sampled_from(["global avgpool", "global maxpool",
                                 "adaptive avgpool 1x1 -> flatten"]))
    lines.append(f"    {tail} -> dropout 0.2 -> linear classes")
    return "\n".join(lines) + "\n"
