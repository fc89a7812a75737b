"""What convolutions and pools share: a kernel sliding with a stride over a padded map.

    KERNEL [/STRIDE] [valid | same | padding=P]

`same` pads k//2 on each side (odd kernels only, PyTorch style), `valid` pads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.errors import SpecError
from incdsl.ir.graph import Attrs, Shape
from incdsl.ops.args import Args, check_pair
from incdsl.ops.base import ShapeError

Pair = tuple[int, int]

WORDS = {"valid": ("padding", "valid"), "same": ("padding", "same")}
DEFAULTS = {"stride": 1, "padding": "same"}
WANTS = {"kernel": "a kernel size like 3x3"}


@dataclass(frozen=True)
class Window(Attrs):
    kernel: Pair
    stride: Pair
    padding: Pair


def window(args: Args, what: str = "kernel size") -> dict:
    """kernel, stride and padding from a line's arguments, checked."""
    kernel = args.pair("kernel", what)
    return {"kernel": kernel, "stride": args.pair("stride", "stride"),
            "padding": padding_for(args, kernel)}


def padding_for(args: Args, kernel: Pair) -> Pair:
    value = args["padding"]
    if value == "valid":
        return (0, 0)
    if value == "same":
        if kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
            raise SpecError.at(args.loc("padding"), f"'same' padding needs an odd kernel, not "
                               f"{kernel[0]}x{kernel[1]}",
                               "give padding=N (or padding=(h, w)) explicitly")
        return (kernel[0] // 2, kernel[1] // 2)
    return check_pair(value, args.loc("padding"), "padding", lo=0)


def out_size(size: int, kernel: int, stride: int, pad: int, ceil: bool = False) -> int:
    """PyTorch's rule; rounding up, the last window must still start inside the input or
    its left padding."""
    if not ceil:
        return (size + 2 * pad - kernel) // stride + 1
    out = -(-(size + 2 * pad - kernel) // stride) + 1
    return out - 1 if (out - 1) * stride >= size + pad else out


def slide(name: str, a: Window, shape: Shape, *, pad_limit: bool = True,
          ceil: bool = False) -> Pair:
    """The output height and width, or a ShapeError saying why the window does not fit."""
    if len(shape) != 3:
        raise ShapeError(f"{name} needs a C x H x W feature map, got a vector of {shape[0]}",
                         "a global pool or flatten came before it")
    _, h, w = shape
    (kh, kw), (sh, sw), (ph, pw) = a.kernel, a.stride, a.padding
    if kh > h + 2 * ph or kw > w + 2 * pw:
        padded = f" (padded {h + 2 * ph}x{w + 2 * pw})" if ph or pw else ""
        raise ShapeError(f"{kh}x{kw} {name} is larger than its {h}x{w} input{padded}")
    if pad_limit and (ph > kh // 2 or pw > kw // 2):
        raise ShapeError(f"padding {ph}x{pw} is more than half the {kh}x{kw} window")
    return out_size(h, kh, sh, ph, ceil), out_size(w, kw, sw, pw, ceil)


def pair_text(value: Pair) -> str:
    """`3` for (3, 3), `(1, 7)` otherwise: as PyTorch constructors take them."""
    return str(value[0]) if value[0] == value[1] else f"({value[0]}, {value[1]})"


def code_options(a: Window) -> list[str]:
    out = []
    if a.stride != (1, 1):
        out.append(f"stride={pair_text(a.stride)}")
    if a.padding != (0, 0):
        out.append(f"padding={pair_text(a.padding)}")
    return out


def figure_text(a: Window) -> tuple[str, list[str]]:
    """("3x3", ["stride 2", "V"]): the papers' way of writing a window."""
    (kh, kw), (sh, sw) = a.kernel, a.stride
    extra = []
    if (sh, sw) != (1, 1):
        extra.append(f"stride {sh}" if sh == sw else f"stride {sh}x{sw}")
    if a.padding == (0, 0) and (kh, kw) != (1, 1):
        extra.append("V")
    return f"{kh}x{kw}", extra


def summary_text(name: str, a: Window) -> str:
    """`conv 3x3 /2 V`: the summary's short form."""
    (kh, kw), (sh, sw) = a.kernel, a.stride
    text = f"{name} {kh}x{kw}"
    if (sh, sw) != (1, 1):
        text += f" /{sh}" if sh == sw else f" /{sh}x{sw}"
    if a.padding == (0, 0) and (kh, kw) != (1, 1):
        text += " V"
    return text
